//! The worker's message loop.

use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::protocol::{Outcome, Reply, Request};

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(reply: &Reply) {
    if let Ok(text) = serde_json::to_string(reply) {
        // Posting a string to the page cannot fail.
        let _ = scope().post_message(&JsValue::from_str(&text));
    }
}

/// Installs the message handler: each request runs to its end, answering with progress and then
/// its outcome. A message that is not a request is answered with "cannot verify" under id 0.
pub fn start() {
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        let text = event.data().as_string().unwrap_or_default();
        let request: Request = match serde_json::from_str(&text) {
            Ok(request) => request,
            Err(e) => {
                post(&Reply::Done {
                    id: 0,
                    outcome: Box::new(Outcome::cannot_verify(format!("bad request: {e}"))),
                });
                return;
            }
        };
        wasm_bindgen_futures::spawn_local(async move {
            let id = request.id;
            let progress = |step: &str, done: u32, total: u32| {
                post(&Reply::Progress {
                    id,
                    step: step.to_owned(),
                    done,
                    total,
                })
            };
            let outcome = crate::run::run(&request, &progress).await;
            post(&Reply::Done {
                id,
                outcome: Box::new(outcome),
            });
        });
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
}
