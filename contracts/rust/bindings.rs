//! Bindings to the Rollup contract and the demonstration token, generated from their committed
//! artifacts.
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

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    DemoToken,
    "out/DemoToken.json"
);
