//! Transactions that cannot be applied, inside a batch posted with the batcher's key: each is left
//! out of its block and the rest of the block applies, so the derived chain is still the
//! sequencer's (case 5 of `docs/reliability.md`).

use std::time::{Duration, Instant};

use alloy::{
    primitives::{Bytes, TxKind, U256},
    providers::Provider,
    signers::local::PrivateKeySigner,
};
use contracts::Rollup;
use indexer::{
    genesis::{BATCHER_KEY_INDEX, dev_signer},
    index::query::BatchView,
};
use light_node::{Batch, BatchBlock, ChainConfig, encode_batch};

use super::{Backend, IndexHarness, assert_consistent, recipient};
use crate::{
    chaos::Figures,
    sequencer::{end_to_end::wait_receipt, sign, sign_with, transfer},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_that_cannot_apply_are_left_out_and_the_rest_of_the_block_applies() {
    // The devnet's batcher never posts here (no size, age or window reaches its thresholds): this
    // test posts the batches.
    let x = IndexHarness::start_with(Backend::Sqlite, "unappliable", |c| {
        c.batcher.max_age = Duration::from_secs(3600);
        c.batcher.target_bytes = usize::MAX;
        c.batcher.window_margin = 0;
        c.chain.sequencing_window = 100_000;
    })
    .await;
    let h = &x.h;
    let deadline = Instant::now() + Duration::from_secs(120);
    let sender = dev_signer(6);
    let mut hashes = Vec::new();
    for nonce in 0..3 {
        hashes.push(
            *h.l2
                .send_raw_transaction(&transfer(&sender, nonce, recipient(5), 10 + nonce))
                .await
                .expect("transfer")
                .tx_hash(),
        );
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    let mut blocks = Vec::new();
    for hash in &hashes {
        blocks.push(
            wait_receipt(&h.l2, *hash, deadline)
                .await
                .block_number
                .expect("mined"),
        );
    }
    let last = *blocks.last().expect("blocks");
    // Ahead of the second transfer in its block, one of each kind that cannot apply.
    let chain_id = ChainConfig::devnet().chain_id;
    let stranger = PrivateKeySigner::random();
    let other = dev_signer(7);
    let bad: Vec<(&str, Bytes)> = vec![
        ("undecodable", Bytes::from_static(&[0x02, 0xc0, 0xff])),
        ("nonce gap", transfer(&other, 5, recipient(5), 1)),
        (
            "wrong chain id",
            sign_with(
                &other,
                chain_id + 1,
                0,
                TxKind::Call(recipient(5)),
                U256::from(1),
                Bytes::new(),
                21_000,
                10_000_000_000,
                1_000_000_000,
            ),
        ),
        ("unfunded sender", transfer(&stranger, 0, recipient(5), 1)),
        (
            "gas above the block's",
            sign(
                &other,
                0,
                TxKind::Call(recipient(5)),
                U256::from(1),
                Bytes::new(),
                ChainConfig::devnet().block_gas_limit + 1,
            ),
        ),
    ];
    let sequencer = &h.devnet.sequencer;
    let batch = Batch {
        parent_hash: sequencer.block(0).expect("genesis").hash,
        blocks: (1..=last)
            .map(|n| {
                let block = sequencer.block(n).expect("sequenced");
                let (origin, origin_hash) = sequencer.origin_of(&block);
                let mut transactions = block.batch_transactions();
                if n == blocks[1] {
                    let at = transactions.len() - 1;
                    for (_, raw) in bad.iter().rev() {
                        transactions.insert(at, raw.clone());
                    }
                }
                BatchBlock {
                    timestamp: block.header.timestamp,
                    l1_origin_number: origin,
                    l1_origin_hash: origin_hash,
                    transactions,
                }
            })
            .collect(),
    };
    let receipt = Rollup::new(h.devnet.genesis.rollup, h.l1_wallet(BATCHER_KEY_INDEX))
        .appendBatch(encode_batch(&batch, 9).into())
        .send()
        .await
        .expect("batch sent")
        .get_receipt()
        .await
        .expect("batch mined");
    assert!(receipt.status());
    let index = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| l.log_decode::<Rollup::BatchAppended>().ok())
        .expect("BatchAppended")
        .inner
        .data
        .index;

    x.wait_safe(last, Duration::from_secs(60)).await;
    let view: BatchView = x.get_ok(&format!("/batches/{index}")).await;
    assert_eq!(view.status, "accepted", "{view:?}");
    assert_eq!((view.first_block, view.last_block), (Some(1), Some(last)));
    // Every derived block, the one with the bad transactions among them, is the sequencer's; the
    // transfers after them applied.
    let compared = assert_consistent(x.shared(), sequencer).await;
    for hash in &hashes {
        let (code, _) = x.get(&format!("/txs/{hash}")).await;
        assert_eq!(code, 200, "transfer {hash} is in the derived chain");
    }
    // (The bad ones went in ahead of the block's last transfer, which is in the derived block.)
    let block = sequencer.block(blocks[1]).expect("block");
    assert!(!block.batch_transactions().is_empty());
    Figures {
        case: 5,
        test: "transactions that cannot apply, inside a batch",
        tried: bad.len() as u64,
        faults: bad.len() as u64,
        compared,
        detail: format!(
            "{} kinds ({}) left out of block {}; the transfer after them applied; {compared} derived blocks equal the sequencer's",
            bad.len(),
            bad.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", "),
            blocks[1]
        ),
    }
    .report();
}
