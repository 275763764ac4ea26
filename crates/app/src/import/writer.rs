//! The import transaction behind a writer task: batches are written while the next is parsed.

use uplift_domain::records::Record;
use uplift_store::{ImportTx, StoreError};

use crate::AppError;

/// An import transaction whose batch writes run on a task of their own, so that parsing the next
/// batch overlaps with the database work (the SQLite driver works on its own thread).
pub(super) struct Writer {
    idle: Option<ImportTx>,
    busy: Option<tokio::task::JoinHandle<(ImportTx, Result<(), StoreError>)>>,
}

impl Writer {
    pub(super) fn new(tx: ImportTx) -> Writer {
        Writer {
            idle: Some(tx),
            busy: None,
        }
    }

    /// Waits for the write in flight, if any, and returns the transaction.
    pub(super) async fn get(&mut self) -> Result<&mut ImportTx, AppError> {
        if let Some(h) = self.busy.take() {
            let (tx, result) = h
                .await
                .map_err(|e| AppError::internal(format!("import writer stopped: {e}")))?;
            self.idle = Some(tx);
            result?;
        }
        self.idle
            .as_mut()
            .ok_or_else(|| AppError::internal("import transaction lost".into()))
    }

    /// Starts writing a batch once the previous one is done.
    pub(super) async fn write_behind(&mut self, batch: Vec<Record>) -> Result<(), AppError> {
        self.get().await?;
        let mut tx = self
            .idle
            .take()
            .ok_or_else(|| AppError::internal("import transaction lost".into()))?;
        self.busy = Some(tokio::spawn(async move {
            let result = tx.write(batch).await;
            (tx, result)
        }));
        Ok(())
    }

    pub(super) async fn into_inner(mut self) -> Result<ImportTx, AppError> {
        self.get().await?;
        self.idle
            .take()
            .ok_or_else(|| AppError::internal("import transaction lost".into()))
    }
}
