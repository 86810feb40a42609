//! Every refused call reverts with a named error that says why.

use alloy::primitives::{Address, B256, Bytes, U256};
use contracts::{
    Outcome,
    Rollup::{self, RollupErrors},
    Turn,
};

use super::{Chain, Devnet, revert, send};

#[tokio::test]
async fn batches_only_from_the_batcher_and_never_empty() {
    let devnet = Devnet::start().await;
    // Every other key, the rollup's other roles among them, is refused.
    let others = [
        &devnet.outsider,
        &devnet.proposer,
        &devnet.challenger,
        &devnet.arbiter,
        &devnet.rival,
    ];
    for other in others {
        let err = revert(other.rollup.appendBatch(Bytes::from_static(b"batch"))).await;
        assert_eq!(
            err,
            RollupErrors::NotBatcher(Rollup::NotBatcher {
                caller: other.address,
                batcher: devnet.batcher.address,
            })
        );
    }
    let err = revert(devnet.batcher.rollup.appendBatch(Bytes::new())).await;
    assert_eq!(err, RollupErrors::EmptyBatch(Rollup::EmptyBatch {}));
    assert_eq!(devnet.rollup.batchCount().call().await.unwrap(), 0);
    crate::chaos::Figures {
        case: 3,
        test: "batches from other keys",
        tried: others.len() as u64 + 1,
        faults: others.len() as u64 + 1,
        compared: 1,
        detail: format!(
            "{} other keys (every other role and an outsider) refused with NotBatcher, an empty batch with EmptyBatch; the batch count stays 0",
            others.len()
        ),
    }
    .report();
}

#[tokio::test]
async fn deposits_are_bounded() {
    let devnet = Devnet::start().await;
    let r = &devnet.outsider.rollup;
    let to = Address::repeat_byte(1);
    let max_data = devnet.rollup.MAX_DEPOSIT_DATA_SIZE().call().await.unwrap();
    let max_gas = devnet.rollup.MAX_DEPOSIT_GAS_LIMIT().call().await.unwrap();

    let err = revert(r.deposit(Address::ZERO, 100_000, Bytes::new())).await;
    assert_eq!(
        err,
        RollupErrors::DepositToZeroAddress(Rollup::DepositToZeroAddress {})
    );

    // The minimum grows with the data: 21000 + 16 per byte.
    let err = revert(r.deposit(to, 21_000 + 16 * 10 - 1, vec![7u8; 10].into())).await;
    assert_eq!(
        err,
        RollupErrors::DepositGasLimitOutOfRange(Rollup::DepositGasLimitOutOfRange {
            gasLimit: 21_159,
            min: 21_160,
            max: max_gas,
        })
    );
    send(
        "deposit at the minimum",
        r.deposit(to, 21_160, vec![7u8; 10].into()),
    )
    .await;

    let err = revert(r.deposit(to, max_gas + 1, Bytes::new())).await;
    assert!(
        matches!(err, RollupErrors::DepositGasLimitOutOfRange(_)),
        "{err:?}"
    );
    send(
        "deposit at the maximum",
        r.deposit(to, max_gas, Bytes::new()),
    )
    .await;

    let too_big = vec![1u8; max_data as usize + 1];
    let err = revert(r.deposit(to, max_gas, too_big.into())).await;
    assert_eq!(
        err,
        RollupErrors::DepositDataTooLarge(Rollup::DepositDataTooLarge {
            size: U256::from(max_data + 1),
            max: U256::from(max_data),
        })
    );
    assert_eq!(devnet.rollup.depositCount().call().await.unwrap(), 2);
}

#[tokio::test]
async fn bonds_must_be_exact() {
    let devnet = Devnet::start().await;
    let bond = devnet.params.proposal_bond;
    let root = B256::repeat_byte(9);
    for sent in [U256::ZERO, bond - U256::from(1), bond + U256::from(1)] {
        let err = revert(devnet.proposer.rollup.propose(5, root).value(sent)).await;
        assert_eq!(
            err,
            RollupErrors::WrongBond(Rollup::WrongBond {
                sent,
                required: bond
            })
        );
    }
    let index = devnet.propose(&devnet.proposer, 5, root).await;
    let required = devnet.params.challenge_bond;
    let err = revert(devnet.challenger.rollup.challenge(index).value(bond)).await;
    assert_eq!(
        err,
        RollupErrors::WrongBond(Rollup::WrongBond {
            sent: bond,
            required
        })
    );
}

#[tokio::test]
async fn proposals_must_be_above_the_last_valid_one() {
    let devnet = Devnet::start().await;
    let root = B256::repeat_byte(3);
    let bond = devnet.params.proposal_bond;
    // Genesis is block 0, so block 0 is not above it.
    let err = revert(devnet.proposer.rollup.propose(0, root).value(bond)).await;
    assert_eq!(
        err,
        RollupErrors::L2BlockNotAboveLast(Rollup::L2BlockNotAboveLast {
            l2Block: 0,
            last: 0
        })
    );
    devnet.propose(&devnet.proposer, 10, root).await;
    for l2_block in [10, 9, 1] {
        let err = revert(devnet.outsider.rollup.propose(l2_block, root).value(bond)).await;
        assert_eq!(
            err,
            RollupErrors::L2BlockNotAboveLast(Rollup::L2BlockNotAboveLast {
                l2Block: l2_block,
                last: 10
            })
        );
    }
    assert_eq!(devnet.propose(&devnet.outsider, 11, root).await, 1);
}

#[tokio::test]
async fn no_challenge_after_the_deadline() {
    let devnet = Devnet::start().await;
    let index = devnet
        .propose(&devnet.proposer, 8, B256::repeat_byte(1))
        .await;
    let deadline = devnet.proposal(index).await.deadline;
    devnet.advance(devnet.params.challenge_window).await;
    let err = revert(
        devnet
            .challenger
            .rollup
            .challenge(index)
            .value(devnet.params.challenge_bond),
    )
    .await;
    assert_eq!(
        err,
        RollupErrors::ChallengeWindowClosed(Rollup::ChallengeWindowClosed { index, deadline })
    );
    let err = revert(
        devnet
            .challenger
            .rollup
            .challenge(7)
            .value(devnet.params.challenge_bond),
    )
    .await;
    assert_eq!(
        err,
        RollupErrors::UnknownProposal(Rollup::UnknownProposal { index: 7 })
    );
}

#[tokio::test]
async fn moves_by_the_wrong_player_out_of_turn_or_late_revert() {
    let devnet = Devnet::start().await;
    let chain = Chain::honest(16);
    let index = devnet.propose(&devnet.proposer, 16, chain.root(16)).await;
    let id = devnet.challenge(&devnet.challenger, index).await;
    let (proposer, challenger, arbiter) = (
        devnet.proposer.address,
        devnet.challenger.address,
        devnet.arbiter.address,
    );

    // The defender moves first: nobody else may defend, and nothing else may happen.
    let err = revert(devnet.challenger.rollup.defend(id, chain.root(8))).await;
    assert_eq!(
        err,
        RollupErrors::WrongPlayer(Rollup::WrongPlayer {
            gameId: id,
            caller: challenger,
            expected: proposer
        })
    );
    let err = revert(devnet.challenger.rollup.respond(id, true)).await;
    assert_eq!(
        err,
        RollupErrors::WrongTurn(Rollup::WrongTurn {
            gameId: id,
            expected: Turn::Challenger.into(),
            actual: Turn::Defender.into()
        })
    );
    let err = revert(devnet.arbiter.rollup.adjudicate(id, true)).await;
    assert_eq!(
        err,
        RollupErrors::WrongTurn(Rollup::WrongTurn {
            gameId: id,
            expected: Turn::Arbiter.into(),
            actual: Turn::Defender.into()
        })
    );
    let err = revert(devnet.outsider.rollup.adjudicate(id, true)).await;
    assert_eq!(
        err,
        RollupErrors::WrongPlayer(Rollup::WrongPlayer {
            gameId: id,
            caller: devnet.outsider.address,
            expected: arbiter
        })
    );
    let deadline = devnet.game(id).await.deadline;
    let err = revert(devnet.outsider.rollup.claimTimeout(id)).await;
    assert_eq!(
        err,
        RollupErrors::DeadlineNotReached(Rollup::DeadlineNotReached {
            gameId: id,
            deadline
        })
    );

    // After the defender's move only the challenger may answer.
    send("defend", devnet.proposer.rollup.defend(id, chain.root(8))).await;
    let err = revert(devnet.proposer.rollup.respond(id, true)).await;
    assert_eq!(
        err,
        RollupErrors::WrongPlayer(Rollup::WrongPlayer {
            gameId: id,
            caller: proposer,
            expected: challenger
        })
    );
    let err = revert(devnet.proposer.rollup.defend(id, chain.root(8))).await;
    assert_eq!(
        err,
        RollupErrors::WrongTurn(Rollup::WrongTurn {
            gameId: id,
            expected: Turn::Defender.into(),
            actual: Turn::Challenger.into()
        })
    );

    // Too late: the move is refused and the opponent may claim the game.
    devnet.advance(devnet.params.move_timeout).await;
    let deadline = devnet.game(id).await.deadline;
    let err = revert(devnet.challenger.rollup.respond(id, false)).await;
    assert_eq!(
        err,
        RollupErrors::MoveDeadlinePassed(Rollup::MoveDeadlinePassed {
            gameId: id,
            deadline
        })
    );
    send("claimTimeout", devnet.outsider.rollup.claimTimeout(id)).await;

    let err = revert(devnet.outsider.rollup.defend(99, chain.root(1))).await;
    assert_eq!(
        err,
        RollupErrors::UnknownGame(Rollup::UnknownGame { gameId: 99 })
    );
}

#[tokio::test]
async fn nothing_resolves_or_pays_twice() {
    let devnet = Devnet::start().await;
    let chain = Chain::honest(1);
    // A one-block range goes straight to the arbiter.
    let index = devnet
        .propose(&devnet.proposer, 1, B256::repeat_byte(0xbb))
        .await;
    let id = devnet.challenge(&devnet.challenger, index).await;
    assert_eq!(
        Turn::try_from(devnet.game(id).await.turn),
        Ok(Turn::Arbiter)
    );
    send("adjudicate", devnet.arbiter.rollup.adjudicate(id, false)).await;

    let resolved = RollupErrors::GameAlreadyResolved(Rollup::GameAlreadyResolved {
        gameId: id,
        outcome: Outcome::ChallengerWins.into(),
    });
    assert_eq!(
        revert(devnet.arbiter.rollup.adjudicate(id, true)).await,
        resolved
    );
    devnet.advance(devnet.params.move_timeout).await;
    assert_eq!(
        revert(devnet.outsider.rollup.claimTimeout(id)).await,
        resolved
    );

    // The lost proposal can neither be finalized nor have its bond back.
    assert_eq!(
        revert(devnet.outsider.rollup.finalize(index)).await,
        RollupErrors::ProposalNotValid(Rollup::ProposalNotValid { index })
    );
    assert_eq!(
        revert(devnet.outsider.rollup.reclaimBond(index)).await,
        RollupErrors::BondAlreadySettled(Rollup::BondAlreadySettled { index })
    );

    // A good proposal finalizes once; its bond is refunded once, and credit is withdrawn once.
    let good = devnet.propose(&devnet.proposer, 1, chain.root(1)).await;
    assert_eq!(
        revert(devnet.outsider.rollup.reclaimBond(good)).await,
        RollupErrors::ProposalStillValid(Rollup::ProposalStillValid { index: good })
    );
    devnet.advance(devnet.params.challenge_window).await;
    send("finalize", devnet.outsider.rollup.finalize(good)).await;
    assert_eq!(
        revert(devnet.outsider.rollup.finalize(good)).await,
        RollupErrors::AlreadyFinalized(Rollup::AlreadyFinalized { index: good })
    );
    devnet.withdraw_all(&devnet.proposer).await;
    devnet.withdraw_all(&devnet.challenger).await;
    assert_eq!(
        revert(devnet.proposer.rollup.withdraw()).await,
        RollupErrors::NothingToWithdraw(Rollup::NothingToWithdraw {
            account: devnet.proposer.address
        })
    );
    // What is left is the burnt half of the lost proposal's bond, which nobody can take.
    assert_eq!(
        devnet.balance().await,
        devnet.rollup.burnedBonds().call().await.unwrap()
    );
    assert_eq!(
        devnet.balance().await,
        devnet.params.proposal_bond / U256::from(2)
    );
}

#[tokio::test]
async fn finalization_waits_for_games_and_the_parent() {
    // Moves may take longer than the window here, so the game outlives it.
    let devnet = Devnet::start_with(|p| p.move_timeout = 10 * p.challenge_window).await;
    let chain = Chain::honest(8);
    let first = devnet.propose(&devnet.proposer, 4, chain.root(4)).await;
    let id = devnet.challenge(&devnet.challenger, first).await;
    let second = devnet.propose(&devnet.proposer, 8, chain.root(8)).await;
    assert_eq!(devnet.proposal(second).await.parent, first);
    devnet.advance(devnet.params.challenge_window).await;

    assert_eq!(
        revert(devnet.outsider.rollup.finalize(first)).await,
        RollupErrors::GamesOpen(Rollup::GamesOpen {
            index: first,
            openGames: 1
        })
    );
    assert_eq!(
        revert(devnet.outsider.rollup.finalize(second)).await,
        RollupErrors::ParentNotFinalized(Rollup::ParentNotFinalized {
            index: second,
            parent: first
        })
    );

    // A false challenge: the challenger believes a chain that goes wrong at block 2.
    let lie = Chain::lying_from(2, 8);
    let (resolved, _) = devnet.play(id, &chain, &devnet.challenger, &lie).await;
    assert_eq!(
        Outcome::try_from(resolved.outcome),
        Ok(Outcome::ProposerWins)
    );

    assert_eq!(
        revert(devnet.outsider.rollup.finalize(second)).await,
        RollupErrors::ParentNotFinalized(Rollup::ParentNotFinalized {
            index: second,
            parent: first
        })
    );
    send("finalize first", devnet.outsider.rollup.finalize(first)).await;
    send("finalize second", devnet.outsider.rollup.finalize(second)).await;
    assert_eq!(devnet.latest_finalized().await, (second, 8, chain.root(8)));
}
