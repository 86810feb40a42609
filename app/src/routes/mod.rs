//! The pages, one file each.

pub mod account;
pub mod batches;
pub mod blocks;
pub mod games;
pub mod overview;
pub mod proposals;
pub mod search;
pub mod settings;
pub mod tx;

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::de::DeserializeOwned;

use crate::{
    api::{self, Page},
    live::use_live,
};

/// GETs the API path `path()` names, again whenever the path changes or the chain does (a live
/// event).
pub(crate) fn live_get<T: DeserializeOwned + 'static>(
    path: impl Fn() -> String + 'static,
) -> LocalResource<Result<T, String>> {
    let live = use_live();
    LocalResource::new(move || {
        live.tick.track();
        let path = path();
        async move { api::get::<T>(&path).await }
    })
}

/// The page of the list at API path `base` that the `cursor` query parameter names, kept live.
pub(crate) fn live_page<T: DeserializeOwned + 'static>(
    base: &'static str,
) -> LocalResource<Result<Page<T>, String>> {
    let cursor = query("cursor");
    live_get(move || match cursor() {
        Some(c) => format!("{base}?cursor={c}"),
        None => base.to_owned(),
    })
}

/// The route parameter `name` of the current page, as a signal.
pub(crate) fn param(name: &'static str) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || params.read().get(name).unwrap_or_default()
}

/// The query parameter `name` of the current page, as a signal.
pub(crate) fn query(
    name: &'static str,
) -> impl Fn() -> Option<String> + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move || query.read().get(name)
}

/// A link to the next page of a list, when there is one.
#[component]
pub(crate) fn NextPage(
    /// The list's path in the app (`/blocks`).
    #[prop(into)]
    base: String,
    /// The API's cursor for the next page.
    cursor: Option<String>,
    /// The link's text.
    #[prop(default = "Older →")]
    label: &'static str,
) -> impl IntoView {
    cursor.map(|c| {
        view! {
            <p class="pager">
                <leptos_router::components::A href=format!("{base}?cursor={c}")>{label}</leptos_router::components::A>
            </p>
        }
    })
}
