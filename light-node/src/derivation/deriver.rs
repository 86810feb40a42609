//! The derivation state machine: L1 blocks in, safe L2 blocks out.

use std::collections::BTreeMap;

use alloy_consensus::Header;
use alloy_primitives::{B256, Bytes};
use serde::{Deserialize, Serialize};

use super::{BatchRejection, L1Origin, check_batch};
use crate::{
    BlockAttributes, BlockHashes, ChainConfig, ExecError, ExecutedBlock, L2State, Recovered,
    decode_batch, execute_block_recovered,
};

/// Batch data posted to the Rollup contract, already checked against the hash the contract stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedBatch {
    /// The contract's batch index.
    pub index: u64,
    /// The posted bytes.
    pub data: Bytes,
}

/// Everything derivation reads from one L1 block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L1Input {
    /// The block's number, hash, timestamp and deposits.
    pub block: L1Origin,
    /// The block's parent hash, to follow the chain.
    pub parent_hash: B256,
    /// Batches posted in this block, in log order.
    pub batches: Vec<PostedBatch>,
}

/// Where a derived block came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BlockSource {
    /// From a batch.
    Batch {
        /// The contract's batch index.
        index: u64,
    },
    /// Generated because no batch covered its L1 origin within the sequencing window.
    ForceIncluded,
}

/// A block derivation added to the safe chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedBlock {
    /// The executed block.
    pub block: ExecutedBlock,
    /// Its L1 origin number.
    pub l1_origin: u64,
    /// The L1 block whose data made it safe.
    pub l1_block: u64,
    /// Batch or force inclusion.
    pub source: BlockSource,
}

/// A batch derivation ignored, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DroppedBatch {
    /// The contract's batch index.
    pub index: u64,
    /// The L1 block it was posted in.
    pub l1_block: u64,
    /// Why it was dropped.
    pub reason: BatchRejection,
}

/// What one L1 block added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DerivationStep {
    /// New safe blocks, in order.
    pub blocks: Vec<DerivedBlock>,
    /// Batches dropped.
    pub dropped: Vec<DroppedBatch>,
}

/// Why derivation cannot take an L1 block. Neither is caused by the rollup's data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeriveError {
    /// The L1 block does not extend the last one: L1 reorganised. Reset to a checkpoint taken at or
    /// before the fork point and derive again.
    #[error("L1 block {number} has parent {got}, but the last block derived from is {expected}")]
    Reorg {
        /// The offending L1 block.
        number: u64,
        /// Hash of the last L1 block taken.
        expected: B256,
        /// The new block's parent hash.
        got: B256,
    },
    /// The state is incomplete or corrupt; this deriver must be restored from a checkpoint.
    #[error(transparent)]
    Exec(#[from] ExecError),
}

impl DeriveError {
    /// Whether the error calls for a reset to an earlier checkpoint (L1 reorg) rather than a halt.
    pub fn is_reset(&self) -> bool {
        matches!(self, Self::Reorg { .. })
    }
}

/// Why [`Deriver::resume`] refused its parts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    /// The L1 blocks do not start at the safe head's origin.
    #[error("the L1 blocks start at {first:?}, not at the safe head's origin {safe_origin}")]
    L1Window {
        /// The safe head's origin.
        safe_origin: u64,
        /// The first L1 block given.
        first: Option<u64>,
    },
    /// The L1 blocks skip a number.
    #[error("the L1 blocks skip a number at position {position}")]
    L1Gap {
        /// Where the gap is.
        position: usize,
    },
}

/// The derivation state: the safe head, its state, and the L1 blocks that later blocks may take as
/// origin. Same inputs, same outputs, bit for bit.
#[derive(Debug, Clone)]
pub struct Deriver {
    config: ChainConfig,
    state: L2State,
    safe: Header,
    safe_hash: B256,
    safe_origin: u64,
    hashes: BlockHashes,
    l1: BTreeMap<u64, L1Origin>,
    l1_head: (u64, B256),
    recovery_threads: usize,
}

impl Deriver {
    /// Starts from the genesis block, whose L1 origin is the L1 block the rollup was deployed in.
    pub fn new(
        config: ChainConfig,
        state: L2State,
        genesis: Header,
        genesis_origin: L1Origin,
    ) -> Self {
        let safe_hash = genesis.hash_slow();
        let mut hashes = BlockHashes::new();
        hashes.insert(genesis.number, safe_hash);
        let l1_head = (genesis_origin.number, genesis_origin.hash);
        let safe_origin = genesis_origin.number;
        let l1 = BTreeMap::from([(genesis_origin.number, genesis_origin)]);
        Self {
            config,
            state,
            safe: genesis,
            safe_hash,
            safe_origin,
            hashes,
            l1,
            l1_head,
            recovery_threads: 1,
        }
    }

    /// Recovers the senders of each batch on up to `threads` threads before executing its blocks
    /// (1, the default, recovers each while executing). The blocks derived are the same either
    /// way; a server sets its core count, and the browser has one thread.
    pub fn set_recovery_threads(&mut self, threads: usize) {
        self.recovery_threads = threads.max(1);
    }

    /// Rebuilds a deriver from what a store kept of it: the safe head and its L1 origin, the hashes of the blocks before
    /// it that BLOCKHASH may read, and every L1 block from the safe head's origin to the last L1 block
    /// taken, in order and linked by number. `state` must hold the safe head's state; its root is set
    /// to the safe head's.
    ///
    /// Resuming after the last L1 block taken and advancing from there gives the same blocks as a
    /// deriver that never stopped.
    pub fn resume(
        config: ChainConfig,
        mut state: L2State,
        safe: Header,
        safe_origin: u64,
        hashes: BlockHashes,
        l1: Vec<L1Origin>,
    ) -> Result<Self, ResumeError> {
        let first = l1.first().map(|o| o.number);
        if first != Some(safe_origin) {
            return Err(ResumeError::L1Window { safe_origin, first });
        }
        for (i, pair) in l1.windows(2).enumerate() {
            if pair[1].number != pair[0].number + 1 {
                return Err(ResumeError::L1Gap { position: i + 1 });
            }
        }
        let head = l1.last().map_or((0, B256::ZERO), |o| (o.number, o.hash));
        let safe_hash = safe.hash_slow();
        let mut hashes = hashes;
        hashes.insert(safe.number, safe_hash);
        state.root = safe.state_root;
        Ok(Self {
            config,
            state,
            safe,
            safe_hash,
            safe_origin,
            hashes,
            l1: l1.into_iter().map(|o| (o.number, o)).collect(),
            l1_head: head,
            recovery_threads: 1,
        })
    }

    /// The latest safe L2 block.
    pub fn safe_head(&self) -> &Header {
        &self.safe
    }

    /// The safe head's hash.
    pub fn safe_hash(&self) -> B256 {
        self.safe_hash
    }

    /// The safe head's L1 origin number.
    pub fn safe_origin(&self) -> u64 {
        self.safe_origin
    }

    /// The last L1 block taken (number, hash).
    pub fn l1_head(&self) -> (u64, B256) {
        self.l1_head
    }

    /// The chain parameters.
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The state at the safe head.
    pub fn state_mut(&mut self) -> &mut L2State {
        &mut self.state
    }

    /// Recent L2 block hashes.
    pub fn block_hashes(&self) -> &BlockHashes {
        &self.hashes
    }

    /// Takes the next L1 block: its batches, then any force inclusion whose window it closes.
    pub fn advance(&mut self, input: &L1Input) -> Result<DerivationStep, DeriveError> {
        if input.parent_hash != self.l1_head.1 || input.block.number != self.l1_head.0 + 1 {
            return Err(DeriveError::Reorg {
                number: input.block.number,
                expected: self.l1_head.1,
                got: input.parent_hash,
            });
        }
        let inclusion = input.block.number;
        self.l1.insert(inclusion, input.block.clone());
        self.l1_head = (inclusion, input.block.hash);

        let mut step = DerivationStep::default();
        for posted in &input.batches {
            let drop = |reason| DroppedBatch {
                index: posted.index,
                l1_block: inclusion,
                reason,
            };
            let batch = match decode_batch(&posted.data, self.config.max_batch_size) {
                Ok(batch) => batch,
                Err(e) => {
                    step.dropped
                        .push(drop(BatchRejection::Undecodable(e.to_string())));
                    continue;
                }
            };
            if let Err(reason) = check_batch(
                &self.config,
                &batch,
                &self.safe,
                self.safe_origin,
                inclusion,
                &self.l1,
            ) {
                step.dropped.push(drop(reason));
                continue;
            }
            let mut recovered = if self.recovery_threads > 1 {
                let raw: Vec<Bytes> = batch
                    .blocks
                    .iter()
                    .flat_map(|b| b.transactions.iter().cloned())
                    .collect();
                Recovered::decode_all(&raw, self.recovery_threads)
            } else {
                Vec::new()
            }
            .into_iter();
            for block in batch.blocks {
                let recovered = recovered.by_ref().take(block.transactions.len()).collect();
                let deposits = self.deposits_for(block.l1_origin_number);
                let attributes = BlockAttributes {
                    timestamp: block.timestamp,
                    l1_origin_number: block.l1_origin_number,
                    l1_origin_hash: block.l1_origin_hash,
                    deposits,
                    transactions: block.transactions,
                };
                let derived = self.apply(
                    &attributes,
                    recovered,
                    inclusion,
                    BlockSource::Batch {
                        index: posted.index,
                    },
                )?;
                step.blocks.push(derived);
            }
        }

        // Force inclusion: an L1 origin whose sequencing window closed without a batch covering it
        // gets one block with its deposits and no user transactions.
        while self.safe_origin + 1 + self.config.sequencing_window <= inclusion {
            let origin = self.safe_origin + 1;
            let Some(known) = self.l1.get(&origin) else {
                break;
            };
            let attributes = BlockAttributes {
                timestamp: self.safe.timestamp + self.config.block_time,
                l1_origin_number: origin,
                l1_origin_hash: known.hash,
                deposits: known.deposits.clone(),
                transactions: Vec::new(),
            };
            step.blocks.push(self.apply(
                &attributes,
                Vec::new(),
                inclusion,
                BlockSource::ForceIncluded,
            )?);
        }

        // Later batches cannot refer to origins before the safe head's.
        let keep_from = self.safe_origin;
        self.l1.retain(|&number, _| number >= keep_from);
        Ok(step)
    }

    /// The deposits a block with this origin includes: all of the origin's when the origin advances.
    fn deposits_for(&self, origin: u64) -> Vec<crate::Deposit> {
        if origin == self.safe_origin {
            return Vec::new();
        }
        self.l1
            .get(&origin)
            .map(|o| o.deposits.clone())
            .unwrap_or_default()
    }

    fn apply(
        &mut self,
        attributes: &BlockAttributes,
        recovered: Vec<Recovered>,
        l1_block: u64,
        source: BlockSource,
    ) -> Result<DerivedBlock, DeriveError> {
        let block = execute_block_recovered(
            &self.config,
            &mut self.state,
            &self.safe,
            &self.hashes,
            attributes,
            recovered,
        )?;
        self.hashes.insert(block.header.number, block.hash);
        self.safe = block.header.clone();
        self.safe_hash = block.hash;
        self.safe_origin = attributes.l1_origin_number;
        Ok(DerivedBlock {
            block,
            l1_origin: attributes.l1_origin_number,
            l1_block,
            source,
        })
    }
}
