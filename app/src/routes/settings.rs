//! Settings: the endpoints the app and its light node read.

use leptos::prelude::*;

use crate::settings::Settings;

/// `/settings`.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let saved = Settings::load();
    let l1 = RwSignal::new(saved.l1.unwrap_or_default());
    let indexer = RwSignal::new(saved.indexer.unwrap_or_default());
    let rollup = RwSignal::new(saved.rollup.unwrap_or_default());
    let done = RwSignal::new(false);
    let suggested = super::fetch::<crate::api::Status>(|| "/status".to_owned(), false);
    let save = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let some = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Settings {
            l1: some(l1.get_untracked()),
            indexer: some(indexer.get_untracked()),
            rollup: some(rollup.get_untracked()),
        }
        .save();
        done.set(true);
    };
    view! {
        <section>
            <h1>"Settings"</h1>
            <p>"Kept in this browser only. The light node believes L1 and nothing else: point it at an L1 node you trust. The indexer only serves data the light node checks."</p>
            <form class="settings" on:submit=save>
                <label>"L1 JSON-RPC endpoint"
                    <input id="setting-l1" type="url" placeholder=move || {
                        suggested.get().and_then(|s| s.ok()).and_then(|s| s.l1.endpoint).unwrap_or_else(|| "http://127.0.0.1:8545".into())
                    } bind:value=l1/>
                </label>
                <span class="hint">"Empty: the endpoint the server suggests."</span>
                <label>"Indexer API"
                    <input id="setting-indexer" type="text" placeholder="/api/v1" bind:value=indexer/>
                </label>
                <span class="hint">"Empty: this server's /api/v1."</span>
                <label>"Rollup contract"
                    <input id="setting-rollup" type="text" placeholder="0x… (empty: the one the indexer names)" bind:value=rollup/>
                </label>
                <span class="hint">"Set it to stop taking the indexer's word for which contract is the rollup."</span>
                <button type="submit">"Save"</button>
                {move || done.get().then(|| view! { <span class="saved">"Saved."</span> })}
            </form>
        </section>
    }
}
