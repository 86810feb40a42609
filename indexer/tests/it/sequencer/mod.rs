//! The sequencer, its L2 JSON-RPC, the batcher and the proposer, driven by real clients.

mod end_to_end;
mod errors;
mod restart;

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
    sign_with(signer, ChainConfig::devnet().chain_id, nonce, to, value, input, gas_limit, 10 * GWEI, GWEI)
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
    sign(signer, nonce, TxKind::Call(to), U256::from(value), Bytes::new(), 21_000)
}

pub(crate) fn anvil_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("ANVIL_BIN") {
        return PathBuf::from(path);
    }
    let installed = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../.tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    if installed.is_file() { installed } else { find_anvil(None) }
}
