//! Garbage posted to the Rollup contract with the batcher's key, one of each kind: no version byte,
//! random bytes, a truncated batch, junk after a valid batch, bad compression, well-compressed bytes
//! that are not RLP, a decompression bomb. Each is dropped with its reason; derivation goes on and
//! ends equal to the sequencer's chain (cases 1 and 2 of `docs/reliability.md`).

use std::time::{Duration, Instant};

use alloy::primitives::{B256, Bytes};
use contracts::Rollup;
use indexer::{genesis::BATCHER_KEY_INDEX, index::query::BatchView};
use light_node::{BATCH_VERSION, Batch, BatchBlock, encode_batch};

use super::{Backend, IndexHarness, assert_consistent, recipient};
use crate::chaos::Figures;
use crate::sequencer::{end_to_end::wait_receipt, transfer};

fn garbage() -> Vec<(&'static str, Vec<u8>)> {
    let block = BatchBlock {
        timestamp: 1,
        l1_origin_number: 1,
        l1_origin_hash: B256::repeat_byte(1),
        transactions: vec![Bytes::from_static(&[1, 2, 3])],
    };
    let valid = encode_batch(
        &Batch {
            parent_hash: B256::repeat_byte(2),
            blocks: vec![block.clone(); 4],
        },
        5,
    );
    // 9 MiB of zeros compress to almost nothing and exceed the 8 MiB decompression cap.
    let bomb = encode_batch(
        &Batch {
            parent_hash: B256::ZERO,
            blocks: vec![BatchBlock {
                transactions: vec![Bytes::from(vec![0u8; 9 * 1024 * 1024])],
                ..block
            }],
        },
        1,
    );
    let mut random = vec![BATCH_VERSION];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..300 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        random.push(seed as u8);
    }
    let mut dirty = valid.clone();
    dirty.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    let mut not_rlp = vec![BATCH_VERSION];
    {
        use std::io::Write;
        let mut writer = brotli::CompressorWriter::new(&mut not_rlp, 4096, 5, 22);
        writer
            .write_all(b"\xf9\xff\xff this is not the RLP of a batch")
            .expect("writing to a Vec");
    }
    vec![
        ("no version byte", valid[1..].to_vec()),
        ("random", random),
        ("truncated", valid[..valid.len() / 2].to_vec()),
        ("dirty append", dirty),
        (
            "bad compression",
            vec![BATCH_VERSION, 0xff, 0xff, 0xff, 0xff, 0x13, 0x37],
        ),
        ("malformed RLP", not_rlp),
        ("bomb", bomb),
    ]
}

/// A word the drop reason of each kind must contain (empty: any reason).
fn expected_reason(what: &str) -> &'static str {
    match what {
        "no version byte" => "version",
        "truncated" => "truncated",
        "dirty append" => "after the end of the compressed stream",
        "bad compression" => "brotli",
        "malformed RLP" => "RLP",
        "bomb" => "more than the cap",
        _ => "",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_from_the_batcher_key_is_dropped_and_derivation_goes_on() {
    let x = IndexHarness::start(Backend::Sqlite, "garbage").await;
    let h = &x.h;
    let rollup = Rollup::new(h.devnet.genesis.rollup, h.l1_wallet(BATCHER_KEY_INDEX));
    let mut posted = Vec::new();
    let kinds = garbage().len();
    for (what, data) in garbage() {
        // The devnet's batcher uses the same key: a nonce race is retried.
        let mut tries = 0;
        let receipt = loop {
            tries += 1;
            let sent = rollup.appendBatch(data.clone().into()).send().await;
            match sent {
                Ok(pending) => match pending.get_receipt().await {
                    Ok(r) => break r,
                    Err(e) if tries < 5 => eprintln!("{what}: {e}; again"),
                    Err(e) => panic!("{what}: {e}"),
                },
                Err(e) if tries < 5 => eprintln!("{what}: {e}; again"),
                Err(e) => panic!("{what}: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        };
        let index = receipt
            .inner
            .logs()
            .iter()
            .find_map(|l| l.log_decode::<Rollup::BatchAppended>().ok())
            .expect("BatchAppended")
            .inner
            .data
            .index;
        posted.push((what, index));
    }

    // Honest traffic after the garbage still becomes safe.
    let sender = indexer::genesis::dev_signer(7);
    let deadline = Instant::now() + Duration::from_secs(120);
    let hash = *alloy::providers::Provider::send_raw_transaction(
        &h.l2,
        &transfer(&sender, 0, recipient(2), 5),
    )
    .await
    .expect("transfer")
    .tx_hash();
    let block = wait_receipt(&h.l2, hash, deadline)
        .await
        .block_number
        .expect("mined");
    x.wait_safe(block, Duration::from_secs(120)).await;

    for (what, index) in posted {
        let batch: BatchView = x.get_ok(&format!("/batches/{index}")).await;
        assert_eq!(batch.status, "dropped", "{what}");
        let reason = batch.reason.expect("a reason");
        eprintln!("{what} (batch {index}): {reason}");
        assert!(!reason.is_empty());
        assert!(reason.contains(expected_reason(what)), "{what}: {reason}");
    }
    let compared = assert_consistent(x.shared(), &h.devnet.sequencer).await;
    Figures {
        case: 1,
        test: "garbage from the batcher key",
        tried: kinds as u64,
        faults: kinds as u64,
        compared,
        detail: format!(
            "{kinds} kinds (a decompression bomb among them) each dropped with its reason; {compared} derived blocks equal the sequencer's"
        ),
    }
    .report();
}
