//! Carrying out a request: reading L1 and the indexer, re-executing batches from a trusted root,
//! and comparing the computed roots with what L1 holds.
//!
//! Trust: L1 (the user's endpoint) is believed; the indexer is not. The indexer names which batch
//! holds which blocks and serves the witness; anything it gets wrong ends in "cannot verify", never
//! in a false "verified", because batch data is checked against the hash the contract stored, the
//! parent against a trusted output root, and every witness node against the state root.

use std::collections::BTreeMap;

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_rlp::Decodable;
use alloy_sol_types::{SolCall, SolEvent, sol};
use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY, TrieAccount};
use light_node::{
    ChainConfig, Deposit, L1Origin, VerifyRequest, Witness, check_batch, decode_batch,
    l1_origin_number_of, output_root, verify_batch, verify_proof,
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    net::{Indexer, L1, Net, NetError, Source, SourceExt},
    protocol::{
        AccountCheck, BatchReport, KnownRoot, Outcome, ProposalCheck, Request, Task, Trust, Verdict,
    },
    wire::{AccountProof, Block, Log, Receipt, Transaction},
};

sol!(
    #[allow(missing_docs, clippy::too_many_arguments)]
    Rollup,
    "../contracts/out/Rollup.json"
);

/// The most batches one request re-executes to reach its target from a trusted root.
pub const MAX_CHAIN: usize = 512;

/// The most batches posted between a batch and the one holding its parent that the worker checks
/// (every one must be dropped by derivation, or the batch itself is); more gives "cannot verify".
pub const MAX_BETWEEN: u64 = 64;

type Fallible<T> = Result<T, String>;

impl From<NetError> for String {
    fn from(e: NetError) -> Self {
        e.0
    }
}

/// `GET /status`, the part the worker reads.
#[derive(Debug, Deserialize)]
struct Status {
    rollup: RollupInfo,
}

/// The chain parameters the indexer hands over, checked against their hash on L1. (Its Rollup
/// address is not read: the user chooses the contract.)
#[derive(Debug, Deserialize)]
struct RollupInfo {
    config: ChainConfig,
}

/// `GET /batches/{index}`, the part the worker reads.
#[derive(Debug, Clone, Deserialize)]
struct BatchInfo {
    index: u64,
    l1_tx_hash: B256,
    status: String,
    first_block: Option<u64>,
    last_block: Option<u64>,
}

impl BatchInfo {
    fn range(&self) -> Fallible<(u64, u64)> {
        match (self.first_block, self.last_block) {
            (Some(first), Some(last)) if first >= 1 && first <= last => Ok((first, last)),
            _ => Err(format!(
                "the indexer says batch {} made no blocks (status {}): there is nothing to re-execute",
                self.index, self.status
            )),
        }
    }
}

/// `GET /blocks/{n}`, the part the worker reads.
#[derive(Debug, Deserialize)]
struct BlockInfo {
    batch_index: Option<u64>,
}

/// `GET /batches?limit=`, the part the worker reads.
#[derive(Debug, Deserialize)]
struct BatchPage {
    items: Vec<BatchInfo>,
}

/// `GET /witness/{from}?through={to}`.
#[derive(Debug, Deserialize)]
struct WitnessResponse {
    from: u64,
    parent: Header,
    witness: Witness,
}

/// The milliseconds clock of the worker.
fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Topic of an indexed `uint64`.
fn topic(n: u64) -> B256 {
    B256::from(U256::from(n))
}

/// Carries out `request` over `fetch`, reporting progress as (step, batches done, batches in all).
pub async fn run(request: &Request, progress: &dyn Fn(&str, u32, u32)) -> Outcome {
    let net = Net {
        l1: L1::new(&request.endpoints.l1),
        indexer: Indexer::new(&request.endpoints.indexer),
    };
    run_on(&net, request, progress).await
}

/// Carries out `request` with `source`'s data.
pub async fn run_on<S: Source>(
    source: &S,
    request: &Request,
    progress: &dyn Fn(&str, u32, u32),
) -> Outcome {
    let start = now_ms();
    let mut outcome = match Run::connect(source, request, progress).await {
        Ok(mut run) => run.task(&request.task).await,
        Err(reason) => Outcome::cannot_verify(reason),
    };
    outcome.total_ms = (now_ms() - start) as u64;
    outcome
}

/// One request's state.
struct Run<'a, S> {
    l1: &'a S,
    indexer: &'a S,
    rollup: Address,
    config: ChainConfig,
    /// The L1 block the Rollup contract was deployed in (the genesis block's L1 origin).
    deployment: u64,
    genesis_root: B256,
    /// Roots known before and computed now, by block.
    known: BTreeMap<u64, KnownRoot>,
    /// The newest L2 block a finalized proposal covers, read once from L1's finalized state.
    finalized_through: Option<u64>,
    trusted: Option<Trust>,
    batches: Vec<BatchReport>,
    computed: Vec<KnownRoot>,
    progress: &'a dyn Fn(&str, u32, u32),
}

impl<'a, S: Source> Run<'a, S> {
    async fn connect(
        source: &'a S,
        request: &Request,
        progress: &'a dyn Fn(&str, u32, u32),
    ) -> Fallible<Self> {
        progress("reading the rollup's deployment from L1", 0, 0);
        let (l1, indexer) = (source, source);
        let status: Status = indexer.get("/status").await?;
        let rollup = request.endpoints.rollup;
        let logs: Vec<Log> = l1
            .call(
                "eth_getLogs",
                json!([{
                    "address": rollup,
                    "topics": [Rollup::RollupInitialized::SIGNATURE_HASH],
                    "fromBlock": "0x0",
                    "toBlock": "latest",
                }]),
            )
            .await?;
        let Some(log) = logs.first() else {
            return Err(format!("L1 has no Rollup contract deployed at {rollup}"));
        };
        let init = Rollup::RollupInitialized::decode_log_data(&log.log_data())
            .map_err(|e| format!("the Rollup contract's deployment event: {e}"))?;
        let deployment = log
            .block_number
            .ok_or("L1 gave the deployment event without its block")?;
        // The indexer hands over the chain parameters; L1 holds their commitment.
        let config = status.rollup.config;
        if config.hash() != init.configHash {
            return Err(format!(
                "the indexer's chain parameters (hash {}) are not the ones the Rollup contract on L1 commits to ({})",
                config.hash(),
                init.configHash
            ));
        }
        let known = request.known.iter().map(|k| (k.number, *k)).collect();
        Ok(Self {
            l1,
            indexer,
            rollup,
            config,
            deployment,
            genesis_root: init.genesisOutputRoot,
            known,
            finalized_through: None,
            trusted: None,
            batches: Vec::new(),
            computed: Vec::new(),
            progress,
        })
    }

    async fn task(&mut self, task: &Task) -> Outcome {
        let result = match task {
            Task::Batch { index } => self.batch_task(*index).await,
            Task::Blocks { numbers } => self.blocks_task(numbers).await,
            Task::Account { address, slots } => self.account_task(*address, slots).await,
        };
        let (verdict, proposals, account) = match result {
            Ok(done) => done,
            Err(reason) => {
                // Nothing of a run that could not finish is kept as trusted by the page.
                self.computed.clear();
                (Verdict::CannotVerify { reason }, Vec::new(), None)
            }
        };
        let outputs = match task {
            Task::Blocks { numbers } => numbers
                .iter()
                .filter_map(|&n| self.output_root(n).map(|root| (n, root)))
                .collect(),
            _ => Vec::new(),
        };
        Outcome {
            verdict,
            trusted: self.trusted,
            batches: std::mem::take(&mut self.batches),
            proposals,
            roots: std::mem::take(&mut self.computed),
            outputs,
            account,
            total_ms: 0,
        }
    }

    async fn batch_task(&mut self, index: u64) -> Fallible<Done> {
        let batch = self.batch(index).await?;
        let (first, last) = batch.range()?;
        self.reach(batch).await?;
        let numbers: Vec<u64> = (first..=last).collect();
        let proposals = self.proposals(&numbers).await?;
        Ok((verdict_of(&proposals), proposals, None))
    }

    async fn blocks_task(&mut self, numbers: &[u64]) -> Fallible<Done> {
        let mut numbers = numbers.to_vec();
        numbers.sort_unstable();
        numbers.dedup();
        for &n in &numbers {
            if n == 0 || self.known.contains_key(&n) {
                if n > 0 && self.computed.iter().all(|r| r.number != n) {
                    self.trusted.get_or_insert(Trust::Browser { block: n });
                }
                continue;
            }
            let block: BlockInfo = self.indexer.get(&format!("/blocks/{n}")).await?;
            let index = block.batch_index.ok_or_else(|| not_from_a_batch(n))?;
            let batch = self.batch(index).await?;
            self.reach(batch).await?;
        }
        if numbers.contains(&0) {
            self.trusted.get_or_insert(Trust::Genesis);
        }
        let proposals = self.proposals(&numbers).await?;
        Ok((verdict_of(&proposals), proposals, None))
    }

    async fn account_task(&mut self, address: Address, slots: &[B256]) -> Fallible<Done> {
        // Prove against the newest state: verify the latest batch (cheap when this browser
        // verified the ones before it).
        let page: BatchPage = self.indexer.get("/batches?limit=20").await?;
        let latest = page
            .items
            .into_iter()
            .find(|b| b.range().is_ok())
            .ok_or("the indexer lists no batch with blocks yet")?;
        if !self.known.contains_key(&latest.range()?.1) {
            self.reach(latest).await?;
        }
        let root = *self.known.values().next_back().ok_or("no verified block")?;
        if self.trusted.is_none() {
            self.trusted = Some(Trust::Browser { block: root.number });
        }
        (self.progress)("checking the account proof", 0, 0);
        let slots_query = slots
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let proof: AccountProof = self
            .indexer
            .get(&format!(
                "/proof/{address}?block={}&slots={slots_query}",
                root.number
            ))
            .await?;
        let (check, honest) = check_account(address, root, slots, &proof)?;
        let verdict = if honest {
            Verdict::Verified
        } else {
            Verdict::Mismatch
        };
        Ok((verdict, Vec::new(), Some(check)))
    }

    async fn batch(&self, index: u64) -> Fallible<BatchInfo> {
        Ok(self.indexer.get(&format!("/batches/{index}")).await?)
    }

    /// Re-executes `target` and, first, every batch between it and the newest trusted root below it.
    async fn reach(&mut self, target: BatchInfo) -> Fallible<()> {
        let mut chain = Vec::new();
        let mut batch = target;
        let (trust, root) = loop {
            let (first, _) = batch.range()?;
            let parent = first - 1;
            if let Some(found) = self.trusted_root(parent).await? {
                chain.push(batch);
                break found;
            }
            if chain.len() + 1 >= MAX_CHAIN {
                return Err(format!(
                    "no trusted root within {MAX_CHAIN} batches below block {first}: verify an \
                     older batch first"
                ));
            }
            (self.progress)(
                &format!("looking for a trusted root below block {first}"),
                0,
                0,
            );
            let block: BlockInfo = self.indexer.get(&format!("/blocks/{parent}")).await?;
            let index = block.batch_index.ok_or_else(|| not_from_a_batch(parent))?;
            chain.push(batch);
            batch = self.batch(index).await?;
        };
        // The first starting point of the request is the one reported.
        self.trusted.get_or_insert(trust);
        let total = chain.len() as u32;
        let mut root = root;
        // The batch holding the first batch's parent (none for genesis): every batch posted after
        // it and before the one executed must be one derivation drops.
        let first = chain
            .last()
            .map(BatchInfo::range)
            .transpose()?
            .map_or(1, |r| r.0);
        let mut previous = match first - 1 {
            0 => None,
            parent => {
                let block: BlockInfo = self.indexer.get(&format!("/blocks/{parent}")).await?;
                Some(block.batch_index.ok_or_else(|| not_from_a_batch(parent))?)
            }
        };
        for (done, batch) in chain.into_iter().rev().enumerate() {
            (self.progress)(
                &format!("re-executing batch {}", batch.index),
                done as u32,
                total,
            );
            root = self.execute(&batch, previous, root).await?;
            previous = Some(batch.index);
        }
        (self.progress)("comparing with L1", total, total);
        Ok(())
    }

    /// A trusted output root for `block`: one computed here, the genesis root, or a proposal
    /// finalized in L1's finalized state.
    async fn trusted_root(&mut self, block: u64) -> Fallible<Option<(Trust, B256)>> {
        if let Some(known) = self.known.get(&block) {
            return Ok(Some((Trust::Browser { block }, known.output_root)));
        }
        if block == 0 {
            return Ok(Some((Trust::Genesis, self.genesis_root)));
        }
        let finalized_through = match self.finalized_through {
            Some(n) => n,
            None => {
                // No code yet in L1's finalized state: the deployment is not finalized, and
                // neither is any proposal.
                let through = self
                    .call_rollup(Rollup::latestFinalizedCall {}, "finalized")
                    .await?
                    .map_or(0, |latest| latest.l2Block);
                self.finalized_through = Some(through);
                through
            }
        };
        if block > finalized_through {
            return Ok(None);
        }
        for proposal in self.proposals_at(&[block]).await? {
            let call = Rollup::proposalCall {
                index: proposal.index,
            };
            let Some(p) = self.call_rollup(call, "finalized").await? else {
                continue;
            };
            if p.finalized && p.l2Block == block {
                return Ok(Some((
                    Trust::Finalized {
                        proposal: proposal.index,
                        block,
                    },
                    p.outputRoot,
                )));
            }
        }
        Ok(None)
    }

    /// Re-executes one batch on top of the trusted `parent_root`; returns its last block's root.
    /// `previous` is the batch holding the parent block (`None`: the parent is genesis).
    async fn execute(
        &mut self,
        batch: &BatchInfo,
        previous: Option<u64>,
        parent_root: B256,
    ) -> Fallible<B256> {
        let started = now_ms();
        let (first, last) = batch.range()?;
        let index = batch.index;
        if batch.status != "accepted" {
            return Err(format!(
                "the indexer itself says batch {index} was {}, so its blocks are not the chain's",
                batch.status
            ));
        }
        // The parent comes from the indexer: it is checked against the trusted root before anything
        // is read from L1 on its word.
        let witness: WitnessResponse = self
            .indexer
            .get(&format!("/witness/{first}?through={last}"))
            .await?;
        if witness.from != first {
            return Err(format!(
                "the indexer's witness starts at block {}, not {first}",
                witness.from
            ));
        }
        if output_root(witness.parent.state_root, witness.parent.hash_slow()) != parent_root {
            return Err(format!(
                "the indexer's parent header of block {first} does not give the trusted output root"
            ));
        }
        let (data, committed, inclusion_block) = self.posted(index, batch.l1_tx_hash).await?;
        let parent_origin = match l1_origin_number_of(&witness.parent) {
            Some(origin) => origin,
            None => self.deployment,
        };
        if parent_origin > inclusion_block {
            return Err(format!(
                "the parent block's L1 origin {parent_origin} is after the batch's L1 block {inclusion_block}"
            ));
        }
        // A batch's first block takes the parent's origin or the next, and must be posted within
        // the sequencing window of it: anything further is dropped, and would only cost reads.
        if inclusion_block - parent_origin > self.config.sequencing_window + 1 {
            return Err(format!(
                "batch {index} was posted in L1 block {inclusion_block}, past the sequencing window \
                 of its parent's L1 origin {parent_origin}: derivation drops it"
            ));
        }
        let l1_origins = self.origins(parent_origin, inclusion_block).await?;
        self.earlier_batches_dropped(index, previous, &witness.parent, parent_origin, &l1_origins)
            .await?;
        let fetched = now_ms();

        let request = VerifyRequest {
            config: self.config.clone(),
            batch: data.clone(),
            batch_hash: committed,
            inclusion_block,
            l1_origins,
            parent: witness.parent,
            trusted_output_root: parent_root,
            witness: witness.witness,
            proposals: BTreeMap::new(),
        };
        self.finish(batch, request, started, fetched)
    }

    /// Checks that derivation drops every batch posted after `previous` (the batch holding the
    /// parent) and before batch `index`: were one of them a valid batch on the same parent, the
    /// chain would be that one's, and batch `index` (an operator's second batch on one parent)
    /// would be dropped, whatever the indexer says.
    async fn earlier_batches_dropped(
        &self,
        index: u64,
        previous: Option<u64>,
        parent: &Header,
        parent_origin: u64,
        l1_origins: &[L1Origin],
    ) -> Fallible<()> {
        let from = previous.map_or(0, |p| p + 1);
        if index.saturating_sub(from) > MAX_BETWEEN {
            return Err(format!(
                "{} batches were posted between the parent's batch and batch {index}: more than the \
                 {MAX_BETWEEN} the light node checks",
                index - from
            ));
        }
        let l1: BTreeMap<u64, L1Origin> =
            l1_origins.iter().map(|o| (o.number, o.clone())).collect();
        for earlier in from..index {
            (self.progress)(&format!("checking that batch {earlier} is dropped"), 0, 0);
            let info = self.batch(earlier).await?;
            let (data, _, inclusion) = self.posted(earlier, info.l1_tx_hash).await?;
            let Ok(decoded) = decode_batch(&data, self.config.max_batch_size) else {
                continue;
            };
            if check_batch(
                &self.config,
                &decoded,
                parent,
                parent_origin,
                inclusion,
                &l1,
            )
            .is_ok()
            {
                return Err(format!(
                    "batch {earlier}, posted before batch {index} on the same parent, is the one \
                     derivation takes: batch {index} is dropped, whatever the indexer says"
                ));
            }
        }
        Ok(())
    }

    /// A batch's data as L1 holds it: the `appendBatch` call's bytes, the hash the contract
    /// committed to for `index` in that transaction, and the L1 block it is in.
    async fn posted(&self, index: u64, hash: B256) -> Fallible<(Bytes, B256, u64)> {
        let receipt: Option<Receipt> = self
            .l1
            .call("eth_getTransactionReceipt", json!([hash]))
            .await?;
        let receipt = receipt.ok_or_else(|| {
            format!("L1 has no transaction {hash}, which the indexer gave for batch {index}")
        })?;
        let committed = receipt
            .logs
            .iter()
            .filter(|log| log.address == self.rollup)
            .filter_map(|log| Rollup::BatchAppended::decode_log_data(&log.log_data()).ok())
            .find(|e| e.index == index)
            .ok_or_else(|| format!("L1 transaction {hash} did not append batch {index}"))?;
        let inclusion_block = receipt
            .block_number
            .ok_or_else(|| format!("L1 transaction {hash} is not in a block"))?;
        let tx: Option<Transaction> = self
            .l1
            .call("eth_getTransactionByHash", json!([hash]))
            .await?;
        let tx = tx.ok_or_else(|| format!("L1 has no transaction {hash}"))?;
        let data = Rollup::appendBatchCall::abi_decode(&tx.input)
            .map_err(|e| format!("L1 transaction {hash} is not an appendBatch call: {e}"))?
            .data;
        if keccak256(&data) != committed.hash {
            return Err(format!(
                "the data of L1 transaction {hash} is not what the contract committed to for batch {index}"
            ));
        }
        Ok((data, committed.hash, inclusion_block))
    }

    /// Runs the light node on `request` for `batch` and keeps the roots it computed.
    fn finish(
        &mut self,
        batch: &BatchInfo,
        request: VerifyRequest,
        started: f64,
        fetched: f64,
    ) -> Fallible<B256> {
        let (first, last) = batch.range()?;
        let index = batch.index;
        let data_len = request.batch.len() as u64;
        let verdict = verify_batch(&request).map_err(|e| format!("batch {index}: {e}"))?;
        let numbers: Vec<u64> = verdict.blocks.iter().map(|b| b.number).collect();
        if numbers != (first..=last).collect::<Vec<_>>() {
            return Err(format!(
                "batch {index} derives blocks {numbers:?}, but the indexer says {first}–{last}"
            ));
        }
        for block in &verdict.blocks {
            let root = KnownRoot {
                number: block.number,
                state_root: block.state_root,
                output_root: block.output_root,
            };
            self.known.insert(block.number, root);
            self.computed.push(root);
        }
        let executed = now_ms();
        self.batches.push(BatchReport {
            index,
            first,
            last,
            bytes: data_len,
            fetch_ms: (fetched - started) as u64,
            execute_ms: (executed - fetched) as u64,
        });
        Ok(self.known[&last].output_root)
    }

    /// The L1 blocks `from..=to` with their deposits, read from L1.
    async fn origins(&self, from: u64, to: u64) -> Fallible<Vec<L1Origin>> {
        let params = (from..=to)
            .map(|n| json!([format!("{n:#x}"), false]))
            .collect();
        let blocks: Vec<Option<Block>> = self.l1.call_many("eth_getBlockByNumber", params).await?;
        let logs: Vec<Log> = self
            .l1
            .call(
                "eth_getLogs",
                json!([{
                    "address": self.rollup,
                    "topics": [Rollup::Deposited::SIGNATURE_HASH],
                    "fromBlock": format!("{from:#x}"),
                    "toBlock": format!("{to:#x}"),
                }]),
            )
            .await?;
        let mut deposits: BTreeMap<u64, Vec<Deposit>> = BTreeMap::new();
        for log in logs {
            let number = log
                .block_number
                .ok_or("L1 gave a deposit log without its block")?;
            let e = Rollup::Deposited::decode_log_data(&log.log_data())
                .map_err(|e| format!("a deposit log in L1 block {number}: {e}"))?;
            deposits.entry(number).or_default().push(Deposit {
                nonce: e.nonce,
                from: e.from,
                to: e.to,
                mint: e.value,
                gas_limit: e.gasLimit,
                data: e.data,
            });
        }
        let mut origins = Vec::with_capacity(blocks.len());
        for (n, block) in (from..=to).zip(blocks) {
            let block = block.ok_or_else(|| format!("L1 has no block {n}"))?;
            origins.push(L1Origin {
                number: n,
                hash: block.hash,
                timestamp: block.timestamp,
                deposits: deposits.remove(&n).unwrap_or_default(),
            });
        }
        Ok(origins)
    }

    /// The output root of `block`, if known or computed here.
    fn output_root(&self, block: u64) -> Option<B256> {
        match block {
            0 => Some(self.genesis_root),
            n => self.known.get(&n).map(|k| k.output_root),
        }
    }

    /// The proposals on L1 for `numbers`, compared with the roots computed here.
    async fn proposals(&self, numbers: &[u64]) -> Fallible<Vec<ProposalCheck>> {
        let mut checks = Vec::new();
        for p in self.proposals_at(numbers).await? {
            let Some(computed) = self.output_root(p.block) else {
                continue;
            };
            // Read for right proposals too: a right root that L1 invalidated (a proposal it builds
            // on lost) will never finalize, and the page must not call it verified.
            let standing = self.is_valid(p.index).await?;
            checks.push(ProposalCheck {
                index: p.index,
                block: p.block,
                claimed: p.claimed,
                computed,
                standing,
            });
        }
        Ok(checks)
    }

    /// Whether L1's latest state counts proposal `index` valid.
    async fn is_valid(&self, index: u64) -> Fallible<bool> {
        self.call_rollup(Rollup::isValidCall { index }, "latest")
            .await?
            .ok_or_else(|| format!("L1 has no Rollup contract at {}", self.rollup))
    }

    /// Calls the Rollup contract in L1's state at `block` (`latest`, `finalized`); `None` when the
    /// contract has no code in that state.
    async fn call_rollup<C: SolCall>(&self, call: C, block: &str) -> Fallible<Option<C::Return>> {
        let input = Bytes::from(call.abi_encode());
        let out: Bytes = self
            .l1
            .call(
                "eth_call",
                json!([{ "to": self.rollup, "input": input }, block]),
            )
            .await?;
        if out.is_empty() {
            return Ok(None);
        }
        C::abi_decode_returns(&out)
            .map(Some)
            .map_err(|e| format!("{}: {e}", C::SIGNATURE))
    }

    /// Every proposal made on L1 for one of `numbers`, from the contract's events.
    async fn proposals_at(&self, numbers: &[u64]) -> Fallible<Vec<Proposed>> {
        let mut out = Vec::new();
        for chunk in numbers.chunks(100) {
            let topics: Vec<B256> = chunk.iter().map(|&n| topic(n)).collect();
            let logs: Vec<Log> = self
                .l1
                .call(
                    "eth_getLogs",
                    json!([{
                        "address": self.rollup,
                        "topics": [Rollup::OutputProposed::SIGNATURE_HASH, null, null, topics],
                        "fromBlock": format!("{:#x}", self.deployment),
                        "toBlock": "latest",
                    }]),
                )
                .await?;
            for log in logs {
                let e = Rollup::OutputProposed::decode_log_data(&log.log_data())
                    .map_err(|e| format!("a proposal log: {e}"))?;
                out.push(Proposed {
                    index: e.index,
                    block: e.l2Block,
                    claimed: e.outputRoot,
                });
            }
        }
        out.sort_by_key(|p| p.index);
        Ok(out)
    }
}

type Done = (Verdict, Vec<ProposalCheck>, Option<AccountCheck>);

/// A proposal as its event on L1 says.
#[derive(Debug, Clone, Copy)]
struct Proposed {
    index: u64,
    block: u64,
    claimed: B256,
}

fn not_from_a_batch(block: u64) -> String {
    format!(
        "the indexer says block {block} came from no batch (force-included deposits), which the \
         chain of re-execution cannot pass"
    )
}

/// Mismatch as soon as one proposal that L1 still counts valid claims a root other than the
/// computed one.
pub fn verdict_of(proposals: &[ProposalCheck]) -> Verdict {
    if proposals.iter().all(|p| p.matches() || !p.standing) {
        Verdict::Verified
    } else {
        Verdict::Mismatch
    }
}

/// The value a Merkle proof proves under `keccak256(key)` in the trie of `root`, decoded; `None`
/// when it proves the key absent.
fn proved<T: Decodable>(
    root: B256,
    key: &[u8],
    proof: &[Bytes],
    what: &str,
) -> Fallible<Option<T>> {
    let leaf = verify_proof(root, keccak256(key).as_slice(), proof)
        .map_err(|e| format!("the proof of {what} does not check out: {e}"))?;
    leaf.map(|rlp| T::decode(&mut rlp.as_slice()))
        .transpose()
        .map_err(|e| format!("the proved value of {what} does not decode: {e}"))
}

/// Checks an EIP-1186 proof against a verified state root. Returns the proved account and whether
/// the indexer's stated values equal the proved ones.
pub fn check_account(
    address: Address,
    root: KnownRoot,
    slots: &[B256],
    proof: &AccountProof,
) -> Fallible<(AccountCheck, bool)> {
    let account = proved(
        root.state_root,
        address.as_slice(),
        &proof.account_proof,
        "the account",
    )?
    .unwrap_or(TrieAccount {
        nonce: 0,
        balance: U256::ZERO,
        storage_root: EMPTY_ROOT_HASH,
        code_hash: KECCAK_EMPTY,
    });
    let mut honest = proof.balance == account.balance
        && proof.nonce == account.nonce
        && proof.code_hash == account.code_hash
        && proof.storage_hash == account.storage_root;
    let mut storage = Vec::with_capacity(slots.len());
    for &slot in slots {
        let Some(given) = proof.storage_proof.iter().find(|s| s.key == slot) else {
            return Err(format!("the indexer gave no proof for slot {slot}"));
        };
        let what = format!("slot {slot}");
        let value = proved(account.storage_root, slot.as_slice(), &given.proof, &what)?
            .unwrap_or(U256::ZERO);
        honest &= given.value == value;
        storage.push((slot, value));
    }
    Ok((
        AccountCheck {
            block: root.number,
            state_root: root.state_root,
            balance: account.balance,
            nonce: account.nonce,
            code_hash: account.code_hash,
            storage,
        },
        honest,
    ))
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests;
