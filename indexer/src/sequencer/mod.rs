//! The sequencer: the mempool, the block builder and the persistence of blocks and state.
//!
//! Blocks are built with the light node's state transition ([`light_node::execute_block`]), so that
//! derivation from L1 reproduces them hash for hash. Each block is written to SQLite (with the trie
//! nodes it created) before anyone can see it; a restart continues the chain from disk.

pub(crate) mod nodes;
mod origin;
mod pool;
mod store;
mod turns;

use std::{
    collections::{HashMap, HashSet},
    path::Path,
    sync::{
        Arc, Mutex, MutexGuard, RwLock,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, keccak256};
use light_node::{
    BlockAttributes, BlockHashes, ExecError, L1Origin, L2Receipt, L2State, L2Transaction,
    execute_block_recovered, l1_origin_number_of, output_root,
};
use tokio::sync::watch;

pub use nodes::NodeWalkError;
pub(crate) use origin::l1_call;
pub use origin::{L1Origins, OriginError, OriginSource, deposits_in};
pub use pool::{AccountView, Pool, PoolConfig, PoolError, PooledTx, intrinsic_gas};
pub use store::{Store, StoreError};

use crate::genesis::RollupGenesis;

/// The sequencer's settings (the chain's own parameters are in [`RollupGenesis::config`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequencerConfig {
    /// Mempool limits.
    pub pool: PoolConfig,
    /// Most bytes of user transactions one block carries (keeps every block well within a batch).
    pub max_block_bytes: usize,
}

impl Default for SequencerConfig {
    fn default() -> Self {
        Self {
            pool: PoolConfig::default(),
            // Small enough that even a block of incompressible calldata fits in one L1 transaction.
            max_block_bytes: 256 * 1024,
        }
    }
}

/// Why the sequencer failed.
#[derive(Debug, thiserror::Error)]
pub enum SequencerError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The state is incomplete: the database and the blocks disagree.
    #[error("state: {0}")]
    Exec(#[from] ExecError),
    /// A trie node the state refers to is missing.
    #[error(transparent)]
    Nodes(#[from] NodeWalkError),
    /// The database belongs to another rollup.
    #[error(
        "the data folder holds another rollup (genesis differs: {0}); use another --data-dir or remove it"
    )]
    OtherRollup(String),
    /// The stored chain does not hash to what it recorded.
    #[error("stored chain is inconsistent: {0}")]
    Inconsistent(String),
    /// A block could not be persisted; the sequencer stopped building so nothing unpersisted is shown.
    #[error("the sequencer halted after a storage failure; restart it")]
    Halted,
    /// A reset onto the derived chain could not be made.
    #[error("reset onto the derived chain: {0}")]
    Reset(String),
}

/// What a reset onto the derived chain did ([`Sequencer::reset_to_derived`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResetReport {
    /// The first block replaced.
    pub from: u64,
    /// The sequencer's own blocks dropped.
    pub dropped_blocks: u64,
    /// Derived blocks re-executed in their place.
    pub adopted: u64,
    /// User transactions of the dropped blocks put back in the pool.
    pub requeued: Vec<B256>,
    /// Those that no longer applied, with the reason.
    pub lost: Vec<(B256, String)>,
}

/// The most lost transactions whose reason the sequencer remembers.
const MAX_LOST: usize = 10_000;

/// Why `eth_sendRawTransaction` refused a transaction.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The pool's rules refused it.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// It could not be persisted.
    #[error("cannot store the transaction: {0}")]
    Store(#[from] StoreError),
    /// The state could not be read.
    #[error("state: {0}")]
    Exec(#[from] ExecError),
    /// The task decoding it failed (the runtime is shutting down).
    #[error("cannot decode the transaction: {0}")]
    Decoder(String),
}

/// An L2 block as the sequencer built it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequencedBlock {
    /// The sealed header.
    pub header: Header,
    /// Its hash.
    pub hash: B256,
    /// Deposits first, then user transactions.
    pub transactions: Vec<L2Transaction>,
    /// One receipt per transaction.
    pub receipts: Vec<L2Receipt>,
}

impl SequencedBlock {
    /// The block's output root, as the proposer posts it.
    pub fn output_root(&self) -> B256 {
        output_root(self.header.state_root, self.hash)
    }

    /// The user transactions as the batch carries them (EIP-2718 bytes, deposits left out).
    pub fn batch_transactions(&self) -> Vec<Bytes> {
        self.transactions
            .iter()
            .filter(|t| matches!(t, L2Transaction::User { .. }))
            .map(L2Transaction::encoded)
            .collect()
    }

    /// Gas the transaction at `index` used (from the cumulative gas of the receipts).
    pub fn gas_used_by(&self, index: usize) -> u64 {
        let cumulative = |i: usize| {
            self.receipts
                .get(i)
                .map_or(0, |r| r.receipt.cumulative_gas_used)
        };
        cumulative(index) - if index == 0 { 0 } else { cumulative(index - 1) }
    }

    /// Index of the first log of transaction `index` within the block.
    pub fn first_log_index(&self, index: usize) -> usize {
        self.receipts[..index.min(self.receipts.len())]
            .iter()
            .map(|r| r.receipt.logs.len())
            .sum()
    }
}

/// The sequenced chain, in memory.
#[derive(Debug, Default)]
struct Chain {
    blocks: Vec<Arc<SequencedBlock>>,
    by_hash: HashMap<B256, u64>,
    tx_index: HashMap<B256, (u64, usize)>,
}

impl Chain {
    /// Drops the blocks from `number` on.
    fn truncate(&mut self, number: u64) {
        let Ok(keep) = usize::try_from(number) else {
            return;
        };
        for block in self.blocks.drain(keep.min(self.blocks.len())..) {
            self.by_hash.remove(&block.hash);
            for tx in &block.transactions {
                self.tx_index.remove(&tx.hash());
            }
        }
    }

    fn push(&mut self, block: Arc<SequencedBlock>) {
        let number = block.header.number;
        self.by_hash.insert(block.hash, number);
        for (i, tx) in block.transactions.iter().enumerate() {
            self.tx_index.insert(tx.hash(), (number, i));
        }
        self.blocks.push(block);
    }
}

/// The state and what building the next block needs besides it.
#[derive(Debug)]
struct Working {
    state: L2State,
    hashes: BlockHashes,
    written_nodes: HashSet<B256>,
    written_codes: HashSet<B256>,
}

/// The sequencer: chain, state, mempool and database, shared by the block builder, the RPC server,
/// the batcher and the proposer.
#[derive(Debug)]
pub struct Sequencer {
    genesis: RollupGenesis,
    config: SequencerConfig,
    store: Store,
    chain: RwLock<Chain>,
    working: Mutex<Working>,
    pool: Mutex<Pool>,
    /// Transactions a full pool refused, decoded, by hash. Clients send them again until they get
    /// in, and a resend then costs a hash instead of decoding and recovering the sender again (the
    /// pool's checks still run). At most as many as the pool holds.
    refused: Mutex<HashMap<B256, PooledTx>>,
    /// The order of admission.
    turns: turns::Turns,
    safe: AtomicU64,
    finalized: AtomicU64,
    halted: AtomicBool,
    /// How many of the sequencer's own users (the block builder, the pool's account reads, short
    /// state reads) wait for the working state: calls that watch it (`rpc::call`) stop at once
    /// and run again after them.
    building: AtomicUsize,
    /// Taken by whoever changes the chain (building a block, a reset onto the derived chain), so
    /// that those never interleave.
    producing: tokio::sync::Mutex<()>,
    /// Resets onto the derived chain so far: the batcher learns the posted chain again after one.
    resets: AtomicU64,
    /// The last block the latest reset adopted.
    reset_head: AtomicU64,
    /// Transactions a reset took out of the chain that no longer applied, with the reason.
    lost: Mutex<HashMap<B256, String>>,
    head_tx: watch::Sender<u64>,
}

/// Locks a mutex, recovering it if a panic elsewhere poisoned it (the data is never left half-written
/// inside a critical section).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sequencer {
    /// Opens the sequencer over the database in `data_dir`, creating the genesis there if the database
    /// is new, or continuing the stored chain.
    pub async fn open(
        data_dir: &Path,
        genesis: RollupGenesis,
        config: SequencerConfig,
    ) -> Result<Arc<Self>, SequencerError> {
        let store = Store::open(&data_dir.join("sequencer.sqlite")).await?;
        Self::open_store(store, genesis, config).await
    }

    /// Opens the sequencer over an open database.
    pub async fn open_store(
        store: Store,
        genesis: RollupGenesis,
        config: SequencerConfig,
    ) -> Result<Arc<Self>, SequencerError> {
        let (genesis_state, genesis_header) = genesis.genesis_state()?;
        let reset_head = store.reset_head().await?;
        let mut written_nodes = HashSet::new();
        let (state, blocks) = match store.genesis().await? {
            Some(stored) => {
                if stored != genesis {
                    return Err(SequencerError::OtherRollup(format!(
                        "stored rollup {} from L1 block {}, asked for rollup {} from L1 block {}",
                        stored.rollup,
                        stored.l1_origin.number,
                        genesis.rollup,
                        genesis.l1_origin.number
                    )));
                }
                let mut state = L2State::default();
                for node in store.trie_nodes().await? {
                    written_nodes.insert(state.nodes.insert(node));
                }
                for code in store.codes().await? {
                    state.codes.insert(alloy_primitives::keccak256(&code), code);
                }
                let blocks = store.blocks().await?;
                match blocks.first() {
                    Some(first) if first.hash == genesis_header.hash_slow() => {}
                    _ => {
                        return Err(SequencerError::Inconsistent(
                            "block 0 is missing or is not the genesis".into(),
                        ));
                    }
                }
                (state, blocks)
            }
            None => {
                let block = SequencedBlock {
                    hash: genesis_header.hash_slow(),
                    header: genesis_header.clone(),
                    transactions: Vec::new(),
                    receipts: Vec::new(),
                };
                let nodes =
                    nodes::new_nodes(&genesis_state.nodes, genesis_state.root, &mut written_nodes)?;
                store.init_genesis(&genesis, &block, &nodes).await?;
                (genesis_state, vec![block])
            }
        };

        let mut chain = Chain::default();
        let mut hashes = BlockHashes::new();
        for (i, block) in blocks.into_iter().enumerate() {
            if block.header.number != i as u64 {
                return Err(SequencerError::Inconsistent(format!(
                    "block {} stored at position {i}",
                    block.header.number
                )));
            }
            hashes.insert(block.header.number, block.hash);
            chain.push(Arc::new(block));
        }
        let head = chain
            .blocks
            .last()
            .cloned()
            .ok_or_else(|| SequencerError::Inconsistent("no blocks".into()))?;
        let mut state = state;
        state.root = head.header.state_root;
        let written_codes = state.codes.keys().copied().collect();
        let (head_tx, _) = watch::channel(head.header.number);
        let sequencer = Arc::new(Self {
            pool: Mutex::new(Pool::new(config.pool.clone())),
            turns: turns::Turns::default(),
            refused: Mutex::default(),
            genesis,
            config,
            store,
            chain: RwLock::new(chain),
            working: Mutex::new(Working {
                state,
                hashes,
                written_nodes,
                written_codes,
            }),
            safe: AtomicU64::new(0),
            finalized: AtomicU64::new(0),
            halted: AtomicBool::new(false),
            building: AtomicUsize::new(0),
            producing: tokio::sync::Mutex::new(()),
            resets: AtomicU64::new(0),
            reset_head: AtomicU64::new(reset_head),
            lost: Mutex::default(),
            head_tx,
        });
        sequencer.reload_mempool().await?;
        Ok(sequencer)
    }

    async fn reload_mempool(&self) -> Result<(), SequencerError> {
        let mut dropped = Vec::new();
        let mut kept = 0usize;
        for raw in self.store.mempool().await? {
            match self.admit(&raw) {
                Ok((_, gone)) => {
                    kept += 1;
                    dropped.extend(gone);
                }
                Err(e) => {
                    dropped.push(alloy_primitives::keccak256(&raw));
                    tracing::debug!(error = %e, "dropping a stored mempool transaction");
                }
            }
        }
        self.store.remove_from_mempool(&dropped).await?;
        if kept > 0 || !dropped.is_empty() {
            tracing::info!(kept, dropped = dropped.len(), "mempool reloaded");
        }
        Ok(())
    }

    /// The rollup this sequencer builds.
    pub fn genesis(&self) -> &RollupGenesis {
        &self.genesis
    }

    /// The chain parameters.
    pub fn chain_config(&self) -> &light_node::ChainConfig {
        &self.genesis.config
    }

    /// The sequencer's settings.
    pub fn config(&self) -> &SequencerConfig {
        &self.config
    }

    fn chain(&self) -> std::sync::RwLockReadGuard<'_, Chain> {
        self.chain.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The latest block.
    pub fn head(&self) -> Arc<SequencedBlock> {
        self.chain()
            .blocks
            .last()
            .cloned()
            .expect("the chain always holds the genesis")
    }

    /// The latest block number.
    pub fn head_number(&self) -> u64 {
        (self.chain().blocks.len() as u64).saturating_sub(1)
    }

    /// Notifies of every new head (its number).
    pub fn subscribe_heads(&self) -> watch::Receiver<u64> {
        self.head_tx.subscribe()
    }

    /// Block `number`, if sequenced.
    pub fn block(&self, number: u64) -> Option<Arc<SequencedBlock>> {
        usize::try_from(number)
            .ok()
            .and_then(|n| self.chain().blocks.get(n).cloned())
    }

    /// Blocks `from..=to` that exist.
    pub fn blocks(&self, from: u64, to: u64) -> Vec<Arc<SequencedBlock>> {
        let chain = self.chain();
        let end = (to.saturating_add(1) as usize).min(chain.blocks.len());
        let start = (from as usize).min(end);
        chain.blocks[start..end].to_vec()
    }

    /// The block with this hash.
    pub fn block_by_hash(&self, hash: &B256) -> Option<Arc<SequencedBlock>> {
        let chain = self.chain();
        chain
            .by_hash
            .get(hash)
            .and_then(|n| chain.blocks.get(*n as usize).cloned())
    }

    /// A sequenced transaction: its block and position.
    pub fn transaction(&self, hash: &B256) -> Option<(Arc<SequencedBlock>, usize)> {
        let chain = self.chain();
        let (number, index) = *chain.tx_index.get(hash)?;
        Some((chain.blocks.get(number as usize)?.clone(), index))
    }

    /// A transaction waiting in the mempool.
    pub fn pooled(&self, hash: &B256) -> Option<Arc<PooledTx>> {
        lock(&self.pool).get(hash)
    }

    /// Number of transactions waiting.
    pub fn pool_len(&self) -> usize {
        lock(&self.pool).len()
    }

    /// The highest block in an L1 batch (the rollup's "safe" head), as the batcher reports it.
    pub fn safe_number(&self) -> u64 {
        self.safe.load(Ordering::Acquire)
    }

    /// Records that every block up to `number`, and none after it, is in an L1 batch (it goes
    /// back when an L1 reorganisation takes batches away).
    pub fn set_safe(&self, number: u64) {
        self.safe.store(number, Ordering::Release);
    }

    /// The highest block covered by a finalized output root.
    pub fn finalized_number(&self) -> u64 {
        self.finalized.load(Ordering::Acquire)
    }

    /// Records that every block up to `number` is covered by a finalized output root.
    pub fn set_finalized(&self, number: u64) {
        self.finalized.fetch_max(number, Ordering::AcqRel);
    }

    /// The base fee of the block after the head.
    pub fn next_base_fee(&self) -> u64 {
        next_base_fee(&self.head().header, self.genesis.config.genesis_base_fee)
    }

    /// The working state for the block builder: readers that watch [`Self::building`] let go of
    /// it within a few hundred EVM instructions, so a heavy call never holds a block up.
    fn lock_working_to_build(&self) -> std::sync::MutexGuard<'_, Working> {
        self.building.fetch_add(1, Ordering::AcqRel);
        let guard = lock(&self.working);
        self.building.fetch_sub(1, Ordering::AcqRel);
        guard
    }

    /// Non-zero while the block builder (or another short user) waits for the state: a long read
    /// watching it stops and runs again after ([`Self::wait_for_builder`]).
    pub fn building(&self) -> &AtomicUsize {
        &self.building
    }

    /// Waits (sleeping, for blocking readers) until the block builder no longer waits for the
    /// state, or `deadline`; returns whether it stopped waiting in time.
    pub fn wait_for_builder(&self, deadline: std::time::Instant) -> bool {
        while self.building.load(Ordering::Acquire) > 0 {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        true
    }

    /// Runs `f` on the state at `root` (any past block's root: the node store keeps them all).
    /// Short reads go before long calls, which watch [`Self::building`].
    pub fn with_state_at<R>(&self, root: B256, f: impl FnOnce(&mut L2State) -> R) -> R {
        let mut working = self.lock_working_to_build();
        let saved = working.state.root;
        working.state.root = root;
        let result = f(&mut working.state);
        working.state.root = saved;
        result
    }

    /// Runs `f` on the state at `root` with the recent block hashes (for `eth_call`, which watches
    /// [`Self::building`] to let go of the state when anything else needs it).
    pub fn with_state_and_hashes<R>(
        &self,
        root: B256,
        f: impl FnOnce(&mut L2State, &BlockHashes) -> R,
    ) -> R {
        let mut working = lock(&self.working);
        let working = &mut *working;
        let saved = working.state.root;
        working.state.root = root;
        let result = f(&mut working.state, &working.hashes);
        working.state.root = saved;
        result
    }

    /// The account's next nonce counting its executable waiting transactions.
    pub fn pending_nonce(&self, address: Address) -> Result<u64, ExecError> {
        let mut pool = lock(&self.pool);
        let account = self.head_account(&mut pool, address)?;
        Ok(pool.pending_nonce(address, account.nonce))
    }

    /// An account at the head, as the pool knows it, else read from the state (which waits for a
    /// block being built) and remembered. Called under the pool lock, which publishing a head holds.
    fn head_account(&self, pool: &mut Pool, address: Address) -> Result<AccountView, ExecError> {
        if let Some(account) = pool.head_account(&address) {
            return Ok(account);
        }
        let root = self.head().header.state_root;
        let view = AccountView::from(self.with_state_at(root, |s| s.account(address))?);
        pool.remember_head_account(address, view);
        Ok(view)
    }

    /// The accounts of `addresses` in the state at `root`. One that cannot be read is left out,
    /// to be read again (and its error reported) when a transaction needs it.
    fn accounts_at(
        &self,
        root: B256,
        addresses: impl IntoIterator<Item = Address>,
    ) -> HashMap<Address, AccountView> {
        self.with_state_at(root, |s| {
            addresses
                .into_iter()
                .filter_map(|a| match s.account(a) {
                    Ok(account) => Some((a, AccountView::from(account))),
                    Err(e) => {
                        tracing::warn!(address = %a, error = %e, "cannot read an account at the new head");
                        None
                    }
                })
                .collect()
        })
    }

    /// Checks a raw transaction and adds it to the in-memory pool; returns it (with its arrival
    /// number) and the hashes of the transactions it replaced or evicted.
    fn admit(&self, raw: &[u8]) -> Result<(Arc<PooledTx>, Vec<B256>), SubmitError> {
        self.admit_decoded(PooledTx::decode(
            raw,
            &self.config.pool,
            &self.genesis.config,
        )?)
    }

    /// [`Sequencer::admit`] of a transaction already decoded.
    fn admit_decoded(&self, tx: PooledTx) -> Result<(Arc<PooledTx>, Vec<B256>), SubmitError> {
        // Head and pool are read under the pool lock, which publishing a block also holds.
        let mut pool = lock(&self.pool);
        let head = self.head();
        let base_fee = next_base_fee(&head.header, self.genesis.config.genesis_base_fee);
        let view = self.head_account(&mut pool, tx.sender)?;
        let hash = tx.hash;
        let kept = pool.is_full().then(|| tx.clone());
        let replaced = match pool.add(tx, view, base_fee) {
            Err(PoolError::PoolFull) => {
                if let Some(tx) = kept {
                    let mut refused = lock(&self.refused);
                    if refused.len() >= self.config.pool.max_pool_size {
                        refused.clear();
                    }
                    refused.insert(hash, tx);
                }
                return Err(PoolError::PoolFull.into());
            }
            other => other?,
        };
        let added = pool.get(&hash).expect("just added");
        let mut gone = pool.take_evicted();
        gone.extend(replaced);
        Ok((added, gone))
    }

    /// `eth_sendRawTransaction`: checks the transaction, adds it to the mempool and persists it
    /// before returning its hash.
    ///
    /// Transactions enter the pool in the order they arrive, but decoding them and recovering their
    /// senders, most of the work, runs on any core (`turns.rs`).
    pub async fn submit(&self, raw: &[u8]) -> Result<B256, SubmitError> {
        let ticket = self.turns.ticket();
        let known = lock(&self.refused).remove(&keccak256(raw));
        let decoded = match known {
            Some(tx) => Ok(tx),
            None => {
                let (raw, pool, chain) = (
                    raw.to_vec(),
                    self.config.pool.clone(),
                    self.genesis.config.clone(),
                );
                tokio::spawn(async move { PooledTx::decode(&raw, &pool, &chain) })
                    .await
                    .map_err(|e| SubmitError::Decoder(e.to_string()))?
            }
        };
        ticket.turn().await;
        let (tx, replaced) = self.admit_decoded(decoded?)?;
        drop(ticket);
        if let Err(e) = self
            .store
            .add_to_mempool(tx.hash, tx.seq, tx.raw.clone())
            .await
        {
            lock(&self.pool).remove(&tx.hash);
            return Err(e.into());
        }
        if !replaced.is_empty() {
            // Losing this delete is harmless: a stale transaction is dropped on reload.
            let _ = self.store.remove_from_mempool(&replaced).await;
        }
        Ok(tx.hash)
    }

    /// The L1 origin (number, hash) of a block.
    pub fn origin_of(&self, block: &SequencedBlock) -> (u64, B256) {
        if block.header.number == 0 {
            (self.genesis.l1_origin.number, self.genesis.l1_origin.hash)
        } else {
            (
                l1_origin_number_of(&block.header).unwrap_or(self.genesis.l1_origin.number),
                block.header.mix_hash,
            )
        }
    }

    /// Builds, persists and publishes the next block. `origin` is the new L1 origin when it
    /// advances (its deposits go first), `None` to keep the parent's.
    pub async fn build_block(
        &self,
        origin: Option<L1Origin>,
    ) -> Result<Arc<SequencedBlock>, SequencerError> {
        self.build(origin, true).await
    }

    /// Builds the next block as [`build_block`](Self::build_block) does, without user transactions:
    /// what the drift rule allows past `max_sequencer_drift` ([`light_node::ChainConfig::within_drift`]).
    pub async fn build_empty_block(
        &self,
        origin: Option<L1Origin>,
    ) -> Result<Arc<SequencedBlock>, SequencerError> {
        self.build(origin, false).await
    }

    async fn build(
        &self,
        origin: Option<L1Origin>,
        with_transactions: bool,
    ) -> Result<Arc<SequencedBlock>, SequencerError> {
        let _producing = self.producing.lock().await;
        if self.halted.load(Ordering::Acquire) {
            return Err(SequencerError::Halted);
        }
        let parent = self.head();
        let config = &self.genesis.config;
        let (origin_number, origin_hash) = self.origin_of(&parent);
        let (l1_origin_number, l1_origin_hash, deposits) = match origin {
            Some(o) => (o.number, o.hash, o.deposits),
            None => (origin_number, origin_hash, Vec::new()),
        };
        let base_fee = next_base_fee(&parent.header, config.genesis_base_fee);

        // Deposits run first and each call bumps its L1 sender's nonce on L2.
        let mut deposit_calls: HashMap<Address, u64> = HashMap::new();
        for d in &deposits {
            *deposit_calls.entry(d.from).or_default() += 1;
        }
        // Lock order everywhere: pool, then working state, then chain.
        // Deposits take their gas limits out of the block's first; the pool fills what they leave.
        let deposit_gas: u64 = deposits.iter().map(|d| d.gas_limit).sum();
        let selected = if !with_transactions {
            Vec::new()
        } else {
            let pool = lock(&self.pool);
            let mut working = self.lock_working_to_build();
            let state = &mut working.state;
            pool.select(
                |sender| {
                    state.account(sender).ok().flatten().map_or(0, |a| a.nonce)
                        + deposit_calls.get(&sender).copied().unwrap_or(0)
                },
                base_fee,
                config.block_gas_limit.saturating_sub(deposit_gas),
                self.config.max_block_bytes,
            )
        };
        let attributes = BlockAttributes {
            timestamp: parent.header.timestamp + config.block_time,
            l1_origin_number,
            l1_origin_hash,
            deposits,
            transactions: selected.iter().map(|t| t.raw.clone()).collect(),
        };
        // The pool recovered every sender on admission.
        let recovered = selected.iter().map(|t| t.recovered.clone()).collect();
        self.commit(&parent, &attributes, recovered).await
    }

    /// Resets the chain onto the derived one, as op-node does when L1 decided otherwise (the batcher
    /// was away past the sequencing window and derivation forced blocks, or an L1 reorganisation
    /// took the origin of the sequencer's blocks): drops its blocks from `from` on, re-executes the
    /// derived blocks `derived` (their attributes and the hash derivation gave each) in their place,
    /// and puts the user transactions of the dropped blocks that the derived ones do not hold back
    /// in the pool, reporting those that no longer apply. The batcher learns the posted chain again.
    pub async fn reset_to_derived(
        &self,
        from: u64,
        derived: &[(BlockAttributes, B256)],
    ) -> Result<ResetReport, SequencerError> {
        let _producing = self.producing.lock().await;
        if self.halted.load(Ordering::Acquire) {
            return Err(SequencerError::Halted);
        }
        let head = self.head_number();
        if from == 0 || from > head + 1 {
            return Err(SequencerError::Reset(format!(
                "cannot reset from block {from}: the head is {head}"
            )));
        }
        let parent = self
            .block(from - 1)
            .ok_or_else(|| SequencerError::Reset(format!("block {} is missing", from - 1)))?;
        let dropped = self.blocks(from, head);
        self.store.truncate_from(from).await?;
        {
            let _pool = lock(&self.pool);
            let mut working = self.lock_working_to_build();
            working.state.root = parent.header.state_root;
            self.chain
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .truncate(from);
        }
        self.head_tx.send_replace(from - 1);
        let mut report = ResetReport {
            from,
            dropped_blocks: dropped.len() as u64,
            ..ResetReport::default()
        };
        let mut parent = parent;
        for (attributes, expected) in derived {
            let block = self.commit(&parent, attributes, Vec::new()).await?;
            if block.hash != *expected {
                // The same attributes on the same state must give the same block: anything else
                // means the state is not what derivation has, and nothing more may be built on it.
                self.halted.store(true, Ordering::Release);
                return Err(SequencerError::Reset(format!(
                    "re-executing derived block {} gave {}, derivation gave {expected}; sequencer halted",
                    block.header.number, block.hash
                )));
            }
            report.adopted += 1;
            parent = block;
        }
        let kept: HashSet<B256> = {
            let chain = self.chain.read().unwrap_or_else(|e| e.into_inner());
            chain.tx_index.keys().copied().collect()
        };
        for block in &dropped {
            for tx in &block.transactions {
                let L2Transaction::User { .. } = tx else {
                    continue;
                };
                let hash = tx.hash();
                if kept.contains(&hash) {
                    continue;
                }
                let raw = tx.encoded();
                match self.admit(&raw) {
                    Ok((added, gone)) => {
                        if self
                            .store
                            .add_to_mempool(added.hash, added.seq, added.raw.clone())
                            .await
                            .is_ok()
                        {
                            report.requeued.push(hash);
                        }
                        let _ = self.store.remove_from_mempool(&gone).await;
                    }
                    Err(e) => {
                        tracing::warn!(%hash, reason = %e, "a transaction of a dropped block no longer applies");
                        report.lost.push((hash, e.to_string()));
                    }
                }
            }
        }
        let last = parent.header.number;
        // What derivation holds is posted (or forced): the batcher goes on from there, after a
        // restart too.
        self.store.set_reset_head(last).await?;
        self.set_safe(last);
        self.reset_head.store(last, Ordering::Release);
        self.resets.fetch_add(1, Ordering::AcqRel);
        tracing::warn!(
            from,
            dropped = report.dropped_blocks,
            adopted = report.adopted,
            requeued = report.requeued.len(),
            lost = report.lost.len(),
            head = last,
            "sequencer reset onto the derived chain"
        );
        let mut lost = lock(&self.lost);
        for (hash, reason) in &report.lost {
            if lost.len() >= MAX_LOST {
                lost.clear();
            }
            lost.insert(*hash, reason.clone());
        }
        Ok(report)
    }

    /// Makes every block built so far durable on disk (before the batcher posts them).
    pub async fn sync_blocks(&self) -> Result<(), SequencerError> {
        Ok(self.store.sync().await?)
    }

    /// Resets onto the derived chain so far ([`Self::reset_to_derived`]).
    pub fn resets(&self) -> u64 {
        self.resets.load(Ordering::Acquire)
    }

    /// The last derived block the latest reset adopted (0 before any): the chain up to it is
    /// derivation's, so it needs no batch from this sequencer.
    pub fn reset_head(&self) -> u64 {
        self.reset_head.load(Ordering::Acquire)
    }

    /// Why a transaction the sequencer had included is gone: its block was replaced by the derived
    /// chain and it no longer applied. `None` for any other transaction.
    pub fn lost_reason(&self, hash: &B256) -> Option<String> {
        lock(&self.lost).get(hash).cloned()
    }

    /// Executes `attributes` on top of `parent` (the head), persists the block and publishes it.
    async fn commit(
        &self,
        parent: &SequencedBlock,
        attributes: &BlockAttributes,
        recovered: Vec<light_node::Recovered>,
    ) -> Result<Arc<SequencedBlock>, SequencerError> {
        let config = &self.genesis.config;
        let (executed, nodes, codes) = {
            let mut working = self.lock_working_to_build();
            let working = &mut *working;
            let executed = execute_block_recovered(
                config,
                &mut working.state,
                &parent.header,
                &working.hashes,
                attributes,
                recovered,
            )?;
            working.hashes.insert(executed.header.number, executed.hash);
            let nodes = nodes::new_nodes(
                &working.state.nodes,
                executed.header.state_root,
                &mut working.written_nodes,
            )?;
            let mut codes = Vec::new();
            for (hash, code) in &working.state.codes {
                if working.written_codes.insert(*hash) {
                    codes.push((*hash, code.clone()));
                }
            }
            (executed, nodes, codes)
        };
        for skipped in &executed.skipped {
            tracing::debug!(hash = ?skipped.hash, reason = %skipped.reason, "transaction left out of the block");
        }

        let block = Arc::new(SequencedBlock {
            header: executed.header,
            hash: executed.hash,
            transactions: executed.transactions,
            receipts: executed.receipts,
        });
        // What the block settles leaves the mempool table with the block, atomically.
        let mut settled: Vec<B256> = block.transactions.iter().map(L2Transaction::hash).collect();
        settled.extend(executed.skipped.iter().filter_map(|s| s.hash));
        if let Err(e) = self
            .store
            .insert_block(&block, &nodes, &codes, &settled)
            .await
        {
            // The in-memory state is now ahead of the disk: stop, so nothing unpersisted is served.
            self.halted.store(true, Ordering::Release);
            tracing::error!(error = %e, "cannot persist block {}; sequencer halted", block.header.number);
            return Err(e.into());
        }
        // The new head's accounts for the pool: the block's senders and those waiting. Read before
        // taking the pool lock, so that admission goes on meanwhile.
        let mut senders: HashSet<Address> = block
            .transactions
            .iter()
            .map(L2Transaction::sender)
            .collect();
        senders.extend(lock(&self.pool).senders());
        let mut accounts = self.accounts_at(block.header.state_root, senders);
        // Publish the block and settle the pool in one step under the pool lock, so admission never
        // sees a head and a pool that disagree (a nonce taken by the block but still free at the head).
        let stale = {
            let mut pool = lock(&self.pool);
            for hash in &settled {
                pool.remove(hash);
            }
            let arrived: Vec<Address> = pool
                .senders()
                .into_iter()
                .filter(|a| !accounts.contains_key(a))
                .collect();
            accounts.extend(self.accounts_at(block.header.state_root, arrived));
            let stale = pool.set_head(accounts);
            self.chain
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .push(block.clone());
            stale
        };
        self.head_tx.send_replace(block.header.number);
        if !stale.is_empty() {
            // Losing this delete is harmless: stale transactions are dropped on reload.
            let _ = self.store.remove_from_mempool(&stale).await;
        }
        Ok(block)
    }

    /// Builds a block every block time until the task is dropped. The clock is the later of the
    /// wall clock and L1's (the timestamp of L1's head, last read): when L1's time jumps
    /// ahead (anvil time travel), blocks are built back to back until L2 time catches up, so that
    /// L2 can take L1's new blocks as origins before the sequencing window closes on the old one.
    pub async fn run(self: Arc<Self>, origins: OriginSource) -> Result<(), SequencerError> {
        loop {
            let head = self.head();
            let timestamp = head.header.timestamp + self.genesis.config.block_time;
            let now_ms = unix_now_ms().max(origins.l1_clock_ms());
            let due_ms = timestamp.saturating_mul(1000);
            if due_ms > now_ms {
                tokio::time::sleep(Duration::from_millis((due_ms - now_ms).min(60_000))).await;
                continue;
            }
            let (parent_origin, _) = self.origin_of(&head);
            let origin = match origins.next(parent_origin, timestamp).await {
                Ok(origin) => origin,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the next L1 origin; keeping the current one");
                    None
                }
            };
            let Some(with_transactions) = self
                .drift_allows(&origins, parent_origin, origin.as_ref(), timestamp)
                .await
            else {
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            };
            let started = std::time::Instant::now();
            match self.build(origin, with_transactions).await {
                Ok(block) => tracing::debug!(
                    number = block.header.number,
                    txs = block.transactions.len(),
                    ms = started.elapsed().as_millis() as u64,
                    "block sequenced"
                ),
                Err(SequencerError::Halted) => return Err(SequencerError::Halted),
                Err(e) => {
                    tracing::error!(error = %e, "cannot build a block");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}

impl Sequencer {
    /// What the drift rule lets the next block be, at `timestamp` with `origin` (or the parent's
    /// origin `parent_origin` when it does not advance): `Some(true)` any block, `Some(false)` only
    /// an empty one (L2 is catching up with a jump of L1's clock), `None` no block yet (L2 is
    /// `max_sequencer_drift` ahead of the L1 it knows: wait for L1). Without L1 (fixed origins)
    /// there is no L1 time to drift from.
    async fn drift_allows(
        &self,
        origins: &OriginSource,
        parent_origin: u64,
        origin: Option<&L1Origin>,
        timestamp: u64,
    ) -> Option<bool> {
        let config = &self.genesis.config;
        let number = origin.map_or(parent_origin, |o| o.number);
        let origin_timestamp = match origin {
            Some(o) => o.timestamp,
            None => match origins.timestamp_of(number).await {
                Ok(Some(t)) => t,
                Ok(None) => return Some(true),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the L1 origin's time; waiting");
                    return None;
                }
            },
        };
        if config.within_drift(timestamp, origin_timestamp, false, None) {
            return Some(true);
        }
        let next = match origins.timestamp_of(number + 1).await {
            Ok(next) => next,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the next L1 block's time; waiting");
                return None;
            }
        };
        if config.within_drift(timestamp, origin_timestamp, true, next) {
            return Some(false);
        }
        tracing::warn!(
            timestamp,
            origin = number,
            origin_timestamp,
            max_drift = config.max_sequencer_drift,
            "L2 time is as far ahead of its L1 origin as the drift allows; waiting for L1"
        );
        None
    }
}

/// The base fee of the block after `parent`, as derivation computes it.
pub use light_node::next_base_fee;

/// Milliseconds since the UNIX epoch, by the wall clock.
pub fn unix_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
