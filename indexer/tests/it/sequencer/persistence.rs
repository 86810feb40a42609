//! The sequencer's database: reopening it gives back the chain, the whole state and the mempool.

use alloy::primitives::{Address, TxKind, U256, keccak256};
use indexer::{
    genesis::dev_signer,
    sequencer::{Sequencer, SequencerConfig},
};
use light_node::{Trie, verify_proof};

use super::{STORE_AND_LOG_INIT, errors::local_genesis, sign, store_call, transfer};

#[tokio::test]
async fn reopening_restores_chain_state_and_mempool() {
    let dir = tempfile::tempdir().expect("temp dir");
    let alice = dev_signer(0);
    let bob = Address::repeat_byte(0xb0);
    let contract = alice.address().create(1);
    let (head_hash, head_root) = {
        let seq = Sequencer::open(dir.path(), local_genesis(), SequencerConfig::default())
            .await
            .expect("opens");
        seq.submit(&transfer(&alice, 0, bob, 7))
            .await
            .expect("accepted");
        seq.submit(&sign(
            &alice,
            1,
            TxKind::Create,
            U256::ZERO,
            STORE_AND_LOG_INIT.into(),
            200_000,
        ))
        .await
        .expect("accepted");
        seq.build_block(None).await.expect("block 1");
        seq.submit(&sign(
            &alice,
            2,
            TxKind::Call(contract),
            U256::ZERO,
            store_call(3, 99),
            100_000,
        ))
        .await
        .expect("accepted");
        seq.build_block(None).await.expect("block 2");
        // Accepted but not yet in a block when the process goes away.
        seq.submit(&transfer(&alice, 3, bob, 1))
            .await
            .expect("accepted");
        let head = seq.head();
        (head.hash, head.header.state_root)
    };

    let seq = Sequencer::open(dir.path(), local_genesis(), SequencerConfig::default())
        .await
        .expect("reopens");
    assert_eq!(seq.head_number(), 2);
    assert_eq!(seq.head().hash, head_hash);
    assert_eq!(seq.pool_len(), 1, "the waiting transaction is still there");
    assert_eq!(seq.pending_nonce(alice.address()).expect("nonce"), 4);
    let (balance, slot, proof) = seq.with_state_at(head_root, |state| {
        let balance = state.account(bob).expect("read").expect("exists").balance;
        let slot = state.storage(contract, U256::from(3)).expect("read");
        let proof = Trie::from_root(head_root)
            .proof(&mut state.nodes, keccak256(contract).as_slice())
            .expect("proof");
        (balance, slot, proof)
    });
    assert_eq!(balance, U256::from(7));
    assert_eq!(slot, U256::from(99));
    assert!(
        verify_proof(head_root, keccak256(contract).as_slice(), &proof)
            .expect("verifies")
            .is_some()
    );
    // The chain goes on from the stored head and includes the waiting transaction.
    let block = seq.build_block(None).await.expect("block 3");
    assert_eq!(block.header.parent_hash, head_hash);
    assert_eq!(block.transactions.len(), 1);

    // Another rollup's genesis is refused.
    drop(seq);
    let mut other = local_genesis();
    other.rollup = Address::repeat_byte(0x22);
    let err = Sequencer::open(dir.path(), other, SequencerConfig::default())
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("holds another rollup"), "{err}");
}
