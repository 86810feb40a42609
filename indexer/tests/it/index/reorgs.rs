//! Random L1 reorganisations (depth 1 to 64) between bursts of L2 traffic: after each, once the
//! batcher has posted again what L1 lost, the API's balances and nonces equal an in-memory model of
//! the transactions the sequencer accepted (case 6 of `docs/reliability.md`).

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use alloy::{
    primitives::{Address, U256},
    providers::Provider,
};
use indexer::index::query::AccountView;

use super::{Backend, IndexHarness, assert_consistent, recipient, reorg_l1};
use crate::{
    chaos::{Figures, Xorshift},
    sequencer::{end_to_end::wait_receipt, transfer},
};

/// The deepest reorganisation tried; the sequencer takes L1 origins this deep, so reorganisations
/// replace batches and proposals but never an L2 block's origin.
const MAX_DEPTH: u64 = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_l1_reorgs_during_traffic_keep_balances_and_nonces_equal_to_a_model() {
    let x = IndexHarness::start_with(Backend::Sqlite, "reorgs", |c| {
        c.origin_confirmations = MAX_DEPTH;
        c.chain.sequencing_window = 4 * MAX_DEPTH;
    })
    .await;
    let h = &x.h;
    let rounds = crate::chaos::scale("REORGS", 2);
    let mut random = Xorshift::seeded("REORG_SEED");
    eprintln!("random reorgs: seed {:#x}, {rounds} rounds", random.seed);
    let senders: Vec<_> = (4..8).map(indexer::genesis::dev_signer).collect();
    let recipients: Vec<Address> = (0..6).map(|i| recipient(20 + i)).collect();

    // The model: balances and nonces as the accepted transactions leave them.
    let mut balance: BTreeMap<Address, U256> = BTreeMap::new();
    let mut nonce: BTreeMap<Address, u64> = BTreeMap::new();
    for who in senders
        .iter()
        .map(|s| s.address())
        .chain(recipients.iter().copied())
    {
        let account: AccountView = x.get_ok(&format!("/accounts/{who}")).await;
        balance.insert(who, account.balance.parse().expect("a balance"));
        nonce.insert(who, account.nonce);
    }
    // The L1 block the rollup was deployed in stays, so reorganisations reach deeper as L1 grows.
    // (L1 is not mined ahead to make room: that would move its clock ahead of L2's.)
    let deployed = h.devnet.genesis.l1_origin.number;
    let (mut sent, mut compared, mut depths, mut followed) = (0u64, 0u64, Vec::new(), 0u64);
    for _ in 0..rounds {
        // A burst of transfers, all accepted and executed by the sequencer.
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut pending = Vec::new();
        for _ in 0..8 {
            let from = &senders[random.below(senders.len() as u64) as usize];
            let to = recipients[random.below(recipients.len() as u64) as usize];
            let value = 1 + random.below(1_000_000);
            let n = nonce[&from.address()];
            let hash = *h
                .l2
                .send_raw_transaction(&transfer(from, n, to, value))
                .await
                .expect("transfer")
                .tx_hash();
            *nonce.get_mut(&from.address()).expect("sender") += 1;
            pending.push((hash, from.address(), to, value));
        }
        let mut last = 0;
        for (hash, from, to, value) in pending {
            let receipt = wait_receipt(&h.l2, hash, deadline).await;
            assert!(receipt.status());
            let fee = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
            *balance.get_mut(&from).expect("sender") -= U256::from(value) + fee;
            *balance.get_mut(&to).expect("recipient") += U256::from(value);
            last = last.max(receipt.block_number.expect("mined"));
            sent += 1;
        }
        // Let a batch or two land, then reorganise L1 to a random depth.
        tokio::time::sleep(Duration::from_millis(500 + random.below(4_000))).await;
        let head = h.l1.get_block_number().await.expect("head");
        let depth = 1 + random.below(MAX_DEPTH.min(head - deployed - 1));
        let reorgs = x.shared().status().reorgs;
        reorg_l1(h, depth).await;
        depths.push(depth);
        // The index is on the new chain once it holds L1's head block by its new hash.
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            let head = h.l1.get_block_number().await.expect("head");
            let hash =
                h.l1.get_block_by_number(head.into())
                    .await
                    .expect("L1")
                    .map(|b| b.header.hash);
            if x.shared().db.l1_hash(head).await.expect("db") == hash && hash.is_some() {
                break;
            }
            assert!(Instant::now() < until, "the index never took the reorg");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        if x.shared().status().reorgs > reorgs {
            followed += 1;
        }
        // Everything accepted becomes safe again, and the API agrees with the model.
        x.wait_safe(last, Duration::from_secs(120)).await;
        for (who, want) in &balance {
            let account: AccountView = x.get_ok(&format!("/accounts/{who}")).await;
            assert_eq!(account.balance, want.to_string(), "balance of {who}");
            assert_eq!(account.nonce, nonce[who], "nonce of {who}");
            compared += 2;
        }
    }
    let blocks = assert_consistent(x.shared(), &h.devnet.sequencer).await;
    Figures {
        case: 6,
        test: "random L1 reorgs during traffic",
        tried: rounds,
        faults: rounds,
        compared: compared + blocks,
        detail: format!(
            "seed {:#x}: reorgs of depth {depths:?} between {sent} transfers ({followed} reached blocks the index held and were rolled back); after each, {} balances and nonces equal the model; {blocks} derived blocks equal the sequencer's",
            random.seed,
            balance.len()
        ),
    }
    .report();
}
