//! Lead routing on the terminal: an assignment run, the model's calibration, a simulation.

use uplift_app::routing::{AssignResult, ModelReport, SimulationResult, strategy_label};
use uplift_domain::Lang;

use super::{line, money_text};

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// A table for the terminal: totals, the comparison with round robin, then one line per lead.
pub fn assignment(assigned: &AssignResult, lang: Lang, max_lines: usize) -> String {
    let zh = lang == Lang::Zh;
    let mut t = String::new();
    let kept = assigned.lines.iter().filter(|l| l.kept).count();
    t.push_str(&if zh {
        format!(
            "线索分配（{}，{}）：{} 条线索，分出 {} 条{}，未分出 {} 条\n",
            assigned.strategy,
            assigned.month,
            assigned.leads,
            assigned.lines.len(),
            if kept > 0 {
                format!("（其中 {kept} 条沿用此前的分配）")
            } else {
                String::new()
            },
            assigned.unassigned.len()
        )
    } else {
        format!(
            "Lead assignment ({}, {}): {} leads, {} assigned{}, {} left unassigned\n",
            assigned.strategy,
            assigned.month,
            assigned.leads,
            assigned.lines.len(),
            if kept > 0 {
                format!(" ({kept} kept from an earlier run)")
            } else {
                String::new()
            },
            assigned.unassigned.len()
        )
    });
    let lift = if assigned.round_robin_value > 0.0 {
        format!(
            "{:+.0}%",
            (assigned.expected_value / assigned.round_robin_value - 1.0) * 100.0
        )
    } else {
        "—".into()
    };
    t.push_str(&if zh {
        format!(
            "预计转化 {:.1} 条、预计赢单金额 ¥{}；同样的线索轮流分配预计转化 {:.1} 条、¥{}（差 {lift}）\n",
            assigned.expected_conversions,
            money_text(assigned.expected_value),
            assigned.round_robin_conversions,
            money_text(assigned.round_robin_value)
        )
    } else {
        format!(
            "Expected conversions {:.1}, expected won value ¥{}; the same leads round robin: {:.1}, ¥{} ({lift})\n",
            assigned.expected_conversions,
            money_text(assigned.expected_value),
            assigned.round_robin_conversions,
            money_text(assigned.round_robin_value)
        )
    });
    if !assigned.unassigned.is_empty() {
        t.push_str(&if zh {
            "所有在岗人员本月容量已满，剩余线索未分配；可用 --capacity 提高容量后重跑（已分配的不会变）。\n".to_string()
        } else {
            "Every available rep is at capacity; the rest stay unassigned. Raise capacity with --capacity and run again (assigned leads stay).\n".to_string()
        });
    }
    if assigned.dry_run {
        t.push_str(lang.pick("试运行：未写入任何分配。\n", "Dry run: nothing was recorded.\n"));
    }
    t.push('\n');
    let w = [-20, -10, -8, 8, 12, -1];
    t.push_str(&line(
        &[
            lang.pick("线索", "lead"),
            lang.pick("工号", "employee"),
            lang.pick("姓名", "name"),
            lang.pick("转化概率", "P(convert)"),
            lang.pick("预计金额", "exp. value"),
            lang.pick("原因", "reason"),
        ],
        &w,
    ));
    for l in assigned.lines.iter().take(max_lines) {
        t.push_str(&line(
            &[
                &l.lead_id,
                &l.employee_no,
                &l.name,
                &pct(l.expected_conversion),
                &format!("¥{}", money_text(l.expected_value)),
                &l.reason,
            ],
            &w,
        ));
    }
    if assigned.lines.len() > max_lines {
        t.push_str(&if zh {
            format!("……共 {} 行，完整结果请用 --output 写入 CSV\n", assigned.lines.len())
        } else {
            format!(
                "… {} lines in all; use --output for the full CSV\n",
                assigned.lines.len()
            )
        });
    }
    t
}

/// The reliability table and scores for the terminal.
pub fn model_report(m: &ModelReport, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let r = &m.reliability;
    let mut t = if zh {
        format!(
            "线索价值模型：用 {}–{} 的 {} 条线索训练，检验 {}–{} 的 {} 条（按实际负责人预测）\n\
             可分配人员 {} 人（在岗 {} 人）；公司整体转化率 {}；行业经验匹配时转化率 ×{:.2}\n\
             Brier 分数 {:.4}（只用公司整体转化率为 {:.4}，越低越好）；预计转化 {:.0} 条，实际 {:.0} 条\n\n",
            m.trained_from,
            m.trained_to,
            m.trained_leads,
            m.tested_from,
            m.tested_to,
            r.leads,
            m.reps,
            m.available_reps,
            pct(m.base_rate),
            m.experience_lift,
            r.brier,
            r.baseline_brier,
            r.predicted_conversions,
            r.actual_conversions
        )
    } else {
        format!(
            "Lead value model: trained on {} leads of {}–{}, tested on {} leads of {}–{} (each with its actual owner)\n\
             {} reps ({} available); company conversion {}; matching industry experience ×{:.2}\n\
             Brier score {:.4} (one company rate: {:.4}; lower is better); predicted {:.0} conversions, actual {:.0}\n\n",
            m.trained_leads,
            m.trained_from,
            m.trained_to,
            r.leads,
            m.tested_from,
            m.tested_to,
            m.reps,
            m.available_reps,
            pct(m.base_rate),
            m.experience_lift,
            r.brier,
            r.baseline_brier,
            r.predicted_conversions,
            r.actual_conversions
        )
    };
    let w = [6, 8, -16, 10, 10];
    t.push_str(&line(
        &[
            lang.pick("分位", "decile"),
            lang.pick("线索", "leads"),
            lang.pick("预测区间", "range"),
            lang.pick("预测", "predicted"),
            lang.pick("实际", "actual"),
        ],
        &w,
    ));
    for b in &r.bins {
        t.push_str(&line(
            &[
                &b.decile.to_string(),
                &b.leads.to_string(),
                &format!("{}–{}", pct(b.from), pct(b.to)),
                &pct(b.predicted),
                &pct(b.actual),
            ],
            &w,
        ));
    }
    t
}

/// Strategies side by side for the terminal, with the lift over round robin.
pub fn simulation(sim: &SimulationResult, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let mut t = if zh {
        format!(
            "分配模拟：{}–{} 的 {} 条线索，按各策略重新分配（模型只用模拟期之前的数据），\n\
             用全部历史拟合的模型估计结果（反事实无法直接观察）。每人保底 {} 条，优质线索每人不超过 {:.0}%。\n\n",
            sim.from,
            sim.to,
            sim.leads,
            sim.limits.min_per_rep,
            sim.limits.premium_rep_cap * 100.0
        )
    } else {
        format!(
            "Routing simulation: the {} leads of {}–{} re-dealt by each strategy (the router learns only from\n\
             earlier months), outcomes estimated by the model fitted on all history (counterfactuals cannot be\n\
             observed). Minimum {} per rep; no rep above {:.0}% of premium leads.\n\n",
            sim.leads,
            sim.from,
            sim.to,
            sim.limits.min_per_rep,
            sim.limits.premium_rep_cap * 100.0
        )
    };
    let base = sim.outcome("round-robin").map(|o| o.expected_value).unwrap_or(0.0);
    let w = [-17, 8, 12, 8, 14, 10];
    t.push_str(&line(
        &[
            lang.pick("策略", "strategy"),
            lang.pick("线索", "leads"),
            lang.pick("预计转化", "conversions"),
            lang.pick("转化率", "rate"),
            lang.pick("预计赢单金额", "won value"),
            lang.pick("较轮流", "vs RR"),
        ],
        &w,
    ));
    for o in &sim.outcomes {
        let lift = if base > 0.0 {
            format!("{:+.1}%", (o.expected_value / base - 1.0) * 100.0)
        } else {
            "—".into()
        };
        t.push_str(&line(
            &[
                strategy_label(o.strategy, lang),
                &o.assigned.to_string(),
                &format!("{:.1}", o.expected_conversions),
                &pct(if o.assigned > 0 {
                    o.expected_conversions / o.assigned as f64
                } else {
                    0.0
                }),
                &format!("¥{}", money_text(o.expected_value)),
                &lift,
            ],
            &w,
        ));
    }
    if let Some(c) = sim.outcome("current") {
        t.push_str(&if zh {
            format!(
                "\n核对：现行分配实际转化 {} 条，模型估计 {:.0} 条。\n",
                sim.actual_conversions, c.expected_conversions
            )
        } else {
            format!(
                "\nCheck: current practice actually converted {}; the model estimates {:.0}.\n",
                sim.actual_conversions, c.expected_conversions
            )
        });
    }
    t
}

#[cfg(test)]
mod tests {
    use super::simulation;
    use uplift_app::routing::SimulationResult;
    use uplift_domain::Lang;
    use uplift_routing::Limits;
    use uplift_routing::simulate::StrategyOutcome;

    fn outcome(strategy: &'static str, conversions: f64, value: f64) -> StrategyOutcome {
        StrategyOutcome {
            strategy,
            leads: 1000,
            assigned: 1000,
            expected_conversions: conversions,
            expected_value: value,
        }
    }

    #[test]
    fn a_simulation_names_each_strategy_in_the_readers_language() {
        let sim = SimulationResult {
            from: "2026-08".into(),
            to: "2026-10".into(),
            leads: 1000,
            outcomes: vec![
                outcome("current", 100.0, 1_000_000.0),
                outcome("round-robin", 90.0, 900_000.0),
                outcome("optimal", 130.0, 1_400_000.0),
            ],
            actual_conversions: 98,
            limits: Limits::default(),
        };
        let zh = simulation(&sim, Lang::Zh);
        for name in ["现行分配", "轮流分配", "最优分配"] {
            assert!(zh.contains(name), "{name} missing:\n{zh}");
        }
        let en = simulation(&sim, Lang::En);
        assert!(
            en.contains("round robin") && en.contains("optimal") && !en.contains("最优"),
            "{en}"
        );
    }
}
