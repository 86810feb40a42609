//! A transaction, and the widgets for transactions and finality that other pages share.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{live_get, param};
use crate::{
    api::{FinalityDetail, Tx, TxDetail},
    components::{Empty, Hex, Loaded, Stage, eth, gwei, relative},
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
                let t = d.tx;
                let price = t.effective_gas_price.parse::<u128>().unwrap_or_default();
                view! {
                    <h1>"Transaction"</h1>
                    <dl class="fields">
                        <dt>"Hash"</dt><dd id="tx-hash"><Hex value=t.hash.clone()/></dd>
                        <dt>"Status"</dt><dd id="tx-status" class=if t.success { "ok" } else { "failed" }>
                            {if t.success { "success" } else { "reverted" }}
                        </dd>
                        <dt>"Block"</dt><dd><A href=format!("/blocks/{}", t.block_number)>{t.block_number}</A>{format!(" (position {}, {})", t.index, relative(d.timestamp))}</dd>
                        <dt>"From"</dt><dd><Hex value=t.from.clone() href=format!("/accounts/{}", t.from)/></dd>
                        <dt>"To"</dt><dd>{match (t.to, t.contract_address) {
                            (Some(to), _) => view! { <Hex value=to.clone() href=format!("/accounts/{to}")/> }.into_any(),
                            (None, Some(created)) => view! { "created " <Hex value=created.clone() href=format!("/accounts/{created}")/> }.into_any(),
                            (None, None) => view! { "—" }.into_any(),
                        }}</dd>
                        <dt>"Value"</dt><dd>{eth(&t.value)}</dd>
                        <dt>"Nonce"</dt><dd>{t.nonce}</dd>
                        <dt>"Gas used"</dt><dd>{format!("{} at {}", t.gas_used, gwei(price))}</dd>
                        <dt>"Type"</dt><dd>{match t.deposit_nonce {
                            Some(n) => format!("deposit from L1 (nonce {n})"),
                            None => format!("{}", t.tx_type),
                        }}</dd>
                        <dt>"Batch"</dt><dd>{d.batch_index.map(|i| view! { <A href=format!("/batches/{i}")>{format!("#{i}")}</A> })}</dd>
                    </dl>
                    <FinalityLadder detail=d.finality_detail/>
                    <h2>"Logs"</h2>
                    {if d.logs.is_empty() {
                        view! { <Empty what="logs"/> }.into_any()
                    } else {
                        view! {
                            <ol class="logs">
                                {d.logs.into_iter().map(|l| view! {
                                    <li>
                                        <Hex value=l.address.clone() href=format!("/accounts/{}", l.address)/>
                                        <ul>{l.topics.into_iter().map(|t| view! { <li><Hex value=t/></li> }).collect_view()}</ul>
                                        <code class="data">{l.data}</code>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    }}
                }
            }}/>
        </section>
    }
}

/// A table of transactions.
#[component]
pub fn TxTable(
    /// The transactions.
    txs: Vec<Tx>,
) -> impl IntoView {
    if txs.is_empty() {
        return view! { <Empty what="transactions"/> }.into_any();
    }
    view! {
        <table class="list txs">
            <thead><tr><th>"Hash"</th><th>"Block"</th><th>"From"</th><th>"To"</th><th>"Value"</th><th>"Status"</th></tr></thead>
            <tbody>
                {txs.into_iter().map(|t| view! {
                    <tr>
                        <td><Hex value=t.hash.clone() href=format!("/txs/{}", t.hash)/></td>
                        <td><A href=format!("/blocks/{}", t.block_number)>{t.block_number}</A></td>
                        <td><Hex value=t.from.clone() href=format!("/accounts/{}", t.from)/></td>
                        <td>{t.to.or(t.contract_address).map(|a| view! { <Hex value=a.clone() href=format!("/accounts/{a}")/> })}</td>
                        <td>{eth(&t.value)}</td>
                        <td>{if t.success { "ok" } else { "reverted" }}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
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
                            {r.proposal.map(|p| view! { " " <A href=format!("/proposals/{p}")>{format!("proposal #{p}")}</A> })}
                        })}
                    </li>
                }
            }).collect_view()}
        </ol>
        {detail.next.map(|n| view! {
            <p class="next">{format!("Next: {}", n.stage)}{n.expected_at.map(|t| format!(", expected {}", relative(t)))}</p>
        })}
        {(!detail.invalidated.is_empty()).then(|| view! {
            <p class="invalidated">"Proposals over this block that were invalidated: "
                {detail.invalidated.into_iter().map(|i| view! {
                    <A href=format!("/proposals/{}", i.proposal)>{format!("#{}{} ", i.proposal, if i.lost { " (lost)" } else { "" })}</A>
                }).collect_view()}
            </p>
        })}
    }
}
