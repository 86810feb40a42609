//! Ethereum's hexary Merkle-Patricia trie, full on the server and sparse in the browser.
//!
//! One implementation serves both: a [`Trie`] reads the nodes it needs from a [`NodeStore`]
//! keyed by node hash. On the server the store holds every node; in the browser it holds a
//! witness (the nodes a batch touches), and whatever the witness lacks stays a hash stub, so an
//! operation that needs it fails with [`TrieError::WitnessIncomplete`] rather than guess.
//!
//! Several tries (the state trie, each account's storage trie) share one store: every operation
//! takes the store as an argument. A store can record every pre-existing node the operations of
//! its tries read; that recording is the witness a sparse trie needs to replay them.
//!
//! Proofs are EIP-1186 proofs, as `eth_getProof` returns them: [`Trie::proof`] builds them and
//! [`verify_proof`] checks them against a root.

mod error;
mod merkle;
mod node;
mod proof;
mod store;

#[cfg(test)]
mod test_utils;

pub use error::TrieError;
pub use merkle::Trie;
pub use proof::{ProofError, verify_proof};
pub use store::NodeStore;

/// The root hash of the empty trie: `keccak256(rlp(""))`.
pub use alloy_trie::EMPTY_ROOT_HASH as EMPTY_ROOT;
