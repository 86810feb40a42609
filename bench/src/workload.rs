//! A deterministic rollup history for benchmarks: funded senders, a demo ERC-20, and blocks of ETH
//! and token transfers, batched and posted to a synthetic L1 the way the batcher posts them.
//!
//! Everything here is pure (no I/O, no clock, no randomness source), so the browser builds exactly
//! the batch the native runner builds.

use alloy_consensus::{Header, SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_sol_types::{SolCall, sol};
use light_node::{
    Batch, BatchBlock, BlockAttributes, BlockHashes, ChainConfig, ExecutedBlock, L1Input, L1Origin,
    L2State, PostedBatch, VerifyRequest, encode_batch, execute_block, execute_recording_witness,
    genesis_header, output_root,
};

sol!(
    #[allow(missing_docs)]
    DemoToken,
    "../contracts/out/DemoToken.json"
);

/// The compiled demo token (its artifact's creation code).
const TOKEN_ARTIFACT: &str = include_str!("../../contracts/out/DemoToken.json");

/// L2 blocks per L1 block of the synthetic L1 (L2 blocks every second, L1 blocks every 12).
pub const L2_PER_L1: u64 = 12;
/// Brotli quality of the batches (the batcher's default).
pub const COMPRESSION: u32 = light_node::DEFAULT_COMPRESSION;
/// Senders in the workload.
pub const SENDERS: usize = 64;

/// A sender: a fixed secret key and its address.
#[derive(Debug, Clone)]
pub struct Key {
    secret: B256,
    /// Its address.
    pub address: Address,
}

impl Key {
    /// The `i`-th benchmark key.
    pub fn new(i: usize) -> Self {
        Self::from_secret(keccak256(format!("rollup-explorer bench key {i}")))
    }

    /// The key with this secret.
    pub fn from_secret(secret: B256) -> Self {
        let probe = B256::repeat_byte(0xaa);
        let sig = alloy_consensus::crypto::secp256k1::sign_message(secret, probe)
            .expect("a hash is a valid key");
        let address = sig
            .recover_address_from_prehash(&probe)
            .expect("a fresh signature recovers");
        Self { secret, address }
    }

    /// Signs `tx` as an EIP-2718 envelope.
    pub fn sign(&self, tx: TxEip1559) -> Bytes {
        let sig = sign_hash(self.secret, tx.signature_hash());
        TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
    }
}

/// Signs `hash` with `secret`. Natively with libsecp256k1, several times faster than k256 (the
/// runner signs a million transfers for the API's index); in the browser with k256. Both sign
/// deterministically (RFC 6979, low s), so both give the same signature and the same workload.
/// Recovery, which the light node measures, is k256's everywhere in the runner.
#[cfg(not(target_arch = "wasm32"))]
fn sign_hash(secret: B256, hash: B256) -> alloy_primitives::Signature {
    let key = secp256k1::SecretKey::from_byte_array(&secret.0).expect("a valid key");
    let (id, rs) = secp256k1::SECP256K1
        .sign_ecdsa_recoverable(&secp256k1::Message::from_digest(hash.0), &key)
        .serialize_compact();
    alloy_primitives::Signature::new(
        U256::from_be_slice(&rs[..32]),
        U256::from_be_slice(&rs[32..]),
        i32::from(id) != 0,
    )
}

#[cfg(target_arch = "wasm32")]
fn sign_hash(secret: B256, hash: B256) -> alloy_primitives::Signature {
    alloy_consensus::crypto::secp256k1::sign_message(secret, hash)
        .expect("signing with a valid key")
}

/// The L1 block `number` of the synthetic L1.
pub fn l1_block(number: u64) -> L1Origin {
    L1Origin {
        number,
        hash: keccak256(format!("rollup-explorer bench L1 block {number}")),
        timestamp: number * L2_PER_L1,
        deposits: Vec::new(),
    }
}

/// The chain parameters: the devnet's, with the synthetic L1's clock.
pub fn config() -> ChainConfig {
    ChainConfig {
        genesis_timestamp: 0,
        ..ChainConfig::devnet()
    }
}

/// Signed transactions from [`SENDERS`] senders: first the token's deployment and its distribution,
/// then alternately an ETH transfer to a fresh address and a token transfer between senders.
#[derive(Debug, Clone)]
pub struct Transactions {
    chain_id: u64,
    /// The senders.
    pub keys: Vec<Key>,
    nonces: Vec<u64>,
    /// The token's address.
    pub token: Address,
    sent: u64,
}

impl Transactions {
    /// Senders with fresh nonces.
    pub fn new(chain_id: u64) -> Self {
        let keys: Vec<Key> = (0..SENDERS).map(Key::new).collect();
        let token = keys[0].address.create(0);
        Self {
            chain_id,
            nonces: vec![0; keys.len()],
            keys,
            token,
            sent: 0,
        }
    }

    /// The genesis allocation: 1,000 ETH to each sender.
    pub fn allocation(&self) -> Vec<(Address, U256)> {
        let ether = U256::from(10u64).pow(U256::from(18));
        self.keys
            .iter()
            .map(|k| (k.address, ether * U256::from(1_000u64)))
            .collect()
    }

    fn signed(&mut self, sender: usize, to: TxKind, value: u64, input: Bytes, gas: u64) -> Bytes {
        let nonce = self.nonces[sender];
        self.nonces[sender] += 1;
        self.keys[sender].sign(TxEip1559 {
            chain_id: self.chain_id,
            nonce,
            gas_limit: gas,
            max_fee_per_gas: 100_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to,
            value: U256::from(value),
            access_list: Default::default(),
            input,
        })
    }

    /// The token's deployment (block 1 of the history).
    pub fn deployment(&mut self) -> Vec<Bytes> {
        let artifact: serde_json::Value =
            serde_json::from_str(TOKEN_ARTIFACT).expect("the committed artifact is JSON");
        let code = artifact["bytecode"]
            .as_str()
            .and_then(|hex| alloy_primitives::hex::decode(hex).ok())
            .expect("the artifact has creation code");
        let supply = U256::from(10u64).pow(U256::from(30));
        let mut input = code;
        input.extend_from_slice(&supply.to_be_bytes::<32>());
        vec![self.signed(0, TxKind::Create, 0, input.into(), 2_000_000)]
    }

    /// Tokens for every other sender (block 2 of the history).
    pub fn distribution(&mut self) -> Vec<Bytes> {
        (1..self.keys.len())
            .map(|i| {
                let call = DemoToken::transferCall {
                    to: self.keys[i].address,
                    value: U256::from(10u64).pow(U256::from(24)),
                };
                let token = self.token;
                self.signed(0, TxKind::Call(token), 0, call.abi_encode().into(), 100_000)
            })
            .collect()
    }

    /// The next workload transaction.
    pub fn next_transaction(&mut self) -> Bytes {
        let i = self.sent;
        self.sent += 1;
        let sender = (i % self.keys.len() as u64) as usize;
        if i.is_multiple_of(2) {
            let to = Address::from_word(keccak256(i.to_be_bytes()));
            self.signed(sender, TxKind::Call(to), 1, Bytes::new(), 21_000)
        } else {
            let to = self.keys[((i * 7 + 3) % self.keys.len() as u64) as usize].address;
            let call = DemoToken::transferCall {
                to,
                value: U256::from(1u64),
            };
            let token = self.token;
            self.signed(
                sender,
                TxKind::Call(token),
                0,
                call.abi_encode().into(),
                100_000,
            )
        }
    }

    /// `n` workload transactions.
    pub fn take(&mut self, n: usize) -> Vec<Bytes> {
        (0..n).map(|_| self.next_transaction()).collect()
    }
}

/// A chain being built on a full state.
#[derive(Debug)]
pub struct Chain {
    /// Parameters.
    pub config: ChainConfig,
    /// The full state at `head`.
    pub state: L2State,
    /// The newest block.
    pub head: Header,
    /// Hashes of the blocks so far.
    pub hashes: BlockHashes,
}

impl Chain {
    /// The genesis of `txs`'s senders.
    pub fn genesis(txs: &Transactions) -> Self {
        let config = config();
        let mut state = L2State::default();
        let root = state
            .allocate(txs.allocation())
            .expect("allocating an empty state");
        let head = genesis_header(&config, root);
        let mut hashes = BlockHashes::new();
        hashes.insert(0, head.hash_slow());
        Self {
            config,
            state,
            head,
            hashes,
        }
    }

    /// The attributes of the next block, carrying `transactions`.
    pub fn attributes(&self, number: u64, transactions: Vec<Bytes>) -> BlockAttributes {
        let origin = l1_block(number / L2_PER_L1);
        BlockAttributes {
            timestamp: self.config.timestamp_of(number),
            l1_origin_number: origin.number,
            l1_origin_hash: origin.hash,
            deposits: Vec::new(),
            transactions,
        }
    }

    /// Executes the next block.
    pub fn push(&mut self, transactions: Vec<Bytes>) -> ExecutedBlock {
        let attributes = self.attributes(self.head.number + 1, transactions);
        let block = execute_block(
            &self.config,
            &mut self.state,
            &self.head,
            &self.hashes,
            &attributes,
        )
        .expect("the workload's blocks execute");
        assert!(
            block.skipped.is_empty(),
            "the workload's transactions all apply: {:?}",
            block.skipped
        );
        self.hashes.insert(block.header.number, block.hash);
        self.head = block.header.clone();
        block
    }
}

/// The batch of `blocks` (attributes) on `parent`.
fn batch_of(parent: B256, blocks: &[BlockAttributes]) -> Batch {
    Batch {
        parent_hash: parent,
        blocks: blocks
            .iter()
            .map(|a| BatchBlock {
                timestamp: a.timestamp,
                l1_origin_number: a.l1_origin_number,
                l1_origin_hash: a.l1_origin_hash,
                transactions: a.transactions.clone(),
            })
            .collect(),
    }
}

/// An L1 history for derivation, with what the derivation bound needs.
#[derive(Debug)]
pub struct History {
    /// Parameters.
    pub config: ChainConfig,
    /// The genesis state.
    pub genesis_state: L2State,
    /// The genesis block.
    pub genesis: Header,
    /// L1 block 0, the genesis block's origin.
    pub genesis_origin: L1Origin,
    /// L1 blocks 1.., each posting one batch.
    pub inputs: Vec<L1Input>,
    /// The user transactions of L2 blocks 1.., with each block's timestamp.
    pub blocks: Vec<(u64, Vec<Bytes>)>,
    /// The senders' genesis allocation.
    pub allocation: Vec<(Address, U256)>,
    /// Gas the L2 blocks used.
    pub gas_used: u64,
    /// Batch bytes posted.
    pub batch_bytes: usize,
}

/// `l1_blocks` L1 blocks, each posting a batch of [`L2_PER_L1`] L2 blocks of `txs_per_block`
/// transactions (the first two blocks deploy and distribute the token).
pub fn history(l1_blocks: u64, txs_per_block: usize) -> History {
    let config = config();
    let mut txs = Transactions::new(config.chain_id);
    let mut chain = Chain::genesis(&txs);
    let genesis_state = chain.state.clone();
    let genesis = chain.head.clone();
    let mut inputs = Vec::new();
    let mut blocks = Vec::new();
    let (mut gas_used, mut batch_bytes) = (0, 0);
    for k in 1..=l1_blocks {
        let parent = chain.head.hash_slow();
        let mut attributes = Vec::new();
        for _ in 0..L2_PER_L1 {
            let number = chain.head.number + 1;
            let transactions = match number {
                1 => txs.deployment(),
                2 => txs.distribution(),
                _ => txs.take(txs_per_block),
            };
            let block = chain.push(transactions.clone());
            gas_used += block.header.gas_used;
            blocks.push((block.header.timestamp, transactions.clone()));
            attributes.push(chain.attributes(number, transactions));
        }
        let data = encode_batch(&batch_of(parent, &attributes), COMPRESSION);
        batch_bytes += data.len();
        inputs.push(L1Input {
            block: l1_block(k),
            parent_hash: l1_block(k - 1).hash,
            batches: vec![PostedBatch {
                index: k - 1,
                data: data.into(),
            }],
        });
    }
    History {
        config,
        allocation: txs.allocation(),
        genesis_state,
        genesis,
        genesis_origin: l1_block(0),
        inputs,
        blocks,
        gas_used,
        batch_bytes,
    }
}

/// A verification of one batch of at least `target_bytes` compressed, of blocks with
/// `txs_per_block` transactions, on a parent that holds the deployed and distributed token.
pub fn verify_request(target_bytes: usize, txs_per_block: usize) -> VerifyRequest {
    let config = config();
    let mut txs = Transactions::new(config.chain_id);
    let mut chain = Chain::genesis(&txs);
    chain.push(txs.deployment());
    chain.push(txs.distribution());
    let parent = chain.head.clone();
    let parent_hash = parent.hash_slow();
    let mut attributes = Vec::new();
    let data = loop {
        let number = parent.number + 1 + attributes.len() as u64;
        attributes.push(chain.attributes(number, txs.take(txs_per_block)));
        let data = encode_batch(&batch_of(parent_hash, &attributes), COMPRESSION);
        if data.len() >= target_bytes {
            break data;
        }
    };
    let (executed, witness) = execute_recording_witness(
        &config,
        &mut chain.state,
        &parent,
        &chain.hashes,
        &attributes,
        |_| None,
    )
    .expect("the batch executes");
    let last = executed.last().expect("at least one block");
    let inclusion = last.header.number / L2_PER_L1 + 1;
    VerifyRequest {
        batch_hash: keccak256(&data),
        batch: data.into(),
        inclusion_block: inclusion,
        l1_origins: (0..=inclusion).map(l1_block).collect(),
        trusted_output_root: output_root(parent.state_root, parent_hash),
        parent,
        witness,
        proposals: [(
            last.header.number,
            output_root(last.header.state_root, last.hash),
        )]
        .into(),
        config,
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// The runner signs with libsecp256k1 and the browser with k256: the same workload needs the
    /// same signatures from both.
    #[test]
    fn libsecp256k1_signs_as_k256_does() {
        for i in 0..64 {
            let key = Key::new(i);
            let hash = keccak256(format!("message {i}"));
            let k256 = alloy_consensus::crypto::secp256k1::sign_message(key.secret, hash)
                .expect("signing with a valid key");
            assert_eq!(sign_hash(key.secret, hash), k256, "key {i}");
            assert_eq!(
                k256.recover_address_from_prehash(&hash).expect("recovers"),
                key.address
            );
        }
    }
}
