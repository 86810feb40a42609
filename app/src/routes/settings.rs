//! Settings: the endpoints the app and its light node read.
//!
//! The L1 node and the Rollup contract are the user's to choose: until both are saved here the
//! light node gives no verdict. On a first visit the form is filled with the indexer's suggestion
//! and says so, since an indexer that lies would suggest an L1 of its own.

use leptos::prelude::*;

use crate::settings::Settings;

/// `/settings`.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let saved = Settings::load();
    let chosen = RwSignal::new(saved.l1.is_some() && saved.rollup.is_some());
    let l1 = RwSignal::new(saved.l1.unwrap_or_default());
    let indexer = RwSignal::new(saved.indexer.unwrap_or_default());
    let rollup = RwSignal::new(saved.rollup.unwrap_or_default());
    let done = RwSignal::new(false);
    let suggested = super::fetch::<crate::api::Status>(|| "/status".to_owned(), false);
    // Fills the empty fields with the indexer's suggestion, once it arrives.
    let prefilled = RwSignal::new(false);
    Effect::new(move |_| {
        let Some(Ok(status)) = suggested.get() else {
            return;
        };
        let mut filled = false;
        if l1.get_untracked().is_empty()
            && let Some(endpoint) = status.l1.endpoint
        {
            l1.set(endpoint);
            filled = true;
        }
        if rollup.get_untracked().is_empty()
            && let Some(info) = status.rollup
        {
            rollup.set(info.rollup);
            filled = true;
        }
        if filled {
            prefilled.set(true);
        }
    });
    let save = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let some = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let settings = Settings {
            l1: some(l1.get_untracked()),
            indexer: some(indexer.get_untracked()),
            rollup: some(rollup.get_untracked()),
        };
        chosen.set(settings.l1.is_some() && settings.rollup.is_some());
        settings.save();
        done.set(true);
    };
    let source = move || crate::settings::Settings::load().indexer_base();
    view! {
        <section>
            <h1>"Settings"</h1>
            <p>"Kept in this browser only. The light node believes L1 and nothing else: point it at an L1 node you trust, and name the Rollup contract you mean. The indexer only serves data the light node checks."</p>
            {move || (!chosen.get()).then(|| view! {
                <p id="settings-unchosen" class="warning">"Nothing is verified in this browser until an L1 node and a Rollup contract are saved here."</p>
            })}
            {move || (prefilled.get() && !done.get()).then(|| view! {
                <p id="settings-suggested" class="warning">
                    "Filled in with what the indexer at " <code>{source()}</code>
                    " suggests. An indexer that lies can suggest an L1 of its own: check both against a source you trust (your own node, the rollup's published address) before saving."
                </p>
            })}
            <form class="settings" on:submit=save>
                <label>"L1 JSON-RPC endpoint"
                    <input id="setting-l1" type="url" placeholder="http://127.0.0.1:8545" bind:value=l1/>
                </label>
                <span class="hint">"An L1 node you trust; the light node reads batches, deposits and proposals from it."</span>
                <label>"Indexer API"
                    <input id="setting-indexer" type="text" placeholder="/api/v1" bind:value=indexer/>
                </label>
                <span class="hint">"Empty: this server's /api/v1."</span>
                <label>"Rollup contract"
                    <input id="setting-rollup" type="text" placeholder="0x…" bind:value=rollup/>
                </label>
                <span class="hint">"The rollup's L1 contract; its chain parameters are checked against the hash it stores."</span>
                <button id="settings-save" type="submit">"Save"</button>
                {move || done.get().then(|| view! { <span class="saved">"Saved."</span> })}
            </form>
        </section>
    }
}
