//! The devnet with anvil as L1: transfers, contracts, logs, proofs, batches, proposals.
