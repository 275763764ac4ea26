//! `uplift`: the command line and server of Uplift.

mod cli;
mod commands;
mod text;

use anyhow::Result;

// Imports allocate a few small strings per cell; glibc's allocator spent almost half of the
// parsing time in malloc/free (measured with perf), mimalloc a fraction of that.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::Parser;

fn main() -> Result<()> {
    #[allow(unreachable_code)]
    let args = cli::Cli::parse();
    uplift_app::install_crypto();
    // Human-readable lines by default; `UPLIFT_LOG_FORMAT=json` gives one JSON object per line for
    // log collectors. `UPLIFT_LOG=info` adds one line per HTTP request.
    let filter = tracing_subscriber::EnvFilter::try_from_env("UPLIFT_LOG").unwrap_or_else(|_| "warn,sqlx=error".into());
    if std::env::var("UPLIFT_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let lang = cli::language(args.lang.as_deref());
    match rt.block_on(commands::run(args)) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            // The chain of causes, without a backtrace: this is for people, not developers.
            eprintln!("{}: {e:#}", lang.pick("错误", "error"));
            std::process::exit(2);
        }
    }
}
