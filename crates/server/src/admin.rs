//! `uplift user`, `uplift token`, `uplift audit`: accounts and the audit log from the command line.

use anyhow::{Context, Result, anyhow, bail};
use chrono::TimeZone;
use std::io::BufRead;
use uplift_app::access::{self, NewUser};
use uplift_domain::Lang;
use uplift_domain::access::Role;
use uplift_store::{AuditQuery, Store};

use crate::cli::{AuditArgs, TokenCommand, UserCommand};

/// Changes made from the command line are audited as the operating-system user.
fn cli_actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

fn role_arg(s: &str, lang: Lang) -> Result<Role> {
    Role::parse(s).ok_or_else(|| {
        anyhow!(
            "{} {s:?} ({})",
            lang.pick("未知角色", "unknown role"),
            Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
        )
    })
}

/// A password from UPLIFT_PASSWORD, else the first line of stdin.
fn read_password(lang: Lang) -> Result<String> {
    if let Ok(p) = std::env::var("UPLIFT_PASSWORD") {
        return Ok(p);
    }
    eprint!("{}: ", lang.pick("密码", "password"));
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let p = line.trim_end_matches(['\r', '\n']).to_string();
    if p.is_empty() {
        bail!("{}", lang.pick("没有输入密码", "no password given"));
    }
    Ok(p)
}

pub async fn user(store: &Store, what: &UserCommand, lang: Lang) -> Result<i32> {
    let by = cli_actor();
    let app = |e: uplift_app::AppError| anyhow!(e.render(lang));
    match what {
        UserCommand::Add {
            username,
            role,
            employee,
            department,
        } => {
            let role = role_arg(role, lang)?;
            let password = read_password(lang)?;
            let u = NewUser {
                username: username.clone(),
                password,
                role,
                employee_no: employee.clone(),
                department_path: department.clone(),
            };
            access::add_user(store, &u, &by, lang).await.map_err(app)?;
            println!(
                "{} {username} ({})",
                lang.pick("已添加用户", "added user"),
                role.as_str()
            );
        }
        UserCommand::Passwd { username } => {
            let password = read_password(lang)?;
            access::set_password(store, username, &password, &by, lang)
                .await
                .map_err(app)?;
            println!("{} {username}", lang.pick("已修改密码", "password changed for"));
        }
        UserCommand::Disable { username } => {
            access::set_disabled(store, username, true, &by).await.map_err(app)?;
            println!("{} {username}", lang.pick("已停用", "disabled"));
        }
        UserCommand::Enable { username } => {
            access::set_disabled(store, username, false, &by).await.map_err(app)?;
            println!("{} {username}", lang.pick("已启用", "enabled"));
        }
        UserCommand::List => {
            for u in store.users().await? {
                println!(
                    "{:<16} {:<9} {:<10} {:<24} {}",
                    u.username,
                    u.role,
                    u.employee_no.unwrap_or_default(),
                    u.department_path.unwrap_or_default(),
                    if u.disabled {
                        lang.pick("已停用", "disabled")
                    } else {
                        ""
                    }
                );
            }
        }
    }
    Ok(0)
}

pub async fn token(store: &Store, what: &TokenCommand, lang: Lang) -> Result<i32> {
    let by = cli_actor();
    let app = |e: uplift_app::AppError| anyhow!(e.render(lang));
    match what {
        TokenCommand::Create {
            role,
            employee,
            department,
            label,
        } => {
            let role = role_arg(role, lang)?;
            let (id, token) = access::create_token(
                store,
                label,
                role,
                employee.as_deref(),
                department.as_deref(),
                &by,
                lang,
            )
            .await
            .map_err(app)?;
            eprintln!(
                "{} {id} ({}); {}",
                lang.pick("已创建令牌", "created token"),
                role.as_str(),
                lang.pick("令牌只显示这一次：", "it is shown only once:")
            );
            println!("{token}");
        }
        TokenCommand::List => {
            for t in store.tokens().await? {
                println!(
                    "{:<5} {:<9} {:<10} {:<20} {}",
                    t.id,
                    t.role,
                    t.employee_no.unwrap_or_default(),
                    t.label,
                    if t.revoked {
                        lang.pick("已吊销", "revoked")
                    } else {
                        ""
                    }
                );
            }
        }
        TokenCommand::Revoke { id } => {
            access::revoke_token(store, *id, &by).await.map_err(app)?;
            println!("{} {id}", lang.pick("已吊销令牌", "revoked token"));
        }
    }
    Ok(0)
}

pub async fn audit(store: &Store, a: &AuditArgs, lang: Lang) -> Result<i32> {
    let tz = uplift_app::settings::company_tz(store)
        .await
        .map_err(|e| anyhow!(e.render(lang)))?;
    let day_start = |s: &str, plus_days: i64| -> Result<i64> {
        let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| anyhow!("{} {s:?} (YYYY-MM-DD)", lang.pick("日期格式不对", "bad date")))?
            + chrono::Duration::days(plus_days);
        let t = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        Ok(tz
            .from_local_datetime(&t)
            .earliest()
            .map(|x| x.timestamp())
            .unwrap_or_default())
    };
    let q = AuditQuery {
        actor: a.actor.clone(),
        action: a.action.clone(),
        target: a.target.clone(),
        from_ts: a.from.as_deref().map(|s| day_start(s, 0)).transpose()?,
        to_ts: a.to.as_deref().map(|s| day_start(s, 1)).transpose()?,
        limit: a.limit,
        offset: 0,
    };
    let rows = store.audit(&q).await?;
    let mut out = String::new();
    if a.json {
        out = serde_json::to_string_pretty(&rows)?;
        out.push('\n');
    } else {
        for r in rows {
            let when = tz
                .timestamp_opt(r.ts, 0)
                .single()
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default();
            out.push_str(&format!(
                "{when}  {:<16} {:<16} {:<20} {} {}\n",
                r.actor,
                r.action,
                r.target.unwrap_or_default(),
                r.detail.unwrap_or_default(),
                r.ip.unwrap_or_default()
            ));
        }
    }
    crate::cli::emit(&out)?;
    Ok(0)
}

/// `uplift jobs run|list`.
pub async fn jobs(store: &Store, what: &crate::cli::JobsCommand, lang: Lang) -> Result<i32> {
    use crate::cli::JobsCommand;
    match what {
        JobsCommand::Run => {
            let t = uplift_app::jobs::tick(store, &format!("cli-{}", std::process::id()), chrono::Utc::now())
                .await
                .map_err(|e| anyhow!(e.render(lang)))?;
            if t.ran.is_empty() {
                println!("{}", lang.pick("没有到期的任务", "no job was due"));
            }
            for (kind, slot, r) in &t.ran {
                match r {
                    Ok(s) => println!("{kind} {slot}: {s}"),
                    Err(e) => println!("{kind} {slot}: {} {e}", lang.pick("失败", "failed")),
                }
            }
            println!(
                "{}: {} / {} / {}",
                lang.pick("通知 已发送/重试中/失败", "notifications sent/retrying/failed"),
                t.delivered.sent,
                t.delivered.retrying,
                t.delivered.failed
            );
            Ok(0)
        }
        JobsCommand::List { limit } => {
            for j in store.recent_jobs(*limit).await? {
                println!(
                    "{:<8} {:<17} {:<8} {} {}",
                    j.kind,
                    j.slot,
                    j.status,
                    j.attempts,
                    j.last_error.or(j.result).unwrap_or_default()
                );
            }
            Ok(0)
        }
    }
}

/// `uplift notify …`.
pub async fn notify(store: &Store, what: &crate::cli::NotifyCommand, lang: Lang) -> Result<i32> {
    use crate::cli::NotifyCommand;
    let fail = |e: uplift_app::AppError| anyhow!(e.render(lang));
    match what {
        NotifyCommand::ChannelAdd {
            name,
            kind,
            url,
            secret,
            department,
        } => {
            let c = uplift_store::ChannelRow {
                id: 0,
                name: name.clone(),
                kind: kind.trim().to_ascii_lowercase(),
                url: url.clone(),
                secret: secret.clone(),
                department_path: department.clone(),
                enabled: true,
            };
            uplift_app::notify::save_channel(store, &c, &cli_actor(), lang)
                .await
                .map_err(fail)?;
            println!("{} {name}", lang.pick("已保存机器人", "saved robot"));
        }
        NotifyCommand::Channels => {
            let list = store.channels().await?;
            if list.is_empty() {
                println!(
                    "{}",
                    lang.pick(
                        "还没有机器人（uplift notify channel-add）",
                        "no robots yet (uplift notify channel-add)"
                    )
                );
            }
            for c in list {
                println!(
                    "{:<16} {:<9} {} {} {}",
                    c.name,
                    c.kind,
                    c.department_path.as_deref().unwrap_or("*"),
                    if c.secret.is_some() {
                        lang.pick("加签", "signed")
                    } else {
                        ""
                    },
                    c.url
                );
            }
        }
        NotifyCommand::ChannelRemove { name } => {
            if !store.delete_channel(name).await? {
                bail!("{}: {name}", lang.pick("没有这个机器人", "no such robot"));
            }
            access::audit(
                store,
                &cli_actor(),
                None,
                "notify.channel.remove",
                Some(name),
                None,
                None,
            )
            .await
            .map_err(fail)?;
            println!("{} {name}", lang.pick("已删除", "removed"));
        }
        NotifyCommand::Test { name } => {
            uplift_app::notify::test_channel(store, name, lang)
                .await
                .map_err(fail)?;
            println!(
                "{}",
                lang.pick(
                    "已排队，下一次调度（uplift jobs run）发送",
                    "queued; the next tick (uplift jobs run) sends it"
                )
            );
        }
        NotifyCommand::Smtp { url, from } => {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                bail!(
                    "--url {url}: {}",
                    lang.pick("应以 smtp:// 或 smtps:// 开头", "must start with smtp:// or smtps://")
                );
            }
            store.set_setting("smtp.url", url).await?;
            store.set_setting("smtp.from", from).await?;
            access::audit(store, &cli_actor(), None, "settings.smtp", None, Some(from), None)
                .await
                .map_err(fail)?;
            println!("{}", lang.pick("已保存 SMTP 设置", "SMTP settings saved"));
        }
        NotifyCommand::Status { limit } => {
            let list = store.outbox(*limit).await?;
            if list.is_empty() {
                println!("{}", lang.pick("发件箱是空的", "the outbox is empty"));
            }
            for n in list {
                println!(
                    "{:<8} {:<9} {:<14} {} {} {}",
                    n.status,
                    n.channel,
                    n.recipient,
                    n.attempts,
                    n.title,
                    n.last_error.unwrap_or_default()
                );
            }
        }
    }
    Ok(0)
}

/// `uplift leads cadence`: rules, the board, one rep's list, or the daily job.
pub async fn cadence(
    store: &Store,
    print_rules: bool,
    set_rules: Option<&std::path::Path>,
    employee: Option<&str>,
    run: bool,
    format: crate::cli::TextFormat,
    lang: Lang,
) -> anyhow::Result<String> {
    use crate::cli::TextFormat;
    use uplift_app::cadence::{CadenceRules, DueState};
    let fail = |e: uplift_app::AppError| anyhow::anyhow!(e.render(lang));
    if let Some(path) = set_rules {
        let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
        let rules = CadenceRules::from_toml(&text, lang).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        uplift_app::cadence::set_rules(store, &rules, "cli", lang)
            .await
            .map_err(fail)?;
    }
    let rules = uplift_app::cadence::rules(store).await.map_err(fail)?;
    if print_rules {
        return Ok(rules.to_toml());
    }
    let now = chrono::Utc::now();
    if run {
        let tz = uplift_app::settings::company_tz(store).await.map_err(fail)?;
        let day = uplift_domain::time::local_date(now, tz).to_string();
        let r = uplift_app::cadence::daily(store, &day, now).await.map_err(fail)?;
        return Ok(match format {
            TextFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
            TextFormat::Table => format!(
                "{} {}{sep}{} {}{sep}{} {}{sep}{} {}\n",
                lang.pick("在跟客户", "customers under a cadence:"),
                r.customers,
                lang.pick("今日到期", "due today:"),
                r.due_today,
                lang.pick("已逾期", "overdue:"),
                r.overdue,
                lang.pick("已提醒销售", "reps reminded:"),
                r.reps_reminded,
                sep = lang.pick("，", ", ")
            ),
        });
    }
    let stage_line = |s: uplift_app::cadence::Stage| {
        let r = rules.rule(s);
        let window = r.for_days.map_or(String::new(), |d| match lang {
            Lang::Zh => format!("，持续 {d} 天"),
            Lang::En => format!(", for {d} days"),
        });
        match lang {
            Lang::Zh => format!("{}：每 {} 天 {} 次{window}", s.label(lang), r.every_days, r.follow_ups),
            Lang::En => format!(
                "{}: {} every {} days{window}",
                s.label(lang),
                r.follow_ups,
                r.every_days
            ),
        }
    };
    let head = uplift_app::cadence::Stage::ALL
        .iter()
        .map(|s| stage_line(*s))
        .collect::<Vec<_>>()
        .join(lang.pick("；", "; "))
        + "\n";
    if let Some(no) = employee {
        let list = uplift_app::cadence::my_due(store, no, now).await.map_err(fail)?;
        if format == TextFormat::Json {
            return Ok(serde_json::to_string_pretty(&list)? + "\n");
        }
        let mut t = head;
        if list.is_empty() {
            t.push_str(lang.pick("没有到期的跟进。\n", "Nothing due.\n"));
        }
        for d in &list {
            let when = match d.state {
                DueState::Overdue => format!(
                    "{} {} {}",
                    lang.pick("已逾期", "overdue"),
                    (now - d.due).num_days().max(1),
                    lang.pick("天", "d")
                ),
                _ => lang.pick("今日到期", "due today").to_string(),
            };
            t.push_str(&format!(
                "{:<20} {:<10} {:<24} {when}\n",
                d.id,
                d.stage.label(lang),
                d.title.as_deref().unwrap_or("")
            ));
        }
        return Ok(t);
    }
    let board = uplift_app::cadence::board(store, &uplift_domain::access::Scope::All, now)
        .await
        .map_err(fail)?;
    if format == TextFormat::Json {
        return Ok(serde_json::to_string_pretty(&serde_json::json!({"rules": rules, "reps": board}))? + "\n");
    }
    let pct = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{:.0}%", v * 100.0));
    let mut t = head;
    t.push_str(&format!(
        "{:<8} {:<8} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
        lang.pick("工号", "No."),
        lang.pick("姓名", "Name"),
        lang.pick("在跟客户", "Customers"),
        lang.pick("今日到期", "Due"),
        lang.pick("已逾期", "Overdue"),
        lang.pick("本月达标", "This mo."),
        lang.pick("上月达标", "Last mo.")
    ));
    for r in &board {
        t.push_str(&format!(
            "{:<8} {:<8} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
            r.employee_no,
            r.name,
            r.customers,
            r.due_today,
            r.overdue,
            pct(r.this_month),
            pct(r.last_month)
        ));
    }
    Ok(t)
}

/// The SLA rule and the leads waiting for a first contact, for the terminal.
pub fn render_sla(r: &uplift_routing::sla::SlaRule, list: &[uplift_app::sla::WaitingLead], lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let mut t = if zh {
        format!(
            "首次联系时限：{} 小时{}；{}\n",
            r.hours,
            if r.business_hours {
                "（工作时间，含法定节假日与调休）"
            } else {
                ""
            },
            r.reassign_after_hours.map_or("超时不自动改派".to_string(), |h| format!(
                "超时 {h} 小时后自动改派"
            ))
        )
    } else {
        format!(
            "First contact within {} hours{}; {}\n",
            r.hours,
            if r.business_hours {
                " (business hours, official holidays)"
            } else {
                ""
            },
            r.reassign_after_hours
                .map_or("no automatic reassignment".to_string(), |h| format!(
                    "reassigned {h} h after a miss"
                ))
        )
    };
    if list.is_empty() {
        t.push_str(lang.pick("没有待首次联系的线索。\n", "No lead is waiting for a first contact.\n"));
    }
    for w in list {
        let h = w.seconds_left as f64 / 3600.0;
        t.push_str(&format!(
            "{:<20} {:<8} {:<6} {}\n",
            w.lead_id,
            w.employee_no,
            w.name,
            if h >= 0.0 {
                format!("{} {h:.1} h", lang.pick("剩余", "left"))
            } else {
                format!("{} {:.1} h", lang.pick("已超时", "overdue"), -h)
            }
        ));
    }
    t
}
