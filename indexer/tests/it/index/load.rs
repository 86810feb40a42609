//! Load: ten times the demonstration's traffic (the devnet's generator does one action every two
//! seconds) against the `indexer devnet` process for `CHAOS_LOAD_SECONDS`, while readers use the
//! REST API. The process's memory and the API's p99 stay bounded, no accepted transaction or block
//! is lost, and the batcher's backlog drains once the load stops (case 13 of
//! `docs/reliability.md`). Long: run by `cargo xtask chaos`.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy::{
    primitives::{Address, B256, keccak256},
    providers::{Provider, ProviderBuilder},
};
use indexer::{anvil::free_loopback_addr, api::StatusResponse, genesis::dev_signer};

use crate::{
    chaos::{Figures, Xorshift},
    sequencer::{
        end_to_end::{start_anvil, wait_receipt},
        restart::{spawn_with, wait_rpc},
        transfer,
    },
};

/// Ten times the demonstration generator's one action per two seconds.
const RATE_PER_SECOND: u64 = 5;
/// The bounds the run must keep.
const MAX_RSS_MIB: u64 = 1024;
const MAX_P99_MS: u128 = 1000;

/// The resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[u128], p: f64) -> u128 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: run by cargo xtask chaos (case 13)"]
async fn ten_times_the_demo_traffic_keeps_memory_and_latency_bounded_and_loses_nothing() {
    let seconds = crate::chaos::scale("LOAD_SECONDS", 30);
    let anvil = start_anvil().await;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("index.html"), "<html>explorer</html>").expect("index.html");
    let rpc = free_loopback_addr().expect("port");
    let http = free_loopback_addr().expect("port");
    let process = spawn_with(
        anvil.url(),
        &dir.path().join("data"),
        dir.path(),
        rpc,
        &["--http-addr", &http.to_string()],
    );
    let pid = process.0.id();
    let l2 = ProviderBuilder::new()
        .connect_http(format!("http://{rpc}").parse().expect("url"))
        .erased();
    wait_rpc(&l2).await;
    let api = format!("http://{http}/api/v1");
    let client = reqwest::Client::new();

    // Writers: six senders sharing the rate, each with its own nonces.
    let accepted = Arc::new(Mutex::new(Vec::<B256>::new()));
    let refused = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Instant::now() + Duration::from_secs(seconds);
    let mut writers = Vec::new();
    for key in 4..10usize {
        let (l2, accepted, refused) = (l2.clone(), accepted.clone(), refused.clone());
        writers.push(tokio::spawn(async move {
            let signer = dev_signer(key);
            let mut nonce = l2
                .get_transaction_count(signer.address())
                .pending()
                .await
                .expect("nonce");
            let pause = Duration::from_millis(1000 * 6 / RATE_PER_SECOND);
            let mut round = 0u64;
            while Instant::now() < stop {
                let to = Address::from_word(keccak256((key as u64, round).0.to_be_bytes()));
                match l2
                    .send_raw_transaction(&transfer(&signer, nonce, to, 1 + round))
                    .await
                {
                    Ok(pending) => {
                        accepted.lock().expect("lock").push(*pending.tx_hash());
                        nonce += 1;
                    }
                    Err(e) => refused.lock().expect("lock").push(e.to_string()),
                }
                round += 1;
                tokio::time::sleep(pause).await;
            }
        }));
    }
    // Readers: four clients walking the API; every answer must be a success.
    let latencies = Arc::new(Mutex::new(Vec::<u128>::new()));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut readers = Vec::new();
    for reader in 0..4u64 {
        let (client, api, latencies, failures) = (
            client.clone(),
            api.clone(),
            latencies.clone(),
            failures.clone(),
        );
        readers.push(tokio::spawn(async move {
            let mut random = Xorshift::seeded("LOAD_SEED");
            random.below(reader + 1);
            let mut safe = 0;
            while Instant::now() < stop {
                let path = match random.below(4) {
                    0 => "/status".to_owned(),
                    1 => "/blocks?limit=20".to_owned(),
                    2 => format!("/blocks/{}", random.below(safe + 1)),
                    _ => format!(
                        "/accounts/{}",
                        dev_signer(4 + random.below(6) as usize).address()
                    ),
                };
                let started = Instant::now();
                match client.get(format!("{api}{path}")).send().await {
                    Ok(r) if r.status().is_success() => {
                        let body = r.bytes().await.unwrap_or_default();
                        latencies
                            .lock()
                            .expect("lock")
                            .push(started.elapsed().as_micros());
                        if path == "/status"
                            && let Ok(s) = serde_json::from_slice::<StatusResponse>(&body)
                        {
                            safe = s.l2.heads.safe;
                        }
                    }
                    Ok(r) => failures
                        .lock()
                        .expect("lock")
                        .push(format!("GET {path}: {}", r.status())),
                    Err(e) => failures
                        .lock()
                        .expect("lock")
                        .push(format!("GET {path}: {e}")),
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }));
    }
    // Memory, every five seconds.
    let mut rss = Vec::new();
    while Instant::now() < stop {
        rss.push(rss_kib(pid));
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    for task in writers.into_iter().chain(readers) {
        task.await.expect("a load task");
    }
    rss.push(rss_kib(pid));

    // The backlog drains: every accepted transaction is mined and derived from L1.
    let accepted = accepted.lock().expect("lock").clone();
    let drained_from = Instant::now();
    let deadline = drained_from + Duration::from_secs(180);
    let mut last = 0;
    for hash in &accepted {
        let receipt = wait_receipt(&l2, *hash, deadline).await;
        assert!(receipt.status());
        last = last.max(receipt.block_number.expect("mined"));
    }
    let status = loop {
        let status: StatusResponse = client
            .get(format!("{api}/status"))
            .send()
            .await
            .expect("status")
            .json()
            .await
            .expect("a status");
        if status.l2.heads.safe >= last {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the backlog did not drain: safe head {} of {last}",
            status.l2.heads.safe
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let drain = drained_from.elapsed();
    assert!(status.index.divergence.is_none(), "{status:?}");
    // No block lost: every derived block is there, and each accepted transaction is in one.
    let mut missing = 0;
    for hash in &accepted {
        let response = client
            .get(format!("{api}/txs/{hash}"))
            .send()
            .await
            .expect("tx");
        if !response.status().is_success() {
            missing += 1;
        }
    }
    assert_eq!(missing, 0, "accepted transactions missing from the index");
    for number in (0..=last).step_by(97) {
        let response = client
            .get(format!("{api}/blocks/{number}"))
            .send()
            .await
            .expect("block");
        assert!(response.status().is_success(), "block {number}");
    }

    let failures = failures.lock().expect("lock").clone();
    assert!(failures.is_empty(), "API failures under load: {failures:?}");
    let mut sorted = latencies.lock().expect("lock").clone();
    sorted.sort_unstable();
    let (p50, p99) = (
        percentile(&sorted, 0.5) / 1000,
        percentile(&sorted, 0.99) / 1000,
    );
    let peak_mib = rss.iter().max().copied().unwrap_or(0) / 1024;
    assert!(
        peak_mib < MAX_RSS_MIB,
        "memory peaked at {peak_mib} MiB: {rss:?}"
    );
    assert!(p99 < MAX_P99_MS, "API p99 of {p99} ms under load");
    let refused = refused.lock().expect("lock").len();
    Figures {
        case: 13,
        test: "10x the demo's traffic",
        tried: accepted.len() as u64 + sorted.len() as u64,
        faults: 0,
        compared: accepted.len() as u64,
        detail: format!(
            "{seconds} s at {RATE_PER_SECOND} tx/s with 4 API readers: {} transfers accepted ({refused} refused), all mined and derived, backlog drained in {:.1} s; {} API reads p50 {p50} ms, p99 {p99} ms (bound {MAX_P99_MS}); server RSS {} to {peak_mib} MiB (bound {MAX_RSS_MIB})",
            accepted.len(),
            drain.as_secs_f64(),
            sorted.len(),
            rss.first().copied().unwrap_or(0) / 1024,
        ),
    }
    .report();
    drop(process);
}
