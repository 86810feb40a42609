//! The Rollup L1 contract, exercised through its Rust bindings against a real anvil started per test.
//!
//! Output roots come from a toy chain model: the root of block `n` is `step(root(n - 1), n)`, so the
//! test arbiter can "re-execute" a single block exactly as the real arbiter would.

mod games;
mod gas;
mod happy_path;
mod logs;
mod reverts;
mod safety;
mod solvency;

use std::path::PathBuf;

use alloy::{
    contract::SolCallBuilder,
    network::EthereumWallet,
    primitives::{Address, B256, Bytes, U256, keccak256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
    sol_types::{SolCall, SolEvent},
};
use contracts::{
    DeployParams, Outcome,
    Rollup::{self, RollupErrors, RollupInstance},
    Turn,
};
use indexer::anvil::{Anvil, AnvilConfig, find_anvil, free_loopback_addr};

/// Private keys of anvil's first dev accounts (mnemonic "test test ... junk").
const DEV_KEYS: [&str; 6] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
];

/// One account with its own signing provider and contract handle.
pub(crate) struct Actor {
    pub(crate) address: Address,
    pub(crate) rollup: RollupInstance<DynProvider>,
}

/// A fresh anvil with a freshly deployed Rollup contract and the accounts that play its roles.
pub(crate) struct Devnet {
    // Kept alive for the test's duration; dropping it stops anvil.
    _anvil: Anvil,
    pub(crate) params: DeployParams,
    pub(crate) provider: DynProvider,
    pub(crate) rollup: RollupInstance<DynProvider>,
    pub(crate) batcher: Actor,
    pub(crate) proposer: Actor,
    pub(crate) challenger: Actor,
    pub(crate) arbiter: Actor,
    /// A second challenger.
    pub(crate) rival: Actor,
    /// An account with no role.
    pub(crate) outsider: Actor,
}

fn anvil_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("ANVIL_BIN") {
        return PathBuf::from(path);
    }
    let installed = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../.tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    if installed.is_file() {
        installed
    } else {
        find_anvil(None)
    }
}

impl Devnet {
    /// Starts anvil and deploys with the devnet parameters and the model chain's genesis root.
    pub(crate) async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Like [`Devnet::start`], after letting the test adjust the parameters.
    pub(crate) async fn start_with(adjust: impl FnOnce(&mut DeployParams)) -> Self {
        let config = AnvilConfig {
            bin: anvil_bin(),
            addr: free_loopback_addr().expect("a free loopback port"),
            block_time: None,
            log_path: None,
            state: None,
        };
        let anvil = Anvil::start_on_free_port(&config)
            .await
            .expect("anvil starts");
        let url: alloy::transports::http::reqwest::Url = anvil.url().parse().expect("anvil URL");

        let actors: Vec<(Address, DynProvider)> = DEV_KEYS
            .iter()
            .map(|key| {
                let signer: PrivateKeySigner = key.parse().expect("a dev key");
                let address = signer.address();
                // The nonce is read from the node for every transaction: a cached nonce would be
                // used up by a call whose gas estimate reverts, leaving a gap that stalls the account.
                let provider = ProviderBuilder::new()
                    .disable_recommended_fillers()
                    .with_simple_nonce_management()
                    .with_gas_estimation()
                    .fetch_chain_id()
                    .wallet(EthereumWallet::from(signer))
                    .connect_http(url.clone())
                    .erased();
                (address, provider)
            })
            .collect();

        let mut params = DeployParams::devnet(actors[0].0, actors[3].0)
            .with_genesis_output_root(Chain::honest(0).root(0));
        // Time only passes when a test says so (`advance`): windows far longer than any test runs
        // keep a busy machine's wall clock from expiring a deadline between two moves.
        params.challenge_window = 24 * 3600;
        params.move_timeout = 3600;
        adjust(&mut params);
        let rollup_address = contracts::deploy(&actors[0].1, &params)
            .await
            .expect("the Rollup contract deploys");

        let mut actors = actors.into_iter().map(|(address, provider)| Actor {
            address,
            rollup: Rollup::new(rollup_address, provider),
        });
        let mut next = || actors.next().expect("enough dev keys");
        let batcher = next();
        let proposer = next();
        let challenger = next();
        let arbiter = next();
        let rival = next();
        let outsider = next();
        let provider = outsider.rollup.provider().clone();
        Self {
            _anvil: anvil,
            params,
            rollup: Rollup::new(rollup_address, provider.clone()),
            provider,
            batcher,
            proposer,
            challenger,
            arbiter,
            rival,
            outsider,
        }
    }

    /// Moves anvil's clock forward and mines a block at the new time.
    pub(crate) async fn advance(&self, seconds: u64) {
        let _: serde_json::Value = self
            .provider
            .raw_request("anvil_increaseTime".into(), (seconds,))
            .await
            .expect("anvil_increaseTime");
        let _: serde_json::Value = self
            .provider
            .raw_request("evm_mine".into(), ())
            .await
            .expect("evm_mine");
    }

    /// The contract's ETH balance.
    pub(crate) async fn balance(&self) -> U256 {
        self.provider
            .get_balance(*self.rollup.address())
            .await
            .expect("eth_getBalance")
    }

    /// Asserts the accounting identity: balance = deposits + locked bonds + unclaimed credits +
    /// burnt bonds.
    pub(crate) async fn assert_solvent(&self) {
        let deposited = self.rollup.depositedValue().call().await.unwrap();
        let locked = self.rollup.lockedBonds().call().await.unwrap();
        let unclaimed = self.rollup.unclaimedCredits().call().await.unwrap();
        let burnt = self.rollup.burnedBonds().call().await.unwrap();
        assert_eq!(
            self.balance().await,
            deposited + locked + unclaimed + burnt,
            "balance != deposited {deposited} + locked {locked} + unclaimed {unclaimed} + burnt {burnt}"
        );
    }

    /// A game's current state.
    pub(crate) async fn game(&self, id: u64) -> Rollup::Game {
        self.rollup.game(id).call().await.expect("game")
    }

    /// A proposal's current state.
    pub(crate) async fn proposal(&self, index: u64) -> Rollup::Proposal {
        self.rollup.proposal(index).call().await.expect("proposal")
    }

    /// Whether a proposal is valid.
    pub(crate) async fn is_valid(&self, index: u64) -> bool {
        self.rollup.isValid(index).call().await.expect("isValid")
    }

    /// `(index, l2Block, outputRoot)` of the latest finalized output.
    pub(crate) async fn latest_finalized(&self) -> (u64, u64, B256) {
        let r = self.rollup.latestFinalized().call().await.unwrap();
        (r.index, r.l2Block, r.outputRoot)
    }

    /// `(index, l2Block, outputRoot)` of the latest valid output.
    pub(crate) async fn latest_valid(&self) -> (u64, u64, B256) {
        let r = self.rollup.latestValid().call().await.unwrap();
        (r.index, r.l2Block, r.outputRoot)
    }

    /// Proposes `root` for `l2_block` from `who` with the right bond; returns the proposal index.
    pub(crate) async fn propose(&self, who: &Actor, l2_block: u64, root: B256) -> u64 {
        let receipt = send(
            "propose",
            who.rollup
                .propose(l2_block, root)
                .value(self.params.proposal_bond),
        )
        .await;
        event::<Rollup::OutputProposed>(&receipt).index
    }

    /// Challenges a proposal from `who` with the right bond; returns the game id.
    pub(crate) async fn challenge(&self, who: &Actor, index: u64) -> u64 {
        let receipt = send(
            "challenge",
            who.rollup
                .challenge(index)
                .value(self.params.challenge_bond),
        )
        .await;
        event::<Rollup::GameStarted>(&receipt).gameId
    }

    /// Plays a game to its end with the defender and the challenger each claiming the roots of their
    /// own chain, and the arbiter re-executing the leaf block. Returns the resolution event and the
    /// number of bisection moves (defend + respond) made.
    pub(crate) async fn play(
        &self,
        id: u64,
        defender: &Chain,
        challenger: &Actor,
        challenger_view: &Chain,
    ) -> (Rollup::GameResolved, u32) {
        let mut moves = 0;
        loop {
            let g = self.game(id).await;
            assert_eq!(Outcome::try_from(g.outcome), Ok(Outcome::Open));
            let mid = (g.agreedBlock + g.disputedBlock) / 2;
            match Turn::try_from(g.turn).expect("a known turn") {
                Turn::Defender => {
                    send(
                        "defend",
                        self.proposer.rollup.defend(id, defender.root(mid)),
                    )
                    .await;
                }
                Turn::Challenger => {
                    let agree = g.midRoot == challenger_view.root(mid);
                    send("respond", challenger.rollup.respond(id, agree)).await;
                }
                Turn::Arbiter => {
                    assert_eq!(
                        g.disputedBlock,
                        g.agreedBlock + 1,
                        "the arbiter sees one block"
                    );
                    let proposer_wins = g.disputedRoot == step(g.agreedRoot, g.disputedBlock);
                    let receipt = send(
                        "adjudicate",
                        self.arbiter.rollup.adjudicate(id, proposer_wins),
                    )
                    .await;
                    return (event::<Rollup::GameResolved>(&receipt), moves);
                }
            }
            moves += 1;
        }
    }

    /// Withdraws `who`'s whole credit, if any; returns the amount.
    pub(crate) async fn withdraw_all(&self, who: &Actor) -> U256 {
        let credit = self.rollup.credits(who.address).call().await.unwrap();
        if !credit.is_zero() {
            send("withdraw", who.rollup.withdraw()).await;
        }
        credit
    }
}

/// Sends a contract call, waits for its receipt and asserts that it succeeded.
pub(crate) async fn send<P: Provider, C: SolCall>(
    what: &str,
    call: SolCallBuilder<P, C>,
) -> TransactionReceipt {
    // Some calls' gas depends on the block they land in (a deadline written equal to the stored one
    // costs less), so the estimate taken one block earlier gets a margin.
    let call = match call.estimate_gas().await {
        Ok(estimate) => call.gas(estimate + estimate / 4 + 10_000),
        Err(e) => match e.as_decoded_interface_error::<RollupErrors>() {
            Some(reason) => panic!("{what} reverted: {reason:?}"),
            None => panic!("{what} failed: {e}"),
        },
    };
    let pending = match call.send().await {
        Ok(pending) => pending,
        Err(e) => match e.as_decoded_interface_error::<RollupErrors>() {
            Some(reason) => panic!("{what} reverted: {reason:?}"),
            None => panic!("{what} failed: {e}"),
        },
    };
    let receipt = pending.get_receipt().await.expect("a receipt");
    assert!(receipt.status(), "{what} reverted on chain");
    receipt
}

/// Sends a contract call that must revert, and returns the contract's reason.
pub(crate) async fn revert<P: Provider, C: SolCall>(call: SolCallBuilder<P, C>) -> RollupErrors {
    match call.send().await {
        Ok(pending) => panic!("expected a revert, got transaction {}", pending.tx_hash()),
        Err(e) => e
            .as_decoded_interface_error::<RollupErrors>()
            .unwrap_or_else(|| panic!("not a Rollup revert: {e}")),
    }
}

/// The first event of type `E` in a receipt.
pub(crate) fn event<E: SolEvent>(receipt: &TransactionReceipt) -> E {
    receipt
        .decoded_log::<E>()
        .unwrap_or_else(|| panic!("no {} event in the receipt", E::SIGNATURE))
        .data
}

/// All events of type `E` in a receipt, in order.
pub(crate) fn events<E: SolEvent>(receipt: &TransactionReceipt) -> Vec<E> {
    receipt
        .logs()
        .iter()
        .filter_map(|log| log.log_decode::<E>().ok())
        .map(|log| log.inner.data)
        .collect()
}

/// The model state transition: the output root of block `n` from that of block `n - 1`.
pub(crate) fn step(parent: B256, n: u64) -> B256 {
    let mut buf = [0u8; 40];
    buf[..32].copy_from_slice(parent.as_slice());
    buf[32..].copy_from_slice(&n.to_be_bytes());
    keccak256(buf)
}

/// The output roots some party believes in, by L2 block number.
#[derive(Debug, Clone)]
pub(crate) struct Chain {
    roots: Vec<B256>,
}

impl Chain {
    /// The correct chain up to block `last`.
    pub(crate) fn honest(last: u64) -> Self {
        let mut roots = vec![keccak256("model genesis")];
        for n in 1..=last {
            roots.push(step(roots[(n - 1) as usize], n));
        }
        Self { roots }
    }

    /// A chain that agrees with the correct one below `first_wrong`, executes that block wrongly, and
    /// goes on correctly from the wrong state: only the step into `first_wrong` fails re-execution.
    pub(crate) fn lying_from(first_wrong: u64, last: u64) -> Self {
        let mut chain = Self::honest(last);
        chain.roots[first_wrong as usize] = keccak256(b"a wrongly executed block");
        for n in first_wrong + 1..=last {
            chain.roots[n as usize] = step(chain.roots[(n - 1) as usize], n);
        }
        chain
    }

    /// The output root of block `n`.
    pub(crate) fn root(&self, n: u64) -> B256 {
        self.roots[n as usize]
    }
}

/// `len` bytes that look like compressed data (no zero bytes), from a fixed seed.
pub(crate) fn batch_bytes(len: usize, seed: u64) -> Bytes {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            // xorshift64: cheap, deterministic, good enough to avoid zero bytes' discount.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state as u8) | 1
        })
        .collect::<Vec<u8>>()
        .into()
}
