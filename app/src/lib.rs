//! The rollup explorer's web app.

pub mod api;
pub mod components;
pub mod live;
pub mod routes;
pub mod settings;
pub mod verify;

pub use routes::overview::{L1Panel, Overview};

use leptos::prelude::*;
use leptos_router::{
    components::{A, Route, Router, Routes},
    path,
};

use crate::routes::{
    account::AccountPage,
    batches::{BatchPage, BatchesPage},
    blocks::{BlockPage, BlocksPage},
    games::{GamePage, GamesPage},
    proposals::{ProposalPage, ProposalsPage},
    search::{SearchBox, SearchPage},
    settings::SettingsPage,
    tx::TxPage,
};

/// The whole app: the top bar and the page the URL names.
#[component]
pub fn App() -> impl IntoView {
    let live = live::Live::provide();
    verify::Verifier::provide();
    view! {
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">"Rollup Explorer"</A>
                <nav>
                    <A href="/blocks">"Blocks"</A>
                    <A href="/batches">"Batches"</A>
                    <A href="/proposals">"Proposals"</A>
                    <A href="/games">"Games"</A>
                    <A href="/settings">"Settings"</A>
                </nav>
                <SearchBox/>
                <verify::AutoVerify/>
                <span class="live" title="Live updates from the server">
                    {move || if live.connected.get() { "● live" } else { "○ offline" }}
                </span>
            </header>
            <main>
                <Routes fallback=|| view! { <p class="error">"No such page."</p> }>
                    <Route path=path!("/") view=Overview/>
                    <Route path=path!("/blocks") view=BlocksPage/>
                    <Route path=path!("/blocks/:id") view=BlockPage/>
                    <Route path=path!("/txs/:hash") view=TxPage/>
                    <Route path=path!("/batches") view=BatchesPage/>
                    <Route path=path!("/batches/:index") view=BatchPage/>
                    <Route path=path!("/accounts/:address") view=AccountPage/>
                    <Route path=path!("/proposals") view=ProposalsPage/>
                    <Route path=path!("/proposals/:index") view=ProposalPage/>
                    <Route path=path!("/games") view=GamesPage/>
                    <Route path=path!("/games/:id") view=GamePage/>
                    <Route path=path!("/search") view=SearchPage/>
                    <Route path=path!("/settings") view=SettingsPage/>
                </Routes>
            </main>
        </Router>
    }
}
