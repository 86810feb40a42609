//! Dispute games: the list, and one game drawn as the bisection it was.

use leptos::prelude::*;

use super::{NextPage, live_get, live_page, param};
use std::collections::{BTreeMap, BTreeSet};

use crate::{
    api::{Game, GameMove, Page},
    components::{Cell, Loaded, Row, eth, field, field_id, fields, relative, table},
    verify::{Job, use_verifier},
};
use verifier::protocol::{Task, Verdict};

/// `/games`.
#[component]
pub fn GamesPage() -> impl IntoView {
    let games = live_page::<Game>("/games");
    view! {
        <section>
            <h1>"Dispute games"</h1>
            <Loaded resource=games render={|page: Page<Game>| view! {
                {game_table(page.items)}
                <NextPage base="/games" cursor=page.next_cursor/>
            }}/>
        </section>
    }
}

/// A table of games.
pub fn game_table(games: Vec<Game>) -> AnyView {
    let rows = games
        .into_iter()
        .map(|g| {
            Row::from(vec![
                Cell::link(format!("/games/{}", g.id), format!("#{}", g.id)),
                Cell::link(
                    format!("/proposals/{}", g.proposal_index),
                    format!("#{}", g.proposal_index),
                ),
                Cell::Text(format!("({}, {}]", g.agreed_block, g.disputed_block)),
                Cell::Text(outcome(&g)),
            ])
        })
        .collect();
    table(
        "games",
        "games",
        &["Game", "Proposal", "Range", "Outcome"],
        rows,
    )
}

/// The fields of a game.
fn game_fields(g: &Game) -> AnyView {
    let mut list = vec![
        field(
            "Proposal",
            Cell::link(
                format!("/proposals/{}", g.proposal_index),
                format!("#{}", g.proposal_index),
            ),
        ),
        field_id("Outcome", "game-outcome", Cell::Text(outcome(g))),
    ];
    if g.outcome == "open" {
        list.push(field("Deadline", Cell::Text(relative(g.deadline))));
    }
    if let Some(last) = g.moves.last()
        && let Some(winner) = &last.winner
    {
        let payout = last.payout.clone().unwrap_or_default();
        list.push(field_id(
            "Winner",
            "game-winner",
            Cell::Row(vec![
                Cell::hex(winner.clone()),
                Cell::Text(format!(" paid {}", eth(&payout))),
            ]),
        ));
    }
    list.extend([
        field("Challenger", Cell::account(g.challenger.clone())),
        field("Proposer", Cell::account(g.proposer.clone())),
    ]);
    fields("fields", list)
}

fn outcome(g: &Game) -> String {
    match g.outcome.as_str() {
        "open" => format!("open: {}'s move", g.turn),
        "proposer_wins" => "proposer wins".to_owned(),
        "challenger_wins" => "challenger wins".to_owned(),
        "no_decision" => "no decision".to_owned(),
        other => other.to_owned(),
    }
}

/// What a step of the game did, in words.
fn step(m: &GameMove) -> String {
    match m.kind.as_str() {
        "started" => format!(
            "challenge: blocks ({}, {}] in dispute",
            m.agreed_block, m.disputed_block
        ),
        "defended" => format!(
            "the proposer posts its root for block {}",
            m.mid_block.unwrap_or_default()
        ),
        "responded" => format!(
            "the challenger {} with that root; dispute now ({}, {}]",
            if m.agree == Some(true) {
                "agrees"
            } else {
                "disagrees"
            },
            m.agreed_block,
            m.disputed_block
        ),
        "adjudicated" => format!(
            "the arbiter re-executed block {} and found the proposer {}",
            m.disputed_block,
            if m.proposer_wins == Some(true) {
                "right"
            } else {
                "wrong"
            }
        ),
        "resolved" => format!(
            "over: {} ({})",
            m.outcome.clone().unwrap_or_default().replace('_', " "),
            m.resolution.clone().unwrap_or_default().replace('_', " ")
        ),
        other => other.to_owned(),
    }
}

/// The L2 blocks whose roots decide whether the moves were right.
fn claimed_blocks(moves: &[GameMove]) -> Vec<u64> {
    let mut blocks = BTreeSet::new();
    blocks.extend(moves.iter().filter_map(|m| match m.kind.as_str() {
        "started" | "adjudicated" => Some(m.disputed_block),
        "defended" => m.mid_block,
        _ => None,
    }));
    blocks.into_iter().collect()
}

/// The light node's verdict on move `i`, from the output roots it computed (`None`: nothing to
/// judge, or its block was not computed).
fn move_verdict(
    moves: &[GameMove],
    i: usize,
    roots: &BTreeMap<u64, String>,
) -> Option<(bool, String)> {
    let m = &moves[i];
    let right = |block: u64, root: &str| roots.get(&block).map(|r| r.eq_ignore_ascii_case(root));
    match m.kind.as_str() {
        "started" => right(m.disputed_block, &m.disputed_root).map(|ok| {
            let text = if ok {
                "the proposal's root is right: this challenge is wrong"
            } else {
                "the proposal's root is wrong: this challenge is right"
            };
            (!ok, text.to_owned())
        }),
        "defended" => {
            let ok = right(m.mid_block?, m.mid_root.as_deref()?)?;
            Some((
                ok,
                format!("this root is {}", if ok { "right" } else { "wrong" }),
            ))
        }
        "responded" => {
            let defended = moves[..i].iter().rev().find(|p| p.kind == "defended")?;
            let mid_right = right(defended.mid_block?, defended.mid_root.as_deref()?)?;
            let ok = m.agree? == mid_right;
            Some((
                ok,
                format!("this answer is {}", if ok { "right" } else { "wrong" }),
            ))
        }
        "adjudicated" => {
            let proposer_right = right(m.disputed_block, &m.disputed_root)?;
            let ok = m.proposer_wins? == proposer_right;
            Some((
                ok,
                format!("this decision is {}", if ok { "right" } else { "wrong" }),
            ))
        }
        _ => None,
    }
}

/// `/games/{id}`: the bisection as a timeline of ranges and moves.
#[component]
pub fn GamePage() -> impl IntoView {
    let id = param("id");
    let game = live_get::<Game>(move || {
        let id = id();
        format!("/games/{id}")
    });
    let verifier = use_verifier();
    let key = move || format!("game:{}", id());
    let checks = RwSignal::new(None::<ArcRwSignal<Job>>);
    Effect::new(move |_| checks.set(verifier.latest(&key())));
    view! {
        <section>
            <Loaded resource=game render={move |g: Game| {
                let numbers = claimed_blocks(&g.moves);
                let check = move |_| {
                    let task = Task::Blocks { numbers: numbers.clone() };
                    checks.set(Some(verifier.start(key(), task)));
                };
                let roots = move || match checks.get().map(|j| j.get()) {
                    Some(Job::Finished(o)) => {
                        let mut roots = BTreeMap::new();
                        roots.extend(o.outputs.iter().map(|(n, r)| (*n, r.to_string())));
                        roots
                    }
                    _ => BTreeMap::new(),
                };
                let status = move || match checks.get().map(|j| j.get()) {
                    None => String::new(),
                    Some(Job::Running { step, done, total }) => format!("{step} ({done}/{total} batches)"),
                    Some(Job::Finished(o)) => match &o.verdict {
                        Verdict::CannotVerify { reason } => format!("cannot verify: {reason}"),
                        _ => format!("roots of {} block(s) computed in this browser in {} ms", o.outputs.len(), o.total_ms),
                    },
                };
                let moves = g.moves.clone();
                let start = g.moves.first().map_or(g.agreed_block, |m| m.agreed_block);
                let end = g.moves.first().map_or(g.disputed_block, |m| m.disputed_block);
                let span = (end - start).max(1);
                let open = g.outcome == "open";
                let count = g.moves.len();
                view! {
                    <h1>{format!("Game #{}", g.id)}</h1>
                    {game_fields(&g)}
                    <p class="trust" id="game-adjudication">
                        {if g.adjudication == "trusted_arbiter" {
                            "Trust assumption: when the dispute narrows to one block, the Rollup contract's arbiter address decides it (it re-executes that block off-chain). No proof is checked on L1 in this version."
                        } else {
                            "Single-block disputes are decided on L1."
                        }}
                    </p>
                    <h2>"Bisection"</h2>
                    <p class="verify">
                        <button id="check-moves" on:click=check>"Check the moves in this browser"</button>
                        <span id="check-status" class="hint">{status}</span>
                    </p>
                    <ol class="timeline">
                        {g.moves.into_iter().enumerate().map(|(i, m)| {
                            // Only the latest step of an open game has a move still due.
                            let due = (open && i + 1 == count).then_some(m.deadline).flatten();
                            // In thousandths of the first range, in integers: no float formatting.
                            let left = (m.agreed_block - start) * 1000 / span;
                            let width = ((m.disputed_block - m.agreed_block) * 1000 / span).max(10);
                            view! {
                                <li class=format!("move {}", m.kind)>
                                    <svg class="range" viewBox="0 0 1000 6" preserveAspectRatio="none" role="img"
                                        aria-label=format!("blocks ({}, {}]", m.agreed_block, m.disputed_block)>
                                        <rect x="0" y="2" width="1000" height="2" class="track"/>
                                        <rect x=left y="0" width=width height="6" class="disputed"/>
                                    </svg>
                                    <span class="what">{step(&m)}</span>
                                    {m.mover.clone().map(|who| view! { " by " {Cell::hex(who).render()} })}
                                    <span class="l1">{format!(" (L1 block {})", m.l1_block)}</span>
                                    {due.map(|d| view! { <span class="deadline">{format!("; next move due {}", relative(d))}</span> })}
                                    {
                                        let moves = moves.clone();
                                        move || move_verdict(&moves, i, &roots()).map(|(ok, text)| view! {
                                            <span class=if ok { "move-verdict ok" } else { "move-verdict bad" }>{format!("Light node: {text}")}</span>
                                        })
                                    }
                                </li>
                            }
                        }).collect::<Vec<_>>()}
                    </ol>
                }
            }}/>
        </section>
    }
}
