//! The devnet's traffic generator: a steady stream of ordinary activity for the explorer to show.
//!
//! Every `interval` it does one thing, from the dev user accounts (keys 4 to 9), in a fixed rotation
//! with pseudo-random amounts and recipients: ETH transfers; deploying the demonstration ERC-20
//! (`contracts/src/DemoToken.sol`) and using it (transfers, approvals, `transferFrom`); calls that
//! revert on purpose (moving more tokens than the sender holds, sent with a fixed gas limit so that
//! they are included and fail); and deposits from L1 through the Rollup contract.
//!
//! Failures are logged and the next action goes on.

use std::time::Duration;

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
};
use alloy_primitives::{Address, Bytes, U256};
use contracts::{DemoToken, Rollup};

use crate::genesis::dev_signer;

/// The first and last dev key the generator sends from.
const USERS: std::ops::RangeInclusive<usize> = 4..=9;

/// One milli-ether.
fn milli_ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(15u64))
}

/// The generator.
#[derive(Debug)]
pub struct Traffic {
    l2_url: String,
    l1_url: String,
    rollup: Address,
    /// Pause between actions.
    pub interval: Duration,
}

/// Why an action failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TrafficError(String);

fn fail(what: &str) -> impl FnOnce(String) -> TrafficError + '_ {
    move |e| TrafficError(format!("{what}: {e}"))
}

impl Traffic {
    /// A generator sending to the L2 JSON-RPC at `l2_url` and, for deposits, to `rollup` on the L1
    /// at `l1_url`.
    pub fn new(l2_url: String, l1_url: String, rollup: Address) -> Self {
        Self {
            l2_url,
            l1_url,
            rollup,
            interval: Duration::from_secs(2),
        }
    }

    fn wallet(&self, url: &str, user: usize) -> Result<DynProvider, TrafficError> {
        let url = url
            .parse()
            .map_err(|e| TrafficError(format!("invalid endpoint {url}: {e}")))?;
        Ok(ProviderBuilder::new()
            .wallet(EthereumWallet::from(dev_signer(user)))
            .connect_http(url)
            .erased())
    }

    /// Sends `request` from dev account `user` on L2 and waits for its receipt; returns whether it
    /// succeeded.
    async fn send(&self, user: usize, request: TransactionRequest) -> Result<bool, TrafficError> {
        let l2 = self.wallet(&self.l2_url, user)?;
        let receipt = tokio::time::timeout(Duration::from_secs(30), async {
            l2.send_transaction(request)
                .await
                .map_err(|e| fail("send")(e.to_string()))?
                .get_receipt()
                .await
                .map_err(|e| fail("receipt")(e.to_string()))
        })
        .await
        .map_err(|_| TrafficError("no receipt within 30 s".into()))??;
        Ok(receipt.status())
    }

    /// Runs until the task is dropped.
    pub async fn run(self) {
        let mut token = None;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for tick in 0u64.. {
            tokio::time::sleep(self.interval).await;
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let users = (*USERS.end() - *USERS.start() + 1) as u64;
            let from = *USERS.start() + (seed % users) as usize;
            let to = *USERS.start() + ((seed >> 8) % users) as usize;
            let amount = 1 + (seed >> 16) % 50;
            if let Err(e) = self.act(tick, &mut token, from, to, amount).await {
                tracing::warn!(tick, error = %e, "traffic action failed");
            }
        }
    }

    async fn act(
        &self,
        tick: u64,
        token: &mut Option<Address>,
        from: usize,
        to: usize,
        amount: u64,
    ) -> Result<(), TrafficError> {
        let holder = *USERS.start();
        let recipient = dev_signer(to).address();
        let Some(token_address) = *token else {
            let l2 = self.wallet(&self.l2_url, holder)?;
            let supply = milli_ether(1_000_000_000);
            let address = *DemoToken::deploy(l2, supply)
                .await
                .map_err(|e| fail("deploy DemoToken")(e.to_string()))?
                .address();
            tracing::info!(%address, "traffic: DemoToken deployed");
            *token = Some(address);
            return Ok(());
        };
        let token_call = |call: Bytes| {
            TransactionRequest::default()
                .with_to(token_address)
                .with_input(call)
        };
        use alloy::sol_types::SolCall;
        match tick % 8 {
            // The token: the holder pays someone, who passes some on.
            1 => {
                let call = DemoToken::transferCall {
                    to: recipient,
                    value: milli_ether(amount * 1000),
                };
                self.send(holder, token_call(call.abi_encode().into()))
                    .await?;
            }
            3 => {
                let spender = dev_signer(from).address();
                let call = DemoToken::approveCall {
                    spender,
                    value: milli_ether(amount),
                };
                self.send(holder, token_call(call.abi_encode().into()))
                    .await?;
                let call = DemoToken::transferFromCall {
                    from: dev_signer(holder).address(),
                    to: recipient,
                    value: milli_ether(amount),
                };
                self.send(from, token_call(call.abi_encode().into()))
                    .await?;
            }
            // A call that reverts: more tokens than anyone but the holder has.
            5 => {
                let sender = if from == holder { holder + 1 } else { from };
                let call = DemoToken::transferCall {
                    to: recipient,
                    value: milli_ether(10_000_000_000),
                };
                let ok = self
                    .send(
                        sender,
                        token_call(call.abi_encode().into()).with_gas_limit(100_000),
                    )
                    .await?;
                tracing::debug!(ok, "traffic: a transfer meant to revert");
            }
            // A deposit from L1.
            7 => {
                let l1 = self.wallet(&self.l1_url, from)?;
                let rollup = Rollup::new(self.rollup, l1);
                rollup
                    .deposit(recipient, 100_000, Bytes::new())
                    .value(milli_ether(amount * 10))
                    .send()
                    .await
                    .map_err(|e| fail("deposit")(e.to_string()))?
                    .get_receipt()
                    .await
                    .map_err(|e| fail("deposit receipt")(e.to_string()))?;
            }
            // Plain ETH.
            _ => {
                let request = TransactionRequest::default()
                    .with_to(recipient)
                    .with_value(milli_ether(amount));
                self.send(from, request).await?;
            }
        }
        Ok(())
    }
}
