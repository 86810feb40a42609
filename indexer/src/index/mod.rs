//! The index: the L2 chain derived from L1 alone, stored in SQL and served by the REST API.
//!
//! The [`Indexer`] follows L1 ([`l1`]), feeds every L1 block to the light node's deriver with a state
//! of its own (never the sequencer's), and writes what derivation produced, one L1 block per database
//! transaction ([`db`]). The API reads the database ([`query`]) and, for witnesses and proofs, the
//! indexer's state.

pub mod db;
pub mod discover;
pub mod driver;
pub mod l1;
pub mod metrics;
pub mod query;
pub mod rows;
pub mod witness;

use std::sync::Arc;

use alloy::providers::{Provider, ProviderBuilder};
pub use db::{AsOf, Backend, Db, DbError};
pub use driver::{IndexError, IndexEvent, IndexShared, IndexStatus, Indexer, IndexerConfig};
pub use l1::L1Reader;
use tokio::task::JoinHandle;

use crate::{genesis::RollupGenesis, sequencer::Sequencer};

/// A running indexer: what the API reads, and the task that derives.
#[derive(Debug)]
pub struct RunningIndex {
    /// What the API reads.
    pub shared: Arc<IndexShared>,
    task: JoinHandle<()>,
}

impl RunningIndex {
    /// Stops deriving.
    pub fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for RunningIndex {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Opens the index at `database_url` for `genesis`, reading L1 at `l1_url`, and starts deriving.
pub async fn start(
    database_url: &str,
    l1_url: &str,
    genesis: RollupGenesis,
    sequencer: Option<Arc<Sequencer>>,
    config: IndexerConfig,
) -> Result<RunningIndex, IndexError> {
    let url = l1_url.parse().map_err(|e| {
        IndexError::L1(crate::sequencer::OriginError::Rpc(format!(
            "invalid L1 endpoint {l1_url:?}: {e}"
        )))
    })?;
    let provider = ProviderBuilder::new().connect_http(url).erased();
    let db = Db::open(database_url).await?;
    let reader = L1Reader::new(provider, genesis.rollup);
    let indexer = Indexer::open(db, reader, genesis, sequencer, config).await?;
    let shared = indexer.shared();
    let task = tokio::spawn(indexer.run());
    Ok(RunningIndex { shared, task })
}
