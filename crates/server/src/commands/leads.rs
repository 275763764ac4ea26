//! `uplift leads`: the lead value model, the first-contact SLA, the follow-up cadence, the routing
//! simulator and lead assignment.

use anyhow::{Context, Result, bail};
use uplift_app::cadence::RepCadence;
use uplift_domain::Lang;
use uplift_store::Store;

use crate::cli::{AssignArgs, Cli, LeadsCommand, LimitArgs, TextFormat, emit, open, spinner};

pub(crate) async fn leads(cli: &Cli, what: &LeadsCommand, lang: Lang) -> Result<i32> {
    let store = open(cli, "uplift.db").await?;
    let text = match what {
        LeadsCommand::Model { format, .. } => model(&store, *format, lang).await?,
        LeadsCommand::Sla {
            hours,
            business_hours,
            reassign_hours,
            format,
        } => sla(&store, *hours, *business_hours, *reassign_hours, *format, lang).await?,
        LeadsCommand::Cadence {
            rules,
            set_rules,
            employee,
            run,
            format,
        } => {
            cadence(
                &store,
                *rules,
                set_rules.as_deref(),
                employee.as_deref(),
                *run,
                *format,
                lang,
            )
            .await?
        }
        LeadsCommand::Simulate { months, limits, format } => simulate(&store, *months, limits, *format, lang).await?,
        LeadsCommand::Assign(a) => assign(&store, a, lang).await?,
    };
    emit(&text)?;
    store.close().await;
    Ok(0)
}

/// `uplift leads model`: the lead value model's calibration report.
async fn model(store: &Store, format: TextFormat, lang: Lang) -> Result<String> {
    let fail = |e: uplift_app::AppError| anyhow::anyhow!(e.render(lang));
    let pb = spinner();
    pb.set_message(lang.pick("拟合并检验模型…", "fitting and checking the model…"));
    let r = uplift_app::routing::model_report(store, lang).await.map_err(fail)?;
    pb.finish_and_clear();
    Ok(match format {
        TextFormat::Table => crate::text::routing::model_report(&r, lang),
        TextFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
    })
}

/// `uplift leads sla`: change the first-contact SLA, then list the leads waiting for a first contact.
async fn sla(
    store: &Store,
    hours: Option<f64>,
    business_hours: Option<bool>,
    reassign_hours: Option<f64>,
    format: TextFormat,
    lang: Lang,
) -> Result<String> {
    let fail = |e: uplift_app::AppError| anyhow::anyhow!(e.render(lang));
    if hours.is_some() || business_hours.is_some() || reassign_hours.is_some() {
        let mut r = uplift_app::sla::rule(store).await.map_err(fail)?;
        if let Some(h) = hours {
            r.hours = h;
        }
        if let Some(b) = business_hours {
            r.business_hours = b;
        }
        if let Some(h) = reassign_hours {
            r.reassign_after_hours = (h > 0.0).then_some(h);
        }
        uplift_app::sla::set_rule(store, &r, "cli").await.map_err(fail)?;
    }
    let r = uplift_app::sla::rule(store).await.map_err(fail)?;
    let now = chrono::Utc::now();
    let list = uplift_app::sla::waiting_leads(store, &uplift_domain::access::Scope::All, None, now)
        .await
        .map_err(fail)?;
    Ok(match format {
        TextFormat::Json => serde_json::to_string_pretty(&serde_json::json!({"rule": r, "waiting": list}))? + "\n",
        TextFormat::Table => render_sla(&r, &list, lang),
    })
}

/// `uplift leads simulate`: replay the last months under each routing strategy.
async fn simulate(store: &Store, months: u32, limits: &LimitArgs, format: TextFormat, lang: Lang) -> Result<String> {
    let fail = |e: uplift_app::AppError| anyhow::anyhow!(e.render(lang));
    let pb = spinner();
    pb.set_message(lang.pick("按各策略重放历史…", "replaying history under each strategy…"));
    let r = uplift_app::routing::simulate(store, months, limits.limits(), lang)
        .await
        .map_err(fail)?;
    pb.finish_and_clear();
    Ok(match format {
        TextFormat::Table => crate::text::routing::simulation(&r, lang),
        TextFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
    })
}

/// `uplift leads assign`: assign a file of new leads, or the pending ones, to reps.
async fn assign(store: &Store, a: &AssignArgs, lang: Lang) -> Result<String> {
    let fail = |e: uplift_app::AppError| anyhow::anyhow!(e.render(lang));
    let Some(strategy) = uplift_routing::Strategy::parse(&a.strategy) else {
        bail!(
            "--strategy {}: {}",
            a.strategy,
            lang.pick(
                "应为 optimal、round-robin 或 load-balanced",
                "expected optimal, round-robin or load-balanced"
            )
        );
    };
    let opts = uplift_app::routing::AssignOptions {
        strategy,
        limits: a.limits.limits(),
        capacity_file: a.capacity.clone(),
        dry_run: a.dry_run,
        as_of: None,
        by: "cli".into(),
        role: None,
        lang,
    };
    let pb = spinner();
    pb.set_message(lang.pick("分配线索…", "assigning leads…"));
    let r = match &a.input {
        Some(input) => uplift_app::routing::assign_file(store, input, &opts).await,
        None => uplift_app::routing::assign_pending(store, &opts).await,
    }
    .map_err(fail)?;
    pb.finish_and_clear();
    if let Some(out) = &a.output {
        let csv = uplift_app::routing::to_csv(&r).map_err(fail)?;
        std::fs::write(out, csv).with_context(|| out.display().to_string())?;
    }
    Ok(match a.format {
        TextFormat::Table => crate::text::routing::assignment(&r, lang, if a.output.is_some() { 20 } else { 200 }),
        TextFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
    })
}

/// `uplift leads cadence`: rules, the board, one rep's list, or the daily job.
async fn cadence(
    store: &Store,
    print_rules: bool,
    set_rules: Option<&std::path::Path>,
    employee: Option<&str>,
    run: bool,
    format: TextFormat,
    lang: Lang,
) -> anyhow::Result<String> {
    use uplift_app::cadence::{CadenceRules, DueState};
    let fail = |e: uplift_app::AppError| anyhow::anyhow!(e.render(lang));
    if let Some(path) = set_rules {
        let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
        let rules = CadenceRules::from_toml(&text, lang).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        uplift_app::metrics::change_cadence_rules(store, &rules, "cli", lang)
            .await
            .map_err(fail)?;
    }
    let rules = uplift_app::cadence::rules(store).await.map_err(fail)?;
    if print_rules {
        return Ok(rules.to_toml());
    }
    let now = chrono::Utc::now();
    if run {
        let tz = uplift_app::settings::company_tz(store).await.map_err(fail)?;
        let day = uplift_domain::time::local_date(now, tz).to_string();
        let r = uplift_app::cadence::daily(store, &day, now).await.map_err(fail)?;
        return Ok(match format {
            TextFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
            TextFormat::Table => format!(
                "{} {}{sep}{} {}{sep}{} {}{sep}{} {}\n",
                lang.pick("在跟客户", "customers under a cadence:"),
                r.customers,
                lang.pick("今日到期", "due today:"),
                r.due_today,
                lang.pick("已逾期", "overdue:"),
                r.overdue,
                lang.pick("已提醒销售", "reps reminded:"),
                r.reps_reminded,
                sep = lang.pick("，", ", ")
            ),
        });
    }
    let head = rules.describe(lang) + "\n";
    if let Some(no) = employee {
        let list = uplift_app::cadence::my_due(store, no, now).await.map_err(fail)?;
        if format == TextFormat::Json {
            return Ok(serde_json::to_string_pretty(&list)? + "\n");
        }
        let mut t = head;
        if list.is_empty() {
            t.push_str(lang.pick("没有到期的跟进。\n", "Nothing due.\n"));
        }
        for d in &list {
            let when = match d.state {
                DueState::Overdue => format!(
                    "{} {} {}",
                    lang.pick("已逾期", "overdue"),
                    (now - d.due).num_days().max(1),
                    lang.pick("天", "d")
                ),
                _ => lang.pick("今日到期", "due today").to_string(),
            };
            t.push_str(&format!(
                "{:<20} {:<10} {:<24} {when}\n",
                d.id,
                d.stage.label(lang),
                d.title.as_deref().unwrap_or("")
            ));
        }
        return Ok(t);
    }
    let board = uplift_app::cadence::board(store, &uplift_domain::access::Scope::All, now)
        .await
        .map_err(fail)?;
    if format == TextFormat::Json {
        return Ok(serde_json::to_string_pretty(&serde_json::json!({"rules": rules, "reps": board}))? + "\n");
    }
    Ok(render_cadence_board(head, &board, lang))
}

/// The cadence board for the terminal: the rules in force, then each rep's customers, due and overdue
/// follow-ups and compliance.
fn render_cadence_board(head: String, board: &[RepCadence], lang: Lang) -> String {
    let pct = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{:.0}%", v * 100.0));
    let mut t = head;
    t.push_str(&format!(
        "{:<8} {:<8} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
        lang.pick("工号", "No."),
        lang.pick("姓名", "Name"),
        lang.pick("在跟客户", "Customers"),
        lang.pick("今日到期", "Due"),
        lang.pick("已逾期", "Overdue"),
        lang.pick("本月达标", "This mo."),
        lang.pick("上月达标", "Last mo.")
    ));
    for r in board {
        t.push_str(&format!(
            "{:<8} {:<8} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
            r.employee_no,
            r.name,
            r.customers,
            r.due_today,
            r.overdue,
            pct(r.this_month),
            pct(r.last_month)
        ));
    }
    t
}

/// The SLA rule and the leads waiting for a first contact, for the terminal.
fn render_sla(r: &uplift_routing::sla::SlaRule, list: &[uplift_app::sla::WaitingLead], lang: Lang) -> String {
    let mut t = r.describe(lang) + "\n";
    if list.is_empty() {
        t.push_str(lang.pick("没有待首次联系的线索。\n", "No lead is waiting for a first contact.\n"));
    }
    for w in list {
        let h = w.seconds_left as f64 / 3600.0;
        t.push_str(&format!(
            "{:<20} {:<8} {:<6} {}\n",
            w.lead_id,
            w.employee_no,
            w.name,
            if h >= 0.0 {
                format!("{} {h:.1} h", lang.pick("剩余", "left"))
            } else {
                format!("{} {:.1} h", lang.pick("已超时", "overdue"), -h)
            }
        ));
    }
    t
}
