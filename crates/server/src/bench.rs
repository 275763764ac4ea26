//! Benchmarks (filled in below).
use clap::Subcommand;
use uplift_domain::Lang;

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Placeholder.
    Generate,
}

pub async fn run(_cli: &crate::cli::Cli, _what: &BenchCommand, _lang: Lang) -> anyhow::Result<i32> {
    Ok(0)
}
