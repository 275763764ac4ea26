//! `uplift metrics` (show, export or recompute the metric table) and `uplift history` (recent imports).

use anyhow::{Result, bail};
use std::path::Path;
use uplift_app::metrics::{Format, Level, recompute, render_metrics};
use uplift_domain::Lang;
use uplift_store::{AffectedMonths, MetricFilter, Store};

use crate::cli::{Cli, FormatArg, LevelArg, MetricsArgs, emit, month_arg, open, spinner};
use crate::commands::import::counts_text;

pub(crate) async fn metrics(store: &Store, a: &MetricsArgs, lang: Lang) -> Result<i32> {
    if let Some(action) = &a.action {
        if action != "recompute" {
            bail!("unknown action {action:?}; the only action is `recompute`");
        }
        let pb = spinner();
        pb.set_message(lang.pick("正在重算指标…", "recomputing metrics…"));
        let months = recompute(store, &AffectedMonths::All).await?;
        pb.finish_and_clear();
        println!("{} {}", lang.pick("已重算月份数：", "months recomputed:"), months.len());
        return Ok(0);
    }
    let month = month_arg(&a.month, "month")?;
    let filter = MetricFilter {
        from: month.or(month_arg(&a.from, "from")?),
        to: month.or(month_arg(&a.to, "to")?),
        department: a.department.clone(),
        employee_no: a.employee.clone(),
        scope: Default::default(),
        page: None,
    };
    let level = match a.level {
        LevelArg::Employee => Level::Employee,
        LevelArg::Department => Level::Department,
    };
    if let Some(out) = &a.output
        && out.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
    {
        let csv = render_metrics(store, &filter, level, Format::Csv, lang).await?;
        write_csv_as_xlsx(&csv, out)?;
        println!("{} {}", lang.pick("已写入", "written:"), out.display());
        return Ok(0);
    }
    let format = match (a.format, output_extension(a.output.as_deref()).as_deref()) {
        (Some(FormatArg::Table), _) => Format::Table,
        (Some(FormatArg::Csv), _) | (None, Some("csv")) => Format::Csv,
        (Some(FormatArg::Json), _) | (None, Some("json")) => Format::Json,
        (None, _) => Format::Table,
    };
    let text = render_metrics(store, &filter, level, format, lang).await?;
    if store.pending_months().await? != AffectedMonths::None {
        eprintln!(
            "{}",
            lang.pick(
                "注意：上次导入后的指标重算没有完成，部分月份可能是旧数据；请运行 uplift metrics recompute。",
                "Note: the metric recompute after the last import did not finish; some months may be stale. Run uplift metrics recompute."
            )
        );
    }
    let empty = match format {
        Format::Json => text.trim() == "[]",
        Format::Csv => text.lines().count() <= 1,
        Format::Table => text.lines().count() <= 2,
    };
    if empty {
        eprintln!(
            "{}",
            lang.pick(
                "没有符合条件的指标行。请先导入数据（uplift import dir <文件夹>），或运行 uplift demo 查看示例公司。",
                "No metric rows match. Import data first (uplift import dir <folder>), or run uplift demo."
            )
        );
    }
    match &a.output {
        Some(out) => {
            std::fs::write(out, text)?;
            println!("{} {}", lang.pick("已写入", "written:"), out.display());
        }
        None => emit(&text)?,
    }
    Ok(0)
}

/// Exports the CSV form of the metric table as a workbook, numbers as numbers.
/// The output file's extension, lower case.
fn output_extension(out: Option<&Path>) -> Option<String> {
    out.and_then(|o| o.extension())
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

fn write_csv_as_xlsx(csv_text: &str, out: &Path) -> Result<()> {
    use uplift_io::xlsx_out::{Cell, write_xlsx};
    let mut rdr = csv::ReaderBuilder::new().from_reader(csv_text.as_bytes());
    let headers: Vec<String> = rdr.headers()?.iter().map(str::to_string).collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec?;
        rows.push(
            rec.iter()
                .enumerate()
                .map(|(i, s)| {
                    if s.is_empty() {
                        Cell::Empty
                    } else if i >= 2 {
                        s.parse()
                            .map(Cell::Number)
                            .unwrap_or_else(|_| Cell::Text(s.to_string()))
                    } else {
                        // XLSX text cells are never formulas: no apostrophe needed there.
                        Cell::Text(uplift_io::csv_out::unescape_spreadsheet_safe(s).to_string())
                    }
                })
                .collect(),
        );
    }
    write_xlsx(out, "metrics", &headers, &rows)?;
    Ok(())
}

/// `uplift history`: recent imports, newest first, with their counts and first problems.
pub(crate) async fn history(cli: &Cli, limit: i64, lang: Lang) -> Result<i32> {
    let store = open(cli, "uplift.db").await?;
    let rows = store.import_history(limit).await?;
    let tz = uplift_app::settings::company_tz(&store).await?;
    let mut text = String::new();
    if rows.is_empty() {
        text.push_str(lang.pick("还没有导入记录。\n", "No imports yet.\n"));
    }
    for h in rows {
        let when = chrono::DateTime::from_timestamp(h.started_ts, 0)
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        let counts = counts_text(
            lang,
            h.rows_read as u64,
            h.inserted as u64,
            h.updated as u64,
            h.rejected as u64,
        );
        text.push_str(&format!(
            "#{} {when} {} [{}] {}: {counts}\n",
            h.id, h.file_name, h.kind, h.status
        ));
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&h.report) {
            for issue in v["issues"].as_array().into_iter().flatten().take(5) {
                text.push_str(&format!("    {}\n", issue.as_str().unwrap_or_default()));
            }
        }
    }
    emit(&text)?;
    store.close().await;
    Ok(0)
}
