//! The state transition: executing L2 blocks with revm over the Merkle-Patricia state trie.

mod block_hashes;
mod error;
mod executor;
mod state;
#[cfg(test)]
pub(crate) mod tests;

pub use block_hashes::{BLOCKHASH_WINDOW, BlockHashes};
pub use error::ExecError;
pub use executor::{
    BlockAttributes, ExecutedBlock, SkippedTransaction, execute_block, execute_block_recovered,
    genesis_header, l1_origin_number_of, next_base_fee,
};
pub use state::{AccountState, L2State};
