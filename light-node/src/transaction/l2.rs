//! A transaction in an L2 block.

use alloy_consensus::TxEnvelope;
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, B256, Bytes};
use alloy_rlp::Decodable;

use super::{
    DEPOSIT_TX_TYPE, Deposit,
    sender::{recover_all, recover_sender},
};

/// Why raw transaction bytes cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    /// The bytes are not a valid EIP-2718 envelope.
    #[error("malformed transaction: {0}")]
    Malformed(String),
    /// The signature does not recover to an address.
    #[error("invalid signature")]
    BadSignature,
    /// Deposits cannot be submitted by users.
    #[error("deposit transactions come only from L1")]
    DepositNotAllowed,
    /// Blob transactions need blob data that L2 does not carry.
    #[error("blob transactions are not supported on L2")]
    BlobNotAllowed,
}

/// A transaction of an L2 block: a deposit from L1, or a signed user transaction with its sender.
#[derive(Debug, Clone, PartialEq, Eq)]
// Nearly every transaction is a user transaction: boxing it would cost an allocation each.
#[allow(clippy::large_enum_variant)]
pub enum L2Transaction {
    /// A deposit derived from an L1 event.
    Deposit(Deposit),
    /// A user transaction and the address its signature recovers to.
    User {
        /// The signed transaction.
        tx: TxEnvelope,
        /// The recovered sender.
        sender: Address,
    },
}

impl L2Transaction {
    /// Decodes a user transaction from its EIP-2718 bytes and recovers its sender.
    pub fn decode_user(raw: &[u8]) -> Result<Self, TransactionError> {
        Self::decode_signed(raw).map(|(tx, sender)| Self::User { tx, sender })
    }

    /// Decodes a signed user transaction and recovers its sender.
    pub fn decode_signed(raw: &[u8]) -> Result<(TxEnvelope, Address), TransactionError> {
        let tx = Self::decode_envelope(raw)?;
        let sender = recover_sender(&tx).ok_or(TransactionError::BadSignature)?;
        Ok((tx, sender))
    }

    /// [`L2Transaction::decode_signed`] without the sender: the envelope, if it is one an L2
    /// block may carry.
    fn decode_envelope(mut raw: &[u8]) -> Result<TxEnvelope, TransactionError> {
        if raw.first() == Some(&DEPOSIT_TX_TYPE) {
            return Err(TransactionError::DepositNotAllowed);
        }
        let tx = TxEnvelope::decode_2718(&mut raw)
            .map_err(|e| TransactionError::Malformed(e.to_string()))?;
        if !raw.is_empty() {
            return Err(TransactionError::Malformed(format!(
                "{} bytes after the transaction",
                raw.len()
            )));
        }
        if tx.is_eip4844() {
            return Err(TransactionError::BlobNotAllowed);
        }
        Ok(tx)
    }

    /// Decodes any L2 transaction (deposit or user) from its EIP-2718 bytes.
    pub fn decode_2718(raw: &[u8]) -> Result<Self, TransactionError> {
        match raw.split_first() {
            Some((&DEPOSIT_TX_TYPE, mut rest)) => {
                let deposit = Deposit::decode(&mut rest)
                    .map_err(|e| TransactionError::Malformed(e.to_string()))?;
                if !rest.is_empty() {
                    return Err(TransactionError::Malformed(
                        "bytes after the deposit".into(),
                    ));
                }
                Ok(Self::Deposit(deposit))
            }
            _ => Self::decode_user(raw),
        }
    }

    /// The EIP-2718 encoding.
    pub fn encoded_2718(&self) -> Vec<u8> {
        match self {
            Self::Deposit(d) => d.encoded_2718(),
            Self::User { tx, .. } => tx.encoded_2718(),
        }
    }

    /// The EIP-2718 encoding as `Bytes`.
    pub fn encoded(&self) -> Bytes {
        self.encoded_2718().into()
    }

    /// The transaction hash.
    pub fn hash(&self) -> B256 {
        match self {
            Self::Deposit(d) => d.hash(),
            Self::User { tx, .. } => *tx.tx_hash(),
        }
    }

    /// Who sent it: the signer, or the L1 depositor.
    pub fn sender(&self) -> Address {
        match self {
            Self::Deposit(d) => d.from,
            Self::User { sender, .. } => *sender,
        }
    }

    /// The EIP-2718 type byte (0 for legacy).
    pub fn tx_type(&self) -> u8 {
        match self {
            Self::Deposit(_) => DEPOSIT_TX_TYPE,
            Self::User { tx, .. } => tx.tx_type() as u8,
        }
    }
}

/// A user transaction's bytes, decoded, with the sender its signature recovers to, or why they do
/// not decode. Only [`Recovered::decode`] makes one, so the sender is always the signature's: an
/// executor handed one skips the recovery without trusting whoever did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    raw: Bytes,
    decoded: Result<(TxEnvelope, Address), TransactionError>,
}

impl Recovered {
    /// Decodes a signed user transaction and recovers its sender, as
    /// [`L2Transaction::decode_signed`].
    pub fn decode(raw: Bytes) -> Self {
        let decoded = L2Transaction::decode_signed(&raw);
        Self { raw, decoded }
    }

    /// Decodes many, in order, on up to `threads` threads. Recovering a sender is most of the cost
    /// of a transfer, and each is independent of the others. In the browser, where the light node
    /// has no threads to start, it is one after another. Each thread recovers its senders together,
    /// sharing the work they have in common (`sender::recover_all`).
    pub fn decode_all(raw: &[Bytes], threads: usize) -> Vec<Self> {
        let threads = threads.clamp(1, raw.len().max(1));
        if threads == 1 || cfg!(target_family = "wasm") {
            return Self::decode_together(raw);
        }
        let chunk = raw.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let parts: Vec<_> = raw
                .chunks(chunk)
                .map(|part| scope.spawn(move || Self::decode_together(part)))
                .collect();
            parts
                .into_iter()
                .flat_map(|part| match part.join() {
                    Ok(decoded) => decoded,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        })
    }

    /// Decodes each as [`Recovered::decode`] does, recovering the senders together.
    fn decode_together(raw: &[Bytes]) -> Vec<Self> {
        let envelopes: Vec<_> = raw
            .iter()
            .map(|r| L2Transaction::decode_envelope(r))
            .collect();
        let signed: Vec<_> = envelopes
            .iter()
            .flatten()
            .map(|tx| (*tx.signature(), tx.signature_hash()))
            .collect();
        let mut senders = recover_all(&signed).into_iter();
        raw.iter()
            .zip(envelopes)
            .map(|(raw, envelope)| {
                // One sender per envelope, in order, whatever the signature gave.
                let decoded = envelope.and_then(|tx| {
                    let sender = senders.next().flatten();
                    Ok((tx, sender.ok_or(TransactionError::BadSignature)?))
                });
                Self {
                    raw: raw.clone(),
                    decoded,
                }
            })
            .collect()
    }

    /// The bytes it was decoded from.
    pub fn raw(&self) -> &Bytes {
        &self.raw
    }

    /// The transaction and its sender, or why the bytes are not a usable transaction.
    pub fn decoded(&self) -> Result<&(TxEnvelope, Address), &TransactionError> {
        self.decoded.as_ref()
    }

    /// [`Recovered::decoded`], by value.
    pub fn into_decoded(self) -> Result<(TxEnvelope, Address), TransactionError> {
        self.decoded
    }
}

impl alloy_eips::Typed2718 for L2Transaction {
    fn ty(&self) -> u8 {
        self.tx_type()
    }
}

impl Encodable2718 for L2Transaction {
    fn encode_2718_len(&self) -> usize {
        match self {
            Self::Deposit(d) => 1 + alloy_rlp::Encodable::length(d),
            Self::User { tx, .. } => tx.encode_2718_len(),
        }
    }

    fn encode_2718(&self, out: &mut dyn alloy_rlp::BufMut) {
        match self {
            Self::Deposit(d) => {
                out.put_u8(DEPOSIT_TX_TYPE);
                alloy_rlp::Encodable::encode(d, out);
            }
            Self::User { tx, .. } => tx.encode_2718(out),
        }
    }
}
