//! The overview page.

use std::time::Duration;

use leptos::prelude::*;

use super::live_get;
use crate::{
    api::{self, Batch, Block, Game, Page, Status},
    components::{BarChart, Loaded, Stage, chart::decimal},
    routes::{batches::batch_table, blocks::block_table, games::game_table},
};

/// How often the page re-reads the status.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The overview page: live chain heads.
#[component]
pub fn Overview() -> impl IntoView {
    let status = RwSignal::new(None::<Result<Status, String>>);
    leptos::task::spawn_local(async move {
        loop {
            let next = api::status().await;
            // The page may have been left; stop polling then.
            if status.try_set(Some(next)).is_some() {
                break;
            }
            gloo_timers::future::sleep(POLL_INTERVAL).await;
        }
    });
    // One read of each list feeds both its chart and its table of the latest few.
    let blocks = live_get::<Page<Block>>(|| "/blocks?limit=60".to_owned());
    let batches = live_get::<Page<Batch>>(|| "/batches?limit=30".to_owned());
    let games = live_get::<Page<Game>>(|| "/games?limit=5".to_owned());
    view! {
        <section class="overview">
            <h1>"Overview"</h1>
            <div class="cards">
                <L1Panel status=status/>
                <HeadsPanel status=status/>
            </div>
            <div class="charts">
                <Loaded resource=blocks render={|page: Page<Block>| view! { <BlockCharts blocks=page.items/> }}/>
                <Loaded resource=batches render={|page: Page<Batch>| view! { <BatchChart batches=page.items/> }}/>
            </div>
            <h2>"Latest blocks"</h2>
            <Loaded resource=blocks render={|page: Page<Block>| block_table(page.items.into_iter().take(8).collect())}/>
            <h2>"Latest batches"</h2>
            <Loaded resource=batches render={|page: Page<Batch>| batch_table(page.items.into_iter().take(5).collect())}/>
            <h2>"Dispute games"</h2>
            <Loaded resource=games render={|page: Page<Game>| game_table(page.items)}/>
        </section>
    }
}

/// The L2 heads at each finality stage.
#[component]
pub fn HeadsPanel(
    /// The latest status read, `None` while the first read is under way.
    #[prop(into)]
    status: Signal<Option<Result<Status, String>>>,
) -> impl IntoView {
    move || {
        status.get().and_then(Result::ok).map(|s| {
            let heads = [
                ("unsafe", s.l2.unsafe_head),
                ("safe", Some(s.l2.safe)),
                ("l1-finalized", Some(s.l2.l1_finalized)),
                ("proposed", Some(s.l2.proposed)),
                ("finalized", Some(s.l2.finalized)),
            ];
            view! {
                <div class="card heads">
                    <h2>"L2 heads"</h2>
                    <dl>
                        {heads.into_iter().filter_map(|(stage, head)| head.map(|h| view! {
                            <dt><Stage stage=stage/></dt>
                            <dd id=format!("head-{stage}")><a href=format!("/blocks/{h}")>{h}</a></dd>
                        })).collect_view()}
                    </dl>
                    {s.index.error.map(|e| view! { <p class="error">{format!("Indexer: {e}")}</p> })}
                </div>
            }
        })
    }
}

/// The L1 chain id and head, or why they are unknown.
#[component]
pub fn L1Panel(
    /// The latest status read, `None` while the first read is under way.
    #[prop(into)]
    status: Signal<Option<Result<Status, String>>>,
) -> impl IntoView {
    move || match status.get() {
        None => view! { <div class="card loading">"Loading L1 status…"</div> }.into_any(),
        Some(Err(e)) => view! { <div class="card error" role="alert">{e}</div> }.into_any(),
        Some(Ok(s)) if !s.l1.reachable => view! {
            <div class="card error" role="alert">
                "L1 is unreachable: " {s.l1.error.unwrap_or_default()}
            </div>
        }
        .into_any(),
        Some(Ok(s)) => view! {
            <div class="card l1">
                <h2>"L1"</h2>
                <dl>
                    <dt>"Chain id"</dt>
                    <dd id="l1-chain-id">{s.l1.chain_id.map(|c| c.to_string())}</dd>
                    <dt>"Head block"</dt>
                    <dd id="l1-head">{s.l1.head.map(|h| h.to_string())}</dd>
                </dl>
            </div>
        }
        .into_any(),
    }
}

/// Transactions per second and gas per block over the latest blocks.
#[component]
pub fn BlockCharts(
    /// The latest blocks, newest first.
    blocks: Vec<Block>,
) -> impl IntoView {
    let mut blocks = blocks;
    blocks.reverse();
    // In tenths of a transaction per second.
    let tps: Vec<u64> = blocks
        .windows(2)
        .map(|w| w[1].tx_count * 10 / w[1].timestamp.saturating_sub(w[0].timestamp).max(1))
        .collect();
    // In thousands of gas: Mgas with three decimals.
    let gas: Vec<u64> = blocks.iter().map(|b| b.gas_used / 1000).collect();
    view! {
        <BarChart title="Transactions per second" values=tps format=|v| decimal(v, 1)/>
        <BarChart title="Gas per block (Mgas)" values=gas format=|v| decimal(v, 3)/>
    }
}

/// Batch sizes over the latest batches.
#[component]
pub fn BatchChart(
    /// The latest batches, newest first.
    batches: Vec<Batch>,
) -> impl IntoView {
    // In hundredths of a KiB.
    let sizes: Vec<u64> = batches.iter().rev().map(|b| b.size * 100 / 1024).collect();
    // Dropped batches, and batches indexed before the decompressed size was kept, have no ratio.
    // In tenths.
    let ratios: Vec<u64> = batches
        .iter()
        .rev()
        .filter_map(|b| Some(b.raw_size? * 10 / b.size.max(1)))
        .collect();
    view! {
        <BarChart title="Batch size (KiB, compressed)" values=sizes format=|v| decimal(v, 2)/>
        <BarChart title="Compression ratio (decompressed ÷ posted)" values=ratios format=|v| format!("{}×", decimal(v, 1))/>
    }
}
