//! Gas figures: per appended batch byte and per game move. Printed, not asserted beyond sanity.

use alloy::primitives::{Address, B256, Bytes};

use super::{Chain, Devnet, batch_bytes, send};

#[tokio::test]
async fn gas_per_batch_byte_and_per_move() {
    let devnet = Devnet::start().await;

    // The first batch also pays for initialising the counters' storage slot: keep it out of the figures.
    send(
        "appendBatch",
        devnet.batcher.rollup.appendBatch(batch_bytes(1, 99)),
    )
    .await;
    println!("gas: appendBatch (calldata, non-zero bytes)");
    let mut previous: Option<(usize, u64)> = None;
    for (seed, len) in [1usize, 1024, 16 * 1024, 64 * 1024].into_iter().enumerate() {
        let data = batch_bytes(len, seed as u64);
        let receipt = send("appendBatch", devnet.batcher.rollup.appendBatch(data)).await;
        let gas = receipt.gas_used;
        let marginal = previous.map_or(String::new(), |(plen, pgas)| {
            format!(
                ", {:.1} gas/byte over the previous size",
                (gas - pgas) as f64 / (len - plen) as f64
            )
        });
        println!(
            "gas:   {len:>6} bytes: {gas:>8} gas total, {:.1} gas/byte{marginal}",
            gas as f64 / len as f64
        );
        previous = Some((len, gas));
    }
    let zeros = Bytes::from(vec![0u8; 16 * 1024]);
    let receipt = send("appendBatch", devnet.batcher.rollup.appendBatch(zeros)).await;
    println!(
        "gas:    16384 zero bytes: {:>8} gas total, {:.1} gas/byte",
        receipt.gas_used,
        receipt.gas_used as f64 / 16384.0
    );

    let receipt = send(
        "deposit",
        devnet.outsider.rollup.deposit(
            Address::repeat_byte(7),
            100_000,
            Bytes::from_static(&[1; 64]),
        ),
    )
    .await;
    println!("gas: deposit (64 data bytes): {}", receipt.gas_used);

    // A game over 2^20 blocks: twenty halvings, forty bisection moves, then the arbiter.
    let last = 1 << 20;
    let honest = Chain::honest(last);
    let lie = Chain::lying_from(last / 3, last);
    let receipt = send(
        "propose",
        devnet
            .proposer
            .rollup
            .propose(last, lie.root(last))
            .value(devnet.params.proposal_bond),
    )
    .await;
    println!("gas: propose (proposal 0): {}", receipt.gas_used);
    let receipt = send(
        "challenge",
        devnet
            .challenger
            .rollup
            .challenge(0)
            .value(devnet.params.challenge_bond),
    )
    .await;
    println!("gas: challenge: {}", receipt.gas_used);

    let (mut defends, mut responds) = (Vec::new(), Vec::new());
    let adjudicate = loop {
        let g = devnet.game(0).await;
        let mid = (g.agreedBlock + g.disputedBlock) / 2;
        match g.turn {
            0 => {
                let r = send("defend", devnet.proposer.rollup.defend(0, lie.root(mid))).await;
                defends.push(r.gas_used);
            }
            1 => {
                let agree = g.midRoot == honest.root(mid);
                let r = send("respond", devnet.challenger.rollup.respond(0, agree)).await;
                responds.push((agree, r.gas_used));
            }
            _ => {
                let wins = g.disputedRoot == super::step(g.agreedRoot, g.disputedBlock);
                let r = send("adjudicate", devnet.arbiter.rollup.adjudicate(0, wins)).await;
                break r.gas_used;
            }
        }
    };
    let avg = |v: &[u64]| v.iter().sum::<u64>() as f64 / v.len() as f64;
    let agree: Vec<u64> = responds.iter().filter(|r| r.0).map(|r| r.1).collect();
    let disagree: Vec<u64> = responds.iter().filter(|r| !r.0).map(|r| r.1).collect();
    println!(
        "gas: defend: {:.0} avg over {} moves (first {}, min {}, max {})",
        avg(&defends),
        defends.len(),
        defends[0],
        defends.iter().min().unwrap(),
        defends.iter().max().unwrap()
    );
    println!(
        "gas: respond agree: {:.0} avg over {}; respond disagree: {:.0} avg over {}",
        avg(&agree),
        agree.len(),
        avg(&disagree),
        disagree.len()
    );
    println!("gas: adjudicate (resolves, invalidates, credits): {adjudicate}");
    let game_total: u64 =
        defends.iter().sum::<u64>() + responds.iter().map(|r| r.1).sum::<u64>() + adjudicate;
    println!(
        "gas: whole game over 2^20 blocks after the challenge: {game_total} ({} moves)",
        defends.len() + responds.len() + 1
    );
    assert_eq!(defends.len(), 20);
    assert_eq!(responds.len(), 20);

    let receipt = send("withdraw", devnet.challenger.rollup.withdraw()).await;
    println!("gas: withdraw: {}", receipt.gas_used);

    // Timeout and finalization on a fresh proposal.
    let receipt = send(
        "propose",
        devnet
            .proposer
            .rollup
            .propose(5, B256::repeat_byte(5))
            .value(devnet.params.proposal_bond),
    )
    .await;
    println!("gas: propose (a later proposal): {}", receipt.gas_used);
    let receipt = send(
        "challenge",
        devnet
            .challenger
            .rollup
            .challenge(1)
            .value(devnet.params.challenge_bond),
    )
    .await;
    let _ = receipt;
    devnet.advance(devnet.params.move_timeout).await;
    let receipt = send("claimTimeout", devnet.outsider.rollup.claimTimeout(1)).await;
    println!("gas: claimTimeout (defender late): {}", receipt.gas_used);
    let receipt = send(
        "propose",
        devnet
            .proposer
            .rollup
            .propose(5, B256::repeat_byte(6))
            .value(devnet.params.proposal_bond),
    )
    .await;
    let _ = receipt;
    devnet.advance(devnet.params.challenge_window).await;
    let receipt = send("finalize", devnet.outsider.rollup.finalize(2)).await;
    println!("gas: finalize: {}", receipt.gas_used);
}
