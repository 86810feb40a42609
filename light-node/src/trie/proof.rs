//! Verification of EIP-1186 Merkle-Patricia proofs.

use super::{
    EMPTY_ROOT,
    merkle::key_nibbles,
    node::{self, NodeKind, NodeRef},
};
use alloy_primitives::{B256, keccak256};
use alloy_rlp::EMPTY_STRING_CODE;
use alloy_trie::Nibbles;

/// Why a proof does not prove anything about its key under the given root.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// A proof node is not the node its parent (or, for the first, the root hash) commits to.
    #[error("proof node {index} does not hash to the reference that leads to it")]
    HashMismatch {
        /// The position of the node in the proof.
        index: usize,
    },
    /// A proof node does not decode as a trie node.
    #[error("proof node {index} is malformed: {source}")]
    InvalidNode {
        /// The position of the node in the proof.
        index: usize,
        /// What is wrong with it.
        source: alloy_rlp::Error,
    },
    /// The proof stops before the path of the key reaches a value or leaves the trie.
    #[error("the proof stops after {len} nodes, before the key's path ends")]
    Incomplete {
        /// The number of nodes in the proof.
        len: usize,
    },
    /// The proof goes on after the node where the key's path ends.
    #[error("the proof has nodes after node {last}, where the key's path ends")]
    TrailingNodes {
        /// The position of the node where the path ends.
        last: usize,
    },
    /// The key is longer than the 32 bytes a trie path can hold.
    #[error("trie keys are at most 32 bytes, got {len}")]
    KeyTooLong {
        /// The key's length in bytes.
        len: usize,
    },
}

/// Checks an EIP-1186 proof (the RLP-encoded nodes from the root towards `key`, root first) and
/// returns the value stored under `key`: `Some` for an inclusion proof, `None` for a proof that
/// the key is absent.
///
/// Every node must hash to the reference that leads to it from `root`, so a proof whose nodes
/// were changed, dropped, reordered or extended is rejected. For the empty root, an empty proof
/// (or the single node `0x80`) proves every key absent.
pub fn verify_proof<I>(root: B256, key: &[u8], proof: I) -> Result<Option<Vec<u8>>, ProofError>
where
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    let key = key_nibbles(key).map_err(|_| ProofError::KeyTooLong { len: key.len() })?;
    let mut nodes = proof.into_iter();
    let mut expected = root;
    let mut depth = 0;
    let mut index = 0;
    let value = loop {
        let Some(encoding) = nodes.next() else {
            if index == 0 && root == EMPTY_ROOT {
                return Ok(None);
            }
            return Err(ProofError::Incomplete { len: index });
        };
        let encoding = encoding.as_ref();
        if keccak256(encoding) != expected {
            return Err(ProofError::HashMismatch { index });
        }
        if encoding == [EMPTY_STRING_CODE] {
            // The empty trie's root node; its hash matched, so `root` is the empty root.
            break None;
        }
        let kind =
            node::decode(encoding).map_err(|source| ProofError::InvalidNode { index, source })?;
        match walk(&kind, &key, &mut depth) {
            Step::End(value) => break value,
            Step::Next(hash) => expected = hash,
        }
        index += 1;
    };
    if nodes.next().is_some() {
        return Err(ProofError::TrailingNodes { last: index });
    }
    Ok(value)
}

/// Where following a key through one proof node (and the nodes embedded in it) leads.
enum Step {
    /// The key's path ends here, at this value or at no value.
    End(Option<Vec<u8>>),
    /// The path continues at the node with this hash, the next one of the proof.
    Next(B256),
}

/// Follows `key` from `depth` nibbles through `kind` and its embedded descendants.
fn walk(mut kind: &NodeKind, key: &Nibbles, depth: &mut usize) -> Step {
    loop {
        let next = match kind {
            NodeKind::Leaf {
                key: leaf_key,
                value,
            } => {
                return Step::End((key.slice(*depth..) == *leaf_key).then(|| value.to_vec()));
            }
            NodeKind::Extension {
                key: extension_key,
                child,
            } => {
                if !key.slice(*depth..).starts_with(extension_key) {
                    return Step::End(None);
                }
                *depth += extension_key.len();
                child
            }
            NodeKind::Branch { children, value } => match key.get(*depth) {
                None => return Step::End(value.as_ref().map(|value| value.to_vec())),
                Some(nibble) => {
                    *depth += 1;
                    &children[usize::from(nibble)]
                }
            },
        };
        match next {
            NodeRef::Empty => return Step::End(None),
            NodeRef::Hash(hash) => return Step::Next(*hash),
            NodeRef::Node(node) => kind = &node.kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trie::{NodeStore, Trie};
    use alloy_primitives::Bytes;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    const NO_NODES: [Bytes; 0] = [];

    fn key(i: u32) -> B256 {
        keccak256(i.to_be_bytes())
    }

    /// A trie of 100 keys with values of 1 to 50 bytes.
    fn sample() -> (Trie, NodeStore, B256) {
        let mut store = NodeStore::new();
        let mut trie = Trie::new();
        for i in 0..100u32 {
            trie.insert(
                &mut store,
                key(i).as_slice(),
                vec![i as u8; 1 + i as usize % 50],
            )
            .expect("insert");
        }
        let root = trie.commit(&mut store);
        (trie, store, root)
    }

    #[wasm_bindgen_test]
    #[test]
    fn the_empty_root_proves_every_key_absent() {
        assert_eq!(verify_proof(EMPTY_ROOT, b"key", NO_NODES), Ok(None));
        assert_eq!(
            verify_proof(EMPTY_ROOT, b"key", [[EMPTY_STRING_CODE]]),
            Ok(None)
        );
        assert_eq!(
            verify_proof(
                EMPTY_ROOT,
                b"key",
                [[EMPTY_STRING_CODE], [EMPTY_STRING_CODE]]
            ),
            Err(ProofError::TrailingNodes { last: 0 })
        );
        let (_, _, root) = sample();
        assert_eq!(
            verify_proof(root, b"key", NO_NODES),
            Err(ProofError::Incomplete { len: 0 })
        );
        assert_eq!(
            verify_proof(root, b"key", [[EMPTY_STRING_CODE]]),
            Err(ProofError::HashMismatch { index: 0 })
        );
    }

    #[wasm_bindgen_test]
    #[test]
    fn inclusion_and_exclusion_proofs_verify() {
        let (mut trie, mut store, root) = sample();
        for i in 0..100u32 {
            let proof = trie.proof(&mut store, key(i).as_slice()).expect("proof");
            let value = vec![i as u8; 1 + i as usize % 50];
            assert_eq!(
                verify_proof(root, key(i).as_slice(), &proof),
                Ok(Some(value))
            );
            let absent = key(1000 + i);
            let proof = trie.proof(&mut store, absent.as_slice()).expect("proof");
            assert_eq!(verify_proof(root, absent.as_slice(), &proof), Ok(None));
        }
    }

    #[wasm_bindgen_test]
    #[test]
    fn altered_proofs_are_rejected() {
        let (mut trie, mut store, root) = sample();
        let proof = trie.proof(&mut store, key(7).as_slice()).expect("proof");
        assert!(proof.len() >= 2);

        let mut extended = proof.clone();
        extended.push(proof[0].clone());
        assert_eq!(
            verify_proof(root, key(7).as_slice(), &extended),
            Err(ProofError::TrailingNodes {
                last: proof.len() - 1
            })
        );
        assert_eq!(
            verify_proof(root, key(7).as_slice(), &proof[..proof.len() - 1]),
            Err(ProofError::Incomplete {
                len: proof.len() - 1
            })
        );
        assert_eq!(
            verify_proof(key(0), key(7).as_slice(), &proof),
            Err(ProofError::HashMismatch { index: 0 })
        );
        let mut flipped: Vec<Vec<u8>> = proof.iter().map(|node| node.to_vec()).collect();
        let last = flipped.len() - 1;
        let at = flipped[last].len() - 1;
        flipped[last][at] ^= 1;
        assert_eq!(
            verify_proof(root, key(7).as_slice(), &flipped),
            Err(ProofError::HashMismatch { index: last })
        );
        assert_eq!(
            verify_proof(root, &[0u8; 33], &proof),
            Err(ProofError::KeyTooLong { len: 33 })
        );
    }

    #[wasm_bindgen_test]
    #[test]
    fn a_proof_of_one_key_says_nothing_wrong_about_another() {
        let (mut trie, mut store, root) = sample();
        let proof = trie.proof(&mut store, key(7).as_slice()).expect("proof");
        for i in 0..100u32 {
            let truth = trie
                .get(&mut store, key(i).as_slice())
                .expect("get")
                .map(|v| v.to_vec());
            if let Ok(value) = verify_proof(root, key(i).as_slice(), &proof) {
                assert_eq!(value, truth, "key {i}");
            }
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::*;
        use crate::trie::test_utils::strategies::{key32, value};
        use alloy_trie::Nibbles;
        use proptest::{collection::vec, prelude::*, sample::Index};
        use std::collections::BTreeMap;

        /// A way to alter a proof.
        #[derive(Debug, Clone)]
        enum Tamper {
            Flip { node: Index, byte: Index, mask: u8 },
            Drop(Index),
            Swap(Index, Index),
            Duplicate(Index),
            Truncate(Index),
        }

        fn tamper() -> impl Strategy<Value = Tamper> {
            prop_oneof![
                (any::<Index>(), any::<Index>(), 1u8..=255)
                    .prop_map(|(node, byte, mask)| Tamper::Flip { node, byte, mask }),
                any::<Index>().prop_map(Tamper::Drop),
                (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Tamper::Swap(a, b)),
                any::<Index>().prop_map(Tamper::Duplicate),
                any::<Index>().prop_map(Tamper::Truncate),
            ]
        }

        fn apply(proof: &[Bytes], tamper: &Tamper) -> Vec<Vec<u8>> {
            let mut nodes: Vec<Vec<u8>> = proof.iter().map(|node| node.to_vec()).collect();
            if nodes.is_empty() {
                return nodes;
            }
            let len = nodes.len();
            match tamper {
                Tamper::Flip { node, byte, mask } => {
                    let node = &mut nodes[node.index(len)];
                    let at = byte.index(node.len());
                    node[at] ^= mask;
                }
                Tamper::Drop(index) => {
                    nodes.remove(index.index(len));
                }
                Tamper::Swap(a, b) => nodes.swap(a.index(len), b.index(len)),
                Tamper::Duplicate(index) => {
                    let index = index.index(len);
                    nodes.insert(index, nodes[index].clone());
                }
                Tamper::Truncate(index) => nodes.truncate(index.index(len)),
            }
            nodes
        }

        /// A committed trie, its root and its contents.
        struct Built {
            trie: Trie,
            store: NodeStore,
            root: B256,
            model: BTreeMap<Vec<u8>, Vec<u8>>,
        }

        /// A trie over `entries` less the removed keys.
        fn build(
            entries: &[(Vec<u8>, Vec<u8>)],
            removals: &[Index],
        ) -> Result<Built, TestCaseError> {
            let mut store = NodeStore::new();
            let mut trie = Trie::new();
            let mut model = BTreeMap::new();
            for (key, value) in entries {
                trie.insert(&mut store, key, value.clone())?;
                model.insert(key.clone(), value.clone());
            }
            for index in removals {
                let key = &entries[index.index(entries.len())].0;
                trie.remove(&mut store, key)?;
                model.remove(key);
            }
            let root = trie.commit(&mut store);
            Ok(Built {
                trie,
                store,
                root,
                model,
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn proofs_verify_here_and_with_alloy_trie(
                entries in vec((key32(), value()), 1..120),
                removals in vec(any::<Index>(), 0..40),
                absent in vec(key32(), 0..10),
            ) {
                let Built { mut trie, mut store, root, model } = build(&entries, &removals)?;
                let keys = entries.iter().map(|(key, _)| key).chain(&absent);
                for key in keys {
                    let truth = model.get(key).cloned();
                    let proof = trie.proof(&mut store, key)?;
                    prop_assert_eq!(verify_proof(root, key, &proof), Ok(truth.clone()));
                    let alloy = alloy_trie::proof::verify_proof(
                        root,
                        Nibbles::unpack(key),
                        truth,
                        &proof,
                    );
                    prop_assert!(alloy.is_ok(), "alloy-trie rejects our proof: {:?}", alloy);
                }
            }

            #[test]
            fn tampered_proofs_never_verify_a_wrong_value(
                entries in vec((key32(), value()), 1..120),
                removals in vec(any::<Index>(), 0..40),
                absent in key32(),
                pick in any::<Index>(),
                tampers in vec(tamper(), 1..16),
            ) {
                let Built { mut trie, mut store, root, model } = build(&entries, &removals)?;
                let index = pick.index(entries.len() + 1);
                let key = entries.get(index).map_or(&absent, |(key, _)| key);
                let truth = model.get(key).cloned();
                let proof = trie.proof(&mut store, key)?;
                for tamper in &tampers {
                    let tampered = apply(&proof, tamper);
                    let unchanged = tampered.len() == proof.len()
                        && tampered.iter().zip(&proof).all(|(a, b)| a[..] == b[..]);
                    let verdict = verify_proof(root, key, &tampered);
                    if unchanged {
                        prop_assert_eq!(verdict, Ok(truth.clone()));
                    } else {
                        prop_assert!(verdict.is_err(), "{:?} verified as {:?}", tamper, verdict);
                    }
                }
            }
        }
    }
}
