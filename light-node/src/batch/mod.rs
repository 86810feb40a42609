//! Batches: the L2 blocks the batcher posts to L1, and their wire format.

mod blocks;
mod codec;

pub use blocks::{Batch, BatchBlock};
pub use codec::{BATCH_VERSION, BatchError, DEFAULT_COMPRESSION, decode_batch, encode_batch};
