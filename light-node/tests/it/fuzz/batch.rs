//! Target A: the batch decoder, on garbage, on tampered valid batches, on valid compression of
//! garbage RLP, and on decompression bombs under caps above and below their size.

use std::io::Write;

use alloy_primitives::{B256, Bytes};
use alloy_rlp::{Decodable, Encodable};
use light_node::{
    BATCH_VERSION, Batch, BatchBlock, BatchError, ChainConfig, decode_batch, encode_batch,
};
use proptest::{
    collection::vec,
    prelude::{Just, Strategy, any, prop_oneof},
    sample::Index,
    test_runner::TestRunner,
};

use super::{Case, Checked, Target, draw, hex};

/// How the bytes of a case were made.
#[derive(Debug, Clone)]
#[expect(
    dead_code,
    reason = "the fields are for failure messages, through Debug"
)]
enum Origin {
    /// Arbitrary bytes, the version byte included.
    Raw,
    /// The version byte, then arbitrary bytes.
    Versioned,
    /// A valid batch, encoded at this quality.
    Valid { quality: u32 },
    /// A valid batch, encoded, then edited.
    Edited { quality: u32, edits: Vec<Edit> },
    /// Valid brotli (of this quality and window) of RLP that need not be a batch's.
    Recompressed {
        rlp: RlpSource,
        quality: u32,
        window: u32,
    },
    /// A decompression bomb, maybe edited.
    Bomb { which: usize, edits: Vec<Edit> },
}

/// Where the RLP of a recompressed case comes from.
#[derive(Debug, Clone)]
#[expect(
    dead_code,
    reason = "the fields are for failure messages, through Debug"
)]
enum RlpSource {
    /// Arbitrary bytes.
    Arbitrary,
    /// A valid batch's RLP, edited.
    EditedBatch(Vec<Edit>),
    /// A random tree of RLP lists and strings.
    Tree,
    /// A valid batch's RLP followed by more RLP.
    Trailing,
}

/// A byte-level edit.
#[derive(Debug, Clone)]
enum Edit {
    Flip {
        at: Index,
        mask: u8,
    },
    Insert {
        at: Index,
        bytes: Vec<u8>,
    },
    Delete {
        at: Index,
        len: u8,
    },
    Truncate(Index),
    Append(Vec<u8>),
    /// Copies a run of the bytes to another place.
    Repeat {
        from: Index,
        len: u8,
        to: Index,
    },
}

impl Edit {
    fn apply(&self, bytes: &mut Vec<u8>) {
        let len = bytes.len();
        let at = |index: &Index| if len == 0 { 0 } else { index.index(len + 1) };
        match self {
            Self::Flip { at: index, mask } if len > 0 => bytes[index.index(len)] ^= mask,
            Self::Flip { .. } => {}
            Self::Insert {
                at: index,
                bytes: new,
            } => {
                let at = at(index);
                bytes.splice(at..at, new.iter().copied());
            }
            Self::Delete { at: index, len: n } => {
                let at = at(index);
                let end = (at + usize::from(*n)).min(len);
                bytes.drain(at..end);
            }
            Self::Truncate(index) => bytes.truncate(at(index)),
            Self::Append(junk) => bytes.extend_from_slice(junk),
            Self::Repeat {
                from,
                len: n,
                to: index,
            } => {
                let from = at(from);
                let run: Vec<u8> = bytes[from..(from + usize::from(*n)).min(len)].to_vec();
                let to = at(index);
                bytes.splice(to..to, run);
            }
        }
    }
}

fn edit() -> impl Strategy<Value = Edit> {
    let bytes = || vec(any::<u8>(), 1..24);
    prop_oneof![
        4 => (any::<Index>(), 1u8..=255).prop_map(|(at, mask)| Edit::Flip { at, mask }),
        2 => (any::<Index>(), bytes()).prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        2 => (any::<Index>(), 1u8..32).prop_map(|(at, len)| Edit::Delete { at, len }),
        1 => any::<Index>().prop_map(Edit::Truncate),
        1 => bytes().prop_map(Edit::Append),
        1 => (any::<Index>(), 1u8..64, any::<Index>())
            .prop_map(|(from, len, to)| Edit::Repeat { from, len, to }),
    ]
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    vec(edit(), 1..5)
}

/// Batches of zero (rejected) to five blocks, with transactions that compress well or not at all.
fn batch() -> impl Strategy<Value = Batch> {
    let transaction = prop_oneof![
        vec(any::<u8>(), 0..160).prop_map(Bytes::from),
        (any::<u8>(), 0usize..600).prop_map(|(byte, len)| Bytes::from(vec![byte; len])),
    ];
    let block = (
        any::<u64>(),
        any::<u64>(),
        any::<[u8; 32]>(),
        vec(transaction, 0..4),
    )
        .prop_map(
            |(timestamp, l1_origin_number, hash, transactions)| BatchBlock {
                timestamp,
                l1_origin_number,
                l1_origin_hash: B256::from(hash),
                transactions,
            },
        );
    prop_oneof![
        1 => Just(0usize..1),
        8 => Just(1usize..6),
    ]
    .prop_flat_map(move |blocks| (any::<[u8; 32]>(), vec(block.clone(), blocks)))
    .prop_map(|(parent_hash, blocks)| Batch {
        parent_hash: B256::from(parent_hash),
        blocks,
    })
}

/// Random RLP: nested lists of short strings, some with long-form headers.
fn rlp_tree() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        vec(any::<u8>(), 0..40).prop_map(|bytes| rlp_string(&bytes)),
        any::<u64>().prop_map(|n| {
            let mut out = Vec::new();
            n.encode(&mut out);
            out
        }),
        Just(vec![0x80]),
        Just(vec![0xc0]),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        vec(inner, 0..8).prop_map(|items| {
            let payload: Vec<u8> = items.concat();
            let mut out = Vec::new();
            alloy_rlp::Header {
                list: true,
                payload_length: payload.len(),
            }
            .encode(&mut out);
            out.extend_from_slice(&payload);
            out
        })
    })
}

fn rlp_string(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    bytes.encode(&mut out);
    out
}

/// The RLP of a batch, as the decoder must find it after decompression.
fn batch_rlp(batch: &Batch) -> Vec<u8> {
    let mut out = Vec::new();
    batch.encode(&mut out);
    out
}

/// The version byte, then brotli of `data` at this quality and window (log2 of its size).
fn compress(data: &[u8], quality: u32, window: u32) -> Vec<u8> {
    let mut out = vec![BATCH_VERSION];
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, quality, window);
        writer
            .write_all(data)
            .expect("writing to a Vec cannot fail");
    }
    out
}

/// What the decoder must return for bytes whose decompression is `rlp`: the steps after
/// decompression, done again here on bytes known without the decoder.
fn expected_from_rlp(rlp: &[u8], cap: usize) -> Result<Batch, BatchError> {
    if rlp.len() > cap {
        return Err(BatchError::TooLarge { cap });
    }
    let mut buf = rlp;
    let batch = Batch::decode(&mut buf).map_err(BatchError::Rlp)?;
    if !buf.is_empty() {
        return Err(BatchError::TrailingRlp(buf.len()));
    }
    if batch.blocks.is_empty() {
        return Err(BatchError::NoBlocks);
    }
    Ok(batch)
}

fn reason(error: &BatchError) -> &'static str {
    match error {
        BatchError::Empty => "Empty",
        BatchError::UnknownVersion(_) => "UnknownVersion",
        BatchError::BadCompression => "BadCompression",
        BatchError::Truncated => "Truncated",
        BatchError::TrailingCompressed(_) => "TrailingCompressed",
        BatchError::TooLarge { .. } => "TooLarge",
        BatchError::Rlp(_) => "Rlp",
        BatchError::TrailingRlp(_) => "TrailingRlp",
        BatchError::NoBlocks => "NoBlocks",
    }
}

/// A valid stream that decompresses to far more than its size.
#[derive(Debug)]
struct Bomb {
    /// The encoded bytes (version byte included).
    bytes: Vec<u8>,
    /// What they decompress to.
    rlp: Vec<u8>,
}

/// One input for the decoder.
#[derive(Debug)]
pub(super) struct BatchCase {
    origin: Origin,
    bytes: Vec<u8>,
    cap: usize,
    /// The decompressed bytes, when the input is a valid stream (its decoding is then known).
    rlp: Option<Vec<u8>>,
}

impl Case for BatchCase {
    fn is_faulty(&self) -> bool {
        match &self.origin {
            Origin::Valid { .. } => false,
            Origin::Bomb { edits, .. } => !edits.is_empty(),
            _ => true,
        }
    }

    fn describe(&self) -> String {
        format!(
            "{:?}, cap {}, {} bytes: {}",
            self.origin,
            self.cap,
            self.bytes.len(),
            hex(&self.bytes)
        )
    }
}

/// What a case is made of, before the bytes are built.
#[derive(Debug)]
enum Plan {
    Raw(Vec<u8>),
    Versioned(Vec<u8>),
    Valid(Batch, u32),
    /// Edits of one of the recent valid encodings.
    Edited(Index, Vec<Edit>),
    Recompressed(RlpSource, Vec<u8>, u32, u32),
    Bomb(usize, Vec<Edit>),
}

/// Brotli qualities. 10 and 11 cost over 10 ms per batch in a debug build, the rest well under one.
fn quality() -> impl Strategy<Value = u32> {
    prop_oneof![30 => 0u32..=9, 1 => 10u32..=11]
}

fn plan() -> impl Strategy<Value = Plan> {
    let source = prop_oneof![
        vec(any::<u8>(), 0..300).prop_map(|rlp| (RlpSource::Arbitrary, rlp)),
        (batch(), edits()).prop_map(|(batch, edits)| {
            let mut rlp = batch_rlp(&batch);
            for edit in &edits {
                edit.apply(&mut rlp);
            }
            (RlpSource::EditedBatch(edits), rlp)
        }),
        rlp_tree().prop_map(|rlp| (RlpSource::Tree, rlp)),
        (batch(), rlp_tree()).prop_map(|(batch, more)| {
            let mut rlp = batch_rlp(&batch);
            rlp.extend_from_slice(&more);
            (RlpSource::Trailing, rlp)
        }),
    ];
    // Bombs decompress megabytes each: rarer.
    prop_oneof![
        4 => vec(any::<u8>(), 0..512).prop_map(Plan::Raw),
        8 => vec(any::<u8>(), 0..512).prop_map(Plan::Versioned),
        8 => (batch(), quality()).prop_map(|(batch, q)| Plan::Valid(batch, q)),
        24 => (any::<Index>(), edits()).prop_map(|(base, edits)| Plan::Edited(base, edits)),
        16 => (source, quality(), 10u32..=24)
            .prop_map(|((source, rlp), q, window)| Plan::Recompressed(source, rlp, q, window)),
        1 => (0usize..2, prop_oneof![Just(vec![]), edits()])
            .prop_map(|(which, edits)| Plan::Bomb(which, edits)),
    ]
}

/// How many recent valid encodings edited cases draw from.
const POOL: usize = 64;

/// The decoder target, with its bombs made once.
#[derive(Debug)]
pub(super) struct Batches {
    /// The cap the chain uses.
    cap: usize,
    bombs: Vec<Bomb>,
    /// Recent valid encodings and their quality, for edited cases (encoding costs more than
    /// decoding, so each is edited several times).
    pool: Vec<(u32, Vec<u8>)>,
    /// Where the next valid encoding goes in the pool.
    next: usize,
}

impl Batches {
    pub(super) fn new() -> Self {
        let cap = ChainConfig::devnet().max_batch_size;
        // Zeros past the chain's cap, and a valid batch of 1 MiB (under it).
        let zeros = vec![0u8; cap + 1024 * 1024];
        let big = Batch {
            parent_hash: B256::repeat_byte(1),
            blocks: vec![BatchBlock {
                timestamp: 1,
                l1_origin_number: 1,
                l1_origin_hash: B256::repeat_byte(2),
                transactions: vec![
                    Bytes::from(vec![0x5a; 1024 * 1024]),
                    Bytes::from_static(b"x"),
                ],
            }],
        };
        let big_rlp = batch_rlp(&big);
        let bombs = vec![
            Bomb {
                bytes: compress(&zeros, 1, 24),
                rlp: zeros,
            },
            Bomb {
                bytes: encode_batch(&big, 5),
                rlp: big_rlp,
            },
        ];
        for bomb in &bombs {
            assert!(bomb.bytes.len() * 1000 < bomb.rlp.len(), "not a bomb");
        }
        Self {
            cap,
            bombs,
            pool: Vec::with_capacity(POOL),
            next: 0,
        }
    }

    fn remember(&mut self, quality: u32, bytes: &[u8]) {
        let entry = (quality, bytes.to_vec());
        if self.pool.len() < POOL {
            self.pool.push(entry);
        } else {
            self.pool[self.next] = entry;
        }
        self.next = (self.next + 1) % POOL;
    }

    /// The chain's cap mostly; otherwise a cap around the decompressed size, when known.
    fn cap(&self, runner: &mut TestRunner, size: Option<usize>) -> usize {
        match draw(runner, 0u8..4) {
            0 => draw(runner, 0..=size.unwrap_or(2048).saturating_mul(2)),
            _ => self.cap,
        }
    }
}

impl Target for Batches {
    type Case = BatchCase;

    fn generate(&mut self, runner: &mut TestRunner) -> BatchCase {
        let (origin, bytes, rlp) = match draw(runner, plan()) {
            Plan::Raw(bytes) => (Origin::Raw, bytes, None),
            Plan::Versioned(rest) => {
                let mut bytes = vec![BATCH_VERSION];
                bytes.extend_from_slice(&rest);
                (Origin::Versioned, bytes, None)
            }
            Plan::Valid(batch, quality) => {
                let bytes = encode_batch(&batch, quality);
                self.remember(quality, &bytes);
                (Origin::Valid { quality }, bytes, Some(batch_rlp(&batch)))
            }
            Plan::Edited(base, edits) => {
                if self.pool.is_empty() {
                    let (batch, quality) = draw(runner, (batch(), quality()));
                    self.remember(quality, &encode_batch(&batch, quality));
                }
                let (quality, mut bytes) = self.pool[base.index(self.pool.len())].clone();
                for edit in &edits {
                    edit.apply(&mut bytes);
                }
                (Origin::Edited { quality, edits }, bytes, None)
            }
            Plan::Recompressed(source, rlp, quality, window) => (
                Origin::Recompressed {
                    rlp: source,
                    quality,
                    window,
                },
                compress(&rlp, quality, window),
                Some(rlp),
            ),
            Plan::Bomb(which, edits) => {
                let bomb = &self.bombs[which];
                let mut bytes = bomb.bytes.clone();
                for edit in &edits {
                    edit.apply(&mut bytes);
                }
                let rlp = edits.is_empty().then(|| bomb.rlp.clone());
                (Origin::Bomb { which, edits }, bytes, rlp)
            }
        };
        let cap = self.cap(runner, rlp.as_ref().map(Vec::len));
        BatchCase {
            origin,
            bytes,
            cap,
            rlp,
        }
    }

    fn check(&self, case: &BatchCase) -> Result<Checked, String> {
        let decoded = decode_batch(&case.bytes, case.cap);
        let compared = if let Some(rlp) = &case.rlp {
            let expected = expected_from_rlp(rlp, case.cap);
            if decoded != expected {
                return Err(format!(
                    "a valid stream of {} bytes decoded to {}, expected {}",
                    rlp.len(),
                    short(&decoded),
                    short(&expected)
                ));
            }
            true
        } else {
            false
        };
        let batch = match decoded {
            Err(error) => return Ok(Checked::rejected(reason(&error), compared)),
            Ok(batch) => batch,
        };
        if batch.blocks.is_empty() {
            return Err("decoded a batch without blocks".into());
        }
        let rlp = batch_rlp(&batch);
        if rlp.len() > case.cap {
            return Err(format!(
                "decoded a batch of {} bytes over the cap of {}",
                rlp.len(),
                case.cap
            ));
        }
        if let Some(original) = &case.rlp
            && *original != rlp
        {
            return Err(
                "the decoded batch re-encodes to other RLP than it was decoded from".into(),
            );
        }
        // Re-encoding gives the same batch back, and the cap is exact: the batch's own size is
        // enough, one byte less is not.
        let again = encode_batch(&batch, 1);
        if decode_batch(&again, rlp.len()).as_ref() != Ok(&batch) {
            return Err("the decoded batch does not survive re-encoding".into());
        }
        let under = rlp.len() - 1;
        if decode_batch(&again, under) != Err(BatchError::TooLarge { cap: under }) {
            return Err(format!(
                "a batch of {} bytes is not refused under a cap of {under}",
                rlp.len()
            ));
        }
        Ok(Checked::accepted())
    }
}

/// A decode result in a few words (a batch's Debug can be megabytes).
fn short(result: &Result<Batch, BatchError>) -> String {
    match result {
        Ok(batch) => format!(
            "a batch of {} blocks on {}",
            batch.blocks.len(),
            batch.parent_hash
        ),
        Err(error) => format!("{error:?}"),
    }
}
