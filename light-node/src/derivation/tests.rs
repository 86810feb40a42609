//! Derivation against a simulated sequencer and L1.

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use wasm_bindgen_test::wasm_bindgen_test;

use super::*;
use crate::{
    Batch, BatchBlock, BlockAttributes, ChainConfig, Deposit, L2State, encode_batch, execute_block,
    execution::tests::{Chain, Key, tx},
};

const GENESIS_L1: u64 = 10;

fn l1_hash(number: u64) -> B256 {
    keccak256(number.to_be_bytes())
}

fn l1_origin(number: u64, deposits: Vec<Deposit>) -> L1Origin {
    L1Origin {
        number,
        hash: l1_hash(number),
        timestamp: 1_000 + 2 * (number - GENESIS_L1),
        deposits,
    }
}

fn input(number: u64, deposits: Vec<Deposit>, batches: Vec<PostedBatch>) -> L1Input {
    L1Input {
        block: l1_origin(number, deposits),
        parent_hash: l1_hash(number - 1),
        batches,
    }
}

fn config() -> ChainConfig {
    ChainConfig {
        genesis_timestamp: 1_000,
        sequencing_window: 4,
        ..ChainConfig::devnet()
    }
}

/// A sequencer that follows the rules: two L2 blocks per L1 block, origin advancing with L1 time.
struct Sequencer {
    chain: Chain,
    genesis_hash: B256,
    origin: u64,
    blocks: Vec<(Header, BatchBlock)>,
}

impl Sequencer {
    fn new(funded: &[Address]) -> (Self, Deriver) {
        let mut chain = Chain::new(funded);
        chain.config = config();
        let state_root = chain.head.state_root;
        chain.head = crate::genesis_header(&chain.config, state_root);
        chain.hashes = crate::BlockHashes::new();
        chain.hashes.insert(0, chain.head.hash_slow());
        let deriver = Deriver::new(
            chain.config.clone(),
            chain.state.clone(),
            chain.head.clone(),
            l1_origin(GENESIS_L1, vec![]),
        );
        (
            Self {
                genesis_hash: deriver.safe_hash(),
                chain,
                origin: GENESIS_L1,
                blocks: Vec::new(),
            },
            deriver,
        )
    }

    /// Builds one block seeing L1 up to `l1_seen`, with the given deposits table.
    fn build(&mut self, l1_seen: u64, deposits: &dyn Fn(u64) -> Vec<Deposit>, txs: Vec<Bytes>) {
        let timestamp = self.chain.head.timestamp + 1;
        let next = self.origin + 1;
        let advance = next <= l1_seen && l1_origin(next, vec![]).timestamp <= timestamp;
        let origin = if advance { next } else { self.origin };
        let attributes = BlockAttributes {
            timestamp,
            l1_origin_number: origin,
            l1_origin_hash: l1_hash(origin),
            deposits: if advance { deposits(origin) } else { vec![] },
            transactions: txs.clone(),
        };
        let block = execute_block(
            &self.chain.config,
            &mut self.chain.state,
            &self.chain.head,
            &self.chain.hashes,
            &attributes,
        )
        .expect("sequencer executes");
        self.chain.hashes.insert(block.header.number, block.hash);
        self.chain.head = block.header.clone();
        self.origin = origin;
        self.blocks.push((
            block.header,
            BatchBlock {
                timestamp,
                l1_origin_number: origin,
                l1_origin_hash: l1_hash(origin),
                transactions: txs,
            },
        ));
    }

    /// Encodes blocks `from..` as a batch.
    fn batch_from(&self, from: usize, index: u64) -> PostedBatch {
        let parent_hash = if from == 0 {
            self.genesis_hash
        } else {
            self.blocks[from - 1].0.hash_slow()
        };
        let batch = Batch {
            parent_hash,
            blocks: self.blocks[from..].iter().map(|(_, b)| b.clone()).collect(),
        };
        PostedBatch {
            index,
            data: encode_batch(&batch, 5).into(),
        }
    }
}

fn deposits_table(n: u64) -> Vec<Deposit> {
    if n == 12 {
        vec![Deposit {
            nonce: 0,
            from: Address::repeat_byte(0xd0),
            to: Address::repeat_byte(0xd1),
            mint: U256::from(1_000),
            gas_limit: 50_000,
            data: Bytes::new(),
        }]
    } else {
        vec![]
    }
}

fn garbage() -> Vec<PostedBatch> {
    vec![
        PostedBatch {
            index: 900,
            data: Bytes::from_static(b"\x00not brotli at all"),
        },
        PostedBatch {
            index: 901,
            data: Bytes::from_static(b"\x07bad version"),
        },
        PostedBatch {
            index: 902,
            data: Bytes::new(),
        },
    ]
}

/// Runs a honest sequencer for L1 blocks 11..=18 with batches one L1 block late, plus garbage.
fn honest_run() -> (Vec<B256>, Vec<B256>, Vec<DroppedBatch>) {
    honest_run_resuming_at(None, 1)
}

/// [`honest_run`], with the deriver rebuilt by [`Deriver::resume`] after L1 block `resume_at`, from
/// the parts a store keeps: the safe head, recent hashes, the L1 blocks from the safe origin on. The
/// deriver recovers senders on `threads` threads.
fn honest_run_resuming_at(
    resume_at: Option<u64>,
    threads: usize,
) -> (Vec<B256>, Vec<B256>, Vec<DroppedBatch>) {
    let a = Key::new(1);
    let (mut seq, mut deriver) = Sequencer::new(&[a.address]);
    deriver.set_recovery_threads(threads);
    let id = seq.chain.config.chain_id;
    let mut nonce = 0;
    let mut posted = 0;
    let mut derived = Vec::new();
    let mut dropped = Vec::new();
    for n in GENESIS_L1 + 1..=GENESIS_L1 + 8 {
        // The batcher posts what was built so far, then the sequencer builds two more blocks.
        let mut batches = if n == 13 { garbage() } else { vec![] };
        if seq.blocks.len() > posted {
            batches.push(seq.batch_from(posted, n));
            posted = seq.blocks.len();
        }
        let step = deriver
            .advance(&input(n, deposits_table(n), batches))
            .expect("derives");
        derived.extend(step.blocks.iter().map(|b| b.block.hash));
        dropped.extend(step.dropped);
        if resume_at == Some(n) {
            let window = (deriver.safe_origin()..=n)
                .map(|k| l1_origin(k, deposits_table(k)))
                .collect();
            let state = deriver.state_mut().clone();
            deriver = Deriver::resume(
                deriver.config().clone(),
                state,
                deriver.safe_head().clone(),
                deriver.safe_origin(),
                deriver.block_hashes().clone(),
                window,
            )
            .expect("resumes");
            deriver.set_recovery_threads(threads);
        }
        for _ in 0..2 {
            let transfer = a.sign(tx(
                id,
                nonce,
                TxKind::Call(Address::repeat_byte(9)),
                1,
                Bytes::new(),
            ));
            nonce += 1;
            seq.build(n, &deposits_table, vec![transfer]);
        }
    }
    let built = seq.blocks[..posted]
        .iter()
        .map(|(h, _)| h.hash_slow())
        .collect();
    (built, derived, dropped)
}

#[wasm_bindgen_test]
#[test]
fn derived_chain_equals_the_sequencers_and_garbage_is_dropped() {
    let (built, derived, dropped) = honest_run();
    assert!(built.len() >= 10, "built {}", built.len());
    assert_eq!(
        derived, built,
        "derived blocks are the sequencer's, hash for hash"
    );
    let indices: Vec<u64> = dropped.iter().map(|d| d.index).collect();
    assert_eq!(indices, [900, 901, 902]);
    assert!(
        dropped
            .iter()
            .all(|d| matches!(d.reason, BatchRejection::Undecodable(_)))
    );
}

#[wasm_bindgen_test]
#[test]
fn derivation_is_deterministic() {
    assert_eq!(honest_run(), honest_run());
}

#[wasm_bindgen_test]
#[test]
fn recovering_senders_on_several_threads_derives_the_same_chain() {
    let one = honest_run();
    for threads in [2, 3, 64] {
        assert_eq!(
            honest_run_resuming_at(None, threads),
            one,
            "{threads} threads"
        );
    }
}

#[wasm_bindgen_test]
#[test]
fn a_resumed_deriver_derives_what_an_uninterrupted_one_does() {
    let uninterrupted = honest_run();
    for at in [GENESIS_L1 + 1, GENESIS_L1 + 3, GENESIS_L1 + 6] {
        assert_eq!(
            honest_run_resuming_at(Some(at), 1),
            uninterrupted,
            "resumed at {at}"
        );
    }
}

#[wasm_bindgen_test]
#[test]
fn resume_refuses_an_l1_window_that_does_not_fit() {
    let (_, mut deriver) = Sequencer::new(&[]);
    let state = deriver.state_mut().clone();
    let parts = |l1| {
        Deriver::resume(
            deriver.config().clone(),
            state.clone(),
            deriver.safe_head().clone(),
            deriver.safe_origin(),
            deriver.block_hashes().clone(),
            l1,
        )
    };
    assert!(matches!(
        parts(vec![l1_origin(GENESIS_L1 + 1, vec![])]),
        Err(crate::ResumeError::L1Window { .. })
    ));
    assert!(matches!(
        parts(vec![
            l1_origin(GENESIS_L1, vec![]),
            l1_origin(GENESIS_L1 + 2, vec![])
        ]),
        Err(crate::ResumeError::L1Gap { position: 1 })
    ));
    assert!(parts(vec![l1_origin(GENESIS_L1, vec![])]).is_ok());
}

#[wasm_bindgen_test]
#[test]
fn a_silent_batcher_gets_deposits_force_included_and_its_late_batch_dropped() {
    let a = Key::new(1);
    let (mut seq, mut deriver) = Sequencer::new(&[a.address]);
    // The sequencer builds, but the batcher posts nothing until the window of origin 11 is closed.
    let mut forced = Vec::new();
    for n in GENESIS_L1 + 1..=GENESIS_L1 + 7 {
        let step = deriver
            .advance(&input(n, deposits_table(n), vec![]))
            .expect("derives");
        forced.extend(step.blocks);
        seq.build(n, &deposits_table, vec![]);
        seq.build(n, &deposits_table, vec![]);
    }
    // Origins 11, 12 and 13 expired by L1 block 17 (window 4): one forced block each.
    let origins: Vec<u64> = forced.iter().map(|b| b.l1_origin).collect();
    assert_eq!(origins, [11, 12, 13]);
    assert!(
        forced
            .iter()
            .all(|b| b.source == BlockSource::ForceIncluded)
    );
    let with_deposit = &forced[1].block;
    assert_eq!(
        with_deposit.transactions.len(),
        1,
        "origin 12's deposit is force-included"
    );
    let recipient = Address::repeat_byte(0xd1);
    assert_eq!(
        deriver
            .state_mut()
            .account(recipient)
            .expect("state")
            .map(|a| a.balance),
        Some(U256::from(1_000))
    );

    // The late batch no longer builds on the safe head: dropped, and the chain goes on.
    let late = seq.batch_from(0, 1);
    let step = deriver
        .advance(&input(GENESIS_L1 + 8, vec![], vec![late]))
        .expect("derives");
    assert_eq!(step.dropped.len(), 1);
    assert!(matches!(
        step.dropped[0].reason,
        BatchRejection::WrongParent { .. }
    ));
}

#[wasm_bindgen_test]
#[test]
fn an_l1_block_that_does_not_extend_the_last_is_a_reorg() {
    let (_, mut deriver) = Sequencer::new(&[]);
    deriver
        .advance(&input(GENESIS_L1 + 1, vec![], vec![]))
        .expect("derives");
    let mut fork = input(GENESIS_L1 + 2, vec![], vec![]);
    fork.parent_hash = B256::repeat_byte(0xee);
    let err = deriver.advance(&fork).expect_err("fork");
    assert!(err.is_reset());
    let skip = input(GENESIS_L1 + 3, vec![], vec![]);
    assert!(deriver.advance(&skip).expect_err("gap").is_reset());
}

#[wasm_bindgen_test]
#[test]
fn rule_violations_drop_the_whole_batch() {
    let a = Key::new(1);
    let (mut seq, deriver) = Sequencer::new(&[a.address]);
    seq.build(GENESIS_L1, &deposits_table, vec![]);
    seq.build(GENESIS_L1, &deposits_table, vec![]);
    let base = seq.batch_from(0, 0);
    let decode = |p: &PostedBatch| crate::decode_batch(&p.data, 1 << 20).expect("valid");
    let mut l1 = std::collections::BTreeMap::new();
    l1.insert(GENESIS_L1, l1_origin(GENESIS_L1, vec![]));
    l1.insert(GENESIS_L1 + 1, l1_origin(GENESIS_L1 + 1, vec![]));
    let check = |batch: &Batch, inclusion: u64| {
        check_batch(
            deriver.config(),
            batch,
            deriver.safe_head(),
            GENESIS_L1,
            inclusion,
            &l1,
        )
    };
    let good = decode(&base);
    assert_eq!(check(&good, GENESIS_L1 + 1), Ok(()));

    let mut bad = good.clone();
    bad.blocks[1].timestamp += 1;
    assert!(matches!(
        check(&bad, 11),
        Err(BatchRejection::WrongTimestamp { index: 1, .. })
    ));
    let mut bad = good.clone();
    bad.blocks[0].l1_origin_number = GENESIS_L1 + 2;
    assert!(matches!(
        check(&bad, 11),
        Err(BatchRejection::OriginNotContiguous { .. })
    ));
    let mut bad = good.clone();
    bad.blocks[0].l1_origin_hash = B256::ZERO;
    assert!(matches!(
        check(&bad, 11),
        Err(BatchRejection::UnknownOrigin { .. })
    ));
    assert!(matches!(
        check(&good, GENESIS_L1 + 5),
        Err(BatchRejection::OutsideSequencingWindow { .. })
    ));
    let mut bad = good.clone();
    bad.blocks[1]
        .transactions
        .push(Bytes::from_static(&[0x7e, 0xc0]));
    assert!(matches!(
        check(&bad, 11),
        Err(BatchRejection::ForbiddenTransaction { index: 1, tx: 0 })
    ));
    let mut bad = good;
    bad.parent_hash = B256::ZERO;
    assert!(matches!(
        check(&bad, 11),
        Err(BatchRejection::WrongParent { .. })
    ));
    let _ = L2State::default();
}

#[wasm_bindgen_test]
#[test]
fn a_batch_moving_l2_time_past_the_drift_is_dropped_whole() {
    // The batcher keeps one L1 origin and posts more empty blocks than the drift allows: L2 time
    // would run ahead of L1's for as long as it liked.
    let (mut seq, mut deriver) = Sequencer::new(&[]);
    let drift = seq.chain.config.max_sequencer_drift;
    let blocks = drift + 5;
    for _ in 0..blocks {
        seq.build(GENESIS_L1, &deposits_table, vec![]);
    }
    let origin = l1_origin(GENESIS_L1, vec![]);
    let last = &seq.blocks[blocks as usize - 1].1;
    assert!(
        last.timestamp > origin.timestamp + drift,
        "the batch runs past the drift"
    );

    let step = deriver
        .advance(&input(GENESIS_L1 + 1, vec![], vec![seq.batch_from(0, 0)]))
        .expect("derives");
    assert!(step.blocks.is_empty(), "no block of the batch is derived");
    let [dropped] = step.dropped.as_slice() else {
        panic!("one dropped batch expected, got {:?}", step.dropped);
    };
    // Block i of the batch has timestamp genesis + i + 1, and genesis is the origin's timestamp.
    let first_past = drift as usize;
    assert_eq!(
        dropped.reason,
        BatchRejection::TooFarAhead {
            index: first_past,
            timestamp: origin.timestamp + drift + 1,
            origin_timestamp: origin.timestamp,
            max_drift: drift,
        }
    );

    // The same blocks up to the drift are accepted.
    let (mut seq, mut deriver) = Sequencer::new(&[]);
    for _ in 0..first_past {
        seq.build(GENESIS_L1, &deposits_table, vec![]);
    }
    let step = deriver
        .advance(&input(GENESIS_L1 + 1, vec![], vec![seq.batch_from(0, 0)]))
        .expect("derives");
    assert_eq!(step.dropped, vec![]);
    assert_eq!(step.blocks.len(), first_past);
}

/// Past the drift, op-node's exception: empty blocks may go on while the next L1 block is later
/// than them (L1's clock jumped: L2 catches up), but a block with transactions may not.
#[wasm_bindgen_test]
#[test]
fn past_the_drift_only_empty_blocks_before_the_next_origin_are_derived() {
    let key = Key::new(1);
    let drift = config().max_sequencer_drift;
    let jumped = L1Input {
        block: L1Origin {
            timestamp: l1_origin(GENESIS_L1, vec![]).timestamp + drift + 100,
            ..l1_origin(GENESIS_L1 + 1, vec![])
        },
        parent_hash: l1_hash(GENESIS_L1),
        batches: vec![],
    };
    let blocks = drift + 50;

    let (mut seq, mut deriver) = Sequencer::new(&[key.address]);
    for _ in 0..blocks {
        seq.build(GENESIS_L1, &deposits_table, vec![]);
    }
    let mut input = jumped.clone();
    input.batches = vec![seq.batch_from(0, 0)];
    let step = deriver.advance(&input).expect("derives");
    assert_eq!(step.dropped, vec![]);
    assert_eq!(
        step.blocks.len() as u64,
        blocks,
        "L2 catches up with empty blocks"
    );

    let (mut seq, mut deriver) = Sequencer::new(&[key.address]);
    for _ in 0..blocks - 1 {
        seq.build(GENESIS_L1, &deposits_table, vec![]);
    }
    let id = seq.chain.config.chain_id;
    let transfer = key.sign(tx(
        id,
        0,
        TxKind::Call(Address::repeat_byte(9)),
        1,
        Bytes::new(),
    ));
    seq.build(GENESIS_L1, &deposits_table, vec![transfer]);
    let mut input = jumped;
    input.batches = vec![seq.batch_from(0, 0)];
    let step = deriver.advance(&input).expect("derives");
    assert!(step.blocks.is_empty());
    assert!(
        matches!(
            step.dropped.as_slice(),
            [DroppedBatch { reason: BatchRejection::TooFarAhead { index, .. }, .. }] if *index as u64 == blocks - 1
        ),
        "{:?}",
        step.dropped
    );
}

#[test]
fn the_config_hash_commits_to_every_parameter() {
    let base = ChainConfig::devnet();
    let mut changed = vec![];
    let mut each = |f: &dyn Fn(&mut ChainConfig)| {
        let mut c = base.clone();
        f(&mut c);
        changed.push(c.hash());
    };
    each(&|c| c.chain_id += 1);
    each(&|c| c.block_time += 1);
    each(&|c| c.genesis_timestamp += 1);
    each(&|c| c.sequencing_window += 1);
    each(&|c| c.max_batch_size += 1);
    each(&|c| c.block_gas_limit += 1);
    each(&|c| c.genesis_base_fee += 1);
    each(&|c| c.spec_id = revm::primitives::hardfork::SpecId::SHANGHAI);
    each(&|c| c.fee_recipient = Address::repeat_byte(1));
    each(&|c| c.max_sequencer_drift += 1);
    let mut all: Vec<B256> = changed.clone();
    all.push(base.hash());
    all.sort();
    all.dedup();
    assert_eq!(all.len(), changed.len() + 1, "every field moves the hash");
}
