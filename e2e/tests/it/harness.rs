//! Starting a devnet (anvil + the explorer server, in process) and a headless Chromium.

use std::{
    path::PathBuf,
    process::Stdio,
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder, wd::Capabilities};
use indexer::{
    anvil::{Anvil, AnvilConfig, find_anvil, free_loopback_addr},
    api::ApiState,
    challenger::{Challenger, ChallengerConfig, ChallengerKeys},
    devnet, index,
    l1::L1Client,
    server,
    traffic::Traffic,
};
use tokio::{process::Child, sync::oneshot};

/// The workspace root.
pub(crate) fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("e2e lives in the workspace")
        .into()
}

/// Where tests leave screenshots: `target/e2e/` of the workspace.
pub(crate) fn artifacts_dir() -> PathBuf {
    let dir = workspace_root().join("target/e2e");
    std::fs::create_dir_all(&dir).expect("creating target/e2e");
    dir
}

/// anvil, the rollup's roles, the indexer and the explorer server, in process on free loopback ports.
pub(crate) struct Devnet {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _index: index::RunningIndex,
    _roles: devnet::Devnet,
    _data: tempfile::TempDir,
    _anvil: Anvil,
    pub(crate) l1: L1Client,
    pub(crate) url: String,
    stop: Option<oneshot::Sender<()>>,
}

impl Devnet {
    pub(crate) async fn start() -> Self {
        Self::start_with(false).await
    }

    /// With `demo`, as `cargo xtask run` runs it: a faulty proposer (every second proposal wrong),
    /// the challenger with the defender and the arbiter, and the traffic generator; proposals every
    /// 4 blocks and batches every 2 s, so that a game is played within a minute.
    pub(crate) async fn start_with(demo: bool) -> Self {
        let dist = std::env::var_os("EXPLORER_DIST")
            .map_or_else(|| workspace_root().join("dist"), PathBuf::from);
        server::check_dist(&dist)
            .unwrap_or_else(|e| panic!("{e}; the end-to-end tests run under `cargo xtask test`"));
        let anvil_bin = std::env::var_os("ANVIL_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                workspace_root().join(".tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
            });
        let config = AnvilConfig {
            bin: find_anvil(Some(&anvil_bin)),
            addr: free_loopback_addr().expect("a free port"),
            block_time: Some(1),
            log_path: None,
            state: None,
        };
        let anvil = Anvil::start_on_free_port(&config)
            .await
            .expect("anvil starts");
        let l1 = L1Client::new(anvil.url()).expect("anvil URL");

        let listener = server::bind("127.0.0.1:0".parse().expect("address"))
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let data = tempfile::tempdir().expect("a temporary folder");
        let mut config = devnet::DevnetConfig::new(anvil.url(), data.path().join("rollup"));
        config.rpc.addr = free_loopback_addr().expect("a free port");
        if demo {
            config.proposer.interval = 4;
            config.proposer.faulty_every = 2;
            config.batcher.max_age = Duration::from_secs(2);
            config.origin_confirmations = 1;
        }
        let roles = devnet::start(config)
            .await
            .expect("the rollup's roles start");
        let database_url = index::db::sqlite_url(&data.path().join("index.sqlite"));
        let index = index::start(
            &database_url,
            anvil.url(),
            roles.genesis.clone(),
            Some(roles.sequencer.clone()),
            index::IndexerConfig::default(),
        )
        .await
        .expect("the indexer starts");
        let mut tasks = Vec::new();
        if demo {
            use alloy::providers::{Provider as _, ProviderBuilder};
            let provider = ProviderBuilder::new()
                .connect_http(anvil.url().parse().expect("url"))
                .erased();
            let keys = ChallengerKeys::devnet(&provider, &Default::default())
                .await
                .expect("challenger keys");
            let challenger = Challenger::new(
                index.shared.clone(),
                provider,
                keys,
                ChallengerConfig::default(),
            );
            tasks.push(tokio::spawn(challenger.run()));
            let mut traffic = Traffic::new(
                roles.rpc_url(),
                anvil.url().to_owned(),
                roles.genesis.rollup,
            );
            traffic.interval = Duration::from_millis(700);
            tasks.push(tokio::spawn(traffic.run()));
        }
        let router = server::router(
            ApiState {
                l1: l1.clone(),
                index: index.shared.clone(),
                public_l1_rpc: Some(anvil.url().to_owned()),
                subscribers: Default::default(),
            },
            &dist,
        );
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(server::serve(listener, router, async move {
            let _ = stopped.await;
        }));
        Self {
            tasks,
            _index: index,
            _roles: roles,
            _data: data,
            _anvil: anvil,
            l1,
            url,
            stop: Some(stop),
        }
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A chromedriver process and a WebDriver session in headless Chromium.
pub(crate) struct Browser {
    pub(crate) client: Client,
    /// chromedriver, leader of a process group of its own that the browsers it starts join.
    driver: Child,
}

impl Drop for Browser {
    /// Stops chromedriver and every browser process it started, also when a test failed before
    /// it closed the session.
    fn drop(&mut self) {
        if let Some(pid) = self.driver.id().and_then(|pid| i32::try_from(pid).ok()) {
            // SAFETY: `kill` has no memory effects; the group is the one chromedriver leads.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
}

impl Browser {
    pub(crate) async fn start() -> Self {
        let driver_bin =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_loopback_addr().expect("a free port").port();
        let driver = tokio::process::Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver_bin}: {e}"));

        let mut caps = Capabilities::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--window-size=1280,900",
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            match ClientBuilder::new(connector.clone())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) if Instant::now() > deadline => panic!("chromedriver session failed: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        Self { client, driver }
    }

    /// Saves a PNG screenshot of the page under `target/e2e/`.
    pub(crate) async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let path = artifacts_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("writing the screenshot");
        println!("screenshot: {}", path.display());
        path
    }

    /// Text of the element with `id`, if it is on the page.
    pub(crate) async fn text_by_id(&self, id: &str) -> Option<String> {
        let el = self.client.find(fantoccini::Locator::Id(id)).await.ok()?;
        el.text().await.ok()
    }

    /// Fails the test with the app's own words when it stopped (a panic, shown as `#crash`).
    pub(crate) async fn assert_running(&self) {
        if let Some(crash) = self.text_by_id("crash").await {
            panic!("the app crashed: {crash}");
        }
    }

    pub(crate) async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// Polls `f` until it returns `Some`, or panics with `what` after `timeout`.
pub(crate) async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
