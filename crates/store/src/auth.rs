//! Accounts, sessions, API tokens and the audit log. The store keeps hashes only; hashing and
//! the rules of who may do what live in `app`.

use sqlx::FromRow;

use crate::StoreError;
use crate::conn::{Store, on_pool};

/// A user account.
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub employee_no: Option<String>,
    pub department_path: Option<String>,
    pub disabled: bool,
    pub created_ts: i64,
}

/// A signed-in session with its account.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct SessionRow {
    pub csrf_token: String,
    pub expires_ts: i64,
    #[sqlx(flatten)]
    pub user: UserRow,
}

/// An API token (its hash is never read back).
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct TokenRow {
    pub id: i64,
    pub label: String,
    pub role: String,
    pub employee_no: Option<String>,
    pub department_path: Option<String>,
    pub created_ts: i64,
    pub revoked: bool,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub ts: i64,
    pub actor: String,
    pub role: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
}

/// What to search the audit log for; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    /// An action (`read.appraisal`) or its family (`user` finds `user.add`, `user.disable`, …).
    pub action: Option<String>,
    pub target: Option<String>,
    pub from_ts: Option<i64>,
    pub to_ts: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

const USER_COLS: &str =
    "u.id, u.username, u.password_hash, u.role, u.employee_no, u.department_path, u.disabled, u.created_ts";

impl Store {
    /// Creates an account; `None` when the user name is taken.
    pub async fn insert_user(
        &self,
        username: &str,
        password_hash: &str,
        role: &str,
        employee_no: Option<&str>,
        department_path: Option<&str>,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let sql = "INSERT INTO users (username, password_hash, role, employee_no, department_path, disabled, created_ts) \
            VALUES ($1, $2, $3, $4, $5, FALSE, $6) ON CONFLICT (username) DO NOTHING RETURNING id";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(username)
            .bind(password_hash)
            .bind(role)
            .bind(employee_no)
            .bind(department_path)
            .bind(now)
            .fetch_optional(p)
            .await?))
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLS} FROM users u WHERE u.username = $1");
        Ok(on_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(username)
            .fetch_optional(p)
            .await?))
    }

    pub async fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLS} FROM users u ORDER BY u.username");
        Ok(on_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_all(p)
            .await?))
    }

    /// Sets a password; false when there is no such user.
    pub async fn set_password_hash(&self, username: &str, hash: &str) -> Result<bool, StoreError> {
        let sql = "UPDATE users SET password_hash = $1 WHERE username = $2";
        let n = on_pool!(self, |p| sqlx::query(sql)
            .bind(hash)
            .bind(username)
            .execute(p)
            .await?
            .rows_affected());
        Ok(n > 0)
    }

    /// Disables or enables an account; disabling also ends its sessions. False when there is no such user.
    pub async fn set_user_disabled(&self, username: &str, disabled: bool) -> Result<bool, StoreError> {
        let sql = "UPDATE users SET disabled = $1 WHERE username = $2";
        let n = on_pool!(self, |p| sqlx::query(sql)
            .bind(disabled)
            .bind(username)
            .execute(p)
            .await?
            .rows_affected());
        if disabled {
            let sql = "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = $1)";
            on_pool!(self, |p| {
                sqlx::query(sql).bind(username).execute(p).await?;
            });
        }
        Ok(n > 0)
    }

    /// Ends every session of an account (after a password change).
    pub async fn delete_sessions_of(&self, username: &str) -> Result<(), StoreError> {
        let sql = "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = $1)";
        on_pool!(self, |p| {
            sqlx::query(sql).bind(username).execute(p).await?;
        });
        Ok(())
    }

    pub async fn insert_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        now: i64,
        expires: i64,
    ) -> Result<(), StoreError> {
        // Expired sessions are swept as new ones start, so the table stays small without a job.
        let sweep = "DELETE FROM sessions WHERE expires_ts < $1";
        let sql =
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_ts, expires_ts) VALUES ($1, $2, $3, $4, $5)";
        on_pool!(self, |p| {
            sqlx::query(sweep).bind(now).execute(p).await?;
            sqlx::query(sql)
                .bind(id_hash)
                .bind(user_id)
                .bind(csrf)
                .bind(now)
                .bind(expires)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// A live session of an enabled account.
    pub async fn session(&self, id_hash: &str, now: i64) -> Result<Option<SessionRow>, StoreError> {
        let sql = format!(
            "SELECT s.csrf_token, s.expires_ts, {USER_COLS} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.expires_ts > $2 AND u.disabled = FALSE"
        );
        Ok(on_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id_hash)
            .bind(now)
            .fetch_optional(p)
            .await?))
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        on_pool!(self, |p| {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    pub async fn insert_token(
        &self,
        token_hash: &str,
        label: &str,
        role: &str,
        employee_no: Option<&str>,
        department_path: Option<&str>,
        now: i64,
    ) -> Result<i64, StoreError> {
        let sql = "INSERT INTO api_tokens (token_hash, label, role, employee_no, department_path, created_ts, revoked) \
            VALUES ($1, $2, $3, $4, $5, $6, FALSE) RETURNING id";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(token_hash)
            .bind(label)
            .bind(role)
            .bind(employee_no)
            .bind(department_path)
            .bind(now)
            .fetch_one(p)
            .await?))
    }

    /// A token that has not been revoked.
    pub async fn token(&self, token_hash: &str) -> Result<Option<TokenRow>, StoreError> {
        let sql = "SELECT id, label, role, employee_no, department_path, created_ts, revoked FROM api_tokens \
            WHERE token_hash = $1 AND revoked = FALSE";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(token_hash)
            .fetch_optional(p)
            .await?))
    }

    pub async fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        let sql =
            "SELECT id, label, role, employee_no, department_path, created_ts, revoked FROM api_tokens ORDER BY id";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).fetch_all(p).await?))
    }

    pub async fn revoke_token(&self, id: i64) -> Result<bool, StoreError> {
        let n = on_pool!(self, |p| sqlx::query(
            "UPDATE api_tokens SET revoked = TRUE WHERE id = $1"
        )
        .bind(id)
        .execute(p)
        .await?
        .rows_affected());
        Ok(n > 0)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_audit(
        &self,
        ts: i64,
        actor: &str,
        role: Option<&str>,
        action: &str,
        target: Option<&str>,
        detail: Option<&str>,
        ip: Option<&str>,
    ) -> Result<(), StoreError> {
        let sql =
            "INSERT INTO audit_log (ts, actor, role, action, target, detail, ip) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        on_pool!(self, |p| {
            sqlx::query(sql)
                .bind(ts)
                .bind(actor)
                .bind(role)
                .bind(action)
                .bind(target)
                .bind(detail)
                .bind(ip)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Newest first, queued entries included.
    pub async fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditRow>, StoreError> {
        self.flush_audit().await;
        let sql = "SELECT id, ts, actor, role, action, target, detail, ip FROM audit_log \
            WHERE ($1 IS NULL OR actor = $1) AND ($2 IS NULL OR action = $2 OR substr(action, 1, length($2) + 1) = $2 || '.') \
              AND ($3 IS NULL OR target = $3) \
              AND ($4 IS NULL OR ts >= $4) AND ($5 IS NULL OR ts < $5) \
            ORDER BY id DESC LIMIT $6 OFFSET $7";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(q.actor.clone())
            .bind(q.action.clone())
            .bind(q.target.clone())
            .bind(q.from_ts)
            .bind(q.to_ts)
            .bind(q.limit)
            .bind(q.offset)
            .fetch_all(p)
            .await?))
    }
}
