//! Every figure of a payslip with the arithmetic that produced it, in the reader's language:
//! "累计应纳税所得额 55,500 × 10% − 2,520 − 已预缴 1,180 = 1,850".

use crate::iit::Cumulative;
use crate::policy::{CityPolicy, TaxPolicy};
use crate::rate::yuan;
use crate::si::insurance;
use crate::slip::{BonusMethod, PayInput, Payslip, TaxStatus};
use serde::Serialize;
use uplift_domain::Lang;

/// Where a line belongs on the payslip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// 应发.
    Pay,
    /// 扣款.
    Deduction,
    /// 实发.
    Net,
    /// 单位承担 (not on the employee's pay, shown for cost).
    Employer,
    /// Figures the tax uses.
    Tax,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// Stable key (`base_pay`, `si_employee_pension`, `iit` …).
    pub key: String,
    pub label: String,
    pub group: Group,
    pub amount: i64,
    pub formula: String,
}

fn t(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => en.to_string(),
    }
}

/// The payslip's lines. `sources` names where the variable items came from (e.g. commission:
/// "2026-03 提成结算（已锁定）"), shown after the amount.
pub fn lines(
    city: &CityPolicy,
    tax: &TaxPolicy,
    input: &PayInput,
    prior: &Cumulative,
    slip: &Payslip,
    sources: &[(&str, String)],
    lang: Lang,
) -> Vec<Line> {
    let mut out = Vec::with_capacity(24);
    let source = |key: &str| {
        sources
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    };
    let mut push = |key: &str, label: String, group: Group, amount: i64, formula: String| {
        out.push(Line {
            key: key.to_string(),
            label,
            group,
            amount,
            formula,
        });
    };
    let pay_items = [
        ("base_pay", "基本工资", "base pay", input.base_pay),
        ("allowance", "岗位津贴", "allowance", input.allowance),
        ("overtime_pay", "加班费", "overtime", input.overtime_pay),
        (
            "performance_bonus",
            "绩效奖金",
            "performance bonus",
            input.performance_bonus,
        ),
        ("commission", "提成", "commission", input.commission),
        ("other_pay", "其他应发", "other pay", input.other_pay),
    ];
    for (key, zh, en, amount) in pay_items {
        if amount != 0 || key == "base_pay" {
            push(key, t(lang, zh, en), Group::Pay, amount, source(key));
        }
    }
    if slip.absence_deduction != 0 {
        let days = yuan(input.absence_days_h);
        let pay_days = yuan(tax.pay_days_per_month_h);
        let monthly = yuan(input.base_pay + input.allowance);
        push(
            "absence_deduction",
            t(lang, "缺勤扣款", "absence deduction"),
            Group::Pay,
            -slip.absence_deduction,
            match lang {
                Lang::Zh => format!("{monthly} × {days} 天 ÷ {pay_days}"),
                Lang::En => format!("{monthly} × {days} days ÷ {pay_days}"),
            },
        );
    }
    let pay_sum = pay_items
        .iter()
        .map(|p| yuan(p.3))
        .filter(|s| s != "0")
        .collect::<Vec<_>>();
    push(
        "gross",
        t(lang, "应发合计", "gross pay"),
        Group::Pay,
        slip.gross,
        if slip.absence_deduction != 0 {
            format!(
                "{} − {} = {}",
                pay_sum.join(" + "),
                yuan(slip.absence_deduction),
                yuan(slip.gross)
            )
        } else {
            format!("{} = {}", pay_sum.join(" + "), yuan(slip.gross))
        },
    );
    if input.annual_bonus != 0 {
        push(
            "annual_bonus",
            t(lang, "全年一次性奖金", "annual bonus"),
            Group::Pay,
            input.annual_bonus,
            source("annual_bonus"),
        );
    }

    let c = &slip.contributions;
    for (i, scheme) in city.schemes.iter().enumerate() {
        let Some(s) = scheme else { continue };
        let ins = insurance(i);
        let fixed = if s.employee_fixed != 0 {
            format!(" + {}", yuan(s.employee_fixed))
        } else {
            String::new()
        };
        if input.contributes && c.employee[i] != 0 {
            push(
                &format!("si_employee_{}", ins.key()),
                format!("{}{}", ins.label(lang), t(lang, "（个人）", " (employee)")),
                Group::Deduction,
                c.employee[i],
                format!(
                    "{} × {}{fixed}（{}）",
                    yuan(c.base[i]),
                    s.employee_rate.percent(),
                    s.rounding.label(lang)
                ),
            );
        }
        if input.contributes && c.employer[i] != 0 {
            push(
                &format!("si_employer_{}", ins.key()),
                format!("{}{}", ins.label(lang), t(lang, "（单位）", " (employer)")),
                Group::Employer,
                c.employer[i],
                format!("{} × {}", yuan(c.base[i]), s.employer_rate.percent()),
            );
        }
    }
    if input.contributes {
        let hf = &city.housing_fund;
        let f = format!(
            "{} × {}（{}）",
            yuan(c.hf_base),
            c.hf_rate.percent(),
            hf.rounding.label(lang)
        );
        push(
            "hf_employee",
            t(lang, "住房公积金（个人）", "housing fund (employee)"),
            Group::Deduction,
            c.hf_employee,
            f.clone(),
        );
        push(
            "hf_employer",
            t(lang, "住房公积金（单位）", "housing fund (employer)"),
            Group::Employer,
            c.hf_employer,
            f,
        );
        if input.si_base != c.base[0] {
            let note = match lang {
                Lang::Zh => format!(
                    "社保基数 {} 按{}标准限定在 {}–{}",
                    yuan(input.si_base),
                    city.name_zh,
                    yuan(city.schemes[0].map_or(0, |s| s.floor)),
                    yuan(city.schemes[0].map_or(0, |s| s.cap))
                ),
                Lang::En => format!(
                    "SI base {} clamped to {}'s {}–{}",
                    yuan(input.si_base),
                    city.name_en,
                    yuan(city.schemes[0].map_or(0, |s| s.floor)),
                    yuan(city.schemes[0].map_or(0, |s| s.cap))
                ),
            };
            push(
                "si_base",
                t(lang, "缴费基数", "contribution base"),
                Group::Tax,
                c.base[0],
                note,
            );
        }
    }

    let cum = &slip.cum;
    match input.tax_status {
        TaxStatus::Resident => {
            let sad_month = cum.special_additional - prior.special_additional;
            if cum.special_additional != 0 {
                push(
                    "special_additional",
                    t(
                        lang,
                        "专项附加扣除（累计）",
                        "special additional deductions (cumulative)",
                    ),
                    Group::Tax,
                    cum.special_additional,
                    match lang {
                        Lang::Zh => format!("本月 {}", yuan(sad_month)),
                        Lang::En => format!("this month {}", yuan(sad_month)),
                    },
                );
            }
            let taxable = cum.taxable();
            let b = tax.annual_table.band(taxable.max(0));
            push(
                "cum_taxable",
                t(lang, "累计应纳税所得额", "cumulative taxable income"),
                Group::Tax,
                taxable,
                format!(
                    "{} − {} − {} − {}{} = {}",
                    yuan(cum.income),
                    yuan(cum.basic),
                    yuan(cum.special),
                    yuan(cum.special_additional),
                    if cum.other != 0 {
                        format!(" − {}", yuan(cum.other))
                    } else {
                        String::new()
                    },
                    yuan(taxable)
                ),
            );
            let due = cum.tax - prior.withheld;
            let arithmetic = match lang {
                Lang::Zh => format!(
                    "累计应纳税所得额 {} × {} − {} − 已预缴 {} = {}",
                    yuan(taxable.max(0)),
                    b.rate.percent(),
                    yuan(b.quick_deduction),
                    yuan(prior.withheld),
                    yuan(due)
                ),
                Lang::En => format!(
                    "cumulative taxable {} × {} − {} − withheld before {} = {}",
                    yuan(taxable.max(0)),
                    b.rate.percent(),
                    yuan(b.quick_deduction),
                    yuan(prior.withheld),
                    yuan(due)
                ),
            };
            let formula = if due < 0 {
                format!(
                    "{arithmetic}{}",
                    t(
                        lang,
                        "，年内不退税，本月 0",
                        "; no refund within the year, 0 this month"
                    )
                )
            } else {
                arithmetic
            };
            push(
                "iit",
                t(lang, "个人所得税", "income tax"),
                Group::Deduction,
                slip.iit_withheld,
                formula,
            );
        }
        TaxStatus::NonResident => {
            let b = tax
                .monthly_table
                .band((slip.gross - tax.basic_deduction_monthly).max(0));
            push(
                "iit",
                t(lang, "个人所得税（非居民）", "income tax (non-resident)"),
                Group::Deduction,
                slip.iit_withheld,
                format!(
                    "({} − {}) × {} − {} = {}",
                    yuan(slip.gross),
                    yuan(tax.basic_deduction_monthly),
                    b.rate.percent(),
                    yuan(b.quick_deduction),
                    yuan(slip.iit_withheld)
                ),
            );
        }
    }
    if input.annual_bonus != 0 {
        let formula = match slip.bonus_method {
            BonusMethod::Separate => {
                let b = crate::iit::bonus_band(tax, input.annual_bonus);
                let mut f = format!(
                    "{} × {} − {} = {}",
                    yuan(input.annual_bonus),
                    b.rate.percent(),
                    yuan(b.quick_deduction),
                    yuan(slip.bonus_iit)
                );
                f.push_str(&match lang {
                    Lang::Zh => format!("（单独计税；并入综合所得则 {}）", yuan(slip.bonus_iit_other)),
                    Lang::En => format!(" (separate; merged it would be {})", yuan(slip.bonus_iit_other)),
                });
                if let Some((from, to)) = slip.bonus_zone {
                    f.push_str(&match lang {
                        Lang::Zh => format!(
                            "。注意：奖金在 {}–{} 的“多发少得”区间，发 {} 到手更多",
                            yuan(from),
                            yuan(to),
                            yuan(from)
                        ),
                        Lang::En => format!(
                            ". Note: the bonus lies in the zone {}–{} where more bonus nets less; {} nets more",
                            yuan(from),
                            yuan(to),
                            yuan(from)
                        ),
                    });
                }
                f
            }
            BonusMethod::Merged => match lang {
                Lang::Zh => format!(
                    "并入本月综合所得多预扣 {}（单独计税则 {}）",
                    yuan(slip.bonus_iit),
                    yuan(slip.bonus_iit_other)
                ),
                Lang::En => format!(
                    "merged into this month's income: {} more withheld (separate: {})",
                    yuan(slip.bonus_iit),
                    yuan(slip.bonus_iit_other)
                ),
            },
        };
        push(
            "bonus_iit",
            t(lang, "年终奖个税", "bonus tax"),
            Group::Deduction,
            slip.bonus_iit,
            formula,
        );
    }
    if input.si_backpay != 0 {
        push(
            "si_backpay",
            t(lang, "五险一金补差（个人）", "contribution back-pay (employee)"),
            Group::Deduction,
            input.si_backpay,
            source("si_backpay"),
        );
    }
    if input.si_backpay_employer != 0 {
        push(
            "si_backpay_employer",
            t(lang, "五险一金补差（单位）", "contribution back-pay (employer)"),
            Group::Employer,
            input.si_backpay_employer,
            source("si_backpay"),
        );
    }
    if input.post_tax_deduction != 0 {
        push(
            "post_tax_deduction",
            t(lang, "税后扣款", "post-tax deduction"),
            Group::Deduction,
            input.post_tax_deduction,
            source("post_tax_deduction"),
        );
    }
    let mut parts = vec![yuan(slip.gross)];
    if input.annual_bonus != 0 {
        parts.push(format!("+ {}", yuan(input.annual_bonus)));
    }
    for d in [
        slip.contributions.employee_total(),
        slip.iit_withheld,
        slip.bonus_iit,
        input.post_tax_deduction,
        input.si_backpay,
    ] {
        if d != 0 {
            parts.push(format!("− {}", yuan(d)));
        }
    }
    push(
        "net",
        t(lang, "实发工资", "net pay"),
        Group::Net,
        slip.net,
        format!("{} = {}", parts.join(" "), yuan(slip.net)),
    );
    out
}
