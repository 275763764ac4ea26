//! The sentences of the driver analysis: a driver's effect on the target, a lever's path through
//! the funnel, and the names of layers, in the user's language.

use uplift_domain::Lang;

use super::{CANDIDATES, control_label, extra_label, extra_step, feature_label, is_backwards_lever, is_extra};
use crate::drivers::{Driver, Layer};

fn target_words(target: &str, lang: Lang) -> (&'static str, bool) {
    // (name, is a rate shown in percentage points)
    match target {
        "contribution" => (lang.pick("月贡献额", "monthly contribution"), false),
        "per_capita_contribution" => (lang.pick("人均贡献额", "per-capita contribution"), false),
        "quota_attainment" => (lang.pick("目标达成率", "quota attainment"), true),
        "lead_conversion_rate" => (lang.pick("线索转化率", "lead conversion"), true),
        "win_rate" => (lang.pick("赢单率", "win rate"), true),
        _ => ("?", false),
    }
}

/// The number alone: yuan rounded to hundreds with thousands separators, or rate points.
fn number(v: f64, rate: bool) -> String {
    if rate {
        return format!("{:.1}", v * 100.0);
    }
    uplift_domain::money::whole_with_separators((v / 100.0).round() * 100.0)
}

fn with_unit(n: String, rate: bool, lang: Lang) -> String {
    match (rate, lang) {
        (true, Lang::Zh) => format!("{n} 个百分点"),
        (true, Lang::En) => format!("{n} points"),
        (false, Lang::Zh) => format!("{n} 元"),
        (false, Lang::En) => format!("¥{n}"),
    }
}

fn amount(v: f64, rate: bool, lang: Lang) -> String {
    with_unit(number(v, rate), rate, lang)
}

/// `6,100–10,300 元`, `¥6,100–¥10,300`, `-1.2–3.4 个百分点`.
fn range(lo: f64, hi: f64, rate: bool, lang: Lang) -> String {
    match lang {
        Lang::Zh => with_unit(format!("{}–{}", number(lo, rate), number(hi, rate)), rate, lang),
        Lang::En => format!("{} to {}", amount(lo, rate, lang), amount(hi, rate, lang)),
    }
}

/// A lever's path in one sentence: `24小时触达率提高10个百分点，线索转化率高 1.2 个百分点（95% 区间
/// 0.9–1.5 个百分点）`, or that it does not move that stage clearly.
pub fn explain_path(lever: &str, p: &crate::drivers::Path, lang: Lang) -> String {
    let (step, step_text) = match CANDIDATES.iter().find(|c| c.id == lever) {
        Some(c) => (c.step, lang.pick(c.step_zh, c.step_en).to_string()),
        None if is_extra(lever) => {
            let (step, text, _) = extra_step(lever, lang);
            (step, text)
        }
        None => (1.0, feature_label(lever, lang)),
    };
    let oname = feature_label(&p.outcome, lang);
    let rate = p.outcome.ends_with("_rate");
    if p.direction == "unclear" {
        return match lang {
            Lang::Zh => format!("对{oname}没有看出明确作用"),
            Lang::En => format!("no clear effect on {oname}"),
        };
    }
    let (eff, lo, hi) = (p.effect_per_unit * step, p.ci_low * step, p.ci_high * step);
    // Said as "lower by 0.7 (0.5–0.9)" rather than "-0.9–-0.5".
    let (lo, hi) = if eff >= 0.0 { (lo, hi) } else { (-hi, -lo) };
    match lang {
        Lang::Zh => format!(
            "{step_text}，{oname}{} {}（95% 区间 {}）",
            if eff >= 0.0 { "高" } else { "低" },
            amount(eff.abs(), rate, lang),
            range(lo, hi, rate, lang)
        ),
        Lang::En => format!(
            "{step_text}: {oname} {} by {} (95% interval {})",
            if eff >= 0.0 { "higher" } else { "lower" },
            amount(eff.abs(), rate, lang),
            range(lo, hi, rate, lang)
        ),
    }
}

/// The name of a layer in the user's language.
pub fn layer_label(layer: Layer, lang: Lang) -> &'static str {
    match layer {
        Layer::Lever => lang.pick("可改变的行为", "lever"),
        Layer::Circumstance => lang.pick("客观条件", "circumstance"),
        Layer::Outcome => lang.pick("漏斗结果", "funnel outcome"),
    }
}

/// One sentence a sales director can read: the effect of the feature's step on the target with its
/// 95% interval and sample size, or why it is not a driver. A lever that reads backwards says so.
pub fn explain(d: &Driver, target: &str, rows: usize, lang: Lang) -> String {
    let sentence = effect_sentence(d, target, rows, lang);
    if is_backwards_lever(d) {
        sentence
            + lang.pick(
                "（方向与这项行为的目的相反：更可能反映了谁被安排去做它——例如培训多给了本就较弱的人——而不是它的作用；不作为行动建议）",
                " (against the lever's purpose: more likely who is given it — e.g. training going to weaker reps — than what it does; not advice)",
            )
    } else {
        sentence
    }
}

fn effect_sentence(d: &Driver, target: &str, rows: usize, lang: Lang) -> String {
    let (step, step_text, fname) = match CANDIDATES.iter().find(|c| c.id == d.feature) {
        Some(c) => (
            c.step,
            lang.pick(c.step_zh, c.step_en).to_string(),
            lang.pick(c.zh, c.en).to_string(),
        ),
        None if is_extra(&d.feature) => {
            let (step, text, _) = extra_step(&d.feature, lang);
            (step, text, extra_label(&d.feature, lang))
        }
        None => return String::new(),
    };
    let (tname, rate) = target_words(target, lang);
    let per_step = |v: f64| v * step;
    let eff = per_step(d.effect_per_unit);
    let scale = if d.effect_per_sd != 0.0 {
        d.effect_per_unit / d.effect_per_sd
    } else {
        0.0
    };
    let (lo, hi) = (per_step(d.ci_low * scale), per_step(d.ci_high * scale));
    let fname = fname.as_str();
    if let Some(control) = &d.confounded_by {
        let cz = match control_label(control, lang) {
            Some(c) => c,
            None => {
                let o = feature_label(control, lang);
                return match lang {
                    Lang::Zh => {
                        format!("{fname}与{tname}相关，但与「{o}」高度重叠：同时考虑后不再显著，单独看不出它的作用")
                    }
                    Lang::En => format!(
                        "{fname} goes with {tname}, but overlaps with {o}: beside it, no separate effect can be seen"
                    ),
                };
            }
        };
        return match lang {
            Lang::Zh => {
                format!("{fname}与{tname}相关，但控制{cz}后不再显著：这种关联主要由{cz}解释，不是独立的驱动因素")
            }
            Lang::En => {
                format!("{fname} goes with {tname}, but not once {cz} is held fixed: {cz} explains the association")
            }
        };
    }
    if d.nonlinear {
        return match lang {
            Lang::Zh => format!(
                "{fname}与{tname}的关系不是一条直线：线性模型看不出平均效应，但树模型认为它重要（打乱后损失 {:.0}% 的解释力）；可能存在门槛或拐点，先看数据再行动",
                d.tree_importance * 100.0
            ),
            Lang::En => format!(
                "{fname} relates to {tname} but not in a straight line: no average effect in the regression, yet the forest relies on it ({:.0}% of the variance lost when shuffled); look for a threshold before acting",
                d.tree_importance * 100.0
            ),
        };
    }
    if d.direction == "unclear" {
        return match lang {
            Lang::Zh => format!(
                "{fname}与{tname}没有可确认的关联（{}：95% 区间 {} 含 0，n={rows}）",
                step_text,
                range(lo, hi, rate, lang)
            ),
            Lang::En => format!(
                "no clear association between {fname} and {tname} ({}: 95% interval {} includes 0, n={rows})",
                step_text,
                range(lo, hi, rate, lang)
            ),
        };
    }
    let up = eff > 0.0;
    let (a, b) = (lo.abs().min(hi.abs()), lo.abs().max(hi.abs()));
    match lang {
        Lang::Zh => format!(
            "{}，{tname}平均{} {}（95% 区间 {}，n={rows}）",
            step_text,
            if up { "高" } else { "低" },
            amount(eff.abs(), rate, lang),
            range(a, b, rate, lang),
        ),
        Lang::En => format!(
            "{}: {tname} {} by {} on average (95% interval {}, n={rows})",
            step_text,
            if up { "higher" } else { "lower" },
            amount(eff.abs(), rate, lang),
            range(a, b, rate, lang),
        ),
    }
}
