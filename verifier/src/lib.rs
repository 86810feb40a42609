//! The in-browser light node: a Web Worker that verifies the rollup from L1 data.
//!
//! The page sends a [`protocol::Request`] as JSON; the worker answers with
//! [`protocol::Reply`] messages: progress, then the outcome. Without the `worker` feature the crate
//! is only those message types, which the app shares.

pub mod protocol;

#[cfg(feature = "worker")]
pub mod net;
#[cfg(feature = "worker")]
pub mod run;
#[cfg(feature = "worker")]
pub mod wire;
#[cfg(all(feature = "worker", target_arch = "wasm32"))]
pub mod worker;
