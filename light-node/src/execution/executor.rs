//! Executing one L2 block: deposits first, then user transactions, then the state root.

use std::collections::BTreeSet;

use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header, Transaction as _, proofs};
use alloy_eips::eip1559::BaseFeeParams;
use alloy_evm::FromRecoveredTx;
use alloy_primitives::{B256, Bloom, Bytes, TxKind, U256};
use revm::{
    Context, ExecuteEvm, MainBuilder, MainContext,
    context::{BlockEnv, CfgEnv, TxEnv, result::EVMError},
    context_interface::{ContextTr, block::BlobExcessGasAndPrice},
    handler::ExecuteCommitEvm,
};
use serde::{Deserialize, Serialize};

use super::{BlockHashes, ExecError, L2State, state::BlockDb};
use crate::{
    ChainConfig,
    transaction::{Deposit, L2Receipt, L2Transaction, Recovered},
    trie::EMPTY_ROOT,
};

/// What a block is built from: everything but the parent, which the executor is given separately.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BlockAttributes {
    /// The block's timestamp.
    pub timestamp: u64,
    /// Number of the block's L1 origin.
    pub l1_origin_number: u64,
    /// Hash of the block's L1 origin (also the block's `prevrandao`).
    pub l1_origin_hash: B256,
    /// Deposits to apply first (those of the L1 origin, when the origin advances).
    pub deposits: Vec<Deposit>,
    /// User transactions as EIP-2718 bytes, in order.
    pub transactions: Vec<Bytes>,
}

/// A user transaction the block could not apply, and why. It is not part of the block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedTransaction {
    /// Its position among the attributes' transactions.
    pub index: usize,
    /// Its hash, when it decoded.
    pub hash: Option<B256>,
    /// Why it was skipped.
    pub reason: String,
}

/// The result of executing a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutedBlock {
    /// The sealed header.
    pub header: Header,
    /// `header`'s hash.
    pub hash: B256,
    /// The transactions included: deposits, then the user transactions that applied.
    pub transactions: Vec<L2Transaction>,
    /// One receipt per included transaction.
    pub receipts: Vec<L2Receipt>,
    /// User transactions left out.
    pub skipped: Vec<SkippedTransaction>,
    /// Hashes of the pre-existing contract code the block ran (for its witness).
    pub codes_read: BTreeSet<B256>,
    /// Block numbers whose hashes BLOCKHASH read (for its witness).
    pub hashes_read: BTreeSet<u64>,
}

/// The header of block 0 over a state already allocated.
pub fn genesis_header(config: &ChainConfig, state_root: B256) -> Header {
    Header {
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: config.fee_recipient,
        state_root,
        transactions_root: EMPTY_ROOT,
        receipts_root: EMPTY_ROOT,
        gas_limit: config.block_gas_limit,
        timestamp: config.genesis_timestamp,
        base_fee_per_gas: Some(config.genesis_base_fee),
        withdrawals_root: Some(EMPTY_ROOT),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        ..Default::default()
    }
}

/// Executes the block that `attributes` describe on top of `parent`, updating `state` only if the
/// whole block executes.
///
/// Deposits always apply: their value is minted to the recipient, then the call runs without fee
/// and a failed call keeps the mint. A user transaction that cannot apply (undecodable, bad
/// signature, no or wrong chain id, bad nonce, too little balance, over the block's remaining gas)
/// is skipped and listed in [`ExecutedBlock::skipped`]. An [`ExecError`] means the state given
/// was incomplete: the block itself has no bearing on it.
pub fn execute_block(
    config: &ChainConfig,
    state: &mut L2State,
    parent: &Header,
    hashes: &BlockHashes,
    attributes: &BlockAttributes,
) -> Result<ExecutedBlock, ExecError> {
    execute_block_recovered(config, state, parent, hashes, attributes, Vec::new())
}

/// [`execute_block`] with user transactions already decoded and their senders recovered (for
/// example on several threads, by [`Recovered::decode_all`]), in the order of
/// `attributes.transactions`. A transaction without an entry, or whose entry was decoded from other
/// bytes, is decoded here: the result is always [`execute_block`]'s.
pub fn execute_block_recovered(
    config: &ChainConfig,
    state: &mut L2State,
    parent: &Header,
    hashes: &BlockHashes,
    attributes: &BlockAttributes,
    recovered: Vec<Recovered>,
) -> Result<ExecutedBlock, ExecError> {
    let number = parent
        .number
        .checked_add(1)
        .ok_or(ExecError::LastBlockNumber(parent.number))?;
    let base_fee = next_base_fee(parent, config.genesis_base_fee);
    let block_env = BlockEnv {
        number: U256::from(number),
        beneficiary: config.fee_recipient,
        timestamp: U256::from(attributes.timestamp),
        gas_limit: config.block_gas_limit,
        basefee: base_fee,
        difficulty: U256::ZERO,
        prevrandao: Some(attributes.l1_origin_hash),
        blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new(
            0,
            revm::primitives::eip4844::BLOB_BASE_FEE_UPDATE_FRACTION_CANCUN,
        )),
        ..Default::default()
    };
    // Deposits pay no fee and are not bound by the block's gas limit.
    let deposit_env = BlockEnv {
        basefee: 0,
        gas_limit: u64::MAX,
        ..block_env
    };
    let mut cfg = CfgEnv::new_with_spec(config.spec_id);
    cfg.chain_id = config.chain_id;

    let mut db = BlockDb::new(state, hashes);
    // The mint happens outside the EVM, so it is applied to the database between transactions.
    let mut evm = Context::mainnet()
        .with_db(&mut db)
        .with_cfg(cfg)
        .with_block(deposit_env)
        .build_mainnet();

    let mut transactions = Vec::new();
    let mut receipts = Vec::new();
    let mut skipped = Vec::new();
    let mut gas_used = 0u64;

    for deposit in &attributes.deposits {
        evm.ctx.db_mut().mint(deposit.to, deposit.mint)?;
        let nonce = evm.ctx.db_mut().nonce(deposit.from)?;
        let tx = TxEnv {
            tx_type: 0,
            caller: deposit.from,
            gas_limit: deposit.gas_limit,
            gas_price: 0,
            kind: TxKind::Call(deposit.to),
            value: U256::ZERO,
            data: deposit.data.clone(),
            nonce,
            chain_id: Some(config.chain_id),
            ..Default::default()
        };
        let (success, logs, used) = match evm.transact_commit(tx) {
            Ok(result) => (
                result.is_success(),
                result.logs().to_vec(),
                result.tx_gas_used(),
            ),
            // The call could not even start (for example, the depositor's address holds code on L2):
            // the mint stands and the receipt records a failure that used no gas.
            Err(EVMError::Transaction(_)) => (false, Vec::new(), 0),
            Err(EVMError::Database(e)) => return Err(e),
            Err(e) => return Err(ExecError::Evm(e.to_string())),
        };
        evm.ctx.db_mut().take_deferred()?;
        gas_used += used;
        receipts.push(L2Receipt::new(
            crate::DEPOSIT_TX_TYPE,
            success,
            gas_used,
            logs,
        ));
        transactions.push(L2Transaction::Deposit(deposit.clone()));
    }

    evm.set_block(block_env);
    // Without entries, the block's senders are recovered here, together.
    let recovered = if recovered.is_empty() {
        Recovered::decode_all(&attributes.transactions, 1)
    } else {
        recovered
    };
    let mut recovered = recovered.into_iter();
    for (index, raw) in attributes.transactions.iter().enumerate() {
        let decoded = match recovered.next() {
            Some(r) if r.raw() == raw => r.into_decoded(),
            _ => L2Transaction::decode_signed(raw),
        };
        let (tx, sender) = match decoded {
            Ok(decoded) => decoded,
            Err(e) => {
                skipped.push(SkippedTransaction {
                    index,
                    hash: None,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let hash = *tx.tx_hash();
        let skip = |reason: String| SkippedTransaction {
            index,
            hash: Some(hash),
            reason,
        };
        if tx.chain_id().is_none() {
            skipped.push(skip(
                "transaction has no chain id (EIP-155 replay protection is required)".into(),
            ));
            continue;
        }
        // Deposits take their gas first: user transactions get what is left of the block's limit.
        let left = config.block_gas_limit.saturating_sub(gas_used);
        if tx.gas_limit() > left {
            skipped.push(skip(format!(
                "gas limit {} exceeds the {left} gas left in the block",
                tx.gas_limit(),
            )));
            continue;
        }
        match evm.transact_commit(TxEnv::from_recovered_tx(&tx, sender)) {
            Ok(result) => {
                evm.ctx.db_mut().take_deferred()?;
                let used = result.tx_gas_used();
                gas_used += used;
                receipts.push(L2Receipt::new(
                    tx.tx_type() as u8,
                    result.is_success(),
                    gas_used,
                    result.into_logs(),
                ));
                transactions.push(L2Transaction::User { tx, sender });
            }
            Err(EVMError::Transaction(invalid)) => skipped.push(skip(invalid.to_string())),
            Err(EVMError::Database(e)) => return Err(e),
            Err(e) => return Err(ExecError::Evm(e.to_string())),
        }
    }
    drop(evm);

    let codes_read = std::mem::take(&mut db.codes_read);
    let hashes_read = std::mem::take(&mut db.hashes_read);
    let state_root = db.finish()?;

    let logs_bloom = receipts
        .iter()
        .fold(Bloom::ZERO, |bloom, r| bloom | r.bloom());
    let header = Header {
        parent_hash: parent.hash_slow(),
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: config.fee_recipient,
        state_root,
        transactions_root: proofs::calculate_transaction_root(&transactions),
        receipts_root: proofs::calculate_receipt_root(&receipts),
        logs_bloom,
        difficulty: U256::ZERO,
        number,
        gas_limit: config.block_gas_limit,
        gas_used,
        timestamp: attributes.timestamp,
        extra_data: Bytes::copy_from_slice(&attributes.l1_origin_number.to_be_bytes()),
        mix_hash: attributes.l1_origin_hash,
        nonce: Default::default(),
        base_fee_per_gas: Some(base_fee),
        withdrawals_root: Some(EMPTY_ROOT),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: None,
        requests_hash: None,
        ..Default::default()
    };
    let hash = header.hash_slow();
    Ok(ExecutedBlock {
        header,
        hash,
        transactions,
        receipts,
        skipped,
        codes_read,
        hashes_read,
    })
}

/// The EIP-1559 base fee of the block after `parent` (`genesis_base_fee` if the parent has none),
/// stopping at `u64::MAX`: alloy's formula overflows when a base fee near the top rises further.
/// The sequencer builds with it and derivation checks with it.
pub fn next_base_fee(parent: &Header, genesis_base_fee: u64) -> u64 {
    next_base_fee_of(parent).unwrap_or(genesis_base_fee)
}

fn next_base_fee_of(parent: &Header) -> Option<u64> {
    let params = BaseFeeParams::ethereum();
    let base_fee = parent.base_fee_per_gas?;
    let target = u128::from(parent.gas_limit) / params.elasticity_multiplier;
    // Deposits are not bounded by the block's gas limit (the L1 contract meters them), so a block
    // can use more than its limit. Counting at most the limit keeps the rise at EIP-1559's 12.5%
    // per block however much deposit gas L1 sends.
    let used = u128::from(parent.gas_used.min(parent.gas_limit));
    if target == 0 || used <= target {
        return parent.next_block_base_fee(params);
    }
    // The rise as alloy computes it, in u128, where neither the product nor the sum overflows.
    let rise =
        (u128::from(base_fee) * (used - target) / (target * params.max_change_denominator)).max(1);
    Some(u64::try_from(u128::from(base_fee) + rise).unwrap_or(u64::MAX))
}

/// Reads the L1 origin number a header records in its extra data.
pub fn l1_origin_number_of(header: &Header) -> Option<u64> {
    let bytes: [u8; 8] = header.extra_data.as_ref().try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}
