//! Benchmark workloads and measurement helpers for `cargo xtask bench`.
//!
//! Every figure is measured beside a peer in the same run and reported as a ratio with the min,
//! median and max over repeated runs (`docs/benchmarks.md`).

pub mod workload;

use serde::{Deserialize, Serialize};

/// The compressed size of the light node's benchmark batch.
pub const LIGHT_NODE_BATCH_BYTES: usize = 128 * 1024;
/// Transactions per L2 block in the benchmark batch and history.
pub const TXS_PER_BLOCK: usize = 100;

/// Min, median and max of repeated measurements.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Smallest.
    pub min: f64,
    /// Median.
    pub median: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    /// The spread of `samples` (at least one).
    pub fn of(samples: &[f64]) -> Self {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Self {
            min: sorted[0],
            median,
            max: sorted[n - 1],
        }
    }
}

/// One figure of the report: ours beside a peer measured in the same run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// The benchmark (`trie`, `derivation`, …).
    pub bench: String,
    /// What is measured.
    pub metric: String,
    /// Its unit.
    pub unit: String,
    /// Whether more is better.
    pub higher_is_better: bool,
    /// Our measurements.
    pub ours: Spread,
    /// What we are compared with.
    pub peer_name: String,
    /// The peer's measurements.
    pub peer: Spread,
    /// `ours.median / peer.median`.
    pub ratio: f64,
    /// The goal, as `docs/benchmarks.md` states it (for example `ratio >= 0.7`).
    pub goal: String,
    /// Whether the goal is met.
    pub met: bool,
    /// Repetitions behind each spread.
    pub runs: usize,
}

/// The line prefix that marks a figure in a runner's output.
pub const FIGURE_PREFIX: &str = "BENCH-FIGURE ";

impl Figure {
    /// A figure from samples of ours and of the peer; `goal` judges the ratio of medians.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        bench: &str,
        metric: &str,
        unit: &str,
        higher_is_better: bool,
        ours: &[f64],
        peer_name: &str,
        peer: &[f64],
        goal: (&str, fn(f64, &Spread) -> bool),
    ) -> Self {
        let runs = ours.len();
        let (ours, peer_spread) = (Spread::of(ours), Spread::of(peer));
        let ratio = ours.median / peer_spread.median;
        Self {
            bench: bench.into(),
            metric: metric.into(),
            unit: unit.into(),
            higher_is_better,
            met: (goal.1)(ratio, &ours),
            ours,
            peer_name: peer_name.into(),
            peer: peer_spread,
            ratio,
            goal: goal.0.into(),
            runs,
        }
    }

    /// The line a runner prints for the figure.
    pub fn line(&self) -> String {
        format!(
            "{FIGURE_PREFIX}{}",
            serde_json::to_string(self).expect("a figure serializes")
        )
    }
}

/// The line prefix that marks raw samples in a runner's output.
pub const SAMPLES_PREFIX: &str = "BENCH-SAMPLES ";

/// Raw timings of the light node's benchmark batch, from one platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Samples {
    /// `light-node-native` or `light-node-wasm`.
    pub name: String,
    /// Milliseconds per verification.
    pub ms: Vec<f64>,
    /// The batch's compressed size.
    pub batch_bytes: usize,
    /// Its blocks.
    pub blocks: usize,
    /// Its transactions.
    pub transactions: usize,
}

impl Samples {
    /// Samples of verifying `request`.
    pub fn new(name: &str, request: &light_node::VerifyRequest, ms: Vec<f64>) -> Self {
        let batch = light_node::decode_batch(&request.batch, request.config.max_batch_size)
            .expect("the benchmark batch decodes");
        Self {
            name: name.into(),
            ms,
            batch_bytes: request.batch.len(),
            blocks: batch.blocks.len(),
            transactions: batch.blocks.iter().map(|b| b.transactions.len()).sum(),
        }
    }

    /// The line a runner prints.
    pub fn line(&self) -> String {
        format!(
            "{SAMPLES_PREFIX}{}",
            serde_json::to_string(self).expect("samples serialize")
        )
    }
}

#[cfg(test)]
mod tests {
    use light_node::{Deriver, RootCheck, verify_batch};

    use super::*;

    #[test]
    fn the_history_derives_to_the_chain_it_was_built_from() {
        let history = workload::history(2, 10);
        let mut deriver = Deriver::new(
            history.config.clone(),
            history.genesis_state.clone(),
            history.genesis.clone(),
            history.genesis_origin.clone(),
        );
        let mut derived = Vec::new();
        for input in &history.inputs {
            let step = deriver.advance(input).expect("derives");
            assert!(step.dropped.is_empty(), "{:?}", step.dropped);
            derived.extend(step.blocks);
        }
        assert_eq!(derived.len(), history.blocks.len());
        for (block, (timestamp, txs)) in derived.iter().zip(&history.blocks) {
            assert_eq!(block.block.header.timestamp, *timestamp);
            assert_eq!(
                block.block.transactions.len(),
                txs.len(),
                "every transaction applies"
            );
        }
        assert!(history.gas_used > 0);
    }

    #[test]
    fn the_benchmark_batch_verifies() {
        let request = workload::verify_request(4 * 1024, 20);
        assert!(request.batch.len() >= 4 * 1024);
        let verdict = verify_batch(&request).expect("verifies");
        assert_eq!(
            verdict.blocks.last().map(|b| b.check),
            Some(RootCheck::Match)
        );
    }
}
