//! The `indexer` binary: start-up errors and a clean shutdown.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

use indexer::anvil::free_loopback_addr;

fn indexer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_indexer"))
}

fn anvil_bin() -> PathBuf {
    std::env::var_os("ANVIL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../.tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
        })
}

/// A throwaway app folder with an `index.html`.
fn fake_dist() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("index.html"),
        "<html><body>explorer</body></html>",
    )
    .expect("write index.html");
    dir
}

fn run_to_end(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("indexer did not exit");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn devnet_without_a_built_app_says_how_to_build_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_to_end(
        indexer()
            .args(["devnet", "--dist"])
            .arg(dir.path().join("dist")),
    );
    assert!(!out.status.success());
    let err = stderr_of(&out);
    assert!(err.contains("the web app is not built"), "stderr: {err}");
    assert!(err.contains("cargo xtask run"), "stderr: {err}");
}

#[test]
fn devnet_on_a_busy_port_says_so() {
    let dist = fake_dist();
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let out = run_to_end(
        indexer()
            .args(["devnet", "--http-addr", &addr.to_string(), "--dist"])
            .arg(dist.path())
            .arg("--data-dir")
            .arg(dist.path().join("data")),
    );
    assert!(!out.status.success());
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!("cannot listen on {addr}: address already in use")),
        "stderr: {err}"
    );
}

#[test]
fn devnet_with_an_unreachable_l1_says_so() {
    let dist = fake_dist();
    let dead = free_loopback_addr().expect("free port");
    let out = run_to_end(
        indexer()
            .args([
                "devnet",
                "--l1-rpc",
                &format!("http://{dead}"),
                "--http-addr",
                "127.0.0.1:0",
            ])
            .arg("--dist")
            .arg(dist.path())
            .arg("--data-dir")
            .arg(dist.path().join("data")),
    );
    assert!(!out.status.success());
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!("L1 endpoint http://{dead} is unreachable")),
        "stderr: {err}"
    );
}

/// `indexer devnet --l1-rpc` signs with the public dev keys, which anyone holds: on any other L1
/// than a devnet's it refuses to start, and the endpoint (which may carry an API key) is not echoed.
#[test]
fn devnet_refuses_an_l1_that_is_not_a_devnet_and_hides_the_endpoints_key() {
    let dist = fake_dist();
    let addr = free_loopback_addr().expect("free port");
    let mut anvil = Command::new(anvil_bin())
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &addr.port().to_string(),
            "--chain-id",
            "1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("anvil starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "anvil did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = run_to_end(
        indexer()
            .args([
                "devnet",
                "--l1-rpc",
                &format!("http://{addr}/?apikey=SECRETKEY"),
                "--http-addr",
                "127.0.0.1:0",
            ])
            .arg("--dist")
            .arg(dist.path())
            .arg("--data-dir")
            .arg(dist.path().join("data")),
    );
    let _ = anvil.kill();
    let _ = anvil.wait();
    assert!(!out.status.success());
    let (err, stdout) = (stderr_of(&out), String::from_utf8_lossy(&out.stdout));
    assert!(
        err.contains("L1 chain id 1 is not a devnet's (31337)"),
        "stderr: {err}"
    );
    assert!(
        !err.contains("SECRETKEY") && !stdout.contains("SECRETKEY"),
        "{err}{stdout}"
    );
    assert!(
        !dist.path().join("data/rollup").exists(),
        "nothing was deployed or written"
    );
}

#[test]
fn devnet_with_a_busy_l1_port_says_so() {
    let dist = fake_dist();
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let out = run_to_end(
        indexer()
            .args([
                "devnet",
                "--l1-addr",
                &addr.to_string(),
                "--http-addr",
                "127.0.0.1:0",
            ])
            .arg("--anvil-bin")
            .arg(anvil_bin())
            .arg("--dist")
            .arg(dist.path())
            .arg("--data-dir")
            .arg(dist.path().join("data")),
    );
    assert!(!out.status.success());
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!("cannot start anvil: {addr} is already in use")),
        "stderr: {err}"
    );
}

/// Direct children of `pid`, read from /proc.
fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
            out.extend(
                list.split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
    }
    out
}

fn is_alive(pid: u32) -> bool {
    // A zombie still has a /proc entry; it is gone for our purpose once its state is Z or it vanished.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.rsplit(')')
                .next()
                .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devnet_serves_status_and_sigint_stops_it_and_its_anvil() {
    let dist = fake_dist();
    let http = free_loopback_addr().expect("free port");
    let l1 = free_loopback_addr().expect("free port");
    let rpc = free_loopback_addr().expect("free port");
    let child = indexer()
        .args([
            "devnet",
            "--http-addr",
            &http.to_string(),
            "--l1-addr",
            &l1.to_string(),
        ])
        .args(["--rpc-addr", &rpc.to_string()])
        .arg("--anvil-bin")
        .arg(anvil_bin())
        .arg("--dist")
        .arg(dist.path())
        .arg("--data-dir")
        .arg(dist.path().join("data"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn indexer");
    let mut child = KillOnDrop(child);
    let pid = child.0.id();

    let client = reqwest::Client::new();
    let status = |client: reqwest::Client| async move {
        let r = client
            .get(format!("http://{http}/api/v1/status"))
            .send()
            .await
            .ok()?;
        r.json::<serde_json::Value>().await.ok()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let first = loop {
        if let Some(v) = status(client.clone()).await {
            break v;
        }
        assert!(Instant::now() < deadline, "status never answered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(first["l1"]["chain_id"], 31337, "status: {first}");
    let first_head = first["l1"]["head"].as_u64().expect("head is a number");
    // anvil mines a block a second: the head grows.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = status(client.clone()).await.expect("status answers");
        if now["l1"]["head"].as_u64().expect("head") > first_head {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "head did not grow past {first_head}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // The app is served at / and unknown app paths fall back to it; unknown API paths are JSON 404s.
    let page = client
        .get(format!("http://{http}/blocks/12"))
        .send()
        .await
        .expect("GET page");
    assert_eq!(page.status(), 200);
    // The browser asks again before it uses a file of the app, so no build mixes with another.
    assert_eq!(
        page.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-cache")
    );
    assert!(page.text().await.expect("body").contains("explorer"));
    let missing = client
        .get(format!("http://{http}/api/v1/nope"))
        .send()
        .await
        .expect("GET api");
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value = missing.json().await.expect("JSON error");
    assert_eq!(body["error"]["code"], "not_found");

    let anvils = children_of(pid);
    assert_eq!(
        anvils.len(),
        1,
        "the indexer runs exactly one anvil: {anvils:?}"
    );
    let anvil = anvils[0];
    assert!(is_alive(anvil));

    // SAFETY: plain syscall on the pid of our own, unreaped child.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) };
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "indexer did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "indexer exit: {exit}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while is_alive(anvil) {
        assert!(
            Instant::now() < deadline,
            "anvil {anvil} outlived the indexer"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls `url` with a JSON GET until `done` accepts the answer.
async fn poll_json(
    client: &reqwest::Client,
    url: &str,
    within: Duration,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + within;
    loop {
        let answer = match client.get(url).send().await {
            Ok(r) => r.json::<serde_json::Value>().await.ok(),
            Err(_) => None,
        };
        if let Some(v) = answer.filter(|v| done(v)) {
            return v;
        }
        assert!(Instant::now() < deadline, "{url} did not get there");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// `devnet --rollup-only` runs the rollup without the explorer: its L2 endpoint answers, nothing
/// listens on the explorer's port, and no app is needed; `follow` then derives its blocks from L1
/// alone, equal to the sequencer's. SIGINT stops both cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollup_only_devnet_is_followed_from_l1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (http, l1, rpc) = (
        free_loopback_addr().expect("free port"),
        free_loopback_addr().expect("free port"),
        free_loopback_addr().expect("free port"),
    );
    let data = dir.path().join("data");
    let rollup = indexer()
        .args(["devnet", "--rollup-only", "--batch-max-age", "1"])
        .args(["--http-addr", &http.to_string()])
        .args(["--l1-addr", &l1.to_string()])
        .args(["--rpc-addr", &rpc.to_string()])
        .arg("--anvil-bin")
        .arg(anvil_bin())
        .arg("--dist")
        .arg(dir.path().join("no-app-here"))
        .arg("--data-dir")
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn indexer devnet");
    let mut rollup = KillOnDrop(rollup);

    let client = reqwest::Client::new();
    let call = |method: &'static str, params: serde_json::Value| {
        let client = client.clone();
        async move {
            let r = client
                .post(format!("http://{rpc}"))
                .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
                .send()
                .await
                .ok()?;
            r.json::<serde_json::Value>().await.ok()
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let head = loop {
        let number = call("eth_blockNumber", serde_json::json!([]))
            .await
            .and_then(|v| v["result"].as_str().map(str::to_owned))
            .and_then(|n| u64::from_str_radix(n.trim_start_matches("0x"), 16).ok());
        if let Some(n) = number.filter(|&n| n >= 3) {
            break n;
        }
        assert!(
            Instant::now() < deadline,
            "the L2 endpoint never reached block 3"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(
        std::net::TcpStream::connect(http).is_err(),
        "nothing listens on the explorer's port"
    );

    let record = data.join("rollup/rollup.json");
    let genesis: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&record).expect("rollup.json")).expect("JSON");
    let dist = fake_dist();
    let explorer = free_loopback_addr().expect("free port");
    let follower = indexer()
        .args(["follow", "--l1-rpc", &format!("http://{l1}")])
        .args(["--rollup", genesis["rollup"].as_str().expect("address")])
        .arg("--rollup-config")
        .arg(&record)
        .args(["--http-addr", &explorer.to_string()])
        .arg("--dist")
        .arg(dist.path())
        .arg("--data-dir")
        .arg(dir.path().join("follow"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn indexer follow");
    let mut follower = KillOnDrop(follower);
    poll_json(
        &client,
        &format!("http://{explorer}/api/v1/status"),
        Duration::from_secs(90),
        |s| s["l2"]["safe"].as_u64().is_some_and(|safe| safe >= head),
    )
    .await;
    for n in 1..=head {
        let derived = poll_json(
            &client,
            &format!("http://{explorer}/api/v1/blocks/{n}"),
            Duration::from_secs(10),
            |b| b["hash"].is_string(),
        )
        .await;
        let sequenced = call(
            "eth_getBlockByNumber",
            serde_json::json!([format!("{n:#x}"), false]),
        )
        .await
        .expect("the block");
        assert_eq!(derived["hash"], sequenced["result"]["hash"], "block {n}");
    }

    for child in [&mut follower, &mut rollup] {
        // SAFETY: plain syscall on the pid of our own, unreaped child.
        unsafe { libc::kill(child.0.id() as libc::pid_t, libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(20);
        let exit = loop {
            if let Some(status) = child.0.try_wait().expect("wait") {
                break status;
            }
            assert!(Instant::now() < deadline, "did not stop on SIGINT");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(exit.success(), "exit: {exit}");
    }
}
