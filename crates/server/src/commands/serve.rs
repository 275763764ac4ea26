//! `uplift serve`: the web application until Ctrl-C or SIGTERM, then a graceful stop.

use anyhow::{Context, Result};
use std::path::Path;
use uplift_domain::Lang;
use uplift_store::Store;
use uplift_web::AppState;

use crate::cli::ServeArgs;

pub async fn serve(store: Store, a: &ServeArgs, data_dir: &Path, lang: Lang, intro: Option<String>) -> Result<i32> {
    let listener = tokio::net::TcpListener::bind(&a.bind)
        .await
        .with_context(|| format!("{} {}", lang.pick("无法监听", "cannot listen on"), a.bind))?;
    let addr = listener.local_addr()?;
    let upload_dir = data_dir.join("uploads");
    std::fs::create_dir_all(&upload_dir).with_context(|| format!("creating {}", upload_dir.display()))?;
    let state =
        AppState::new(store.clone(), upload_dir, a.secure_cookies).with_trusted_proxies(a.trusted_proxies.clone());
    if let Some(text) = intro {
        println!("{text}");
    }
    println!(
        "{}: http://{addr}/   ({} http://{addr}/api/docs)   {}",
        lang.pick("Uplift 已启动", "Uplift is running"),
        lang.pick("API 文档", "API docs"),
        lang.pick("按 Ctrl-C 停止", "Ctrl-C stops it")
    );
    tracing::info!(%addr, "listening");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler = (!a.no_scheduler).then(|| {
        let worker = format!("{}-{}", addr, std::process::id());
        tokio::spawn(uplift_app::jobs::run_scheduler(
            store.clone(),
            worker,
            std::time::Duration::from_secs(a.tick_seconds.max(1)),
            stop_rx,
        ))
    });
    // Metric months an import left pending (a crash between its commit and its recompute) are
    // recomputed now and whenever they stay pending; pages show a banner until then.
    let repair = tokio::spawn(uplift_app::metrics::keep_metrics_current(
        store.clone(),
        uplift_app::metrics::RepairTiming::default(),
        stop_tx.subscribe(),
    ));
    uplift_web::serve(state, listener, shutdown_signal())
        .await
        .context("serving")?;
    let _ = stop_tx.send(true);
    if let Some(s) = scheduler {
        let _ = s.await;
    }
    let _ = repair.await;
    store.close().await;
    eprintln!("{}", lang.pick("已停止", "stopped"));
    Ok(0)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
