//! The contract holds exactly the bonds it still owes: nothing is created or lost by games.

use alloy::primitives::U256;
use contracts::Outcome;

use super::{Chain, Devnet, send};

#[tokio::test]
async fn balance_is_the_bonds_still_locked_after_every_game() {
    let devnet = Devnet::start().await;
    let (pb, cb) = (devnet.params.proposal_bond, devnet.params.challenge_bond);
    let honest = Chain::honest(30);
    let lie = Chain::lying_from(15, 30);

    let p0 = devnet.propose(&devnet.proposer, 10, honest.root(10)).await;
    let p1 = devnet.propose(&devnet.proposer, 20, lie.root(20)).await;
    let p2 = devnet.propose(&devnet.proposer, 30, lie.root(30)).await;
    devnet.assert_solvent().await;

    // A false challenge of a good proposal, an honest and a thrown challenge of a bad one, and one
    // on the proposal built on the bad one, which its defender abandons.
    let g0 = devnet.challenge(&devnet.rival, p0).await;
    let g1 = devnet.challenge(&devnet.challenger, p1).await;
    let g2 = devnet.challenge(&devnet.rival, p1).await;
    let g3 = devnet.challenge(&devnet.challenger, p2).await;
    assert_eq!(
        devnet.balance().await,
        pb * U256::from(3) + cb * U256::from(4)
    );
    devnet.assert_solvent().await;

    let (r0, _) = devnet
        .play(g0, &honest, &devnet.rival, &Chain::lying_from(3, 30))
        .await;
    assert_eq!(Outcome::try_from(r0.outcome), Ok(Outcome::ProposerWins));
    devnet.assert_solvent().await;
    let (r2, _) = devnet.play(g2, &lie, &devnet.rival, &lie).await;
    assert_eq!(Outcome::try_from(r2.outcome), Ok(Outcome::ProposerWins));
    devnet.assert_solvent().await;
    let (r1, _) = devnet.play(g1, &lie, &devnet.challenger, &honest).await;
    assert_eq!(Outcome::try_from(r1.outcome), Ok(Outcome::ChallengerWins));
    let burnt = pb / U256::from(2);
    assert_eq!(r1.payout, cb + pb - burnt);
    devnet.assert_solvent().await;
    devnet.advance(devnet.params.move_timeout).await;
    send("claimTimeout", devnet.outsider.rollup.claimTimeout(g3)).await;
    devnet.assert_solvent().await;

    let p3 = devnet.propose(&devnet.proposer, 20, honest.root(20)).await;
    devnet.advance(devnet.params.challenge_window).await;
    send("finalize p0", devnet.outsider.rollup.finalize(p0)).await;
    send("finalize p3", devnet.outsider.rollup.finalize(p3)).await;
    let p4 = devnet.propose(&devnet.proposer, 25, honest.root(25)).await;
    devnet.assert_solvent().await;

    // Everyone takes what they are owed: only the pending proposal's bond stays.
    let proposer_got = devnet.withdraw_all(&devnet.proposer).await;
    let challenger_got = devnet.withdraw_all(&devnet.challenger).await;
    let rival_got = devnet.withdraw_all(&devnet.rival).await;
    // Proposer: bonds of p0 and p3 back, plus the two challengers' bonds it beat.
    assert_eq!(proposer_got, pb * U256::from(2) + cb * U256::from(2));
    // Challenger: its two bonds back plus the unburnt halves of the bonds of p1 and p2, which lost.
    assert_eq!(challenger_got, (cb + pb - burnt) * U256::from(2));
    assert_eq!(rival_got, U256::ZERO);
    let locked = devnet.rollup.lockedBonds().call().await.unwrap();
    assert_eq!(locked, pb);
    assert_eq!(devnet.balance().await, locked + burnt * U256::from(2));
    devnet.assert_solvent().await;
    assert!(!devnet.is_valid(p1).await && !devnet.is_valid(p2).await);

    devnet.advance(devnet.params.challenge_window).await;
    send("finalize p4", devnet.outsider.rollup.finalize(p4)).await;
    assert_eq!(devnet.withdraw_all(&devnet.proposer).await, pb);
    assert_eq!(
        devnet.rollup.lockedBonds().call().await.unwrap(),
        U256::ZERO
    );
    assert_eq!(
        devnet.rollup.unclaimedCredits().call().await.unwrap(),
        U256::ZERO
    );
    // Only the burnt halves of the two lost proposals' bonds stay, for good.
    assert_eq!(devnet.balance().await, burnt * U256::from(2));
    assert_eq!(
        devnet.rollup.burnedBonds().call().await.unwrap(),
        burnt * U256::from(2)
    );
}
