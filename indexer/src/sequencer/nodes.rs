//! Finding the trie nodes a block created, so that only those are written to disk.
//!
//! Nodes are content-addressed and a block's nodes are written together with the block, so a node
//! already on disk has its whole subtree on disk too: the walk from the new state root stops at the
//! first node it already wrote.

use std::collections::HashSet;

use alloy_primitives::{B256, Bytes};
use alloy_rlp::Decodable;
use alloy_trie::{
    TrieAccount,
    nodes::{RlpNode, TrieNode},
};
use light_node::{EMPTY_ROOT, NodeStore};

/// A node that the walk needs is missing or malformed: the in-memory state is not what it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeWalkError {
    /// The store lacks a node the root refers to.
    #[error("trie node {0} is missing from the state")]
    Missing(B256),
    /// A node does not decode.
    #[error("trie node {hash} is malformed: {reason}")]
    Malformed {
        /// The node's hash.
        hash: B256,
        /// The decoding error.
        reason: String,
    },
}

/// The nodes reachable from `root` (state trie and every storage trie) that are not in `written`,
/// with their hashes. Adds them to `written`.
pub(crate) fn new_nodes(
    store: &NodeStore,
    root: B256,
    written: &mut HashSet<B256>,
) -> Result<Vec<(B256, Bytes)>, NodeWalkError> {
    let mut out = Vec::new();
    let mut stack = vec![(root, true)];
    while let Some((hash, is_state)) = stack.pop() {
        if hash == EMPTY_ROOT || written.contains(&hash) {
            continue;
        }
        let encoding = store.get(&hash).ok_or(NodeWalkError::Missing(hash))?;
        let node =
            TrieNode::decode(&mut encoding.as_ref()).map_err(|e| NodeWalkError::Malformed {
                hash,
                reason: e.to_string(),
            })?;
        written.insert(hash);
        out.push((hash, encoding.clone()));
        visit(&node, is_state, hash, &mut stack)?;
    }
    Ok(out)
}

/// Pushes the hashed children of `node` (and, for state-trie leaves, the account's storage root).
fn visit(
    node: &TrieNode,
    is_state: bool,
    at: B256,
    stack: &mut Vec<(B256, bool)>,
) -> Result<(), NodeWalkError> {
    let mut child = |rlp: &RlpNode| -> Result<(), NodeWalkError> {
        match rlp.as_hash() {
            Some(hash) => stack.push((hash, is_state)),
            None => {
                let embedded =
                    TrieNode::decode(&mut rlp.as_ref()).map_err(|e| NodeWalkError::Malformed {
                        hash: at,
                        reason: e.to_string(),
                    })?;
                visit(&embedded, is_state, at, stack)?;
            }
        }
        Ok(())
    };
    match node {
        TrieNode::EmptyRoot => {}
        TrieNode::Branch(branch) => {
            for rlp in &branch.stack {
                child(rlp)?;
            }
        }
        TrieNode::Extension(ext) => child(&ext.child)?,
        TrieNode::Leaf(leaf) => {
            if is_state {
                let account = TrieAccount::decode(&mut leaf.value.as_slice()).map_err(|e| {
                    NodeWalkError::Malformed {
                        hash: at,
                        reason: format!("account leaf: {e}"),
                    }
                })?;
                stack.push((account.storage_root, false));
            }
        }
    }
    Ok(())
}
