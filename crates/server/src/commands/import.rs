//! `uplift import`: import files into the database and print the report.

use anyhow::{Result, bail};
use uplift_app::import::{ImportFile, ImportReport, files_in_dir, files_in_manifest, import_files};
use uplift_domain::Lang;
use uplift_domain::records::ImportKind;
use uplift_io::Mapping;
use uplift_store::Store;

use crate::cli::{ImportArgs, spinner};

pub(crate) async fn import(store: &Store, a: &ImportArgs, lang: Lang) -> Result<i32> {
    let (files, skipped) = if a.kind == "manifest" {
        (
            files_in_manifest(&a.path).map_err(|e| anyhow::anyhow!(e.render(lang)))?,
            Vec::new(),
        )
    } else if a.kind == "dir" {
        if !a.path.is_dir() {
            bail!("{}: {}", a.path.display(), lang.pick("不是文件夹", "is not a folder"));
        }
        if a.mapping.is_some() {
            bail!(
                "{}",
                lang.pick(
                    "--mapping 只能用于单个文件",
                    "--mapping applies to a single file, not to `import dir`"
                )
            );
        }
        files_in_dir(&a.path).map_err(|e| anyhow::anyhow!(e.render(lang)))?
    } else {
        let kind = match ImportKind::parse(&a.kind) {
            Some(k) => k,
            None => bail!(
                "{} \"{}\"; {}: dir, manifest, {}",
                lang.pick("未知的导入类型", "unknown import kind"),
                a.kind,
                lang.pick("可选", "choose from"),
                ImportKind::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        match std::fs::metadata(&a.path) {
            Err(_) => bail!("{}: {}", a.path.display(), lang.pick("文件不存在", "no such file")),
            Ok(m) if m.is_dir() => bail!(
                "{}: {}",
                a.path.display(),
                lang.pick(
                    "是文件夹；导入整个文件夹请用 uplift import dir",
                    "is a folder; import a whole folder with uplift import dir"
                )
            ),
            Ok(m) if !m.is_file() => bail!(
                "{}: {}",
                a.path.display(),
                lang.pick(
                    "不是普通文件（设备或管道）；请先保存为 CSV 或 XLSX 文件",
                    "is not a regular file (a device or a pipe); save it as a CSV or XLSX file first"
                )
            ),
            Ok(_) => {}
        }
        let mapping = match &a.mapping {
            Some(p) => Some(Mapping::load(p, Some(kind)).map_err(|e| anyhow::anyhow!(e.render(lang)))?),
            None => None,
        };
        (
            vec![ImportFile {
                path: a.path.clone(),
                kind,
                mapping,
                sheet: a.sheet.clone(),
            }],
            Vec::new(),
        )
    };
    if files.is_empty() {
        bail!(
            "{}",
            lang.pick(
                "没有找到可导入的文件（文件名应为 Lead.csv、roster.xlsx、花名册.csv 等）",
                "no importable files found (names like Lead.csv, roster.xlsx)"
            )
        );
    }
    let pb = spinner();
    let report = import_files(store, files, skipped, a.skip_invalid, &|file, rows| {
        pb.set_message(format!("{file}: {rows} {}", lang.pick("行", "rows")));
    })
    .await
    .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    pb.finish_and_clear();
    audit_import(store, &report).await?;
    if a.json {
        let mut v = serde_json::to_value(&report)?;
        v["issues"] = serde_json::json!(report.issue_lines(lang));
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_report(&report, lang);
    }
    Ok(if report.committed { 0 } else { 1 })
}

/// Every change goes to the audit log, from the terminal as from the web: one row per file, with
/// the same detail the web import writes, by the operating-system user who ran the command.
async fn audit_import(store: &Store, report: &ImportReport) -> Result<()> {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let actor = format!("cli:{user}");
    for f in &report.files {
        let detail = format!(
            "kind={} committed={} inserted={} updated={} problems={}",
            f.kind.as_str(),
            report.committed,
            f.inserted,
            f.updated,
            f.issue_count
        );
        uplift_app::access::audit(store, &actor, Some("cli"), "import", Some(&f.file), Some(&detail), None)
            .await
            .map_err(|e| anyhow::anyhow!(e.render(Lang::En)))?;
    }
    Ok(())
}

fn print_report(r: &ImportReport, lang: Lang) {
    for f in &r.files {
        println!(
            "{} [{}{}] {}",
            f.file,
            f.kind.as_str(),
            f.encoding.as_deref().map(|e| format!(", {e}")).unwrap_or_default(),
            counts_text(lang, f.rows_read, f.inserted, f.updated, f.rejected)
        );
        if !f.unknown_columns.is_empty() {
            println!(
                "  {}: {}",
                lang.pick("未使用的列", "unused columns"),
                f.unknown_columns.join(", ")
            );
        }
        for w in &f.warnings {
            println!("  {}: {w}", lang.pick("提示", "note"));
        }
        if let Some(p) = &f.rejects_file {
            println!(
                "  {}: {}",
                lang.pick("被拒绝的行已写入", "rejected rows written to"),
                p.display()
            );
        }
    }
    for line in r.issue_lines(lang) {
        eprintln!("{line}");
    }
    let shown: u64 = r.files.iter().map(|f| f.issues.len() as u64).sum();
    if r.total_issues() > shown {
        eprintln!(
            "… {} {}",
            r.total_issues() - shown,
            lang.pick("个问题未列出", "more problems not listed")
        );
    }
    if !r.skipped_files.is_empty() {
        println!(
            "{}: {}",
            lang.pick("未识别的文件（已跳过）", "files not recognised (skipped)"),
            r.skipped_files.join(", ")
        );
    }
    if !r.name_matches.is_empty() {
        let pairs: Vec<String> = r.name_matches.iter().map(|(c, e)| format!("{c}→{e}")).collect();
        println!(
            "{}: {}",
            lang.pick(
                "警告：以下 CRM 用户仅按姓名匹配到员工",
                "warning: CRM users matched to employees by name only"
            ),
            pairs.join(", ")
        );
    }
    if !r.unmatched_crm_users.is_empty() {
        println!(
            "{} ({}): {}",
            lang.pick("未匹配到员工的 CRM 用户", "CRM users with no employee"),
            r.unmatched_crm_users.len(),
            r.unmatched_crm_users.join(", ")
        );
    }
    if !r.employees_without_crm_user.is_empty() {
        println!(
            "{} ({}): {}",
            lang.pick("没有 CRM 用户的员工", "employees with no CRM user"),
            r.employees_without_crm_user.len(),
            abbreviate(&r.employees_without_crm_user, 20)
        );
    }
    if r.committed {
        println!(
            "{} {}",
            lang.pick(
                "导入完成；重算指标月份数：",
                "Import committed; metric months recomputed:"
            ),
            r.recomputed_months.len()
        );
        if !r.commission_moved.is_empty() {
            println!(
                "{} {}",
                lang.pick(
                    "提成草稿已随之更新，业绩增加的人数：",
                    "Commission drafts updated; people whose credit rose:"
                ),
                r.commission_moved.len()
            );
        }
        if let Some(e) = &r.commission_error {
            eprintln!(
                "{} {e}",
                lang.pick("提成草稿未能更新：", "Commission drafts were not updated:")
            );
        }
    } else {
        eprintln!("{}", lang.pick("导入未写入任何数据：请修正以上问题后重新导入，或使用 --skip-invalid 只导入有效行。", "Nothing was written: fix the problems above and import again, or use --skip-invalid to import the valid rows."));
    }
}

/// `读取 12 · 新增 10 · 更新 2 · 拒绝 0` / `read 12 · inserted 10 · …`.
pub(crate) fn counts_text(lang: Lang, read: u64, inserted: u64, updated: u64, rejected: u64) -> String {
    format!(
        "{} {read} · {} {inserted} · {} {updated} · {} {rejected}",
        lang.pick("读取", "read"),
        lang.pick("新增", "inserted"),
        lang.pick("更新", "updated"),
        lang.pick("拒绝", "rejected")
    )
}

fn abbreviate(v: &[String], n: usize) -> String {
    if v.len() <= n {
        v.join(", ")
    } else {
        format!("{}, … (+{})", v[..n].join(", "), v.len() - n)
    }
}
