//! `uplift user`, `uplift token`, `uplift audit`, `uplift config`: accounts, API tokens, the audit log
//! and company settings from the command line.

use anyhow::{Result, anyhow, bail};
use chrono::TimeZone;
use std::io::BufRead;
use uplift_app::access::{self, NewUser};
use uplift_app::metrics::recompute;
use uplift_domain::Lang;
use uplift_domain::access::Role;
use uplift_store::{AffectedMonths, AuditQuery, Store};

use crate::cli::{AuditArgs, Cli, ConfigCommand, TokenCommand, UserCommand, emit, open};

/// Changes made from the command line are audited as the operating-system user.
pub(crate) fn cli_actor() -> String {
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

pub(crate) async fn user(store: &Store, what: &UserCommand, lang: Lang) -> Result<i32> {
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

pub(crate) async fn token(store: &Store, what: &TokenCommand, lang: Lang) -> Result<i32> {
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

pub(crate) async fn audit(store: &Store, a: &AuditArgs, lang: Lang) -> Result<i32> {
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
    emit(&out)?;
    Ok(0)
}

/// `uplift config timezone|limit`: show or set the company time zone, or an import limit.
pub(crate) async fn config(cli: &Cli, what: &ConfigCommand, lang: Lang) -> Result<i32> {
    let name = match what {
        ConfigCommand::Timezone { name } => name,
        ConfigCommand::Limit { name, value } => return config_limit(cli, name.as_deref(), *value, lang).await,
    };
    let store = open(cli, "uplift.db").await?;
    match name {
        None => println!("{}", uplift_app::settings::company_tz(&store).await?.name()),
        Some(n) => {
            let tz = uplift_app::settings::set_company_tz(&store, n)
                .await
                .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
            let months = recompute(&store, &AffectedMonths::All).await?;
            let has_crm = store
                .counts()
                .await?
                .iter()
                .any(|(t, n)| (*t == "leads" || *t == "activities") && *n > 0);
            if has_crm {
                eprintln!(
                    "{}",
                    lang.pick(
                        "注意：已导入的 CRM 记录仍按原时区归月；请重新导入 CRM 文件（uplift import dir …）使其按新时区归月。",
                        "Note: CRM records already imported keep the months of the old zone; re-import the CRM files (uplift import dir …) to re-bucket them."
                    )
                );
            }
            println!(
                "{} {} ({} {})",
                lang.pick("公司时区已设为", "Company time zone set to"),
                tz.name(),
                months.len(),
                lang.pick("个月的指标已重算", "months of metrics recomputed")
            );
        }
    }
    store.close().await;
    Ok(0)
}

/// `uplift config limit [NAME [VALUE]]`: every limit with its value, one limit, or a new value.
async fn config_limit(cli: &Cli, name: Option<&str>, value: Option<u64>, lang: Lang) -> Result<i32> {
    use uplift_app::settings::{LIMITS, limit_value, read_limits, set_limit};
    let store = open(cli, "uplift.db").await?;
    let limits = match (name, value) {
        (Some(n), Some(v)) => {
            let limits = set_limit(&store, n, v)
                .await
                .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
            let actor = format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()));
            let detail = format!("{n}={v}");
            uplift_app::access::audit(
                &store,
                &actor,
                Some("cli"),
                "settings.limit",
                Some(n),
                Some(&detail),
                None,
            )
            .await?;
            limits
        }
        _ => read_limits(&store).await?,
    };
    let mut shown = 0;
    for (n, zh, en) in LIMITS {
        if name.is_none_or(|wanted| wanted == n) {
            let v = limit_value(&limits, n).unwrap_or_default();
            println!("{n:<18} {v:>12}  {}", lang.pick(zh, en));
            shown += 1;
        }
    }
    store.close().await;
    if shown == 0 {
        let names: Vec<&str> = LIMITS.iter().map(|(n, _, _)| *n).collect();
        anyhow::bail!(
            "{} {:?} ({})",
            lang.pick("没有这个限制：", "no such limit:"),
            name.unwrap_or_default(),
            names.join(", ")
        );
    }
    Ok(0)
}
