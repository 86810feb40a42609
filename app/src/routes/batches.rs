//! Batches: the list and one batch.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{NextPage, live_get, live_page, param};
use crate::{
    api::{Batch, Block, Fields, FromJson, Page},
    components::{Empty, Hex, Loaded, Stage},
    routes::blocks::BlockTable,
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
                <BatchTable batches=page.items/>
                <NextPage base="/batches" cursor=page.next_cursor/>
            }}/>
        </section>
    }
}

/// A table of batches.
#[component]
pub fn BatchTable(
    /// The batches, newest first.
    batches: Vec<Batch>,
) -> impl IntoView {
    if batches.is_empty() {
        return view! { <Empty what="batches"/> }.into_any();
    }
    view! {
        <table class="list batches">
            <thead><tr><th>"Batch"</th><th>"L1 block"</th><th>"L2 blocks"</th><th>"Size"</th><th>"Status"</th><th>"Stage"</th></tr></thead>
            <tbody>
                {batches.into_iter().map(|b| view! {
                    <tr>
                        <td><A href=format!("/batches/{}", b.index)>{format!("#{}", b.index)}</A></td>
                        <td>{b.l1_block}</td>
                        <td>{blocks(&b)}</td>
                        <td>{format!("{} B", b.size)}</td>
                        <td class=format!("status-{}", b.status)>{b.status.clone()}</td>
                        <td>{b.finality.map(|f| view! { <Stage stage=f/> })}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn blocks(b: &Batch) -> String {
    match (b.first_block, b.last_block) {
        (Some(first), Some(last)) if first == last => format!("{first}"),
        (Some(first), Some(last)) => format!("{first}–{last}"),
        _ => "—".to_owned(),
    }
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
                let range = blocks(&b);
                view! {
                    <h1>{format!("Batch #{}", b.index)}</h1>
                    <dl class="fields">
                        <dt>"Status"</dt><dd id="batch-status" class=format!("status-{}", b.status)>{b.status.clone()}</dd>
                        {b.reason.map(|r| view! { <dt>"Why dropped"</dt><dd>{r}</dd> })}
                        <dt>"L1 block"</dt><dd>{b.l1_block}</dd>
                        <dt>"L1 transaction"</dt><dd><Hex value=b.l1_tx_hash/></dd>
                        <dt>"Data hash"</dt><dd><Hex value=b.data_hash/></dd>
                        <dt>"Size"</dt><dd>{format!("{} bytes posted", b.size)}{b.raw_size.map(|raw| format!(
                            "; {raw} bytes decompressed (ratio {:.1}×)", raw as f64 / b.size.max(1) as f64
                        ))}</dd>
                        <dt>"L2 blocks"</dt><dd>{range}</dd>
                    </dl>
                    <h2>"Verify"</h2>
                    {if b.first_block.is_some() {
                        view! { <VerifyPanel task=Task::Batch { index: b.index }/> }.into_any()
                    } else {
                        view! { <p class="hint">"Derivation dropped this batch: it made no blocks to verify."</p> }.into_any()
                    }}
                    <h2>"Blocks"</h2>
                    <BlockTable blocks=d.blocks/>
                }
            }}/>
        </section>
    }
}
