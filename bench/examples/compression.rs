//! Size and time of the benchmark workload's batches at several brotli qualities: the measurement
//! behind `light_node::DEFAULT_COMPRESSION`.
//!
//! `cargo run --release -p bench --example compression`

use std::time::Instant;

use bench::workload;
use light_node::{decode_batch, encode_batch};

fn main() {
    // A batch of about 128 KiB compressed in blocks of 100 transactions, and one of about 2 MiB in
    // blocks as full as the sequencer benchmark's.
    for (target, per_block) in [(128 * 1024, 100), (2 * 1024 * 1024, 7_700)] {
        let request = workload::verify_request(target, per_block);
        let batch = decode_batch(&request.batch, usize::MAX).expect("the workload's batch decodes");
        let raw = alloy_rlp::encode(&batch).len();
        println!("batch of {} blocks, {raw} bytes of RLP", batch.blocks.len());
        for quality in [1, 2, 3, 4, 5, 6, 9, 11] {
            let start = Instant::now();
            let size = encode_batch(&batch, quality).len();
            println!(
                "  quality {quality:>2}: {size:>9} bytes ({:.3} of the RLP) in {:>9.1} ms",
                size as f64 / raw as f64,
                start.elapsed().as_secs_f64() * 1e3
            );
        }
    }
}
