//! `uplift payroll`: policies, a month's run and lock, payslips, the export.

use anyhow::{Context, Result, anyhow};
use uplift_app::payroll as pr;
use uplift_domain::{Lang, Money, Month};

use crate::cli::{ExportFormat, PayrollCommand, PolicyCommand, emit, spinner};

pub(crate) async fn payroll(store: &uplift_store::Store, what: &PayrollCommand, lang: Lang) -> Result<i32> {
    let p = super::operator("cli");
    let fail = |e: uplift_app::error::AppError| anyhow!(e.render(lang));
    match what {
        PayrollCommand::Policy {
            what: PolicyCommand::List,
        } => {
            let mut out = String::from(lang.pick(
                "种类\t键\t名称\t生效\t截止\t来源\t可信度\n",
                "kind\tkey\tname\tfrom\tto\torigin\tquality\n",
            ));
            for e in pr::policies(store, lang).await.map_err(fail)? {
                out.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                    e.kind,
                    e.key,
                    e.name,
                    e.effective_from,
                    e.effective_to.as_deref().unwrap_or("—"),
                    e.origin,
                    e.quality.as_deref().unwrap_or("—")
                ));
            }
            emit(&out)?;
        }
        PayrollCommand::Policy {
            what: PolicyCommand::Show { key },
        } => {
            let all = pr::policies(store, lang).await.map_err(fail)?;
            let wanted = key.trim().trim_end_matches('市').to_lowercase();
            let mine: Vec<&pr::PolicyEntry> = all
                .iter()
                .filter(|e| e.key == wanted || e.kind == wanted || e.name.to_lowercase() == wanted)
                .collect();
            if mine.is_empty() {
                return Err(anyhow!("{}: {key}", lang.pick("没有这项政策", "no such policy")));
            }
            for e in mine {
                emit(&format!(
                    "# {} {} {} ({})\n{}\n",
                    e.kind, e.key, e.effective_from, e.origin, e.text
                ))?;
            }
        }
        PayrollCommand::Policy {
            what: PolicyCommand::Import { file },
        } => {
            let text = std::fs::read_to_string(file).with_context(|| format!("{}", file.display()))?;
            let r = pr::import_policy(store, &p, &file.display().to_string(), &text, lang)
                .await
                .map_err(fail)?;
            let verb = match (r.replaced, lang) {
                (true, Lang::Zh) => "已替换",
                (false, Lang::Zh) => "已导入",
                (true, Lang::En) => "replaced",
                (false, Lang::En) => "imported",
            };
            emit(&format!("{verb} {} {} {}\n", r.kind, r.key, r.effective_from))?;
        }
        PayrollCommand::Run { month } => {
            let bar = spinner();
            bar.set_message(lang.pick("正在计算工资…", "running payroll…"));
            let r = pr::run(store, &p, month, lang).await;
            bar.finish_and_clear();
            let r = r.map_err(fail)?;
            let mut out = match lang {
                Lang::Zh => format!(
                    "{}：{} 人，应发 {}，个税 {}，实发 {}，单位人工成本 {}（含提成 {}）\n",
                    r.month,
                    r.people,
                    Money(r.gross_fen).display_cny(),
                    Money(r.iit_fen).display_cny(),
                    Money(r.net_fen).display_cny(),
                    Money(r.employer_cost_fen).display_cny(),
                    Money(r.commission_fen).display_cny()
                ),
                Lang::En => format!(
                    "{}: {} people, gross {}, income tax {}, net {}, employer cost {} (commission {})\n",
                    r.month,
                    r.people,
                    Money(r.gross_fen).display_cny(),
                    Money(r.iit_fen).display_cny(),
                    Money(r.net_fen).display_cny(),
                    Money(r.employer_cost_fen).display_cny(),
                    Money(r.commission_fen).display_cny()
                ),
            };
            for w in &r.warnings {
                out.push_str(&format!("{}{w}\n", lang.pick("注意：", "note: ")));
            }
            emit(&out)?;
        }
        PayrollCommand::RerunFrom { month } => {
            let r = pr::rerun_from(store, &p, month, lang).await.map_err(fail)?;
            emit(&match lang {
                Lang::Zh => format!(
                    "已按现行标准重算 {}–{}：{} 人有补差，个人 {}，单位 {}，计入 {}；请运行 uplift payroll run --month {}\n",
                    r.from,
                    r.through,
                    r.people,
                    Money(r.employee_fen).display_cny(),
                    Money(r.employer_fen).display_cny(),
                    r.target,
                    r.target
                ),
                Lang::En => format!(
                    "recomputed {}–{} under the tables in force: {} people with back-pay, employee {}, employer {}, paid in {}; now run uplift payroll run --month {}\n",
                    r.from,
                    r.through,
                    r.people,
                    Money(r.employee_fen).display_cny(),
                    Money(r.employer_fen).display_cny(),
                    r.target,
                    r.target
                ),
            })?;
        }
        PayrollCommand::Lock { month } => {
            pr::lock(store, &p, month, lang).await.map_err(fail)?;
            emit(&format!("{month} {}\n", lang.pick("已锁定", "locked")))?;
        }
        PayrollCommand::Runs => {
            let runs = pr::runs(store, &p).await.map_err(fail)?;
            let mut out = String::from(lang.pick(
                "月份\t状态\t人数\t应发\t个税\t实发\t单位人工成本\n",
                "month\tstatus\tpeople\tgross\ttax\tnet\temployer cost\n",
            ));
            for r in runs {
                out.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                    Month::from_key(r.month).map(|m| m.to_string()).unwrap_or_default(),
                    r.status,
                    r.people,
                    Money(r.gross_fen),
                    Money(r.iit_fen),
                    Money(r.net_fen),
                    Money(r.employer_cost_fen)
                ));
            }
            emit(&out)?;
        }
        PayrollCommand::Export { month, format, output } => {
            let rows = pr::export_rows(store, &p, month, lang).await.map_err(fail)?;
            let headers = &pr::EXPORT_COLUMNS;
            let c = uplift_app::commission::csv;
            let bytes = match format {
                ExportFormat::Csv => c(headers, &rows).map_err(fail)?.into_bytes(),
                ExportFormat::Json => {
                    (serde_json::to_string_pretty(&uplift_app::commission::json(headers, &rows))? + "\n").into_bytes()
                }
                ExportFormat::Xlsx => uplift_app::commission::text_xlsx(headers, &rows).map_err(fail)?,
            };
            match output {
                Some(path) => std::fs::write(path, bytes).with_context(|| format!("{}", path.display()))?,
                None if *format == ExportFormat::Xlsx => {
                    return Err(anyhow!(
                        lang.pick("xlsx 需要 --output 文件名", "xlsx needs --output FILE")
                    ));
                }
                None => emit(&String::from_utf8_lossy(&bytes))?,
            }
        }
        PayrollCommand::DefaultCity { city } => {
            let key = match city {
                Some(c) => pr::set_default_city(store, &p, c, lang).await.map_err(fail)?,
                None => pr::default_city(store).await.map_err(fail)?,
            };
            emit(&format!("{key}\n"))?;
        }
        PayrollCommand::BankColumns { columns } => {
            let value = match columns {
                Some(c) => pr::set_bank_columns(store, &p, c, lang).await.map_err(fail)?,
                None => pr::bank_columns(store).await.map_err(fail)?,
            };
            emit(&format!("{value}\n"))?;
        }
        PayrollCommand::Payslip { employee, month } => {
            let v = pr::payslip(store, &p, employee, month, lang).await.map_err(fail)?;
            let mut out = format!(
                "{} {} {} {}（{}）\n",
                v.name,
                v.employee_no,
                v.month,
                v.city,
                match (v.status.as_str(), lang) {
                    ("locked", Lang::Zh) => "已锁定",
                    (_, Lang::Zh) => "未锁定",
                    ("locked", Lang::En) => "locked",
                    (_, Lang::En) => "open",
                }
            );
            for l in &v.lines {
                out.push_str(&format!("{}\t{}\t{}\n", l.label, Money(l.amount), l.formula));
            }
            emit(&out)?;
        }
    }
    Ok(0)
}
