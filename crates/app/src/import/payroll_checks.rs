//! Checks of payroll rows that need the policies: a declaration within the legal monthly
//! ceilings of its month (国发〔2023〕13号 amounts, read from the policy set).

use uplift_domain::Money;
use uplift_domain::records::IitDeclaration;
use uplift_io::Problem;
use uplift_payroll::PolicySet;

/// A declaration's amounts against the ceilings in force in its first month.
pub(super) fn declaration(d: &IitDeclaration, set: &PolicySet) -> Result<(), (&'static str, Problem)> {
    let bad = |field: &'static str, value: Money, expected: String| {
        Err((
            field,
            Problem::BadValue {
                field: field.into(),
                value: value.to_decimal().normalize().to_string(),
                expected,
            },
        ))
    };
    let Some(caps) = set.special_additional(d.from_month.first_day()) else {
        return bad(
            "from_month",
            Money(0),
            format!(
                "{}：没有适用的专项附加扣除标准 / no deduction ceilings in force",
                d.from_month
            ),
        );
    };
    let yuan = |fen: i64| Money(fen).to_decimal().normalize().to_string();
    // Per child: one parent claims all of it or each parent half, so a multiple of the half.
    for (field, value, per_child) in [
        ("child_education", d.child_education, caps.child_education_per_child),
        ("infant_care", d.infant_care, caps.infant_care_per_child),
    ] {
        let half = per_child / 2;
        if half > 0 && value.0 % half != 0 {
            return bad(
                field,
                value,
                format!(
                    "每名子女 {} 元或其一半的整数倍 / a multiple of {} per child or half of it",
                    yuan(per_child),
                    yuan(per_child)
                ),
            );
        }
    }
    for (field, value, cap) in [
        ("elderly_support", d.elderly_support, caps.elderly_support),
        (
            "continuing_education",
            d.continuing_education,
            caps.continuing_education,
        ),
        ("mortgage_interest", d.mortgage_interest, caps.mortgage_interest),
        ("rent", d.rent, caps.rent),
    ] {
        if value.0 > cap {
            return bad(field, value, format!("≤ {}（每月上限 / monthly ceiling）", yuan(cap)));
        }
    }
    if d.rent.0 > 0 && d.mortgage_interest.0 > 0 {
        return bad(
            "rent",
            d.rent,
            "住房租金与住房贷款利息不能同时扣除 / rent and mortgage interest cannot both be claimed".into(),
        );
    }
    Ok(())
}
