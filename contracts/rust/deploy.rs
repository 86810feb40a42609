//! Deployment parameters and the deploy function.

use alloy::{
    network::Network,
    primitives::{Address, B256, U256, utils::Unit},
    providers::Provider,
};

use crate::Rollup;

/// The Rollup contract's constructor arguments.
///
/// [`DeployParams::devnet`] gives values short enough to watch a proposal finalize within minutes;
/// [`DeployParams::production_like`] gives the values a public deployment would start from
/// (docs/contracts.md explains them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployParams {
    /// The only address allowed to append batches.
    pub batcher: Address,
    /// The address that adjudicates the single-block step of a dispute game (trusted, first version).
    pub arbiter: Address,
    /// Exact wei every proposal carries.
    pub proposal_bond: U256,
    /// Exact wei every challenge carries.
    pub challenge_bond: U256,
    /// Seconds during which a proposal can be challenged.
    pub challenge_window: u64,
    /// Seconds each player (and the arbiter) has for each move of a game.
    pub move_timeout: u64,
    /// The output root of L2 block 0, the starting point the first proposal's games agree on.
    pub genesis_output_root: B256,
    /// Timestamp of L2 block 0: the contract refuses proposals for blocks whose timestamp
    /// (`l2_genesis_time + n * l2_block_time`) is not yet in the past.
    pub l2_genesis_time: u64,
    /// Seconds between L2 blocks.
    pub l2_block_time: u64,
    /// The chain parameters' commitment (`ChainConfig::hash` in the light node).
    pub config_hash: B256,
}

impl DeployParams {
    /// Devnet challenge window: two minutes.
    pub const DEVNET_CHALLENGE_WINDOW: u64 = 120;
    /// Devnet time per move: one minute (the devnet's roles answer within seconds).
    pub const DEVNET_MOVE_TIMEOUT: u64 = 60;
    /// Production-like challenge window: seven days, time for anyone to notice a bad root and act.
    pub const PRODUCTION_CHALLENGE_WINDOW: u64 = 7 * 24 * 3600;
    /// Production-like time per move: twelve hours, enough to ride out an outage of an honest player.
    pub const PRODUCTION_MOVE_TIMEOUT: u64 = 12 * 3600;

    /// Devnet values: 1 ETH proposal bond, 0.5 ETH challenge bond, a 120 s window and 60 s per move.
    ///
    /// The genesis output root is zero; set the real one with
    /// [`with_genesis_output_root`](Self::with_genesis_output_root) when the L2 genesis is known.
    pub fn devnet(batcher: Address, arbiter: Address) -> Self {
        Self {
            batcher,
            arbiter,
            proposal_bond: Unit::ETHER.wei(),
            challenge_bond: Unit::ETHER.wei() / U256::from(2),
            challenge_window: Self::DEVNET_CHALLENGE_WINDOW,
            move_timeout: Self::DEVNET_MOVE_TIMEOUT,
            genesis_output_root: B256::ZERO,
            l2_genesis_time: 0,
            l2_block_time: 1,
            config_hash: B256::ZERO,
        }
    }

    /// Production-like values: 1 ETH for both bonds, a seven-day window and twelve hours per move.
    /// The L2 timing and the config hash are the devnet's placeholders; set the real ones with
    /// [`with_chain`](Self::with_chain).
    pub fn production_like(batcher: Address, arbiter: Address, genesis_output_root: B256) -> Self {
        Self {
            batcher,
            arbiter,
            proposal_bond: Unit::ETHER.wei(),
            challenge_bond: Unit::ETHER.wei(),
            challenge_window: Self::PRODUCTION_CHALLENGE_WINDOW,
            move_timeout: Self::PRODUCTION_MOVE_TIMEOUT,
            genesis_output_root,
            l2_genesis_time: 0,
            l2_block_time: 1,
            config_hash: B256::ZERO,
        }
    }

    /// The same parameters for an L2 chain with this genesis timestamp, block time and parameters'
    /// commitment.
    pub const fn with_chain(
        mut self,
        genesis_time: u64,
        block_time: u64,
        config_hash: B256,
    ) -> Self {
        self.l2_genesis_time = genesis_time;
        self.l2_block_time = block_time;
        self.config_hash = config_hash;
        self
    }

    /// The same parameters with another genesis output root.
    pub const fn with_genesis_output_root(mut self, root: B256) -> Self {
        self.genesis_output_root = root;
        self
    }

    /// Checks what the constructor would reject, so a bad value fails before any transaction.
    pub fn validate(&self) -> Result<(), DeployError> {
        let problem = if self.batcher.is_zero() {
            "batcher is the zero address"
        } else if self.arbiter.is_zero() {
            "arbiter is the zero address"
        } else if self.challenge_window == 0 {
            "challenge window is zero"
        } else if self.move_timeout == 0 {
            "move timeout is zero"
        } else if self.l2_block_time == 0 {
            "L2 block time is zero"
        } else {
            return Ok(());
        };
        Err(DeployError::InvalidParams(problem))
    }
}

/// Why the Rollup contract could not be deployed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// A parameter the constructor would reject.
    #[error("invalid Rollup deployment parameters: {0}")]
    InvalidParams(&'static str),
    /// Sending the deployment or waiting for its receipt failed, or it reverted.
    #[error("cannot deploy the Rollup contract: {0}")]
    Contract(#[from] alloy::contract::Error),
}

/// Deploys the Rollup contract from the provider's default sender and waits for its receipt.
///
/// Returns the new contract's address.
pub async fn deploy<P, N>(provider: &P, params: &DeployParams) -> Result<Address, DeployError>
where
    P: Provider<N>,
    N: Network,
{
    params.validate()?;
    let address = Rollup::deploy_builder(
        provider,
        params.batcher,
        params.arbiter,
        params.proposal_bond,
        params.challenge_bond,
        params.challenge_window,
        params.move_timeout,
        params.genesis_output_root,
        params.l2_genesis_time,
        params.l2_block_time,
        params.config_hash,
    )
    .deploy()
    .await?;
    Ok(address)
}
