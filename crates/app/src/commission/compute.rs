//! A period's inputs read and arranged per person ([`PeriodCredit`]), and every statement
//! computed from them ([`compute_period`]). The estimator reuses the same arrangement, so an
//! estimate is what the run would pay.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use rustc_hash::{FxHashMap, FxHashSet};
use uplift_commission::engine::BandPart;
use uplift_commission::{Basis, CreditLine, LineKind, Period, PersonInput, Plan, plan_for};
use uplift_domain::Lang;
use uplift_store::{CommissionPerson, CreditQuery, SplitShare, StatementLineRow, StatementRow, Store, WonDealRow};

use super::{RunReport, stored_plans};
use crate::error::AppError;

pub(super) struct Computed {
    pub statements: Vec<StatementRow>,
    pub lines: Vec<StatementLineRow>,
    pub report: RunReport,
}

/// What a period credits to whom: the plans, the roster, the won deals and each person's share
/// of them, their direct reports' credit (the override base) and their targets.
pub(super) struct PeriodCredit {
    pub period: Period,
    pub plans: Vec<Plan>,
    pub people: Vec<CommissionPerson>,
    /// Won deals (signed-basis plans) and payments (collected-basis plans), each credited.
    signed: Credited,
    collected: Credited,
    targets: FxHashMap<String, i64>,
}

/// Deals (or payments) credited per person, and the override base that follows from them.
#[derive(Default)]
struct Credited {
    rows: Vec<WonDealRow>,
    /// Per employee number: (index into `rows`, credited fen).
    credits_of: FxHashMap<String, Vec<(usize, i64)>>,
    /// Per manager: Σ credited of their direct reports.
    reports_credit: FxHashMap<String, i64>,
    /// Shares whose owner is linked to no employee.
    uncredited: i64,
}

impl Credited {
    /// Credits each row to its owner, or to its split owners by their shares (amount ×
    /// percentage / 100, half up to the fen). Shares that do not total 100 are an error naming
    /// the deals.
    fn new(
        rows: Vec<WonDealRow>,
        splits: &[SplitShare],
        people: &[CommissionPerson],
        lang: Lang,
    ) -> Result<Credited, AppError> {
        let mut splits_of: FxHashMap<&str, Vec<(Option<&str>, Decimal)>> = FxHashMap::default();
        for sp in splits {
            let pct: Decimal = sp
                .percentage
                .parse()
                .map_err(|_| AppError::internal(format!("stored split of {} does not read", sp.opportunity_id)))?;
            splits_of
                .entry(sp.opportunity_id.as_str())
                .or_default()
                .push((sp.owner_no.as_deref(), pct));
        }
        // The import checks each file; a deal whose stored shares still do not total 100
        // (imported before that check, or edited in the database) stops the run rather than
        // over- or under-pay.
        let mut not_whole: Vec<String> = splits_of
            .iter()
            .filter_map(|(deal, shares)| {
                let total: Decimal = shares.iter().map(|(_, pct)| *pct).sum();
                (total != Decimal::ONE_HUNDRED).then(|| format!("{deal} ({}%)", total.normalize()))
            })
            .collect();
        if !not_whole.is_empty() {
            not_whole.sort();
            return Err(AppError::invalid(format!(
                "{}{}",
                lang.pick(
                    "以下商机的分成比例合计不是 100%，请重新导入其分成：",
                    "the split shares of these deals do not total 100%; re-import their splits: "
                ),
                not_whole.into_iter().take(10).collect::<Vec<_>>().join(", ")
            )));
        }
        let mut credits_of: FxHashMap<String, Vec<(usize, i64)>> = FxHashMap::default();
        let mut uncredited = 0;
        let mut credit = |no: Option<&str>, i: usize, fen: i64| match no {
            Some(no) => credits_of.entry(no.to_string()).or_default().push((i, fen)),
            None => uncredited += 1,
        };
        for (i, d) in rows.iter().enumerate() {
            match splits_of.get(d.opportunity_id.as_str()) {
                Some(shares) => {
                    for (owner, pct) in shares {
                        let credited = (Decimal::from(d.amount_fen) * pct / Decimal::ONE_HUNDRED)
                            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
                            .to_i64()
                            .unwrap_or(0);
                        credit(*owner, i, credited);
                    }
                }
                None => credit(d.owner_no.as_deref(), i, d.amount_fen),
            }
        }
        let credited_of = |no: &str| -> i64 { credits_of.get(no).map_or(0, |cs| cs.iter().map(|(_, c)| c).sum()) };
        // The override base: direct reports' credit, under whatever plan they have or none.
        let mut reports_credit: FxHashMap<String, i64> = FxHashMap::default();
        for person in people {
            if let Some(m) = person.manager_no.as_deref().filter(|m| !m.is_empty()) {
                *reports_credit.entry(m.to_string()).or_default() += credited_of(&person.employee_no);
            }
        }
        Ok(Credited {
            rows,
            credits_of,
            reports_credit,
            uncredited,
        })
    }
}

impl PeriodCredit {
    /// Reads a period's inputs (everyone, or `only` what those people's statements need) and
    /// credits each deal to its owner or split owners. Splits whose shares do not total 100 stop
    /// it, naming the deals.
    pub async fn read(store: &Store, period: Period, only: Option<&[String]>, lang: Lang) -> Result<Self, AppError> {
        let months = period.months();
        let (first, last) = (months[0], *months.last().expect("a period has months"));
        let plans: Vec<Plan> = stored_plans(store).await?.into_iter().map(|v| v.plan).collect();
        let started = std::time::Instant::now();
        let rate_fields: Vec<&str> = plans.iter().filter_map(|pl| pl.rate_field.as_deref()).collect();
        let (first_day, last_day) = (period.first_day().to_string(), period.last_day().to_string());
        let input = store
            .commission_inputs(&CreditQuery {
                first_month: i64::from(first.to_key()),
                last_month: i64::from(last.to_key()),
                first_day: &first_day,
                last_day: &last_day,
                rate_fields: &rate_fields,
                only,
                payments: plans.iter().any(|pl| pl.basis == Basis::Collected),
            })
            .await?;
        tracing::debug!(deals = input.deals.len(), payments = input.payments.len(), elapsed = ?started.elapsed(), "commission inputs read");
        let signed = Credited::new(input.deals, &input.splits, &input.people, lang)?;
        let collected = Credited::new(input.payments, &input.payment_splits, &input.people, lang)?;
        Ok(PeriodCredit {
            period,
            plans,
            people: input.people,
            signed,
            collected,
            targets: input.targets.into_iter().collect(),
        })
    }

    /// Each person's plan for the period (of `only`, when given), among those whose plan is of
    /// the period's kind. Two plans equally specific for anyone is an error naming them all.
    pub fn chosen(&self, only: Option<&[String]>, lang: Lang) -> Result<Vec<(&str, &Plan)>, AppError> {
        let day = self.period.last_day();
        let wanted = |no: &str| only.is_none_or(|nos| nos.iter().any(|n| n == no));
        // Every plan takes part in choosing a person's one plan; a person whose plan is of the
        // other period kind (a quarterly plan in a month run) has no statement in this run.
        let mut chosen = Vec::new();
        let mut ties = Vec::new();
        for person in self.people.iter().filter(|p| wanted(&p.employee_no)) {
            match plan_for(&self.plans, &person.employee_no, person.department.as_deref(), day) {
                Ok(Some(plan)) if plan.period == self.period.kind() => chosen.push((person.employee_no.as_str(), plan)),
                Ok(_) => {}
                Err(t) => ties.push(t),
            }
        }
        if ties.is_empty() {
            return Ok(chosen);
        }
        let named: Vec<String> = ties
            .iter()
            .take(10)
            .map(|t| format!("{}（{} / {}）", t.employee_no, t.first, t.second))
            .collect();
        Err(AppError::invalid(format!(
            "{}{}{}",
            lang.pick(
                "以下人员同时适用两个同样具体的提成方案，请在方案中用 employees 或更具体的部门区分：",
                "two commission plans apply equally to these people; tell them apart with employees or a more specific department: "
            ),
            named.join(lang.pick("；", "; ")),
            if ties.len() > 10 {
                format!(" … ({})", ties.len())
            } else {
                String::new()
            }
        )))
    }

    /// A person's credit from won deals in the period (their contribution), with a plan or not.
    pub fn signed_credit_of(&self, no: &str) -> i64 {
        self.signed
            .credits_of
            .get(no)
            .map_or(0, |cs| cs.iter().map(|(_, c)| c).sum())
    }

    /// What a person brings to the period under `plan`: won deals or payments by the plan's
    /// basis, and the override base of the same basis.
    pub fn person_input(&self, no: &str, plan: &Plan) -> PersonInput {
        let c = match plan.basis {
            Basis::Signed => &self.signed,
            Basis::Collected => &self.collected,
        };
        let credits = c
            .credits_of
            .get(no)
            .map(|cs| {
                cs.iter()
                    .map(|(i, credited)| credit_line(plan, &c.rows[*i], *credited))
                    .collect()
            })
            .unwrap_or_default();
        PersonInput {
            credits,
            target_fen: self.targets.get(no).copied(),
            reports_credited_fen: c.reports_credit.get(no).copied().unwrap_or(0),
        }
    }
}

/// The credit line a deal gives under a plan: its close date and its value of the plan's
/// `rate_field`.
pub(super) fn credit_line(plan: &Plan, d: &WonDealRow, credited_fen: i64) -> CreditLine {
    let value = match plan.rate_field.as_deref() {
        Some("Type") => d.opportunity_type.clone(),
        Some("LeadSource") => d.lead_source.clone(),
        Some("Name") => d.name.clone(),
        Some("StageName") => Some(d.stage_name.clone()),
        _ => None,
    };
    CreditLine {
        opportunity_id: d.opportunity_id.clone(),
        // Stored as YYYY-MM-DD by the importer; the period bounds were compared on that text.
        date: d.close_date.parse().unwrap_or_default(),
        credited_fen,
        rate_value: value,
    }
}

/// Reads a period's inputs and computes every statement, or (`only`) those people's statements,
/// with the adjustments that correct locked earlier periods (nothing written).
pub(super) async fn compute_period(
    store: &Store,
    period: Period,
    only: Option<&[String]>,
    lang: Lang,
) -> Result<Computed, AppError> {
    let credit = PeriodCredit::read(store, period, only, lang).await?;
    let chosen = credit.chosen(only, lang)?;
    let mut computed = compute_statements(&credit, &chosen, &Protected::default());
    super::adjust::carry(store, &mut computed, period, only, lang).await?;
    Ok(computed)
}

/// Deals a recomputed locked period still counts as won though they are no longer won (outside
/// the clawback window): credit lines per person, and what they add to each manager's override.
#[derive(Default)]
pub(super) struct Protected {
    pub lines: FxHashMap<String, Vec<CreditLine>>,
    pub reports_fen: FxHashMap<String, i64>,
}

/// Every chosen person's statement and lines from the period's credit, with the protected deals.
pub(super) fn compute_statements(credit: &PeriodCredit, chosen: &[(&str, &Plan)], protected: &Protected) -> Computed {
    let key = credit.period.to_string();
    let mut statements = Vec::with_capacity(chosen.len());
    let mut lines = Vec::new();
    let covered: FxHashSet<&str> = chosen.iter().map(|(no, _)| *no).collect();
    let mut report = RunReport {
        period: key.clone(),
        people: chosen.len(),
        deals: credit.signed.rows.len(),
        payments: credit.collected.rows.len(),
        credited_fen: 0,
        commission_fen: 0,
        payable_fen: 0,
        unlinked_deals: credit.signed.uncredited + credit.collected.uncredited,
        deals_without_plan: credit
            .signed
            .credits_of
            .iter()
            .filter(|(no, _)| !covered.contains(no.as_str()))
            .map(|(_, cs)| cs.len())
            .sum(),
        adjusted_people: 0,
    };
    for &(no, plan) in chosen {
        let kind = match plan.basis {
            Basis::Signed => LineKind::Deal,
            Basis::Collected => LineKind::Payment,
        };
        let mut input = credit.person_input(no, plan);
        if let Some(more) = protected.lines.get(no) {
            input.credits.extend(more.iter().cloned());
        }
        input.reports_credited_fen += protected.reports_fen.get(no).copied().unwrap_or(0);
        let s = uplift_commission::compute(plan, &input, kind);
        for (i, l) in s.lines.iter().enumerate() {
            lines.push(StatementLineRow {
                period: key.clone(),
                employee_no: no.to_string(),
                seq: i as i64 + 1,
                kind: l.kind.as_str().to_string(),
                opportunity_id: l.opportunity_id.clone(),
                credited_fen: l.credited_fen,
                rate: l.rate.normalize().to_string(),
                multiplier: l.multiplier.normalize().to_string(),
                pay_fen: l.pay_fen,
                rate_value: l.rate_value.clone(),
                parts: BandPart::encode(&l.parts),
                adjusts_period: None,
                detail: None,
                close_date: l.date.map(|d| d.to_string()),
            });
        }
        report.credited_fen += s.credited_fen;
        report.commission_fen += s.commission_fen;
        report.payable_fen += s.commission_fen;
        statements.push(StatementRow {
            period: key.clone(),
            employee_no: no.to_string(),
            plan_id: plan.id.clone(),
            plan_effective_from: plan.effective_from.to_string(),
            credited_fen: s.credited_fen,
            target_fen: s.target_fen,
            attainment: s.attainment.map(|a| a.normalize().to_string()),
            commission_fen: s.commission_fen,
            adjustments_fen: 0,
            payable_fen: s.commission_fen,
            name: None,
        });
    }
    Computed {
        statements,
        lines,
        report,
    }
}
