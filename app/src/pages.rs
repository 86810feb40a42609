//! The page a route shows. Built with the `split` feature (as `cargo xtask` builds the app), each
//! group of pages is a split point: its code is cut out of the UI shell into chunks that the
//! browser loads the first time one of its pages is shown (docs/app.md, loading on demand).
//! Without the feature (tests, the wasm test runner), every page is in the one module.

use leptos::prelude::*;

use crate::{
    router::Page,
    routes::{
        account::AccountPage,
        batches::{BatchPage, BatchesPage},
        blocks::{BlockPage, BlocksPage},
        games::{GamePage, GamesPage},
        overview::Overview,
        proposals::{ProposalPage, ProposalsPage},
        search::SearchPage,
        settings::SettingsPage,
        tx::TxPage,
    },
};

/// The view of `page`, loaded first when it lives in a chunk.
pub(crate) fn show(page: Page) -> AnyView {
    match page {
        Page::Overview => load(overview()),
        Page::Blocks | Page::Block | Page::Tx => load(chain(page)),
        Page::Batches | Page::Batch => load(batches(page)),
        Page::Proposals | Page::Proposal | Page::Games | Page::Game => load(proofs(page)),
        Page::Account => load(account()),
        Page::Search | Page::Settings => load(tools(page)),
        Page::Missing => view! { <p class="error">"No such page."</p> }.into_any(),
    }
}

/// A page whose chunk is being loaded: the view once it is there. Until then the page stays
/// empty, as it is while its data loads.
#[cfg(feature = "split")]
fn load(view: impl Future<Output = AnyView> + 'static) -> AnyView {
    let view = send_wrapper::SendWrapper::new(view);
    Suspend::new(view).into_any()
}

/// A page in the one module.
#[cfg(not(feature = "split"))]
fn load(view: AnyView) -> AnyView {
    view
}

// The split points: one per group of pages that are read together and share most of their code,
// so that a page needs few chunks (docs/app.md). `lazy` makes each an `async fn` whose first call
// loads its chunks.

#[cfg_attr(feature = "split", leptos::lazy)]
fn overview() -> AnyView {
    view! { <Overview/> }.into_any()
}

/// Blocks and transactions.
#[cfg_attr(feature = "split", leptos::lazy)]
fn chain(page: Page) -> AnyView {
    match page {
        Page::Block => view! { <BlockPage/> }.into_any(),
        Page::Tx => view! { <TxPage/> }.into_any(),
        _ => view! { <BlocksPage/> }.into_any(),
    }
}

/// Batches.
#[cfg_attr(feature = "split", leptos::lazy)]
fn batches(page: Page) -> AnyView {
    match page {
        Page::Batch => view! { <BatchPage/> }.into_any(),
        _ => view! { <BatchesPage/> }.into_any(),
    }
}

/// Proposals and their dispute games.
#[cfg_attr(feature = "split", leptos::lazy)]
fn proofs(page: Page) -> AnyView {
    match page {
        Page::Proposal => view! { <ProposalPage/> }.into_any(),
        Page::Games => view! { <GamesPage/> }.into_any(),
        Page::Game => view! { <GamePage/> }.into_any(),
        _ => view! { <ProposalsPage/> }.into_any(),
    }
}

#[cfg_attr(feature = "split", leptos::lazy)]
fn account() -> AnyView {
    view! { <AccountPage/> }.into_any()
}

/// Search results and the settings.
#[cfg_attr(feature = "split", leptos::lazy)]
fn tools(page: Page) -> AnyView {
    match page {
        Page::Settings => view! { <SettingsPage/> }.into_any(),
        _ => view! { <SearchPage/> }.into_any(),
    }
}
