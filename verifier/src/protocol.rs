//! The messages between the page and the verifier worker, sent as JSON strings through
//! `postMessage`. Enums are externally tagged (`{"done": {…}}`, `"verified"`): serde reads that
//! form without buffering, which keeps the page's decoder small.

use alloy_primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};

/// A job for the worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Chosen by the page; every reply to this request carries it.
    pub id: u32,
    /// Where to read L1 and the index.
    pub endpoints: Endpoints,
    /// Roots this browser computed before: trusted starting points.
    pub known: Vec<KnownRoot>,
    /// What to do.
    pub task: Task,
}

/// The two sources: L1, which is trusted, and the indexer, which is not. The L1 node and the
/// Rollup contract are the user's choice: the worker never takes either from the indexer, which
/// could otherwise point it at an "L1" of its own making.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    /// JSON-RPC URL of an L1 node the user trusts.
    pub l1: String,
    /// Base URL of the indexer's API (`…/api/v1`).
    pub indexer: String,
    /// The Rollup contract the user chose.
    pub rollup: Address,
}

/// An L2 block's roots as this browser computed them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownRoot {
    /// L2 block number.
    pub number: u64,
    /// Its state root.
    pub state_root: B256,
    /// Its output root.
    pub output_root: B256,
}

/// What the page asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// Verify a batch and compare its blocks with every proposal on L1 for them.
    Batch {
        /// The Rollup contract's batch index.
        index: u64,
    },
    /// Compute the output roots of these blocks and compare them with the proposals on L1.
    Blocks {
        /// L2 block numbers.
        numbers: Vec<u64>,
    },
    /// Check an account's balance, nonce, code hash and storage with an EIP-1186 proof against the
    /// state root of the latest batch's last block, verified first.
    Account {
        /// The account.
        address: Address,
        /// Storage slots to prove.
        slots: Vec<B256>,
    },
}

/// A message from the worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// Work in progress.
    Progress {
        /// The request.
        id: u32,
        /// What is being done.
        step: String,
        /// Batches verified so far.
        done: u32,
        /// Batches to verify in all.
        total: u32,
    },
    /// The request's result.
    Done {
        /// The request.
        id: u32,
        /// The result.
        outcome: Box<Outcome>,
    },
}

/// The one-word answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Re-executed from L1 data; every proposal on L1 for these blocks that L1 still counts valid
    /// equals the computed root (or there is none yet), and the account proof checks out. Wrong
    /// proposals that already lost their game are listed, but do not make a mismatch.
    Verified,
    /// Some proposal that L1 still counts valid differs from the computed root: it claims a wrong
    /// state (fraud), and no game has removed it yet.
    Mismatch,
    /// No verdict: the data needed could not be read or did not check out.
    CannotVerify {
        /// Why.
        reason: String,
    },
}

impl Verdict {
    /// The label the page shows.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Mismatch => "mismatch",
            Self::CannotVerify { .. } => "cannot verify",
        }
    }
}

/// The pre-state the verification started from, and why it is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trust {
    /// The genesis output root stored in the Rollup contract.
    Genesis,
    /// A proposal that is finalized in L1's finalized state.
    Finalized {
        /// The proposal's index.
        proposal: u64,
        /// Its L2 block.
        block: u64,
    },
    /// A root this browser computed before.
    Browser {
        /// The L2 block.
        block: u64,
    },
}

/// One re-executed batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchReport {
    /// The contract's batch index.
    pub index: u64,
    /// Its first L2 block.
    pub first: u64,
    /// Its last L2 block.
    pub last: u64,
    /// Size of the batch data read from L1, in bytes.
    pub bytes: u64,
    /// Milliseconds spent reading L1 and the witness.
    pub fetch_ms: u64,
    /// Milliseconds spent re-deriving and re-executing.
    pub execute_ms: u64,
}

/// A proposal on L1 compared with the root computed here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalCheck {
    /// The proposal's index.
    pub index: u64,
    /// Its L2 block.
    pub block: u64,
    /// The output root it claims.
    pub claimed: B256,
    /// The output root computed here.
    pub computed: B256,
    /// Whether L1 still counts it valid (it has not lost a game, nor has any proposal it builds
    /// on), as L1 says.
    pub standing: bool,
}

impl ProposalCheck {
    /// Whether the claim is right.
    pub fn matches(&self) -> bool {
        self.claimed == self.computed
    }
}

/// An account as proved against a verified state root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCheck {
    /// The L2 block whose state was proved.
    pub block: u64,
    /// Its state root, computed by this browser.
    pub state_root: B256,
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Code hash.
    pub code_hash: B256,
    /// Proved storage values.
    pub storage: Vec<(B256, U256)>,
}

/// Everything a finished request reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The answer.
    pub verdict: Verdict,
    /// Where the chain of re-execution started.
    pub trusted: Option<Trust>,
    /// The batches re-executed, oldest first.
    pub batches: Vec<BatchReport>,
    /// The proposals compared.
    pub proposals: Vec<ProposalCheck>,
    /// Every block root computed, for the page to keep.
    pub roots: Vec<KnownRoot>,
    /// For [`Task::Blocks`]: the output root of each block asked for that could be computed (or was
    /// known), by block.
    pub outputs: Vec<(u64, B256)>,
    /// The account, for [`Task::Account`].
    pub account: Option<AccountCheck>,
    /// Milliseconds from request to answer.
    pub total_ms: u64,
}

impl Outcome {
    /// An outcome with no work done.
    pub fn cannot_verify(reason: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::CannotVerify {
                reason: reason.into(),
            },
            trusted: None,
            batches: Vec::new(),
            proposals: Vec::new(),
            roots: Vec::new(),
            outputs: Vec::new(),
            account: None,
            total_ms: 0,
        }
    }
}
