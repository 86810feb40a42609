//! The worker's whole path (reading L1 and the indexer, re-executing, judging) on a recorded batch,
//! with a fake of the two sources that serves the recording in their wire formats.

use alloy_consensus::{
    Receipt, ReceiptEnvelope, ReceiptWithBloom, Signed, TxEip1559, TxEnvelope,
    transaction::Recovered,
};
use alloy_primitives::{Bloom, LogData, Signature, TxKind};
use alloy_rpc_types_eth::{Block, BlockTransactions, Log, Transaction, TransactionReceipt};
use serde_json::Value;
use wasm_bindgen_test::wasm_bindgen_test;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use super::*;
use crate::protocol::Endpoints;

/// The recorded request the light node's own tests use: blocks 3 to 5, on a parent this browser
/// is taken to have verified.
const RECORDED: &str = include_str!("../../../light-node/testdata/verify/batch.json");
const BATCH_INDEX: u64 = 7;
const ROLLUP: Address = Address::repeat_byte(0x44);
const TX_HASH: B256 = B256::repeat_byte(0x77);
/// The L1 transaction of a batch posted before batch 7 (see [`Fake::earlier`]).
const EARLIER_TX_HASH: B256 = B256::repeat_byte(0x78);
const DEPLOYMENT: u64 = 1;

/// L1 and the indexer, answering from the recording.
struct Fake {
    recorded: VerifyRequest,
    witness: Witness,
    /// Proposals on L1: (index, block, root, valid).
    proposals: Vec<(u64, u64, B256, bool)>,
    /// The chain parameters' commitment the Rollup contract on L1 holds.
    l1_config_hash: B256,
    /// Data of batch 6, posted before batch 7 after the parent's batch 5, when set; otherwise the
    /// parent's batch is 6 and nothing lies between.
    earlier: Option<Bytes>,
}

impl Fake {
    fn new() -> Self {
        let recorded: VerifyRequest = serde_json::from_str(RECORDED).expect("the recording parses");
        let proposals = recorded
            .proposals
            .iter()
            .enumerate()
            .map(|(i, (&block, &root))| (i as u64, block, root, true))
            .collect();
        Self {
            witness: recorded.witness.clone(),
            l1_config_hash: recorded.config.hash(),
            recorded,
            proposals,
            earlier: None,
        }
    }

    fn request(&self, task: Task) -> Request {
        let parent = &self.recorded.parent;
        Request {
            id: 1,
            endpoints: Endpoints {
                l1: "fake".into(),
                indexer: "fake".into(),
                rollup: ROLLUP,
            },
            known: vec![KnownRoot {
                number: parent.number,
                state_root: parent.state_root,
                output_root: self.recorded.trusted_output_root,
            }],
            task,
        }
    }

    fn log(block: u64, data: LogData) -> Value {
        let log = Log {
            inner: alloy_primitives::Log {
                address: ROLLUP,
                data,
            },
            block_number: Some(block),
            ..Default::default()
        };
        serde_json::to_value(log).expect("a log serializes")
    }

    fn logs(&self, params: &Value) -> Vec<Value> {
        let filter = &params[0];
        let topic0: B256 = serde_json::from_value(filter["topics"][0].clone()).expect("topic0");
        let block = |key: &str| {
            filter[key]
                .as_str()
                .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        };
        if topic0 == Rollup::RollupInitialized::SIGNATURE_HASH {
            let event = Rollup::RollupInitialized {
                batcher: Address::repeat_byte(1),
                arbiter: Address::repeat_byte(2),
                proposalBond: U256::from(1),
                challengeBond: U256::from(1),
                challengeWindow: 60,
                moveTimeout: 10,
                genesisOutputRoot: B256::repeat_byte(0x99),
                l2GenesisTime: self.recorded.config.genesis_timestamp,
                l2BlockTime: self.recorded.config.block_time,
                configHash: self.l1_config_hash,
            };
            return vec![Self::log(DEPLOYMENT, event.encode_log_data())];
        }
        if topic0 == Rollup::Deposited::SIGNATURE_HASH {
            let (from, to) = (
                block("fromBlock").expect("from"),
                block("toBlock").expect("to"),
            );
            return self
                .recorded
                .l1_origins
                .iter()
                .filter(|o| (from..=to).contains(&o.number))
                .flat_map(|o| {
                    o.deposits.iter().map(|d| {
                        let event = Rollup::Deposited {
                            nonce: d.nonce,
                            from: d.from,
                            to: d.to,
                            value: d.mint,
                            gasLimit: d.gas_limit,
                            data: d.data.clone(),
                        };
                        Self::log(o.number, event.encode_log_data())
                    })
                })
                .collect();
        }
        if topic0 == Rollup::OutputProposed::SIGNATURE_HASH {
            let wanted: Vec<B256> =
                serde_json::from_value(filter["topics"][3].clone()).expect("block topics");
            return self
                .proposals
                .iter()
                .filter(|p| wanted.contains(&topic(p.1)))
                .map(|&(index, block, root, _)| {
                    let event = Rollup::OutputProposed {
                        index,
                        proposer: Address::repeat_byte(3),
                        l2Block: block,
                        outputRoot: root,
                        parent: index.wrapping_sub(1),
                        parentL2Block: 0,
                        deadline: 0,
                        bond: U256::from(1),
                    };
                    Self::log(10, event.encode_log_data())
                })
                .collect();
        }
        Vec::new()
    }

    /// The batch a transaction of the fake's L1 appends: its index and data.
    fn posted(&self, hash: B256) -> (u64, Bytes) {
        match &self.earlier {
            Some(data) if hash == EARLIER_TX_HASH => (BATCH_INDEX - 1, data.clone()),
            _ => (BATCH_INDEX, self.recorded.batch.clone()),
        }
    }

    fn receipt(&self, hash: B256) -> Value {
        let (index, data) = self.posted(hash);
        let event = Rollup::BatchAppended {
            index,
            hash: keccak256(&data),
            size: U256::from(data.len()),
        };
        let log: Log = serde_json::from_value(Self::log(
            self.recorded.inclusion_block,
            event.encode_log_data(),
        ))
        .expect("log");
        let receipt = TransactionReceipt {
            inner: ReceiptEnvelope::Eip1559(ReceiptWithBloom {
                receipt: Receipt {
                    status: true.into(),
                    cumulative_gas_used: 100_000,
                    logs: vec![log],
                },
                logs_bloom: Bloom::ZERO,
            }),
            transaction_hash: hash,
            transaction_index: Some(0),
            block_hash: Some(B256::repeat_byte(0x66)),
            block_number: Some(self.recorded.inclusion_block),
            gas_used: 100_000,
            effective_gas_price: 1,
            blob_gas_used: None,
            blob_gas_price: None,
            from: Address::repeat_byte(1),
            to: Some(ROLLUP),
            contract_address: None,
        };
        serde_json::to_value(receipt).expect("a receipt serializes")
    }

    fn transaction(&self, hash: B256) -> Value {
        let call = Rollup::appendBatchCall {
            data: self.posted(hash).1,
        };
        let tx = TxEip1559 {
            chain_id: 1,
            gas_limit: 1_000_000,
            to: TxKind::Call(ROLLUP),
            input: call.abi_encode().into(),
            ..Default::default()
        };
        let signed = Signed::new_unchecked(tx, Signature::test_signature(), hash);
        let tx = Transaction {
            inner: Recovered::new_unchecked(TxEnvelope::Eip1559(signed), Address::repeat_byte(1)),
            block_hash: Some(B256::repeat_byte(0x66)),
            block_number: Some(self.recorded.inclusion_block),
            transaction_index: Some(0),
            effective_gas_price: Some(1),
            block_timestamp: None,
        };
        serde_json::to_value(tx).expect("a transaction serializes")
    }

    fn block(&self, number: u64) -> Value {
        let (hash, timestamp) = match self.recorded.l1_origins.iter().find(|o| o.number == number) {
            Some(o) => (o.hash, o.timestamp),
            None => (B256::with_last_byte(number as u8), 1_000 + number),
        };
        let header = alloy_consensus::Header {
            number,
            timestamp,
            ..Default::default()
        };
        let block: Block = Block {
            header: alloy_rpc_types_eth::Header {
                hash,
                inner: header,
                total_difficulty: None,
                size: None,
            },
            uncles: Vec::new(),
            transactions: BlockTransactions::Hashes(Vec::new()),
            withdrawals: None,
        };
        serde_json::to_value(block).expect("a block serializes")
    }
}

impl Source for Fake {
    async fn l1(&self, method: &str, params: Value) -> Result<Value, NetError> {
        match method {
            "eth_getLogs" => Ok(Value::Array(self.logs(&params))),
            "eth_getTransactionReceipt" => Ok(self.receipt(tx_hash(&params))),
            "eth_getTransactionByHash" => Ok(self.transaction(tx_hash(&params))),
            "eth_call" => {
                let input: Bytes =
                    serde_json::from_value(params[0]["input"].clone()).expect("input");
                let call = Rollup::isValidCall::abi_decode(&input)
                    .map_err(|e| NetError(format!("unexpected eth_call: {e}")))?;
                let valid = self.proposals.iter().any(|p| p.0 == call.index && p.3);
                Ok(
                    serde_json::to_value(Bytes::from(Rollup::isValidCall::abi_encode_returns(
                        &valid,
                    )))
                    .expect("bytes"),
                )
            }
            other => Err(NetError(format!("unexpected L1 method {other}"))),
        }
    }

    async fn l1_many(&self, method: &str, params: Vec<Value>) -> Result<Vec<Value>, NetError> {
        assert_eq!(method, "eth_getBlockByNumber");
        Ok(params
            .iter()
            .map(|p| {
                let n = p[0].as_str().expect("a number");
                self.block(u64::from_str_radix(n.trim_start_matches("0x"), 16).expect("hex"))
            })
            .collect())
    }

    async fn indexer(&self, path: &str) -> Result<Value, NetError> {
        let parent = self.recorded.parent.number;
        let (first, last) = (parent + 1, parent + 3);
        if path == "/status" {
            return Ok(json!({ "rollup": { "config": self.recorded.config, "rollup": ROLLUP } }));
        }
        if path == format!("/batches/{BATCH_INDEX}") {
            return Ok(json!({
                "index": BATCH_INDEX, "l1_tx_hash": TX_HASH, "status": "accepted",
                "first_block": first, "last_block": last,
            }));
        }
        if path == format!("/witness/{first}?through={last}") {
            return Ok(json!({
                "from": first, "to": last, "parent": self.recorded.parent, "witness": self.witness,
            }));
        }
        if path == format!("/blocks/{last}") {
            return Ok(json!({ "batch_index": BATCH_INDEX }));
        }
        let parent_batch = BATCH_INDEX - 1 - u64::from(self.earlier.is_some());
        if path == format!("/blocks/{parent}") {
            return Ok(json!({ "batch_index": parent_batch }));
        }
        if self.earlier.is_some() && path == format!("/batches/{}", BATCH_INDEX - 1) {
            return Ok(json!({
                "index": BATCH_INDEX - 1, "l1_tx_hash": EARLIER_TX_HASH, "status": "dropped",
                "first_block": null, "last_block": null,
            }));
        }
        Err(NetError(format!("indexer {path}: not found")))
    }
}

/// The transaction hash a `eth_getTransaction*` call asks for.
fn tx_hash(params: &Value) -> B256 {
    serde_json::from_value(params[0].clone()).expect("a transaction hash")
}

async fn verify(fake: &Fake, task: Task) -> Outcome {
    run_on(fake, &fake.request(task), &|_, _, _| {}).await
}

#[wasm_bindgen_test]
async fn a_recorded_batch_verifies_through_the_workers_whole_path() {
    let fake = Fake::new();
    let outcome = verify(&fake, Task::Batch { index: BATCH_INDEX }).await;
    assert_eq!(outcome.verdict, Verdict::Verified, "{outcome:?}");
    assert_eq!(outcome.trusted, Some(Trust::Browser { block: 2 }));
    assert_eq!(outcome.batches.len(), 1);
    assert_eq!(outcome.roots.len(), 3);
    assert_eq!(outcome.proposals.len(), 3);
    assert!(outcome.proposals.iter().all(ProposalCheck::matches));

    // The proposal page's task: one block, its roots reported.
    let outcome = verify(&fake, Task::Blocks { numbers: vec![5] }).await;
    assert_eq!(outcome.verdict, Verdict::Verified, "{outcome:?}");
    assert_eq!(outcome.outputs.len(), 1);
}

#[wasm_bindgen_test]
async fn a_wrong_proposal_is_a_mismatch_until_l1_invalidates_it() {
    let mut fake = Fake::new();
    fake.proposals.push((9, 4, B256::repeat_byte(0xbb), true));
    let outcome = verify(&fake, Task::Batch { index: BATCH_INDEX }).await;
    assert_eq!(outcome.verdict, Verdict::Mismatch, "{outcome:?}");
    let wrong = outcome
        .proposals
        .iter()
        .find(|p| p.index == 9)
        .expect("listed");
    assert!(!wrong.matches() && wrong.standing);

    // Once it lost its game, the batch verifies and the proposal stays listed as wrong.
    fake.proposals.last_mut().expect("pushed").3 = false;
    let outcome = verify(&fake, Task::Batch { index: BATCH_INDEX }).await;
    assert_eq!(outcome.verdict, Verdict::Verified, "{outcome:?}");
    assert!(
        outcome
            .proposals
            .iter()
            .any(|p| p.index == 9 && !p.matches() && !p.standing)
    );
}

/// An indexer that serves other chain parameters than those L1 commits to (here a longer drift,
/// which would let blocks the chain drops pass) gets no verdict at all.
#[wasm_bindgen_test]
async fn chain_parameters_that_l1_does_not_commit_to_are_refused() {
    let mut fake = Fake::new();
    fake.recorded.config.max_sequencer_drift += 1;
    let outcome = verify(&fake, Task::Batch { index: BATCH_INDEX }).await;
    assert!(
        matches!(&outcome.verdict, Verdict::CannotVerify { reason } if reason.contains("commits to")),
        "{outcome:?}"
    );
    assert!(outcome.roots.is_empty(), "no root is kept: {outcome:?}");
}

/// The operator posts two batches on the same parent: derivation keeps the first (6), and the
/// indexer maps the blocks to the second (7), which the operator's own proposals match. The worker
/// checks on L1 that every batch between the parent's and batch 7 is dropped; batch 6 is not, so
/// batch 7 is never "verified", and no root of the run is kept. A batch in between that derivation
/// does drop (garbage) is no obstacle.
#[wasm_bindgen_test]
async fn a_batch_derivation_drops_for_an_earlier_one_on_the_same_parent_never_verifies() {
    let mut fake = Fake::new();
    fake.earlier = Some(fake.recorded.batch.clone());
    let outcome = verify(&fake, Task::Batch { index: BATCH_INDEX }).await;
    assert!(
        matches!(&outcome.verdict, Verdict::CannotVerify { reason } if reason.contains("batch 6, posted before batch 7")),
        "{outcome:?}"
    );
    assert!(outcome.roots.is_empty(), "{outcome:?}");

    fake.earlier = Some(Bytes::from_static(b"\x00 not a batch"));
    let outcome = verify(&fake, Task::Batch { index: BATCH_INDEX }).await;
    assert_eq!(outcome.verdict, Verdict::Verified, "{outcome:?}");
}

/// An indexer that says the batch was dropped is believed in that: no verdict.
#[wasm_bindgen_test]
async fn a_batch_the_indexer_calls_dropped_is_not_verified() {
    let fake = Dropped(Fake::new());
    let outcome = run_on(
        &fake,
        &fake.0.request(Task::Batch { index: BATCH_INDEX }),
        &|_, _, _| {},
    )
    .await;
    assert!(
        matches!(&outcome.verdict, Verdict::CannotVerify { reason } if reason.contains("was dropped")),
        "{outcome:?}"
    );
}

/// The fake, but the indexer lists batch 7 as dropped.
struct Dropped(Fake);

impl Source for Dropped {
    async fn l1(&self, method: &str, params: Value) -> Result<Value, NetError> {
        self.0.l1(method, params).await
    }

    async fn l1_many(&self, method: &str, params: Vec<Value>) -> Result<Vec<Value>, NetError> {
        self.0.l1_many(method, params).await
    }

    async fn indexer(&self, path: &str) -> Result<Value, NetError> {
        let mut value = self.0.indexer(path).await?;
        if path == format!("/batches/{BATCH_INDEX}") {
            value["status"] = json!("dropped");
        }
        Ok(value)
    }
}

/// A right root that L1 invalidated (a proposal it builds on lost) is reported as not standing,
/// so that the page never calls that proposal verified.
#[wasm_bindgen_test]
async fn a_right_proposal_that_l1_invalidated_is_reported_as_not_standing() {
    let mut fake = Fake::new();
    let (index, ..) = fake.proposals[0];
    fake.proposals[0].3 = false;
    let outcome = verify(&fake, Task::Batch { index: BATCH_INDEX }).await;
    let check = outcome
        .proposals
        .iter()
        .find(|p| p.index == index)
        .expect("listed");
    assert!(check.matches() && !check.standing, "{check:?}");
}

#[wasm_bindgen_test]
async fn a_witness_with_one_tampered_node_never_verifies() {
    let base = Fake::new();
    let mut tried = 0;
    for i in 0..base.witness.nodes.len() {
        let mut fake = Fake::new();
        let mut node = fake.witness.nodes[i].to_vec();
        let last = node.len() - 1;
        node[last] ^= 0x01;
        fake.witness.nodes[i] = node.into();
        let outcome = verify(&fake, Task::Batch { index: BATCH_INDEX }).await;
        assert_ne!(outcome.verdict, Verdict::Verified, "node {i}: {outcome:?}");
        assert!(
            outcome.roots.is_empty(),
            "node {i}: no root is kept from a bad witness"
        );
        tried += 1;
    }
    assert!(tried > 10, "only {tried} nodes");
}

#[wasm_bindgen_test]
async fn a_batch_the_contract_did_not_commit_to_cannot_be_verified() {
    let mut fake = Fake::new();
    let mut data = fake.recorded.batch.to_vec();
    data.push(0);
    fake.recorded.batch = data.into();
    // The receipt's committed hash follows the fake's data; a different L1 hash must be refused.
    let outcome = run_on(
        &Tampered(&fake),
        &fake.request(Task::Batch { index: BATCH_INDEX }),
        &|_, _, _| {},
    )
    .await;
    assert!(
        matches!(&outcome.verdict, Verdict::CannotVerify { reason } if reason.contains("committed")),
        "{outcome:?}"
    );
}

/// The fake, but its transaction carries other data than the receipt committed to.
struct Tampered<'a>(&'a Fake);

impl Source for Tampered<'_> {
    async fn l1(&self, method: &str, params: Value) -> Result<Value, NetError> {
        let mut value = self.0.l1(method, params).await?;
        if method == "eth_getTransactionReceipt" {
            // Commit to the recording's original bytes.
            let original: VerifyRequest = serde_json::from_str(RECORDED).expect("parses");
            let event = Rollup::BatchAppended {
                index: BATCH_INDEX,
                hash: keccak256(&original.batch),
                size: U256::from(original.batch.len()),
            };
            let log = Fake::log(original.inclusion_block, event.encode_log_data());
            value["logs"] = Value::Array(vec![log]);
        }
        Ok(value)
    }

    async fn l1_many(&self, method: &str, params: Vec<Value>) -> Result<Vec<Value>, NetError> {
        self.0.l1_many(method, params).await
    }

    async fn indexer(&self, path: &str) -> Result<Value, NetError> {
        self.0.indexer(path).await
    }
}
