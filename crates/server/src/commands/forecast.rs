//! `uplift forecast`: next month's contribution per person, or a backtest of past months.

use anyhow::Result;
use uplift_domain::Lang;

use crate::cli::{
    Cli, ForecastArgs, ForecastCommand, ForecastFormat, TextFormat, emit, month_arg, open_with_metrics, spinner,
};

pub(crate) async fn forecast(cli: &Cli, a: &ForecastArgs, lang: Lang) -> Result<i32> {
    let store = open_with_metrics(cli, lang).await?;
    let all = uplift_domain::access::Scope::All;
    let text = match &a.what {
        Some(ForecastCommand::Backtest { months, format }) => {
            let pb = spinner();
            pb.set_message(lang.pick("回测中…", "replaying past months…"));
            let r = uplift_app::forecast::backtest(&store, &all, *months)
                .await
                .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
            pb.finish_and_clear();
            match format {
                TextFormat::Table => crate::text::forecast::backtest(&r, lang),
                TextFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
            }
        }
        None => {
            let q = uplift_app::forecast::ForecastQuery {
                month: month_arg(&a.month, "month")?,
                department: a.department.clone(),
                lang,
            };
            let r = uplift_app::forecast::forecast(&store, &all, &q)
                .await
                .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
            match a.format {
                ForecastFormat::Table => crate::text::forecast::forecast(&r, lang),
                ForecastFormat::Csv => r.to_csv().map_err(|e| anyhow::anyhow!(e.render(lang)))?,
                ForecastFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
            }
        }
    };
    emit(&text)?;
    store.close().await;
    Ok(0)
}
