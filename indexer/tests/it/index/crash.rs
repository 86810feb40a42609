//! Crashes: `indexer follow` is killed with SIGKILL at random moments while it catches up on a long
//! L1 history, restarted each time, and in the end its index equals a clean derivation.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy::providers::Provider;
use indexer::{anvil::free_loopback_addr, api::StatusResponse, index};

use super::{Backend, fresh_database, recipient};
use crate::{
    index::reorg::without_state,
    sequencer::{
        end_to_end::{Harness, wait_posted, wait_receipt},
        transfer,
    },
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_index_killed_at_random_moments_ends_equal_to_a_clean_derivation() {
    survives_kills(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_index_killed_at_random_moments_ends_equal_to_a_clean_derivation() {
    survives_kills(Backend::Postgres).await;
}

async fn survives_kills(backend: Backend) {
    // L1 blocks mined after the traffic, so that catching up takes a while.
    let empty_l1_blocks = crate::chaos::scale("INDEX_L1_BLOCKS", 1500);
    let h = Harness::start().await;
    let dir = tempfile::tempdir().expect("temp dir");

    // A history of blocks, batches and proposals on L1.
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut last = 0;
    for (i, sender) in [4usize, 5, 6, 7].into_iter().enumerate() {
        let signer = indexer::genesis::dev_signer(sender);
        for nonce in 0..5 {
            let hash = *h
                .l2
                .send_raw_transaction(&transfer(&signer, nonce, recipient(i as u8), 1 + nonce))
                .await
                .expect("transfer")
                .tx_hash();
            last = last.max(
                wait_receipt(&h.l2, hash, deadline)
                    .await
                    .block_number
                    .expect("mined"),
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    wait_posted(&h, last).await;
    // Stop L1 so that every run of the indexer and the clean derivation see the same chain.
    let _: serde_json::Value =
        h.l1.raw_request("evm_setIntervalMining".into(), (0u64,))
            .await
            .expect("stop mining");
    // Then a long stretch of L1 blocks to catch up on. The batcher and the proposer post into it
    // while it is mined, and the sequencing window of the last origins closes in it, so derivation
    // also generates empty blocks and drops the batches that no longer fit.
    let _: serde_json::Value =
        h.l1.raw_request("anvil_mine".into(), (empty_l1_blocks, 1u64))
            .await
            .expect("anvil_mine");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let head = h.l1.get_block_number().await.expect("head");

    let url = fresh_database(backend, dir.path(), "crash").await;
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).expect("dist");
    std::fs::write(dist.join("index.html"), "<!doctype html>").expect("index.html");
    let follow = Follow {
        l1: h.l1_url(),
        rollup: index::db::hex(h.devnet.genesis.rollup),
        config: h._dir.path().join("rollup.json"),
        database: url.clone(),
        dist,
        data: dir.path().join("follow"),
    };
    let http = reqwest::Client::new();
    let mut random = crate::chaos::Xorshift::seeded("CRASH_SEED");
    // How many times the indexer is killed mid-derivation (besides one kill during start-up).
    let kills = crate::chaos::scale("INDEX_KILLS", 5);

    // A kill during start-up: connecting, migrating, discovering the genesis.
    let mut child = follow.spawn(&dir.path().join("run-0.log"));
    tokio::time::sleep(Duration::from_millis(random.below(400))).await;
    kill(&mut child);

    // Kills while the index catches up: each run is killed a random moment after it has derived
    // something new, until a run reaches L1's head.
    let mut progress = Vec::new();
    let mut derived = 0;
    for run in 1.. {
        let log = dir.path().join(format!("run-{run}.log"));
        let (mut child, status) = follow.spawn_and_serve(&log, &http).await;
        let now = wait_progress(&status, &http, &mut child, derived, head, &log).await;
        if run > kills || now >= head {
            derived = wait_progress(&status, &http, &mut child, head - 1, head, &log).await;
            kill(&mut child);
            progress.push(derived);
            break;
        }
        tokio::time::sleep(Duration::from_millis(random.below(150))).await;
        kill(&mut child);
        derived = now;
        progress.push(derived);
    }
    eprintln!(
        "crash test: seed {:#x}, L1 head {head}, derived L1 block at each kill {progress:?}",
        random.seed
    );
    assert!(
        progress.iter().filter(|&&p| p < head).count() >= 2,
        "at least two kills landed mid-derivation: {progress:?} of {head}"
    );
    assert_eq!(derived, head, "the last run reached L1's head");

    // The index left by the killed runs equals a clean derivation of the same L1 chain.
    let killed = index::db::Db::open(&url).await.expect("the index opens");
    let clean = super::derive_again(&h, &h.l1_url(), backend, dir.path(), head).await;
    assert_eq!(
        killed.orphaned_rows().await.expect("invariant query"),
        Vec::<(String, i64)>::new(),
        "no row refers to an L1 block the index does not hold"
    );
    let dump = killed.dump().await.expect("dump");
    assert!(
        dump.contains(&index::db::hex(
            h.devnet.sequencer.block(last).expect("block").hash
        )),
        "the index holds the last transfer's block"
    );
    let dump = without_state(&dump);
    assert_eq!(
        dump,
        without_state(&clean.shared.db.dump().await.expect("dump")),
        "the index after {} kills equals a clean derivation",
        progress.len()
    );
    let landed = progress.iter().filter(|&&p| p < head).count();
    crate::chaos::Figures {
        case: 8,
        test: "indexer killed while it derives",
        tried: progress.len() as u64 + 1,
        faults: progress.len() as u64 + 1,
        compared: dump.lines().count() as u64,
        detail: format!(
            "seed {:#x}: SIGKILL at start-up and {} times mid-derivation ({landed} before L1's head, at L1 blocks {progress:?} of {head}); the index dump ({} lines) equals a clean derivation",
            random.seed,
            progress.len(),
            dump.lines().count()
        ),
    }
    .report();
}

/// `indexer follow` over the devnet's deployment.
struct Follow {
    l1: String,
    rollup: String,
    config: std::path::PathBuf,
    database: String,
    dist: std::path::PathBuf,
    data: std::path::PathBuf,
}

impl Follow {
    fn spawn_on(&self, log: &Path, addr: std::net::SocketAddr) -> Child {
        let log = std::fs::File::create(log).expect("log file");
        Command::new(env!("CARGO_BIN_EXE_indexer"))
            .args(["follow", "--l1-rpc", &self.l1, "--rollup", &self.rollup])
            .arg("--rollup-config")
            .arg(&self.config)
            .args(["--database-url", &self.database])
            .arg("--dist")
            .arg(&self.dist)
            .arg("--data-dir")
            .arg(&self.data)
            .args(["--http-addr", &addr.to_string()])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log.try_clone().expect("log file"))
            .spawn()
            .expect("indexer follow starts")
    }

    fn spawn(&self, log: &Path) -> Child {
        self.spawn_on(log, free_loopback_addr().expect("port"))
    }

    /// Spawns the indexer and returns it with its status URL once it answers.
    async fn spawn_and_serve(&self, log: &Path, http: &reqwest::Client) -> (Child, String) {
        let addr = free_loopback_addr().expect("port");
        let mut child = self.spawn_on(log, addr);
        let status = format!("http://{addr}/api/v1/status");
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            if http.get(&status).send().await.is_ok() {
                return (child, status);
            }
            if let Ok(Some(exit)) = child.try_wait() {
                panic!("indexer follow exited with {exit}: {}", read(log));
            }
            assert!(
                Instant::now() < until,
                "indexer follow never served: {}",
                read(log)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Polls the indexer until it has derived past `after` (or reached `head`); returns its progress.
async fn wait_progress(
    status: &str,
    http: &reqwest::Client,
    child: &mut Child,
    after: u64,
    head: u64,
    log: &Path,
) -> u64 {
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(response) = http.get(status).send().await {
            let status: StatusResponse = response.json().await.expect("a status");
            assert_eq!(status.index.error, None, "the indexer reports no error");
            let derived = status.index.derived_l1_block;
            if derived > after || derived >= head {
                return derived;
            }
        }
        if let Ok(Some(exit)) = child.try_wait() {
            panic!("indexer follow exited with {exit}: {}", read(log));
        }
        assert!(
            Instant::now() < until,
            "the indexer made no progress past L1 block {after}: {}",
            read(log)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// SIGKILL: no destructor, no flush, no goodbye.
fn kill(child: &mut Child) {
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
}

fn read(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}
