//! Widgets and formatting shared by the pages.

pub mod chart;

pub use chart::BarChart;

use std::sync::Arc;

use leptos::prelude::*;
use serde_json::Value;

use crate::{api::FromJson, routes::Fetched};

/// `0x1234…cdef`: the start and end of a hash or address.
pub fn short(hex: &str) -> String {
    if hex.len() <= 14 {
        return hex.to_owned();
    }
    format!("{}…{}", &hex[..8], &hex[hex.len() - 6..])
}

/// A wei amount (decimal string) in ETH, with up to six decimals.
pub fn eth(wei: &str) -> String {
    let Ok(wei) = wei.parse::<u128>() else {
        return format!("{wei} wei");
    };
    const ETHER: u128 = 1_000_000_000_000_000_000;
    let whole = wei / ETHER;
    let micro = (wei % ETHER) / 1_000_000_000_000;
    if micro == 0 {
        format!("{whole} ETH")
    } else {
        let decimals = format!("{micro:06}");
        format!("{whole}.{} ETH", decimals.trim_end_matches('0'))
    }
}

/// A wei amount in gwei, with up to three decimals.
pub fn gwei(wei: u128) -> String {
    let whole = wei / 1_000_000_000;
    let milli = (wei % 1_000_000_000) / 1_000_000;
    if milli == 0 {
        format!("{whole} gwei")
    } else {
        let decimals = format!("{milli:03}");
        format!("{whole}.{} gwei", decimals.trim_end_matches('0'))
    }
}

/// `a / b` with one decimal (`2.5`), by integer arithmetic: the UI shell carries no float
/// formatting.
pub fn tenths(a: u64, b: u64) -> String {
    let b = u128::from(b.max(1));
    let tenths = (u128::from(a) * 10 + b / 2) / b;
    chart::decimal(u64::try_from(tenths).unwrap_or(u64::MAX), 1)
}

/// Seconds since the UNIX epoch, by the browser's clock.
pub fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// `12 s ago`, `3 min ago`, `in 2 min`: a timestamp relative to now.
pub fn relative(timestamp: u64) -> String {
    let now = now();
    let (delta, future) = if timestamp > now {
        (timestamp - now, true)
    } else {
        (now - timestamp, false)
    };
    let amount = match delta {
        0..=59 => format!("{delta} s"),
        60..=3599 => format!("{} min", delta / 60),
        3600..=86_399 => format!("{} h", delta / 3600),
        _ => format!("{} d", delta / 86_400),
    };
    if future {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

/// What a page shows while its data loads, or when loading failed.
#[component]
pub fn Loaded<T, V, F>(
    /// The data being loaded.
    resource: Fetched<T>,
    /// Renders the data once loaded.
    render: F,
) -> impl IntoView
where
    T: FromJson + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
{
    loaded(
        resource.json,
        Arc::new(move |json| match T::from_json(&json) {
            Ok(value) => render(value).into_any(),
            Err(e) => failed(format!("unexpected response from the server: {e}")),
        }),
    )
}

/// [`Loaded`] once the type is known: compiled once for every page.
fn loaded(
    resource: LocalResource<Result<Value, String>>,
    render: Arc<dyn Fn(Value) -> AnyView + Send + Sync>,
) -> AnyView {
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match resource.await {
                        Ok(json) => render(json),
                        Err(e) => failed(e),
                    }
                })
            }}
        </Transition>
    }
    .into_any()
}

/// An error in place of a page's data.
fn failed(message: String) -> AnyView {
    view! { <p class="error" role="alert">{message}</p> }.into_any()
}

/// A finality stage as a coloured badge.
#[component]
pub fn Stage(
    /// `unsafe`, `safe`, `l1-finalized`, `proposed` or `finalized`.
    #[prop(into)]
    stage: String,
) -> impl IntoView {
    Cell::Stage(stage).render()
}

/// Nothing to show.
#[component]
pub fn Empty(
    /// What there is none of.
    #[prop(into)]
    what: String,
) -> impl IntoView {
    view! { <p class="empty">{format!("No {what} yet.")}</p> }
}

/// One value on a page. Pages describe what they show as cells, fields and rows, and a few
/// functions here draw them: the page's code is then data, and the drawing code is compiled once
/// (docs/benchmarks.md, the bundle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Plain text.
    Text(String),
    /// A link inside the app.
    Link {
        /// Where to.
        href: String,
        /// What it says.
        text: String,
    },
    /// A hash or address: shortened, linked when `href` is given, with a copy button.
    Hex {
        /// The full 0x-hex value.
        value: String,
        /// Where it links to, if anywhere.
        href: Option<String>,
    },
    /// A finality stage as a coloured badge.
    Stage(String),
    /// A cell with a class (`ok`, `failed`, `status-dropped`…).
    Class(String, Box<Self>),
    /// Several cells in a row.
    Row(Vec<Self>),
}

impl Cell {
    /// Plain text.
    pub fn text(text: impl ToString) -> Self {
        Self::Text(text.to_string())
    }

    /// A link inside the app.
    pub fn link(href: impl Into<String>, text: impl ToString) -> Self {
        Self::Link {
            href: href.into(),
            text: text.to_string(),
        }
    }

    /// An unlinked hash.
    pub fn hex(value: impl Into<String>) -> Self {
        Self::Hex {
            value: value.into(),
            href: None,
        }
    }

    /// An address, linked to its account page.
    pub fn account(address: impl Into<String>) -> Self {
        let value = address.into();
        let href = Some(format!("/accounts/{value}"));
        Self::Hex { value, href }
    }

    /// This cell with a class.
    pub fn class(self, class: impl Into<String>) -> Self {
        Self::Class(class.into(), Box::new(self))
    }

    /// `Some` drawn, `None` empty.
    pub fn or_empty(cell: Option<Self>) -> Self {
        cell.unwrap_or(Self::Empty)
    }

    /// Draws the cell.
    pub fn render(self) -> AnyView {
        match self {
            Self::Empty => ().into_any(),
            Self::Text(text) => text.into_any(),
            Self::Link { href, text } => view! { <a href=href>{text}</a> }.into_any(),
            Self::Hex { value, href } => hex(value, href),
            Self::Stage(stage) => {
                let class = format!("badge stage-{stage}");
                view! { <span class=class>{stage}</span> }.into_any()
            }
            Self::Class(class, inner) => {
                view! { <span class=class>{inner.render()}</span> }.into_any()
            }
            Self::Row(cells) => cells
                .into_iter()
                .map(Self::render)
                .collect::<Vec<_>>()
                .into_any(),
        }
    }
}

/// A hash or address, with a copy button.
fn hex(value: String, href: Option<String>) -> AnyView {
    let text = short(&value);
    let full = value.clone();
    let copy = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&full);
        }
    };
    let shown = match href {
        Some(href) => view! { <a href=href>{text}</a> }.into_any(),
        None => view! { <span>{text}</span> }.into_any(),
    };
    view! {
        <span class="hex" title=value>
            {shown}
            <button class="copy" title="Copy" aria-label="Copy" on:click=copy>"copy"</button>
        </span>
    }
    .into_any()
}

/// A labelled value in a list of fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// What it is.
    pub label: String,
    /// The element id of its value, for links and tests (`""`: none).
    pub id: &'static str,
    /// The value.
    pub value: Cell,
}

/// A field without an id.
pub fn field(label: impl Into<String>, value: Cell) -> Field {
    Field {
        label: label.into(),
        id: "",
        value,
    }
}

/// A field whose value has an element id.
pub fn field_id(label: impl Into<String>, id: &'static str, value: Cell) -> Field {
    Field {
        label: label.into(),
        id,
        value,
    }
}

/// A list of fields (`<dl class="{class}">`).
pub fn fields(class: &'static str, list: Vec<Field>) -> AnyView {
    view! {
        <dl class=class>
            {list.into_iter().map(|f| view! {
                <dt>{f.label}</dt>
                <dd id=(!f.id.is_empty()).then_some(f.id)>{f.value.render()}</dd>
            }).collect::<Vec<_>>()}
        </dl>
    }
    .into_any()
}

/// A table row: its cells, and a class for the row (`""`: none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The row's class.
    pub class: &'static str,
    /// Its cells, one per column.
    pub cells: Vec<Cell>,
}

impl From<Vec<Cell>> for Row {
    fn from(cells: Vec<Cell>) -> Self {
        Self { class: "", cells }
    }
}

/// A table (`<table class="list {class}">`) of `rows` under `heads`, or "No {what} yet." when there
/// are none.
pub fn table(
    class: &'static str,
    what: &'static str,
    heads: &[&'static str],
    rows: Vec<Row>,
) -> AnyView {
    if rows.is_empty() {
        return view! { <Empty what=what/> }.into_any();
    }
    let heads: Vec<_> = heads.iter().map(|h| view! { <th>{*h}</th> }).collect();
    view! {
        <table class=format!("list {class}")>
            <thead><tr>{heads}</tr></thead>
            <tbody>
                {rows.into_iter().map(|row| view! {
                    <tr class=(!row.class.is_empty()).then_some(row.class)>
                        {row.cells.into_iter().map(|c| view! { <td>{c.render()}</td> }).collect::<Vec<_>>()}
                    </tr>
                }).collect::<Vec<_>>()}
            </tbody>
        </table>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_people_write_them() {
        assert_eq!(eth("0"), "0 ETH");
        assert_eq!(eth("1000000000000000000"), "1 ETH");
        assert_eq!(eth("1500000000000000000"), "1.5 ETH");
        assert_eq!(eth("1000000000000"), "0.000001 ETH");
        assert_eq!(eth("garbage"), "garbage wei");
        assert_eq!(gwei(1_000_000_000), "1 gwei");
        assert_eq!(gwei(1_250_000_000), "1.25 gwei");
        assert_eq!(short("0x1234567890abcdef1234"), "0x123456…ef1234");
        assert_eq!(short("0x12"), "0x12");
        assert_eq!(tenths(5, 2), "2.5");
        assert_eq!(tenths(1, 3), "0.3");
        assert_eq!(tenths(2, 3), "0.7");
        // A zero divisor counts as one.
        assert_eq!(tenths(7, 0), "7.0");
    }
}
