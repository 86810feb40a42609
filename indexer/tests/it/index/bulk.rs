//! One L1 block's write with more rows than one insert statement holds (`Rows::PER_STATEMENT`):
//! every transaction, account link, log, account change, skipped transaction and trie node reads
//! back whole and in the right columns, on SQLite and on PostgreSQL, and a rollback removes them.

use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_consensus::Header;
use indexer::index::{
    Db,
    rows::{AccountRow, BlockRow, BlockWrite, L1BlockRow, L1BlockWrite, LogRow, TxRow},
};
use light_node::SkippedTransaction;
use sqlx::Row;

use super::{Backend, fresh_database};

/// More than two full statements and a shorter last one.
const TXS: u64 = 1_201;

fn hash(tag: &str, i: u64) -> B256 {
    keccak256(format!("{tag} {i}"))
}

fn address(i: u64) -> Address {
    Address::from_word(hash("address", i))
}

/// A block of `TXS` transactions; every seventh sends to itself (one account link, not two).
fn write() -> L1BlockWrite {
    let transactions: Vec<TxRow> = (0..TXS)
        .map(|i| TxRow {
            hash: hash("tx", i),
            index: i,
            tx_type: 2,
            from: address(i),
            to: Some(if i % 7 == 0 {
                address(i)
            } else {
                address(i + 1)
            }),
            contract_address: None,
            nonce: i * 3,
            value: U256::from(i) * U256::from(1_000_000_007u64),
            gas_limit: 21_000 + i,
            gas_used: 21_000,
            effective_gas_price: 1_000_000_000 + u128::from(i),
            success: i % 5 != 0,
            deposit_nonce: (i % 11 == 0).then_some(i),
            raw: Bytes::from(i.to_be_bytes().to_vec()),
        })
        .collect();
    let logs = (0..TXS)
        .map(|i| LogRow {
            log_index: i,
            tx_hash: hash("tx", i),
            tx_index: i,
            address: address(i),
            topics: (0..(i % 5)).map(|t| hash("topic", i * 10 + t)).collect(),
            data: Bytes::from(vec![i as u8; (i % 40) as usize]),
        })
        .collect();
    let accounts = (0..TXS)
        .map(|i| AccountRow {
            address: address(i),
            nonce: i,
            balance: U256::from(i) << 100,
            code_hash: hash("code", i),
        })
        .collect();
    let header = Header {
        number: 1,
        gas_limit: 30_000_000,
        ..Header::default()
    };
    let block = BlockWrite {
        row: BlockRow {
            hash: header.hash_slow(),
            header,
            output_root: hash("output", 1),
            l1_origin: 1,
            l1_origin_hash: hash("l1", 1),
            l1_block: 1,
            batch_index: None,
            tx_count: TXS,
        },
        transactions,
        skipped: (0..3)
            .map(|i| SkippedTransaction {
                index: i,
                hash: (i != 1).then(|| hash("skipped", i as u64)),
                reason: format!("reason {i}"),
            })
            .collect(),
        logs,
        accounts,
    };
    // Only new nodes, as the deriver passes them (it keeps the set of nodes written, and the
    // table has no key to deduplicate on: migrations/0004_trie_nodes_unkeyed.sql).
    let nodes: Vec<(B256, Bytes)> = (0..TXS)
        .map(|i| (hash("node", i), Bytes::from(hash("rlp", i).to_vec())))
        .collect();
    L1BlockWrite {
        block: L1BlockRow {
            number: 1,
            hash: hash("l1", 1),
            parent_hash: hash("l1", 0),
            timestamp: 12,
        },
        deposits: Vec::new(),
        batches: Vec::new(),
        blocks: vec![block],
        proposals: Vec::new(),
        games: Vec::new(),
        events: Vec::new(),
        nodes,
        codes: vec![(hash("code", 0), Bytes::from_static(&[0x60, 0x00]))],
    }
}

async fn count(db: &Db, table: &str) -> i64 {
    sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db.pool())
        .await
        .expect("a count")
        .try_get::<i64, _>(0)
        .expect("a number")
}

async fn many_rows_in_one_write(backend: Backend) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = Db::open(&fresh_database(backend, dir.path(), "bulk").await)
        .await
        .expect("the database opens");
    let write = write();
    db.commit(&write).await.expect("the write commits");

    let links = TXS + TXS - TXS.div_ceil(7);
    for (table, rows) in [
        ("transactions", TXS),
        ("account_transactions", links),
        ("logs", TXS),
        ("account_changes", TXS),
        ("skipped_transactions", 3),
        ("trie_nodes", TXS),
        ("codes", 1),
    ] {
        assert_eq!(count(&db, table).await, rows as i64, "{table}");
    }
    // Rows in each statement, the last one included, hold their own values in their own columns.
    for i in [0, 499, 500, 777, 1_000, TXS - 1] {
        let t = &write.blocks[0].transactions[i as usize];
        let row = sqlx::query(
            "SELECT hash, from_address, to_address, nonce, value, gas_limit, effective_gas_price,
                success, deposit_nonce, raw
             FROM transactions WHERE idx = $1",
        )
        .bind(i as i64)
        .fetch_one(db.pool())
        .await
        .expect("the transaction");
        assert_eq!(
            row.try_get::<String, _>(0).unwrap(),
            format!("{:#x}", t.hash)
        );
        assert_eq!(
            row.try_get::<String, _>(1).unwrap(),
            format!("{:#x}", t.from)
        );
        assert_eq!(
            row.try_get::<Option<String>, _>(2).unwrap(),
            t.to.map(|a| format!("{a:#x}"))
        );
        assert_eq!(row.try_get::<i64, _>(3).unwrap(), t.nonce as i64);
        assert_eq!(row.try_get::<String, _>(4).unwrap(), t.value.to_string());
        assert_eq!(row.try_get::<i64, _>(5).unwrap(), t.gas_limit as i64);
        assert_eq!(
            row.try_get::<String, _>(6).unwrap(),
            t.effective_gas_price.to_string()
        );
        assert_eq!(row.try_get::<i64, _>(7).unwrap(), i64::from(t.success));
        assert_eq!(
            row.try_get::<Option<i64>, _>(8).unwrap(),
            t.deposit_nonce.map(|n| n as i64)
        );
        assert_eq!(row.try_get::<Vec<u8>, _>(9).unwrap(), t.raw.to_vec());

        let log = &write.blocks[0].logs[i as usize];
        let row =
            sqlx::query("SELECT address, topic0, topic3, data FROM logs WHERE log_index = $1")
                .bind(i as i64)
                .fetch_one(db.pool())
                .await
                .expect("the log");
        assert_eq!(
            row.try_get::<String, _>(0).unwrap(),
            format!("{:#x}", log.address)
        );
        let topic = |n: usize| log.topics.get(n).map(|t| format!("{t:#x}"));
        assert_eq!(row.try_get::<Option<String>, _>(1).unwrap(), topic(0));
        assert_eq!(row.try_get::<Option<String>, _>(2).unwrap(), topic(3));
        assert_eq!(row.try_get::<Vec<u8>, _>(3).unwrap(), log.data.to_vec());
    }
    let (nodes, codes) = db.state_contents().await.expect("the trie's contents");
    let mut written: Vec<(B256, Bytes)> = write.nodes[..TXS as usize].to_vec();
    written.sort();
    let mut read = nodes;
    read.sort();
    assert_eq!(read, written);
    assert_eq!(codes, write.codes);

    db.rollback_after(0).await.expect("the rollback");
    for table in [
        "transactions",
        "account_transactions",
        "logs",
        "account_changes",
        "skipped_transactions",
    ] {
        assert_eq!(count(&db, table).await, 0, "{table} after the rollback");
    }
    db.close().await;
}

#[tokio::test]
async fn many_rows_in_one_write_on_sqlite() {
    many_rows_in_one_write(Backend::Sqlite).await;
}

#[tokio::test]
async fn many_rows_in_one_write_on_postgres() {
    many_rows_in_one_write(Backend::Postgres).await;
}
