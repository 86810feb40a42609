//! The app's components rendered in a real browser.
#![cfg(target_arch = "wasm32")]

use app::{
    L1Panel,
    api::{FromJson, IndexProgress, L1Status, L2Status, Status},
};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh container in the page, so tests sharing the document do not see each other's output.
fn container() -> web_sys::HtmlElement {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a browser document");
    let div = document.create_element("div").expect("create a div");
    document
        .body()
        .expect("a body")
        .append_child(&div)
        .expect("append the div");
    div.unchecked_into()
}

fn text_of(root: &web_sys::HtmlElement, id: &str) -> Option<String> {
    root.query_selector(&format!("#{id}"))
        .ok()
        .flatten()
        .and_then(|e| e.text_content())
}

/// A status with this L1 and an empty L2.
fn status_with(l1: L1Status) -> Status {
    Status {
        l1,
        l2: L2Status {
            chain_id: 42069,
            unsafe_head: Some(0),
            safe: 0,
            l1_finalized: 0,
            proposed: 0,
            finalized: 0,
        },
        index: IndexProgress {
            derived_l1_block: 0,
            sync_lag: 0,
            error: None,
        },
        rollup: None,
    }
}

fn reachable(head: u64) -> Option<Result<Status, String>> {
    Some(Ok(status_with(L1Status {
        reachable: true,
        chain_id: Some(31337),
        head: Some(head),
        finalized: None,
        error: None,
        endpoint: None,
    })))
}

#[wasm_bindgen_test]
async fn l1_panel_shows_chain_id_and_follows_the_head() {
    let root = container();
    let status = RwSignal::new(reachable(7));
    let _mounted =
        leptos::mount::mount_to(root.clone(), move || view! { <L1Panel status=status/> });
    assert_eq!(text_of(&root, "l1-chain-id").as_deref(), Some("31337"));
    assert_eq!(text_of(&root, "l1-head").as_deref(), Some("7"));

    status.set(reachable(8));
    leptos::task::tick().await;
    assert_eq!(text_of(&root, "l1-head").as_deref(), Some("8"));
}

#[wasm_bindgen_test]
async fn l1_panel_explains_an_unreachable_l1() {
    let root = container();
    let status = RwSignal::new(Some(Ok(status_with(L1Status {
        reachable: false,
        chain_id: None,
        head: None,
        finalized: None,
        error: Some("connection refused".into()),
        endpoint: None,
    }))));
    let _mounted =
        leptos::mount::mount_to(root.clone(), move || view! { <L1Panel status=status/> });
    let text = root.text_content().unwrap_or_default();
    assert!(
        text.contains("L1 is unreachable: connection refused"),
        "page says: {text}"
    );
    assert!(text_of(&root, "l1-head").is_none());

    // Recovery: once L1 answers again the numbers come back.
    status.set(reachable(3));
    leptos::task::tick().await;
    assert_eq!(text_of(&root, "l1-head").as_deref(), Some("3"));
}

#[wasm_bindgen_test]
fn status_json_from_the_server_parses() {
    let json = r#"{"l1":{"reachable":true,"chain_id":31337,"head":12,"finalized":1},
        "l2":{"chain_id":42069,"unsafe_head":9,"safe":8,"l1_finalized":2,"proposed":4,"finalized":0},
        "index":{"derived_l1_block":12,"sync_lag":0,"reorgs":0,"divergence":null,"error":null},
        "rollup":{"rollup":"0x5fbdb2315678afecb367f032d93f642f64180aa3",
            "l1_origin":{"number":1,"hash":"0x0101010101010101010101010101010101010101010101010101010101010101","timestamp":5,"deposits":[]}}}"#;
    let json: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
    let status = Status::from_json(&json).expect("a valid status");
    assert_eq!(status.l1.head, Some(12));
    assert_eq!(status.rollup.map(|r| r.l1_origin.number), Some(1));
}
