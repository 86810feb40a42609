//! Small SVG bar charts.

use leptos::prelude::*;

/// A bar chart of `values` (oldest first), scaled to the largest, with a title and the latest value.
/// Values are whole numbers in the unit `format` reads them in (tenths, thousandths…), and the
/// drawing is in whole units too: the UI shell carries no float formatting.
#[component]
pub fn BarChart(
    /// What is charted, with its unit.
    #[prop(into)]
    title: String,
    /// The values, oldest first.
    values: Vec<u64>,
    /// Formats a value for the caption.
    format: fn(u64) -> String,
) -> impl IntoView {
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    let latest = values.last().copied();
    let peak = format(max);
    let view_box = format!("0 0 {} 300", values.len().max(1) * 10);
    view! {
        <figure class="chart">
            <figcaption>
                <span class="title">{title.clone()}</span>
                <span class="value">{latest.map(|v| format!("latest {}, peak {peak}", format(v)))}</span>
            </figcaption>
            <svg viewBox=view_box preserveAspectRatio="none" role="img" aria-label=title>
                {values.into_iter().enumerate().map(|(i, v)| {
                    let h = v * 300 / max;
                    view! {
                        <rect x=i * 10 + 1 y=300 - h width="8" height=h>
                            <title>{format(v)}</title>
                        </rect>
                    }
                }).collect::<Vec<_>>()}
            </svg>
        </figure>
    }
}

/// `value` hundredths as `1.25`, or thousandths as `1.250` (`decimals` 2 or 3), tenths as `1.2`.
pub fn decimal(value: u64, decimals: u32) -> String {
    let unit = 10_u64.pow(decimals);
    format!(
        "{}.{:0width$}",
        value / unit,
        value % unit,
        width = decimals as usize
    )
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn decimals_are_placed() {
        assert_eq!(decimal(12, 1), "1.2");
        assert_eq!(decimal(1250, 3), "1.250");
        assert_eq!(decimal(5, 2), "0.05");
        assert_eq!(decimal(0, 1), "0.0");
    }
}
