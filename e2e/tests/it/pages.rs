//! The explorer's pages against the devnet with the demonstration on: the overview's charts and links, a
//! batch, a game the faulty proposer lost, its proposal, search by transaction hash and by "#1", a block and an
//! account, with the in-browser light node verifying the game's moves, the faulty proposal
//! ("mismatch"), a batch ("verified") and the account's proof. Each page is saved as a screenshot
//! under `target/e2e/`.

use std::time::Duration;

use fantoccini::Locator;

use crate::harness::{Browser, Devnet, eventually};

/// Reads `/api/v1{path}` through the browser (the page's own origin) as JSON.
async fn api(browser: &Browser, devnet: &Devnet, path: &str) -> Option<serde_json::Value> {
    browser
        .client
        .goto(&format!("{}/api/v1{path}", devnet.url))
        .await
        .ok()?;
    let body = browser.client.find(Locator::Css("body")).await.ok()?;
    serde_json::from_str(&body.text().await.ok()?).ok()
}

/// Waits until the element `css` is on the page, and returns its text.
async fn text_of(browser: &Browser, css: &str, timeout: Duration) -> String {
    eventually(css, timeout, || async {
        browser.assert_running().await;
        let el = browser.client.find(Locator::Css(css)).await.ok()?;
        el.text().await.ok().filter(|t| !t.is_empty())
    })
    .await
}

/// Clicks the first element matching `css`, once it is there.
async fn click(browser: &Browser, css: &str) {
    let el = eventually(css, Duration::from_secs(60), || async {
        browser.assert_running().await;
        browser.client.find(Locator::Css(css)).await.ok()
    })
    .await;
    el.click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_from_the_overview_to_a_lost_game() {
    let devnet = Devnet::start_with(true).await;
    let browser = Browser::start().await;

    // The overview links to a batch.
    browser.client.goto(&devnet.url).await.expect("overview");
    text_of(&browser, "table.batches td a", Duration::from_secs(90)).await;
    text_of(&browser, "#head-safe", Duration::from_secs(30)).await;
    // Charts of transactions per second, gas per block, batch sizes and compression ratios, drawn
    // as SVG bars.
    let charts = browser
        .client
        .find_all(Locator::Css("figure.chart"))
        .await
        .expect("charts");
    assert_eq!(charts.len(), 4);
    eventually("bars in the charts", Duration::from_secs(30), || async {
        let bars = browser
            .client
            .find_all(Locator::Css("figure.chart svg rect"))
            .await
            .ok()?;
        (bars.len() >= 3).then_some(())
    })
    .await;
    browser.screenshot("page-overview").await;
    click(&browser, "table.batches td a").await;
    let status = text_of(&browser, "#batch-status", Duration::from_secs(30)).await;
    assert!(status == "accepted" || status == "dropped", "{status}");
    text_of(&browser, "table.blocks td a", Duration::from_secs(30)).await;
    browser.screenshot("page-batch").await;

    // Until the user chose the L1 node and the Rollup contract, the light node gives no verdict:
    // it takes neither from the indexer.
    let batch_page = browser.client.current_url().await.expect("url");
    click(&browser, "#verify-button").await;
    let verdict = text_of(&browser, "#verify-verdict", Duration::from_secs(60)).await;
    assert_eq!(verdict, "cannot verify");
    let reason = text_of(&browser, ".verdict-reason", Duration::from_secs(5)).await;
    assert!(reason.contains("under Settings"), "{reason}");
    // The settings page offers the indexer's suggestion, says where it comes from, and saves it.
    browser
        .client
        .goto(&format!("{}/settings", devnet.url))
        .await
        .expect("settings");
    text_of(&browser, "#settings-unchosen", Duration::from_secs(30)).await;
    let notice = text_of(&browser, "#settings-suggested", Duration::from_secs(30)).await;
    assert!(notice.contains("suggests"), "{notice}");
    let rollup = eventually(
        "the suggested Rollup address",
        Duration::from_secs(30),
        || async {
            let input = browser
                .client
                .find(Locator::Id("setting-rollup"))
                .await
                .ok()?;
            input
                .prop("value")
                .await
                .ok()?
                .filter(|v| v.starts_with("0x"))
        },
    )
    .await;
    browser.screenshot("page-settings-suggested").await;
    click(&browser, "#settings-save").await;
    text_of(&browser, ".settings .saved", Duration::from_secs(10)).await;
    let saved = browser
        .client
        .execute(
            "return localStorage.getItem('rollup-explorer.settings')",
            vec![],
        )
        .await
        .expect("localStorage");
    assert!(
        saved.as_str().is_some_and(|s| s.contains(&rollup)),
        "{saved}"
    );
    browser
        .client
        .goto(batch_page.as_str())
        .await
        .expect("batch");

    // A block from the batch, with its finality ladder.
    click(&browser, "table.blocks td a").await;
    text_of(&browser, "ol.ladder li.reached", Duration::from_secs(30)).await;
    browser.screenshot("page-block").await;

    // A game the faulty proposer lost, played to the arbiter.
    let game = eventually(
        "a game won by the challenger",
        Duration::from_secs(180),
        || async {
            let games = api(&browser, &devnet, "/games").await?;
            games["items"]
                .as_array()?
                .iter()
                .find(|g| g["outcome"] == "challenger_wins")
                .and_then(|g| g["id"].as_u64())
        },
    )
    .await;
    browser
        .client
        .goto(&format!("{}/games", devnet.url))
        .await
        .expect("games");
    click(&browser, &format!("table.games a[href='/games/{game}']")).await;
    let outcome = text_of(&browser, "#game-outcome", Duration::from_secs(30)).await;
    assert_eq!(outcome, "challenger wins");
    text_of(&browser, "#game-winner", Duration::from_secs(5)).await;
    let trust = text_of(&browser, "#game-adjudication", Duration::from_secs(5)).await;
    assert!(trust.contains("Trust assumption"), "{trust}");
    let moves = browser
        .client
        .find_all(Locator::Css("ol.timeline li"))
        .await
        .expect("moves");
    assert!(moves.len() >= 3, "start, the arbiter and the end at least");
    let steps = browser
        .client
        .find(Locator::Css("ol.timeline"))
        .await
        .expect("timeline")
        .text()
        .await
        .expect("text");
    assert!(steps.contains("the arbiter re-executed block"), "{steps}");
    assert!(steps.contains("challenger wins"), "{steps}");
    // The light node's own verdict on each move, computed in this browser.
    click(&browser, "#check-moves").await;
    let verdicts = eventually(
        "the light node's move verdicts",
        Duration::from_secs(180),
        || async {
            let els = browser
                .client
                .find_all(Locator::Css("ol.timeline .move-verdict"))
                .await
                .ok()?;
            let mut texts = Vec::new();
            for el in els {
                texts.push(el.text().await.ok()?);
            }
            (!texts.is_empty()).then_some(texts)
        },
    )
    .await;
    assert!(
        verdicts[0].contains("the proposal's root is wrong"),
        "{verdicts:?}"
    );
    assert!(
        verdicts
            .iter()
            .any(|v| v.contains("this decision is right")),
        "{verdicts:?}"
    );
    browser.screenshot("page-game").await;

    // Its proposal: the claimed root differs from the derived one.
    click(&browser, "dl.fields a[href^='/proposals/']").await;
    let check = text_of(&browser, "#proposal-check", Duration::from_secs(30)).await;
    assert_eq!(check, "differs from the derived root");
    assert_eq!(
        text_of(&browser, "#proposal-status", Duration::from_secs(5)).await,
        "invalidated"
    );
    click(&browser, "#verify-button").await;
    let verdict = text_of(&browser, "#verify-verdict", Duration::from_secs(180)).await;
    assert_eq!(verdict, "mismatch");
    browser.screenshot("page-proposal").await;

    // A batch from the overview verifies in the browser. While a wrong proposal on its blocks
    // still stands on L1 the verdict is "mismatch"; then the index must agree that the proposal
    // is wrong, and a later batch (or the same one, once the game removed it) is tried.
    let verified_batch = eventually("a verified batch", Duration::from_secs(240), || async {
        browser.client.goto(&devnet.url).await.ok()?;
        let links = eventually("batch links", Duration::from_secs(30), || async {
            let links = browser
                .client
                .find_all(Locator::Css("table.batches td a"))
                .await
                .ok()?;
            (!links.is_empty()).then_some(links)
        })
        .await;
        links[0].clone().click().await.ok()?;
        click(&browser, "#verify-button").await;
        let verdict = text_of(&browser, "#verify-verdict", Duration::from_secs(180)).await;
        match verdict.as_str() {
            "verified" => {
                let trusted =
                    text_of(&browser, ".verify-outcome .trusted", Duration::from_secs(5)).await;
                assert!(
                    trusted.contains("genesis")
                        || trusted.contains("verified earlier in this browser"),
                    "{trusted}"
                );
                Some(browser.client.current_url().await.ok()?.path().to_owned())
            }
            "mismatch" => {
                let rows = browser
                    .client
                    .find_all(Locator::Css("table.proposal-checks tr"))
                    .await
                    .ok()?;
                for row in rows {
                    let text = row.text().await.ok()?;
                    if text.contains("still standing") {
                        let index: u64 = text
                            .split_whitespace()
                            .next()?
                            .trim_start_matches('#')
                            .parse()
                            .ok()?;
                        let p = api(&browser, &devnet, &format!("/proposals/{index}")).await?;
                        assert_eq!(
                            p["matches"], false,
                            "the light node calls proposal {index} wrong: {p}"
                        );
                    }
                }
                None
            }
            other => panic!("verifying a batch gave {other:?}"),
        }
    })
    .await;
    assert!(verified_batch.starts_with("/batches/"), "{verified_batch}");
    browser.screenshot("page-batch-verified").await;

    // Search by a transaction's hash lands on the transaction.
    let hash = eventually("a transaction", Duration::from_secs(60), || async {
        let blocks = api(&browser, &devnet, "/blocks?limit=50").await?;
        for block in blocks["items"].as_array()? {
            if block["tx_count"].as_u64()? > 0 {
                let number = block["number"].as_u64()?;
                let detail = api(&browser, &devnet, &format!("/blocks/{number}")).await?;
                return detail["transactions"][0]["hash"]
                    .as_str()
                    .map(str::to_owned);
            }
        }
        None
    })
    .await;
    browser.client.goto(&devnet.url).await.expect("overview");
    let input = eventually("the search box", Duration::from_secs(30), || async {
        browser.client.find(Locator::Id("search")).await.ok()
    })
    .await;
    input.send_keys(&hash).await.expect("type");
    click(&browser, "form.search button").await;
    let shown = eventually("the transaction page", Duration::from_secs(30), || async {
        let el = browser
            .client
            .find(Locator::Css("#tx-hash .hex"))
            .await
            .ok()?;
        el.attr("title").await.ok().flatten()
    })
    .await;
    assert_eq!(shown, hash);
    assert!(
        browser
            .client
            .current_url()
            .await
            .expect("url")
            .path()
            .starts_with("/txs/0x")
    );
    browser.screenshot("page-tx").await;

    // The sender's account.
    click(&browser, "dl.fields a[href^='/accounts/']").await;
    let balance = text_of(&browser, "#account-balance", Duration::from_secs(30)).await;
    assert!(balance.ends_with("ETH"), "{balance}");
    click(&browser, "#verify-button").await;
    let verdict = text_of(&browser, "#verify-verdict", Duration::from_secs(180)).await;
    assert_eq!(verdict, "verified");
    let proved = text_of(&browser, "#proved-balance", Duration::from_secs(5)).await;
    assert!(proved.ends_with("ETH"), "{proved}");
    let count = text_of(&browser, "#verified-count", Duration::from_secs(5)).await;
    let count: usize = count
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(count >= 1, "batches verified in this browser: {count}");
    browser.screenshot("page-account").await;

    // A query with a character that has a meaning in URLs (`#`) reaches the API whole: "#1" finds
    // block 1 (and batch or proposal 1, when there are such).
    browser.client.goto(&devnet.url).await.expect("overview");
    let input = eventually("the search box", Duration::from_secs(30), || async {
        browser.client.find(Locator::Id("search")).await.ok()
    })
    .await;
    input.send_keys("#1").await.expect("type");
    click(&browser, "form.search button").await;
    eventually(
        "block 1 found by \"#1\"",
        Duration::from_secs(30),
        || async {
            browser.assert_running().await;
            let url = browser.client.current_url().await.ok()?;
            let listed = browser
                .client
                .find(Locator::Css("ul.results a[href='/blocks/1']"))
                .await
                .is_ok();
            (url.path() == "/blocks/1" || listed).then_some(())
        },
    )
    .await;

    browser.close().await;
    drop(devnet);
}
