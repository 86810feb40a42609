//! Receipts of L2 transactions.

use alloy_consensus::{Eip658Value, Receipt};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Bloom, Log};
use alloy_rlp::{BufMut, Encodable};
use serde::{Deserialize, Serialize};

/// A receipt with its transaction's type, encoded like Ethereum's typed receipts (`type ++ rlp`, or bare
/// RLP for legacy), deposits with type 0x7e.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L2Receipt {
    /// The transaction's EIP-2718 type.
    pub tx_type: u8,
    /// Status, cumulative gas and logs.
    pub receipt: Receipt<Log>,
}

impl L2Receipt {
    /// A receipt for a transaction of type `tx_type`.
    pub fn new(tx_type: u8, success: bool, cumulative_gas_used: u64, logs: Vec<Log>) -> Self {
        Self {
            tx_type,
            receipt: Receipt {
                status: Eip658Value::Eip658(success),
                cumulative_gas_used,
                logs,
            },
        }
    }

    /// Whether the transaction succeeded.
    pub fn success(&self) -> bool {
        self.receipt.status.coerce_status()
    }

    /// The receipt's logs bloom.
    pub fn bloom(&self) -> Bloom {
        self.receipt.bloom_slow()
    }

    fn rlp_payload_length(&self) -> usize {
        self.receipt
            .rlp_encoded_fields_length_with_bloom(&self.bloom())
    }
}

impl alloy_eips::Typed2718 for L2Receipt {
    fn ty(&self) -> u8 {
        self.tx_type
    }
}

impl Encodable2718 for L2Receipt {
    fn encode_2718_len(&self) -> usize {
        let payload = self.rlp_payload_length();
        let rlp = alloy_rlp::Header {
            list: true,
            payload_length: payload,
        }
        .length()
            + payload;
        if self.tx_type == 0 { rlp } else { 1 + rlp }
    }

    fn encode_2718(&self, out: &mut dyn BufMut) {
        if self.tx_type != 0 {
            out.put_u8(self.tx_type);
        }
        let bloom = self.bloom();
        alloy_rlp::Header {
            list: true,
            payload_length: self.rlp_payload_length(),
        }
        .encode(out);
        self.receipt.rlp_encode_fields_with_bloom(&bloom, out);
    }
}

impl Encodable for L2Receipt {
    fn encode(&self, out: &mut dyn BufMut) {
        self.encode_2718(out);
    }

    fn length(&self) -> usize {
        self.encode_2718_len()
    }
}
