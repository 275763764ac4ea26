//! `uplift demo`: create the demo company in its own database, then serve it.

use anyhow::{Context, Result};
use uplift_domain::Lang;
use uplift_store::Store;

use crate::cli::{Cli, DemoArgs, database_url, month_arg, redact, spinner};

pub(crate) async fn demo(cli: &Cli, a: &DemoArgs, lang: Lang) -> Result<i32> {
    let url = database_url(cli, "demo.db");
    let is_sqlite_file = !url.starts_with("postgres");
    if a.fresh && is_sqlite_file {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{url}{suffix}"));
        }
    }
    let store = Store::connect(&url)
        .await
        .with_context(|| format!("opening database {}", redact(&url)))?;
    let source_dir = cli.data_dir.join("demo-source");
    let pb = spinner();
    pb.set_message(lang.pick("正在生成示例公司…", "generating the demo company…"));
    let cfg = uplift_app::demo::DemoConfig {
        seed: a.seed,
        staff: a.staff,
        months: a.months,
        end: month_arg(&a.end, "end")?,
    };
    let summary = uplift_app::demo::create_demo(&store, &cfg, &source_dir, &|file, rows| {
        pb.set_message(format!("{} {file}: {rows}", lang.pick("导入", "importing")));
    })
    .await
    .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    // A demo of today also gets today's new leads (a demo with a fixed --end is of the past).
    let live = if a.end.is_none() {
        pb.set_message(lang.pick("分配今日新线索…", "routing today's new leads…"));
        let routed = uplift_app::demo::route_live_leads(&store, 40, a.seed)
            .await
            .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
        pb.set_message(lang.pick("生成本月跟进记录…", "logging this month's follow-ups…"));
        uplift_app::demo::live_followups(&store, &source_dir, a.seed)
            .await
            .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
        routed
    } else {
        0
    };
    pb.finish_and_clear();
    println!("{}", crate::text::demo::demo_summary(&summary, lang));
    if live > 0 {
        println!(
            "{}",
            match lang {
                Lang::Zh => format!("今日新线索 {live} 条已按最优策略分配（销售在“今日”页看到首联倒计时）"),
                Lang::En => format!("{live} new leads of today routed (reps see first-contact countdowns on Today)"),
            }
        );
    }
    println!("{}: {}", lang.pick("数据库", "database"), redact(&url));
    println!(
        "{}: {}",
        lang.pick(
            "源文件（可用 uplift import dir 重新导入）",
            "source files (re-import with uplift import dir)"
        ),
        source_dir.display()
    );
    let db_flag = if cli.database_url.is_some() {
        " --database-url …".to_string()
    } else {
        format!(" --database-url {url}")
    };
    println!(
        "{}: uplift{db_flag} metrics --level department",
        lang.pick("查看指标", "see the metrics")
    );
    let accounts = uplift_app::demo::ensure_demo_accounts(&store)
        .await
        .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    if live > 0
        && let Some(no) = accounts
            .iter()
            .find(|x| x.username == "rep")
            .and_then(|x| x.employee_no.clone())
    {
        uplift_app::demo::ensure_rep_has_live_lead(&store, &no)
            .await
            .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    }
    if a.no_serve {
        store.close().await;
        return Ok(0);
    }
    let mut intro = format!(
        "\n{} ({}: {}):\n",
        lang.pick("示例账号", "demo accounts"),
        lang.pick("密码均为", "password for all"),
        uplift_app::demo::DEMO_PASSWORD
    );
    for acc in &accounts {
        intro.push_str(&format!("  {:<9} {}\n", acc.username, acc.description));
    }
    crate::commands::serve::serve(store, &a.serve, &cli.data_dir, lang, Some(intro)).await
}
