//! Target B, first half: `verify_batch` on a recorded request (the one the browser tests replay)
//! whose witness, anchor or proposals were tampered with.

use alloy_consensus::Header;
use alloy_primitives::{B256, Bytes, keccak256};
use light_node::{
    BatchVerdict, CannotVerify, RootCheck, VerifyRequest, decode_batch, encode_batch, output_root,
    verify_batch,
};
use proptest::{
    collection::vec,
    prelude::{Just, Strategy, any, prop_oneof},
    sample::Index,
    test_runner::TestRunner,
};

use super::{Case, Checked, Target, draw, hex};

/// Blocks 3 to 5 of a small chain: transfers, a deposit, contract calls, a storage deletion and
/// BLOCKHASH reads (recorded by `light-node/src/verify.rs`'s tests).
const RECORDED: &str = include_str!("../../../testdata/verify/batch.json");

/// A change to a number.
#[derive(Debug, Clone, Copy)]
enum Change {
    Add(u64),
    Set(u64),
}

impl Change {
    fn apply(self, n: &mut u64) {
        *n = match self {
            Self::Add(delta) => n.wrapping_add(delta),
            Self::Set(value) => value,
        };
    }
}

/// Small steps, and values at the ends of the range.
fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (1u64..4).prop_map(Change::Add),
        any::<u64>().prop_map(Change::Add),
        prop_oneof![
            Just(0),
            Just(1),
            Just(u64::MAX),
            Just(u64::MAX - 1),
            Just(u64::MAX - 3),
            Just(1 << 63),
            any::<u64>(),
        ]
        .prop_map(Change::Set),
    ]
}

/// A field of a header, and how to change it.
#[derive(Debug, Clone)]
enum HeaderEdit {
    ParentHash(B256),
    StateRoot(B256),
    MixHash(B256),
    Number(Change),
    Timestamp(Change),
    GasUsed(Change),
    GasLimit(Change),
    BaseFee(Option<u64>),
    /// Extra data holds the L1 origin number; eight bytes keep it readable.
    ExtraData(Bytes),
}

impl HeaderEdit {
    fn apply(&self, header: &mut Header) {
        match self {
            Self::ParentHash(hash) => header.parent_hash = *hash,
            Self::StateRoot(hash) => header.state_root = *hash,
            Self::MixHash(hash) => header.mix_hash = *hash,
            Self::Number(change) => change.apply(&mut header.number),
            Self::Timestamp(change) => change.apply(&mut header.timestamp),
            Self::GasUsed(change) => change.apply(&mut header.gas_used),
            Self::GasLimit(change) => change.apply(&mut header.gas_limit),
            Self::BaseFee(fee) => header.base_fee_per_gas = *fee,
            Self::ExtraData(data) => header.extra_data = data.clone(),
        }
    }
}

fn header_edit() -> impl Strategy<Value = HeaderEdit> {
    let hash = || any::<[u8; 32]>().prop_map(B256::from);
    prop_oneof![
        hash().prop_map(HeaderEdit::ParentHash),
        hash().prop_map(HeaderEdit::StateRoot),
        hash().prop_map(HeaderEdit::MixHash),
        change().prop_map(HeaderEdit::Number),
        change().prop_map(HeaderEdit::Timestamp),
        change().prop_map(HeaderEdit::GasUsed),
        change().prop_map(HeaderEdit::GasLimit),
        prop_oneof![
            Just(None),
            Just(Some(0)),
            Just(Some(u64::MAX)),
            any::<u64>().prop_map(Some)
        ]
        .prop_map(HeaderEdit::BaseFee),
        prop_oneof![
            vec(any::<u8>(), 0..12),
            prop_oneof![Just(u64::MAX), Just(u64::MAX - 1), any::<u64>()]
                .prop_map(|n| n.to_be_bytes().to_vec()),
        ]
        .prop_map(|data| HeaderEdit::ExtraData(data.into())),
    ]
}

/// What else changes with the parent.
#[derive(Debug, Clone, Copy)]
enum Anchor {
    /// Nothing: the edited parent is not the trusted one.
    Keep,
    /// The trusted output root becomes the edited parent's, as if the caller trusted another
    /// block.
    Trust,
    /// As `Trust`, and the batch is rebuilt on the edited parent (its parent hash and timestamps),
    /// as if the batcher had posted it there. What the blocks then execute to is unknown here.
    Rebase,
}

/// A change to a request.
#[derive(Debug, Clone)]
enum Mutation {
    FlipNodeByte {
        node: Index,
        byte: Index,
        mask: u8,
    },
    TruncateNode {
        node: Index,
        len: Index,
    },
    ExtendNode {
        node: Index,
        junk: Vec<u8>,
    },
    DropNode(Index),
    DuplicateNode(Index),
    SwapNodes(Index, Index),
    AddJunkNode(Vec<u8>),
    FlipCodeByte {
        code: Index,
        byte: Index,
        mask: u8,
    },
    DropCode(Index),
    DuplicateCode(Index),
    AddJunkCode(Vec<u8>),
    DropHeader(Index),
    SwapHeaders(Index, Index),
    EditHeader {
        header: Index,
        edit: HeaderEdit,
    },
    /// Appends a copy of the oldest header, edited.
    AddHeader(HeaderEdit),
    EditParent {
        edit: HeaderEdit,
        anchor: Anchor,
    },
    TrustedRoot(B256),
    /// Replaces (or with `None` removes) the proposal for a block of the batch or one past it.
    Proposal {
        block: Index,
        root: Option<B256>,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let junk = || vec(any::<u8>(), 0..120);
    let mask = || 1u8..=255;
    prop_oneof![
        4 => (any::<Index>(), any::<Index>(), mask())
            .prop_map(|(node, byte, mask)| Mutation::FlipNodeByte { node, byte, mask }),
        1 => (any::<Index>(), any::<Index>())
            .prop_map(|(node, len)| Mutation::TruncateNode { node, len }),
        1 => (any::<Index>(), vec(any::<u8>(), 1..8))
            .prop_map(|(node, junk)| Mutation::ExtendNode { node, junk }),
        2 => any::<Index>().prop_map(Mutation::DropNode),
        1 => any::<Index>().prop_map(Mutation::DuplicateNode),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapNodes(a, b)),
        2 => junk().prop_map(Mutation::AddJunkNode),
        2 => (any::<Index>(), any::<Index>(), mask())
            .prop_map(|(code, byte, mask)| Mutation::FlipCodeByte { code, byte, mask }),
        1 => any::<Index>().prop_map(Mutation::DropCode),
        1 => any::<Index>().prop_map(Mutation::DuplicateCode),
        1 => junk().prop_map(Mutation::AddJunkCode),
        1 => any::<Index>().prop_map(Mutation::DropHeader),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapHeaders(a, b)),
        2 => (any::<Index>(), header_edit())
            .prop_map(|(header, edit)| Mutation::EditHeader { header, edit }),
        1 => header_edit().prop_map(Mutation::AddHeader),
        4 => (header_edit(), prop_oneof![Just(Anchor::Keep), Just(Anchor::Trust), Just(Anchor::Rebase)])
            .prop_map(|(edit, anchor)| Mutation::EditParent { edit, anchor }),
        1 => any::<[u8; 32]>().prop_map(|root| Mutation::TrustedRoot(root.into())),
        2 => (any::<Index>(), prop_oneof![Just(None), any::<[u8; 32]>().prop_map(|r| Some(r.into()))])
            .prop_map(|(block, root)| Mutation::Proposal { block, root }),
    ]
}

/// `index` into a list of `len` items, if there are any.
fn pick(index: &Index, len: usize) -> Option<usize> {
    (len > 0).then(|| index.index(len))
}

fn edit_bytes(list: &mut [Bytes], index: &Index, edit: impl FnOnce(&mut Vec<u8>)) {
    if let Some(i) = pick(index, list.len()) {
        let mut bytes = list[i].to_vec();
        edit(&mut bytes);
        list[i] = bytes.into();
    }
}

impl Mutation {
    fn apply(&self, request: &mut VerifyRequest) {
        let witness = &mut request.witness;
        match self {
            Self::FlipNodeByte { node, byte, mask } => {
                edit_bytes(&mut witness.nodes, node, |bytes| {
                    if let Some(at) = pick(byte, bytes.len()) {
                        bytes[at] ^= mask;
                    }
                });
            }
            Self::TruncateNode { node, len } => {
                edit_bytes(&mut witness.nodes, node, |bytes| {
                    bytes.truncate(len.index(bytes.len().max(1)));
                });
            }
            Self::ExtendNode { node, junk } => {
                edit_bytes(&mut witness.nodes, node, |bytes| {
                    bytes.extend_from_slice(junk)
                });
            }
            Self::DropNode(index) => {
                if let Some(i) = pick(index, witness.nodes.len()) {
                    witness.nodes.remove(i);
                }
            }
            Self::DuplicateNode(index) => {
                if let Some(i) = pick(index, witness.nodes.len()) {
                    witness.nodes.insert(i, witness.nodes[i].clone());
                }
            }
            Self::SwapNodes(a, b) => {
                let len = witness.nodes.len();
                if let (Some(a), Some(b)) = (pick(a, len), pick(b, len)) {
                    witness.nodes.swap(a, b);
                }
            }
            Self::AddJunkNode(junk) => witness.nodes.push(junk.clone().into()),
            Self::FlipCodeByte { code, byte, mask } => {
                edit_bytes(&mut witness.codes, code, |bytes| {
                    if let Some(at) = pick(byte, bytes.len()) {
                        bytes[at] ^= mask;
                    }
                });
            }
            Self::DropCode(index) => {
                if let Some(i) = pick(index, witness.codes.len()) {
                    witness.codes.remove(i);
                }
            }
            Self::DuplicateCode(index) => {
                if let Some(i) = pick(index, witness.codes.len()) {
                    witness.codes.insert(i, witness.codes[i].clone());
                }
            }
            Self::AddJunkCode(junk) => witness.codes.push(junk.clone().into()),
            Self::DropHeader(index) => {
                if let Some(i) = pick(index, witness.headers.len()) {
                    witness.headers.remove(i);
                }
            }
            Self::SwapHeaders(a, b) => {
                let len = witness.headers.len();
                if let (Some(a), Some(b)) = (pick(a, len), pick(b, len)) {
                    witness.headers.swap(a, b);
                }
            }
            Self::EditHeader { header, edit } => {
                if let Some(i) = pick(header, witness.headers.len()) {
                    edit.apply(&mut witness.headers[i]);
                }
            }
            Self::AddHeader(edit) => {
                let mut header = witness.headers.last().unwrap_or(&request.parent).clone();
                header.number = header.number.wrapping_sub(1);
                edit.apply(&mut header);
                witness.headers.push(header);
            }
            Self::EditParent { edit, anchor } => {
                edit.apply(&mut request.parent);
                if let Anchor::Trust | Anchor::Rebase = anchor {
                    request.trusted_output_root =
                        output_root(request.parent.state_root, request.parent.hash_slow());
                }
                if let Anchor::Rebase = anchor {
                    rebase(request);
                }
            }
            Self::TrustedRoot(root) => request.trusted_output_root = *root,
            Self::Proposal { block, root } => {
                let number = request
                    .parent
                    .number
                    .wrapping_add(1 + block.index(4) as u64);
                match root {
                    Some(root) => request.proposals.insert(number, *root),
                    None => request.proposals.remove(&number),
                };
            }
        }
    }
}

/// Rebuilds the request's batch on its parent: parent hash, and timestamps one block time apart.
fn rebase(request: &mut VerifyRequest) {
    let config = &request.config;
    let mut batch =
        decode_batch(&request.batch, config.max_batch_size).expect("the recorded batch decodes");
    batch.parent_hash = request.parent.hash_slow();
    let mut timestamp = request.parent.timestamp;
    for block in &mut batch.blocks {
        timestamp = timestamp.saturating_add(config.block_time);
        block.timestamp = timestamp;
    }
    request.batch = encode_batch(&batch, 1).into();
    request.batch_hash = keccak256(&request.batch);
}

/// Checks what can be checked of a verdict whose roots are unknown: block numbers follow the
/// parent's, each output root is that of the block's state root and hash, and each check is the
/// honest comparison with the request's proposal.
fn consistent(request: &VerifyRequest, verdict: &BatchVerdict) -> Result<(), String> {
    let mut number = Some(request.parent.number);
    for block in &verdict.blocks {
        number = number.and_then(|n| n.checked_add(1));
        if Some(block.number) != number {
            return Err(format!(
                "verified block {} after parent {} ({} blocks)",
                block.number,
                request.parent.number,
                verdict.blocks.len()
            ));
        }
        let proposed = request.proposals.get(&block.number).copied();
        let root = output_root(block.state_root, block.block_hash);
        let check = match proposed {
            None => RootCheck::NotProposed,
            Some(p) if p == root => RootCheck::Match,
            Some(_) => RootCheck::Mismatch,
        };
        if (block.output_root, block.proposed, block.check) != (root, proposed, check) {
            return Err(format!(
                "inconsistent verdict for block {}: {block:?}",
                block.number
            ));
        }
    }
    Ok(())
}

fn reason(error: &CannotVerify) -> &'static str {
    match error {
        CannotVerify::BatchHashMismatch { .. } => "BatchHashMismatch",
        CannotVerify::UntrustedParent => "UntrustedParent",
        CannotVerify::ParentWithoutOrigin => "ParentWithoutOrigin",
        CannotVerify::BatchDropped(_) => "BatchDropped",
        CannotVerify::BadHeaderChain { .. } => "BadHeaderChain",
        CannotVerify::Witness(_) => "Witness",
    }
}

/// A request and how it was made from the recorded one.
#[derive(Debug)]
pub(super) struct WitnessCase {
    mutations: Vec<Mutation>,
    request: VerifyRequest,
    faulty: bool,
    /// Whether the true verdict is known: unless the batch was rebuilt on another parent, a
    /// verdict must be the recorded one (or no verdict at all).
    truth_known: bool,
}

impl Case for WitnessCase {
    fn is_faulty(&self) -> bool {
        self.faulty
    }

    fn describe(&self) -> String {
        let nodes: Vec<String> = self
            .request
            .witness
            .nodes
            .iter()
            .map(|node| hex(node))
            .collect();
        format!(
            "mutations of testdata/verify/batch.json: {:?}; witness nodes now: [{}]",
            self.mutations,
            nodes.join(", ")
        )
    }
}

/// The witness target: the recorded request and its true verdict.
#[derive(Debug)]
pub(super) struct Witnesses {
    base: VerifyRequest,
    truth: BatchVerdict,
}

impl Witnesses {
    pub(super) fn new() -> Self {
        let base: VerifyRequest =
            serde_json::from_str(RECORDED).expect("testdata/verify/batch.json parses");
        let truth = verify_batch(&base).expect("the recorded request verifies");
        assert!(
            truth.blocks.len() == 3 && truth.blocks.iter().all(|b| b.check == RootCheck::Match),
            "{truth:?}"
        );
        Self { base, truth }
    }

    /// Compares a verdict with the truth: the same blocks and roots, and each check the honest
    /// comparison of the true root with whatever proposal the request carries.
    fn compare(&self, request: &VerifyRequest, verdict: &BatchVerdict) -> Result<(), String> {
        if verdict.blocks.len() != self.truth.blocks.len() {
            return Err(format!(
                "verified {} blocks, the batch has {}",
                verdict.blocks.len(),
                self.truth.blocks.len()
            ));
        }
        for (got, truth) in verdict.blocks.iter().zip(&self.truth.blocks) {
            let proposed = request.proposals.get(&truth.number).copied();
            let check = match proposed {
                None => RootCheck::NotProposed,
                Some(root) if root == truth.output_root => RootCheck::Match,
                Some(_) => RootCheck::Mismatch,
            };
            let honest = (
                truth.number,
                truth.block_hash,
                truth.state_root,
                truth.output_root,
                proposed,
                check,
            );
            let claimed = (
                got.number,
                got.block_hash,
                got.state_root,
                got.output_root,
                got.proposed,
                got.check,
            );
            if claimed != honest {
                return Err(format!(
                    "wrong verdict for block {}: {claimed:?}, the truth is {honest:?}",
                    truth.number
                ));
            }
        }
        Ok(())
    }
}

impl Target for Witnesses {
    type Case = WitnessCase;

    fn generate(&mut self, runner: &mut TestRunner) -> WitnessCase {
        // One case in sixteen is left untouched: the valid witness must keep verifying.
        let count = draw(runner, prop_oneof![1 => Just(0usize), 15 => 1usize..5]);
        let mutations = draw(runner, vec(mutation(), count));
        let mut request = self.base.clone();
        for mutation in &mutations {
            mutation.apply(&mut request);
        }
        let faulty = request != self.base;
        let truth_known = request.batch == self.base.batch || request.parent == self.base.parent;
        WitnessCase {
            mutations,
            request,
            faulty,
            truth_known,
        }
    }

    fn check(&self, case: &WitnessCase) -> Result<Checked, String> {
        match verify_batch(&case.request) {
            Ok(verdict) if case.truth_known => {
                self.compare(&case.request, &verdict)?;
                Ok(Checked::accepted())
            }
            Ok(verdict) => {
                consistent(&case.request, &verdict)?;
                Ok(Checked::accepted_unknown())
            }
            Err(error) if case.faulty => Ok(Checked::rejected(reason(&error), false)),
            Err(error) => Err(format!("the untouched request no longer verifies: {error}")),
        }
    }
}
