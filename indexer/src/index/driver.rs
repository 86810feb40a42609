//! The derivation driver: follows L1, feeds each block to the light node's deriver with a state of
//! its own, writes what it derived, and rolls back when L1 reorganises.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, MutexGuard, RwLock},
    time::{Duration, Instant},
};

use alloy_consensus::Transaction as _;
use alloy_primitives::{Address, B256, Bytes};
use light_node::{
    BlockAttributes, BlockSource, DeriveError, DerivedBlock, Deriver, L2State, L2Transaction,
};
use serde::Serialize;
use tokio::sync::broadcast;

use super::{
    db::{Db, DbError},
    l1::{L1Reader, decode},
    metrics::Metrics,
    query::{self, FinalityHeads},
    rows::{AccountRow, BatchStatus, BlockRow, BlockWrite, L1BlockWrite, LogRow, TxRow},
};
use crate::{
    genesis::RollupGenesis,
    sequencer::{OriginError, Sequencer, nodes::new_nodes},
};

/// Why the indexer stopped or skipped a round.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// L1 failed or changed while being read.
    #[error(transparent)]
    L1(#[from] OriginError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Derivation failed for a reason that is not the rollup's data.
    #[error("derivation: {0}")]
    Derive(#[from] DeriveError),
    /// The deriver could not be rebuilt from the index.
    #[error("cannot resume derivation from the index: {0}")]
    Resume(#[from] light_node::ResumeError),
    /// The genesis state could not be built.
    #[error("genesis: {0}")]
    Genesis(#[from] light_node::ExecError),
    /// The in-memory state lacks a node it should have.
    #[error("state: {0}")]
    State(#[from] crate::sequencer::nodes::NodeWalkError),
    /// The rollup's own deployment block is no longer on the L1 chain.
    #[error("the rollup's deployment (L1 block {0}) is no longer on the L1 chain")]
    DeploymentReorged(u64),
    /// L1 replaced blocks it had already reported finalized. The index keeps what it derived from
    /// the finalized chain and waits for L1 to return to it.
    #[error(
        "ALERT: L1 reorganised below its finalized block {finalized} (fork at {fork}); finalized data is never rewritten, so the index stays at L1 block {last} until L1 returns to the chain it finalized"
    )]
    FinalizedReorg {
        /// The highest L1 block both chains share.
        fork: u64,
        /// The highest L1 block the index saw finalized.
        finalized: u64,
        /// The last L1 block the index derived.
        last: u64,
    },
}

/// How the indexer runs.
#[derive(Debug, Clone)]
pub struct IndexerConfig {
    /// Pause between polls when caught up.
    pub poll: Duration,
    /// L1 blocks read per request.
    pub max_range: u64,
}

impl Default for IndexerConfig {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(500),
            max_range: 100,
        }
    }
}

/// The derived chain disagrees with the sequencer's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// The L2 block number.
    pub number: u64,
    /// The derived block's hash.
    pub derived: B256,
    /// The sequencer's block hash, if it has that block.
    pub sequenced: Option<B256>,
}

/// Where the indexer stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IndexStatus {
    /// Latest L1 block seen.
    pub l1_head: Option<u64>,
    /// Latest finalized L1 block seen.
    pub l1_finalized: Option<u64>,
    /// Last L1 block derivation took.
    pub derived_l1_block: u64,
    /// The safe (derived) L2 head.
    pub safe_head: u64,
    /// The first block where the derived chain and the sequencer's differ.
    pub divergence: Option<Divergence>,
    /// The last error, cleared by the next good round.
    pub error: Option<String>,
    /// L1 reorganisations followed.
    pub reorgs: u64,
}

/// A change the API streams to clients (`GET /api/v1/events`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum IndexEvent {
    /// A block became safe.
    Block {
        /// Number.
        number: u64,
        /// Hash.
        hash: B256,
        /// Transactions.
        tx_count: u64,
        /// The L1 block that made it safe.
        l1_block: u64,
    },
    /// A batch was posted (accepted or dropped).
    Batch {
        /// Batch index.
        index: u64,
        /// `accepted` or `dropped`.
        status: &'static str,
        /// Its L1 block.
        l1_block: u64,
    },
    /// An output root was proposed.
    Proposal {
        /// Proposal index.
        index: u64,
        /// The L2 block.
        l2_block: u64,
        /// The claimed root.
        output_root: B256,
    },
    /// A game started, or a move, resolution, invalidation or finalization happened.
    Rollup {
        /// Event kind (`game_started`, `defended`, `responded`, `adjudicated`, `resolved`,
        /// `invalidated`, `finalized`, ...).
        kind: &'static str,
        /// The proposal concerned.
        proposal_index: Option<u64>,
        /// The game concerned.
        game_id: Option<u64>,
    },
    /// The finality heads moved.
    Finality(FinalityHeads),
    /// L1 reorganised; everything derived after `fork` was rolled back.
    Reorg {
        /// The last L1 block kept.
        fork: u64,
        /// L1 blocks rolled back.
        depth: u64,
    },
}

/// What the indexer shares with the API.
#[derive(Debug)]
pub struct IndexShared {
    /// The rollup.
    pub genesis: RollupGenesis,
    /// The database.
    pub db: Db,
    deriver: Mutex<Deriver>,
    status: RwLock<IndexStatus>,
    /// The finality heads after the last round; `None` before the first and after a rollback.
    heads: RwLock<Option<FinalityHeads>>,
    events: broadcast::Sender<IndexEvent>,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// The devnet's sequencer, when this process runs one.
    pub sequencer: Option<Arc<Sequencer>>,
}

impl IndexShared {
    /// The current status.
    pub fn status(&self) -> IndexStatus {
        self.status
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The finality heads the index published after its last round, if it has since.
    pub fn finality_heads(&self) -> Option<FinalityHeads> {
        self.heads.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_heads(&self, heads: Option<FinalityHeads>) {
        *self.heads.write().unwrap_or_else(|e| e.into_inner()) = heads;
    }

    fn update(&self, f: impl FnOnce(&mut IndexStatus)) {
        f(&mut self.status.write().unwrap_or_else(|e| e.into_inner()));
    }

    /// New events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<IndexEvent> {
        self.events.subscribe()
    }

    /// Runs `f` on the full state (every node of every derived state); `f` must leave the root as
    /// it found it.
    pub fn with_state<R>(&self, f: impl FnOnce(&mut L2State) -> R) -> R {
        let mut deriver = self.deriver();
        let state = deriver.state_mut();
        let root = state.root;
        let out = f(state);
        state.root = root;
        out
    }

    fn deriver(&self) -> MutexGuard<'_, Deriver> {
        self.deriver.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn emit(&self, event: IndexEvent) {
        // No subscriber is not an error.
        let _ = self.events.send(event);
    }
}

/// The derivation driver.
#[derive(Debug)]
pub struct Indexer {
    shared: Arc<IndexShared>,
    reader: L1Reader,
    config: IndexerConfig,
    written_nodes: HashSet<B256>,
    written_codes: HashSet<B256>,
    last: (u64, B256),
    finality: Option<FinalityHeads>,
}

impl Indexer {
    /// Opens the index in `db` for `genesis` (initialising it if new) and rebuilds the deriver from
    /// it.
    pub async fn open(
        db: Db,
        reader: L1Reader,
        genesis: RollupGenesis,
        sequencer: Option<Arc<Sequencer>>,
        config: IndexerConfig,
    ) -> Result<Self, IndexError> {
        let (mut state, header) = genesis.genesis_state()?;
        let mut written_nodes = HashSet::new();
        let genesis_nodes = new_nodes(&state.nodes, state.root, &mut written_nodes)?;
        db.init(&genesis, &header, &genesis_nodes).await?;
        let (nodes, codes) = db.state_contents().await?;
        let mut written_codes = HashSet::new();
        for (hash, rlp) in nodes {
            written_nodes.insert(hash);
            state.nodes.insert(rlp);
        }
        for (hash, code) in codes {
            written_codes.insert(hash);
            state.codes.insert(hash, code);
        }
        let deriver = resume(&db, &genesis, state).await?;
        let last = deriver.l1_head();
        let safe = deriver.safe_head().number;
        let (events, _) = broadcast::channel(1024);
        let shared = Arc::new(IndexShared {
            genesis,
            db,
            deriver: Mutex::new(deriver),
            status: RwLock::new(IndexStatus {
                derived_l1_block: last.0,
                safe_head: safe,
                ..IndexStatus::default()
            }),
            heads: RwLock::new(None),
            events,
            metrics: Metrics::new(),
            sequencer,
        });
        shared.metrics.set_derived(last.0, safe);
        tracing::info!(l1_block = last.0, safe_head = safe, "index opened");
        Ok(Self {
            shared,
            reader,
            config,
            written_nodes,
            written_codes,
            last,
            finality: None,
        })
    }

    /// What the API reads.
    pub fn shared(&self) -> Arc<IndexShared> {
        self.shared.clone()
    }

    /// Follows L1 until the task is dropped.
    pub async fn run(mut self) {
        loop {
            match self.step().await {
                Ok(true) => {
                    self.shared.update(|s| s.error = None);
                    continue;
                }
                Ok(false) => self.shared.update(|s| s.error = None),
                Err(e) => {
                    let message = e.to_string();
                    // A failure that repeats round after round is logged once; the status keeps it.
                    if self.shared.status().error.as_ref() != Some(&message) {
                        tracing::warn!(error = %e, "indexing round failed; retrying from the index");
                    }
                    self.shared.update(|s| s.error = Some(message));
                    if let Err(e) = self.reload().await {
                        tracing::error!(error = %e, "cannot reload the index");
                    }
                }
            }
            tokio::time::sleep(self.config.poll).await;
        }
    }

    /// Takes the L1 blocks available now, up to `max_range`; returns whether more are waiting.
    pub async fn step(&mut self) -> Result<bool, IndexError> {
        let head = self.reader.head().await?;
        let finalized = self.reader.finalized().await?;
        self.shared.update(|s| {
            s.l1_head = Some(head);
            s.l1_finalized = Some(finalized);
        });
        self.shared.metrics.set_l1(head, finalized);
        let (last, last_hash) = self.last;
        if head < last || self.reader.hash_of(last).await? != Some(last_hash) {
            self.reorg().await?;
            return Ok(true);
        }
        if head > last {
            let to = head.min(last + self.config.max_range);
            let blocks = match self.reader.read(last + 1, to).await {
                Ok(blocks) => blocks,
                Err(OriginError::Invalid(why)) => {
                    tracing::info!(%why, "L1 changed while reading; reading again");
                    return Ok(true);
                }
                Err(e) => return Err(e.into()),
            };
            if blocks
                .first()
                .is_some_and(|b| b.row.parent_hash != last_hash)
            {
                self.reorg().await?;
                return Ok(true);
            }
            for block in &blocks {
                self.apply(block).await?;
            }
            self.publish_finality(finalized).await?;
            return Ok(to < head);
        }
        self.publish_finality(finalized).await?;
        Ok(false)
    }

    async fn publish_finality(&mut self, l1_finalized: u64) -> Result<(), IndexError> {
        self.shared.db.record_l1_finalized(l1_finalized).await?;
        let heads =
            query::finality_heads(&mut *self.shared.db.connection().await?, l1_finalized).await?;
        self.shared.set_heads(Some(heads.clone()));
        if self.finality.as_ref() != Some(&heads) {
            self.shared.metrics.set_finality(&heads);
            self.shared.emit(IndexEvent::Finality(heads.clone()));
            self.finality = Some(heads);
        }
        Ok(())
    }

    /// Finds the last L1 block the index and L1 agree on, rolls back to it and rebuilds the deriver.
    async fn reorg(&mut self) -> Result<(), IndexError> {
        let genesis_origin = self.shared.genesis.l1_origin.number;
        let (last, _) = self.last;
        let mut fork = None;
        for number in (genesis_origin..=last).rev() {
            let stored = self.shared.db.l1_hash(number).await?;
            if stored.is_some() && stored == self.reader.hash_of(number).await? {
                fork = Some(number);
                break;
            }
        }
        let fork = fork.ok_or(IndexError::DeploymentReorged(genesis_origin))?;
        if let Some(finalized) = self.shared.db.l1_finalized().await?
            && fork < finalized
        {
            let refused = IndexError::FinalizedReorg {
                fork,
                finalized,
                last,
            };
            if self.shared.status().error != Some(refused.to_string()) {
                tracing::error!(%refused, "deep L1 reorganisation refused");
                self.shared.metrics.deep_reorgs_refused.inc();
            }
            return Err(refused);
        }
        let depth = last - fork;
        tracing::warn!(fork, depth, "L1 reorganised; rolling the index back");
        self.shared.set_heads(None);
        self.shared.db.rollback_after(fork).await?;
        self.reload().await?;
        self.shared.update(|s| s.reorgs += 1);
        self.shared.metrics.reorgs.inc();
        self.shared.emit(IndexEvent::Reorg { fork, depth });
        self.finality = None;
        Ok(())
    }

    /// Rebuilds the deriver and the written sets from the database (the in-memory nodes are kept:
    /// they are content-addressed, so extra ones are harmless).
    async fn reload(&mut self) -> Result<(), IndexError> {
        let state = std::mem::take(self.shared.deriver().state_mut());
        let (nodes, codes) = self.shared.db.state_contents().await?;
        self.written_nodes = nodes.iter().map(|(h, _)| *h).collect();
        self.written_codes = codes.iter().map(|(h, _)| *h).collect();
        let mut state = state;
        for (_, rlp) in nodes {
            state.nodes.insert(rlp);
        }
        for (hash, code) in codes {
            state.codes.insert(hash, code);
        }
        let deriver = resume(&self.shared.db, &self.shared.genesis, state).await?;
        self.last = deriver.l1_head();
        let safe = deriver.safe_head().number;
        *self.shared.deriver() = deriver;
        self.shared.update(|s| {
            s.derived_l1_block = self.last.0;
            s.safe_head = safe;
        });
        self.shared.metrics.set_derived(self.last.0, safe);
        Ok(())
    }

    /// Derives one L1 block and writes the result.
    async fn apply(&mut self, block: &super::l1::L1Block) -> Result<(), IndexError> {
        let started = Instant::now();
        let decoded = decode(block);
        let Some(input) = &decoded.input else {
            return Ok(());
        };
        let mut write = L1BlockWrite {
            block: block.row.clone(),
            deposits: decoded.deposits,
            batches: decoded.batches,
            blocks: Vec::new(),
            proposals: decoded.proposals,
            games: decoded.games,
            events: decoded.events,
            nodes: Vec::new(),
            codes: Vec::new(),
        };
        let derived = {
            let mut deriver = self.shared.deriver();
            let step = deriver.advance(input)?;
            for batch in &mut write.batches {
                if batch.status == BatchStatus::Dropped {
                    continue;
                }
                let mine: Vec<&DerivedBlock> = step
                    .blocks
                    .iter()
                    .filter(|b| b.source == BlockSource::Batch { index: batch.index })
                    .collect();
                if let (Some(first), Some(last)) = (mine.first(), mine.last()) {
                    batch.blocks = Some((first.block.header.number, last.block.header.number));
                    batch.parent_hash = Some(first.block.header.parent_hash);
                    batch.raw_size = batch.data.as_ref().and_then(|data| {
                        light_node::decode_batch(data, self.shared.genesis.config.max_batch_size)
                            .ok()
                            .map(|b| alloy_rlp::Encodable::length(&b) as u64)
                    });
                } else {
                    batch.status = BatchStatus::Dropped;
                    batch.reason = Some(
                        step.dropped
                            .iter()
                            .find(|d| d.index == batch.index)
                            .map_or_else(|| "dropped".to_owned(), |d| d.reason.to_string()),
                    );
                }
            }
            for dropped in &step.dropped {
                tracing::warn!(
                    index = dropped.index,
                    l1_block = dropped.l1_block,
                    reason = %dropped.reason,
                    "batch dropped"
                );
            }
            let state = deriver.state_mut();
            let root = state.root;
            for derived in &step.blocks {
                write.blocks.push(block_write(derived, state)?);
                write.nodes.extend(new_nodes(
                    &state.nodes,
                    derived.block.header.state_root,
                    &mut self.written_nodes,
                )?);
            }
            state.root = root;
            for (hash, code) in &state.codes {
                if self.written_codes.insert(*hash) {
                    write.codes.push((*hash, code.clone()));
                }
            }
            step.blocks
        };
        self.shared.db.commit(&write).await?;
        self.last = (block.row.number, block.row.hash);
        let safe = derived.last().map(|b| b.block.header.number);
        self.shared.update(|s| {
            s.derived_l1_block = block.row.number;
            if let Some(safe) = safe {
                s.safe_head = safe;
            }
        });
        self.shared
            .metrics
            .observe_derivation(block.row.number, safe, started.elapsed());
        self.check_against_sequencer(&derived).await;
        self.announce(&write);
        Ok(())
    }

    /// Compares derived blocks with the sequencer's (devnet). Where they differ, L1 decided
    /// otherwise (the batcher was away past the sequencing window, or a reorganisation took an
    /// origin): the sequencer resets onto the derived chain, as op-node does. A difference that
    /// cannot be reset (the blocks before differ too) is logged loudly and shown in the status.
    async fn check_against_sequencer(&self, derived: &[DerivedBlock]) {
        let Some(sequencer) = &self.shared.sequencer else {
            return;
        };
        let Some(first) = derived.iter().position(|b| {
            sequencer.block(b.block.header.number).map(|s| s.hash) != Some(b.block.hash)
        }) else {
            return;
        };
        let b = &derived[first];
        let number = b.block.header.number;
        let sequenced = sequencer.block(number).map(|s| s.hash);
        let parent_agrees = sequencer
            .block(number.saturating_sub(1))
            .is_some_and(|p| p.hash == b.block.header.parent_hash);
        if parent_agrees {
            let blocks: Vec<(BlockAttributes, B256)> =
                derived[first..].iter().map(attributes_of).collect();
            match sequencer.reset_to_derived(number, &blocks).await {
                Ok(report) => {
                    tracing::warn!(
                        number,
                        derived = %b.block.hash,
                        sequenced = ?sequenced,
                        requeued = report.requeued.len(),
                        lost = report.lost.len(),
                        "the sequencer's chain differed from the derived one from this block; reset onto it"
                    );
                    self.shared.update(|s| s.divergence = None);
                    return;
                }
                Err(e) => tracing::error!(number, error = %e, "cannot reset the sequencer"),
            }
        }
        tracing::error!(
            number,
            derived = %b.block.hash,
            sequenced = ?sequenced,
            "THE DERIVED CHAIN DIFFERS FROM THE SEQUENCER'S"
        );
        self.shared.update(|s| {
            if s.divergence.is_none() {
                s.divergence = Some(Divergence {
                    number,
                    derived: b.block.hash,
                    sequenced,
                });
            }
        });
    }

    fn announce(&self, write: &L1BlockWrite) {
        for b in &write.batches {
            self.shared.emit(IndexEvent::Batch {
                index: b.index,
                status: b.status.as_str(),
                l1_block: b.l1_block,
            });
        }
        for b in &write.blocks {
            self.shared.emit(IndexEvent::Block {
                number: b.row.header.number,
                hash: b.row.hash,
                tx_count: b.row.tx_count,
                l1_block: b.row.l1_block,
            });
        }
        for p in &write.proposals {
            self.shared.emit(IndexEvent::Proposal {
                index: p.index,
                l2_block: p.l2_block,
                output_root: p.output_root,
            });
        }
        for g in &write.games {
            self.shared.emit(IndexEvent::Rollup {
                kind: "game_started",
                proposal_index: Some(g.proposal_index),
                game_id: Some(g.id),
            });
        }
        for e in &write.events {
            self.shared.emit(IndexEvent::Rollup {
                kind: e.kind,
                proposal_index: e.proposal_index,
                game_id: e.game_id,
            });
        }
    }
}

/// Rebuilds a deriver over `state` from what the index holds.
async fn resume(db: &Db, genesis: &RollupGenesis, state: L2State) -> Result<Deriver, IndexError> {
    let parts = db.resume_parts().await?;
    let mut deriver = Deriver::resume(
        genesis.config.clone(),
        state,
        parts.safe,
        parts.safe_origin,
        parts.hashes,
        parts.l1,
    )?;
    // Recovering a batch's senders is most of a transfer's cost: it runs on every core.
    deriver.set_recovery_threads(std::thread::available_parallelism().map_or(1, |n| n.get()));
    Ok(deriver)
}

/// The rows of one derived block; reads the accounts it touched at its state root (`state.root` is
/// left changed: the caller restores it).
fn block_write(derived: &DerivedBlock, state: &mut L2State) -> Result<BlockWrite, IndexError> {
    let block = &derived.block;
    let header = &block.header;
    let base_fee = header.base_fee_per_gas.unwrap_or_default();
    let mut transactions = Vec::with_capacity(block.transactions.len());
    let mut logs = Vec::new();
    let mut previous_gas = 0u64;
    for (index, (tx, receipt)) in block.transactions.iter().zip(&block.receipts).enumerate() {
        let cumulative = receipt.receipt.cumulative_gas_used;
        let gas_used = cumulative.saturating_sub(previous_gas);
        previous_gas = cumulative;
        let hash = tx.hash();
        let success = receipt.success();
        let row = match tx {
            L2Transaction::Deposit(d) => TxRow {
                hash,
                index: index as u64,
                tx_type: light_node::DEPOSIT_TX_TYPE,
                from: d.from,
                to: Some(d.to),
                contract_address: None,
                nonce: 0,
                value: d.mint,
                gas_limit: d.gas_limit,
                gas_used,
                effective_gas_price: 0,
                success,
                deposit_nonce: Some(d.nonce),
                raw: Bytes::from(d.encoded_2718()),
            },
            L2Transaction::User {
                tx: envelope,
                sender,
            } => {
                let to = envelope.to();
                TxRow {
                    hash,
                    index: index as u64,
                    tx_type: tx.tx_type(),
                    from: *sender,
                    to,
                    contract_address: (to.is_none() && success)
                        .then(|| sender.create(envelope.nonce())),
                    nonce: envelope.nonce(),
                    value: envelope.value(),
                    gas_limit: envelope.gas_limit(),
                    gas_used,
                    effective_gas_price: envelope.effective_gas_price(Some(base_fee)),
                    success,
                    deposit_nonce: None,
                    raw: tx.encoded(),
                }
            }
        };
        for log in &receipt.receipt.logs {
            logs.push(LogRow {
                log_index: logs.len() as u64,
                tx_hash: hash,
                tx_index: index as u64,
                address: log.address,
                topics: log.topics().to_vec(),
                data: log.data.data.clone(),
            });
        }
        transactions.push(row);
    }
    // In order of first appearance; the set keeps the check linear in the block's size.
    let mut seen = HashSet::new();
    let touched: Vec<Address> = transactions
        .iter()
        .flat_map(TxRow::accounts)
        .filter(|a| seen.insert(*a))
        .collect();
    state.root = header.state_root;
    let mut accounts = Vec::with_capacity(touched.len());
    for address in touched {
        let account = state.account(address)?;
        accounts.push(AccountRow {
            address,
            nonce: account.map_or(0, |a| a.nonce),
            balance: account.map_or_else(Default::default, |a| a.balance),
            code_hash: account.map_or(alloy_primitives::KECCAK256_EMPTY, |a| a.code_hash),
        });
    }
    let batch_index = match derived.source {
        BlockSource::Batch { index } => Some(index),
        BlockSource::ForceIncluded => None,
    };
    Ok(BlockWrite {
        row: BlockRow {
            header: header.clone(),
            hash: block.hash,
            output_root: light_node::output_root(header.state_root, block.hash),
            l1_origin: derived.l1_origin,
            l1_origin_hash: header.mix_hash,
            l1_block: derived.l1_block,
            batch_index,
            tx_count: block.transactions.len() as u64,
        },
        transactions,
        skipped: block.skipped.clone(),
        logs,
        accounts,
    })
}

/// The attributes derivation executed a block with, and the hash it gave: what the sequencer
/// re-executes to adopt the block.
fn attributes_of(b: &DerivedBlock) -> (BlockAttributes, B256) {
    let header = &b.block.header;
    let mut deposits = Vec::new();
    let mut transactions = Vec::new();
    for tx in &b.block.transactions {
        match tx {
            L2Transaction::Deposit(d) => deposits.push(d.clone()),
            user => transactions.push(user.encoded()),
        }
    }
    let attributes = BlockAttributes {
        timestamp: header.timestamp,
        l1_origin_number: b.l1_origin,
        l1_origin_hash: header.mix_hash,
        deposits,
        transactions,
    };
    (attributes, b.block.hash)
}
