//! Assignment reasons in words, e.g. "制造业经验；同类线索历史转化率 24%（团队 13%）；本月剩余容量 5".

use crate::model::{LeadFacts, LeadModel, RepFacts, TenureBand};

/// Chinese names of the usual CRM industry picklist values (Salesforce's standard list).
pub fn industry_label(industry: &str, zh: bool) -> String {
    if !zh {
        return industry.to_string();
    }
    let zh_name = match industry.trim().to_ascii_lowercase().as_str() {
        "agriculture" => "农业",
        "apparel" => "服装",
        "banking" => "银行",
        "biotechnology" => "生物技术",
        "chemicals" => "化工",
        "communications" => "通信",
        "construction" => "建筑",
        "consulting" => "咨询",
        "education" => "教育",
        "electronics" => "电子",
        "energy" => "能源",
        "engineering" => "工程",
        "entertainment" => "文娱",
        "environmental" => "环保",
        "finance" => "金融",
        "food & beverage" => "食品饮料",
        "government" => "政府",
        "healthcare" => "医疗",
        "hospitality" => "酒店",
        "insurance" => "保险",
        "machinery" => "机械",
        "manufacturing" => "制造业",
        "media" => "传媒",
        "not for profit" => "非营利",
        "recreation" => "休闲",
        "retail" => "零售",
        "shipping" => "航运",
        "technology" => "科技",
        "telecommunications" => "电信",
        "transportation" => "交通运输",
        "utilities" => "公用事业",
        "other" => "其他",
        _ => return industry.to_string(),
    };
    zh_name.to_string()
}

fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// Why `rep` got `lead`: industry experience, their record on this kind of lead against their
/// team's, whether they are new (and so get a guaranteed minimum), and capacity left afterwards.
pub fn reason(
    model: &LeadModel,
    rep_index: usize,
    rep: &RepFacts,
    lead: &LeadFacts,
    capacity_left: u32,
    zh: bool,
) -> String {
    let mut parts: Vec<String> = Vec::new();
    if rep.knows(&lead.industry) {
        let name = industry_label(&lead.industry, zh);
        parts.push(if zh {
            format!("{name}经验")
        } else {
            format!("{name} experience")
        });
    }
    let team = model.team_history(&rep.team, lead);
    match model.rep_history(rep_index, lead) {
        Some((n, rate)) if n >= 1.0 => {
            // Few leads: say how few, so 0% or 100% on two leads reads as what it is.
            let few = (n < 10.0).then(|| n.round() as u32);
            let team_text = team.map(|(_, t)| percent(t));
            parts.push(match (zh, few, team_text) {
                (true, None, Some(t)) => format!("同类线索历史转化率 {}（团队 {t}）", percent(rate)),
                (true, Some(k), Some(t)) => format!("同类线索历史转化率 {}（仅 {k} 条，团队 {t}）", percent(rate)),
                (true, None, None) => format!("同类线索历史转化率 {}", percent(rate)),
                (true, Some(k), None) => format!("同类线索历史转化率 {}（仅 {k} 条）", percent(rate)),
                (false, None, Some(t)) => format!("{} conversion on leads of this kind (team {t})", percent(rate)),
                (false, Some(k), Some(t)) => {
                    format!(
                        "{} conversion on leads of this kind (only {k}; team {t})",
                        percent(rate)
                    )
                }
                (false, None, None) => format!("{} conversion on leads of this kind", percent(rate)),
                (false, Some(k), None) => format!("{} conversion on leads of this kind (only {k})", percent(rate)),
            });
        }
        _ => parts.push(match (zh, team) {
            (true, Some((_, t))) => format!("无同类线索记录，按团队转化率 {} 估计", percent(t)),
            (true, None) => "无同类线索记录，按公司水平估计".to_string(),
            (false, Some((_, t))) => format!("no leads of this kind yet; estimated from the team's {}", percent(t)),
            (false, None) => "no leads of this kind yet; estimated from the company rate".to_string(),
        }),
    }
    if rep.tenure_band == TenureBand::New {
        parts.push(if zh {
            "新人（入职3个月内）".to_string()
        } else {
            "new rep (first 3 months)".to_string()
        });
    }
    parts.push(if zh {
        format!("本月剩余容量 {capacity_left}")
    } else {
        format!("{capacity_left} left this month")
    });
    parts.join(if zh { "；" } else { "; " })
}
