//! Reading the rollup's L1 data: block headers, the Rollup contract's events and the calldata of the
//! batches, checked against the hash the contract stored.

use std::collections::BTreeMap;

use alloy::{
    consensus::Transaction as _,
    eips::BlockNumberOrTag,
    providers::{DynProvider, Provider},
    rpc::types::{Filter, Log},
    sol_types::{SolCall, SolEventInterface},
};
use alloy_primitives::{Address, B256, Bytes, keccak256};
use contracts::{Outcome, Resolution, Rollup, Rollup::RollupEvents, Turn};
use light_node::{Deposit, L1Input, L1Origin, PostedBatch};
use serde_json::json;

use super::rows::{BatchRow, BatchStatus, DepositRow, EventRow, GameRow, L1BlockRow, ProposalRow};
use crate::sequencer::{OriginError, l1_call};

/// One L1 block and the Rollup contract's logs in it.
#[derive(Debug, Clone)]
pub struct L1Block {
    /// The header's fields derivation needs.
    pub row: L1BlockRow,
    /// The Rollup contract's logs in this block, in log order.
    pub logs: Vec<Log>,
    /// Each batch's data by batch index, or why it could not be had.
    pub batch_data: BTreeMap<u64, Result<Bytes, String>>,
}

/// Reads a range of L1 blocks.
#[derive(Debug, Clone)]
pub struct L1Reader {
    provider: DynProvider,
    rollup: Address,
}

impl L1Reader {
    /// Reads the Rollup contract at `rollup` through `provider`.
    pub fn new(provider: DynProvider, rollup: Address) -> Self {
        Self { provider, rollup }
    }

    /// The provider.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The latest L1 block number.
    pub async fn head(&self) -> Result<u64, OriginError> {
        l1_call(self.provider.get_block_number()).await
    }

    /// The latest finalized L1 block number (0 when the node reports none).
    pub async fn finalized(&self) -> Result<u64, OriginError> {
        let block = l1_call(
            self.provider
                .get_block_by_number(BlockNumberOrTag::Finalized),
        )
        .await?;
        Ok(block.map_or(0, |b| b.header.number))
    }

    /// The canonical hash of L1 block `number`, if the chain has it.
    pub async fn hash_of(&self, number: u64) -> Result<Option<B256>, OriginError> {
        let block = l1_call(
            self.provider
                .get_block_by_number(BlockNumberOrTag::Number(number)),
        )
        .await?;
        Ok(block.map(|b| b.header.hash))
    }

    /// Blocks `from..=to` with their Rollup logs and batch data. Fails with
    /// [`OriginError::Invalid`] when L1 changed while reading (a log from another fork): read again.
    pub async fn read(&self, from: u64, to: u64) -> Result<Vec<L1Block>, OriginError> {
        let mut blocks = Vec::with_capacity((to + 1 - from) as usize);
        for number in from..=to {
            let block = l1_call(
                self.provider
                    .get_block_by_number(BlockNumberOrTag::Number(number)),
            )
            .await?
            .ok_or_else(|| OriginError::Invalid(format!("L1 block {number} not found")))?;
            if let Some(previous) = blocks.last() {
                let previous: &L1Block = previous;
                if block.header.parent_hash != previous.row.hash {
                    return Err(OriginError::Invalid(format!(
                        "L1 block {number} does not extend the block read before it (L1 reorganised while reading)"
                    )));
                }
            }
            blocks.push(L1Block {
                row: L1BlockRow {
                    number,
                    hash: block.header.hash,
                    parent_hash: block.header.parent_hash,
                    timestamp: block.header.timestamp,
                },
                logs: Vec::new(),
                batch_data: BTreeMap::new(),
            });
        }
        let filter = Filter::new()
            .address(self.rollup)
            .from_block(BlockNumberOrTag::Number(from))
            .to_block(BlockNumberOrTag::Number(to));
        for log in l1_call(self.provider.get_logs(&filter)).await? {
            let (Some(number), Some(hash)) = (log.block_number, log.block_hash) else {
                return Err(OriginError::Invalid("a log without its block".into()));
            };
            let block = blocks
                .get_mut((number - from) as usize)
                .filter(|b| b.row.number == number)
                .ok_or_else(|| OriginError::Invalid(format!("a log from block {number}")))?;
            if block.row.hash != hash {
                return Err(OriginError::Invalid(format!(
                    "a log of L1 block {number} comes from another fork (L1 reorganised while reading)"
                )));
            }
            block.logs.push(log);
        }
        for block in &mut blocks {
            block.logs.sort_by_key(|l| l.log_index);
            for log in &block.logs {
                if let Ok(event) = log.log_decode::<Rollup::BatchAppended>() {
                    let e = event.inner.data;
                    let data = self.batch_data(log, e.hash).await?;
                    block.batch_data.insert(e.index, data);
                }
            }
        }
        Ok(blocks)
    }

    /// The calldata of the `appendBatch` call behind a `BatchAppended` log, checked against the hash
    /// the contract stored. Only direct calls from the batcher's account are read (the devnet's
    /// batcher posts that way); data that cannot be had is reported, and derivation drops the batch.
    async fn batch_data(
        &self,
        log: &Log,
        hash: B256,
    ) -> Result<Result<Bytes, String>, OriginError> {
        let Some(tx_hash) = log.transaction_hash else {
            return Ok(Err("the log names no transaction".into()));
        };
        let Some(tx) = l1_call(self.provider.get_transaction_by_hash(tx_hash)).await? else {
            return Err(OriginError::Invalid(format!(
                "L1 transaction {tx_hash} of a batch not found"
            )));
        };
        let Ok(call) = Rollup::appendBatchCall::abi_decode(tx.input()) else {
            return Ok(Err(
                "the batch was not posted by a direct appendBatch call; its data is unavailable"
                    .into(),
            ));
        };
        if keccak256(&call.data) != hash {
            return Ok(Err(
                "the calldata does not hash to what the contract stored".into(),
            ));
        }
        Ok(Ok(call.data))
    }
}

/// What an L1 block's Rollup logs say, in the index's terms.
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    /// Derivation's input.
    pub input: Option<L1Input>,
    /// Deposits.
    pub deposits: Vec<DepositRow>,
    /// Batches, before derivation decides on them (all marked dropped with the data's problem, or
    /// accepted-to-be-checked with no reason).
    pub batches: Vec<BatchRow>,
    /// Proposals.
    pub proposals: Vec<ProposalRow>,
    /// Games started.
    pub games: Vec<GameRow>,
    /// Other events.
    pub events: Vec<EventRow>,
}

fn turn_name(turn: u8) -> String {
    match Turn::try_from(turn) {
        Ok(Turn::Defender) => "defender".into(),
        Ok(Turn::Challenger) => "challenger".into(),
        Ok(Turn::Arbiter) => "arbiter".into(),
        Err(e) => e.to_string(),
    }
}

fn outcome_name(outcome: u8) -> String {
    match Outcome::try_from(outcome) {
        Ok(Outcome::Open) => "open".into(),
        Ok(Outcome::ProposerWins) => "proposer_wins".into(),
        Ok(Outcome::ChallengerWins) => "challenger_wins".into(),
        Ok(Outcome::NoDecision) => "no_decision".into(),
        Err(e) => e.to_string(),
    }
}

fn resolution_name(resolution: u8) -> String {
    match Resolution::try_from(resolution) {
        Ok(Resolution::Adjudicated) => "adjudicated".into(),
        Ok(Resolution::DefenderTimedOut) => "defender_timed_out".into(),
        Ok(Resolution::ChallengerTimedOut) => "challenger_timed_out".into(),
        Ok(Resolution::ArbiterTimedOut) => "arbiter_timed_out".into(),
        Err(e) => e.to_string(),
    }
}

/// Proposal index as stored: `None` for the contract's `NO_PROPOSAL` (genesis).
fn proposal_ref(index: u64) -> Option<u64> {
    (index != u64::MAX).then_some(index)
}

/// Turns an L1 block's logs into derivation input and index rows.
pub fn decode(block: &L1Block) -> Decoded {
    let mut out = Decoded::default();
    let number = block.row.number;
    let mut deposits = Vec::new();
    let mut posted = Vec::new();
    for log in &block.logs {
        let log_index = log.log_index.unwrap_or_default();
        let l1_tx_hash = log.transaction_hash.unwrap_or_default();
        let Ok(event) = RollupEvents::decode_log(&log.inner) else {
            tracing::warn!(
                l1_block = number,
                log_index,
                "an undecodable Rollup log; ignored"
            );
            continue;
        };
        let mut other = |kind, proposal: Option<u64>, game: Option<u64>, l2: Option<u64>, data| {
            out.events.push(EventRow {
                l1_block: number,
                log_index,
                l1_tx_hash,
                kind,
                proposal_index: proposal,
                game_id: game,
                l2_block: l2,
                data,
            });
        };
        match event.data {
            RollupEvents::Deposited(e) => {
                let deposit = Deposit {
                    nonce: e.nonce,
                    from: e.from,
                    to: e.to,
                    mint: e.value,
                    gas_limit: e.gasLimit,
                    data: e.data,
                };
                deposits.push(deposit.clone());
                out.deposits.push(DepositRow {
                    deposit,
                    l1_block: number,
                    log_index,
                    l1_tx_hash,
                });
            }
            RollupEvents::BatchAppended(e) => {
                let data = block.batch_data.get(&e.index);
                let (status, reason) = match data {
                    Some(Ok(bytes)) => {
                        posted.push(PostedBatch {
                            index: e.index,
                            data: bytes.clone(),
                        });
                        (BatchStatus::Accepted, None)
                    }
                    Some(Err(why)) => (BatchStatus::Dropped, Some(why.clone())),
                    None => (BatchStatus::Dropped, Some("data not read".to_owned())),
                };
                out.batches.push(BatchRow {
                    index: e.index,
                    l1_block: number,
                    log_index,
                    l1_tx_hash,
                    data_hash: e.hash,
                    size: e.size.try_into().unwrap_or(u64::MAX),
                    raw_size: None,
                    status,
                    reason,
                    parent_hash: None,
                    blocks: None,
                    data: data.and_then(|d| d.as_ref().ok()).cloned(),
                });
            }
            RollupEvents::OutputProposed(e) => out.proposals.push(ProposalRow {
                index: e.index,
                l1_block: number,
                log_index,
                l1_tx_hash,
                proposer: e.proposer,
                l2_block: e.l2Block,
                output_root: e.outputRoot,
                parent: proposal_ref(e.parent),
                parent_l2_block: e.parentL2Block,
                deadline: e.deadline,
                bond: e.bond,
            }),
            RollupEvents::GameStarted(e) => out.games.push(GameRow {
                id: e.gameId,
                proposal_index: e.proposalIndex,
                l1_block: number,
                log_index,
                l1_tx_hash,
                challenger: e.challenger,
                proposer: e.proposer,
                agreed_block: e.agreedBlock,
                agreed_root: e.agreedRoot,
                disputed_block: e.disputedBlock,
                disputed_root: e.disputedRoot,
                turn: turn_name(e.turn),
                deadline: e.deadline,
            }),
            RollupEvents::Defended(e) => other(
                "defended",
                Some(e.proposalIndex),
                Some(e.gameId),
                Some(e.midBlock),
                json!({
                    "mover": e.mover, "agreed_block": e.agreedBlock,
                    "disputed_block": e.disputedBlock, "mid_block": e.midBlock,
                    "mid_root": e.midRoot, "deadline": e.deadline,
                }),
            ),
            RollupEvents::Responded(e) => other(
                "responded",
                Some(e.proposalIndex),
                Some(e.gameId),
                None,
                json!({
                    "mover": e.mover, "agree": e.agree, "agreed_block": e.agreedBlock,
                    "agreed_root": e.agreedRoot, "disputed_block": e.disputedBlock,
                    "disputed_root": e.disputedRoot, "turn": turn_name(e.turn),
                    "deadline": e.deadline,
                }),
            ),
            RollupEvents::Adjudicated(e) => other(
                "adjudicated",
                Some(e.proposalIndex),
                Some(e.gameId),
                Some(e.l2Block),
                json!({
                    "arbiter": e.arbiter, "l2_block": e.l2Block, "agreed_root": e.agreedRoot,
                    "disputed_root": e.disputedRoot, "proposer_wins": e.proposerWins,
                }),
            ),
            RollupEvents::GameResolved(e) => other(
                "resolved",
                Some(e.proposalIndex),
                Some(e.gameId),
                None,
                json!({
                    "outcome": outcome_name(e.outcome), "resolution": resolution_name(e.resolution),
                    "winner": e.winner, "payout": e.payout.to_string(),
                }),
            ),
            RollupEvents::ProposalsInvalidated(e) => other(
                "invalidated",
                Some(e.index),
                None,
                Some(e.latestValidL2Block),
                json!({
                    "latest_valid": proposal_ref(e.latestValid),
                    "latest_valid_l2_block": e.latestValidL2Block,
                }),
            ),
            RollupEvents::ProposalFinalized(e) => other(
                "finalized",
                Some(e.index),
                None,
                Some(e.l2Block),
                json!({ "l2_block": e.l2Block, "output_root": e.outputRoot }),
            ),
            RollupEvents::BondReclaimed(e) => other(
                "bond_reclaimed",
                Some(e.index),
                None,
                None,
                json!({ "proposer": e.proposer, "amount": e.amount.to_string() }),
            ),
            // Not one of the game's moves: the game's payout is on its `resolved` move.
            RollupEvents::BondBurned(e) => other(
                "bond_burned",
                Some(e.proposalIndex),
                None,
                None,
                json!({ "game_id": e.gameId, "amount": e.amount.to_string() }),
            ),
            RollupEvents::Credited(e) => other(
                "credited",
                None,
                None,
                None,
                json!({ "account": e.account, "amount": e.amount.to_string() }),
            ),
            RollupEvents::Withdrawn(e) => other(
                "withdrawn",
                None,
                None,
                None,
                json!({ "account": e.account, "amount": e.amount.to_string() }),
            ),
            RollupEvents::RollupInitialized(_) => {}
        }
    }
    out.input = Some(L1Input {
        block: L1Origin {
            number,
            hash: block.row.hash,
            timestamp: block.row.timestamp,
            deposits,
        },
        parent_hash: block.row.parent_hash,
        batches: posted,
    });
    out
}
