//! The read snapshot the API answers from: what the indexer commits meanwhile stays out of it.

use indexer::index::db::Db;
use sqlx::Row;

use super::{Backend, fresh_database};

async fn a_snapshot_keeps_seeing_what_was_committed_when_it_first_read(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&fresh_database(backend, dir.path(), "snapshot").await)
        .await
        .expect("the index opens");
    let count = "SELECT COUNT(*) FROM l1_finality";
    let write = |n: i64| {
        sqlx::query("INSERT INTO l1_finality (number, observed_at) VALUES ($1, $1)").bind(n)
    };
    write(1).execute(db.pool()).await.expect("insert");

    let mut snapshot = db.snapshot().await.expect("a snapshot");
    let seen = |row: sqlx::any::AnyRow| row.try_get::<i64, _>(0).expect("a count");
    let first = seen(
        sqlx::query(count)
            .fetch_one(&mut *snapshot)
            .await
            .expect("read"),
    );
    assert_eq!(first, 1);
    // Two commits from another connection while the snapshot is open.
    write(2).execute(db.pool()).await.expect("insert");
    write(3).execute(db.pool()).await.expect("insert");
    let again = seen(
        sqlx::query(count)
            .fetch_one(&mut *snapshot)
            .await
            .expect("read"),
    );
    assert_eq!(
        again, 1,
        "the snapshot saw a commit made after its first read"
    );
    drop(snapshot);

    let after = seen(sqlx::query(count).fetch_one(db.pool()).await.expect("read"));
    assert_eq!(after, 3, "outside the snapshot, every commit shows");
    db.close().await;
}

#[tokio::test]
async fn sqlite_snapshots_are_isolated() {
    a_snapshot_keeps_seeing_what_was_committed_when_it_first_read(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_snapshots_are_isolated() {
    a_snapshot_keeps_seeing_what_was_committed_when_it_first_read(Backend::Postgres).await;
}
