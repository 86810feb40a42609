//! Deposits: value and calls sent from L1 through the Rollup contract.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_rlp::{RlpDecodable, RlpEncodable};
use serde::{Deserialize, Serialize};

/// The EIP-2718 type byte of deposit transactions.
pub const DEPOSIT_TX_TYPE: u8 = 0x7e;

/// A deposit as the Rollup contract's `Deposited` event records it. On L2 it becomes a transaction of
/// type 0x7e that first mints `mint` wei to `to`, then calls `to` from `from` with `data` and
/// `gas_limit`, paying no fee. A reverted call keeps the minted value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, RlpEncodable, RlpDecodable, Serialize, Deserialize)]
pub struct Deposit {
    /// The contract's deposit counter: unique and increasing.
    pub nonce: u64,
    /// The L1 account that deposited.
    pub from: Address,
    /// The L2 recipient of the value and of the call.
    pub to: Address,
    /// Wei minted on L2 (the ETH locked on L1).
    pub mint: U256,
    /// Gas the call may use.
    pub gas_limit: u64,
    /// Call data.
    pub data: Bytes,
}

impl Deposit {
    /// The EIP-2718 encoding: `0x7e ++ rlp([nonce, from, to, mint, gas_limit, data])`.
    pub fn encoded_2718(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + alloy_rlp::Encodable::length(self));
        out.push(DEPOSIT_TX_TYPE);
        alloy_rlp::Encodable::encode(self, &mut out);
        out
    }

    /// The transaction hash: keccak256 of the EIP-2718 encoding.
    pub fn hash(&self) -> B256 {
        keccak256(self.encoded_2718())
    }
}

#[cfg(test)]
mod tests {
    use alloy_rlp::Decodable;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen_test]
    #[test]
    fn encoding_round_trips_and_hash_covers_every_field() {
        let d = Deposit {
            nonce: 3,
            from: Address::repeat_byte(1),
            to: Address::repeat_byte(2),
            mint: U256::from(10u64).pow(U256::from(18)),
            gas_limit: 100_000,
            data: Bytes::from_static(&[1, 2, 3]),
        };
        let enc = d.encoded_2718();
        assert_eq!(enc[0], DEPOSIT_TX_TYPE);
        assert_eq!(Deposit::decode(&mut &enc[1..]), Ok(d.clone()));
        let other = Deposit {
            nonce: 4,
            ..d.clone()
        };
        assert_ne!(d.hash(), other.hash());
    }
}
