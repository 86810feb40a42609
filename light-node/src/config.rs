//! The rollup's chain parameters.

use alloy_primitives::Address;
use revm::primitives::hardfork::SpecId;
use serde::{Deserialize, Serialize};

/// Parameters every node of one rollup must agree on: they decide what the L2 chain is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainConfig {
    /// EIP-155 chain id of the L2.
    pub chain_id: u64,
    /// Seconds between consecutive L2 blocks; block `n` has timestamp `genesis_timestamp + n * block_time`.
    pub block_time: u64,
    /// Timestamp of the genesis block.
    pub genesis_timestamp: u64,
    /// How many L1 blocks a batch may trail its blocks' L1 origin, and after how many L1 blocks
    /// derivation force-includes an L1 origin's deposits that no batch included.
    pub sequencing_window: u64,
    /// The most bytes one batch may decompress to.
    pub max_batch_size: usize,
    /// Gas limit of every L2 block.
    pub block_gas_limit: u64,
    /// Base fee of the genesis block, in wei.
    pub genesis_base_fee: u64,
    /// The EVM rules L2 blocks execute under.
    pub spec_id: SpecId,
    /// Receives the priority fees of L2 transactions (the block's beneficiary).
    pub fee_recipient: Address,
}

impl ChainConfig {
    /// The devnet's parameters: chain id 42069, one-second blocks, Cancun rules.
    pub fn devnet() -> Self {
        Self {
            chain_id: 42069,
            block_time: 1,
            genesis_timestamp: 0,
            sequencing_window: 64,
            max_batch_size: 8 * 1024 * 1024,
            block_gas_limit: 30_000_000,
            genesis_base_fee: 1_000_000_000,
            spec_id: SpecId::CANCUN,
            fee_recipient: Address::with_last_byte(0xfe),
        }
    }

    /// Timestamp that L2 block `number` must carry.
    pub fn timestamp_of(&self, number: u64) -> u64 {
        self.genesis_timestamp
            .saturating_add(number.saturating_mul(self.block_time))
    }
}
