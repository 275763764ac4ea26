//! The demo company's summary on the terminal.

use uplift_app::demo::DemoSummary;
use uplift_domain::{Lang, Money};

pub fn demo_summary(summary: &DemoSummary, lang: Lang) -> String {
    let money = |x: f64| Money((x * 100.0).round() as i64).display_cny();
    let mut s = if lang == Lang::Zh {
        format!(
            "示例公司已创建：{} 个部门，{} 名员工（期间入职 {} 人、离职 {} 人），{}至{}；线索 {} 条，商机 {} 个，活动 {} 条。\n",
            summary.departments,
            summary.employees,
            summary.joiners,
            summary.leavers,
            summary.from.label_zh(),
            summary.to.label_zh(),
            summary.leads,
            summary.opportunities,
            summary.activities
        )
    } else {
        format!(
            "Demo company created: {} departments, {} staff ({} joined, {} left in the period), {} to {}; {} leads, {} opportunities, {} activities.\n",
            summary.departments,
            summary.employees,
            summary.joiners,
            summary.leavers,
            summary.from,
            summary.to,
            summary.leads,
            summary.opportunities,
            summary.activities
        )
    };
    if let Some(p) = summary.last_per_capita {
        s.push_str(&format!(
            "{} {}: {}\n",
            if lang == Lang::Zh {
                summary.to.label_zh()
            } else {
                summary.to.to_string()
            },
            lang.pick("全公司人均贡献额", "company per-capita contribution"),
            money(p)
        ));
    }
    for (i, (d, v)) in summary.league.iter().enumerate() {
        s.push_str(&format!("  {}. {d}  {}\n", i + 1, money(*v)));
    }
    s
}
