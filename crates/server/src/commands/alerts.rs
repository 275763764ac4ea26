//! `uplift alerts`: who is forecast below target next month, the drivers that slipped, and what to do.

use anyhow::Result;
use uplift_domain::Lang;

use crate::cli::{Cli, TextFormat, emit, month_arg, open_with_metrics, spinner};

pub(crate) async fn alerts(
    cli: &Cli,
    month: &Option<String>,
    department: &Option<String>,
    format: TextFormat,
    lang: Lang,
) -> Result<i32> {
    let store = open_with_metrics(cli, lang).await?;
    let q = uplift_app::alerts::AlertsQuery {
        month: month_arg(month, "month")?,
        department: department.clone(),
    };
    let pb = spinner();
    pb.set_message(lang.pick("预测并分析驱动因素…", "forecasting and checking drivers…"));
    let r = uplift_app::alerts::alerts(&store, &uplift_domain::access::Scope::All, &q, lang)
        .await
        .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    pb.finish_and_clear();
    let text = match format {
        TextFormat::Table => crate::text::alerts::alerts(&r, lang),
        TextFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
    };
    emit(&text)?;
    store.close().await;
    Ok(0)
}
