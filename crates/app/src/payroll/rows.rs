//! A payslip between the engine's types and its stored row (the column order of
//! `uplift_store::PAYSLIP_NUMBERS`), both ways, so a stored month explains itself again.

use uplift_payroll::{BasicRule, BonusMethod, Contributions, Cumulative, PayInput, Payslip, Rate, TaxStatus};
use uplift_store::PayslipRow;

const SI_EMPLOYEE: [&str; 5] = [
    "si_employee_pension",
    "si_employee_medical",
    "si_employee_unemployment",
    "si_employee_injury",
    "si_employee_maternity",
];
const SI_EMPLOYER: [&str; 5] = [
    "si_employer_pension",
    "si_employer_medical",
    "si_employer_unemployment",
    "si_employer_injury",
    "si_employer_maternity",
];

/// The employee's 五险 of a stored payslip (the housing fund apart).
pub fn si_employee(r: &PayslipRow) -> i64 {
    SI_EMPLOYEE.iter().map(|n| r.get(n)).sum()
}

/// The employer's 五险 of a stored payslip (the housing fund apart).
pub fn si_employer(r: &PayslipRow) -> i64 {
    SI_EMPLOYER.iter().map(|n| r.get(n)).sum()
}

/// The row's numbers in `PAYSLIP_NUMBERS` order.
pub(super) fn numbers(i: &PayInput, prior: &Cumulative, s: &Payslip) -> Vec<i64> {
    let c = &s.contributions;
    let mut v = vec![
        i.base_pay,
        i.allowance,
        i.overtime_pay,
        i.performance_bonus,
        i.commission,
        i.other_pay,
        i.absence_days_h,
        i.other_pretax_deduction,
        i.post_tax_deduction,
        i.annual_bonus,
        i.si_base,
        i.hf_base,
        i.hf_rate.map_or(-1, |r| r.0),
        i.special_additional_cum,
    ];
    v.extend(cum(prior));
    v.extend([s.absence_deduction, s.gross]);
    v.extend(c.employee);
    v.extend(c.employer);
    v.extend([c.hf_employee, c.hf_employer]);
    v.extend(cum(&s.cum));
    v.extend([s.iit_withheld, s.bonus_iit, s.bonus_iit_other, s.net]);
    v.extend([i.si_backpay, i.si_backpay_employer]);
    v
}

fn cum(c: &Cumulative) -> [i64; 7] {
    [
        c.income,
        c.basic,
        c.special,
        c.special_additional,
        c.other,
        c.tax,
        c.withheld,
    ]
}

fn cum_of(n: &[i64]) -> Cumulative {
    Cumulative {
        income: n[0],
        basic: n[1],
        special: n[2],
        special_additional: n[3],
        other: n[4],
        tax: n[5],
        withheld: n[6],
    }
}

pub(super) fn basic_rule_key(r: BasicRule) -> &'static str {
    match r {
        BasicRule::Monthly => "monthly",
        BasicRule::FirstJobThisYear => "first_job_this_year",
        BasicRule::SixtyThousand => "sixty_thousand",
    }
}

pub(super) fn bonus_method_key(m: BonusMethod) -> &'static str {
    match m {
        BonusMethod::Separate => "separate",
        BonusMethod::Merged => "merged",
    }
}

/// A stored payslip back as the engine's input, prior position and result.
pub(super) fn from_row(r: &PayslipRow, month: u32) -> (PayInput, Cumulative, Payslip) {
    let n = &r.numbers;
    let input = PayInput {
        month,
        base_pay: n[0],
        allowance: n[1],
        overtime_pay: n[2],
        performance_bonus: n[3],
        commission: n[4],
        other_pay: n[5],
        absence_days_h: n[6],
        other_pretax_deduction: n[7],
        post_tax_deduction: n[8],
        annual_bonus: n[9],
        bonus_method: if r.bonus_method == "merged" {
            BonusMethod::Merged
        } else {
            BonusMethod::Separate
        },
        bonus_separate_allowed: r.bonus_separate_allowed,
        si_base: n[10],
        hf_base: n[11],
        hf_rate: (n[12] >= 0).then_some(Rate(n[12])),
        contributes: r.contributes,
        tax_status: if r.non_resident {
            TaxStatus::NonResident
        } else {
            TaxStatus::Resident
        },
        basic_rule: match r.basic_rule.as_str() {
            "first_job_this_year" => BasicRule::FirstJobThisYear,
            "sixty_thousand" => BasicRule::SixtyThousand,
            _ => BasicRule::Monthly,
        },
        special_additional_cum: n[13],
        si_backpay: n[46],
        si_backpay_employer: n[47],
    };
    let prior = cum_of(&n[14..21]);
    let mut employee = [0; 5];
    let mut employer = [0; 5];
    employee.copy_from_slice(&n[23..28]);
    employer.copy_from_slice(&n[28..33]);
    let contributions = Contributions {
        base: [0; 5],
        employee,
        employer,
        hf_base: 0,
        hf_rate: input.hf_rate.unwrap_or_default(),
        hf_employee: n[33],
        hf_employer: n[34],
    };
    let slip = Payslip {
        absence_deduction: n[21],
        gross: n[22],
        contributions,
        cum: cum_of(&n[35..42]),
        iit_withheld: n[42],
        bonus_method: input.bonus_method,
        bonus_iit: n[43],
        bonus_iit_other: n[44],
        bonus_zone: None,
        net: n[45],
    };
    (input, prior, slip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payslip_survives_its_row() {
        let input = PayInput {
            month: 3,
            base_pay: 1,
            allowance: 2,
            overtime_pay: 3,
            performance_bonus: 4,
            commission: 5,
            other_pay: 6,
            absence_days_h: 7,
            other_pretax_deduction: 8,
            post_tax_deduction: 9,
            annual_bonus: 10,
            bonus_method: BonusMethod::Merged,
            bonus_separate_allowed: true,
            si_base: 11,
            hf_base: 12,
            hf_rate: Some(Rate(70_000)),
            contributes: true,
            tax_status: TaxStatus::NonResident,
            basic_rule: BasicRule::SixtyThousand,
            special_additional_cum: 13,
            si_backpay: 14,
            si_backpay_employer: 15,
        };
        let c = |k: i64| Cumulative {
            income: k,
            basic: k + 1,
            special: k + 2,
            special_additional: k + 3,
            other: k + 4,
            tax: k + 5,
            withheld: k + 6,
        };
        let slip = Payslip {
            absence_deduction: 30,
            gross: 31,
            contributions: Contributions {
                base: [0; 5],
                employee: [40, 41, 42, 43, 44],
                employer: [50, 51, 52, 53, 54],
                hf_base: 0,
                hf_rate: Rate(70_000),
                hf_employee: 60,
                hf_employer: 61,
            },
            cum: c(70),
            iit_withheld: 80,
            bonus_method: BonusMethod::Merged,
            bonus_iit: 81,
            bonus_iit_other: 82,
            bonus_zone: None,
            net: 83,
        };
        let numbers = numbers(&input, &c(20), &slip);
        assert_eq!(numbers.len(), uplift_store::PAYSLIP_NUMBERS.len());
        let row = PayslipRow {
            month: 202603,
            employee_id: 1,
            employee_no: "E1".into(),
            name: "n".into(),
            department: None,
            si_city: "shanghai".into(),
            bank_account: None,
            bank_name: None,
            basic_rule: basic_rule_key(input.basic_rule).into(),
            bonus_method: bonus_method_key(slip.bonus_method).into(),
            bonus_separate_allowed: true,
            contributes: true,
            non_resident: true,
            numbers,
        };
        assert_eq!(row.get("net"), 83);
        assert_eq!(row.get("prior_withheld"), 26);
        assert_eq!(from_row(&row, 3), (input, c(20), slip));
    }
}
