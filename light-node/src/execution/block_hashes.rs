//! Hashes of recent L2 blocks, for the BLOCKHASH opcode.

use std::collections::BTreeMap;

use alloy_primitives::B256;

/// How many past blocks BLOCKHASH can see.
pub const BLOCKHASH_WINDOW: u64 = 256;

/// Known L2 block hashes by number; the executor reads the last 256 before the block it executes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockHashes {
    hashes: BTreeMap<u64, B256>,
}

impl BlockHashes {
    /// No hashes known.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the hash of block `number`, forgetting hashes no later block can ask for.
    pub fn insert(&mut self, number: u64, hash: B256) {
        self.hashes.insert(number, hash);
        let keep_from = number.saturating_sub(BLOCKHASH_WINDOW);
        while let Some((&oldest, _)) = self.hashes.first_key_value() {
            if oldest >= keep_from {
                break;
            }
            self.hashes.remove(&oldest);
        }
    }

    /// The hash of block `number`, if known.
    pub fn get(&self, number: u64) -> Option<B256> {
        self.hashes.get(&number).copied()
    }
}
