//! The REST API under `/api/v1`: JSON, cursor pagination, one error shape, live events over SSE.
//!
//! Every route is listed in the OpenAPI document served at `/api/v1/openapi.json`
//! (`indexer/openapi.json`); `docs/indexer.md` describes the choices behind it.

use std::{
    convert::Infallible,
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use alloy::serde::storage::JsonStorageKey;
use alloy_primitives::{Address, B256};
use axum::{
    Json, Router,
    extract::{FromRequestParts, MatchedPath, Path, Query, Request, State},
    http::request::Parts,
    http::{StatusCode, header},
    middleware::{self, Next},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
    routing::get,
};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use sqlx::{Any, Transaction};
use tokio_stream::{StreamExt as _, wrappers::BroadcastStream};

use crate::{
    genesis::RollupGenesis,
    index::{
        IndexShared, IndexStatus,
        db::DbError,
        query::{self, BlockId, FinalityHeads},
        witness::{self, WitnessError},
    },
    l1::L1Client,
};

/// The OpenAPI document of this API.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// What the API handlers share.
#[derive(Debug, Clone)]
pub struct ApiState {
    /// The L1 node the explorer reads.
    pub l1: L1Client,
    /// The index.
    pub index: Arc<IndexShared>,
    /// The L1 endpoint browsers are told to read (the app's default for its light node), if any.
    pub public_l1_rpc: Option<String>,
    /// Live-event streams open now.
    pub subscribers: Arc<AtomicUsize>,
}

/// The API's routes, to be nested under `/api/v1`.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/status", get(status))
        .route("/batches", get(batches))
        .route("/batches/{index}", get(batch))
        .route("/blocks", get(blocks))
        .route("/blocks/{id}", get(block))
        .route("/txs/{hash}", get(transaction))
        .route("/accounts/{address}", get(account))
        .route("/accounts/{address}/txs", get(account_transactions))
        .route("/proposals", get(proposals))
        .route("/proposals/{index}", get(proposal))
        .route("/games", get(games))
        .route("/games/{id}", get(game))
        .route("/search", get(search))
        .route("/witness/{block}", get(block_witness))
        .route("/proof/{address}", get(proof))
        .route("/events", get(events))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .layer(middleware::from_fn(time_limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            record_latency,
        ))
        .with_state(state)
}

/// Ends any request but the live-event stream that runs past [`ROUTE_TIMEOUT`] with a 503.
async fn time_limit(request: Request, next: Next) -> Response {
    let endless = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|p| p.as_str().ends_with("/events"));
    if endless {
        return next.run(request).await;
    }
    match tokio::time::timeout(ROUTE_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response(),
    }
}

/// Records each request's latency by route in the metrics.
async fn record_latency(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .index
        .metrics
        .observe_request(route, response.status().as_u16(), started.elapsed());
    response
}

/// `GET /api/v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    /// The L1 chain as read just now.
    pub l1: L1View,
    /// The L2 chain's heads by finality stage.
    pub l2: L2View,
    /// The indexer's progress.
    pub index: IndexView,
    /// The rollup: parameters, contract, genesis.
    pub rollup: RollupGenesis,
}

/// The L1 part of the status; `chain_id` and `head` are absent while L1 cannot be reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L1View {
    /// Whether the L1 endpoint answered.
    pub reachable: bool,
    /// EIP-155 chain id.
    pub chain_id: Option<u64>,
    /// Latest L1 block number.
    pub head: Option<u64>,
    /// Latest finalized L1 block, as the indexer last read it.
    pub finalized: Option<u64>,
    /// Why L1 could not be read.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    /// An L1 JSON-RPC endpoint the server suggests to browsers, for the light node to read L1 from.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub endpoint: Option<String>,
}

/// The L2 heads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L2View {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// The sequencer's head (only when this server runs the sequencer).
    pub unsafe_head: Option<u64>,
    /// Heads by finality stage.
    #[serde(flatten)]
    pub heads: FinalityHeads,
}

/// The indexer's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexView {
    /// Last L1 block derived.
    pub derived_l1_block: u64,
    /// L1 blocks not yet derived.
    pub sync_lag: u64,
    /// L1 reorganisations followed.
    pub reorgs: u64,
    /// The first block where the derived chain differs from the sequencer's.
    pub divergence: Option<serde_json::Value>,
    /// The last indexing error, if the last round failed.
    pub error: Option<String>,
}

/// The index's status and finality heads: those the index published after its last round (with
/// the safe head it has reached since), read from the database only before the first round or
/// after a rollback.
async fn heads(state: &ApiState) -> Result<(IndexStatus, FinalityHeads), ApiError> {
    let status = state.index.status();
    let heads = match state.index.finality_heads() {
        Some(mut heads) => {
            heads.safe = heads.safe.max(status.safe_head);
            heads
        }
        None => {
            let mut conn = state.index.db.connection().await?;
            query::finality_heads(&mut conn, status.l1_finalized.unwrap_or_default()).await?
        }
    };
    Ok((status, heads))
}

/// A read snapshot of the index, with the finality heads as that snapshot holds them. Answers that
/// state a block's stage beside the proposals and events behind it read both from it, so the two
/// always agree, even while the indexer commits a round.
async fn snapshot(
    state: &ApiState,
) -> Result<(Transaction<'static, Any>, FinalityHeads), ApiError> {
    let mut snapshot = state.index.db.snapshot().await?;
    let l1_finalized = state.index.status().l1_finalized.unwrap_or_default();
    let heads = query::finality_heads(&mut snapshot, l1_finalized).await?;
    Ok((snapshot, heads))
}

async fn status(State(state): State<ApiState>) -> Result<Json<StatusResponse>, ApiError> {
    let (index, heads) = heads(&state).await?;
    let l1 = match state.l1.status().await {
        Ok(s) => L1View {
            reachable: true,
            chain_id: Some(s.chain_id),
            head: Some(s.head),
            finalized: index.l1_finalized,
            error: None,
            endpoint: state.public_l1_rpc.clone(),
        },
        Err(e) => {
            tracing::warn!(error = %e, "status: L1 unreachable");
            L1View {
                reachable: false,
                chain_id: None,
                head: None,
                finalized: index.l1_finalized,
                error: Some(e.to_string()),
                endpoint: state.public_l1_rpc.clone(),
            }
        }
    };
    let l1_head = l1.head.or(index.l1_head).unwrap_or_default();
    Ok(Json(StatusResponse {
        l2: L2View {
            chain_id: state.index.genesis.config.chain_id,
            unsafe_head: state.index.sequencer.as_ref().map(|s| s.head_number()),
            heads,
        },
        index: IndexView {
            derived_l1_block: index.derived_l1_block,
            sync_lag: l1_head.saturating_sub(index.derived_l1_block),
            reorgs: index.reorgs,
            divergence: index
                .divergence
                .map(|d| serde_json::to_value(d).unwrap_or_default()),
            error: index.error,
        },
        rollup: state.index.genesis.clone(),
        l1,
    }))
}

/// A query string, refused with the API's error shape when it does not parse.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|e| ApiError::BadRequest(e.body_text()))
    }
}

/// `?cursor=&limit=` of the list routes.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageQuery {
    /// Where the page starts (the previous page's `next_cursor`).
    pub cursor: Option<String>,
    /// Items per page: 1 to 100, default 20.
    pub limit: Option<usize>,
}

/// The default page size.
pub const DEFAULT_LIMIT: usize = 20;
/// The largest page size.
pub const MAX_LIMIT: usize = 100;

impl PageQuery {
    fn limit(&self) -> Result<usize, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(n) => Err(ApiError::BadRequest(format!(
                "limit {n} is out of range: 1 to {MAX_LIMIT}"
            ))),
        }
    }

    fn number_cursor(&self) -> Result<Option<u64>, ApiError> {
        self.cursor
            .as_deref()
            .map(|c| {
                c.parse()
                    .map_err(|_| ApiError::BadRequest(format!("invalid cursor {c:?}")))
            })
            .transpose()
    }
}

fn number(what: &str, text: &str) -> Result<u64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::BadRequest(format!("{what} must be a decimal number, not {text:?}")))
}

fn hash(what: &str, text: &str) -> Result<B256, ApiError> {
    B256::from_str(text).map_err(|_| {
        ApiError::BadRequest(format!(
            "{what} must be a 32-byte 0x-hex hash, not {text:?}"
        ))
    })
}

fn address(text: &str) -> Result<Address, ApiError> {
    Address::from_str(text)
        .map_err(|_| ApiError::BadRequest(format!("not a 20-byte 0x-hex address: {text:?}")))
}

fn found<T>(value: Option<T>, what: impl FnOnce() -> String) -> Result<Json<T>, ApiError> {
    value.map(Json).ok_or_else(|| ApiError::NotFound(what()))
}

async fn batches(
    State(state): State<ApiState>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let (_, heads) = heads(&state).await?;
    let limit = page.limit()?;
    Ok(Json(
        query::batches(&state.index.db, &heads, page.number_cursor()?, limit).await?,
    ))
}

async fn batch(
    State(state): State<ApiState>,
    Path(index): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let index = number("batch index", &index)?;
    let (_, heads) = heads(&state).await?;
    found(query::batch(&state.index.db, &heads, index).await?, || {
        format!("no batch {index}")
    })
}

async fn blocks(
    State(state): State<ApiState>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let (_, heads) = heads(&state).await?;
    let limit = page.limit()?;
    Ok(Json(
        query::blocks(&state.index.db, &heads, page.number_cursor()?, limit).await?,
    ))
}

async fn block(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let id = if id.starts_with("0x") {
        BlockId::Hash(hash("block hash", &id)?)
    } else {
        BlockId::Number(number("block number", &id)?)
    };
    let limit = page.limit()?;
    let from = page.number_cursor()?.unwrap_or(0);
    let (mut snapshot, heads) = snapshot(&state).await?;
    found(
        query::block(&mut snapshot, &heads, id, from, limit).await?,
        || {
            format!(
                "no derived block {}",
                match id {
                    BlockId::Number(n) => n.to_string(),
                    BlockId::Hash(h) => h.to_string(),
                }
            )
        },
    )
}

async fn transaction(
    State(state): State<ApiState>,
    Path(text): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let tx = hash("transaction hash", &text)?;
    let (mut snapshot, heads) = snapshot(&state).await?;
    found(query::transaction(&mut snapshot, &heads, tx).await?, || {
        format!("no derived transaction {tx}")
    })
}

async fn account(
    State(state): State<ApiState>,
    Path(text): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let address = address(&text)?;
    let (safe, root) = safe_root(&state).await?;
    let read = state.index.with_state(|s| {
        s.root = root;
        let account = s.account(address)?;
        let code_size = account
            .and_then(|a| s.codes.get(&a.code_hash))
            .map_or(0, |c| c.len() as u64);
        Ok::<_, light_node::ExecError>((account, code_size))
    });
    let (account, code_size) = read.map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(query::AccountView {
        address,
        block: safe,
        balance: account.map_or_else(|| "0".to_owned(), |a| a.balance.to_string()),
        nonce: account.map_or(0, |a| a.nonce),
        code_hash: account.map_or(alloy_primitives::KECCAK256_EMPTY, |a| a.code_hash),
        code_size,
        tx_count: query::account_tx_count(&state.index.db, address).await?,
    }))
}

/// The safe head as the database holds it, with its state root. While the index rolls back for an
/// L1 reorganisation, the database may hold less than the head last announced; reads then come
/// from the highest block it holds rather than failing.
async fn safe_root(state: &ApiState) -> Result<(u64, B256), ApiError> {
    let announced = state.index.status().safe_head;
    state
        .index
        .db
        .state_root_at_or_below(announced)
        .await?
        .ok_or_else(|| ApiError::NotFound("no derived block yet".into()))
}

/// The state root of derived block `number`.
async fn sqlx_root(state: &ApiState, number: u64) -> Result<B256, ApiError> {
    let (mut snapshot, heads) = snapshot(state).await?;
    let block = query::block(&mut snapshot, &heads, BlockId::Number(number), 0, 1)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no derived block {number}")))?;
    Ok(block.block.state_root)
}

async fn account_transactions(
    State(state): State<ApiState>,
    Path(text): Path<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let address = address(&text)?;
    let limit = page.limit()?;
    let cursor = page
        .cursor
        .as_deref()
        .map(|c| {
            c.split_once(':')
                .and_then(|(b, i)| Some((b.parse().ok()?, i.parse().ok()?)))
                .ok_or_else(|| ApiError::BadRequest(format!("invalid cursor {c:?}")))
        })
        .transpose()?;
    let (_, heads) = heads(&state).await?;
    Ok(Json(
        query::account_transactions(&state.index.db, &heads, address, cursor, limit).await?,
    ))
}

async fn proposals(
    State(state): State<ApiState>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = page.limit()?;
    Ok(Json(
        query::proposals(&state.index.db, page.number_cursor()?, limit).await?,
    ))
}

async fn proposal(
    State(state): State<ApiState>,
    Path(text): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let index = number("proposal index", &text)?;
    found(query::proposal(&state.index.db, index).await?, || {
        format!("no proposal {index}")
    })
}

async fn games(
    State(state): State<ApiState>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = page.limit()?;
    Ok(Json(
        query::games(&state.index.db, page.number_cursor()?, limit).await?,
    ))
}

async fn game(
    State(state): State<ApiState>,
    Path(text): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = number("game id", &text)?;
    found(query::game(&state.index.db, id).await?, || {
        format!("no game {id}")
    })
}

/// `?q=` of `/search`.
#[derive(Debug, Clone, Deserialize)]
pub struct SearchQuery {
    /// A block number, batch or proposal index, hash or address.
    pub q: String,
}

/// `GET /search` results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResponse {
    /// What was searched.
    pub query: String,
    /// What matched (empty when nothing did).
    pub results: Vec<query::SearchHit>,
}

async fn search(
    State(state): State<ApiState>,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<impl IntoResponse, ApiError> {
    if q.q.trim().is_empty() || q.q.len() > 200 {
        return Err(ApiError::BadRequest(
            "q must be a block number, batch index, hash or address".into(),
        ));
    }
    let results = query::search(&state.index.db, &q.q).await?;
    Ok(Json(SearchResponse {
        query: q.q,
        results,
    }))
}

/// `?through=` of `/witness/{block}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WitnessQuery {
    /// The last block to cover (default: the block itself).
    pub through: Option<u64>,
}

async fn block_witness(
    State(state): State<ApiState>,
    Path(text): Path<String>,
    ApiQuery(q): ApiQuery<WitnessQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let from = number("block number", &text)?;
    let to = q.through.unwrap_or(from);
    Ok(Json(witness::witness(&state.index, from, to).await?))
}

/// `?block=&slots=` of `/proof/{address}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProofQuery {
    /// The block whose state to prove (default: the safe head).
    pub block: Option<u64>,
    /// Storage slots, comma-separated 0x-hex.
    pub slots: Option<String>,
}

async fn proof(
    State(state): State<ApiState>,
    Path(text): Path<String>,
    ApiQuery(q): ApiQuery<ProofQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let address = address(&text)?;
    let slots = match q.slots.as_deref() {
        None | Some("") => Vec::new(),
        Some(list) => list
            .split(',')
            .map(|s| {
                JsonStorageKey::from_str(s.trim())
                    .map_err(|_| ApiError::BadRequest(format!("invalid storage slot {s:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    if slots.len() > 256 {
        return Err(ApiError::BadRequest("at most 256 slots per proof".into()));
    }
    let root = match q.block {
        Some(number) => sqlx_root(&state, number).await?,
        None => safe_root(&state).await?.1,
    };
    let proof = state
        .index
        .with_state(|s| {
            s.root = root;
            witness::account_proof(s, address, slots)
        })
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(proof))
}

/// `GET /events`: Server-Sent Events, one per change; the SSE event name is the change's `type`.
async fn events(
    State(state): State<ApiState>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let subscribers = Arc::clone(&state.subscribers);
    if subscribers.fetch_add(1, Ordering::AcqRel) >= MAX_SUBSCRIBERS {
        subscribers.fetch_sub(1, Ordering::AcqRel);
        return Err(ApiError::Busy);
    }
    // Counts the stream until it is dropped (the client went away).
    let guard = Subscribed(subscribers);
    let stream = BroadcastStream::new(state.index.subscribe()).map(move |item| {
        let _ = &guard;
        Ok(match item {
            Ok(event) => {
                let json = serde_json::to_value(&event).unwrap_or_default();
                let name = json
                    .get("type")
                    .and_then(|t| t.as_str())
                    .unwrap_or("event")
                    .to_owned();
                Event::default().event(name).data(json.to_string())
            }
            Err(tokio_stream::wrappers::errors::BroadcastStreamRecvError::Lagged(n)) => {
                Event::default()
                    .event("lagged")
                    .data(format!("{{\"type\":\"lagged\",\"missed\":{n}}}"))
            }
        })
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// One open live-event stream, counted in [`ApiState::subscribers`] while it lives.
struct Subscribed(Arc<AtomicUsize>);

impl Drop for Subscribed {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such API route".to_owned())
}

/// Every error the API returns, rendered as `{"error": {"code": ..., "message": ...}}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Something failed inside the server; details go to the log only.
    #[error("internal error")]
    Internal(String),
    /// The request did not finish within [`ROUTE_TIMEOUT`].
    #[error("the request took longer than the server allows ({} s); try again later", ROUTE_TIMEOUT.as_secs())]
    Timeout,
    /// [`MAX_SUBSCRIBERS`] live-event streams are open already.
    #[error("too many live-event subscribers ({MAX_SUBSCRIBERS}); try again later")]
    Busy,
}

/// The longest any route but `/events` may take: a heavy request gets an error rather than hold a
/// connection, a database connection and a thread for as long as it likes.
pub const ROUTE_TIMEOUT: Duration = Duration::from_secs(10);

/// The most live-event streams (`/events`) served at once.
pub const MAX_SUBSCRIBERS: usize = 1024;

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<WitnessError> for ApiError {
    fn from(e: WitnessError) -> Self {
        match e {
            WitnessError::Range(why) => Self::BadRequest(why),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// The JSON body of an error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A stable machine-readable code and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable code, such as `not_found`.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Internal(detail) => {
                tracing::error!(%detail, "internal API error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
            Self::Timeout => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            Self::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message: self.to_string(),
            },
        };
        (status, Json(body)).into_response()
    }
}
