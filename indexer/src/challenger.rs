//! The honest player of the rollup's dispute games, driven by the index's derivation from L1.
//!
//! Every claim is judged as the contract defines it: against the L2 chain that L1 data up to the
//! proposal's L1 block derives ([`Db::output_root_as_of`](crate::index::Db::output_root_as_of)).
//! A root for a block that was not derivable by then is wrong, whatever L1 brings later.
//!
//! Each round it reads the Rollup contract's proposals and games and acts with the keys it holds:
//! - challenger key: challenges every valid proposal, inside its window, whose output root it cannot
//!   confirm on that basis, and answers the defender's midpoint roots (agree exactly when the root
//!   equals the one derivable then), which drives the bisection to the first wrong block;
//! - defender key (the proposer's): answers every game against its proposals with the derived root
//!   at the midpoint, reclaims the bonds of its proposals invalidated without losing;
//! - arbiter key (devnet only, a trust assumption): decides single-block disputes by re-executing
//!   that block with the light node ([`crate::index::witness::reexecuted_output_root`]); the proposer
//!   wins exactly when the block was derivable by the proposal's L1 block and its root equals the
//!   re-executed one.
//!
//! With any key it claims overdue timeouts and withdraws its credits (bonds won or returned).
//!
//! It keeps nothing of its own: the open games, the proposals it challenged and whose move it is are
//! read from the contract each round, after its in-flight transactions (from before a restart) have
//! landed. So a restarted challenger picks every game up where L1 has it.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use alloy::providers::{DynProvider, Provider};
use alloy::sol_types::SolCall;
use alloy_primitives::{Address, B256, Bytes, U256};
use contracts::{Outcome, Rollup, Rollup::RollupInstance, Turn};

use crate::{
    genesis::{ARBITER_KEY_INDEX, CHALLENGER_KEY_INDEX, PROPOSER_KEY_INDEX, dev_signer},
    index::{AsOf, IndexShared, witness::reexecuted_output_root},
    l1tx::{L1Sender, L1SenderConfig, L1TxError},
    sequencer::l1_call,
};

/// What the challenger does, and how often it looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengerConfig {
    /// Pause between rounds.
    pub poll: Duration,
    /// Challenge wrong proposals and play those games (needs the challenger key).
    pub challenge: bool,
    /// Defend the defender key's proposals.
    pub defend: bool,
    /// Adjudicate single-block disputes (needs the arbiter key).
    pub arbitrate: bool,
    /// Claim overdue timeouts.
    pub claim_timeouts: bool,
}

impl Default for ChallengerConfig {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            challenge: true,
            defend: true,
            arbitrate: true,
            claim_timeouts: true,
        }
    }
}

/// The accounts the challenger acts with; each is optional.
#[derive(Debug, Clone, Default)]
pub struct ChallengerKeys {
    /// Opens and plays challenges.
    pub challenger: Option<L1Sender>,
    /// Defends proposals made from this account.
    pub defender: Option<L1Sender>,
    /// The contract's arbiter.
    pub arbiter: Option<L1Sender>,
}

impl ChallengerKeys {
    /// The devnet's accounts: the challenger key, the proposer's key as defender, the arbiter key.
    pub async fn devnet(l1: &DynProvider, config: &L1SenderConfig) -> Result<Self, L1TxError> {
        let sender = |index| L1Sender::new(l1.clone(), dev_signer(index), config.clone());
        Ok(Self {
            challenger: Some(sender(CHALLENGER_KEY_INDEX).await?),
            defender: Some(sender(PROPOSER_KEY_INDEX).await?),
            arbiter: Some(sender(ARBITER_KEY_INDEX).await?),
        })
    }
}

/// Why a round failed.
#[derive(Debug, thiserror::Error)]
pub enum ChallengerError {
    /// A contract read failed.
    #[error("Rollup contract read failed: {0}")]
    Read(String),
    /// The index could not answer.
    #[error("index: {0}")]
    Index(String),
    /// A transaction failed for another reason than a lost race.
    #[error(transparent)]
    Send(#[from] L1TxError),
}

/// Something the challenger did on L1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Challenged a proposal whose root differs from the derived one.
    Challenged {
        /// The proposal.
        proposal: u64,
        /// Its root.
        proposed: B256,
        /// The root derivable by the proposal's L1 block, or `None` if the block was not derivable
        /// by then (a proposal for a block L1 had not made derivable yet).
        derived: Option<B256>,
    },
    /// Posted the derived root of the midpoint as the defender.
    Defended {
        /// The game.
        game: u64,
        /// The midpoint.
        block: u64,
        /// The root posted.
        root: B256,
    },
    /// Answered the defender's midpoint root.
    Responded {
        /// The game.
        game: u64,
        /// Whether it agreed.
        agree: bool,
    },
    /// Decided a single-block dispute.
    Adjudicated {
        /// The game.
        game: u64,
        /// The disputed block.
        block: u64,
        /// Whether the proposer's root equals the re-executed one.
        proposer_wins: bool,
    },
    /// Ended an overdue game.
    ClaimedTimeout {
        /// The game.
        game: u64,
    },
    /// Reclaimed the bond of an invalidated proposal.
    ReclaimedBond {
        /// The proposal.
        proposal: u64,
    },
    /// Withdrew credits.
    Withdrew {
        /// The account.
        account: Address,
        /// Wei.
        amount: U256,
    },
}

/// The challenger.
#[derive(Debug)]
pub struct Challenger {
    index: Arc<IndexShared>,
    rollup: RollupInstance<DynProvider>,
    keys: ChallengerKeys,
    config: ChallengerConfig,
    /// Proposals below this one are finalized or settled: nothing left to do on them.
    first_open_proposal: u64,
    /// Games below this one are resolved.
    first_open_game: u64,
    /// Games read into `challenged`.
    games_seen: u64,
    /// Proposals the challenger key has a game on.
    challenged: BTreeSet<u64>,
    settled: bool,
}

impl Challenger {
    /// A challenger for the rollup `index` derives, reading L1 through `l1`.
    pub fn new(
        index: Arc<IndexShared>,
        l1: DynProvider,
        keys: ChallengerKeys,
        config: ChallengerConfig,
    ) -> Self {
        let rollup = Rollup::new(index.genesis.rollup, l1);
        Self {
            index,
            rollup,
            keys,
            config,
            first_open_proposal: 0,
            first_open_game: 0,
            games_seen: 0,
            challenged: BTreeSet::new(),
            settled: false,
        }
    }

    async fn read<T, E: std::fmt::Display>(
        fut: impl IntoFuture<Output = Result<T, E>>,
    ) -> Result<T, ChallengerError> {
        l1_call(fut)
            .await
            .map_err(|e| ChallengerError::Read(e.to_string()))
    }

    /// The output root of `number` as L1 data up to `l1_block` derives it.
    async fn as_of(&self, number: u64, l1_block: u64) -> Result<AsOf, ChallengerError> {
        self.index
            .db
            .output_root_as_of(number, l1_block)
            .await
            .map_err(|e| ChallengerError::Index(e.to_string()))
    }

    fn senders(&self) -> impl Iterator<Item = &L1Sender> {
        [
            &self.keys.challenger,
            &self.keys.defender,
            &self.keys.arbiter,
        ]
        .into_iter()
        .flatten()
    }

    /// Sends `call` from `sender`; a call that would revert (another player moved first, the
    /// deadline passed meanwhile) is skipped and reported as `false`.
    async fn send(
        &self,
        sender: &L1Sender,
        call: impl SolCall,
        value: U256,
        what: &str,
    ) -> Result<bool, ChallengerError> {
        match sender
            .send(
                *self.rollup.address(),
                Bytes::from(call.abi_encode()),
                value,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(L1TxError::WouldRevert(e)) => {
                tracing::debug!(what, error = %e, "move skipped: it would revert");
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// One round over every proposal and game not settled yet; returns what it did.
    pub async fn step(&mut self) -> Result<Vec<Action>, ChallengerError> {
        if !self.settled {
            for sender in self.senders() {
                if !sender.settle(Duration::from_secs(60)).await? {
                    return Ok(Vec::new());
                }
            }
            self.settled = true;
        }
        let mut actions = Vec::new();
        let head = Self::read(
            self.rollup
                .provider()
                .get_block_by_number(Default::default()),
        )
        .await?
        .ok_or_else(|| ChallengerError::Read("L1 has no latest block".into()))?;
        let now = head.header.timestamp;
        self.games(now, &mut actions).await?;
        self.proposals(now, &mut actions).await?;
        for sender in self.senders() {
            let account = sender.address();
            let amount = Self::read(self.rollup.credits(account).call()).await?;
            if !amount.is_zero()
                && self
                    .send(sender, Rollup::withdrawCall {}, U256::ZERO, "withdraw")
                    .await?
            {
                tracing::info!(%account, %amount, "credits withdrawn");
                actions.push(Action::Withdrew { account, amount });
            }
        }
        Ok(actions)
    }

    /// Plays every open game: the moves that are ours, and timeouts.
    async fn games(&mut self, now: u64, actions: &mut Vec<Action>) -> Result<(), ChallengerError> {
        let count = Self::read(self.rollup.gameCount().call()).await?;
        let mut all_resolved = true;
        for id in self.first_open_game..count {
            let game = Self::read(self.rollup.game(id).call()).await?;
            if Outcome::try_from(game.outcome) != Ok(Outcome::Open) {
                if all_resolved {
                    self.first_open_game = id + 1;
                }
                continue;
            }
            all_resolved = false;
            if let Some(action) = self.play(id, &game, now).await? {
                actions.push(action);
            }
        }
        Ok(())
    }

    async fn play(
        &self,
        id: u64,
        game: &Rollup::Game,
        now: u64,
    ) -> Result<Option<Action>, ChallengerError> {
        if now >= game.deadline {
            if !self.config.claim_timeouts {
                return Ok(None);
            }
            let Some(sender) = self.senders().next() else {
                return Ok(None);
            };
            let call = Rollup::claimTimeoutCall { gameId: id };
            if self.send(sender, call, U256::ZERO, "claimTimeout").await? {
                tracing::info!(game = id, "game timeout claimed");
                return Ok(Some(Action::ClaimedTimeout { game: id }));
            }
            return Ok(None);
        }
        let mid = (game.agreedBlock + game.disputedBlock) / 2;
        match Turn::try_from(game.turn) {
            Ok(Turn::Defender) => {
                let Some(defender) = self.keys.defender.as_ref().filter(|_| self.config.defend)
                else {
                    return Ok(None);
                };
                let proposal = Self::read(self.rollup.proposal(game.proposalIndex).call()).await?;
                if proposal.proposer != defender.address() {
                    return Ok(None);
                }
                // A midpoint that was not derivable by the proposal's L1 block has no right root
                // to defend with: the game is lost either way.
                let AsOf::Root(root) = self.as_of(mid, proposal.l1Block).await? else {
                    return Ok(None);
                };
                let call = Rollup::defendCall {
                    gameId: id,
                    midRoot: root,
                };
                if self.send(defender, call, U256::ZERO, "defend").await? {
                    tracing::info!(game = id, block = mid, %root, "defended with the derived root");
                    return Ok(Some(Action::Defended {
                        game: id,
                        block: mid,
                        root,
                    }));
                }
            }
            Ok(Turn::Challenger) => {
                let Some(challenger) = self
                    .keys
                    .challenger
                    .as_ref()
                    .filter(|c| self.config.challenge && c.address() == game.challenger)
                else {
                    return Ok(None);
                };
                let proposal = Self::read(self.rollup.proposal(game.proposalIndex).call()).await?;
                let agree = match self.as_of(mid, proposal.l1Block).await? {
                    AsOf::Root(root) => root == game.midRoot,
                    // No root of a block that was not derivable then is right.
                    AsOf::NotDerivable => false,
                    AsOf::Unknown => return Ok(None),
                };
                let call = Rollup::respondCall { gameId: id, agree };
                if self.send(challenger, call, U256::ZERO, "respond").await? {
                    tracing::info!(game = id, block = mid, agree, "responded to the midpoint");
                    return Ok(Some(Action::Responded { game: id, agree }));
                }
            }
            Ok(Turn::Arbiter) => {
                let Some(arbiter) = self.keys.arbiter.as_ref().filter(|_| self.config.arbitrate)
                else {
                    return Ok(None);
                };
                let block = game.disputedBlock;
                let proposal = Self::read(self.rollup.proposal(game.proposalIndex).call()).await?;
                let (proposer_wins, root) = match self.as_of(block, proposal.l1Block).await? {
                    AsOf::Root(_) => {
                        let root = reexecuted_output_root(&self.index, block)
                            .await
                            .map_err(|e| ChallengerError::Index(e.to_string()))?;
                        (root == game.disputedRoot, root)
                    }
                    AsOf::NotDerivable => (false, B256::ZERO),
                    AsOf::Unknown => return Ok(None),
                };
                let call = Rollup::adjudicateCall {
                    gameId: id,
                    proposerWins: proposer_wins,
                };
                if self.send(arbiter, call, U256::ZERO, "adjudicate").await? {
                    tracing::info!(game = id, block, proposer_wins, %root, "adjudicated by re-execution");
                    return Ok(Some(Action::Adjudicated {
                        game: id,
                        block,
                        proposer_wins,
                    }));
                }
            }
            Err(e) => {
                tracing::warn!(game = id, error = %e, "game with an unknown turn");
            }
        }
        Ok(None)
    }

    /// Challenges wrong proposals and reclaims the defender's bonds of invalidated ones.
    async fn proposals(
        &mut self,
        now: u64,
        actions: &mut Vec<Action>,
    ) -> Result<(), ChallengerError> {
        let count = Self::read(self.rollup.proposalCount().call()).await?;
        self.learn_challenged().await?;
        let mut all_settled = true;
        for index in self.first_open_proposal..count {
            let proposal = Self::read(self.rollup.proposal(index).call()).await?;
            let valid = Self::read(self.rollup.isValid(index).call()).await?;
            if proposal.finalized || (!valid && proposal.bondSettled) {
                if all_settled {
                    self.first_open_proposal = index + 1;
                }
                continue;
            }
            all_settled = false;
            if !valid {
                if let Some(defender) = self.keys.defender.as_ref()
                    && self.config.defend
                    && proposal.proposer == defender.address()
                    && proposal.openGames == 0
                    && !proposal.lost
                {
                    let call = Rollup::reclaimBondCall { index };
                    if self.send(defender, call, U256::ZERO, "reclaimBond").await? {
                        tracing::info!(
                            proposal = index,
                            "bond of an invalidated proposal reclaimed"
                        );
                        actions.push(Action::ReclaimedBond { proposal: index });
                    }
                }
                continue;
            }
            let Some(challenger) = self
                .keys
                .challenger
                .as_ref()
                .filter(|_| self.config.challenge)
            else {
                continue;
            };
            if now >= proposal.deadline || self.challenged.contains(&index) {
                continue;
            }
            let derived = match self.as_of(proposal.l2Block, proposal.l1Block).await? {
                AsOf::Root(root) if root == proposal.outputRoot => continue,
                AsOf::Root(root) => Some(root),
                AsOf::NotDerivable => None,
                AsOf::Unknown => continue, // the index has not reached the proposal's L1 block
            };
            let bond = Self::read(self.rollup.challengeBond().call()).await?;
            let call = Rollup::challengeCall {
                proposalIndex: index,
            };
            if self.send(challenger, call, bond, "challenge").await? {
                tracing::warn!(
                    proposal = index,
                    l2_block = proposal.l2Block,
                    proposed = %proposal.outputRoot,
                    ?derived,
                    "wrong output root challenged"
                );
                self.challenged.insert(index);
                actions.push(Action::Challenged {
                    proposal: index,
                    proposed: proposal.outputRoot,
                    derived,
                });
            }
        }
        Ok(())
    }

    /// Adds the games started since the last round to the proposals the challenger key has a game
    /// on (open or not), so that it challenges each proposal once.
    async fn learn_challenged(&mut self) -> Result<(), ChallengerError> {
        let Some(challenger) = self.keys.challenger.as_ref().map(L1Sender::address) else {
            return Ok(());
        };
        let count = Self::read(self.rollup.gameCount().call()).await?;
        for id in self.games_seen..count {
            let game = Self::read(self.rollup.game(id).call()).await?;
            if game.challenger == challenger {
                self.challenged.insert(game.proposalIndex);
            }
        }
        self.games_seen = count;
        Ok(())
    }

    /// Plays until the task is dropped.
    pub async fn run(mut self) {
        loop {
            match self.step().await {
                Ok(actions) if !actions.is_empty() => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "challenger round failed; retrying"),
            }
            tokio::time::sleep(self.config.poll).await;
        }
    }
}
