//! The at-once update: when an import (or a single won deal) changes what people are credited,
//! the draft of every open period it touches is computed again at once, and each rep whose
//! credit rose is told "签单 ¥X，本月提成 +¥Y，目前第 N 名". A locked period is never touched (its
//! changes become adjustments when a later period is run).

use rustc_hash::FxHashMap;
use uplift_commission::Period;
use uplift_domain::access::Scope;
use uplift_domain::{Lang, Money, Month};
use uplift_store::{AffectedMonths, NewNotification, PeriodState, StatementRow, Store};

use super::compute_period;
use crate::error::AppError;

/// Who runs the drafts the at-once update writes (the audit log and the period's `run_by`).
const ACTOR: &str = "system:commission";

/// A person whose draft moved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Moved {
    pub employee_no: String,
    pub period: String,
    /// The period's credit after the change, and what the change added.
    pub credited_fen: i64,
    pub credited_added_fen: i64,
    pub payable_added_fen: i64,
    /// 1-based rank by payable among the period's statements, and how many there are.
    pub rank: usize,
    pub of: usize,
    /// Paid on payments (回款) rather than signed deals.
    pub collected: bool,
}

/// After an import committed: every draft period whose months it changed is run again, and the
/// current month's draft is created when a plan exists and the import touched it. Reps whose
/// credit rose get an inbox message (and an email copy by their preferences).
pub async fn after_import(store: &Store, changed: &AffectedMonths) -> Result<Vec<Moved>, AppError> {
    if *changed == AffectedMonths::None || store.commission_plans().await?.is_empty() {
        return Ok(Vec::new());
    }
    let touched = |p: &Period| match changed {
        AffectedMonths::None => false,
        AffectedMonths::All => true,
        AffectedMonths::Set(s) => p.months().iter().any(|m| s.contains(&m.to_key())),
        AffectedMonths::From(first) => p.months().last().is_some_and(|m| m.to_key() >= *first),
    };
    let mut periods: Vec<Period> = store
        .commission_periods()
        .await?
        .into_iter()
        .filter(|r| r.status == "draft")
        .filter_map(|r| Period::parse(&r.period).ok())
        .filter(touched)
        .collect();
    let current = current_month(store).await?;
    if touched(&current)
        && !periods.contains(&current)
        && store.commission_period(&current.to_string()).await?.is_none()
    {
        periods.push(current);
    }
    let mut moved = Vec::new();
    for period in periods {
        moved.extend(refresh(store, period, None).await?);
    }
    tell(store, &moved).await?;
    Ok(moved)
}

/// After deals were won one at a time (a CRM webhook): only the people they credit and those
/// people's managers are computed again, in the drafts of the deals' periods (the current
/// month's draft is created by a whole run when it has none).
pub async fn after_deals(store: &Store, opportunity_ids: &[String]) -> Result<Vec<Moved>, AppError> {
    let (people, dates) = store.commission_people_of_deals(opportunity_ids).await?;
    if people.is_empty() {
        return Ok(Vec::new());
    }
    let current = current_month(store).await?;
    let mut periods: Vec<Period> = Vec::new();
    for d in &dates {
        let Ok(day) = d.parse::<chrono::NaiveDate>() else {
            continue;
        };
        let month = Month::of(day);
        let quarter = Period::quarter_of(month);
        for p in [Period::Month(month), quarter] {
            if !periods.contains(&p) {
                periods.push(p);
            }
        }
    }
    let mut moved = Vec::new();
    for period in periods {
        match store.commission_period(&period.to_string()).await? {
            Some(r) if r.status == "draft" => moved.extend(refresh(store, period, Some(&people)).await?),
            None if period == current => moved.extend(refresh(store, period, None).await?),
            _ => {}
        }
    }
    tell(store, &moved).await?;
    Ok(moved)
}

/// After a period was locked: every other draft of the same kind is computed again, so that an
/// adjustment the locked period now carries is not carried twice.
pub(super) async fn after_lock(store: &Store, locked: &str) -> Result<(), AppError> {
    let Ok(locked) = Period::parse(locked) else {
        return Ok(());
    };
    let drafts: Vec<Period> = store
        .commission_periods()
        .await?
        .into_iter()
        .filter(|r| r.status == "draft")
        .filter_map(|r| Period::parse(&r.period).ok())
        .filter(|p| p.kind() == locked.kind())
        .collect();
    let mut moved = Vec::new();
    for period in drafts {
        moved.extend(refresh(store, period, None).await?);
    }
    tell(store, &moved).await
}

async fn current_month(store: &Store) -> Result<Period, AppError> {
    let tz = crate::settings::company_tz(store).await?;
    Ok(Period::Month(Month::of(
        chrono::Utc::now().with_timezone(&tz).date_naive(),
    )))
}

/// Computes a period's draft again (everyone, or `only` those people) and returns whose credit
/// rose. Ties between plans or splits that do not add up stop it, as they stop a run.
async fn refresh(store: &Store, period: Period, only: Option<&[String]>) -> Result<Vec<Moved>, AppError> {
    let key = period.to_string();
    // Before: only the people recomputed (a whole run: everyone).
    let scope = match only {
        Some(nos) => Scope::Employees(nos.to_vec()),
        None => Scope::All,
    };
    let before: FxHashMap<String, StatementRow> = store
        .commission_statements(&key, &scope, None)
        .await?
        .into_iter()
        .map(|s| (s.employee_no.clone(), s))
        .collect();
    let computed = compute_period(store, period, only, Lang::Zh).await?;
    let now = chrono::Utc::now().timestamp();
    let written = match only {
        Some(nos) => {
            store
                .replace_commission_people(&key, nos, &computed.statements, &computed.lines)
                .await?
        }
        None => {
            store
                .replace_commission_draft(&key, ACTOR, now, &computed.statements, &computed.lines)
                .await?
        }
    };
    match written {
        Ok(()) => {}
        // Locked (or its draft gone) between the look and the write: nothing to update.
        Err(PeriodState::Locked | PeriodState::NotRun) => return Ok(Vec::new()),
    }
    let detail = format!(
        "people={} credited={} commission={}",
        computed.statements.len(),
        Money(computed.report.credited_fen),
        Money(computed.report.commission_fen)
    );
    let action = if only.is_some() {
        "commission.update"
    } else {
        "commission.run"
    };
    crate::access::audit(store, ACTOR, None, action, Some(&key), Some(&detail), None).await?;
    let rose: Vec<&StatementRow> = computed
        .statements
        .iter()
        .filter(|s| s.credited_fen > before.get(&s.employee_no).map_or(0, |b| b.credited_fen))
        .collect();
    // Ranks over the whole period as it now stands: counted in the database after a one-deal
    // update (the others keep their rows), in memory after a whole run.
    let mut payables: Vec<i64> = match only {
        Some(_) => Vec::new(),
        None => computed.statements.iter().map(|s| s.payable_fen).collect(),
    };
    payables.sort_unstable_by(|a, b| b.cmp(a));
    let paid_on_payments: rustc_hash::FxHashSet<&str> = computed
        .lines
        .iter()
        .filter(|l| l.kind == "payment")
        .map(|l| l.employee_no.as_str())
        .collect();
    let mut moved = Vec::with_capacity(rose.len());
    for s in rose {
        let (higher, of) = match only {
            Some(_) => {
                let (higher, of) = store.commission_standing(&key, s.payable_fen).await?;
                (higher as usize, of as usize)
            }
            None => (payables.partition_point(|v| *v > s.payable_fen), payables.len()),
        };
        let (credited, paid) = before
            .get(&s.employee_no)
            .map_or((0, 0), |b| (b.credited_fen, b.payable_fen));
        moved.push(Moved {
            employee_no: s.employee_no.clone(),
            period: key.clone(),
            credited_fen: s.credited_fen,
            credited_added_fen: s.credited_fen - credited,
            payable_added_fen: s.payable_fen - paid,
            rank: higher + 1,
            of,
            collected: paid_on_payments.contains(s.employee_no.as_str()),
        });
    }
    moved.sort_by(|a, b| a.employee_no.cmp(&b.employee_no));
    Ok(moved)
}

/// "签单 ¥X，本月提成 +¥Y，目前第 N 名" to each rep whose credit rose (in Chinese, the company's
/// language, as the other automatic messages are).
async fn tell(store: &Store, moved: &[Moved]) -> Result<(), AppError> {
    if moved.is_empty() {
        return Ok(());
    }
    let book = crate::notify::Mailbook::load(store).await?;
    let mut notes: Vec<NewNotification> = Vec::new();
    for m in moved {
        let what = match Period::parse(&m.period) {
            Ok(Period::Quarter { .. }) => "本季度提成",
            _ => "本月提成",
        };
        let sign = if m.payable_added_fen >= 0 { "+" } else { "" };
        let event = if m.collected { "回款" } else { "签单" };
        let title = format!(
            "{event} {}，{what} {sign}{}，目前第 {} 名",
            Money(m.credited_added_fen).display_cny(),
            Money(m.payable_added_fen).display_cny(),
            m.rank
        );
        let body = format!(
            "{} 提成草稿已更新：新增业绩 {}，提成 {sign}{}；在本期 {} 位有提成方案的同事中排第 {} 名。",
            m.period,
            Money(m.credited_added_fen).display_cny(),
            Money(m.payable_added_fen).display_cny(),
            m.of,
            m.rank
        );
        let link = format!("/commission?period={}", m.period);
        // One message per person, period and credit total: a re-import of the same file changes
        // nothing and says nothing; a further deal is news.
        let dedupe = format!("commission.won:{}:{}:{}", m.period, m.employee_no, m.credited_fen);
        notes.extend(book.to_person(&m.employee_no, "commission.won", &title, &body, Some(&link), &dedupe));
    }
    store
        .enqueue_notifications(&notes, chrono::Utc::now().timestamp())
        .await?;
    Ok(())
}
