//! A batch, a deposit and a proposal that finalizes once its window has passed.

use alloy::{
    primitives::{Address, Bytes, U256, keccak256},
    providers::Provider,
};
use contracts::Rollup::{self, RollupErrors};

use super::{Chain, Devnet, event, revert, send};

#[tokio::test]
async fn batch_deposit_proposal_then_finalized() {
    let devnet = Devnet::start().await;
    let chain = Chain::honest(10);

    // The deployment announces its parameters, so an indexer needs nothing but logs.
    let rollup = &devnet.rollup;
    assert_eq!(
        rollup.batcher().call().await.unwrap(),
        devnet.batcher.address
    );
    assert_eq!(
        rollup.arbiter().call().await.unwrap(),
        devnet.arbiter.address
    );
    assert_eq!(
        rollup.genesisOutputRoot().call().await.unwrap(),
        chain.root(0)
    );
    let genesis = devnet.latest_finalized().await;
    assert_eq!(
        genesis,
        (u64::MAX, 0, chain.root(0)),
        "only genesis is final"
    );

    // Batch: the hash of the calldata is stored under index 0 and announced.
    let data = Bytes::from_static(b"\x00a brotli-compressed batch of L2 blocks");
    let receipt = send(
        "appendBatch",
        devnet.batcher.rollup.appendBatch(data.clone()),
    )
    .await;
    let appended = event::<Rollup::BatchAppended>(&receipt);
    assert_eq!(appended.index, 0);
    assert_eq!(appended.hash, keccak256(&data));
    assert_eq!(appended.size, U256::from(data.len()));
    assert_eq!(rollup.batchHash(0).call().await.unwrap(), keccak256(&data));
    assert_eq!(rollup.batchCount().call().await.unwrap(), 1);

    // Deposits: nonces increase by one; the value is held by the contract.
    let to = Address::repeat_byte(0x42);
    let value = U256::from(1_000_000_000_000_000u64);
    for expected_nonce in 0..2u64 {
        let receipt = send(
            "deposit",
            devnet
                .outsider
                .rollup
                .deposit(to, 100_000, Bytes::from_static(b"hello"))
                .value(value),
        )
        .await;
        let deposited = event::<Rollup::Deposited>(&receipt);
        assert_eq!(deposited.nonce, expected_nonce);
        assert_eq!(deposited.from, devnet.outsider.address);
        assert_eq!(deposited.to, to);
        assert_eq!(deposited.value, value);
        assert_eq!(deposited.gasLimit, 100_000);
        assert_eq!(deposited.data, Bytes::from_static(b"hello"));
    }
    assert_eq!(rollup.depositCount().call().await.unwrap(), 2);

    // Proposal on top of genesis, with a deadline one window away.
    let receipt = send(
        "propose",
        devnet
            .proposer
            .rollup
            .propose(10, chain.root(10))
            .value(devnet.params.proposal_bond),
    )
    .await;
    let proposed = event::<Rollup::OutputProposed>(&receipt);
    assert_eq!(proposed.index, 0);
    assert_eq!(proposed.parent, u64::MAX, "built on genesis");
    assert_eq!(proposed.parentL2Block, 0);
    let block = devnet
        .provider
        .get_block_by_number(receipt.block_number.unwrap().into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        proposed.deadline,
        block.header.timestamp + devnet.params.challenge_window
    );
    assert!(devnet.is_valid(0).await);
    devnet.assert_solvent().await;

    // Not final before the window passes.
    assert!(!rollup.canFinalize(0).call().await.unwrap());
    let err = revert(devnet.outsider.rollup.finalize(0)).await;
    assert!(
        matches!(err, RollupErrors::ChallengeWindowOpen(ref e) if e.index == 0 && e.deadline == proposed.deadline),
        "{err:?}"
    );

    devnet.advance(devnet.params.challenge_window).await;
    assert!(rollup.canFinalize(0).call().await.unwrap());
    // Anyone may finalize; the bond is credited to the proposer.
    let receipt = send("finalize", devnet.outsider.rollup.finalize(0)).await;
    let finalized = event::<Rollup::ProposalFinalized>(&receipt);
    assert_eq!(
        (finalized.index, finalized.l2Block, finalized.outputRoot),
        (0, 10, chain.root(10))
    );
    assert_eq!(devnet.latest_finalized().await, (0, 10, chain.root(10)));
    assert!(devnet.proposal(0).await.finalized);

    assert_eq!(
        devnet.withdraw_all(&devnet.proposer).await,
        devnet.params.proposal_bond
    );
    assert_eq!(rollup.lockedBonds().call().await.unwrap(), U256::ZERO);
    assert_eq!(
        devnet.balance().await,
        value * U256::from(2),
        "only deposits remain"
    );
    devnet.assert_solvent().await;
}
