//! The overview page.

use std::time::Duration;

use leptos::prelude::*;

use leptos_router::components::A;

use super::live_get;
use crate::{
    api::{self, Batch, Block, Game, Page, Status},
    components::{BarChart, Loaded, Stage},
    routes::{batches::BatchTable, blocks::BlockTable, games::GameTable},
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
            <Loaded resource=blocks render={|page: Page<Block>| view! { <BlockTable blocks=page.items.into_iter().take(8).collect()/> }}/>
            <h2>"Latest batches"</h2>
            <Loaded resource=batches render={|page: Page<Batch>| view! { <BatchTable batches=page.items.into_iter().take(5).collect()/> }}/>
            <h2>"Dispute games"</h2>
            <Loaded resource=games render={|page: Page<Game>| view! { <GameTable games=page.items/> }}/>
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
                            <dd id=format!("head-{stage}")><A href=format!("/blocks/{h}")>{h}</A></dd>
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
    let tps: Vec<f64> = blocks
        .windows(2)
        .map(|w| {
            w[1].tx_count as f64 / (w[1].timestamp.saturating_sub(w[0].timestamp)).max(1) as f64
        })
        .collect();
    let gas: Vec<f64> = blocks.iter().map(|b| b.gas_used as f64 / 1e6).collect();
    view! {
        <BarChart title="Transactions per second" values=tps format=|v| format!("{v:.1}")/>
        <BarChart title="Gas per block (Mgas)" values=gas format=|v| format!("{v:.3}")/>
    }
}

/// Batch sizes over the latest batches.
#[component]
pub fn BatchChart(
    /// The latest batches, newest first.
    batches: Vec<Batch>,
) -> impl IntoView {
    let sizes: Vec<f64> = batches
        .iter()
        .rev()
        .map(|b| b.size as f64 / 1024.0)
        .collect();
    // Dropped batches, and batches indexed before the decompressed size was kept, have no ratio.
    let ratios: Vec<f64> = batches
        .iter()
        .rev()
        .filter_map(|b| Some(b.raw_size? as f64 / b.size.max(1) as f64))
        .collect();
    view! {
        <BarChart title="Batch size (KiB, compressed)" values=sizes format=|v| format!("{v:.2}")/>
        <BarChart title="Compression ratio (decompressed ÷ posted)" values=ratios format=|v| format!("{v:.1}×")/>
    }
}
