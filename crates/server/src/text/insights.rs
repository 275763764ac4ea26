//! The driver analysis on the terminal.

use uplift_app::insights::DriversResult;
use uplift_domain::Lang;
use uplift_insight::features::{control_label, feature_label};

use super::line;

/// A table for the terminal.
pub fn drivers(dr: &DriversResult, lang: Lang) -> String {
    let mut out = format!(
        "{}: {} · {} {}–{} · {} {} · {} {} · R² {:.2}\n{}\n\n",
        lang.pick("目标", "target"),
        dr.target,
        lang.pick("月份", "months"),
        dr.from,
        dr.to,
        dr.rows,
        lang.pick("个人月", "person-months"),
        dr.employees,
        lang.pick("人", "people"),
        dr.r_squared,
        lang.pick(
            "方法：每个可改变的行为单独估计总效应——控制客观条件（线索量与结构、司龄、部门、月份）和其他类行为，但不控制漏斗结果（转化率、赢单率等是行为起作用的路径，不是原因）；稳健标准误；随机森林置换重要性；明确的行为排在前面。“相关”不等于“因果”。",
            "Method: each lever's total effect, holding fixed the circumstances (lead volume and mix, tenure, department, month) and levers of other kinds, never the funnel outcomes (conversion, win rate… are the path a behaviour works through, not its rivals); robust errors; random-forest permutation importance; clear levers first. Association, not causation."
        )
    );
    if let Some(f) = &dr.funnel {
        out.push_str(&format!(
            "{} ({}): ¥{:.0} / ¥{:.0}\n",
            lang.pick("人均贡献额按漏斗拆分", "contribution per person by funnel stage"),
            f.compared,
            f.mean,
            f.reference_mean
        ));
        for p in &f.parts {
            out.push_str(&format!("  · {}\n", p.explanation));
        }
        out.push('\n');
    }
    let widths = [4, -30, 6, 12, 8, 8];
    out.push_str(&line(
        &[
            "#",
            lang.pick("因素", "driver"),
            lang.pick("综合", "score"),
            lang.pick("每SD效应", "effect/SD"),
            "p",
            lang.pick("树重要性", "tree"),
        ],
        &widths,
    ));
    for d in &dr.drivers {
        let mark = if let Some(c) = &d.confounded_by {
            let c = control_label(c, lang).map_or_else(|| feature_label(c, lang), str::to_string);
            format!(" [{}{c}]", lang.pick("混杂：", "confounded by "))
        } else if d.nonlinear {
            format!(" [{}]", lang.pick("非线性", "non-linear"))
        } else {
            String::new()
        };
        let cells = [
            format!("{}.", d.rank),
            d.label.clone(),
            format!("{:.2}", d.importance),
            format!("{:.2}", d.effect_per_sd),
            format!("{:.4}", d.p_value),
            format!("{:.1}%", d.tree_importance * 100.0),
        ];
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        out.push_str(line(&cells, &widths).trim_end());
        out.push_str(&format!("{mark} · {}\n    {}\n", d.layer_label, d.explanation));
        for p in d.paths.iter().filter(|p| p.direction != "unclear") {
            out.push_str(&format!("      → {}\n", p.explanation));
        }
    }
    if !dr.excluded.is_empty() {
        out.push_str(&format!("\n{}:\n", lang.pick("未纳入的因素", "left out")));
        for e in &dr.excluded {
            out.push_str(&format!("  {} ({}) — {}\n", e.label, e.feature, e.reason));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::drivers;
    use unicode_width::UnicodeWidthChar;
    use uplift_app::insights::{DriverLine, DriversResult, Excluded};
    use uplift_domain::Lang;

    fn line(rank: usize, feature: &str, label: &str, p_value: f64) -> DriverLine {
        DriverLine {
            feature: feature.into(),
            label: label.into(),
            rank,
            importance: 1.0 / rank as f64,
            linear_importance: 0.5,
            tree_importance: 0.1,
            nonlinear: false,
            effect_per_unit: 1.0,
            effect_per_sd: 1234.5,
            ci_low: 1.0,
            ci_high: 2.0,
            p_value,
            direction: "positive".into(),
            raw_effect_per_sd: 1000.0,
            confounded_by: (rank == 4).then(|| "tenure_months".into()),
            missing_share: 0.0,
            explanation: format!("explanation of {feature}"),
            layer: uplift_app::insights::Layer::Lever,
            layer_label: "lever",
            reads_backwards: false,
            paths: Vec::new(),
        }
    }

    /// Terminal columns up to byte offset `at` (a CJK character takes two).
    fn column_of(l: &str, at: usize) -> usize {
        l.char_indices()
            .take_while(|(i, _)| *i < at)
            .map(|(_, ch)| ch.width().unwrap_or(0))
            .sum()
    }

    #[test]
    fn the_driver_table_has_a_header_names_and_columns_aligned_by_terminal_width() {
        let r = DriversResult {
            target: "contribution".into(),
            rows: 1200,
            employees: 90,
            from: "2025-11".into(),
            to: "2026-10".into(),
            r_squared: 0.41,
            method: "ols+forest",
            drivers: vec![
                line(1, "pipeline_value", "在手商机金额", 0.0001),
                line(2, "followups_per_week", "周均跟进次数", 0.0123),
                line(3, "source:Web", "线索来源：Web", 0.2),
                line(4, "first_response_hours", "首次响应时长（小时）", 0.04),
                line(5, "age", "age", 0.5),
            ],
            excluded: vec![Excluded {
                feature: "lead_conversion_rate".into(),
                label: "线索转化率".into(),
                reason: "结果，不是行为".into(),
            }],
            funnel: None,
        };
        let table = drivers(&r, Lang::Zh);
        // The method is named, and association is not causation.
        assert!(table.contains("不等于"), "{table}");
        let lines: Vec<&str> = table.lines().collect();
        let header = lines.iter().position(|l| l.starts_with("   #")).expect("a header line");
        let p_at = column_of(lines[header], lines[header].find(" p ").expect("a p column"));
        let rows: Vec<&str> = lines[header + 1..]
            .iter()
            .copied()
            .filter(|l| !l.starts_with("    "))
            .take(5)
            .collect();
        assert_eq!(rows.len(), 5, "{table}");
        for (row, d) in rows.iter().zip(&r.drivers) {
            assert!(row.contains(&d.label), "{row} / {}", d.label);
            if d.label != d.feature {
                assert!(!row.contains(&d.feature), "{row} shows the id {}", d.feature);
            }
            // The p column ends under the header's p (right-aligned over width 8).
            let p = format!("{:.4}", d.p_value);
            let end = column_of(row, row.find(&p).expect("p value")) + p.len();
            assert_eq!(end, p_at + 2, "{table}");
        }
        assert!(rows[3].contains("[混杂："), "{}", rows[3]);
        assert!(table.contains("未纳入的因素") && table.contains("线索转化率 (lead_conversion_rate)"));
    }
}
