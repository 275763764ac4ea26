//! `uplift insights`: what drives output (`drivers`), why one person is behind (`why`), and whether an
//! intervention worked (`effect`).

use anyhow::{Result, bail};
use uplift_domain::Lang;

use crate::cli::{Cli, EffectArgs, InsightsCommand, TextFormat, emit, month_arg, open_with_metrics};

pub(crate) async fn insights(cli: &Cli, what: &InsightsCommand, lang: Lang) -> Result<i32> {
    match what {
        InsightsCommand::Drivers {
            target,
            from,
            to,
            department,
            format,
        } => drivers(cli, target, from, to, department, *format, lang).await,
        InsightsCommand::Why {
            employee,
            month,
            format,
        } => why(cli, employee, month, *format, lang).await,
        InsightsCommand::Effect(a) => effect(cli, a, lang).await,
    }
}

async fn drivers(
    cli: &Cli,
    target: &str,
    from: &Option<String>,
    to: &Option<String>,
    department: &Option<String>,
    format: TextFormat,
    lang: Lang,
) -> Result<i32> {
    let store = open_with_metrics(cli, lang).await?;
    let q = uplift_app::insights::DriversQuery {
        target: target.to_string(),
        from: month_arg(from, "from")?,
        to: month_arg(to, "to")?,
        department: department.clone(),
    };
    let r = uplift_app::insights::drivers(&store, &uplift_domain::access::Scope::All, &q, lang)
        .await
        .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    let text = match format {
        TextFormat::Table => crate::text::insights::drivers(&r, lang),
        TextFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
    };
    emit(&text)?;
    Ok(0)
}

async fn why(cli: &Cli, employee: &str, month: &Option<String>, format: TextFormat, lang: Lang) -> Result<i32> {
    let store = open_with_metrics(cli, lang).await?;
    let w = uplift_app::insights::why_low(&store, employee, month_arg(month, "month")?, lang)
        .await
        .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    let text = match format {
        TextFormat::Json => serde_json::to_string_pretty(&w)? + "\n",
        TextFormat::Table => {
            let mut t = format!(
                "{} {} · {}: {} ({} {}) · {} ¥{:.0} · {} ¥{:.0}\n",
                w.employee_no,
                w.month,
                lang.pick("对比人群", "peers"),
                w.peer_group,
                w.peers,
                lang.pick("人", "people"),
                lang.pick("贡献额", "contribution"),
                w.contribution,
                lang.pick("前25%起点", "top quarter from"),
                w.top_quartile_from
            );
            if !w.funnel.is_empty() {
                t.push_str(&format!(
                    "{} (¥{:.0}):\n",
                    lang.pick(
                        "与同类前25%平均贡献额的差距，按漏斗拆分",
                        "the gap to the top quarter's mean, by funnel stage"
                    ),
                    w.top_quartile_mean
                ));
                for f in &w.funnel {
                    t.push_str(&format!("  · {}\n", f.explanation));
                }
                t.push_str(&format!("{}:\n", lang.pick("可改变的行为上的差距", "gaps in levers")));
            }
            if w.gaps.is_empty() {
                t.push_str(lang.pick(
                    "没有落后于同类前25%的已确认驱动因素\n",
                    "not behind the top quarter on any confirmed driver\n",
                ));
            }
            for g in &w.gaps {
                t.push_str(&format!("  - {}\n", g.explanation));
            }
            t
        }
    };
    emit(&text)?;
    Ok(0)
}

async fn effect(cli: &Cli, a: &EffectArgs, lang: Lang) -> Result<i32> {
    let store = open_with_metrics(cli, lang).await?;
    let all = uplift_domain::access::Scope::All;
    let fail = |e: uplift_app::AppError| anyhow::anyhow!(e.render(lang));
    let text = if a.delete {
        let name = a.name.clone().unwrap_or_default();
        if !uplift_app::effect::delete(&store, &all, &name, "cli", lang)
            .await
            .map_err(fail)?
        {
            bail!("{}: {name}", lang.pick("没有这个干预", "no such intervention"));
        }
        format!("{} {name}\n", lang.pick("已删除", "deleted"))
    } else if a.list {
        let list = uplift_app::effect::running(&store, &all, lang).await.map_err(fail)?;
        match a.format {
            TextFormat::Table => crate::text::effect::running(&list, lang),
            TextFormat::Json => {
                let v: Vec<serde_json::Value> = list
                    .iter()
                    .map(|(row, r)| match r {
                        Ok(e) => serde_json::json!({"intervention": row, "result": e}),
                        Err(msg) => serde_json::json!({"intervention": row, "error": msg}),
                    })
                    .collect();
                serde_json::to_string_pretty(&v)? + "\n"
            }
        }
    } else {
        let start = match &a.start {
            None => None,
            Some(s) => Some(s.parse::<chrono::NaiveDate>().map_err(|_| {
                anyhow::anyhow!(
                    "--start {s}: {}",
                    lang.pick("日期格式应为 2026-03-01", "expected a date like 2026-03-01")
                )
            })?),
        };
        let q = uplift_app::effect::EffectQuery {
            name: a.name.clone().unwrap_or_default(),
            treated: a.treated.clone(),
            control: a.control.clone(),
            start,
            metric: Some(a.metric.clone()),
        };
        let r = uplift_app::effect::evaluate(&store, &all, &q, "cli", lang)
            .await
            .map_err(fail)?;
        match a.format {
            TextFormat::Table => crate::text::effect::effect(&r, lang),
            TextFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
        }
    };
    emit(&text)?;
    store.close().await;
    Ok(0)
}
