//! The sequencer's own SQLite tables (prefixed `seq_`): genesis record, blocks, state trie nodes,
//! contract code and the mempool.
//!
//! A block, its new trie nodes and code, and the removal of its transactions from the mempool are
//! written in one SQLite transaction, so a crash at any moment leaves either the block with all of its
//! state, or neither. A transaction accepted by `eth_sendRawTransaction` is written before its hash is
//! returned; transactions accepted together are committed together.

use std::{path::Path, str::FromStr, time::Duration};

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes};
use alloy_rlp::Decodable;
use serde::{Deserialize, Serialize};
use sqlx::{
    QueryBuilder, Row, Sqlite, SqlitePool, Transaction,
    query_builder::Separated,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use tokio::sync::{mpsc, oneshot};

use super::SequencedBlock;
use crate::genesis::RollupGenesis;
use light_node::{L2Receipt, L2Transaction};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("sequencer database: {0}")]
    Sql(#[from] sqlx::Error),
    /// A group of mempool writes failed (each caller of the group gets the same message).
    #[error("sequencer database: {0}")]
    GroupWrite(String),
    /// The mempool writer stopped (the runtime is shutting down).
    #[error("sequencer database: the mempool writer has stopped")]
    WriterGone,
    /// A stored row does not decode (the file was changed by something else, or is corrupt).
    #[error("sequencer database holds a malformed {what}: {reason}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Why it does not decode.
        reason: String,
    },
    /// The files could not be synced to disk.
    #[error("sequencer database: cannot sync to disk: {0}")]
    Sync(String),
}

/// Result alias of this module.
pub(crate) type Result<T, E = StoreError> = std::result::Result<T, E>;

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS seq_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS seq_blocks (
        number INTEGER PRIMARY KEY,
        hash BLOB NOT NULL UNIQUE,
        header BLOB NOT NULL,
        body TEXT NOT NULL
    )",
    // Without an index on the hash: nodes are only ever read all at once, and the sequencer keeps
    // the set of hashes written so far (`written_nodes`), so each node is appended once, at the
    // end of the table, instead of at a random place in an index as large as the state.
    "CREATE TABLE IF NOT EXISTS seq_trie_nodes (hash BLOB NOT NULL, rlp BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS seq_codes (hash BLOB PRIMARY KEY, code BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS seq_mempool (
        hash BLOB PRIMARY KEY,
        seq INTEGER NOT NULL,
        raw BLOB NOT NULL
    )",
];

/// One transaction of a stored block body: its EIP-2718 bytes and sender (so loading needs no
/// signature recovery).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredTx {
    raw: Bytes,
    sender: Address,
}

/// A stored block body.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredBody {
    transactions: Vec<StoredTx>,
    receipts: Vec<L2Receipt>,
}

/// The sequencer's database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    mempool: mpsc::UnboundedSender<MempoolWrite>,
    /// The database file and its write-ahead log, for [`Store::sync`].
    files: [std::path::PathBuf; 2],
}

/// A transaction waiting for the mempool writer, and who to tell once it is committed.
#[derive(Debug)]
struct MempoolWrite {
    hash: B256,
    seq: u64,
    raw: Bytes,
    done: oneshot::Sender<Result<(), String>>,
}

/// Rows per multi-row statement: SQLite binds at most 32,766 values in one.
const ROWS_PER_STATEMENT: usize = 1_000;

impl Store {
    /// Opens (creating if needed) the database at `path`.
    pub async fn open(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL survives a crash of the process (not of the machine) without losing
            // a committed transaction.
            .synchronous(SqliteSynchronous::Normal)
            // Trie nodes and transactions are keyed by hash, so every block inserts at random
            // places in those indexes; with SQLite's default 2 MiB of cache each insert soon reads
            // its page back from the file. Up to 256 MiB, taken as the database grows.
            .pragma("cache_size", "-262144")
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        for statement in SCHEMA {
            sqlx::query(statement).execute(&pool).await?;
        }
        let (mempool, writes) = mpsc::unbounded_channel();
        tokio::spawn(write_mempool(pool.clone(), writes));
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        Ok(Self {
            pool,
            mempool,
            files: [path.to_path_buf(), wal.into()],
        })
    }

    /// The genesis record, if this database has one.
    pub async fn genesis(&self) -> Result<Option<RollupGenesis>> {
        let row = sqlx::query("SELECT value FROM seq_meta WHERE key = 'genesis'")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            let text: String = row.get(0);
            serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                what: "genesis record",
                reason: e.to_string(),
            })
        })
        .transpose()
    }

    /// The last block the latest reset onto the derived chain adopted (0 before any): blocks up to
    /// it are derivation's, some forced without a batch, so a restarted batcher does not post them.
    pub async fn reset_head(&self) -> Result<u64> {
        let row = sqlx::query("SELECT value FROM seq_meta WHERE key = 'reset_head'")
            .fetch_optional(&self.pool)
            .await?;
        row.map_or(Ok(0), |row| {
            let text: String = row.get(0);
            text.parse()
                .map_err(|e: std::num::ParseIntError| StoreError::Corrupt {
                    what: "reset head",
                    reason: e.to_string(),
                })
        })
    }

    /// Records [`Store::reset_head`].
    pub async fn set_reset_head(&self, number: u64) -> Result<()> {
        sqlx::query("INSERT OR REPLACE INTO seq_meta (key, value) VALUES ('reset_head', ?)")
            .bind(number.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records the genesis: its record, block 0, and the genesis state's trie nodes.
    pub async fn init_genesis(
        &self,
        genesis: &RollupGenesis,
        block: &SequencedBlock,
        nodes: &[(B256, Bytes)],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let text = serde_json::to_string(genesis).map_err(|e| StoreError::Corrupt {
            what: "genesis record",
            reason: e.to_string(),
        })?;
        sqlx::query("INSERT INTO seq_meta (key, value) VALUES ('genesis', ?)")
            .bind(text)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.insert_block(block, nodes, &[], &[]).await
    }

    /// Writes a block with the trie nodes and code it created, and drops the given transactions from
    /// the mempool, atomically.
    pub async fn insert_block(
        &self,
        block: &SequencedBlock,
        nodes: &[(B256, Bytes)],
        codes: &[(B256, Bytes)],
        drop_from_mempool: &[B256],
    ) -> Result<()> {
        let body = StoredBody {
            transactions: block
                .transactions
                .iter()
                .map(|t| StoredTx {
                    raw: t.encoded(),
                    sender: t.sender(),
                })
                .collect(),
            receipts: block.receipts.clone(),
        };
        let body = serde_json::to_string(&body).map_err(|e| StoreError::Corrupt {
            what: "block body",
            reason: e.to_string(),
        })?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO seq_blocks (number, hash, header, body) VALUES (?, ?, ?, ?)")
            .bind(block.header.number as i64)
            .bind(block.hash.as_slice())
            .bind(alloy_rlp::encode(&block.header))
            .bind(body)
            .execute(&mut *tx)
            .await?;
        for (table, rows) in [
            ("seq_trie_nodes (hash, rlp)", nodes),
            ("seq_codes (hash, code)", codes),
        ] {
            insert_rows(
                &mut tx,
                &format!("INSERT OR IGNORE INTO {table} "),
                rows,
                |mut row, (hash, value)| {
                    row.push_bind(hash.as_slice()).push_bind(value.as_ref());
                },
            )
            .await?;
        }
        delete_from_mempool(&mut tx, drop_from_mempool).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes every block written so far durable: with `synchronous = NORMAL` a commit reaches the
    /// write-ahead log but is synced to disk only at a checkpoint, so a power loss could take the
    /// newest blocks. The batcher calls this before it posts blocks to L1, so that L1 never holds a
    /// block the sequencer could lose. (`fsync` flushes a file's data whichever descriptor asks.)
    pub async fn sync(&self) -> Result<()> {
        let files = self.files.clone();
        tokio::task::spawn_blocking(move || {
            for file in files {
                match std::fs::File::open(&file) {
                    Ok(f) => f.sync_all()?,
                    // No log: everything is in the database file.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })
        .await
        .map_err(|e| StoreError::Sync(e.to_string()))?
        .map_err(|e| StoreError::Sync(e.to_string()))
    }

    /// Deletes the blocks from `number` on (the sequencer rewinds onto the derived chain). Trie nodes
    /// and code stay: they are content-addressed, and harmless.
    pub async fn truncate_from(&self, number: u64) -> Result<()> {
        sqlx::query("DELETE FROM seq_blocks WHERE number >= ?")
            .bind(number as i64)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every stored block, in order.
    pub async fn blocks(&self) -> Result<Vec<SequencedBlock>> {
        let rows = sqlx::query("SELECT number, hash, header, body FROM seq_blocks ORDER BY number")
            .fetch_all(&self.pool)
            .await?;
        let corrupt = |what, reason: String| StoreError::Corrupt { what, reason };
        let mut blocks = Vec::with_capacity(rows.len());
        for row in rows {
            let header_rlp: Vec<u8> = row.get(2);
            let header = Header::decode(&mut header_rlp.as_slice())
                .map_err(|e| corrupt("block header", e.to_string()))?;
            let hash_bytes: Vec<u8> = row.get(1);
            let hash = B256::try_from(hash_bytes.as_slice())
                .map_err(|e| corrupt("block hash", e.to_string()))?;
            let body: String = row.get(3);
            let body: StoredBody =
                serde_json::from_str(&body).map_err(|e| corrupt("block body", e.to_string()))?;
            let mut transactions = Vec::with_capacity(body.transactions.len());
            for stored in body.transactions {
                transactions.push(
                    decode_known_sender(&stored.raw, stored.sender)
                        .map_err(|e| corrupt("block transaction", e))?,
                );
            }
            blocks.push(SequencedBlock {
                header,
                hash,
                transactions,
                receipts: body.receipts,
            });
        }
        Ok(blocks)
    }

    /// Every stored trie node.
    pub async fn trie_nodes(&self) -> Result<Vec<Bytes>> {
        let rows = sqlx::query("SELECT rlp FROM seq_trie_nodes")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| Bytes::from(row.get::<Vec<u8>, _>(0)))
            .collect())
    }

    /// Every stored contract code.
    pub async fn codes(&self) -> Result<Vec<Bytes>> {
        let rows = sqlx::query("SELECT code FROM seq_codes")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| Bytes::from(row.get::<Vec<u8>, _>(0)))
            .collect())
    }

    /// Persists a transaction the mempool accepted, returning once it is committed. Transactions
    /// arriving together are committed together, in one SQLite transaction.
    pub async fn add_to_mempool(&self, hash: B256, seq: u64, raw: Bytes) -> Result<()> {
        let (done, committed) = oneshot::channel();
        self.mempool
            .send(MempoolWrite {
                hash,
                seq,
                raw,
                done,
            })
            .map_err(|_| StoreError::WriterGone)?;
        committed
            .await
            .map_err(|_| StoreError::WriterGone)?
            .map_err(StoreError::GroupWrite)
    }

    /// Removes transactions from the persisted mempool.
    pub async fn remove_from_mempool(&self, hashes: &[B256]) -> Result<()> {
        if hashes.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        delete_from_mempool(&mut tx, hashes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The persisted mempool, in arrival order.
    pub async fn mempool(&self) -> Result<Vec<Bytes>> {
        let rows = sqlx::query("SELECT raw FROM seq_mempool ORDER BY seq")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| Bytes::from(row.get::<Vec<u8>, _>(0)))
            .collect())
    }
}

/// Commits mempool writes in groups: whatever arrived while the previous group was being written.
async fn write_mempool(pool: SqlitePool, mut writes: mpsc::UnboundedReceiver<MempoolWrite>) {
    let mut group = Vec::new();
    while writes.recv_many(&mut group, 4 * ROWS_PER_STATEMENT).await > 0 {
        let result = async {
            let mut tx = pool.begin().await?;
            insert_rows(
                &mut tx,
                "INSERT OR REPLACE INTO seq_mempool (hash, seq, raw) ",
                &group,
                |mut row, w| {
                    row.push_bind(w.hash.as_slice())
                        .push_bind(w.seq as i64)
                        .push_bind(w.raw.as_ref());
                },
            )
            .await?;
            tx.commit().await
        }
        .await
        .map_err(|e: sqlx::Error| e.to_string());
        for write in group.drain(..) {
            // A caller that went away no longer needs the answer.
            let _ = write.done.send(result.clone());
        }
    }
}

/// Inserts `rows` with `insert` (the statement up to `VALUES`), many rows per statement.
async fn insert_rows<'a, T>(
    tx: &mut Transaction<'_, Sqlite>,
    insert: &str,
    rows: &'a [T],
    bind: impl Fn(Separated<'_, 'a, Sqlite, &'static str>, &'a T),
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut statement = QueryBuilder::<Sqlite>::new(insert);
        statement.push_values(chunk, &bind);
        statement.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Deletes the given transactions from the persisted mempool, many per statement.
async fn delete_from_mempool(
    tx: &mut Transaction<'_, Sqlite>,
    hashes: &[B256],
) -> Result<(), sqlx::Error> {
    for chunk in hashes.chunks(ROWS_PER_STATEMENT) {
        let mut statement = QueryBuilder::<Sqlite>::new("DELETE FROM seq_mempool WHERE hash IN (");
        let mut list = statement.separated(", ");
        for hash in chunk {
            list.push_bind(hash.as_slice());
        }
        statement.push(")");
        statement.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Decodes a stored transaction whose sender is already known.
fn decode_known_sender(raw: &[u8], sender: Address) -> Result<L2Transaction, String> {
    use alloy_eips::eip2718::Decodable2718;
    if raw.first() == Some(&light_node::DEPOSIT_TX_TYPE) {
        return L2Transaction::decode_2718(raw).map_err(|e| e.to_string());
    }
    let mut buf = raw;
    let tx = alloy_consensus::TxEnvelope::decode_2718(&mut buf).map_err(|e| e.to_string())?;
    Ok(L2Transaction::User { tx, sender })
}
