//! Small SVG bar charts.

use leptos::prelude::*;

/// A bar chart of `values` (oldest first), scaled to the largest, with a title and the latest value.
#[component]
pub fn BarChart(
    /// What is charted, with its unit.
    #[prop(into)]
    title: String,
    /// The values, oldest first.
    values: Vec<f64>,
    /// Formats a value for the caption.
    #[prop(optional)]
    format: Option<fn(f64) -> String>,
) -> impl IntoView {
    let format = format.unwrap_or(|v| format!("{v:.0}"));
    let max = values.iter().copied().fold(0.0_f64, f64::max).max(1e-9);
    let n = values.len().max(1) as f64;
    let width = 100.0 / n;
    let latest = values.last().copied();
    let peak = format(max);
    view! {
        <figure class="chart">
            <figcaption>
                <span class="title">{title.clone()}</span>
                <span class="value">{latest.map(|v| format!("latest {}, peak {peak}", format(v)))}</span>
            </figcaption>
            <svg viewBox="0 0 100 30" preserveAspectRatio="none" role="img" aria-label=title>
                {values.into_iter().enumerate().map(|(i, v)| {
                    let h = v / max * 30.0;
                    view! {
                        <rect x=i as f64 * width + width * 0.1 y=30.0 - h width=width * 0.8 height=h>
                            <title>{format(v)}</title>
                        </rect>
                    }
                }).collect_view()}
            </svg>
        </figure>
    }
}
