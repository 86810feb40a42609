//! The sequencer, its L2 JSON-RPC, the batcher and the proposer, driven by real clients.

pub(crate) mod end_to_end;
mod errors;
mod full_pool;
mod l1_drop;
mod persistence;
pub(crate) mod restart;

use std::path::PathBuf;

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::eip2718::Encodable2718,
    network::TxSignerSync,
    primitives::{Address, Bytes, TxKind, U256, hex},
    signers::local::PrivateKeySigner,
};
use indexer::anvil::find_anvil;
use light_node::ChainConfig;

/// Init code of a contract whose runtime takes calldata `[slot][value]`: it stores `value` at `slot`
/// and emits `LOG1(topic0 = value, data = slot)`; a value of `0xdead` reverts instead.
pub(crate) const STORE_AND_LOG_INIT: &[u8] = &hex!(
    "602180600b6000396000f3"
    "6020358061dead14601c57806000355560003560005260206000a1005b600080fd"
);

/// The runtime code [`STORE_AND_LOG_INIT`] deploys.
pub(crate) const STORE_AND_LOG_RUNTIME: &[u8] =
    &hex!("6020358061dead14601c57806000355560003560005260206000a1005b600080fd");

/// Calldata for the store-and-log contract.
pub(crate) fn store_call(slot: u64, value: u64) -> Bytes {
    let mut data = U256::from(slot).to_be_bytes::<32>().to_vec();
    data.extend_from_slice(&U256::from(value).to_be_bytes::<32>());
    data.into()
}

pub(crate) const GWEI: u128 = 1_000_000_000;

/// Signs an EIP-1559 transaction for the devnet chain.
pub(crate) fn sign(
    signer: &PrivateKeySigner,
    nonce: u64,
    to: TxKind,
    value: U256,
    input: Bytes,
    gas_limit: u64,
) -> Bytes {
    sign_with(
        signer,
        ChainConfig::devnet().chain_id,
        nonce,
        to,
        value,
        input,
        gas_limit,
        10 * GWEI,
        GWEI,
    )
}

/// Signs an EIP-1559 transaction with every field chosen.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sign_with(
    signer: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: TxKind,
    value: U256,
    input: Bytes,
    gas_limit: u64,
    max_fee: u128,
    tip: u128,
) -> Bytes {
    let mut tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip,
        to,
        value,
        access_list: Default::default(),
        input,
    };
    let sig = signer.sign_transaction_sync(&mut tx).expect("signing");
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
}

/// A transfer of `value` wei to `to`.
pub(crate) fn transfer(signer: &PrivateKeySigner, nonce: u64, to: Address, value: u64) -> Bytes {
    sign(
        signer,
        nonce,
        TxKind::Call(to),
        U256::from(value),
        Bytes::new(),
        21_000,
    )
}

pub(crate) fn anvil_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("ANVIL_BIN") {
        return PathBuf::from(path);
    }
    let installed = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../.tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    if installed.is_file() {
        installed
    } else {
        find_anvil(None)
    }
}

/// What derivation from L1 alone made of the rollup, and what it saw on L1.
#[derive(Debug, Default)]
pub(crate) struct FromL1 {
    /// Derived L2 blocks (number, hash), in order.
    pub(crate) blocks: Vec<(u64, alloy::primitives::B256)>,
    /// Batches derivation dropped.
    pub(crate) dropped: usize,
    /// Every batch posted: (index, L1 block, parent hash, number of blocks).
    pub(crate) batches: Vec<(u64, u64, alloy::primitives::B256, usize)>,
    /// Every proposal: (L2 block, output root).
    pub(crate) proposals: Vec<(u64, alloy::primitives::B256)>,
}

/// Runs the light node's deriver over every L1 block from the rollup's genesis origin to the head.
pub(crate) async fn derive_from_l1(
    l1: &alloy::providers::DynProvider,
    genesis: &indexer::genesis::RollupGenesis,
) -> FromL1 {
    use alloy::{
        consensus::Transaction as _, providers::Provider, rpc::types::Filter, sol_types::SolCall,
    };
    use contracts::Rollup;
    use light_node::{L1Input, L1Origin, PostedBatch, decode_batch};

    let mut deriver = genesis.deriver().expect("genesis");
    let head = l1.get_block_number().await.expect("L1 head");
    let mut out = FromL1::default();
    let logs = l1
        .get_logs(
            &Filter::new()
                .address(genesis.rollup)
                .from_block(genesis.l1_origin.number),
        )
        .await
        .expect("logs");
    for log in &logs {
        if let Ok(p) = log.log_decode::<Rollup::OutputProposed>() {
            out.proposals
                .push((p.inner.data.l2Block, p.inner.data.outputRoot));
        }
    }
    for number in genesis.l1_origin.number + 1..=head {
        let block = l1
            .get_block_by_number(number.into())
            .await
            .expect("block")
            .expect("exists");
        let deposits = indexer::sequencer::deposits_in(l1, genesis.rollup, block.header.hash)
            .await
            .expect("deposits");
        let mut batches = Vec::new();
        for log in logs.iter().filter(|l| l.block_number == Some(number)) {
            let Ok(event) = log.log_decode::<Rollup::BatchAppended>() else {
                continue;
            };
            let tx = l1
                .get_transaction_by_hash(log.transaction_hash.expect("tx hash"))
                .await
                .expect("tx")
                .expect("exists");
            let call = Rollup::appendBatchCall::abi_decode(tx.input()).expect("appendBatch call");
            let batch =
                decode_batch(&call.data, genesis.config.max_batch_size).expect("batch decodes");
            out.batches.push((
                event.inner.data.index,
                number,
                batch.parent_hash,
                batch.blocks.len(),
            ));
            batches.push(PostedBatch {
                index: event.inner.data.index,
                data: call.data,
            });
        }
        let input = L1Input {
            block: L1Origin {
                number,
                hash: block.header.hash,
                timestamp: block.header.timestamp,
                deposits,
            },
            parent_hash: block.header.parent_hash,
            batches,
        };
        let step = deriver.advance(&input).expect("derivation advances");
        out.dropped += step.dropped.len();
        for dropped in &step.dropped {
            eprintln!("dropped batch {}: {}", dropped.index, dropped.reason);
        }
        out.blocks.extend(
            step.blocks
                .iter()
                .map(|b| (b.block.header.number, b.block.hash)),
        );
    }
    out
}
