//! `uplift migrate`: create or upgrade the database schema.

use anyhow::Result;
use uplift_domain::Lang;

use crate::cli::{Cli, open};

pub(crate) async fn migrate(cli: &Cli, lang: Lang) -> Result<i32> {
    let store = open(cli, "uplift.db").await?;
    store.migrate().await?;
    println!(
        "{}",
        lang.pick("数据库已是最新结构。", "The database schema is up to date.")
    );
    store.close().await;
    Ok(0)
}
