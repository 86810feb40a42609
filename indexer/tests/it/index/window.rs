//! The batcher stays away longer than the sequencing window (its L1 account runs dry): derivation
//! forces the expired origins' blocks with their deposits, the sequencer resets onto the derived
//! chain, its later batches are accepted, the transactions of its dropped blocks are mined again or
//! reported lost, and a second derivation of the same L1 chain gives the same chain (case 4 of
//! `docs/reliability.md`).

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

use super::{
    Backend, IndexHarness, assert_sequencer_is_derived, derive_again, freeze_l1, recipient,
    reorg_l1,
};
use crate::{
    chaos::Figures,
    index::reorg::without_state,
    sequencer::{end_to_end::wait_receipt, transfer},
};

/// L1 blocks an L2 block's origin stays usable; short, so that the test waits seconds.
const WINDOW: u64 = 8;

/// A devnet with a short sequencing window whose first transfer (nonce 0 of dev key 6) is safe;
/// returns the harness and that transfer's block.
async fn started(name: &str) -> (IndexHarness, u64) {
    let x = IndexHarness::start_with(Backend::Sqlite, name, |c| {
        c.chain.sequencing_window = WINDOW;
        c.batcher.window_margin = 3;
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(180);
    let hash =
        *x.h.l2
            .send_raw_transaction(&transfer(&dev_signer(6), 0, recipient(4), 7))
            .await
            .expect("transfer")
            .tx_hash();
    let block = wait_receipt(&x.h.l2, hash, deadline)
        .await
        .block_number
        .expect("mined");
    x.wait_safe(block, Duration::from_secs(120)).await;
    (x, block)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batcher_away_past_the_window_gets_deposits_forced_and_its_late_batch_dropped() {
    let (x, block) = started("window").await;
    let h = &x.h;
    let deadline = Instant::now() + Duration::from_secs(180);
    let sender = dev_signer(6);

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
    let sequenced_in = wait_receipt(&h.l2, unsafe_hash, deadline)
        .await
        .block_number
        .expect("sequenced");
    assert!(sequenced_in > block);

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
    // The sequencer's blocks from the first forced one on will never be safe: it resets onto the
    // derived chain (op-node's reset), and its transactions go back to the pool.
    let until = Instant::now() + Duration::from_secs(60);
    while h.devnet.sequencer.resets() == 0 {
        assert!(
            Instant::now() < until,
            "the sequencer never reset: {:?}",
            x.shared().status().divergence
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let reset_head = h.devnet.sequencer.reset_head();
    assert!(
        reset_head >= block,
        "the reset adopted the derived chain up to {reset_head}"
    );

    // The batcher returns: it posts from the derived head, and its batches are accepted.
    let _: serde_json::Value =
        h.l1.raw_request("anvil_setBalance".into(), (batcher, funds))
            .await
            .expect("anvil_setBalance");
    let until = Instant::now() + Duration::from_secs(150);
    let accepted = loop {
        let batches: Page<BatchView> = x.get_ok("/batches?limit=100").await;
        if let Some(new) = batches.items.iter().find(|b| {
            !batches_before.items.iter().any(|old| old.index == b.index) && b.status == "accepted"
        }) {
            break new.clone();
        }
        assert!(
            Instant::now() < until,
            "no later batch was accepted: {:?}",
            batches
                .items
                .iter()
                .map(|b| (b.index, b.status.clone(), b.reason.clone()))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let late_dropped = x
        .get_ok::<Page<BatchView>>("/batches?limit=100")
        .await
        .items
        .iter()
        .filter(|b| {
            !batches_before.items.iter().any(|old| old.index == b.index) && b.status == "dropped"
        })
        .count();

    // The transfer sequenced while the batcher was away is mined again and derived, or the
    // sequencer says why it no longer applies.
    let until = Instant::now() + Duration::from_secs(120);
    let fate = loop {
        if let Some(reason) = h.devnet.sequencer.lost_reason(&unsafe_hash) {
            break format!("reported lost ({reason})");
        }
        let (status, body) = x.get(&format!("/txs/{unsafe_hash}")).await;
        if status == 200 {
            break format!("mined again in derived block {}", body["block_number"]);
        }
        assert!(
            Instant::now() < until,
            "transfer {unsafe_hash} was neither mined again nor reported lost"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    // The sequencer's chain is the derived chain.
    let safe = x.shared().status().safe_head;
    assert_sequencer_is_derived(&x, block, safe).await;
    eprintln!(
        "reset adopted blocks through {reset_head}; batch {} accepted ({late_dropped} dropped); the transfer {fate}",
        accepted.index
    );

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
            "window {WINDOW}: {forced} blocks forced, the deposit included; the sequencer reset onto the derived chain (through block {reset_head}), batch {} then accepted ({late_dropped} late ones dropped), the transfer sent while the batcher was away {fate}; blocks {block} to {safe} equal the derived ones; two derivations' dumps ({} lines) equal",
            accepted.index,
            first.lines().count()
        ),
    }
    .report();
}

/// An L1 reorganisation takes the L1 block the sequencer's newest blocks name as their origin:
/// derivation drops the batches that name it, forces blocks when the window closes, and the
/// sequencer resets onto the derived chain, after which its batches are accepted again and a
/// transfer sent after the reorganisation is derived.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorganisation_taking_the_sequencers_origin_ends_in_a_reset() {
    let (x, block) = started("origin-reorg").await;
    let h = &x.h;
    let sender = dev_signer(6);

    // Replace L1 from the sequencer's current origin on.
    let seq = &h.devnet.sequencer;
    let (origin, origin_hash) = seq.origin_of(&seq.head());
    let l1_head = h.l1.get_block_number().await.expect("head");
    let depth = l1_head - origin + 1;
    reorg_l1(h, depth).await;
    let replaced =
        h.l1.get_block_by_number(origin.into())
            .await
            .expect("L1")
            .expect("block")
            .header
            .hash;
    assert_ne!(replaced, origin_hash, "the reorganisation took the origin");

    let until = Instant::now() + Duration::from_secs(120);
    while seq.resets() == 0 {
        assert!(
            Instant::now() < until,
            "the sequencer never reset: {:?}",
            x.shared().status()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // After the reset, a new transfer is sequenced, batched and derived, on the derived chain.
    let after = *h
        .l2
        .send_raw_transaction(&transfer(&sender, 1, recipient(4), 8))
        .await
        .expect("transfer")
        .tx_hash();
    let until = Instant::now() + Duration::from_secs(150);
    let derived_in = loop {
        let (status, body) = x.get(&format!("/txs/{after}")).await;
        if status == 200 {
            break body["block_number"].as_u64().expect("a block number");
        }
        assert!(
            Instant::now() < until,
            "the transfer sent after the reorganisation was never derived"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_sequencer_is_derived(&x, block, derived_in).await;
    Figures {
        case: 4,
        test: "L1 reorganisation of the sequencer's origin",
        tried: 1,
        faults: 1,
        compared: derived_in - block + 1,
        detail: format!(
            "a {depth}-block reorganisation replaced origin {origin}; the sequencer reset {} time(s) onto the derived chain; a transfer sent afterwards was derived in block {derived_in}; blocks {block} to {derived_in} equal the derived ones",
            seq.resets()
        ),
    }
    .report();
}
