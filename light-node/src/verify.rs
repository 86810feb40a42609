//! Verification: re-deriving and re-executing a batch from L1 data and a witness, and comparing
//! each block's output root with what the rollup committed on L1.

use std::collections::{BTreeMap, BTreeSet};

use alloy_consensus::Header;
use alloy_primitives::{B256, Bytes, keccak256};
use serde::{Deserialize, Serialize};

use crate::{
    BatchRejection, BlockAttributes, BlockHashes, ChainConfig, ExecError, ExecutedBlock, L1Origin,
    L2State, check_batch, decode_batch, execute_block, l1_origin_number_of, output_root,
};

/// What re-execution needs beyond L1 data, served by an untrusted party and checked here.
///
/// Every trie node is reachable only through hashes from the trusted state root; code is keyed by its
/// own hash; headers must link by parent hash to the trusted parent block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Witness {
    /// RLP-encoded trie nodes (state and storage tries).
    pub nodes: Vec<Bytes>,
    /// Contract code.
    pub codes: Vec<Bytes>,
    /// Ancestors of the parent block that BLOCKHASH reads, newest first, contiguous.
    pub headers: Vec<Header>,
}

/// Everything a verification takes. The caller fetches `batch`, `batch_hash`, `l1_origins` and
/// `proposals` from its own L1 endpoint; `parent` and `witness` may come from anyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyRequest {
    /// The rollup's parameters.
    pub config: ChainConfig,
    /// The batch bytes, as posted in L1 calldata.
    pub batch: Bytes,
    /// The hash the Rollup contract stored for the batch.
    pub batch_hash: B256,
    /// The L1 block the batch was posted in.
    pub inclusion_block: u64,
    /// The L1 blocks the batch's blocks may take as origin (from the parent's origin on; for a batch
    /// on genesis, from the rollup's deployment block on).
    pub l1_origins: Vec<L1Origin>,
    /// The L2 block the batch builds on.
    pub parent: Header,
    /// An output root the caller trusts for `parent` (finalized on L1, or verified before).
    pub trusted_output_root: B256,
    /// Trie nodes, code and headers.
    pub witness: Witness,
    /// Output roots proposed on L1, by L2 block number.
    pub proposals: BTreeMap<u64, B256>,
}

/// How a block's computed output root compares with L1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RootCheck {
    /// The proposal on L1 equals the computed root.
    Match,
    /// The proposal on L1 differs: the proposal is fraudulent (or the batch data is not what the
    /// proposer executed).
    Mismatch,
    /// No proposal covers this block.
    NotProposed,
}

/// The verdict for one block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockVerdict {
    /// L2 block number.
    pub number: u64,
    /// The block hash computed here.
    pub block_hash: B256,
    /// The state root computed here.
    pub state_root: B256,
    /// The output root computed here.
    pub output_root: B256,
    /// The output root proposed on L1, if any.
    pub proposed: Option<B256>,
    /// The comparison.
    pub check: RootCheck,
}

/// Why no verdict could be reached. None of these says the rollup is right or wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum CannotVerify {
    /// The batch bytes are not what the contract committed to.
    #[error("batch data hashes to {got}, but L1 committed to {expected}")]
    BatchHashMismatch {
        /// The committed hash.
        expected: B256,
        /// The hash of the data given.
        got: B256,
    },
    /// The parent block does not match the trusted output root.
    #[error("the parent block does not match the trusted output root")]
    UntrustedParent,
    /// The parent header does not record its L1 origin.
    #[error("the parent header has no L1 origin")]
    ParentWithoutOrigin,
    /// Derivation drops this batch: its blocks are not part of the chain.
    #[error("derivation drops this batch: {0}")]
    BatchDropped(BatchRejection),
    /// The witness headers do not link to the parent.
    #[error("witness header for block {number} does not link to its child")]
    BadHeaderChain {
        /// The header that broke the chain.
        number: u64,
    },
    /// The witness lacks something the execution needs, or holds corrupt data.
    #[error("witness: {0}")]
    Witness(String),
}

/// The verdicts for a batch's blocks, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchVerdict {
    /// One verdict per block.
    pub blocks: Vec<BlockVerdict>,
}

impl BatchVerdict {
    /// Whether some block's proposal differs from the computed root.
    pub fn has_mismatch(&self) -> bool {
        self.blocks.iter().any(|b| b.check == RootCheck::Mismatch)
    }
}

/// Verifies a batch: checks its bytes against L1, checks the parent against a trusted output root,
/// applies the derivation rules, re-executes each block on the witness and compares output roots.
pub fn verify_batch(request: &VerifyRequest) -> Result<BatchVerdict, CannotVerify> {
    let got = keccak256(&request.batch);
    if got != request.batch_hash {
        return Err(CannotVerify::BatchHashMismatch {
            expected: request.batch_hash,
            got,
        });
    }
    let parent = &request.parent;
    let parent_hash = parent.hash_slow();
    if output_root(parent.state_root, parent_hash) != request.trusted_output_root {
        return Err(CannotVerify::UntrustedParent);
    }
    // The genesis header records no origin: its origin is the rollup's deployment block, the first
    // of the L1 blocks the caller read from its own L1 endpoint.
    let parent_origin = match l1_origin_number_of(parent) {
        Some(origin) => origin,
        None if parent.number == 0 => request
            .l1_origins
            .first()
            .map(|o| o.number)
            .ok_or(CannotVerify::ParentWithoutOrigin)?,
        None => return Err(CannotVerify::ParentWithoutOrigin),
    };

    let mut hashes = BlockHashes::new();
    let mut expected = parent.parent_hash;
    for header in &request.witness.headers {
        if header.hash_slow() != expected {
            return Err(CannotVerify::BadHeaderChain {
                number: header.number,
            });
        }
        hashes.insert(header.number, expected);
        expected = header.parent_hash;
    }
    hashes.insert(parent.number, parent_hash);

    let config = &request.config;
    let batch = decode_batch(&request.batch, config.max_batch_size)
        .map_err(|e| CannotVerify::BatchDropped(BatchRejection::Undecodable(e.to_string())))?;
    let l1: BTreeMap<u64, L1Origin> = request
        .l1_origins
        .iter()
        .map(|o| (o.number, o.clone()))
        .collect();
    check_batch(
        config,
        &batch,
        parent,
        parent_origin,
        request.inclusion_block,
        &l1,
    )
    .map_err(CannotVerify::BatchDropped)?;

    let mut state = L2State::from_witness(
        parent.state_root,
        request.witness.nodes.clone(),
        request.witness.codes.clone(),
    );
    state.nodes.start_recording();
    let mut codes_read = BTreeSet::new();
    let mut head = parent.clone();
    let mut origin = parent_origin;
    let mut verdicts = Vec::with_capacity(batch.blocks.len());
    for block in batch.blocks {
        let deposits = if block.l1_origin_number == origin {
            Vec::new()
        } else {
            l1.get(&block.l1_origin_number)
                .map(|o| o.deposits.clone())
                .unwrap_or_default()
        };
        let attributes = BlockAttributes {
            timestamp: block.timestamp,
            l1_origin_number: block.l1_origin_number,
            l1_origin_hash: block.l1_origin_hash,
            deposits,
            transactions: block.transactions,
        };
        let executed = execute_block(config, &mut state, &head, &hashes, &attributes)
            .map_err(|e| CannotVerify::Witness(e.to_string()))?;
        let root = output_root(executed.header.state_root, executed.hash);
        let proposed = request.proposals.get(&executed.header.number).copied();
        let check = match proposed {
            None => RootCheck::NotProposed,
            Some(p) if p == root => RootCheck::Match,
            Some(_) => RootCheck::Mismatch,
        };
        verdicts.push(BlockVerdict {
            number: executed.header.number,
            block_hash: executed.hash,
            state_root: executed.header.state_root,
            output_root: root,
            proposed,
            check,
        });
        codes_read.extend(executed.codes_read.iter().copied());
        hashes.insert(executed.header.number, executed.hash);
        origin = block.l1_origin_number;
        head = executed.header;
    }
    // A witness must hold exactly what the execution read: extra data is refused, so that no
    // part of what was served goes unchecked.
    let used: BTreeSet<B256> = state.nodes.take_witness().iter().map(keccak256).collect();
    let given: BTreeSet<B256> = request.witness.nodes.iter().map(keccak256).collect();
    if used != given {
        return Err(CannotVerify::Witness(format!(
            "{} of its {} trie nodes are not on any path the execution read",
            given.difference(&used).count(),
            given.len()
        )));
    }
    let given_codes: BTreeSet<B256> = request.witness.codes.iter().map(keccak256).collect();
    if codes_read != given_codes {
        return Err(CannotVerify::Witness(format!(
            "{} of its {} contract codes were not run",
            given_codes.difference(&codes_read).count(),
            given_codes.len()
        )));
    }
    Ok(BatchVerdict { blocks: verdicts })
}

/// Executes blocks on a full state while recording the witness a verifier needs to replay them.
///
/// `header_of` returns stored headers by number; it is asked for the ancestors of `parent` that
/// BLOCKHASH reads.
pub fn execute_recording_witness(
    config: &ChainConfig,
    state: &mut L2State,
    parent: &Header,
    hashes: &BlockHashes,
    blocks: &[BlockAttributes],
    header_of: impl Fn(u64) -> Option<Header>,
) -> Result<(Vec<ExecutedBlock>, Witness), ExecError> {
    state.nodes.start_recording();
    let mut hashes = hashes.clone();
    let mut head = parent.clone();
    let mut executed = Vec::with_capacity(blocks.len());
    let mut codes = BTreeSet::new();
    let mut oldest_hash_read = parent.number;
    for attributes in blocks {
        let block = match execute_block(config, state, &head, &hashes, attributes) {
            Ok(block) => block,
            Err(e) => {
                state.nodes.take_witness();
                return Err(e);
            }
        };
        codes.extend(block.codes_read.iter().copied());
        if let Some(&oldest) = block.hashes_read.first() {
            oldest_hash_read = oldest_hash_read.min(oldest);
        }
        hashes.insert(block.header.number, block.hash);
        head = block.header.clone();
        executed.push(block);
    }
    let nodes = state.nodes.take_witness();
    let codes = codes
        .into_iter()
        .filter_map(|h| state.codes.get(&h).cloned())
        .collect();
    let mut headers = Vec::new();
    for number in (oldest_hash_read..parent.number).rev() {
        headers.push(header_of(number).ok_or(ExecError::MissingBlockHash(number))?);
    }
    Ok((
        executed,
        Witness {
            nodes,
            codes,
            headers,
        },
    ))
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    /// A recorded request: blocks 3 to 5 of a small chain, with transfers, a deposit, contract calls,
    /// a storage deletion and BLOCKHASH reads.
    const RECORDED: &str = include_str!("../testdata/verify/batch.json");

    /// Builds the recorded request from scratch (native only: the browser reads the file).
    #[cfg(not(target_arch = "wasm32"))]
    mod recorder {
        use alloy_primitives::{Address, TxKind, U256};

        use super::*;
        use crate::{
            Deposit,
            execution::tests::{BLOCKHASH_INIT, Chain, Key, STORE_INIT, store_call, tx},
        };

        /// Init code deploying a contract that stores BLOCKHASH(number - 3) in slot 0.
        const BLOCKHASH3_INIT: &[u8] =
            &alloy_primitives::hex!("600980600b6000396000f3" "600343034060005500");

        /// Builds the request `RECORDED` holds, from scratch.
        pub(super) fn record() -> VerifyRequest {
            let (a, b) = (Key::new(1), Key::new(2));
            let mut chain = Chain::new(&[a.address, b.address]);
            let id = chain.config.chain_id;
            let store = b.address.create(0);
            let reader = a.address.create(1);
            let reader3 = a.address.create(2);
            let mut headers = vec![chain.head.clone()];
            // History before the batch: two blocks deploying contracts and writing storage.
            for txs in [
                vec![
                    b.sign(tx(id, 0, TxKind::Create, 0, STORE_INIT.into())),
                    a.sign(tx(id, 0, TxKind::Call(b.address), 10, Bytes::new())),
                    a.sign(tx(id, 1, TxKind::Create, 0, BLOCKHASH_INIT.into())),
                ],
                vec![
                    b.sign(tx(id, 1, TxKind::Call(store), 0, store_call(1, 11))),
                    a.sign(tx(id, 2, TxKind::Create, 0, BLOCKHASH3_INIT.into())),
                ],
            ] {
                let attributes = chain.attributes(vec![], txs);
                chain.execute_recording(&attributes);
                headers.push(chain.head.clone());
            }
            let parent = chain.head.clone();
            let hashes = chain.hashes.clone();

            let mut blocks = Vec::new();
            let mut head = parent.clone();
            let deposit = Deposit {
                nonce: 0,
                from: Address::repeat_byte(0xd0),
                to: a.address,
                mint: U256::from(123_456u64),
                gas_limit: 60_000,
                data: Bytes::new(),
            };
            for (i, txs) in [
                vec![
                    a.sign(tx(id, 3, TxKind::Call(store), 0, store_call(2, 22))),
                    a.sign(tx(id, 4, TxKind::Call(reader), 0, Bytes::new())),
                    a.sign(tx(id, 5, TxKind::Call(reader3), 0, Bytes::new())),
                ],
                vec![
                    b.sign(tx(id, 2, TxKind::Call(store), 0, store_call(1, 0))),
                    b.sign(tx(
                        id,
                        3,
                        TxKind::Call(Address::repeat_byte(5)),
                        77,
                        Bytes::new(),
                    )),
                ],
                vec![a.sign(tx(id, 6, TxKind::Call(store), 0, store_call(3, 0xdead)))],
            ]
            .into_iter()
            .enumerate()
            {
                let number = head.number + 1;
                blocks.push(BlockAttributes {
                    timestamp: chain.config.timestamp_of(number),
                    l1_origin_number: number - 1,
                    l1_origin_hash: B256::with_last_byte((number - 1) as u8),
                    deposits: if i == 1 {
                        vec![deposit.clone()]
                    } else {
                        vec![]
                    },
                    transactions: txs,
                });
                head.number = number;
            }
            let (executed, witness) = execute_recording_witness(
                &chain.config,
                &mut chain.state,
                &parent,
                &hashes,
                &blocks,
                |n| headers.get(n as usize).cloned(),
            )
            .expect("recording");

            let batch = crate::Batch {
                parent_hash: parent.hash_slow(),
                blocks: blocks
                    .iter()
                    .map(|b| crate::BatchBlock {
                        timestamp: b.timestamp,
                        l1_origin_number: b.l1_origin_number,
                        l1_origin_hash: b.l1_origin_hash,
                        transactions: b.transactions.clone(),
                    })
                    .collect(),
            };
            let data: Bytes = crate::encode_batch(&batch, 9).into();
            let l1_origins = (parent.number - 1..=parent.number + 3)
                .map(|n| L1Origin {
                    number: n,
                    hash: B256::with_last_byte(n as u8),
                    timestamp: 0,
                    deposits: if n == parent.number + 1 {
                        vec![deposit.clone()]
                    } else {
                        vec![]
                    },
                })
                .collect();
            let proposals = executed
                .iter()
                .map(|b| (b.header.number, output_root(b.header.state_root, b.hash)))
                .collect();
            VerifyRequest {
                config: chain.config.clone(),
                batch_hash: keccak256(&data),
                batch: data,
                inclusion_block: parent.number + 4,
                l1_origins,
                trusted_output_root: output_root(parent.state_root, parent.hash_slow()),
                parent,
                witness,
                proposals,
            }
        }
    }

    fn recorded() -> VerifyRequest {
        serde_json::from_str(RECORDED).expect("testdata/verify/batch.json parses")
    }

    /// The file equals a fresh recording; `RECORD_TESTDATA=1` rewrites it.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn recorded_request_is_current() {
        let fresh = recorder::record();
        if std::env::var_os("RECORD_TESTDATA").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/verify/batch.json");
            let json = serde_json::to_string_pretty(&fresh).expect("serialize");
            std::fs::write(path, json + "\n").expect("write testdata");
        } else {
            assert_eq!(recorded(), fresh, "run with RECORD_TESTDATA=1 to re-record");
        }
    }

    #[wasm_bindgen_test]
    #[test]
    fn recorded_batch_verifies() {
        let request = recorded();
        assert!(
            !request.witness.headers.is_empty(),
            "the batch reads BLOCKHASH of older blocks"
        );
        let verdict = verify_batch(&request).expect("verifiable");
        assert_eq!(verdict.blocks.len(), 3);
        assert!(
            verdict.blocks.iter().all(|b| b.check == RootCheck::Match),
            "{verdict:?}"
        );
        assert_eq!(verdict.blocks[0].number, request.parent.number + 1);
    }

    #[wasm_bindgen_test]
    #[test]
    fn a_wrong_proposal_is_a_mismatch() {
        let mut request = recorded();
        let last = request.parent.number + 3;
        request.proposals.insert(last, B256::repeat_byte(0xbb));
        request.proposals.remove(&(last - 1));
        let verdict = verify_batch(&request).expect("verifiable");
        let checks: Vec<RootCheck> = verdict.blocks.iter().map(|b| b.check).collect();
        assert_eq!(
            checks,
            [
                RootCheck::Match,
                RootCheck::NotProposed,
                RootCheck::Mismatch
            ]
        );
        assert!(verdict.has_mismatch());
    }

    #[wasm_bindgen_test]
    #[test]
    fn a_tampered_witness_never_verifies() {
        let base = recorded();
        let mut tampered_cases = 0;
        for i in 0..base.witness.nodes.len() {
            for position in [0usize, 7] {
                let mut request = base.clone();
                let mut node = request.witness.nodes[i].to_vec();
                let at = position.min(node.len() - 1);
                node[at] ^= 0x01;
                request.witness.nodes[i] = node.into();
                tampered_cases += 1;
                match verify_batch(&request) {
                    Err(_) => {}
                    Ok(verdict) => {
                        assert!(verdict.has_mismatch(), "node {i} byte {at}: {verdict:?}")
                    }
                }
            }
        }
        for i in 0..base.witness.codes.len() {
            let mut request = base.clone();
            let mut code = request.witness.codes[i].to_vec();
            code[0] ^= 0x01;
            request.witness.codes[i] = code.into();
            tampered_cases += 1;
            if let Ok(verdict) = verify_batch(&request) {
                assert!(verdict.has_mismatch(), "code {i}");
            }
        }
        let mut request = base;
        request.witness.headers[0].gas_used += 1;
        assert!(matches!(
            verify_batch(&request),
            Err(CannotVerify::BadHeaderChain { .. })
        ));
        assert!(tampered_cases > 10);
    }

    #[wasm_bindgen_test]
    #[test]
    fn batch_and_anchor_are_checked_against_l1() {
        let mut request = recorded();
        let mut data = request.batch.to_vec();
        data.push(0);
        request.batch = data.into();
        assert!(matches!(
            verify_batch(&request),
            Err(CannotVerify::BatchHashMismatch { .. })
        ));

        let mut request = recorded();
        request.trusted_output_root = B256::ZERO;
        assert_eq!(verify_batch(&request), Err(CannotVerify::UntrustedParent));

        let mut request = recorded();
        request.inclusion_block += 100;
        assert!(matches!(
            verify_batch(&request),
            Err(CannotVerify::BatchDropped(
                BatchRejection::OutsideSequencingWindow { .. }
            ))
        ));
    }
}
