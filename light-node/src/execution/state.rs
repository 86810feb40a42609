//! The L2 world state and the per-block database revm executes against.

use std::collections::{BTreeSet, HashMap, HashSet};

use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY, U256, keccak256};
use alloy_rlp::Decodable;
use alloy_trie::TrieAccount;
use revm::{
    Database, DatabaseCommit,
    primitives::AddressMap,
    state::{Account, AccountInfo, Bytecode},
};

use super::{BlockHashes, ExecError};
use crate::trie::{EMPTY_ROOT, NodeStore, Trie};

/// An account as the state trie stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountState {
    /// Transactions sent (or contracts created, for a contract).
    pub nonce: u64,
    /// Wei held.
    pub balance: U256,
    /// Root of the account's storage trie.
    pub storage_root: B256,
    /// keccak256 of the account's code.
    pub code_hash: B256,
}

impl AccountState {
    fn from_trie(account: TrieAccount) -> Self {
        Self {
            nonce: account.nonce,
            balance: account.balance,
            storage_root: account.storage_root,
            code_hash: account.code_hash,
        }
    }

    fn to_trie(self) -> TrieAccount {
        TrieAccount {
            nonce: self.nonce,
            balance: self.balance,
            storage_root: self.storage_root,
            code_hash: self.code_hash,
        }
    }
}

/// The L2 world state: the state root, the trie nodes behind it and the contract code it refers to.
///
/// On the server the store holds every node of every state so far (any past root can be read); in the
/// browser it holds a witness, and a lookup outside the witness is an error, never a guess.
#[derive(Debug, Clone)]
pub struct L2State {
    /// Trie nodes of the state trie and every storage trie, by hash.
    pub nodes: NodeStore,
    /// Contract code by keccak256 hash.
    pub codes: HashMap<B256, Bytes>,
    /// The current state root.
    pub root: B256,
}

impl Default for L2State {
    fn default() -> Self {
        Self {
            nodes: NodeStore::new(),
            codes: HashMap::new(),
            root: EMPTY_ROOT,
        }
    }
}

impl L2State {
    /// A state from a witness: trie nodes and contract code, trusted only through `root`.
    pub fn from_witness(root: B256, nodes: Vec<Bytes>, codes: Vec<Bytes>) -> Self {
        Self {
            nodes: NodeStore::from_witness(nodes),
            codes: codes.into_iter().map(|c| (keccak256(&c), c)).collect(),
            root,
        }
    }

    /// Reads an account at the current root.
    pub fn account(&mut self, address: Address) -> Result<Option<AccountState>, ExecError> {
        read_account(&mut Trie::from_root(self.root), &mut self.nodes, address)
    }

    /// Reads a storage slot of an account at the current root.
    pub fn storage(&mut self, address: Address, slot: U256) -> Result<U256, ExecError> {
        let Some(account) = self.account(address)? else {
            return Ok(U256::ZERO);
        };
        read_slot(
            &mut Trie::from_root(account.storage_root),
            &mut self.nodes,
            address,
            slot,
        )
    }

    /// Sets accounts directly, for a genesis allocation; returns the new root.
    pub fn allocate(
        &mut self,
        accounts: impl IntoIterator<Item = (Address, U256)>,
    ) -> Result<B256, ExecError> {
        let mut trie = Trie::from_root(self.root);
        for (address, balance) in accounts {
            let account = AccountState {
                nonce: 0,
                balance,
                storage_root: EMPTY_ROOT,
                code_hash: KECCAK256_EMPTY,
            };
            trie.insert(
                &mut self.nodes,
                keccak256(address).as_slice(),
                alloy_rlp::encode(account.to_trie()),
            )
            .map_err(ExecError::StateTrie)?;
        }
        self.root = trie.commit(&mut self.nodes);
        Ok(self.root)
    }
}

fn read_account(
    trie: &mut Trie,
    nodes: &mut NodeStore,
    address: Address,
) -> Result<Option<AccountState>, ExecError> {
    let Some(leaf) = trie
        .get(nodes, keccak256(address).as_slice())
        .map_err(ExecError::StateTrie)?
    else {
        return Ok(None);
    };
    let account = TrieAccount::decode(&mut leaf.as_ref()).map_err(|e| ExecError::BadAccount {
        address,
        reason: e.to_string(),
    })?;
    Ok(Some(AccountState::from_trie(account)))
}

fn read_slot(
    trie: &mut Trie,
    nodes: &mut NodeStore,
    address: Address,
    slot: U256,
) -> Result<U256, ExecError> {
    let key = keccak256(B256::from(slot));
    let leaf = trie
        .get(nodes, key.as_slice())
        .map_err(|source| ExecError::StorageTrie { address, source })?;
    match leaf {
        None => Ok(U256::ZERO),
        Some(leaf) => U256::decode(&mut leaf.as_ref()).map_err(|e| ExecError::BadStorage {
            address,
            reason: e.to_string(),
        }),
    }
}

/// An account as the block has seen and changed it so far.
#[derive(Debug)]
struct CachedAccount {
    /// As the state trie had it before the block.
    original: Option<AccountState>,
    /// Nonce, balance and code hash now; `None` once deleted.
    current: Option<(u64, U256, B256)>,
    /// Slot values known: read from the trie or written by the block.
    storage: HashMap<U256, U256>,
    /// Slots written by the block.
    dirty: HashSet<U256>,
    /// The account was created or destroyed by the block: the trie's storage no longer applies.
    storage_cleared: bool,
    /// The block changed the account.
    changed: bool,
}

/// The database revm executes one block against: reads go to the state trie (recording, for the
/// witness, which code and block hashes were used), writes stay in memory until [`finish`](Self::finish).
#[derive(Debug)]
pub(crate) struct BlockDb<'a> {
    state: &'a mut L2State,
    hashes: &'a BlockHashes,
    state_trie: Trie,
    storage_tries: HashMap<Address, Trie>,
    accounts: HashMap<Address, CachedAccount>,
    new_codes: HashMap<B256, Bytes>,
    /// An error met where revm's interface cannot return one (in `commit`).
    deferred: Option<ExecError>,
    pub(crate) codes_read: BTreeSet<B256>,
    pub(crate) hashes_read: BTreeSet<u64>,
}

impl<'a> BlockDb<'a> {
    pub(crate) fn new(state: &'a mut L2State, hashes: &'a BlockHashes) -> Self {
        let state_trie = Trie::from_root(state.root);
        Self {
            state,
            hashes,
            state_trie,
            storage_tries: HashMap::new(),
            accounts: HashMap::new(),
            new_codes: HashMap::new(),
            deferred: None,
            codes_read: BTreeSet::new(),
            hashes_read: BTreeSet::new(),
        }
    }

    fn load(&mut self, address: Address) -> Result<&mut CachedAccount, ExecError> {
        if !self.accounts.contains_key(&address) {
            let original = read_account(&mut self.state_trie, &mut self.state.nodes, address)?;
            self.accounts.insert(
                address,
                CachedAccount {
                    original,
                    current: original.map(|a| (a.nonce, a.balance, a.code_hash)),
                    storage: HashMap::new(),
                    dirty: HashSet::new(),
                    storage_cleared: false,
                    changed: false,
                },
            );
        }
        Ok(self.accounts.get_mut(&address).expect("inserted above"))
    }

    /// The current nonce of an account (zero if it does not exist).
    pub(crate) fn nonce(&mut self, address: Address) -> Result<u64, ExecError> {
        Ok(self.load(address)?.current.map_or(0, |(nonce, _, _)| nonce))
    }

    /// Adds wei to an account, creating it if needed (a deposit's mint).
    pub(crate) fn mint(&mut self, address: Address, value: U256) -> Result<(), ExecError> {
        if value.is_zero() {
            return Ok(());
        }
        let account = self.load(address)?;
        let (nonce, balance, code_hash) =
            account.current.unwrap_or((0, U256::ZERO, KECCAK256_EMPTY));
        account.current = Some((nonce, balance.saturating_add(value), code_hash));
        account.changed = true;
        Ok(())
    }

    /// The error `commit` could not return, if any.
    pub(crate) fn take_deferred(&mut self) -> Result<(), ExecError> {
        self.deferred.take().map_or(Ok(()), Err)
    }

    fn commit_account(&mut self, address: Address, account: Account) -> Result<(), ExecError> {
        if !account.is_touched() {
            return Ok(());
        }
        let code = account.info.code.clone();
        let code_hash = account.info.code_hash;
        let cached = self.load(address)?;
        cached.changed = true;
        if account.is_selfdestructed() {
            cached.current = None;
            cached.storage.clear();
            cached.dirty.clear();
            cached.storage_cleared = true;
            return Ok(());
        }
        if account.is_created() {
            cached.storage.clear();
            cached.dirty.clear();
            cached.storage_cleared = true;
        }
        for (slot, value) in account.changed_storage_slots() {
            cached.storage.insert(*slot, value.present_value());
            cached.dirty.insert(*slot);
        }
        // EIP-161: a touched account left empty is removed.
        cached.current = if account.info.is_empty() {
            None
        } else {
            Some((account.info.nonce, account.info.balance, code_hash))
        };
        if code_hash != KECCAK256_EMPTY
            && !self.state.codes.contains_key(&code_hash)
            && let Some(code) = code
        {
            self.new_codes
                .entry(code_hash)
                .or_insert_with(|| code.original_bytes());
        }
        Ok(())
    }

    /// Writes the block's changes to the tries and returns the new state root. Nothing is written to
    /// `state` before every trie update has succeeded.
    pub(crate) fn finish(mut self) -> Result<B256, ExecError> {
        self.take_deferred()?;
        let mut changed: Vec<Address> = self
            .accounts
            .iter()
            .filter(|(_, a)| a.changed)
            .map(|(addr, _)| *addr)
            .collect();
        changed.sort();
        for address in changed {
            let account = self.accounts.remove(&address).expect("listed above");
            let key = keccak256(address);
            let Some((nonce, balance, code_hash)) = account.current else {
                if account.original.is_some() {
                    self.state_trie
                        .remove(&mut self.state.nodes, key.as_slice())
                        .map_err(ExecError::StateTrie)?;
                }
                continue;
            };
            let base_root = match account.original {
                Some(original) if !account.storage_cleared => original.storage_root,
                _ => EMPTY_ROOT,
            };
            let storage_root = if account.dirty.is_empty() {
                base_root
            } else {
                let mut trie = match self.storage_tries.remove(&address) {
                    Some(trie) if !account.storage_cleared => trie,
                    _ => Trie::from_root(base_root),
                };
                let mut slots: Vec<U256> = account.dirty.iter().copied().collect();
                slots.sort();
                for slot in slots {
                    let value = account.storage.get(&slot).copied().unwrap_or_default();
                    let slot_key = keccak256(B256::from(slot));
                    let result = if value.is_zero() {
                        trie.remove(&mut self.state.nodes, slot_key.as_slice())
                    } else {
                        trie.insert(
                            &mut self.state.nodes,
                            slot_key.as_slice(),
                            alloy_rlp::encode(value),
                        )
                    };
                    result.map_err(|source| ExecError::StorageTrie { address, source })?;
                }
                trie.commit(&mut self.state.nodes)
            };
            let leaf = AccountState {
                nonce,
                balance,
                storage_root,
                code_hash,
            }
            .to_trie();
            self.state_trie
                .insert(
                    &mut self.state.nodes,
                    key.as_slice(),
                    alloy_rlp::encode(leaf),
                )
                .map_err(ExecError::StateTrie)?;
        }
        let root = self.state_trie.commit(&mut self.state.nodes);
        self.state.codes.extend(self.new_codes);
        self.state.root = root;
        Ok(root)
    }
}

impl Database for BlockDb<'_> {
    type Error = ExecError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, ExecError> {
        Ok(self
            .load(address)?
            .current
            .map(|(nonce, balance, code_hash)| AccountInfo {
                balance,
                nonce,
                code_hash,
                code: None,
                ..Default::default()
            }))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, ExecError> {
        if code_hash == KECCAK256_EMPTY {
            return Ok(Bytecode::default());
        }
        if let Some(code) = self.new_codes.get(&code_hash) {
            return Ok(Bytecode::new_raw(code.clone()));
        }
        let code = self
            .state
            .codes
            .get(&code_hash)
            .ok_or(ExecError::MissingCode(code_hash))?;
        self.codes_read.insert(code_hash);
        Ok(Bytecode::new_raw(code.clone()))
    }

    fn storage(&mut self, address: Address, slot: U256) -> Result<U256, ExecError> {
        let account = self.load(address)?;
        if let Some(value) = account.storage.get(&slot) {
            return Ok(*value);
        }
        let root = match account.original {
            Some(original) if !account.storage_cleared => original.storage_root,
            _ => return Ok(U256::ZERO),
        };
        let trie = self
            .storage_tries
            .entry(address)
            .or_insert_with(|| Trie::from_root(root));
        let value = read_slot(trie, &mut self.state.nodes, address, slot)?;
        self.accounts
            .get_mut(&address)
            .expect("loaded above")
            .storage
            .insert(slot, value);
        Ok(value)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, ExecError> {
        let hash = self
            .hashes
            .get(number)
            .ok_or(ExecError::MissingBlockHash(number))?;
        self.hashes_read.insert(number);
        Ok(hash)
    }
}

impl DatabaseCommit for BlockDb<'_> {
    fn commit(&mut self, changes: AddressMap<Account>) {
        let mut changes: Vec<_> = changes.into_iter().collect();
        changes.sort_by_key(|(address, _)| *address);
        for (address, account) in changes {
            if let Err(e) = self.commit_account(address, account) {
                self.deferred.get_or_insert(e);
            }
        }
    }
}
