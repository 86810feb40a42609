//! Output-root proposals: the list and one proposal.

use leptos::prelude::*;

use super::{NextPage, live_get, live_page, param};
use crate::{
    api::{Page, Proposal},
    components::{Cell, Empty, Loaded, Row, eth, field, field_id, fields, relative, table},
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
                {proposal_table(page.items)}
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
pub fn proposal_table(proposals: Vec<Proposal>) -> AnyView {
    let rows = proposals
        .into_iter()
        .map(|p| Row {
            class: if p.matches == Some(false) {
                "mismatch"
            } else {
                ""
            },
            cells: vec![
                Cell::link(format!("/proposals/{}", p.index), format!("#{}", p.index)),
                Cell::link(format!("/blocks/{}", p.l2_block), p.l2_block),
                Cell::text(&p.status),
                Cell::text(verdict(&p)),
            ],
        })
        .collect();
    table(
        "proposals",
        "proposals",
        &["Proposal", "L2 block", "Status", "Root"],
        rows,
    )
}

/// The fields of a proposal.
fn proposal_fields(p: &Proposal) -> AnyView {
    let mut check = Cell::text(verdict(p));
    if p.matches == Some(false) {
        check = check.class("mismatch");
    }
    fields(
        "fields",
        vec![
            field_id("Status", "proposal-status", Cell::text(&p.status)),
            field(
                "L2 block",
                Cell::link(format!("/blocks/{}", p.l2_block), p.l2_block),
            ),
            field("Claimed root", Cell::hex(p.output_root.clone())),
            field(
                "Derived root",
                Cell::or_empty(p.derived_output_root.clone().map(Cell::hex)),
            ),
            field_id("Index's check", "proposal-check", check),
            field("Proposer", Cell::hex(p.proposer.clone())),
            field(
                "Builds on",
                match p.parent {
                    Some(parent) => {
                        Cell::link(format!("/proposals/{parent}"), format!("#{parent}"))
                    }
                    None => Cell::text("genesis"),
                },
            ),
            field(
                "Challenge window",
                Cell::Text(format!("ends {}", relative(p.deadline))),
            ),
            field("Bond", Cell::Text(eth(&p.bond))),
            field("L1 block", Cell::text(p.l1_block)),
        ],
    )
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
                let games = if p.games.is_empty() {
                    view! { <Empty what="games on it"/> }.into_any()
                } else {
                    view! {
                        <ul class="games">
                            {p.games.iter().map(|g| view! {
                                <li><a href=format!("/games/{g}")>{format!("Game #{g}")}</a></li>
                            }).collect::<Vec<_>>()}
                        </ul>
                    }.into_any()
                };
                view! {
                    <h1>{format!("Proposal #{}", p.index)}</h1>
                    {proposal_fields(&p)}
                    <h2>"Verify"</h2>
                    <VerifyPanel task=Task::Blocks { numbers: vec![p.l2_block] } proposal=p.index/>
                    <h2>"Games"</h2>
                    {games}
                }
            }}/>
        </section>
    }
}
