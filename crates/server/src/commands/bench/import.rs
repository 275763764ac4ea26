//! `uplift bench import`: import a generated folder and report rows per second for each file.

use anyhow::Result;
use std::path::Path;
use std::time::Instant;

use uplift_app::import::{files_in_dir, import_files};
use uplift_domain::Lang;

use super::machine;
use crate::cli::Cli;

pub(super) async fn import(cli: &Cli, dir: &Path, lang: Lang) -> Result<i32> {
    let store = crate::cli::open(cli, "uplift.db").await?;
    println!("machine: {}", machine());
    println!("database: {:?}", store.dialect());
    let (files, skipped) = files_in_dir(dir).map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    let t = Instant::now();
    let started = std::sync::Mutex::new((String::new(), Instant::now()));
    let report = import_files(&store, files, skipped, false, &|file, rows| {
        let mut s = started.lock().expect("lock");
        if s.0 != file {
            *s = (file.to_string(), Instant::now());
        }
        let secs = s.1.elapsed().as_secs_f64();
        if rows > 0 && secs > 0.5 {
            eprint!("\r{file}: {rows} rows, {:.0} rows/s   ", rows as f64 / secs);
        }
    })
    .await
    .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    eprintln!();
    let total = t.elapsed().as_secs_f64();
    let rows: u64 = report.files.iter().map(|f| f.rows_read).sum();
    for f in &report.files {
        println!(
            "{:<20} {:>10} rows {:>8.2} s {:>10.0} rows/s",
            f.file,
            f.rows_read,
            f.seconds,
            f.rows_read as f64 / f.seconds.max(1e-9)
        );
    }
    println!(
        "commit {:.2} s; metric recompute {:.2} s",
        report.commit_seconds, report.recompute_seconds
    );
    println!(
        "imported {rows} rows in {total:.2} s ({:.0} rows/s overall, including metric recompute of {} months); committed: {}",
        rows as f64 / total,
        report.recomputed_months.len(),
        report.committed
    );
    store.close().await;
    Ok(if report.committed { 0 } else { 1 })
}
