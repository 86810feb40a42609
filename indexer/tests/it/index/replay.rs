//! Determinism: the index a live derivation built while the devnet ran on anvil, and the index a
//! fresh derivation builds from the recorded L1 history (anvil's saved chain, served by another
//! anvil that mines nothing), hash the same (case 14 of `docs/reliability.md`).

use std::time::{Duration, Instant};

use alloy::{
    primitives::{Address, Bytes, U256, keccak256},
    providers::Provider,
};
use contracts::Rollup;
use indexer::anvil::{Anvil, AnvilConfig, free_loopback_addr};

use super::{Backend, IndexHarness, derive_again, freeze_l1, recipient};
use crate::{
    chaos::Figures,
    sequencer::{anvil_bin, end_to_end::wait_receipt, transfer},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_derivation_and_a_replay_of_the_recorded_l1_hash_the_same() {
    let mut x = IndexHarness::start(Backend::Sqlite, "live").await;
    let deadline = Instant::now() + Duration::from_secs(120);
    // A history: transfers, a deposit, batches and proposals.
    let l2 = x.h.l2.clone();
    let mut last = 0;
    for nonce in 0..6 {
        let hash = *l2
            .send_raw_transaction(&transfer(
                &indexer::genesis::dev_signer(5),
                nonce,
                recipient(7),
                1 + nonce,
            ))
            .await
            .expect("transfer")
            .tx_hash();
        last = last.max(
            wait_receipt(&l2, hash, deadline)
                .await
                .block_number
                .expect("mined"),
        );
        if nonce == 2 {
            Rollup::new(x.h.devnet.genesis.rollup, x.h.l1_wallet(9))
                .deposit(Address::repeat_byte(0xd7), 100_000, Bytes::new())
                .value(U256::from(5_000_000u64))
                .send()
                .await
                .expect("deposit")
                .get_receipt()
                .await
                .expect("deposit mined");
        }
    }
    x.wait_safe(last + 4, Duration::from_secs(120)).await;

    // Freeze L1, let the live index take all of it, and record L1 (anvil saves its chain on stop).
    let head = freeze_l1(&x.h, &[x.shared()]).await;
    let live = x.shared().db.dump().await.expect("dump");
    x.h.stop_l1().await;
    let recorded = x.dir.path().join("recorded-l1.json");
    std::fs::copy(x.h._dir.path().join("l1-state.json"), &recorded).expect("the recorded L1");
    let bytes = std::fs::metadata(&recorded).expect("recorded").len();

    // Replay: another anvil serves the recording and mines nothing; a fresh index derives it.
    let replay = Anvil::start_on_free_port(&AnvilConfig {
        bin: anvil_bin(),
        addr: free_loopback_addr().expect("port"),
        block_time: None,
        log_path: None,
        state: Some(recorded),
    })
    .await
    .expect("the replay anvil");
    let again = derive_again(&x.h, replay.url(), Backend::Sqlite, x.dir.path(), head).await;
    let replayed = again.shared.db.dump().await.expect("dump");
    let (live_hash, replay_hash) = (keccak256(&live), keccak256(&replayed));
    assert_eq!(live_hash, replay_hash, "dump hashes differ");
    assert_eq!(live, replayed);
    Figures {
        case: 14,
        test: "live and replayed derivation",
        tried: 1,
        faults: 0,
        compared: live.lines().count() as u64,
        detail: format!(
            "L1 blocks 0 to {head} recorded ({} KB); the live and the replayed index dumps ({} lines) both hash to {live_hash}",
            bytes / 1000,
            live.lines().count()
        ),
    }
    .report();
}
