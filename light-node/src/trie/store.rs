//! The node store: every stored trie node, keyed by the keccak256 of its RLP encoding.

use alloy_primitives::{B256, Bytes, keccak256, map::B256Map};

/// Trie nodes keyed by the keccak256 of their RLP encoding, shared by any number of tries.
///
/// On the server the store holds every node of the state (a *full* trie); in the browser it holds
/// only the nodes of a witness, and subtrees it lacks stay hash stubs (a *sparse* trie). A [`Trie`]
/// reads every node it does not hold in memory from here, and [`Trie::commit`] writes new ones.
/// Every trie operation takes the store as an argument, so the state trie and each account's
/// storage trie can share one store and one recording.
///
/// While [recording](Self::start_recording), every pre-existing node an operation reads is
/// collected, so that [`take_witness`](Self::take_witness) returns exactly the nodes a sparse
/// trie needs to replay the same operations.
///
/// [`Trie`]: super::Trie
/// [`Trie::commit`]: super::Trie::commit
#[derive(Debug, Clone, Default)]
pub struct NodeStore {
    nodes: B256Map<Bytes>,
    /// The nodes read since recording started, keyed by hash.
    recorded: Option<B256Map<Bytes>>,
    /// Incremented when a recording starts. In-memory nodes remember the session in which they
    /// last changed, so a recording can tell pre-existing nodes from ones it created.
    session: u64,
}

impl NodeStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding the given RLP-encoded nodes, as in a witness or an EIP-1186 proof.
    ///
    /// Each node is keyed by the hash of its bytes, so a node that is not part of the trie a
    /// caller opens is simply never read.
    pub fn from_witness<I>(nodes: I) -> Self
    where
        I: IntoIterator<Item = Bytes>,
    {
        let mut store = Self::new();
        store.extend(nodes);
        store
    }

    /// Adds RLP-encoded nodes to the store.
    pub fn extend<I>(&mut self, nodes: I)
    where
        I: IntoIterator<Item = Bytes>,
    {
        for node in nodes {
            self.insert(node);
        }
    }

    /// Adds one RLP-encoded node and returns its hash, the key it is stored under.
    pub fn insert(&mut self, encoding: Bytes) -> B256 {
        let hash = keccak256(&encoding);
        self.nodes.insert(hash, encoding);
        hash
    }

    /// The RLP encoding of the node with this hash, if the store holds it.
    pub fn get(&self, hash: &B256) -> Option<&Bytes> {
        self.nodes.get(hash)
    }

    /// Whether the store holds the node with this hash.
    pub fn contains(&self, hash: &B256) -> bool {
        self.nodes.contains_key(hash)
    }

    /// The number of nodes held.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the store holds no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Starts collecting a witness, discarding any recording in progress.
    ///
    /// From now on every node that existed before this call and that an operation of any trie
    /// over this store reads is collected, whether the trie reads it from the store or already
    /// holds it in memory. That includes the sibling a deletion reads to collapse a branch and
    /// the nodes along the path of a generated proof. Nodes created after this call are not
    /// collected: a sparse trie replaying the same operations creates them itself.
    ///
    /// A trie whose root hash was not computed since its last change cannot name its
    /// pre-existing nodes: call [`Trie::root_hash`](super::Trie::root_hash) or
    /// [`Trie::commit`](super::Trie::commit) before recording.
    pub fn start_recording(&mut self) {
        self.session += 1;
        self.recorded = Some(B256Map::default());
    }

    /// Whether a recording is in progress.
    pub fn is_recording(&self) -> bool {
        self.recorded.is_some()
    }

    /// Ends the recording and returns the collected nodes, ordered by hash.
    ///
    /// [`NodeStore::from_witness`] over these nodes, with tries opened at the roots they had
    /// when recording started, replays the recorded operations with the same results and roots.
    /// Returns an empty list when no recording was in progress.
    pub fn take_witness(&mut self) -> Vec<Bytes> {
        let mut nodes: Vec<(B256, Bytes)> = self
            .recorded
            .take()
            .unwrap_or_default()
            .into_iter()
            .collect();
        nodes.sort_unstable_by_key(|(hash, _)| *hash);
        nodes.into_iter().map(|(_, node)| node).collect()
    }

    /// Writes a node whose hash the caller computed from `encoding`.
    pub(crate) fn put(&mut self, hash: B256, encoding: Bytes) {
        self.nodes.entry(hash).or_insert(encoding);
    }

    /// The session new and changed in-memory nodes are tagged with.
    pub(crate) fn session(&self) -> u64 {
        self.session
    }

    /// The current session while recording: nodes tagged with an older session pre-exist.
    pub(crate) fn recording_session(&self) -> Option<u64> {
        self.recorded.as_ref().map(|_| self.session)
    }

    /// Whether the recording already holds the node with this hash.
    pub(crate) fn is_recorded(&self, hash: &B256) -> bool {
        self.recorded
            .as_ref()
            .is_some_and(|recorded| recorded.contains_key(hash))
    }

    /// Adds a read node to the recording, if one is in progress.
    pub(crate) fn record(&mut self, hash: B256, encoding: Bytes) {
        if let Some(recorded) = &mut self.recorded {
            recorded.entry(hash).or_insert(encoding);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    #[test]
    fn nodes_are_keyed_by_their_hash() {
        let node = Bytes::from_static(&[0xc2, 0x20, 0x01]);
        let store = NodeStore::from_witness([node.clone()]);
        let hash = keccak256(&node);
        assert_eq!(store.len(), 1);
        assert!(store.contains(&hash));
        assert_eq!(store.get(&hash), Some(&node));
    }

    #[wasm_bindgen_test]
    #[test]
    fn witness_is_empty_without_recording() {
        let mut store = NodeStore::new();
        store.record(B256::ZERO, Bytes::from_static(&[1]));
        assert!(!store.is_recording());
        assert!(store.take_witness().is_empty());
    }

    #[wasm_bindgen_test]
    #[test]
    fn witness_is_sorted_by_hash_and_ends_the_recording() {
        let mut store = NodeStore::new();
        store.start_recording();
        let nodes: Vec<Bytes> = (0u8..5)
            .map(|i| Bytes::from(vec![0xc2, 0x20, i + 1]))
            .collect();
        for node in &nodes {
            store.record(keccak256(node), node.clone());
        }
        let witness = store.take_witness();
        assert!(!store.is_recording());
        assert_eq!(witness.len(), nodes.len());
        let hashes: Vec<B256> = witness.iter().map(keccak256).collect();
        assert!(hashes.windows(2).all(|pair| pair[0] < pair[1]));
    }
}
