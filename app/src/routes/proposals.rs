//! Output-root proposals: the list and one proposal.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{NextPage, live_get, live_page, param};
use crate::{
    api::{Page, Proposal},
    components::{Empty, Hex, Loaded, eth, relative},
    verify::VerifyPanel,
};
use verifier::protocol::Task;

/// `/proposals`.
#[component]
pub fn ProposalsPage() -> impl IntoView {
    let proposals = live_page::<Proposal>("/proposals");
    view! {
        <section>
            <h1>"Proposals"</h1>
            <Loaded resource=proposals render={|page: Page<Proposal>| view! {
                <ProposalTable proposals=page.items/>
                <NextPage base="/proposals" cursor=page.next_cursor/>
            }}/>
        </section>
    }
}

/// Whether the claimed root matches the index's derivation, in words.
fn verdict(p: &Proposal) -> &'static str {
    match p.matches {
        Some(true) => "matches the derived root",
        Some(false) => "differs from the derived root",
        None => "block not derived yet",
    }
}

/// A table of proposals.
#[component]
pub fn ProposalTable(
    /// The proposals, newest first.
    proposals: Vec<Proposal>,
) -> impl IntoView {
    if proposals.is_empty() {
        return view! { <Empty what="proposals"/> }.into_any();
    }
    view! {
        <table class="list proposals">
            <thead><tr><th>"Proposal"</th><th>"L2 block"</th><th>"Status"</th><th>"Root"</th></tr></thead>
            <tbody>
                {proposals.into_iter().map(|p| {
                    let class = if p.matches == Some(false) { "mismatch" } else { "" };
                    view! {
                        <tr class=class>
                            <td><A href=format!("/proposals/{}", p.index)>{format!("#{}", p.index)}</A></td>
                            <td><A href=format!("/blocks/{}", p.l2_block)>{p.l2_block}</A></td>
                            <td>{p.status.clone()}</td>
                            <td>{verdict(&p)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// `/proposals/{index}`.
#[component]
pub fn ProposalPage() -> impl IntoView {
    let index = param("index");
    let proposal = live_get::<Proposal>(move || {
        let index = index();
        format!("/proposals/{index}")
    });
    view! {
        <section>
            <Loaded resource=proposal render={|p: Proposal| {
                let said = verdict(&p);
                view! {
                    <h1>{format!("Proposal #{}", p.index)}</h1>
                    <dl class="fields">
                        <dt>"Status"</dt><dd id="proposal-status">{p.status.clone()}</dd>
                        <dt>"L2 block"</dt><dd><A href=format!("/blocks/{}", p.l2_block)>{p.l2_block}</A></dd>
                        <dt>"Claimed root"</dt><dd><Hex value=p.output_root.clone()/></dd>
                        <dt>"Derived root"</dt><dd>{p.derived_output_root.clone().map(|r| view! { <Hex value=r/> })}</dd>
                        <dt>"Index's check"</dt><dd id="proposal-check" class=if p.matches == Some(false) { "mismatch" } else { "" }>{said}</dd>
                        <dt>"Proposer"</dt><dd><Hex value=p.proposer.clone()/></dd>
                        <dt>"Builds on"</dt><dd>{match p.parent {
                            Some(parent) => view! { <A href=format!("/proposals/{parent}")>{format!("#{parent}")}</A> }.into_any(),
                            None => view! { "genesis" }.into_any(),
                        }}</dd>
                        <dt>"Challenge window"</dt><dd>{format!("ends {}", relative(p.deadline))}</dd>
                        <dt>"Bond"</dt><dd>{eth(&p.bond)}</dd>
                        <dt>"L1 block"</dt><dd>{p.l1_block}</dd>
                    </dl>
                    <h2>"Verify"</h2>
                    <VerifyPanel task=Task::Blocks { numbers: vec![p.l2_block] } proposal=p.index/>
                    <h2>"Games"</h2>
                    {if p.games.is_empty() {
                        view! { <Empty what="games on it"/> }.into_any()
                    } else {
                        view! {
                            <ul class="games">
                                {p.games.into_iter().map(|g| view! {
                                    <li><A href=format!("/games/{g}")>{format!("Game #{g}")}</A></li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                }
            }}/>
        </section>
    }
}
