//! The rollup's L1 contracts for Rust: alloy bindings generated from the committed artifact
//! (`contracts/out/Rollup.json`), the deployment parameters, and the one deploy function that the
//! indexer and the tests share.
//!
//! The Solidity sources are in `contracts/src/`, compiled by `node contracts/compile.mjs`; the design
//! of the dispute game, the invalidation rule and the bond accounting is in `docs/contracts.md`.

mod bindings;
mod deploy;
mod enums;

pub use bindings::{DemoToken, Rollup};
pub use deploy::{DeployError, DeployParams, deploy};
pub use enums::{Outcome, Resolution, Turn, UnknownVariant};

/// The compiled artifact of the demonstration ERC-20 the devnet's traffic generator uses on L2.
pub const DEMO_TOKEN_ARTIFACT: &str = include_str!("../out/DemoToken.json");

/// The compiled artifact of the Rollup contract, as committed (abi, bytecode, deployedBytecode).
pub const ROLLUP_ARTIFACT: &str = include_str!("../out/Rollup.json");
