//! Early warnings on the terminal.

use uplift_app::alerts::AlertsResult;
use uplift_domain::Lang;

use super::money_text;

pub fn alerts(al: &AlertsResult, lang: Lang) -> String {
    let mut out = format!(
        "{} {} · {} {} · {} {} / {} {}\n",
        lang.pick("预警月份", "alerts for"),
        al.month,
        lang.pick("依据", "based on"),
        al.based_on,
        al.alerts.len(),
        lang.pick("人预计未达标", "forecast to miss"),
        al.checked,
        lang.pick("人", "people"),
    );
    if let Some(n) = &al.note {
        out.push_str(&format!("{}: {n}\n", lang.pick("未能使用驱动因素", "no drivers used")));
    }
    out.push('\n');
    for a in &al.alerts {
        out.push_str(&format!(
            "{} {} {} · {} ¥{} ({}–{}) · {} ¥{} · {:.0}% · {}\n",
            if a.severity == "high" { "●" } else { "○" },
            a.employee_no,
            a.name,
            lang.pick("预测", "forecast"),
            money_text(a.forecast),
            money_text(a.low),
            money_text(a.high),
            if a.reference_kind == "target" {
                lang.pick("目标", "target")
            } else {
                lang.pick("近3月均值", "3-month mean")
            },
            money_text(a.reference),
            a.attainment * 100.0,
            a.department.as_deref().unwrap_or("—")
        ));
        if a.reasons.is_empty() {
            out.push_str(lang.pick(
                "    · 已确认的驱动因素没有明显下滑；请查看明细\n",
                "    · no confirmed driver slipped; see the details\n",
            ));
        }
        for r in &a.reasons {
            out.push_str(&format!("    · {} → {}\n", r.text, r.action));
        }
        out.push_str(&format!("    {} {}\n", lang.pick("明细", "evidence"), a.evidence));
    }
    out.push_str(lang.pick(
        "\n● 区间上限也低于目标；○ 预测低于目标的 90%。\n",
        "\n● even the interval's upper end misses; ○ forecast below 90% of the reference.\n",
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::alerts;
    use uplift_app::alerts::{Alert, AlertsResult};
    use uplift_domain::Lang;
    use uplift_insight::alerts::DriverMove;

    #[test]
    fn an_alert_reads_as_forecast_against_target_with_its_reasons_and_actions() {
        let r = AlertsResult {
            month: "2026-11".into(),
            based_on: "2026-10".into(),
            checked: 12,
            alerts: vec![Alert {
                employee_no: "E1002".into(),
                name: "王芳".into(),
                department: Some("销售中心/华东大区/销售一部".into()),
                forecast: 123_456.7,
                low: 90_000.0,
                high: 150_000.0,
                reference: 160_000.0,
                reference_kind: "target".into(),
                attainment: 0.772,
                gap: 36_543.3,
                severity: "high".into(),
                reasons: vec![DriverMove {
                    feature: "followups_per_week".into(),
                    label: "周均跟进次数".into(),
                    now: 2.0,
                    before: 4.0,
                    change: -2.0,
                    text: "周均跟进次数从 4.0 降到 2.0".into(),
                    action: "每周跟进回到 4 次".into(),
                }],
                evidence: "/people/E1002".into(),
            }],
            drivers: vec!["followups_per_week".into()],
            note: None,
        };
        let zh = alerts(&r, Lang::Zh);
        assert!(zh.contains("1 人预计未达标 / 12 人"), "{zh}");
        assert!(
            zh.contains("● E1002 王芳 · 预测 ¥123,457 (90,000–150,000) · 目标 ¥160,000 · 77%"),
            "{zh}"
        );
        assert!(
            zh.contains("    · 周均跟进次数从 4.0 降到 2.0 → 每周跟进回到 4 次"),
            "{zh}"
        );
        let en = alerts(&r, Lang::En);
        assert!(
            en.contains("forecast to miss") && en.contains("target ¥160,000"),
            "{en}"
        );
    }
}
