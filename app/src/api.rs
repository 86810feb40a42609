//! Calls to the explorer's REST API (`/api/v1`, documented in `indexer/openapi.json`), and the
//! shapes of what the app reads from it. Fields the app does not show are left out; serde ignores
//! them.

use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// Where the API lives, relative to the page's origin.
pub const API: &str = "/api/v1";

/// GETs `path` under the API base (`/api/v1` unless the settings name another indexer) and decodes
/// the JSON body; an error body's message becomes the error.
pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    let base = crate::settings::Settings::load().indexer_base();
    let response = gloo_net::http::Request::get(&format!("{base}{path}"))
        .send()
        .await
        .map_err(|e| format!("cannot reach the explorer server: {e}"))?;
    if !response.ok() {
        let status = response.status();
        let message = response
            .json::<ErrorBody>()
            .await
            .map(|b| b.error.message)
            .unwrap_or_else(|_| format!("the explorer server answered {status}"));
        return Err(message);
    }
    response
        .json()
        .await
        .map_err(|e| format!("unexpected response from {path}: {e}"))
}

/// The API's one error shape.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorDetail {
    /// Machine-readable code.
    pub code: String,
    /// For people.
    pub message: String,
}

/// A page of a list, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Where the next page starts, if there is one.
    pub next_cursor: Option<String>,
}

/// `GET /status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// The L1 chain.
    pub l1: L1Status,
    /// The L2 heads.
    pub l2: L2Status,
    /// The indexer's progress.
    pub index: IndexProgress,
    /// The rollup's deployment.
    #[serde(default)]
    pub rollup: Option<RollupInfo>,
}

/// The part of the rollup's record the app reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupInfo {
    /// The Rollup contract.
    pub rollup: String,
    /// The L1 block it was deployed in.
    pub l1_origin: L1Block,
}

/// An L1 block, by number and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L1Block {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: String,
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
    /// Latest finalized L1 block.
    pub finalized: Option<u64>,
    /// Why L1 could not be read.
    #[serde(default)]
    pub error: Option<String>,
    /// An L1 endpoint the server suggests for the light node.
    #[serde(default)]
    pub endpoint: Option<String>,
}

/// The L2 heads by finality stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L2Status {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// The sequencer's head, when the server runs it.
    pub unsafe_head: Option<u64>,
    /// Derived head.
    pub safe: u64,
    /// Highest block whose batch is in a finalized L1 block.
    pub l1_finalized: u64,
    /// Highest block a valid proposal covers.
    pub proposed: u64,
    /// Highest block a finalized proposal covers.
    pub finalized: u64,
}

/// The indexer's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexProgress {
    /// Last L1 block derived.
    pub derived_l1_block: u64,
    /// L1 blocks not yet derived.
    pub sync_lag: u64,
    /// The last indexing error.
    pub error: Option<String>,
}

/// A block in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: String,
    /// Parent hash.
    pub parent_hash: String,
    /// Timestamp (seconds).
    pub timestamp: u64,
    /// Transactions.
    pub tx_count: u64,
    /// Gas used.
    pub gas_used: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// Base fee (wei).
    pub base_fee: u64,
    /// State root.
    pub state_root: String,
    /// Output root.
    pub output_root: String,
    /// `genesis`, `batch` or `force-included`.
    pub source: String,
    /// The batch that carried it.
    pub batch_index: Option<u64>,
    /// Finality stage.
    pub finality: String,
    /// The L1 block that made it safe.
    pub l1_block: u64,
}

/// `GET /blocks/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockDetail {
    /// The block.
    #[serde(flatten)]
    pub block: Block,
    /// One page of its transactions (`block.tx_count` counts them all).
    pub transactions: Vec<Tx>,
    /// The cursor of the next page of its transactions.
    #[serde(default)]
    pub transactions_next_cursor: Option<String>,
    /// Transactions its batch carried that could not be applied.
    pub skipped: Vec<SkippedTx>,
    /// Its finality in detail.
    pub finality_detail: FinalityDetail,
}

/// A transaction left out of its block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedTx {
    /// Position in the batch block.
    pub position: u64,
    /// Hash, when it decoded.
    pub hash: Option<String>,
    /// Why.
    pub reason: String,
}

/// When a finality stage was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageReached {
    /// The stage.
    pub stage: String,
    /// When (L1 timestamp).
    pub at: Option<u64>,
    /// The L1 block that brought it.
    pub l1_block: Option<u64>,
    /// The proposal that brought it.
    pub proposal: Option<u64>,
}

/// The stage a block waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextStage {
    /// The stage.
    pub stage: String,
    /// Expected time (L1 timestamp).
    pub expected_at: Option<u64>,
}

/// An invalidated proposal over a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invalidation {
    /// The proposal.
    pub proposal: u64,
    /// Whether it lost a game itself.
    pub lost: bool,
    /// When (L1 timestamp).
    pub at: u64,
}

/// A block's finality in detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalityDetail {
    /// Current stage.
    pub stage: String,
    /// Stages reached.
    pub reached: Vec<StageReached>,
    /// The next stage.
    pub next: Option<NextStage>,
    /// Invalidated proposals over it.
    pub invalidated: Vec<Invalidation>,
}

/// A transaction in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tx {
    /// Hash.
    pub hash: String,
    /// Block number.
    pub block_number: u64,
    /// Position in the block.
    pub index: u64,
    /// EIP-2718 type.
    pub tx_type: u8,
    /// Sender.
    pub from: String,
    /// Recipient (none for a contract creation).
    pub to: Option<String>,
    /// Created contract.
    pub contract_address: Option<String>,
    /// Nonce.
    pub nonce: u64,
    /// Value (wei, decimal).
    pub value: String,
    /// Gas used.
    pub gas_used: u64,
    /// Effective gas price (wei, decimal).
    pub effective_gas_price: String,
    /// Whether it succeeded.
    pub success: bool,
    /// Deposit nonce, for deposits.
    pub deposit_nonce: Option<u64>,
    /// Finality stage of its block.
    pub finality: String,
}

/// A log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Log {
    /// Position in the block.
    pub log_index: u64,
    /// Emitter.
    pub address: String,
    /// Topics.
    pub topics: Vec<String>,
    /// Data (0x hex).
    pub data: String,
}

/// `GET /txs/{hash}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxDetail {
    /// The transaction.
    #[serde(flatten)]
    pub tx: Tx,
    /// Its block's hash.
    pub block_hash: String,
    /// Its block's timestamp.
    pub timestamp: u64,
    /// The L1 block that made it safe.
    pub l1_block: u64,
    /// The batch that carried it.
    pub batch_index: Option<u64>,
    /// Logs.
    pub logs: Vec<Log>,
    /// Its block's finality in detail.
    pub finality_detail: FinalityDetail,
}

/// A batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// Index.
    pub index: u64,
    /// L1 block.
    pub l1_block: u64,
    /// L1 transaction.
    pub l1_tx_hash: String,
    /// keccak256 of the data.
    pub data_hash: String,
    /// Compressed size (bytes).
    pub size: u64,
    /// Bytes once decompressed (accepted batches).
    #[serde(default)]
    pub raw_size: Option<u64>,
    /// `accepted` or `dropped`.
    pub status: String,
    /// Why it was dropped.
    pub reason: Option<String>,
    /// First L2 block.
    pub first_block: Option<u64>,
    /// Last L2 block.
    pub last_block: Option<u64>,
    /// Finality of its last block.
    pub finality: Option<String>,
}

/// An account at the safe head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Address.
    pub address: String,
    /// The block read.
    pub block: u64,
    /// Balance (wei, decimal).
    pub balance: String,
    /// Nonce.
    pub nonce: u64,
    /// Code hash.
    pub code_hash: String,
    /// Code size.
    pub code_size: u64,
    /// Transactions sent or received.
    pub tx_count: u64,
}

/// An output-root proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// Index.
    pub index: u64,
    /// L1 block.
    pub l1_block: u64,
    /// Proposer.
    pub proposer: String,
    /// The L2 block.
    pub l2_block: u64,
    /// The claimed root.
    pub output_root: String,
    /// Parent proposal.
    pub parent: Option<u64>,
    /// Challenge deadline (L1 timestamp).
    pub deadline: u64,
    /// Bond (wei, decimal).
    pub bond: String,
    /// `pending`, `challenged`, `invalidated` or `finalized`.
    pub status: String,
    /// The index's derived root for the block.
    pub derived_output_root: Option<String>,
    /// Whether the claimed root equals the derived one.
    pub matches: Option<bool>,
    /// Games on it.
    pub games: Vec<u64>,
}

/// One step of a game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameMove {
    /// `started`, `defended`, `responded`, `adjudicated` or `resolved`.
    pub kind: String,
    /// L1 block.
    pub l1_block: u64,
    /// Who moved.
    pub mover: Option<String>,
    /// Agreed block after the step.
    pub agreed_block: u64,
    /// Disputed block after the step.
    pub disputed_block: u64,
    /// `defended`: midpoint.
    pub mid_block: Option<u64>,
    /// `defended`: the proposer's root there.
    pub mid_root: Option<String>,
    /// The agreed root after the step.
    pub agreed_root: String,
    /// The disputed root after the step.
    pub disputed_root: String,
    /// `responded`: agreed or not.
    pub agree: Option<bool>,
    /// `adjudicated`: the arbiter's decision.
    pub proposer_wins: Option<bool>,
    /// Who moves next.
    pub turn: Option<String>,
    /// Next deadline (L1 timestamp).
    pub deadline: Option<u64>,
    /// `resolved`: outcome.
    pub outcome: Option<String>,
    /// `resolved`: resolution.
    pub resolution: Option<String>,
    /// `resolved`: winner.
    pub winner: Option<String>,
    /// `resolved`: payout (wei).
    pub payout: Option<String>,
}

/// A dispute game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Game {
    /// Id.
    pub id: u64,
    /// The disputed proposal.
    pub proposal_index: u64,
    /// Challenger.
    pub challenger: String,
    /// Proposer.
    pub proposer: String,
    /// Agreed block.
    pub agreed_block: u64,
    /// Disputed block.
    pub disputed_block: u64,
    /// Whose move.
    pub turn: String,
    /// Current deadline.
    pub deadline: u64,
    /// Outcome.
    pub outcome: String,
    /// Resolution.
    pub resolution: Option<String>,
    /// Who decides single-block steps.
    pub adjudication: String,
    /// Every step.
    pub moves: Vec<GameMove>,
}

/// A search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    /// What was found.
    pub kind: String,
    /// Its API path, which is also the app's.
    pub path: String,
}

/// `GET /search`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResponse {
    /// Results.
    pub results: Vec<SearchHit>,
}

/// Fetches the server's status.
pub async fn status() -> Result<Status, String> {
    get("/status").await
}
