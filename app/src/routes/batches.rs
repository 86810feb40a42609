//! Batches: the list and one batch.

use leptos::prelude::*;

use super::{NextPage, live_get, live_page, param};
use crate::{
    api::{Batch, Block, Fields, FromJson, Page},
    components::{Cell, Loaded, Row, field, field_id, fields, table, tenths},
    routes::blocks::block_table,
    verify::VerifyPanel,
};
use serde_json::Value;
use verifier::protocol::Task;

/// `GET /batches/{index}`: a batch and the blocks it made safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchDetail {
    /// The batch.
    pub batch: Batch,
    /// Its blocks.
    pub blocks: Vec<Block>,
}

impl FromJson for BatchDetail {
    fn from_json(json: &Value) -> Result<Self, String> {
        Ok(Self {
            batch: Batch::from_json(json)?,
            blocks: Fields(json).list("blocks")?,
        })
    }
}

/// `/batches`.
#[component]
pub fn BatchesPage() -> impl IntoView {
    let batches = live_page::<Batch>("/batches");
    view! {
        <section>
            <h1>"Batches"</h1>
            <Loaded resource=batches render={|page: Page<Batch>| view! {
                {batch_table(page.items)}
                <NextPage base="/batches" cursor=page.next_cursor/>
            }}/>
        </section>
    }
}

/// A table of batches.
pub fn batch_table(batches: Vec<Batch>) -> AnyView {
    let rows = batches
        .into_iter()
        .map(|b| {
            Row::from(vec![
                Cell::link(format!("/batches/{}", b.index), format!("#{}", b.index)),
                Cell::text(b.l1_block),
                Cell::Text(blocks(&b)),
                Cell::Text(format!("{} B", b.size)),
                Cell::text(&b.status).class(format!("status-{}", b.status)),
                Cell::or_empty(b.finality.map(Cell::Stage)),
            ])
        })
        .collect();
    table(
        "batches",
        "batches",
        &["Batch", "L1 block", "L2 blocks", "Size", "Status", "Stage"],
        rows,
    )
}

fn blocks(b: &Batch) -> String {
    match (b.first_block, b.last_block) {
        (Some(first), Some(last)) if first == last => format!("{first}"),
        (Some(first), Some(last)) => format!("{first}–{last}"),
        _ => "—".to_owned(),
    }
}

/// The fields of a batch.
fn batch_fields(b: Batch) -> AnyView {
    let mut size = format!("{} bytes posted", b.size);
    if let Some(raw) = b.raw_size {
        size += &format!(
            "; {raw} bytes decompressed (ratio {}×)",
            tenths(raw, b.size.max(1))
        );
    }
    let mut list = vec![field_id(
        "Status",
        "batch-status",
        Cell::text(&b.status).class(format!("status-{}", b.status)),
    )];
    if let Some(reason) = b.reason.clone() {
        list.push(field("Why dropped", Cell::Text(reason)));
    }
    list.extend([
        field("L1 block", Cell::text(b.l1_block)),
        field("L1 transaction", Cell::hex(b.l1_tx_hash.clone())),
        field("Data hash", Cell::hex(b.data_hash.clone())),
        field("Size", Cell::Text(size)),
        field("L2 blocks", Cell::Text(blocks(&b))),
    ]);
    fields("fields", list)
}

/// `/batches/{index}`.
#[component]
pub fn BatchPage() -> impl IntoView {
    let index = param("index");
    let batch = live_get::<BatchDetail>(move || {
        let index = index();
        format!("/batches/{index}")
    });
    view! {
        <section>
            <Loaded resource=batch render={|d: BatchDetail| {
                let b = d.batch;
                let index = b.index;
                let verify = if b.first_block.is_some() {
                    view! { <VerifyPanel task=Task::Batch { index }/> }.into_any()
                } else {
                    view! { <p class="hint">"Derivation dropped this batch: it made no blocks to verify."</p> }.into_any()
                };
                view! {
                    <h1>{format!("Batch #{index}")}</h1>
                    {batch_fields(b)}
                    <h2>"Verify"</h2>
                    {verify}
                    <h2>"Blocks"</h2>
                    {block_table(d.blocks)}
                }
            }}/>
        </section>
    }
}
