//! A transaction, and the widgets for transactions and finality that other pages share.

use leptos::prelude::*;

use super::{live_get, param};
use crate::{
    api::{FinalityDetail, Tx, TxDetail},
    components::{
        Cell, Empty, Loaded, Row, Stage, eth, field, field_id, fields, gwei, relative, table,
    },
};

/// The five stages, lowest first.
const STAGES: [&str; 5] = ["unsafe", "safe", "l1-finalized", "proposed", "finalized"];

/// `/txs/{hash}`.
#[component]
pub fn TxPage() -> impl IntoView {
    let hash = param("hash");
    let tx = live_get::<TxDetail>(move || {
        let hash = hash();
        format!("/txs/{hash}")
    });
    view! {
        <section>
            <Loaded resource=tx render={|d: TxDetail| {
                let logs = if d.logs.is_empty() {
                    view! { <Empty what="logs"/> }.into_any()
                } else {
                    view! {
                        <ol class="logs">
                            {d.logs.into_iter().map(|l| view! {
                                <li>
                                    {Cell::account(l.address).render()}
                                    <ul>{l.topics.into_iter().map(|t| view! { <li>{Cell::hex(t).render()}</li> }).collect::<Vec<_>>()}</ul>
                                    <code class="data">{l.data}</code>
                                </li>
                            }).collect::<Vec<_>>()}
                        </ol>
                    }.into_any()
                };
                view! {
                    <h1>"Transaction"</h1>
                    {tx_fields(d.tx, d.timestamp, d.batch_index)}
                    <FinalityLadder detail=d.finality_detail/>
                    <h2>"Logs"</h2>
                    {logs}
                }
            }}/>
        </section>
    }
}

/// The fields of a transaction.
fn tx_fields(t: Tx, timestamp: u64, batch: Option<u64>) -> AnyView {
    let price = t.effective_gas_price.parse::<u128>().unwrap_or_default();
    let to = match (t.to, t.contract_address) {
        (Some(to), _) => Cell::account(to),
        (None, Some(created)) => Cell::Row(vec![Cell::text("created "), Cell::account(created)]),
        (None, None) => Cell::text("—"),
    };
    let status = if t.success {
        Cell::text("success").class("ok")
    } else {
        Cell::text("reverted").class("failed")
    };
    fields(
        "fields",
        vec![
            field_id("Hash", "tx-hash", Cell::hex(t.hash)),
            field_id("Status", "tx-status", status),
            field(
                "Block",
                Cell::Row(vec![
                    Cell::link(format!("/blocks/{}", t.block_number), t.block_number),
                    Cell::Text(format!(" (position {}, {})", t.index, relative(timestamp))),
                ]),
            ),
            field("From", Cell::account(t.from)),
            field("To", to),
            field("Value", Cell::Text(eth(&t.value))),
            field("Nonce", Cell::text(t.nonce)),
            field(
                "Gas used",
                Cell::Text(format!("{} at {}", t.gas_used, gwei(price))),
            ),
            field(
                "Type",
                Cell::Text(match t.deposit_nonce {
                    Some(n) => format!("deposit from L1 (nonce {n})"),
                    None => t.tx_type.to_string(),
                }),
            ),
            field(
                "Batch",
                Cell::or_empty(batch.map(|i| Cell::link(format!("/batches/{i}"), format!("#{i}")))),
            ),
        ],
    )
}

/// A table of transactions.
pub fn tx_table(txs: Vec<Tx>) -> AnyView {
    let rows = txs
        .into_iter()
        .map(|t| {
            Row::from(vec![
                Cell::Hex {
                    href: Some(format!("/txs/{}", t.hash)),
                    value: t.hash,
                },
                Cell::link(format!("/blocks/{}", t.block_number), t.block_number),
                Cell::account(t.from),
                Cell::or_empty(t.to.or(t.contract_address).map(Cell::account)),
                Cell::Text(eth(&t.value)),
                Cell::text(if t.success { "ok" } else { "reverted" }),
            ])
        })
        .collect();
    table(
        "txs",
        "transactions",
        &["Hash", "Block", "From", "To", "Value", "Status"],
        rows,
    )
}

/// The finality ladder of a block: each stage, reached or not, with when, and what comes next.
#[component]
pub fn FinalityLadder(
    /// The block's finality.
    detail: FinalityDetail,
) -> impl IntoView {
    let reached = detail.reached.clone();
    view! {
        <h2>"Finality"</h2>
        <p>"Stage: " <Stage stage=detail.stage.clone()/></p>
        <ol class="ladder">
            {STAGES.iter().skip(1).map(|stage| {
                let hit = reached.iter().find(|r| r.stage == *stage).cloned();
                let class = if hit.is_some() { "reached" } else { "pending" };
                view! {
                    <li class=class>
                        <span class="name">{*stage}</span>
                        {hit.map(|r| view! {
                            <span class="when">{r.at.map(relative).unwrap_or_else(|| "time unknown".into())}</span>
                            {r.proposal.map(|p| view! { " " <a href=format!("/proposals/{p}")>{format!("proposal #{p}")}</a> })}
                        })}
                    </li>
                }
            }).collect::<Vec<_>>()}
        </ol>
        {detail.next.map(|n| view! {
            <p class="next">{format!("Next: {}", n.stage)}{n.expected_at.map(|t| format!(", expected {}", relative(t)))}</p>
        })}
        {(!detail.invalidated.is_empty()).then(|| view! {
            <p class="invalidated">"Proposals over this block that were invalidated: "
                {detail.invalidated.into_iter().map(|i| view! {
                    <a href=format!("/proposals/{}", i.proposal)>{format!("#{}{} ", i.proposal, if i.lost { " (lost)" } else { "" })}</a>
                }).collect::<Vec<_>>()}
            </p>
        })}
    }
}
