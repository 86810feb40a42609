//! The batcher stays away longer than the sequencing window (its L1 account runs dry): derivation
//! forces the expired origins' blocks with their deposits, drops the batch that comes late, and a
//! second derivation of the same L1 chain gives the same chain (case 4 of `docs/reliability.md`).

use std::time::{Duration, Instant};

use alloy::{
    primitives::{Address, Bytes, U256},
    providers::Provider,
};
use contracts::Rollup;
use indexer::{
    genesis::{BATCHER_KEY_INDEX, dev_signer},
    index::query::{AccountView, BatchView, Page},
};

use super::{Backend, IndexHarness, derive_again, freeze_l1, recipient};
use crate::{
    chaos::Figures,
    index::reorg::without_state,
    sequencer::{end_to_end::wait_receipt, transfer},
};

/// L1 blocks an L2 block's origin stays usable; short, so that the test waits seconds.
const WINDOW: u64 = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batcher_away_past_the_window_gets_deposits_forced_and_its_late_batch_dropped() {
    let x = IndexHarness::start_with(Backend::Sqlite, "window", |c| {
        c.chain.sequencing_window = WINDOW;
        c.batcher.window_margin = 3;
    })
    .await;
    let h = &x.h;
    let deadline = Instant::now() + Duration::from_secs(180);
    let sender = dev_signer(6);
    let hash = *h
        .l2
        .send_raw_transaction(&transfer(&sender, 0, recipient(4), 7))
        .await
        .expect("transfer")
        .tx_hash();
    let block = wait_receipt(&h.l2, hash, deadline)
        .await
        .block_number
        .expect("mined");
    x.wait_safe(block, Duration::from_secs(120)).await;

    // The batcher's L1 account runs dry; a deposit and an L2 transfer follow.
    let batcher = dev_signer(BATCHER_KEY_INDEX).address();
    let funds = h.l1.get_balance(batcher).await.expect("balance");
    let _: serde_json::Value =
        h.l1.raw_request("anvil_setBalance".into(), (batcher, U256::ZERO))
            .await
            .expect("anvil_setBalance");
    let batches_before: Page<BatchView> = x.get_ok("/batches?limit=100").await;
    let depositee = Address::repeat_byte(0xd4);
    let amount = U256::from(123_456_789u64);
    let receipt = Rollup::new(h.devnet.genesis.rollup, h.l1_wallet(5))
        .deposit(depositee, 100_000, Bytes::new())
        .value(amount)
        .send()
        .await
        .expect("deposit sent")
        .get_receipt()
        .await
        .expect("deposit mined");
    let deposit_l1 = receipt.block_number.expect("mined");
    let unsafe_hash = *h
        .l2
        .send_raw_transaction(&transfer(&sender, 1, recipient(4), 8))
        .await
        .expect("transfer")
        .tx_hash();
    let unsafe_block = wait_receipt(&h.l2, unsafe_hash, deadline)
        .await
        .block_number
        .expect("sequenced");

    // The deposit's origin expires: derivation forces its block, and the deposit lands on L2.
    let until = Instant::now() + Duration::from_secs(90);
    loop {
        let account: AccountView = x.get_ok(&format!("/accounts/{depositee}")).await;
        if account.balance == amount.to_string() {
            break;
        }
        assert!(
            Instant::now() < until,
            "the deposit of L1 block {deposit_l1} was never forced in: {account:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let status = x.shared().status();
    let divergence = status
        .divergence
        .expect("the sequencer's chain is no longer the derived one");
    assert!(divergence.number <= unsafe_block, "{divergence:?}");

    // The batcher returns; what it posts now is too late and is dropped, with the reason.
    let _: serde_json::Value =
        h.l1.raw_request("anvil_setBalance".into(), (batcher, funds))
            .await
            .expect("anvil_setBalance");
    let until = Instant::now() + Duration::from_secs(90);
    let late = loop {
        let batches: Page<BatchView> = x.get_ok("/batches?limit=100").await;
        if let Some(late) = batches
            .items
            .iter()
            .find(|b| !batches_before.items.iter().any(|old| old.index == b.index))
            && late.status != "pending"
        {
            break late.clone();
        }
        assert!(Instant::now() < until, "the late batch never came");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(late.status, "dropped", "{late:?}");
    let reason = late.reason.clone().expect("a reason");
    eprintln!("late batch {}: {reason}", late.index);

    // Every derivation of this L1 chain gives the same chain.
    let head = freeze_l1(h, &[x.shared()]).await;
    let again = derive_again(h, &h.l1_url(), Backend::Sqlite, x.dir.path(), head).await;
    let first = without_state(&x.shared().db.dump().await.expect("dump"));
    assert_eq!(
        first,
        without_state(&again.shared.db.dump().await.expect("dump")),
        "two derivations of one L1 chain agree"
    );
    let forced = x.shared().status().safe_head - block;
    Figures {
        case: 4,
        test: "batcher away past the sequencing window",
        tried: 1,
        faults: 1,
        compared: first.lines().count() as u64,
        detail: format!(
            "window {WINDOW}: {forced} blocks forced, the deposit included, the late batch dropped ({reason}); two derivations' dumps ({} lines) equal",
            first.lines().count()
        ),
    }
    .report();
}
