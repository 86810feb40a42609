//! Sending L1 transactions that must land exactly once: one at a time per account, rebroadcast when
//! L1 drops them, replaced with a higher fee when they linger, and never sent twice under two nonces.

use std::time::Duration;

use alloy::{
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder},
    providers::{DynProvider, Provider},
    rpc::types::{TransactionReceipt, TransactionRequest},
    signers::local::PrivateKeySigner,
};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, U256};

use crate::sequencer::OriginError;

/// Why an L1 transaction did not land.
#[derive(Debug, thiserror::Error)]
pub enum L1TxError {
    /// An L1 request failed.
    #[error(transparent)]
    L1(#[from] OriginError),
    /// Estimating gas failed: the call would revert.
    #[error("the L1 call would fail: {0}")]
    WouldRevert(String),
    /// Signing failed.
    #[error("cannot sign the L1 transaction: {0}")]
    Sign(String),
    /// The transaction was mined but reverted.
    #[error("L1 transaction {0} reverted")]
    Reverted(B256),
    /// The nonce was used by a transaction this sender did not send now (another process?).
    #[error("nonce {nonce} of {address} was used by another transaction")]
    NonceTaken {
        /// The account.
        address: Address,
        /// The nonce.
        nonce: u64,
    },
    /// An earlier transaction of this account left L1 (a reorganisation), so this one, sent under
    /// a later nonce, cannot be mined: the caller reads L1 again and sends anew.
    #[error("nonce {nonce} of {address} waits behind a gap: L1 now counts {on_l1} transactions")]
    NonceGap {
        /// The account.
        address: Address,
        /// The nonce this transaction was sent under.
        nonce: u64,
        /// The account's transaction count on L1 now.
        on_l1: u64,
    },
}

/// Timing of [`L1Sender`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1SenderConfig {
    /// How often to look for the receipt.
    pub poll: Duration,
    /// How long a transaction may stay unmined before it is rebroadcast or replaced.
    pub resubmit_after: Duration,
    /// Percentage by which a replacement raises both fees (nodes require at least 10).
    pub fee_bump_percent: u64,
}

impl Default for L1SenderConfig {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(250),
            resubmit_after: Duration::from_secs(12),
            fee_bump_percent: 25,
        }
    }
}

/// An L1 account that sends transactions one at a time and waits for each.
#[derive(Debug, Clone)]
pub struct L1Sender {
    provider: DynProvider,
    wallet: EthereumWallet,
    address: Address,
    chain_id: u64,
    config: L1SenderConfig,
}

impl L1Sender {
    /// A sender for `signer` over `provider` (a plain provider: this type fills and signs itself).
    pub async fn new(
        provider: DynProvider,
        signer: PrivateKeySigner,
        config: L1SenderConfig,
    ) -> Result<Self, L1TxError> {
        let chain_id = crate::sequencer::l1_call(provider.get_chain_id()).await?;
        Ok(Self {
            address: signer.address(),
            wallet: EthereumWallet::from(signer),
            provider,
            chain_id,
            config,
        })
    }

    /// The sending account.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The provider.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// Waits until no transaction of this account is pending on L1 (one sent before a restart may
    /// still be in the mempool: it must land, or be dropped, before the state it changes is read).
    /// Gives up after `timeout` and returns whether it settled.
    pub async fn settle(&self, timeout: Duration) -> Result<bool, L1TxError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let latest =
                crate::sequencer::l1_call(self.provider.get_transaction_count(self.address))
                    .await?;
            let pending = crate::sequencer::l1_call(
                self.provider.get_transaction_count(self.address).pending(),
            )
            .await?;
            if pending <= latest {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(self.config.poll).await;
        }
    }

    /// Sends a call to `to` and waits until it is mined; rebroadcasts it if L1 drops it and
    /// replaces it with higher fees if it lingers, always under the same nonce, so at most one of
    /// its versions can land.
    pub async fn send(
        &self,
        to: Address,
        data: Bytes,
        value: U256,
    ) -> Result<TransactionReceipt, L1TxError> {
        use crate::sequencer::l1_call;
        self.settle(self.config.resubmit_after * 2).await?;
        let nonce = l1_call(self.provider.get_transaction_count(self.address)).await?;
        let request = TransactionRequest::default()
            .with_from(self.address)
            .with_to(to)
            .with_input(data)
            .with_value(value);
        let gas = tokio::time::timeout(
            Duration::from_secs(10),
            self.provider.estimate_gas(request.clone()),
        )
        .await
        .map_err(|_| OriginError::Timeout(Duration::from_secs(10)))?
        .map_err(|e| L1TxError::WouldRevert(e.to_string()))?;
        let fees = l1_call(self.provider.estimate_eip1559_fees()).await?;
        let (mut max_fee, mut tip) = (fees.max_fee_per_gas, fees.max_priority_fee_per_gas.max(1));
        let mut hashes: Vec<B256> = Vec::new();
        let mut raw = self
            .sign(&request, nonce, gas + gas / 4, max_fee, tip)
            .await?;
        loop {
            let hash = alloy_primitives::keccak256(&raw);
            if !hashes.contains(&hash) {
                hashes.push(hash);
            }
            if let Err(e) = l1_call(self.provider.send_raw_transaction(&raw)).await {
                // "already known" and friends: the transaction (or a sibling) is there; keep waiting.
                tracing::debug!(error = %e, %hash, "L1 rejected a broadcast");
            }
            let deadline = tokio::time::Instant::now() + self.config.resubmit_after;
            while tokio::time::Instant::now() < deadline {
                tokio::time::sleep(self.config.poll).await;
                for h in &hashes {
                    if let Ok(Some(receipt)) =
                        l1_call(self.provider.get_transaction_receipt(*h)).await
                    {
                        if !receipt.status() {
                            return Err(L1TxError::Reverted(*h));
                        }
                        return Ok(receipt);
                    }
                }
                let mined = l1_call(self.provider.get_transaction_count(self.address)).await?;
                if mined < nonce {
                    return Err(L1TxError::NonceGap {
                        address: self.address,
                        nonce,
                        on_l1: mined,
                    });
                }
                if mined > nonce {
                    // The nonce is used; one last look at our receipts, as the node may index late.
                    tokio::time::sleep(self.config.poll).await;
                    for h in &hashes {
                        if let Ok(Some(receipt)) =
                            l1_call(self.provider.get_transaction_receipt(*h)).await
                        {
                            if !receipt.status() {
                                return Err(L1TxError::Reverted(*h));
                            }
                            return Ok(receipt);
                        }
                    }
                    return Err(L1TxError::NonceTaken {
                        address: self.address,
                        nonce,
                    });
                }
            }
            let known = l1_call(self.provider.get_transaction_by_hash(hash)).await?;
            if known.is_none() {
                tracing::warn!(%hash, nonce, "L1 dropped the transaction; rebroadcasting it");
            } else {
                let bump = |v: u128| {
                    v.saturating_add(
                        v.saturating_mul(u128::from(self.config.fee_bump_percent)) / 100,
                    )
                    .saturating_add(1)
                };
                max_fee = bump(max_fee);
                tip = bump(tip);
                tracing::warn!(%hash, nonce, max_fee, "L1 transaction lingers; replacing it with higher fees");
                raw = self
                    .sign(&request, nonce, gas + gas / 4, max_fee, tip)
                    .await?;
            }
        }
    }

    async fn sign(
        &self,
        request: &TransactionRequest,
        nonce: u64,
        gas: u64,
        max_fee: u128,
        tip: u128,
    ) -> Result<Vec<u8>, L1TxError> {
        let tx = request
            .clone()
            .with_nonce(nonce)
            .with_gas_limit(gas)
            .with_max_fee_per_gas(max_fee)
            .with_max_priority_fee_per_gas(tip)
            .with_chain_id(self.chain_id);
        let envelope = tx
            .build(&self.wallet)
            .await
            .map_err(|e| L1TxError::Sign(e.to_string()))?;
        Ok(envelope.encoded_2718())
    }
}
