//! Calls to the explorer's REST API.

use serde::{Deserialize, Serialize};

/// `GET /api/v1/status`, the part the app reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// The L1 chain.
    pub l1: L1Status,
}

/// L1 chain id and head; absent while the server cannot reach L1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L1Status {
    /// Whether the server reached L1.
    pub reachable: bool,
    /// EIP-155 chain id.
    pub chain_id: Option<u64>,
    /// Latest L1 block number.
    pub head: Option<u64>,
    /// Why L1 could not be read.
    #[serde(default)]
    pub error: Option<String>,
}

/// Fetches the server's status.
pub async fn status() -> Result<Status, String> {
    let response = gloo_net::http::Request::get("/api/v1/status")
        .send()
        .await
        .map_err(|e| format!("cannot reach the explorer server: {e}"))?;
    if !response.ok() {
        return Err(format!(
            "the explorer server answered {}",
            response.status()
        ));
    }
    response
        .json()
        .await
        .map_err(|e| format!("unexpected status response: {e}"))
}
