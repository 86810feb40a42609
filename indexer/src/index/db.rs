//! The index database, through sqlx's `Any` driver: a SQLite file by default, PostgreSQL by URL, with
//! the same migrations and the same queries (`$1` placeholders, which both understand).
//!
//! Everything derived from one L1 block is written in one transaction ([`Db::commit`]), so a crash
//! leaves the index at the end of some L1 block, and derivation resumes after it. A rollback to a fork
//! point deletes every row whose `l1_block` is past it ([`Db::rollback_after`]).

use std::{fmt::LowerHex, path::Path, str::FromStr};

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rlp::Decodable;
use light_node::{BlockHashes, Deposit, L1Origin};
use sqlx::{
    Any, AnyPool, Row, Transaction,
    any::{AnyPoolOptions, AnyRow},
    migrate::{Migration, MigrationType, Migrator},
};

use super::rows::{
    BatchRow, BlockRow, DepositRow, EventRow, GameRow, L1BlockRow, L1BlockWrite, ProposalRow,
};
use crate::genesis::RollupGenesis;

/// The schema: `indexer/migrations/`, embedded in the binary as (version, description, SQL), as
/// sqlx's `migrate!` would embed them (the same checksums, so databases made either way agree).
/// The macro is not used because sqlx's macros compile its database drivers a second time, for
/// the compiler: about half a minute of every cold build.
const MIGRATIONS: [(i64, &str, &str); 4] = [
    (1, "index", include_str!("../../migrations/0001_index.sql")),
    (
        2,
        "l1 finality",
        include_str!("../../migrations/0002_l1_finality.sql"),
    ),
    (
        3,
        "batch raw size",
        include_str!("../../migrations/0003_batch_raw_size.sql"),
    ),
    (
        4,
        "trie nodes unkeyed",
        include_str!("../../migrations/0004_trie_nodes_unkeyed.sql"),
    ),
];

/// [`MIGRATIONS`] as a source for sqlx's migrator.
#[derive(Debug)]
struct Embedded;

impl sqlx::migrate::MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> futures_util::future::BoxFuture<'static, Result<Vec<Migration>, sqlx::error::BoxDynError>>
    {
        Box::pin(async { Ok(migrations()) })
    }
}

fn migrations() -> Vec<Migration> {
    MIGRATIONS
        .iter()
        .map(|&(version, description, sql)| {
            Migration::new(
                version,
                description.into(),
                MigrationType::Simple,
                sql.into(),
                false,
            )
        })
        .collect()
}

/// Tables whose rows come from an L1 block, with the column naming it. A rollback empties them past
/// the fork point; the invariant check looks for rows naming an L1 block the index does not hold.
pub const L1_DERIVED_TABLES: &[(&str, &str)] = &[
    ("deposits", "l1_block"),
    ("batches", "l1_block"),
    ("blocks", "l1_block"),
    ("transactions", "l1_block"),
    ("skipped_transactions", "l1_block"),
    ("logs", "l1_block"),
    ("account_transactions", "l1_block"),
    ("account_changes", "l1_block"),
    ("proposals", "l1_block"),
    ("games", "l1_block"),
    ("rollup_events", "l1_block"),
];

/// A database failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names no supported database.
    #[error(
        "unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST:PORT/DATABASE"
    )]
    Url(String),
    /// The database failed.
    #[error("index database: {0}")]
    Sql(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("index database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value does not decode.
    #[error("index database holds a malformed {what}: {reason}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The database indexes another rollup.
    #[error(
        "the index database belongs to rollup {stored} on L1 chain {stored_chain}, not to {asked}"
    )]
    OtherRollup {
        /// The stored rollup.
        stored: Address,
        /// Its L1 chain id.
        stored_chain: u64,
        /// The rollup asked for.
        asked: Address,
    },
}

/// Result alias of the index's storage.
pub type DbResult<T> = Result<T, DbError>;

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The index database.
#[derive(Debug, Clone)]
pub struct Db {
    /// Readers' connections (the API, the challenger, derivation's own reads).
    pool: AnyPool,
    /// The writer's own connection: slow or many readers never make derivation wait for one.
    writer: AnyPool,
    backend: Backend,
}

/// Lowercase 0x-hex, the form every hash and address is stored in.
pub fn hex(value: impl LowerHex) -> String {
    format!("{value:#x}")
}

pub(crate) fn corrupt(what: &'static str, reason: impl ToString) -> DbError {
    DbError::Corrupt {
        what,
        reason: reason.to_string(),
    }
}

pub(crate) fn parse_b256(what: &'static str, text: &str) -> DbResult<B256> {
    B256::from_str(text).map_err(|e| corrupt(what, e))
}

pub(crate) fn parse_u256(what: &'static str, text: &str) -> DbResult<U256> {
    U256::from_str(text).map_err(|e| corrupt(what, e))
}

/// The SQLite URL of a database file.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// `u64` to the `BIGINT` it is stored as (block numbers, gas and nonces all fit).
pub(crate) fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Sets up each new connection: SQLite's get a 64 MiB page cache (the default is 2 MiB), as an
/// index of millions of transactions is gigabytes and deriving it reads the trie's pages back all
/// the time. (A memory map of the file made the API's p99 latency worse while the index grows:
/// every connection remaps the file when its size changes.)
async fn on_connect(conn: &mut sqlx::AnyConnection, backend: Backend) -> Result<(), sqlx::Error> {
    if backend == Backend::Sqlite {
        sqlx::query("PRAGMA cache_size = -65536")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

impl Db {
    /// Connects to `url` (`sqlite://...` or `postgres://...`) and brings the schema up to date.
    pub async fn open(url: &str) -> DbResult<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(DbError::Url(url.to_owned()));
        };
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 8,
            })
            .after_connect(move |conn, _| Box::pin(on_connect(conn, backend)))
            .connect(url)
            .await?;
        if backend == Backend::Sqlite {
            // Readers (the API) and the writer (derivation) work side by side; the mode is a
            // property of the file.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        let writer = AnyPoolOptions::new()
            .max_connections(1)
            .after_connect(move |conn, _| Box::pin(on_connect(conn, backend)))
            .connect(url)
            .await?;
        Migrator::new(Embedded).await?.run(&writer).await?;
        Ok(Self {
            pool,
            writer,
            backend,
        })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for queries.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// One connection from the pool, for a few statements in a row.
    pub async fn connection(&self) -> DbResult<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// A read-only transaction that sees one snapshot of the database: every query in it reads
    /// the same committed state, whatever the indexer commits meanwhile. (SQLite in WAL mode fixes
    /// the snapshot at the first read; PostgreSQL needs `REPEATABLE READ` for it.) Dropping it ends
    /// it.
    pub async fn snapshot(&self) -> DbResult<sqlx::Transaction<'static, sqlx::Any>> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }

    /// The rollup this database indexes, if it was initialised.
    pub async fn genesis(&self) -> DbResult<Option<RollupGenesis>> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = 'genesis'")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            let text: String = row.try_get(0)?;
            serde_json::from_str(&text).map_err(|e| corrupt("genesis record", e))
        })
        .transpose()
    }

    /// Records the rollup, its genesis block and state, or checks that the stored one is the same.
    pub async fn init(
        &self,
        genesis: &RollupGenesis,
        header: &Header,
        nodes: &[(B256, Bytes)],
    ) -> DbResult<()> {
        if let Some(stored) = self.genesis().await? {
            if &stored != genesis {
                return Err(DbError::OtherRollup {
                    stored: stored.rollup,
                    stored_chain: stored.l1_chain_id,
                    asked: genesis.rollup,
                });
            }
            return Ok(());
        }
        let text = serde_json::to_string(genesis).map_err(|e| corrupt("genesis record", e))?;
        let origin = &genesis.l1_origin;
        let mut tx = self.writer.begin().await?;
        sqlx::query("INSERT INTO meta (key, value) VALUES ('genesis', $1)")
            .bind(text)
            .execute(&mut *tx)
            .await?;
        insert_l1_block(
            &mut tx,
            &L1BlockRow {
                number: origin.number,
                hash: origin.hash,
                // The deployment block's parent is not part of the rollup's history.
                parent_hash: B256::ZERO,
                timestamp: origin.timestamp,
            },
        )
        .await?;
        let hash = header.hash_slow();
        insert_block(
            &mut tx,
            &BlockRow {
                header: header.clone(),
                hash,
                output_root: light_node::output_root(header.state_root, hash),
                l1_origin: origin.number,
                l1_origin_hash: origin.hash,
                l1_block: origin.number,
                batch_index: None,
                tx_count: 0,
            },
        )
        .await?;
        insert_nodes(&mut tx, self.backend, nodes, &[]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes everything derived from one L1 block, atomically.
    pub async fn commit(&self, write: &L1BlockWrite) -> DbResult<()> {
        let mut tx = self.writer.begin().await?;
        let l1_block = int(write.block.number);
        insert_l1_block(&mut tx, &write.block).await?;
        for d in &write.deposits {
            insert_deposit(&mut tx, d).await?;
        }
        for b in &write.batches {
            insert_batch(&mut tx, b).await?;
        }
        // The rows of every block go in a few statements of many rows each: one statement per row
        // made the index wait on the database's thread once per row (docs/indexer.md).
        let backend = self.backend;
        let mut transactions = Rows::new(
            backend,
            "transactions (hash, block_number, idx, l1_block, tx_type, from_address, to_address,
                contract_address, nonce, value, gas_limit, gas_used, effective_gas_price, success,
                deposit_nonce, raw)",
            16,
            "",
        );
        let mut account_transactions = Rows::new(
            backend,
            "account_transactions (address, block_number, idx, tx_hash, l1_block)",
            5,
            "ON CONFLICT DO NOTHING",
        );
        let mut skipped = Rows::new(
            backend,
            "skipped_transactions (block_number, position, hash, reason, l1_block)",
            5,
            "",
        );
        let mut logs = Rows::new(
            backend,
            "logs (block_number, log_index, tx_hash, tx_index, address, topic0, topic1, topic2,
                topic3, data, l1_block)",
            11,
            "",
        );
        let mut account_changes = Rows::new(
            backend,
            "account_changes (address, block_number, nonce, balance, code_hash, l1_block)",
            6,
            "",
        );
        for block in &write.blocks {
            insert_block(&mut tx, &block.row).await?;
            let number = Bound::Int(int(block.row.header.number));
            for t in &block.transactions {
                transactions.push([
                    Bound::Text(hex(t.hash)),
                    number.clone(),
                    Bound::Int(int(t.index)),
                    Bound::Int(l1_block),
                    Bound::Int(i64::from(t.tx_type)),
                    Bound::Text(hex(t.from)),
                    Bound::OptText(t.to.map(hex)),
                    Bound::OptText(t.contract_address.map(hex)),
                    Bound::Int(int(t.nonce)),
                    Bound::Text(t.value.to_string()),
                    Bound::Int(int(t.gas_limit)),
                    Bound::Int(int(t.gas_used)),
                    Bound::Text(t.effective_gas_price.to_string()),
                    Bound::Int(i64::from(t.success)),
                    Bound::OptInt(t.deposit_nonce.map(int)),
                    Bound::Blob(t.raw.to_vec()),
                ]);
                for address in t.accounts() {
                    account_transactions.push([
                        Bound::Text(hex(address)),
                        number.clone(),
                        Bound::Int(int(t.index)),
                        Bound::Text(hex(t.hash)),
                        Bound::Int(l1_block),
                    ]);
                }
            }
            for s in &block.skipped {
                skipped.push([
                    number.clone(),
                    Bound::Int(int(s.index as u64)),
                    Bound::OptText(s.hash.map(hex)),
                    Bound::Text(s.reason.clone()),
                    Bound::Int(l1_block),
                ]);
            }
            for log in &block.logs {
                let topic = |i: usize| Bound::OptText(log.topics.get(i).map(hex));
                logs.push([
                    number.clone(),
                    Bound::Int(int(log.log_index)),
                    Bound::Text(hex(log.tx_hash)),
                    Bound::Int(int(log.tx_index)),
                    Bound::Text(hex(log.address)),
                    topic(0),
                    topic(1),
                    topic(2),
                    topic(3),
                    Bound::Blob(log.data.to_vec()),
                    Bound::Int(l1_block),
                ]);
            }
            for a in &block.accounts {
                account_changes.push([
                    Bound::Text(hex(a.address)),
                    number.clone(),
                    Bound::Int(int(a.nonce)),
                    Bound::Text(a.balance.to_string()),
                    Bound::Text(hex(a.code_hash)),
                    Bound::Int(l1_block),
                ]);
            }
        }
        for rows in [
            transactions,
            account_transactions,
            skipped,
            logs,
            account_changes,
        ] {
            rows.insert(&mut tx).await?;
        }
        for p in &write.proposals {
            insert_proposal(&mut tx, p).await?;
        }
        for g in &write.games {
            insert_game(&mut tx, g).await?;
        }
        for e in &write.events {
            insert_event(&mut tx, e).await?;
        }
        insert_nodes(&mut tx, backend, &write.nodes, &write.codes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes everything derived from L1 blocks after `fork` (trie nodes and code stay: they are
    /// content-addressed and harmless).
    pub async fn rollback_after(&self, fork: u64) -> DbResult<()> {
        let mut tx = self.writer.begin().await?;
        for (table, column) in L1_DERIVED_TABLES {
            sqlx::query(&format!("DELETE FROM {table} WHERE {column} > $1"))
                .bind(int(fork))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM l1_blocks WHERE number > $1")
            .bind(int(fork))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The last L1 block taken (number, hash).
    pub async fn last_l1_block(&self) -> DbResult<Option<(u64, B256)>> {
        let row = sqlx::query("SELECT number, hash FROM l1_blocks ORDER BY number DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| l1_pair(&r)).transpose()
    }

    /// The stored hash of L1 block `number`.
    pub async fn l1_hash(&self, number: u64) -> DbResult<Option<B256>> {
        let row = sqlx::query("SELECT hash FROM l1_blocks WHERE number = $1")
            .bind(int(number))
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| parse_b256("L1 block hash", &r.try_get::<String, _>(0)?))
            .transpose()
    }

    /// Records that L1's finalized head is `number`, if it is newer than any recorded, observed at
    /// the timestamp of the newest L1 block the index holds.
    pub async fn record_l1_finalized(&self, number: u64) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO l1_finality (number, observed_at)
             SELECT $1, (SELECT MAX(timestamp) FROM l1_blocks)
             WHERE EXISTS (SELECT 1 FROM l1_blocks)
             AND NOT EXISTS (SELECT 1 FROM l1_finality WHERE number >= $1)",
        )
        .bind(int(number))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The highest derived block at or below `number`, with its state root.
    pub async fn state_root_at_or_below(&self, number: u64) -> DbResult<Option<(u64, B256)>> {
        let row = sqlx::query(
            "SELECT number, state_root FROM blocks WHERE number <= $1 ORDER BY number DESC LIMIT 1",
        )
        .bind(int(number))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok((
                r.try_get::<i64, _>(0)? as u64,
                parse_b256("state root", &r.try_get::<String, _>(1)?)?,
            ))
        })
        .transpose()
    }

    /// The highest L1 block recorded finalized, if any.
    pub async fn l1_finalized(&self) -> DbResult<Option<u64>> {
        let row = sqlx::query("SELECT MAX(number) FROM l1_finality")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<Option<i64>, _>(0)?.map(|n| n as u64))
    }

    /// The output root of derived L2 block `number`.
    pub async fn output_root(&self, number: u64) -> DbResult<Option<B256>> {
        let row = sqlx::query("SELECT output_root FROM blocks WHERE number = $1")
            .bind(int(number))
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| parse_b256("output root", &r.try_get::<String, _>(0)?))
            .transpose()
    }

    /// What the L2 chain that L1 data up to and including `l1_block` derives says of block
    /// `number`: the standard a proposal made in `l1_block` is judged by (a block derived only from
    /// later L1 data was not derivable then).
    pub async fn output_root_as_of(&self, number: u64, l1_block: u64) -> DbResult<AsOf> {
        let row = sqlx::query("SELECT output_root, l1_block FROM blocks WHERE number = $1")
            .bind(int(number))
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = row {
            let derived_in = row.try_get::<i64, _>(1)? as u64;
            if derived_in <= l1_block {
                let root = parse_b256("output root", &row.try_get::<String, _>(0)?)?;
                return Ok(AsOf::Root(root));
            }
            return Ok(AsOf::NotDerivable);
        }
        match self.last_l1_block().await? {
            Some((head, _)) if head >= l1_block => Ok(AsOf::NotDerivable),
            _ => Ok(AsOf::Unknown),
        }
    }

    /// What [`light_node::Deriver::resume`] needs: the safe head, its origin, the hashes before it
    /// and the L1 blocks from its origin on, with their deposits.
    pub async fn resume_parts(&self) -> DbResult<ResumeParts> {
        let row = sqlx::query("SELECT header, l1_origin FROM blocks ORDER BY number DESC LIMIT 1")
            .fetch_one(&self.pool)
            .await?;
        let header_rlp: Vec<u8> = row.try_get(0)?;
        let safe =
            Header::decode(&mut header_rlp.as_slice()).map_err(|e| corrupt("block header", e))?;
        let safe_origin = row.try_get::<i64, _>(1)? as u64;
        let mut hashes = BlockHashes::new();
        for row in sqlx::query("SELECT number, hash FROM blocks WHERE number >= $1 ORDER BY number")
            .bind(int(safe
                .number
                .saturating_sub(light_node::BLOCKHASH_WINDOW)))
            .fetch_all(&self.pool)
            .await?
        {
            let (number, hash) = l1_pair(&row)?;
            hashes.insert(number, hash);
        }
        let mut l1 = Vec::new();
        for row in sqlx::query(
            "SELECT number, hash, timestamp FROM l1_blocks WHERE number >= $1 ORDER BY number",
        )
        .bind(int(safe_origin))
        .fetch_all(&self.pool)
        .await?
        {
            let (number, hash) = l1_pair(&row)?;
            l1.push(L1Origin {
                number,
                hash,
                timestamp: row.try_get::<i64, _>(2)? as u64,
                deposits: Vec::new(),
            });
        }
        let deposits = sqlx::query(
            "SELECT l1_block, nonce, from_address, to_address, mint, gas_limit, data FROM deposits
             WHERE l1_block >= $1 ORDER BY nonce",
        )
        .bind(int(safe_origin))
        .fetch_all(&self.pool)
        .await?;
        for row in deposits {
            let l1_block = row.try_get::<i64, _>(0)? as u64;
            let deposit = Deposit {
                nonce: row.try_get::<i64, _>(1)? as u64,
                from: parse_address(&row.try_get::<String, _>(2)?)?,
                to: parse_address(&row.try_get::<String, _>(3)?)?,
                mint: parse_u256("deposit value", &row.try_get::<String, _>(4)?)?,
                gas_limit: row.try_get::<i64, _>(5)? as u64,
                data: row.try_get::<Vec<u8>, _>(6)?.into(),
            };
            if let Some(origin) = l1.iter_mut().find(|o| o.number == l1_block) {
                origin.deposits.push(deposit);
            }
        }
        Ok(ResumeParts {
            safe,
            safe_origin,
            hashes,
            l1,
        })
    }

    /// Every stored trie node and code, to rebuild the state in memory.
    pub async fn state_contents(&self) -> DbResult<(Vec<(B256, Bytes)>, Vec<(B256, Bytes)>)> {
        let mut nodes = Vec::new();
        for row in sqlx::query("SELECT hash, rlp FROM trie_nodes")
            .fetch_all(&self.pool)
            .await?
        {
            let hash = parse_b256("trie node hash", &row.try_get::<String, _>(0)?)?;
            nodes.push((hash, row.try_get::<Vec<u8>, _>(1)?.into()));
        }
        let mut codes = Vec::new();
        for row in sqlx::query("SELECT hash, code FROM codes")
            .fetch_all(&self.pool)
            .await?
        {
            let hash = parse_b256("code hash", &row.try_get::<String, _>(0)?)?;
            codes.push((hash, row.try_get::<Vec<u8>, _>(1)?.into()));
        }
        Ok((nodes, codes))
    }

    /// Rows naming an L1 block the index does not hold, by table: must always be empty.
    pub async fn orphaned_rows(&self) -> DbResult<Vec<(String, i64)>> {
        let mut out = Vec::new();
        for (table, column) in L1_DERIVED_TABLES {
            let count: i64 = sqlx::query(&format!(
                "SELECT COUNT(*) FROM {table} t WHERE NOT EXISTS
                   (SELECT 1 FROM l1_blocks b WHERE b.number = t.{column})"
            ))
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
            if count > 0 {
                out.push(((*table).to_owned(), count));
            }
        }
        Ok(out)
    }

    /// Every table of the index as text, one line per row in key order: what two runs that derived
    /// the same L1 data must agree on.
    pub async fn dump(&self) -> DbResult<String> {
        const ORDER: &[(&str, &str)] = &[
            ("l1_blocks", "number"),
            ("deposits", "nonce"),
            ("batches", "idx"),
            ("blocks", "number"),
            ("transactions", "block_number, idx"),
            ("skipped_transactions", "block_number, position"),
            ("logs", "block_number, log_index"),
            ("account_transactions", "address, block_number, idx"),
            ("account_changes", "address, block_number"),
            ("proposals", "idx"),
            ("games", "id"),
            ("rollup_events", "l1_block, log_index"),
            ("trie_nodes", "hash"),
            ("codes", "hash"),
        ];
        let mut out = String::new();
        for (table, order) in ORDER {
            out.push_str(&format!("== {table}\n"));
            for row in sqlx::query(&format!("SELECT * FROM {table} ORDER BY {order}"))
                .fetch_all(&self.pool)
                .await?
            {
                out.push_str(&row_text(&row));
                out.push('\n');
            }
        }
        Ok(out)
    }
}

/// An L2 block's output root as L1 data up to some L1 block derives it ([`Db::output_root_as_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// Derivable by then, with this root.
    Root(B256),
    /// Not derivable from L1 data up to that L1 block: any root claimed for it is wrong.
    NotDerivable,
    /// The index has not yet derived up to that L1 block.
    Unknown,
}

/// The parts a deriver resumes from.
#[derive(Debug, Clone)]
pub struct ResumeParts {
    /// The safe head.
    pub safe: Header,
    /// Its L1 origin.
    pub safe_origin: u64,
    /// Hashes of the blocks up to it.
    pub hashes: BlockHashes,
    /// L1 blocks from the safe origin to the last taken, with deposits.
    pub l1: Vec<L1Origin>,
}

fn parse_address(text: &str) -> DbResult<Address> {
    Address::from_str(text).map_err(|e| corrupt("address", e))
}

fn l1_pair(row: &AnyRow) -> DbResult<(u64, B256)> {
    let number = row.try_get::<i64, _>(0)? as u64;
    let hash = parse_b256("hash", &row.try_get::<String, _>(1)?)?;
    Ok((number, hash))
}

/// A row as `col=value` pairs, for dumps.
fn row_text(row: &AnyRow) -> String {
    use sqlx::Column;
    let mut parts = Vec::new();
    for (i, column) in row.columns().iter().enumerate() {
        let value = if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
            v.map_or("NULL".to_owned(), |v| v.to_string())
        } else if let Ok(v) = row.try_get::<Option<String>, _>(i) {
            v.unwrap_or_else(|| "NULL".to_owned())
        } else if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
            v.map_or("NULL".to_owned(), |v| hex(Bytes::from(v)))
        } else {
            "?".to_owned()
        };
        parts.push(format!("{}={value}", column.name()));
    }
    parts.join(" ")
}

type Tx<'a> = Transaction<'a, Any>;

async fn insert_l1_block(tx: &mut Tx<'_>, b: &L1BlockRow) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO l1_blocks (number, hash, parent_hash, timestamp) VALUES ($1, $2, $3, $4)",
    )
    .bind(int(b.number))
    .bind(hex(b.hash))
    .bind(hex(b.parent_hash))
    .bind(int(b.timestamp))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_deposit(tx: &mut Tx<'_>, d: &DepositRow) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO deposits (nonce, l1_block, log_index, l1_tx_hash, from_address, to_address, mint,
            gas_limit, data, l2_tx_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(int(d.deposit.nonce))
    .bind(int(d.l1_block))
    .bind(int(d.log_index))
    .bind(hex(d.l1_tx_hash))
    .bind(hex(d.deposit.from))
    .bind(hex(d.deposit.to))
    .bind(d.deposit.mint.to_string())
    .bind(int(d.deposit.gas_limit))
    .bind(d.deposit.data.to_vec())
    .bind(hex(d.deposit.hash()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_batch(tx: &mut Tx<'_>, b: &BatchRow) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO batches (idx, l1_block, log_index, l1_tx_hash, data_hash, size, status, reason,
            parent_hash, first_block, last_block, data, raw_size)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(int(b.index))
    .bind(int(b.l1_block))
    .bind(int(b.log_index))
    .bind(hex(b.l1_tx_hash))
    .bind(hex(b.data_hash))
    .bind(int(b.size))
    .bind(b.status.as_str())
    .bind(b.reason.clone())
    .bind(b.parent_hash.map(hex))
    .bind(b.blocks.map(|(first, _)| int(first)))
    .bind(b.blocks.map(|(_, last)| int(last)))
    .bind(b.data.as_ref().map(|d| d.to_vec()))
    .bind(b.raw_size.map(int))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_block(tx: &mut Tx<'_>, b: &BlockRow) -> DbResult<()> {
    let h = &b.header;
    sqlx::query(
        "INSERT INTO blocks (number, hash, parent_hash, timestamp, state_root, output_root, gas_used,
            gas_limit, base_fee, tx_count, l1_origin, l1_origin_hash, l1_block, batch_index, header)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(int(h.number))
    .bind(hex(b.hash))
    .bind(hex(h.parent_hash))
    .bind(int(h.timestamp))
    .bind(hex(h.state_root))
    .bind(hex(b.output_root))
    .bind(int(h.gas_used))
    .bind(int(h.gas_limit))
    .bind(int(h.base_fee_per_gas.unwrap_or_default()))
    .bind(int(b.tx_count))
    .bind(int(b.l1_origin))
    .bind(hex(b.l1_origin_hash))
    .bind(int(b.l1_block))
    .bind(b.batch_index.map(int))
    .bind(alloy_rlp::encode(h))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_proposal(tx: &mut Tx<'_>, p: &ProposalRow) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO proposals (idx, l1_block, log_index, l1_tx_hash, proposer, l2_block, output_root,
            parent, parent_l2_block, deadline, bond)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(int(p.index))
    .bind(int(p.l1_block))
    .bind(int(p.log_index))
    .bind(hex(p.l1_tx_hash))
    .bind(hex(p.proposer))
    .bind(int(p.l2_block))
    .bind(hex(p.output_root))
    .bind(p.parent.map(int))
    .bind(int(p.parent_l2_block))
    .bind(int(p.deadline))
    .bind(p.bond.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_game(tx: &mut Tx<'_>, g: &GameRow) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO games (id, proposal_idx, l1_block, log_index, l1_tx_hash, challenger, proposer,
            agreed_block, agreed_root, disputed_block, disputed_root, turn, deadline)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(int(g.id))
    .bind(int(g.proposal_index))
    .bind(int(g.l1_block))
    .bind(int(g.log_index))
    .bind(hex(g.l1_tx_hash))
    .bind(hex(g.challenger))
    .bind(hex(g.proposer))
    .bind(int(g.agreed_block))
    .bind(hex(g.agreed_root))
    .bind(int(g.disputed_block))
    .bind(hex(g.disputed_root))
    .bind(g.turn.clone())
    .bind(int(g.deadline))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_event(tx: &mut Tx<'_>, e: &EventRow) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO rollup_events (l1_block, log_index, l1_tx_hash, kind, proposal_idx, game_id,
            l2_block, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(int(e.l1_block))
    .bind(int(e.log_index))
    .bind(hex(e.l1_tx_hash))
    .bind(e.kind)
    .bind(e.proposal_index.map(int))
    .bind(e.game_id.map(int))
    .bind(e.l2_block.map(int))
    .bind(e.data.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_nodes(
    tx: &mut Tx<'_>,
    backend: Backend,
    nodes: &[(B256, Bytes)],
    codes: &[(B256, Bytes)],
) -> DbResult<()> {
    for (table, content) in [
        ("trie_nodes (hash, rlp)", nodes),
        ("codes (hash, code)", codes),
    ] {
        let mut rows = Rows::new(backend, table, 2, "ON CONFLICT DO NOTHING");
        for (hash, bytes) in content {
            rows.push([Bound::Text(hex(hash)), Bound::Blob(bytes.to_vec())]);
        }
        rows.insert(tx).await?;
    }
    Ok(())
}

/// A value bound to a placeholder of a [`Rows`] statement.
#[derive(Debug, Clone)]
enum Bound {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Blob(Vec<u8>),
}

/// Rows for one table, inserted with statements of up to [`Rows::PER_STATEMENT`] rows each
/// (`INSERT INTO t (a, b) VALUES (?, ?), (?, ?) …`): one round trip to the database per
/// statement, not per row.
///
/// SQLite gets anonymous placeholders (`?`), PostgreSQL numbered ones (`$1`, the only kind it
/// has). Numbered placeholders would cost SQLite time quadratic in their count: the driver looks
/// up every parameter's name, and SQLite finds a name by scanning the statement's list of them.
/// With thousands of placeholders per statement that lookup was most of the index's time.
#[derive(Debug)]
struct Rows {
    backend: Backend,
    /// `table (column, …)`.
    target: &'static str,
    columns: usize,
    /// What follows the values (`ON CONFLICT DO NOTHING`, or nothing).
    conflict: &'static str,
    values: Vec<Bound>,
}

impl Rows {
    /// Rows per statement: well under SQLite's 32,766 and PostgreSQL's 65,535 placeholders for
    /// every table here, and under SQLite's 1 MB of SQL text.
    const PER_STATEMENT: usize = 500;

    fn new(backend: Backend, target: &'static str, columns: usize, conflict: &'static str) -> Self {
        Self {
            backend,
            target,
            columns,
            conflict,
            values: Vec::new(),
        }
    }

    fn push<const N: usize>(&mut self, row: [Bound; N]) {
        debug_assert_eq!(N, self.columns, "a row of {}", self.target);
        self.values.extend(row);
    }

    /// The statement for `rows` rows.
    fn statement(&self, rows: usize) -> String {
        let mut sql = format!("INSERT INTO {} VALUES ", self.target);
        for row in 0..rows {
            sql.push_str(if row == 0 { "(" } else { ", (" });
            for column in 0..self.columns {
                if column > 0 {
                    sql.push_str(", ");
                }
                match self.backend {
                    Backend::Sqlite => sql.push('?'),
                    Backend::Postgres => {
                        sql.push_str(&format!("${}", row * self.columns + column + 1));
                    }
                }
            }
            sql.push(')');
        }
        if !self.conflict.is_empty() {
            sql.push(' ');
            sql.push_str(self.conflict);
        }
        sql
    }

    async fn insert(mut self, tx: &mut Tx<'_>) -> DbResult<()> {
        let per_statement = Self::PER_STATEMENT * self.columns;
        let full = self.statement(Self::PER_STATEMENT);
        let mut values = std::mem::take(&mut self.values).into_iter().peekable();
        while values.peek().is_some() {
            let chunk: Vec<Bound> = values.by_ref().take(per_statement).collect();
            let rows = chunk.len() / self.columns;
            let partial;
            let sql = if rows == Self::PER_STATEMENT {
                &full
            } else {
                partial = self.statement(rows);
                &partial
            };
            // Full statements are prepared once and kept; the last, shorter one of each table
            // varies in length and is not kept.
            let mut query = sqlx::query(sql).persistent(rows == Self::PER_STATEMENT);
            for value in chunk {
                query = match value {
                    Bound::Int(v) => query.bind(v),
                    Bound::OptInt(v) => query.bind(v),
                    Bound::Text(v) => query.bind(v),
                    Bound::OptText(v) => query.bind(v),
                    Bound::Blob(v) => query.bind(v),
                };
            }
            query.execute(&mut **tx).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    /// Every file of `indexer/migrations/` is embedded, with the version and description sqlx
    /// reads from its name (`0004_trie_nodes_unkeyed.sql`: 4, "trie nodes unkeyed"), and nothing
    /// else is.
    #[test]
    fn every_migration_file_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<(i64, String, String)> = std::fs::read_dir(&dir)
            .expect("the migrations folder")
            .map(|entry| {
                let path = entry.expect("a migration file").path();
                let name = path.file_name().and_then(|n| n.to_str()).expect("a name");
                let (version, description) = name
                    .strip_suffix(".sql")
                    .and_then(|stem| stem.split_once('_'))
                    .unwrap_or_else(|| panic!("{name} is not VERSION_DESCRIPTION.sql"));
                (
                    version.parse().expect("a numeric version"),
                    description.replace('_', " "),
                    std::fs::read_to_string(&path).expect("a readable file"),
                )
            })
            .collect();
        files.sort();
        let embedded: Vec<(i64, String, String)> = super::MIGRATIONS
            .iter()
            .map(|&(version, description, sql)| (version, description.into(), sql.into()))
            .collect();
        assert_eq!(embedded, files);
    }
}
