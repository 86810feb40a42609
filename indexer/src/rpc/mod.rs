//! The L2 Ethereum JSON-RPC endpoint (jsonrpsee, HTTP and WebSocket on one port).
//!
//! It speaks enough of Ethereum's API for cast, viem, ethers, alloy and wallets; `docs/sequencer.md`
//! lists the methods, the limits and every error code. Block tags map to the rollup's heads:
//! `latest` and `pending` are the sequencer's head, `safe` the last block in an L1 batch,
//! `finalized` the last block covered by a finalized output root, `earliest` the genesis.

mod batch;
mod call;
mod convert;
mod oversized;

use std::{net::SocketAddr, sync::Arc};

use alloy::rpc::types::{
    EIP1186AccountProofResponse, FeeHistory, Filter, FilterBlockOption, TransactionRequest,
};
use alloy::serde::storage::JsonStorageKey;
use alloy_consensus::Transaction as _;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bytes, U64, U256, keccak256};
use jsonrpsee::{
    RpcModule,
    server::{
        BatchRequestConfig, Server, ServerConfig, ServerHandle, middleware::rpc::RpcServiceBuilder,
    },
    types::{ErrorObject, ErrorObjectOwned, Params},
};
use light_node::{BlockHashes, L2State, L2Transaction};
use serde_json::Value;

pub use call::CallError;

use crate::sequencer::{SequencedBlock, Sequencer, SubmitError};

/// Standard and Ethereum JSON-RPC error codes this endpoint answers with.
pub mod codes {
    /// The request is not valid JSON (jsonrpsee).
    pub const PARSE_ERROR: i32 = -32700;
    /// The request is not a valid JSON-RPC request (jsonrpsee).
    pub const INVALID_REQUEST: i32 = -32600;
    /// No such method (jsonrpsee).
    pub const METHOD_NOT_FOUND: i32 = -32601;
    /// A parameter is missing or malformed, including undecodable raw transactions.
    pub const INVALID_PARAMS: i32 = -32602;
    /// The server failed; details are in its log.
    pub const INTERNAL: i32 = -32603;
    /// The transaction pool refused a transaction, a block was not found, or a call is invalid
    /// (geth's generic server error).
    pub const SERVER: i32 = -32000;
    /// A query would return too much (`eth_getLogs` range or result count).
    pub const LIMIT_EXCEEDED: i32 = -32005;
    /// The request body is over the size cap (jsonrpsee, HTTP 413).
    pub const OVERSIZED_REQUEST: i32 = -32007;
    /// The answers of a batch are together over the response size cap (jsonrpsee).
    pub const BATCH_RESPONSE_TOO_LARGE: i32 = -32011;
    /// The batch has more requests than allowed (jsonrpsee).
    pub const BATCH_TOO_LARGE: i32 = -32010;
    /// A call reverted; the error's data holds the revert data (as geth).
    pub const EXECUTION_REVERTED: i32 = 3;
}

/// The endpoint's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcConfig {
    /// Where to listen (loopback by default).
    pub addr: SocketAddr,
    /// Largest request body, in bytes (geth: 5 MiB).
    pub max_request_body: u32,
    /// Largest response body, in bytes.
    pub max_response_body: u32,
    /// Most requests in one batch (geth: 1000).
    pub max_batch: u32,
    /// Most simultaneous connections.
    pub max_connections: u32,
    /// Most blocks one `eth_getLogs` may scan.
    pub max_block_range: u64,
    /// Most logs one `eth_getLogs` may return.
    pub max_logs: usize,
    /// Most gas an `eth_call` or `eth_estimateGas` may use (also capped by the block gas limit).
    pub gas_cap: u64,
    /// Longest an `eth_call` or `eth_estimateGas` may run, waiting included (geth's
    /// `--rpc.evmtimeout`, 5 s).
    pub evm_timeout: std::time::Duration,
    /// Most `eth_call`s and `eth_estimateGas`es running or waiting for the state at once.
    pub max_calls: usize,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 9545)),
            max_request_body: 5 * 1024 * 1024,
            max_response_body: 64 * 1024 * 1024,
            max_batch: 1000,
            max_connections: 256,
            max_block_range: 10_000,
            max_logs: 10_000,
            gas_cap: 50_000_000,
            evm_timeout: std::time::Duration::from_secs(5),
            max_calls: 8,
        }
    }
}

/// The endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// The address is taken or unusable.
    #[error(
        "cannot listen on {addr} for the L2 JSON-RPC: {source} (pass --rpc-addr to choose another)"
    )]
    Bind {
        /// The requested address.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A method was registered twice (a bug).
    #[error("registering RPC methods: {0}")]
    Register(String),
}

/// A running endpoint; dropping the handle does not stop it, [`RpcServer::stop`] does.
#[derive(Debug)]
pub struct RpcServer {
    /// The bound address.
    pub addr: SocketAddr,
    handle: ServerHandle,
}

impl RpcServer {
    /// The endpoint's URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server.
    pub fn stop(&self) {
        let _ = self.handle.stop();
    }

    /// Completes when the server has stopped.
    pub async fn stopped(self) {
        self.handle.stopped().await;
    }
}

/// Starts the endpoint.
pub async fn serve(sequencer: Arc<Sequencer>, config: RpcConfig) -> Result<RpcServer, RpcError> {
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.max_request_body)
        .max_response_body_size(config.max_response_body)
        .max_connections(config.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch))
        .build();
    let max_response_body = config.max_response_body as usize;
    let batches = RpcServiceBuilder::new().layer_fn(move |service| batch::ConcurrentBatch {
        service,
        max_response_body,
    });
    let max_request_body = config.max_request_body;
    let drain = tower::ServiceBuilder::new().layer_fn(move |service| oversized::DrainOversized {
        service,
        max_request_body,
    });
    let server = Server::builder()
        .set_config(server_config)
        .set_http_middleware(drain)
        .set_rpc_middleware(batches)
        .build(config.addr)
        .await
        .map_err(|source| RpcError::Bind {
            addr: config.addr,
            source,
        })?;
    let addr = server.local_addr().map_err(|source| RpcError::Bind {
        addr: config.addr,
        source,
    })?;
    let module = module(sequencer, config)?;
    let handle = server.start(module);
    Ok(RpcServer { addr, handle })
}

/// What every method sees.
#[derive(Debug)]
struct Ctx {
    seq: Arc<Sequencer>,
    config: RpcConfig,
    calls: call::Slots,
}

type RpcResult<T> = Result<T, ErrorObjectOwned>;

fn err(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObject::owned(code, message.into(), None::<()>)
}

fn internal(e: impl std::fmt::Display) -> ErrorObjectOwned {
    tracing::error!(error = %e, "RPC internal error");
    err(codes::INTERNAL, "internal error")
}

fn header_not_found() -> ErrorObjectOwned {
    err(codes::SERVER, "header not found")
}

fn call_error(e: CallError) -> ErrorObjectOwned {
    match e {
        CallError::Reverted { ref data, .. } => {
            ErrorObject::owned(codes::EXECUTION_REVERTED, e.to_string(), Some(data.clone()))
        }
        CallError::State(_) => internal(e),
        other => err(codes::SERVER, other.to_string()),
    }
}

fn submit_error(e: SubmitError) -> ErrorObjectOwned {
    match e {
        SubmitError::Pool(crate::sequencer::PoolError::Malformed(_)) => {
            err(codes::INVALID_PARAMS, e.to_string())
        }
        SubmitError::Pool(p) => err(codes::SERVER, p.to_string()),
        other => internal(other),
    }
}

impl Ctx {
    /// Runs `f` on the state after `block`, watched by an [`call::Interrupt`]: again after each
    /// block whose builder preempted it, until the EVM timeout. At most `max_calls` at once.
    fn watched<R>(
        &self,
        block: &SequencedBlock,
        f: impl Fn(&mut L2State, &BlockHashes, call::Interrupt<'_>) -> Result<R, CallError>,
    ) -> Result<R, CallError> {
        let started = std::time::Instant::now();
        let deadline = started + self.config.evm_timeout;
        let _slot = self.calls.take(deadline).ok_or(CallError::Busy)?;
        loop {
            if !self.seq.wait_for_builder(deadline) {
                return Err(CallError::Timeout(self.config.evm_timeout));
            }
            let interrupt = call::Interrupt {
                preempt: self.seq.building(),
                started,
                deadline,
            };
            let result = self
                .seq
                .with_state_and_hashes(block.header.state_root, |state, hashes| {
                    f(state, hashes, interrupt)
                });
            match result {
                Err(CallError::Preempted) => continue,
                other => return other,
            }
        }
    }

    /// The block number a tag stands for.
    fn tag_number(&self, tag: BlockNumberOrTag) -> u64 {
        let head = self.seq.head_number();
        match tag {
            BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => head,
            BlockNumberOrTag::Safe => self.seq.safe_number().min(head),
            BlockNumberOrTag::Finalized => self.seq.finalized_number().min(head),
            BlockNumberOrTag::Earliest => 0,
            BlockNumberOrTag::Number(n) => n,
        }
    }

    fn block_by_tag(&self, tag: BlockNumberOrTag) -> Option<Arc<SequencedBlock>> {
        self.seq.block(self.tag_number(tag))
    }

    /// The block a state query refers to (default: latest).
    fn block_for(&self, id: Option<BlockId>) -> RpcResult<Arc<SequencedBlock>> {
        match id.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest)) {
            BlockId::Number(tag) => self.block_by_tag(tag).ok_or_else(header_not_found),
            BlockId::Hash(hash) => self
                .seq
                .block_by_hash(&hash.block_hash)
                .ok_or_else(header_not_found),
        }
    }
}

/// The JSON-RPC methods over `sequencer`.
pub fn module(sequencer: Arc<Sequencer>, config: RpcConfig) -> Result<RpcModule<()>, RpcError> {
    let mut module = RpcModule::from_arc(Arc::new(Ctx {
        seq: sequencer,
        calls: call::Slots::new(config.max_calls),
        config,
    }));
    register(&mut module).map_err(|e| RpcError::Register(e.to_string()))?;
    let mut methods = RpcModule::new(());
    methods
        .merge(module)
        .map_err(|e| RpcError::Register(e.to_string()))?;
    Ok(methods)
}

type Module = RpcModule<Ctx>;

fn register(m: &mut Module) -> Result<(), jsonrpsee::core::RegisterMethodError> {
    m.register_method("web3_clientVersion", |_, _, _| {
        RpcResult::Ok(format!("rollup-explorer/{}", env!("CARGO_PKG_VERSION")))
    })?;
    m.register_method("web3_sha3", |p, _, _| {
        let data: Bytes = p.one()?;
        RpcResult::Ok(keccak256(&data))
    })?;
    m.register_method("net_version", |_, ctx, _| {
        RpcResult::Ok(ctx.seq.chain_config().chain_id.to_string())
    })?;
    m.register_method("net_listening", |_, _, _| RpcResult::Ok(true))?;
    m.register_method("net_peerCount", |_, _, _| RpcResult::Ok(U64::ZERO))?;
    m.register_method("eth_chainId", |_, ctx, _| {
        RpcResult::Ok(U64::from(ctx.seq.chain_config().chain_id))
    })?;
    m.register_method("eth_syncing", |_, _, _| RpcResult::Ok(false))?;
    m.register_method("eth_mining", |_, _, _| RpcResult::Ok(true))?;
    m.register_method("eth_accounts", |_, _, _| {
        RpcResult::Ok(Vec::<Address>::new())
    })?;
    m.register_method("eth_coinbase", |_, ctx, _| {
        RpcResult::Ok(ctx.seq.chain_config().fee_recipient)
    })?;
    m.register_method("eth_blockNumber", |_, ctx, _| {
        RpcResult::Ok(U64::from(ctx.seq.head_number()))
    })?;
    m.register_method("eth_gasPrice", |_, ctx, _| {
        RpcResult::Ok(U256::from(ctx.seq.next_base_fee()) + U256::from(SUGGESTED_TIP))
    })?;
    m.register_method("eth_maxPriorityFeePerGas", |_, _, _| {
        RpcResult::Ok(U256::from(SUGGESTED_TIP))
    })?;
    m.register_method("eth_blobBaseFee", |_, _, _| RpcResult::Ok(U256::from(1)))?;
    m.register_method("eth_feeHistory", fee_history)?;
    m.register_method("eth_getBlockByNumber", |p, ctx, _| {
        let mut p = p.sequence();
        let tag: BlockNumberOrTag = p.next()?;
        let full: Option<bool> = p.optional_next()?;
        RpcResult::Ok(
            ctx.block_by_tag(tag)
                .map(|b| convert::block_json(&b, full.unwrap_or(false))),
        )
    })?;
    m.register_method("eth_getBlockByHash", |p, ctx, _| {
        let mut p = p.sequence();
        let hash: B256 = p.next()?;
        let full: Option<bool> = p.optional_next()?;
        RpcResult::Ok(
            ctx.seq
                .block_by_hash(&hash)
                .map(|b| convert::block_json(&b, full.unwrap_or(false))),
        )
    })?;
    m.register_method("eth_getBlockTransactionCountByNumber", |p, ctx, _| {
        let tag: BlockNumberOrTag = p.one()?;
        RpcResult::Ok(
            ctx.block_by_tag(tag)
                .map(|b| U64::from(b.transactions.len())),
        )
    })?;
    m.register_method("eth_getBlockTransactionCountByHash", |p, ctx, _| {
        let hash: B256 = p.one()?;
        RpcResult::Ok(
            ctx.seq
                .block_by_hash(&hash)
                .map(|b| U64::from(b.transactions.len())),
        )
    })?;
    m.register_method("eth_getUncleCountByBlockNumber", |_, _, _| {
        RpcResult::Ok(U64::ZERO)
    })?;
    m.register_method("eth_getTransactionByBlockNumberAndIndex", |p, ctx, _| {
        let (tag, index): (BlockNumberOrTag, U64) = p.parse()?;
        let block = ctx.block_by_tag(tag);
        RpcResult::Ok(block.and_then(|b| {
            let i = index.to::<usize>();
            b.transactions
                .get(i)
                .map(|t| convert::transaction_json(t, Some((&b, i))))
        }))
    })?;
    m.register_method("eth_getTransactionByBlockHashAndIndex", |p, ctx, _| {
        let (hash, index): (B256, U64) = p.parse()?;
        let block = ctx.seq.block_by_hash(&hash);
        RpcResult::Ok(block.and_then(|b| {
            let i = index.to::<usize>();
            b.transactions
                .get(i)
                .map(|t| convert::transaction_json(t, Some((&b, i))))
        }))
    })?;
    m.register_method("eth_getTransactionByHash", |p, ctx, _| {
        let hash: B256 = p.one()?;
        if let Some((block, i)) = ctx.seq.transaction(&hash) {
            return RpcResult::Ok(convert::transaction_json(
                &block.transactions[i],
                Some((&block, i)),
            ));
        }
        RpcResult::Ok(
            ctx.seq
                .pooled(&hash)
                .map_or(Value::Null, |t| convert::pooled_json(&t)),
        )
    })?;
    m.register_method("eth_getRawTransactionByHash", |p, ctx, _| {
        let hash: B256 = p.one()?;
        if let Some((block, i)) = ctx.seq.transaction(&hash) {
            return RpcResult::Ok(Some(block.transactions[i].encoded()));
        }
        RpcResult::Ok(ctx.seq.pooled(&hash).map(|t| t.raw.clone()))
    })?;
    m.register_method("eth_getTransactionReceipt", |p, ctx, _| {
        let hash: B256 = p.one()?;
        RpcResult::Ok(
            ctx.seq
                .transaction(&hash)
                .map_or(Value::Null, |(block, i)| convert::receipt_json(&block, i)),
        )
    })?;
    m.register_method("eth_getBlockReceipts", |p, ctx, _| {
        let id: BlockId = p.one()?;
        let block = match id {
            BlockId::Number(tag) => ctx.block_by_tag(tag),
            BlockId::Hash(h) => ctx.seq.block_by_hash(&h.block_hash),
        };
        RpcResult::Ok(block.map(|b| {
            (0..b.transactions.len())
                .map(|i| convert::receipt_json(&b, i))
                .collect::<Vec<_>>()
        }))
    })?;
    m.register_method("eth_getBalance", |p, ctx, _| {
        let mut p = p.sequence();
        let address: Address = p.next()?;
        let block = ctx.block_for(p.optional_next()?)?;
        let account = ctx
            .seq
            .with_state_at(block.header.state_root, |s| s.account(address))
            .map_err(internal)?;
        RpcResult::Ok(account.map_or(U256::ZERO, |a| a.balance))
    })?;
    m.register_method("eth_getTransactionCount", |p, ctx, _| {
        let mut p = p.sequence();
        let address: Address = p.next()?;
        let id: Option<BlockId> = p.optional_next()?;
        if matches!(id, Some(BlockId::Number(BlockNumberOrTag::Pending))) {
            return RpcResult::Ok(U64::from(ctx.seq.pending_nonce(address).map_err(internal)?));
        }
        let block = ctx.block_for(id)?;
        let account = ctx
            .seq
            .with_state_at(block.header.state_root, |s| s.account(address))
            .map_err(internal)?;
        RpcResult::Ok(U64::from(account.map_or(0, |a| a.nonce)))
    })?;
    m.register_method("eth_getCode", |p, ctx, _| {
        let mut p = p.sequence();
        let address: Address = p.next()?;
        let block = ctx.block_for(p.optional_next()?)?;
        let code = ctx
            .seq
            .with_state_at(block.header.state_root, |s| {
                s.account(address).map(|a| {
                    a.and_then(|a| s.codes.get(&a.code_hash).cloned())
                        .unwrap_or_default()
                })
            })
            .map_err(internal)?;
        RpcResult::Ok(code)
    })?;
    m.register_method("eth_getStorageAt", |p, ctx, _| {
        let mut p = p.sequence();
        let address: Address = p.next()?;
        let slot: JsonStorageKey = p.next()?;
        let block = ctx.block_for(p.optional_next()?)?;
        let value = ctx
            .seq
            .with_state_at(block.header.state_root, |s| {
                s.storage(address, U256::from_be_bytes(slot.as_b256().0))
            })
            .map_err(internal)?;
        RpcResult::Ok(B256::from(value))
    })?;
    m.register_method("eth_getProof", get_proof)?;
    m.register_blocking_method("eth_call", |p, ctx, _| {
        let mut p = p.sequence();
        let request: TransactionRequest = p.next()?;
        let block = ctx.block_for(p.optional_next()?)?;
        let config = ctx.seq.chain_config().clone();
        let gas = request
            .gas
            .unwrap_or(ctx.config.gas_cap)
            .min(ctx.config.gas_cap)
            .min(config.block_gas_limit);
        let result = ctx
            .watched(&block, |state, hashes, interrupt| {
                call::run(&config, state, hashes, &block, &request, gas, interrupt)
            })
            .and_then(call::output)
            .map_err(call_error)?;
        RpcResult::Ok(result)
    })?;
    m.register_blocking_method("eth_estimateGas", |p, ctx, _| {
        let mut p = p.sequence();
        let request: TransactionRequest = p.next()?;
        let block = ctx.block_for(p.optional_next()?)?;
        let config = ctx.seq.chain_config().clone();
        let cap = ctx.config.gas_cap.min(config.block_gas_limit);
        let gas = ctx
            .watched(&block, |state, hashes, interrupt| {
                call::estimate(&config, state, hashes, &block, &request, cap, interrupt)
            })
            .map_err(call_error)?;
        RpcResult::Ok(U64::from(gas))
    })?;
    m.register_async_method("eth_sendRawTransaction", |p, ctx, _| async move {
        let raw: Bytes = p.one()?;
        ctx.seq.submit(&raw).await.map_err(submit_error)
    })?;
    m.register_method("eth_getLogs", get_logs)?;
    Ok(())
}

/// The most reward percentiles `eth_feeHistory` takes, as geth (`maxFeeHistoryRewardPercentiles`);
/// with at most 1024 blocks the answer holds at most 102,400 rewards.
const MAX_REWARD_PERCENTILES: usize = 100;

/// The tip `eth_maxPriorityFeePerGas` suggests: 1 gwei, as anvil.
const SUGGESTED_TIP: u64 = 1_000_000_000;

fn fee_history(p: Params<'_>, ctx: &Ctx, _: &jsonrpsee::Extensions) -> RpcResult<FeeHistory> {
    let mut p = p.sequence();
    let count: U64 = p.next()?;
    let newest: BlockNumberOrTag = p.next()?;
    let percentiles: Option<Vec<f64>> = p.optional_next()?;
    // Bounded so that the answer (blocks × percentiles) stays small: a request of 5 MiB of
    // percentiles would otherwise ask for tens of GB of rewards.
    if let Some(ps) = &percentiles
        && ps.len() > MAX_REWARD_PERCENTILES
    {
        return Err(err(
            codes::INVALID_PARAMS,
            format!(
                "too many reward percentiles: {}, at most {MAX_REWARD_PERCENTILES}",
                ps.len()
            ),
        ));
    }
    if let Some(ps) = &percentiles
        && (ps.iter().any(|x| !(0.0..=100.0).contains(x)) || ps.windows(2).any(|w| w[0] > w[1]))
    {
        return Err(err(
            codes::INVALID_PARAMS,
            "invalid reward percentiles: must be ascending values between 0 and 100",
        ));
    }
    let count = count.to::<u64>().min(1024);
    let newest = ctx.tag_number(newest);
    if newest > ctx.seq.head_number() {
        return Err(header_not_found());
    }
    if count == 0 {
        return Ok(FeeHistory::default());
    }
    let oldest = newest.saturating_sub(count - 1);
    let blocks = ctx.seq.blocks(oldest, newest);
    let genesis_fee = ctx.seq.chain_config().genesis_base_fee;
    let mut base_fee_per_gas: Vec<u128> = blocks
        .iter()
        .map(|b| u128::from(b.header.base_fee_per_gas.unwrap_or(genesis_fee)))
        .collect();
    if let Some(last) = blocks.last() {
        base_fee_per_gas.push(u128::from(crate::sequencer::next_base_fee(
            &last.header,
            genesis_fee,
        )));
    }
    let gas_used_ratio = blocks
        .iter()
        .map(|b| b.header.gas_used as f64 / b.header.gas_limit.max(1) as f64)
        .collect();
    let reward = percentiles.map(|ps| blocks.iter().map(|b| rewards(b, &ps)).collect());
    Ok(FeeHistory {
        base_fee_per_blob_gas: vec![0; blocks.len() + 1],
        blob_gas_used_ratio: vec![0.0; blocks.len()],
        base_fee_per_gas,
        gas_used_ratio,
        oldest_block: oldest,
        reward,
    })
}

/// The tips at the given percentiles of a block's gas, as geth computes them.
fn rewards(block: &SequencedBlock, percentiles: &[f64]) -> Vec<u128> {
    let base_fee = block.header.base_fee_per_gas.unwrap_or_default();
    let mut tips: Vec<(u128, u64)> = block
        .transactions
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t {
            L2Transaction::User { tx, .. } => Some((
                tx.effective_tip_per_gas(base_fee).unwrap_or_default(),
                block.gas_used_by(i),
            )),
            L2Transaction::Deposit(_) => None,
        })
        .collect();
    if tips.is_empty() {
        return vec![0; percentiles.len()];
    }
    tips.sort_unstable();
    let total: u64 = tips.iter().map(|(_, g)| g).sum();
    percentiles
        .iter()
        .map(|p| {
            let threshold = (total as f64 * p / 100.0) as u64;
            let mut sum = 0u64;
            for (tip, gas) in &tips {
                sum += gas;
                if sum >= threshold {
                    return *tip;
                }
            }
            tips.last().map_or(0, |(tip, _)| *tip)
        })
        .collect()
}

fn get_proof(
    p: Params<'_>,
    ctx: &Ctx,
    _: &jsonrpsee::Extensions,
) -> RpcResult<EIP1186AccountProofResponse> {
    let mut p = p.sequence();
    let address: Address = p.next()?;
    let keys: Vec<JsonStorageKey> = p.next()?;
    let block = ctx.block_for(p.optional_next()?)?;
    if keys.len() > 1024 {
        return Err(err(
            codes::LIMIT_EXCEEDED,
            "too many storage keys: at most 1024 per eth_getProof",
        ));
    }
    ctx.seq
        .with_state_at(block.header.state_root, |state| {
            crate::index::witness::account_proof(state, address, keys)
        })
        .map_err(internal)
}

fn get_logs(p: Params<'_>, ctx: &Ctx, _: &jsonrpsee::Extensions) -> RpcResult<Vec<Value>> {
    let filter: Filter = p.one()?;
    let blocks = match filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => vec![
            ctx.seq
                .block_by_hash(&hash)
                .ok_or_else(|| err(codes::SERVER, "unknown block"))?,
        ],
        FilterBlockOption::Range {
            from_block,
            to_block,
        } => {
            let head = ctx.seq.head_number();
            let from = from_block.map_or(head, |t| ctx.tag_number(t));
            let to = to_block.map_or(head, |t| ctx.tag_number(t)).min(head);
            if from > to {
                // A range wholly in the future is empty; a reversed one is an error.
                if from > head {
                    return Ok(Vec::new());
                }
                return Err(err(codes::INVALID_PARAMS, "invalid block range params"));
            }
            if to - from >= ctx.config.max_block_range {
                return Err(err(
                    codes::LIMIT_EXCEEDED,
                    format!(
                        "query exceeds max block range {}",
                        ctx.config.max_block_range
                    ),
                ));
            }
            ctx.seq.blocks(from, to)
        }
    };
    let mut out = Vec::new();
    for block in blocks {
        if !filter.matches_bloom(block.header.logs_bloom) {
            continue;
        }
        let mut log_index = 0usize;
        for (i, receipt) in block.receipts.iter().enumerate() {
            let tx_hash = block.transactions.get(i).map(L2Transaction::hash);
            for log in &receipt.receipt.logs {
                if filter.matches_address(log.address) && filter.matches_topics(log.data.topics()) {
                    if out.len() >= ctx.config.max_logs {
                        return Err(err(
                            codes::LIMIT_EXCEEDED,
                            format!("query returned more than {} results", ctx.config.max_logs),
                        ));
                    }
                    out.push(convert::log_json(&block, i, tx_hash, log_index, log));
                }
                log_index += 1;
            }
        }
    }
    Ok(out)
}
