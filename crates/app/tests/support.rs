use std::path::{Path, PathBuf};

use uplift_app::import::{ImportFile, ImportReport, files_in_dir, import_files};
use uplift_app::metrics::{Format, Level, render_metrics};
use uplift_domain::records::ImportKind;
use uplift_io::Mapping;
use uplift_store::{MetricFilter, Store};

pub fn golden_dir() -> PathBuf {
    uplift_testkit::golden_dir()
}

pub fn no_progress(_: &str, _: u64) {}

pub async fn import_dir(store: &Store, dir: &Path) -> ImportReport {
    let (files, skipped) = files_in_dir(dir).expect("list folder");
    import_files(store, files, skipped, false, &no_progress)
        .await
        .expect("import runs")
}

pub async fn import_one(store: &Store, path: &Path, kind: ImportKind, skip_invalid: bool) -> ImportReport {
    import_one_mapped(store, path, kind, None, skip_invalid).await
}

pub async fn import_one_mapped(
    store: &Store,
    path: &Path,
    kind: ImportKind,
    mapping: Option<Mapping>,
    skip_invalid: bool,
) -> ImportReport {
    let file = ImportFile {
        path: path.to_path_buf(),
        kind,
        mapping,
        sheet: None,
    };
    import_files(store, vec![file], Vec::new(), skip_invalid, &no_progress)
        .await
        .expect("import runs")
}

pub async fn metrics_csv(store: &Store) -> String {
    render_metrics(
        store,
        &MetricFilter::default(),
        Level::Employee,
        Format::Csv,
        uplift_domain::Lang::En,
    )
    .await
    .expect("metrics")
}

pub async fn count(store: &Store, table: &str) -> i64 {
    store
        .counts()
        .await
        .expect("counts")
        .into_iter()
        .find(|(t, _)| *t == table)
        .map(|(_, n)| n)
        .expect("table")
}

/// Copies the golden input files into `dir` so a test can alter them.
pub fn copy_golden(dir: &Path) {
    for e in std::fs::read_dir(golden_dir()).expect("golden dir") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "csv") && !p.ends_with("expected_metrics.csv") {
            std::fs::copy(&p, dir.join(p.file_name().expect("name"))).expect("copy");
        }
    }
}

/// Parses CSV text into (header, rows).
pub fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h = r.headers().expect("header").iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|x| x.expect("record").iter().map(str::to_string).collect())
        .collect();
    (h, rows)
}
