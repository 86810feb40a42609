//! The rollup explorer's web app.

pub mod api;
pub mod routes;

pub use routes::overview::{L1Panel, Overview};

use leptos::prelude::*;

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Rollup Explorer"</a>
        </header>
        <main>
            <Overview/>
        </main>
    }
}
