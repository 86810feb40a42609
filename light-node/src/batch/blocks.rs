//! The content of a batch.

use alloy_primitives::{B256, Bytes};
use alloy_rlp::{RlpDecodable, RlpEncodable};
use serde::{Deserialize, Serialize};

/// An ordered run of L2 blocks posted to L1 together.
///
/// Deposits are not carried: derivation takes them from the L1 origin of each block.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable, Serialize, Deserialize)]
pub struct Batch {
    /// Hash of the L2 block the first block of this batch builds on.
    pub parent_hash: B256,
    /// The blocks, oldest first.
    pub blocks: Vec<BatchBlock>,
}

/// One L2 block as the batcher posts it: enough to re-execute it.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable, Serialize, Deserialize)]
pub struct BatchBlock {
    /// The block's timestamp.
    pub timestamp: u64,
    /// Number of the L1 block this L2 block takes its deposits and randomness from.
    pub l1_origin_number: u64,
    /// Hash of that L1 block.
    pub l1_origin_hash: B256,
    /// The user transactions, as EIP-2718 envelopes, in execution order.
    pub transactions: Vec<Bytes>,
}
