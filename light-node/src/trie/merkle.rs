//! The Merkle-Patricia trie: lookups, updates and deletions over nodes held in memory or read
//! from a [`NodeStore`] on demand, with incremental root hashing and EIP-1186 proofs.

use super::{
    EMPTY_ROOT,
    error::TrieError,
    node::{self, Node, NodeKind, NodeRef},
    store::NodeStore,
};
use alloy_primitives::{B256, Bytes, keccak256};
use alloy_trie::{Nibbles, nodes::RlpNode};
use core::mem;

/// The result of a trie operation.
type Result<T, E = TrieError> = core::result::Result<T, E>;

/// An Ethereum hexary Merkle-Patricia trie over keys of at most 32 bytes.
///
/// The same type serves as a *full* trie (its store holds every node) and as a *sparse* one (its
/// store holds a witness, the rest of the trie is hash stubs). The trie holds in memory the nodes
/// it has read or built and reads the others from the [`NodeStore`] passed to each operation,
/// the first time an operation needs them. An operation that needs a node the store lacks fails
/// with [`TrieError::WitnessIncomplete`].
///
/// Keys are used as given (the state trie's callers pass `keccak256(address)`). Values are
/// stored as given; an empty value deletes the key, as in Ethereum.
///
/// [`root_hash`](Self::root_hash) re-encodes and rehashes only the nodes changed since the last
/// call; the references of unchanged subtrees are cached in their nodes.
///
/// ```
/// use light_node::{NodeStore, Trie, TrieError, verify_proof};
///
/// // A full trie, written to its store.
/// let mut store = NodeStore::new();
/// let mut trie = Trie::new();
/// trie.insert(&mut store, b"dog", &b"puppy"[..])?;
/// trie.insert(&mut store, b"horse", &b"stallion"[..])?;
/// let root = trie.commit(&mut store);
///
/// // A sparse trie over the nodes one operation reads.
/// store.start_recording();
/// let mut full = Trie::from_root(root);
/// full.insert(&mut store, b"doge", &b"coin"[..])?;
/// let witness = store.take_witness();
///
/// let mut nodes = NodeStore::from_witness(witness);
/// let mut sparse = Trie::from_root(root);
/// sparse.insert(&mut nodes, b"doge", &b"coin"[..])?;
/// assert_eq!(sparse.root_hash(), full.root_hash());
///
/// // Proofs of inclusion and of absence.
/// let proof = full.proof(&mut store, b"doge")?;
/// assert_eq!(verify_proof(full.root_hash(), b"doge", &proof), Ok(Some(b"coin".to_vec())));
/// let proof = full.proof(&mut store, b"cat")?;
/// assert_eq!(verify_proof(full.root_hash(), b"cat", &proof), Ok(None));
/// # Ok::<(), TrieError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Trie {
    root: NodeRef,
    /// Scratch space for node encodings.
    buf: Vec<u8>,
}

impl Trie {
    /// An empty trie.
    pub fn new() -> Self {
        Self::default()
    }

    /// The trie with this root hash, whose nodes are read from the store as operations need them.
    pub fn from_root(root: B256) -> Self {
        let root = if root == EMPTY_ROOT {
            NodeRef::Empty
        } else {
            NodeRef::Hash(root)
        };
        Self {
            root,
            buf: Vec::new(),
        }
    }

    /// Whether the trie holds no key.
    pub fn is_empty(&self) -> bool {
        matches!(self.root, NodeRef::Empty)
    }

    /// The value stored under `key`, if any.
    pub fn get(&mut self, store: &mut NodeStore, key: &[u8]) -> Result<Option<Bytes>> {
        let key = key_nibbles(key)?;
        let mut cursor = Cursor::new(store, &mut self.buf, key);
        let mut slot = &mut self.root;
        let mut depth = 0;
        loop {
            let Some(node) = cursor.resolve(slot, depth, None)? else {
                return Ok(None);
            };
            match &mut node.kind {
                NodeKind::Leaf {
                    key: leaf_key,
                    value,
                } => {
                    return Ok((key.slice(depth..) == *leaf_key).then(|| value.clone()));
                }
                NodeKind::Extension {
                    key: extension_key,
                    child,
                } => {
                    if !key.slice(depth..).starts_with(extension_key) {
                        return Ok(None);
                    }
                    depth += extension_key.len();
                    slot = child;
                }
                NodeKind::Branch { children, value } => match key.get(depth) {
                    None => return Ok(value.clone()),
                    Some(nibble) => {
                        depth += 1;
                        slot = &mut children[usize::from(nibble)];
                    }
                },
            }
        }
    }

    /// Stores `value` under `key` and returns the value it replaces. An empty value removes the
    /// key, as in Ethereum, where a trie never holds an empty value.
    pub fn insert(
        &mut self,
        store: &mut NodeStore,
        key: &[u8],
        value: impl Into<Bytes>,
    ) -> Result<Option<Bytes>> {
        let value = value.into();
        if value.is_empty() {
            return self.remove(store, key);
        }
        let key = key_nibbles(key)?;
        let mut cursor = Cursor::new(store, &mut self.buf, key);
        Ok(match insert_at(&mut cursor, &mut self.root, 0, value)? {
            Inserted::Unchanged(value) => Some(value),
            Inserted::Replaced(previous) => previous,
        })
    }

    /// Removes `key` and returns its value, if it was present.
    ///
    /// A branch left with a single child is collapsed into that child, as Ethereum requires;
    /// the child is read for that (a sparse trie needs it in its witness).
    pub fn remove(&mut self, store: &mut NodeStore, key: &[u8]) -> Result<Option<Bytes>> {
        let key = key_nibbles(key)?;
        let mut cursor = Cursor::new(store, &mut self.buf, key);
        remove_at(&mut cursor, &mut self.root, 0)
    }

    /// The root hash, rehashing only the nodes changed since the last call.
    pub fn root_hash(&mut self) -> B256 {
        match &mut self.root {
            NodeRef::Empty => EMPTY_ROOT,
            NodeRef::Hash(hash) => *hash,
            NodeRef::Node(node) => node::root_hash_of(&node.reference(&mut self.buf, None)),
        }
    }

    /// The root hash, after writing every node not yet in the store to it, so that
    /// [`Trie::from_root`] with this hash reads the trie back from the store.
    pub fn commit(&mut self, store: &mut NodeStore) -> B256 {
        match &mut self.root {
            NodeRef::Empty => EMPTY_ROOT,
            NodeRef::Hash(hash) => *hash,
            NodeRef::Node(node) => {
                let reference = node.reference(&mut self.buf, Some(&mut *store));
                if reference.is_hash() {
                    node::root_hash_of(&reference)
                } else {
                    // A root shorter than 32 bytes is still stored under its hash.
                    let hash = keccak256(&reference);
                    store.put(hash, Bytes::copy_from_slice(&reference));
                    hash
                }
            }
        }
    }

    /// The EIP-1186 proof for `key`: the RLP encodings of the nodes on the path from the root
    /// towards the key, root first. Nodes shorter than 32 bytes are embedded in their parent and
    /// not listed. For a key that is absent, the path ends where the key leaves the trie, which
    /// proves the absence. An empty trie has an empty proof.
    ///
    /// Check a proof with [`verify_proof`](super::verify_proof).
    pub fn proof(&mut self, store: &mut NodeStore, key: &[u8]) -> Result<Vec<Bytes>> {
        let key = key_nibbles(key)?;
        self.root_hash();
        let mut cursor = Cursor::new(store, &mut self.buf, key);
        let mut proof = Vec::new();
        let mut slot = &mut self.root;
        let mut depth = 0;
        loop {
            let is_root = depth == 0;
            let Some(node) = cursor.resolve(slot, depth, None)? else {
                return Ok(proof);
            };
            let reference = node.reference(cursor.buf, None);
            if reference.is_hash() {
                node.encode(cursor.buf, None);
                proof.push(Bytes::copy_from_slice(cursor.buf));
            } else if is_root {
                proof.push(Bytes::copy_from_slice(&reference));
            }
            match &mut node.kind {
                NodeKind::Leaf { .. } => return Ok(proof),
                NodeKind::Extension {
                    key: extension_key,
                    child,
                } => {
                    if !key.slice(depth..).starts_with(extension_key) {
                        return Ok(proof);
                    }
                    depth += extension_key.len();
                    slot = child;
                }
                NodeKind::Branch { children, .. } => match key.get(depth) {
                    None => return Ok(proof),
                    Some(nibble) => {
                        depth += 1;
                        slot = &mut children[usize::from(nibble)];
                    }
                },
            }
        }
    }
}

/// The nibbles of a key, which must fit a trie path.
pub(crate) fn key_nibbles(key: &[u8]) -> Result<Nibbles> {
    if key.len() > 32 {
        return Err(TrieError::KeyTooLong { len: key.len() });
    }
    Ok(Nibbles::unpack(key))
}

/// The state one operation carries down the trie.
struct Cursor<'a> {
    store: &'a mut NodeStore,
    buf: &'a mut Vec<u8>,
    /// The key operated on.
    key: Nibbles,
    /// The session that nodes changed by this operation are tagged with.
    session: u64,
}

impl<'a> Cursor<'a> {
    fn new(store: &'a mut NodeStore, buf: &'a mut Vec<u8>, key: Nibbles) -> Self {
        let session = store.session();
        Self {
            store,
            buf,
            key,
            session,
        }
    }

    /// The path from the root to a node: the key's first `depth` nibbles, then `extra`.
    fn path(&self, depth: usize, extra: Option<u8>) -> Nibbles {
        let mut path = self.key.slice(..depth);
        // Only a malformed trie has a branch below the 64th nibble; its path stays truncated.
        if let Some(nibble) = extra
            && path.len() < 64
        {
            path.push(nibble & 0x0f);
        }
        path
    }

    /// The node in `slot`, reading it from the store if the slot is a hash stub; `None` for an
    /// empty slot. `depth` and `extra` give the slot's path (see [`Self::path`]).
    ///
    /// This is the one place operations read nodes, so it is where a recording collects them.
    fn resolve<'n>(
        &mut self,
        slot: &'n mut NodeRef,
        depth: usize,
        extra: Option<u8>,
    ) -> Result<Option<&'n mut Node>> {
        let is_root = depth == 0 && extra.is_none();
        let mut read_from_store = false;
        if let NodeRef::Hash(hash) = *slot {
            let Some(encoding) = self.store.get(&hash).cloned() else {
                return Err(TrieError::WitnessIncomplete {
                    path: self.path(depth, extra),
                });
            };
            let kind = node::decode(&encoding)
                .map_err(|source| TrieError::InvalidNode { hash, source })?;
            let reference = if encoding.len() < 32 {
                RlpNode::from_raw(&encoding)
            } else {
                None
            };
            let reference = reference.unwrap_or_else(|| RlpNode::word_rlp(&hash));
            self.store.record(hash, encoding);
            *slot = NodeRef::Node(Box::new(Node::decoded(kind, reference)));
            read_from_store = true;
        }
        let NodeRef::Node(node) = slot else {
            return Ok(None);
        };
        if !read_from_store {
            self.record_visit(node, is_root);
        }
        Ok(Some(node))
    }

    /// Adds a node already in memory to the recording, if it existed when the recording began.
    fn record_visit(&mut self, node: &mut Node, is_root: bool) {
        let Some(session) = self.store.recording_session() else {
            return;
        };
        if node.session >= session {
            // Created or changed during the recording: a replay rebuilds it.
            return;
        }
        // A node not hashed since its last change belongs to no known root.
        let Some(reference) = node.cached_reference() else {
            return;
        };
        let hash = match reference.as_hash() {
            Some(hash) => hash,
            // A root shorter than 32 bytes is still read by its hash.
            None if is_root => keccak256(reference),
            // Other short nodes are embedded in their parent's encoding.
            None => return,
        };
        if self.store.is_recorded(&hash) {
            return;
        }
        node.encode(self.buf, None);
        self.store.record(hash, Bytes::copy_from_slice(self.buf));
    }
}

/// What an insertion did.
enum Inserted {
    /// The key already held the value, which is handed back.
    Unchanged(Bytes),
    /// The key now holds the value; this was its previous one.
    Replaced(Option<Bytes>),
}

/// The existing or new entry that goes into a branch created by a split.
enum Entry {
    /// The value of the key that ends at the branch.
    Value(Bytes),
    /// A subtree under a nibble.
    Child(u8, NodeRef),
}

/// Inserts the cursor's key, whose first `depth` nibbles lead to `slot`.
fn insert_at(
    cursor: &mut Cursor<'_>,
    slot: &mut NodeRef,
    depth: usize,
    value: Bytes,
) -> Result<Inserted> {
    let session = cursor.session;
    let rest = cursor.key.slice(depth..);
    let Some(node) = cursor.resolve(slot, depth, None)? else {
        *slot = NodeRef::new(NodeKind::Leaf { key: rest, value }, session);
        return Ok(Inserted::Replaced(None));
    };
    // Either recurse, or find where the key leaves the node's path and split there.
    let (existing, common) = match &mut node.kind {
        NodeKind::Leaf {
            key: leaf_key,
            value: leaf_value,
        } => {
            if *leaf_key == rest {
                if *leaf_value == value {
                    return Ok(Inserted::Unchanged(value));
                }
                let previous = mem::replace(leaf_value, value);
                node.touch(session);
                return Ok(Inserted::Replaced(Some(previous)));
            }
            let common = rest.common_prefix_length(leaf_key);
            let existing = match leaf_key.get(common) {
                // The new key extends this one, whose value moves into the branch.
                None => Entry::Value(mem::take(leaf_value)),
                Some(nibble) => {
                    *leaf_key = leaf_key.slice(common + 1..);
                    node.touch(session);
                    Entry::Child(nibble, mem::take(slot))
                }
            };
            (existing, common)
        }
        NodeKind::Extension {
            key: extension_key,
            child,
        } => {
            let common = rest.common_prefix_length(extension_key);
            if common == extension_key.len() {
                let inserted = insert_at(cursor, child, depth + common, value)?;
                if matches!(inserted, Inserted::Replaced(_)) {
                    node.touch(session);
                }
                return Ok(inserted);
            }
            let nibble = extension_key.get_unchecked(common);
            let remaining = extension_key.slice(common + 1..);
            let existing = if remaining.is_empty() {
                Entry::Child(nibble, mem::take(child))
            } else {
                *extension_key = remaining;
                node.touch(session);
                Entry::Child(nibble, mem::take(slot))
            };
            (existing, common)
        }
        NodeKind::Branch {
            children,
            value: branch_value,
        } => {
            let Some(nibble) = rest.first() else {
                if branch_value.as_ref() == Some(&value) {
                    return Ok(Inserted::Unchanged(value));
                }
                let previous = branch_value.replace(value);
                node.touch(session);
                return Ok(Inserted::Replaced(previous));
            };
            let inserted = insert_at(cursor, &mut children[usize::from(nibble)], depth + 1, value)?;
            if matches!(inserted, Inserted::Replaced(_)) {
                node.touch(session);
            }
            return Ok(inserted);
        }
    };

    let new = match rest.get(common) {
        None => Entry::Value(value),
        Some(nibble) => Entry::Child(
            nibble,
            NodeRef::new(
                NodeKind::Leaf {
                    key: rest.slice(common + 1..),
                    value,
                },
                session,
            ),
        ),
    };
    let mut children: Box<[NodeRef; 16]> = Box::default();
    let mut branch_value = None;
    for entry in [existing, new] {
        match entry {
            Entry::Value(value) => branch_value = Some(value),
            Entry::Child(nibble, child) => children[usize::from(nibble)] = child,
        }
    }
    let branch = NodeRef::new(
        NodeKind::Branch {
            children,
            value: branch_value,
        },
        session,
    );
    *slot = if common == 0 {
        branch
    } else {
        NodeRef::new(
            NodeKind::Extension {
                key: rest.slice(..common),
                child: branch,
            },
            session,
        )
    };
    Ok(Inserted::Replaced(None))
}

/// Removes the cursor's key, whose first `depth` nibbles lead to `slot`, and returns its value.
///
/// Every node the removal may read is read before anything changes, so that a missing node
/// leaves the trie as it was.
fn remove_at(cursor: &mut Cursor<'_>, slot: &mut NodeRef, depth: usize) -> Result<Option<Bytes>> {
    let session = cursor.session;
    let key = cursor.key;
    let rest = key.slice(depth..);
    let Some(node) = cursor.resolve(slot, depth, None)? else {
        return Ok(None);
    };
    match &mut node.kind {
        NodeKind::Leaf {
            key: leaf_key,
            value,
        } => {
            if *leaf_key != rest {
                return Ok(None);
            }
            let previous = mem::take(value);
            *slot = NodeRef::Empty;
            Ok(Some(previous))
        }
        NodeKind::Extension {
            key: extension_key,
            child,
        } => {
            if !rest.starts_with(extension_key) {
                return Ok(None);
            }
            let extension_key = *extension_key;
            let Some(previous) = remove_at(cursor, child, depth + extension_key.len())? else {
                return Ok(None);
            };
            match child {
                NodeRef::Empty => *slot = NodeRef::Empty,
                NodeRef::Node(below) => match &mut below.kind {
                    // The branch below collapsed: merge its replacement into this extension.
                    NodeKind::Leaf { key: below_key, .. }
                    | NodeKind::Extension { key: below_key, .. } => {
                        *below_key = join(&extension_key, below_key, || key.slice(..depth))?;
                        below.touch(session);
                        *slot = mem::take(child);
                    }
                    NodeKind::Branch { .. } => node.touch(session),
                },
                NodeRef::Hash(_) => node.touch(session),
            }
            Ok(Some(previous))
        }
        NodeKind::Branch { children, value } => {
            let previous = match rest.first() {
                None => {
                    if value.is_none() {
                        return Ok(None);
                    }
                    if let Some(sibling) = single_child(children, None) {
                        cursor.resolve(&mut children[sibling], depth, Some(sibling as u8))?;
                    }
                    value.take()
                }
                Some(nibble) => {
                    let index = usize::from(nibble);
                    let Some(child) = cursor.resolve(&mut children[index], depth + 1, None)? else {
                        return Ok(None);
                    };
                    let empties = matches!(&child.kind,
                        NodeKind::Leaf { key: leaf_key, .. } if *leaf_key == key.slice(depth + 1..));
                    if empties
                        && value.is_none()
                        && let Some(sibling) = single_child(children, Some(index))
                    {
                        // The branch will collapse into its other child: read it now.
                        cursor.resolve(&mut children[sibling], depth, Some(sibling as u8))?;
                    }
                    let Some(previous) = remove_at(cursor, &mut children[index], depth + 1)? else {
                        return Ok(None);
                    };
                    Some(previous)
                }
            };
            node.touch(session);
            collapse(cursor, slot, depth)?;
            Ok(previous)
        }
    }
}

/// The index of the only non-empty child other than `except`, if there is exactly one.
fn single_child(children: &[NodeRef; 16], except: Option<usize>) -> Option<usize> {
    let mut occupied = children
        .iter()
        .enumerate()
        .filter(|(index, child)| Some(*index) != except && !matches!(child, NodeRef::Empty))
        .map(|(index, _)| index);
    let first = occupied.next()?;
    occupied.next().is_none().then_some(first)
}

/// Restores the trie's shape after a removal below the branch in `slot`: a branch with no child
/// becomes a leaf for its value (or nothing), and one with a single child and no value merges
/// into that child.
fn collapse(cursor: &mut Cursor<'_>, slot: &mut NodeRef, depth: usize) -> Result<()> {
    let session = cursor.session;
    let NodeRef::Node(node) = slot else {
        return Ok(());
    };
    let NodeKind::Branch { children, value } = &mut node.kind else {
        return Ok(());
    };
    let Some(only) = single_child(children, None) else {
        if children.iter().all(|child| matches!(child, NodeRef::Empty)) {
            *slot = match value.take() {
                Some(value) => NodeRef::new(
                    NodeKind::Leaf {
                        key: Nibbles::new(),
                        value,
                    },
                    session,
                ),
                None => NodeRef::Empty,
            };
        }
        return Ok(());
    };
    if value.is_some() {
        return Ok(());
    }
    let nibble = only as u8;
    let Some(child) = cursor.resolve(&mut children[only], depth, Some(nibble))? else {
        return Ok(());
    };
    let prefix = Nibbles::from_nibbles_unchecked([nibble]);
    match &mut child.kind {
        NodeKind::Leaf { key, .. } | NodeKind::Extension { key, .. } => {
            *key = join(&prefix, key, || cursor.path(depth, Some(nibble)))?;
            child.touch(session);
            *slot = mem::take(&mut children[only]);
        }
        NodeKind::Branch { .. } => {
            let child = mem::take(&mut children[only]);
            *slot = NodeRef::new(NodeKind::Extension { key: prefix, child }, session);
        }
    }
    Ok(())
}

/// `first` followed by `second`, or [`TrieError::PathTooLong`] at the path `at` returns.
fn join(first: &Nibbles, second: &Nibbles, at: impl FnOnce() -> Nibbles) -> Result<Nibbles> {
    if first.len() + second.len() > 64 {
        return Err(TrieError::PathTooLong { path: at() });
    }
    Ok(first.join(second))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trie::{
        proof::verify_proof,
        test_utils::{hex_or_ascii, reference_root},
    };
    use std::collections::BTreeMap;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    const TRIETEST: &str = include_str!("../../testdata/ethereum-tests/trietest.json");

    /// One case of `trietest.json`: its name, its steps (a `None` value deletes) and its root.
    type Case = (String, Vec<(Vec<u8>, Option<Vec<u8>>)>, B256);

    fn trietest_cases() -> Vec<Case> {
        let json: serde_json::Value = serde_json::from_str(TRIETEST).expect("trietest.json parses");
        let cases = json.as_object().expect("an object of cases");
        cases
            .iter()
            .map(|(name, case)| {
                let steps = case["in"]
                    .as_array()
                    .expect("`in` is a list")
                    .iter()
                    .map(|step| {
                        let key = hex_or_ascii(step[0].as_str().expect("key"));
                        let value = step[1].as_str().map(hex_or_ascii);
                        (key, value)
                    })
                    .collect();
                let root = case["root"]
                    .as_str()
                    .expect("root")
                    .parse()
                    .expect("root hash");
                (name.clone(), steps, root)
            })
            .collect()
    }

    fn apply(trie: &mut Trie, store: &mut NodeStore, key: &[u8], value: &Option<Vec<u8>>) {
        match value {
            Some(value) => trie.insert(store, key, value.clone()).expect("insert"),
            None => trie.remove(store, key).expect("remove"),
        };
    }

    #[wasm_bindgen_test]
    #[test]
    fn ethereum_trietest_vectors() {
        let cases = trietest_cases();
        assert_eq!(cases.len(), 4);
        for (name, steps, root) in cases {
            let mut store = NodeStore::new();
            let mut trie = Trie::new();
            let mut model = BTreeMap::new();
            for (key, value) in &steps {
                apply(&mut trie, &mut store, key, value);
                match value {
                    Some(value) => model.insert(key.clone(), value.clone()),
                    None => model.remove(key),
                };
            }
            assert_eq!(trie.root_hash(), root, "{name}");
            assert_eq!(reference_root(&model), root, "{name}: reference builder");
            for (key, _) in &steps {
                let expected = model.get(key).cloned();
                assert_eq!(
                    trie.get(&mut store, key).expect("get").map(|v| v.to_vec()),
                    expected
                );
                let proof = trie.proof(&mut store, key).expect("proof");
                assert_eq!(
                    verify_proof(root, key, &proof),
                    Ok(expected),
                    "{name}: proof"
                );
            }
        }
    }

    #[wasm_bindgen_test]
    #[test]
    fn ethereum_trietest_vectors_reading_from_the_store() {
        // Commit after every step and reopen the trie from its root, so every step reads its
        // nodes from the store.
        for (name, steps, root) in trietest_cases() {
            let mut store = NodeStore::new();
            let mut reference = Trie::new();
            let mut current = EMPTY_ROOT;
            for (key, value) in &steps {
                let mut trie = Trie::from_root(current);
                apply(&mut trie, &mut store, key, value);
                apply(&mut reference, &mut NodeStore::new(), key, value);
                current = trie.commit(&mut store);
                assert_eq!(current, reference.root_hash(), "{name}");
            }
            assert_eq!(current, root, "{name}");
        }
    }

    #[wasm_bindgen_test]
    #[test]
    fn empty_trie() {
        let mut store = NodeStore::new();
        let mut trie = Trie::new();
        assert!(trie.is_empty());
        assert_eq!(trie.root_hash(), EMPTY_ROOT);
        assert_eq!(trie.get(&mut store, b"key"), Ok(None));
        assert_eq!(trie.remove(&mut store, b"key"), Ok(None));
        assert_eq!(trie.proof(&mut store, b"key"), Ok(vec![]));
        assert_eq!(
            Trie::from_root(EMPTY_ROOT).get(&mut store, b"key"),
            Ok(None)
        );
    }

    #[wasm_bindgen_test]
    #[test]
    fn insert_returns_the_previous_value_and_empty_values_delete() {
        let mut store = NodeStore::new();
        let mut trie = Trie::new();
        assert_eq!(trie.insert(&mut store, b"dog", &b"puppy"[..]), Ok(None));
        assert_eq!(trie.insert(&mut store, b"doge", &b"coin"[..]), Ok(None));
        let root = trie.root_hash();
        assert_eq!(
            trie.insert(&mut store, b"dog", &b"puppy"[..]),
            Ok(Some(Bytes::from_static(b"puppy")))
        );
        assert_eq!(trie.root_hash(), root);
        assert_eq!(
            trie.insert(&mut store, b"dog", &b"hound"[..]),
            Ok(Some(Bytes::from_static(b"puppy")))
        );
        assert_ne!(trie.root_hash(), root);
        assert_eq!(
            trie.insert(&mut store, b"dog", Bytes::new()),
            Ok(Some(Bytes::from_static(b"hound")))
        );
        assert_eq!(trie.get(&mut store, b"dog"), Ok(None));
        assert_eq!(
            trie.remove(&mut store, b"doge"),
            Ok(Some(Bytes::from_static(b"coin")))
        );
        assert_eq!(trie.root_hash(), EMPTY_ROOT);
        assert!(trie.is_empty());
    }

    #[wasm_bindgen_test]
    #[test]
    fn keys_longer_than_32_bytes_are_rejected() {
        let mut store = NodeStore::new();
        let mut trie = Trie::new();
        let key = [7u8; 33];
        let error = Err(TrieError::KeyTooLong { len: 33 });
        assert_eq!(trie.insert(&mut store, &key, &b"v"[..]), error);
        assert_eq!(trie.get(&mut store, &key), error);
        assert_eq!(trie.remove(&mut store, &key), error);
        assert_eq!(
            trie.proof(&mut store, &key),
            error.map(|_: Option<Bytes>| vec![])
        );
        assert!(trie.insert(&mut store, &[7u8; 32], &b"v"[..]).is_ok());
    }

    #[wasm_bindgen_test]
    #[test]
    fn a_root_shorter_than_32_bytes_is_stored_and_proved_by_its_hash() {
        let mut store = NodeStore::new();
        let mut trie = Trie::new();
        trie.insert(&mut store, b"k", &b"v"[..]).expect("insert");
        let root = trie.commit(&mut store);
        let proof = trie.proof(&mut store, b"k").expect("proof");
        assert_eq!(proof.len(), 1);
        assert!(proof[0].len() < 32);
        assert_eq!(keccak256(&proof[0]), root);
        assert_eq!(verify_proof(root, b"k", &proof), Ok(Some(b"v".to_vec())));
        let mut reopened = Trie::from_root(root);
        assert_eq!(
            reopened.get(&mut store, b"k"),
            Ok(Some(Bytes::from_static(b"v")))
        );
    }

    #[wasm_bindgen_test]
    #[test]
    fn commit_after_root_hash_still_stores_every_node() {
        let mut store = NodeStore::new();
        let mut trie = Trie::new();
        for i in 0u32..200 {
            trie.insert(
                &mut store,
                keccak256(i.to_be_bytes()).as_slice(),
                i.to_be_bytes().to_vec(),
            )
            .expect("insert");
        }
        let root = trie.root_hash();
        assert!(store.is_empty());
        assert_eq!(trie.commit(&mut store), root);
        let mut reopened = Trie::from_root(root);
        let mut fresh = NodeStore::new();
        for i in 0u32..200 {
            let key = keccak256(i.to_be_bytes());
            assert_eq!(
                reopened.get(&mut store, key.as_slice()).expect("get"),
                Some(Bytes::from(i.to_be_bytes().to_vec()))
            );
            assert!(matches!(
                Trie::from_root(root).get(&mut fresh, key.as_slice()),
                Err(TrieError::WitnessIncomplete { .. })
            ));
        }
    }

    /// An operation of a recorded batch.
    #[derive(Debug, Clone)]
    enum Op {
        Get(Vec<u8>),
        Insert(Vec<u8>, Vec<u8>),
        Remove(Vec<u8>),
    }

    fn run(trie: &mut Trie, store: &mut NodeStore, ops: &[Op]) -> Result<Vec<Option<Bytes>>> {
        ops.iter()
            .map(|op| match op {
                Op::Get(key) => trie.get(store, key),
                Op::Insert(key, value) => trie.insert(store, key, value.clone()),
                Op::Remove(key) => trie.remove(store, key),
            })
            .collect()
    }

    fn key(seed: &str, i: u32) -> Vec<u8> {
        keccak256([seed.as_bytes(), &i.to_be_bytes()].concat()).to_vec()
    }

    /// A 32-byte key whose last two bytes are given, after a prefix shared by a group of keys.
    fn grouped(group: &str, byte30: u8, byte31: u8) -> Vec<u8> {
        let mut key = keccak256(group.as_bytes()).to_vec();
        key[30] = byte30;
        key[31] = byte31;
        key
    }

    /// A trie of 300 keys plus groups of keys deep in the trie whose removal collapses
    /// branches into a hashed sibling leaf, extension or branch; and a batch over it.
    fn witness_fixture() -> (NodeStore, Trie, B256, Vec<Op>) {
        let long = |i: u8| vec![i; 40];
        let mut entries: Vec<(Vec<u8>, Vec<u8>)> = (0..300)
            .map(|i| (key("base", i), vec![i as u8; 1 + i as usize % 45]))
            .collect();
        // Sibling leaf: removing (0x00, 0x00) leaves only (0x00, 0x01) under their branch.
        entries.push((grouped("leaf", 0x00, 0x00), long(1)));
        entries.push((grouped("leaf", 0x00, 0x01), long(2)));
        // Sibling extension: removing 0x00.. leaves 0x10 0x00 and 0x10 0x01, below [0, 0].
        entries.push((grouped("extension", 0x00, 0x00), long(3)));
        entries.push((grouped("extension", 0x10, 0x00), long(4)));
        entries.push((grouped("extension", 0x10, 0x01), long(5)));
        // Sibling branch: removing 0x00.. leaves 0x10.. and 0x11.. under a branch.
        entries.push((grouped("branch", 0x00, 0x00), long(6)));
        entries.push((grouped("branch", 0x10, 0x00), long(7)));
        entries.push((grouped("branch", 0x11, 0x00), long(8)));
        // Small values embed leaves in their parents.
        entries.push((grouped("small", 0x00, 0x00), vec![1]));
        entries.push((grouped("small", 0x00, 0x01), vec![2]));
        entries.push((grouped("small", 0x00, 0x02), vec![3]));

        let mut store = NodeStore::new();
        let mut trie = Trie::new();
        for (key, value) in &entries {
            trie.insert(&mut store, key, value.clone()).expect("insert");
        }
        let root = trie.commit(&mut store);

        let mut ops = Vec::new();
        for i in 0..10 {
            ops.push(Op::Get(key("base", i)));
            ops.push(Op::Get(key("absent", i)));
        }
        for i in 10..20 {
            ops.push(Op::Insert(key("base", i), vec![0xaa; i as usize]));
            ops.push(Op::Insert(key("new", i), vec![0xbb; i as usize]));
        }
        ops.push(Op::Remove(grouped("leaf", 0x00, 0x00)));
        ops.push(Op::Remove(grouped("extension", 0x00, 0x00)));
        ops.push(Op::Remove(grouped("branch", 0x00, 0x00)));
        ops.push(Op::Remove(grouped("small", 0x00, 0x01)));
        ops.push(Op::Remove(grouped("small", 0x00, 0x02)));
        for i in 20..60 {
            ops.push(Op::Remove(key("base", i)));
        }
        ops.push(Op::Remove(key("absent", 0)));
        ops.push(Op::Insert(key("base", 25), vec![0xcc; 3]));
        for i in 0..30 {
            ops.push(Op::Get(key("base", i)));
        }
        (store, trie, root, ops)
    }

    /// The fixture's batch, recorded on a trie opened from the fixture's root.
    struct Recorded {
        root: B256,
        ops: Vec<Op>,
        results: Vec<Option<Bytes>>,
        new_root: B256,
        witness: Vec<Bytes>,
        store: NodeStore,
    }

    fn record_cold() -> Recorded {
        let (mut store, _, root, ops) = witness_fixture();
        store.start_recording();
        let mut trie = Trie::from_root(root);
        let results = run(&mut trie, &mut store, &ops).expect("full trie");
        let new_root = trie.root_hash();
        let witness = store.take_witness();
        Recorded {
            root,
            ops,
            results,
            new_root,
            witness,
            store,
        }
    }

    #[wasm_bindgen_test]
    #[test]
    fn recorded_witness_replays_on_a_sparse_trie() {
        let Recorded {
            root,
            ops,
            results,
            new_root,
            witness,
            mut store,
        } = record_cold();
        assert!(
            witness.len() < store.len() / 2,
            "{} of {}",
            witness.len(),
            store.len()
        );

        let mut sparse_store = NodeStore::from_witness(witness.clone());
        let mut sparse = Trie::from_root(root);
        assert_eq!(run(&mut sparse, &mut sparse_store, &ops), Ok(results));
        assert_eq!(sparse.root_hash(), new_root);

        // The siblings that the removals collapse into are in the witness, although no
        // operation looks their keys up.
        let mut full = Trie::from_root(root);
        let sibling_leaf = full
            .proof(&mut store, &grouped("leaf", 0x00, 0x01))
            .expect("proof");
        let sibling_extension = full
            .proof(&mut store, &grouped("extension", 0x10, 0x00))
            .expect("proof");
        let sibling_branch = full
            .proof(&mut store, &grouped("branch", 0x10, 0x00))
            .expect("proof");
        for sibling in [
            sibling_leaf.last(),
            sibling_extension.get(sibling_extension.len() - 3),
            sibling_branch.get(sibling_branch.len() - 2),
        ] {
            assert!(witness.contains(sibling.expect("a node")));
        }
    }

    #[wasm_bindgen_test]
    #[test]
    fn recording_a_trie_held_in_memory_gives_the_same_witness() {
        let Recorded {
            results,
            new_root,
            witness,
            ..
        } = record_cold();
        let (mut store, mut trie, _, ops) = witness_fixture();
        store.start_recording();
        assert_eq!(run(&mut trie, &mut store, &ops), Ok(results));
        assert_eq!(trie.root_hash(), new_root);
        assert_eq!(store.take_witness(), witness);
    }

    #[wasm_bindgen_test]
    #[test]
    fn every_witness_node_is_needed() {
        let Recorded {
            root,
            ops,
            new_root,
            witness,
            ..
        } = record_cold();
        for (index, _) in witness.iter().enumerate() {
            let mut nodes = witness.clone();
            nodes.remove(index);
            let mut store = NodeStore::from_witness(nodes);
            let mut sparse = Trie::from_root(root);
            match run(&mut sparse, &mut store, &ops) {
                Err(TrieError::WitnessIncomplete { .. }) => {}
                Err(other) => panic!("node {index}: unexpected error {other}"),
                Ok(_) => panic!(
                    "node {index}: replay succeeded with root {}",
                    sparse.root_hash()
                ),
            }
            assert_ne!(sparse.root_hash(), new_root);
        }
    }

    #[wasm_bindgen_test]
    #[test]
    fn a_missing_node_is_named_by_its_path_and_changes_nothing() {
        let (mut store, mut full, root, _) = witness_fixture();
        // Everything the removal of the "leaf" key needs, except its sibling.
        let removed = grouped("leaf", 0x00, 0x00);
        let sibling = grouped("leaf", 0x00, 0x01);
        let proof = full.proof(&mut store, &removed).expect("proof");
        let sibling_node = full
            .proof(&mut store, &sibling)
            .expect("proof")
            .pop()
            .expect("leaf");
        let mut sparse_store = NodeStore::from_witness(proof);
        let mut sparse = Trie::from_root(root);

        let Err(TrieError::WitnessIncomplete { path }) = sparse.remove(&mut sparse_store, &removed)
        else {
            panic!("the removal needs the sibling");
        };
        let sibling_path = Nibbles::unpack(&sibling);
        assert_eq!(path, sibling_path.slice(..path.len()));
        assert_eq!(sparse.root_hash(), root);

        sparse_store.insert(sibling_node);
        assert_eq!(
            sparse.remove(&mut sparse_store, &removed),
            Ok(Some(Bytes::from(vec![1; 40])))
        );
        full.remove(&mut store, &removed).expect("remove");
        assert_eq!(sparse.root_hash(), full.root_hash());
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::*;
        use crate::trie::test_utils::{
            hash_builder_root,
            strategies::{key32, short_key, value},
        };
        use proptest::{collection::vec, prelude::*, sample::Index};

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn root_matches_hash_builder(
                entries in vec((key32(), value()), 1..150),
                removals in vec(any::<Index>(), 0..80),
                absent in vec(key32(), 0..8),
            ) {
                let mut store = NodeStore::new();
                let mut trie = Trie::new();
                let mut model = BTreeMap::new();
                for (key, value) in &entries {
                    let previous = model.insert(key.clone(), value.clone());
                    prop_assert_eq!(trie.insert(&mut store, key, value.clone())?.map(|v| v.to_vec()), previous);
                }
                prop_assert_eq!(trie.root_hash(), hash_builder_root(&model));

                // Remove from a trie that reads its nodes from the store.
                let root = trie.commit(&mut store);
                let mut trie = Trie::from_root(root);
                for index in removals {
                    let key = &entries[index.index(entries.len())].0;
                    let previous = model.remove(key);
                    prop_assert_eq!(trie.remove(&mut store, key)?.map(|v| v.to_vec()), previous);
                }
                for key in &absent {
                    if !model.contains_key(key) {
                        prop_assert_eq!(trie.remove(&mut store, key)?, None);
                        prop_assert_eq!(trie.get(&mut store, key)?, None);
                    }
                }
                prop_assert_eq!(trie.root_hash(), hash_builder_root(&model));
                for (key, value) in &model {
                    prop_assert_eq!(trie.get(&mut store, key)?.map(|v| v.to_vec()), Some(value.clone()));
                }
            }

            #[test]
            fn keys_of_any_length_match_the_reference_builder(
                entries in vec((short_key(), value()), 0..60),
                removals in vec(short_key(), 0..30),
            ) {
                let mut store = NodeStore::new();
                let mut trie = Trie::new();
                let mut model = BTreeMap::new();
                for (key, value) in &entries {
                    trie.insert(&mut store, key, value.clone())?;
                    model.insert(key.clone(), value.clone());
                }
                prop_assert_eq!(trie.root_hash(), reference_root(&model));
                for key in &removals {
                    let previous = model.remove(key);
                    prop_assert_eq!(trie.remove(&mut store, key)?.map(|v| v.to_vec()), previous);
                }
                let root = trie.root_hash();
                prop_assert_eq!(root, reference_root(&model));

                // Insertion order does not matter.
                let mut sorted = Trie::new();
                for (key, value) in &model {
                    sorted.insert(&mut store, key, value.clone())?;
                }
                prop_assert_eq!(sorted.root_hash(), root);

                for (key, _) in &entries {
                    let proof = trie.proof(&mut store, key)?;
                    prop_assert_eq!(verify_proof(root, key, &proof), Ok(model.get(key).cloned()));
                }
            }

            #[test]
            fn recorded_witnesses_replay_on_sparse_tries(
                entries in vec((key32(), value()), 1..100),
                ops in vec((0u8..3, any::<Index>(), key32(), value()), 1..60),
            ) {
                let mut store = NodeStore::new();
                let mut trie = Trie::new();
                for (key, value) in &entries {
                    trie.insert(&mut store, key, value.clone())?;
                }
                let root = trie.commit(&mut store);
                let ops: Vec<Op> = ops
                    .into_iter()
                    .map(|(kind, index, fresh, value)| {
                        let existing = entries[index.index(entries.len())].0.clone();
                        match kind {
                            0 => Op::Get(if value[0] % 2 == 0 { existing } else { fresh }),
                            1 => Op::Insert(if value[0] % 2 == 0 { existing } else { fresh }, value),
                            _ => Op::Remove(if value[0] % 4 == 0 { fresh } else { existing }),
                        }
                    })
                    .collect();

                store.start_recording();
                let results = run(&mut trie, &mut store, &ops)?;
                let new_root = trie.root_hash();
                let witness = store.take_witness();

                let mut sparse_store = NodeStore::from_witness(witness.clone());
                let mut sparse = Trie::from_root(root);
                prop_assert_eq!(run(&mut sparse, &mut sparse_store, &ops)?, results);
                prop_assert_eq!(sparse.root_hash(), new_root);

                // Without any one node the replay stops; it never reaches another root.
                for index in 0..witness.len().min(12) {
                    let mut nodes = witness.clone();
                    nodes.remove(index * witness.len() / witness.len().min(12));
                    let mut store = NodeStore::from_witness(nodes);
                    let mut sparse = Trie::from_root(root);
                    let replay = run(&mut sparse, &mut store, &ops);
                    prop_assert!(matches!(replay, Err(TrieError::WitnessIncomplete { .. })), "{:?}", replay);
                }
            }
        }
    }
}
