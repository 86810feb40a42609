//! Target B, second half: `verify_proof` on EIP-1186 proofs of random tries, tampered with, or
//! checked against another key or another root.

use std::collections::BTreeMap;

use alloy_primitives::B256;
use light_node::{EMPTY_ROOT, NodeStore, ProofError, Trie, verify_proof};
use proptest::{
    collection::vec,
    prelude::{BoxedStrategy, Just, Strategy, any, prop_oneof},
    sample::Index,
    test_runner::TestRunner,
};

use super::{Case, Checked, Target, draw, hex};

/// Cases drawn from one trie before the next is built.
const CASES_PER_TRIE: u32 = 200;

/// A key: random 32 bytes, 32 bytes sharing many nibbles (deep branches), short keys that are
/// prefixes of one another (values held in branches), or a mix of the last two.
fn key(style: u8) -> BoxedStrategy<Vec<u8>> {
    match style {
        0 => any::<[u8; 32]>().prop_map(|key| key.to_vec()).boxed(),
        1 => any::<[u8; 32]>()
            .prop_map(|key| key.iter().map(|byte| byte & 0x11).collect())
            .boxed(),
        2 => vec(
            prop_oneof![Just(0x00u8), Just(0x01), Just(0x10), Just(0xff)],
            0..4,
        )
        .boxed(),
        _ => prop_oneof![key(1), key(2)].boxed(),
    }
}

/// Values short enough to embed their leaf in the parent node, and long enough not to.
fn value() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 1..48)
}

/// A committed trie and what it holds.
#[derive(Debug)]
struct Built {
    trie: Trie,
    store: NodeStore,
    root: B256,
    model: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl Built {
    fn new(entries: &BTreeMap<Vec<u8>, Vec<u8>>) -> Self {
        let mut store = NodeStore::new();
        let mut trie = Trie::new();
        for (key, value) in entries {
            trie.insert(&mut store, key, value.clone())
                .expect("keys fit a trie path");
        }
        let root = trie.commit(&mut store);
        Self {
            trie,
            store,
            root,
            model: entries.clone(),
        }
    }

    fn proof(&mut self, key: &[u8]) -> Vec<Vec<u8>> {
        self.trie
            .proof(&mut self.store, key)
            .expect("a full trie proves any key")
            .iter()
            .map(|node| node.to_vec())
            .collect()
    }
}

/// A trie, and a neighbour that differs from it by one entry (changed, removed or added).
#[derive(Debug)]
struct Fixture {
    style: u8,
    trie: Built,
    neighbour: Built,
    keys: Vec<Vec<u8>>,
}

impl Fixture {
    fn generate(runner: &mut TestRunner) -> Self {
        let style = draw(runner, 0u8..4);
        let size = draw(
            runner,
            prop_oneof![1 => Just(0usize), 1 => 1usize..4, 6 => 4usize..150],
        );
        let entries: BTreeMap<Vec<u8>, Vec<u8>> = draw(runner, vec((key(style), value()), size))
            .into_iter()
            .collect();
        let mut other = entries.clone();
        let keys: Vec<Vec<u8>> = entries.keys().cloned().collect();
        let (extra, new_value, which, change) =
            draw(runner, (key(style), value(), any::<Index>(), 0u8..3));
        match (change, keys.is_empty()) {
            (0, false) => {
                other.insert(keys[which.index(keys.len())].clone(), new_value);
            }
            (1, false) => {
                other.remove(&keys[which.index(keys.len())]);
            }
            _ => {
                other.insert(extra, new_value);
            }
        }
        Self {
            style,
            trie: Built::new(&entries),
            neighbour: Built::new(&other),
            keys,
        }
    }

    fn key(&self, choice: &KeyChoice) -> Vec<u8> {
        match choice {
            KeyChoice::Present(index) => match pick(index, self.keys.len()) {
                Some(i) => self.keys[i].clone(),
                None => Vec::new(),
            },
            KeyChoice::Absent(key) | KeyChoice::TooLong(key) => key.clone(),
        }
    }

    /// A proof of `key` (an empty one for a key too long to have a path).
    fn proof(&mut self, key: &[u8]) -> Vec<Vec<u8>> {
        if key.len() > 32 {
            return Vec::new();
        }
        self.trie.proof(key)
    }

    fn case(&mut self, runner: &mut TestRunner) -> ProofCase {
        let claimed = draw(runner, key_choice(self.style, 0));
        let mut key = self.key(&claimed);
        let mut nodes = self.proof(&key);
        let original = (key.clone(), nodes.clone());
        let count = draw(runner, prop_oneof![1 => Just(0usize), 7 => 1usize..5]);
        let mutations = draw(runner, vec(mutation(self.style), count));
        let mut root = RootChoice::Own;
        for mutation in &mutations {
            match mutation {
                Mutation::Flip { node, byte, mask } => {
                    if let Some(i) = pick(node, nodes.len())
                        && let Some(at) = pick(byte, nodes[i].len())
                    {
                        nodes[i][at] ^= mask;
                    }
                }
                Mutation::Truncate { node, len } => {
                    if let Some(i) = pick(node, nodes.len()) {
                        let len = len.index(nodes[i].len().max(1));
                        nodes[i].truncate(len);
                    }
                }
                Mutation::Drop(index) => {
                    if let Some(i) = pick(index, nodes.len()) {
                        nodes.remove(i);
                    }
                }
                Mutation::Swap(a, b) => {
                    if let (Some(a), Some(b)) = (pick(a, nodes.len()), pick(b, nodes.len())) {
                        nodes.swap(a, b);
                    }
                }
                Mutation::Duplicate(index) => {
                    if let Some(i) = pick(index, nodes.len()) {
                        nodes.insert(i, nodes[i].clone());
                    }
                }
                Mutation::Shorten(len) => nodes.truncate(len.index(nodes.len() + 1)),
                Mutation::InsertJunk { at, junk } => {
                    nodes.insert(at.index(nodes.len() + 1), junk.clone());
                }
                Mutation::InsertForeign {
                    at,
                    key: other,
                    node,
                } => {
                    let other = self.key(&KeyChoice::Present(*other));
                    let foreign = self.proof(&other);
                    if let Some(n) = pick(node, foreign.len()) {
                        nodes.insert(at.index(nodes.len() + 1), foreign[n].clone());
                    }
                }
                Mutation::ReplaceWithForeign {
                    at,
                    key: other,
                    node,
                } => {
                    let other = self.key(&KeyChoice::Present(*other));
                    let foreign = self.proof(&other);
                    if let (Some(i), Some(n)) = (pick(at, nodes.len()), pick(node, foreign.len())) {
                        nodes[i] = foreign[n].clone();
                    }
                }
                Mutation::ProofOf(choice) => {
                    let other = self.key(choice);
                    nodes = self.proof(&other);
                }
                Mutation::NeighbourProof => {
                    if key.len() <= 32 {
                        nodes = self.neighbour.proof(&key);
                    }
                }
                Mutation::Key(choice) => key = self.key(choice),
                Mutation::Root(choice) => root = *choice,
            }
        }
        let (root, truth) = if key.len() > 32 {
            (self.root_of(root), None)
        } else {
            match root {
                RootChoice::Own => (self.trie.root, Some(self.trie.model.get(&key).cloned())),
                RootChoice::Neighbour => (
                    self.neighbour.root,
                    Some(self.neighbour.model.get(&key).cloned()),
                ),
                RootChoice::Empty => (EMPTY_ROOT, Some(None)),
                RootChoice::Unknown(hash) => (hash, None),
            }
        };
        // A key too long for a trie path is a fault even when it was the one first claimed.
        let faulty =
            key.len() > 32 || root != self.trie.root || (key.clone(), nodes.clone()) != original;
        ProofCase {
            mutations,
            key,
            root,
            nodes,
            truth,
            faulty,
        }
    }

    fn root_of(&self, choice: RootChoice) -> B256 {
        match choice {
            RootChoice::Own => self.trie.root,
            RootChoice::Neighbour => self.neighbour.root,
            RootChoice::Empty => EMPTY_ROOT,
            RootChoice::Unknown(hash) => hash,
        }
    }
}

/// Which key a case claims.
#[derive(Debug, Clone)]
enum KeyChoice {
    Present(Index),
    Absent(Vec<u8>),
    /// Longer than a trie path.
    TooLong(Vec<u8>),
}

/// Which root a case checks against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RootChoice {
    /// The root the proof was made under.
    Own,
    /// The root of the trie that differs by one entry.
    Neighbour,
    /// The empty trie's root.
    Empty,
    /// A root of no known trie.
    Unknown(B256),
}

/// A change to a proof or to what it is checked for.
#[derive(Debug, Clone)]
enum Mutation {
    Flip {
        node: Index,
        byte: Index,
        mask: u8,
    },
    Truncate {
        node: Index,
        len: Index,
    },
    Drop(Index),
    Swap(Index, Index),
    Duplicate(Index),
    /// Keeps the first `len` nodes.
    Shorten(Index),
    InsertJunk {
        at: Index,
        junk: Vec<u8>,
    },
    /// Inserts a node of the proof of another key (a real node of the same trie).
    InsertForeign {
        at: Index,
        key: Index,
        node: Index,
    },
    /// Replaces a node by one of the proof of another key.
    ReplaceWithForeign {
        at: Index,
        key: Index,
        node: Index,
    },
    /// Replaces the whole proof by another key's, or by the neighbour trie's proof of the key.
    ProofOf(KeyChoice),
    NeighbourProof,
    Key(KeyChoice),
    Root(RootChoice),
}

/// A key of the trie, an absent one, or (with weight `too_long`) one too long for a trie path.
fn key_choice(style: u8, too_long: u32) -> impl Strategy<Value = KeyChoice> {
    prop_oneof![
        3 => any::<Index>().prop_map(KeyChoice::Present),
        2 => key(style).prop_map(KeyChoice::Absent),
        too_long => vec(any::<u8>(), 33..40).prop_map(KeyChoice::TooLong),
    ]
}

fn mutation(style: u8) -> impl Strategy<Value = Mutation> {
    let foreign = || (any::<Index>(), any::<Index>(), any::<Index>());
    prop_oneof![
        4 => (any::<Index>(), any::<Index>(), 1u8..=255)
            .prop_map(|(node, byte, mask)| Mutation::Flip { node, byte, mask }),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(node, len)| Mutation::Truncate { node, len }),
        2 => any::<Index>().prop_map(Mutation::Drop),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        1 => any::<Index>().prop_map(Mutation::Duplicate),
        1 => any::<Index>().prop_map(Mutation::Shorten),
        2 => (any::<Index>(), prop_oneof![vec(any::<u8>(), 0..120), Just(vec![0x80]), Just(vec![0xc0])])
            .prop_map(|(at, junk)| Mutation::InsertJunk { at, junk }),
        2 => foreign().prop_map(|(at, key, node)| Mutation::InsertForeign { at, key, node }),
        2 => foreign().prop_map(|(at, key, node)| Mutation::ReplaceWithForeign { at, key, node }),
        2 => key_choice(style, 1).prop_map(Mutation::ProofOf),
        1 => Just(Mutation::NeighbourProof),
        3 => key_choice(style, 1).prop_map(Mutation::Key),
        3 => prop_oneof![
            3 => Just(RootChoice::Neighbour),
            1 => Just(RootChoice::Empty),
            1 => any::<[u8; 32]>().prop_map(|root| RootChoice::Unknown(root.into())),
        ]
        .prop_map(Mutation::Root),
    ]
}

fn pick(index: &Index, len: usize) -> Option<usize> {
    (len > 0).then(|| index.index(len))
}

/// A proof, the key and root it is checked for, and the truth about that key under that root.
#[derive(Debug)]
pub(super) struct ProofCase {
    mutations: Vec<Mutation>,
    key: Vec<u8>,
    root: B256,
    nodes: Vec<Vec<u8>>,
    /// What the key holds under the root, if that is known (`None`: no verification may succeed).
    truth: Option<Option<Vec<u8>>>,
    faulty: bool,
}

impl Case for ProofCase {
    fn is_faulty(&self) -> bool {
        self.faulty
    }

    fn describe(&self) -> String {
        let nodes: Vec<String> = self.nodes.iter().map(|node| hex(node)).collect();
        format!(
            "{:?}; key {}, root {}, truth {:?}, proof [{}]",
            self.mutations,
            hex(&self.key),
            self.root,
            self.truth.as_ref().map(|value| value.as_deref().map(hex)),
            nodes.join(", ")
        )
    }
}

/// The proof target: a trie (rebuilt every `CASES_PER_TRIE` cases) and its neighbour.
#[derive(Debug, Default)]
pub(super) struct Proofs {
    fixture: Option<Fixture>,
    cases: u32,
}

fn reason(error: &ProofError) -> &'static str {
    match error {
        ProofError::HashMismatch { .. } => "HashMismatch",
        ProofError::InvalidNode { .. } => "InvalidNode",
        ProofError::Incomplete { .. } => "Incomplete",
        ProofError::TrailingNodes { .. } => "TrailingNodes",
        ProofError::KeyTooLong { .. } => "KeyTooLong",
    }
}

impl Target for Proofs {
    type Case = ProofCase;

    fn generate(&mut self, runner: &mut TestRunner) -> ProofCase {
        if self.cases.is_multiple_of(CASES_PER_TRIE) {
            self.fixture = Some(Fixture::generate(runner));
        }
        self.cases += 1;
        self.fixture
            .as_mut()
            .expect("a fixture was just built")
            .case(runner)
    }

    fn check(&self, case: &ProofCase) -> Result<Checked, String> {
        let verified = verify_proof(case.root, &case.key, &case.nodes);
        match (verified, &case.truth) {
            (Ok(value), Some(truth)) if value == *truth => Ok(Checked::accepted()),
            (Ok(value), truth) => Err(format!(
                "wrong verified: {:?}, the truth is {:?}",
                value.as_deref().map(hex),
                truth.as_ref().map(|value| value.as_deref().map(hex))
            )),
            (Err(error), _) if case.faulty => Ok(Checked::rejected(reason(&error), false)),
            (Err(error), _) => Err(format!("a valid proof is rejected: {error}")),
        }
    }
}
