//! Blocks: the list and one block.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{NextPage, live_get, live_page, param, query};
use crate::{
    api::{Block, BlockDetail, Page},
    components::{Empty, Hex, Loaded, Stage, gwei, relative},
    routes::tx::{FinalityLadder, TxTable},
};

/// `/blocks`: derived blocks, newest first.
#[component]
pub fn BlocksPage() -> impl IntoView {
    let blocks = live_page::<Block>("/blocks");
    view! {
        <section>
            <h1>"Blocks"</h1>
            <Loaded resource=blocks render={|page: Page<Block>| view! {
                <BlockTable blocks=page.items/>
                <NextPage base="/blocks" cursor=page.next_cursor/>
            }}/>
        </section>
    }
}

/// A table of blocks.
#[component]
pub fn BlockTable(
    /// The blocks, newest first.
    blocks: Vec<Block>,
) -> impl IntoView {
    if blocks.is_empty() {
        return view! { <Empty what="blocks"/> }.into_any();
    }
    view! {
        <table class="list blocks">
            <thead><tr><th>"Block"</th><th>"Age"</th><th>"Txs"</th><th>"Gas used"</th><th>"Stage"</th></tr></thead>
            <tbody>
                {blocks.into_iter().map(|b| view! {
                    <tr>
                        <td><A href=format!("/blocks/{}", b.number)>{b.number}</A></td>
                        <td>{relative(b.timestamp)}</td>
                        <td>{b.tx_count}</td>
                        <td>{b.gas_used}</td>
                        <td><Stage stage=b.finality/></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// `/blocks/{id}`: one block, by number or hash.
#[component]
pub fn BlockPage() -> impl IntoView {
    let id = param("id");
    let cursor = query("cursor");
    let block = live_get::<BlockDetail>(move || {
        let id = id();
        match cursor() {
            Some(c) => format!("/blocks/{id}?cursor={c}"),
            None => format!("/blocks/{id}"),
        }
    });
    view! {
        <section>
            <Loaded resource=block render={|d: BlockDetail| {
                let b = d.block;
                view! {
                    <h1>{format!("Block {}", b.number)}</h1>
                    <dl class="fields">
                        <dt>"Hash"</dt><dd><Hex value=b.hash/></dd>
                        <dt>"Parent"</dt><dd><Hex value=b.parent_hash href=format!("/blocks/{}", b.number.saturating_sub(1))/></dd>
                        <dt>"Time"</dt><dd>{relative(b.timestamp)}</dd>
                        <dt>"Source"</dt><dd>{b.source}</dd>
                        <dt>"Batch"</dt><dd>{b.batch_index.map(|i| view! { <A href=format!("/batches/{i}")>{format!("#{i}")}</A> })}</dd>
                        <dt>"L1 block"</dt><dd>{b.l1_block}</dd>
                        <dt>"Gas"</dt><dd>{format!("{} / {}", b.gas_used, b.gas_limit)}</dd>
                        <dt>"Base fee"</dt><dd>{gwei(u128::from(b.base_fee))}</dd>
                        <dt>"State root"</dt><dd><Hex value=b.state_root/></dd>
                        <dt>"Output root"</dt><dd><Hex value=b.output_root/></dd>
                    </dl>
                    <FinalityLadder detail=d.finality_detail/>
                    <h2>{format!("Transactions ({})", b.tx_count)}</h2>
                    <TxTable txs=d.transactions/>
                    <NextPage base=format!("/blocks/{}", b.number) cursor=d.transactions_next_cursor label="More transactions →"/>
                    {(!d.skipped.is_empty()).then(|| view! {
                        <h2>"Left out"</h2>
                        <ul class="skipped">
                            {d.skipped.into_iter().map(|s| view! {
                                <li>{format!("#{}: {}", s.position, s.reason)}</li>
                            }).collect_view()}
                        </ul>
                    })}
                }
            }}/>
        </section>
    }
}
