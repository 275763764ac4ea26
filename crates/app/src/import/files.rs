//! Which files an import reads (a folder recognised by file names, a manifest with mappings) and
//! where rejected rows go.

use std::path::{Path, PathBuf};

use uplift_domain::records::ImportKind;
use uplift_io::source::RawRow;
use uplift_io::{Issue, Mapping, Problem};

use super::ImportFile;
use crate::AppError;

/// Finds the importable files of a folder by name (`Lead.csv`, `roster.xlsx`, `花名册.csv`, …),
/// in the order they must load. Returns them and the names of files that were not recognised.
pub fn files_in_dir(dir: &Path) -> Result<(Vec<ImportFile>, Vec<String>), AppError> {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ext = p
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if !matches!(ext.as_str(), "csv" | "xlsx" | "xlsm" | "txt") || name.ends_with(".rejects.csv") {
            if !name.starts_with('.') {
                skipped.push(name);
            }
            continue;
        }
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match ImportKind::from_file_stem(&stem) {
            Some(kind) => found.push(ImportFile {
                path: p,
                kind,
                mapping: None,
                sheet: None,
            }),
            None => skipped.push(name),
        }
    }
    found.sort_by_key(|f| (ImportKind::ALL.iter().position(|k| *k == f.kind), f.path.clone()));
    Ok((found, skipped))
}

/// `Lead.csv` → `Lead.rejects.csv` beside it.
pub fn rejects_path(input: &Path) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    input.with_file_name(format!("{stem}.rejects.csv"))
}

/// Writes rejected rows as UTF-8 CSV (with BOM, so Excel reads it) with the reason appended.
pub(super) fn write_rejects(out: &Path, headers: &[String], rows: &[(RawRow, String)]) -> Result<(), AppError> {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new().flexible(true).from_writer(&mut bytes);
        let mut h: Vec<String> = vec!["line".into()];
        h.extend(headers.iter().cloned());
        h.push("error".into());
        w.write_record(&h).map_err(|e| AppError::internal(e.to_string()))?;
        for (row, reason) in rows {
            let mut rec: Vec<String> = vec![row.line.to_string()];
            rec.extend(row.cells.iter().map(str::to_string));
            rec.push(reason.clone());
            w.write_record(&rec).map_err(|e| AppError::internal(e.to_string()))?;
        }
        w.flush()?;
    }
    std::fs::write(out, bytes)?;
    Ok(())
}

/// An import manifest: several files with their kinds and mappings, imported in one transaction.
///
/// ```toml
/// [[file]]
/// path = "data/sales_teams.csv"   # relative to the manifest's folder
/// kind = "roster"
/// mapping = "roster.toml"         # optional, relative to the manifest's folder
/// sheet = "Sheet1"                # optional
/// ```
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    file: Vec<ManifestFile>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    path: PathBuf,
    kind: String,
    mapping: Option<PathBuf>,
    sheet: Option<String>,
}

/// Reads an import manifest into the files it lists, in order.
pub fn files_in_manifest(manifest: &Path) -> Result<Vec<ImportFile>, AppError> {
    let name = manifest.display().to_string();
    let text = std::fs::read_to_string(manifest).map_err(|e| Issue::file(&name, Problem::Unreadable(e.to_string())))?;
    let m: Manifest = toml::from_str(&text).map_err(|e| Issue::file(&name, Problem::BadMapping(e.to_string())))?;
    let base = manifest.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for f in m.file {
        let kind = ImportKind::parse(&f.kind)
            .ok_or_else(|| Issue::file(&name, Problem::BadMapping(format!("unknown kind \"{}\"", f.kind))))?;
        let mapping = match &f.mapping {
            Some(p) => Some(Mapping::load(&base.join(p), Some(kind))?),
            None => None,
        };
        out.push(ImportFile {
            path: base.join(&f.path),
            kind,
            mapping,
            sheet: f.sheet,
        });
    }
    Ok(out)
}
