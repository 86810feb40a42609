//! The overview page shows L1 as anvil reports it.

use std::time::Duration;

use crate::harness::{Browser, Devnet, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overview_shows_the_l1_head_that_anvil_reports() {
    let devnet = Devnet::start().await;
    let browser = Browser::start().await;
    browser
        .client
        .goto(&devnet.url)
        .await
        .expect("open the overview");

    let chain_id = eventually(
        "the chain id on the page",
        Duration::from_secs(30),
        || async {
            browser
                .text_by_id("l1-chain-id")
                .await
                .filter(|t| !t.is_empty())
        },
    )
    .await;
    assert_eq!(chain_id, "31337");

    // The page polls once a second and anvil mines once a second: wait for a moment where the DOM
    // and anvil agree exactly.
    let matched = eventually(
        "the page's head to equal anvil's",
        Duration::from_secs(30),
        || async {
            let shown: u64 = browser.text_by_id("l1-head").await?.parse().ok()?;
            let actual = devnet.l1.status().await.ok()?.head;
            (shown == actual).then_some(shown)
        },
    )
    .await;

    // And the page keeps following: a later head shows up without reloading.
    eventually(
        "the page's head to grow",
        Duration::from_secs(30),
        || async {
            let shown: u64 = browser.text_by_id("l1-head").await?.parse().ok()?;
            (shown > matched).then_some(())
        },
    )
    .await;

    browser.screenshot("overview").await;
    browser.close().await;
    drop(devnet);
}
