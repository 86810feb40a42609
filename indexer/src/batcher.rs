//! The batcher: posts the sequenced blocks to the Rollup contract as batches, in order, each block
//! exactly once.
//!
//! At start it first waits for its own in-flight L1 transaction (if a crash left one), then reads
//! every batch on L1 to learn how far the chain is posted, so a restart neither repeats nor skips a
//! block. It then posts whenever the unposted blocks reach a size, or the oldest of them an age, or
//! their L1 origin gets close to the end of its sequencing window.

use std::{sync::Arc, time::Duration};

use alloy::{
    eips::BlockNumberOrTag,
    providers::Provider,
    rpc::types::Filter,
    sol_types::{SolCall, SolEvent},
};
use alloy_primitives::{Address, B256, U256, keccak256};
use contracts::Rollup;
use light_node::{Batch, BatchBlock, decode_batch, encode_batch};

use crate::{
    l1tx::{L1Sender, L1TxError},
    sequencer::{OriginError, SequencedBlock, Sequencer, l1_call, unix_now_ms},
};

/// When to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatcherConfig {
    /// Post once the unposted blocks' transactions reach this many bytes (before compression).
    pub target_bytes: usize,
    /// Post once the oldest unposted block is this old.
    pub max_age: Duration,
    /// Post once an unposted block's L1 origin is within this many L1 blocks of the end of its
    /// sequencing window.
    pub window_margin: u64,
    /// How often to look for new blocks.
    pub poll: Duration,
    /// Brotli quality (0 to 11). The default, 5, compresses rollup batches as small as 9 does (their
    /// signatures do not compress at any quality) in a fraction of the time: see docs/sequencer.md.
    pub compression: u32,
}

impl Default for BatcherConfig {
    fn default() -> Self {
        Self {
            target_bytes: 128 * 1024,
            max_age: Duration::from_secs(10),
            window_margin: 32,
            poll: Duration::from_millis(500),
            compression: light_node::DEFAULT_COMPRESSION,
        }
    }
}

/// Why the batcher stopped or skipped a round.
#[derive(Debug, thiserror::Error)]
pub enum BatcherError {
    /// Reading L1 failed.
    #[error(transparent)]
    L1(#[from] OriginError),
    /// Sending failed.
    #[error(transparent)]
    Send(#[from] L1TxError),
    /// Posting a batch failed.
    #[error("posting blocks {first} to {last} ({bytes} bytes compressed): {source}")]
    Post {
        /// First L2 block of the batch.
        first: u64,
        /// Last L2 block of the batch.
        last: u64,
        /// The compressed batch's size.
        bytes: usize,
        /// Why the L1 transaction failed.
        source: L1TxError,
    },
    /// The sequencer's blocks could not be synced to disk before posting.
    #[error("syncing the blocks to disk before posting: {0}")]
    Sync(String),
    /// The compression task did not finish (the runtime is shutting down).
    #[error("encoding the batch: {0}")]
    Encode(String),
}

/// A batch found on L1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedBatchInfo {
    /// The contract's batch index.
    pub index: u64,
    /// The L1 block it landed in.
    pub l1_block: u64,
    /// The L1 transaction that carried it.
    pub l1_tx: B256,
    /// First and last L2 block it carries.
    pub blocks: (u64, u64),
}

/// The batcher.
#[derive(Debug)]
pub struct Batcher {
    sequencer: Arc<Sequencer>,
    sender: L1Sender,
    rollup: Address,
    config: BatcherConfig,
    posted_through: u64,
    /// The L1 transaction of the last batch known on L1, checked each round: an L1 reorganisation
    /// that takes it away sends the batcher back to L1 to learn what is really posted.
    last_tx: Option<B256>,
    /// The last batch compressed, with its first block and its last block's number and hash: a
    /// round that fails to post it posts the same bytes next time instead of compressing again.
    encoded: Option<(u64, u64, B256, Vec<u8>)>,
    /// The sequencer's resets onto the derived chain seen so far.
    resets_seen: u64,
}

impl Batcher {
    /// A batcher posting `sequencer`'s blocks from `sender` (the contract's batcher account).
    pub fn new(sequencer: Arc<Sequencer>, sender: L1Sender, config: BatcherConfig) -> Self {
        let rollup = sequencer.genesis().rollup;
        Self {
            sequencer,
            sender,
            rollup,
            config,
            posted_through: 0,
            last_tx: None,
            encoded: None,
            resets_seen: 0,
        }
    }

    /// The last L2 block known to be in a batch on L1.
    pub fn posted_through(&self) -> u64 {
        self.posted_through
    }

    /// Reads L1 to find the last block already posted (after letting an in-flight batch land).
    pub async fn learn(&mut self) -> Result<Vec<PostedBatchInfo>, BatcherError> {
        if !self.sender.settle(Duration::from_secs(60)).await? {
            tracing::warn!("the batcher's earlier L1 transaction is still pending after 60 s");
        }
        let batches = scan_batches(self.sender.provider(), &self.sequencer, self.rollup).await?;
        // Blocks derivation forced carry no batch; a reset onto the derived chain took them in.
        self.posted_through = batches
            .last()
            .map_or(0, |b| b.blocks.1)
            .max(self.sequencer.reset_head());
        self.resets_seen = self.sequencer.resets();
        self.last_tx = batches.last().map(|b| b.l1_tx);
        self.sequencer.set_safe(self.posted_through);
        tracing::info!(
            batches = batches.len(),
            posted_through = self.posted_through,
            "batcher learned the posted chain from L1"
        );
        Ok(batches)
    }

    /// Posts one batch if a threshold is reached; returns what it posted.
    pub async fn step(&mut self) -> Result<Option<PostedBatchInfo>, BatcherError> {
        let resets = self.sequencer.resets();
        if resets != self.resets_seen {
            // The sequencer took the derived chain: what it holds up to there is on L1 (or forced),
            // and what was posted after it was dropped by derivation.
            self.resets_seen = resets;
            self.posted_through = self.sequencer.reset_head();
            self.encoded = None;
            tracing::info!(
                posted_through = self.posted_through,
                "the sequencer reset onto the derived chain; posting from there"
            );
        }
        if let Some(hash) = self.last_tx
            && l1_call(self.sender.provider().get_transaction_receipt(hash))
                .await?
                .is_none()
        {
            tracing::warn!(%hash, "the last batch is no longer on L1 (a reorganisation); reading the posted chain again");
            self.learn().await?;
        }
        let head = self.sequencer.head_number();
        if head <= self.posted_through {
            return Ok(None);
        }
        let blocks = self.sequencer.blocks(self.posted_through + 1, head);
        let mut bytes = 0usize;
        let mut take = 0usize;
        for block in &blocks {
            let size: usize = 64
                + block
                    .batch_transactions()
                    .iter()
                    .map(|t| t.len())
                    .sum::<usize>();
            if take > 0 && bytes + size > self.config.target_bytes {
                break;
            }
            bytes += size;
            take += 1;
        }
        let full = take < blocks.len() || bytes >= self.config.target_bytes;
        let oldest = &blocks[0];
        let age_ms = unix_now_ms().saturating_sub(oldest.header.timestamp * 1000);
        let old = age_ms >= self.config.max_age.as_millis() as u64;
        let (oldest_origin, _) = self.sequencer.origin_of(oldest);
        let window = self.sequencer.chain_config().sequencing_window;
        let urgent = if full || old {
            false
        } else {
            let l1_head = l1_call(self.sender.provider().get_block_number()).await?;
            l1_head + self.config.window_margin >= oldest_origin + window
        };
        if !(full || old || urgent) {
            return Ok(None);
        }
        let blocks = &blocks[..take];
        let first = blocks[0].header.number;
        let last = first + take as u64 - 1;
        let last_hash = blocks[take - 1].hash;
        let data = match self.encoded.take() {
            Some((f, l, h, data)) if (f, l, h) == (first, last, last_hash) => data,
            _ => self.encode(blocks).await?,
        };
        self.encoded = Some((first, last, last_hash, data.clone()));
        // Nothing goes to L1 that a power loss could take from the sequencer's disk.
        self.sequencer
            .sync_blocks()
            .await
            .map_err(|e| BatcherError::Sync(e.to_string()))?;
        let call = Rollup::appendBatchCall {
            data: data.clone().into(),
        };
        let receipt = self
            .sender
            .send(self.rollup, call.abi_encode().into(), U256::ZERO)
            .await
            .map_err(|source| BatcherError::Post {
                first,
                last,
                bytes: data.len(),
                source,
            })?;
        let index = receipt
            .inner
            .logs()
            .iter()
            .find_map(|log| log.log_decode::<Rollup::BatchAppended>().ok())
            .map_or(u64::MAX, |e| e.inner.data.index);
        self.last_tx = Some(receipt.transaction_hash);
        let info = PostedBatchInfo {
            index,
            l1_block: receipt.block_number.unwrap_or_default(),
            l1_tx: receipt.transaction_hash,
            blocks: (first, last),
        };
        tracing::info!(
            index,
            first,
            last,
            bytes = data.len(),
            l1_block = info.l1_block,
            "batch posted"
        );
        self.posted_through = last;
        self.encoded = None;
        self.sequencer.set_safe(last);
        Ok(Some(info))
    }

    /// The batch of `blocks`, compressed. Compression takes a core for a while (hundreds of
    /// milliseconds for a batch of megabytes), so it runs on a blocking thread: on the runtime's
    /// workers it would hold up the JSON-RPC and the block builder meanwhile.
    async fn encode(&self, blocks: &[Arc<SequencedBlock>]) -> Result<Vec<u8>, BatcherError> {
        let parent = self
            .sequencer
            .block(blocks[0].header.number - 1)
            .map_or_else(Default::default, |b| b.hash);
        let batch = Batch {
            parent_hash: parent,
            blocks: blocks
                .iter()
                .map(|b| {
                    let (origin, origin_hash) = self.sequencer.origin_of(b);
                    BatchBlock {
                        timestamp: b.header.timestamp,
                        l1_origin_number: origin,
                        l1_origin_hash: origin_hash,
                        transactions: b.batch_transactions(),
                    }
                })
                .collect(),
        };
        let quality = self.config.compression;
        tokio::task::spawn_blocking(move || encode_batch(&batch, quality))
            .await
            .map_err(|e| BatcherError::Encode(e.to_string()))
    }

    /// Learns from L1, then posts until the task is dropped.
    pub async fn run(mut self) {
        loop {
            match self.learn().await {
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "batcher cannot read L1 yet");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
        // After a failed round the posted chain is read from L1 again before posting: a batch sent in
        // that round may have landed even though the round saw an error (L1 went away while it
        // waited for the receipt), or a reorganisation or another sender may have moved the nonce.
        let mut relearn = false;
        loop {
            if relearn {
                match self.learn().await {
                    Ok(_) => relearn = false,
                    Err(e) => tracing::warn!(error = %e, "batcher cannot re-read L1"),
                }
            }
            if !relearn {
                match self.step().await {
                    Ok(Some(_)) => continue,
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "batcher round failed; reading the posted chain again");
                        relearn = true;
                    }
                }
            }
            tokio::time::sleep(self.config.poll).await;
        }
    }
}

/// Every batch on L1 (read through `provider`) that extends `sequencer`'s chain, in order, with the
/// L2 blocks it carries. Batches that do not build on the one before (garbage, duplicates) are skipped,
/// as derivation drops them.
pub async fn scan_batches(
    provider: &alloy::providers::DynProvider,
    sequencer: &Sequencer,
    rollup: Address,
) -> Result<Vec<PostedBatchInfo>, BatcherError> {
    let from = sequencer.genesis().l1_origin.number;
    let head = l1_call(provider.get_block_number()).await?;
    let mut through = 0u64;
    let mut found = Vec::new();
    let max_size = sequencer.chain_config().max_batch_size;
    let mut start = from;
    while start <= head {
        let end = (start + 9_999).min(head);
        let filter = Filter::new()
            .address(rollup)
            .from_block(BlockNumberOrTag::Number(start))
            .to_block(BlockNumberOrTag::Number(end))
            .event_signature(Rollup::BatchAppended::SIGNATURE_HASH);
        for log in l1_call(provider.get_logs(&filter)).await? {
            let Ok(event) = log.log_decode::<Rollup::BatchAppended>() else {
                continue;
            };
            let Some(tx_hash) = log.transaction_hash else {
                continue;
            };
            let Some(tx) = l1_call(provider.get_transaction_by_hash(tx_hash)).await? else {
                continue;
            };
            use alloy::consensus::Transaction as _;
            let Ok(call) = Rollup::appendBatchCall::abi_decode(tx.input()) else {
                continue;
            };
            if keccak256(&call.data) != event.inner.data.hash {
                continue;
            }
            let Ok(batch) = decode_batch(&call.data, max_size) else {
                continue;
            };
            let Some(parent) = sequencer.block(through) else {
                break;
            };
            if batch.parent_hash != parent.hash {
                tracing::debug!(
                    index = event.inner.data.index,
                    "L1 batch does not extend the posted chain; skipped"
                );
                continue;
            }
            let first = through + 1;
            let last = through + batch.blocks.len() as u64;
            // The same blocks, not only the same times: origin and transactions too (with the
            // parent hash checked above, the same content is the same block hash).
            let matches =
                sequencer
                    .blocks(first, last)
                    .iter()
                    .zip(&batch.blocks)
                    .all(|(ours, posted)| {
                        let (origin, origin_hash) = sequencer.origin_of(ours);
                        ours.header.timestamp == posted.timestamp
                            && origin == posted.l1_origin_number
                            && origin_hash == posted.l1_origin_hash
                            && ours.batch_transactions() == posted.transactions
                    });
            if !matches || sequencer.head_number() < last {
                tracing::error!(
                    index = event.inner.data.index,
                    first,
                    last,
                    "an L1 batch carries blocks this sequencer does not have"
                );
                continue;
            }
            through = last;
            found.push(PostedBatchInfo {
                index: event.inner.data.index,
                l1_block: log.block_number.unwrap_or_default(),
                l1_tx: tx_hash,
                blocks: (first, last),
            });
        }
        start = end + 1;
    }
    Ok(found)
}
