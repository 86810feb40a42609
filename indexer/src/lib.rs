//! The rollup explorer's server.
//!
//! One binary that follows L1, derives the L2 chain, serves the REST API and the built web app, and on a
//! devnet also plays the rollup's roles. This crate is also a library so that tests can run its parts in
//! process.

pub mod anvil;
pub mod api;
pub mod batcher;
pub mod challenger;
pub mod cli;
pub mod devnet;
pub mod genesis;
pub mod index;
pub mod l1;
pub mod l1tx;
#[cfg(feature = "openapi-check")]
pub mod openapi;
pub mod proposer;
pub mod rpc;
pub mod sequencer;
pub mod server;
pub mod telemetry;
pub mod traffic;
