//! Helpers shared by the trie's tests: reference roots and key generators.

use super::EMPTY_ROOT;
use alloy_primitives::{B256, keccak256};
use alloy_rlp::{EMPTY_STRING_CODE, Encodable, Header};
use alloy_trie::Nibbles;
use std::collections::BTreeMap;

/// A key or value from the Ethereum test files: hex after `0x`, else the string's bytes.
pub(crate) fn hex_or_ascii(text: &str) -> Vec<u8> {
    match text.strip_prefix("0x") {
        Some(hex) => alloy_primitives::hex::decode(hex).expect("test vector hex"),
        None => text.as_bytes().to_vec(),
    }
}

/// The root alloy-trie's `HashBuilder` computes over these entries (keys of equal length).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn hash_builder_root(entries: &BTreeMap<Vec<u8>, Vec<u8>>) -> B256 {
    let mut builder = alloy_trie::HashBuilder::default();
    for (key, value) in entries {
        builder.add_leaf(Nibbles::unpack(key), value);
    }
    builder.root()
}

/// The root of a trie holding these entries, built from scratch by a direct recursive
/// definition of the Ethereum trie. Unlike `HashBuilder` it allows a key to be a prefix of
/// another (values held in branches), as the Ethereum test vectors need.
pub(crate) fn reference_root(entries: &BTreeMap<Vec<u8>, Vec<u8>>) -> B256 {
    let items: Vec<(Nibbles, &[u8])> = entries
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| (Nibbles::unpack(key), value.as_slice()))
        .collect();
    if items.is_empty() {
        return EMPTY_ROOT;
    }
    keccak256(reference_node(&items, 0))
}

/// The encoding of the node holding `items` (sorted, sharing their first `depth` nibbles).
fn reference_node(items: &[(Nibbles, &[u8])], depth: usize) -> Vec<u8> {
    if let [(key, value)] = items {
        return list(&[string(&compact(&key.slice(depth..), true)), string(value)]);
    }
    let first = items[0].0.slice(depth..);
    let last = items[items.len() - 1].0.slice(depth..);
    let common = first.common_prefix_length(&last);
    if common > 0 {
        let child = reference_child(items, depth + common);
        return list(&[string(&compact(&first.slice(..common), false)), child]);
    }
    let mut fields = Vec::with_capacity(17);
    for nibble in 0..16u8 {
        let group: Vec<_> = items
            .iter()
            .filter(|(key, _)| key.get(depth) == Some(nibble))
            .cloned()
            .collect();
        fields.push(if group.is_empty() {
            vec![EMPTY_STRING_CODE]
        } else {
            reference_child(&group, depth + 1)
        });
    }
    let value = items
        .iter()
        .find(|(key, _)| key.len() == depth)
        .map(|(_, value)| *value);
    fields.push(string(value.unwrap_or_default()));
    list(&fields)
}

/// How a parent refers to the node holding `items`: inline below 32 bytes, else by hash.
fn reference_child(items: &[(Nibbles, &[u8])], depth: usize) -> Vec<u8> {
    let encoding = reference_node(items, depth);
    if encoding.len() < 32 {
        encoding
    } else {
        string(keccak256(&encoding).as_slice())
    }
}

/// The hex-prefix ("compact") encoding of a path.
fn compact(path: &Nibbles, leaf: bool) -> Vec<u8> {
    let nibbles = path.to_vec();
    let flag = if leaf { 0x20 } else { 0x00 };
    let (mut out, rest) = if nibbles.len() % 2 == 1 {
        (vec![flag | 0x10 | nibbles[0]], &nibbles[1..])
    } else {
        (vec![flag], &nibbles[..])
    };
    out.extend(rest.chunks(2).map(|pair| pair[0] << 4 | pair[1]));
    out
}

fn string(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    bytes.encode(&mut out);
    out
}

fn list(fields: &[Vec<u8>]) -> Vec<u8> {
    let payload_length = fields.iter().map(Vec::len).sum();
    let mut out = Vec::new();
    Header {
        list: true,
        payload_length,
    }
    .encode(&mut out);
    for field in fields {
        out.extend_from_slice(field);
    }
    out
}

/// Key and value generators for property tests.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod strategies {
    use proptest::prelude::*;

    /// 32-byte keys, mixing random ones, ones that share many nibbles (deep branches) and ones
    /// that differ only in their last bytes (long extensions over small, embedded nodes).
    pub(crate) fn key32() -> impl Strategy<Value = Vec<u8>> {
        // Each byte of the second kind is one of 0x00, 0x01, 0x10, 0x11; the tail bytes of the
        // third one of 0x00, 0x01, 0xf0. (Mapping random bytes keeps the generators small.)
        prop_oneof![
            any::<[u8; 32]>().prop_map(|key| key.to_vec()),
            any::<[u8; 32]>().prop_map(|key| key.iter().map(|byte| byte & 0x11).collect()),
            any::<[u8; 3]>().prop_map(|tail| {
                let mut key = vec![0u8; 29];
                key.extend(
                    tail.iter()
                        .map(|byte| [0x00, 0x01, 0xf0][usize::from(byte % 3)]),
                );
                key
            }),
        ]
    }

    /// Short keys of varying length, many of them prefixes of others.
    pub(crate) fn short_key() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), 0..4).prop_map(|key| {
            key.iter()
                .map(|byte| [0x00, 0x01, 0x10, 0xff][usize::from(byte % 4)])
                .collect()
        })
    }

    /// Non-empty values, short enough to embed small nodes and long enough to hash them.
    pub(crate) fn value() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), 1..48)
    }
}
