//! The rules a batch must follow to be part of the chain.

use std::collections::BTreeMap;

use alloy_consensus::Header;
use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

use crate::{Batch, ChainConfig, DEPOSIT_TX_TYPE, Deposit};

/// What derivation knows of an L1 block that L2 blocks may take as their origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L1Origin {
    /// L1 block number.
    pub number: u64,
    /// L1 block hash.
    pub hash: B256,
    /// L1 block timestamp.
    pub timestamp: u64,
    /// Deposits the Rollup contract recorded in this block, in log order.
    pub deposits: Vec<Deposit>,
}

/// Why a batch is dropped. A dropped batch changes nothing; derivation goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum BatchRejection {
    /// The bytes do not decode.
    #[error("undecodable: {0}")]
    Undecodable(String),
    /// The batch does not build on the current safe head.
    #[error("parent hash {got} is not the safe head {expected}")]
    WrongParent {
        /// The safe head's hash.
        expected: B256,
        /// The batch's parent hash.
        got: B256,
    },
    /// A block's timestamp is not its parent's plus the block time.
    #[error("block {index}: timestamp {got}, expected {expected}")]
    WrongTimestamp {
        /// Block position in the batch.
        index: usize,
        /// Required timestamp.
        expected: u64,
        /// Timestamp found.
        got: u64,
    },
    /// A block's L1 origin is neither its parent's nor the next L1 block.
    #[error("block {index}: L1 origin {got} does not follow origin {parent}")]
    OriginNotContiguous {
        /// Block position in the batch.
        index: usize,
        /// The parent's origin number.
        parent: u64,
        /// The block's origin number.
        got: u64,
    },
    /// A block's L1 origin is not the canonical L1 block at that number, or not yet known.
    #[error("block {index}: L1 origin {number} with hash {hash} is not canonical L1")]
    UnknownOrigin {
        /// Block position in the batch.
        index: usize,
        /// Origin number claimed.
        number: u64,
        /// Origin hash claimed.
        hash: B256,
    },
    /// The batch was posted too long after a block's origin.
    #[error(
        "block {index}: origin {origin} is outside the sequencing window of L1 block {inclusion}"
    )]
    OutsideSequencingWindow {
        /// Block position in the batch.
        index: usize,
        /// The block's origin number.
        origin: u64,
        /// The L1 block the batch was posted in.
        inclusion: u64,
    },
    /// A block is older than its L1 origin.
    #[error("block {index}: timestamp {timestamp} is before its L1 origin's {origin_timestamp}")]
    BeforeOrigin {
        /// Block position in the batch.
        index: usize,
        /// The block's timestamp.
        timestamp: u64,
        /// The origin's timestamp.
        origin_timestamp: u64,
    },
    /// A block is further ahead of its L1 origin than the chain's `max_sequencer_drift` allows
    /// ([`ChainConfig::within_drift`]).
    #[error(
        "block {index}: timestamp {timestamp} is more than {max_drift} s after its L1 origin's {origin_timestamp}"
    )]
    TooFarAhead {
        /// Block position in the batch.
        index: usize,
        /// The block's timestamp.
        timestamp: u64,
        /// The origin's timestamp.
        origin_timestamp: u64,
        /// The chain's `max_sequencer_drift`.
        max_drift: u64,
    },
    /// A block carries an empty or deposit-typed transaction.
    #[error("block {index}: transaction {tx} is empty or a deposit")]
    ForbiddenTransaction {
        /// Block position in the batch.
        index: usize,
        /// Transaction position in the block.
        tx: usize,
    },
}

/// Checks `batch`, posted in L1 block `inclusion`, against the safe head and its L1 origin number.
/// `l1` holds the canonical L1 blocks known so far, by number.
pub fn check_batch(
    config: &ChainConfig,
    batch: &Batch,
    safe: &Header,
    safe_origin: u64,
    inclusion: u64,
    l1: &BTreeMap<u64, L1Origin>,
) -> Result<(), BatchRejection> {
    let safe_hash = safe.hash_slow();
    if batch.parent_hash != safe_hash {
        return Err(BatchRejection::WrongParent {
            expected: safe_hash,
            got: batch.parent_hash,
        });
    }
    let (mut timestamp, mut origin) = (safe.timestamp, safe_origin);
    for (index, block) in batch.blocks.iter().enumerate() {
        let expected = timestamp.saturating_add(config.block_time);
        if block.timestamp != expected {
            return Err(BatchRejection::WrongTimestamp {
                index,
                expected,
                got: block.timestamp,
            });
        }
        if block.l1_origin_number != origin && block.l1_origin_number != origin.saturating_add(1) {
            return Err(BatchRejection::OriginNotContiguous {
                index,
                parent: origin,
                got: block.l1_origin_number,
            });
        }
        let known = l1
            .get(&block.l1_origin_number)
            .filter(|o| o.hash == block.l1_origin_hash && o.number <= inclusion);
        let Some(known) = known else {
            return Err(BatchRejection::UnknownOrigin {
                index,
                number: block.l1_origin_number,
                hash: block.l1_origin_hash,
            });
        };
        if inclusion
            > block
                .l1_origin_number
                .saturating_add(config.sequencing_window)
        {
            return Err(BatchRejection::OutsideSequencingWindow {
                index,
                origin: block.l1_origin_number,
                inclusion,
            });
        }
        if block.timestamp < known.timestamp {
            return Err(BatchRejection::BeforeOrigin {
                index,
                timestamp: block.timestamp,
                origin_timestamp: known.timestamp,
            });
        }
        let next_origin = l1
            .get(&block.l1_origin_number.saturating_add(1))
            .filter(|o| o.number <= inclusion)
            .map(|o| o.timestamp);
        if !config.within_drift(
            block.timestamp,
            known.timestamp,
            block.transactions.is_empty(),
            next_origin,
        ) {
            return Err(BatchRejection::TooFarAhead {
                index,
                timestamp: block.timestamp,
                origin_timestamp: known.timestamp,
                max_drift: config.max_sequencer_drift,
            });
        }
        if let Some(tx) = block
            .transactions
            .iter()
            .position(|t| t.first().is_none_or(|&ty| ty == DEPOSIT_TX_TYPE))
        {
            return Err(BatchRejection::ForbiddenTransaction { index, tx });
        }
        timestamp = block.timestamp;
        origin = block.l1_origin_number;
    }
    Ok(())
}
