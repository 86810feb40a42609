//! Wiring of the devnet's rollup roles: deploy (or find) the Rollup contract, open the sequencer,
//! serve the L2 JSON-RPC, and run the block builder, the batcher and the proposer.

use std::{path::PathBuf, sync::Arc};

use alloy::{
    network::EthereumWallet,
    providers::{DynProvider, Provider, ProviderBuilder},
};
use contracts::DeployParams;
use light_node::{ChainConfig, L1Origin};
use tokio::task::JoinHandle;

use crate::{
    batcher::{Batcher, BatcherConfig},
    genesis::{
        ARBITER_KEY_INDEX, BATCHER_KEY_INDEX, PROPOSER_KEY_INDEX, RollupGenesis, dev_signer,
        genesis_output_root,
    },
    l1tx::{L1Sender, L1SenderConfig, L1TxError},
    proposer::{Proposer, ProposerConfig},
    rpc::{RpcConfig, RpcError, RpcServer},
    sequencer::{
        L1Origins, OriginError, OriginSource, Sequencer, SequencerConfig, SequencerError, Store,
        StoreError, l1_call, unix_now_ms,
    },
};

/// Everything the devnet's roles need.
#[derive(Debug, Clone)]
pub struct DevnetConfig {
    /// The L1 JSON-RPC endpoint.
    pub l1_url: String,
    /// Where the sequencer's database and `rollup.json` live.
    pub data_dir: PathBuf,
    /// The chain parameters of a new rollup (`genesis_timestamp` is set at deployment).
    pub chain: ChainConfig,
    /// The L2 JSON-RPC endpoint.
    pub rpc: RpcConfig,
    /// The sequencer's settings.
    pub sequencer: SequencerConfig,
    /// The batcher's thresholds.
    pub batcher: BatcherConfig,
    /// The proposer's interval.
    pub proposer: ProposerConfig,
    /// L1 transaction timing for the batcher and the proposer.
    pub l1_sender: L1SenderConfig,
    /// L1 blocks on top of an L1 block before it becomes an L2 origin.
    pub origin_confirmations: u64,
    /// Seconds a new deployment's proposals can be challenged.
    pub challenge_window: u64,
    /// Seconds a new deployment's game moves may take.
    pub move_timeout: u64,
}

impl DevnetConfig {
    /// The defaults for an L1 at `l1_url` and data in `data_dir`.
    pub fn new(l1_url: impl Into<String>, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            l1_url: l1_url.into(),
            data_dir: data_dir.into(),
            chain: ChainConfig::devnet(),
            rpc: RpcConfig::default(),
            sequencer: SequencerConfig::default(),
            batcher: BatcherConfig::default(),
            proposer: ProposerConfig::default(),
            l1_sender: L1SenderConfig::default(),
            origin_confirmations: 2,
            challenge_window: DeployParams::DEVNET_CHALLENGE_WINDOW,
            move_timeout: DeployParams::DEVNET_MOVE_TIMEOUT,
        }
    }
}

/// Why the devnet's roles could not start.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// The L1 endpoint is unusable.
    #[error("invalid L1 endpoint {0}")]
    BadUrl(String),
    /// L1 failed.
    #[error(transparent)]
    L1(#[from] OriginError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The sequencer failed to open.
    #[error(transparent)]
    Sequencer(#[from] SequencerError),
    /// The RPC server failed to start.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// Deploying the Rollup contract failed.
    #[error(transparent)]
    Deploy(#[from] contracts::DeployError),
    /// An L1 sender could not be set up.
    #[error(transparent)]
    Sender(#[from] L1TxError),
    /// The data folder holds a rollup whose L1 is not this one (a fresh anvil, say).
    #[error(
        "the rollup in {data_dir} was deployed on another L1 chain (its L1 block {number} is not {hash} here); remove {data_dir} or point --l1-rpc at its L1"
    )]
    StaleL1 {
        /// The data folder.
        data_dir: String,
        /// The genesis origin's number.
        number: u64,
        /// Its recorded hash.
        hash: alloy_primitives::B256,
    },
    /// The genesis state could not be built.
    #[error("genesis: {0}")]
    Genesis(#[from] light_node::ExecError),
    /// Anything else (files, clock).
    #[error("{0}")]
    Other(String),
}

/// The running devnet roles. Dropping it stops the tasks (not the RPC server: call [`Self::stop`]).
#[derive(Debug)]
pub struct Devnet {
    /// The sequencer (chain, state, mempool).
    pub sequencer: Arc<Sequencer>,
    /// The L2 JSON-RPC server.
    pub rpc: RpcServer,
    /// The rollup's record.
    pub genesis: RollupGenesis,
    tasks: Vec<JoinHandle<()>>,
}

impl Devnet {
    /// The L2 JSON-RPC URL.
    pub fn rpc_url(&self) -> String {
        self.rpc.url()
    }

    /// Stops every task and the RPC server.
    pub fn stop(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
        self.rpc.stop();
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        self.stop();
    }
}

fn connect(url: &str) -> Result<DynProvider, DevnetError> {
    let parsed = url
        .parse()
        .map_err(|e| DevnetError::BadUrl(format!("{url:?}: {e}")))?;
    Ok(ProviderBuilder::new().connect_http(parsed).erased())
}

/// Starts the devnet's rollup roles against the L1 at `config.l1_url`.
pub async fn start(config: DevnetConfig) -> Result<Devnet, DevnetError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        DevnetError::Other(format!(
            "cannot create data folder {}: {e}",
            config.data_dir.display()
        ))
    })?;
    let l1 = connect(&config.l1_url)?;
    let store = Store::open(&config.data_dir.join("sequencer.sqlite")).await?;
    let genesis = match store.genesis().await? {
        Some(genesis) => {
            check_l1(&l1, &genesis, &config).await?;
            genesis
        }
        None => deploy(&l1, &config).await?,
    };
    let record = serde_json::to_string_pretty(&genesis)
        .map_err(|e| DevnetError::Other(format!("cannot encode rollup.json: {e}")))?;
    std::fs::write(config.data_dir.join("rollup.json"), record)
        .map_err(|e| DevnetError::Other(format!("cannot write rollup.json: {e}")))?;

    let sequencer = Sequencer::open_store(store, genesis.clone(), config.sequencer.clone()).await?;
    let rpc = crate::rpc::serve(sequencer.clone(), config.rpc.clone()).await?;
    let batcher_sender = L1Sender::new(
        l1.clone(),
        dev_signer(BATCHER_KEY_INDEX),
        config.l1_sender.clone(),
    )
    .await?;
    let proposer_sender = L1Sender::new(
        l1.clone(),
        dev_signer(PROPOSER_KEY_INDEX),
        config.l1_sender.clone(),
    )
    .await?;
    let origins = OriginSource::L1(L1Origins::new(
        l1.clone(),
        genesis.rollup,
        config.origin_confirmations,
    ));

    let mut tasks = Vec::new();
    let seq = sequencer.clone();
    tasks.push(tokio::spawn(async move {
        if let Err(e) = seq.run(origins).await {
            tracing::error!(error = %e, "sequencer stopped");
        }
    }));
    tasks.push(tokio::spawn(
        Batcher::new(sequencer.clone(), batcher_sender, config.batcher.clone()).run(),
    ));
    tasks.push(tokio::spawn(
        Proposer::new(sequencer.clone(), proposer_sender, config.proposer.clone()).run(),
    ));
    tracing::info!(
        rollup = %genesis.rollup,
        l1_origin = genesis.l1_origin.number,
        head = sequencer.head_number(),
        rpc = %rpc.url(),
        "rollup roles started"
    );
    Ok(Devnet {
        sequencer,
        rpc,
        genesis,
        tasks,
    })
}

/// Checks that the stored rollup lives on this L1.
async fn check_l1(
    l1: &DynProvider,
    genesis: &RollupGenesis,
    config: &DevnetConfig,
) -> Result<(), DevnetError> {
    let stale = || DevnetError::StaleL1 {
        data_dir: config.data_dir.display().to_string(),
        number: genesis.l1_origin.number,
        hash: genesis.l1_origin.hash,
    };
    let block = l1_call(l1.get_block_by_number(genesis.l1_origin.number.into())).await?;
    if block.is_none_or(|b| b.header.hash != genesis.l1_origin.hash) {
        return Err(stale());
    }
    let code = l1_call(l1.get_code_at(genesis.rollup)).await?;
    if code.is_empty() {
        return Err(stale());
    }
    Ok(())
}

/// Deploys the Rollup contract for a new rollup and records its genesis.
///
/// The genesis output root is a constructor argument, and it depends on the genesis timestamp, so the
/// timestamp is fixed first, a little ahead of L1's clock; the L1 block the contract lands in must not
/// be later than the first L2 block, or that block would be older than its L1 origin.
async fn deploy(l1: &DynProvider, config: &DevnetConfig) -> Result<RollupGenesis, DevnetError> {
    let l1_chain_id = l1_call(l1.get_chain_id()).await?;
    let batcher = dev_signer(BATCHER_KEY_INDEX);
    let deployer = ProviderBuilder::new()
        .wallet(EthereumWallet::from(batcher.clone()))
        .connect_provider(l1.clone())
        .erased();
    for _attempt in 0..3 {
        let head = l1_call(l1.get_block_by_number(Default::default()))
            .await?
            .ok_or_else(|| OriginError::Invalid("L1 has no latest block".into()))?;
        let now = unix_now_ms() / 1000;
        let mut chain = config.chain.clone();
        chain.genesis_timestamp = now.max(head.header.timestamp) + 3;
        let root = genesis_output_root(&chain)?;
        let mut params =
            DeployParams::devnet(batcher.address(), dev_signer(ARBITER_KEY_INDEX).address())
                .with_genesis_output_root(root)
                .with_chain(chain.genesis_timestamp, chain.block_time, chain.hash());
        params.challenge_window = config.challenge_window;
        params.move_timeout = config.move_timeout;
        let rollup = contracts::deploy(&deployer, &params).await?;
        let receipt_block = find_deploy_block(l1, rollup).await?;
        if receipt_block.timestamp > chain.genesis_timestamp + chain.block_time {
            tracing::warn!(
                "the Rollup deployment landed too late for its genesis timestamp; deploying again"
            );
            continue;
        }
        let genesis = RollupGenesis {
            config: chain,
            l1_chain_id,
            rollup,
            l1_origin: receipt_block,
            batcher: batcher.address(),
            proposer: dev_signer(PROPOSER_KEY_INDEX).address(),
        };
        tracing::info!(%rollup, l1_block = genesis.l1_origin.number, "Rollup contract deployed");
        return Ok(genesis);
    }
    Err(DevnetError::Other(
        "the Rollup deployment kept landing after the genesis timestamp; is L1's clock far ahead?"
            .into(),
    ))
}

/// The L1 block that created `rollup`: the first block whose state has its code.
async fn find_deploy_block(
    l1: &DynProvider,
    rollup: alloy_primitives::Address,
) -> Result<L1Origin, DevnetError> {
    use alloy::sol_types::SolEvent;
    let filter = alloy::rpc::types::Filter::new()
        .address(rollup)
        .event_signature(contracts::Rollup::RollupInitialized::SIGNATURE_HASH)
        .from_block(0);
    let logs = l1_call(l1.get_logs(&filter)).await?;
    let number = logs.first().and_then(|l| l.block_number).ok_or_else(|| {
        OriginError::Invalid("no RollupInitialized event for the new contract".into())
    })?;
    let block = l1_call(l1.get_block_by_number(number.into()))
        .await?
        .ok_or_else(|| OriginError::Invalid(format!("L1 block {number} not found")))?;
    // The sequencer treats the origin's own deposits as before genesis; none can precede the
    // constructor in the same block, and later ones in that block are documented as lost.
    Ok(L1Origin {
        number,
        hash: block.header.hash,
        timestamp: block.header.timestamp,
        deposits: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use alloy::providers::Provider;

    /// An L1 endpoint may be https: the request gets as far as connecting (nothing listens on the
    /// port), where a client without TLS refuses the scheme itself.
    #[tokio::test]
    async fn an_https_endpoint_is_dialled() {
        let provider = super::connect("https://127.0.0.1:1").expect("a valid URL");
        let err = provider
            .get_block_number()
            .await
            .expect_err("nothing listens on port 1");
        // The whole chain: the top says only that sending failed.
        let mut err: &dyn std::error::Error = &err;
        let mut chain = err.to_string();
        while let Some(source) = err.source() {
            chain.push_str(&format!(": {source}"));
            err = source;
        }
        let err = chain;
        assert!(!err.contains("scheme"), "https is not supported: {err}");
        assert!(
            err.to_lowercase().contains("connect"),
            "not a connection error: {err}"
        );
    }
}
