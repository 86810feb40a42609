//! The app's components rendered in a real browser.
#![cfg(target_arch = "wasm32")]

use app::{
    L1Panel,
    api::{L1Status, Status},
};
use leptos::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a browser document")
}

fn text_of(id: &str) -> Option<String> {
    document()
        .get_element_by_id(id)
        .and_then(|e| e.text_content())
}

#[wasm_bindgen_test]
fn l1_panel_shows_chain_id_and_follows_the_head() {
    let status = RwSignal::new(Some(Ok(Status {
        l1: L1Status {
            reachable: true,
            chain_id: Some(31337),
            head: Some(7),
            error: None,
        },
    })));
    let handle = leptos::mount::mount_to_body(move || view! { <L1Panel status=status/> });
    assert_eq!(text_of("l1-chain-id").as_deref(), Some("31337"));
    assert_eq!(text_of("l1-head").as_deref(), Some("7"));

    status.set(Some(Ok(Status {
        l1: L1Status {
            reachable: true,
            chain_id: Some(31337),
            head: Some(8),
            error: None,
        },
    })));
    assert_eq!(text_of("l1-head").as_deref(), Some("8"));
    drop(handle);
}

#[wasm_bindgen_test]
fn l1_panel_explains_an_unreachable_l1() {
    let status = RwSignal::new(Some(Ok(Status {
        l1: L1Status {
            reachable: false,
            chain_id: None,
            head: None,
            error: Some("connection refused".into()),
        },
    })));
    let handle = leptos::mount::mount_to_body(move || view! { <L1Panel status=status/> });
    let body = document()
        .body()
        .and_then(|b| b.text_content())
        .unwrap_or_default();
    assert!(
        body.contains("L1 is unreachable: connection refused"),
        "page says: {body}"
    );
    assert!(text_of("l1-head").is_none());
    drop(handle);
}

#[wasm_bindgen_test]
fn status_json_from_the_server_parses() {
    let json = r#"{"l1":{"reachable":true,"chain_id":31337,"head":12}}"#;
    let status: Status = serde_json::from_str(json).expect("valid status JSON");
    assert_eq!(status.l1.head, Some(12));
}
