//! The rollup's chain parameters.

use alloy_primitives::{Address, B256, keccak256};
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
    /// The most seconds an L2 block's timestamp may be ahead of its L1 origin's (op-node's
    /// `max_sequencer_drift`): blocks past it are dropped with their batch, so a batcher cannot move
    /// L2 time far ahead of L1's, and the sequencer does not build them.
    pub max_sequencer_drift: u64,
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
            max_sequencer_drift: 600,
        }
    }

    /// The commitment to these parameters that the Rollup contract stores (`configHash`):
    /// `keccak256` of every field as one 32-byte big-endian word, in declaration order, as Solidity's
    /// `abi.encode` lays them out (the spec as its revm number, the fee recipient left-padded).
    /// A node that was handed parameters checks them against L1 with it.
    pub fn hash(&self) -> B256 {
        let word = |value: u64| B256::left_padding_from(&value.to_be_bytes());
        let words = [
            word(self.chain_id),
            word(self.block_time),
            word(self.genesis_timestamp),
            word(self.sequencing_window),
            word(self.max_batch_size as u64),
            word(self.block_gas_limit),
            word(self.genesis_base_fee),
            word(self.spec_id as u8 as u64),
            B256::left_padding_from(self.fee_recipient.as_slice()),
            word(self.max_sequencer_drift),
        ];
        let mut preimage = Vec::with_capacity(words.len() * 32);
        for w in words {
            preimage.extend_from_slice(w.as_slice());
        }
        keccak256(preimage)
    }

    /// Whether an L2 block with this timestamp may take an L1 origin with `origin_timestamp`, as
    /// op-node's `max_sequencer_drift` rule says: up to `max_sequencer_drift` seconds after the
    /// origin's timestamp any block may; past that only an empty block, and only while the next L1
    /// block is known and later than the L2 block (so that L2 time can catch up with an L1 whose
    /// clock jumped, but never run ahead of it). `next_origin_timestamp` is `None` when the next L1
    /// block is not known (derivation: not at or before the batch's L1 block).
    pub fn within_drift(
        &self,
        timestamp: u64,
        origin_timestamp: u64,
        empty: bool,
        next_origin_timestamp: Option<u64>,
    ) -> bool {
        timestamp <= origin_timestamp.saturating_add(self.max_sequencer_drift)
            || (empty && next_origin_timestamp.is_some_and(|next| next > timestamp))
    }

    /// Timestamp that L2 block `number` must carry.
    pub fn timestamp_of(&self, number: u64) -> u64 {
        self.genesis_timestamp
            .saturating_add(number.saturating_mul(self.block_time))
    }
}
