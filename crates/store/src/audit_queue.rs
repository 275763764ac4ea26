//! Audit entries of reads, written in batches by one background task so that a page or API read
//! never waits on the database's write lock (an import can hold it for a minute on SQLite).
//! Changes are audited synchronously beside the change ([`Store::insert_audit`]); reads go here.
//!
//! Nothing queued is lost on an orderly stop: [`Store::close`] and every audit search flush the
//! queue first. A crash loses at most the entries of the last fraction of a second.

use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

use crate::conn::{BeginWrite, Pool, on_pool};
use crate::{Store, StoreError};

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub ts: i64,
    pub actor: String,
    pub role: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
}

enum Msg {
    Entry(AuditEntry),
    /// Answered once everything queued before it is written.
    Flush(oneshot::Sender<()>),
}

/// At most this many entries go into one transaction.
const BATCH: usize = 500;
/// A batch that cannot be written is retried this many times (a write lock held longer than the
/// busy timeout, a PostgreSQL restart) before its entries are logged as lost.
const ATTEMPTS: u32 = 6;

/// The sending side, shared by every clone of a [`Store`]; the writer starts on first use, on the
/// runtime of that first caller.
#[derive(Clone, Default)]
pub(crate) struct AuditQueue(Arc<OnceLock<mpsc::UnboundedSender<Msg>>>);

impl AuditQueue {
    fn sender(&self, pool: &Pool) -> &mpsc::UnboundedSender<Msg> {
        self.0.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(write_loop(pool.clone(), rx));
            tx
        })
    }
}

impl Store {
    /// Queues an audit entry of a read; returns at once. When the writer is gone (its runtime
    /// ended), the entry is written here instead.
    pub async fn queue_audit(&self, entry: AuditEntry) -> Result<(), StoreError> {
        match self.audit_queue.sender(&self.pool).send(Msg::Entry(entry)) {
            Ok(()) => Ok(()),
            Err(mpsc::error::SendError(Msg::Entry(e))) => write_batch(&self.pool, &[e]).await,
            Err(_) => Ok(()),
        }
    }

    /// Waits until every audit entry queued so far is in the database.
    pub async fn flush_audit(&self) {
        let Some(tx) = self.audit_queue.0.get() else {
            return;
        };
        let (done, wait) = oneshot::channel();
        if tx.send(Msg::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }
}

async fn write_loop(pool: Pool, mut rx: mpsc::UnboundedReceiver<Msg>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut flushes = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Entry(e) => batch.push(e),
                Msg::Flush(done) => flushes.push(done),
            }
            if batch.len() < BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            let mut attempt = 0;
            while let Err(e) = write_batch(&pool, &batch).await {
                attempt += 1;
                if attempt >= ATTEMPTS {
                    tracing::error!(error = %e, lost = batch.len(), "audit entries could not be written");
                    break;
                }
                tracing::warn!(error = %e, attempt, "audit batch not written yet; retrying");
                tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
            }
            batch.clear();
        }
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Writes entries in one transaction.
async fn write_batch(pool: &Pool, entries: &[AuditEntry]) -> Result<(), StoreError> {
    let sql = "INSERT INTO audit_log (ts, actor, role, action, target, detail, ip) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let store = Store {
        pool: pool.clone(),
        audit_queue: AuditQueue::default(),
    };
    on_pool!(store, |p| {
        let mut tx = p.begin_write().await?;
        for e in entries {
            sqlx::query(sql)
                .bind(e.ts)
                .bind(&e.actor)
                .bind(&e.role)
                .bind(&e.action)
                .bind(&e.target)
                .bind(&e.detail)
                .bind(&e.ip)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    });
    Ok(())
}
