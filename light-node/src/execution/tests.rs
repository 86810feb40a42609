//! Block execution on a full state, and re-execution from the witness alone.

use alloy_consensus::{Header, SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, hex};
use wasm_bindgen_test::wasm_bindgen_test;

use super::*;
use crate::{ChainConfig, Deposit};

/// A test account: a fixed secret key and its address.
pub(crate) struct Key {
    secret: B256,
    pub(crate) address: Address,
}

impl Key {
    pub(crate) fn new(seed: u8) -> Self {
        let secret = B256::repeat_byte(seed);
        let probe = B256::repeat_byte(0xaa);
        let sig =
            alloy_consensus::crypto::secp256k1::sign_message(secret, probe).expect("valid key");
        let address = sig
            .recover_address_from_prehash(&probe)
            .expect("recoverable");
        Self { secret, address }
    }

    pub(crate) fn sign(&self, tx: TxEip1559) -> Bytes {
        let sig =
            alloy_consensus::crypto::secp256k1::sign_message(self.secret, tx.signature_hash())
                .expect("signing");
        TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
    }

    pub(crate) fn sign_legacy(&self, tx: TxLegacy) -> Bytes {
        let sig =
            alloy_consensus::crypto::secp256k1::sign_message(self.secret, tx.signature_hash())
                .expect("signing");
        TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
    }
}

pub(crate) fn tx(chain_id: u64, nonce: u64, to: TxKind, value: u64, input: Bytes) -> TxEip1559 {
    TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 200_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to,
        value: U256::from(value),
        access_list: Default::default(),
        input,
    }
}

/// Init code deploying `STORE_RUNTIME`.
pub(crate) const STORE_INIT: &[u8] =
    &hex!("601a80600b6000396000f3" "6020358061dead1460155760003555600060" "00a0005b600080fd");
/// Calldata `[slot][value]`: stores value at slot and logs; value 0xdead reverts.
pub(crate) fn store_call(slot: u64, value: u64) -> Bytes {
    let mut data = B256::from(U256::from(slot)).to_vec();
    data.extend_from_slice(B256::from(U256::from(value)).as_slice());
    data.into()
}
/// Init code deploying a contract that stores BLOCKHASH(number - 1) in slot 0.
pub(crate) const BLOCKHASH_INIT: &[u8] = &hex!("600980600b6000396000f3" "600143034060005500");

/// A funded genesis and the things the tests need around it.
pub(crate) struct Chain {
    pub(crate) config: ChainConfig,
    pub(crate) state: L2State,
    pub(crate) head: Header,
    pub(crate) hashes: BlockHashes,
}

impl Chain {
    pub(crate) fn new(funded: &[Address]) -> Self {
        let config = ChainConfig::devnet();
        let mut state = L2State::default();
        let ether = U256::from(10u64).pow(U256::from(18));
        let root = state
            .allocate(funded.iter().map(|a| (*a, ether * U256::from(100u64))))
            .expect("allocation");
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

    pub(crate) fn attributes(
        &self,
        deposits: Vec<Deposit>,
        transactions: Vec<Bytes>,
    ) -> BlockAttributes {
        BlockAttributes {
            timestamp: self.config.timestamp_of(self.head.number + 1),
            l1_origin_number: self.head.number,
            l1_origin_hash: B256::with_last_byte(self.head.number as u8),
            deposits,
            transactions,
        }
    }

    /// Executes with witness recording; returns the block and its witness (nodes, codes).
    pub(crate) fn execute_recording(
        &mut self,
        attributes: &BlockAttributes,
    ) -> (ExecutedBlock, Vec<Bytes>, Vec<Bytes>) {
        self.state.nodes.start_recording();
        let block = execute_block(
            &self.config,
            &mut self.state,
            &self.head,
            &self.hashes,
            attributes,
        )
        .expect("full state executes");
        let nodes = self.state.nodes.take_witness();
        let codes = block
            .codes_read
            .iter()
            .map(|h| self.state.codes[h].clone())
            .collect();
        self.hashes.insert(block.header.number, block.hash);
        self.head = block.header.clone();
        (block, nodes, codes)
    }
}

fn deposit(nonce: u64, from: Address, to: Address, mint: u64, data: Bytes) -> Deposit {
    Deposit {
        nonce,
        from,
        to,
        mint: U256::from(mint),
        gas_limit: 100_000,
        data,
    }
}

/// Re-executes `block` from the witness only; returns the result.
fn replay(
    config: &ChainConfig,
    parent: &Header,
    hashes: &BlockHashes,
    attributes: &BlockAttributes,
    nodes: Vec<Bytes>,
    codes: Vec<Bytes>,
) -> Result<ExecutedBlock, ExecError> {
    let mut sparse = L2State::from_witness(parent.state_root, nodes, codes);
    execute_block(config, &mut sparse, parent, hashes, attributes)
}

#[wasm_bindgen_test]
#[test]
fn blocks_re_execute_from_their_witness_alone() {
    let (a, b, c) = (Key::new(1), Key::new(2), Key::new(3));
    let fresh = Address::repeat_byte(0x77);
    let mut chain = Chain::new(&[a.address, b.address]);
    let id = chain.config.chain_id;
    let store = b.address.create(0);
    let blockhash_reader = a.address.create(3);

    let blocks: Vec<(Vec<Deposit>, Vec<Bytes>)> = vec![
        (
            // Deposits to a new account and to an existing one; transfers; a deployment.
            vec![
                deposit(0, c.address, fresh, 5_000, Bytes::new()),
                deposit(1, c.address, a.address, 7_000, Bytes::new()),
            ],
            vec![
                a.sign(tx(id, 0, TxKind::Call(c.address), 1_000_000, Bytes::new())),
                a.sign(tx(id, 1, TxKind::Call(fresh), 1, Bytes::new())),
                b.sign(tx(id, 0, TxKind::Create, 0, STORE_INIT.into())),
            ],
        ),
        (
            // Storage writes, a revert, a deposit that calls the contract, and skipped transactions.
            vec![deposit(2, c.address, store, 0, store_call(9, 99))],
            vec![
                a.sign(tx(id, 2, TxKind::Call(store), 0, store_call(1, 5))),
                b.sign(tx(id, 1, TxKind::Call(store), 0, store_call(2, 7))),
                b.sign(tx(id, 2, TxKind::Call(store), 0, store_call(3, 0xdead))),
                b.sign(tx(id, 7, TxKind::Call(store), 0, store_call(4, 1))), // nonce gap
                a.sign(tx(id + 1, 3, TxKind::Call(store), 0, store_call(4, 1))), // wrong chain
                a.sign(tx(id, 3, TxKind::Create, 0, BLOCKHASH_INIT.into())),
                Bytes::from_static(&[0x02, 0xc0]), // malformed
            ],
        ),
        (
            // Storage deletions (SSTORE to zero), BLOCKHASH, and emptying the contract's slot 9.
            vec![],
            vec![
                a.sign(tx(id, 4, TxKind::Call(store), 0, store_call(1, 0))),
                b.sign(tx(id, 3, TxKind::Call(store), 0, store_call(9, 0))),
                a.sign(tx(id, 5, TxKind::Call(blockhash_reader), 0, Bytes::new())),
                a.sign_legacy(TxLegacy {
                    chain_id: None,
                    nonce: 6,
                    gas_price: 10_000_000_000,
                    gas_limit: 21_000,
                    to: TxKind::Call(c.address),
                    value: U256::from(1),
                    input: Bytes::new(),
                }), // no EIP-155 chain id
            ],
        ),
    ];

    for (i, (deposits, txs)) in blocks.into_iter().enumerate() {
        let parent = chain.head.clone();
        let hashes = chain.hashes.clone();
        let attributes = chain.attributes(deposits, txs);
        let (block, nodes, codes) = chain.execute_recording(&attributes);

        let replayed = replay(
            &chain.config,
            &parent,
            &hashes,
            &attributes,
            nodes.clone(),
            codes.clone(),
        )
        .expect("the witness suffices");
        assert_eq!(replayed.hash, block.hash, "block {}", i + 1);
        assert_eq!(replayed.header.state_root, block.header.state_root);
        assert_eq!(replayed.receipts, block.receipts);

        for skip in 0..nodes.len() {
            let mut partial = nodes.clone();
            partial.remove(skip);
            let err = replay(
                &chain.config,
                &parent,
                &hashes,
                &attributes,
                partial,
                codes.clone(),
            )
            .expect_err("a missing node is noticed");
            assert!(err.is_witness_incomplete(), "block {}: {err}", i + 1);
        }
        for skip in 0..codes.len() {
            let mut partial = codes.clone();
            partial.remove(skip);
            let err = replay(
                &chain.config,
                &parent,
                &hashes,
                &attributes,
                nodes.clone(),
                partial,
            )
            .expect_err("missing code is noticed");
            assert!(matches!(err, ExecError::MissingCode(_)), "{err}");
        }
        if !block.hashes_read.is_empty() {
            let err = replay(
                &chain.config,
                &parent,
                &BlockHashes::new(),
                &attributes,
                nodes,
                codes,
            )
            .expect_err("missing block hashes are noticed");
            assert!(matches!(err, ExecError::MissingBlockHash(_)), "{err}");
        }

        match i {
            0 => {
                assert_eq!(block.transactions.len(), 5);
                assert!(block.receipts.iter().all(|r| r.success()));
                assert_eq!(
                    chain.state.account(fresh).unwrap().unwrap().balance,
                    U256::from(5_001)
                );
                assert!(chain.state.account(store).unwrap().is_some());
            }
            1 => {
                assert_eq!(block.skipped.len(), 3, "{:?}", block.skipped);
                let statuses: Vec<bool> = block.receipts.iter().map(|r| r.success()).collect();
                assert_eq!(statuses, [true, true, true, false, true]);
                assert_eq!(block.receipts[1].receipt.logs.len(), 1);
                assert_eq!(
                    chain.state.storage(store, U256::from(1)).unwrap(),
                    U256::from(5)
                );
                assert_eq!(
                    chain.state.storage(store, U256::from(9)).unwrap(),
                    U256::from(99)
                );
            }
            _ => {
                assert_eq!(block.skipped.len(), 1, "{:?}", block.skipped);
                assert!(block.skipped[0].reason.contains("EIP-155"));
                assert_eq!(
                    chain.state.storage(store, U256::from(1)).unwrap(),
                    U256::ZERO
                );
                assert_eq!(
                    chain.state.storage(store, U256::from(2)).unwrap(),
                    U256::from(7)
                );
                assert_eq!(
                    chain.state.storage(store, U256::from(9)).unwrap(),
                    U256::ZERO
                );
                let parent_hash =
                    B256::from(chain.state.storage(blockhash_reader, U256::ZERO).unwrap());
                assert_eq!(parent_hash, parent.hash_slow());
                assert_eq!(
                    block.hashes_read.iter().copied().collect::<Vec<_>>(),
                    [parent.number]
                );
            }
        }
    }
}

#[wasm_bindgen_test]
#[test]
fn execution_is_deterministic_and_header_commits_to_the_origin() {
    let a = Key::new(1);
    let run = || {
        let mut chain = Chain::new(&[a.address]);
        let id = chain.config.chain_id;
        let attributes = chain.attributes(
            vec![],
            vec![a.sign(tx(id, 0, TxKind::Call(Address::ZERO), 5, Bytes::new()))],
        );
        chain.execute_recording(&attributes).0
    };
    let (one, two) = (run(), run());
    assert_eq!(one, two);
    assert_eq!(l1_origin_number_of(&one.header), Some(0));
    assert_eq!(one.header.mix_hash, B256::with_last_byte(0));
}

/// Transactions recovered ahead of execution give the block execution gives; an entry recovered
/// from other bytes than the transaction at its position is not taken on trust.
#[wasm_bindgen_test]
#[test]
fn senders_recovered_ahead_give_the_same_block_and_misplaced_ones_are_ignored() {
    let (a, b) = (Key::new(1), Key::new(2));
    let chain = Chain::new(&[a.address, b.address]);
    let id = chain.config.chain_id;
    let transfers = vec![
        a.sign(tx(id, 0, TxKind::Call(Address::ZERO), 5, Bytes::new())),
        b.sign(tx(id, 0, TxKind::Call(Address::ZERO), 7, Bytes::new())),
        Bytes::from_static(b"not a transaction"),
    ];
    let attributes = chain.attributes(vec![], transfers.clone());
    let run = |recovered: Vec<crate::Recovered>| {
        let mut state = chain.state.clone();
        execute_block_recovered(
            &chain.config,
            &mut state,
            &chain.head,
            &chain.hashes,
            &attributes,
            recovered,
        )
        .expect("full state executes")
    };
    let plain = run(Vec::new());
    assert_eq!(plain.transactions.len(), 2);
    assert_eq!(plain.skipped.len(), 1);
    let ahead = crate::Recovered::decode_all(&transfers, 2);
    assert_eq!(ahead[0].decoded().map(|d| d.1), Ok(a.address));
    assert!(ahead[2].decoded().is_err());
    assert_eq!(run(ahead.clone()), plain);
    assert_eq!(run(ahead[..1].to_vec()), plain, "the rest decoded here");
    let swapped = vec![ahead[1].clone(), ahead[0].clone(), ahead[2].clone()];
    assert_eq!(run(swapped), plain, "misplaced entries decoded again");
}

/// A parent at the largest block number has no child: an error, not an overflow (found by the
/// fuzzing in `tests/it/fuzz`, through `verify_batch` on a trusted parent with that number).
#[wasm_bindgen_test]
#[test]
fn a_parent_at_the_last_block_number_has_no_child() {
    let mut chain = Chain::new(&[]);
    let attributes = chain.attributes(vec![], vec![]);
    let parent = Header {
        number: u64::MAX,
        ..chain.head.clone()
    };
    let err = execute_block(
        &chain.config,
        &mut chain.state,
        &parent,
        &chain.hashes,
        &attributes,
    )
    .expect_err("no block number follows u64::MAX");
    assert_eq!(err, ExecError::LastBlockNumber(u64::MAX));
}

/// Above its gas target, a parent's base fee rises as EIP-1559 says, and stops at `u64::MAX`
/// rather than overflow (found by the fuzzing in `tests/it/fuzz`, through `verify_batch`).
#[wasm_bindgen_test]
#[test]
fn the_base_fee_rises_and_stops_at_the_top() {
    let mut chain = Chain::new(&[]);
    let attributes = chain.attributes(vec![], vec![]);
    let full = |base_fee| Header {
        gas_used: chain.head.gas_limit,
        base_fee_per_gas: Some(base_fee),
        ..chain.head.clone()
    };
    for (parent, expected) in [
        (
            full(1_000_000_000),
            full(1_000_000_000).next_block_base_fee(alloy_eips::eip1559::BaseFeeParams::ethereum()),
        ),
        (full(u64::MAX - 1), Some(u64::MAX)),
    ] {
        let block = execute_block(
            &chain.config,
            &mut chain.state,
            &parent,
            &chain.hashes,
            &attributes,
        )
        .expect("executes");
        assert_eq!(block.header.base_fee_per_gas, expected);
    }
}

/// However much gas a parent block's deposits used (the L1 contract meters them, not the block's
/// gas limit), its child's base fee rises by at most EIP-1559's eighth: deposits cannot run the base
/// fee up until user transactions cannot pay it.
#[wasm_bindgen_test]
#[test]
fn deposit_gas_past_the_limit_raises_the_base_fee_as_a_full_block_does() {
    let chain = Chain::new(&[]);
    let parent = |gas_used| Header {
        gas_used,
        base_fee_per_gas: Some(1_000_000_000),
        ..chain.head.clone()
    };
    let limit = chain.head.gas_limit;
    let full = next_base_fee(&parent(limit), 0);
    assert_eq!(full, 1_125_000_000);
    for used in [limit + 1, 2 * limit, 1_000 * limit, u64::MAX] {
        assert_eq!(next_base_fee(&parent(used), 0), full, "gas used {used}");
    }
}

/// Deposits take their gas out of the block's limit first: a user transaction gets only what they
/// left, so a block's gas used stays within its limit while deposits fit in it.
#[wasm_bindgen_test]
#[test]
fn user_transactions_get_the_gas_deposits_left() {
    let a = Key::new(1);
    let mut chain = Chain::new(&[a.address]);
    chain.config.block_gas_limit = 60_000;
    let deposit = |nonce| Deposit {
        nonce,
        from: Address::repeat_byte(0xd0),
        to: Address::repeat_byte(0xd1),
        mint: U256::from(1),
        gas_limit: 30_000,
        data: Bytes::new(),
    };
    let mut transfer = tx(
        chain.config.chain_id,
        0,
        TxKind::Call(Address::repeat_byte(9)),
        1,
        Bytes::new(),
    );
    transfer.gas_limit = 21_000;
    let attributes = chain.attributes(vec![deposit(0), deposit(1)], vec![a.sign(transfer)]);
    let block = execute_block(
        &chain.config,
        &mut chain.state,
        &chain.head,
        &chain.hashes,
        &attributes,
    )
    .expect("executes");
    assert_eq!(block.header.gas_used, 42_000, "two plain deposits");
    let [skipped] = block.skipped.as_slice() else {
        panic!("the transfer is skipped: {:?}", block.skipped);
    };
    assert_eq!(
        skipped.reason,
        "gas limit 21000 exceeds the 18000 gas left in the block"
    );
}

/// The BN254 precompiles (EIP-196, EIP-197) of the chain's rules give the curve's known values.
/// The light node runs them on substrate-bn (revm's `bn` backend), in the browser and on the
/// server; revm's default arkworks backend gives the same answers here.
#[wasm_bindgen_test]
#[test]
fn bn254_precompiles_give_the_curves_known_values() {
    use revm::precompile::{PrecompileSpecId, Precompiles};

    let precompiles = Precompiles::new(PrecompileSpecId::from_spec_id(
        ChainConfig::devnet().spec_id,
    ));
    let run = |address: u64, input: &[u8]| {
        let precompile = precompiles
            .get(&Address::with_last_byte(address as u8))
            .expect("a BN254 precompile");
        precompile
            .execute(input, 1_000_000, 0)
            .ok()
            .filter(|out| out.status.is_success())
            .map(|out| out.bytes.to_vec())
    };
    let word = |n: u64| U256::from(n).to_be_bytes::<32>();
    // The generator G = (1, 2) and 2G.
    let g: Vec<u8> = [word(1), word(2)].concat();
    let two_g = hex!(
        "030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd315ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4"
    );
    assert_eq!(
        run(6, &[g.clone(), g.clone()].concat()),
        Some(two_g.to_vec())
    );
    assert_eq!(
        run(7, &[g.clone(), word(2).to_vec()].concat()),
        Some(two_g.to_vec())
    );
    // G + (-G) is the point at infinity, written as zeros.
    let p = U256::from_str_radix(
        "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47",
        16,
    )
    .expect("the field's modulus");
    let minus_g: Vec<u8> = [word(1), (p - U256::from(2)).to_be_bytes::<32>()].concat();
    assert_eq!(run(6, &[g, minus_g].concat()), Some([0u8; 64].to_vec()));
    // (1, 3) is not on the curve: the call fails.
    assert_eq!(run(6, &[word(1), word(3), word(1), word(2)].concat()), None);
    // A pairing of no points holds.
    assert_eq!(run(8, &[]), Some(word(1).to_vec()));
}
