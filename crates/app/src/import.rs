//! Importing files: one file (`uplift import <kind> <file>`) or a folder recognised by file names
//! (`uplift import dir`). Every file is read and checked completely; all files of one run are
//! written in one transaction that commits only when no row is bad (unless `skip_invalid`, which
//! writes the good rows and puts the bad ones in a rejects CSV beside the input).

use serde::Serialize;
// FxHash: these sets hold a million ids on big imports, and SipHash showed in profiles.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::{Path, PathBuf};

use uplift_domain::Lang;
use uplift_domain::records::{ImportKind, Record};
use uplift_io::mapping::OwnerMatch;
use uplift_io::source::{Encoding, RawRow};
use uplift_io::{ColumnMap, Issue, Mapping, ParseContext, Problem, SourceFile, parse_record};
use uplift_store::{AffectedMonths, ImportTx, Store, StoreError};

use crate::AppError;
use crate::identity::{LinkReport, relink};
use crate::metrics::recompute;
use crate::settings::company_tz;

/// How many located problems a report keeps per file (all are counted).
pub const MAX_ISSUES_KEPT: usize = 1000;
const BATCH: usize = 20_000;

/// An import transaction whose batch writes run on a task of their own, so that parsing the next
/// batch overlaps with the database work (the SQLite driver works on its own thread).
struct Writer {
    idle: Option<ImportTx>,
    busy: Option<tokio::task::JoinHandle<(ImportTx, Result<(), StoreError>)>>,
}

impl Writer {
    fn new(tx: ImportTx) -> Writer {
        Writer {
            idle: Some(tx),
            busy: None,
        }
    }

    /// Waits for the write in flight, if any, and returns the transaction.
    async fn get(&mut self) -> Result<&mut ImportTx, AppError> {
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
    async fn write_behind(&mut self, batch: Vec<Record>) -> Result<(), AppError> {
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

    async fn into_inner(mut self) -> Result<ImportTx, AppError> {
        self.get().await?;
        self.idle
            .take()
            .ok_or_else(|| AppError::internal("import transaction lost".into()))
    }
}

/// Rejected rows of one file: (input path, header, rows with their reasons).
type Rejects = (PathBuf, Vec<String>, Vec<(RawRow, String)>);

/// One file to import.
#[derive(Debug, Clone)]
pub struct ImportFile {
    pub path: PathBuf,
    pub kind: ImportKind,
    pub mapping: Option<Mapping>,
    pub sheet: Option<String>,
}

/// What happened to one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub file: String,
    pub kind: ImportKind,
    pub encoding: Option<String>,
    pub rows_read: u64,
    pub inserted: u64,
    pub updated: u64,
    pub rejected: u64,
    /// Located problems (`file:line:column: reason`), at most [`MAX_ISSUES_KEPT`].
    #[serde(skip)]
    pub issues: Vec<Issue>,
    pub issue_count: u64,
    pub unknown_columns: Vec<String>,
    pub rejects_file: Option<PathBuf>,
    pub warnings: Vec<String>,
    /// Seconds spent reading, checking and writing this file (before the commit).
    pub seconds: f64,
    /// The first rows as they were read (field → value), for a preview before committing.
    pub preview: Vec<serde_json::Value>,
}

/// What happened to a whole import run.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub files: Vec<FileReport>,
    /// Whether anything was written.
    pub committed: bool,
    /// Files in a folder that were not recognised.
    pub skipped_files: Vec<String>,
    pub unmatched_crm_users: Vec<String>,
    pub employees_without_crm_user: Vec<String>,
    /// CRM users linked by name only (a warning): (CRM user id, employee number).
    pub name_matches: Vec<(String, String)>,
    /// Metric months recomputed after the import (keys `yyyymm`).
    pub recomputed_months: Vec<i32>,
    /// Seconds spent committing, and recomputing metrics.
    pub commit_seconds: f64,
    pub recompute_seconds: f64,
}

impl ImportReport {
    /// Every located problem of every file, rendered in `lang`.
    pub fn issue_lines(&self, lang: Lang) -> Vec<String> {
        self.files
            .iter()
            .flat_map(|f| f.issues.iter().map(move |i| i.render(lang)))
            .collect()
    }

    pub fn total_issues(&self) -> u64 {
        self.files.iter().map(|f| f.issue_count).sum()
    }
}

/// Reference data rows are checked against, growing as files of the same run are read.
#[derive(Default)]
struct Known {
    crm_ids: HashSet<String>,
    crm_by_email: HashMap<String, Vec<String>>,
    crm_by_name: HashMap<String, Vec<String>>,
    employees: HashSet<String>,
    courses: HashSet<String>,
}

impl Known {
    async fn load(store: &Store) -> Result<Known, AppError> {
        let mut k = Known::default();
        for u in store.crm_user_keys().await? {
            k.add_user(&u.source_id, &u.name, u.email.as_deref());
        }
        k.employees = store
            .employee_keys()
            .await?
            .into_iter()
            .map(|e| e.employee_no)
            .collect();
        k.courses = store.course_ids().await?.into_iter().collect();
        Ok(k)
    }

    fn add_user(&mut self, id: &str, name: &str, email: Option<&str>) {
        self.crm_ids.insert(id.to_string());
        // Re-importing a known user must not make its name or email look ambiguous.
        let add = |list: &mut Vec<String>| {
            if !list.iter().any(|x| x == id) {
                list.push(id.to_string());
            }
        };
        add(self.crm_by_name.entry(name.trim().to_string()).or_default());
        if let Some(e) = email {
            add(self.crm_by_email.entry(e.trim().to_lowercase()).or_default());
        }
    }

    fn learn(&mut self, r: &Record) {
        match r {
            Record::User(u) => self.add_user(&u.source_id, &u.name, u.email.as_deref()),
            Record::Employee(e) => {
                self.employees.insert(e.employee_no.clone());
            }
            Record::Course(c) => {
                self.courses.insert(c.course_id.clone());
            }
            _ => {}
        }
    }

    /// The CRM user id an owner cell names, by the mapping's matching rule.
    fn owner(&self, value: &str, how: OwnerMatch) -> Option<String> {
        let one = |v: Option<&Vec<String>>| match v.map(Vec::as_slice) {
            Some([one]) => Some(one.clone()),
            _ => None,
        };
        match how {
            OwnerMatch::Id => self.crm_ids.contains(value).then(|| value.to_string()),
            OwnerMatch::Email => one(self.crm_by_email.get(&value.trim().to_lowercase())),
            OwnerMatch::Name => one(self.crm_by_name.get(value.trim())),
        }
    }
}

/// Salesforce key prefixes of the objects Uplift imports.
const SF_PREFIXES: [(&str, &str); 6] = [
    ("005", "User"),
    ("001", "Account"),
    ("00Q", "Lead"),
    ("006", "Opportunity"),
    ("00T", "Task"),
    ("00U", "Event"),
];

/// Catches a file of one object imported as another: its ids carry the other object's prefix.
/// Ids that do not look like Salesforce ids (15 or 18 letters and digits) are not judged.
fn check_id_prefix(r: &Record) -> Result<(), (&'static str, Problem)> {
    let (id, expected) = match r {
        Record::User(u) => (&u.source_id, "User"),
        Record::Account(a) => (&a.source_id, "Account"),
        Record::Lead(l) => (&l.source_id, "Lead"),
        Record::Opportunity(o) => (&o.source_id, "Opportunity"),
        Record::Activity(a) if a.kind == uplift_domain::records::ActivityKind::Task => (&a.source_id, "Task"),
        Record::Activity(a) => (&a.source_id, "Event"),
        _ => return Ok(()),
    };
    if !(id.len() == 15 || id.len() == 18) || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(());
    }
    match SF_PREFIXES.iter().find(|(p, _)| id.starts_with(p)) {
        Some((_, found)) if *found != expected => Err((
            "Id",
            Problem::WrongIdPrefix {
                id: id.clone(),
                found: (*found).to_string(),
                expected: expected.to_string(),
            },
        )),
        _ => Ok(()),
    }
}

/// Checks a parsed record against reference data, resolving owners. Returns the field at fault.
fn check_references(r: &mut Record, known: &Known, how: OwnerMatch) -> Result<(), (&'static str, Problem)> {
    let owner = |field: &'static str, v: &mut String| match how {
        // The common case: the cell already is the CRM user id; nothing to rewrite.
        OwnerMatch::Id if known.crm_ids.contains(v.as_str()) => Ok(()),
        _ => match known.owner(v, how) {
            Some(id) => {
                *v = id;
                Ok(())
            }
            None => Err((
                field,
                Problem::UnknownOwner {
                    field: field.into(),
                    value: v.clone(),
                },
            )),
        },
    };
    let employee = |no: &str| {
        if known.employees.contains(no) {
            Ok(())
        } else {
            Err((
                "employee_no",
                Problem::UnknownEmployee {
                    field: "employee_no".into(),
                    value: no.into(),
                },
            ))
        }
    };
    match r {
        Record::Lead(l) => owner("OwnerId", &mut l.owner_id),
        Record::Opportunity(o) => owner("OwnerId", &mut o.owner_id),
        Record::Activity(a) => owner("OwnerId", &mut a.owner_id),
        Record::Account(a) => match &mut a.owner_id {
            Some(o) if known.owner(o, how).is_some() => {
                *o = known.owner(o, how).unwrap_or_default();
                Ok(())
            }
            // An account owner we do not know is kept as written; accounts carry no metrics.
            _ => Ok(()),
        },
        Record::Target(t) => employee(&t.employee_no),
        Record::Appraisal(a) => employee(&a.employee_no),
        Record::Capacity(c) => employee(&c.employee_no),
        Record::Leave(l) => employee(&l.employee_no),
        Record::NewLead(_) => Ok(()),
        Record::Enrollment(e) => {
            employee(&e.employee_no)?;
            if known.courses.contains(&e.course_id) {
                Ok(())
            } else {
                Err((
                    "course_id",
                    Problem::UnknownCourse {
                        value: e.course_id.clone(),
                    },
                ))
            }
        }
        _ => Ok(()),
    }
}

/// Imports one file of a known kind.
pub async fn import_file(
    store: &Store,
    file: ImportFile,
    skip_invalid: bool,
    progress: &(dyn Fn(&str, u64) + Sync),
) -> Result<ImportReport, AppError> {
    import_files(store, vec![file], Vec::new(), skip_invalid, progress).await
}

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

/// Imports several files in one transaction, in the order given.
pub async fn import_files(
    store: &Store,
    files: Vec<ImportFile>,
    skipped_files: Vec<String>,
    skip_invalid: bool,
    progress: &(dyn Fn(&str, u64) + Sync),
) -> Result<ImportReport, AppError> {
    run_import(store, files, skipped_files, skip_invalid, false, progress).await
}

/// Reads and checks files exactly as an import would — every row, every reference, the counts it
/// would insert and update — then rolls back: nothing is written and nothing enters the history.
pub async fn check_files(
    store: &Store,
    files: Vec<ImportFile>,
    progress: &(dyn Fn(&str, u64) + Sync),
) -> Result<ImportReport, AppError> {
    run_import(store, files, Vec::new(), false, true, progress).await
}

/// How many parsed rows a report keeps for the preview.
pub const PREVIEW_ROWS: usize = 10;

async fn run_import(
    store: &Store,
    files: Vec<ImportFile>,
    skipped_files: Vec<String>,
    skip_invalid: bool,
    dry_run: bool,
    progress: &(dyn Fn(&str, u64) + Sync),
) -> Result<ImportReport, AppError> {
    let tz = company_tz(store).await?;
    let ctx = ParseContext { tz };
    let mut known = Known::load(store).await?;
    let mut tx = Writer::new(store.begin_import(tz).await?);
    let mut reports = Vec::new();
    let mut failed = false;
    let mut affected = AffectedMonths::None;
    let mut rejects: Vec<Rejects> = Vec::new();
    let started = chrono::Utc::now().timestamp();

    for f in files {
        let name = f
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut rep = FileReport {
            file: name.clone(),
            kind: f.kind,
            encoding: None,
            rows_read: 0,
            inserted: 0,
            updated: 0,
            rejected: 0,
            issues: Vec::new(),
            issue_count: 0,
            unknown_columns: Vec::new(),
            rejects_file: None,
            warnings: Vec::new(),
            seconds: 0.0,
            preview: Vec::new(),
        };
        let file_started = std::time::Instant::now();
        let sheet = f
            .sheet
            .clone()
            .or_else(|| f.mapping.as_ref().and_then(|m| m.sheet.clone()));
        let opened = SourceFile::open(&f.path, sheet.as_deref()).and_then(|src| {
            let map = ColumnMap::new(f.kind, &src.name, &src.headers, f.mapping.as_ref())?;
            Ok((src, map))
        });
        let (src, map) = match opened {
            Ok(x) => x,
            Err(issue) => {
                rep.issue_count = 1;
                rep.issues.push(issue);
                reports.push(rep);
                failed = true;
                continue;
            }
        };
        rep.encoding = Some(match src.encoding {
            Encoding::Utf8 => "UTF-8".into(),
            Encoding::Gb18030 => "GBK/GB18030".into(),
        });
        rep.unknown_columns = map.unknown_columns.clone();
        let owner_match = f.mapping.as_ref().map(|m| m.owner_match).unwrap_or_default();
        tx.get().await?.start_kind(f.kind, &map.present_fields()).await?;
        let mut batch: Vec<Record> = Vec::with_capacity(BATCH);
        let mut seen: HashMap<String, u64> = HashMap::default();
        let mut bad_rows: Vec<(RawRow, String)> = Vec::new();
        let mut line_issue: Option<Issue> = None;
        let mut rows = src.rows();
        loop {
            let row = match rows.next() {
                None => break,
                Some(Err(issue)) => {
                    line_issue = Some(issue);
                    break;
                }
                Some(Ok(row)) => row,
            };
            rep.rows_read += 1;
            let result = parse_record(&map, &row, ctx).and_then(|mut rec| {
                check_id_prefix(&rec)
                    .and_then(|_| check_references(&mut rec, &known, owner_match))
                    .map_err(|(field, mut problem)| {
                        let column = map.column_of(&row, field);
                        if let Some(h) = column.and_then(|c| c.checked_sub(1)).and_then(|i| map.headers.get(i)) {
                            problem.name_field_as(h);
                        }
                        Issue {
                            file: name.clone(),
                            line: Some(row.line),
                            column,
                            problem,
                        }
                    })?;
                let key = rec.key();
                if let Some(first) = seen.get(&key) {
                    return Err(Issue {
                        file: name.clone(),
                        line: Some(row.line),
                        column: None,
                        problem: Problem::DuplicateId {
                            id: key,
                            first_line: *first,
                        },
                    });
                }
                seen.insert(key, row.line);
                Ok(rec)
            });
            match result {
                Ok(rec) => {
                    if rep.preview.len() < PREVIEW_ROWS {
                        rep.preview.push(serde_json::to_value(&rec).unwrap_or_default());
                    }
                    known.learn(&rec);
                    // Once a row is bad (and bad rows are not skipped) nothing more is written.
                    if !failed && (skip_invalid || rep.issue_count == 0) {
                        batch.push(rec);
                    }
                }
                Err(issue) => {
                    rep.issue_count += 1;
                    rep.rejected += 1;
                    if skip_invalid {
                        bad_rows.push((row, issue.problem.render(Lang::Zh)));
                    } else {
                        batch.clear();
                    }
                    if rep.issues.len() < MAX_ISSUES_KEPT {
                        rep.issues.push(issue);
                    }
                }
            }
            if batch.len() >= BATCH {
                // Written in the background while the next batch is parsed.
                tx.write_behind(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                    .await?;
                progress(&name, rep.rows_read);
            }
        }
        if !failed && (skip_invalid || rep.issue_count == 0) {
            tx.write_behind(std::mem::take(&mut batch)).await?;
        }
        progress(&name, rep.rows_read);
        if let Some(issue) = line_issue {
            // A broken CSV structure hides what follows it, so the file cannot be partly taken.
            rep.issue_count += 1;
            rep.issues.push(issue);
            failed = true;
        }
        if rep.issue_count > 0 && !skip_invalid {
            failed = true;
        }
        if rep.rows_read == 0 && rep.issue_count == 0 {
            rep.warnings
                .push(format!("{name}: 只有表头，没有数据行 / header only, no data rows"));
        }
        if !failed {
            let counts = tx.get().await?.finish_kind().await?;
            rep.inserted = counts.inserted;
            rep.updated = counts.updated;
            affected = affected.union(counts.affected);
        }
        rep.seconds = file_started.elapsed().as_secs_f64();
        if skip_invalid && !bad_rows.is_empty() {
            rejects.push((f.path.clone(), src.headers.clone(), bad_rows));
        }
        reports.push(rep);
    }

    let finished = chrono::Utc::now().timestamp();
    let mut report = ImportReport {
        files: reports,
        committed: false,
        skipped_files,
        unmatched_crm_users: Vec::new(),
        employees_without_crm_user: Vec::new(),
        name_matches: Vec::new(),
        recomputed_months: Vec::new(),
        commit_seconds: 0.0,
        recompute_seconds: 0.0,
    };
    if failed || dry_run {
        tx.into_inner().await?.rollback().await?;
        if dry_run {
            return Ok(report);
        }
    } else {
        let t = std::time::Instant::now();
        let mut inner = tx.into_inner().await?;
        inner.mark_pending(&affected).await?;
        inner.commit().await?;
        report.commit_seconds = t.elapsed().as_secs_f64();
        report.committed = true;
        for (path, headers, rows) in rejects {
            let out = rejects_path(&path);
            write_rejects(&out, &headers, &rows)?;
            if let Some(r) = report
                .files
                .iter_mut()
                .find(|r| path.file_name().is_some_and(|n| n.to_string_lossy() == r.file))
            {
                r.rejects_file = Some(out);
            }
        }
        let links: LinkReport = relink(store).await?;
        report.unmatched_crm_users = links.unmatched_crm_users;
        report.employees_without_crm_user = links.employees_without_crm_user;
        report.name_matches = links.name_matches;
        let t = std::time::Instant::now();
        report.recomputed_months = recompute(store, &affected).await?;
        report.recompute_seconds = t.elapsed().as_secs_f64();
    }
    for r in &report.files {
        let status = if report.committed {
            "committed"
        } else if r.issue_count > 0 {
            "rejected"
        } else {
            "rolled_back"
        };
        let json = serde_json::to_string(&serde_json::json!({
            "issues": r.issues.iter().take(100).map(|i| i.render(Lang::Zh)).collect::<Vec<_>>(),
            "issue_count": r.issue_count,
            "unknown_columns": r.unknown_columns,
        }))
        .unwrap_or_default();
        store
            .record_import(
                r.kind.as_str(),
                &r.file,
                started,
                finished,
                status,
                (
                    r.rows_read as i64,
                    r.inserted as i64,
                    r.updated as i64,
                    r.rejected as i64,
                ),
                &json,
            )
            .await?;
    }
    Ok(report)
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
fn write_rejects(out: &Path, headers: &[String], rows: &[(RawRow, String)]) -> Result<(), AppError> {
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
