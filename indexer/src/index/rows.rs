//! What derivation of one L1 block writes to the index.

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, U256};
use light_node::{Deposit, SkippedTransaction};

/// An L1 block derivation took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1BlockRow {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: B256,
    /// Parent hash.
    pub parent_hash: B256,
    /// Timestamp.
    pub timestamp: u64,
}

/// A `Deposited` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositRow {
    /// The deposit.
    pub deposit: Deposit,
    /// Its L1 block.
    pub l1_block: u64,
    /// Its log index in that block.
    pub log_index: u64,
    /// The L1 transaction.
    pub l1_tx_hash: B256,
}

/// Whether derivation took a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchStatus {
    /// Its blocks are part of the safe chain.
    Accepted,
    /// It changed nothing; see the reason.
    Dropped,
}

impl BatchStatus {
    /// The stored (and served) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Dropped => "dropped",
        }
    }
}

/// A `BatchAppended` event and what derivation made of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    /// The contract's batch index.
    pub index: u64,
    /// Its L1 block.
    pub l1_block: u64,
    /// Its log index.
    pub log_index: u64,
    /// The L1 transaction that posted it.
    pub l1_tx_hash: B256,
    /// keccak256 of the data, as the contract stored it.
    pub data_hash: B256,
    /// Bytes posted.
    pub size: u64,
    /// Bytes once decompressed, for an accepted batch.
    pub raw_size: Option<u64>,
    /// Accepted or dropped.
    pub status: BatchStatus,
    /// Why it was dropped.
    pub reason: Option<String>,
    /// The L2 block it builds on, when it decoded.
    pub parent_hash: Option<B256>,
    /// First and last L2 block it made safe.
    pub blocks: Option<(u64, u64)>,
    /// The posted bytes, when they could be read.
    pub data: Option<Bytes>,
}

/// A derived L2 block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRow {
    /// The header.
    pub header: Header,
    /// Its hash.
    pub hash: B256,
    /// Its output root.
    pub output_root: B256,
    /// L1 origin number.
    pub l1_origin: u64,
    /// L1 origin hash.
    pub l1_origin_hash: B256,
    /// The L1 block whose data made it safe.
    pub l1_block: u64,
    /// The batch it came from (`None`: force-included, or genesis).
    pub batch_index: Option<u64>,
    /// Transactions it holds.
    pub tx_count: u64,
}

/// A transaction of a derived block, with its receipt's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxRow {
    /// Hash.
    pub hash: B256,
    /// Position in the block.
    pub index: u64,
    /// EIP-2718 type.
    pub tx_type: u8,
    /// Sender.
    pub from: Address,
    /// Recipient (`None`: contract creation).
    pub to: Option<Address>,
    /// The contract a creation made.
    pub contract_address: Option<Address>,
    /// Sender nonce (deposit nonce for deposits).
    pub nonce: u64,
    /// Wei sent (minted, for deposits).
    pub value: U256,
    /// Gas limit.
    pub gas_limit: u64,
    /// Gas used.
    pub gas_used: u64,
    /// Price paid per gas.
    pub effective_gas_price: u128,
    /// Whether it succeeded.
    pub success: bool,
    /// The L1 deposit it comes from.
    pub deposit_nonce: Option<u64>,
    /// EIP-2718 bytes.
    pub raw: Bytes,
}

impl TxRow {
    /// The accounts the transaction concerns: sender, recipient, created contract.
    pub fn accounts(&self) -> impl Iterator<Item = Address> + '_ {
        let mut seen = vec![self.from];
        for a in [self.to, self.contract_address].into_iter().flatten() {
            if !seen.contains(&a) {
                seen.push(a);
            }
        }
        seen.into_iter()
    }
}

/// A log of a derived block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRow {
    /// Position in the block.
    pub log_index: u64,
    /// The transaction.
    pub tx_hash: B256,
    /// Its position.
    pub tx_index: u64,
    /// Emitter.
    pub address: Address,
    /// Topics.
    pub topics: Vec<B256>,
    /// Data.
    pub data: Bytes,
}

/// An account as it is after a block that touched it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    /// The account.
    pub address: Address,
    /// Nonce.
    pub nonce: u64,
    /// Balance.
    pub balance: U256,
    /// Code hash.
    pub code_hash: B256,
}

/// Everything one derived block writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockWrite {
    /// The block.
    pub row: BlockRow,
    /// Its transactions.
    pub transactions: Vec<TxRow>,
    /// User transactions left out.
    pub skipped: Vec<SkippedTransaction>,
    /// Its logs.
    pub logs: Vec<LogRow>,
    /// Accounts it touched.
    pub accounts: Vec<AccountRow>,
}

/// An `OutputProposed` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalRow {
    /// Proposal index.
    pub index: u64,
    /// L1 block.
    pub l1_block: u64,
    /// Log index.
    pub log_index: u64,
    /// L1 transaction.
    pub l1_tx_hash: B256,
    /// Proposer.
    pub proposer: Address,
    /// The L2 block the root is claimed for.
    pub l2_block: u64,
    /// The claimed output root.
    pub output_root: B256,
    /// The proposal it builds on (`None`: genesis).
    pub parent: Option<u64>,
    /// The parent's L2 block.
    pub parent_l2_block: u64,
    /// Challenges are accepted strictly before this L1 timestamp.
    pub deadline: u64,
    /// Bond in wei.
    pub bond: U256,
}

/// A `GameStarted` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GameRow {
    /// Game id.
    pub id: u64,
    /// The disputed proposal.
    pub proposal_index: u64,
    /// L1 block.
    pub l1_block: u64,
    /// Log index.
    pub log_index: u64,
    /// L1 transaction.
    pub l1_tx_hash: B256,
    /// Challenger.
    pub challenger: Address,
    /// Proposer.
    pub proposer: Address,
    /// Highest agreed block.
    pub agreed_block: u64,
    /// Its root.
    pub agreed_root: B256,
    /// Lowest disputed block.
    pub disputed_block: u64,
    /// Its claimed root.
    pub disputed_root: B256,
    /// Who moves first.
    pub turn: String,
    /// Deadline of the first move.
    pub deadline: u64,
}

/// Any later Rollup event about proposals and games.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// L1 block.
    pub l1_block: u64,
    /// Log index.
    pub log_index: u64,
    /// L1 transaction.
    pub l1_tx_hash: B256,
    /// Event kind (`defended`, `responded`, `adjudicated`, `resolved`, `invalidated`, `finalized`,
    /// `bond_reclaimed`, `bond_burned`, `credited`, `withdrawn`).
    pub kind: &'static str,
    /// The proposal concerned.
    pub proposal_index: Option<u64>,
    /// The game concerned.
    pub game_id: Option<u64>,
    /// An L2 block number the event names (finalized or latest valid block).
    pub l2_block: Option<u64>,
    /// The event's fields.
    pub data: serde_json::Value,
}

/// Everything derived from one L1 block.
#[derive(Debug, Clone, PartialEq)]
pub struct L1BlockWrite {
    /// The L1 block.
    pub block: L1BlockRow,
    /// Its deposits.
    pub deposits: Vec<DepositRow>,
    /// Its batches.
    pub batches: Vec<BatchRow>,
    /// The L2 blocks it made safe.
    pub blocks: Vec<BlockWrite>,
    /// Its proposals.
    pub proposals: Vec<ProposalRow>,
    /// Its games.
    pub games: Vec<GameRow>,
    /// Its other Rollup events.
    pub events: Vec<EventRow>,
    /// Trie nodes the new blocks created that the index does not hold yet (written as given: the
    /// table has no key to deduplicate on).
    pub nodes: Vec<(B256, Bytes)>,
    /// Code the new blocks deployed.
    pub codes: Vec<(B256, Bytes)>,
}
