//! The overview page.

use std::time::Duration;

use leptos::prelude::*;

use crate::api::{self, Status};

/// How often the page re-reads the status.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The overview page: live chain heads.
#[component]
pub fn Overview() -> impl IntoView {
    let status = RwSignal::new(None::<Result<Status, String>>);
    leptos::task::spawn_local(async move {
        loop {
            let next = api::status().await;
            // The page may have been left; stop polling then.
            if status.try_set(Some(next)).is_some() {
                break;
            }
            gloo_timers::future::sleep(POLL_INTERVAL).await;
        }
    });
    view! {
        <section class="overview">
            <h1>"Overview"</h1>
            <L1Panel status=status/>
        </section>
    }
}

/// The L1 chain id and head, or why they are unknown.
#[component]
pub fn L1Panel(
    /// The latest status read, `None` while the first read is under way.
    #[prop(into)]
    status: Signal<Option<Result<Status, String>>>,
) -> impl IntoView {
    move || match status.get() {
        None => view! { <div class="card loading">"Loading L1 status…"</div> }.into_any(),
        Some(Err(e)) => view! { <div class="card error" role="alert">{e}</div> }.into_any(),
        Some(Ok(s)) if !s.l1.reachable => view! {
            <div class="card error" role="alert">
                "L1 is unreachable: " {s.l1.error.unwrap_or_default()}
            </div>
        }
        .into_any(),
        Some(Ok(s)) => view! {
            <div class="card l1">
                <h2>"L1"</h2>
                <dl>
                    <dt>"Chain id"</dt>
                    <dd id="l1-chain-id">{s.l1.chain_id.map(|c| c.to_string())}</dd>
                    <dt>"Head block"</dt>
                    <dd id="l1-head">{s.l1.head.map(|h| h.to_string())}</dd>
                </dl>
            </div>
        }
        .into_any(),
    }
}
