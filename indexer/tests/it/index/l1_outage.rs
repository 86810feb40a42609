//! L1 goes away (anvil stopped) and comes back (restarted on the same chain): the sequencer keeps
//! serving L2, the API says L1 is unreachable meanwhile, and the index, the batcher and the proposer
//! resume where they were (case 9 of `docs/reliability.md`).

use std::time::{Duration, Instant};

use alloy::providers::Provider;
use indexer::api::StatusResponse;

use super::{Backend, IndexHarness, assert_consistent, recipient};
use crate::{
    chaos::Figures,
    sequencer::{end_to_end::wait_receipt, transfer},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l1_stopped_and_restarted_everything_waits_and_resumes() {
    let mut x = IndexHarness::start(Backend::Sqlite, "outage").await;
    let sender = indexer::genesis::dev_signer(6);
    let deadline = Instant::now() + Duration::from_secs(180);
    let l2 = x.h.l2.clone();
    let send = |nonce: u64| {
        let l2 = l2.clone();
        let raw = transfer(&sender, nonce, recipient(3), 1 + nonce);
        async move {
            *l2.send_raw_transaction(&raw)
                .await
                .expect("transfer")
                .tx_hash()
        }
    };
    let before = send(0).await;
    let block = wait_receipt(&x.h.l2, before, deadline)
        .await
        .block_number
        .expect("mined");
    x.wait_safe(block, Duration::from_secs(120)).await;

    let outages = crate::chaos::scale("L1_OUTAGES", 1);
    let down = Duration::from_secs(crate::chaos::scale("L1_DOWN_SECONDS", 8));
    let mut hashes = vec![before];
    let mut nonce = 1;
    for _ in 0..outages {
        let stopped_at = x.h.stop_l1().await;
        // The API says L1 is unreachable, and keeps serving what it has.
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let status: StatusResponse = x.get_ok("/status").await;
            if !status.l1.reachable {
                assert!(status.l1.error.is_some(), "{status:?}");
                assert_eq!(status.l1.head, None);
                break;
            }
            assert!(Instant::now() < until, "L1 still reachable: {status:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let (code, _) = x.get(&format!("/blocks/{block}")).await;
        assert_eq!(code, 200, "derived blocks are still served");
        // The sequencer keeps taking transactions while L1 is away.
        hashes.push(send(nonce).await);
        nonce += 1;
        tokio::time::sleep(down).await;
        let status: StatusResponse = x.get_ok("/status").await;
        assert!(!status.l1.reachable, "{status:?}");
        x.h.start_l1(stopped_at).await;
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let status: StatusResponse = x.get_ok("/status").await;
            if status.l1.reachable {
                break;
            }
            assert!(Instant::now() < until, "L1 unreachable after the restart");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // And after: everything sent became safe, the index equals the sequencer, and the last
    // indexing error cleared.
    hashes.push(send(nonce).await);
    let mut last = 0;
    for hash in &hashes {
        let receipt = wait_receipt(&x.h.l2, *hash, deadline).await;
        assert!(receipt.status());
        last = last.max(receipt.block_number.expect("mined"));
    }
    x.wait_safe(last, Duration::from_secs(180)).await;
    let until = Instant::now() + Duration::from_secs(30);
    while x.shared().status().error.is_some() {
        assert!(
            Instant::now() < until,
            "the indexing error stays: {:?}",
            x.shared().status()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let compared = assert_consistent(x.shared(), &x.h.devnet.sequencer).await;
    Figures {
        case: 9,
        test: "L1 stopped and restarted",
        tried: outages,
        faults: outages,
        compared,
        detail: format!(
            "{outages} outage(s) of {} s: the API said L1 was unreachable, transfers sent meanwhile became safe, {compared} derived blocks equal the sequencer's",
            down.as_secs()
        ),
    }
    .report();
}
