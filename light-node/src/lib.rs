#![doc = include_str!("../README.md")]

mod batch;
mod config;
mod derivation;
mod execution;
mod output;
mod transaction;
mod trie;
mod verify;

pub use batch::{
    BATCH_VERSION, Batch, BatchBlock, BatchError, DEFAULT_COMPRESSION, decode_batch, encode_batch,
};
pub use config::ChainConfig;
pub use derivation::{
    BatchRejection, BlockSource, DerivationStep, DeriveError, DerivedBlock, Deriver, DroppedBatch,
    L1Input, L1Origin, PostedBatch, ResumeError, check_batch,
};
pub use execution::{
    AccountState, BLOCKHASH_WINDOW, BlockAttributes, BlockHashes, ExecError, ExecutedBlock,
    L2State, SkippedTransaction, execute_block, execute_block_recovered, genesis_header,
    l1_origin_number_of, next_base_fee,
};
pub use output::{OUTPUT_VERSION_V0, output_root};
pub use transaction::{
    DEPOSIT_TX_TYPE, Deposit, L2Receipt, L2Transaction, Recovered, TransactionError,
};
pub use trie::{EMPTY_ROOT, NodeStore, ProofError, Trie, TrieError, verify_proof};
pub use verify::{
    BatchVerdict, BlockVerdict, CannotVerify, RootCheck, VerifyRequest, Witness,
    execute_recording_witness, verify_batch,
};
