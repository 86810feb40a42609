//! The rollup's L1 contracts for Rust: alloy bindings generated from the committed artifact
//! (`contracts/out/Rollup.json`), the deployment parameters, and the one deploy function that the
//! indexer and the tests share.
//!
//! The Solidity sources are in `contracts/src/`, compiled by `node contracts/compile.mjs`; the design
//! of the dispute game, the invalidation rule and the bond accounting is in `docs/contracts.md`.

mod bindings;
mod deploy;
mod enums;

pub use bindings::Rollup;
pub use deploy::{DeployError, DeployParams, deploy};
pub use enums::{Outcome, Resolution, Turn, UnknownVariant};

/// The compiled artifact of the Rollup contract, as committed (abi, bytecode, deployedBytecode).
pub const ROLLUP_ARTIFACT: &str = include_str!("../out/Rollup.json");
