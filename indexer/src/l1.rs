//! Reading the L1 chain.

use std::time::Duration;

use alloy::providers::{Provider, RootProvider};

/// How long one L1 request may take before it counts as unreachable.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

/// An L1 failure.
#[derive(Debug, thiserror::Error)]
pub enum L1Error {
    /// The endpoint is not a valid URL.
    #[error("invalid L1 endpoint {url:?}: {reason}")]
    BadUrl {
        /// What was given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// The request failed or returned an error.
    #[error("L1 request failed: {0}")]
    Rpc(String),
    /// The request took longer than allowed.
    #[error("L1 did not answer within {0:?}")]
    Timeout(Duration),
}

/// The L1 chain's identity and head, as read live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct L1Status {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Latest block number.
    pub head: u64,
}

/// A JSON-RPC client for the L1 node.
#[derive(Debug, Clone)]
pub struct L1Client {
    provider: RootProvider,
    url: String,
}

impl L1Client {
    /// A client for the endpoint at `url` (http or https).
    pub fn new(url: &str) -> Result<Self, L1Error> {
        let parsed: alloy::transports::http::reqwest::Url =
            url.parse().map_err(|e| L1Error::BadUrl {
                url: url.to_owned(),
                reason: format!("{e}"),
            })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(L1Error::BadUrl {
                url: url.to_owned(),
                reason: "only http:// and https:// endpoints are supported".to_owned(),
            });
        }
        Ok(Self {
            provider: RootProvider::new_http(parsed),
            url: url.to_owned(),
        })
    }

    /// The endpoint this client talks to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Reads the chain id and head block number.
    pub async fn status(&self) -> Result<L1Status, L1Error> {
        let chain_id = self.call(self.provider.get_chain_id()).await?;
        let head = self.call(self.provider.get_block_number()).await?;
        Ok(L1Status { chain_id, head })
    }

    async fn call<T, E: std::fmt::Display>(
        &self,
        fut: impl IntoFuture<Output = Result<T, E>>,
    ) -> Result<T, L1Error> {
        tokio::time::timeout(REQUEST_TIMEOUT, fut.into_future())
            .await
            .map_err(|_| L1Error::Timeout(REQUEST_TIMEOUT))?
            .map_err(|e| L1Error::Rpc(e.to_string()))
    }
}
