//! An L1 reorganisation over blocks holding batches: the index rolls back to the fork point and
//! derives again, ending equal to a clean derivation of the final L1 chain.

use std::time::{Duration, Instant};

use alloy::providers::Provider;
use indexer::{
    api::StatusResponse,
    index::{self, query::BatchView, query::Page},
};
use sqlx::Row;

use super::{
    Backend, IndexHarness, assert_consistent, derive_again, freeze_l1, recipient, reorg_l1,
};
use crate::sequencer::{end_to_end::wait_receipt, transfer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_index_follows_an_l1_reorg_over_batches() {
    rolls_back_and_rederives(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_index_follows_an_l1_reorg_over_batches() {
    rolls_back_and_rederives(Backend::Postgres).await;
}

async fn rolls_back_and_rederives(backend: Backend) {
    let x = IndexHarness::start(backend, "reorg").await;
    let h = &x.h;
    let deadline = Instant::now() + Duration::from_secs(120);
    let sender = indexer::genesis::dev_signer(6);
    let mut last = 0;
    for nonce in 0..6 {
        let hash = *h
            .l2
            .send_raw_transaction(&transfer(&sender, nonce, recipient(1), 1))
            .await
            .expect("transfer")
            .tx_hash();
        last = last.max(
            wait_receipt(&h.l2, hash, deadline)
                .await
                .block_number
                .expect("mined"),
        );
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    x.wait_safe(last, Duration::from_secs(120)).await;
    let batches: Page<BatchView> = x.get_ok("/batches").await;
    let newest = batches
        .items
        .iter()
        .find(|b| b.status == "accepted")
        .expect("an accepted batch");
    let head = h.l1.get_block_number().await.expect("head");
    let depth = head - newest.l1_block + 2;
    let before = x.shared().status().reorgs;
    reorg_l1(h, depth).await;
    let canonical =
        h.l1.get_block_by_number(newest.l1_block.into())
            .await
            .expect("L1")
            .expect("block");
    assert_ne!(
        canonical.header.hash,
        x.shared()
            .db
            .l1_hash(newest.l1_block)
            .await
            .expect("db")
            .unwrap_or_default(),
        "the reorg replaced the batch's L1 block"
    );
    let until = Instant::now() + Duration::from_secs(60);
    while x.shared().status().reorgs == before {
        assert!(Instant::now() < until, "the index never noticed the reorg");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Stop L1 so that the index and a clean derivation see the same chain, then compare.
    let final_head = freeze_l1(h, &[x.shared()]).await;
    let clean = derive_again(h, &h.l1_url(), backend, x.dir.path(), final_head).await;
    // Every L1 block the index holds is canonical.
    for row in sqlx::query("SELECT number, hash FROM l1_blocks ORDER BY number")
        .fetch_all(x.shared().db.pool())
        .await
        .expect("l1 blocks")
    {
        let number = row.get::<i64, _>(0) as u64;
        let hash: String = row.get(1);
        let canonical =
            h.l1.get_block_by_number(number.into())
                .await
                .expect("L1")
                .expect("block");
        assert_eq!(
            hash,
            index::db::hex(canonical.header.hash),
            "L1 block {number}"
        );
    }
    assert_consistent(x.shared(), &h.devnet.sequencer).await;
    assert_eq!(
        without_state(&x.shared().db.dump().await.expect("dump")),
        without_state(&clean.shared.db.dump().await.expect("dump")),
        "the rolled-back index equals a clean derivation"
    );
}

/// A dump without the content-addressed tables (a rollback keeps nodes of orphaned states).
pub(crate) fn without_state(dump: &str) -> String {
    dump.split("== trie_nodes")
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_below_l1_finality_is_refused_with_an_alert_and_rewrites_nothing() {
    let x = IndexHarness::start(Backend::Sqlite, "deep").await;
    let h = &x.h;
    // anvil finalizes 64 blocks behind its head: mine past that, ten blocks at a time with pauses
    // for the batcher, until the index has recorded a finalized L1 block above a batch.
    let mut batches: Page<BatchView>;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "no batch reached L1 finality");
        let _: serde_json::Value =
            h.l1.raw_request("anvil_mine".into(), (10u64, 1u64))
                .await
                .expect("anvil_mine");
        tokio::time::sleep(Duration::from_secs(2)).await;
        let finalized = x.shared().db.l1_finalized().await.expect("db");
        batches = x.get_ok("/batches").await;
        let oldest = batches.items.iter().map(|b| b.l1_block).min();
        if finalized.zip(oldest).is_some_and(|(f, b)| f > b + 2) {
            break;
        }
    }
    let finalized = x
        .shared()
        .db
        .l1_finalized()
        .await
        .expect("db")
        .expect("some");
    // Freeze L1 and let the index take everything, then replace L1 from below its finalized block.
    let head = freeze_l1(h, &[x.shared()]).await;
    let before = x.shared().db.dump().await.expect("dump");
    let depth = head - finalized + 3;
    reorg_l1(h, depth).await;

    // The alert: in the status, on every round, and in the metrics; the reorg is not followed.
    let until = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let status: StatusResponse = x.get_ok("/status").await;
        if status
            .index
            .error
            .as_deref()
            .is_some_and(|e| e.contains("ALERT"))
        {
            break status;
        }
        assert!(Instant::now() < until, "no alert: {status:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let alert = status.index.error.expect("alert");
    assert!(alert.contains("finalized"), "{alert}");
    assert_eq!(status.index.reorgs, 0, "the reorg was not followed");
    let metrics = x
        .http
        .get(x.api.replace("/api/v1", "/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.lines().any(
            |l| l.starts_with("rollup_indexer_deep_reorgs_refused_total") && !l.ends_with(" 0")
        ),
        "{metrics}"
    );
    // Nothing was rewritten, and the API still serves what was derived.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(x.shared().db.dump().await.expect("dump"), before);
    let first = &batches.items.last().expect("a batch");
    let batch: BatchView = x.get_ok(&format!("/batches/{}", first.index)).await;
    assert_eq!(batch.l1_block, first.l1_block);
    crate::chaos::Figures {
        case: 7,
        test: "reorg below L1 finality",
        tried: 1,
        faults: 1,
        compared: before.lines().count() as u64,
        detail: format!(
            "a {depth}-block reorg under finalized block {finalized}: refused with an alert; the index dump ({} lines) unchanged",
            before.lines().count()
        ),
    }
    .report();
}
