//! `uplift commission`: plans, a period's run, the lock, the export.

use anyhow::{Context, Result, anyhow};
use uplift_app::commission as c;
use uplift_domain::{Lang, Money};

use crate::cli::{CommissionCommand, ExportFormat, PlanCommand, emit, spinner};

pub(crate) async fn commission(store: &uplift_store::Store, what: &CommissionCommand, lang: Lang) -> Result<i32> {
    let p = super::operator("cli");
    let fail = |e: uplift_app::error::AppError| anyhow!(e.render(lang));
    match what {
        CommissionCommand::Plan {
            what: PlanCommand::Import { file },
        } => {
            let text = std::fs::read_to_string(file).with_context(|| format!("{}", file.display()))?;
            let name = file.display().to_string();
            let r = c::import_plan(store, &p, &name, &text, lang).await.map_err(fail)?;
            let verb = match (r.replaced, lang) {
                (true, Lang::Zh) => "已替换",
                (false, Lang::Zh) => "已导入",
                (true, Lang::En) => "replaced",
                (false, Lang::En) => "imported",
            };
            emit(&format!("{verb} {} {}（{}）\n", r.plan_id, r.effective_from, r.name))?;
        }
        CommissionCommand::Plan {
            what: PlanCommand::List,
        } => {
            let plans = c::plans(store, &p).await.map_err(fail)?;
            let mut out = String::new();
            out.push_str(lang.pick(
                "方案\t生效\t截止\t期间\t口径\t分档\t名称\n",
                "plan\tfrom\tto\tperiod\tbasis\ttiering\tname\n",
            ));
            for v in &plans {
                let pl = &v.plan;
                let (period, basis, tiering) = (pl.period.label(lang), pl.basis.label(lang), pl.tiering.label(lang));
                out.push_str(&format!(
                    "{}\t{}\t{}\t{period}\t{basis}\t{tiering}\t{}\n",
                    pl.id,
                    pl.effective_from,
                    pl.effective_to.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
                    pl.name
                ));
            }
            if plans.is_empty() {
                out = lang
                    .pick(
                        "还没有提成方案：uplift commission plan import plan.toml\n",
                        "no commission plans yet: uplift commission plan import plan.toml\n",
                    )
                    .into();
            }
            emit(&out)?;
        }
        CommissionCommand::Plan {
            what: PlanCommand::Show { id },
        } => {
            let plans = c::plans(store, &p).await.map_err(fail)?;
            let mine: Vec<&c::PlanVersion> = plans.iter().filter(|v| &v.plan.id == id).collect();
            if mine.is_empty() {
                return Err(anyhow!(
                    "{}: {id}",
                    lang.pick("没有这个提成方案", "no such commission plan")
                ));
            }
            for v in mine {
                emit(&format!(
                    "# {} {} ({})\n{}\n",
                    v.plan.id,
                    v.plan.effective_from,
                    v.imported_by,
                    v.source.trim_end()
                ))?;
            }
        }
        CommissionCommand::Run { period } => {
            let pb = spinner();
            pb.set_message(lang.pick("计算提成…", "computing commissions…"));
            let r = c::run(store, &p, period, lang).await.map_err(fail);
            pb.finish_and_clear();
            let r = r?;
            let (credited, commission, payable) = (
                Money(r.credited_fen).display_cny(),
                Money(r.commission_fen).display_cny(),
                Money(r.payable_fen).display_cny(),
            );
            let (period, people, deals) = (&r.period, r.people, r.deals);
            let text = match lang {
                Lang::Zh => format!(
                    "{period} 草稿：{people} 人，{deals} 笔成交，业绩 {credited}，提成 {commission}，应付 {payable}\n"
                ),
                Lang::En => format!(
                    "{period} draft: {people} people, {deals} won deals, credited {credited}, commission {commission}, payable {payable}\n"
                ),
            };
            emit(&text)?;
            if r.payments > 0 {
                emit(&format!(
                    "{} {}\n",
                    r.payments,
                    lang.pick(
                        "笔回款计入按回款计提的方案",
                        "payments credited on collected-basis plans"
                    )
                ))?;
            }
            if r.adjusted_people > 0 {
                emit(&format!(
                    "{} {}\n",
                    r.adjusted_people,
                    lang.pick(
                        "人有更正已锁定期间的调整行（见 export --lines）",
                        "people have adjustment lines correcting locked periods (see export --lines)"
                    )
                ))?;
            }
            if r.unlinked_deals > 0 {
                eprintln!(
                    "{} {}",
                    r.unlinked_deals,
                    lang.pick(
                        "笔成交的负责人未关联到员工，未计入任何人（见 uplift history / 身份匹配）",
                        "won deals have an owner linked to no employee and were credited to no one"
                    )
                );
            }
            if r.deals_without_plan > 0 {
                eprintln!(
                    "{} {}",
                    r.deals_without_plan,
                    lang.pick(
                        "笔成交的负责人没有适用的提成方案",
                        "won deals belong to people no plan covers"
                    )
                );
            }
        }
        CommissionCommand::Lock { period } => {
            c::lock(store, &p, period, lang).await.map_err(fail)?;
            emit(&format!("{period} {}\n", lang.pick("已锁定", "locked")))?;
        }
        CommissionCommand::PayMonth { rule } => {
            let rule = match rule {
                Some(r) => c::set_pay_month_rule(store, &p, r, lang).await.map_err(fail)?,
                None => c::pay_month_rule(store).await.map_err(fail)?,
            };
            let words = match rule {
                c::PayMonth::Same => lang.pick("same：与所属期间同月发放", "same: paid with the period's month"),
                c::PayMonth::Next => lang.pick("next：次月发放", "next: paid the month after"),
            };
            emit(&format!("{words}\n"))?;
        }
        CommissionCommand::Payable { pay_month } => {
            let rows = c::payable_for_pay_month(store, &p, pay_month, lang)
                .await
                .map_err(fail)?;
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.employee_no.clone(),
                        r.period.clone(),
                        uplift_domain::Money(r.payable_fen).to_decimal().to_string(),
                    ]
                })
                .collect();
            emit(&c::csv(&["employee_no", "period", "payable"], &table).map_err(fail)?)?;
        }
        CommissionCommand::Simulate { plan, from, to, people } => {
            let text = std::fs::read_to_string(plan).with_context(|| format!("{}", plan.display()))?;
            let name = plan.display().to_string();
            let sim = c::simulate(store, &p, &name, &text, from, to, lang)
                .await
                .map_err(fail)?;
            emit(&simulation_text(&sim, *people, lang))?;
        }
        CommissionCommand::Export {
            period,
            format,
            lines,
            output,
        } => {
            let (headers, rows, workbook): (&[&str], Vec<Vec<String>>, Option<Vec<u8>>) = if *lines {
                let l = c::statement_lines(store, &p, period, None, lang).await.map_err(fail)?;
                let rows = c::line_table(&l);
                let wb = match format {
                    ExportFormat::Xlsx => Some(c::text_xlsx(&c::LINE_COLUMNS, &rows).map_err(fail)?),
                    _ => None,
                };
                (&c::LINE_COLUMNS, rows, wb)
            } else {
                let s = c::statements(store, &p, period, None, lang).await.map_err(fail)?;
                if s.status.is_none() {
                    return Err(anyhow!(
                        "{}: {}",
                        s.period,
                        lang.pick(
                            "该期间还没有计算过提成：uplift commission run --period …",
                            "no commission has been run for this period: uplift commission run --period …"
                        )
                    ));
                }
                let wb = match format {
                    ExportFormat::Xlsx => Some(s.xlsx().map_err(fail)?),
                    _ => None,
                };
                (&c::STATEMENT_COLUMNS, s.table(), wb)
            };
            let bytes = match format {
                ExportFormat::Csv => c::csv(headers, &rows).map_err(fail)?.into_bytes(),
                ExportFormat::Json => (serde_json::to_string_pretty(&c::json(headers, &rows))? + "\n").into_bytes(),
                ExportFormat::Xlsx => workbook.expect("built above for xlsx"),
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
    }
    Ok(0)
}

/// The simulation as a terminal table: periods, teams with their cost of sales, people on request.
fn simulation_text(sim: &c::Simulation, people: bool, lang: Lang) -> String {
    let money = |fen: i64| Money(fen).display_cny();
    let pct = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{:.2}%", v * 100.0));
    let mut out = String::new();
    out.push_str(&format!("{} {}\n", lang.pick("模拟方案", "Draft plan"), sim.plan_id));
    out.push_str(lang.pick("期间\t现方案\t新方案\t差额\n", "period\tcurrent\tdraft\tchange\n"));
    for (period, now, then) in &sim.periods {
        out.push_str(&format!(
            "{period}\t{}\t{}\t{}\n",
            money(*now),
            money(*then),
            money(then - now)
        ));
    }
    out.push_str(lang.pick(
        "\n团队\t业绩\t现方案提成\t新方案提成\t现提成率\t新提成率\n",
        "\nteam\tcredited\tcurrent\tdraft\tcurrent cost of sales\tdraft cost of sales\n",
    ));
    for t in &sim.teams {
        let (now, then) = t.cost_of_sales();
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            if t.department.is_empty() { "—" } else { &t.department },
            money(t.credited_fen),
            money(t.current_fen),
            money(t.draft_fen),
            pct(now),
            pct(then)
        ));
    }
    if people {
        out.push_str(lang.pick(
            "\n工号\t部门\t业绩\t现方案提成\t新方案提成\n",
            "\nemployee\tdepartment\tcredited\tcurrent\tdraft\n",
        ));
        for p in &sim.people {
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\n",
                p.employee_no,
                p.department.as_deref().unwrap_or("—"),
                money(p.credited_fen),
                money(p.current_fen),
                money(p.draft_fen)
            ));
        }
    }
    out
}
