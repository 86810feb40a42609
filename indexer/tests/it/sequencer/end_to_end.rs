//! The devnet with anvil as L1: 1,000 transfers, a contract, logs, a revert, proofs, a deposit; then
//! every block is derived back from L1 alone and every proposal checked.

use std::time::{Duration, Instant};

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, Bytes, TxKind, U256, keccak256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{Filter, TransactionReceipt},
};
use alloy_rlp::Decodable;
use contracts::Rollup;
use indexer::{
    anvil::{Anvil, AnvilConfig, free_loopback_addr},
    devnet::{self, Devnet, DevnetConfig},
    genesis::dev_signer,
};
use light_node::verify_proof;

use super::{
    STORE_AND_LOG_INIT, STORE_AND_LOG_RUNTIME, anvil_bin, derive_from_l1, sign, store_call,
    transfer,
};

/// Anvil mining a block a second, and the rollup roles on top of it.
pub(crate) struct Harness {
    pub(crate) devnet: Devnet,
    pub(crate) l1: DynProvider,
    pub(crate) l2: DynProvider,
    pub(crate) _anvil: Anvil,
    pub(crate) _dir: tempfile::TempDir,
}

pub(crate) const PROPOSAL_INTERVAL: u64 = 4;

pub(crate) async fn start_anvil() -> Anvil {
    Anvil::start_on_free_port(&anvil_config(None))
        .await
        .expect("anvil starts")
}

/// anvil on a free loopback port, a block a second, keeping its chain in `state` when given.
fn anvil_config(state: Option<std::path::PathBuf>) -> AnvilConfig {
    AnvilConfig {
        bin: anvil_bin(),
        addr: free_loopback_addr().expect("port"),
        block_time: Some(1),
        log_path: None,
        state,
    }
}

impl Harness {
    pub(crate) async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts the devnet with `adjust` applied to its configuration.
    pub(crate) async fn start_with(adjust: impl FnOnce(&mut DevnetConfig)) -> Self {
        indexer::telemetry::init();
        let dir = tempfile::tempdir().expect("temp dir");
        let anvil =
            Anvil::start_on_free_port(&anvil_config(Some(dir.path().join("l1-state.json"))))
                .await
                .expect("anvil starts");
        let mut config = DevnetConfig::new(anvil.url(), dir.path());
        config.rpc.addr = free_loopback_addr().expect("port");
        config.proposer.interval = PROPOSAL_INTERVAL;
        config.batcher.max_age = Duration::from_secs(2);
        config.origin_confirmations = 1;
        adjust(&mut config);
        let devnet = devnet::start(config).await.expect("devnet starts");
        let l1 = ProviderBuilder::new()
            .connect_http(anvil.url().parse().expect("url"))
            .erased();
        let l2 = ProviderBuilder::new()
            .connect_http(devnet.rpc_url().parse().expect("url"))
            .erased();
        Self {
            devnet,
            l1,
            l2,
            _anvil: anvil,
            _dir: dir,
        }
    }
}

impl Harness {
    /// Stops L1; anvil saves its chain. Returns L1's head then, for [`Harness::start_l1`].
    pub(crate) async fn stop_l1(&mut self) -> (u64, B256) {
        let head = self.l1.get_block_number().await.expect("head");
        let hash = self
            .l1
            .get_block_by_number(head.into())
            .await
            .expect("L1")
            .expect("the head")
            .header
            .hash;
        self._anvil.stop();
        (head, hash)
    }

    /// Starts L1 again on the same address with the chain it saved, and checks that it is the same
    /// chain: the block that was the head when it stopped, `head`, is there under its hash.
    pub(crate) async fn start_l1(&mut self, head: (u64, B256)) {
        let mut config = anvil_config(Some(self._dir.path().join("l1-state.json")));
        config.addr = self
            ._anvil
            .url()
            .trim_start_matches("http://")
            .parse()
            .expect("anvil's address");
        self._anvil = Anvil::start(&config).await.expect("anvil restarts");
        let kept = self
            .l1
            .get_block_by_number(head.0.into())
            .await
            .expect("L1")
            .map(|b| b.header.hash);
        assert_eq!(
            kept,
            Some(head.1),
            "anvil did not keep its chain across the restart"
        );
    }
}

pub(crate) async fn wait_receipt(
    l2: &DynProvider,
    hash: B256,
    deadline: Instant,
) -> TransactionReceipt {
    loop {
        if let Some(r) = l2
            .get_transaction_receipt(hash)
            .await
            .expect("receipt query")
        {
            return r;
        }
        assert!(Instant::now() < deadline, "no receipt for {hash}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until the `safe` head reaches `number` and a proposal covers at least `proposed`.
pub(crate) async fn wait_posted(h: &Harness, number: u64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while h.devnet.sequencer.safe_number() < number {
        assert!(
            Instant::now() < deadline,
            "blocks up to {number} never reached L1"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_contracts_logs_proofs_batches_and_proposals() {
    let h = Harness::start().await;
    let deadline = Instant::now() + Duration::from_secs(180);
    assert_eq!(h.l2.get_chain_id().await.expect("chain id"), 42069);

    // A deposit from L1 (from an account that sends nothing on L2: a deposit's call uses a nonce of
    // its L1 sender's address on L2).
    let depositor = dev_signer(2);
    let l1_wallet = ProviderBuilder::new()
        .wallet(EthereumWallet::from(depositor.clone()))
        .connect_provider(h.l1.clone())
        .erased();
    let rollup = Rollup::new(h.devnet.genesis.rollup, l1_wallet);
    let depositee = Address::repeat_byte(0xd0);
    let one_eth = U256::from(10u64).pow(U256::from(18));
    rollup
        .deposit(depositee, 100_000, Bytes::new())
        .value(one_eth)
        .send()
        .await
        .expect("deposit sent")
        .get_receipt()
        .await
        .expect("deposit mined");

    // 1,000 transfers from five senders.
    let senders: Vec<_> = (4..9).map(dev_signer).collect();
    let mut transfers = Vec::new();
    for i in 0..200u64 {
        for (s, signer) in senders.iter().enumerate() {
            let to = Address::from_word(keccak256((i * 10 + s as u64).to_be_bytes()));
            let raw = transfer(signer, i, to, 1_000 + i);
            let pending =
                h.l2.send_raw_transaction(&raw)
                    .await
                    .expect("transfer accepted");
            transfers.push((*pending.tx_hash(), signer.address(), to, 1_000 + i));
        }
    }

    // A contract: deployed, called twice (logs), and once reverting.
    let dev = dev_signer(9);
    let send = |raw: Bytes| {
        let l2 = h.l2.clone();
        async move {
            *l2.send_raw_transaction(&raw)
                .await
                .expect("accepted")
                .tx_hash()
        }
    };
    let deploy = send(sign(
        &dev,
        0,
        TxKind::Create,
        U256::ZERO,
        STORE_AND_LOG_INIT.into(),
        200_000,
    ))
    .await;
    let contract = dev.address().create(0);
    let set_42 = send(sign(
        &dev,
        1,
        TxKind::Call(contract),
        U256::ZERO,
        store_call(1, 42),
        100_000,
    ))
    .await;
    let set_43 = send(sign(
        &dev,
        2,
        TxKind::Call(contract),
        U256::ZERO,
        store_call(2, 43),
        100_000,
    ))
    .await;
    let revert = send(sign(
        &dev,
        3,
        TxKind::Call(contract),
        U256::ZERO,
        store_call(3, 0xdead),
        100_000,
    ))
    .await;

    let mut last_block = 0;
    for (hash, from, to, _) in &transfers {
        let r = wait_receipt(&h.l2, *hash, deadline).await;
        assert!(r.status(), "transfer {hash} failed");
        assert_eq!(r.gas_used, 21_000);
        assert_eq!((r.from, r.to), (*from, Some(*to)));
        assert_eq!(r.transaction_hash, *hash);
        last_block = last_block.max(r.block_number.expect("mined"));
    }
    for (_, _, to, value) in transfers.iter().step_by(7) {
        assert_eq!(
            h.l2.get_balance(*to).await.expect("balance"),
            U256::from(*value)
        );
    }
    let r = wait_receipt(&h.l2, deploy, deadline).await;
    assert!(r.status());
    assert_eq!(r.contract_address, Some(contract));
    assert_eq!(
        h.l2.get_code_at(contract).await.expect("code").as_ref(),
        STORE_AND_LOG_RUNTIME
    );
    for (hash, slot, value) in [(set_42, 1u64, 42u64), (set_43, 2, 43)] {
        let r = wait_receipt(&h.l2, hash, deadline).await;
        assert!(r.status());
        let logs = r.inner.logs();
        assert_eq!(logs.len(), 1);
        assert_eq!(logs[0].address(), contract);
        assert_eq!(logs[0].topics(), &[B256::from(U256::from(value))]);
        assert_eq!(
            logs[0].data().data.as_ref(),
            B256::from(U256::from(slot)).as_slice()
        );
        last_block = last_block.max(r.block_number.expect("mined"));
    }
    let r = wait_receipt(&h.l2, revert, deadline).await;
    assert!(!r.status(), "the 0xdead call reverts");
    assert!(r.inner.logs().is_empty());
    last_block = last_block.max(r.block_number.expect("mined"));

    // eth_getLogs by address and by topic.
    let all =
        h.l2.get_logs(&Filter::new().address(contract).from_block(0))
            .await
            .expect("logs");
    assert_eq!(all.len(), 2);
    let only_43 =
        h.l2.get_logs(
            &Filter::new()
                .address(contract)
                .from_block(0)
                .event_signature(B256::from(U256::from(43))),
        )
        .await
        .expect("logs");
    assert_eq!(only_43.len(), 1);
    assert_eq!(only_43[0].transaction_hash, Some(set_43));

    // The read methods wallets and tools use.
    let (first_hash, first_from, first_to, _) = transfers[0];
    let tx =
        h.l2.get_transaction_by_hash(first_hash)
            .await
            .expect("tx")
            .expect("known");
    assert_eq!(
        (tx.inner.signer(), tx.block_number.is_some()),
        (first_from, true)
    );
    let receipt = wait_receipt(&h.l2, first_hash, deadline).await;
    let full: serde_json::Value =
        h.l2.raw_request(
            "eth_getBlockByHash".into(),
            (receipt.block_hash.expect("hash"), true),
        )
        .await
        .expect("full block");
    let txs = full["transactions"].as_array().expect("transactions");
    assert!(
        txs.iter()
            .any(|t| t["hash"] == serde_json::json!(first_hash)
                && t["to"] == serde_json::json!(first_to))
    );
    let by_number =
        h.l2.get_block_by_number(receipt.block_number.expect("n").into())
            .await
            .expect("block")
            .expect("exists");
    assert_eq!(by_number.header.hash, receipt.block_hash.expect("hash"));
    assert_eq!(by_number.transactions.len(), txs.len());
    assert_eq!(h.l2.get_net_version().await.expect("net_version"), 42069);
    assert!(
        h.l2.get_client_version()
            .await
            .expect("client version")
            .starts_with("rollup-explorer/")
    );
    assert!(matches!(
        h.l2.syncing().await.expect("syncing"),
        alloy::rpc::types::SyncStatus::None
    ));
    assert!(h.l2.get_gas_price().await.expect("gas price") > 0);
    assert_eq!(
        h.l2.get_max_priority_fee_per_gas().await.expect("tip"),
        1_000_000_000
    );
    let history =
        h.l2.get_fee_history(4, alloy::eips::BlockNumberOrTag::Latest, &[25.0, 75.0])
            .await
            .expect("fee history");
    let blocks = history.gas_used_ratio.len();
    assert!((1..=4).contains(&blocks));
    assert_eq!(history.base_fee_per_gas.len(), blocks + 1);
    assert_eq!(history.reward.as_ref().map(Vec::len), Some(blocks));
    let estimate = |request: alloy::rpc::types::TransactionRequest| {
        let l2 = h.l2.clone();
        async move { l2.estimate_gas(request).await.expect("estimate") }
    };
    let store = alloy::rpc::types::TransactionRequest::default()
        .from(dev.address())
        .to(contract)
        .input(store_call(5, 7).into());
    let gas = estimate(store).await;
    assert!((21_000..100_000).contains(&gas), "estimate {gas}");
    let plain = alloy::rpc::types::TransactionRequest::default()
        .from(dev.address())
        .to(depositee)
        .value(U256::from(1));
    assert_eq!(estimate(plain).await, 21_000);
    // A wallet-filled send, as cast and viem do it: nonce, fees (eth_feeHistory), gas (eth_estimateGas).
    let wallet = ProviderBuilder::new()
        .wallet(EthereumWallet::from(dev_signer(3)))
        .connect_provider(h.l2.clone())
        .erased();
    let sent = wallet
        .send_transaction(
            alloy::rpc::types::TransactionRequest::default()
                .to(depositee)
                .value(U256::from(5)),
        )
        .await
        .expect("wallet send")
        .get_receipt()
        .await
        .expect("wallet receipt");
    assert!(sent.status());
    last_block = last_block.max(sent.block_number.expect("mined"));

    // eth_call and the revert.
    let call = alloy::rpc::types::TransactionRequest::default()
        .to(contract)
        .input(store_call(3, 0xdead).into());
    let err = h.l2.call(call).await.expect_err("reverts");
    assert_eq!(err.as_error_resp().expect("JSON-RPC error").code, 3);

    // eth_getProof verifies against the block's state root with the light node's verifier.
    let block =
        h.l2.get_block_by_number(last_block.into())
            .await
            .expect("block")
            .expect("exists");
    let proof =
        h.l2.get_proof(
            contract,
            vec![B256::from(U256::from(1)), B256::from(U256::from(9))],
        )
        .number(last_block)
        .await
        .expect("proof");
    let leaf = verify_proof(
        block.header.state_root,
        keccak256(contract).as_slice(),
        &proof.account_proof,
    )
    .expect("account proof verifies")
    .expect("account exists");
    let account = alloy_trie::TrieAccount::decode(&mut leaf.as_slice()).expect("account leaf");
    assert_eq!(account.storage_root, proof.storage_hash);
    assert_eq!(account.nonce, proof.nonce);
    let slot1 = &proof.storage_proof[0];
    let value = verify_proof(
        proof.storage_hash,
        keccak256(B256::from(U256::from(1))).as_slice(),
        &slot1.proof,
    )
    .expect("storage proof verifies")
    .expect("slot 1 is set");
    assert_eq!(
        U256::decode(&mut value.as_slice()).expect("rlp"),
        U256::from(42)
    );
    assert_eq!(slot1.value, U256::from(42));
    let absent = &proof.storage_proof[1];
    assert_eq!(
        verify_proof(
            proof.storage_hash,
            keccak256(B256::from(U256::from(9))).as_slice(),
            &absent.proof
        ),
        Ok(None)
    );

    // The deposit arrived.
    while h.l2.get_balance(depositee).await.expect("balance") != one_eth + U256::from(5) {
        assert!(Instant::now() < deadline, "the deposit never arrived");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let deposit_block = h.devnet.sequencer.head_number();

    // Every block reaches L1 exactly once, and derivation from L1 alone rebuilds them hash for hash.
    let target = last_block.max(deposit_block).max(3 * PROPOSAL_INTERVAL);
    wait_posted(&h, target).await;
    let safe =
        h.l2.get_block_by_number(alloy::eips::BlockNumberOrTag::Safe)
            .await
            .expect("safe")
            .expect("exists");
    assert!(safe.header.number >= target);
    // Wait for the proposals that the posted blocks allow.
    let want = target / PROPOSAL_INTERVAL * PROPOSAL_INTERVAL;
    let from_l1 = loop {
        let from_l1 = derive_from_l1(&h.l1, &h.devnet.genesis).await;
        if from_l1.proposals.last().is_some_and(|(b, _)| *b >= want) {
            break from_l1;
        }
        assert!(
            Instant::now() < deadline,
            "no proposal for block {want}: {:?}",
            from_l1.proposals
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    check_l1(&h, &from_l1, target);
}

/// Batches chain without duplicates or gaps, derivation matches the sequencer, proposals are right.
pub(crate) fn check_l1(h: &Harness, from_l1: &super::FromL1, at_least: u64) {
    let seq = &h.devnet.sequencer;
    assert_eq!(from_l1.dropped, 0, "no batch is dropped");
    let mut next = 1u64;
    for (index, _, parent, len) in &from_l1.batches {
        let parent_block = seq.block(next - 1).expect("parent sequenced");
        assert_eq!(
            *parent,
            parent_block.hash,
            "batch {index} builds on block {}",
            next - 1
        );
        next += *len as u64;
    }
    assert!(next > at_least, "batches cover blocks up to {}", next - 1);
    assert_eq!(
        from_l1.blocks.len() as u64,
        next - 1,
        "every batched block is derived once"
    );
    for (number, hash) in &from_l1.blocks {
        assert_eq!(
            seq.block(*number).expect("sequenced").hash,
            *hash,
            "derived block {number} differs"
        );
    }
    let mut last = 0;
    for (l2_block, root) in &from_l1.proposals {
        assert!(
            *l2_block > last,
            "proposals strictly increase: {:?}",
            from_l1.proposals
        );
        assert_eq!(l2_block % PROPOSAL_INTERVAL, 0);
        assert!(
            *l2_block < next,
            "proposal for block {l2_block} before its batch"
        );
        assert_eq!(
            seq.block(*l2_block).expect("sequenced").output_root(),
            *root
        );
        last = *l2_block;
    }
    assert!(!from_l1.proposals.is_empty());
}
