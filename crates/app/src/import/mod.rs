//! Importing files: one file (`uplift import <kind> <file>`) or a folder recognised by file names
//! (`uplift import dir`). Every file is read and checked completely; all files of one run are
//! written in one transaction that commits only when no row is bad (unless `skip_invalid`, which
//! writes the good rows and puts the bad ones in a rejects CSV beside the input).

mod checks;
mod files;
mod payroll_checks;
mod writer;

use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;
use std::path::PathBuf;

use uplift_domain::Lang;
use uplift_domain::records::{ImportKind, Record};
use uplift_io::mapping::OwnerMatch;
use uplift_io::source::{Encoding, RawRow};
use uplift_io::{ColumnMap, Issue, Mapping, ParseContext, Problem, SourceFile, parse_record};
use uplift_store::{AffectedMonths, NewImportRecord, Store};

use crate::AppError;
use crate::identity::{LinkReport, relink};
use crate::metrics::recompute;
use crate::settings::company_tz;
use checks::{Known, SplitTotals, check_id_prefix, check_references};
use files::write_rejects;
pub use files::{files_in_dir, files_in_manifest, rejects_path};
use writer::Writer;

/// How many located problems a report keeps per file (all are counted).
pub const MAX_ISSUES_KEPT: usize = 1000;
const BATCH: usize = 20_000;

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
    /// People whose draft commission rose with this import (they were told).
    pub commission_moved: Vec<crate::commission::Moved>,
    /// Why the commission drafts could not be updated, when they could not.
    pub commission_error: Option<String>,
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

/// Imports one file of a known kind.
pub async fn import_file(
    store: &Store,
    file: ImportFile,
    skip_invalid: bool,
    progress: &(dyn Fn(&str, u64) + Sync),
) -> Result<ImportReport, AppError> {
    import_files(store, vec![file], Vec::new(), skip_invalid, progress).await
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
    let mut known = Known::load(store).await?;
    if files
        .iter()
        .any(|f| matches!(f.kind, ImportKind::Payment | ImportKind::OpportunitySplit))
    {
        known.load_deals(store).await?;
    }
    if files.iter().any(|f| f.kind == ImportKind::IitDeduction) {
        known.payroll_policies = Some(crate::payroll::policy_set(store).await?);
    }
    let mut run = Run {
        tx: Writer::new(store.begin_import(tz).await?),
        known,
        ctx: ParseContext { tz },
        limits: crate::settings::read_limits(store).await?,
        skip_invalid,
        failed: false,
        affected: AffectedMonths::None,
        rejects: Vec::new(),
        progress,
    };
    let started = chrono::Utc::now().timestamp();
    let mut reports = Vec::new();
    for f in files {
        reports.push(run.file(f).await?);
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
        commission_moved: Vec::new(),
        commission_error: None,
    };
    if run.failed || dry_run {
        run.tx.into_inner().await?.rollback().await?;
        if !dry_run {
            for row in history_rows(&report, started, finished) {
                store.record_import(&row).await?;
            }
        }
    } else {
        commit(store, run, &mut report, started, finished).await?;
    }
    Ok(report)
}

/// One import run in progress: its transaction, what rows are checked against, and what it did.
struct Run<'a> {
    tx: Writer,
    known: Known,
    ctx: ParseContext,
    limits: uplift_io::source::ReadLimits,
    skip_invalid: bool,
    /// A file or row was bad (and bad rows are not skipped): nothing will be committed.
    failed: bool,
    affected: AffectedMonths,
    rejects: Vec<Rejects>,
    progress: &'a (dyn Fn(&str, u64) + Sync),
}

impl Run<'_> {
    /// Reads, checks and writes one file of the run.
    async fn file(&mut self, f: ImportFile) -> Result<FileReport, AppError> {
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
        let opened = SourceFile::open_with(&f.path, sheet.as_deref(), &self.limits).and_then(|src| {
            let map = ColumnMap::new(f.kind, &src.name, &src.headers, f.mapping.as_ref())?;
            Ok((src, map))
        });
        let (src, map) = match opened {
            Ok(x) => x,
            Err(issue) => {
                rep.issue_count = 1;
                rep.issues.push(issue);
                self.failed = true;
                return Ok(rep);
            }
        };
        rep.encoding = Some(match src.encoding {
            Encoding::Utf8 => "UTF-8".into(),
            Encoding::Gb18030 => "GBK/GB18030".into(),
        });
        rep.unknown_columns = map.unknown_columns.clone();
        let owner_match = f.mapping.as_ref().map(|m| m.owner_match).unwrap_or_default();
        self.tx.get().await?.start_kind(f.kind, &map.present_fields()).await?;
        let (bad_rows, line_issue) = self.rows(&mut rep, &src, &map, owner_match).await?;
        if let Some(issue) = line_issue {
            // A broken CSV structure hides what follows it, so the file cannot be partly taken.
            rep.issue_count += 1;
            rep.issues.push(issue);
            self.failed = true;
        }
        if rep.issue_count > 0 && !self.skip_invalid {
            self.failed = true;
        }
        if rep.rows_read == 0 && rep.issue_count == 0 {
            rep.warnings
                .push(format!("{name}: 只有表头，没有数据行 / header only, no data rows"));
        }
        if !self.failed {
            let counts = self.tx.get().await?.finish_kind().await?;
            rep.inserted = counts.inserted;
            rep.updated = counts.updated;
            self.affected = std::mem::take(&mut self.affected).union(counts.affected);
        }
        rep.seconds = file_started.elapsed().as_secs_f64();
        if self.skip_invalid && !bad_rows.is_empty() {
            self.rejects.push((f.path.clone(), src.headers.clone(), bad_rows));
        }
        Ok(rep)
    }

    /// Every row of a file: parsed, checked (ids, references, duplicates), and written in batches
    /// behind the parsing. Returns the rejected rows (when they are skipped) and the structural
    /// problem that stopped the reading, if one did.
    async fn rows(
        &mut self,
        rep: &mut FileReport,
        src: &SourceFile,
        map: &ColumnMap,
        owner_match: OwnerMatch,
    ) -> Result<(Vec<(RawRow, String)>, Option<Issue>), AppError> {
        let name = rep.file.clone();
        let mut batch: Vec<Record> = Vec::with_capacity(BATCH);
        let mut seen: HashMap<String, u64> = HashMap::default();
        let mut bad_rows: Vec<(RawRow, String)> = Vec::new();
        let mut line_issue: Option<Issue> = None;
        let mut splits = SplitTotals::default();
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
            let known = &self.known;
            let result = parse_record(map, &row, self.ctx).and_then(|mut rec| {
                check_id_prefix(&rec)
                    .and_then(|_| check_references(&mut rec, known, owner_match))
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
                splits.add(&rec, row.line);
                Ok(rec)
            });
            match result {
                Ok(rec) => {
                    if rep.preview.len() < PREVIEW_ROWS {
                        rep.preview.push(serde_json::to_value(&rec).unwrap_or_default());
                    }
                    self.known.learn(&rec);
                    // Once a row is bad (and bad rows are not skipped) nothing more is written.
                    if !self.failed && (self.skip_invalid || rep.issue_count == 0) {
                        batch.push(rec);
                    }
                }
                Err(issue) => {
                    rep.issue_count += 1;
                    rep.rejected += 1;
                    if self.skip_invalid {
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
                self.tx
                    .write_behind(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                    .await?;
                (self.progress)(&name, rep.rows_read);
            }
        }
        // Split shares are checked per deal over the whole file; their rows may already be
        // written, so a deal that does not add up fails the file (rolled back) even when bad rows
        // are otherwise skipped.
        let column = map.column_of_field("SplitPercentage");
        for (line, problem) in splits.problems() {
            rep.issue_count += 1;
            self.failed = true;
            if rep.issues.len() < MAX_ISSUES_KEPT {
                rep.issues.push(Issue {
                    file: name.clone(),
                    line: Some(line),
                    column,
                    problem,
                });
            }
        }
        if !self.failed && (self.skip_invalid || rep.issue_count == 0) {
            self.tx.write_behind(std::mem::take(&mut batch)).await?;
        }
        (self.progress)(&name, rep.rows_read);
        Ok((bad_rows, line_issue))
    }
}

/// Commits a run that had nothing bad — its history rows and its metric months marked pending in
/// the same transaction, so a crash after the commit leaves a record and months to repair — writes
/// the rejects files, relinks CRM users and recomputes the months.
async fn commit(
    store: &Store,
    run: Run<'_>,
    report: &mut ImportReport,
    started: i64,
    finished: i64,
) -> Result<(), AppError> {
    let t = std::time::Instant::now();
    let mut inner = run.tx.into_inner().await?;
    inner.mark_pending(&run.affected).await?;
    report.committed = true;
    for row in history_rows(report, started, finished) {
        inner.record_import(&row).await?;
    }
    crate::failpoint::hit(crate::failpoint::IMPORT_BEFORE_COMMIT);
    inner.commit().await?;
    crate::failpoint::hit(crate::failpoint::IMPORT_AFTER_COMMIT);
    report.commit_seconds = t.elapsed().as_secs_f64();
    for (path, headers, rows) in run.rejects {
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
    report.recomputed_months = recompute(store, &run.affected).await?;
    report.recompute_seconds = t.elapsed().as_secs_f64();
    // Commission drafts move at once with the deals, splits, targets and roster they rest on. The
    // import is committed already: a draft that cannot be computed (two plans tie) is reported,
    // not a failed import; the next `uplift commission run` names the problem again.
    let credit_kinds = [
        ImportKind::Opportunity,
        ImportKind::OpportunitySplit,
        ImportKind::Payment,
        ImportKind::Target,
        ImportKind::Roster,
        ImportKind::User,
    ];
    if report.files.iter().any(|f| credit_kinds.contains(&f.kind)) {
        // The import's own months, not the metric recompute's (clipped to months with CRM data): a
        // month's payments or targets alone must move its draft too.
        match crate::commission::after_import(store, &run.affected).await {
            Ok(moved) => report.commission_moved = moved,
            Err(e) => report.commission_error = Some(e.to_string()),
        }
    }
    Ok(())
}

/// One history row per file: committed, rejected or rolled back, with its counts and problems.
fn history_rows(report: &ImportReport, started: i64, finished: i64) -> Vec<NewImportRecord> {
    report
        .files
        .iter()
        .map(|r| {
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
            NewImportRecord {
                kind: r.kind.as_str().to_string(),
                file_name: r.file.clone(),
                started_ts: started,
                finished_ts: finished,
                status: status.to_string(),
                rows_read: r.rows_read as i64,
                inserted: r.inserted as i64,
                updated: r.updated as i64,
                rejected: r.rejected as i64,
                report_json: json,
            }
        })
        .collect()
}
