//! The index's read side: the JSON shapes the REST API serves, and the queries behind them.
//!
//! Lists are newest first and paged by cursor: a page holds up to `limit` items and, when more may
//! follow, a `next_cursor` naming where the next page starts. Items appended meanwhile never shift a
//! page, because a cursor is a key, not an offset.

use std::str::FromStr;

use alloy_primitives::{Address, B256, Bytes};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::db::{Db, DbError, DbResult, corrupt, hex, int, parse_b256};

/// The finality stage of an L2 block, lowest to highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Finality {
    /// Sequenced, not yet derived from L1.
    Unsafe,
    /// Derived from a batch in an L1 block.
    Safe,
    /// The L1 block holding its batch is finalized on L1.
    L1Finalized,
    /// A valid output-root proposal covers it.
    Proposed,
    /// A finalized proposal covers it.
    Finalized,
}

/// The highest L2 block at each finality stage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalityHeads {
    /// The derived head.
    pub safe: u64,
    /// The highest block whose batch is in a finalized L1 block.
    pub l1_finalized: u64,
    /// The highest block a valid proposal covers.
    pub proposed: u64,
    /// The highest block a finalized proposal covers.
    pub finalized: u64,
}

impl FinalityHeads {
    /// The stage of derived block `number`: the highest stage whose head reaches it.
    pub fn stage(&self, number: u64) -> Finality {
        if number <= self.finalized {
            Finality::Finalized
        } else if number <= self.proposed {
            Finality::Proposed
        } else if number <= self.l1_finalized {
            Finality::L1Finalized
        } else {
            Finality::Safe
        }
    }
}

/// SQL selecting the indexes of proposals not invalidated: an invalidation covers the proposal it
/// names and every later-indexed proposal made before it.
const VALID_PROPOSAL: &str =
    "NOT EXISTS (SELECT 1 FROM rollup_events e WHERE e.kind = 'invalidated'
    AND e.proposal_idx <= p.idx
    AND (e.l1_block > p.l1_block OR (e.l1_block = p.l1_block AND e.log_index > p.log_index)))";

/// The finality heads, given L1's finalized block number.
pub async fn finality_heads(
    conn: &mut AnyConnection,
    l1_finalized: u64,
) -> DbResult<FinalityHeads> {
    // One statement: one round trip.
    let row = sqlx::query(&format!(
        "SELECT (SELECT MAX(number) FROM blocks) AS safe,
         (SELECT MAX(number) FROM blocks WHERE l1_block <= $1) AS l1_finalized,
         (SELECT MAX(p.l2_block) FROM proposals p WHERE {VALID_PROPOSAL}) AS proposed,
         (SELECT MAX(l2_block) FROM rollup_events WHERE kind = 'finalized') AS finalized"
    ))
    .bind(int(l1_finalized))
    .fetch_one(&mut *conn)
    .await?;
    let head = |column: &str| Ok::<u64, DbError>(opt_u(&row, column)?.unwrap_or(0));
    Ok(FinalityHeads {
        safe: head("safe")?,
        l1_finalized: head("l1_finalized")?,
        proposed: head("proposed")?,
        finalized: head("finalized")?,
    })
}

/// When one finality stage was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageReached {
    /// The stage.
    pub stage: Finality,
    /// When (an L1 timestamp, seconds): the L1 block of the batch (`safe`), of the proposal
    /// (`proposed`) or of the finalization (`finalized`); for `l1-finalized`, the newest L1 block
    /// the indexer held when it first saw L1 finalize the batch's block (null if it never saw it
    /// happen, as for blocks finalized before it started).
    pub at: Option<u64>,
    /// The L1 block that brought the stage, where there is one.
    pub l1_block: Option<u64>,
    /// The proposal that brought `proposed` or `finalized`.
    pub proposal: Option<u64>,
}

/// The stage a block waits for, and when it is expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextStage {
    /// The next stage.
    pub stage: Finality,
    /// Expected time (L1 timestamp): for `l1-finalized`, the batch's L1 block time plus L1's
    /// current finality lag; for `finalized`, the end of the covering proposal's challenge window
    /// (the earliest it can finalize; later if it is challenged). Null when it depends on nobody
    /// but the proposer (`proposed`).
    pub expected_at: Option<u64>,
}

/// A proposal that covered a block and was invalidated: the block went back to its stage before
/// `proposed` until a valid proposal covers it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invalidation {
    /// The invalidated proposal.
    pub proposal: u64,
    /// Whether it lost a game itself (else a proposal it built on did, or the arbiter timed out).
    pub lost: bool,
    /// When it was invalidated (L1 timestamp).
    pub at: u64,
    /// The L1 block of the invalidation.
    pub l1_block: u64,
}

/// The finality of one L2 block: its stage, when each stage was reached, what comes next, and the
/// proposals over it that were invalidated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalityDetail {
    /// The current stage.
    pub stage: Finality,
    /// Each stage reached, lowest first.
    pub reached: Vec<StageReached>,
    /// The next stage; null once finalized.
    pub next: Option<NextStage>,
    /// Invalidated proposals that covered the block, oldest first.
    pub invalidated: Vec<Invalidation>,
}

/// The finality of derived block `number`, whose batch is in L1 block `l1_block`.
pub async fn finality_detail(
    conn: &mut AnyConnection,
    heads: &FinalityHeads,
    number: u64,
    l1_block: u64,
) -> DbResult<FinalityDetail> {
    let stage = heads.stage(number);
    // Few statements, each binding its values: every statement is a round trip to the database's
    // connection, and each connection prepares a statement once.
    let times = sqlx::query(
        "SELECT (SELECT timestamp FROM l1_blocks WHERE number = $1) AS safe_at,
         (SELECT observed_at FROM l1_finality WHERE number >= $1 ORDER BY number LIMIT 1)
            AS l1_finalized_at,
         (SELECT f.observed_at - b.timestamp FROM l1_finality f
            JOIN l1_blocks b ON b.number = f.number ORDER BY f.number DESC LIMIT 1) AS lag",
    )
    .bind(int(l1_block))
    .fetch_one(&mut *conn)
    .await?;
    let safe_at = opt_u(&times, "safe_at")?;
    let mut reached = vec![StageReached {
        stage: Finality::Safe,
        at: safe_at,
        l1_block: Some(l1_block),
        proposal: None,
    }];
    if number <= heads.l1_finalized {
        reached.push(StageReached {
            stage: Finality::L1Finalized,
            at: opt_u(&times, "l1_finalized_at")?,
            l1_block: None,
            proposal: None,
        });
    }
    // The valid proposal covering the block, with its finalization if it has one: valid proposals
    // form one chain, each covering the blocks after its parent's.
    let covering = sqlx::query(&format!(
        "SELECT p.idx, p.l1_block, p.deadline, b.timestamp,
         fe.l1_block AS finalized_l1_block, fb.timestamp AS finalized_at
         FROM proposals p
         JOIN l1_blocks b ON b.number = p.l1_block
         LEFT JOIN rollup_events fe ON fe.kind = 'finalized' AND fe.proposal_idx = p.idx
         LEFT JOIN l1_blocks fb ON fb.number = fe.l1_block
         WHERE p.parent_l2_block < $1 AND p.l2_block >= $1 AND {VALID_PROPOSAL}
         ORDER BY p.idx LIMIT 1"
    ))
    .bind(int(number))
    .fetch_optional(&mut *conn)
    .await?;
    let mut deadline = None;
    if let Some(p) = &covering {
        let index = u(p, "idx")?;
        deadline = Some(u(p, "deadline")?);
        reached.push(StageReached {
            stage: Finality::Proposed,
            at: Some(u(p, "timestamp")?),
            l1_block: Some(u(p, "l1_block")?),
            proposal: Some(index),
        });
        if let (Some(l1_block), Some(at)) =
            (opt_u(p, "finalized_l1_block")?, opt_u(p, "finalized_at")?)
        {
            reached.push(StageReached {
                stage: Finality::Finalized,
                at: Some(at),
                l1_block: Some(l1_block),
                proposal: Some(index),
            });
        }
    }
    let next = match stage {
        Finality::Unsafe | Finality::Safe if number > heads.l1_finalized => Some(NextStage {
            stage: Finality::L1Finalized,
            // How far L1's finalized head trailed its newest block when last seen.
            expected_at: match (safe_at, times.try_get::<Option<i64>, _>("lag")?) {
                (Some(at), Some(lag)) => Some(at.saturating_add(lag.max(0) as u64)),
                _ => None,
            },
        }),
        Finality::Unsafe | Finality::Safe | Finality::L1Finalized => Some(NextStage {
            stage: Finality::Proposed,
            expected_at: None,
        }),
        Finality::Proposed => Some(NextStage {
            stage: Finality::Finalized,
            expected_at: deadline,
        }),
        Finality::Finalized => None,
    };
    // Proposals over the block that are no longer valid, with the invalidation that took them.
    let mut invalidated = Vec::new();
    for p in sqlx::query(&format!(
        "SELECT p.idx, p.l1_block, p.log_index FROM proposals p
         WHERE p.parent_l2_block < $1 AND p.l2_block >= $1 AND NOT ({VALID_PROPOSAL})
         ORDER BY p.idx"
    ))
    .bind(int(number))
    .fetch_all(&mut *conn)
    .await?
    {
        let index = u(&p, "idx")?;
        let Some(e) = sqlx::query(
            "SELECT e.l1_block, b.timestamp FROM rollup_events e
             JOIN l1_blocks b ON b.number = e.l1_block
             WHERE e.kind = 'invalidated' AND e.proposal_idx <= $1
             AND (e.l1_block > $2 OR (e.l1_block = $2 AND e.log_index > $3))
             ORDER BY e.l1_block, e.log_index LIMIT 1",
        )
        .bind(int(index))
        .bind(int(u(&p, "l1_block")?))
        .bind(int(u(&p, "log_index")?))
        .fetch_optional(&mut *conn)
        .await?
        else {
            continue;
        };
        let lost = sqlx::query(
            "SELECT 1 AS x FROM rollup_events WHERE kind = 'resolved' AND proposal_idx = $1
             AND data LIKE '%\"outcome\":\"challenger_wins\"%'",
        )
        .bind(int(index))
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
        invalidated.push(Invalidation {
            proposal: index,
            lost,
            at: u(&e, "timestamp")?,
            l1_block: u(&e, "l1_block")?,
        });
    }
    Ok(FinalityDetail {
        stage,
        reached,
        next,
        invalidated,
    })
}

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items, newest first.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    fn new(items: Vec<T>, limit: usize, cursor: impl Fn(&T) -> String) -> Self {
        let next_cursor = if items.len() == limit {
            items.last().map(cursor)
        } else {
            None
        };
        Self { items, next_cursor }
    }
}

/// The rows of `table` whose integer column `key` is below `cursor`, newest first, at most
/// `limit`: one page of a list.
async fn rows_below(
    db: &Db,
    columns: &str,
    table: &str,
    key: &str,
    cursor: Option<u64>,
    limit: usize,
) -> DbResult<Vec<AnyRow>> {
    Ok(sqlx::query(&format!(
        "SELECT {columns} FROM {table} WHERE {key} < $1 ORDER BY {key} DESC LIMIT $2"
    ))
    .bind(cursor.map_or(i64::MAX, int))
    .bind(limit as i64)
    .fetch_all(db.pool())
    .await?)
}

/// An L1 block reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L1Ref {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: B256,
}

/// How a block entered the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockOrigin {
    /// The genesis block.
    Genesis,
    /// From a batch.
    Batch,
    /// Generated by derivation when no batch covered its L1 origin in time.
    ForceIncluded,
}

/// A block in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockSummary {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: B256,
    /// Parent hash.
    pub parent_hash: B256,
    /// Unix timestamp.
    pub timestamp: u64,
    /// Transactions.
    pub tx_count: u64,
    /// Gas used.
    pub gas_used: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// Base fee per gas (wei).
    pub base_fee: u64,
    /// State root.
    pub state_root: B256,
    /// Output root (what proposals claim).
    pub output_root: B256,
    /// The L1 block it took as origin.
    pub l1_origin: L1Ref,
    /// The L1 block whose data made it safe.
    pub l1_block: u64,
    /// How it entered the chain.
    pub source: BlockOrigin,
    /// The batch it came from.
    pub batch_index: Option<u64>,
    /// Its finality stage.
    pub finality: Finality,
}

const BLOCK_COLUMNS: &str = "number, hash, parent_hash, timestamp, tx_count, gas_used, gas_limit,
    base_fee, state_root, output_root, l1_origin, l1_origin_hash, l1_block, batch_index";

fn u(row: &AnyRow, column: &str) -> DbResult<u64> {
    Ok(row.try_get::<i64, _>(column)? as u64)
}

fn opt_u(row: &AnyRow, column: &str) -> DbResult<Option<u64>> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(|v| v as u64))
}

fn h(row: &AnyRow, column: &str) -> DbResult<B256> {
    parse_b256("hash", &row.try_get::<String, _>(column)?)
}

fn opt_h(row: &AnyRow, column: &str) -> DbResult<Option<B256>> {
    row.try_get::<Option<String>, _>(column)?
        .map(|t| parse_b256("hash", &t))
        .transpose()
}

fn a(row: &AnyRow, column: &str) -> DbResult<Address> {
    Address::from_str(&row.try_get::<String, _>(column)?).map_err(|e| corrupt("address", e))
}

fn opt_a(row: &AnyRow, column: &str) -> DbResult<Option<Address>> {
    row.try_get::<Option<String>, _>(column)?
        .map(|t| Address::from_str(&t).map_err(|e| corrupt("address", e)))
        .transpose()
}

fn s(row: &AnyRow, column: &str) -> DbResult<String> {
    Ok(row.try_get::<String, _>(column)?)
}

fn block_summary(row: &AnyRow, heads: &FinalityHeads) -> DbResult<BlockSummary> {
    let number = u(row, "number")?;
    let batch_index = opt_u(row, "batch_index")?;
    Ok(BlockSummary {
        number,
        hash: h(row, "hash")?,
        parent_hash: h(row, "parent_hash")?,
        timestamp: u(row, "timestamp")?,
        tx_count: u(row, "tx_count")?,
        gas_used: u(row, "gas_used")?,
        gas_limit: u(row, "gas_limit")?,
        base_fee: u(row, "base_fee")?,
        state_root: h(row, "state_root")?,
        output_root: h(row, "output_root")?,
        l1_origin: L1Ref {
            number: u(row, "l1_origin")?,
            hash: h(row, "l1_origin_hash")?,
        },
        l1_block: u(row, "l1_block")?,
        source: match (number, batch_index) {
            (0, _) => BlockOrigin::Genesis,
            (_, Some(_)) => BlockOrigin::Batch,
            (_, None) => BlockOrigin::ForceIncluded,
        },
        batch_index,
        finality: heads.stage(number),
    })
}

/// `GET /blocks`: derived blocks below `cursor`, newest first.
pub async fn blocks(
    db: &Db,
    heads: &FinalityHeads,
    cursor: Option<u64>,
    limit: usize,
) -> DbResult<Page<BlockSummary>> {
    let rows = rows_below(db, BLOCK_COLUMNS, "blocks", "number", cursor, limit).await?;
    let items = rows
        .iter()
        .map(|r| block_summary(r, heads))
        .collect::<DbResult<Vec<_>>>()?;
    Ok(Page::new(items, limit, |b| b.number.to_string()))
}

/// A block with its transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockDetail {
    /// The block.
    #[serde(flatten)]
    pub block: BlockSummary,
    /// One page of its transactions, in order (`?cursor=&limit=`; `tx_count` counts them all).
    pub transactions: Vec<TxSummary>,
    /// The cursor of the next page of its transactions, if there is one.
    pub transactions_next_cursor: Option<String>,
    /// User transactions its batch carried that could not be applied.
    pub skipped: Vec<SkippedTx>,
    /// Its finality: stage times, the next stage, invalidated proposals over it.
    pub finality_detail: FinalityDetail,
}

/// A transaction a batch carried that was left out of its block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedTx {
    /// Position among the batch block's transactions.
    pub position: u64,
    /// Hash, when it decoded.
    pub hash: Option<B256>,
    /// Why it was skipped.
    pub reason: String,
}

/// A block by number or hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockId {
    /// By number.
    Number(u64),
    /// By hash.
    Hash(B256),
}

/// `GET /blocks/{id}`.
/// One block by number or hash, with one page of its transactions: `limit` of them from position
/// `from` (the previous page's `transactions_next_cursor`).
pub async fn block(
    conn: &mut AnyConnection,
    heads: &FinalityHeads,
    id: BlockId,
    from: u64,
    limit: usize,
) -> DbResult<Option<BlockDetail>> {
    let query = match id {
        BlockId::Number(n) => {
            sqlx::query(&format!(
                "SELECT {BLOCK_COLUMNS} FROM blocks WHERE number = $1"
            ))
            .bind(int(n))
            .fetch_optional(&mut *conn)
            .await?
        }
        BlockId::Hash(hash) => {
            sqlx::query(&format!(
                "SELECT {BLOCK_COLUMNS} FROM blocks WHERE hash = $1"
            ))
            .bind(hex(hash))
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    let Some(row) = query else {
        return Ok(None);
    };
    let block = block_summary(&row, heads)?;
    let rows = sqlx::query(&format!(
        "SELECT {TX_COLUMNS} FROM transactions WHERE block_number = $1 AND idx >= $2
         ORDER BY idx LIMIT $3"
    ))
    .bind(int(block.number))
    .bind(int(from))
    .bind(limit as i64)
    .fetch_all(&mut *conn)
    .await?;
    let transactions = rows
        .iter()
        .map(|r| tx_summary(r, heads))
        .collect::<DbResult<Vec<_>>>()?;
    let transactions = Page::new(transactions, limit, |t| (t.index + 1).to_string());
    let mut skipped = Vec::new();
    for r in sqlx::query(
        "SELECT position, hash, reason FROM skipped_transactions WHERE block_number = $1
         ORDER BY position",
    )
    .bind(int(block.number))
    .fetch_all(&mut *conn)
    .await?
    {
        skipped.push(SkippedTx {
            position: u(&r, "position")?,
            hash: opt_h(&r, "hash")?,
            reason: s(&r, "reason")?,
        });
    }
    let finality_detail = finality_detail(conn, heads, block.number, u(&row, "l1_block")?).await?;
    Ok(Some(BlockDetail {
        block,
        transactions: transactions.items,
        transactions_next_cursor: transactions.next_cursor,
        skipped,
        finality_detail,
    }))
}

/// A transaction in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxSummary {
    /// Hash.
    pub hash: B256,
    /// Block number.
    pub block_number: u64,
    /// Position in the block.
    pub index: u64,
    /// EIP-2718 type (126 = deposit).
    pub tx_type: u8,
    /// Sender (the L1 depositor, for deposits).
    pub from: Address,
    /// Recipient; absent for contract creation.
    pub to: Option<Address>,
    /// The contract a creation deployed.
    pub contract_address: Option<Address>,
    /// Sender nonce (0 for deposits).
    pub nonce: u64,
    /// Wei transferred (minted, for deposits), decimal.
    pub value: String,
    /// Gas limit.
    pub gas_limit: u64,
    /// Gas used.
    pub gas_used: u64,
    /// Wei paid per gas, decimal.
    pub effective_gas_price: String,
    /// Whether it succeeded.
    pub success: bool,
    /// The deposit nonce, for deposits.
    pub deposit_nonce: Option<u64>,
    /// Its block's finality stage.
    pub finality: Finality,
}

const TX_COLUMNS: &str = "hash, block_number, idx, tx_type, from_address, to_address,
    contract_address, nonce, value, gas_limit, gas_used, effective_gas_price, success, deposit_nonce";

fn tx_summary(row: &AnyRow, heads: &FinalityHeads) -> DbResult<TxSummary> {
    let block_number = u(row, "block_number")?;
    Ok(TxSummary {
        hash: h(row, "hash")?,
        block_number,
        index: u(row, "idx")?,
        tx_type: u(row, "tx_type")? as u8,
        from: a(row, "from_address")?,
        to: opt_a(row, "to_address")?,
        contract_address: opt_a(row, "contract_address")?,
        nonce: u(row, "nonce")?,
        value: s(row, "value")?,
        gas_limit: u(row, "gas_limit")?,
        gas_used: u(row, "gas_used")?,
        effective_gas_price: s(row, "effective_gas_price")?,
        success: u(row, "success")? != 0,
        deposit_nonce: opt_u(row, "deposit_nonce")?,
        finality: heads.stage(block_number),
    })
}

/// A log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogView {
    /// Position in the block.
    pub log_index: u64,
    /// Emitter.
    pub address: Address,
    /// Topics.
    pub topics: Vec<B256>,
    /// Data.
    pub data: Bytes,
}

/// A transaction with its logs and raw bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxDetail {
    /// The transaction.
    #[serde(flatten)]
    pub tx: TxSummary,
    /// Its block's hash.
    pub block_hash: B256,
    /// Its block's timestamp.
    pub timestamp: u64,
    /// The L1 block that made it safe.
    pub l1_block: u64,
    /// The batch that carried it (none for a force-included deposit).
    pub batch_index: Option<u64>,
    /// EIP-2718 bytes.
    pub raw: Bytes,
    /// Logs it emitted.
    pub logs: Vec<LogView>,
    /// Its block's finality: stage times, the next stage, invalidated proposals over it.
    pub finality_detail: FinalityDetail,
}

/// `GET /txs/{hash}`.
pub async fn transaction(
    conn: &mut AnyConnection,
    heads: &FinalityHeads,
    hash: B256,
) -> DbResult<Option<TxDetail>> {
    let Some(row) = sqlx::query(&format!(
        "SELECT {TX_COLUMNS}, raw FROM transactions WHERE hash = $1"
    ))
    .bind(hex(hash))
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let tx = tx_summary(&row, heads)?;
    let raw: Vec<u8> = row.try_get("raw")?;
    let block =
        sqlx::query("SELECT hash, timestamp, l1_block, batch_index FROM blocks WHERE number = $1")
            .bind(int(tx.block_number))
            .fetch_one(&mut *conn)
            .await?;
    let mut logs = Vec::new();
    for r in sqlx::query(
        "SELECT log_index, address, topic0, topic1, topic2, topic3, data FROM logs
         WHERE block_number = $1 AND tx_index = $2 ORDER BY log_index",
    )
    .bind(int(tx.block_number))
    .bind(int(tx.index))
    .fetch_all(&mut *conn)
    .await?
    {
        let mut topics = Vec::new();
        for t in ["topic0", "topic1", "topic2", "topic3"] {
            if let Some(topic) = opt_h(&r, t)? {
                topics.push(topic);
            }
        }
        logs.push(LogView {
            log_index: u(&r, "log_index")?,
            address: a(&r, "address")?,
            topics,
            data: r.try_get::<Vec<u8>, _>("data")?.into(),
        });
    }
    let l1_block = u(&block, "l1_block")?;
    let finality_detail = finality_detail(conn, heads, tx.block_number, l1_block).await?;
    Ok(Some(TxDetail {
        finality_detail,
        block_hash: h(&block, "hash")?,
        timestamp: u(&block, "timestamp")?,
        l1_block: u(&block, "l1_block")?,
        batch_index: opt_u(&block, "batch_index")?,
        raw: raw.into(),
        logs,
        tx,
    }))
}

/// A batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchView {
    /// The contract's batch index.
    pub index: u64,
    /// The L1 block it was posted in.
    pub l1_block: u64,
    /// The L1 transaction.
    pub l1_tx_hash: B256,
    /// keccak256 of the data, as the contract stored it.
    pub data_hash: B256,
    /// Bytes posted.
    pub size: u64,
    /// Bytes once decompressed (accepted batches; absent for batches indexed before it was kept).
    pub raw_size: Option<u64>,
    /// `accepted` or `dropped`.
    pub status: String,
    /// Why it was dropped.
    pub reason: Option<String>,
    /// The L2 block it builds on.
    pub parent_hash: Option<B256>,
    /// First L2 block it made safe.
    pub first_block: Option<u64>,
    /// Last L2 block it made safe.
    pub last_block: Option<u64>,
    /// The finality stage of its last block.
    pub finality: Option<Finality>,
}

const BATCH_COLUMNS: &str =
    "idx, l1_block, l1_tx_hash, data_hash, size, raw_size, status, reason, parent_hash,
    first_block, last_block";

fn batch_view(row: &AnyRow, heads: &FinalityHeads) -> DbResult<BatchView> {
    let last_block = opt_u(row, "last_block")?;
    Ok(BatchView {
        index: u(row, "idx")?,
        l1_block: u(row, "l1_block")?,
        l1_tx_hash: h(row, "l1_tx_hash")?,
        data_hash: h(row, "data_hash")?,
        size: u(row, "size")?,
        raw_size: opt_u(row, "raw_size")?,
        status: s(row, "status")?,
        reason: row.try_get::<Option<String>, _>("reason")?,
        parent_hash: opt_h(row, "parent_hash")?,
        first_block: opt_u(row, "first_block")?,
        last_block,
        finality: last_block.map(|n| heads.stage(n)),
    })
}

/// `GET /batches`.
pub async fn batches(
    db: &Db,
    heads: &FinalityHeads,
    cursor: Option<u64>,
    limit: usize,
) -> DbResult<Page<BatchView>> {
    let rows = rows_below(db, BATCH_COLUMNS, "batches", "idx", cursor, limit).await?;
    let items = rows
        .iter()
        .map(|r| batch_view(r, heads))
        .collect::<DbResult<Vec<_>>>()?;
    Ok(Page::new(items, limit, |b| b.index.to_string()))
}

/// A batch with its blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchDetail {
    /// The batch.
    #[serde(flatten)]
    pub batch: BatchView,
    /// The blocks it made safe.
    pub blocks: Vec<BlockSummary>,
}

/// `GET /batches/{index}`.
pub async fn batch(db: &Db, heads: &FinalityHeads, index: u64) -> DbResult<Option<BatchDetail>> {
    let Some(row) = sqlx::query(&format!(
        "SELECT {BATCH_COLUMNS} FROM batches WHERE idx = $1"
    ))
    .bind(int(index))
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let batch = batch_view(&row, heads)?;
    let rows = sqlx::query(&format!(
        "SELECT {BLOCK_COLUMNS} FROM blocks WHERE batch_index = $1 ORDER BY number"
    ))
    .bind(int(index))
    .fetch_all(db.pool())
    .await?;
    let blocks = rows
        .iter()
        .map(|r| block_summary(r, heads))
        .collect::<DbResult<Vec<_>>>()?;
    Ok(Some(BatchDetail { batch, blocks }))
}

/// An account at the safe head, from the index's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// The address.
    pub address: Address,
    /// The block the figures are read at (the safe head).
    pub block: u64,
    /// Balance in wei, decimal.
    pub balance: String,
    /// Nonce.
    pub nonce: u64,
    /// Code hash.
    pub code_hash: B256,
    /// Size of its code (0 for externally owned accounts).
    pub code_size: u64,
    /// Transactions it sent, received or created.
    pub tx_count: u64,
}

/// The number of indexed transactions of `address`.
pub async fn account_tx_count(db: &Db, address: Address) -> DbResult<u64> {
    let row = sqlx::query("SELECT COUNT(*) FROM account_transactions WHERE address = $1")
        .bind(hex(address))
        .fetch_one(db.pool())
        .await?;
    Ok(row.try_get::<i64, _>(0)? as u64)
}

/// `GET /accounts/{address}/txs`: cursor is `block:index`.
pub async fn account_transactions(
    db: &Db,
    heads: &FinalityHeads,
    address: Address,
    cursor: Option<(u64, u64)>,
    limit: usize,
) -> DbResult<Page<TxSummary>> {
    let (block, index) = cursor.unwrap_or((u64::MAX >> 1, 0));
    let columns = TX_COLUMNS
        .split(',')
        .map(|c| format!("t.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(&format!(
        "SELECT {columns} FROM account_transactions x JOIN transactions t ON t.hash = x.tx_hash
         WHERE x.address = $1 AND (x.block_number < $2 OR (x.block_number = $2 AND x.idx < $3))
         ORDER BY x.block_number DESC, x.idx DESC LIMIT $4"
    ))
    .bind(hex(address))
    .bind(int(block))
    .bind(int(index))
    .bind(limit as i64)
    .fetch_all(db.pool())
    .await?;
    let items = rows
        .iter()
        .map(|r| tx_summary(r, heads))
        .collect::<DbResult<Vec<_>>>()?;
    Ok(Page::new(items, limit, |t| {
        format!("{}:{}", t.block_number, t.index)
    }))
}

/// The status of a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    /// In its challenge window, or past it and not yet finalized, with no open game.
    Pending,
    /// A game on it is being played.
    Challenged,
    /// Invalidated (it lost a game, or a proposal it builds on did).
    Invalidated,
    /// Finalized.
    Finalized,
}

/// An output-root proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalView {
    /// Proposal index.
    pub index: u64,
    /// L1 block it was made in.
    pub l1_block: u64,
    /// L1 transaction.
    pub l1_tx_hash: B256,
    /// Proposer.
    pub proposer: Address,
    /// The L2 block the root is claimed for.
    pub l2_block: u64,
    /// The claimed output root.
    pub output_root: B256,
    /// The proposal it builds on (absent: genesis).
    pub parent: Option<u64>,
    /// The parent's L2 block.
    pub parent_l2_block: u64,
    /// Challenges are accepted strictly before this L1 timestamp.
    pub deadline: u64,
    /// Bond in wei, decimal.
    pub bond: String,
    /// Its status.
    pub status: ProposalStatus,
    /// The output root this index derived for `l2_block`, once derived.
    pub derived_output_root: Option<B256>,
    /// Whether the claim equals the derived root (absent until derived).
    pub matches: Option<bool>,
    /// Games played on it.
    pub games: Vec<u64>,
}

/// `GET /proposals`.
pub async fn proposals(db: &Db, cursor: Option<u64>, limit: usize) -> DbResult<Page<ProposalView>> {
    let rows = rows_below(db, "idx", "proposals", "idx", cursor, limit).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        if let Some(p) = proposal(db, u(&r, "idx")?).await? {
            items.push(p);
        }
    }
    Ok(Page::new(items, limit, |p| p.index.to_string()))
}

/// `GET /proposals/{index}`.
pub async fn proposal(db: &Db, index: u64) -> DbResult<Option<ProposalView>> {
    let Some(row) = sqlx::query(&format!(
        "SELECT p.*, (CASE WHEN {VALID_PROPOSAL} THEN 1 ELSE 0 END) AS valid,
            b.output_root AS derived_root
         FROM proposals p LEFT JOIN blocks b ON b.number = p.l2_block WHERE p.idx = $1"
    ))
    .bind(int(index))
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let finalized = sqlx::query(
        "SELECT COUNT(*) FROM rollup_events WHERE kind = 'finalized' AND proposal_idx = $1",
    )
    .bind(int(index))
    .fetch_one(db.pool())
    .await?
    .try_get::<i64, _>(0)?
        > 0;
    let games: Vec<u64> = sqlx::query("SELECT id FROM games WHERE proposal_idx = $1 ORDER BY id")
        .bind(int(index))
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| u(r, "id"))
        .collect::<DbResult<_>>()?;
    let resolved = sqlx::query(
        "SELECT COUNT(*) FROM rollup_events WHERE kind = 'resolved' AND proposal_idx = $1",
    )
    .bind(int(index))
    .fetch_one(db.pool())
    .await?
    .try_get::<i64, _>(0)? as usize;
    let valid = u(&row, "valid")? != 0;
    let status = if finalized {
        ProposalStatus::Finalized
    } else if !valid {
        ProposalStatus::Invalidated
    } else if games.len() > resolved {
        ProposalStatus::Challenged
    } else {
        ProposalStatus::Pending
    };
    let output_root = h(&row, "output_root")?;
    let derived_output_root = opt_h(&row, "derived_root")?;
    Ok(Some(ProposalView {
        index,
        l1_block: u(&row, "l1_block")?,
        l1_tx_hash: h(&row, "l1_tx_hash")?,
        proposer: a(&row, "proposer")?,
        l2_block: u(&row, "l2_block")?,
        output_root,
        parent: opt_u(&row, "parent")?,
        parent_l2_block: u(&row, "parent_l2_block")?,
        deadline: u(&row, "deadline")?,
        bond: s(&row, "bond")?,
        status,
        derived_output_root,
        matches: derived_output_root.map(|d| d == output_root),
        games,
    }))
}

/// One step of a game: its start, a move, or its end. Each carries the disputed range as it stands
/// after the step, and the deadline of the next move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameMove {
    /// `started`, `defended`, `responded`, `adjudicated` or `resolved`.
    pub kind: String,
    /// L1 block.
    pub l1_block: u64,
    /// L1 transaction.
    pub l1_tx_hash: B256,
    /// Who moved: the challenger (`started`, `responded`), the proposer (`defended`), the arbiter
    /// (`adjudicated`); absent for `resolved`, which anyone may trigger.
    pub mover: Option<Address>,
    /// Highest L2 block both players agree on, after this step.
    pub agreed_block: u64,
    /// Its output root.
    pub agreed_root: B256,
    /// Lowest L2 block in dispute, after this step.
    pub disputed_block: u64,
    /// Its claimed output root.
    pub disputed_root: B256,
    /// `defended`: the midpoint block.
    pub mid_block: Option<u64>,
    /// `defended`: the proposer's root for the midpoint.
    pub mid_root: Option<B256>,
    /// `responded`: whether the challenger agreed with the midpoint root.
    pub agree: Option<bool>,
    /// `adjudicated`: whether the arbiter found the proposer's root right.
    pub proposer_wins: Option<bool>,
    /// Who moves next (`defender`, `challenger`, `arbiter`); absent once the game is over.
    pub turn: Option<String>,
    /// The next move's deadline (L1 timestamp); absent once the game is over.
    pub deadline: Option<u64>,
    /// `resolved`: `proposer_wins`, `challenger_wins` or `no_decision`.
    pub outcome: Option<String>,
    /// `resolved`: `adjudicated`, `defender_timed_out`, `challenger_timed_out` or
    /// `arbiter_timed_out`.
    pub resolution: Option<String>,
    /// `resolved`: who was paid (absent for `no_decision`).
    pub winner: Option<Address>,
    /// `resolved`: wei paid to the winner (decimal).
    pub payout: Option<String>,
}

/// A dispute game, as it stands after its moves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameView {
    /// Game id.
    pub id: u64,
    /// The disputed proposal.
    pub proposal_index: u64,
    /// The L1 block it started in.
    pub l1_block: u64,
    /// Challenger.
    pub challenger: Address,
    /// Proposer (defender).
    pub proposer: Address,
    /// Highest L2 block both agree on.
    pub agreed_block: u64,
    /// Its output root.
    pub agreed_root: B256,
    /// Lowest L2 block in dispute.
    pub disputed_block: u64,
    /// Its claimed output root.
    pub disputed_root: B256,
    /// Whose move it is (`defender`, `challenger`, `arbiter`), while open.
    pub turn: String,
    /// The current move's deadline (L1 timestamp).
    pub deadline: u64,
    /// `open`, `proposer_wins`, `challenger_wins` or `no_decision`.
    pub outcome: String,
    /// How it ended.
    pub resolution: Option<String>,
    /// Who decides the single-block step: `trusted_arbiter`, the contract's arbiter address,
    /// trusted in this first version (no proof is checked on L1). A trust assumption, shown as such.
    pub adjudication: String,
    /// Every move, in order.
    pub moves: Vec<GameMove>,
}

/// [`GameView::adjudication`] of every game: this version's trusted arbiter.
pub const TRUSTED_ARBITER: &str = "trusted_arbiter";

/// `GET /games`.
pub async fn games(db: &Db, cursor: Option<u64>, limit: usize) -> DbResult<Page<GameView>> {
    let rows = rows_below(db, "id", "games", "id", cursor, limit).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        if let Some(g) = game(db, u(&r, "id")?).await? {
            items.push(g);
        }
    }
    Ok(Page::new(items, limit, |g| g.id.to_string()))
}

/// `GET /games/{id}`: the game row folded with its moves.
pub async fn game(db: &Db, id: u64) -> DbResult<Option<GameView>> {
    let Some(row) = sqlx::query("SELECT * FROM games WHERE id = $1")
        .bind(int(id))
        .fetch_optional(db.pool())
        .await?
    else {
        return Ok(None);
    };
    let mut game = GameView {
        id,
        proposal_index: u(&row, "proposal_idx")?,
        l1_block: u(&row, "l1_block")?,
        challenger: a(&row, "challenger")?,
        proposer: a(&row, "proposer")?,
        agreed_block: u(&row, "agreed_block")?,
        agreed_root: h(&row, "agreed_root")?,
        disputed_block: u(&row, "disputed_block")?,
        disputed_root: h(&row, "disputed_root")?,
        turn: s(&row, "turn")?,
        deadline: u(&row, "deadline")?,
        outcome: "open".into(),
        resolution: None,
        adjudication: TRUSTED_ARBITER.into(),
        moves: Vec::new(),
    };
    let mut step = GameMove {
        kind: "started".into(),
        l1_block: game.l1_block,
        l1_tx_hash: h(&row, "l1_tx_hash")?,
        mover: Some(game.challenger),
        agreed_block: game.agreed_block,
        agreed_root: game.agreed_root,
        disputed_block: game.disputed_block,
        disputed_root: game.disputed_root,
        mid_block: None,
        mid_root: None,
        agree: None,
        proposer_wins: None,
        turn: Some(game.turn.clone()),
        deadline: Some(game.deadline),
        outcome: None,
        resolution: None,
        winner: None,
        payout: None,
    };
    game.moves.push(step.clone());
    for r in sqlx::query(
        "SELECT kind, l1_block, l1_tx_hash, data FROM rollup_events WHERE game_id = $1
         ORDER BY l1_block, log_index",
    )
    .bind(int(id))
    .fetch_all(db.pool())
    .await?
    {
        let data: serde_json::Value =
            serde_json::from_str(&s(&r, "data")?).map_err(|e| corrupt("game event", e))?;
        let num = |k: &str| data.get(k).and_then(serde_json::Value::as_u64);
        let text = |k: &str| data.get(k).and_then(serde_json::Value::as_str);
        let root = |k: &str| text(k).and_then(|t| B256::from_str(t).ok());
        let address = |k: &str| text(k).and_then(|t| Address::from_str(t).ok());
        let flag = |k: &str| data.get(k).and_then(serde_json::Value::as_bool);
        step = GameMove {
            kind: s(&r, "kind")?,
            l1_block: u(&r, "l1_block")?,
            l1_tx_hash: h(&r, "l1_tx_hash")?,
            mover: None,
            mid_block: None,
            mid_root: None,
            agree: None,
            proposer_wins: None,
            ..step
        };
        match step.kind.as_str() {
            "defended" => {
                step.mover = address("mover");
                step.mid_block = num("mid_block");
                step.mid_root = root("mid_root");
                step.turn = Some("challenger".into());
                step.deadline = num("deadline");
            }
            "responded" => {
                step.mover = address("mover");
                step.agree = flag("agree");
                step.agreed_block = num("agreed_block").unwrap_or(step.agreed_block);
                step.agreed_root = root("agreed_root").unwrap_or(step.agreed_root);
                step.disputed_block = num("disputed_block").unwrap_or(step.disputed_block);
                step.disputed_root = root("disputed_root").unwrap_or(step.disputed_root);
                step.turn = text("turn").map(str::to_owned);
                step.deadline = num("deadline");
            }
            "adjudicated" => {
                step.mover = address("arbiter");
                step.proposer_wins = flag("proposer_wins");
            }
            "resolved" => {
                step.turn = None;
                step.deadline = None;
                step.outcome = text("outcome").map(str::to_owned);
                step.resolution = text("resolution").map(str::to_owned);
                step.winner = address("winner").filter(|w| !w.is_zero());
                step.payout = text("payout").map(str::to_owned);
            }
            _ => {}
        }
        game.agreed_block = step.agreed_block;
        game.agreed_root = step.agreed_root;
        game.disputed_block = step.disputed_block;
        game.disputed_root = step.disputed_root;
        if let (Some(turn), Some(deadline)) = (&step.turn, step.deadline) {
            game.turn = turn.clone();
            game.deadline = deadline;
        }
        if let Some(outcome) = &step.outcome {
            game.outcome = outcome.clone();
            game.resolution = step.resolution.clone();
        }
        game.moves.push(step.clone());
    }
    Ok(Some(game))
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    /// `block`, `transaction`, `batch`, `account` or `proposal`.
    pub kind: String,
    /// Its id in the API: the path after `/api/v1/` that shows it.
    pub path: String,
}

/// `GET /search?q=`: a block number or batch index, a block or transaction hash (or a batch's L1
/// transaction), an address.
pub async fn search(db: &Db, q: &str) -> DbResult<Vec<SearchHit>> {
    let q = q.trim();
    let mut hits = Vec::new();
    let hit = |kind: &str, path: String| SearchHit {
        kind: kind.to_owned(),
        path,
    };
    let exists = |sql: &'static str, value: String| async move {
        let row = sqlx::query(sql)
            .bind(value)
            .fetch_optional(db.pool())
            .await?;
        Ok::<bool, DbError>(row.is_some())
    };
    let number = q.strip_prefix('#').unwrap_or(q);
    if let Ok(n) = number.parse::<u64>() {
        let n = int(n);
        if sqlx::query("SELECT 1 FROM blocks WHERE number = $1")
            .bind(n)
            .fetch_optional(db.pool())
            .await?
            .is_some()
        {
            hits.push(hit("block", format!("blocks/{n}")));
        }
        if sqlx::query("SELECT 1 FROM batches WHERE idx = $1")
            .bind(n)
            .fetch_optional(db.pool())
            .await?
            .is_some()
        {
            hits.push(hit("batch", format!("batches/{n}")));
        }
        if sqlx::query("SELECT 1 FROM proposals WHERE idx = $1")
            .bind(n)
            .fetch_optional(db.pool())
            .await?
            .is_some()
        {
            hits.push(hit("proposal", format!("proposals/{n}")));
        }
    } else if let Ok(hash) = B256::from_str(q) {
        let key = hex(hash);
        if exists("SELECT 1 FROM blocks WHERE hash = $1", key.clone()).await? {
            hits.push(hit("block", format!("blocks/{key}")));
        }
        if exists("SELECT 1 FROM transactions WHERE hash = $1", key.clone()).await? {
            hits.push(hit("transaction", format!("txs/{key}")));
        }
        for r in sqlx::query("SELECT idx FROM batches WHERE l1_tx_hash = $1 ORDER BY idx")
            .bind(key.clone())
            .fetch_all(db.pool())
            .await?
        {
            hits.push(hit("batch", format!("batches/{}", u(&r, "idx")?)));
        }
    } else if let Ok(address) = Address::from_str(q) {
        hits.push(hit("account", format!("accounts/{}", hex(address))));
    }
    Ok(hits)
}
