//! Dispute games played to the end: both outcomes, every timeout, and invalidation of the proposals
//! built on a losing one.

use alloy::primitives::{Address, B256, U256};
use contracts::{
    Outcome, Resolution,
    Rollup::{self, RollupErrors},
    Turn,
};

use super::{Chain, Devnet, event, events, revert, send};

#[tokio::test]
async fn honest_proposer_wins_against_a_false_challenge() {
    let devnet = Devnet::start().await;
    let honest = Chain::honest(100);
    let index = devnet
        .propose(&devnet.proposer, 100, honest.root(100))
        .await;
    let id = devnet.challenge(&devnet.challenger, index).await;

    let started = devnet.game(id).await;
    assert_eq!(
        (started.agreedBlock, started.agreedRoot),
        (0, honest.root(0)),
        "the game starts from the parent (genesis) output"
    );
    assert_eq!(
        (started.disputedBlock, started.disputedRoot),
        (100, honest.root(100))
    );

    // The challenger wrongly believes block 61 onwards differ.
    let lie = Chain::lying_from(61, 100);
    let (resolved, moves) = devnet.play(id, &honest, &devnet.challenger, &lie).await;
    println!("honest proposer vs false challenge over 100 blocks: {moves} bisection moves");
    assert_eq!(
        Outcome::try_from(resolved.outcome),
        Ok(Outcome::ProposerWins)
    );
    assert_eq!(
        Resolution::try_from(resolved.resolution),
        Ok(Resolution::Adjudicated)
    );
    assert_eq!(resolved.winner, devnet.proposer.address);
    assert_eq!(resolved.payout, devnet.params.challenge_bond);
    let end = devnet.game(id).await;
    assert_eq!(
        (end.agreedBlock, end.disputedBlock),
        (60, 61),
        "the bisection closes in on the first block the challenger disputes"
    );
    // ceil(log2(100)) = 7 halvings, each a defend and a respond.
    assert_eq!(moves, 14);

    assert!(devnet.is_valid(index).await);
    assert_eq!(
        devnet
            .rollup
            .credits(devnet.proposer.address)
            .call()
            .await
            .unwrap(),
        devnet.params.challenge_bond
    );
    devnet.advance(devnet.params.challenge_window).await;
    send("finalize", devnet.outsider.rollup.finalize(index)).await;
    assert_eq!(
        devnet.latest_finalized().await,
        (index, 100, honest.root(100))
    );
    devnet.assert_solvent().await;
}

#[tokio::test]
async fn false_proposal_loses_and_takes_later_proposals_with_it() {
    let devnet = Devnet::start().await;
    let honest = Chain::honest(300);
    // The proposer's chain goes wrong at block 38.
    let lie = Chain::lying_from(38, 300);
    let bad = devnet.propose(&devnet.proposer, 100, lie.root(100)).await;
    // Later proposals, honest or not, can only build on it while it stands.
    let child = devnet.propose(&devnet.proposer, 200, lie.root(200)).await;
    let grandchild = devnet.propose(&devnet.rival, 300, honest.root(300)).await;
    assert_eq!(devnet.proposal(child).await.parent, bad);
    assert_eq!(devnet.proposal(grandchild).await.parent, child);

    let id = devnet.challenge(&devnet.challenger, bad).await;
    let other = devnet.challenge(&devnet.challenger, child).await;
    let (resolved, moves) = devnet.play(id, &lie, &devnet.challenger, &honest).await;
    println!("false proposal vs honest challenger over 100 blocks: {moves} bisection moves");
    assert_eq!(
        Outcome::try_from(resolved.outcome),
        Ok(Outcome::ChallengerWins)
    );
    assert_eq!(resolved.winner, devnet.challenger.address);
    assert_eq!(
        resolved.payout,
        devnet.params.challenge_bond + devnet.params.proposal_bond / U256::from(2),
        "the winner gets its bond back plus the half of the loser's that is not burnt"
    );
    let end = devnet.game(id).await;
    assert_eq!((end.agreedBlock, end.disputedBlock), (37, 38));
    assert_eq!(end.agreedRoot, honest.root(37));

    // The losing proposal and everything built on it are invalid.
    for index in [bad, child, grandchild] {
        assert!(!devnet.is_valid(index).await, "proposal {index} is invalid");
    }
    assert!(devnet.proposal(bad).await.lost);
    assert!(!devnet.proposal(child).await.lost, "invalidated, not lost");
    assert_eq!(devnet.latest_valid().await, (u64::MAX, 0, honest.root(0)));
    let err = revert(
        devnet
            .rival
            .rollup
            .challenge(grandchild)
            .value(devnet.params.challenge_bond),
    )
    .await;
    assert_eq!(
        err,
        RollupErrors::ProposalNotValid(Rollup::ProposalNotValid { index: grandchild })
    );

    // The range can be proposed again, on genesis, even below the invalidated blocks.
    let again = devnet.propose(&devnet.proposer, 50, honest.root(50)).await;
    assert_eq!(devnet.proposal(again).await.parent, u64::MAX);
    assert!(devnet.is_valid(again).await);
    assert!(
        !devnet.is_valid(child).await,
        "a new proposal does not revive old ones"
    );

    // The bonds of the proposals invalidated through their parent come back once their games end.
    let err = revert(devnet.outsider.rollup.reclaimBond(child)).await;
    assert_eq!(
        err,
        RollupErrors::GamesOpen(Rollup::GamesOpen {
            index: child,
            openGames: 1
        })
    );
    let receipt = send(
        "reclaimBond",
        devnet.outsider.rollup.reclaimBond(grandchild),
    )
    .await;
    let reclaimed = event::<Rollup::BondReclaimed>(&receipt);
    assert_eq!(reclaimed.proposer, devnet.rival.address);
    // A game judges a proposal against its parent's root: the child correctly extends its (wrong)
    // parent, so challenging it was a mistake that costs the challenger its bond. The child's own
    // bond comes back once that game is over.
    let (child_game, _) = devnet.play(other, &lie, &devnet.challenger, &honest).await;
    assert_eq!(
        Outcome::try_from(child_game.outcome),
        Ok(Outcome::ProposerWins)
    );
    let end = devnet.game(other).await;
    assert_eq!((end.agreedBlock, end.agreedRoot), (100, lie.root(100)));
    send("reclaimBond", devnet.outsider.rollup.reclaimBond(child)).await;

    devnet.advance(devnet.params.challenge_window).await;
    send("finalize", devnet.outsider.rollup.finalize(again)).await;
    assert_eq!(
        devnet.latest_finalized().await,
        (again, 50, honest.root(50))
    );
    devnet.assert_solvent().await;
}

#[tokio::test]
async fn the_invalidation_event_names_the_new_tip() {
    let devnet = Devnet::start().await;
    let honest = Chain::honest(30);
    let good = devnet.propose(&devnet.proposer, 10, honest.root(10)).await;
    let bad = devnet
        .propose(&devnet.proposer, 20, B256::repeat_byte(0xee))
        .await;
    let after = devnet.propose(&devnet.proposer, 30, honest.root(30)).await;
    let id = devnet.challenge(&devnet.challenger, bad).await;
    devnet.advance(devnet.params.move_timeout).await;
    let receipt = send("claimTimeout", devnet.outsider.rollup.claimTimeout(id)).await;
    let invalidated = events::<Rollup::ProposalsInvalidated>(&receipt);
    assert_eq!(invalidated.len(), 1);
    assert_eq!(invalidated[0].index, bad);
    assert_eq!(invalidated[0].latestValid, good);
    assert_eq!(invalidated[0].latestValidL2Block, 10);
    assert!(devnet.is_valid(good).await);
    assert!(!devnet.is_valid(after).await);
    // New proposals must be above the last valid one (block 10), not the last one made (30).
    let next = devnet.propose(&devnet.proposer, 11, honest.root(11)).await;
    assert_eq!(devnet.proposal(next).await.parent, good);
}

/// What a timeout decides, for a game stopped after `moves` bisection moves.
async fn timeout_after(moves: u32) -> (Rollup::GameResolved, Devnet, u64) {
    let devnet = Devnet::start().await;
    let honest = Chain::honest(64);
    let index = devnet.propose(&devnet.proposer, 64, honest.root(64)).await;
    let id = devnet.challenge(&devnet.challenger, index).await;
    let lie = Chain::lying_from(1, 64);
    for n in 0..moves {
        let g = devnet.game(id).await;
        let mid = (g.agreedBlock + g.disputedBlock) / 2;
        if n % 2 == 0 {
            send(
                "defend",
                devnet.proposer.rollup.defend(id, honest.root(mid)),
            )
            .await;
        } else {
            send(
                "respond",
                devnet
                    .challenger
                    .rollup
                    .respond(id, g.midRoot == lie.root(mid)),
            )
            .await;
        }
    }
    devnet.advance(devnet.params.move_timeout).await;
    let receipt = send("claimTimeout", devnet.outsider.rollup.claimTimeout(id)).await;
    (event::<Rollup::GameResolved>(&receipt), devnet, index)
}

#[tokio::test]
async fn defender_timeout_at_the_first_move_loses() {
    let (resolved, devnet, index) = timeout_after(0).await;
    assert_eq!(
        Outcome::try_from(resolved.outcome),
        Ok(Outcome::ChallengerWins)
    );
    assert_eq!(
        Resolution::try_from(resolved.resolution),
        Ok(Resolution::DefenderTimedOut)
    );
    assert_eq!(resolved.winner, devnet.challenger.address);
    assert!(!devnet.is_valid(index).await);
    devnet.assert_solvent().await;
}

#[tokio::test]
async fn challenger_timeout_after_a_defence_loses() {
    let (resolved, devnet, index) = timeout_after(1).await;
    assert_eq!(
        Outcome::try_from(resolved.outcome),
        Ok(Outcome::ProposerWins)
    );
    assert_eq!(
        Resolution::try_from(resolved.resolution),
        Ok(Resolution::ChallengerTimedOut)
    );
    assert_eq!(resolved.winner, devnet.proposer.address);
    assert!(devnet.is_valid(index).await);
    devnet.assert_solvent().await;
}

#[tokio::test]
async fn defender_timeout_deep_in_the_game_loses() {
    let (resolved, devnet, _) = timeout_after(6).await;
    assert_eq!(
        Resolution::try_from(resolved.resolution),
        Ok(Resolution::DefenderTimedOut)
    );
    assert_eq!(resolved.winner, devnet.challenger.address);
}

#[tokio::test]
async fn challenger_timeout_deep_in_the_game_loses() {
    let (resolved, devnet, _) = timeout_after(7).await;
    assert_eq!(
        Resolution::try_from(resolved.resolution),
        Ok(Resolution::ChallengerTimedOut)
    );
    assert_eq!(resolved.winner, devnet.proposer.address);
}

#[tokio::test]
async fn arbiter_timeout_decides_nothing_but_invalidates() {
    // 64 blocks: six halvings, twelve moves, then the arbiter's turn.
    let (resolved, devnet, index) = timeout_after(12).await;
    let game = devnet.game(resolved.gameId).await;
    assert_eq!(game.disputedBlock, game.agreedBlock + 1);
    assert_eq!(Turn::try_from(game.turn), Ok(Turn::Arbiter));
    assert_eq!(Outcome::try_from(resolved.outcome), Ok(Outcome::NoDecision));
    assert_eq!(
        Resolution::try_from(resolved.resolution),
        Ok(Resolution::ArbiterTimedOut)
    );
    assert_eq!(resolved.winner, Address::ZERO);
    assert_eq!(resolved.payout, U256::ZERO);
    // Safety first: the unverified proposal is invalidated without being marked as lost, and the
    // challenger's bond is burnt rather than refunded: invalidating a proposal is never free.
    assert!(!devnet.is_valid(index).await);
    assert!(!devnet.proposal(index).await.lost);
    assert_eq!(
        devnet
            .rollup
            .credits(devnet.challenger.address)
            .call()
            .await
            .unwrap(),
        U256::ZERO
    );
    assert_eq!(
        devnet.rollup.burnedBonds().call().await.unwrap(),
        devnet.params.challenge_bond
    );
    send("reclaimBond", devnet.outsider.rollup.reclaimBond(index)).await;
    assert_eq!(
        devnet.withdraw_all(&devnet.proposer).await,
        devnet.params.proposal_bond
    );
    assert_eq!(devnet.withdraw_all(&devnet.challenger).await, U256::ZERO);
    assert_eq!(devnet.balance().await, devnet.params.challenge_bond);
    devnet.assert_solvent().await;
}

#[tokio::test]
async fn a_thrown_game_does_not_shield_a_false_proposal() {
    let devnet = Devnet::start().await;
    let honest = Chain::honest(40);
    let lie = Chain::lying_from(5, 40);
    let bad = devnet.propose(&devnet.proposer, 40, lie.root(40)).await;
    // An accomplice challenges first and plays to lose; an honest challenger plays alongside.
    let thrown = devnet.challenge(&devnet.rival, bad).await;
    let real = devnet.challenge(&devnet.challenger, bad).await;
    assert_eq!(devnet.proposal(bad).await.openGames, 2);

    let (first, _) = devnet.play(thrown, &lie, &devnet.rival, &lie).await;
    assert_eq!(Outcome::try_from(first.outcome), Ok(Outcome::ProposerWins));
    assert!(devnet.is_valid(bad).await, "winning one game is not enough");
    let err = revert(devnet.outsider.rollup.finalize(bad)).await;
    assert!(
        matches!(err, RollupErrors::ChallengeWindowOpen(_)),
        "{err:?}"
    );

    let (second, _) = devnet.play(real, &lie, &devnet.challenger, &honest).await;
    assert_eq!(
        Outcome::try_from(second.outcome),
        Ok(Outcome::ChallengerWins)
    );
    assert!(!devnet.is_valid(bad).await);
    devnet.assert_solvent().await;
}
