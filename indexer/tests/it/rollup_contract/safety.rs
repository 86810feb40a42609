//! Attacks on the contract's economics and bounds, each reproduced against the real contract: a
//! proposal for a block that does not exist yet, a proposer challenging its own wrong proposal to get
//! its bond back, and a loop of deposits asking L2 for more gas than a block holds.

use alloy::{
    primitives::{Address, B256, Bytes, U256},
    providers::Provider,
};
use contracts::{
    Outcome,
    Rollup::{self, RollupErrors},
};

use super::{Chain, Devnet, revert, send};

/// Seconds since the UNIX epoch by the wall clock, which a fresh anvil starts from.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

#[tokio::test]
async fn a_proposal_for_a_block_not_yet_in_the_past_is_refused() {
    let genesis = now();
    let devnet = Devnet::start_with(|p| {
        p.l2_genesis_time = genesis;
        p.l2_block_time = 2;
    })
    .await;
    let bond = devnet.params.proposal_bond;
    let garbage = B256::repeat_byte(0x66);

    // Block 10^9 would finalize the head a century ahead and leave no block for honest proposals.
    let l1_now = |devnet: &Devnet| {
        let provider = devnet.provider.clone();
        async move {
            let block = provider
                .get_block_by_number(Default::default())
                .await
                .expect("eth_getBlockByNumber")
                .expect("a latest block");
            U256::from(block.header.timestamp)
        }
    };
    let err = revert(
        devnet
            .outsider
            .rollup
            .propose(1_000_000_000, garbage)
            .value(bond),
    )
    .await;
    let RollupErrors::L2BlockInFuture(e) = err else {
        panic!("expected L2BlockInFuture, got {err:?}");
    };
    assert_eq!(e.l2Block, 1_000_000_000);
    assert_eq!(e.l2Timestamp, U256::from(genesis + 2_000_000_000));
    assert!(e.now >= l1_now(&devnet).await);

    // A block a minute ahead is refused until its time has passed, and then accepted.
    let ahead = (l1_now(&devnet).await.to::<u64>() + 60 - genesis) / 2;
    let err = revert(devnet.outsider.rollup.propose(ahead, garbage).value(bond)).await;
    assert!(matches!(err, RollupErrors::L2BlockInFuture(_)), "{err:?}");
    devnet.advance(61).await;
    let index = devnet.propose(&devnet.outsider, ahead, garbage).await;
    let proposal = devnet.proposal(index).await;
    let landed = devnet.provider.get_block_number().await.expect("number");
    assert_eq!(
        proposal.l1Block, landed,
        "the contract records the L1 block the claim is judged by"
    );
    assert_eq!(devnet.rollup.l2GenesisTime().call().await.unwrap(), genesis);
    assert_eq!(devnet.rollup.l2BlockTime().call().await.unwrap(), 2);
    crate::chaos::Figures {
        case: 16,
        test: "a proposal for a future block",
        tried: 3,
        faults: 2,
        compared: 2,
        detail: format!(
            "block 10^9 and a block 60 s ahead refused with L2BlockInFuture; the latter accepted once its time passed, recording L1 block {landed}"
        ),
    }
    .report();
}

#[tokio::test]
async fn a_proposer_challenging_its_own_wrong_proposal_still_loses_half_its_bond() {
    let devnet = Devnet::start().await;
    let (pb, cb) = (devnet.params.proposal_bond, devnet.params.challenge_bond);
    let honest = Chain::honest(21);
    let lie = Chain::lying_from(7, 20);
    let bad = devnet.propose(&devnet.proposer, 20, lie.root(20)).await;
    // Honest proposals built on the wrong one are invalidated with it: the attack's aim.
    let built_on = devnet.propose(&devnet.rival, 21, honest.root(21)).await;

    // The proposer challenges itself first and plays both sides so that the challenger wins.
    let own = devnet.challenge(&devnet.proposer, bad).await;
    let (resolved, _) = devnet.play(own, &lie, &devnet.proposer, &honest).await;
    assert_eq!(
        Outcome::try_from(resolved.outcome),
        Ok(Outcome::ChallengerWins)
    );
    assert_eq!(resolved.winner, devnet.proposer.address);
    let burnt = pb
        * devnet
            .rollup
            .PROPOSAL_BOND_BURN_PERCENT()
            .call()
            .await
            .unwrap()
        / U256::from(100);
    assert_eq!(burnt, pb / U256::from(2));
    assert_eq!(resolved.payout, cb + pb - burnt);
    assert!(!devnet.is_valid(bad).await && !devnet.is_valid(built_on).await);

    // It paid both bonds and got back all but the burnt part: the fraud cost it half its bond.
    let got = devnet.withdraw_all(&devnet.proposer).await;
    assert_eq!(pb + cb - got, burnt);
    assert_eq!(devnet.rollup.burnedBonds().call().await.unwrap(), burnt);
    // The honest proposer whose proposal fell with it gets its whole bond back.
    send("reclaimBond", devnet.outsider.rollup.reclaimBond(built_on)).await;
    assert_eq!(devnet.withdraw_all(&devnet.rival).await, pb);
    devnet.assert_solvent().await;
    crate::chaos::Figures {
        case: 16,
        test: "a proposer challenging its own wrong proposal",
        tried: 1,
        faults: 1,
        compared: 3,
        detail: format!(
            "the proposer won its own game as challenger and still lost {burnt} wei (half its bond, burnt); the honest proposal built on it was invalidated and its bond reclaimed whole; solvent"
        ),
    }
    .report();
}

#[tokio::test]
async fn deposits_past_an_l1_blocks_gas_budget_are_refused_and_each_burns_l1_gas() {
    let devnet = Devnet::start().await;
    let r = &devnet.outsider.rollup;
    let to = Address::repeat_byte(1);
    let budget = devnet
        .rollup
        .MAX_DEPOSIT_GAS_PER_L1_BLOCK()
        .call()
        .await
        .unwrap();
    let max_gas = devnet.rollup.MAX_DEPOSIT_GAS_LIMIT().call().await.unwrap();
    assert_eq!(budget, 2 * max_gas);

    // Burn: a deposit costs L1 gas in proportion to the L2 gas it buys.
    let small = send("deposit", r.deposit(to, 100_000, Bytes::new())).await;
    let large = send("deposit", r.deposit(to, max_gas, Bytes::new())).await;
    assert!(
        large.gas_used >= max_gas && small.gas_used >= 100_000,
        "{} L1 gas for {max_gas} L2 gas, {} for 100000",
        large.gas_used,
        small.gas_used
    );

    // Blocks without deposits bring the price back to its floor (the large one raised it).
    for _ in 0..5 {
        let _: serde_json::Value = devnet
            .provider
            .raw_request("evm_mine".into(), ())
            .await
            .expect("evm_mine");
    }

    // A loop of deposits in one L1 block: the first two fill the budget, the third is refused.
    let _: serde_json::Value = devnet
        .provider
        .raw_request("anvil_setAutomine".into(), (false,))
        .await
        .expect("anvil_setAutomine");
    let nonce = devnet
        .provider
        .get_transaction_count(devnet.outsider.address)
        .await
        .expect("nonce");
    let mut pending = Vec::new();
    for (i, gas) in [max_gas, max_gas, 21_000].into_iter().enumerate() {
        let call = r
            .deposit(to, gas, Bytes::new())
            .nonce(nonce + i as u64)
            .gas(gas + 1_000_000);
        pending.push(call.send().await.expect("sent"));
    }
    let _: serde_json::Value = devnet
        .provider
        .raw_request("evm_mine".into(), ())
        .await
        .expect("evm_mine");
    let mut statuses = Vec::new();
    for tx in pending {
        statuses.push(tx.get_receipt().await.expect("a receipt").status());
    }
    assert_eq!(statuses, [true, true, false]);
    let _: serde_json::Value = devnet
        .provider
        .raw_request("anvil_setAutomine".into(), (true,))
        .await
        .expect("anvil_setAutomine");
    assert_eq!(devnet.rollup.depositGasUsed().call().await.unwrap(), budget);
    // In that block, any more deposit gas is refused with the budget's error.
    let block = devnet.provider.get_block_number().await.expect("number");
    let err = r
        .deposit(to, 21_000, Bytes::new())
        .block(block.into())
        .call()
        .await
        .expect_err("over the budget")
        .as_decoded_interface_error::<RollupErrors>()
        .expect("a Rollup error");
    assert_eq!(
        err,
        RollupErrors::DepositGasBudgetExceeded(Rollup::DepositGasBudgetExceeded {
            gasLimit: 21_000,
            available: 0
        })
    );

    // A full block raises the deposit gas price for the next one (EIP-1559 on deposit gas). Gas
    // estimates run in the latest block's context, where the budget is spent: mine past it first.
    let before = devnet.rollup.depositBaseFee().call().await.unwrap();
    let _: serde_json::Value = devnet
        .provider
        .raw_request("evm_mine".into(), ())
        .await
        .expect("evm_mine");
    send("deposit", r.deposit(to, 100_000, Bytes::new())).await;
    let after = devnet.rollup.depositBaseFee().call().await.unwrap();
    // The full block (20M of a 2M target) adds 9/8; the empty block mined since takes off 1/8.
    let raised = before + before * U256::from(9) / U256::from(8);
    assert_eq!(
        after,
        raised - raised / U256::from(8),
        "{before} -> {after}"
    );
    assert_eq!(devnet.rollup.depositCount().call().await.unwrap(), 5);
    devnet.assert_solvent().await;
    crate::chaos::Figures {
        case: 17,
        test: "a loop of deposits in one L1 block",
        tried: 3,
        faults: 1,
        compared: 3,
        detail: format!(
            "two {max_gas}-gas deposits filled the {budget}-gas budget of their L1 block, the third reverted (DepositGasBudgetExceeded); a {max_gas}-gas deposit burnt {} L1 gas; the deposit gas price went {before} -> {after} wei; the L2 base fee rises at most 12.5% per block (light-node test)",
            large.gas_used
        ),
    }
    .report();
}
