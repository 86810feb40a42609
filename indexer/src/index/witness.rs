//! What a light node needs from the index to re-execute blocks (a witness), and EIP-1186 proofs,
//! both read from the indexer's own state.

use std::{collections::BTreeMap, str::FromStr};

use alloy::rpc::types::{EIP1186AccountProofResponse, EIP1186StorageProof};
use alloy::serde::storage::JsonStorageKey;
use alloy_consensus::Header;
use alloy_primitives::{Address, B256, KECCAK256_EMPTY, U256, keccak256};
use alloy_rlp::Decodable;
use light_node::{
    BlockAttributes, BlockHashes, Deposit, EMPTY_ROOT, ExecError, L2State, Trie, Witness,
    decode_batch, execute_recording_witness,
};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{
    IndexShared,
    db::{DbError, corrupt, int, parse_u256},
};

/// The most blocks one witness may cover.
pub const MAX_WITNESS_BLOCKS: u64 = 256;

/// Why a witness could not be made.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// The range is not derived yet, or empty, or too long.
    #[error("{0}")]
    Range(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Re-execution failed or disagreed with the index.
    #[error("re-execution: {0}")]
    Exec(String),
}

/// `GET /witness/{block}`: the parent header and the witness that executing blocks `from..=to`
/// needs. A light node checks the parent against an output root it trusts and every node against the
/// parent's state root; none of it is taken on trust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessResponse {
    /// First block covered.
    pub from: u64,
    /// Last block covered.
    pub to: u64,
    /// The header of block `from - 1`.
    pub parent: Header,
    /// Trie nodes, code and ancestor headers.
    pub witness: Witness,
}

fn sql(e: sqlx::Error) -> WitnessError {
    WitnessError::Db(e.into())
}

fn header_from(rlp: &[u8]) -> Result<Header, WitnessError> {
    Header::decode(&mut &rlp[..]).map_err(|e| WitnessError::Db(corrupt("block header", e)))
}

/// Builds the witness of blocks `from..=to` by re-executing them on the index's state.
pub async fn witness(
    shared: &IndexShared,
    from: u64,
    to: u64,
) -> Result<WitnessResponse, WitnessError> {
    let (parent, witness, _) = reexecute(shared, from, to).await?;
    Ok(WitnessResponse {
        from,
        to,
        parent,
        witness,
    })
}

/// Re-executes derived block `number` with the light node's state transition, from its parent's
/// state, its L1 origin's deposits and its batch's transactions, and returns the output root it
/// computes. This is the arbiter's check of a single-block dispute.
pub async fn reexecuted_output_root(
    shared: &IndexShared,
    number: u64,
) -> Result<B256, WitnessError> {
    let (_, _, executed) = reexecute(shared, number, number).await?;
    let block = executed
        .first()
        .ok_or_else(|| WitnessError::Exec(format!("block {number} was not executed")))?;
    Ok(light_node::output_root(block.header.state_root, block.hash))
}

/// Re-executes blocks `from..=to` on the index's state, recording their witness; returns the
/// parent header, the witness and the executed blocks, each checked against the index.
async fn reexecute(
    shared: &IndexShared,
    from: u64,
    to: u64,
) -> Result<(Header, Witness, Vec<light_node::ExecutedBlock>), WitnessError> {
    if from == 0 || to < from {
        return Err(WitnessError::Range(format!(
            "no blocks to witness in {from}..={to} (block 0 is the genesis)"
        )));
    }
    if to - from >= MAX_WITNESS_BLOCKS {
        return Err(WitnessError::Range(format!(
            "at most {MAX_WITNESS_BLOCKS} blocks per witness"
        )));
    }
    let pool = shared.db.pool();
    let oldest = (from - 1).saturating_sub(light_node::BLOCKHASH_WINDOW);
    let rows = sqlx::query(
        "SELECT number, header, l1_origin, batch_index, hash FROM blocks
         WHERE number >= $1 AND number <= $2 ORDER BY number",
    )
    .bind(int(oldest))
    .bind(int(to))
    .fetch_all(pool)
    .await
    .map_err(sql)?;
    let mut headers = BTreeMap::new();
    let mut info = BTreeMap::new();
    for row in &rows {
        let number = row.try_get::<i64, _>("number").map_err(sql)? as u64;
        let header = header_from(&row.try_get::<Vec<u8>, _>("header").map_err(sql)?)?;
        let origin = row.try_get::<i64, _>("l1_origin").map_err(sql)? as u64;
        let batch = row
            .try_get::<Option<i64>, _>("batch_index")
            .map_err(sql)?
            .map(|b| b as u64);
        let hash = B256::from_str(&row.try_get::<String, _>("hash").map_err(sql)?)
            .map_err(|e| WitnessError::Db(corrupt("block hash", e)))?;
        info.insert(number, (origin, batch, hash));
        headers.insert(number, header);
    }
    if !headers.contains_key(&to) {
        return Err(WitnessError::Range(format!(
            "block {to} is not derived yet"
        )));
    }
    let parent = headers[&(from - 1)].clone();
    let mut hashes = BlockHashes::new();
    for (number, (_, _, hash)) in info.range(..from) {
        hashes.insert(*number, *hash);
    }

    let mut attributes = Vec::new();
    let mut batches: BTreeMap<u64, (u64, light_node::Batch)> = BTreeMap::new();
    for number in from..=to {
        let (origin, batch_index, _) = info[&number];
        let (parent_origin, _, _) = info[&(number - 1)];
        let header = &headers[&number];
        let deposits = if origin == parent_origin {
            Vec::new()
        } else {
            deposits_of(shared, origin).await?
        };
        let transactions = match batch_index {
            None => Vec::new(),
            Some(index) => {
                if let std::collections::btree_map::Entry::Vacant(slot) = batches.entry(index) {
                    slot.insert(load_batch(shared, index).await?);
                }
                let (first, batch) = &batches[&index];
                batch
                    .blocks
                    .get((number - first) as usize)
                    .map(|b| b.transactions.clone())
                    .ok_or_else(|| {
                        WitnessError::Exec(format!("batch {index} does not hold block {number}"))
                    })?
            }
        };
        attributes.push(BlockAttributes {
            timestamp: header.timestamp,
            l1_origin_number: origin,
            l1_origin_hash: header.mix_hash,
            deposits,
            transactions,
        });
    }

    let config = shared.genesis.config.clone();
    let (executed, witness) = shared
        .with_state(|state| {
            state.root = parent.state_root;
            execute_recording_witness(&config, state, &parent, &hashes, &attributes, |n| {
                headers.get(&n).cloned()
            })
        })
        .map_err(|e| WitnessError::Exec(e.to_string()))?;
    for block in &executed {
        let stored = info[&block.header.number].2;
        if block.hash != stored {
            return Err(WitnessError::Exec(format!(
                "block {} re-executes to {}, but the index holds {stored}",
                block.header.number, block.hash
            )));
        }
    }
    Ok((parent, witness, executed))
}

async fn deposits_of(shared: &IndexShared, l1_block: u64) -> Result<Vec<Deposit>, WitnessError> {
    let rows = sqlx::query(
        "SELECT nonce, from_address, to_address, mint, gas_limit, data FROM deposits
         WHERE l1_block = $1 ORDER BY nonce",
    )
    .bind(int(l1_block))
    .fetch_all(shared.db.pool())
    .await
    .map_err(sql)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let address = |c: &str| -> Result<Address, WitnessError> {
            Address::from_str(&r.try_get::<String, _>(c).map_err(sql)?)
                .map_err(|e| WitnessError::Db(corrupt("address", e)))
        };
        out.push(Deposit {
            nonce: r.try_get::<i64, _>("nonce").map_err(sql)? as u64,
            from: address("from_address")?,
            to: address("to_address")?,
            mint: parse_u256("mint", &r.try_get::<String, _>("mint").map_err(sql)?)?,
            gas_limit: r.try_get::<i64, _>("gas_limit").map_err(sql)? as u64,
            data: r.try_get::<Vec<u8>, _>("data").map_err(sql)?.into(),
        });
    }
    Ok(out)
}

async fn load_batch(
    shared: &IndexShared,
    index: u64,
) -> Result<(u64, light_node::Batch), WitnessError> {
    let row = sqlx::query("SELECT data, first_block FROM batches WHERE idx = $1")
        .bind(int(index))
        .fetch_one(shared.db.pool())
        .await
        .map_err(sql)?;
    let data: Option<Vec<u8>> = row.try_get("data").map_err(sql)?;
    let first = row
        .try_get::<Option<i64>, _>("first_block")
        .map_err(sql)?
        .unwrap_or_default() as u64;
    let data = data.ok_or_else(|| WitnessError::Exec(format!("batch {index} has no data")))?;
    let batch = decode_batch(&data, shared.genesis.config.max_batch_size)
        .map_err(|e| WitnessError::Exec(format!("batch {index}: {e}")))?;
    Ok((first, batch))
}

/// An EIP-1186 proof of `address` and `slots` in `state` at its current root.
pub fn account_proof(
    state: &mut L2State,
    address: Address,
    slots: Vec<JsonStorageKey>,
) -> Result<EIP1186AccountProofResponse, ExecError> {
    let account = state.account(address)?;
    let account_proof = Trie::from_root(state.root)
        .proof(&mut state.nodes, keccak256(address).as_slice())
        .map_err(ExecError::StateTrie)?;
    let storage_root = account.map_or(EMPTY_ROOT, |a| a.storage_root);
    let mut storage_proof = Vec::with_capacity(slots.len());
    for key in slots {
        let slot = key.as_b256();
        let proof = Trie::from_root(storage_root)
            .proof(&mut state.nodes, keccak256(slot).as_slice())
            .map_err(|source| ExecError::StorageTrie { address, source })?;
        let value = state.storage(address, U256::from_be_bytes(slot.0))?;
        storage_proof.push(EIP1186StorageProof { key, value, proof });
    }
    Ok(EIP1186AccountProofResponse {
        address,
        balance: account.map_or(U256::ZERO, |a| a.balance),
        code_hash: account.map_or(KECCAK256_EMPTY, |a| a.code_hash),
        nonce: account.map_or(0, |a| a.nonce),
        storage_hash: storage_root,
        account_proof,
        storage_proof,
    })
}
