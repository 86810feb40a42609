//! Search: a box in the top bar, and a page for what it finds.

use leptos::prelude::*;

use super::{fetch, query};
use crate::router::use_router;
use crate::{api::SearchResponse, components::Loaded};

/// The search box: sends the query to `/search`, which goes straight to a single result.
#[component]
pub fn SearchBox() -> impl IntoView {
    let text = RwSignal::new(String::new());
    let router = use_router();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let q = text.get_untracked().trim().to_owned();
        if !q.is_empty() {
            let q: String = js_sys::encode_uri_component(&q).into();
            router.navigate(&format!("/search?q={q}"));
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
    let router = use_router();
    // The router gives the query decoded: it is encoded again, so that `&`, `#` or `+` in it
    // reach the API as part of the query.
    let results = fetch::<SearchResponse>(
        move || {
            let q: String = js_sys::encode_uri_component(&q().unwrap_or_default()).into();
            format!("/search?q={q}")
        },
        false,
    );
    Effect::new(move |_| {
        if let Some(Ok(found)) = results.get()
            && let [only] = found.results.as_slice()
        {
            router.navigate(&format!("/{}", only.path));
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
                                <li><a href=format!("/{}", hit.path)>{format!("{}: {}", hit.kind, hit.path)}</a></li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}/>
        </section>
    }
}
