//! One person's statement as a page shows it (standing in the bands, the next band and what it
//! takes, the year to date, every line explained), and the estimator: what each open deal would
//! pay if won now.

use rust_decimal::Decimal;
use serde::Serialize;
use uplift_commission::{Period, next_tier, standing};
use uplift_domain::access::Scope;
use uplift_domain::{Lang, Month};
use uplift_store::{StatementRow, Store};

use super::compute::{PeriodCredit, credit_line};
use super::{LineView, explain, parse_period, stored_plans};
use crate::access::{Principal, audit_by, require_employee};
use crate::error::AppError;

/// A person's statement for a period, with what a reader wants beside the figures.
#[derive(Debug, Clone, Serialize)]
pub struct PersonStatement {
    pub period: String,
    /// `draft` | `locked`; `None` when the period has not been run.
    pub status: Option<String>,
    pub employee_no: String,
    /// `None`: no plan covered the person in this period (or it has not been run).
    pub statement: Option<StatementRow>,
    pub plan_name: Option<String>,
    /// "达成率 85%，处于 50%–100% 档".
    pub standing: Option<String>,
    /// "再签 ¥30,000.00 进入加速档（≥100%，×1.4）"; `None` in the top band or without a target.
    pub next_tier: Option<String>,
    /// Σ payable of the year's periods of the same kind up to this one.
    pub year_to_date_fen: i64,
    /// Every period's statement of the person, newest first.
    pub history: Vec<StatementRow>,
    pub lines: Vec<LineView>,
}

/// One person's statement (a rep their own, a manager their team's, payroll anyone's), audited.
pub async fn person_statement(
    store: &Store,
    p: &Principal,
    period: &str,
    employee_no: &str,
    lang: Lang,
) -> Result<PersonStatement, AppError> {
    let key = parse_period(period, lang)?.to_string();
    require_employee(store, p, employee_no).await?;
    let status = store.commission_period(&key).await?.map(|r| r.status);
    let history = store.commission_history(employee_no).await?;
    let statement = history.iter().find(|s| s.period == key).cloned();
    let plans = stored_plans(store).await?;
    let plan = statement.as_ref().and_then(|s| {
        plans
            .iter()
            .map(|v| &v.plan)
            .find(|pl| pl.id == s.plan_id && pl.effective_from.to_string() == s.plan_effective_from)
    });
    let attainment: Option<Decimal> = statement
        .as_ref()
        .and_then(|s| s.attainment.as_deref())
        .and_then(|a| a.parse().ok());
    let quarterly = key.contains('Q');
    let year_to_date_fen = history
        .iter()
        .filter(|h| h.period[..4] == key[..4] && h.period.contains('Q') == quarterly && h.period <= key)
        .map(|h| h.payable_fen)
        .sum();
    let lines = store
        .commission_lines(&key, &Scope::All, Some(employee_no))
        .await?
        .into_iter()
        .map(|row| {
            let explanation = explain(&row, lang)?;
            Ok(LineView { row, explanation })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    audit_by(store, p, "read.commission", Some(&key), Some(employee_no), None).await?;
    Ok(PersonStatement {
        period: key,
        status,
        employee_no: employee_no.to_string(),
        plan_name: plan.map(|pl| pl.name.clone()),
        standing: plan.map(|pl| standing(pl, attainment, lang)),
        next_tier: match (plan, &statement) {
            (Some(pl), Some(s)) => next_tier(pl, s.credited_fen, s.target_fen).map(|n| n.explain(lang)),
            _ => None,
        },
        statement,
        year_to_date_fen,
        history,
        lines,
    })
}

/// What one open deal would pay if won today.
#[derive(Debug, Clone, Serialize)]
pub struct DealEstimate {
    pub opportunity_id: String,
    pub name: Option<String>,
    pub amount_fen: i64,
    /// Commission it would add this period (after the cap), fen.
    pub added_fen: i64,
    /// "赢下此单：+¥6,300.00，达成率升至 104%，进入加速档（≥100%，×1.4）".
    pub text: String,
}

/// How many open deals the estimator looks at (the largest).
const ESTIMATED_DEALS: i64 = 20;

/// The estimator: each of the person's open deals, as it would pay if won today at its current
/// amount on top of what the period has credited so far (the person's own credit, the whole
/// amount: splits are set when a deal is won). Empty when no plan covers the person now.
pub async fn estimates(
    store: &Store,
    p: &Principal,
    employee_no: &str,
    lang: Lang,
) -> Result<Vec<DealEstimate>, AppError> {
    require_employee(store, p, employee_no).await?;
    let tz = crate::settings::company_tz(store).await?;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let month = Month::of(today);
    let quarter = Period::quarter_of(month);
    let only = [employee_no.to_string()];
    for period in [Period::Month(month), quarter] {
        let credit = PeriodCredit::read(store, period, Some(&only), lang).await?;
        let Some((_, plan)) = credit.chosen(Some(&only), lang)?.into_iter().next() else {
            continue;
        };
        // A collected plan pays on payments, not on winning: no deal estimate would be honest.
        if plan.basis == uplift_commission::Basis::Collected {
            return Ok(Vec::new());
        }
        let input = credit.person_input(employee_no, plan);
        let open = store.open_deals_of(employee_no, ESTIMATED_DEALS).await?;
        return Ok(open
            .into_iter()
            .map(|d| {
                let mut line = credit_line(plan, &d, d.amount_fen);
                line.date = today;
                let e = uplift_commission::estimate(plan, &input, line);
                DealEstimate {
                    opportunity_id: d.opportunity_id,
                    name: d.name,
                    amount_fen: d.amount_fen,
                    added_fen: e.added_fen,
                    text: e.explain(lang),
                }
            })
            .collect());
    }
    Ok(Vec::new())
}
