//! The rollup explorer's web app.

pub mod api;
pub mod components;
pub mod live;
mod pages;
mod replies;
pub mod router;
pub mod routes;
pub mod settings;
pub mod verify;

pub use routes::overview::{L1Panel, Overview};

use leptos::prelude::*;

use crate::{
    router::{NavLink, Router, route},
    routes::search::SearchBox,
};

/// Says at the top of the page, once, that the app stopped (it panicked with `message`): the page
/// no longer follows links or the chain until it is reloaded.
pub fn show_crash(message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = document.body() else {
        return;
    };
    if document.get_element_by_id("crash").is_some() {
        return;
    }
    let Ok(note) = document.create_element("p") else {
        return;
    };
    note.set_id("crash");
    note.set_class_name("error crash");
    let _ = note.set_attribute("role", "alert");
    note.set_text_content(Some(&format!(
        "This page stopped working; reload it to go on. ({message})"
    )));
    let _ = body.insert_adjacent_element("afterbegin", &note);
}

/// The whole app: the top bar and the page the URL names.
#[component]
pub fn App() -> impl IntoView {
    let router = Router::provide();
    let live = live::Live::provide();
    verify::Verifier::provide();
    // Only a change of page re-renders it; a new parameter or query reaches the page as a signal.
    let page = Memo::new(move |_| router.location.with(|l| route(&l.path).0));
    view! {
        <header class="topbar">
            <NavLink href="/" class="brand">"Rollup Explorer"</NavLink>
            <nav>
                <NavLink href="/blocks">"Blocks"</NavLink>
                <NavLink href="/batches">"Batches"</NavLink>
                <NavLink href="/proposals">"Proposals"</NavLink>
                <NavLink href="/games">"Games"</NavLink>
                <NavLink href="/settings">"Settings"</NavLink>
            </nav>
            <SearchBox/>
            <verify::AutoVerify/>
            <span class="live" title="Live updates from the server">
                {move || if live.connected.get() { "● live" } else { "○ offline" }}
            </span>
        </header>
        <main>{move || pages::show(page.get())}</main>
    }
}
