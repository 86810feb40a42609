//! Blocks: the list and one block.

use leptos::prelude::*;

use super::{NextPage, live_get, live_page, param, query};
use crate::{
    api::{Block, BlockDetail, Page},
    components::{Cell, Loaded, Row, field, fields, gwei, relative, table},
    routes::tx::{FinalityLadder, tx_table},
};

/// `/blocks`: derived blocks, newest first.
#[component]
pub fn BlocksPage() -> impl IntoView {
    let blocks = live_page::<Block>("/blocks");
    view! {
        <section>
            <h1>"Blocks"</h1>
            <Loaded resource=blocks render={|page: Page<Block>| view! {
                {block_table(page.items)}
                <NextPage base="/blocks" cursor=page.next_cursor/>
            }}/>
        </section>
    }
}

/// A table of blocks.
pub fn block_table(blocks: Vec<Block>) -> AnyView {
    let rows = blocks
        .into_iter()
        .map(|b| {
            Row::from(vec![
                Cell::link(format!("/blocks/{}", b.number), b.number),
                Cell::Text(relative(b.timestamp)),
                Cell::text(b.tx_count),
                Cell::text(b.gas_used),
                Cell::Stage(b.finality),
            ])
        })
        .collect();
    table(
        "blocks",
        "blocks",
        &["Block", "Age", "Txs", "Gas used", "Stage"],
        rows,
    )
}

/// The fields of a block.
fn block_fields(b: Block) -> AnyView {
    fields(
        "fields",
        vec![
            field("Hash", Cell::hex(b.hash)),
            field(
                "Parent",
                Cell::Hex {
                    value: b.parent_hash,
                    href: Some(format!("/blocks/{}", b.number.saturating_sub(1))),
                },
            ),
            field("Time", Cell::Text(relative(b.timestamp))),
            field("Source", Cell::Text(b.source)),
            field(
                "Batch",
                Cell::or_empty(
                    b.batch_index
                        .map(|i| Cell::link(format!("/batches/{i}"), format!("#{i}"))),
                ),
            ),
            field("L1 block", Cell::text(b.l1_block)),
            field(
                "Gas",
                Cell::Text(format!("{} / {}", b.gas_used, b.gas_limit)),
            ),
            field("Base fee", Cell::Text(gwei(u128::from(b.base_fee)))),
            field("State root", Cell::hex(b.state_root)),
            field("Output root", Cell::hex(b.output_root)),
        ],
    )
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
                let (number, count) = (b.number, b.tx_count);
                let skipped = (!d.skipped.is_empty()).then(|| view! {
                    <h2>"Left out"</h2>
                    <ul class="skipped">
                        {d.skipped.into_iter().map(|s| view! {
                            <li>{format!("#{}: {}", s.position, s.reason)}</li>
                        }).collect::<Vec<_>>()}
                    </ul>
                });
                view! {
                    <h1>{format!("Block {number}")}</h1>
                    {block_fields(b)}
                    <FinalityLadder detail=d.finality_detail/>
                    <h2>{format!("Transactions ({count})")}</h2>
                    {tx_table(d.transactions)}
                    <NextPage base=format!("/blocks/{number}") cursor=d.transactions_next_cursor label="More transactions →"/>
                    {skipped}
                }
            }}/>
        </section>
    }
}
