//! In-memory trie nodes, their decoding from Ethereum's RLP node format and their encoding.
//!
//! Each node caches its reference (its RLP encoding when shorter than 32 bytes, else the RLP of
//! its keccak256), so hashing a trie only re-encodes nodes changed since the last hashing.

use super::store::NodeStore;
use alloy_primitives::{B256, Bytes, keccak256};
use alloy_rlp::{EMPTY_STRING_CODE, Encodable, Header};
use alloy_trie::{
    Nibbles,
    nodes::{ExtensionNodeRef, LeafNodeRef, RlpNode},
};

/// A pointer to a subtree: nothing, a hash stub still to be read from the node store, or a node
/// held in memory.
#[derive(Debug, Clone, Default)]
pub(crate) enum NodeRef {
    /// No subtree.
    #[default]
    Empty,
    /// A subtree known only by the hash of its root node.
    Hash(B256),
    /// A node held in memory.
    Node(Box<Node>),
}

impl NodeRef {
    /// A pointer to a new node.
    pub(crate) fn new(kind: NodeKind, session: u64) -> Self {
        Self::Node(Box::new(Node::new(kind, session)))
    }

    /// The reference a parent embeds for this subtree, hashing what changed since the last
    /// hashing. With a store, every node not yet written to it is written.
    pub(crate) fn reference(
        &mut self,
        buf: &mut Vec<u8>,
        store: Option<&mut NodeStore>,
    ) -> RlpNode {
        match self {
            Self::Empty => empty_reference(),
            Self::Hash(hash) => RlpNode::word_rlp(hash),
            Self::Node(node) => node.reference(buf, store),
        }
    }
}

/// A trie node held in memory.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// What the node is.
    pub(crate) kind: NodeKind,
    /// The node's reference, or `None` if the node changed since it was last hashed.
    rlp: Option<RlpNode>,
    /// Whether the node store holds the node's current encoding.
    stored: bool,
    /// The store session in which the node last changed (0 for nodes read from a store).
    pub(crate) session: u64,
}

/// The three kinds of node of Ethereum's hexary Merkle-Patricia trie.
#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    /// The end of a key: the rest of its nibbles and its value.
    Leaf {
        /// The key's nibbles below this node.
        key: Nibbles,
        /// The value, never empty when built by a trie operation.
        value: Bytes,
    },
    /// A run of nibbles shared by every key below, then a branch.
    Extension {
        /// The shared nibbles, never empty.
        key: Nibbles,
        /// The subtree below the shared nibbles.
        child: NodeRef,
    },
    /// A fork on the next nibble, with the value of the key that ends here, if any.
    Branch {
        /// The subtree for each next nibble.
        children: Box<[NodeRef; 16]>,
        /// The value of the key that ends at this node.
        value: Option<Bytes>,
    },
}

impl Node {
    /// A node created by a trie operation, not yet hashed nor stored.
    pub(crate) fn new(kind: NodeKind, session: u64) -> Self {
        Self {
            kind,
            rlp: None,
            stored: false,
            session,
        }
    }

    /// A node decoded from its encoding, whose reference is known.
    pub(crate) fn decoded(kind: NodeKind, rlp: RlpNode) -> Self {
        Self {
            kind,
            rlp: Some(rlp),
            stored: true,
            session: 0,
        }
    }

    /// Marks the node as changed in `session`: its hash must be recomputed and its encoding
    /// stored again.
    pub(crate) fn touch(&mut self, session: u64) {
        self.rlp = None;
        self.stored = false;
        self.session = session;
    }

    /// The node's reference as of its last hashing, or `None` if it changed since.
    pub(crate) fn cached_reference(&self) -> Option<&RlpNode> {
        self.rlp.as_ref()
    }

    /// The reference a parent embeds for this node: its encoding if shorter than 32 bytes, else
    /// the RLP of its hash. Only nodes that changed since the last hashing are re-encoded; with a
    /// store, every hashed node not yet written to it is written.
    pub(crate) fn reference(
        &mut self,
        buf: &mut Vec<u8>,
        mut store: Option<&mut NodeStore>,
    ) -> RlpNode {
        if let Some(rlp) = &self.rlp
            && (self.stored || store.is_none())
        {
            return rlp.clone();
        }
        self.encode(buf, store.as_deref_mut());
        let rlp = self.rlp.clone().unwrap_or_else(|| RlpNode::from_rlp(buf));
        if let Some(store) = store {
            if let Some(hash) = rlp.as_hash() {
                store.put(hash, Bytes::copy_from_slice(buf));
            }
            self.stored = true;
        }
        self.rlp = Some(rlp.clone());
        rlp
    }

    /// Writes the node's RLP encoding to `buf`, replacing its contents. Children that changed
    /// since the last hashing are hashed first (and stored, with a store).
    pub(crate) fn encode(&mut self, buf: &mut Vec<u8>, mut store: Option<&mut NodeStore>) {
        match &mut self.kind {
            NodeKind::Leaf { key, value } => {
                buf.clear();
                LeafNodeRef::new(key, value).encode(buf);
            }
            NodeKind::Extension { key, child } => {
                let child = child.reference(buf, store);
                buf.clear();
                ExtensionNodeRef::new(key, &child).encode(buf);
            }
            NodeKind::Branch { children, value } => {
                let mut references: [RlpNode; 16] = Default::default();
                for (reference, child) in references.iter_mut().zip(children.iter_mut()) {
                    *reference = child.reference(buf, store.as_deref_mut());
                }
                buf.clear();
                encode_branch(&references, value.as_ref().map(|value| &value[..]), buf);
            }
        }
    }
}

/// The reference of an empty subtree: the RLP empty string.
fn empty_reference() -> RlpNode {
    RlpNode::from_raw(&[EMPTY_STRING_CODE]).unwrap_or_default()
}

/// Encodes a branch node: a 17-item list of the children's references and the value.
fn encode_branch(references: &[RlpNode; 16], value: Option<&[u8]>, out: &mut Vec<u8>) {
    let payload_length = references
        .iter()
        .map(|reference| reference.len())
        .sum::<usize>()
        + value.map_or(1, Encodable::length);
    Header {
        list: true,
        payload_length,
    }
    .encode(out);
    for reference in references {
        out.extend_from_slice(reference);
    }
    match value {
        Some(value) => value.encode(out),
        None => out.push(EMPTY_STRING_CODE),
    }
}

/// Decodes an RLP-encoded trie node. Children embedded in it (encodings shorter than 32 bytes)
/// are decoded too; hashed children become hash stubs.
///
/// Rejects anything that is not a canonical leaf, extension or branch node; never panics.
pub(crate) fn decode(encoding: &[u8]) -> alloy_rlp::Result<NodeKind> {
    let mut buf = encoding;
    let payload = Header::decode_bytes(&mut buf, true)?;
    if !buf.is_empty() {
        return Err(alloy_rlp::Error::Custom(
            "trailing bytes after the trie node",
        ));
    }

    let mut items: [&[u8]; 17] = [&[]; 17];
    let mut count = 0;
    let mut rest = payload;
    while !rest.is_empty() {
        let Some(slot) = items.get_mut(count) else {
            return Err(alloy_rlp::Error::Custom("trie node has more than 17 items"));
        };
        let start = rest;
        let header = Header::decode(&mut rest)?;
        rest = rest
            .get(header.payload_length..)
            .ok_or(alloy_rlp::Error::InputTooShort)?;
        *slot = &start[..start.len() - rest.len()];
        count += 1;
    }

    match count {
        2 => decode_short(items[0], items[1]),
        17 => {
            let mut children: Box<[NodeRef; 16]> = Box::default();
            for (child, item) in children.iter_mut().zip(&items[..16]) {
                *child = decode_child(item)?;
            }
            let mut value_item = items[16];
            let value = Header::decode_bytes(&mut value_item, false)?;
            let value = (!value.is_empty()).then(|| Bytes::copy_from_slice(value));
            Ok(NodeKind::Branch { children, value })
        }
        _ => Err(alloy_rlp::Error::Custom(
            "trie node has neither 2 nor 17 items",
        )),
    }
}

/// Decodes a leaf or an extension from its two items: the compact-encoded path and the value
/// or child.
fn decode_short(path_item: &[u8], second: &[u8]) -> alloy_rlp::Result<NodeKind> {
    let mut path_item = path_item;
    let path = Header::decode_bytes(&mut path_item, false)?;
    let Some((&flags, packed)) = path.split_first() else {
        return Err(alloy_rlp::Error::Custom("trie node path is empty"));
    };
    let (is_leaf, odd) = match flags >> 4 {
        0 => (false, false),
        1 => (false, true),
        2 => (true, false),
        3 => (true, true),
        _ => {
            return Err(alloy_rlp::Error::Custom(
                "trie node path has an unknown flag",
            ));
        }
    };
    if !odd && flags & 0x0f != 0 {
        return Err(alloy_rlp::Error::Custom(
            "trie node path has non-zero padding",
        ));
    }
    if packed.len() * 2 + usize::from(odd) > 64 {
        return Err(alloy_rlp::Error::Custom(
            "trie node path is longer than 64 nibbles",
        ));
    }
    let mut key = Nibbles::new();
    if odd {
        key.push_unchecked(flags & 0x0f);
    }
    key.extend(&Nibbles::unpack(packed));

    if is_leaf {
        let mut second = second;
        let value = Header::decode_bytes(&mut second, false)?;
        Ok(NodeKind::Leaf {
            key,
            value: Bytes::copy_from_slice(value),
        })
    } else {
        if key.is_empty() {
            return Err(alloy_rlp::Error::Custom(
                "extension node with an empty path",
            ));
        }
        let child = decode_child(second)?;
        if matches!(child, NodeRef::Empty) {
            return Err(alloy_rlp::Error::Custom("extension node without a child"));
        }
        Ok(NodeKind::Extension { key, child })
    }
}

/// Decodes a child reference: the empty string, a 32-byte hash, or an embedded node shorter
/// than 32 bytes.
fn decode_child(item: &[u8]) -> alloy_rlp::Result<NodeRef> {
    let mut rest = item;
    let header = Header::decode(&mut rest)?;
    if header.list {
        if item.len() >= 32 {
            return Err(alloy_rlp::Error::Custom(
                "embedded trie node of 32 bytes or more",
            ));
        }
        let kind = decode(item)?;
        let rlp = RlpNode::from_raw_rlp(item)?;
        return Ok(NodeRef::Node(Box::new(Node::decoded(kind, rlp))));
    }
    match header.payload_length {
        0 => Ok(NodeRef::Empty),
        32 => rest
            .get(..32)
            .map(|hash| NodeRef::Hash(B256::from_slice(hash)))
            .ok_or(alloy_rlp::Error::InputTooShort),
        _ => Err(alloy_rlp::Error::Custom(
            "child reference is neither a hash nor a node",
        )),
    }
}

/// The hash of a trie whose root node has this reference: the root is hashed even when its
/// encoding is shorter than 32 bytes.
pub(crate) fn root_hash_of(reference: &RlpNode) -> B256 {
    reference.as_hash().unwrap_or_else(|| keccak256(reference))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    fn reencode(encoding: &[u8]) -> Vec<u8> {
        let kind = decode(encoding).expect("valid node");
        let mut node = Node::new(kind, 0);
        let mut buf = Vec::new();
        node.encode(&mut buf, None);
        buf
    }

    /// Prepends a list header to an RLP payload.
    fn list(payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        Header {
            list: true,
            payload_length: payload.len(),
        }
        .encode(&mut out);
        out.extend_from_slice(payload);
        out
    }

    /// A branch with an embedded leaf under nibble 1 and the value 0x02.
    fn small_branch() -> Vec<u8> {
        let mut payload = vec![0x80, 0xc2, 0x20, 0x01];
        payload.extend([0x80; 14]);
        payload.push(0x02);
        list(&payload)
    }

    #[wasm_bindgen_test]
    #[test]
    fn canonical_nodes_round_trip() {
        // A leaf with an odd path.
        let leaf = hex!("c482313261").to_vec();
        let branch = small_branch();
        // An extension over nibbles [1, 2] with the branch embedded.
        let mut payload = vec![0x82, 0x00, 0x12];
        payload.extend_from_slice(&branch);
        let extension = list(&payload);
        for encoding in [leaf, branch, extension] {
            assert_eq!(reencode(&encoding), encoding, "{}", hex::encode(&encoding));
        }
    }

    #[wasm_bindgen_test]
    #[test]
    fn decoded_branch_keeps_its_value_and_embedded_child() {
        let NodeKind::Branch { children, value } = decode(&small_branch()).expect("valid") else {
            panic!("not a branch");
        };
        assert_eq!(value.as_ref().map(|v| &v[..]), Some(&[0x02][..]));
        assert!(
            matches!(&children[1], NodeRef::Node(node) if matches!(node.kind, NodeKind::Leaf { .. }))
        );
        assert!(
            children
                .iter()
                .enumerate()
                .all(|(i, c)| i == 1 || matches!(c, NodeRef::Empty))
        );
    }

    #[wasm_bindgen_test]
    #[test]
    fn malformed_nodes_are_rejected() {
        let cases: &[&[u8]] = &[
            &[],
            &hex!("80"),             // the empty string, not a node
            &hex!("c0"),             // no items
            &hex!("c180"),           // one item
            &hex!("c3808080"),       // three items
            &hex!("c28080"),         // empty path
            &hex!("c24080"),         // unknown path flag
            &hex!("c3820100c0"),     // even path with non-zero padding
            &hex!("c20080"),         // extension with an empty path
            &hex!("c21080"),         // extension without a child
            &hex!("c4821000c1"),     // child item truncated
            &hex!("c482100081"),     // child item truncated
            &hex!("c3823132820102"), // bytes after the list
            &hex!("c2200100"),       // bytes after the list
            &hex!("c51083010203"),   // child reference of 3 bytes
            &hex!("c2813f01"),       // non-canonical single byte
        ];
        for case in cases {
            assert!(decode(case).is_err(), "accepted {}", hex::encode(case));
        }
        // An embedded child of 32 bytes or more.
        let mut payload = vec![0x10];
        payload.extend(list(&[0x9e; 31]));
        assert!(decode(&list(&payload)).is_err());
        // A path of 66 nibbles.
        let mut payload = vec![0xa2, 0x20];
        payload.extend_from_slice(&[0x11; 33]);
        payload.push(0x01);
        assert!(decode(&list(&payload)).is_err());
        // A branch value that is a list.
        let mut payload = vec![0x80; 16];
        payload.push(0xc0);
        assert!(decode(&list(&payload)).is_err());
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn decoding_random_bytes_never_panics(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        ) {
            let _ = decode(&bytes);
        }

        #[test]
        fn decoding_mutated_nodes_never_panics(
            index in 0usize..600,
            byte in proptest::prelude::any::<u8>(),
        ) {
            let mut branch = small_branch();
            let mut payload = vec![0x80; 15];
            payload.push(0xa0);
            payload.extend([0x5a; 32]);
            payload.push(0x80);
            let mut hashed = list(&payload);
            for node in [&mut branch, &mut hashed] {
                let index = index % node.len();
                node[index] = byte;
                let _ = decode(node);
            }
        }
    }
}
