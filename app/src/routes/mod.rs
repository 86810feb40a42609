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

use std::{marker::PhantomData, sync::Arc};

use leptos::prelude::*;
use serde_json::Value;

use crate::{
    api::{self, FromJson, Page},
    live::use_live,
    router::use_router,
};

/// An API response being loaded, to be read as a `T`. Every page's data goes through the same
/// resource type (JSON), so that the asynchronous machinery behind it is compiled once, not once per
/// route (docs/benchmarks.md, the bundle).
pub struct Fetched<T> {
    /// The response body.
    pub json: LocalResource<Result<Value, String>>,
    kind: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Fetched<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fetched")
    }
}

impl<T> Clone for Fetched<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Fetched<T> {}

impl<T: FromJson> Fetched<T> {
    /// The response read as a `T`, once loaded.
    pub fn get(&self) -> Option<Result<T, String>> {
        self.json
            .get()
            .map(|r| r.and_then(|json| T::from_json(&json)))
    }
}

/// GETs the API path `path()` names, again whenever the path changes, and when `live`, whenever the
/// chain does (a live event).
pub(crate) fn fetch<T>(
    path: impl Fn() -> String + Send + Sync + 'static,
    live: bool,
) -> Fetched<T> {
    Fetched {
        json: fetch_json(Arc::new(path), live),
        kind: PhantomData,
    }
}

fn fetch_json(
    path: Arc<dyn Fn() -> String + Send + Sync>,
    live: bool,
) -> LocalResource<Result<Value, String>> {
    let tick = use_live().tick;
    LocalResource::new(move || {
        if live {
            tick.track();
        }
        let path = path();
        async move { api::get_json(&path).await }
    })
}

/// GETs the API path `path()` names, again whenever the path changes or the chain does.
pub(crate) fn live_get<T>(path: impl Fn() -> String + Send + Sync + 'static) -> Fetched<T> {
    fetch(path, true)
}

/// The page of the list at API path `base` that the `cursor` query parameter names, kept live.
pub(crate) fn live_page<T>(base: &'static str) -> Fetched<Page<T>> {
    let cursor = query("cursor");
    live_get(move || match cursor() {
        Some(c) => format!("{base}?cursor={c}"),
        None => base.to_owned(),
    })
}

/// The route parameter `name` of the current page, as a signal.
pub(crate) fn param(name: &'static str) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let router = use_router();
    move || router.param(name)
}

/// The query parameter `name` of the current page, as a signal.
pub(crate) fn query(
    name: &'static str,
) -> impl Fn() -> Option<String> + Copy + Send + Sync + 'static {
    let router = use_router();
    move || router.query(name)
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
                <a href=format!("{base}?cursor={c}")>{label}</a>
            </p>
        }
    })
}
