//! Widgets and formatting shared by the pages.

pub mod chart;

pub use chart::BarChart;

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::components::A;
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

/// A hash or address: shortened, linked when `href` is given, with a copy button.
#[component]
pub fn Hex(
    /// The full 0x-hex value.
    #[prop(into)]
    value: String,
    /// Where it links to, if anywhere.
    #[prop(optional, into)]
    href: Option<String>,
) -> impl IntoView {
    let text = short(&value);
    let full = value.clone();
    let copy = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&full);
        }
    };
    view! {
        <span class="hex" title=value>
            {match href {
                Some(href) => view! { <A href=href>{text}</A> }.into_any(),
                None => view! { <span>{text}</span> }.into_any(),
            }}
            <button class="copy" title="Copy" aria-label="Copy" on:click=copy>"copy"</button>
        </span>
    }
}

/// A finality stage as a coloured badge.
#[component]
pub fn Stage(
    /// `unsafe`, `safe`, `l1-finalized`, `proposed` or `finalized`.
    #[prop(into)]
    stage: String,
) -> impl IntoView {
    view! { <span class=format!("badge stage-{stage}")>{stage.clone()}</span> }
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
    }
}
