//! An indexer can rebuild every proposal, game and credit from the contract's logs alone.

use std::collections::BTreeMap;

use alloy::{
    primitives::{Address, B256, U256},
    providers::Provider,
    rpc::types::Filter,
    sol_types::SolEventInterface,
};
use contracts::{
    Outcome,
    Rollup::{self, RollupEvents},
    Turn,
};

use super::{Chain, Devnet, send};

#[derive(Debug, Default)]
struct ProposalView {
    l2_block: u64,
    output_root: B256,
    parent: u64,
    valid: bool,
    finalized: bool,
}

#[tokio::test]
async fn logs_alone_rebuild_proposals_games_and_credits() {
    let devnet = Devnet::start().await;
    let honest = Chain::honest(64);
    let lie = Chain::lying_from(20, 64);

    // A bit of everything: a good proposal that survives a false challenge and finalizes, a bad one
    // that loses and takes its child with it, a game left open mid-bisection, and a withdrawal.
    let good = devnet.propose(&devnet.proposer, 16, honest.root(16)).await;
    let g0 = devnet.challenge(&devnet.rival, good).await;
    devnet
        .play(g0, &honest, &devnet.rival, &Chain::lying_from(3, 64))
        .await;
    let bad = devnet.propose(&devnet.proposer, 40, lie.root(40)).await;
    devnet.propose(&devnet.proposer, 64, lie.root(64)).await;
    let g1 = devnet.challenge(&devnet.challenger, bad).await;
    devnet.play(g1, &lie, &devnet.challenger, &honest).await;
    devnet.advance(devnet.params.challenge_window).await;
    send("finalize", devnet.outsider.rollup.finalize(good)).await;
    send("withdraw", devnet.challenger.rollup.withdraw()).await;
    let open = devnet.propose(&devnet.proposer, 48, honest.root(48)).await;
    let g2 = devnet.challenge(&devnet.challenger, open).await;
    send("defend", devnet.proposer.rollup.defend(g2, honest.root(32))).await;
    send("respond", devnet.challenger.rollup.respond(g2, true)).await;
    send("defend", devnet.proposer.rollup.defend(g2, honest.root(40))).await;

    // Rebuild from logs.
    let filter = Filter::new()
        .address(*devnet.rollup.address())
        .from_block(0u64);
    let logs = devnet.provider.get_logs(&filter).await.unwrap();
    let mut genesis = None;
    let mut proposals: BTreeMap<u64, ProposalView> = BTreeMap::new();
    let mut games: BTreeMap<u64, Rollup::Game> = BTreeMap::new();
    let mut credits: BTreeMap<Address, U256> = BTreeMap::new();
    let mut latest_finalized = u64::MAX;
    let mut burnt = U256::ZERO;
    // The L1 block each proposal is judged by is the block of its event.
    let mut proposal_blocks: BTreeMap<u64, u64> = BTreeMap::new();
    for log in &logs {
        match RollupEvents::decode_log(&log.inner)
            .expect("a Rollup event")
            .data
        {
            RollupEvents::RollupInitialized(e) => genesis = Some(e.genesisOutputRoot),
            RollupEvents::OutputProposed(e) => {
                proposal_blocks.insert(e.index, log.block_number.expect("mined"));
                proposals.insert(
                    e.index,
                    ProposalView {
                        l2_block: e.l2Block,
                        output_root: e.outputRoot,
                        parent: e.parent,
                        valid: true,
                        finalized: false,
                    },
                );
            }
            RollupEvents::ProposalsInvalidated(e) => {
                // The proposal and every valid proposal made after it.
                for (_, p) in proposals.range_mut(e.index..) {
                    p.valid = false;
                }
            }
            RollupEvents::ProposalFinalized(e) => {
                proposals.get_mut(&e.index).unwrap().finalized = true;
                latest_finalized = e.index;
            }
            RollupEvents::GameStarted(e) => {
                games.insert(
                    e.gameId,
                    Rollup::Game {
                        proposalIndex: e.proposalIndex,
                        challenger: e.challenger,
                        turn: e.turn,
                        outcome: Outcome::Open.into(),
                        agreedBlock: e.agreedBlock,
                        disputedBlock: e.disputedBlock,
                        deadline: e.deadline,
                        agreedRoot: e.agreedRoot,
                        disputedRoot: e.disputedRoot,
                        midRoot: B256::ZERO,
                    },
                );
            }
            RollupEvents::Defended(e) => {
                let g = games.get_mut(&e.gameId).unwrap();
                assert_eq!(
                    (g.agreedBlock, g.disputedBlock),
                    (e.agreedBlock, e.disputedBlock)
                );
                assert_eq!(e.midBlock, (e.agreedBlock + e.disputedBlock) / 2);
                g.midRoot = e.midRoot;
                g.turn = Turn::Challenger.into();
                g.deadline = e.deadline;
            }
            RollupEvents::Responded(e) => {
                let g = games.get_mut(&e.gameId).unwrap();
                g.agreedBlock = e.agreedBlock;
                g.agreedRoot = e.agreedRoot;
                g.disputedBlock = e.disputedBlock;
                g.disputedRoot = e.disputedRoot;
                g.midRoot = B256::ZERO;
                g.turn = e.turn;
                g.deadline = e.deadline;
            }
            RollupEvents::GameResolved(e) => games.get_mut(&e.gameId).unwrap().outcome = e.outcome,
            RollupEvents::Credited(e) => *credits.entry(e.account).or_default() += e.amount,
            RollupEvents::Withdrawn(e) => *credits.get_mut(&e.account).unwrap() -= e.amount,
            RollupEvents::BondBurned(e) => burnt += e.amount,
            RollupEvents::BatchAppended(_)
            | RollupEvents::Deposited(_)
            | RollupEvents::BondReclaimed(_)
            | RollupEvents::Adjudicated(_) => {}
        }
    }

    // Compare with what the contract says.
    assert_eq!(genesis, Some(honest.root(0)));
    assert_eq!(
        proposals.len() as u64,
        devnet.rollup.proposalCount().call().await.unwrap()
    );
    for (&index, view) in &proposals {
        let p = devnet.proposal(index).await;
        assert_eq!(
            (view.l2_block, view.output_root, view.parent, view.finalized),
            (p.l2Block, p.outputRoot, p.parent, p.finalized),
            "proposal {index}"
        );
        assert_eq!(
            view.valid,
            devnet.is_valid(index).await,
            "validity of {index}"
        );
        assert_eq!(proposal_blocks[&index], p.l1Block, "L1 block of {index}");
    }
    assert_eq!(burnt, devnet.rollup.burnedBonds().call().await.unwrap());
    assert!(
        !burnt.is_zero(),
        "the lost proposal's bond was partly burnt"
    );
    assert_eq!(devnet.latest_finalized().await.0, latest_finalized);
    assert_eq!(
        games.len() as u64,
        devnet.rollup.gameCount().call().await.unwrap()
    );
    for (&id, game) in &games {
        assert_eq!(game, &devnet.game(id).await, "game {id}");
    }
    assert_eq!(
        Turn::try_from(games[&g2].turn),
        Ok(Turn::Challenger),
        "the open game is rebuilt mid-bisection"
    );
    for actor in [
        &devnet.proposer,
        &devnet.challenger,
        &devnet.rival,
        &devnet.outsider,
    ] {
        let expected = devnet.rollup.credits(actor.address).call().await.unwrap();
        assert_eq!(
            credits.get(&actor.address).copied().unwrap_or_default(),
            expected
        );
    }
}
