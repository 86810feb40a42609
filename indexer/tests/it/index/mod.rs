//! The indexer on anvil: derivation from L1 alone into SQLite and PostgreSQL, the REST API, live
//! events, L1 reorgs, garbage batches and crashes.

mod api;
mod bulk;
mod crash;
mod dropped;
mod games;
mod garbage;
mod l1_outage;
mod load;
mod reorg;
mod reorgs;
mod replay;
mod snapshot;
mod unappliable;
mod window;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use alloy::{network::EthereumWallet, primitives::Address, providers::ProviderBuilder};
use indexer::{
    anvil::free_loopback_addr,
    api::ApiState,
    index::{self, IndexShared, RunningIndex},
    l1::L1Client,
    server,
};

use crate::sequencer::end_to_end::Harness;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database of `backend`: a SQLite file in `dir`, or a new PostgreSQL database on
/// the server `cargo xtask test` starts (`TEST_POSTGRES_URL`).
pub(crate) async fn fresh_database(backend: Backend, dir: &std::path::Path, name: &str) -> String {
    match backend {
        Backend::Sqlite => index::db::sqlite_url(&dir.join(format!("{name}.sqlite"))),
        Backend::Postgres => {
            let admin = std::env::var("TEST_POSTGRES_URL").expect(
                "TEST_POSTGRES_URL names the PostgreSQL server of the tests; run them with `cargo xtask test`, which starts one",
            );
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&admin).await.expect("PostgreSQL");
            let db = format!(
                "idx_{name}_{}_{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("clock")
                    .as_nanos()
                    % 1_000_000_000
            );
            sqlx::query(&format!("CREATE DATABASE {db}"))
                .execute(&pool)
                .await
                .expect("create database");
            pool.close().await;
            let base = admin.rsplit_once('/').expect("a database in the URL").0;
            format!("{base}/{db}")
        }
    }
}

/// The devnet harness plus an indexer and the explorer's HTTP server.
pub(crate) struct IndexHarness {
    pub(crate) h: Harness,
    pub(crate) index: RunningIndex,
    pub(crate) api: String,
    pub(crate) http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
    pub(crate) dir: tempfile::TempDir,
}

impl IndexHarness {
    pub(crate) async fn start(backend: Backend, name: &str) -> Self {
        Self::start_with(backend, name, |_| {}).await
    }

    /// Starts the harness with `adjust` applied to the devnet's configuration.
    pub(crate) async fn start_with(
        backend: Backend,
        name: &str,
        adjust: impl FnOnce(&mut indexer::devnet::DevnetConfig),
    ) -> Self {
        let h = Harness::start_with(adjust).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let url = fresh_database(backend, dir.path(), name).await;
        let index = start_index(&h, &url).await;
        let dist = dir.path().join("dist");
        std::fs::create_dir_all(&dist).expect("dist");
        std::fs::write(dist.join("index.html"), "<!doctype html>").expect("index.html");
        let listener = server::bind(free_loopback_addr().expect("port"))
            .await
            .expect("bind");
        let api = format!("http://{}/api/v1", listener.local_addr().expect("addr"));
        let l1 = L1Client::new(&h.l1_url()).expect("L1 client");
        let router = server::router(
            ApiState {
                l1,
                index: index.shared.clone(),
                public_l1_rpc: Some(h.l1_url()),
                subscribers: Default::default(),
            },
            &dist,
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server::serve(listener, router, async move {
            let _ = stopped.await;
        }));
        Self {
            h,
            index,
            api,
            http: reqwest::Client::new(),
            _stop: stop,
            dir,
        }
    }

    pub(crate) fn shared(&self) -> &Arc<IndexShared> {
        &self.index.shared
    }

    /// GETs `path` under `/api/v1`, returning the status and the JSON body, which must follow the
    /// OpenAPI document's schema for that route and status.
    pub(crate) async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.api))
            .send()
            .await
            .expect("API request");
        let status = response.status().as_u16();
        let body = response.json().await.expect("a JSON body");
        if let Err(e) = indexer::openapi::validate(path, status, &body) {
            panic!("GET {path} answered {status} outside the OpenAPI document: {e}\n{body}");
        }
        (status, body)
    }

    /// GETs `path` and decodes a 200 response as `T` (the Rust type the server serialised).
    pub(crate) async fn get_ok<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_value(body.clone())
            .unwrap_or_else(|e| panic!("GET {path} returned an unexpected shape ({e}): {body}"))
    }

    /// Waits until the index's safe head reaches `number`.
    pub(crate) async fn wait_safe(&self, number: u64, within: Duration) {
        wait_index(self.shared(), number, within).await;
    }
}

impl Harness {
    pub(crate) fn l1_url(&self) -> String {
        self._anvil.url().to_owned()
    }

    /// A provider signing with dev key `index` on L1.
    pub(crate) fn l1_wallet(&self, index: usize) -> alloy::providers::DynProvider {
        use alloy::providers::Provider as _;
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(indexer::genesis::dev_signer(index)))
            .connect_provider(self.l1.clone())
            .erased()
    }
}

/// Replaces L1's newest `depth` blocks with empty ones (`anvil_reorg`).
pub(crate) async fn reorg_l1(h: &Harness, depth: u64) {
    use alloy::providers::Provider as _;
    let _: serde_json::Value =
        h.l1.raw_request(
            "anvil_reorg".into(),
            (depth, Vec::<serde_json::Value>::new()),
        )
        .await
        .expect("anvil_reorg");
}

/// Asserts that the sequencer's blocks `from..=to` are the derived ones the API serves.
pub(crate) async fn assert_sequencer_is_derived(x: &IndexHarness, from: u64, to: u64) {
    for n in from..=to {
        let derived: serde_json::Value = x.get_ok(&format!("/blocks/{n}")).await;
        let ours =
            x.h.devnet
                .sequencer
                .block(n)
                .expect("the sequencer has it")
                .hash;
        assert_eq!(derived["hash"], serde_json::json!(ours), "block {n}");
    }
}

pub(crate) async fn start_index(h: &Harness, url: &str) -> RunningIndex {
    let config = index::IndexerConfig {
        poll: Duration::from_millis(200),
        ..Default::default()
    };
    index::start(
        url,
        &h.l1_url(),
        h.devnet.genesis.clone(),
        Some(h.devnet.sequencer.clone()),
        config,
    )
    .await
    .expect("the indexer starts")
}

pub(crate) async fn wait_index(shared: &IndexShared, number: u64, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let status = shared.status();
        if status.safe_head >= number {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the index's safe head stayed at {} (wanted {number}); status {status:?}",
            status.safe_head
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The index's blocks equal the sequencer's, hash for hash, and no row names an orphaned L1 block.
/// Returns how many blocks were compared.
pub(crate) async fn assert_consistent(
    shared: &IndexShared,
    sequencer: &indexer::sequencer::Sequencer,
) -> u64 {
    use sqlx::Row;
    let rows = sqlx::query("SELECT number, hash FROM blocks ORDER BY number")
        .fetch_all(shared.db.pool())
        .await
        .expect("blocks");
    assert!(!rows.is_empty());
    for (i, row) in rows.iter().enumerate() {
        let number = row.get::<i64, _>(0) as u64;
        assert_eq!(number, i as u64, "the derived chain has no gaps");
        let hash: String = row.get(1);
        let sequenced = sequencer
            .block(number)
            .expect("the sequencer has the block");
        assert_eq!(
            hash,
            index::db::hex(sequenced.hash),
            "derived block {number} equals the sequencer's"
        );
    }
    assert_eq!(
        shared.db.orphaned_rows().await.expect("invariant query"),
        Vec::<(String, i64)>::new(),
        "no row refers to an L1 block the index does not hold"
    );
    assert!(shared.status().divergence.is_none());
    rows.len() as u64
}

/// An L2 address that never sends: a recipient.
pub(crate) fn recipient(i: u8) -> Address {
    Address::repeat_byte(0xa0 + i)
}

/// Stops L1's mining and returns its head once every index in `indexes` has taken all of it.
pub(crate) async fn freeze_l1(h: &Harness, indexes: &[&IndexShared]) -> u64 {
    use alloy::providers::Provider as _;
    let _: serde_json::Value =
        h.l1.raw_request("evm_setIntervalMining".into(), (0u64,))
            .await
            .expect("stop mining");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let head = h.l1.get_block_number().await.expect("head");
    for shared in indexes {
        wait_derived(shared, head).await;
    }
    head
}

/// Waits until `shared` has derived L1 up to block `head`.
pub(crate) async fn wait_derived(shared: &IndexShared, head: u64) {
    let until = Instant::now() + Duration::from_secs(180);
    while shared.status().derived_l1_block < head {
        assert!(
            Instant::now() < until,
            "an index stopped at L1 block {} of {head}: {:?}",
            shared.status().derived_l1_block,
            shared.status()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A second index of the deployment, derived from scratch from the L1 at `l1_url` into a fresh
/// `backend` database up to L1 block `head`.
pub(crate) async fn derive_again(
    h: &Harness,
    l1_url: &str,
    backend: Backend,
    dir: &std::path::Path,
    head: u64,
) -> RunningIndex {
    let url = fresh_database(backend, dir, "again").await;
    let again = index::start(
        &url,
        l1_url,
        h.devnet.genesis.clone(),
        None,
        index::IndexerConfig::default(),
    )
    .await
    .expect("a second indexer");
    wait_derived(&again.shared, head).await;
    again
}
