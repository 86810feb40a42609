//! The batch wire format: one version byte, then the brotli-compressed RLP of the [`Batch`].

use std::io::Write;

use alloy_rlp::{Decodable, Encodable};
use brotli::{BrotliDecompressStream, BrotliResult, BrotliState, HeapAlloc, HuffmanCode};

use super::Batch;

/// The only batch format version this code reads and writes.
pub const BATCH_VERSION: u8 = 0;

/// The brotli quality batchers use unless told otherwise. Measured on batches of transfers and token
/// calls (`cargo run --release -p bench --example compression`), quality 5 comes within 0.1% of
/// quality 9's size (sometimes under it) four to five times faster: about half of every
/// transaction is its signature, which does not compress at any quality.
pub const DEFAULT_COMPRESSION: u32 = 5;

/// How much decompressed output is produced per step; bounds the work done past the cap.
const CHUNK: usize = 16 * 1024;

/// Why batch bytes were rejected. Every malformed input maps to one of these; none panics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// No bytes at all.
    #[error("empty batch data")]
    Empty,
    /// The version byte is not one this code knows.
    #[error("unknown batch version {0:#04x}")]
    UnknownVersion(u8),
    /// The compressed stream is invalid.
    #[error("invalid brotli stream")]
    BadCompression,
    /// The compressed stream ends before it is complete.
    #[error("truncated brotli stream")]
    Truncated,
    /// Bytes follow the end of the compressed stream.
    #[error("{0} bytes after the end of the compressed stream")]
    TrailingCompressed(usize),
    /// Decompression would exceed the size cap.
    #[error("batch decompresses to more than the cap of {cap} bytes")]
    TooLarge {
        /// The cap that was hit.
        cap: usize,
    },
    /// The decompressed bytes are not the RLP of a batch.
    #[error("malformed batch RLP: {0}")]
    Rlp(alloy_rlp::Error),
    /// Bytes follow the batch's RLP.
    #[error("{0} bytes after the batch RLP")]
    TrailingRlp(usize),
    /// A batch must carry at least one block.
    #[error("batch has no blocks")]
    NoBlocks,
}

/// Encodes a batch: version byte, then brotli at the given quality (0 to 11).
pub fn encode_batch(batch: &Batch, quality: u32) -> Vec<u8> {
    let mut rlp = Vec::with_capacity(batch.length());
    batch.encode(&mut rlp);
    let mut out = vec![BATCH_VERSION];
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, quality.min(11), 22);
        writer
            .write_all(&rlp)
            .expect("writing to a Vec cannot fail");
    }
    out
}

/// Decodes batch bytes, decompressing at most `cap + 1` bytes however large the input claims to be.
pub fn decode_batch(data: &[u8], cap: usize) -> Result<Batch, BatchError> {
    let (&version, compressed) = data.split_first().ok_or(BatchError::Empty)?;
    if version != BATCH_VERSION {
        return Err(BatchError::UnknownVersion(version));
    }
    let rlp = decompress_capped(compressed, cap)?;
    let mut buf = rlp.as_slice();
    let batch = Batch::decode(&mut buf).map_err(BatchError::Rlp)?;
    if !buf.is_empty() {
        return Err(BatchError::TrailingRlp(buf.len()));
    }
    if batch.blocks.is_empty() {
        return Err(BatchError::NoBlocks);
    }
    Ok(batch)
}

/// Streams brotli decompression into a buffer that never grows past `cap + CHUNK` bytes.
fn decompress_capped(input: &[u8], cap: usize) -> Result<Vec<u8>, BatchError> {
    let mut state = BrotliState::new(
        HeapAlloc::<u8>::new(0),
        HeapAlloc::<u32>::new(0),
        HeapAlloc::<HuffmanCode>::new(HuffmanCode::default()),
    );
    let mut out = Vec::new();
    let mut chunk = vec![0u8; CHUNK];
    let mut available_in = input.len();
    let mut input_offset = 0;
    let mut total_out = 0;
    loop {
        let mut available_out = chunk.len();
        let mut output_offset = 0;
        let result = BrotliDecompressStream(
            &mut available_in,
            &mut input_offset,
            input,
            &mut available_out,
            &mut output_offset,
            &mut chunk,
            &mut total_out,
            &mut state,
        );
        if out.len() + output_offset > cap {
            return Err(BatchError::TooLarge { cap });
        }
        out.extend_from_slice(&chunk[..output_offset]);
        match result {
            BrotliResult::NeedsMoreOutput => {}
            BrotliResult::ResultSuccess if available_in == 0 => return Ok(out),
            BrotliResult::ResultSuccess => {
                return Err(BatchError::TrailingCompressed(available_in));
            }
            BrotliResult::NeedsMoreInput => return Err(BatchError::Truncated),
            BrotliResult::ResultFailure => return Err(BatchError::BadCompression),
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{B256, Bytes};
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;
    use crate::batch::BatchBlock;

    const CAP: usize = 1024 * 1024;

    fn sample() -> Batch {
        Batch {
            parent_hash: B256::repeat_byte(7),
            blocks: (0..5)
                .map(|i| BatchBlock {
                    timestamp: 100 + i,
                    l1_origin_number: 10 + i / 2,
                    l1_origin_hash: B256::repeat_byte(i as u8),
                    transactions: (0..i).map(|t| Bytes::from(vec![t as u8; 120])).collect(),
                })
                .collect(),
        }
    }

    #[wasm_bindgen_test]
    #[test]
    fn round_trip() {
        let batch = sample();
        let bytes = encode_batch(&batch, 9);
        assert_eq!(bytes[0], BATCH_VERSION);
        assert_eq!(decode_batch(&bytes, CAP), Ok(batch));
    }

    #[wasm_bindgen_test]
    #[test]
    fn empty_input() {
        assert_eq!(decode_batch(&[], CAP), Err(BatchError::Empty));
    }

    #[wasm_bindgen_test]
    #[test]
    fn bad_version() {
        let mut bytes = encode_batch(&sample(), 9);
        bytes[0] = 1;
        assert_eq!(
            decode_batch(&bytes, CAP),
            Err(BatchError::UnknownVersion(1))
        );
    }

    #[wasm_bindgen_test]
    #[test]
    fn truncated() {
        let bytes = encode_batch(&sample(), 9);
        for len in [1, 2, bytes.len() / 2, bytes.len() - 1] {
            let err = decode_batch(&bytes[..len], CAP).expect_err("truncated input must fail");
            assert!(
                matches!(err, BatchError::Truncated | BatchError::BadCompression),
                "{len} bytes: {err:?}"
            );
        }
    }

    #[wasm_bindgen_test]
    #[test]
    fn bytes_after_the_stream() {
        let mut bytes = encode_batch(&sample(), 9);
        bytes.extend_from_slice(b"dirty");
        assert_eq!(
            decode_batch(&bytes, CAP),
            Err(BatchError::TrailingCompressed(5))
        );
    }

    #[wasm_bindgen_test]
    #[test]
    fn bad_compression() {
        // 0xff cannot start a valid brotli stream header followed by this data.
        let bytes = [BATCH_VERSION, 0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x37];
        let err = decode_batch(&bytes, CAP).expect_err("garbage must fail");
        assert!(
            matches!(err, BatchError::BadCompression | BatchError::Truncated),
            "{err:?}"
        );
    }

    #[wasm_bindgen_test]
    #[test]
    fn malformed_rlp_inside_valid_compression() {
        let mut bytes = vec![BATCH_VERSION];
        {
            let mut w = brotli::CompressorWriter::new(&mut bytes, 4096, 5, 22);
            w.write_all(&[0xf8, 0xff, 0x01]).expect("write");
        }
        assert!(matches!(decode_batch(&bytes, CAP), Err(BatchError::Rlp(_))));
    }

    #[wasm_bindgen_test]
    #[test]
    fn no_blocks() {
        let batch = Batch {
            parent_hash: B256::ZERO,
            blocks: vec![],
        };
        assert_eq!(
            decode_batch(&encode_batch(&batch, 5), CAP),
            Err(BatchError::NoBlocks)
        );
    }

    #[wasm_bindgen_test]
    #[test]
    fn trailing_rlp() {
        let mut rlp = Vec::new();
        sample().encode(&mut rlp);
        rlp.push(0x80);
        let mut bytes = vec![BATCH_VERSION];
        {
            let mut w = brotli::CompressorWriter::new(&mut bytes, 4096, 5, 22);
            w.write_all(&rlp).expect("write");
        }
        assert_eq!(decode_batch(&bytes, CAP), Err(BatchError::TrailingRlp(1)));
    }

    #[wasm_bindgen_test]
    #[test]
    fn decompression_bomb_stops_at_the_cap() {
        // 64 MiB of zeros compresses to a few hundred bytes.
        let mut bytes = vec![BATCH_VERSION];
        {
            let mut w = brotli::CompressorWriter::new(&mut bytes, 64 * 1024, 5, 22);
            let zeros = vec![0u8; 1024 * 1024];
            for _ in 0..64 {
                w.write_all(&zeros).expect("write");
            }
        }
        assert!(bytes.len() < 64 * 1024, "bomb is {} bytes", bytes.len());
        assert_eq!(
            decode_batch(&bytes, CAP),
            Err(BatchError::TooLarge { cap: CAP })
        );
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod fuzz {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// Arbitrary bytes never panic, whatever they decode to.
            #[test]
            fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
                let _ = decode_batch(&data, CAP);
                let mut versioned = vec![BATCH_VERSION];
                versioned.extend_from_slice(&data);
                let _ = decode_batch(&versioned, CAP);
            }

            /// Corrupting one byte of a valid batch never panics, and a success decodes to a batch.
            #[test]
            fn corrupted_batches_never_panic(index in any::<prop::sample::Index>(), byte in any::<u8>()) {
                let mut bytes = encode_batch(&sample(), 9);
                let i = index.index(bytes.len());
                bytes[i] = byte;
                if let Ok(batch) = decode_batch(&bytes, CAP) {
                    prop_assert!(!batch.blocks.is_empty());
                }
            }
        }
    }
}
