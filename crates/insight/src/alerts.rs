//! Early warnings: for a person forecast below target, which of the company's clear drivers moved the
//! wrong way lately, in words, each with the action that answers it.

use serde::Serialize;
use uplift_domain::Lang;
use uplift_domain::metric_data::EmployeeMonthMetrics;

use crate::features::{candidate_value, feature_label, reads_backwards, shown_value as shown};

/// A driver the analysis found clear for contribution: `positive` (more is better) or `negative`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClearDriver {
    pub feature: String,
    pub positive: bool,
}

/// One driver that moved the wrong way: last month against the months before it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DriverMove {
    pub feature: String,
    pub label: String,
    pub now: f64,
    pub before: f64,
    /// Relative change, (now − before) / before.
    pub change: f64,
    pub text: String,
    pub action: String,
}

/// What to do about a driver that slipped.
pub fn action_for(feature: &str, before: f64, lang: Lang) -> String {
    match feature {
        "followups_per_week" => match lang {
            Lang::Zh => format!("设定跟进节奏：恢复到每周至少 {before:.0} 次跟进，主管每周检查"),
            Lang::En => {
                format!("Set a follow-up cadence: back to at least {before:.0} follow-ups a week, checked weekly")
            }
        },
        "cadence_compliance" | "presale_cadence_compliance" => match lang {
            Lang::Zh => format!(
                "按跟进节奏补齐线索和商机的逾期跟进（此前平均达标 {:.0}%），在“今日”页逐条处理，主管每周检查",
                before * 100.0
            ),
            Lang::En => format!(
                "Catch up on overdue follow-ups of leads and deals (on time {:.0}% of the time before) from the Today page; the manager checks weekly",
                before * 100.0
            ),
        },
        "contacted_within_24h_rate" | "first_response_hours" => lang
            .pick(
                "新线索 24 小时内首次联系：开启首触提醒，超时由主管跟进",
                "Contact new leads within 24 hours: turn on first-contact reminders, escalate breaches",
            )
            .into(),
        "leads_received" => lang
            .pick(
                "重新分配线索：本月补足线索，优先分配其擅长的线索类型",
                "Rebalance leads: top up this month, favouring the lead types they convert best",
            )
            .into(),
        "lead_conversion_rate" | "win_rate" => lang
            .pick(
                "主管陪访并复盘最近丢单；推送课程「谈判技巧」",
                "Manager ride-along and a review of recent losses; push the negotiation course",
            )
            .into(),
        "training_completion_rate" | "trainings_done_to_date" => lang
            .pick(
                "推送未完成的培训课程，约定完成日期",
                "Push the unfinished courses with a due date",
            )
            .into(),
        "pipeline_value" => lang
            .pick(
                "补充商机：盘点在跟线索，本周新建商机",
                "Rebuild the pipeline: review open leads, open new deals this week",
            )
            .into(),
        _ => lang
            .pick(
                "与主管一对一复盘本月计划",
                "One-to-one with the manager on this month's plan",
            )
            .into(),
    }
}

/// The clear drivers that moved the wrong way by at least `min_change` (relative) between the mean
/// of `earlier` and `recent`, largest move first. Missing values are skipped.
pub fn driver_moves(
    recent: &EmployeeMonthMetrics,
    earlier: &[&EmployeeMonthMetrics],
    drivers: &[ClearDriver],
    min_change: f64,
    lang: Lang,
) -> Vec<DriverMove> {
    let mut out = Vec::new();
    // An appraisal is a judgement of the outcome, not a lever: never a reason (as in `peers`);
    // nor a lever whose association runs against its purpose.
    for d in drivers
        .iter()
        .filter(|d| d.feature != "appraisal_score" && !reads_backwards(&d.feature, d.positive))
    {
        let Some(now) = candidate_value(&d.feature, recent) else {
            continue;
        };
        let past: Vec<f64> = earlier
            .iter()
            .filter_map(|m| candidate_value(&d.feature, m))
            .filter(|v| v.is_finite())
            .collect();
        if past.is_empty() || !now.is_finite() {
            continue;
        }
        let before = past.iter().sum::<f64>() / past.len() as f64;
        if before.abs() < 1e-9 {
            continue;
        }
        let change = (now - before) / before.abs();
        let worse = if d.positive {
            change <= -min_change
        } else {
            change >= min_change
        };
        if !worse {
            continue;
        }
        let label = feature_label(&d.feature, lang);
        let pct = (change.abs() * 100.0).round();
        let text = match lang {
            Lang::Zh => format!(
                "{label}较前{}个月{} {pct}%（{} → {}）",
                past.len(),
                if change < 0.0 { "下降" } else { "上升" },
                shown(&d.feature, before),
                shown(&d.feature, now)
            ),
            Lang::En => format!(
                "{label} {} {pct}% against the {} months before ({} → {})",
                if change < 0.0 { "down" } else { "up" },
                past.len(),
                shown(&d.feature, before),
                shown(&d.feature, now)
            ),
        };
        out.push(DriverMove {
            feature: d.feature.clone(),
            label,
            now,
            before,
            change,
            text,
            action: action_for(&d.feature, before, lang),
        });
    }
    out.sort_by(|a, b| b.change.abs().total_cmp(&a.change.abs()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(followups: f64, first_response: f64) -> EmployeeMonthMetrics {
        EmployeeMonthMetrics {
            followups_per_week: Some(followups),
            first_response_hours: Some(first_response),
            ..Default::default()
        }
    }

    #[test]
    fn reports_only_clear_drivers_that_moved_the_wrong_way() {
        let drivers = vec![
            ClearDriver {
                feature: "followups_per_week".into(),
                positive: true,
            },
            ClearDriver {
                feature: "first_response_hours".into(),
                positive: false,
            },
        ];
        let earlier = [month(10.0, 4.0), month(10.0, 4.0), month(10.0, 4.0)];
        let e: Vec<&EmployeeMonthMetrics> = earlier.iter().collect();
        // Follow-ups down 20%, response 50% slower: both are worse, the larger first.
        let m = driver_moves(&month(8.0, 6.0), &e, &drivers, 0.15, Lang::Zh);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].feature, "first_response_hours");
        assert_eq!(m[1].text, "周均跟进次数较前3个月下降 20%（10.0 → 8.0）");
        assert!(m[1].action.contains("每周至少 10 次"), "{}", m[1].action);
        // Better on both, or a move below the threshold: nothing to warn about.
        assert!(driver_moves(&month(12.0, 2.0), &e, &drivers, 0.15, Lang::Zh).is_empty());
        assert!(driver_moves(&month(9.0, 4.4), &e, &drivers, 0.15, Lang::Zh).is_empty());
        // No history, or a driver the analysis did not confirm: silent.
        assert!(driver_moves(&month(1.0, 9.0), &[], &drivers, 0.15, Lang::Zh).is_empty());
        assert!(driver_moves(&month(1.0, 9.0), &e, &[], 0.15, Lang::Zh).is_empty());
        // Appraisals are never a reason, however they moved.
        let appraisal = [ClearDriver {
            feature: "appraisal_score".into(),
            positive: true,
        }];
        let high = EmployeeMonthMetrics {
            appraisal_score: Some(4.5),
            ..Default::default()
        };
        let low = EmployeeMonthMetrics {
            appraisal_score: Some(2.0),
            ..Default::default()
        };
        assert!(driver_moves(&low, &[&high], &appraisal, 0.15, Lang::Zh).is_empty());
        // Money reads as money.
        let pipe = [ClearDriver {
            feature: "pipeline_value".into(),
            positive: true,
        }];
        let before = EmployeeMonthMetrics {
            pipeline_fen: 25_000_000,
            ..Default::default()
        };
        let now = EmployeeMonthMetrics {
            pipeline_fen: 2_150_000,
            ..Default::default()
        };
        let m = driver_moves(&now, &[&before], &pipe, 0.15, Lang::Zh);
        assert!(m[0].text.contains("（¥250,000 → ¥21,500）"), "{}", m[0].text);
        // Cadence compliance reads as a percentage; found negative (a workload association) it
        // is no reason to "catch up on follow-ups", however it moved.
        let cadence = |v: f64| EmployeeMonthMetrics {
            presale_cadence_compliance: Some(v),
            ..Default::default()
        };
        let up = [ClearDriver {
            feature: "presale_cadence_compliance".into(),
            positive: true,
        }];
        let m = driver_moves(&cadence(0.4), &[&cadence(0.8)], &up, 0.15, Lang::Zh);
        assert_eq!(m[0].text, "售前跟进节奏达标率较前1个月下降 50%（80% → 40%）");
        assert!(m[0].action.contains("此前平均达标 80%"), "{}", m[0].action);
        let down = [ClearDriver {
            feature: "presale_cadence_compliance".into(),
            positive: false,
        }];
        assert!(driver_moves(&cadence(0.9), &[&cadence(0.5)], &down, 0.15, Lang::Zh).is_empty());
    }
}
