//! Choosing each block's L1 origin, and reading that L1 block's deposits from the Rollup contract.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use alloy::{
    eips::BlockNumberOrTag,
    providers::{DynProvider, Provider},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use alloy_primitives::{Address, B256};
use contracts::Rollup;
use light_node::{Deposit, L1Origin};

/// How long one L1 request may take.
const L1_TIMEOUT: Duration = Duration::from_secs(5);

/// An L1 read failed.
#[derive(Debug, thiserror::Error)]
pub enum OriginError {
    /// The request failed.
    #[error("L1 request failed: {0}")]
    Rpc(String),
    /// The request took too long.
    #[error("L1 did not answer within {0:?}")]
    Timeout(Duration),
    /// L1 answered with something unusable.
    #[error("L1 returned unusable data: {0}")]
    Invalid(String),
}

/// Runs an L1 request with a timeout, mapping its error.
pub(crate) async fn l1_call<T, E: std::fmt::Display>(
    fut: impl IntoFuture<Output = Result<T, E>>,
) -> Result<T, OriginError> {
    tokio::time::timeout(L1_TIMEOUT, fut.into_future())
        .await
        .map_err(|_| OriginError::Timeout(L1_TIMEOUT))?
        .map_err(|e| OriginError::Rpc(e.to_string()))
}

/// Where the sequencer's L1 origins come from.
#[derive(Debug, Clone)]
pub enum OriginSource {
    /// Never advance (tests without L1: every block keeps the genesis origin).
    Fixed,
    /// Read from an L1 node.
    L1(L1Origins),
}

impl OriginSource {
    /// The origin the block after a parent with origin `parent_origin` and timestamp `timestamp`
    /// should take, if it should advance.
    pub async fn next(
        &self,
        parent_origin: u64,
        timestamp: u64,
    ) -> Result<Option<L1Origin>, OriginError> {
        match self {
            Self::Fixed => Ok(None),
            Self::L1(l1) => l1.next(parent_origin, timestamp).await,
        }
    }

    /// The timestamp of L1 block `number`, or `None` while L1 has no such block (or without L1).
    pub async fn timestamp_of(&self, number: u64) -> Result<Option<u64>, OriginError> {
        match self {
            Self::Fixed => Ok(None),
            Self::L1(l1) => l1.timestamp_of(number).await,
        }
    }

    /// The latest L1 time seen (the timestamp of L1's head when an origin was last looked for), in
    /// milliseconds; 0 before any was read or without L1.
    pub fn l1_clock_ms(&self) -> u64 {
        match self {
            Self::Fixed => 0,
            Self::L1(l1) => l1.seen.load(Ordering::Relaxed).saturating_mul(1000),
        }
    }
}

/// Reads L1 origins and their deposits.
#[derive(Debug, Clone)]
pub struct L1Origins {
    provider: DynProvider,
    rollup: Address,
    confirmations: u64,
    /// The newest L1 head timestamp seen: L1's clock, as far as the sequencer knows.
    seen: Arc<AtomicU64>,
    /// The last L1 block whose timestamp was asked for (number, timestamp): asked once per L2 block.
    last_timestamp: Arc<std::sync::Mutex<Option<(u64, u64)>>>,
}

impl L1Origins {
    /// Origins from `provider`, taking an L1 block only once `confirmations` blocks are on top of it.
    pub fn new(provider: DynProvider, rollup: Address, confirmations: u64) -> Self {
        Self {
            provider,
            rollup,
            confirmations,
            seen: Arc::new(AtomicU64::new(0)),
            last_timestamp: Arc::default(),
        }
    }

    /// The timestamp of L1 block `number`, or `None` while L1 has no such block.
    pub async fn timestamp_of(&self, number: u64) -> Result<Option<u64>, OriginError> {
        let cached = *self
            .last_timestamp
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some((n, timestamp)) = cached
            && n == number
        {
            return Ok(Some(timestamp));
        }
        let block = l1_call(
            self.provider
                .get_block_by_number(BlockNumberOrTag::Number(number)),
        )
        .await?;
        let Some(block) = block else {
            return Ok(None);
        };
        let timestamp = block.header.timestamp;
        *self
            .last_timestamp
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some((number, timestamp));
        Ok(Some(timestamp))
    }

    /// The next origin if it is confirmed and not later than `timestamp`.
    pub async fn next(
        &self,
        parent_origin: u64,
        timestamp: u64,
    ) -> Result<Option<L1Origin>, OriginError> {
        let candidate = parent_origin + 1;
        let head = l1_call(self.provider.get_block_by_number(BlockNumberOrTag::Latest))
            .await?
            .ok_or_else(|| OriginError::Invalid("L1 has no latest block".into()))?;
        self.seen
            .fetch_max(head.header.timestamp, Ordering::Relaxed);
        if candidate + self.confirmations > head.header.number {
            return Ok(None);
        }
        let origin = self.origin(candidate).await?;
        Ok((origin.timestamp <= timestamp).then_some(origin))
    }

    /// L1 block `number` with its deposits.
    pub async fn origin(&self, number: u64) -> Result<L1Origin, OriginError> {
        let block = l1_call(
            self.provider
                .get_block_by_number(BlockNumberOrTag::Number(number)),
        )
        .await?
        .ok_or_else(|| OriginError::Invalid(format!("L1 block {number} not found")))?;
        let hash = block.header.hash;
        let deposits = deposits_in(&self.provider, self.rollup, hash).await?;
        Ok(L1Origin {
            number,
            hash,
            timestamp: block.header.timestamp,
            deposits,
        })
    }
}

/// The deposits the Rollup contract recorded in the L1 block with this hash, in log order.
pub async fn deposits_in(
    provider: &DynProvider,
    rollup: Address,
    block_hash: B256,
) -> Result<Vec<Deposit>, OriginError> {
    let filter = Filter::new()
        .address(rollup)
        .at_block_hash(block_hash)
        .event_signature(Rollup::Deposited::SIGNATURE_HASH);
    let logs = l1_call(provider.get_logs(&filter)).await?;
    let mut deposits = Vec::with_capacity(logs.len());
    for log in logs {
        let event = log
            .log_decode::<Rollup::Deposited>()
            .map_err(|e| OriginError::Invalid(format!("Deposited event: {e}")))?;
        let d = event.inner.data;
        deposits.push(Deposit {
            nonce: d.nonce,
            from: d.from,
            to: d.to,
            mint: d.value,
            gas_limit: d.gasLimit,
            data: d.data,
        });
    }
    Ok(deposits)
}
