//! Prometheus metrics, served at `/metrics` in the text exposition format.

use std::{sync::atomic::AtomicU64, time::Duration};

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

use super::query::FinalityHeads;

/// Labels of the API latency histogram.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The route's pattern, such as `/api/v1/blocks/{id}`.
    pub route: String,
    /// The response's status code.
    pub status: u16,
}

type U64Gauge = Gauge<u64, AtomicU64>;

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The indexer's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    l1_head: U64Gauge,
    l1_finalized: U64Gauge,
    derived_l1_block: U64Gauge,
    safe_head: U64Gauge,
    lag: U64Gauge,
    l2_finalized: U64Gauge,
    l2_proposed: U64Gauge,
    derivation_seconds: Histogram,
    /// L1 reorganisations followed.
    pub reorgs: Counter,
    /// L1 reorganisations below the finalized block, refused.
    pub deep_reorgs_refused: Counter,
    api_seconds: Family<RouteLabels, Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("rollup_indexer");
        let metrics = Self {
            l1_head: U64Gauge::default(),
            l1_finalized: U64Gauge::default(),
            derived_l1_block: U64Gauge::default(),
            safe_head: U64Gauge::default(),
            lag: U64Gauge::default(),
            l2_finalized: U64Gauge::default(),
            l2_proposed: U64Gauge::default(),
            derivation_seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 16)),
            reorgs: Counter::default(),
            deep_reorgs_refused: Counter::default(),
            api_seconds: Family::new_with_constructor(latency_histogram),
            registry: Registry::default(),
        };
        registry.register(
            "l1_head",
            "Latest L1 block number seen",
            metrics.l1_head.clone(),
        );
        registry.register(
            "l1_finalized",
            "Latest finalized L1 block number seen",
            metrics.l1_finalized.clone(),
        );
        registry.register(
            "derived_l1_block",
            "Last L1 block derivation took",
            metrics.derived_l1_block.clone(),
        );
        registry.register(
            "safe_head",
            "Latest derived (safe) L2 block number",
            metrics.safe_head.clone(),
        );
        registry.register(
            "sync_lag_blocks",
            "L1 blocks not yet derived",
            metrics.lag.clone(),
        );
        registry.register(
            "l2_finalized",
            "Latest finalized L2 block number",
            metrics.l2_finalized.clone(),
        );
        registry.register(
            "l2_proposed",
            "Latest L2 block covered by a valid proposal",
            metrics.l2_proposed.clone(),
        );
        registry.register(
            "derivation_seconds",
            "Time to derive and store one L1 block",
            metrics.derivation_seconds.clone(),
        );
        registry.register(
            "reorgs",
            "L1 reorganisations followed",
            metrics.reorgs.clone(),
        );
        registry.register(
            "deep_reorgs_refused",
            "L1 reorganisations below the finalized L1 block, refused (an alert: L1 broke finality)",
            metrics.deep_reorgs_refused.clone(),
        );
        registry.register(
            "api_request_seconds",
            "REST API latency by route and status",
            metrics.api_seconds.clone(),
        );
        Self {
            registry,
            ..metrics
        }
    }

    /// Records L1's head and finalized block.
    pub fn set_l1(&self, head: u64, finalized: u64) {
        self.l1_head.set(head);
        self.l1_finalized.set(finalized);
        self.update_lag();
    }

    /// Records how far derivation got.
    pub fn set_derived(&self, l1_block: u64, safe_head: u64) {
        self.derived_l1_block.set(l1_block);
        self.safe_head.set(safe_head);
        self.update_lag();
    }

    fn update_lag(&self) {
        self.lag.set(
            self.l1_head
                .get()
                .saturating_sub(self.derived_l1_block.get()),
        );
    }

    /// Records one derived L1 block.
    pub fn observe_derivation(&self, l1_block: u64, safe_head: Option<u64>, took: Duration) {
        self.derivation_seconds.observe(took.as_secs_f64());
        self.derived_l1_block.set(l1_block);
        if let Some(safe) = safe_head {
            self.safe_head.set(safe);
        }
        self.update_lag();
    }

    /// Records the finality heads.
    pub fn set_finality(&self, heads: &FinalityHeads) {
        self.l2_finalized.set(heads.finalized);
        self.l2_proposed.set(heads.proposed);
    }

    /// Records one API request.
    pub fn observe_request(&self, route: String, status: u16, took: Duration) {
        self.api_seconds
            .get_or_create(&RouteLabels { route, status })
            .observe(took.as_secs_f64());
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
