//! Finding a deployed rollup's genesis record from L1, for `indexer follow`.
//!
//! The Rollup contract's `RollupInitialized` event gives the deployment block, the batcher, the
//! genesis output root, the L2 genesis timestamp and the commitment to the chain parameters. The
//! parameters come from a `rollup.json` (as the devnet writes it) or, without one, are the devnet's
//! with the contract's genesis timestamp: a record is only ever accepted when its parameters hash to
//! the contract's `configHash` and its genesis output root equals L1's.

use std::path::Path;

use alloy::{
    eips::BlockNumberOrTag,
    providers::{DynProvider, Provider},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use alloy_primitives::{Address, B256};
use contracts::Rollup;
use light_node::{ChainConfig, L1Origin};

use crate::{
    genesis::{PROPOSER_KEY_INDEX, RollupGenesis, dev_signer, genesis_output_root},
    sequencer::{OriginError, l1_call},
};

/// Why the rollup could not be found.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// L1 failed.
    #[error(transparent)]
    L1(#[from] OriginError),
    /// No Rollup contract was deployed at the address.
    #[error("no Rollup contract was deployed at {0} on this L1 (no RollupInitialized event)")]
    NotDeployed(Address),
    /// The record file is unusable.
    #[error("rollup config {path}: {reason}")]
    Config {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The devnet's parameters are not the ones the contract commits to.
    #[error(
        "the chain parameters the contract commits to (hash {0}) are not the devnet's; pass --rollup-config with the rollup's rollup.json"
    )]
    UnknownGenesis(B256),
    /// The genesis state could not be built.
    #[error("genesis: {0}")]
    Genesis(#[from] light_node::ExecError),
}

/// The genesis record of the rollup at `rollup`, checked against L1.
pub async fn discover(
    l1: &DynProvider,
    rollup: Address,
    config_file: Option<&Path>,
) -> Result<RollupGenesis, DiscoverError> {
    let filter = Filter::new()
        .address(rollup)
        .event_signature(Rollup::RollupInitialized::SIGNATURE_HASH)
        .from_block(0);
    let logs = l1_call(l1.get_logs(&filter)).await?;
    let log = logs.first().ok_or(DiscoverError::NotDeployed(rollup))?;
    let event = log
        .log_decode::<Rollup::RollupInitialized>()
        .map_err(|e| OriginError::Invalid(format!("RollupInitialized: {e}")))?
        .inner
        .data;
    let number = log
        .block_number
        .ok_or_else(|| OriginError::Invalid("a log without its block".into()))?;
    let block = l1_call(l1.get_block_by_number(BlockNumberOrTag::Number(number)))
        .await?
        .ok_or_else(|| OriginError::Invalid(format!("L1 block {number} not found")))?;
    let l1_chain_id = l1_call(l1.get_chain_id()).await?;
    let origin = L1Origin {
        number,
        hash: block.header.hash,
        timestamp: block.header.timestamp,
        deposits: Vec::new(),
    };
    let root = event.genesisOutputRoot;

    if let Some(path) = config_file {
        let bad = |reason: String| DiscoverError::Config {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let genesis: RollupGenesis =
            serde_json::from_str(&text).map_err(|e| bad(format!("not a rollup record: {e}")))?;
        if genesis.rollup != rollup {
            return Err(bad(format!(
                "it describes rollup {}, not {rollup}",
                genesis.rollup
            )));
        }
        if genesis.l1_chain_id != l1_chain_id || genesis.l1_origin.hash != origin.hash {
            return Err(bad(
                "it describes a deployment on another L1 chain or block".into(),
            ));
        }
        if genesis.config.hash() != event.configHash {
            return Err(bad(format!(
                "its chain parameters hash to {}, the contract commits to {}",
                genesis.config.hash(),
                event.configHash
            )));
        }
        if genesis_output_root(&genesis.config)? != root {
            return Err(bad(
                "its genesis does not give the contract's genesis output root".into(),
            ));
        }
        return Ok(genesis);
    }

    let config = ChainConfig {
        genesis_timestamp: event.l2GenesisTime,
        ..ChainConfig::devnet()
    };
    if config.hash() != event.configHash || genesis_output_root(&config)? != root {
        return Err(DiscoverError::UnknownGenesis(event.configHash));
    }
    Ok(RollupGenesis {
        config,
        l1_chain_id,
        rollup,
        l1_origin: origin,
        batcher: event.batcher,
        proposer: dev_signer(PROPOSER_KEY_INDEX).address(),
    })
}
