//! Traffic on the devnet, derived by the indexer, read back through every API route.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use alloy::{
    consensus::Transaction as _,
    primitives::{B256, Bytes, TxKind, U256, keccak256},
    providers::Provider,
    sol_types::SolCall,
};
use contracts::Rollup;
use indexer::{
    api::{ErrorBody, SearchResponse, StatusResponse},
    genesis::dev_signer,
    index::{
        query::{
            AccountView, BatchDetail, BatchView, BlockDetail, BlockSummary, Finality, Page,
            ProposalView, TxDetail, TxSummary,
        },
        witness::WitnessResponse,
    },
    sequencer::L1Origins,
};
use light_node::{RootCheck, VerifyRequest, verify_batch, verify_proof};

use super::{Backend, IndexHarness, assert_consistent, recipient};
use crate::sequencer::{STORE_AND_LOG_INIT, end_to_end::wait_receipt, sign, store_call, transfer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_derives_the_sequencers_chain_and_serves_every_route() {
    derives_and_serves(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_derives_the_sequencers_chain_and_serves_every_route() {
    derives_and_serves(Backend::Postgres).await;
}

async fn derives_and_serves(backend: Backend) {
    let x = IndexHarness::start(backend, "api").await;
    let h = &x.h;
    let deadline = Instant::now() + Duration::from_secs(180);

    // Traffic: a contract deployment, transfers, a logging call, a reverting call, a deposit.
    let deployer = dev_signer(4);
    let store = deployer.address().create(0);
    let mut hashes = Vec::new();
    let raw = sign(
        &deployer,
        0,
        TxKind::Create,
        U256::ZERO,
        Bytes::from_static(STORE_AND_LOG_INIT),
        200_000,
    );
    hashes.push(
        *h.l2
            .send_raw_transaction(&raw)
            .await
            .expect("deploy")
            .tx_hash(),
    );
    for i in 0..20u64 {
        let sender = dev_signer(5 + (i % 3) as usize);
        let raw = transfer(&sender, i / 3, recipient((i % 4) as u8), 1_000 + i);
        hashes.push(
            *h.l2
                .send_raw_transaction(&raw)
                .await
                .expect("transfer")
                .tx_hash(),
        );
    }
    let call = sign(
        &deployer,
        1,
        TxKind::Call(store),
        U256::ZERO,
        store_call(7, 42),
        100_000,
    );
    let logged = *h
        .l2
        .send_raw_transaction(&call)
        .await
        .expect("call")
        .tx_hash();
    let revert = sign(
        &deployer,
        2,
        TxKind::Call(store),
        U256::ZERO,
        store_call(1, 0xdead),
        100_000,
    );
    let reverted = *h
        .l2
        .send_raw_transaction(&revert)
        .await
        .expect("revert")
        .tx_hash();
    let rollup = Rollup::new(h.devnet.genesis.rollup, h.l1_wallet(8));
    rollup
        .deposit(recipient(9), 100_000, Bytes::new())
        .value(U256::from(12_345u64))
        .send()
        .await
        .expect("deposit sent")
        .get_receipt()
        .await
        .expect("deposit mined");
    hashes.push(logged);
    hashes.push(reverted);
    let mut last = 0;
    for hash in &hashes {
        let receipt = wait_receipt(&h.l2, *hash, deadline).await;
        last = last.max(receipt.block_number.expect("mined"));
    }
    // The deposit lands once its L1 block becomes an origin.
    let deposited = loop {
        let (_, body) = x.get(&format!("/accounts/{}", recipient(9))).await;
        if body["balance"] == "12345" {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "the deposit never reached the index: {body}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(deposited["tx_count"], 1);
    x.wait_safe(last, Duration::from_secs(120)).await;
    assert_consistent(x.shared(), &h.devnet.sequencer).await;

    // Status.
    let status: StatusResponse = x.get_ok("/status").await;
    assert_eq!(status.l2.chain_id, 42069);
    assert!(status.l2.heads.safe >= last);
    assert!(status.l2.unsafe_head.expect("the devnet's sequencer") >= status.l2.heads.safe);
    assert_eq!(status.rollup.rollup, h.devnet.genesis.rollup);
    assert!(status.l1.reachable);
    assert!(status.index.error.is_none(), "{:?}", status.index.error);

    // Blocks: list, by number, by hash; each equals the sequencer's.
    let page: Page<BlockSummary> = x.get_ok("/blocks?limit=2").await;
    assert_eq!(page.items.len(), 2);
    assert!(page.next_cursor.is_some());
    let block: BlockDetail = x.get_ok(&format!("/blocks/{last}")).await;
    let sequenced = h.devnet.sequencer.block(last).expect("sequenced");
    assert_eq!(block.block.hash, sequenced.hash);
    assert_eq!(block.block.tx_count, sequenced.transactions.len() as u64);
    // The first page of its transactions: as many as the lists' default page holds.
    assert_eq!(
        block.transactions.len(),
        sequenced
            .transactions
            .len()
            .min(indexer::api::DEFAULT_LIMIT)
    );
    let by_hash: BlockDetail = x.get_ok(&format!("/blocks/{}", sequenced.hash)).await;
    assert_eq!(by_hash, block);
    // A block's transactions a page at a time: one by one, they are the sequencer's, in order.
    let busiest = (1..=last)
        .filter_map(|n| h.devnet.sequencer.block(n))
        .max_by_key(|b| b.transactions.len())
        .expect("blocks");
    assert!(
        busiest.transactions.len() >= 2,
        "a block with two transactions"
    );
    let (mut paged, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let path = match &cursor {
            Some(c) => format!("/blocks/{}?limit=1&cursor={c}", busiest.header.number),
            None => format!("/blocks/{}?limit=1", busiest.header.number),
        };
        let page: BlockDetail = x.get_ok(&path).await;
        assert!(page.transactions.len() <= 1);
        paged.extend(page.transactions.iter().map(|t| t.hash));
        cursor = page.transactions_next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let expected: Vec<B256> = busiest.transactions.iter().map(|t| t.hash()).collect();
    assert_eq!(paged, expected);
    assert!(matches!(
        block.block.finality,
        Finality::Safe | Finality::L1Finalized | Finality::Proposed | Finality::Finalized
    ));

    // Transactions: every one sent is indexed with its receipt's outcome.
    for hash in &hashes {
        let tx: TxDetail = x.get_ok(&format!("/txs/{hash}")).await;
        assert_eq!(tx.tx.hash, *hash);
        assert_eq!(keccak256(&tx.raw), *hash);
        assert_eq!(tx.tx.success, *hash != reverted, "tx {hash}");
    }
    let deploy: TxDetail = x.get_ok(&format!("/txs/{}", hashes[0])).await;
    assert_eq!(deploy.tx.contract_address, Some(store));
    let log: TxDetail = x.get_ok(&format!("/txs/{logged}")).await;
    assert_eq!(log.logs.len(), 1);
    assert_eq!(log.logs[0].address, store);
    assert_eq!(log.logs[0].topics, vec![B256::from(U256::from(42u64))]);

    // Accounts and their transactions, paged.
    let account: AccountView = x.get_ok(&format!("/accounts/{}", deployer.address())).await;
    assert_eq!(account.nonce, 3);
    assert_eq!(account.tx_count, 3);
    let contract: AccountView = x.get_ok(&format!("/accounts/{store}")).await;
    assert!(contract.code_size > 0);
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Page<TxSummary> = x
            .get_ok(&format!(
                "/accounts/{}/txs?limit=2{cursor}",
                deployer.address()
            ))
            .await;
        seen.extend(page.items.iter().map(|t| t.hash));
        match page.next_cursor {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        vec![reverted, logged, hashes[0]],
        "newest first, each once"
    );

    // Batches: the list, one batch, and the light node verifying it from L1 data and the witness.
    let batches: Page<BatchView> = x.get_ok("/batches").await;
    let accepted = batches
        .items
        .iter()
        .find(|b| b.status == "accepted" && b.last_block.unwrap_or(0) >= 2)
        .expect("an accepted batch");
    let batch: BatchDetail = x.get_ok(&format!("/batches/{}", accepted.index)).await;
    let (first, last_in_batch) = (
        batch.batch.first_block.expect("first"),
        batch.batch.last_block.expect("last"),
    );
    assert_eq!(batch.blocks.len() as u64, last_in_batch - first + 1);
    let witness: WitnessResponse = x
        .get_ok(&format!("/witness/{first}?through={last_in_batch}"))
        .await;
    let verdict = verify_from_l1(&x, &batch, witness).await;
    assert_eq!(verdict.len() as u64, last_in_batch - first + 1);
    for (v, b) in verdict.iter().zip(&batch.blocks) {
        assert_eq!(
            v.block_hash, b.hash,
            "the light node re-executes block {}",
            b.number
        );
        assert_ne!(v.check, RootCheck::Mismatch);
    }

    // Proofs: EIP-1186, checked against the block's state root.
    let safe = x.shared().status().safe_head;
    let at: BlockDetail = x.get_ok(&format!("/blocks/{safe}")).await;
    let proof: verifier::wire::AccountProof = x
        .get_ok(&format!("/proof/{store}?block={safe}&slots=0x7"))
        .await;
    let leaf = verify_proof(
        at.block.state_root,
        keccak256(store).as_slice(),
        &proof.account_proof,
    )
    .expect("the account proof verifies");
    assert!(leaf.is_some());
    assert_eq!(proof.storage_proof[0].value, U256::from(42u64));
    let slot = verify_proof(
        proof.storage_hash,
        keccak256(proof.storage_proof[0].key).as_slice(),
        &proof.storage_proof[0].proof,
    )
    .expect("the storage proof verifies");
    assert!(slot.is_some());

    // The browser's account check over the same proof: values proved, a lying answer caught, a
    // tampered node refused.
    let root = verifier::protocol::KnownRoot {
        number: safe,
        state_root: at.block.state_root,
        output_root: at.block.output_root,
    };
    let slot7 = B256::with_last_byte(7);
    let (checked, honest) = verifier::run::check_account(store, root, &[slot7], &proof)
        .expect("the browser's check passes");
    assert!(honest);
    assert_eq!(checked.storage, vec![(slot7, U256::from(42u64))]);
    assert_eq!(checked.nonce, proof.nonce);
    let mut lying = proof.clone();
    lying.storage_proof[0].value = U256::from(43u64);
    let (_, honest) = verifier::run::check_account(store, root, &[slot7], &lying).expect("checks");
    assert!(!honest, "a stated value its proof does not give is caught");
    let mut tampered = proof.clone();
    let mut node = tampered.account_proof[0].to_vec();
    node[3] ^= 1;
    tampered.account_proof[0] = node.into();
    assert!(verifier::run::check_account(store, root, &[slot7], &tampered).is_err());

    // Proposals, games, search.
    let deadline_proposal = Instant::now() + Duration::from_secs(60);
    let proposals: Page<ProposalView> = loop {
        let page: Page<ProposalView> = x.get_ok("/proposals").await;
        if page.items.iter().any(|p| p.matches == Some(true)) {
            break page;
        }
        assert!(
            Instant::now() < deadline_proposal,
            "no proposal was indexed and checked"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(proposals.items.iter().all(|p| p.matches != Some(false)));
    let one: ProposalView = x
        .get_ok(&format!("/proposals/{}", proposals.items[0].index))
        .await;
    assert_eq!(one.index, proposals.items[0].index);
    let games: Page<serde_json::Value> = x.get_ok("/games").await;
    assert!(games.items.is_empty(), "an honest devnet has no games");
    let found: SearchResponse = x.get_ok(&format!("/search?q={logged}")).await;
    assert_eq!(found.results[0].kind, "transaction");
    let found: SearchResponse = x.get_ok(&format!("/search?q={last}")).await;
    assert!(
        found
            .results
            .iter()
            .any(|r| r.path == format!("blocks/{last}"))
    );
    let found: SearchResponse = x.get_ok(&format!("/search?q={store}")).await;
    assert_eq!(found.results[0].kind, "account");

    // Errors: one shape, the right status, whatever the path, hash or page asked for.
    let abuse: Vec<(String, u16, &str)> = [
        ("/blocks/abc", 400, "bad_request"),
        ("/blocks/1?limit=0", 400, "bad_request"),
        ("/blocks/1?cursor=x", 400, "bad_request"),
        ("/blocks/99999999", 404, "not_found"),
        ("/blocks/99999999999999999999999999", 400, "bad_request"),
        ("/blocks?limit=0", 400, "bad_request"),
        ("/blocks?limit=abc", 400, "bad_request"),
        ("/blocks?limit=101", 400, "bad_request"),
        ("/blocks?limit=1000000000", 400, "bad_request"),
        ("/blocks?limit=-1", 400, "bad_request"),
        ("/blocks?cursor=zzz", 400, "bad_request"),
        ("/txs/0x12", 400, "bad_request"),
        ("/accounts/nope", 400, "bad_request"),
        ("/witness/0", 400, "bad_request"),
        ("/no/such/route", 404, "not_found"),
        ("/blocks/%2e%2e%2f%2e%2e%2fetc%2fpasswd", 400, "bad_request"),
    ]
    .into_iter()
    .map(|(p, s, c)| (p.to_owned(), s, c))
    .chain([
        (format!("/txs/0x{}", "zz".repeat(32)), 400, "bad_request"),
        (format!("/txs/0x{}", "00".repeat(32)), 404, "not_found"),
        (format!("/blocks/0x{}", "ab".repeat(33)), 400, "bad_request"),
        (format!("/blocks/{}", "7".repeat(5000)), 400, "bad_request"),
    ])
    .collect();
    for (path, status, code) in &abuse {
        let (got, body) = x.get(path).await;
        assert_eq!(got, *status, "GET {path}: {body}");
        let error: ErrorBody = serde_json::from_value(body).expect("the error shape");
        assert_eq!(error.error.code, *code, "GET {path}");
    }
    // Deep pagination is a keyed seek: a cursor past the end is an empty page, one at the top a
    // full one, never more than the limit.
    let past: Page<BlockSummary> = x.get_ok("/blocks?cursor=0&limit=100").await;
    assert!(
        past.items.is_empty() && past.next_cursor.is_none(),
        "{past:?}"
    );
    let top: Page<BlockSummary> = x
        .get_ok(&format!("/blocks?cursor={}&limit=100", u64::MAX))
        .await;
    assert!(!top.items.is_empty() && top.items.len() <= 100);
    crate::chaos::Figures {
        case: 12,
        test: "REST abuse",
        tried: abuse.len() as u64 + 2,
        faults: abuse.len() as u64,
        compared: abuse.len() as u64 + 2,
        detail: format!(
            "{} bad paths, hashes and page sizes each answered 400 or 404 in the error shape; cursors past either end give bounded pages",
            abuse.len()
        ),
    }
    .report();

    // Pagination stays stable while blocks keep arriving: newest first, each once, down to genesis.
    let mut numbers = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Page<BlockSummary> = x.get_ok(&format!("/blocks?limit=7{cursor}")).await;
        numbers.extend(page.items.iter().map(|b| b.number));
        match page.next_cursor {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let top = numbers[0];
    assert_eq!(numbers, (0..=top).rev().collect::<Vec<_>>());

    // Live events and metrics.
    let mut events = x
        .http
        .get(format!("{}/events", x.api))
        .send()
        .await
        .expect("events");
    let mut text = String::new();
    let until = Instant::now() + Duration::from_secs(60);
    while !text.contains("event: block") {
        assert!(Instant::now() < until, "no block event; got {text:?}");
        let chunk = tokio::time::timeout(Duration::from_secs(30), events.chunk())
            .await
            .expect("an event within 30 s")
            .expect("the stream")
            .expect("open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    // Every complete event's data follows the OpenAPI document, and its name is its type.
    let complete = &text[..text.rfind("\n\n").expect("a complete event")];
    for message in complete.split("\n\n").filter(|m| !m.trim().is_empty()) {
        let field = |name: &str| {
            message
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
        };
        let (Some(name), Some(data)) = (field("event:"), field("data:")) else {
            continue; // a keep-alive comment
        };
        let data: serde_json::Value = serde_json::from_str(data).expect("JSON event data");
        indexer::openapi::validate("/events", 200, &data)
            .unwrap_or_else(|e| panic!("event {message:?}: {e}"));
        assert_eq!(data["type"], name, "{message}");
    }
    let metrics = x
        .http
        .get(x.api.replace("/api/v1", "/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("rollup_indexer_safe_head"), "{metrics}");
    assert!(
        metrics.contains("rollup_indexer_api_request_seconds"),
        "{metrics}"
    );
    assert_consistent(x.shared(), &h.devnet.sequencer).await;
}

/// Verifies a batch as the browser does: the batch bytes, its origins and the proposals from L1;
/// the parent and the witness from the API.
async fn verify_from_l1(
    x: &IndexHarness,
    batch: &BatchDetail,
    witness: WitnessResponse,
) -> Vec<light_node::BlockVerdict> {
    let h = &x.h;
    let tx =
        h.l1.get_transaction_by_hash(batch.batch.l1_tx_hash)
            .await
            .expect("L1")
            .expect("the batch transaction");
    let call = Rollup::appendBatchCall::abi_decode(tx.input()).expect("appendBatch");
    // The index keeps the decompressed size, for the compression ratio.
    let decoded = light_node::decode_batch(&call.data, h.devnet.genesis.config.max_batch_size)
        .expect("the batch decodes");
    let raw = alloy_rlp::Encodable::length(&decoded) as u64;
    assert_eq!(batch.batch.raw_size, Some(raw));
    let origins = L1Origins::new(h.l1.clone(), h.devnet.genesis.rollup, 0);
    let parent_origin = light_node::l1_origin_number_of(&witness.parent)
        .unwrap_or(h.devnet.genesis.l1_origin.number);
    let mut l1_origins = Vec::new();
    for n in parent_origin..=batch.batch.l1_block {
        l1_origins.push(origins.origin(n).await.expect("origin"));
    }
    let parent: BlockDetail = x.get_ok(&format!("/blocks/{}", witness.from - 1)).await;
    let proposals: BTreeMap<u64, B256> = BTreeMap::new();
    let request = VerifyRequest {
        config: h.devnet.genesis.config.clone(),
        batch: call.data,
        batch_hash: batch.batch.data_hash,
        inclusion_block: batch.batch.l1_block,
        l1_origins,
        parent: witness.parent,
        trusted_output_root: parent.block.output_root,
        witness: witness.witness,
        proposals,
    };
    verify_batch(&request).expect("the batch verifies").blocks
}
