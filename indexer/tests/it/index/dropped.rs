//! L1 drops the batcher's transactions (`anvil_dropTransaction`) while they wait to be mined: each
//! is broadcast again, and every L2 block becomes safe exactly once (case 10 of
//! `docs/reliability.md`).

use std::time::{Duration, Instant};

use alloy::{primitives::B256, providers::Provider};
use indexer::{
    genesis::{BATCHER_KEY_INDEX, dev_signer},
    index::query::{BatchView, Page},
};

use super::{Backend, IndexHarness, assert_consistent, recipient};
use crate::{
    chaos::Figures,
    sequencer::{end_to_end::wait_receipt, transfer},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batcher_transactions_l1_drops_are_resent_and_each_block_is_safe_once() {
    let x = IndexHarness::start_with(Backend::Sqlite, "dropped", |c| {
        c.l1_sender.resubmit_after = Duration::from_secs(3);
    })
    .await;
    let h = &x.h;
    let l1 = &h.l1;
    let batcher = dev_signer(BATCHER_KEY_INDEX).address();
    let sender = dev_signer(6);
    let drops = crate::chaos::scale("L1_DROPS", 2);
    let deadline = Instant::now() + Duration::from_secs(120 + 30 * drops);
    let mut hashes = Vec::new();
    for round in 0..drops {
        hashes.push(
            *h.l2
                .send_raw_transaction(&transfer(&sender, round, recipient(6), 1))
                .await
                .expect("transfer")
                .tx_hash(),
        );
        // Hold L1 still until the batcher's next transaction waits in the pool, then drop it.
        let _: serde_json::Value = l1
            .raw_request("evm_setIntervalMining".into(), (0u64,))
            .await
            .expect("stop mining");
        let until = Instant::now() + Duration::from_secs(60);
        let hash = loop {
            let pool: serde_json::Value = l1
                .raw_request("txpool_content".into(), ())
                .await
                .expect("txpool_content");
            let mine = pool["pending"]
                .as_object()
                .and_then(|by| {
                    by.iter()
                        .find(|(from, _)| from.eq_ignore_ascii_case(&batcher.to_string()))
                })
                .and_then(|(_, txs)| txs.as_object()?.values().next()?["hash"].as_str())
                .map(|h| h.parse::<B256>().expect("a hash"));
            if let Some(hash) = mine {
                break hash;
            }
            assert!(Instant::now() < until, "the batcher sent nothing");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let _: serde_json::Value = l1
            .raw_request("anvil_dropTransaction".into(), (hash,))
            .await
            .expect("anvil_dropTransaction");
        let _: serde_json::Value = l1
            .raw_request("evm_setIntervalMining".into(), (1u64,))
            .await
            .expect("mine again");
        assert!(
            l1.get_transaction_by_hash(hash)
                .await
                .expect("query")
                .is_none_or(|t| t.block_number.is_some()),
            "dropped"
        );
    }
    let mut last = 0;
    for hash in &hashes {
        last = last.max(
            wait_receipt(&h.l2, *hash, deadline)
                .await
                .block_number
                .expect("mined"),
        );
    }
    x.wait_safe(last, Duration::from_secs(120)).await;

    // Each block is carried by exactly one accepted batch, and no batch was a duplicate.
    let batches: Page<BatchView> = x.get_ok("/batches?limit=100").await;
    let mut ranges: Vec<(u64, u64)> = batches
        .items
        .iter()
        .inspect(|b| assert_eq!(b.status, "accepted", "{b:?}"))
        .map(|b| (b.first_block.expect("first"), b.last_block.expect("last")))
        .collect();
    ranges.sort();
    let mut next = 1;
    for (first, last) in &ranges {
        assert_eq!(*first, next, "batches {ranges:?}");
        next = last + 1;
    }
    let compared = assert_consistent(x.shared(), &h.devnet.sequencer).await;
    Figures {
        case: 10,
        test: "batcher transactions dropped by L1",
        tried: drops,
        faults: drops,
        compared,
        detail: format!(
            "{drops} batch transactions dropped from L1's pool, each broadcast again; {} batches, all accepted, carry blocks 1 to {} once each; {compared} derived blocks equal the sequencer's",
            ranges.len(),
            next - 1
        ),
    }
    .report();
}
