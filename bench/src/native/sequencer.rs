//! The sequencer against anvil: the same pre-signed transfers, sent by the same client in JSON-RPC
//! batches, to the L2 endpoint of `indexer devnet --rollup-only` (the rollup's roles without the
//! explorer, as anvil is a node without one) and to an anvil with interval mining at the L2's block
//! time and gas limit; transfers included per second, from the first send until every sender's
//! nonce shows the last one included. Afterwards, untimed, `indexer follow` must derive every block
//! the runs made from what the batcher posted to L1.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use bench::{Figure, workload::Key};
use serde_json::{Value, json};

/// Anvil's tenth development key, funded on anvil and in the devnet's L2 genesis.
pub(super) const FUNDER: &str =
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6";
/// Senders of the benchmark transfers.
pub(super) const SENDERS: usize = 256;
/// Block gas limit of both chains: high enough that gas never caps inclusion.
pub(super) const GAS_LIMIT: u64 = 1_000_000_000;
/// Most bytes of transactions in one L2 block, raised from the sequencer's 256 KiB as the gas limit
/// is, so that neither caps inclusion (the batches that carry such blocks are larger L1
/// transactions, which is why the L1 has the same gas limit). 2 MiB (about 18,000 transfers) was
/// reached at this pace.
const MAX_BLOCK_BYTES: usize = 4 * 1024 * 1024;
/// Most transactions in the sequencer's pool, raised from its 20,000 for the same reason: every
/// sender's full allowance of waiting transactions (256 senders, 256 each), as anvil's pool holds
/// them all.
const MAX_POOL_SIZE: usize = 65_536;
/// Transactions per JSON-RPC batch.
const BATCH: usize = 500;

/// Child processes, killed when dropped.
pub(super) struct Processes(pub(super) Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A loopback port that was free a moment ago and that this process has not handed out before.
///
/// The port is released before the server that gets it binds it, so two calls in a row can get the
/// same one from the system; remembering them keeps two servers of one run from being given the
/// same port.
pub(super) fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free loopback port");
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// A JSON-RPC client of one endpoint.
pub(super) struct Rpc {
    url: String,
    http: reqwest::blocking::Client,
}

impl Rpc {
    pub(super) fn new(url: String) -> Self {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client");
        Self { url, http }
    }

    /// Each call's result, or the error object it got, in the calls' order.
    fn replies(&self, calls: &[(&str, Value)]) -> Result<Vec<Result<Value, Value>>, String> {
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
        Ok(replies
            .into_iter()
            .map(|r| match r.get("error") {
                Some(e) => Err(e.clone()),
                None => Ok(r["result"].clone()),
            })
            .collect())
    }

    pub(super) fn batch(&self, calls: &[(&str, Value)]) -> Result<Vec<Value>, String> {
        self.replies(calls)?
            .into_iter()
            .map(|r| r.map_err(|e| format!("{}: {e}", self.url)))
            .collect()
    }

    pub(super) fn nonces(&self, addresses: &[Address]) -> Result<Vec<u64>, String> {
        let calls: Vec<(&str, Value)> = addresses
            .iter()
            .map(|a| ("eth_getTransactionCount", json!([a, "latest"])))
            .collect();
        self.batch(&calls)?
            .iter()
            .map(|v| parse_hex_u64(v).ok_or_else(|| format!("not a nonce: {v}")))
            .collect()
    }

    /// `eth_blockNumber`.
    pub(super) fn block_number(&self) -> Result<u64, String> {
        let head = self.batch(&[("eth_blockNumber", json!([]))])?;
        parse_hex_u64(&head[0]).ok_or_else(|| format!("not a block number: {}", head[0]))
    }

    /// Whether the endpoint answers within `within`.
    pub(super) fn wait_up(&self, within: Duration) -> bool {
        let until = Instant::now() + within;
        while self.batch(&[("eth_chainId", json!([]))]).is_err() {
            if Instant::now() >= until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        true
    }

    /// Sends signed transactions in batches. A transaction refused because the pool is full is
    /// sent again a moment later, as a wallet would; any other refusal fails the benchmark. Returns
    /// how many times a transaction was sent again.
    pub(super) fn send(&self, txs: &[Bytes]) -> usize {
        let mut resent = 0;
        for chunk in txs.chunks(BATCH) {
            let mut pending: Vec<&Bytes> = chunk.iter().collect();
            while !pending.is_empty() {
                let calls: Vec<(&str, Value)> = pending
                    .iter()
                    .map(|tx| ("eth_sendRawTransaction", json!([tx])))
                    .collect();
                let replies = self.replies(&calls).expect("the endpoint answers");
                let mut refused = Vec::new();
                for (tx, reply) in pending.iter().zip(replies) {
                    match reply {
                        Ok(hash) => assert!(hash.is_string(), "a transaction hash: {hash}"),
                        Err(e) if e["message"] == "txpool is full" => refused.push(*tx),
                        Err(e) => panic!("{}: a transfer was refused: {e}", self.url),
                    }
                }
                if !refused.is_empty() {
                    std::thread::sleep(Duration::from_millis(20));
                }
                resent += refused.len();
                pending = refused;
            }
        }
        resent
    }

    /// Waits until every address's nonce reaches its target.
    pub(super) fn wait_nonces(&self, addresses: &[Address], targets: &[u64], within: Duration) {
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

/// A JSON-RPC quantity.
fn parse_hex_u64(v: &Value) -> Option<u64> {
    v.as_str()
        .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
}

pub(super) fn transfer(key: &Key, chain_id: u64, nonce: u64, to: Address, value: U256) -> Bytes {
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

/// Gives each address 1 ETH from the funder (anvil's tenth key, funded on both chains) and returns
/// their nonces.
pub(super) fn fund(rpc: &Rpc, chain_id: u64, addresses: &[Address]) -> Vec<u64> {
    let funder = Key::from_secret(FUNDER.parse().expect("a key"));
    let start_nonce = rpc.nonces(&[funder.address]).expect("nonce")[0];
    let ether = U256::from(10u64).pow(U256::from(18));
    let funding: Vec<Bytes> = addresses
        .iter()
        .enumerate()
        .map(|(i, a)| transfer(&funder, chain_id, start_nonce + i as u64, *a, ether))
        .collect();
    rpc.send(&funding);
    rpc.wait_nonces(
        &[funder.address],
        &[start_nonce + addresses.len() as u64],
        Duration::from_secs(60),
    );
    rpc.nonces(addresses).expect("nonces")
}

/// Transfers per second over `runs` rounds of `per_sender` transfers from each sender.
fn measure(rpc: &Rpc, chain_id: u64, per_sender: u64, runs: usize) -> Vec<f64> {
    let keys: Vec<Key> = (0..SENDERS).map(Key::new).collect();
    let addresses: Vec<Address> = keys.iter().map(|k| k.address).collect();
    // The funder has at most 256 transactions waiting: fund in groups.
    let mut nonces = Vec::new();
    for group in addresses.chunks(128) {
        nonces.extend(fund(rpc, chain_id, group));
    }
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
        let resent = rpc.send(&txs);
        rpc.wait_nonces(&addresses, &targets, Duration::from_secs(300));
        let rate = txs.len() as f64 / start.elapsed().as_secs_f64();
        println!(
            "sequencer: {} run {}: {rate:.0} transfers/s ({resent} sent again after a full pool refused them)",
            rpc.url,
            run + 1
        );
        samples.push(rate);
        nonces = targets;
    }
    samples
}

/// `indexer devnet` with the benchmarks' settings: no traffic, no challenger, an honest proposer,
/// the benchmark gas limit, its data and a stand-in app under `dir`, the explorer on port `http` and
/// the L2 endpoint on `l2`, over the L1 at `l1`. The caller says where the log goes.
pub(super) fn devnet(indexer: &Path, l1: &str, dir: &Path, http: u16, l2: u16) -> Command {
    // The server wants a built app to serve; the benchmarks need none.
    std::fs::create_dir_all(dir.join("dist")).expect("a temporary folder");
    std::fs::write(dir.join("dist/index.html"), "<!doctype html>").expect("a page");
    let mut cmd = Command::new(indexer);
    cmd.args([
        "devnet",
        "--no-traffic",
        "--no-challenger",
        "--faulty-every",
        "0",
    ])
    .args(["--http-addr", &format!("127.0.0.1:{http}")])
    .args(["--rpc-addr", &format!("127.0.0.1:{l2}")])
    .args(["--block-gas-limit", &GAS_LIMIT.to_string()])
    .args(["--l1-rpc", l1])
    .arg("--data-dir")
    .arg(dir)
    .arg("--dist")
    .arg(dir.join("dist"));
    cmd
}

/// Sends a server's log (standard output) and anything it prints on standard error to `path`.
pub(super) fn logged<'a>(cmd: &'a mut Command, path: &Path) -> &'a mut Command {
    let log = std::fs::File::create(path).expect("a log file");
    let errors = log.try_clone().expect("a log file");
    cmd.stdout(log).stderr(errors)
}

/// `indexer follow` over the rollup that `devnet` runs in `dir`, from the L1 at `l1`, its explorer
/// on port `http`.
fn follow(indexer: &Path, l1: &str, dir: &Path, http: u16) -> Command {
    let record = dir.join("rollup/rollup.json");
    let genesis: Value = serde_json::from_slice(&std::fs::read(&record).expect("rollup.json"))
        .expect("rollup.json is JSON");
    let rollup = genesis["rollup"].as_str().expect("the rollup's address");
    let mut cmd = Command::new(indexer);
    cmd.args(["follow", "--l1-rpc", l1, "--rollup", rollup])
        .arg("--rollup-config")
        .arg(&record)
        .args(["--http-addr", &format!("127.0.0.1:{http}")])
        .arg("--data-dir")
        .arg(dir.join("follow"))
        .arg("--dist")
        .arg(dir.join("dist"));
    cmd
}

/// anvil with one-second blocks, the benchmark gas limit and no request size limit, listening on
/// `port`.
pub(super) fn anvil(bin: &str, port: u16) -> Command {
    let mut cmd = Command::new(bin);
    // Without a request size limit (2 MiB by default): the devnet's batches of the largest blocks
    // are more than 1 MiB, twice that as hex in the JSON-RPC request that posts them.
    cmd.args(["--port", &port.to_string(), "--block-time", "1"])
        .args(["--gas-limit", &GAS_LIMIT.to_string(), "--silent"])
        .arg("--no-request-size-limit")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Runs the benchmark with the given `indexer` and `anvil` executables.
pub(crate) fn sequencer(quick: bool) {
    let indexer =
        PathBuf::from(std::env::var("INDEXER_BIN").expect("INDEXER_BIN names the server binary"));
    let anvil_bin = std::env::var("ANVIL_BIN").unwrap_or_else(|_| "anvil".into());
    let (per_sender, runs) = if quick { (10, 2) } else { (250, 3) };
    let dir = std::env::temp_dir().join(format!("rollup-bench-sequencer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let (l1, http, l2, peer) = (free_port(), free_port(), free_port(), free_port());
    let mut processes = Processes(Vec::new());
    let l1_url = format!("http://127.0.0.1:{l1}");
    processes
        .0
        .push(anvil(&anvil_bin, l1).spawn().expect("anvil starts"));
    assert!(
        Rpc::new(l1_url.clone()).wait_up(Duration::from_secs(30)),
        "anvil did not come up"
    );
    processes.0.push(
        logged(
            devnet(&indexer, &l1_url, &dir, http, l2)
                .args(["--max-block-bytes", &MAX_BLOCK_BYTES.to_string()])
                .args(["--max-pool-size", &MAX_POOL_SIZE.to_string()])
                .arg("--rollup-only"),
            &dir.join("devnet.log"),
        )
        .spawn()
        .expect("indexer devnet starts"),
    );
    processes
        .0
        .push(anvil(&anvil_bin, peer).spawn().expect("anvil starts"));
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
    // Not timed: every block the runs made is batched to L1 and derived by an explorer following
    // the rollup from L1.
    let head = ours_rpc.block_number().expect("the L2 head");
    processes.0.push(
        logged(
            &mut follow(&indexer, &l1_url, &dir, http),
            &dir.join("follow.log"),
        )
        .spawn()
        .expect("indexer follow starts"),
    );
    super::api::wait_safe(
        http,
        head,
        Duration::from_secs(300),
        &dir.join("follow.log"),
    );
    // The same blocks, not only as many: when no batch reaches L1 in time, derivation fills the
    // sequencing window with empty blocks of its own.
    let derived = super::api::get(&format!("http://127.0.0.1:{http}/api/v1/blocks/{head}"))
        .expect("the index serves the last block");
    let sequenced = ours_rpc
        .batch(&[("eth_getBlockByNumber", json!([format!("{head:#x}"), false]))])
        .expect("the sequencer serves its last block");
    let hash = |v: &Value| v["hash"].as_str().map(str::to_lowercase);
    assert!(
        hash(&derived).is_some() && hash(&derived) == hash(&sequenced[0]),
        "the index derived another block {head} than the sequencer made: {derived} against {}",
        sequenced[0]
    );
    let theirs = measure(&peer_rpc, 31337, per_sender, runs);
    drop(processes);
    let _ = std::fs::remove_dir_all(&dir);
    let figure = Figure::new(
        "sequencer",
        &format!(
            "transfers included per second ({} pre-signed from {SENDERS} senders, 1 s blocks, {GAS_LIMIT} gas limit, {MAX_BLOCK_BYTES} bytes per block)",
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
