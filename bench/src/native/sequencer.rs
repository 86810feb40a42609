//! The sequencer against anvil: the same pre-signed transfers, sent by the same client in JSON-RPC
//! batches, to `indexer devnet`'s L2 endpoint and to an anvil with interval mining at the L2's block
//! time and gas limit; transfers included per second, from the first send until every sender's
//! nonce shows the last one included.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use bench::{Figure, workload::Key};
use serde_json::{Value, json};

/// Anvil's tenth development key, funded on anvil and in the devnet's L2 genesis.
const FUNDER: &str = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6";
/// Senders of the benchmark transfers.
const SENDERS: usize = 64;
/// Block gas limit of both chains: high enough that gas never caps inclusion.
const GAS_LIMIT: u64 = 1_000_000_000;
/// Transactions per JSON-RPC batch.
const BATCH: usize = 500;

/// Child processes, killed when dropped.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A JSON-RPC client of one endpoint.
struct Rpc {
    url: String,
    http: reqwest::blocking::Client,
}

impl Rpc {
    fn new(url: String) -> Self {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client");
        Self { url, http }
    }

    fn batch(&self, calls: &[(&str, Value)]) -> Result<Vec<Value>, String> {
        let body: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(id, (method, params))| {
                json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
            })
            .collect();
        let reply: Value = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .and_then(|r| r.json())
            .map_err(|e| format!("{}: {e}", self.url))?;
        let mut replies = reply
            .as_array()
            .cloned()
            .ok_or_else(|| format!("{}: not a batch answer: {reply}", self.url))?;
        replies.sort_by_key(|r| r["id"].as_u64().unwrap_or(u64::MAX));
        replies
            .into_iter()
            .map(|r| match r.get("error") {
                Some(e) => Err(format!("{}: {e}", self.url)),
                None => Ok(r["result"].clone()),
            })
            .collect()
    }

    fn nonces(&self, addresses: &[Address]) -> Result<Vec<u64>, String> {
        let calls: Vec<(&str, Value)> = addresses
            .iter()
            .map(|a| ("eth_getTransactionCount", json!([a, "latest"])))
            .collect();
        self.batch(&calls)?
            .iter()
            .map(|v| {
                v.as_str()
                    .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
                    .ok_or_else(|| format!("not a nonce: {v}"))
            })
            .collect()
    }

    /// Whether the endpoint answers within `within`.
    fn wait_up(&self, within: Duration) -> bool {
        let until = Instant::now() + within;
        while self.batch(&[("eth_chainId", json!([]))]).is_err() {
            if Instant::now() >= until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        true
    }

    /// Sends signed transactions in batches; any rejection fails the benchmark.
    fn send(&self, txs: &[Bytes]) {
        for chunk in txs.chunks(BATCH) {
            let calls: Vec<(&str, Value)> = chunk
                .iter()
                .map(|tx| ("eth_sendRawTransaction", json!([tx])))
                .collect();
            let replies = self.batch(&calls).expect("the endpoint answers");
            for reply in replies {
                reply
                    .as_str()
                    .expect("a transaction hash for every transaction");
            }
        }
    }

    /// Waits until every address's nonce reaches its target.
    fn wait_nonces(&self, addresses: &[Address], targets: &[u64], within: Duration) {
        let until = Instant::now() + within;
        loop {
            let nonces = self.nonces(addresses).expect("nonces");
            if nonces.iter().zip(targets).all(|(n, t)| n >= t) {
                return;
            }
            assert!(
                Instant::now() < until,
                "{}: transfers not included in {within:?}",
                self.url
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn transfer(key: &Key, chain_id: u64, nonce: u64, to: Address, value: U256) -> Bytes {
    key.sign(TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(to),
        value,
        access_list: Default::default(),
        input: Bytes::new(),
    })
}

/// Transfers per second over `runs` rounds of `per_sender` transfers from each sender.
fn measure(rpc: &Rpc, chain_id: u64, per_sender: u64, runs: usize) -> Vec<f64> {
    let funder = Key::from_secret(FUNDER.parse().expect("a key"));
    let keys: Vec<Key> = (0..SENDERS).map(Key::new).collect();
    let addresses: Vec<Address> = keys.iter().map(|k| k.address).collect();
    // Fund the senders (not timed).
    let start_nonce = rpc.nonces(&[funder.address]).expect("nonce")[0];
    let ether = U256::from(10u64).pow(U256::from(18));
    let funding: Vec<Bytes> = addresses
        .iter()
        .enumerate()
        .map(|(i, a)| {
            transfer(
                &funder,
                chain_id,
                start_nonce + i as u64,
                *a,
                ether * U256::from(10u64),
            )
        })
        .collect();
    rpc.send(&funding);
    rpc.wait_nonces(
        &[funder.address],
        &[start_nonce + SENDERS as u64],
        Duration::from_secs(60),
    );
    let mut nonces = rpc.nonces(&addresses).expect("nonces");
    let mut samples = Vec::new();
    for run in 0..runs {
        // Pre-signed, in nonce order per sender, senders interleaved.
        let mut txs = Vec::with_capacity(SENDERS * per_sender as usize);
        for j in 0..per_sender {
            for (s, key) in keys.iter().enumerate() {
                let to = Address::from_word(keccak256(
                    [
                        B256::from(U256::from(run)).0,
                        B256::from(U256::from(j * 1000 + s as u64)).0,
                    ]
                    .concat(),
                ));
                txs.push(transfer(key, chain_id, nonces[s] + j, to, U256::from(1u64)));
            }
        }
        let targets: Vec<u64> = nonces.iter().map(|n| n + per_sender).collect();
        let start = Instant::now();
        rpc.send(&txs);
        rpc.wait_nonces(&addresses, &targets, Duration::from_secs(300));
        samples.push(txs.len() as f64 / start.elapsed().as_secs_f64());
        nonces = targets;
    }
    samples
}

/// Runs the benchmark with the given `indexer` and `anvil` executables.
pub(crate) fn sequencer(quick: bool) {
    let indexer =
        PathBuf::from(std::env::var("INDEXER_BIN").expect("INDEXER_BIN names the server binary"));
    let anvil = std::env::var("ANVIL_BIN").unwrap_or_else(|_| "anvil".into());
    let (per_sender, runs) = if quick { (40, 2) } else { (250, 3) };
    let dir = std::env::temp_dir().join(format!("rollup-bench-sequencer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("dist")).expect("a temporary folder");
    // The server wants a built app to serve; the benchmark needs none.
    std::fs::write(dir.join("dist/index.html"), "<!doctype html>").expect("a page");
    let (l1, http, l2, peer) = (free_port(), free_port(), free_port(), free_port());
    let log = std::fs::File::create(dir.join("devnet.log")).expect("a log file");
    let mut processes = Processes(Vec::new());
    processes.0.push(
        Command::new(&indexer)
            .args([
                "devnet",
                "--no-traffic",
                "--no-challenger",
                "--faulty-every",
                "0",
            ])
            .args(["--anvil-bin", &anvil])
            .args(["--l1-addr", &format!("127.0.0.1:{l1}")])
            .args(["--http-addr", &format!("127.0.0.1:{http}")])
            .args(["--rpc-addr", &format!("127.0.0.1:{l2}")])
            .args(["--block-gas-limit", &GAS_LIMIT.to_string()])
            .arg("--data-dir")
            .arg(&dir)
            .arg("--dist")
            .arg(dir.join("dist"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("indexer devnet starts"),
    );
    processes.0.push(
        Command::new(&anvil)
            .args(["--port", &peer.to_string(), "--block-time", "1"])
            .args(["--gas-limit", &GAS_LIMIT.to_string(), "--silent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("anvil starts"),
    );
    let ours_rpc = Rpc::new(format!("http://127.0.0.1:{l2}"));
    let peer_rpc = Rpc::new(format!("http://127.0.0.1:{peer}"));
    if !ours_rpc.wait_up(Duration::from_secs(120)) {
        let log = std::fs::read_to_string(dir.join("devnet.log")).unwrap_or_default();
        panic!("the devnet's L2 endpoint did not come up; its log:\n{log}");
    }
    assert!(
        peer_rpc.wait_up(Duration::from_secs(30)),
        "anvil did not come up"
    );
    let ours = measure(&ours_rpc, 42069, per_sender, runs);
    let theirs = measure(&peer_rpc, 31337, per_sender, runs);
    drop(processes);
    let _ = std::fs::remove_dir_all(&dir);
    let figure = Figure::new(
        "sequencer",
        &format!(
            "transfers included per second ({} pre-signed from {SENDERS} senders, 1 s blocks, {GAS_LIMIT} gas limit)",
            per_sender as usize * SENDERS
        ),
        "tx/s",
        true,
        &ours,
        "anvil (interval mining, same block time and gas limit)",
        &theirs,
        ("ratio >= 3 and >= 10,000 tx/s", |r, s| {
            r >= 3.0 && s.median >= 10_000.0
        }),
    );
    println!("{}", figure.line());
}
