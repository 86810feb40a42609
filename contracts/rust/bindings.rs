//! Bindings to the Rollup contract, generated from its committed artifact.
//!
//! The contract's enums (`Turn`, `Outcome`, `Resolution`) are `uint8` in the ABI; `crate::enums` has
//! typed versions.

// The `sol!` expansion documents the contract, not every generated item, and mirrors its signatures.
#![allow(missing_docs, clippy::too_many_arguments)]

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    Rollup,
    "out/Rollup.json"
);
