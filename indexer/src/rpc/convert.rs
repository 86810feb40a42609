//! Ethereum JSON-RPC shapes of blocks, transactions, receipts and logs.
//!
//! User transactions use alloy's own RPC types, so every Ethereum client reads them; deposits (type
//! `0x7e`) are written out field by field, with the fields OP-stack clients know (`mint`, `sourceHash`
//! is absent: deposits are identified by the Rollup contract's `depositNonce`).

use alloy::rpc::types::{Header as RpcHeader, Transaction as RpcTransaction};
use alloy_consensus::{Transaction as _, transaction::Recovered};
use alloy_primitives::{Address, B256, U256};
use light_node::L2Transaction;
use serde_json::{Value, json};

use crate::sequencer::{PooledTx, SequencedBlock};

fn q(n: u64) -> String {
    format!("{n:#x}")
}

fn q128(n: u128) -> String {
    format!("{n:#x}")
}

/// The gas price a transaction paid in a block with this base fee.
pub(crate) fn effective_gas_price(tx: &L2Transaction, base_fee: u64) -> u128 {
    match tx {
        L2Transaction::Deposit(_) => 0,
        L2Transaction::User { tx, .. } => tx.effective_gas_price(Some(base_fee)),
    }
}

/// A transaction as `eth_getTransactionByHash` returns it; `at` is its block and position, if sequenced.
pub(crate) fn transaction_json(tx: &L2Transaction, at: Option<(&SequencedBlock, usize)>) -> Value {
    let base_fee = at.and_then(|(b, _)| b.header.base_fee_per_gas);
    match tx {
        L2Transaction::User { tx, sender } => {
            let rpc = RpcTransaction {
                inner: Recovered::new_unchecked(tx.clone(), *sender),
                block_hash: at.map(|(b, _)| b.hash),
                block_number: at.map(|(b, _)| b.header.number),
                transaction_index: at.map(|(_, i)| i as u64),
                effective_gas_price: base_fee.map(|fee| tx.effective_gas_price(Some(fee))),
                block_timestamp: None,
            };
            serde_json::to_value(rpc).unwrap_or(Value::Null)
        }
        L2Transaction::Deposit(d) => json!({
            "type": "0x7e",
            "hash": d.hash(),
            "from": d.from,
            "to": d.to,
            "mint": format!("{:#x}", d.mint),
            "value": "0x0",
            "gas": q(d.gas_limit),
            "gasPrice": "0x0",
            "input": d.data,
            "nonce": "0x0",
            "depositNonce": q(d.nonce),
            "isSystemTx": false,
            "v": "0x0",
            "r": "0x0",
            "s": "0x0",
            "blockHash": at.map(|(b, _)| b.hash),
            "blockNumber": at.map(|(b, _)| q(b.header.number)),
            "transactionIndex": at.map(|(_, i)| q(i as u64)),
        }),
    }
}

/// A pending (not yet sequenced) transaction.
pub(crate) fn pooled_json(tx: &PooledTx) -> Value {
    transaction_json(
        &L2Transaction::User {
            tx: tx.tx.clone(),
            sender: tx.sender,
        },
        None,
    )
}

/// The block as `eth_getBlockBy*` returns it, with hashes or full transactions.
pub(crate) fn block_json(block: &SequencedBlock, full: bool) -> Value {
    let size = alloy_rlp::Encodable::length(&block.header)
        + block
            .transactions
            .iter()
            .map(alloy_eips::eip2718::Encodable2718::encode_2718_len)
            .sum::<usize>();
    let header = RpcHeader {
        hash: block.hash,
        inner: block.header.clone(),
        total_difficulty: Some(U256::ZERO),
        size: Some(U256::from(size)),
    };
    let mut value = serde_json::to_value(header).unwrap_or_else(|_| json!({}));
    let transactions: Vec<Value> = if full {
        block
            .transactions
            .iter()
            .enumerate()
            .map(|(i, t)| transaction_json(t, Some((block, i))))
            .collect()
    } else {
        block.transactions.iter().map(|t| json!(t.hash())).collect()
    };
    if let Value::Object(map) = &mut value {
        map.insert("transactions".into(), Value::Array(transactions));
        map.insert("uncles".into(), json!([]));
        map.insert("withdrawals".into(), json!([]));
    }
    value
}

/// The logs of transaction `index` of `block` as RPC log objects.
pub(crate) fn logs_json(block: &SequencedBlock, index: usize) -> Vec<Value> {
    let Some(receipt) = block.receipts.get(index) else {
        return Vec::new();
    };
    let tx_hash = block.transactions.get(index).map(L2Transaction::hash);
    let first = block.first_log_index(index);
    receipt
        .receipt
        .logs
        .iter()
        .enumerate()
        .map(|(i, log)| log_json(block, index, tx_hash, first + i, log))
        .collect()
}

/// One log object.
pub(crate) fn log_json(
    block: &SequencedBlock,
    tx_index: usize,
    tx_hash: Option<B256>,
    log_index: usize,
    log: &alloy_primitives::Log,
) -> Value {
    json!({
        "address": log.address,
        "topics": log.data.topics(),
        "data": log.data.data,
        "blockHash": block.hash,
        "blockNumber": q(block.header.number),
        "blockTimestamp": q(block.header.timestamp),
        "transactionHash": tx_hash,
        "transactionIndex": q(tx_index as u64),
        "logIndex": q(log_index as u64),
        "removed": false,
    })
}

/// The receipt of transaction `index` of `block`.
pub(crate) fn receipt_json(block: &SequencedBlock, index: usize) -> Value {
    let (Some(tx), Some(receipt)) = (block.transactions.get(index), block.receipts.get(index))
    else {
        return Value::Null;
    };
    let base_fee = block.header.base_fee_per_gas.unwrap_or_default();
    let (to, contract_address): (Option<Address>, Option<Address>) = match tx {
        L2Transaction::Deposit(d) => (Some(d.to), None),
        L2Transaction::User { tx, sender } => match tx.kind() {
            alloy_primitives::TxKind::Call(to) => (Some(to), None),
            alloy_primitives::TxKind::Create => (None, Some(sender.create(tx.nonce()))),
        },
    };
    let mut value = json!({
        "type": format!("{:#x}", receipt.tx_type),
        "status": if receipt.success() { "0x1" } else { "0x0" },
        "cumulativeGasUsed": q(receipt.receipt.cumulative_gas_used),
        "logs": logs_json(block, index),
        "logsBloom": receipt.bloom(),
        "transactionHash": tx.hash(),
        "transactionIndex": q(index as u64),
        "blockHash": block.hash,
        "blockNumber": q(block.header.number),
        "gasUsed": q(block.gas_used_by(index)),
        "effectiveGasPrice": q128(effective_gas_price(tx, base_fee)),
        "from": tx.sender(),
        "to": to,
        "contractAddress": contract_address,
    });
    if let (L2Transaction::Deposit(d), Value::Object(map)) = (tx, &mut value) {
        map.insert("depositNonce".into(), json!(q(d.nonce)));
    }
    value
}
