//! Errors of trie operations.

use alloy_primitives::B256;
use alloy_trie::Nibbles;
use core::fmt::Write;

/// Why a trie operation could not complete.
///
/// An operation that fails never returns a partial or guessed result. On a well-formed trie it
/// also leaves the trie's contents unchanged, so the caller can add the missing nodes to the
/// store and retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrieError {
    /// The operation needs a node the store lacks: the subtree at `path` is a hash stub that
    /// the witness did not include.
    #[error(
        "witness incomplete: no trie node for nibble path {}",
        display_path(path)
    )]
    WitnessIncomplete {
        /// The nibbles from the root to the missing node.
        path: Nibbles,
    },
    /// A node in the store does not decode as a trie node.
    #[error("trie node {hash} is malformed: {source}")]
    InvalidNode {
        /// The key the node is stored under (for an embedded node, its parent's).
        hash: B256,
        /// What is wrong with it.
        source: alloy_rlp::Error,
    },
    /// The key is longer than the 32 bytes (64 nibbles) a trie path can hold.
    #[error("trie keys are at most 32 bytes, got {len}")]
    KeyTooLong {
        /// The key's length in bytes.
        len: usize,
    },
    /// The stored nodes describe a path longer than 64 nibbles, which no trie built from keys
    /// of at most 32 bytes has.
    #[error(
        "trie nodes at nibble path {} describe a path longer than 64 nibbles",
        display_path(path)
    )]
    PathTooLong {
        /// The nibbles from the root to the node whose path overflows.
        path: Nibbles,
    },
}

/// Formats a nibble path as `0x` followed by one hex digit per nibble.
pub(crate) fn display_path(path: &Nibbles) -> String {
    let mut out = String::with_capacity(2 + path.len());
    out.push_str("0x");
    for nibble in path.iter() {
        let _ = write!(out, "{nibble:x}");
    }
    out
}
