//! Loading many rows at once: COPY on PostgreSQL, multi-row INSERTs on SQLite.

use sqlx::AssertSqlSafe;

use super::Tx;
use crate::StoreError;
use crate::value::{ColType, Value, bind_sqlite, copy_text};

/// Loads rows into a table: COPY on PostgreSQL, multi-row INSERTs on SQLite.
pub(crate) async fn bulk_insert(
    tx: &mut Tx,
    table: &str,
    spec_cols: &[(&str, ColType)],
    values: Vec<Value>,
) -> Result<(), StoreError> {
    // `values` holds the rows one after another, `spec_cols.len()` values each (no per-row Vec).
    let width = spec_cols.len();
    if values.is_empty() || width == 0 {
        return Ok(());
    }
    let cols: Vec<&str> = spec_cols.iter().map(|(n, _)| *n).collect();
    match tx {
        Tx::Pg(t) => {
            let mut buf = Vec::with_capacity(values.len() * 12);
            for row in values.chunks(width) {
                for (i, v) in row.iter().enumerate() {
                    if i > 0 {
                        buf.push(b'\t');
                    }
                    copy_text(&mut buf, v);
                }
                buf.push(b'\n');
            }
            let stmt = format!("COPY {} ({}) FROM STDIN", table, cols.join(", "));
            let mut copy = t.copy_in_raw(&stmt).await?;
            copy.send(buf).await?;
            copy.finish().await?;
        }
        Tx::Sqlite(t) => {
            // SQLite allows 32766 parameters per statement.
            let per = (30_000 / cols.len()).clamp(1, 1000);
            let mut values = values.into_iter().peekable();
            while values.peek().is_some() {
                // Owned values: strings are moved into the driver instead of copied.
                let chunk: Vec<Value> = values.by_ref().take(per * width).collect();
                let n_rows = chunk.len() / width;
                // OR FAIL: a failing row aborts without undoing the statement's earlier rows, so
                // SQLite keeps no statement journal (costly for multi-row inserts into indexed
                // tables); the whole transaction is rolled back on any error anyway.
                let mut sql = format!("INSERT OR FAIL INTO {} ({}) VALUES ", table, cols.join(", "));
                // Plain `?` here: SQLite looks `$N` names up linearly, quadratic for big statements.
                for r in 0..n_rows {
                    if r > 0 {
                        sql.push(',');
                    }
                    sql.push('(');
                    for c in 0..cols.len() {
                        if c > 0 {
                            sql.push(',');
                        }
                        sql.push('?');
                    }
                    sql.push(')');
                }
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (i, v) in chunk.into_iter().enumerate() {
                    q = bind_sqlite(q, v, spec_cols[i % width].1);
                }
                q.execute(&mut **t).await?;
            }
        }
    }
    Ok(())
}
