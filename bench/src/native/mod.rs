//! The native benchmarks.

mod api;
mod sequencer;

use std::{process::ExitCode, time::Instant};

use alloy_consensus::TxEnvelope;
use alloy_evm::FromRecoveredTx;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_trie::{EMPTY_ROOT_HASH, HashBuilder, KECCAK_EMPTY, Nibbles, TrieAccount};
use bench::{
    Figure, LIGHT_NODE_BATCH_BYTES, Samples, TXS_PER_BLOCK,
    workload::{self, History},
};
use light_node::{Deriver, L2Transaction, NodeStore, RootCheck, Trie, verify_batch};
use revm::{
    Context, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext,
    context::{BlockEnv, CfgEnv, TxEnv},
    database::{CacheDB, EmptyDB},
    state::AccountInfo,
};

/// Runs the benchmarks named on the command line (all when none is).
pub(crate) fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let mut names: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if names.is_empty() {
        names = vec!["trie", "derivation", "light-node", "sequencer"];
    }
    for name in names {
        let start = Instant::now();
        match name {
            "trie" => trie(quick),
            "derivation" => derivation(quick),
            "light-node" => light_node(quick),
            "sequencer" => sequencer::sequencer(quick),
            "api" => api::api(quick),
            "api-index" => api::prepare(quick),
            other => {
                eprintln!(
                    "bench: unknown benchmark {other:?} (trie, derivation, light-node, sequencer, api; api-index makes the API's index without measuring)"
                );
                return ExitCode::FAILURE;
            }
        }
        println!("bench: {name} took {:.0} s", secs(start));
    }
    ExitCode::SUCCESS
}

fn secs(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// The root of N accounts: our trie against alloy-trie's `HashBuilder` (which needs its keys
/// sorted; the sort is part of its time).
fn trie(quick: bool) {
    let (n, runs) = if quick { (10_000, 3) } else { (100_000, 7) };
    let accounts: Vec<(B256, Vec<u8>)> = (0..n as u64)
        .map(|i| {
            let account = TrieAccount {
                nonce: i,
                balance: U256::from(i) * U256::from(1_000_000_007u64),
                storage_root: EMPTY_ROOT_HASH,
                code_hash: KECCAK_EMPTY,
            };
            (keccak256(i.to_be_bytes()), alloy_rlp::encode(account))
        })
        .collect();
    let (mut ours, mut peer) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let start = Instant::now();
        let mut store = NodeStore::new();
        let mut trie = Trie::new();
        for (key, value) in &accounts {
            trie.insert(&mut store, key.as_slice(), Bytes::from(value.clone()))
                .expect("an in-memory trie takes any key");
        }
        let our_root = trie.root_hash();
        ours.push(secs(start) * 1e3);

        let start = Instant::now();
        let mut sorted: Vec<&(B256, Vec<u8>)> = accounts.iter().collect();
        sorted.sort_unstable_by_key(|(key, _)| *key);
        let mut builder = HashBuilder::default();
        for (key, value) in sorted {
            builder.add_leaf(Nibbles::unpack(key), value);
        }
        let their_root = builder.root();
        peer.push(secs(start) * 1e3);
        assert_eq!(our_root, their_root, "both tries give the same root");
    }
    let figure = Figure::new(
        "trie",
        &format!("root of {n} accounts"),
        "ms",
        false,
        &ours,
        "alloy-trie HashBuilder",
        &peer,
        ("none (reported)", |_, _| true),
    );
    println!("{}", figure.line());
}

/// Re-deriving an L1 history, against the same transactions' sender recovery on all cores plus
/// their execution by raw revm on an in-memory database (no trie, no receipts: the bound).
fn derivation(quick: bool) {
    let (l1_blocks, runs) = if quick { (4, 3) } else { (20, 5) };
    let history = workload::history(l1_blocks, TXS_PER_BLOCK);
    let blocks = history.blocks.len() as f64;
    let gas = history.gas_used as f64;
    let (mut ours, mut peer) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let state = history.genesis_state.clone();
        let start = Instant::now();
        let mut deriver = Deriver::new(
            history.config.clone(),
            state,
            history.genesis.clone(),
            history.genesis_origin.clone(),
        );
        // As the indexer derives: each batch's senders recovered on every core first.
        deriver.set_recovery_threads(threads());
        let mut derived = 0;
        for input in &history.inputs {
            derived += deriver
                .advance(input)
                .expect("the history derives")
                .blocks
                .len();
        }
        ours.push(secs(start));
        assert_eq!(derived as f64, blocks, "every block derives");
        peer.push(bound(&history));
    }
    let mgas = |t: &Vec<f64>| t.iter().map(|s| gas / s / 1e6).collect::<Vec<_>>();
    let per_s = |t: &Vec<f64>| t.iter().map(|s| blocks / s).collect::<Vec<_>>();
    let label = format!(
        "{} batches, {} blocks, {:.1} Mgas",
        history.inputs.len(),
        blocks,
        gas / 1e6
    );
    let goal: (&str, fn(f64, &bench::Spread) -> bool) = ("ratio >= 0.7", |r, _| r >= 0.7);
    for (metric, unit, ours, peer) in [
        ("derivation throughput", "Mgas/s", mgas(&ours), mgas(&peer)),
        (
            "derivation throughput",
            "blocks/s",
            per_s(&ours),
            per_s(&peer),
        ),
    ] {
        let figure = Figure::new(
            "derivation",
            &format!("{metric} ({label})"),
            unit,
            true,
            &ours,
            "raw revm + parallel sender recovery (bound)",
            &peer,
            goal,
        );
        println!("{}", figure.line());
    }
}

/// This machine's cores.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Seconds for the bound: recover every sender on all cores, then execute every transaction with
/// revm on an in-memory database.
fn bound(history: &History) -> f64 {
    let mut db = CacheDB::new(EmptyDB::default());
    for (address, balance) in &history.allocation {
        db.insert_account_info(
            *address,
            AccountInfo {
                balance: *balance,
                ..Default::default()
            },
        );
    }
    let mut cfg = CfgEnv::new_with_spec(history.config.spec_id);
    cfg.chain_id = history.config.chain_id;
    let raw: Vec<&Bytes> = history.blocks.iter().flat_map(|(_, txs)| txs).collect();
    let start = Instant::now();
    let chunk = raw.len().div_ceil(threads()).max(1);
    let recovered: Vec<(TxEnvelope, Address)> = std::thread::scope(|scope| {
        let handles: Vec<_> = raw
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|tx| L2Transaction::decode_signed(tx).expect("the workload decodes"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a recovery thread"))
            .collect()
    });
    let mut evm = Context::mainnet().with_db(db).with_cfg(cfg).build_mainnet();
    let mut next = recovered.iter();
    for (number, (timestamp, txs)) in history.blocks.iter().enumerate() {
        evm.set_block(BlockEnv {
            number: U256::from(number + 1),
            timestamp: U256::from(*timestamp),
            gas_limit: history.config.block_gas_limit,
            basefee: 1_000_000_000,
            beneficiary: history.config.fee_recipient,
            ..Default::default()
        });
        for _ in txs {
            let (tx, sender) = next.next().expect("one recovered per transaction");
            evm.transact_commit(TxEnv::from_recovered_tx(tx, *sender))
                .expect("the workload executes");
        }
    }
    secs(start)
}

/// Verifying the benchmark batch natively; `cargo xtask bench` sets these samples beside the
/// browser's.
fn light_node(quick: bool) {
    let runs = if quick { 3 } else { 7 };
    let request = workload::verify_request(LIGHT_NODE_BATCH_BYTES, TXS_PER_BLOCK);
    let mut ms = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let verdict = verify_batch(&request).expect("the benchmark batch verifies");
        ms.push(secs(start) * 1e3);
        assert!(
            verdict
                .blocks
                .iter()
                .all(|b| b.check != RootCheck::Mismatch)
        );
    }
    println!("{}", Samples::new("light-node-native", &request, ms).line());
}
