//! L2 transactions and receipts: user transactions are ordinary EIP-2718 envelopes, deposits are the
//! rollup's own type 0x7e.

mod curve;
mod deposit;
mod l2;
mod receipt;
mod sender;

pub use deposit::{DEPOSIT_TX_TYPE, Deposit};
pub use l2::{L2Transaction, Recovered, TransactionError};
pub use receipt::L2Receipt;
