//! `eth_call` and `eth_estimateGas`: a transaction run with revm on a block's state, never committed.
//!
//! A run reads the sequencer's working state, which block production needs too. So that no call,
//! however heavy, ever holds block production up, every run is watched ([`Interrupt`]): it stops
//! within a few hundred instructions (or before its next call, precompiles included) once the block
//! builder asks for the state, and the caller runs it again after the block; and it stops for good
//! at its deadline (geth's `--rpc.evmtimeout`).

use std::{
    sync::{
        Condvar, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::{Revert, SolError};
use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY, TxKind, U256};
use light_node::{BlockHashes, ChainConfig, ExecError, L2State};
use revm::{
    Context, Database, InspectEvm, Inspector, MainBuilder, MainContext,
    context::{
        BlockEnv, CfgEnv, TxEnv,
        result::{EVMError, ExecutionResult},
    },
    context_interface::block::BlobExcessGasAndPrice,
    interpreter::{
        CallInputs, CallOutcome, InstructionResult, Interpreter, interpreter::EthInterpreter,
    },
    state::{AccountInfo, Bytecode},
};

use crate::sequencer::SequencedBlock;

/// Why a call gave no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The call reverted; `data` is the revert data.
    #[error("execution reverted{}", reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default())]
    Reverted {
        /// The decoded `Error(string)` reason, if any.
        reason: Option<String>,
        /// The raw revert data.
        data: Bytes,
    },
    /// The call halted (out of gas, invalid opcode, ...).
    #[error("{0}")]
    Halted(String),
    /// The transaction is invalid (nonce, funds, gas limit, ...).
    #[error("{0}")]
    Invalid(String),
    /// Even the gas cap is not enough.
    #[error("gas required exceeds allowance ({0})")]
    GasExceedsAllowance(u64),
    /// The state could not be read.
    #[error("state: {0}")]
    State(String),
    /// The block builder needed the state: run the call again after the block.
    #[error("preempted by block production")]
    Preempted,
    /// The call ran past its deadline (geth's message).
    #[error("execution aborted (timeout = {0:?})")]
    Timeout(Duration),
    /// Too many calls were running or waiting until the deadline.
    #[error("too many calls running; try again later")]
    Busy,
}

/// At most so many calls run (or wait for the state) at once; more wait for a slot until their
/// deadline, then get an error. Runs take the sequencer's state one at a time anyway, so the limit
/// only bounds the threads they hold.
#[derive(Debug)]
pub(crate) struct Slots {
    used: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

/// One call's slot, given back on drop.
#[derive(Debug)]
pub(crate) struct Slot<'a>(&'a Slots);

impl Slots {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            used: Mutex::new(0),
            freed: Condvar::new(),
            max: max.max(1),
        }
    }

    /// A slot, waiting for one until `deadline`.
    pub(crate) fn take(&self, deadline: Instant) -> Option<Slot<'_>> {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while *used >= self.max {
            let left = deadline.checked_duration_since(Instant::now())?;
            used = self
                .freed
                .wait_timeout(used, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *used += 1;
        Some(Slot(self))
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.used.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        self.0.freed.notify_one();
    }
}

/// When a run must stop: the block builder is waiting for the state, or the deadline passed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Interrupt<'a> {
    /// Non-zero while the block builder (or another short user) waits for the state.
    pub(crate) preempt: &'a AtomicUsize,
    /// When the call started, for the timeout's message.
    pub(crate) started: Instant,
    /// When the call must have finished.
    pub(crate) deadline: Instant,
}

impl Interrupt<'_> {
    fn check(&self) -> Result<(), CallError> {
        if self.preempt.load(Ordering::Acquire) > 0 {
            return Err(CallError::Preempted);
        }
        if Instant::now() >= self.deadline {
            return Err(CallError::Timeout(self.deadline - self.started));
        }
        Ok(())
    }
}

/// Halts a run when its [`Interrupt`] says so: checked every 256 instructions and before every
/// call (a precompile such as BLAKE2F can take long in a single call).
struct Watch<'a> {
    interrupt: Interrupt<'a>,
    steps: u32,
    stopped: Option<CallError>,
}

impl Watch<'_> {
    /// Whether the run must stop now.
    fn must_stop(&mut self) -> bool {
        if self.stopped.is_none()
            && let Err(e) = self.interrupt.check()
        {
            self.stopped = Some(e);
        }
        self.stopped.is_some()
    }
}

impl<CTX> Inspector<CTX, EthInterpreter> for Watch<'_> {
    fn step(&mut self, interp: &mut Interpreter<EthInterpreter>, _: &mut CTX) {
        self.steps = self.steps.wrapping_add(1);
        // Once stopped, every frame halts at its next instruction.
        if (self.stopped.is_some() || self.steps % 256 == 1) && self.must_stop() {
            interp.halt(InstructionResult::OutOfGas);
        }
    }

    fn call(&mut self, _: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        self.must_stop()
            .then(|| CallOutcome::new_oog(inputs.gas_limit, inputs.return_memory_offset.clone(), 0))
    }
}

/// revm's view of one block's state: reads only, from the trie.
struct StateDb<'a> {
    state: &'a mut L2State,
    hashes: &'a BlockHashes,
}

impl Database for StateDb<'_> {
    type Error = ExecError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, ExecError> {
        Ok(self.state.account(address)?.map(|a| AccountInfo {
            balance: a.balance,
            nonce: a.nonce,
            code_hash: a.code_hash,
            code: None,
            ..Default::default()
        }))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, ExecError> {
        if code_hash == KECCAK256_EMPTY {
            return Ok(Bytecode::default());
        }
        let code = self
            .state
            .codes
            .get(&code_hash)
            .ok_or(ExecError::MissingCode(code_hash))?;
        Ok(Bytecode::new_raw(code.clone()))
    }

    fn storage(&mut self, address: Address, slot: U256) -> Result<U256, ExecError> {
        self.state.storage(address, slot)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, ExecError> {
        Ok(self.hashes.get(number).unwrap_or_default())
    }
}

/// Runs `request` on `state` (the state after `block`) in the environment of the next block, until
/// `interrupt` stops it.
///
/// `gas` overrides the request's gas limit. The call pays no base fee unless it names a gas price,
/// as with geth.
pub(crate) fn run(
    config: &ChainConfig,
    state: &mut L2State,
    hashes: &BlockHashes,
    block: &SequencedBlock,
    request: &TransactionRequest,
    gas: u64,
    interrupt: Interrupt<'_>,
) -> Result<ExecutionResult, CallError> {
    interrupt.check()?;
    let caller = request.from.unwrap_or(Address::ZERO);
    let nonce = state
        .account(caller)
        .map_err(|e| CallError::State(e.to_string()))?
        .map_or(0, |a| a.nonce);
    let priced = request.gas_price.is_some() || request.max_fee_per_gas.is_some();
    let base_fee = light_node_base_fee(config, block);
    let block_env = BlockEnv {
        number: U256::from(block.header.number + 1),
        beneficiary: config.fee_recipient,
        timestamp: U256::from(block.header.timestamp + config.block_time),
        gas_limit: config.block_gas_limit,
        basefee: if priced { base_fee } else { 0 },
        difficulty: U256::ZERO,
        prevrandao: Some(block.header.mix_hash),
        blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new(
            0,
            revm::primitives::eip4844::BLOB_BASE_FEE_UPDATE_FRACTION_CANCUN,
        )),
        ..Default::default()
    };
    let mut cfg = CfgEnv::new_with_spec(config.spec_id);
    cfg.chain_id = config.chain_id;

    let (tx_type, gas_price, tip) = match (request.max_fee_per_gas, request.gas_price) {
        (Some(max_fee), _) => (2, max_fee, request.max_priority_fee_per_gas),
        (None, Some(price)) => (
            if request.access_list.is_some() { 1 } else { 0 },
            price,
            None,
        ),
        (None, None) => (0, 0, None),
    };
    let tx = TxEnv {
        tx_type,
        caller,
        gas_limit: gas,
        gas_price,
        gas_priority_fee: tip,
        kind: request.to.unwrap_or(TxKind::Create),
        value: request.value.unwrap_or_default(),
        data: request.input.input().cloned().unwrap_or_default(),
        nonce,
        chain_id: Some(config.chain_id),
        access_list: request.access_list.clone().unwrap_or_default(),
        ..Default::default()
    };
    let mut db = StateDb { state, hashes };
    let mut evm = Context::mainnet()
        .with_db(&mut db)
        .with_cfg(cfg)
        .with_block(block_env)
        .build_mainnet_with_inspector(Watch {
            interrupt,
            steps: 0,
            stopped: None,
        });
    let result = evm.inspect_one_tx(tx);
    if let Some(stopped) = evm.inspector.stopped.take() {
        return Err(stopped);
    }
    match result {
        Ok(result) => Ok(result),
        Err(EVMError::Transaction(invalid)) => Err(CallError::Invalid(invalid.to_string())),
        Err(e) => Err(CallError::State(e.to_string())),
    }
}

fn light_node_base_fee(config: &ChainConfig, block: &SequencedBlock) -> u64 {
    crate::sequencer::next_base_fee(&block.header, config.genesis_base_fee)
}

/// The output of a successful call, or why it failed.
pub(crate) fn output(result: ExecutionResult) -> Result<Bytes, CallError> {
    match result {
        ExecutionResult::Success { output, .. } => Ok(output.into_data()),
        ExecutionResult::Revert { output, .. } => Err(reverted(output)),
        ExecutionResult::Halt { reason, .. } => Err(CallError::Halted(halt_message(&reason))),
    }
}

fn reverted(data: Bytes) -> CallError {
    let reason = Revert::abi_decode(&data).ok().map(|r| r.reason);
    CallError::Reverted { reason, data }
}

fn halt_message(reason: &revm::context::result::HaltReason) -> String {
    use revm::context::result::{HaltReason, OutOfGasError};
    match reason {
        HaltReason::OutOfGas(OutOfGasError::Basic) => "out of gas".into(),
        HaltReason::OutOfGas(other) => format!("out of gas ({other:?})"),
        HaltReason::OpcodeNotFound | HaltReason::InvalidFEOpcode => "invalid opcode".into(),
        HaltReason::StackUnderflow => "stack underflow".into(),
        HaltReason::StackOverflow => "stack overflow".into(),
        HaltReason::InvalidJump => "invalid jump destination".into(),
        HaltReason::CallTooDeep => "max call depth exceeded".into(),
        HaltReason::OutOfFunds => "insufficient balance for transfer".into(),
        other => format!("execution halted: {other:?}"),
    }
}

/// `eth_estimateGas`: the least gas limit with which the call succeeds, by bisection between what
/// it used and `cap`.
pub(crate) fn estimate(
    config: &ChainConfig,
    state: &mut L2State,
    hashes: &BlockHashes,
    block: &SequencedBlock,
    request: &TransactionRequest,
    cap: u64,
    interrupt: Interrupt<'_>,
) -> Result<u64, CallError> {
    let cap = request.gas.map_or(cap, |g| g.min(cap));
    // A plain transfer to an account without code needs exactly the intrinsic gas.
    if let Some(TxKind::Call(to)) = request.to
        && request.input.input().is_none_or(|d| d.is_empty())
        && request.access_list.is_none()
    {
        let code = state
            .account(to)
            .map_err(|e| CallError::State(e.to_string()))?
            .map_or(KECCAK256_EMPTY, |a| a.code_hash);
        if code == KECCAK256_EMPTY {
            run(config, state, hashes, block, request, 21_000, interrupt).and_then(output)?;
            return Ok(21_000);
        }
    }
    let first = run(config, state, hashes, block, request, cap, interrupt)?;
    let used = match first {
        ExecutionResult::Success { .. } => first.tx_gas_used(),
        ExecutionResult::Revert { output, .. } => return Err(reverted(output)),
        ExecutionResult::Halt { .. } => return Err(CallError::GasExceedsAllowance(cap)),
    };
    let succeeds = |gas: u64, state: &mut L2State| -> Result<bool, CallError> {
        match run(config, state, hashes, block, request, gas, interrupt) {
            Ok(result) => Ok(result.is_success()),
            // Too little gas even for the intrinsic cost.
            Err(CallError::Invalid(_)) => Ok(false),
            Err(e) => Err(e),
        }
    };
    let (mut lo, mut hi) = (used.saturating_sub(1), cap);
    // Most calls need a little more than they use (the 63/64 rule, refunds): try that first.
    let optimistic = (used + 2_300) * 64 / 63;
    if optimistic < hi && succeeds(optimistic, state)? {
        hi = optimistic;
    }
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        if succeeds(mid, state)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}
