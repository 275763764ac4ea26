//! Intervention effects on the terminal.

use uplift_app::effect::{EffectResult, amount};
use uplift_app::metrics::human_text;
use uplift_app::store::InterventionRow;
use uplift_domain::{Lang, MetricId};

use super::line;

pub fn effect(e: &EffectResult, lang: Lang) -> String {
    let r = &e.report;
    let metric = MetricId::parse(&e.metric).unwrap_or(MetricId::Contribution);
    let mut out = format!(
        "{} · {} · {} {} · {} {}–{}\n{}: {}\n{}\n",
        e.name,
        e.metric_label,
        lang.pick("开始", "start"),
        e.start,
        lang.pick("数据", "data"),
        e.from,
        e.to,
        lang.pick("结论", "verdict"),
        e.verdict_label,
        e.summary
    );
    out.push_str(&format!(
        "{}: {} {:.3} · {}: {}\n",
        lang.pick("平行趋势检验", "pre-trend check"),
        lang.pick("斜率差 p =", "slope gap p ="),
        r.pre_trend.p_value,
        lang.pick("安慰剂检验", "placebo"),
        r.placebo
            .as_ref()
            .map(|p| format!(
                "{} p = {:.3} ({})",
                amount(metric, p.estimate, lang),
                p.p_value,
                if p.passed {
                    lang.pick("通过", "passed")
                } else {
                    lang.pick("未通过", "failed")
                }
            ))
            .unwrap_or_else(|| lang
                .pick(
                    "开始前不足 4 个月，未做",
                    "fewer than 4 months before the start, not run"
                )
                .into())
    ));
    if let Some(sp) = &e.space_placebo {
        out.push_str(&format!(
            "{}: {}/{} {} ({})\n",
            lang.pick("部门安慰剂检验", "placebo in space"),
            sp.as_large,
            sp.departments,
            lang.pick("个其他部门同期变化同样大", "other departments changed as much"),
            if sp.passed {
                lang.pick("通过", "passed")
            } else {
                lang.pick("未通过", "failed")
            }
        ));
    }
    out.push_str(&line(
        &[
            lang.pick("月份", "month"),
            lang.pick("干预组均值", "treated mean"),
            lang.pick("对照组均值", "control mean"),
        ],
        &[-8, 14, 14],
    ));
    for (m, t, c) in &e.series {
        out.push_str(&line(
            &[
                m,
                &human_text(metric, Some(*t), lang),
                &human_text(metric, Some(*c), lang),
            ],
            &[-8, 14, 14],
        ));
    }
    out
}

/// The saved interventions and their results, for the terminal.
pub fn running(list: &[(InterventionRow, Result<EffectResult, String>)], lang: Lang) -> String {
    if list.is_empty() {
        return lang
            .pick(
                "还没有保存的干预。用 uplift insights effect --name … --treated … --start … 创建。\n",
                "No saved interventions yet. Create one with uplift insights effect --name … --treated … --start ….\n",
            )
            .into();
    }
    let mut out = String::new();
    for (row, r) in list {
        match r {
            Ok(e) => out.push_str(&format!(
                "{} ({} {}) · {} · {}\n",
                row.name,
                lang.pick("开始", "from"),
                row.start_date,
                e.verdict_label,
                e.summary
            )),
            Err(msg) => out.push_str(&format!(
                "{} ({} {}) · {}\n",
                row.name,
                lang.pick("开始", "from"),
                row.start_date,
                msg
            )),
        }
    }
    out
}
