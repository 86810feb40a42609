//! Errors of block execution.

use alloy_primitives::{Address, B256};

use crate::trie::TrieError;

/// Why a block could not be executed. None of these is the block's fault: each means the state or
/// the witness the executor was given is incomplete or corrupt, so no verdict about the block follows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// The state trie lacks a node (the witness is incomplete) or holds a malformed one.
    #[error("state trie: {0}")]
    StateTrie(TrieError),
    /// An account's storage trie lacks a node or holds a malformed one.
    #[error("storage trie of {address}: {source}")]
    StorageTrie {
        /// Whose storage.
        address: Address,
        /// The trie's error.
        source: TrieError,
    },
    /// An account leaf does not decode.
    #[error("account {address} has a malformed trie leaf: {reason}")]
    BadAccount {
        /// The account.
        address: Address,
        /// The decoding error.
        reason: String,
    },
    /// A storage leaf does not decode.
    #[error("storage slot of {address} has a malformed trie leaf: {reason}")]
    BadStorage {
        /// The account.
        address: Address,
        /// The decoding error.
        reason: String,
    },
    /// Contract code the execution needs is missing.
    #[error("witness incomplete: no code with hash {0}")]
    MissingCode(B256),
    /// A block hash the execution needs (BLOCKHASH) is missing.
    #[error("witness incomplete: no hash for L2 block {0}")]
    MissingBlockHash(u64),
    /// revm failed for a reason other than an invalid transaction.
    #[error("EVM failure: {0}")]
    Evm(String),
    /// The parent's number is the largest a block can have, so no block follows it.
    #[error("parent block number {0} leaves no number for a child")]
    LastBlockNumber(u64),
}

impl ExecError {
    /// Whether this error means the witness lacked something (rather than holding bad data).
    pub fn is_witness_incomplete(&self) -> bool {
        match self {
            Self::StateTrie(e) | Self::StorageTrie { source: e, .. } => {
                matches!(e, TrieError::WitnessIncomplete { .. })
            }
            Self::MissingCode(_) | Self::MissingBlockHash(_) => true,
            _ => false,
        }
    }
}

impl revm::database::DBErrorMarker for ExecError {}
