//! Who is paid in a month and with what: each person employed joined with their salary record,
//! city table, declarations, pay inputs, 补差 and prior cumulative position, ready for the engine;
//! what stops the run is collected and said at once, naming the people.

use chrono::{Datelike, NaiveDate};
use rustc_hash::FxHashMap as HashMap;
use uplift_domain::{Lang, Month};
use uplift_payroll::{
    BasicRule, BonusMethod, Calendar, CityPolicy, Cumulative, PayInput, PolicySet, Rate, TaxPolicy, TaxStatus,
};
use uplift_store::{
    CorrectionRow, DeclarationRow, OpeningRow, PayInputRow, PayrollInputs, PayrollPerson, PriorRow, SalaryRow,
};

use crate::error::AppError;

/// The first names of a list and how many more.
pub(super) fn list(names: &[String], lang: Lang) -> String {
    const SHOWN: usize = 20;
    let mut s = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(lang.pick("、", ", "));
    if names.len() > SHOWN {
        s.push_str(&match lang {
            Lang::Zh => format!(" 等 {} 人", names.len()),
            Lang::En => format!(" and {} more", names.len() - SHOWN),
        });
    }
    s
}

/// One person ready for the engine.
pub(super) struct Built<'a> {
    pub(super) person: &'a PayrollPerson,
    pub(super) city: &'a CityPolicy,
    pub(super) input: PayInput,
    pub(super) prior: Cumulative,
    pub(super) bank_account: Option<String>,
    pub(super) bank_name: Option<String>,
}

pub(super) struct BuiltMonth<'a> {
    pub(super) people: Vec<Built<'a>>,
    pub(super) warnings: Vec<String>,
}

/// What the month's inputs are read against.
pub(super) struct Plan<'a> {
    pub(super) month: Month,
    pub(super) policies: &'a PolicySet,
    pub(super) tax: &'a TaxPolicy,
    pub(super) calendar: Option<&'a Calendar>,
    pub(super) default_city: &'a str,
    /// People who had an annual bonus taxed separately earlier this year (once a year only).
    pub(super) separate_bonus_paid: &'a rustc_hash::FxHashSet<i64>,
    pub(super) commission: &'a HashMap<String, i64>,
    pub(super) corrections: &'a HashMap<i64, CorrectionRow>,
}

/// The rows of `rows` per employee id (each list is ordered by employee id).
fn by_employee<T>(rows: &[T], id: impl Fn(&T) -> i64) -> HashMap<i64, &[T]> {
    let mut out: HashMap<i64, &[T]> = HashMap::default();
    let mut start = 0;
    for i in 1..=rows.len() {
        if i == rows.len() || id(&rows[i]) != id(&rows[start]) {
            out.insert(id(&rows[start]), &rows[start..i]);
            start = i;
        }
    }
    out
}

impl<'a> Plan<'a> {
    pub(super) fn build(&self, inputs: &'a PayrollInputs, lang: Lang) -> Result<BuiltMonth<'a>, AppError> {
        let month = self.month;
        let salaries = by_employee(&inputs.salaries, |s: &SalaryRow| s.employee_id);
        let declarations = by_employee(&inputs.declarations, |d: &DeclarationRow| d.employee_id);
        let pay_inputs = by_employee(&inputs.pay_inputs, |d: &PayInputRow| d.employee_id);
        let openings = by_employee(&inputs.openings, |d: &OpeningRow| d.employee_id);
        let prior = by_employee(&inputs.prior, |d: &PriorRow| d.employee_id);
        let (first, last) = (month.first_day(), month.last_day());
        let previous_key = month.prev().to_key();

        let mut warnings = Vec::new();
        let mut no_salary = Vec::new();
        let mut no_city: Vec<String> = Vec::new();
        let mut no_opening = Vec::new();
        let mut bad_rate = Vec::new();
        let mut bonus_twice = Vec::new();
        let mut unverified: Vec<&str> = Vec::new();
        let mut people = Vec::with_capacity(inputs.people.len());
        if self.calendar.is_none() {
            warnings.push(match lang {
                Lang::Zh => format!("没有 {} 年的节假日日历，入离职当月按周一至周五计工作日", month.year()),
                Lang::En => format!(
                    "no holiday calendar for {}: joiners' and leavers' working days count Monday to Friday",
                    month.year()
                ),
            });
        }
        for person in &inputs.people {
            let Some(history) = salaries.get(&person.id) else {
                no_salary.push(format!("{}（{}）", person.name, person.employee_no));
                continue;
            };
            let salary = history.last().expect("grouped rows are non-empty");
            let city_name = salary.si_city.as_deref().unwrap_or(self.default_city);
            let Some(city) = self.policies.city(city_name, first) else {
                let why = if self.policies.knows_city(city_name) {
                    lang.pick("该月没有适用的社保公积金标准", "no contribution table for the month")
                } else {
                    lang.pick("未知的社保城市", "unknown contribution city")
                };
                no_city.push(format!("{}（{city_name}：{why}）", person.name));
                continue;
            };
            if !city.quality.verified() && !unverified.contains(&city.name_zh.as_str()) {
                unverified.push(&city.name_zh);
            }
            let hf_rate = match salary.hf_rate.as_deref() {
                None => None,
                Some(t) => match Rate::parse(t) {
                    Some(r) => Some(r),
                    None => {
                        bad_rate.push(person.name.clone());
                        continue;
                    }
                },
            };
            let hire = date(&person.hire_date);
            let leave = person
                .leave_date
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            // Prior cumulative position: last month's payslip, else an opening as of last month,
            // else zero — only in January or for someone hired this month (anyone else missing
            // from last month would silently restart their tax year).
            let opening = openings.get(&person.id).and_then(|o| o.last());
            let hired_this_month = hire.is_some_and(|h| h >= first);
            let prior_row = prior.get(&person.id).and_then(|r| r.first());
            let mut prior_cum = match (prior_row, opening) {
                (Some(r), _) => Cumulative {
                    income: r.cum_income,
                    basic: r.cum_basic,
                    special: r.cum_special,
                    special_additional: r.cum_special_additional,
                    other: r.cum_other,
                    tax: r.cum_tax,
                    withheld: r.cum_withheld,
                },
                (None, Some(o)) if o.as_of_month == previous_key => Cumulative {
                    income: o.cum_income_fen,
                    basic: o.cum_basic_fen,
                    special: o.cum_special_fen,
                    special_additional: o.cum_special_additional_fen,
                    other: o.cum_other_fen,
                    tax: o.cum_withheld_fen,
                    withheld: o.cum_withheld_fen,
                },
                _ if month.month() == 1 || hired_this_month => Cumulative::default(),
                _ => {
                    no_opening.push(format!("{}（{}）", person.name, person.employee_no));
                    continue;
                }
            };
            // A 补差 (`rerun-from`): the corrected 专项扣除 through last month, and the cash now.
            let correction = self.corrections.get(&person.id);
            if let Some(c) = correction.filter(|c| c.cum_special_fen >= 0) {
                prior_cum.special = c.cum_special_fen;
            }
            // The special additional deduction accumulates over the months employed here this
            // year, each month's entitlement the declaration in force then (a late declaration
            // catches up); with an opening this year, from the opening's total on.
            let (start, sad_base) = match opening {
                Some(o) => (
                    Month::from_key(o.as_of_month).map_or(month, Month::next),
                    o.cum_special_additional_fen,
                ),
                None => {
                    let january = Month::new(month.year(), 1).expect("valid month");
                    (hire.map(Month::of).filter(|h| *h > january).unwrap_or(january), 0)
                }
            };
            let entitlement = sad_base
                + start
                    .through(month)
                    .iter()
                    .map(|m| entitlement(declarations.get(&person.id).copied().unwrap_or(&[]), *m))
                    .sum::<i64>();
            let input_row = pay_inputs.get(&person.id).and_then(|r| r.first());
            if bonus_again(input_row, person.id, self.separate_bonus_paid) {
                bonus_twice.push(format!("{}（{}）", person.name, person.employee_no));
                continue;
            }

            let same_year = salary.effective_from.get(..4) == Some(month.year().to_string().as_str());
            let missed = missed_working_days(self.calendar, first, last, hire, leave);
            let earliest = history.first().expect("grouped rows are non-empty");
            let si_base = salary.si_base_fen.unwrap_or(earliest.base_pay_fen);
            let input = PayInput {
                month: month.month(),
                base_pay: salary.base_pay_fen,
                allowance: salary.allowance_fen,
                overtime_pay: input_row.map_or(0, |r| r.overtime_pay_fen),
                performance_bonus: input_row.map_or(0, |r| r.performance_bonus_fen),
                commission: self.commission.get(&person.employee_no).copied().unwrap_or(0),
                other_pay: input_row.map_or(0, |r| r.other_pay_fen),
                absence_days_h: (input_row.map_or(0, |r| r.unpaid_leave_days_h) + missed * 100).min(3100),
                other_pretax_deduction: input_row.map_or(0, |r| r.other_pretax_deduction_fen),
                post_tax_deduction: input_row.map_or(0, |r| r.post_tax_deduction_fen),
                annual_bonus: input_row.map_or(0, |r| r.annual_bonus_fen),
                bonus_method: if input_row.is_some_and(|r| r.bonus_merged) {
                    BonusMethod::Merged
                } else {
                    BonusMethod::Separate
                },
                bonus_separate_allowed: first <= self.tax.bonus_separate_until,
                si_base,
                hf_base: salary.hf_base_fen.unwrap_or(si_base),
                hf_rate,
                contributes: contributes(first, hire, leave),
                tax_status: if salary.non_resident {
                    TaxStatus::NonResident
                } else {
                    TaxStatus::Resident
                },
                // Both are a year's qualifications: a record dated in another year does not carry
                // them (a new record each January renews them).
                basic_rule: if salary.sixty_thousand && same_year {
                    BasicRule::SixtyThousand
                } else if salary.first_job_this_year && same_year {
                    BasicRule::FirstJobThisYear
                } else {
                    BasicRule::Monthly
                },
                special_additional_cum: entitlement,
                si_backpay: correction.map_or(0, |c| c.si_employee_fen),
                si_backpay_employer: correction.map_or(0, |c| c.si_employer_fen),
            };
            people.push(Built {
                person,
                city,
                input,
                prior: prior_cum,
                bank_account: salary.bank_account.clone(),
                bank_name: salary.bank_name.clone(),
            });
        }
        let mut problems = Vec::new();
        if !no_salary.is_empty() {
            problems.push(format!(
                "{}{}",
                lang.pick("没有薪资档案：", "no salary record: "),
                list(&no_salary, lang)
            ));
        }
        if !no_city.is_empty() {
            problems.push(format!(
                "{}{}",
                lang.pick("社保城市无标准：", "no contribution table: "),
                list(&no_city, lang)
            ));
        }
        if !bad_rate.is_empty() {
            problems.push(format!(
                "{}{}",
                lang.pick("公积金比例无法读取：", "unreadable housing fund rate: "),
                list(&bad_rate, lang)
            ));
        }
        if !bonus_twice.is_empty() {
            problems.push(format!(
                "{}{}",
                lang.pick(
                    "本年已有一次单独计税的年终奖，这次请用并入综合所得（年终奖计税方式 merged）：",
                    "a bonus was already taxed separately this year; tax this one merged (bonus_method merged): "
                ),
                list(&bonus_twice, lang)
            ));
        }
        if !no_opening.is_empty() {
            let prev = month.prev();
            problems.push(match lang {
                Lang::Zh => format!(
                    "{prev} 的工资尚未在 Uplift 计算，以下人员需要截至 {prev} 的年初累计（iit_opening）：{}",
                    list(&no_opening, lang)
                ),
                Lang::En => format!(
                    "{prev} was not run in Uplift; these people need an iit_opening as of {prev}: {}",
                    list(&no_opening, lang)
                ),
            });
        }
        if !problems.is_empty() {
            return Err(AppError::invalid(format!(
                "{month}: {}",
                problems.join(lang.pick("；", "; "))
            )));
        }
        if !unverified.is_empty() {
            warnings.push(match lang {
                Lang::Zh => format!("{} 的社保公积金标准未核实，请按官方通知更新", unverified.join("、")),
                Lang::En => format!(
                    "the contribution tables of {} are unverified; update them from the official notices",
                    unverified.join(", ")
                ),
            });
        }
        Ok(BuiltMonth { people, warnings })
    }
}

/// Whether 五险一金 are paid for the month: not for a joiner hired after the 15th (enrolled from
/// next month) nor for a leaver gone before it (removed in time). Cities' cut-off days differ;
/// the 15th is the common one (a simplification the contract leaves open).
fn contributes(first: NaiveDate, hire: Option<NaiveDate>, leave: Option<NaiveDate>) -> bool {
    let cutoff = first.with_day(15).unwrap_or(first);
    hire.is_none_or(|h| h <= cutoff) && leave.is_none_or(|l| l >= cutoff)
}

/// A second annual bonus taxed separately in one tax year (allowed once a year).
fn bonus_again(input: Option<&PayInputRow>, id: i64, paid: &rustc_hash::FxHashSet<i64>) -> bool {
    input.is_some_and(|r| r.annual_bonus_fen > 0 && !r.bonus_merged) && paid.contains(&id)
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The monthly entitlement in force in `m`: the latest declaration starting on or before it,
/// unless it has ended.
fn entitlement(declarations: &[DeclarationRow], m: Month) -> i64 {
    let key = m.to_key();
    declarations
        .iter()
        .rev()
        .find(|d| d.from_month <= key)
        .filter(|d| d.to_month.is_none_or(|t| t >= key))
        .map_or(0, |d| d.monthly_fen)
}

/// Working days of the month before the hire date and after the leave date.
fn missed_working_days(
    calendar: Option<&Calendar>,
    first: NaiveDate,
    last: NaiveDate,
    hire: Option<NaiveDate>,
    leave: Option<NaiveDate>,
) -> i64 {
    let working = |from: NaiveDate, to: NaiveDate| -> i64 {
        if from > to {
            return 0;
        }
        match calendar {
            Some(c) => c.working_days(from, to),
            None => from
                .iter_days()
                .take_while(|d| *d <= to)
                .filter(|d| d.weekday().num_days_from_monday() < 5)
                .count() as i64,
        }
    };
    let mut missed = 0;
    if let Some(h) = hire.filter(|h| *h > first) {
        missed += working(first, h.pred_opt().unwrap_or(h));
    }
    if let Some(l) = leave.filter(|l| *l < last) {
        missed += working(l.succ_opt().unwrap_or(l), last);
    }
    missed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        date(s).unwrap()
    }

    #[test]
    fn joiners_and_leavers_miss_the_working_days_outside_their_employment() {
        let set = uplift_payroll::shipped();
        let cal = set.calendar(2026);
        let (first, last) = (d("2026-10-01"), d("2026-10-31"));
        // October 2026: the 1st–7th are off; hired on Monday the 12th, the 8th, 9th and the
        // make-up Saturday the 10th are missed.
        assert_eq!(missed_working_days(cal, first, last, Some(d("2026-10-12")), None), 3);
        assert_eq!(
            missed_working_days(cal, first, last, Some(d("2025-01-01")), Some(d("2026-10-30"))),
            0
        );
        assert_eq!(missed_working_days(cal, first, last, None, Some(d("2026-10-15"))), 11);
        assert_eq!(missed_working_days(None, first, last, Some(d("2026-10-12")), None), 7);
    }

    #[test]
    fn contributions_follow_the_15th() {
        let first = d("2026-08-01");
        assert!(contributes(first, Some(d("2026-08-15")), None));
        assert!(!contributes(first, Some(d("2026-08-16")), None));
        assert!(!contributes(first, Some(d("2020-01-01")), Some(d("2026-08-14"))));
        assert!(contributes(first, None, Some(d("2026-08-15"))));
    }

    #[test]
    fn the_declaration_in_force_is_the_latest_started_and_not_ended() {
        let row = |from: i32, to: Option<i32>, fen: i64| DeclarationRow {
            employee_id: 1,
            from_month: from,
            to_month: to,
            monthly_fen: fen,
        };
        let decl = [row(202601, None, 100), row(202604, Some(202606), 300)];
        let m = |k| Month::from_key(k).unwrap();
        assert_eq!(entitlement(&decl, m(202603)), 100);
        assert_eq!(entitlement(&decl, m(202605)), 300);
        assert_eq!(entitlement(&decl, m(202607)), 0);
        assert_eq!(entitlement(&decl[1..], m(202602)), 0);
    }
}
