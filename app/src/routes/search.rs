//! Search: a box in the top bar, and a page for what it finds.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};

use super::{fetch, query};
use crate::{api::SearchResponse, components::Loaded};

/// The search box: sends the query to `/search`, which goes straight to a single result.
#[component]
pub fn SearchBox() -> impl IntoView {
    let text = RwSignal::new(String::new());
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let q = text.get_untracked().trim().to_owned();
        if !q.is_empty() {
            navigate(&format!("/search?q={q}"), Default::default());
        }
    };
    view! {
        <form class="search" role="search" on:submit=submit>
            <input id="search" type="search" placeholder="Block, tx hash, address, batch…"
                aria-label="Search" bind:value=text/>
            <button type="submit">"Search"</button>
        </form>
    }
}

/// `/search?q=`: one result redirects; several are listed; none says so.
#[component]
pub fn SearchPage() -> impl IntoView {
    let q = query("q");
    let navigate = use_navigate();
    let results = fetch::<SearchResponse>(
        move || format!("/search?q={}", q().unwrap_or_default()),
        false,
    );
    Effect::new(move |_| {
        if let Some(Ok(found)) = results.get()
            && let [only] = found.results.as_slice()
        {
            navigate(&format!("/{}", only.path), Default::default());
        }
    });
    view! {
        <section>
            <h1>"Search"</h1>
            <Loaded resource=results render={|found: SearchResponse| {
                if found.results.is_empty() {
                    view! { <p class="empty">"Nothing found."</p> }.into_any()
                } else {
                    view! {
                        <ul class="results">
                            {found.results.into_iter().map(|hit| view! {
                                <li><A href=format!("/{}", hit.path)>{format!("{}: {}", hit.kind, hit.path)}</A></li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}/>
        </section>
    }
}
