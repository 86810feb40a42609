//! The proposer: posts the output root of every `interval`-th L2 block to the Rollup contract, with
//! the bond, once that block is in an L1 batch; and finalizes its proposals when their challenge
//! window has passed, so their bonds come back.
//!
//! For demonstrations it can be faulty: every `faulty_every`-th proposal then carries a wrong root,
//! which the challenger ([`crate::challenger`]) catches.
//!
//! It keeps no state of its own: each round reads the latest valid proposal from the contract, after
//! letting an in-flight proposal (from before a crash) land, so a restart never proposes twice.

use std::{sync::Arc, time::Duration};

use alloy::providers::DynProvider;
use alloy::sol_types::SolCall;
use alloy_primitives::{Address, B256, U256};
use contracts::Rollup::{self, RollupInstance};

use crate::{
    l1tx::{L1Sender, L1TxError},
    sequencer::{OriginError, Sequencer},
};

/// How often to propose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposerConfig {
    /// Propose the output root of every block whose number is a multiple of this.
    pub interval: u64,
    /// How often to look.
    pub poll: Duration,
    /// Whether to call `finalize` on proposals whose window has passed.
    pub finalize: bool,
    /// A faulty proposer for demonstrations: every proposal whose index + 1 is a multiple of this
    /// carries a wrong output root, unless its block was proposed wrongly before (0: always honest).
    pub faulty_every: u64,
}

impl Default for ProposerConfig {
    fn default() -> Self {
        Self {
            interval: 10,
            poll: Duration::from_secs(1),
            finalize: true,
            faulty_every: 0,
        }
    }
}

/// Why a proposer round failed.
#[derive(Debug, thiserror::Error)]
pub enum ProposerError {
    /// Reading L1 failed.
    #[error(transparent)]
    L1(#[from] OriginError),
    /// A contract read failed.
    #[error("Rollup contract read failed: {0}")]
    Read(String),
    /// Sending failed.
    #[error(transparent)]
    Send(#[from] L1TxError),
}

/// A proposal this proposer made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposed {
    /// The L2 block.
    pub l2_block: u64,
    /// Its output root.
    pub output_root: B256,
    /// The L1 block the proposal landed in.
    pub l1_block: u64,
}

/// The proposer.
#[derive(Debug)]
pub struct Proposer {
    sequencer: Arc<Sequencer>,
    sender: L1Sender,
    rollup: RollupInstance<DynProvider>,
    config: ProposerConfig,
    settled: bool,
    /// Blocks the faulty proposer has proposed a wrong root for.
    faulted: std::collections::BTreeSet<u64>,
}

impl Proposer {
    /// A proposer for `sequencer`'s chain, sending from `sender`.
    pub fn new(sequencer: Arc<Sequencer>, sender: L1Sender, config: ProposerConfig) -> Self {
        let rollup = Rollup::new(sequencer.genesis().rollup, sender.provider().clone());
        Self {
            sequencer,
            sender,
            rollup,
            config,
            settled: false,
            faulted: Default::default(),
        }
    }

    async fn read<T, E: std::fmt::Display>(
        fut: impl IntoFuture<Output = Result<T, E>>,
    ) -> Result<T, ProposerError> {
        crate::sequencer::l1_call(fut)
            .await
            .map_err(|e| ProposerError::Read(e.to_string()))
    }

    /// One round: finalizes what can be, then proposes the next block if it is batched.
    pub async fn step(&mut self) -> Result<Option<Proposed>, ProposerError> {
        if !self.settled {
            self.settled = self.sender.settle(Duration::from_secs(60)).await?;
            if !self.settled {
                return Ok(None);
            }
        }
        let finalized = Self::read(self.rollup.latestFinalized().call()).await?;
        self.sequencer.set_finalized(finalized.l2Block);
        if self.config.finalize {
            self.finalize_next(finalized.index).await?;
        }
        let latest = Self::read(self.rollup.latestValid().call()).await?;
        let interval = self.config.interval.max(1);
        let target = (latest.l2Block / interval + 1) * interval;
        if target > self.sequencer.safe_number() {
            return Ok(None);
        }
        let Some(block) = self.sequencer.block(target) else {
            return Ok(None);
        };
        let bond = Self::read(self.rollup.proposalBond().call()).await?;
        let mut root = block.output_root();
        let count = Self::read(self.rollup.proposalCount().call()).await?;
        // A block proposed wrongly once is proposed honestly after its proposal loses.
        if self.config.faulty_every > 0
            && (count + 1) % self.config.faulty_every == 0
            && self.faulted.insert(target)
        {
            root = alloy_primitives::keccak256(root);
            tracing::warn!(
                index = count,
                l2_block = target,
                %root,
                "faulty proposer: proposing a wrong output root"
            );
        }
        let call = Rollup::proposeCall {
            l2Block: target,
            outputRoot: root,
        };
        let receipt = self
            .sender
            .send(*self.rollup.address(), call.abi_encode().into(), bond)
            .await?;
        let proposed = Proposed {
            l2_block: target,
            output_root: root,
            l1_block: receipt.block_number.unwrap_or_default(),
        };
        tracing::info!(l2_block = target, %root, l1_block = proposed.l1_block, "output root proposed");
        Ok(Some(proposed))
    }

    /// Finalizes the oldest proposal after `latest_finalized` if its window has passed.
    async fn finalize_next(&mut self, latest_finalized: u64) -> Result<(), ProposerError> {
        let next = latest_finalized.wrapping_add(1);
        let count = Self::read(self.rollup.proposalCount().call()).await?;
        // Walk forward past invalidated proposals to the first valid one.
        let mut index = if latest_finalized == u64::MAX {
            0
        } else {
            next
        };
        while index < count {
            if Self::read(self.rollup.isValid(index).call()).await? {
                break;
            }
            index += 1;
        }
        if index >= count || !Self::read(self.rollup.canFinalize(index).call()).await? {
            return Ok(());
        }
        let call = Rollup::finalizeCall { index };
        match self
            .sender
            .send(*self.rollup.address(), call.abi_encode().into(), U256::ZERO)
            .await
        {
            Ok(_) => tracing::info!(index, "proposal finalized"),
            // Someone else finalized it first.
            Err(L1TxError::WouldRevert(e)) => {
                tracing::debug!(index, error = %e, "finalize skipped")
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Proposes until the task is dropped.
    pub async fn run(mut self) {
        loop {
            match self.step().await {
                Ok(Some(_)) => continue,
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "proposer round failed; retrying"),
            }
            tokio::time::sleep(self.config.poll).await;
        }
    }

    /// The account proposals come from.
    pub fn address(&self) -> Address {
        self.sender.address()
    }
}
