//! Disputes: a rep questions one line of their statement with a reason; every payroll account is
//! told in its inbox; payroll resolves or rejects it with an answer, and the rep is told. Each
//! dispute keeps its state (open, resolved, rejected). Raising and answering are audited.

use uplift_domain::Lang;
use uplift_domain::access::Scope;
use uplift_store::{DisputeRow, NewNotification, Store};

use super::parse_period;
use crate::access::{Principal, audit_by, require_employee};
use crate::error::AppError;

/// The longest reason or answer kept.
const MAX_TEXT: usize = 500;

fn text_field(field: &'static str, text: &str, lang: Lang) -> Result<String, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(AppError::invalid_field(
            field,
            lang.pick("请写明理由", "please give a reason").to_string(),
        ));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(AppError::invalid_field(
            field,
            format!(
                "{} {MAX_TEXT}",
                lang.pick("最多字数：", "at most this many characters:")
            ),
        ));
    }
    Ok(t.to_string())
}

/// Raises a dispute of line `seq` of a person's statement (the person, or someone who may read
/// their statement, on their behalf). Returns the dispute's id.
pub async fn raise_dispute(
    store: &Store,
    p: &Principal,
    period: &str,
    employee_no: &str,
    seq: i64,
    reason: &str,
    lang: Lang,
) -> Result<i64, AppError> {
    let key = parse_period(period, lang)?.to_string();
    require_employee(store, p, employee_no).await?;
    let reason = text_field("reason", reason, lang)?;
    let line = store
        .commission_lines(&key, &Scope::All, Some(employee_no))
        .await?
        .into_iter()
        .find(|l| l.seq == seq)
        .ok_or_else(|| {
            AppError::invalid_field(
                "seq",
                format!(
                    "{key} {employee_no} #{seq}: {}",
                    lang.pick("提成单上没有这一行", "the statement has no such line")
                ),
            )
        })?;
    let now = chrono::Utc::now().timestamp();
    let id = store
        .raise_dispute(&DisputeRow {
            id: 0,
            period: key.clone(),
            employee_no: employee_no.to_string(),
            seq,
            opportunity_id: line.opportunity_id.clone(),
            reason: reason.clone(),
            state: "open".into(),
            raised_by: p.actor.clone(),
            raised_ts: now,
            answer: None,
            answered_by: None,
            answered_ts: None,
        })
        .await?;
    let book = crate::notify::Mailbook::load(store).await?;
    let link = format!("/commission?period={key}&employee={employee_no}");
    let deal = line
        .opportunity_id
        .as_deref()
        .map(|d| format!("（{d}）"))
        .unwrap_or_default();
    let title = format!("提成异议：{employee_no} {key} 第 {seq} 行{deal}");
    let mut notes: Vec<NewNotification> = Vec::new();
    for u in store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.role == "payroll" && !u.disabled)
    {
        let recipient = u.employee_no.clone().unwrap_or_else(|| format!("user:{}", u.username));
        notes.extend(book.to_person(
            &recipient,
            "commission.dispute",
            &title,
            &reason,
            Some(&link),
            &format!("commission.dispute:{id}:{recipient}"),
        ));
    }
    store.enqueue_notifications(&notes, now).await?;
    let detail = format!("#{id} {employee_no} line {seq}");
    audit_by(store, p, "commission.dispute", Some(&key), Some(&detail), None).await?;
    Ok(id)
}

/// Payroll's answer to an open dispute: resolved (the line will be corrected) or rejected, with
/// words for the rep, who is told.
pub async fn answer_dispute(
    store: &Store,
    p: &Principal,
    id: i64,
    resolved: bool,
    answer: &str,
    lang: Lang,
) -> Result<(), AppError> {
    p.require(p.role.may_run_commissions())?;
    let answer = text_field("answer", answer, lang)?;
    let d = store
        .dispute(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("dispute {id}")))?;
    let state = if resolved { "resolved" } else { "rejected" };
    let now = chrono::Utc::now().timestamp();
    if !store.answer_dispute(id, state, &answer, &p.actor, now).await? {
        return Err(AppError::conflict(
            None,
            format!(
                "#{id}: {}",
                lang.pick("这条异议已经处理过了", "this dispute has been answered already")
            ),
        ));
    }
    let book = crate::notify::Mailbook::load(store).await?;
    let verdict = if resolved { "已采纳" } else { "未采纳" };
    let notes = book.to_person(
        &d.employee_no,
        "commission.dispute.answer",
        &format!("提成异议{verdict}：{} 第 {} 行", d.period, d.seq),
        &answer,
        Some(&format!("/commission?period={}", d.period)),
        &format!("commission.dispute.answer:{id}"),
    );
    store.enqueue_notifications(&notes, now).await?;
    let detail = format!("#{id} {state}");
    audit_by(
        store,
        p,
        "commission.dispute.answer",
        Some(&d.period),
        Some(&detail),
        None,
    )
    .await
}

/// The disputes the caller may see (their own, their team's, everyone's), of a period or all.
pub async fn disputes(
    store: &Store,
    p: &Principal,
    period: Option<&str>,
    lang: Lang,
) -> Result<Vec<DisputeRow>, AppError> {
    let key = period
        .map(|s| parse_period(s, lang))
        .transpose()?
        .map(|p| p.to_string());
    Ok(store.disputes(key.as_deref(), &p.scope).await?)
}
