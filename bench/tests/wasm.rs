//! The light node's benchmark batch verified in headless Chromium (`cargo xtask bench light-node`
//! runs this in release mode and sets the samples beside the native ones).

#![cfg(target_arch = "wasm32")]

use bench::{LIGHT_NODE_BATCH_BYTES, Samples, TXS_PER_BLOCK, workload};
use light_node::{RootCheck, verify_batch};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn light_node_verifies_the_benchmark_batch_in_the_browser() {
    let runs = match option_env!("BENCH_QUICK") {
        Some(_) => 3,
        None => 7,
    };
    let request = workload::verify_request(LIGHT_NODE_BATCH_BYTES, TXS_PER_BLOCK);
    let mut ms = Vec::new();
    for _ in 0..runs {
        let start = js_sys::Date::now();
        let verdict = verify_batch(&request).expect("the benchmark batch verifies");
        ms.push(js_sys::Date::now() - start);
        assert!(
            verdict
                .blocks
                .iter()
                .all(|b| b.check != RootCheck::Mismatch)
        );
    }
    console_log!("{}", Samples::new("light-node-wasm", &request, ms).line());
}
