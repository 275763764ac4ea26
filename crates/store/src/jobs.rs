//! The job queue of the scheduler and the notification outbox (migration 0006). Claiming is a
//! single UPDATE … RETURNING with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several server
//! processes never run the same job or send the same message twice.

use crate::conn::BeginWrite;
use sqlx::FromRow;

use crate::StoreError;
use crate::conn::{Dialect, Store, on_pool};

/// One run of a recurring task.
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub slot: String,
    pub run_at: i64,
    pub status: String,
    pub attempts: i64,
    pub started_ts: Option<i64>,
    pub finished_ts: Option<i64>,
    pub result: Option<String>,
    pub last_error: Option<String>,
}

/// A message to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    /// A user name (inbox, email) or a channel name (robots).
    pub recipient: String,
    pub channel: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    /// Same key, same message: queued once.
    pub dedupe_key: String,
}

/// A queued, sent or read message.
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct NotificationRow {
    pub id: i64,
    pub recipient: String,
    pub channel: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub created_ts: i64,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_ts: Option<i64>,
    pub last_error: Option<String>,
    pub sent_ts: Option<i64>,
}

/// A group robot.
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct ChannelRow {
    pub id: i64,
    pub name: String,
    /// dingtalk, wecom or feishu.
    pub kind: String,
    pub url: String,
    #[serde(skip)]
    pub secret: Option<String>,
    pub department_path: Option<String>,
    pub enabled: bool,
}

const JOB_COLS: &str = "id, kind, slot, run_at, status, attempts, started_ts, finished_ts, result, last_error";
const NOTE_COLS: &str = "id, recipient, channel, kind, title, body, link, created_ts, status, attempts, next_attempt_ts, last_error, sent_ts";

impl Store {
    /// Adds the run of `kind` for `slot` unless it exists (any process may call this).
    pub async fn schedule_job(&self, kind: &str, slot: &str, run_at: i64) -> Result<bool, StoreError> {
        let sql = "INSERT INTO jobs (kind, slot, run_at, status) VALUES ($1, $2, $3, 'queued') \
            ON CONFLICT (kind, slot) DO NOTHING";
        let n = on_pool!(self, |p| sqlx::query(sql)
            .bind(kind)
            .bind(slot)
            .bind(run_at)
            .execute(p)
            .await?
            .rows_affected());
        Ok(n > 0)
    }

    /// Takes the oldest due job (queued, or running with an expired lease) for `worker`.
    pub async fn claim_job(&self, worker: &str, now: i64, lease_seconds: i64) -> Result<Option<JobRow>, StoreError> {
        let lock = if self.dialect() == Dialect::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, started_ts = $3, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $3) \
             OR (status = 'running' AND locked_until < $3 AND attempts < 5) ORDER BY run_at, id LIMIT 1{lock}) RETURNING {JOB_COLS}"
        );
        Ok(on_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(worker)
            .bind(now + lease_seconds)
            .bind(now)
            .fetch_optional(p)
            .await?))
    }

    /// Records a job's end: done, queued again at `retry_at`, or failed for good — only while
    /// `worker` still holds the job (a run whose lease expired and was taken over does not).
    pub async fn finish_job(
        &self,
        id: i64,
        worker: &str,
        now: i64,
        outcome: Result<&str, (&str, Option<i64>)>,
    ) -> Result<(), StoreError> {
        let (status, result, error, run_at) = match outcome {
            Ok(r) => ("done", Some(r), None, None),
            Err((e, Some(retry))) => ("queued", None, Some(e), Some(retry)),
            Err((e, None)) => ("failed", None, Some(e), None),
        };
        let sql = "UPDATE jobs SET status = $1, result = $2, last_error = $3, finished_ts = $4, \
            run_at = COALESCE($5, run_at), locked_by = NULL, locked_until = NULL WHERE id = $6 AND locked_by = $7";
        on_pool!(self, |p| {
            sqlx::query(sql)
                .bind(status)
                .bind(result)
                .bind(error)
                .bind(now)
                .bind(run_at)
                .bind(id)
                .bind(worker)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// The latest job runs, newest first.
    pub async fn recent_jobs(&self, limit: i64) -> Result<Vec<JobRow>, StoreError> {
        let sql = format!("SELECT {JOB_COLS} FROM jobs ORDER BY run_at DESC, id DESC LIMIT $1");
        Ok(on_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(limit)
            .fetch_all(p)
            .await?))
    }

    /// Queues messages; ones whose dedupe key exists are skipped. Returns how many were new.
    pub async fn enqueue_notifications(&self, notes: &[NewNotification], now: i64) -> Result<usize, StoreError> {
        let sql = "INSERT INTO notifications (recipient, channel, kind, title, body, link, dedupe_key, created_ts, status, \
            next_attempt_ts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (dedupe_key) DO NOTHING";
        let n = on_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let mut n = 0usize;
            for x in notes {
                let inbox = x.channel == "inbox";
                n += sqlx::query(sql)
                    .bind(&x.recipient)
                    .bind(&x.channel)
                    .bind(&x.kind)
                    .bind(&x.title)
                    .bind(&x.body)
                    .bind(&x.link)
                    .bind(&x.dedupe_key)
                    .bind(now)
                    .bind(if inbox { "unread" } else { "pending" })
                    .bind(if inbox { None } else { Some(now) })
                    .execute(&mut *tx)
                    .await?
                    .rows_affected() as usize;
            }
            tx.commit().await?;
            n
        });
        Ok(n)
    }

    /// Takes up to `limit` messages due for sending; each is leased for `lease_seconds` (a crashed
    /// sender's messages come back after that).
    pub async fn claim_deliveries(
        &self,
        now: i64,
        limit: i64,
        lease_seconds: i64,
    ) -> Result<Vec<NotificationRow>, StoreError> {
        let lock = if self.dialect() == Dialect::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE notifications SET next_attempt_ts = $1 WHERE id IN (SELECT id FROM notifications \
             WHERE status = 'pending' AND next_attempt_ts <= $2 ORDER BY next_attempt_ts, id LIMIT $3{lock}) \
             RETURNING {NOTE_COLS}"
        );
        Ok(on_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(now + lease_seconds)
            .bind(now)
            .bind(limit)
            .fetch_all(p)
            .await?))
    }

    /// Records a delivery attempt: sent, or failed with the next attempt (None: given up).
    pub async fn delivery_result(
        &self,
        id: i64,
        now: i64,
        outcome: Result<(), (&str, Option<i64>)>,
    ) -> Result<(), StoreError> {
        match outcome {
            Ok(()) => {
                let sql = "UPDATE notifications SET status = 'sent', sent_ts = $1, attempts = attempts + 1, \
                    next_attempt_ts = NULL, last_error = NULL WHERE id = $2";
                on_pool!(self, |p| {
                    sqlx::query(sql).bind(now).bind(id).execute(p).await?;
                });
            }
            Err((error, next)) => {
                let sql = "UPDATE notifications SET status = $1, attempts = attempts + 1, next_attempt_ts = $2, \
                    last_error = $3 WHERE id = $4";
                on_pool!(self, |p| {
                    sqlx::query(sql)
                        .bind(if next.is_some() { "pending" } else { "failed" })
                        .bind(next)
                        .bind(error)
                        .bind(id)
                        .execute(p)
                        .await?;
                });
            }
        }
        Ok(())
    }

    /// A user's in-app messages, newest first.
    pub async fn inbox(&self, username: &str, limit: i64) -> Result<Vec<NotificationRow>, StoreError> {
        let sql = format!(
            "SELECT {NOTE_COLS} FROM notifications WHERE recipient = $1 AND channel = 'inbox' \
             ORDER BY created_ts DESC, id DESC LIMIT $2"
        );
        Ok(on_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(username)
            .bind(limit)
            .fetch_all(p)
            .await?))
    }

    /// How many in-app messages the user has not read.
    pub async fn unread_count(&self, username: &str) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM notifications WHERE recipient = $1 AND channel = 'inbox' AND status = 'unread'";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(username)
            .fetch_one(p)
            .await?))
    }

    /// Marks one of the user's messages (or all, `id` None) read.
    pub async fn mark_read(&self, username: &str, id: Option<i64>) -> Result<u64, StoreError> {
        let sql = "UPDATE notifications SET status = 'read' WHERE recipient = $1 AND channel = 'inbox' \
            AND status = 'unread' AND ($2 IS NULL OR id = $2)";
        Ok(on_pool!(self, |p| sqlx::query(sql)
            .bind(username)
            .bind(id)
            .execute(p)
            .await?
            .rows_affected()))
    }

    /// Outgoing messages (not the inbox): pending and failed first, then the latest sent.
    pub async fn outbox(&self, limit: i64) -> Result<Vec<NotificationRow>, StoreError> {
        let sql = format!(
            "SELECT {NOTE_COLS} FROM notifications WHERE channel <> 'inbox' ORDER BY \
             CASE status WHEN 'failed' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END, created_ts DESC, id DESC LIMIT $1"
        );
        Ok(on_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(limit)
            .fetch_all(p)
            .await?))
    }

    /// The email address of a person (employee number) or of a user's employee record.
    pub async fn email_of(&self, recipient: &str) -> Result<Option<String>, StoreError> {
        // Person messages go to an employee number; accounts without one are `user:<name>`.
        let (sql, key) = match recipient.strip_prefix("user:") {
            Some(name) => (
                "SELECT e.email FROM users u JOIN employees e ON e.employee_no = u.employee_no \
                 WHERE u.username = $1 AND e.email IS NOT NULL AND e.email <> ''",
                name,
            ),
            None => (
                "SELECT e.email FROM employees e WHERE e.employee_no = $1 AND e.email IS NOT NULL AND e.email <> ''",
                recipient,
            ),
        };
        let rows: Vec<String> = on_pool!(self, |p| sqlx::query_scalar(sql).bind(key).fetch_all(p).await?);
        Ok(rows.into_iter().next())
    }

    /// Group robots, by name.
    pub async fn channels(&self) -> Result<Vec<ChannelRow>, StoreError> {
        let sql =
            "SELECT id, name, kind, url, secret, department_path, enabled FROM notification_channels ORDER BY name";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).fetch_all(p).await?))
    }

    /// Adds or replaces a group robot by name.
    pub async fn save_channel(&self, c: &ChannelRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO notification_channels (name, kind, url, secret, department_path, enabled) \
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url, \
            secret = excluded.secret, department_path = excluded.department_path, enabled = excluded.enabled";
        on_pool!(self, |p| {
            sqlx::query(sql)
                .bind(&c.name)
                .bind(&c.kind)
                .bind(&c.url)
                .bind(&c.secret)
                .bind(&c.department_path)
                .bind(c.enabled)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Removes a group robot; false when there was none.
    pub async fn delete_channel(&self, name: &str) -> Result<bool, StoreError> {
        let n = on_pool!(self, |p| sqlx::query(
            "DELETE FROM notification_channels WHERE name = $1"
        )
        .bind(name)
        .execute(p)
        .await?
        .rows_affected());
        Ok(n > 0)
    }

    /// A user's notification choices: (email copies, digest only); defaults (true, false).
    /// Every recipient's notification choices: (recipient, email copies, digest only).
    pub async fn all_notification_prefs(&self) -> Result<Vec<(String, bool, bool)>, StoreError> {
        let sql = "SELECT username, email, digest_only FROM notification_prefs";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).fetch_all(p).await?))
    }

    /// Every person-message recipient with an email address: employee numbers, and `user:<name>`
    /// for accounts linked to an employee with one (as [`Store::email_of`] resolves them).
    pub async fn recipients_with_email(&self) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT employee_no FROM employees WHERE email IS NOT NULL AND email <> '' \
            UNION SELECT 'user:' || u.username FROM users u JOIN employees e ON e.employee_no = u.employee_no \
            WHERE e.email IS NOT NULL AND e.email <> ''";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).fetch_all(p).await?))
    }

    pub async fn notification_prefs(&self, username: &str) -> Result<(bool, bool), StoreError> {
        let sql = "SELECT email, digest_only FROM notification_prefs WHERE username = $1";
        let row: Option<(bool, bool)> =
            on_pool!(self, |p| sqlx::query_as(sql).bind(username).fetch_optional(p).await?);
        Ok(row.unwrap_or((true, false)))
    }

    pub async fn set_notification_prefs(
        &self,
        username: &str,
        email: bool,
        digest_only: bool,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO notification_prefs (username, email, digest_only) VALUES ($1, $2, $3) \
            ON CONFLICT (username) DO UPDATE SET email = excluded.email, digest_only = excluded.digest_only";
        on_pool!(self, |p| {
            sqlx::query(sql)
                .bind(username)
                .bind(email)
                .bind(digest_only)
                .execute(p)
                .await?;
        });
        Ok(())
    }
}
