//! The mempool: admission rules like geth's and reth's, per-sender limits, and fee-ordered selection
//! that keeps each sender's nonce order.

use std::{
    cmp::Reverse,
    collections::{BTreeMap, BinaryHeap, HashMap},
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_consensus::{Transaction as _, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use light_node::{Recovered, TransactionError};
use revm::primitives::hardfork::SpecId;

/// The mempool's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// Largest accepted transaction, in bytes of its EIP-2718 encoding (geth: 128 KiB).
    pub max_tx_size: usize,
    /// Most executable transactions (consecutive nonces from the account's) one sender may have waiting.
    pub max_pending_per_sender: usize,
    /// Most future transactions (after a nonce gap) one sender may have waiting.
    pub max_queued_per_sender: usize,
    /// Most transactions the pool holds in all.
    pub max_pool_size: usize,
    /// Most future transactions (after a nonce gap) of all senders together (geth's `GlobalQueue`):
    /// they cannot run, so they may not crowd out those that can.
    pub max_queued: usize,
    /// How long a future transaction may wait for its gap to fill (geth's `Lifetime`: 3 hours).
    pub queued_lifetime: Duration,
    /// Percentage by which a replacement must raise both the fee cap and the tip (geth: 10).
    pub price_bump_percent: u64,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_tx_size: 128 * 1024,
            max_pending_per_sender: 256,
            max_queued_per_sender: 64,
            max_pool_size: 20_000,
            max_queued: 1_024,
            queued_lifetime: Duration::from_secs(3 * 3600),
            price_bump_percent: 10,
        }
    }
}

/// Why the pool refused a transaction. Messages follow geth's where geth has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The bytes are not a usable signed transaction.
    #[error("failed to decode signed transaction: {0}")]
    Malformed(String),
    /// The transaction is larger than allowed.
    #[error("oversized data: transaction size {size}, limit {limit}")]
    Oversized {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A legacy transaction without EIP-155 replay protection.
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    NotReplayProtected,
    /// Signed for another chain.
    #[error("invalid chain id for signer: have {have} want {want}")]
    WrongChainId {
        /// The transaction's chain id.
        have: u64,
        /// This chain's id.
        want: u64,
    },
    /// A transaction type this chain does not take.
    #[error("transaction type not supported: {0}")]
    TypeNotSupported(String),
    /// The same transaction is already in the pool.
    #[error("already known")]
    AlreadyKnown,
    /// The nonce was already used.
    #[error("nonce too low: next nonce {next}, tx nonce {nonce}")]
    NonceTooLow {
        /// The account's next nonce.
        next: u64,
        /// The transaction's nonce.
        nonce: u64,
    },
    /// A transaction with the same sender and nonce is waiting and this one does not pay enough more.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// The sender cannot pay `gas_limit * max_fee + value`.
    #[error(
        "insufficient funds for gas * price + value: balance {balance}, tx cost {cost}, overshot {overshot}"
    )]
    InsufficientFunds {
        /// The sender's balance.
        balance: U256,
        /// What the transaction may cost.
        cost: U256,
        /// By how much.
        overshot: U256,
    },
    /// The gas limit is above the block's.
    #[error("exceeds block gas limit: gas limit {gas}, block gas limit {limit}")]
    GasLimitTooHigh {
        /// The transaction's gas limit.
        gas: u64,
        /// The block's.
        limit: u64,
    },
    /// The gas limit does not cover the intrinsic gas.
    #[error("intrinsic gas too low: gas {gas}, minimum needed {needed}")]
    IntrinsicGasTooLow {
        /// The transaction's gas limit.
        gas: u64,
        /// Its intrinsic gas.
        needed: u64,
    },
    /// The tip is above the fee cap.
    #[error(
        "max priority fee per gas higher than max fee per gas: maxPriorityFeePerGas {tip}, maxFeePerGas {cap}"
    )]
    TipAboveFeeCap {
        /// The tip.
        tip: u128,
        /// The fee cap.
        cap: u128,
    },
    /// The fee cap is below the next block's base fee.
    #[error("max fee per gas less than block base fee: maxFeePerGas {cap}, baseFee {base_fee}")]
    FeeCapTooLow {
        /// The fee cap.
        cap: u128,
        /// The next block's base fee.
        base_fee: u64,
    },
    /// The sender has too many executable transactions waiting.
    #[error(
        "sender {sender} has {limit} pending transactions, the most one account may have waiting"
    )]
    TooManyPending {
        /// The sender.
        sender: Address,
        /// The limit.
        limit: usize,
    },
    /// The sender has too many future (nonce-gapped) transactions waiting.
    #[error(
        "sender {sender} has {limit} queued transactions (nonce gap), the most one account may have waiting"
    )]
    TooManyQueued {
        /// The sender.
        sender: Address,
        /// The limit.
        limit: usize,
    },
    /// The pool (or, for a future transaction, the pool's room for them) is full of transactions
    /// that pay at least as much.
    #[error("txpool is full")]
    PoolFull,
}

impl From<TransactionError> for PoolError {
    fn from(e: TransactionError) -> Self {
        match e {
            TransactionError::BlobNotAllowed | TransactionError::DepositNotAllowed => {
                Self::TypeNotSupported(e.to_string())
            }
            other => Self::Malformed(other.to_string()),
        }
    }
}

/// A transaction waiting in the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PooledTx {
    /// Its hash.
    pub hash: B256,
    /// The recovered sender.
    pub sender: Address,
    /// The signed transaction.
    pub tx: TxEnvelope,
    /// Its EIP-2718 bytes.
    pub raw: Bytes,
    /// Arrival order, for ties and for persistence.
    pub seq: u64,
    /// The decoding and recovery above, handed to block execution so it does not recover again.
    pub recovered: Recovered,
    /// When it entered the pool (for the lifetime of future transactions).
    pub arrived: Instant,
}

impl PooledTx {
    /// Decodes and recovers raw bytes, checking what does not depend on state.
    pub fn decode(
        raw: &[u8],
        config: &PoolConfig,
        chain: &light_node::ChainConfig,
    ) -> Result<Self, PoolError> {
        if raw.len() > config.max_tx_size {
            return Err(PoolError::Oversized {
                size: raw.len(),
                limit: config.max_tx_size,
            });
        }
        let recovered = Recovered::decode(Bytes::copy_from_slice(raw));
        let (tx, sender) = recovered.decoded().map_err(Clone::clone)?.clone();
        match tx.chain_id() {
            None => return Err(PoolError::NotReplayProtected),
            Some(id) if id != chain.chain_id => {
                return Err(PoolError::WrongChainId {
                    have: id,
                    want: chain.chain_id,
                });
            }
            Some(_) => {}
        }
        if tx.is_eip7702() && chain.spec_id < SpecId::PRAGUE {
            return Err(PoolError::TypeNotSupported(
                "EIP-7702 transactions need the Prague rules".into(),
            ));
        }
        if tx.gas_limit() > chain.block_gas_limit {
            return Err(PoolError::GasLimitTooHigh {
                gas: tx.gas_limit(),
                limit: chain.block_gas_limit,
            });
        }
        let needed = intrinsic_gas(&tx);
        if tx.gas_limit() < needed {
            return Err(PoolError::IntrinsicGasTooLow {
                gas: tx.gas_limit(),
                needed,
            });
        }
        if let Some(tip) = tx.max_priority_fee_per_gas()
            && tip > tx.max_fee_per_gas()
        {
            return Err(PoolError::TipAboveFeeCap {
                tip,
                cap: tx.max_fee_per_gas(),
            });
        }
        Ok(Self {
            hash: *tx.tx_hash(),
            sender,
            raw: tx.encoded_2718().into(),
            tx,
            seq: 0,
            recovered,
            arrived: Instant::now(),
        })
    }

    /// The nonce.
    pub fn nonce(&self) -> u64 {
        self.tx.nonce()
    }

    /// The most the transaction can cost: `gas_limit * max_fee + value`.
    pub fn max_cost(&self) -> U256 {
        U256::from(self.tx.gas_limit()) * U256::from(self.tx.max_fee_per_gas()) + self.tx.value()
    }

    /// The tip per gas it pays at `base_fee`, or `None` if its fee cap is below the base fee.
    pub fn tip_at(&self, base_fee: u64) -> Option<u128> {
        self.tx.effective_tip_per_gas(base_fee)
    }
}

/// Gas a transaction uses before any execution (Cancun rules; Prague adds the 7702 authorizations).
pub fn intrinsic_gas(tx: &TxEnvelope) -> u64 {
    let input = tx.input();
    let zeros = input.iter().filter(|b| **b == 0).count() as u64;
    let non_zeros = input.len() as u64 - zeros;
    let mut gas = 21_000u64 + zeros * 4 + non_zeros * 16;
    if matches!(tx.kind(), TxKind::Create) {
        gas += 32_000 + 2 * (input.len() as u64).div_ceil(32);
    }
    if let Some(list) = tx.access_list() {
        for item in list.iter() {
            gas += 2_400 + 1_900 * item.storage_keys.len() as u64;
        }
    }
    if let Some(auths) = tx.authorization_list() {
        gas += 25_000 * auths.len() as u64;
    }
    gas
}

/// What the pool needs to know of an account at the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountView {
    /// Its next nonce.
    pub nonce: u64,
    /// Its balance.
    pub balance: U256,
}

impl From<Option<light_node::AccountState>> for AccountView {
    /// The view of an account read from the state; one that does not exist has nonce and balance 0.
    fn from(account: Option<light_node::AccountState>) -> Self {
        Self {
            nonce: account.map_or(0, |a| a.nonce),
            balance: account.map_or(U256::ZERO, |a| a.balance),
        }
    }
}

/// The transactions waiting for a block.
#[derive(Debug, Default)]
pub struct Pool {
    config: PoolConfig,
    by_sender: HashMap<Address, BTreeMap<u64, Arc<PooledTx>>>,
    by_hash: HashMap<B256, (Address, u64)>,
    next_seq: u64,
    /// Accounts as they are at the head, for admission: kept here, under the pool's lock, so that
    /// admitting a transaction from a known sender does not wait for the block being built.
    head_accounts: HashMap<Address, AccountView>,
    /// Transactions evicted to make room since [`Pool::take_evicted`] was last called.
    evicted: Vec<B256>,
}

impl Pool {
    /// An empty pool.
    pub fn new(config: PoolConfig) -> Self {
        Self {
            config,
            ..Default::default()
        }
    }

    /// The pool's limits.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// Number of transactions waiting.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// A sender's account at the head, if the pool knows it.
    pub fn head_account(&self, sender: &Address) -> Option<AccountView> {
        self.head_accounts.get(sender).copied()
    }

    /// Remembers an account as it is at the head.
    pub fn remember_head_account(&mut self, sender: Address, account: AccountView) {
        // Bounded: more senders than the pool can hold are forgotten, to be read again.
        if self.head_accounts.len() >= 2 * self.config.max_pool_size.max(1) {
            self.head_accounts.clear();
        }
        self.head_accounts.insert(sender, account);
    }

    /// Replaces the accounts known at the head (a new head is published) and drops every waiting
    /// transaction whose nonce they show as used; returns the dropped hashes. A sender with
    /// transactions waiting must be among `accounts`.
    pub fn set_head(&mut self, accounts: HashMap<Address, AccountView>) -> Vec<B256> {
        let mut stale = Vec::new();
        for sender in self.senders() {
            let nonce = accounts.get(&sender).map_or(0, |a| a.nonce);
            stale.extend(self.prune(sender, nonce));
        }
        self.head_accounts = accounts;
        stale.extend(self.expire(Instant::now()));
        stale
    }

    /// Drops the future transactions that have waited longer than `queued_lifetime` at `now`;
    /// returns their hashes.
    pub fn expire(&mut self, now: Instant) -> Vec<B256> {
        let lifetime = self.config.queued_lifetime;
        let old: Vec<B256> = self
            .queued()
            .filter(|t| now.saturating_duration_since(t.arrived) > lifetime)
            .map(|t| t.hash)
            .collect();
        for hash in &old {
            self.remove(hash);
        }
        old
    }

    /// The transactions evicted to make room for dearer ones since the last call.
    pub fn take_evicted(&mut self) -> Vec<B256> {
        std::mem::take(&mut self.evicted)
    }

    /// The first nonce of a sender's run of executable transactions: its account's at the head,
    /// or (for an account the pool no longer remembers) its lowest waiting one.
    fn run_start(&self, sender: &Address, txs: &BTreeMap<u64, Arc<PooledTx>>) -> u64 {
        self.head_accounts
            .get(sender)
            .map(|a| a.nonce)
            .or_else(|| txs.keys().next().copied())
            .unwrap_or(0)
    }

    /// Every future transaction: those after a nonce gap in their sender's.
    fn queued(&self) -> impl Iterator<Item = &Arc<PooledTx>> {
        self.by_sender.iter().flat_map(move |(sender, txs)| {
            let mut next = self.run_start(sender, txs);
            txs.iter()
                .filter(move |(nonce, _)| {
                    if **nonce == next {
                        next += 1;
                        false
                    } else {
                        **nonce > next
                    }
                })
                .map(|(_, t)| t)
        })
    }

    /// The last executable transaction of each sender (evicting one leaves the others runnable).
    fn run_ends(&self) -> impl Iterator<Item = &Arc<PooledTx>> {
        self.by_sender.iter().filter_map(move |(sender, txs)| {
            let mut next = self.run_start(sender, txs);
            let mut last = None;
            while let Some(t) = txs.get(&next) {
                last = Some(t);
                next += 1;
            }
            last
        })
    }

    /// Makes room for a transaction with fee cap `cap`: evicts the cheapest future transaction
    /// (any, for an executable newcomer; only a cheaper one for a future newcomer), or failing
    /// that, for an executable newcomer, the cheapest last executable transaction of a sender, if
    /// cheaper. Refuses with [`PoolError::PoolFull`] when nothing cheaper can go.
    fn make_room(&mut self, cap: u128, newcomer_queued: bool) -> Result<(), PoolError> {
        let cheapest = |txs: &mut dyn Iterator<Item = &Arc<PooledTx>>| {
            txs.min_by_key(|t| (t.tx.max_fee_per_gas(), Reverse(t.seq)))
                .map(|t| (t.hash, t.tx.max_fee_per_gas()))
        };
        let queued = cheapest(&mut self.queued());
        let victim = match queued {
            Some((hash, fee)) if !newcomer_queued || fee < cap => Some(hash),
            _ if newcomer_queued => None,
            _ => cheapest(&mut self.run_ends())
                .filter(|(_, fee)| *fee < cap)
                .map(|(hash, _)| hash),
        };
        let victim = victim.ok_or(PoolError::PoolFull)?;
        self.remove(&victim);
        self.evicted.push(victim);
        Ok(())
    }

    /// Whether the pool holds as many transactions as it may (only replacements get in).
    pub fn is_full(&self) -> bool {
        self.by_hash.len() >= self.config.max_pool_size
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// A waiting transaction by hash.
    pub fn get(&self, hash: &B256) -> Option<Arc<PooledTx>> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        self.by_sender.get(sender)?.get(nonce).cloned()
    }

    /// The senders with transactions waiting.
    pub fn senders(&self) -> Vec<Address> {
        self.by_sender.keys().copied().collect()
    }

    /// The nonce the sender's next transaction would take, counting its executable waiting ones.
    pub fn pending_nonce(&self, sender: Address, account_nonce: u64) -> u64 {
        let mut next = account_nonce;
        if let Some(txs) = self.by_sender.get(&sender) {
            while txs.contains_key(&next) {
                next += 1;
            }
        }
        next
    }

    /// Admits a decoded transaction against the sender's account at the head and the next block's
    /// base fee. Returns the hash of the transaction it replaced, if any.
    pub fn add(
        &mut self,
        mut tx: PooledTx,
        account: AccountView,
        base_fee: u64,
    ) -> Result<Option<B256>, PoolError> {
        if self.by_hash.contains_key(&tx.hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let nonce = tx.nonce();
        if nonce < account.nonce {
            return Err(PoolError::NonceTooLow {
                next: account.nonce,
                nonce,
            });
        }
        let cap = tx.tx.max_fee_per_gas();
        if cap < u128::from(base_fee) {
            return Err(PoolError::FeeCapTooLow { cap, base_fee });
        }
        // Future transactions are told from executable ones by the account's nonce at the head.
        self.remember_head_account(tx.sender, account);
        let existing = self.by_sender.get(&tx.sender);
        // The sender must be able to pay for this one after every one of its that runs before.
        let before = existing.map_or(U256::ZERO, |txs| {
            txs.range(account.nonce..nonce)
                .fold(U256::ZERO, |sum, (_, t)| sum.saturating_add(t.max_cost()))
        });
        let cost = before.saturating_add(tx.max_cost());
        if cost > account.balance {
            return Err(PoolError::InsufficientFunds {
                balance: account.balance,
                cost,
                overshot: cost - account.balance,
            });
        }
        let replaced = existing.and_then(|txs| txs.get(&nonce)).cloned();
        if let Some(old) = &replaced {
            let bump = |old: u128| {
                old.saturating_add(
                    old.saturating_mul(u128::from(self.config.price_bump_percent)) / 100,
                )
            };
            let old_tip = old
                .tx
                .max_priority_fee_per_gas()
                .unwrap_or(old.tx.max_fee_per_gas());
            let new_tip = tx.tx.max_priority_fee_per_gas().unwrap_or(cap);
            if cap < bump(old.tx.max_fee_per_gas()) || new_tip < bump(old_tip) {
                return Err(PoolError::ReplacementUnderpriced);
            }
        } else {
            // Count what the sender would have waiting, executable and queued, with this one added.
            let mut next = account.nonce;
            let mut pending = 0usize;
            let contains = |n: u64| n == nonce || existing.is_some_and(|txs| txs.contains_key(&n));
            while contains(next) {
                pending += 1;
                next += 1;
            }
            let total = existing.map_or(0, |txs| txs.range(account.nonce..).count()) + 1;
            let queued = total - pending;
            let is_pending = nonce < next;
            if is_pending && pending > self.config.max_pending_per_sender {
                return Err(PoolError::TooManyPending {
                    sender: tx.sender,
                    limit: self.config.max_pending_per_sender,
                });
            }
            if !is_pending && queued > self.config.max_queued_per_sender {
                return Err(PoolError::TooManyQueued {
                    sender: tx.sender,
                    limit: self.config.max_queued_per_sender,
                });
            }
            if !is_pending && self.queued().count() >= self.config.max_queued {
                self.make_room(cap, true)?;
            }
            if self.by_hash.len() >= self.config.max_pool_size {
                self.make_room(cap, !is_pending)?;
            }
        }
        tx.seq = self.next_seq;
        self.next_seq += 1;
        let sender = tx.sender;
        if let Some(old) = &replaced {
            self.by_hash.remove(&old.hash);
        }
        self.by_hash.insert(tx.hash, (sender, nonce));
        self.by_sender
            .entry(sender)
            .or_default()
            .insert(nonce, Arc::new(tx));
        Ok(replaced.map(|old| old.hash))
    }

    /// The sequence number the last added transaction got.
    pub fn last_seq(&self) -> u64 {
        self.next_seq.saturating_sub(1)
    }

    /// Picks transactions for a block: highest tip first, each sender's in nonce order from its
    /// account nonce, while the gas limits and encoded sizes fit.
    pub fn select(
        &self,
        mut account_nonce: impl FnMut(Address) -> u64,
        base_fee: u64,
        gas_limit: u64,
        max_bytes: usize,
    ) -> Vec<Arc<PooledTx>> {
        // (tip, earlier arrival first, sender, nonce)
        let mut heap = BinaryHeap::new();
        for (sender, txs) in &self.by_sender {
            let nonce = account_nonce(*sender);
            if let Some(tx) = txs.get(&nonce)
                && let Some(tip) = tx.tip_at(base_fee)
            {
                heap.push((tip, Reverse(tx.seq), *sender, nonce));
            }
        }
        let (mut gas, mut bytes) = (0u64, 0usize);
        let mut picked = Vec::new();
        while let Some((_, _, sender, nonce)) = heap.pop() {
            let txs = &self.by_sender[&sender];
            let tx = &txs[&nonce];
            let tx_gas = tx.tx.gas_limit();
            if gas + tx_gas > gas_limit || bytes + tx.raw.len() > max_bytes {
                // This sender's later transactions wait for the next block.
                continue;
            }
            gas += tx_gas;
            bytes += tx.raw.len();
            picked.push(tx.clone());
            if let Some(next) = txs.get(&(nonce + 1))
                && let Some(tip) = next.tip_at(base_fee)
            {
                heap.push((tip, Reverse(next.seq), sender, nonce + 1));
            }
        }
        picked
    }

    /// Removes a transaction.
    pub fn remove(&mut self, hash: &B256) -> Option<Arc<PooledTx>> {
        let (sender, nonce) = self.by_hash.remove(hash)?;
        let txs = self.by_sender.get_mut(&sender)?;
        let tx = txs.remove(&nonce);
        if txs.is_empty() {
            self.by_sender.remove(&sender);
        }
        tx
    }

    /// Removes the sender's transactions whose nonce is below `account_nonce` (used or replaced);
    /// returns their hashes.
    pub fn prune(&mut self, sender: Address, account_nonce: u64) -> Vec<B256> {
        let Some(txs) = self.by_sender.get_mut(&sender) else {
            return Vec::new();
        };
        let keep = txs.split_off(&account_nonce);
        let stale: Vec<B256> = txs.values().map(|t| t.hash).collect();
        *txs = keep;
        if txs.is_empty() {
            self.by_sender.remove(&sender);
        }
        for hash in &stale {
            self.by_hash.remove(hash);
        }
        stale
    }
}

#[cfg(test)]
mod tests {
    use alloy::network::TxSignerSync;
    use alloy_consensus::{SignableTransaction, TxEip1559, TxLegacy};
    use alloy_primitives::TxKind;
    use light_node::ChainConfig;

    use super::*;
    use crate::genesis::dev_signer;

    fn sign(key: usize, nonce: u64, fee: u128, tip: u128) -> Bytes {
        sign_with(&dev_signer(key), nonce, fee, tip)
    }

    /// A transfer of 1 wei from `signer` with these fees.
    fn sign_with(
        signer: &alloy::signers::local::PrivateKeySigner,
        nonce: u64,
        fee: u128,
        tip: u128,
    ) -> Bytes {
        let mut tx = TxEip1559 {
            chain_id: ChainConfig::devnet().chain_id,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: fee,
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(Address::with_last_byte(1)),
            value: U256::from(1),
            ..Default::default()
        };
        let sig = signer.sign_transaction_sync(&mut tx).expect("sign");
        TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
    }

    fn decode(raw: &[u8]) -> Result<PooledTx, PoolError> {
        PooledTx::decode(raw, &PoolConfig::default(), &ChainConfig::devnet())
    }

    const GWEI: u128 = 1_000_000_000;
    const BASE: u64 = 1_000_000_000;

    fn rich() -> AccountView {
        AccountView {
            nonce: 0,
            balance: U256::from(10u128.pow(24)),
        }
    }

    #[test]
    fn selection_orders_by_tip_and_keeps_nonce_order() {
        let mut pool = Pool::new(PoolConfig::default());
        // Sender 0: nonce 0 cheap, nonce 1 expensive. Sender 1: one medium transaction.
        for raw in [
            sign(0, 1, 10 * GWEI, 5 * GWEI),
            sign(0, 0, 10 * GWEI, GWEI),
            sign(1, 0, 10 * GWEI, 2 * GWEI),
        ] {
            pool.add(decode(&raw).expect("decodes"), rich(), BASE)
                .expect("admitted");
        }
        let picked = pool.select(|_| 0, BASE, 30_000_000, usize::MAX);
        let order: Vec<(Address, u64)> = picked.iter().map(|t| (t.sender, t.nonce())).collect();
        let (a, b) = (dev_signer(0).address(), dev_signer(1).address());
        assert_eq!(order, vec![(b, 0), (a, 0), (a, 1)]);
        // Gas limited: only one transaction fits.
        assert_eq!(pool.select(|_| 0, BASE, 30_000, usize::MAX).len(), 1);
    }

    #[test]
    fn admission_errors() {
        let mut pool = Pool::new(PoolConfig {
            max_pending_per_sender: 2,
            max_queued_per_sender: 1,
            ..PoolConfig::default()
        });
        let raw = sign(0, 0, 10 * GWEI, GWEI);
        pool.add(decode(&raw).expect("decodes"), rich(), BASE)
            .expect("admitted");
        assert_eq!(
            pool.add(decode(&raw).expect("decodes"), rich(), BASE),
            Err(PoolError::AlreadyKnown)
        );
        let low_bump = sign(0, 0, 10 * GWEI + 1, GWEI + 1);
        assert_eq!(
            pool.add(decode(&low_bump).expect("decodes"), rich(), BASE),
            Err(PoolError::ReplacementUnderpriced)
        );
        let bump = sign(0, 0, 11 * GWEI, 2 * GWEI);
        let replaced = pool
            .add(decode(&bump).expect("decodes"), rich(), BASE)
            .expect("replacement");
        assert_eq!(replaced, Some(keccak(&raw)));
        assert_eq!(pool.len(), 1);
        let used = AccountView { nonce: 5, ..rich() };
        assert!(matches!(
            pool.add(
                decode(&sign(1, 3, 10 * GWEI, GWEI)).expect("decodes"),
                used,
                BASE
            ),
            Err(PoolError::NonceTooLow { next: 5, nonce: 3 })
        ));
        let poor = AccountView {
            nonce: 0,
            balance: U256::from(1),
        };
        assert!(matches!(
            pool.add(
                decode(&sign(2, 0, 10 * GWEI, GWEI)).expect("decodes"),
                poor,
                BASE
            ),
            Err(PoolError::InsufficientFunds { .. })
        ));
        pool.add(
            decode(&sign(0, 1, 10 * GWEI, GWEI)).expect("decodes"),
            rich(),
            BASE,
        )
        .expect("second pending");
        assert!(matches!(
            pool.add(
                decode(&sign(0, 2, 10 * GWEI, GWEI)).expect("decodes"),
                rich(),
                BASE
            ),
            Err(PoolError::TooManyPending { limit: 2, .. })
        ));
        pool.add(
            decode(&sign(0, 5, 10 * GWEI, GWEI)).expect("decodes"),
            rich(),
            BASE,
        )
        .expect("one queued");
        assert!(matches!(
            pool.add(
                decode(&sign(0, 7, 10 * GWEI, GWEI)).expect("decodes"),
                rich(),
                BASE
            ),
            Err(PoolError::TooManyQueued { limit: 1, .. })
        ));
        assert_eq!(pool.pending_nonce(dev_signer(0).address(), 0), 2);
        assert_eq!(pool.prune(dev_signer(0).address(), 2).len(), 2);
        assert_eq!(pool.len(), 1);
    }

    #[test]
    fn stateless_checks() {
        let signer = dev_signer(0);
        let mut legacy = TxLegacy {
            chain_id: None,
            nonce: 0,
            gas_price: GWEI,
            gas_limit: 21_000,
            to: TxKind::Call(Address::ZERO),
            ..Default::default()
        };
        let sig = signer.sign_transaction_sync(&mut legacy).expect("sign");
        let raw = TxEnvelope::from(legacy.into_signed(sig)).encoded_2718();
        assert_eq!(decode(&raw), Err(PoolError::NotReplayProtected));
        assert!(matches!(
            decode(&[0x02, 0x01]),
            Err(PoolError::Malformed(_))
        ));
        assert!(matches!(
            decode(&[0x7e, 0xc0]),
            Err(PoolError::TypeNotSupported(_))
        ));
    }

    fn keccak(raw: &[u8]) -> B256 {
        alloy_primitives::keccak256(raw)
    }

    /// A transfer from the `key`-th throwaway account.
    fn from_key(key: u64, nonce: u64, fee: u128) -> PooledTx {
        let signer =
            alloy::signers::local::PrivateKeySigner::from_bytes(&B256::from(U256::from(key + 1)))
                .expect("a key");
        decode(&sign_with(&signer, nonce, fee, GWEI)).expect("decodes")
    }

    /// 300 cheap accounts each send 8 nonce-gapped transactions (which cannot run) to fill the pool
    /// for everyone. Future transactions only get `max_queued` places in all, so every other
    /// sender's executable transaction is still admitted; once the pool is full, an executable
    /// transaction evicts a future one; and future ones expire.
    #[test]
    fn a_flood_of_nonce_gapped_transactions_leaves_other_senders_admitted() {
        let config = PoolConfig {
            max_pool_size: 1_000,
            max_queued: 256,
            ..PoolConfig::default()
        };
        let mut pool = Pool::new(config.clone());
        let cheap = AccountView {
            nonce: 0,
            balance: U256::from(10 * 21_000 * 10 * GWEI),
        };
        let (mut admitted, mut refused) = (0, 0);
        for key in 0..300 {
            for nonce in 1..=8 {
                match pool.add(from_key(key, nonce, 10 * GWEI), cheap, BASE) {
                    Ok(_) => admitted += 1,
                    Err(PoolError::PoolFull) => refused += 1,
                    Err(e) => panic!("{e}"),
                }
            }
        }
        assert_eq!(admitted, config.max_queued);
        assert_eq!(refused, 300 * 8 - config.max_queued);

        // Everyone else still gets in, up to the pool's size.
        let room = config.max_pool_size - config.max_queued;
        for key in 1_000..1_000 + room as u64 {
            pool.add(from_key(key, 0, 10 * GWEI), cheap, BASE)
                .expect("an executable transaction is admitted");
        }
        assert_eq!(pool.len(), config.max_pool_size);
        // Full: an executable newcomer evicts a future transaction, whatever it pays.
        pool.add(from_key(5_000, 0, 10 * GWEI), cheap, BASE)
            .expect("admitted by evicting a future transaction");
        assert_eq!(pool.take_evicted().len(), 1);
        assert_eq!(pool.queued().count(), config.max_queued - 1);
        // A future newcomer paying no more than the cheapest future one is refused.
        assert_eq!(
            pool.add(from_key(5_001, 3, 10 * GWEI), cheap, BASE).err(),
            Some(PoolError::PoolFull)
        );
        // Future transactions expire; executable ones stay.
        let later = Instant::now() + config.queued_lifetime + Duration::from_secs(1);
        assert_eq!(pool.expire(later).len(), config.max_queued - 1);
        assert_eq!(pool.len(), room + 1);

        // The figures of `cargo xtask chaos` (case 19), written where it asks.
        let line = serde_json::json!({
            "case": 19,
            "test": "a flood of nonce-gapped transactions",
            "tried": 300 * 8 + room + 2,
            "faults": 300 * 8,
            "compared": room + 2,
            "detail": format!(
                "300 accounts sent 8 future transactions each: {admitted} admitted (the pool's {} places for them), {refused} refused; the other {room} senders' transactions all admitted; full, an executable newcomer evicted a future one; future ones expired after the lifetime",
                config.max_queued
            ),
        });
        eprintln!("chaos figures: {line}");
        if let Some(path) = std::env::var_os("CHAOS_REPORT") {
            use std::io::Write as _;
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("the chaos report opens");
            writeln!(file, "{line}").expect("the chaos report is written");
        }
    }

    /// A sender's balance must cover every transaction of its that runs before this one too.
    #[test]
    fn balance_is_checked_over_the_senders_earlier_transactions() {
        let mut pool = Pool::new(PoolConfig::default());
        let one = U256::from(21_000u64) * U256::from(10 * GWEI) + U256::from(1);
        let two = AccountView {
            nonce: 0,
            balance: one * U256::from(2),
        };
        pool.add(from_key(1, 0, 10 * GWEI), two, BASE)
            .expect("first");
        pool.add(from_key(1, 1, 10 * GWEI), two, BASE)
            .expect("second");
        let err = pool.add(from_key(1, 2, 10 * GWEI), two, BASE).unwrap_err();
        assert_eq!(
            err,
            PoolError::InsufficientFunds {
                balance: two.balance,
                cost: one * U256::from(3),
                overshot: one,
            }
        );
    }
}
