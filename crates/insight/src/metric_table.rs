//! Applies the metric contract to aggregates of raw events.
//!
//! Employee rows exist for every month of the input in which the employee was employed for at
//! least one day. Team rows add up members (a department includes its sub-departments; department
//! `None` is the company) and recompute ratios from the summed numerators and denominators.

use chrono::NaiveDate;
use std::collections::HashMap;

use uplift_domain::Month;
use uplift_domain::metric_data::*;
use uplift_domain::people::{days_employed, tenure_months};

/// Seconds in 24 hours, the contact deadline of `contacted_within_24h_rate`.
const DAY_SECS: i64 = 24 * 3600;

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den != 0.0).then(|| num / den)
}

/// Median of hours, from seconds; `None` when empty.
fn median_hours(secs: &mut [i64]) -> Option<f64> {
    if secs.is_empty() {
        return None;
    }
    secs.sort_unstable();
    let n = secs.len();
    let mid = if n % 2 == 1 {
        secs[n / 2] as f64
    } else {
        (secs[n / 2 - 1] as f64 + secs[n / 2] as f64) / 2.0
    };
    Some(mid / 3600.0)
}

#[derive(Default)]
struct LeadAgg {
    received: i64,
    converted: i64,
    contacted_24h: i64,
    response_secs: Vec<i64>,
}

#[derive(Default)]
struct UnitAgg {
    fte: f64,
    members: i64,
    days: i64,
    contribution: i64,
    orders: i64,
    target: i64,
    has_target: bool,
    contribution_with_target: i64,
    pipeline: i64,
    leads: i64,
    converted: i64,
    lost: i64,
    followups: i64,
    contacted_24h: i64,
    response_secs: Vec<i64>,
    tenure_sum: i64,
    tenure_n: i64,
    assigned: i64,
    done: i64,
    completed: i64,
    appraisal_sum: f64,
    appraisal_n: i64,
    cadence_days: f64,
    cadence_days_on_time: f64,
    presale_days: f64,
    presale_on_time: f64,
}

/// Computes the employee-month rows and the department/company roll-ups for `inputs.months`.
// Long on purpose: the contract applied column by column, in its order, for one person-month and the
// roll-ups; kept together so it reads against docs/spec/metrics.md.
pub fn compute_metric_table(inputs: &MetricInputs) -> (Vec<EmployeeMonthMetrics>, Vec<UnitMonthMetrics>) {
    let mut deals: HashMap<(i64, i32), (i64, i64, i64)> = HashMap::new();
    for &(e, m, fen, won, lost) in &inputs.closed_deals {
        let d = deals.entry((e, m)).or_default();
        d.0 += fen;
        d.1 += won;
        d.2 += lost;
    }
    let mut leads: HashMap<(i64, i32), LeadAgg> = HashMap::new();
    for l in &inputs.leads {
        let a = leads.entry((l.employee_id, l.month)).or_default();
        a.received += 1;
        a.converted += l.is_converted as i64;
        if let Some(s) = l.first_response_secs {
            a.response_secs.push(s);
            if s <= DAY_SECS {
                a.contacted_24h += 1;
            }
        }
    }
    let followups: HashMap<(i64, i32), i64> = sum_by_key(&inputs.followups);
    let pipeline: HashMap<(i64, i32), i64> = sum_by_key(&inputs.pipeline);
    let targets: HashMap<(i64, i32), i64> = sum_by_key(&inputs.targets);
    let mut cadence: HashMap<(i64, i32), [f64; 4]> = HashMap::new();
    for c in &inputs.cadence {
        let s = cadence.entry((c.employee_id, c.month)).or_default();
        s[0] += c.days;
        s[1] += c.on_time;
        s[2] += c.presale_days;
        s[3] += c.presale_on_time;
    }
    // A quarter of an hour under a cadence is no month's cadence: below 0.01 customer-days the
    // rate is empty.
    let compliance = |days: f64, on_time: f64| (days >= 0.01).then(|| on_time / days);
    let mut enrollments: HashMap<i64, Vec<(NaiveDate, Option<NaiveDate>)>> = HashMap::new();
    for &(e, a, c) in &inputs.enrollments {
        enrollments.entry(e).or_default().push((a, c));
    }
    let mut appraisals: HashMap<i64, Vec<(NaiveDate, f64)>> = HashMap::new();
    for &(e, end, s) in &inputs.appraisals {
        appraisals.entry(e).or_default().push((end, s));
    }
    for v in appraisals.values_mut() {
        v.sort_by_key(|(end, _)| *end);
    }

    // Ancestors (own department first) of every department, for the roll-ups.
    let parent: HashMap<i64, Option<i64>> = inputs.departments.iter().map(|d| (d.id, d.parent_id)).collect();
    let ancestors = |mut d: Option<i64>| {
        let mut out = Vec::new();
        while let Some(id) = d {
            if out.contains(&id) {
                break; // a cycle in bad data must not hang the run
            }
            out.push(id);
            d = parent.get(&id).copied().flatten();
        }
        out
    };
    let employee_units: HashMap<i64, Vec<Option<i64>>> = inputs
        .employees
        .iter()
        .map(|e| {
            let mut u: Vec<Option<i64>> = ancestors(e.department_id).into_iter().map(Some).collect();
            u.push(None);
            (e.id, u)
        })
        .collect();

    let mut rows = Vec::new();
    let mut units: HashMap<(Option<i64>, i32), UnitAgg> = HashMap::new();
    for &mk in &inputs.months {
        let Some(month) = Month::from_key(mk) else {
            continue;
        };
        let end = month.last_day();
        for e in &inputs.employees {
            let days = days_employed(e.hire_date, e.leave_date, month) as i64;
            if days == 0 {
                continue;
            }
            let fte = days as f64 / month.days() as f64;
            let key = (e.id, mk);
            let (contribution, won, lost) = deals.get(&key).copied().unwrap_or_default();
            let empty = LeadAgg::default();
            let la = leads.get(&key).unwrap_or(&empty);
            let fu = followups.get(&key).copied().unwrap_or(0);
            let target = targets.get(&key).copied();
            let (mut assigned, mut done, mut completed) = (0, 0, 0);
            for &(a, c) in enrollments.get(&e.id).map(Vec::as_slice).unwrap_or(&[]) {
                if a <= end {
                    assigned += 1;
                    if c.is_some_and(|c| c <= end) {
                        done += 1;
                    }
                }
                if c.is_some_and(|c| Month::of(c) == month) {
                    completed += 1;
                }
            }
            let appraisal = appraisals
                .get(&e.id)
                .and_then(|v| v.iter().rev().find(|(pe, _)| *pe <= end))
                .map(|(_, s)| *s);
            let tenure = tenure_months(e.hire_date, month).map(|t| t as i64);
            let mut secs = la.response_secs.clone();
            let [cadence_days, cadence_days_on_time, presale_days, presale_on_time] =
                cadence.get(&key).copied().unwrap_or_default();
            let row = EmployeeMonthMetrics {
                employee_id: e.id,
                month: mk,
                days_employed: days,
                fte,
                contribution_fen: contribution,
                orders_won: won,
                per_capita_contribution: ratio(contribution as f64 / 100.0, fte),
                avg_deal_size: ratio(contribution as f64 / 100.0, won as f64),
                target_fen: target,
                quota_attainment: target.and_then(|t| ratio(contribution as f64, t as f64)),
                pipeline_fen: pipeline.get(&key).copied().unwrap_or(0),
                leads_received: la.received,
                leads_converted: la.converted,
                lead_conversion_rate: ratio(la.converted as f64, la.received as f64),
                deals_lost: lost,
                win_rate: ratio(won as f64, (won + lost) as f64),
                followups: fu,
                followups_per_week: ratio(fu as f64, days as f64 / 7.0),
                first_response_hours: median_hours(&mut secs),
                leads_contacted_24h: la.contacted_24h,
                contacted_within_24h_rate: ratio(la.contacted_24h as f64, la.received as f64),
                tenure_months: tenure,
                trainings_assigned_to_date: assigned,
                trainings_done_to_date: done,
                training_completion_rate: ratio(done as f64, assigned as f64),
                trainings_completed: completed,
                appraisal_score: appraisal,
                cadence_days,
                cadence_days_on_time,
                cadence_compliance: compliance(cadence_days, cadence_days_on_time),
                presale_cadence_days: presale_days,
                presale_cadence_days_on_time: presale_on_time,
                presale_cadence_compliance: compliance(presale_days, presale_on_time),
            };
            for unit in &employee_units[&e.id] {
                let u = units.entry((*unit, mk)).or_default();
                u.fte += fte;
                u.members += 1;
                u.days += days;
                u.contribution += contribution;
                u.orders += won;
                if let Some(t) = target {
                    u.has_target = true;
                    u.target += t;
                    u.contribution_with_target += contribution;
                }
                u.pipeline += row.pipeline_fen;
                u.leads += la.received;
                u.converted += la.converted;
                u.lost += lost;
                u.followups += fu;
                u.contacted_24h += la.contacted_24h;
                u.response_secs.extend_from_slice(&la.response_secs);
                if let Some(t) = tenure {
                    u.tenure_sum += t;
                    u.tenure_n += 1;
                }
                u.assigned += assigned;
                u.done += done;
                u.completed += completed;
                if let Some(s) = appraisal {
                    u.appraisal_sum += s;
                    u.appraisal_n += 1;
                }
                u.cadence_days += cadence_days;
                u.cadence_days_on_time += cadence_days_on_time;
                u.presale_days += presale_days;
                u.presale_on_time += presale_on_time;
            }
            rows.push(row);
        }
    }

    let mut unit_rows: Vec<UnitMonthMetrics> = units
        .into_iter()
        .map(|((dept, mk), mut u)| UnitMonthMetrics {
            department_id: dept,
            month: mk,
            headcount_avg: u.fte,
            members: u.members,
            contribution_fen: u.contribution,
            orders_won: u.orders,
            per_capita_contribution: ratio(u.contribution as f64 / 100.0, u.fte),
            avg_deal_size: ratio(u.contribution as f64 / 100.0, u.orders as f64),
            target_fen: u.has_target.then_some(u.target),
            quota_attainment: if u.has_target {
                ratio(u.contribution_with_target as f64, u.target as f64)
            } else {
                None
            },
            pipeline_fen: u.pipeline,
            leads_received: u.leads,
            lead_conversion_rate: ratio(u.converted as f64, u.leads as f64),
            win_rate: ratio(u.orders as f64, (u.orders + u.lost) as f64),
            followups: u.followups,
            followups_per_week: ratio(u.followups as f64, u.days as f64 / 7.0),
            first_response_hours: median_hours(&mut u.response_secs),
            contacted_within_24h_rate: ratio(u.contacted_24h as f64, u.leads as f64),
            tenure_months: ratio(u.tenure_sum as f64, u.tenure_n as f64),
            training_completion_rate: ratio(u.done as f64, u.assigned as f64),
            trainings_completed: u.completed,
            appraisal_score: ratio(u.appraisal_sum, u.appraisal_n as f64),
            cadence_compliance: compliance(u.cadence_days, u.cadence_days_on_time),
            presale_cadence_compliance: compliance(u.presale_days, u.presale_on_time),
        })
        .collect();
    unit_rows.sort_by_key(|u| (u.department_id, u.month));
    (rows, unit_rows)
}

fn sum_by_key(v: &[(i64, i32, i64)]) -> HashMap<(i64, i32), i64> {
    let mut out = HashMap::new();
    for &(e, m, x) in v {
        *out.entry((e, m)).or_insert(0) += x;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn inputs() -> MetricInputs {
        MetricInputs {
            months: vec![202503, 202504],
            departments: vec![
                Department {
                    id: 1,
                    parent_id: None,
                    path: "销售中心".into(),
                    name: "销售中心".into(),
                },
                Department {
                    id: 2,
                    parent_id: Some(1),
                    path: "销售中心/一部".into(),
                    name: "一部".into(),
                },
            ],
            employees: vec![
                EmployeeFacts {
                    id: 10,
                    employee_no: "E1".into(),
                    department_id: Some(2),
                    hire_date: d("2025-03-17"),
                    leave_date: None,
                },
                EmployeeFacts {
                    id: 11,
                    employee_no: "E2".into(),
                    department_id: Some(1),
                    hire_date: d("2020-01-31"),
                    leave_date: Some(d("2025-04-01")),
                },
            ],
            closed_deals: vec![(10, 202503, 1_000_000, 2, 1), (11, 202503, 500_000, 1, 0)],
            leads: vec![
                LeadFact {
                    employee_id: 10,
                    month: 202503,
                    is_converted: true,
                    first_response_secs: Some(3600),
                },
                LeadFact {
                    employee_id: 10,
                    month: 202503,
                    is_converted: false,
                    first_response_secs: Some(30 * 3600),
                },
                LeadFact {
                    employee_id: 10,
                    month: 202503,
                    is_converted: false,
                    first_response_secs: None,
                },
                LeadFact {
                    employee_id: 11,
                    month: 202503,
                    is_converted: false,
                    first_response_secs: Some(7200),
                },
            ],
            followups: vec![(10, 202503, 15), (11, 202503, 31)],
            pipeline: vec![(10, 202503, 300_000)],
            targets: vec![(10, 202503, 2_000_000), (11, 202503, 0)],
            enrollments: vec![
                (10, d("2025-03-20"), Some(d("2025-04-02"))),
                (10, d("2025-03-21"), None),
            ],
            appraisals: vec![(11, d("2025-03-31"), 3.5), (11, d("2024-12-31"), 2.0)],
            cadence: [
                // (employee, month, days, on time, of them pre-sale days, pre-sale on time)
                (10, 202503, 4.0, 3.0, 2.0, 2.0),
                (11, 202503, 6.0, 1.5, 0.0, 0.0),
                (10, 202504, 0.001, 0.0, 0.001, 0.0),
            ]
            .map(
                |(employee_id, month, days, on_time, presale_days, presale_on_time)| CadenceDays {
                    employee_id,
                    month,
                    days,
                    on_time,
                    presale_days,
                    presale_on_time,
                },
            )
            .to_vec(),
        }
    }

    #[test]
    fn employee_rows_follow_the_contract() {
        let (rows, _) = compute_metric_table(&inputs());
        // E2 left on 2025-04-01 (excluded), so has no April row.
        assert_eq!(rows.len(), 3);
        let e1 = rows.iter().find(|r| r.employee_id == 10 && r.month == 202503).unwrap();
        assert_eq!(e1.days_employed, 15);
        assert!((e1.fte - 15.0 / 31.0).abs() < 1e-12);
        assert_eq!(e1.contribution_fen, 1_000_000);
        assert!((e1.per_capita_contribution.unwrap() - 10_000.0 / (15.0 / 31.0)).abs() < 1e-9);
        assert_eq!(e1.avg_deal_size, Some(5_000.0));
        assert_eq!(e1.quota_attainment, Some(0.5));
        assert_eq!(e1.win_rate, Some(2.0 / 3.0));
        assert_eq!(e1.lead_conversion_rate, Some(1.0 / 3.0));
        assert_eq!(e1.first_response_hours, Some(15.5)); // median of 1h and 30h; uncontacted left out
        assert_eq!(e1.contacted_within_24h_rate, Some(1.0 / 3.0));
        assert!((e1.followups_per_week.unwrap() - 7.0).abs() < 1e-12);
        assert_eq!(e1.tenure_months, Some(0));
        assert_eq!(e1.training_completion_rate, Some(0.0));
        assert_eq!(e1.trainings_completed, 0);
        let e1_apr = rows.iter().find(|r| r.employee_id == 10 && r.month == 202504).unwrap();
        assert_eq!(e1_apr.training_completion_rate, Some(0.5));
        assert_eq!(e1_apr.trainings_completed, 1);
        assert_eq!(e1_apr.win_rate, None, "no closed deals: null, never zero");
        assert_eq!(e1_apr.lead_conversion_rate, None);
        assert_eq!(e1_apr.quota_attainment, None, "no target");
        let e2 = rows.iter().find(|r| r.employee_id == 11).unwrap();
        assert_eq!(e2.quota_attainment, None, "zero target is a zero denominator");
        assert_eq!(e2.appraisal_score, Some(3.5));
        assert_eq!(e2.tenure_months, Some(62));
        assert_eq!(e1.cadence_compliance, Some(0.75));
        assert_eq!(
            e1_apr.cadence_compliance, None,
            "a negligible requirement is no month's cadence"
        );
        assert_eq!(e2.cadence_compliance, Some(0.25));
        // Pre-sale alone: all on time for E1; E2 only cares for won customers — no pre-sale month.
        assert_eq!(e1.presale_cadence_compliance, Some(1.0));
        assert_eq!((e1.presale_cadence_days, e1.presale_cadence_days_on_time), (2.0, 2.0));
        assert_eq!(e2.presale_cadence_compliance, None);
        assert_eq!(e1_apr.presale_cadence_compliance, None);
    }

    #[test]
    fn roll_ups_include_sub_departments() {
        let (_, units) = compute_metric_table(&inputs());
        let centre = units
            .iter()
            .find(|u| u.department_id == Some(1) && u.month == 202503)
            .unwrap();
        let company = units
            .iter()
            .find(|u| u.department_id.is_none() && u.month == 202503)
            .unwrap();
        assert_eq!(
            centre,
            &UnitMonthMetrics {
                department_id: Some(1),
                ..company.clone()
            }
        );
        assert_eq!(centre.members, 2);
        assert!((centre.headcount_avg - (15.0 / 31.0 + 1.0)).abs() < 1e-12);
        assert_eq!(centre.contribution_fen, 1_500_000);
        assert!((centre.per_capita_contribution.unwrap() - 15_000.0 / (15.0 / 31.0 + 1.0)).abs() < 1e-9);
        assert_eq!(centre.first_response_hours, Some(2.0)); // median of 1h, 2h, 30h
        assert_eq!(centre.quota_attainment, Some(15_000.0 / 20_000.0));
        assert_eq!(centre.win_rate, Some(0.75));
        assert_eq!(
            centre.cadence_compliance,
            Some(4.5 / 10.0),
            "summed on-time days over summed days"
        );
        assert_eq!(centre.presale_cadence_compliance, Some(1.0));
        let team = units
            .iter()
            .find(|u| u.department_id == Some(2) && u.month == 202503)
            .unwrap();
        assert_eq!(team.members, 1);
        assert_eq!(team.contribution_fen, 1_000_000);
    }
}
