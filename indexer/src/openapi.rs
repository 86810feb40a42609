//! scratch

#[cfg(test)]
mod tests {
    use alloy::rpc::types::{EIP1186AccountProofResponse, EIP1186StorageProof};
    use alloy_primitives::{Address, B256, Bytes, U256};
    use light_node::{ChainConfig, Deposit, L1Origin};

    use crate::{
        api::*,
        genesis::{RollupGenesis, genesis_of},
        index::{IndexEvent, driver::Divergence, query::*, witness::WitnessResponse},
    };

    fn p<T: serde::Serialize>(name: &str, v: &T) {
        println!("=== {name}\n{}", serde_json::to_string_pretty(v).unwrap());
    }

    #[test]
    fn scratch_shapes() {
        let h = B256::repeat_byte(0xab);
        let a = Address::repeat_byte(0x11);
        let config = ChainConfig::devnet();
        let (_, header) = genesis_of(&config).unwrap();
        p("header", &header);
        p("default header", &alloy_consensus::Header::default());
        let genesis = RollupGenesis {
            config: config.clone(),
            l1_chain_id: 31337,
            rollup: a,
            l1_origin: L1Origin {
                number: 5,
                hash: h,
                timestamp: 77,
                deposits: vec![Deposit {
                    nonce: 1,
                    from: a,
                    to: a,
                    mint: U256::from(10).pow(U256::from(20)),
                    gas_limit: 100000,
                    data: Bytes::from(vec![1, 2]),
                }],
            },
            batcher: a,
            proposer: a,
        };
        p(
            "status",
            &StatusResponse {
                l1: L1View {
                    reachable: false,
                    chain_id: None,
                    head: None,
                    finalized: Some(3),
                    error: Some("x".into()),
                },
                l2: L2View {
                    chain_id: 1,
                    unsafe_head: None,
                    heads: FinalityHeads {
                        safe: 4,
                        l1_finalized: 3,
                        proposed: 2,
                        finalized: 1,
                    },
                },
                index: IndexView {
                    derived_l1_block: 1,
                    sync_lag: 2,
                    reorgs: 0,
                    divergence: Some(
                        serde_json::to_value(Divergence {
                            number: 3,
                            derived: h,
                            sequenced: None,
                        })
                        .unwrap(),
                    ),
                    error: None,
                },
                rollup: genesis,
            },
        );
        let bs = BlockSummary {
            number: 1,
            hash: h,
            parent_hash: h,
            timestamp: 2,
            tx_count: 0,
            gas_used: 0,
            gas_limit: 1,
            base_fee: 7,
            state_root: h,
            output_root: h,
            l1_origin: L1Ref { number: 1, hash: h },
            l1_block: 3,
            source: BlockOrigin::ForceIncluded,
            batch_index: None,
            finality: Finality::L1Finalized,
        };
        let tx = TxSummary {
            hash: h,
            block_number: 1,
            index: 0,
            tx_type: 126,
            from: a,
            to: None,
            contract_address: Some(a),
            nonce: 0,
            value: "100".into(),
            gas_limit: 1,
            gas_used: 1,
            effective_gas_price: "0".into(),
            success: true,
            deposit_nonce: Some(1),
            finality: Finality::Safe,
        };
        p(
            "block detail",
            &BlockDetail {
                block: bs.clone(),
                transactions: vec![tx.clone()],
                skipped: vec![SkippedTx {
                    position: 1,
                    hash: None,
                    reason: "r".into(),
                }],
            },
        );
        p(
            "page",
            &Page {
                items: vec![bs],
                next_cursor: None::<String>,
            },
        );
        p(
            "tx detail",
            &TxDetail {
                tx,
                block_hash: h,
                timestamp: 1,
                l1_block: 2,
                batch_index: None,
                raw: Bytes::from(vec![0x7e]),
                logs: vec![LogView {
                    log_index: 0,
                    address: a,
                    topics: vec![h],
                    data: Bytes::new(),
                }],
            },
        );
        p(
            "proposal",
            &ProposalView {
                index: 0,
                l1_block: 1,
                l1_tx_hash: h,
                proposer: a,
                l2_block: 3,
                output_root: h,
                parent: None,
                parent_l2_block: 0,
                deadline: 9,
                bond: "1".into(),
                status: ProposalStatus::Challenged,
                derived_output_root: None,
                matches: None,
                games: vec![1],
            },
        );
        p(
            "events",
            &vec![
                IndexEvent::Block {
                    number: 1,
                    hash: h,
                    tx_count: 2,
                    l1_block: 3,
                },
                IndexEvent::Batch {
                    index: 1,
                    status: "accepted",
                    l1_block: 2,
                },
                IndexEvent::Finality(FinalityHeads::default()),
                IndexEvent::Rollup {
                    kind: "finalized",
                    proposal_index: None,
                    game_id: Some(1),
                },
                IndexEvent::Reorg { fork: 1, depth: 2 },
            ],
        );
        p(
            "witness",
            &WitnessResponse {
                from: 1,
                to: 1,
                parent: header.clone(),
                witness: light_node::Witness {
                    nodes: vec![Bytes::from(vec![0xc0])],
                    codes: vec![],
                    headers: vec![header],
                },
            },
        );
        p(
            "proof",
            &EIP1186AccountProofResponse {
                address: a,
                balance: U256::from(1000),
                code_hash: h,
                nonce: 3,
                storage_hash: h,
                account_proof: vec![Bytes::from(vec![0xc0])],
                storage_proof: vec![EIP1186StorageProof {
                    key: B256::ZERO.into(),
                    value: U256::from(5),
                    proof: vec![],
                }],
            },
        );
        p(
            "error",
            &ErrorBody {
                error: ErrorDetail {
                    code: "not_found".into(),
                    message: "m".into(),
                },
            },
        );
        for s in [
            revm::primitives::hardfork::SpecId::CANCUN,
            revm::primitives::hardfork::SpecId::PRAGUE,
            revm::primitives::hardfork::SpecId::OSAKA,
        ] {
            p("spec", &s);
        }
    }
}
