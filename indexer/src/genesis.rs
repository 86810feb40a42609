//! The devnet's L2 genesis: the chain parameters, the funded dev accounts and the L1 block the rollup
//! starts from.
//!
//! The genesis is a pure function of [`RollupGenesis::config`] and the documented allocation
//! ([`dev_allocation`]), so anyone holding the same record derives the same genesis block, hash for
//! hash, and can start a [`light_node::Deriver`] from it ([`RollupGenesis::deriver`]).

use alloy::signers::local::PrivateKeySigner;
use alloy_consensus::Header;
use alloy_primitives::{Address, B256, U256};
use light_node::{ChainConfig, Deriver, ExecError, L1Origin, L2State, genesis_header, output_root};
use serde::{Deserialize, Serialize};

/// The mnemonic anvil derives its dev accounts from; the L2 genesis funds the same ten accounts.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Private keys of the first ten accounts of [`DEV_MNEMONIC`] (`m/44'/60'/0'/0/i`), the same as anvil's.
/// Public test keys: never use them for anything of value.
pub const DEV_KEYS: [&str; 10] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
];

/// Index in [`DEV_KEYS`] of the L1 account that deploys the Rollup contract and posts batches.
pub const BATCHER_KEY_INDEX: usize = 0;
/// Index in [`DEV_KEYS`] of the L1 account that proposes output roots.
pub const PROPOSER_KEY_INDEX: usize = 1;
/// Index in [`DEV_KEYS`] of the L1 account reserved for the challenger.
pub const CHALLENGER_KEY_INDEX: usize = 2;
/// Index in [`DEV_KEYS`] of the L1 account that arbitrates dispute games on the devnet.
pub const ARBITER_KEY_INDEX: usize = 3;

/// Wei each dev account holds in the L2 genesis: 10,000 ETH, as on anvil.
pub fn dev_balance() -> U256 {
    U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64))
}

/// The signer of dev account `index` (0 to 9).
pub fn dev_signer(index: usize) -> PrivateKeySigner {
    DEV_KEYS[index % DEV_KEYS.len()]
        .parse()
        .expect("the dev keys are valid secp256k1 keys")
}

/// The L2 genesis allocation: every dev account with [`dev_balance`], in key order.
pub fn dev_allocation() -> Vec<(Address, U256)> {
    (0..DEV_KEYS.len())
        .map(|i| (dev_signer(i).address(), dev_balance()))
        .collect()
}

/// Everything that fixes one rollup: its parameters, its L1 contract and the L1 block it starts from.
///
/// The sequencer stores it in its database; an indexer given the same record (or rebuilding it from
/// the contract's deployment) derives the same chain from L1 alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupGenesis {
    /// The chain parameters; `genesis_timestamp` is the timestamp of the deployment's L1 block.
    pub config: ChainConfig,
    /// EIP-155 chain id of the L1.
    pub l1_chain_id: u64,
    /// The Rollup contract.
    pub rollup: Address,
    /// The L1 block the Rollup contract was deployed in: the genesis block's L1 origin. Deposits in
    /// this block are not part of the chain (an origin's deposits apply when the origin advances to it).
    pub l1_origin: L1Origin,
    /// The only address allowed to post batches.
    pub batcher: Address,
    /// The address the devnet proposes output roots from.
    pub proposer: Address,
}

impl RollupGenesis {
    /// The genesis state and header: the dev allocation over an empty state.
    pub fn genesis_state(&self) -> Result<(L2State, Header), ExecError> {
        genesis_of(&self.config)
    }

    /// A deriver starting from this genesis, as the indexer runs it.
    pub fn deriver(&self) -> Result<Deriver, ExecError> {
        let (state, header) = self.genesis_state()?;
        Ok(Deriver::new(
            self.config.clone(),
            state,
            header,
            self.l1_origin.clone(),
        ))
    }
}

/// The genesis state (dev allocation) and header for `config`.
pub fn genesis_of(config: &ChainConfig) -> Result<(L2State, Header), ExecError> {
    let mut state = L2State::default();
    let root = state.allocate(dev_allocation())?;
    Ok((state, genesis_header(config, root)))
}

/// The output root of the genesis block for `config`, which the Rollup contract is deployed with.
pub fn genesis_output_root(config: &ChainConfig) -> Result<B256, ExecError> {
    let (_, header) = genesis_of(config)?;
    Ok(output_root(header.state_root, header.hash_slow()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_keys_are_anvils_accounts() {
        assert_eq!(
            dev_signer(0).address(),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
                .parse::<Address>()
                .expect("address")
        );
        assert_eq!(
            dev_signer(9).address(),
            "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
                .parse::<Address>()
                .expect("address")
        );
    }

    #[test]
    fn genesis_is_deterministic() {
        let config = ChainConfig::devnet();
        let (_, a) = genesis_of(&config).expect("genesis");
        let (_, b) = genesis_of(&config).expect("genesis");
        assert_eq!(a.hash_slow(), b.hash_slow());
        assert_eq!(a.number, 0);
    }
}
