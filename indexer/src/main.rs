//! The `indexer` command line.

use clap::Parser;
use indexer::cli::Cli;

#[tokio::main]
async fn main() -> eyre::Result<()> {
    indexer::telemetry::init();
    let cli = Cli::parse();
    cli.run().await
}
