//! The user's settings, kept in the browser's `localStorage`: which L1 node the light node reads,
//! which indexer the pages read, and (optionally) the Rollup contract to check against.

use serde::Serialize;
use serde_json::Value;

use crate::api::{Fields, FromJson};

/// The `localStorage` key of the settings.
const KEY: &str = "rollup-explorer.settings";

/// The settings; an absent field takes its default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// L1 JSON-RPC URL (default: the one the server suggests in `/status`).
    pub l1: Option<String>,
    /// The indexer's API base URL (default: `/api/v1` on this page's origin).
    pub indexer: Option<String>,
    /// The Rollup contract's address (default: the one the indexer names).
    pub rollup: Option<String>,
}

impl Settings {
    /// The saved settings, or the defaults.
    pub fn load() -> Self {
        read(KEY)
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .and_then(|json| Self::from_json(&json).ok())
            .unwrap_or_default()
    }

    /// Saves the settings.
    pub fn save(&self) {
        if let Ok(text) = serde_json::to_string(self) {
            write(KEY, &text);
        }
    }

    /// The indexer API base to use.
    pub fn indexer_base(&self) -> String {
        self.indexer
            .clone()
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().trim_end_matches('/').to_owned())
            .unwrap_or_else(|| crate::api::API.to_owned())
    }
}

impl FromJson for Settings {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            l1: o.opt_str("l1")?,
            indexer: o.opt_str("indexer")?,
            rollup: o.opt_str("rollup")?,
        })
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The value under `key` in `localStorage`.
pub fn read(key: &str) -> Option<String> {
    storage()?.get_item(key).ok()?
}

/// Stores `value` under `key` in `localStorage` (silently nothing when storage is off or full).
pub fn write(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}
