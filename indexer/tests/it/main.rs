//! Integration tests of the indexer crate, one binary (`cargo test -p indexer --test it`).

mod chaos;
mod cli;
mod index;
mod rollup_contract;
mod sequencer;
