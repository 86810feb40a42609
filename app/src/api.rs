//! Calls to the explorer's REST API (`/api/v1`, documented in `indexer/openapi.json`), and the
//! shapes of what the app reads from it. Fields the app does not show are left out.
//!
//! Responses are parsed once into a [`serde_json::Value`] and read into these types by hand
//! ([`FromJson`]) rather than with serde's derived deserializers: one parser serves every route,
//! which keeps the UI shell small (docs/benchmarks.md, the bundle).

use serde_json::Value;

/// Where the API lives, relative to the page's origin.
pub const API: &str = "/api/v1";

/// GETs `path` under the API base (`/api/v1` unless the settings name another indexer) and parses
/// the JSON body; an error body's message becomes the error.
pub async fn get_json(path: &str) -> Result<Value, String> {
    let base = crate::settings::Settings::load().indexer_base();
    let response = gloo_net::http::Request::get(&format!("{base}{path}"))
        .send()
        .await
        .map_err(|e| format!("cannot reach the explorer server: {e}"))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| format!("cannot read the answer to {path}: {e}"));
    let json = body.and_then(|text| {
        serde_json::from_str::<Value>(&text)
            .map_err(|e| format!("unexpected response from {path}: {e}"))
    });
    if !response.ok() {
        return Err(json
            .ok()
            .and_then(|body| body["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("the explorer server answered {status}")));
    }
    json
}

/// GETs `path` and reads it as a `T`.
pub async fn get<T: FromJson>(path: &str) -> Result<T, String> {
    let json = get_json(path).await?;
    T::from_json(&json).map_err(|e| format!("unexpected response from {path}: {e}"))
}

/// A type read from the API's JSON.
pub trait FromJson: Sized {
    /// Reads `json`; the error names the field that is missing or of the wrong type.
    fn from_json(json: &Value) -> Result<Self, String>;
}

/// The fields of a JSON object, read one by one; absent fields read as `null`.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a>(pub &'a Value);

impl<'a> Fields<'a> {
    fn field(&self, key: &str) -> &'a Value {
        self.0.get(key).unwrap_or(&Value::Null)
    }

    fn wrong(key: &str, what: &str) -> String {
        format!("`{key}` is not {what}")
    }

    /// A whole number.
    pub fn u64(&self, key: &str) -> Result<u64, String> {
        self.field(key)
            .as_u64()
            .ok_or_else(|| Self::wrong(key, "a number"))
    }

    /// A whole number or `null`.
    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>, String> {
        match self.field(key) {
            Value::Null => Ok(None),
            v => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| Self::wrong(key, "a number")),
        }
    }

    /// A string.
    pub fn str(&self, key: &str) -> Result<String, String> {
        self.field(key)
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| Self::wrong(key, "a string"))
    }

    /// A string or `null`.
    pub fn opt_str(&self, key: &str) -> Result<Option<String>, String> {
        match self.field(key) {
            Value::Null => Ok(None),
            v => v
                .as_str()
                .map(|s| Some(s.to_owned()))
                .ok_or_else(|| Self::wrong(key, "a string")),
        }
    }

    /// `true` or `false`.
    pub fn bool(&self, key: &str) -> Result<bool, String> {
        self.field(key)
            .as_bool()
            .ok_or_else(|| Self::wrong(key, "true or false"))
    }

    /// `true`, `false` or `null`.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, String> {
        match self.field(key) {
            Value::Null => Ok(None),
            v => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| Self::wrong(key, "true or false")),
        }
    }

    /// An object, read as a `T`.
    pub fn get<T: FromJson>(&self, key: &str) -> Result<T, String> {
        T::from_json(self.field(key)).map_err(|e| format!("`{key}`: {e}"))
    }

    /// An object or `null`.
    pub fn opt<T: FromJson>(&self, key: &str) -> Result<Option<T>, String> {
        match self.field(key) {
            Value::Null => Ok(None),
            v => T::from_json(v)
                .map(Some)
                .map_err(|e| format!("`{key}`: {e}")),
        }
    }

    /// An array of `T`.
    pub fn list<T: FromJson>(&self, key: &str) -> Result<Vec<T>, String> {
        let items = self
            .field(key)
            .as_array()
            .ok_or_else(|| Self::wrong(key, "a list"))?;
        read_all(items).map_err(|e| format!("`{key}`: {e}"))
    }
}

/// Reads every item, in a loop rather than by collecting into a `Result`: that adapter is compiled
/// once per type and weighs on the UI shell.
fn read_all<T: FromJson>(items: &[Value]) -> Result<Vec<T>, String> {
    let mut all = Vec::with_capacity(items.len());
    for item in items {
        all.push(T::from_json(item)?);
    }
    Ok(all)
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(json: &Value) -> Result<Self, String> {
        read_all(json.as_array().ok_or_else(|| "not a list".to_owned())?)
    }
}

impl FromJson for String {
    fn from_json(json: &Value) -> Result<Self, String> {
        json.as_str()
            .map(str::to_owned)
            .ok_or_else(|| "not a string".to_owned())
    }
}

impl FromJson for u64 {
    fn from_json(json: &Value) -> Result<Self, String> {
        json.as_u64().ok_or_else(|| "not a number".to_owned())
    }
}

/// A page of a list, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Where the next page starts, if there is one.
    pub next_cursor: Option<String>,
}

/// `GET /status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The L1 chain.
    pub l1: L1Status,
    /// The L2 heads.
    pub l2: L2Status,
    /// The indexer's progress.
    pub index: IndexProgress,
    /// The rollup's deployment.
    pub rollup: Option<RollupInfo>,
}

/// The part of the rollup's record the app reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupInfo {
    /// The Rollup contract.
    pub rollup: String,
    /// The L1 block it was deployed in.
    pub l1_origin: L1Block,
}

/// An L1 block, by number and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Block {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: String,
}

/// L1 chain id and head; absent while the server cannot reach L1.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub error: Option<String>,
    /// An L1 endpoint the server suggests for the light node.
    pub endpoint: Option<String>,
}

/// The L2 heads by finality stage.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexProgress {
    /// Last L1 block derived.
    pub derived_l1_block: u64,
    /// L1 blocks not yet derived.
    pub sync_lag: u64,
    /// The last indexing error.
    pub error: Option<String>,
}

/// A block in lists.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockDetail {
    /// The block.
    pub block: Block,
    /// One page of its transactions (`block.tx_count` counts them all).
    pub transactions: Vec<Tx>,
    /// The cursor of the next page of its transactions.
    pub transactions_next_cursor: Option<String>,
    /// Transactions its batch carried that could not be applied.
    pub skipped: Vec<SkippedTx>,
    /// Its finality in detail.
    pub finality_detail: FinalityDetail,
}

/// A transaction left out of its block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedTx {
    /// Position in the batch block.
    pub position: u64,
    /// Hash, when it decoded.
    pub hash: Option<String>,
    /// Why.
    pub reason: String,
}

/// When a finality stage was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextStage {
    /// The stage.
    pub stage: String,
    /// Expected time (L1 timestamp).
    pub expected_at: Option<u64>,
}

/// An invalidated proposal over a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalidation {
    /// The proposal.
    pub proposal: u64,
    /// Whether it lost a game itself.
    pub lost: bool,
    /// When (L1 timestamp).
    pub at: u64,
}

/// A block's finality in detail.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxDetail {
    /// The transaction.
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// What was found.
    pub kind: String,
    /// Its API path, which is also the app's.
    pub path: String,
}

/// `GET /search`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchResponse {
    /// Results.
    pub results: Vec<SearchHit>,
}

impl<T: FromJson> FromJson for Page<T> {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            items: o.list("items")?,
            next_cursor: o.opt_str("next_cursor")?,
        })
    }
}

impl FromJson for Status {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            l1: o.get("l1")?,
            l2: o.get("l2")?,
            index: o.get("index")?,
            rollup: o.opt("rollup")?,
        })
    }
}

impl FromJson for RollupInfo {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            rollup: o.str("rollup")?,
            l1_origin: o.get("l1_origin")?,
        })
    }
}

impl FromJson for L1Block {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            number: o.u64("number")?,
            hash: o.str("hash")?,
        })
    }
}

impl FromJson for L1Status {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            reachable: o.bool("reachable")?,
            chain_id: o.opt_u64("chain_id")?,
            head: o.opt_u64("head")?,
            finalized: o.opt_u64("finalized")?,
            error: o.opt_str("error")?,
            endpoint: o.opt_str("endpoint")?,
        })
    }
}

impl FromJson for L2Status {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            chain_id: o.u64("chain_id")?,
            unsafe_head: o.opt_u64("unsafe_head")?,
            safe: o.u64("safe")?,
            l1_finalized: o.u64("l1_finalized")?,
            proposed: o.u64("proposed")?,
            finalized: o.u64("finalized")?,
        })
    }
}

impl FromJson for IndexProgress {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            derived_l1_block: o.u64("derived_l1_block")?,
            sync_lag: o.u64("sync_lag")?,
            error: o.opt_str("error")?,
        })
    }
}

impl FromJson for Block {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            number: o.u64("number")?,
            hash: o.str("hash")?,
            parent_hash: o.str("parent_hash")?,
            timestamp: o.u64("timestamp")?,
            tx_count: o.u64("tx_count")?,
            gas_used: o.u64("gas_used")?,
            gas_limit: o.u64("gas_limit")?,
            base_fee: o.u64("base_fee")?,
            state_root: o.str("state_root")?,
            output_root: o.str("output_root")?,
            source: o.str("source")?,
            batch_index: o.opt_u64("batch_index")?,
            finality: o.str("finality")?,
            l1_block: o.u64("l1_block")?,
        })
    }
}

impl FromJson for BlockDetail {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            block: Block::from_json(json)?,
            transactions: o.list("transactions")?,
            transactions_next_cursor: o.opt_str("transactions_next_cursor")?,
            skipped: o.list("skipped")?,
            finality_detail: o.get("finality_detail")?,
        })
    }
}

impl FromJson for SkippedTx {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            position: o.u64("position")?,
            hash: o.opt_str("hash")?,
            reason: o.str("reason")?,
        })
    }
}

impl FromJson for StageReached {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            stage: o.str("stage")?,
            at: o.opt_u64("at")?,
            l1_block: o.opt_u64("l1_block")?,
            proposal: o.opt_u64("proposal")?,
        })
    }
}

impl FromJson for NextStage {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            stage: o.str("stage")?,
            expected_at: o.opt_u64("expected_at")?,
        })
    }
}

impl FromJson for Invalidation {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            proposal: o.u64("proposal")?,
            lost: o.bool("lost")?,
            at: o.u64("at")?,
        })
    }
}

impl FromJson for FinalityDetail {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            stage: o.str("stage")?,
            reached: o.list("reached")?,
            next: o.opt("next")?,
            invalidated: o.list("invalidated")?,
        })
    }
}

impl FromJson for Tx {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            hash: o.str("hash")?,
            block_number: o.u64("block_number")?,
            index: o.u64("index")?,
            tx_type: u8::try_from(o.u64("tx_type")?)
                .map_err(|_| "`tx_type` is out of range".to_owned())?,
            from: o.str("from")?,
            to: o.opt_str("to")?,
            contract_address: o.opt_str("contract_address")?,
            nonce: o.u64("nonce")?,
            value: o.str("value")?,
            gas_used: o.u64("gas_used")?,
            effective_gas_price: o.str("effective_gas_price")?,
            success: o.bool("success")?,
            deposit_nonce: o.opt_u64("deposit_nonce")?,
            finality: o.str("finality")?,
        })
    }
}

impl FromJson for Log {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            log_index: o.u64("log_index")?,
            address: o.str("address")?,
            topics: o.list("topics")?,
            data: o.str("data")?,
        })
    }
}

impl FromJson for TxDetail {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            tx: Tx::from_json(json)?,
            block_hash: o.str("block_hash")?,
            timestamp: o.u64("timestamp")?,
            l1_block: o.u64("l1_block")?,
            batch_index: o.opt_u64("batch_index")?,
            logs: o.list("logs")?,
            finality_detail: o.get("finality_detail")?,
        })
    }
}

impl FromJson for Batch {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            index: o.u64("index")?,
            l1_block: o.u64("l1_block")?,
            l1_tx_hash: o.str("l1_tx_hash")?,
            data_hash: o.str("data_hash")?,
            size: o.u64("size")?,
            raw_size: o.opt_u64("raw_size")?,
            status: o.str("status")?,
            reason: o.opt_str("reason")?,
            first_block: o.opt_u64("first_block")?,
            last_block: o.opt_u64("last_block")?,
            finality: o.opt_str("finality")?,
        })
    }
}

impl FromJson for Account {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            address: o.str("address")?,
            block: o.u64("block")?,
            balance: o.str("balance")?,
            nonce: o.u64("nonce")?,
            code_hash: o.str("code_hash")?,
            code_size: o.u64("code_size")?,
            tx_count: o.u64("tx_count")?,
        })
    }
}

impl FromJson for Proposal {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            index: o.u64("index")?,
            l1_block: o.u64("l1_block")?,
            proposer: o.str("proposer")?,
            l2_block: o.u64("l2_block")?,
            output_root: o.str("output_root")?,
            parent: o.opt_u64("parent")?,
            deadline: o.u64("deadline")?,
            bond: o.str("bond")?,
            status: o.str("status")?,
            derived_output_root: o.opt_str("derived_output_root")?,
            matches: o.opt_bool("matches")?,
            games: o.list("games")?,
        })
    }
}

impl FromJson for GameMove {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            kind: o.str("kind")?,
            l1_block: o.u64("l1_block")?,
            mover: o.opt_str("mover")?,
            agreed_block: o.u64("agreed_block")?,
            disputed_block: o.u64("disputed_block")?,
            mid_block: o.opt_u64("mid_block")?,
            mid_root: o.opt_str("mid_root")?,
            agreed_root: o.str("agreed_root")?,
            disputed_root: o.str("disputed_root")?,
            agree: o.opt_bool("agree")?,
            proposer_wins: o.opt_bool("proposer_wins")?,
            turn: o.opt_str("turn")?,
            deadline: o.opt_u64("deadline")?,
            outcome: o.opt_str("outcome")?,
            resolution: o.opt_str("resolution")?,
            winner: o.opt_str("winner")?,
            payout: o.opt_str("payout")?,
        })
    }
}

impl FromJson for Game {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            id: o.u64("id")?,
            proposal_index: o.u64("proposal_index")?,
            challenger: o.str("challenger")?,
            proposer: o.str("proposer")?,
            agreed_block: o.u64("agreed_block")?,
            disputed_block: o.u64("disputed_block")?,
            turn: o.str("turn")?,
            deadline: o.u64("deadline")?,
            outcome: o.str("outcome")?,
            resolution: o.opt_str("resolution")?,
            adjudication: o.str("adjudication")?,
            moves: o.list("moves")?,
        })
    }
}

impl FromJson for SearchHit {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            kind: o.str("kind")?,
            path: o.str("path")?,
        })
    }
}

impl FromJson for SearchResponse {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            results: o.list("results")?,
        })
    }
}

/// Fetches the server's status.
pub async fn status() -> Result<Status, String> {
    get("/status").await
}
