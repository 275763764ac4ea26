//! Payroll rows (salary, iit_deduction, pay_input, iit_opening; docs/spec/payroll.md) to records.
//! What needs the roster or the policies (a salary before hire, deduction ceilings) is checked by
//! the import in `app`.

use rust_decimal::Decimal;

use super::Cells;
use crate::error::{Issue, Problem};
use uplift_domain::records::*;
use uplift_domain::{Money, Month};

impl Cells<'_> {
    fn month_of(&self, field: &str) -> Result<Option<Month>, Issue> {
        match self.opt(field) {
            None => Ok(None),
            Some(v) => Month::parse(&v).map(Some).map_err(|_| {
                self.issue(
                    field,
                    Problem::BadMonth {
                        field: field.into(),
                        value: v.clone(),
                    },
                )
            }),
        }
    }

    fn req_month(&self, field: &str) -> Result<Month, Issue> {
        let v = self.month_of(field)?;
        self.required(field, v)
    }

    /// An amount that may be empty (0) but never negative.
    fn money0(&self, field: &str) -> Result<Money, Issue> {
        let v = self.amount(field)?.unwrap_or(Money(0));
        if v.0 < 0 {
            return Err(self.issue(
                field,
                Problem::BadValue {
                    field: field.into(),
                    value: self.opt(field).unwrap_or_default(),
                    expected: "≥ 0".into(),
                },
            ));
        }
        Ok(v)
    }

    fn money_opt(&self, field: &str) -> Result<Option<Money>, Issue> {
        match self.opt(field) {
            None => Ok(None),
            Some(_) => self.money0(field).map(Some),
        }
    }

    fn flag(&self, field: &str) -> Result<bool, Issue> {
        Ok(self.boolean(field)?.unwrap_or(false))
    }

    /// One of a few words, each meaning a value; empty is `None`.
    fn choice<T: Copy>(&self, field: &str, words: &[(&str, T)], expected: &str) -> Result<Option<T>, Issue> {
        let Some(v) = self.opt(field) else { return Ok(None) };
        let key = v.trim().to_lowercase().replace([' ', '-'], "_");
        words
            .iter()
            .find(|(w, _)| *w == key)
            .map(|(_, t)| Some(*t))
            .ok_or_else(|| {
                self.issue(
                    field,
                    Problem::BadValue {
                        field: field.into(),
                        value: v.clone(),
                        expected: expected.into(),
                    },
                )
            })
    }
}

/// `0.07`, `7%` → 0.07; a bare `7` is refused rather than read as 700%.
fn parse_rate(v: &str) -> Option<Decimal> {
    let t = v.trim();
    let d: Decimal = match t.strip_suffix(['%', '％']) {
        Some(p) => p.trim().parse::<Decimal>().ok()? / Decimal::ONE_HUNDRED,
        None => t.parse().ok()?,
    };
    (Decimal::ZERO..=Decimal::ONE).contains(&d).then_some(d)
}

pub(super) fn salary(c: &Cells<'_>) -> Result<Record, Issue> {
    let effective_from = {
        let v = c.date("effective_from")?;
        c.required("effective_from", v)?
    };
    let base_pay = {
        let v = c.money_opt("base_pay")?;
        c.required("base_pay", v)?
    };
    let hf_rate = match c.opt("hf_rate") {
        None => None,
        Some(v) => Some(parse_rate(&v).ok_or_else(|| {
            c.issue(
                "hf_rate",
                Problem::BadValue {
                    field: "hf_rate".into(),
                    value: v.clone(),
                    expected: "0.07 或 7% (0–1)".into(),
                },
            )
        })?),
    };
    let non_resident = c
        .choice(
            "tax_status",
            &[
                ("resident", false),
                ("居民", false),
                ("居民个人", false),
                ("non_resident", true),
                ("nonresident", true),
                ("非居民", true),
                ("非居民个人", true),
            ],
            "resident, non_resident (居民, 非居民)",
        )?
        .unwrap_or(false);
    Ok(Record::Salary(SalaryRecord {
        employee_no: c.req("employee_no")?,
        effective_from,
        base_pay,
        allowance: c.money0("allowance")?,
        performance_base: c.money_opt("performance_base")?,
        si_city: c.opt("si_city"),
        si_base: c.money_opt("si_base")?,
        hf_base: c.money_opt("hf_base")?,
        hf_rate,
        non_resident,
        first_job_this_year: c.flag("first_job_this_year")?,
        sixty_thousand: c.flag("sixty_thousand")?,
        bank_account: c.opt("bank_account"),
        bank_name: c.opt("bank_name"),
    }))
}

pub(super) fn iit_deduction(c: &Cells<'_>) -> Result<Record, Issue> {
    let from_month = c.req_month("from_month")?;
    let to_month = c.month_of("to_month")?;
    if to_month.is_some_and(|t| t < from_month) {
        return Err(c.issue(
            "to_month",
            Problem::BadValue {
                field: "to_month".into(),
                value: c.opt("to_month").unwrap_or_default(),
                expected: format!("≥ {from_month}"),
            },
        ));
    }
    Ok(Record::IitDeduction(IitDeclaration {
        employee_no: c.req("employee_no")?,
        from_month,
        to_month,
        child_education: c.money0("child_education")?,
        continuing_education: c.money0("continuing_education")?,
        mortgage_interest: c.money0("mortgage_interest")?,
        rent: c.money0("rent")?,
        elderly_support: c.money0("elderly_support")?,
        infant_care: c.money0("infant_care")?,
    }))
}

pub(super) fn pay_input(c: &Cells<'_>) -> Result<Record, Issue> {
    let unpaid_leave_days = match c.opt("unpaid_leave_days") {
        None => Decimal::ZERO,
        Some(v) => v
            .trim()
            .parse::<Decimal>()
            .ok()
            .filter(|d| (Decimal::ZERO..=Decimal::from(31)).contains(d) && d.scale() <= 2)
            .ok_or_else(|| {
                c.issue(
                    "unpaid_leave_days",
                    Problem::BadValue {
                        field: "unpaid_leave_days".into(),
                        value: v.clone(),
                        expected: "0–31, ≤ 2 decimals".into(),
                    },
                )
            })?,
    };
    let bonus_merged = c
        .choice(
            "bonus_method",
            &[
                ("separate", false),
                ("单独计税", false),
                ("merged", true),
                ("并入综合所得", true),
            ],
            "separate, merged (单独计税, 并入综合所得)",
        )?
        .unwrap_or(false);
    Ok(Record::PayInput(PayInputRecord {
        employee_no: c.req("employee_no")?,
        month: c.req_month("month")?,
        overtime_pay: c.money0("overtime_pay")?,
        performance_bonus: c.money0("performance_bonus")?,
        other_pay: c.money0("other_pay")?,
        unpaid_leave_days,
        other_pretax_deduction: c.money0("other_pretax_deduction")?,
        post_tax_deduction: c.money0("post_tax_deduction")?,
        annual_bonus: c.money0("annual_bonus")?,
        bonus_merged,
    }))
}

pub(super) fn iit_opening(c: &Cells<'_>) -> Result<Record, Issue> {
    Ok(Record::IitOpening(IitOpening {
        employee_no: c.req("employee_no")?,
        as_of_month: c.req_month("as_of_month")?,
        cum_income: c.money0("cum_income")?,
        cum_basic: c.money0("cum_basic")?,
        cum_special: c.money0("cum_special")?,
        cum_special_additional: c.money0("cum_special_additional")?,
        cum_withheld: c.money0("cum_withheld")?,
        cum_other: c.money0("cum_other")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::parse_rate;
    use rust_decimal::Decimal;

    #[test]
    fn housing_fund_rates_are_fractions_or_percentages() {
        assert_eq!(parse_rate("0.07"), Some(Decimal::new(7, 2)));
        assert_eq!(parse_rate("7%"), Some(Decimal::new(7, 2)));
        assert_eq!(parse_rate("12 ％"), Some(Decimal::new(12, 2)));
        assert_eq!(parse_rate("7"), None);
        assert_eq!(parse_rate("-0.01"), None);
    }
}
