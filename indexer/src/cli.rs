//! Command-line interface.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand};
use eyre::WrapErr;

use crate::{
    anvil::{Anvil, AnvilConfig, find_anvil},
    api::ApiState,
    challenger::{Challenger, ChallengerConfig, ChallengerKeys},
    devnet, index,
    l1::L1Client,
    server, traffic,
};

/// The rollup explorer's server.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The server's modes.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a local devnet: anvil as L1 (unless --l1-rpc is given) and the explorer.
    Devnet(DevnetArgs),
    /// Index an existing deployment from L1 and serve the explorer, without sequencing.
    Follow(FollowArgs),
}

/// Options of `indexer follow`.
#[derive(Debug, Args)]
pub struct FollowArgs {
    /// The L1 JSON-RPC endpoint.
    #[arg(long, env = "L1_RPC")]
    pub l1_rpc: String,
    /// The Rollup contract's address.
    #[arg(long)]
    pub rollup: alloy_primitives::Address,
    /// An L1 endpoint to suggest to browsers for their light node (`/status` shows it). The
    /// server's own `--l1-rpc` is never shown: it may carry credentials.
    #[arg(long)]
    pub public_l1_rpc: Option<String>,
    /// The rollup's record (`rollup.json`, as the devnet writes it); without it the devnet's
    /// parameters are assumed and checked against the contract's genesis output root.
    #[arg(long)]
    pub rollup_config: Option<PathBuf>,
    /// The index database: `sqlite://PATH` or `postgres://...` (default: a SQLite file in the data
    /// folder).
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Where the explorer (app, REST API) listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub http_addr: SocketAddr,
    /// The built web app (`cargo xtask` builds it into `dist/`).
    #[arg(long, env = "EXPLORER_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Folder for the server's data.
    #[arg(long, default_value = ".data-follow")]
    pub data_dir: PathBuf,
}

/// Options of `indexer devnet`.
#[derive(Debug, Args)]
pub struct DevnetArgs {
    /// An existing L1 JSON-RPC endpoint; when absent, anvil is started.
    #[arg(long, env = "L1_RPC")]
    pub l1_rpc: Option<String>,
    /// Where the started anvil listens.
    #[arg(long, default_value = "127.0.0.1:8545")]
    pub l1_addr: SocketAddr,
    /// Seconds between L1 blocks of the started anvil.
    #[arg(long, default_value_t = 1)]
    pub l1_block_time: u64,
    /// The anvil executable (default: `anvil` on PATH).
    #[arg(long, env = "ANVIL_BIN")]
    pub anvil_bin: Option<PathBuf>,
    /// Where the explorer (app, REST API) listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub http_addr: SocketAddr,
    /// The built web app (`cargo xtask` builds it into `dist/`).
    #[arg(long, env = "EXPLORER_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Folder for the server's data and logs.
    #[arg(long, default_value = ".data")]
    pub data_dir: PathBuf,
    /// Where the L2 Ethereum JSON-RPC (the sequencer) listens.
    #[arg(long, default_value = "127.0.0.1:9545")]
    pub rpc_addr: SocketAddr,
    /// The proposer posts the output root of every block whose number is a multiple of this.
    #[arg(long, default_value_t = 10)]
    pub proposal_interval: u64,
    /// The batcher posts once the oldest unposted block is this many seconds old.
    #[arg(long, default_value_t = 10)]
    pub batch_max_age: u64,
    /// The index database: `sqlite://PATH` or `postgres://...` (default: a SQLite file beside the
    /// rollup's data).
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Demonstration: every proposal whose index + 1 is a multiple of this carries a wrong output
    /// root, for the challenger to catch (0: an honest proposer).
    #[arg(long, default_value_t = 5)]
    pub faulty_every: u64,
    /// Do not run the challenger (nor the defender and the arbiter it plays for the devnet).
    #[arg(long)]
    pub no_challenger: bool,
    /// Do not run the traffic generator.
    #[arg(long)]
    pub no_traffic: bool,
    /// Run the rollup's roles alone (the sequencer and its JSON-RPC, the batcher, the proposer and
    /// the traffic generator), without the explorer: no index, no REST API or app, no challenger.
    /// An explorer follows such a rollup from L1 with `indexer follow --rollup-config
    /// DATA_DIR/rollup/rollup.json`.
    #[arg(long)]
    pub rollup_only: bool,
    /// Gas limit of every L2 block (a new rollup's parameter; the devnet's default is 30,000,000).
    #[arg(long)]
    pub block_gas_limit: Option<u64>,
    /// Most bytes of transactions the sequencer puts in one L2 block (default 262,144, so that
    /// every block fits in one L1 transaction even uncompressed; at most the batch size limit).
    #[arg(long)]
    pub max_block_bytes: Option<usize>,
    /// Most transactions the sequencer's pool holds in all (default 20,000); beyond it
    /// `eth_sendRawTransaction` refuses new ones until a block makes room.
    #[arg(long)]
    pub max_pool_size: Option<usize>,
}

impl Cli {
    /// Runs the chosen command until it finishes or the process is asked to stop.
    pub async fn run(self) -> eyre::Result<()> {
        match self.command {
            Command::Devnet(args) => devnet(args).await,
            Command::Follow(args) => follow(args).await,
        }
    }
}

/// The chain id of anvil's devnet: the only L1 `indexer devnet` signs on with the public dev keys.
const DEVNET_L1_CHAIN_ID: u64 = 31337;

/// An endpoint as it may be printed or logged: scheme, host and port only. The user name, password,
/// path and query are left out: providers put API keys in any of them.
pub fn redact_url(url: &str) -> String {
    match url.parse::<alloy::transports::http::reqwest::Url>() {
        Ok(parsed) => {
            let host = parsed.host_str().unwrap_or_default();
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            let hidden = !parsed.username().is_empty()
                || parsed.password().is_some()
                || !parsed.path().trim_matches('/').is_empty()
                || parsed.query().is_some();
            let rest = if hidden { "/…" } else { "" };
            format!("{}://{host}{port}{rest}", parsed.scheme())
        }
        Err(_) => "(an unparsable URL)".into(),
    }
}

async fn devnet(args: DevnetArgs) -> eyre::Result<()> {
    let listener = if args.rollup_only {
        None
    } else {
        server::check_dist(&args.dist)?;
        Some(server::bind(args.http_addr).await?)
    };
    std::fs::create_dir_all(&args.data_dir)
        .wrap_err_with(|| format!("cannot create data folder {}", args.data_dir.display()))?;

    // Keep the process handle alive for the whole run: dropping it stops anvil.
    let mut anvil = None;
    let l1_url = match &args.l1_rpc {
        Some(url) => url.clone(),
        None => {
            let config = AnvilConfig {
                bin: find_anvil(args.anvil_bin.as_deref()),
                addr: args.l1_addr,
                block_time: Some(args.l1_block_time),
                log_path: Some(args.data_dir.join("anvil.log")),
                state: None,
            };
            let node = Anvil::start(&config).await?;
            tracing::info!(url = node.url(), pid = node.pid(), "anvil started");
            let url = node.url().to_owned();
            anvil = Some(node);
            url
        }
    };
    let l1 = L1Client::new(&l1_url)?;
    let l1_status = l1
        .status()
        .await
        .wrap_err_with(|| format!("L1 endpoint {} is unreachable", redact_url(&l1_url)))?;
    tracing::info!(
        chain_id = l1_status.chain_id,
        head = l1_status.head,
        "L1 connected"
    );
    if l1_status.chain_id != DEVNET_L1_CHAIN_ID {
        eyre::bail!(
            "L1 chain id {} is not a devnet's ({DEVNET_L1_CHAIN_ID}): `indexer devnet` signs with the \
             public development keys, which anyone can use, so it runs only on a devnet L1",
            l1_status.chain_id
        );
    }

    let mut roles = start_roles(&args, &l1_url, anvil.is_some()).await?;
    let mut tasks = Vec::new();
    if !args.no_traffic {
        tasks.push(tokio::spawn(
            traffic::Traffic::new(roles.rpc_url(), l1_url.clone(), roles.genesis.rollup).run(),
        ));
    }
    // The endpoint suggested to browsers: the devnet's own anvil, never a URL given on the
    // command line (it may carry an API key).
    let public_l1 = anvil.as_ref().map(|_| l1_url.clone());
    let result = match listener {
        Some(listener) => explorer(&args, listener, &l1_url, public_l1, &roles, &mut tasks).await,
        None => {
            println!(
                "L2 JSON-RPC: {}  (chain id {}; L1: {}, rollup {})",
                roles.rpc_url(),
                roles.genesis.config.chain_id,
                redact_url(&l1_url),
                roles.genesis.rollup
            );
            shutdown_signal().await;
            Ok(())
        }
    };
    for task in tasks {
        task.abort();
    }
    roles.stop();
    if let Some(mut node) = anvil {
        node.stop();
        tracing::info!("anvil stopped");
    }
    result
}

/// The devnet's explorer: the index of the devnet's rollup, the challenger unless disabled, and the
/// app and REST API on `listener`, until the process is asked to stop.
async fn explorer(
    args: &DevnetArgs,
    listener: tokio::net::TcpListener,
    l1_url: &str,
    public_l1_rpc: Option<String>,
    roles: &devnet::Devnet,
    tasks: &mut Vec<tokio::task::JoinHandle<()>>,
) -> eyre::Result<()> {
    let l1 = L1Client::new(l1_url)?;
    let database_url = args.database_url.clone().unwrap_or_else(|| {
        index::db::sqlite_url(&args.data_dir.join("rollup").join("index.sqlite"))
    });
    let index = index::start(
        &database_url,
        l1_url,
        roles.genesis.clone(),
        Some(roles.sequencer.clone()),
        index::IndexerConfig::default(),
    )
    .await
    .wrap_err("cannot start the indexer")?;
    if !args.no_challenger {
        use alloy::providers::Provider as _;
        let provider = alloy::providers::ProviderBuilder::new()
            .connect_http(l1_url.parse().wrap_err("invalid L1 endpoint")?)
            .erased();
        let keys = ChallengerKeys::devnet(&provider, &Default::default()).await?;
        let challenger = Challenger::new(
            index.shared.clone(),
            provider,
            keys,
            ChallengerConfig::default(),
        );
        tasks.push(tokio::spawn(challenger.run()));
    }
    let router = server::router(
        ApiState {
            l1,
            index: index.shared.clone(),
            public_l1_rpc,
            subscribers: Default::default(),
        },
        &args.dist,
    );
    let local = listener.local_addr().wrap_err("listener has no address")?;
    println!("explorer: http://{local}/  (L1: {})", redact_url(l1_url));
    println!(
        "L2 JSON-RPC: {}  (chain id {})",
        roles.rpc_url(),
        roles.genesis.config.chain_id
    );
    let result = server::serve(listener, router, shutdown_signal()).await;
    index.stop();
    result.map_err(Into::into)
}

async fn follow(args: FollowArgs) -> eyre::Result<()> {
    server::check_dist(&args.dist)?;
    let listener = server::bind(args.http_addr).await?;
    std::fs::create_dir_all(&args.data_dir)
        .wrap_err_with(|| format!("cannot create data folder {}", args.data_dir.display()))?;
    let l1 = L1Client::new(&args.l1_rpc)?;
    l1.status()
        .await
        .wrap_err_with(|| format!("L1 endpoint {} is unreachable", redact_url(&args.l1_rpc)))?;
    use alloy::providers::Provider as _;
    let provider = alloy::providers::ProviderBuilder::new()
        .connect_http(args.l1_rpc.parse().wrap_err("invalid L1 endpoint")?)
        .erased();
    let genesis =
        index::discover::discover(&provider, args.rollup, args.rollup_config.as_deref()).await?;
    tracing::info!(
        rollup = %genesis.rollup,
        l1_block = genesis.l1_origin.number,
        chain_id = genesis.config.chain_id,
        "rollup found on L1"
    );
    let database_url = args
        .database_url
        .clone()
        .unwrap_or_else(|| index::db::sqlite_url(&args.data_dir.join("index.sqlite")));
    let index = index::start(
        &database_url,
        &args.l1_rpc,
        genesis,
        None,
        index::IndexerConfig::default(),
    )
    .await
    .wrap_err("cannot start the indexer")?;
    let router = server::router(
        ApiState {
            l1,
            index: index.shared.clone(),
            public_l1_rpc: args.public_l1_rpc.clone(),
            subscribers: Default::default(),
        },
        &args.dist,
    );
    let local = listener.local_addr().wrap_err("listener has no address")?;
    println!(
        "explorer: http://{local}/  (L1: {}, rollup {})",
        redact_url(&args.l1_rpc),
        args.rollup
    );
    let result = server::serve(listener, router, shutdown_signal()).await;
    index.stop();
    result.map_err(Into::into)
}

/// Starts the sequencer, its JSON-RPC, the batcher and the proposer. With an anvil of its own (whose
/// chain starts afresh each run), a data folder from an earlier anvil is moved aside first.
async fn start_roles(
    args: &DevnetArgs,
    l1_url: &str,
    own_anvil: bool,
) -> eyre::Result<devnet::Devnet> {
    let mut config = devnet::DevnetConfig::new(l1_url, args.data_dir.join("rollup"));
    config.rpc.addr = args.rpc_addr;
    config.proposer.interval = args.proposal_interval.max(1);
    config.proposer.faulty_every = args.faulty_every;
    config.batcher.max_age = std::time::Duration::from_secs(args.batch_max_age);
    if let Some(limit) = args.block_gas_limit {
        config.chain.block_gas_limit = limit;
    }
    if let Some(bytes) = args.max_block_bytes {
        eyre::ensure!(
            bytes > 0 && bytes < config.chain.max_batch_size,
            "--max-block-bytes must be between 1 and the batch size limit ({} bytes)",
            config.chain.max_batch_size
        );
        config.sequencer.max_block_bytes = bytes;
    }
    if let Some(size) = args.max_pool_size {
        eyre::ensure!(size > 0, "--max-pool-size must be at least 1");
        config.sequencer.pool.max_pool_size = size;
    }
    match devnet::start(config.clone()).await {
        Err(devnet::DevnetError::StaleL1 { .. }) if own_anvil => {
            let stale = args.data_dir.join(format!(
                "rollup.stale-{}",
                crate::sequencer::unix_now_ms() / 1000
            ));
            tracing::warn!(
                moved_to = %stale.display(),
                "the rollup data belongs to an earlier anvil chain; starting a new rollup"
            );
            std::fs::rename(&config.data_dir, &stale)
                .wrap_err_with(|| format!("cannot move {} aside", config.data_dir.display()))?;
            Ok(devnet::start(config).await?)
        }
        other => Ok(other?),
    }
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("installing a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn a_printed_endpoint_keeps_no_credentials() {
        for (url, shown) in [
            ("http://127.0.0.1:8545", "http://127.0.0.1:8545"),
            ("http://127.0.0.1:8545/", "http://127.0.0.1:8545"),
            ("https://eth.example/v2/SECRETKEY", "https://eth.example/…"),
            (
                "https://eth.example/?apikey=SECRETKEY",
                "https://eth.example/…",
            ),
            (
                "https://user:SECRETKEY@eth.example:8443",
                "https://eth.example:8443/…",
            ),
            ("not a url SECRETKEY", "(an unparsable URL)"),
        ] {
            assert_eq!(redact_url(url), shown);
            assert!(!redact_url(url).contains("SECRETKEY"));
        }
    }
}
