//! Output roots: the commitment to an L2 block that the proposer posts to L1.

use alloy_primitives::{B256, keccak256};

/// The version of the output-root preimage layout this crate produces.
pub const OUTPUT_VERSION_V0: B256 = B256::ZERO;

/// The output root of an L2 block: `keccak256(version ++ state_root ++ block_hash)`.
///
/// The version is 32 zero bytes, so the preimage is always 96 bytes long.
pub fn output_root(state_root: B256, block_hash: B256) -> B256 {
    let mut preimage = [0u8; 96];
    preimage[..32].copy_from_slice(OUTPUT_VERSION_V0.as_slice());
    preimage[32..64].copy_from_slice(state_root.as_slice());
    preimage[64..].copy_from_slice(block_hash.as_slice());
    keccak256(preimage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::b256;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    #[test]
    fn output_root_hashes_the_96_byte_preimage() {
        let state_root =
            b256!("0x1111111111111111111111111111111111111111111111111111111111111111");
        let block_hash =
            b256!("0x2222222222222222222222222222222222222222222222222222222222222222");
        let mut preimage = Vec::with_capacity(96);
        preimage.extend_from_slice(&[0u8; 32]);
        preimage.extend_from_slice(state_root.as_slice());
        preimage.extend_from_slice(block_hash.as_slice());
        assert_eq!(output_root(state_root, block_hash), keccak256(&preimage));
    }

    #[wasm_bindgen_test]
    #[test]
    fn output_root_matches_a_known_vector() {
        // keccak256 of 96 zero bytes.
        assert_eq!(
            output_root(B256::ZERO, B256::ZERO),
            b256!("0x46700b4d40ac5c35af2c22dda2787a91eb567b06c924a8fb8ae9a05b20c08c21"),
        );
    }

    #[wasm_bindgen_test]
    #[test]
    fn output_root_depends_on_both_inputs() {
        let a = output_root(B256::ZERO, B256::repeat_byte(1));
        let b = output_root(B256::repeat_byte(1), B256::ZERO);
        assert_ne!(a, b);
    }
}
