//! `uplift notify`: group robots, the SMTP server and the outbox.

use anyhow::{Result, anyhow, bail};
use uplift_app::access;
use uplift_domain::Lang;
use uplift_store::Store;

use crate::cli::NotifyCommand;
use crate::commands::users::cli_actor;

/// `uplift notify …`.
pub(crate) async fn notify(store: &Store, what: &NotifyCommand, lang: Lang) -> Result<i32> {
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
