//! Live updates: one `EventSource` on `/api/v1/events`; every page that reads [`Live::tick`]
//! reloads its data when something happened, at most once a second.

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::{JsCast, closure::Closure};

/// The SSE event names the server sends (`IndexEvent`'s `type`, plus `lagged`).
const EVENTS: [&str; 8] = [
    "block", "batch", "proposal", "rollup", "finality", "reorg", "lagged", "message",
];

/// The app's live state, provided as context.
#[derive(Debug, Clone, Copy)]
pub struct Live {
    /// Increments when the chain changed since the last increment.
    pub tick: RwSignal<u64>,
    /// Whether the event stream is open.
    pub connected: RwSignal<bool>,
}

impl Live {
    /// Opens the event stream and provides the state as context.
    pub fn provide() -> Self {
        let live = Self {
            tick: RwSignal::new(0),
            connected: RwSignal::new(false),
        };
        provide_context(live);
        let dirty = RwSignal::new(false);
        if let Ok(source) = web_sys::EventSource::new(&format!(
            "{}/events",
            crate::settings::Settings::load().indexer_base()
        )) {
            let on_event = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| dirty.set(true));
            for name in EVENTS {
                let _ = source
                    .add_event_listener_with_callback(name, on_event.as_ref().unchecked_ref());
            }
            on_event.forget();
            let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                live.connected.set(true);
            });
            source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            on_open.forget();
            // The browser reconnects by itself; show the gap meanwhile.
            let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                live.connected.set(false);
            });
            source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            on_error.forget();
            // The stream lives as long as the page.
            std::mem::forget(source);
        }
        leptos::task::spawn_local(async move {
            loop {
                gloo_timers::future::sleep(Duration::from_secs(1)).await;
                if dirty.get_untracked() {
                    dirty.set(false);
                    live.tick.update(|t| *t += 1);
                }
            }
        });
        live
    }
}

/// The live state from context (a fresh, unconnected one outside the app, as in component tests).
pub fn use_live() -> Live {
    use_context::<Live>().unwrap_or_else(|| Live {
        tick: RwSignal::new(0),
        connected: RwSignal::new(false),
    })
}
