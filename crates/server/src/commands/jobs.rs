//! `uplift jobs`: run one scheduler tick now, or list recent job runs.

use anyhow::{Result, anyhow};
use uplift_domain::Lang;
use uplift_store::Store;

use crate::cli::JobsCommand;

/// `uplift jobs run|list`.
pub(crate) async fn jobs(store: &Store, what: &JobsCommand, lang: Lang) -> Result<i32> {
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
