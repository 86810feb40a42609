//! Reading the two sources: L1 through JSON-RPC, the indexer through its REST API; over `fetch` in
//! the browser ([`Net`]).

use gloo_net::http::Request;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Where the worker reads from.
#[allow(async_fn_in_trait)] // used single-threaded, by static dispatch
pub trait Source {
    /// One L1 JSON-RPC call's `result`.
    async fn l1(&self, method: &str, params: Value) -> Result<Value, NetError>;
    /// Many calls of one L1 method, answers in order.
    async fn l1_many(&self, method: &str, params: Vec<Value>) -> Result<Vec<Value>, NetError>;
    /// `GET` of an indexer API path (`/status`), parsed JSON.
    async fn indexer(&self, path: &str) -> Result<Value, NetError>;
}

/// Typed reads over a [`Source`].
#[allow(async_fn_in_trait)] // used single-threaded, by static dispatch
pub trait SourceExt: Source {
    /// One L1 call, decoded.
    async fn call<T: DeserializeOwned>(&self, method: &str, params: Value) -> Result<T, NetError> {
        let value = self.l1(method, params).await?;
        decode(value, &format!("L1 {method}"))
    }

    /// Many L1 calls, decoded.
    async fn call_many<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Vec<Value>,
    ) -> Result<Vec<T>, NetError> {
        let values = self.l1_many(method, params).await?;
        values
            .into_iter()
            .map(|v| decode(v, &format!("L1 {method}")))
            .collect()
    }

    /// An indexer path, decoded.
    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, NetError> {
        let value = self.indexer(path).await?;
        decode(value, &format!("indexer {path}"))
    }
}

impl<S: Source> SourceExt for S {}

fn decode<T: DeserializeOwned>(value: Value, what: &str) -> Result<T, NetError> {
    serde_json::from_value(value).map_err(|e| NetError(format!("{what}: unexpected answer: {e}")))
}

/// L1 and the indexer over `fetch`.
#[derive(Debug, Clone)]
pub struct Net {
    /// The L1 endpoint.
    pub l1: L1,
    /// The indexer.
    pub indexer: Indexer,
}

impl Source for Net {
    async fn l1(&self, method: &str, params: Value) -> Result<Value, NetError> {
        self.l1.call(method, params).await
    }

    async fn l1_many(&self, method: &str, params: Vec<Value>) -> Result<Vec<Value>, NetError> {
        self.l1.call_many(method, params).await
    }

    async fn indexer(&self, path: &str) -> Result<Value, NetError> {
        self.indexer.get(path).await
    }
}

/// The most calls sent in one JSON-RPC batch.
const RPC_BATCH: usize = 100;

/// A failed read, with the source and what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NetError(pub String);

/// The L1 JSON-RPC endpoint.
#[derive(Debug, Clone)]
pub struct L1 {
    url: String,
}

impl L1 {
    /// A client of `url`.
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
        }
    }

    /// One call.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, NetError> {
        let body = json!({ "jsonrpc": "2.0", "id": 0, "method": method, "params": params });
        let reply: Value = self.post(&body, method).await?;
        result_of(reply, method)
    }

    /// Many calls of one method, sent in JSON-RPC batches; the answers come back in order.
    pub async fn call_many(
        &self,
        method: &str,
        params: Vec<Value>,
    ) -> Result<Vec<Value>, NetError> {
        let mut out = Vec::with_capacity(params.len());
        for chunk in params.chunks(RPC_BATCH) {
            let body: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(id, p)| json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": p }))
                .collect();
            let reply: Value = self.post(&Value::Array(body), method).await?;
            let Value::Array(mut replies) = reply else {
                return Err(NetError(format!(
                    "L1 {method}: the batch answer is not a list"
                )));
            };
            if replies.len() != chunk.len() {
                return Err(NetError(format!(
                    "L1 {method}: {} answers to {} calls",
                    replies.len(),
                    chunk.len()
                )));
            }
            replies.sort_by_key(|r| r.get("id").and_then(Value::as_u64).unwrap_or(u64::MAX));
            for reply in replies {
                out.push(result_of(reply, method)?);
            }
        }
        Ok(out)
    }

    async fn post(&self, body: &Value, method: &str) -> Result<Value, NetError> {
        let fail = |e: String| NetError(format!("L1 endpoint {} ({method}): {e}", self.url));
        let response = Request::post(&self.url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .map_err(|e| fail(e.to_string()))?
            .send()
            .await
            .map_err(|e| fail(e.to_string()))?;
        if !response.ok() {
            return Err(fail(format!("HTTP {}", response.status())));
        }
        response.json().await.map_err(|e| fail(e.to_string()))
    }
}

fn result_of(mut reply: Value, method: &str) -> Result<Value, NetError> {
    if let Some(error) = reply.get("error") {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("error");
        return Err(NetError(format!("L1 {method}: {message}")));
    }
    Ok(reply
        .get_mut("result")
        .map(Value::take)
        .unwrap_or(Value::Null))
}

/// The indexer's REST API.
#[derive(Debug, Clone)]
pub struct Indexer {
    base: String,
}

impl Indexer {
    /// A client of the API under `base` (`…/api/v1`).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// `GET base + path`, parsed.
    pub async fn get(&self, path: &str) -> Result<Value, NetError> {
        let url = format!("{}{path}", self.base);
        let fail = |e: String| NetError(format!("indexer {path}: {e}"));
        let response = Request::get(&url)
            .send()
            .await
            .map_err(|e| fail(e.to_string()))?;
        if !response.ok() {
            let status = response.status();
            let message = response
                .json::<Value>()
                .await
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
                .unwrap_or_else(|| format!("HTTP {status}"));
            return Err(fail(message));
        }
        response.json().await.map_err(|e| fail(e.to_string()))
    }
}
