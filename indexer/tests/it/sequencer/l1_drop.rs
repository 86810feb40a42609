//! The L1 sender behind the batcher and the proposer: a transaction L1 drops is broadcast again, one
//! that lingers is replaced under the same nonce, and exactly one version lands.

use std::time::{Duration, Instant};

use alloy::{
    primitives::{Address, Bytes, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
};
use indexer::{
    anvil::{Anvil, AnvilConfig, free_loopback_addr},
    genesis::dev_signer,
    l1tx::{L1Sender, L1SenderConfig},
};

use super::anvil_bin;

async fn pending_count(l1: &DynProvider, who: Address) -> u64 {
    l1.get_transaction_count(who)
        .pending()
        .await
        .expect("pending nonce")
}

async fn wait_pending(l1: &DynProvider, who: Address, want: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while pending_count(l1, who).await < want {
        assert!(
            Instant::now() < deadline,
            "no pending transaction from {who}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_transactions_are_resent_and_lingering_ones_replaced_under_one_nonce() {
    let anvil = Anvil::start_on_free_port(&AnvilConfig {
        bin: anvil_bin(),
        addr: free_loopback_addr().expect("port"),
        block_time: None,
        log_path: None,
        state: None,
    })
    .await
    .expect("anvil");
    let l1 = ProviderBuilder::new()
        .connect_http(anvil.url().parse().expect("url"))
        .erased();
    let _: bool = l1
        .raw_request("evm_setAutomine".into(), (false,))
        .await
        .unwrap_or(true);
    let signer = dev_signer(7);
    let who = signer.address();
    let sender = L1Sender::new(
        l1.clone(),
        signer,
        L1SenderConfig {
            poll: Duration::from_millis(100),
            resubmit_after: Duration::from_secs(1),
            fee_bump_percent: 25,
        },
    )
    .await
    .expect("sender");
    let to = Address::repeat_byte(0x42);

    // Dropped from L1's mempool: broadcast again, then mined once.
    let task = {
        let sender = sender.clone();
        tokio::spawn(async move { sender.send(to, Bytes::new(), U256::from(1)).await })
    };
    wait_pending(&l1, who, 1).await;
    let _: Vec<alloy::primitives::B256> = l1
        .raw_request("anvil_dropAllTransactions".into(), ())
        .await
        .unwrap_or_default();
    assert_eq!(pending_count(&l1, who).await, 0, "anvil dropped it");
    wait_pending(&l1, who, 1).await;
    let _: String = l1.raw_request("evm_mine".into(), ()).await.expect("mine");
    let receipt = task.await.expect("task").expect("landed");
    assert!(receipt.status());

    // Lingering: replaced with higher fees under the same nonce; only one version lands.
    let task = {
        let sender = sender.clone();
        tokio::spawn(async move { sender.send(to, Bytes::new(), U256::from(1)).await })
    };
    wait_pending(&l1, who, 2).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let _: String = l1.raw_request("evm_mine".into(), ()).await.expect("mine");
    let receipt = task.await.expect("task").expect("landed");
    assert!(receipt.status());
    let _: String = l1.raw_request("evm_mine".into(), ()).await.expect("mine");
    assert_eq!(
        l1.get_transaction_count(who).await.expect("nonce"),
        2,
        "two sends, two transactions"
    );
    assert_eq!(l1.get_balance(to).await.expect("balance"), U256::from(2));
}
