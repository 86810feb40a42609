//! Client-side routing: the page's path and query as a signal, links that change them without a
//! page load, and the table of routes. A few dozen lines do what the app needs of a router, and
//! leave the UI shell smaller than a general router would (docs/benchmarks.md, the bundle).

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue, closure::Closure};

/// Where the page is: the URL's path and its query (`?…`, or empty).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// `/blocks/12`.
    pub path: String,
    /// `?cursor=abc`, or empty.
    pub query: String,
}

/// The app's pages. (A byte, as it is passed to the split points' linked functions, `pages.rs`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Page {
    /// `/`.
    Overview,
    /// `/blocks`.
    Blocks,
    /// `/blocks/:id`.
    Block,
    /// `/txs/:hash`.
    Tx,
    /// `/batches`.
    Batches,
    /// `/batches/:index`.
    Batch,
    /// `/accounts/:address`.
    Account,
    /// `/proposals`.
    Proposals,
    /// `/proposals/:index`.
    Proposal,
    /// `/games`.
    Games,
    /// `/games/:id`.
    Game,
    /// `/search`.
    Search,
    /// `/settings`.
    Settings,
    /// Anything else.
    Missing,
}

/// The routes: a path pattern (`:name` takes one segment) and its page.
const ROUTES: [(&str, Page); 13] = [
    ("/", Page::Overview),
    ("/blocks", Page::Blocks),
    ("/blocks/:id", Page::Block),
    ("/txs/:hash", Page::Tx),
    ("/batches", Page::Batches),
    ("/batches/:index", Page::Batch),
    ("/accounts/:address", Page::Account),
    ("/proposals", Page::Proposals),
    ("/proposals/:index", Page::Proposal),
    ("/games", Page::Games),
    ("/games/:id", Page::Game),
    ("/search", Page::Search),
    ("/settings", Page::Settings),
];

/// The page `path` shows, and its parameters by name.
pub fn route(path: &str) -> (Page, Vec<(&'static str, String)>) {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    for (pattern, page) in ROUTES {
        let parts: Vec<&'static str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut params = Vec::new();
        let matched =
            parts
                .iter()
                .zip(&segments)
                .all(|(part, segment)| match part.strip_prefix(':') {
                    Some(name) => {
                        params.push((name, (*segment).to_owned()));
                        true
                    }
                    None => part == segment,
                });
        if matched {
            return (page, params);
        }
    }
    (Page::Missing, Vec::new())
}

/// The router, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct Router {
    /// Where the page is.
    pub location: RwSignal<Location>,
}

impl Router {
    /// Follows the browser's URL: links inside the app and the back and forward buttons change
    /// the location without loading the page again.
    pub fn provide() -> Self {
        let router = Self {
            location: RwSignal::new(current()),
        };
        provide_context(router);
        let Some(window) = web_sys::window() else {
            return router;
        };
        let on_pop = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            router.location.set(current());
        });
        let _ =
            window.add_event_listener_with_callback("popstate", on_pop.as_ref().unchecked_ref());
        on_pop.forget();
        let on_click =
            Closure::<dyn FnMut(web_sys::MouseEvent)>::new(move |e: web_sys::MouseEvent| {
                if let Some(url) = in_app_link(&e) {
                    e.prevent_default();
                    router.navigate(&url);
                }
            });
        if let Some(document) = window.document() {
            let _ = document
                .add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
        }
        on_click.forget();
        router
    }

    /// Goes to `url` (a path with an optional query) as a new history entry, at the top of the page.
    pub fn navigate(&self, url: &str) {
        if let Some(window) = web_sys::window() {
            if let Ok(history) = window.history() {
                let _ = history.push_state_with_url(&JsValue::NULL, "", Some(url));
            }
            window.scroll_to_with_x_and_y(0.0, 0.0);
        }
        self.location.set(current());
    }

    /// The route parameter `name` of the current page (empty when it has none).
    pub fn param(&self, name: &str) -> String {
        self.location.with(|l| {
            route(&l.path)
                .1
                .into_iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v)
                .unwrap_or_default()
        })
    }

    /// The query parameter `name` of the current page, decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        self.location.with(|l| {
            web_sys::UrlSearchParams::new_with_str(&l.query)
                .ok()?
                .get(name)
        })
    }
}

/// The router from context (a fresh one outside the app, as in component tests).
pub fn use_router() -> Router {
    use_context::<Router>().unwrap_or_else(|| Router {
        location: RwSignal::new(current()),
    })
}

/// The browser's current location.
fn current() -> Location {
    web_sys::window()
        .map(|w| w.location())
        .map(|l| Location {
            path: l.pathname().unwrap_or_default(),
            query: l.search().unwrap_or_default(),
        })
        .unwrap_or_default()
}

/// The URL of the link a plain left click followed, when it stays in the app.
fn in_app_link(e: &web_sys::MouseEvent) -> Option<String> {
    if e.default_prevented()
        || e.button() != 0
        || e.meta_key()
        || e.ctrl_key()
        || e.shift_key()
        || e.alt_key()
    {
        return None;
    }
    let target: web_sys::Element = e.target()?.dyn_into().ok()?;
    let anchor: web_sys::HtmlAnchorElement = target.closest("a[href]").ok()??.dyn_into().ok()?;
    if anchor.has_attribute("target") || anchor.has_attribute("download") {
        return None;
    }
    let origin = web_sys::window()?.location().origin().ok()?;
    if anchor.origin() != origin {
        return None;
    }
    Some(format!("{}{}", anchor.pathname(), anchor.search()))
}

/// A link in the top bar, marked as current (`aria-current`) on its section's pages.
#[component]
pub fn NavLink(
    /// Where to.
    href: &'static str,
    /// The link's class.
    #[prop(optional)]
    class: &'static str,
    /// What it says.
    children: Children,
) -> impl IntoView {
    let router = use_router();
    let current = move || {
        router.location.with(|l| {
            let here = l.path.trim_end_matches('/');
            let section = href.trim_end_matches('/');
            (here == section || (!section.is_empty() && here.starts_with(&format!("{section}/"))))
                .then_some("page")
        })
    };
    view! { <a href=href class=(!class.is_empty()).then_some(class) aria-current=current>{children()}</a> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_pages_and_parameters() {
        assert_eq!(route("/"), (Page::Overview, vec![]));
        assert_eq!(route("/blocks"), (Page::Blocks, vec![]));
        assert_eq!(route("/blocks/"), (Page::Blocks, vec![]));
        assert_eq!(
            route("/blocks/12"),
            (Page::Block, vec![("id", "12".to_owned())])
        );
        assert_eq!(
            route("/accounts/0xabc"),
            (Page::Account, vec![("address", "0xabc".to_owned())])
        );
        assert_eq!(route("/blocks/12/txs"), (Page::Missing, vec![]));
        assert_eq!(route("/nowhere"), (Page::Missing, vec![]));
    }
}
