//! SIGKILL and restart of the indexer process: no accepted transaction is lost, no batch or
//! proposal is posted twice, and derivation from L1 still rebuilds the chain hash for hash.

use std::{
    net::SocketAddr,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy::{
    primitives::{Address, B256, keccak256},
    providers::{DynProvider, Provider, ProviderBuilder},
};
use indexer::{
    anvil::free_loopback_addr,
    genesis::{RollupGenesis, dev_signer},
};
use light_node::output_root;

use super::{
    derive_from_l1,
    end_to_end::{start_anvil, wait_receipt},
    transfer,
};

const INTERVAL: u64 = 3;

pub(crate) struct Process(pub(crate) Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `indexer devnet` over the L1 at `l1`, without the demonstration's traffic; `extra` are more
/// arguments (the HTTP server listens on a port of its choosing unless they give `--http-addr`).
pub(crate) fn spawn_with(
    l1: &str,
    data: &Path,
    dist: &Path,
    rpc: SocketAddr,
    extra: &[&str],
) -> Process {
    let child = Command::new(env!("CARGO_BIN_EXE_indexer"))
        .args(["devnet", "--l1-rpc", l1])
        .args(
            (!extra.contains(&"--http-addr"))
                .then_some(["--http-addr", "127.0.0.1:0"])
                .into_iter()
                .flatten(),
        )
        .args([
            "--rpc-addr",
            &rpc.to_string(),
            "--proposal-interval",
            &INTERVAL.to_string(),
        ])
        .args(["--batch-max-age", "2", "--no-traffic"])
        .args(extra)
        .arg("--dist")
        .arg(dist)
        .arg("--data-dir")
        .arg(data)
        .env("RUST_LOG", "info,indexer=debug")
        .stdout(log_file(data))
        .stderr(log_file(data))
        .spawn()
        .expect("spawn indexer");
    Process(child)
}

fn spawn(l1: &str, data: &Path, dist: &Path, rpc: SocketAddr) -> Process {
    spawn_with(l1, data, dist, rpc, &["--faulty-every", "0"])
}

/// The process's log, appended to `data/../indexer.log` (kept with the test's temp folder).
fn log_file(data: &Path) -> Stdio {
    let path = data.with_file_name("indexer.log");
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        Ok(file) => Stdio::from(file),
        Err(_) => Stdio::null(),
    }
}

pub(crate) async fn wait_rpc(l2: &DynProvider) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while l2.get_chain_id().await.is_err() {
        assert!(Instant::now() < deadline, "the L2 RPC never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends transfers from three senders until stopped; records every accepted hash.
fn start_sending(l2: DynProvider, accepted: Arc<Mutex<Vec<B256>>>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let senders: Vec<_> = (4..7).map(dev_signer).collect();
        let mut round = 0u64;
        loop {
            for signer in &senders {
                let Ok(nonce) = l2.get_transaction_count(signer.address()).pending().await else {
                    continue;
                };
                let to = Address::from_word(keccak256(round.to_be_bytes()));
                if let Ok(pending) = l2
                    .send_raw_transaction(&transfer(signer, nonce, to, 1))
                    .await
                {
                    accepted.lock().expect("lock").push(*pending.tx_hash());
                }
            }
            round += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_and_restart_lose_nothing_and_post_nothing_twice() {
    let anvil = start_anvil().await;
    // KEEP_TEST_DATA=1 keeps the data folder and the process's log for a look after the test.
    let mut guard = Some(tempfile::tempdir().expect("temp dir"));
    let root = guard.as_ref().expect("just made").path().to_path_buf();
    if std::env::var_os("KEEP_TEST_DATA").is_some() {
        let _ = guard.take().map(tempfile::TempDir::keep);
        eprintln!("test data kept in {}", root.display());
    }
    std::fs::write(root.join("index.html"), "<html>explorer</html>").expect("index.html");
    let data = root.join("data");
    let rpc = free_loopback_addr().expect("port");
    let l2 = ProviderBuilder::new()
        .connect_http(format!("http://{rpc}").parse().expect("url"))
        .erased();
    let l1 = ProviderBuilder::new()
        .connect_http(anvil.url().parse().expect("url"))
        .erased();
    let accepted = Arc::new(Mutex::new(Vec::new()));

    let mut process = spawn(anvil.url(), &data, &root, rpc);
    wait_rpc(&l2).await;
    // Crashes at random moments of the run (two by default), each while transactions stream in:
    // mid-block, mid-batch, mid-proposal, whatever the moment holds.
    let kills = crate::chaos::scale("SERVER_KILLS", 2);
    let mut random = crate::chaos::Xorshift::seeded("KILL_SEED");
    let mut pauses = Vec::new();
    for _ in 0..kills {
        let pause = Duration::from_millis(1_500 + random.below(6_500));
        pauses.push(pause.as_millis());
        let sender = start_sending(l2.clone(), accepted.clone());
        tokio::time::sleep(pause).await;
        // SAFETY: plain syscall on our own child's pid.
        unsafe { libc::kill(process.0.id() as libc::pid_t, libc::SIGKILL) };
        let _ = process.0.wait();
        sender.abort();
        let _ = sender.await;
        process = spawn(anvil.url(), &data, &root, rpc);
        wait_rpc(&l2).await;
    }
    let sender = start_sending(l2.clone(), accepted.clone());
    tokio::time::sleep(Duration::from_secs(2)).await;
    sender.abort();
    let _ = sender.await;

    let accepted = accepted.lock().expect("lock").clone();
    assert!(
        accepted.len() > 30,
        "only {} transactions were accepted",
        accepted.len()
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last = 0;
    for hash in &accepted {
        let receipt = wait_receipt(&l2, *hash, deadline).await;
        assert!(receipt.status());
        last = last.max(receipt.block_number.expect("mined"));
    }

    // Wait until the last of them is batched and a proposal covers it.
    let genesis: RollupGenesis = serde_json::from_str(
        &std::fs::read_to_string(data.join("rollup/rollup.json")).expect("rollup.json"),
    )
    .expect("genesis record");
    let want = (last / INTERVAL + 1) * INTERVAL;
    let from_l1 = loop {
        let from_l1 = derive_from_l1(&l1, &genesis).await;
        if from_l1.proposals.last().is_some_and(|(b, _)| *b >= want) {
            break from_l1;
        }
        assert!(
            Instant::now() < deadline,
            "no proposal reached block {want}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    assert_eq!(
        from_l1.dropped, 0,
        "no batch is dropped (no duplicate, no gap)"
    );
    let hash_of = |n: u64| {
        let l2 = l2.clone();
        async move {
            let b = l2
                .get_block_by_number(n.into())
                .await
                .expect("block")
                .expect("exists");
            (b.header.hash, b.header.state_root)
        }
    };
    let mut next = 1u64;
    for (index, _, parent, len) in &from_l1.batches {
        assert_eq!(
            *parent,
            hash_of(next - 1).await.0,
            "batch {index} builds on block {}",
            next - 1
        );
        next += *len as u64;
    }
    assert_eq!(from_l1.blocks.len() as u64, next - 1);
    for (number, hash) in &from_l1.blocks {
        assert_eq!(
            hash_of(*number).await.0,
            *hash,
            "derived block {number} differs"
        );
    }
    let mut previous = 0;
    for (l2_block, root) in &from_l1.proposals {
        assert!(
            *l2_block > previous,
            "proposals strictly increase: {:?}",
            from_l1.proposals
        );
        assert_eq!(l2_block % INTERVAL, 0);
        let (hash, state_root) = hash_of(*l2_block).await;
        assert_eq!(output_root(state_root, hash), *root);
        previous = *l2_block;
    }
    drop(process);
    crate::chaos::Figures {
        case: 8,
        test: "devnet server killed while it sequences, batches and proposes",
        tried: kills + 1,
        faults: kills,
        compared: accepted.len() as u64 + from_l1.blocks.len() as u64,
        detail: format!(
            "seed {:#x}: SIGKILL after {pauses:?} ms of runs; {} accepted transactions all mined, {} L1 batches with none dropped (no duplicate, no gap), {} blocks derived from L1 equal the node's, {} proposals each the derived root",
            random.seed,
            accepted.len(),
            from_l1.batches.len(),
            from_l1.blocks.len(),
            from_l1.proposals.len()
        ),
    }
    .report();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_game_finishes_the_game_after_restart_and_wins() {
    use contracts::{Outcome, Rollup};
    let anvil = start_anvil().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().to_path_buf();
    std::fs::write(root.join("index.html"), "<html>explorer</html>").expect("index.html");
    let data = root.join("data");
    let rpc = free_loopback_addr().expect("port");
    let l1 = ProviderBuilder::new()
        .connect_http(anvil.url().parse().expect("url"))
        .erased();
    let l2 = ProviderBuilder::new()
        .connect_http(format!("http://{rpc}").parse().expect("url"))
        .erased();
    // The second proposal is wrong.
    let faulty = ["--faulty-every", "2"];
    let mut process = spawn_with(anvil.url(), &data, &root, rpc, &faulty);
    wait_rpc(&l2).await;
    let genesis: RollupGenesis = serde_json::from_str(
        &std::fs::read_to_string(data.join("rollup/rollup.json")).expect("rollup.json"),
    )
    .expect("genesis record");
    let rollup = Rollup::new(genesis.rollup, l1.clone());

    // Kill the server once the game on the wrong proposal has started and seen a move.
    let deadline = Instant::now() + Duration::from_secs(180);
    let game = loop {
        assert!(Instant::now() < deadline, "no game got under way");
        if rollup.gameCount().call().await.expect("gameCount") > 0 {
            let game = rollup.game(0).call().await.expect("game");
            // The defender has moved: the challenger's answer (or the arbiter's) is awaited.
            if game.outcome == 0 && game.turn != 0 {
                break game;
            }
            assert_eq!(game.outcome, 0, "the game ended before the kill: {game:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // SAFETY: plain syscall on our own child's pid.
    unsafe { libc::kill(process.0.id() as libc::pid_t, libc::SIGKILL) };
    let _ = process.0.wait();
    let at_kill = rollup.game(0).call().await.expect("game");
    assert_eq!(at_kill.outcome, 0, "the game is open when the server dies");

    process = spawn_with(anvil.url(), &data, &root, rpc, &faulty);
    wait_rpc(&l2).await;
    let deadline = Instant::now() + Duration::from_secs(180);
    let end = loop {
        let game = rollup.game(0).call().await.expect("game");
        if game.outcome != 0 {
            break game;
        }
        assert!(Instant::now() < deadline, "the game never ended: {game:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    drop(process);
    assert_eq!(game.challenger, dev_signer(2).address());
    assert_eq!(
        Outcome::try_from(end.outcome),
        Ok(Outcome::ChallengerWins),
        "{end:?}"
    );
    assert_eq!(
        end.disputedBlock,
        end.agreedBlock + 1,
        "played to a single block: {end:?}"
    );
    let proposal = rollup.proposal(end.proposalIndex).call().await.expect("p");
    assert!(proposal.lost);
}

/// The last block a reset onto the derived chain adopted survives a restart, so a restarted
/// batcher does not post blocks that derivation forced (they carry no batch on L1).
#[tokio::test]
async fn the_reset_head_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sequencer.sqlite");
    let store = indexer::sequencer::Store::open(&path).await.expect("opens");
    assert_eq!(store.reset_head().await.expect("reads"), 0);
    store.set_reset_head(41).await.expect("writes");
    store.set_reset_head(87).await.expect("writes again");
    drop(store);
    let store = indexer::sequencer::Store::open(&path)
        .await
        .expect("opens again");
    assert_eq!(store.reset_head().await.expect("reads"), 87);
}
