//! The explorer's REST API under a fixed request rate, on an index of a million transactions: the
//! block, transaction and account routes, each loaded by h2load at 1,000 requests per second,
//! beside anvil answering the same questions over JSON-RPC (block by number, transaction receipt,
//! balance) about the L1 chain the index was derived from, loaded the same way.
//!
//! The index is made once by a real devnet and cached outside the repository (see [`cache_dir`]):
//! `indexer devnet` on an anvil that saves its chain, fed pre-signed transfers through its L2
//! endpoint until the index holds them all. Each run then serves a copy of that index with
//! `indexer follow`, over an anvil that loads the saved chain.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use bench::{Figure, workload::Key};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::sequencer::{Processes, Rpc, devnet, free_port, fund, logged, transfer};

/// Most bytes of transactions in one L2 block of the devnet that makes the index (the index's
/// layout, `v2` in `cache_dir`: blocks of up to about 7,700 transfers, one round of the senders').
const INDEX_BLOCK_BYTES: usize = 2 * 1024 * 1024;
/// The request rate of every run.
const RATE: u32 = 1_000;
/// The goal for every route's p99 at [`RATE`], in milliseconds.
const P99_GOAL_MS: f64 = 20.0;
/// Senders of the transfers that fill the index.
const SENDERS: usize = 128;
/// Transfers each sender sends per round: two rounds in flight stay under the mempool's 20,000
/// and each sender's 256 pending transactions.
const PER_ROUND: usize = 60;
/// How long each route and its peer are loaded, uncounted, before the measured runs.
const WARM_UP_SECONDS: u64 = 1;
/// Targets sampled for the URL lists.
const SAMPLES: usize = 5_000;
/// The load generator's streams (processes of one connection each) that share [`RATE`].
const STREAMS: usize = 16;

/// What the cached index holds, written once it is complete.
#[derive(Debug, Serialize, Deserialize)]
struct IndexMeta {
    /// Transfers sent (all included and indexed).
    transfers: usize,
    /// The L2 head once they were.
    l2_head: u64,
    /// The Rollup contract.
    rollup: Address,
    /// A sample of the transfers' hashes.
    tx_hashes: Vec<B256>,
    /// Senders and a sample of recipients.
    accounts: Vec<Address>,
}

/// Where the index of `transfers` transfers is kept: `$BENCH_CACHE`, or `~/.cache/rollup-explorer`.
fn cache_dir(transfers: usize) -> PathBuf {
    let base = std::env::var_os("BENCH_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/rollup-explorer")))
        .unwrap_or_else(|| std::env::temp_dir().join("rollup-explorer-cache"));
    // `v2`: blocks of up to 2 MiB of transactions (the first index had the sequencer's 256 KiB);
    // `v3`: trie nodes without a key (the server's migration 0004, which would otherwise rewrite
    // the copy each run serves).
    base.join(format!("api-index-v3-{transfers}"))
}

/// Sends `SIGTERM` and waits for the process to exit (anvil saves its chain on the way out).
fn terminate(child: &mut std::process::Child, within: Duration) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let until = Instant::now() + within;
    while Instant::now() < until {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// GETs `url` as JSON.
pub(super) fn get(url: &str) -> Result<Value, String> {
    reqwest::blocking::get(url)
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.json())
        .map_err(|e| format!("{url}: {e}"))
}

/// Waits until the explorer at `http` says its safe head reached `head`, saying every 15 s where
/// the index is.
pub(super) fn wait_safe(http: u16, head: u64, within: Duration, log: &Path) {
    let started = Instant::now();
    let until = started + within;
    let url = format!("http://127.0.0.1:{http}/api/v1/status");
    let mut said = started;
    loop {
        let asked = Instant::now();
        let status = get(&url);
        let safe = status.as_ref().ok().and_then(|s| s["l2"]["safe"].as_u64());
        if let Some(safe) = safe.filter(|s| *s >= head) {
            println!(
                "index: safe head {safe} (waited for {head}) after {:.0} s",
                started.elapsed().as_secs_f64()
            );
            return;
        }
        if said.elapsed() >= Duration::from_secs(15) {
            said = Instant::now();
            println!(
                "index: safe head {} of {head} after {:.0} s (status answered in {} ms{})",
                safe.map_or("unknown".to_owned(), |s| s.to_string()),
                started.elapsed().as_secs_f64(),
                asked.elapsed().as_millis(),
                status.err().map_or(String::new(), |e| format!(": {e}"))
            );
        }
        if Instant::now() >= until {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            panic!(
                "the index did not reach block {head} in {within:?} (safe: {safe:?}); the server's last lines:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Makes the cached index of `transfers` transfers if it is not there yet.
fn ensure_index(indexer: &Path, anvil: &str, transfers: usize) -> (PathBuf, IndexMeta) {
    let dir = cache_dir(transfers);
    if let Some(meta) = std::fs::read(dir.join("meta.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<IndexMeta>(&b).ok())
    {
        println!("api: using the cached index in {}", dir.display());
        return (dir, meta);
    }
    println!(
        "api: making an index of {transfers} transfers in {} (once; it takes minutes)",
        dir.display()
    );
    let building = dir.with_extension("partial");
    let _ = std::fs::remove_dir_all(&building);
    std::fs::create_dir_all(&building).expect("a cache folder");
    let (l1, http, l2) = (free_port(), free_port(), free_port());
    let l1_url = format!("http://127.0.0.1:{l1}");
    let mut l1_node = super::sequencer::anvil(anvil, l1)
        .arg("--state")
        .arg(building.join("l1-state.json"))
        .spawn()
        .expect("anvil starts");
    assert!(
        Rpc::new(l1_url.clone()).wait_up(Duration::from_secs(30)),
        "anvil did not come up"
    );
    let log_path = building.join("devnet.log");
    let mut server = logged(
        devnet(indexer, &l1_url, &building.join("devnet"), http, l2)
            .args(["--max-block-bytes", &INDEX_BLOCK_BYTES.to_string()]),
        &log_path,
    )
    .spawn()
    .expect("indexer devnet starts");
    let rpc = Rpc::new(format!("http://127.0.0.1:{l2}"));
    assert!(
        rpc.wait_up(Duration::from_secs(120)),
        "the devnet's L2 endpoint did not come up; see {}",
        log_path.display()
    );
    let chain_id = 42069;
    let keys: Vec<Key> = (0..SENDERS).map(|i| Key::new(10_000 + i)).collect();
    let senders: Vec<Address> = keys.iter().map(|k| k.address).collect();
    let mut nonces = Vec::new();
    for group in senders.chunks(128) {
        nonces.extend(fund(&rpc, chain_id, group));
    }

    let per_sender = transfers.div_ceil(SENDERS);
    let recipient = |s: usize, j: usize| {
        Address::from_word(keccak256(
            [B256::from(U256::from(s)).0, B256::from(U256::from(j)).0].concat(),
        ))
    };
    let (mut tx_hashes, mut accounts) = (Vec::new(), senders.clone());
    let every = (transfers / SAMPLES).max(1);
    let mut sent = 0usize;
    let mut previous: Option<Vec<u64>> = None;
    let started = Instant::now();
    for first in (0..per_sender).step_by(PER_ROUND) {
        let count = PER_ROUND.min(per_sender - first);
        let round = sign_round(&keys, &nonces, chain_id, first, count, &recipient);
        for (i, (raw, to)) in round.iter().enumerate() {
            if (sent + i).is_multiple_of(every) {
                tx_hashes.push(keccak256(raw));
                accounts.push(*to);
            }
        }
        let raws: Vec<Bytes> = round.into_iter().map(|(raw, _)| raw).collect();
        // Two rounds in flight at most: wait for the one before this one.
        if let Some(targets) = previous.take() {
            rpc.wait_nonces(&senders, &targets, Duration::from_secs(600));
        }
        rpc.send(&raws);
        sent += raws.len();
        let targets: Vec<u64> = nonces.iter().map(|n| n + count as u64).collect();
        previous = Some(targets.clone());
        nonces = targets;
        if (first / PER_ROUND).is_multiple_of(20) {
            println!(
                "api: {sent} of {} transfers sent ({:.0} s)",
                per_sender * SENDERS,
                started.elapsed().as_secs_f64()
            );
        }
    }
    rpc.wait_nonces(&senders, &nonces, Duration::from_secs(600));
    let l2_head = rpc.block_number().expect("the L2 head");
    println!(
        "api: {sent} transfers included by block {l2_head} in {:.0} s; waiting for the index",
        started.elapsed().as_secs_f64()
    );
    wait_safe(http, l2_head, Duration::from_secs(1800), &log_path);
    terminate(&mut server, Duration::from_secs(60));
    terminate(&mut l1_node, Duration::from_secs(120));

    let record: Value = serde_json::from_slice(
        &std::fs::read(building.join("devnet/rollup/rollup.json"))
            .expect("the devnet's rollup.json"),
    )
    .expect("rollup.json is JSON");
    let rollup = record["rollup"]
        .as_str()
        .and_then(|a| a.parse().ok())
        .expect("rollup.json names the Rollup contract");
    let meta = IndexMeta {
        transfers: sent,
        l2_head,
        rollup,
        tx_hashes,
        accounts,
    };
    std::fs::write(
        building.join("meta.json"),
        serde_json::to_vec(&meta).expect("the record serializes"),
    )
    .expect("the record is written");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&building, &dir).expect("the finished index is moved in place");
    (dir, meta)
}

/// One round of pre-signed transfers: `count` from each sender from nonce `nonces[s]`, signed on
/// every core, with their recipients; in nonce order per sender.
fn sign_round(
    keys: &[Key],
    nonces: &[u64],
    chain_id: u64,
    first: usize,
    count: usize,
    recipient: &(dyn Fn(usize, usize) -> Address + Sync),
) -> Vec<(Bytes, Address)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = keys.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = keys
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for (k, key) in part.iter().enumerate() {
                        let s = c * chunk + k;
                        for j in 0..count {
                            let to = recipient(s, first + j);
                            let raw =
                                transfer(key, chain_id, nonces[s] + j as u64, to, U256::from(1u64));
                            out.push((raw, to));
                        }
                    }
                    out
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().expect("a signing thread"))
            .collect()
    })
}

/// What the load generator measured in one run.
#[derive(Debug, Clone, Copy)]
struct Load {
    p50_ms: f64,
    p99_ms: f64,
    per_s: f64,
}

/// What one run asks: GETs of URLs (each stream walks its own share of them), or JSON-RPC
/// bodies POSTed to one URL (h2load posts one body per stream, so each stream repeats one).
enum Questions<'a> {
    Gets(&'a [String]),
    Posts { url: &'a str, bodies: &'a [String] },
}

/// Loads the server at [`RATE`] for `seconds` with h2load (Debian's nghttp2-client): [`STREAMS`]
/// processes side by side, each one HTTP/1.1 connection at `RATE / STREAMS` requests per second,
/// each logging every request's status and time. (One h2load with many connections sends each
/// connection's requests at the same instants, in bursts.) `turn` rotates which of the POST bodies the
/// streams take, so that successive runs ask different questions. Every answer must be a 200.
fn load(h2load: &str, dir: &Path, questions: &Questions<'_>, seconds: u64, turn: usize) -> Load {
    let rate = f64::from(RATE) / STREAMS as f64;
    // Each stream sends every `STREAMS / RATE` seconds from its start: the streams start
    // `1 / RATE` seconds apart, so that together they send evenly, not in bursts.
    let started = Instant::now();
    let streams: Vec<_> = (0..STREAMS)
        .map(|i| {
            let start = started + Duration::from_secs_f64(i as f64 / f64::from(RATE));
            std::thread::sleep(start.saturating_duration_since(Instant::now()));
            let log = dir.join(format!("h2load-{i}.tsv"));
            // h2load appends to its log.
            let _ = std::fs::remove_file(&log);
            let mut cmd = Command::new(h2load);
            cmd.args(["--h1", "-c", "1", "-t", "1"])
                .args(["--rps", &rate.to_string(), "-D", &seconds.to_string()])
                .arg("--log-file")
                .arg(&log);
            match questions {
                Questions::Gets(urls) => {
                    let share: Vec<String> =
                        urls.iter().skip(i).step_by(STREAMS).cloned().collect();
                    let file = dir.join(format!("h2load-{i}-urls.txt"));
                    write_lines(&file, &share);
                    cmd.arg("-i").arg(file);
                }
                Questions::Posts { url, bodies } => {
                    let file = dir.join(format!("h2load-{i}-body.json"));
                    let body = &bodies[(turn * STREAMS + i) % bodies.len()];
                    std::fs::write(&file, body).expect("a request body is written");
                    cmd.arg("-d")
                        .arg(file)
                        .args(["-H", "content-type: application/json", url]);
                }
            }
            let child = cmd
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("h2load starts");
            (child, log)
        })
        .collect();
    let mut micros = Vec::new();
    for (child, log) in streams {
        let out = child.wait_with_output().expect("h2load runs");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "h2load failed: {report}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // "requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout"
        let counts = report
            .lines()
            .find_map(|l| l.strip_prefix("requests: "))
            .expect("h2load reports its requests");
        for bad in ["failed", "errored", "timeout"] {
            assert!(
                counts.contains(&format!(" 0 {bad}")),
                "h2load: requests {bad}: {counts}"
            );
        }
        let text = std::fs::read_to_string(&log).expect("h2load's log");
        for line in text.lines() {
            // start (µs since the epoch), status, µs until the end of the response
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(
                fields.get(1),
                Some(&"200"),
                "an answer other than 200: {line}"
            );
            micros.push(
                fields
                    .get(2)
                    .and_then(|t| t.parse::<u64>().ok())
                    .expect("h2load logs each request's time"),
            );
        }
    }
    assert!(!micros.is_empty(), "h2load logged no request");
    micros.sort_unstable();
    // The nearest rank: the smallest time that `p` of the requests did not exceed.
    let percentile = |p: f64| {
        let rank = ((p * micros.len() as f64).ceil() as usize).clamp(1, micros.len());
        micros[rank - 1] as f64 / 1000.0
    };
    Load {
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
        per_s: micros.len() as f64 / seconds as f64,
    }
}

/// Writes `lines` to `path`.
fn write_lines(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").expect("a list is written");
}

/// A deterministic pick of `n` items.
fn pick<T: Clone>(items: &[T], n: usize) -> Vec<T> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            items[(state % items.len() as u64) as usize].clone()
        })
        .collect()
}

/// Transfers in the index, measured runs of each route and their length in seconds.
fn sizes(quick: bool) -> (usize, usize, u64) {
    if quick {
        (100_000, 1, 3)
    } else {
        (1_000_000, 3, 5)
    }
}

/// The server and anvil executables, from `INDEXER_BIN` and `ANVIL_BIN`.
fn executables() -> (PathBuf, String) {
    let indexer =
        PathBuf::from(std::env::var("INDEXER_BIN").expect("INDEXER_BIN names the server binary"));
    let anvil = std::env::var("ANVIL_BIN").unwrap_or_else(|_| "anvil".into());
    (indexer, anvil)
}

/// Makes the cached index unless it is there, without measuring anything: `cargo xtask bench`
/// runs this while it still builds, since making the index takes minutes.
pub(crate) fn prepare(quick: bool) {
    let (indexer, anvil) = executables();
    ensure_index(&indexer, &anvil, sizes(quick).0);
}

/// Runs the benchmark with the executables `INDEXER_BIN`, `ANVIL_BIN` and `H2LOAD_BIN`.
pub(crate) fn api(quick: bool) {
    let (indexer, anvil) = executables();
    let h2load = std::env::var("H2LOAD_BIN").unwrap_or_else(|_| "h2load".into());
    let (transfers, runs, seconds) = sizes(quick);
    let (cache, meta) = ensure_index(&indexer, &anvil, transfers);

    // Serve a copy, so that the cached index stays as it was made.
    let dir = std::env::temp_dir().join(format!("rollup-bench-api-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("dist")).expect("a temporary folder");
    std::fs::write(dir.join("dist/index.html"), "<!doctype html>").expect("a page");
    let rollup_dir = cache.join("devnet/rollup");
    for entry in std::fs::read_dir(&rollup_dir).expect("the cached index") {
        let entry = entry.expect("a cache entry");
        let name = entry.file_name();
        if name.to_string_lossy().starts_with("index.sqlite") {
            std::fs::copy(entry.path(), dir.join(&name)).expect("the index is copied");
        }
    }
    let (l1, http) = (free_port(), free_port());
    let l1_url = format!("http://127.0.0.1:{l1}");
    let log_path = dir.join("follow.log");
    let mut processes = Processes(Vec::new());
    processes.0.push(
        Command::new(&anvil)
            .args(["--port", &l1.to_string(), "--silent"])
            .arg("--load-state")
            .arg(cache.join("l1-state.json"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("anvil starts"),
    );
    let l1_rpc = Rpc::new(l1_url.clone());
    assert!(
        l1_rpc.wait_up(Duration::from_secs(120)),
        "anvil did not come up"
    );
    processes.0.push(
        logged(
            Command::new(&indexer)
                .args(["follow", "--l1-rpc", &l1_url])
                .args(["--rollup", &meta.rollup.to_string()])
                .arg("--rollup-config")
                .arg(rollup_dir.join("rollup.json"))
                .arg("--database-url")
                .arg(format!("sqlite://{}", dir.join("index.sqlite").display()))
                .args(["--http-addr", &format!("127.0.0.1:{http}")])
                .arg("--data-dir")
                .arg(dir.join("follow"))
                .arg("--dist")
                .arg(dir.join("dist")),
            &log_path,
        )
        .spawn()
        .expect("indexer follow starts"),
    );
    wait_safe(http, meta.l2_head, Duration::from_secs(300), &log_path);

    // The URL lists: blocks across the chain, sampled transactions, senders and recipients.
    let api = format!("http://127.0.0.1:{http}/api/v1");
    let blocks: Vec<u64> = (1..=meta.l2_head).collect();
    let l1_head = l1_rpc.block_number().expect("the L1 head");
    let l1_blocks: Vec<u64> = (1..=l1_head).collect();
    // L1's transactions: what the blocks hold (batches, proposals, funding of the rollup).
    let mut l1_txs = Vec::new();
    for chunk in l1_blocks.chunks(200) {
        let calls: Vec<(&str, Value)> = chunk
            .iter()
            .map(|n| ("eth_getBlockByNumber", json!([format!("{n:#x}"), false])))
            .collect();
        for block in l1_rpc.batch(&calls).expect("L1 blocks") {
            for tx in block["transactions"].as_array().into_iter().flatten() {
                l1_txs.push(tx.as_str().expect("a hash").to_owned());
            }
        }
    }
    assert!(!l1_txs.is_empty(), "the L1 chain holds transactions");
    let body = |method: &str, params: Value| {
        json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string()
    };
    let routes: [(&str, Vec<String>, Vec<String>); 3] = [
        (
            "block",
            pick(&blocks, SAMPLES)
                .iter()
                .map(|n| format!("{api}/blocks/{n}"))
                .collect(),
            pick(&l1_blocks, SAMPLES)
                .iter()
                .map(|n| body("eth_getBlockByNumber", json!([format!("{n:#x}"), false])))
                .collect(),
        ),
        (
            "tx",
            pick(&meta.tx_hashes, SAMPLES)
                .iter()
                .map(|h| format!("{api}/txs/{h}"))
                .collect(),
            pick(&l1_txs, SAMPLES)
                .iter()
                .map(|h| body("eth_getTransactionReceipt", json!([h])))
                .collect(),
        ),
        (
            "account",
            pick(&meta.accounts, SAMPLES)
                .iter()
                .map(|a| format!("{api}/accounts/{a}"))
                .collect(),
            pick(&meta.accounts, SAMPLES)
                .iter()
                .map(|a| body("eth_getBalance", json!([a, "latest"])))
                .collect(),
        ),
    ];
    for (route, urls, bodies) in routes {
        let (ours_asked, peer_asked) = (
            Questions::Gets(&urls),
            Questions::Posts {
                url: &l1_url,
                bodies: &bodies,
            },
        );
        // A first second of each, not counted: the server's connections prepare their statements
        // and fill their page caches (the copy of the index is already in the operating system's).
        let warm_up = seconds.min(WARM_UP_SECONDS);
        load(&h2load, &dir, &ours_asked, warm_up, 0);
        load(&h2load, &dir, &peer_asked, warm_up, 0);
        let (mut ours, mut peer) = (Vec::new(), Vec::new());
        for run in 1..=runs {
            ours.push(load(&h2load, &dir, &ours_asked, seconds, run));
            peer.push(load(&h2load, &dir, &peer_asked, seconds, run));
        }
        let peer_name = match route {
            "block" => "anvil eth_getBlockByNumber",
            "tx" => "anvil eth_getTransactionReceipt",
            _ => "anvil eth_getBalance",
        };
        let label = format!(
            "{route} route at {RATE} req/s ({} transfers indexed, {} blocks)",
            meta.transfers, meta.l2_head
        );
        let series = |of: &[Load], f: fn(&Load) -> f64| of.iter().map(f).collect::<Vec<_>>();
        let figures = [
            Figure::new(
                "api",
                &format!("p99 latency, {label}"),
                "ms",
                false,
                &series(&ours, |l| l.p99_ms),
                peer_name,
                &series(&peer, |l| l.p99_ms),
                ("p99 <= 20 ms", |_, s| s.median <= P99_GOAL_MS),
            ),
            Figure::new(
                "api",
                &format!("p50 latency, {label}"),
                "ms",
                false,
                &series(&ours, |l| l.p50_ms),
                peer_name,
                &series(&peer, |l| l.p50_ms),
                ("none (reported)", |_, _| true),
            ),
            Figure::new(
                "api",
                &format!("throughput, {label}"),
                "req/s",
                true,
                &series(&ours, |l| l.per_s),
                peer_name,
                &series(&peer, |l| l.per_s),
                ("keeps the rate (>= 99%)", |_, s| {
                    s.median >= 0.99 * f64::from(RATE)
                }),
            ),
        ];
        for figure in figures {
            println!("{}", figure.line());
        }
    }
    drop(processes);
    let _ = std::fs::remove_dir_all(&dir);
}
