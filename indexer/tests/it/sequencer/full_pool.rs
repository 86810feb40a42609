//! A full mempool refuses new transactions, takes replacements, and admits what it refused once a
//! block makes room, with every check run again on the resend.

use alloy::primitives::{Address, TxKind, U256, keccak256};
use indexer::{
    genesis::dev_signer,
    sequencer::{PoolConfig, Sequencer, SequencerConfig},
};
use light_node::{ChainConfig, L2Transaction};

use super::{GWEI, errors::local_genesis, sign_with, transfer};

#[tokio::test]
async fn a_full_pool_refuses_until_a_block_makes_room_and_checks_each_resend_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = SequencerConfig {
        pool: PoolConfig {
            max_pool_size: 2,
            ..Default::default()
        },
        ..Default::default()
    };
    let seq = Sequencer::open(dir.path(), local_genesis(), config)
        .await
        .expect("opens");
    let alice = dev_signer(0);
    let bob = Address::repeat_byte(0xb0);
    let chain_id = ChainConfig::devnet().chain_id;
    seq.submit(&transfer(&alice, 0, bob, 1))
        .await
        .expect("accepted");
    seq.submit(&transfer(&alice, 1, bob, 1))
        .await
        .expect("accepted");

    // The third is refused as often as it is sent while the pool is full.
    let third = transfer(&alice, 2, bob, 3);
    for _ in 0..3 {
        let err = seq.submit(&third).await.expect_err("the pool is full");
        assert_eq!(err.to_string(), "txpool is full");
    }
    assert_eq!(seq.pool_len(), 2);

    // A replacement still gets in: it takes its predecessor's place.
    let bumped = |nonce: u64, value: u64| {
        sign_with(
            &alice,
            chain_id,
            nonce,
            TxKind::Call(bob),
            U256::from(value),
            Default::default(),
            21_000,
            20 * GWEI,
            2 * GWEI,
        )
    };
    seq.submit(&bumped(1, 2))
        .await
        .expect("a replacement is admitted into a full pool");
    assert_eq!(seq.pool_len(), 2);

    // A block makes room, and the refused transaction is admitted when sent again.
    let block = seq.build_block(None).await.expect("block 1");
    assert_eq!(block.transactions.len(), 2);
    assert_eq!(seq.pool_len(), 0);
    assert_eq!(
        seq.submit(&third).await.expect("room now"),
        keccak256(&third)
    );
    let block = seq.build_block(None).await.expect("block 2");
    assert_eq!(
        block
            .transactions
            .iter()
            .map(L2Transaction::hash)
            .collect::<Vec<_>>(),
        vec![keccak256(&third)]
    );

    // A transaction refused while the pool was full is checked again when it comes back: here its
    // nonce was taken by another transaction meanwhile.
    seq.submit(&transfer(&alice, 3, bob, 1))
        .await
        .expect("accepted");
    seq.submit(&transfer(&alice, 4, bob, 1))
        .await
        .expect("accepted");
    let late = transfer(&alice, 5, bob, 5);
    let err = seq.submit(&late).await.expect_err("the pool is full");
    assert_eq!(err.to_string(), "txpool is full");
    seq.build_block(None).await.expect("block 3");
    seq.submit(&bumped(5, 6))
        .await
        .expect("another transaction takes nonce 5");
    seq.build_block(None).await.expect("block 4");
    let err = seq.submit(&late).await.expect_err("nonce 5 is used");
    assert!(err.to_string().contains("nonce too low"), "{err}");
}
