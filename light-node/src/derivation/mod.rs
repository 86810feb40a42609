//! Derivation: the L2 chain as a pure function of L1 data.

mod deriver;
mod rules;
#[cfg(test)]
mod tests;

pub use deriver::{
    BlockSource, DerivationStep, DeriveError, DerivedBlock, Deriver, DroppedBatch, L1Input,
    PostedBatch, ResumeError,
};
pub use rules::{BatchRejection, L1Origin, check_batch};
