//! The parts of L1's JSON-RPC answers (`eth_getLogs`, `eth_getTransactionReceipt`,
//! `eth_getTransactionByHash`, `eth_getBlockByNumber`) and of an EIP-1186 proof that the worker
//! reads, and nothing else.
//!
//! alloy's RPC types read every field of every transaction type; their deserializers were about a
//! tenth of the worker's code. The worker believes L1 for these values anyway (it checks a batch's
//! bytes against the hash the contract stored), so it reads only what it uses. Quantities are
//! hex strings (`"0x1b"`), as the Ethereum JSON-RPC specification writes them.

use alloy_primitives::{Address, B256, Bytes, LogData, U256};
use serde::{Deserialize, Deserializer};

/// A log, as `eth_getLogs` and receipts give it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Log {
    /// The contract that emitted it.
    pub address: Address,
    /// Its topics, the event's signature first.
    pub topics: Vec<B256>,
    /// Its data.
    pub data: Bytes,
    /// The L1 block it is in; `None` while pending.
    #[serde(default, with = "alloy_serde::quantity::opt")]
    pub block_number: Option<u64>,
}

impl Log {
    /// Topics and data, for a `sol!` event's `decode_log_data`.
    pub fn log_data(&self) -> LogData {
        LogData::new_unchecked(self.topics.clone(), self.data.clone())
    }
}

/// A transaction receipt: its block and its logs.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// The L1 block it is in; `None` while pending.
    #[serde(default, with = "alloy_serde::quantity::opt")]
    pub block_number: Option<u64>,
    /// The logs it emitted.
    pub logs: Vec<Log>,
}

/// A transaction: its calldata.
#[derive(Debug, Clone, Deserialize)]
pub struct Transaction {
    /// The calldata.
    pub input: Bytes,
}

/// A block header's hash and timestamp.
#[derive(Debug, Clone, Deserialize)]
pub struct Block {
    /// The block's hash.
    pub hash: B256,
    /// Its timestamp, in seconds.
    #[serde(with = "alloy_serde::quantity")]
    pub timestamp: u64,
}

/// An EIP-1186 account proof (`eth_getProof`, the indexer's `/proof`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountProof {
    /// The stated balance.
    pub balance: U256,
    /// The stated nonce.
    #[serde(with = "alloy_serde::quantity")]
    pub nonce: u64,
    /// The stated code hash.
    pub code_hash: B256,
    /// The stated storage root.
    pub storage_hash: B256,
    /// The trie nodes from the state root to the account.
    pub account_proof: Vec<Bytes>,
    /// One proof per slot asked.
    pub storage_proof: Vec<StorageProof>,
}

/// The proof of one storage slot.
#[derive(Debug, Clone, Deserialize)]
pub struct StorageProof {
    /// The slot, as 32 bytes (EIP-1186 also allows a shorter quantity, read the same way).
    #[serde(deserialize_with = "slot")]
    pub key: B256,
    /// The stated value.
    pub value: U256,
    /// The trie nodes from the storage root to the slot.
    pub proof: Vec<Bytes>,
}

/// A slot key read as a number, so that a 32-byte key and a shorter quantity read alike (alloy's
/// `JsonStorageKey` does the same as an untagged enum, which serde reads through a buffer).
fn slot<'de, D: Deserializer<'de>>(d: D) -> Result<B256, D::Error> {
    let n = U256::deserialize(d)?;
    Ok(B256::from(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_it_needs_and_ignores_the_rest() {
        let receipt: Receipt = serde_json::from_value(serde_json::json!({
            "blockNumber": "0x1b",
            "status": "0x1",
            "logs": [{
                "address": "0x4444444444444444444444444444444444444444",
                "topics": ["0x0000000000000000000000000000000000000000000000000000000000000001"],
                "data": "0x0102",
                "blockNumber": "0x1b",
                "removed": false
            }]
        }))
        .expect("a receipt");
        assert_eq!(receipt.block_number, Some(27));
        assert_eq!(receipt.logs[0].log_data().data.as_ref(), &[1, 2]);
        assert_eq!(receipt.logs[0].log_data().topics().len(), 1);

        let pending: Log = serde_json::from_value(serde_json::json!({
            "address": "0x4444444444444444444444444444444444444444",
            "topics": [],
            "data": "0x",
            "blockNumber": null
        }))
        .expect("a pending log");
        assert_eq!(pending.block_number, None);
    }

    #[test]
    fn a_slot_key_reads_as_32_bytes_or_as_a_quantity() {
        for key in [
            "0x7",
            "0x0000000000000000000000000000000000000000000000000000000000000007",
        ] {
            let proof: StorageProof = serde_json::from_value(
                serde_json::json!({"key": key, "value": "0x2a", "proof": []}),
            )
            .expect("a storage proof");
            assert_eq!(proof.key, B256::with_last_byte(7));
            assert_eq!(proof.value, U256::from(42));
        }
    }

    #[test]
    fn a_wrong_quantity_is_an_error() {
        for block in [
            serde_json::json!({"hash": B256::ZERO, "timestamp": "twelve"}),
            serde_json::json!({"hash": "0x12", "timestamp": "0xc"}),
        ] {
            assert!(serde_json::from_value::<Block>(block).is_err());
        }
    }
}
