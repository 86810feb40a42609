//! Dispute games on anvil: the challenger against a faulty proposer, a false challenge against an
//! honest proposal, and each kind of timeout.

use std::time::{Duration, Instant};

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, U256, keccak256},
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
    sol_types::SolCall,
};
use contracts::{Outcome, Rollup};
use indexer::{
    challenger::{Challenger, ChallengerConfig, ChallengerKeys},
    genesis::{CHALLENGER_KEY_INDEX, PROPOSER_KEY_INDEX, dev_signer},
    index::query::{GameView, Page, ProposalStatus, ProposalView},
};

use super::{Backend, IndexHarness};

/// A running challenger task, stopped on drop.
pub(crate) struct Running(tokio::task::JoinHandle<()>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub(crate) async fn spawn_challenger(x: &IndexHarness, config: ChallengerConfig) -> Running {
    let keys = ChallengerKeys::devnet(&x.h.l1, &Default::default())
        .await
        .expect("challenger keys");
    Running(tokio::spawn(
        Challenger::new(x.shared().clone(), x.h.l1.clone(), keys, config).run(),
    ))
}

fn quick() -> ChallengerConfig {
    ChallengerConfig {
        poll: Duration::from_millis(300),
        ..Default::default()
    }
}

fn rollup(x: &IndexHarness) -> Rollup::RollupInstance<DynProvider> {
    Rollup::new(x.h.devnet.genesis.rollup, x.h.l1.clone())
}

/// Waits until `done` holds for the games on L1, reading them every half second.
async fn wait_games(
    x: &IndexHarness,
    within: Duration,
    what: &str,
    done: impl Fn(&[Rollup::Game]) -> bool,
) -> Vec<Rollup::Game> {
    let rollup = rollup(x);
    let deadline = Instant::now() + within;
    loop {
        let count = rollup.gameCount().call().await.expect("gameCount");
        let mut games = Vec::new();
        for id in 0..count {
            games.push(rollup.game(id).call().await.expect("game"));
        }
        if done(&games) {
            return games;
        }
        assert!(Instant::now() < deadline, "{what}: games {games:#?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Waits until the index has taken every L1 block up to L1's current head.
async fn wait_index_at_l1_head(x: &IndexHarness) {
    let head = x.h.l1.get_block_number().await.expect("head");
    let deadline = Instant::now() + Duration::from_secs(60);
    while x.shared().status().derived_l1_block < head {
        assert!(Instant::now() < deadline, "the index lags L1");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn won_by(games: &[Rollup::Game], outcome: Outcome) -> usize {
    games
        .iter()
        .filter(|g| Outcome::try_from(g.outcome) == Ok(outcome))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_proposals_are_challenged_and_lose_with_the_proposals_built_on_them() {
    let x = IndexHarness::start_with(Backend::Sqlite, "faulty", |c| {
        c.proposer.faulty_every = 3;
    })
    .await;
    let _challenger = spawn_challenger(&x, quick()).await;
    let challenger = dev_signer(CHALLENGER_KEY_INDEX).address();
    let proposer = dev_signer(PROPOSER_KEY_INDEX).address();
    wait_games(&x, Duration::from_secs(300), "two games won", |games| {
        won_by(games, Outcome::ChallengerWins) >= 2
    })
    .await;
    // The faulty proposer goes on; check the proposals made so far once each wrong one among them
    // has been played to the end.
    let rollup = rollup(&x);
    let count = rollup.proposalCount().call().await.expect("count");
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut unsettled = Vec::new();
        for index in 0..count {
            let p = rollup.proposal(index).call().await.expect("proposal");
            let derived = x.shared().db.output_root(p.l2Block).await.expect("db");
            // A wrong proposal settles by losing its game, or without one when a proposal it
            // builds on lost first (the challenger does not challenge invalid proposals).
            let valid = rollup.isValid(index).call().await.expect("isValid");
            if derived.is_none_or(|d| d != p.outputRoot && !p.lost && valid) {
                unsettled.push(format!(
                    "{index} (block {}, derived {derived:?}, open games {})",
                    p.l2Block, p.openGames
                ));
            }
        }
        if unsettled.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "wrong proposals below {count} stay unsettled: {}",
            unsettled.join(", ")
        );
    }
    wait_index_at_l1_head(&x).await;

    let mut wrong = 0;
    let mut lost = std::collections::BTreeSet::new();
    for index in 0..count {
        let p = rollup.proposal(index).call().await.expect("proposal");
        let derived = x
            .shared()
            .db
            .output_root(p.l2Block)
            .await
            .expect("db")
            .expect("the proposed block is derived");
        let view: ProposalView = x.get_ok(&format!("/proposals/{index}")).await;
        assert_eq!(
            view.matches,
            Some(derived == p.outputRoot),
            "proposal {index}"
        );
        if p.lost {
            lost.insert(index);
        }
        // Valid exactly when neither it nor a proposal it builds on lost.
        let mut ancestor_lost = lost.contains(&index);
        let mut parent = p.parent;
        while parent != u64::MAX && !ancestor_lost {
            ancestor_lost = lost.contains(&parent);
            parent = rollup.proposal(parent).call().await.expect("parent").parent;
        }
        if derived != p.outputRoot {
            wrong += 1;
            assert!(
                ancestor_lost,
                "wrong proposal {index} lost its game, or builds on one that did"
            );
        } else {
            assert!(!p.lost, "honest proposal {index} never loses");
        }
        let valid = rollup.isValid(index).call().await.expect("isValid");
        assert_eq!(valid, !ancestor_lost, "proposal {index}");
        if !valid {
            assert_eq!(view.status, ProposalStatus::Invalidated, "proposal {index}");
        }
    }
    assert!(wrong >= 2, "the faulty proposer made wrong proposals");
    assert!(lost.len() >= 2, "wrong proposals lost their games");

    // Every game: the challenger's, played to the arbiter, won, and paid.
    let games: Page<GameView> = x.get_ok("/games?limit=100").await;
    assert!(!games.items.is_empty());
    let challenge_bond = rollup.challengeBond().call().await.expect("bond");
    let proposal_bond = rollup.proposalBond().call().await.expect("bond");
    for game in games
        .items
        .iter()
        .filter(|g| g.proposal_index < count && g.outcome != "open")
    {
        assert_eq!(game.challenger, challenger);
        assert_eq!(game.proposer, proposer);
        assert!(lost.contains(&game.proposal_index), "{game:#?}");
        assert_eq!(game.outcome, "challenger_wins", "{game:#?}");
        assert_eq!(game.resolution.as_deref(), Some("adjudicated"));
        assert_eq!(
            game.adjudication, "trusted_arbiter",
            "labelled as a trust assumption"
        );
        let moves = &game.moves;
        assert_eq!(moves[0].kind, "started");
        assert_eq!(moves[0].mover, Some(challenger));
        let mut width = moves[0].disputed_block - moves[0].agreed_block;
        for pair in moves.windows(2) {
            let (before, step) = (&pair[0], &pair[1]);
            match step.kind.as_str() {
                "defended" => {
                    assert_eq!(step.mover, Some(proposer));
                    let mid = step.mid_block.expect("midpoint");
                    assert_eq!(mid, (before.agreed_block + before.disputed_block) / 2);
                    let derived = x.shared().db.output_root(mid).await.expect("db");
                    assert_eq!(step.mid_root, derived, "the defender posts derived roots");
                }
                "responded" => {
                    assert_eq!(step.mover, Some(challenger));
                    assert_eq!(step.agree, Some(true), "honest midpoints are agreed to");
                    let narrower = step.disputed_block - step.agreed_block;
                    assert!(narrower < width, "the range shrinks: {game:#?}");
                    width = narrower;
                }
                "adjudicated" => {
                    assert_eq!(width, 1, "the arbiter decides a single block");
                    assert_eq!(step.proposer_wins, Some(false));
                    assert_eq!(step.mover, Some(dev_signer(3).address()));
                }
                "resolved" => {
                    assert_eq!(step.winner, Some(challenger));
                    let first_win = game.id
                        == games
                            .items
                            .iter()
                            .filter(|g| g.proposal_index == game.proposal_index)
                            .map(|g| g.id)
                            .min()
                            .expect("this game");
                    let payout = if first_win {
                        challenge_bond + proposal_bond / U256::from(2)
                    } else {
                        challenge_bond
                    };
                    assert_eq!(step.payout, Some(payout.to_string()));
                    assert_eq!((step.turn.as_ref(), step.deadline), (None, None));
                }
                other => panic!("unexpected move {other}"),
            }
            if step.kind != "resolved" && step.kind != "adjudicated" {
                assert!(step.deadline.is_some() && step.turn.is_some());
            }
        }
        assert_eq!(moves.last().map(|m| m.kind.as_str()), Some("resolved"));
    }
    // The winnings reached the challenger's account.
    let withdrawn: i64 = {
        use sqlx::Row;
        sqlx::query("SELECT data FROM rollup_events WHERE kind = 'withdrawn'")
            .fetch_all(x.shared().db.pool())
            .await
            .expect("events")
            .iter()
            .filter(|r| {
                let data: serde_json::Value =
                    serde_json::from_str(&r.get::<String, _>(0)).expect("json");
                data["account"].as_str().map(str::to_lowercase) == Some(format!("{challenger:#x}"))
            })
            .count() as i64
    };
    assert!(withdrawn >= 1, "the challenger withdrew its winnings");
}

/// A stranger's account (dev key 8) on L1, the contract, and the bonds.
struct Stranger {
    rollup: Rollup::RollupInstance<DynProvider>,
    wallet: DynProvider,
    address: Address,
    challenge_bond: U256,
    proposal_bond: U256,
}

impl Stranger {
    async fn new(x: &IndexHarness) -> Self {
        let rollup = rollup(x);
        Self {
            challenge_bond: rollup.challengeBond().call().await.expect("bond"),
            proposal_bond: rollup.proposalBond().call().await.expect("bond"),
            rollup,
            wallet: x.h.l1_wallet(8),
            address: dev_signer(8).address(),
        }
    }

    /// Sends `call` with `value` and waits for its receipt. The nonce is read from L1 each time
    /// (a call refused at estimation must not leave a gap), and the receipt is awaited 30 s at most.
    async fn send(
        &self,
        call: impl SolCall,
        value: U256,
    ) -> Result<alloy::rpc::types::TransactionReceipt, String> {
        let nonce = self
            .wallet
            .get_transaction_count(self.address)
            .pending()
            .await
            .map_err(|e| e.to_string())?;
        let request = TransactionRequest::default()
            .with_to(*self.rollup.address())
            .with_input(call.abi_encode())
            .with_value(value)
            .with_nonce(nonce);
        self.wallet
            .send_transaction(request)
            .await
            .map_err(|e| e.to_string())?
            .with_timeout(Some(Duration::from_secs(30)))
            .get_receipt()
            .await
            .map_err(|e| e.to_string())
    }

    async fn challenge(&self, proposal: u64) -> u64 {
        let call = Rollup::challengeCall {
            proposalIndex: proposal,
        };
        let receipt = self
            .send(call, self.challenge_bond)
            .await
            .expect("challenge");
        assert!(receipt.status());
        receipt
            .decoded_log::<Rollup::GameStarted>()
            .expect("GameStarted")
            .gameId
    }

    async fn defend(&self, game: u64, root: alloy::primitives::B256) {
        let call = Rollup::defendCall {
            gameId: game,
            midRoot: root,
        };
        let receipt = self.send(call, U256::ZERO).await.expect("defend");
        assert!(receipt.status());
    }

    async fn respond(&self, game: u64, agree: bool) {
        let call = Rollup::respondCall {
            gameId: game,
            agree,
        };
        let receipt = self.send(call, U256::ZERO).await.expect("respond");
        assert!(receipt.status());
    }

    /// Proposes a wrong root for `blocks` blocks past the latest valid proposal, once the index
    /// has derived them (retrying when the devnet's proposer gets there first).
    async fn propose_wrong(&self, x: &IndexHarness, blocks: u64) -> (u64, Rollup::Proposal) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            assert!(Instant::now() < deadline, "no wrong proposal landed");
            let latest = self.rollup.latestValid().call().await.expect("latest");
            let target = latest.l2Block + blocks;
            if x.shared().status().safe_head < target {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            let call = Rollup::proposeCall {
                l2Block: target,
                outputRoot: keccak256(target.to_be_bytes()),
            };
            let receipt = match self.send(call, self.proposal_bond).await {
                Ok(receipt) if receipt.status() => receipt,
                // The latest valid proposal moved meanwhile.
                _ => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            let index = receipt
                .decoded_log::<Rollup::OutputProposed>()
                .expect("OutputProposed")
                .index;
            let p = self.rollup.proposal(index).call().await.expect("proposal");
            if p.l2Block == target && p.parent == latest.index {
                return (index, p);
            }
        }
    }
}

/// The sequencer's output root of block `number` (its unsafe chain, ahead of what L1 derives).
fn sequencer_root(x: &IndexHarness, number: u64) -> alloy::primitives::B256 {
    let block =
        x.h.devnet
            .sequencer
            .block(number)
            .expect("a sequenced block");
    light_node::output_root(block.header.state_root, block.hash)
}

/// A claim is judged against the chain L1 data up to the proposal's L1 block derives. A stranger
/// proposes the sequencer's own root for its newest block, which no batch on L1 covered yet, and
/// defends every midpoint with the sequencer's roots: the root is what derivation gives later, but
/// the block was not derivable when the claim was made, so the challenger disputes it and wins.
/// (Before this rule the challenger skipped proposals past its derived head: a root for block 10^9
/// finalized.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_for_a_block_not_derivable_when_proposed_is_challenged_and_lost() {
    let x = IndexHarness::start(Backend::Sqlite, "underivable").await;
    let _challenger = spawn_challenger(&x, quick()).await;
    let stranger = Stranger::new(&x).await;
    let rollup = rollup(&x);
    let deadline = Instant::now() + Duration::from_secs(120);
    let (index, proposal) = loop {
        assert!(Instant::now() < deadline, "no underivable proposal landed");
        let latest = rollup.latestValid().call().await.expect("latest");
        // The newest sequenced block whose time has passed on L1.
        let target = x.h.devnet.sequencer.head().header.number.saturating_sub(1);
        if target <= latest.l2Block || x.shared().status().safe_head >= target {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let call = Rollup::proposeCall {
            l2Block: target,
            outputRoot: sequencer_root(&x, target),
        };
        let Ok(receipt) = stranger.send(call, stranger.proposal_bond).await else {
            continue;
        };
        if !receipt.status() {
            continue;
        }
        let index = receipt
            .decoded_log::<Rollup::OutputProposed>()
            .expect("OutputProposed")
            .index;
        let p = rollup.proposal(index).call().await.expect("proposal");
        // Unless a batch covering it landed in the very same L1 block (then the claim is right).
        wait_index_at_l1_head(&x).await;
        let as_of = x
            .shared()
            .db
            .output_root_as_of(target, p.l1Block)
            .await
            .expect("db");
        if as_of == indexer::index::AsOf::NotDerivable {
            break (index, p);
        }
    };
    let id = wait_games(&x, Duration::from_secs(60), "a challenge", |games| {
        games.iter().any(|g| g.proposalIndex == index)
    })
    .await
    .iter()
    .position(|g| g.proposalIndex == index)
    .expect("the challenge") as u64;

    // The stranger defends with the sequencer's roots, right ones for every block derived since.
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let game = rollup.game(id).call().await.expect("game");
        assert!(Instant::now() < deadline, "the bisection stalled: {game:?}");
        if game.turn == 2 || game.outcome != 0 {
            break;
        }
        if game.turn == 0 {
            let mid = (game.agreedBlock + game.disputedBlock) / 2;
            stranger.defend(id, sequencer_root(&x, mid)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let game = wait_resolved(&x, id, "adjudication").await;
    assert_eq!(game.outcome, "challenger_wins", "{game:#?}");
    let end = rollup.game(id).call().await.expect("game");
    // The single step decided is from the last block derivable then to the first one that was not.
    let l1_block = proposal.l1Block;
    let derivable = |n| {
        let db = &x.shared().db;
        async move {
            matches!(
                db.output_root_as_of(n, l1_block).await.expect("db"),
                indexer::index::AsOf::Root(_)
            )
        }
    };
    assert!(derivable(end.agreedBlock).await, "{end:?}");
    assert!(!derivable(end.disputedBlock).await, "{end:?}");
    assert!(rollup.proposal(index).call().await.expect("p").lost);
    crate::chaos::Figures {
        case: 16,
        test: "a root for a block not derivable when proposed",
        tried: 1,
        faults: 1,
        compared: 2,
        detail: format!(
            "the sequencer's own root for block {} proposed in L1 block {l1_block}, before any batch covered it, and defended with the sequencer's roots: challenged, bisected to blocks {}..{}, lost",
            proposal.l2Block, end.agreedBlock, end.disputedBlock
        ),
    }
    .report();
}

async fn wait_resolved(x: &IndexHarness, id: u64, what: &str) -> GameView {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (status, body) = x.get(&format!("/games/{id}")).await;
        if status == 200 {
            let game: GameView = serde_json::from_value(body).expect("a game");
            if game.outcome != "open" {
                return game;
            }
        }
        assert!(Instant::now() < deadline, "{what}: game {id} never ended");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_false_challenge_against_an_honest_proposal_loses_at_the_arbiter() {
    let x = IndexHarness::start(Backend::Sqlite, "false").await;
    let _challenger = spawn_challenger(&x, quick()).await;
    let stranger = Stranger::new(&x).await;
    let rollup = rollup(&x);
    let deadline = Instant::now() + Duration::from_secs(120);
    while rollup.proposalCount().call().await.expect("count") == 0 {
        assert!(Instant::now() < deadline, "no proposal");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let id = stranger.challenge(0).await;
    // The stranger disagrees with every midpoint the defender posts.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let game = rollup.game(id).call().await.expect("game");
        assert!(Instant::now() < deadline, "the bisection stalled: {game:?}");
        if game.turn == 2 || game.outcome != 0 {
            break;
        }
        if game.turn == 1 {
            stranger.respond(id, false).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let game = wait_resolved(&x, id, "adjudication").await;
    assert_eq!(game.outcome, "proposer_wins", "{game:#?}");
    assert_eq!(game.resolution.as_deref(), Some("adjudicated"));
    let end = game.moves.last().expect("moves");
    assert_eq!(end.winner, Some(dev_signer(PROPOSER_KEY_INDEX).address()));
    assert_eq!(end.payout, Some(stranger.challenge_bond.to_string()));
    assert!(game.moves.iter().any(|m| m.kind == "defended"));
    assert!(
        game.moves
            .iter()
            .filter(|m| m.kind == "responded")
            .all(|m| m.agree == Some(false) && m.mover == Some(stranger.address))
    );
    let p = rollup.proposal(0).call().await.expect("proposal");
    assert!(!p.lost, "the honest proposal never loses");
    assert!(rollup.isValid(0).call().await.expect("valid") || p.finalized);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_of_the_defender_the_challenger_and_the_arbiter_resolve_as_the_contract_says() {
    let x = IndexHarness::start_with(Backend::Sqlite, "timeouts", |c| {
        c.move_timeout = 15;
    })
    .await;
    let _challenger = spawn_challenger(
        &x,
        ChallengerConfig {
            arbitrate: false,
            ..quick()
        },
    )
    .await;
    let stranger = Stranger::new(&x).await;
    let rollup = rollup(&x);
    let challenger = dev_signer(CHALLENGER_KEY_INDEX).address();

    // The challenger times out: the stranger challenges an honest proposal and never answers.
    let deadline = Instant::now() + Duration::from_secs(120);
    while rollup.proposalCount().call().await.expect("count") == 0 {
        assert!(Instant::now() < deadline, "no proposal");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let id = stranger.challenge(0).await;
    let game = wait_resolved(&x, id, "challenger timeout").await;
    assert_eq!(game.outcome, "proposer_wins", "{game:#?}");
    assert_eq!(game.resolution.as_deref(), Some("challenger_timed_out"));
    assert!(!rollup.proposal(0).call().await.expect("p").lost);

    // The defender times out: nobody defends the stranger's wrong proposal over two blocks.
    let (index, _) = stranger.propose_wrong(&x, 2).await;
    let id = wait_games(&x, Duration::from_secs(60), "challenged", |games| {
        games.iter().any(|g| g.proposalIndex == index)
    })
    .await
    .iter()
    .position(|g| g.proposalIndex == index)
    .expect("game") as u64;
    let game = wait_resolved(&x, id, "defender timeout").await;
    assert_eq!(game.challenger, challenger);
    assert_eq!(game.outcome, "challenger_wins", "{game:#?}");
    assert_eq!(game.resolution.as_deref(), Some("defender_timed_out"));
    assert!(rollup.proposal(index).call().await.expect("p").lost);
    assert!(!rollup.isValid(index).call().await.expect("valid"));

    // The arbiter times out: a wrong proposal one block past the latest valid one goes straight to
    // the arbiter, which is off. Nobody wins; the proposal is invalidated without having lost.
    let (index, _) = stranger.propose_wrong(&x, 1).await;
    let id = wait_games(&x, Duration::from_secs(60), "challenged", |games| {
        games.iter().any(|g| g.proposalIndex == index)
    })
    .await
    .iter()
    .position(|g| g.proposalIndex == index)
    .expect("game") as u64;
    let game = wait_resolved(&x, id, "arbiter timeout").await;
    assert_eq!(game.outcome, "no_decision", "{game:#?}");
    assert_eq!(game.resolution.as_deref(), Some("arbiter_timed_out"));
    assert_eq!(game.moves.last().and_then(|m| m.winner), None);
    let p = rollup.proposal(index).call().await.expect("p");
    assert!(!p.lost);
    assert!(!rollup.isValid(index).call().await.expect("valid"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finality_advances_in_order_and_an_invalidated_proposals_blocks_go_back_to_safe() {
    use indexer::index::query::{BlockDetail, Finality};
    let x = IndexHarness::start_with(Backend::Sqlite, "finality", |c| {
        c.proposer.faulty_every = 2;
        c.challenge_window = 20;
    })
    .await;
    let l1 = &x.h.l1;
    let rollup = rollup(&x);
    let proposer = dev_signer(PROPOSER_KEY_INDEX).address();
    // Proposal 1 (the second) is wrong; it covers the blocks after proposal 0's.
    let block = super::super::sequencer::end_to_end::PROPOSAL_INTERVAL + 2;
    let mut stages: Vec<Finality> = Vec::new();
    // Every reading of the block's finality: one stage in both places, stages listed lowest first,
    // and times that never go back along them.
    let mut observe = |detail: &BlockDetail| {
        let f = &detail.finality_detail;
        assert_eq!(f.stage, detail.block.finality, "one stage in both places");
        if stages.last() != Some(&f.stage) {
            stages.push(f.stage);
        }
        let order: Vec<Finality> = f.reached.iter().map(|r| r.stage).collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
        assert_eq!(order.last(), Some(&f.stage));
        let times: Vec<u64> = f
            .reached
            .iter()
            .filter(|r| r.stage != Finality::L1Finalized)
            .filter_map(|r| r.at)
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{f:#?}");
        match f.stage {
            Finality::Finalized => assert_eq!(f.next, None),
            _ => assert!(f.next.is_some()),
        }
    };

    // 1. The wrong proposal covers the block. The challenger starts only now, and the proposer is
    // left with less than a proposal bond (enough to defend, not to propose): proposal 1 stays
    // the only proposal over the block until its game is played out.
    let detail = until_reached(&x, block, Finality::Proposed, &mut observe).await;
    let covering = detail
        .finality_detail
        .reached
        .iter()
        .find(|r| r.stage == Finality::Proposed)
        .and_then(|r| r.proposal)
        .expect("the covering proposal");
    assert_eq!(covering, 1, "proposal 1 covers block {block}");
    if detail.finality_detail.stage == Finality::Proposed {
        let next = detail.finality_detail.next.as_ref().expect("a next stage");
        let p = rollup.proposal(1).call().await.expect("proposal");
        assert_eq!(
            (next.stage, next.expected_at),
            (Finality::Finalized, Some(p.deadline))
        );
    }
    let funds = l1.get_balance(proposer).await.expect("balance");
    let _: serde_json::Value = l1
        .raw_request(
            "anvil_setBalance".into(),
            (
                proposer,
                rollup.proposalBond().call().await.expect("bond") / U256::from(2),
            ),
        )
        .await
        .expect("anvil_setBalance");
    let _challenger = spawn_challenger(&x, quick()).await;

    // 2. Proposal 1 loses its game: the block goes back below `proposed`, and says why.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "proposal 1 never lost");
        let (status, body) = x.get(&format!("/blocks/{block}")).await;
        assert_eq!(status, 200);
        let detail: BlockDetail = serde_json::from_value(body).expect("a block");
        observe(&detail);
        let f = &detail.finality_detail;
        if f.invalidated.iter().any(|i| i.proposal == 1 && i.lost) {
            assert!(
                f.stage < Finality::Proposed,
                "the invalidation took the block back below proposed: {f:#?}"
            );
            assert!(f.reached.iter().all(|r| r.stage < Finality::Proposed));
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // 3. Funded again, the honest proposer covers the block anew, and it is finalized.
    let _: serde_json::Value = l1
        .raw_request("anvil_setBalance".into(), (proposer, funds))
        .await
        .expect("anvil_setBalance");
    let detail = until_reached(&x, block, Finality::Finalized, &mut observe).await;
    let f = &detail.finality_detail;
    assert_eq!(f.stage, Finality::Finalized);
    assert!(
        f.invalidated.iter().any(|i| i.proposal == 1 && i.lost),
        "{f:#?}"
    );
    let final_proposal = f.reached.last().and_then(|r| r.proposal).expect("proposal");
    assert!(final_proposal > 1);
    let p = rollup.proposal(final_proposal).call().await.expect("p");
    assert!(p.finalized && !p.lost);
    let proposed_at = stages
        .iter()
        .position(|s| *s == Finality::Proposed)
        .expect("proposed once");
    assert!(
        stages[proposed_at..]
            .iter()
            .any(|s| *s < Finality::Proposed),
        "stages seen: {stages:?}"
    );
}

/// Polls `/blocks/{block}` until its finality has reached `stage`, passing every reading to
/// `observe`.
async fn until_reached(
    x: &IndexHarness,
    block: u64,
    stage: indexer::index::query::Finality,
    observe: &mut impl FnMut(&indexer::index::query::BlockDetail),
) -> indexer::index::query::BlockDetail {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            Instant::now() < deadline,
            "block {block} never reached {stage:?}"
        );
        let (status, body) = x.get(&format!("/blocks/{block}")).await;
        if status == 200 {
            let detail: indexer::index::query::BlockDetail =
                serde_json::from_value(body).expect("a block");
            observe(&detail);
            if detail
                .finality_detail
                .reached
                .iter()
                .any(|r| r.stage == stage)
            {
                return detail;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finality_stages_advance_in_order_with_anvil_time_travel() {
    use indexer::index::query::{BlockDetail, Finality};
    let x = IndexHarness::start(Backend::Sqlite, "timetravel").await;
    let block = super::super::sequencer::end_to_end::PROPOSAL_INTERVAL;
    let l1 = &x.h.l1;
    let mut stages: Vec<Finality> = Vec::new();
    let mut observe = |detail: &BlockDetail| {
        let f = &detail.finality_detail;
        if stages.last() != Some(&f.stage) {
            stages.push(f.stage);
        }
        let order: Vec<Finality> = f.reached.iter().map(|r| r.stage).collect();
        let mut sorted = order.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            order, sorted,
            "stages reached are listed once each, lowest first"
        );
        assert!(
            f.invalidated.is_empty(),
            "an honest devnet invalidates nothing"
        );
    };

    // Safe, then proposed (the proposer covers it soon after its batch lands).
    let detail = until_reached(&x, block, Finality::Proposed, &mut observe).await;
    let f = &detail.finality_detail;
    assert_eq!(f.reached[0].stage, Finality::Safe);
    let proposed = f
        .reached
        .iter()
        .find(|r| r.stage == Finality::Proposed)
        .expect("proposed");
    let proposal = proposed.proposal.expect("the covering proposal");
    let p = rollup(&x)
        .proposal(proposal)
        .call()
        .await
        .expect("proposal");
    if f.stage == Finality::Proposed {
        let next = f.next.as_ref().expect("next");
        assert_eq!(
            (next.stage, next.expected_at),
            (Finality::Finalized, Some(p.deadline))
        );
    }

    // L1 finality: anvil finalizes 64 blocks behind its head; mine past that, ten blocks at a
    // time with pauses for the batcher (mined at once, the 64-block sequencing window would close
    // on blocks not yet batched, and derivation would rightly replace them with empty ones).
    for _ in 0..7 {
        let _: serde_json::Value = l1
            .raw_request("anvil_mine".into(), (10u64, 1u64))
            .await
            .expect("anvil_mine");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    until_reached(&x, block, Finality::L1Finalized, &mut observe).await;

    // The challenge window: jump past the proposal's deadline; the proposer finalizes it.
    let now = l1
        .get_block_by_number(Default::default())
        .await
        .expect("L1")
        .expect("head")
        .header
        .timestamp;
    let _: serde_json::Value = l1
        .raw_request(
            "evm_increaseTime".into(),
            (p.deadline.saturating_sub(now) + 1,),
        )
        .await
        .expect("evm_increaseTime");
    let _: serde_json::Value = l1
        .raw_request("evm_mine".into(), ())
        .await
        .expect("evm_mine");
    let detail = until_reached(&x, block, Finality::Finalized, &mut observe).await;
    let f = &detail.finality_detail;
    assert_eq!(f.stage, Finality::Finalized);
    assert_eq!(f.next, None);
    let reached: Vec<Finality> = f.reached.iter().map(|r| r.stage).collect();
    assert_eq!(
        reached,
        [
            Finality::Safe,
            Finality::L1Finalized,
            Finality::Proposed,
            Finality::Finalized
        ]
    );
    let finalized = f.reached.last().expect("finalized");
    assert_eq!(finalized.proposal, Some(proposal));
    assert!(
        finalized.at.expect("time") >= p.deadline,
        "not before the window closed"
    );
    // The current stage only ever went up.
    let mut sorted = stages.clone();
    sorted.sort();
    assert_eq!(stages, sorted, "stages seen: {stages:?}");
    // The jumps in L1 time left the devnet whole: the sequencer kept up, derivation agrees.
    let head = x.h.devnet.sequencer.safe_number();
    x.wait_safe(head, Duration::from_secs(120)).await;
    super::assert_consistent(x.shared(), &x.h.devnet.sequencer).await;
}
