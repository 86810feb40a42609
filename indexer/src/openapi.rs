//! The OpenAPI document of the REST API ([`crate::api::OPENAPI`], `indexer/openapi.json`), and a
//! check that a response body follows it.
//!
//! The document is written by hand; tests pass what the API returns through [`validate`], so a
//! document that drifts from the serde shapes of the response types fails them.
//!
//! Schemas are JSON Schema 2020-12 (OpenAPI 3.1's dialect). A response schema is checked through a
//! one-line schema, `{"$ref": "urn:openapi#/paths/…/schema"}`, against a registry holding the whole
//! document under `urn:openapi`, so the `#/components/schemas/…` references inside it resolve
//! against the document, as they do for any OpenAPI reader.

use std::{fmt::Write as _, sync::LazyLock};

use jsonschema::{Draft, Registry, Validator};
use serde_json::{Value, json};

use crate::api::OPENAPI;

/// The URI the document is registered under while compiling its schemas.
const DOCUMENT_URI: &str = "urn:openapi";

/// The prefix the API is served under, which [`validate`] accepts and drops.
const API_PREFIX: &str = "/api/v1";

/// The schema of the 404 a path outside the document answers with.
const UNKNOWN_ROUTE: &str = "urn:openapi#/components/schemas/Error";

/// The document's operations with their response schemas compiled, or why they do not compile.
static SPEC: LazyLock<Result<Spec, String>> = LazyLock::new(|| {
    let document: Value = serde_json::from_str(OPENAPI)
        .map_err(|e| format!("the OpenAPI document is not JSON: {e}"))?;
    Spec::compile(document)
});

/// Checks `body`, the JSON a request to `path` answered with `status`, against the response schema
/// the OpenAPI document gives for that route and status.
///
/// `path` is a concrete request path, with or without the `/api/v1` prefix and a query string
/// (`/api/v1/blocks/12?x=1` and `/blocks/12` both select `/blocks/{id}`). The status selects the
/// response by its code, else its range (`4XX`), else `default`. For `/events`, `body` is the JSON
/// `data` of one event.
///
/// The error names the path, the route, the status and, for each mismatch, where in the body it is
/// and which schema keyword (as a `urn:openapi#/…` pointer into the document) refused it.
pub fn validate(path: &str, status: u16, body: &Value) -> Result<(), String> {
    let spec = SPEC.as_ref().map_err(Clone::clone)?;
    let Some(route) = spec.route(path) else {
        // The document's promise for a path outside it: a 404 with the error shape.
        if status == 404 {
            return check(&spec.unknown, body, || {
                format!(
                    "{path} (no route, 404): the body does not follow the schema at {UNKNOWN_ROUTE}"
                )
            });
        }
        return Err(format!(
            "{path}: no route of the OpenAPI document matches this path, yet it answered {status}"
        ));
    };
    let response = route.response(status).ok_or_else(|| {
        format!(
            "{path} ({}): the OpenAPI document has no response for status {status}",
            route.template
        )
    })?;
    check(&response.validator, body, || {
        format!(
            "{path} ({} {}): the body does not follow the schema at {}",
            route.template, response.status, response.schema
        )
    })
}

/// Runs `validator` over `body`; on a mismatch, the message `heading` makes, then each error.
fn check(
    validator: &Validator,
    body: &Value,
    heading: impl FnOnce() -> String,
) -> Result<(), String> {
    let mut errors = validator.iter_errors(body).peekable();
    if errors.peek().is_none() {
        return Ok(());
    }
    let mut message = heading();
    for error in errors {
        let at = error.instance_path().as_str();
        let at = if at.is_empty() { "/" } else { at };
        let keyword = error.absolute_keyword_location().map_or_else(
            || error.evaluation_path().as_str().to_owned(),
            |uri| uri.as_str().to_owned(),
        );
        let _ = write!(message, "\n  at {at}: {error} (schema {keyword})");
    }
    Err(message)
}

/// The path templates of the document (`/blocks/{id}`, …, without `/api/v1`), sorted; empty if
/// the document does not compile, which [`validate`] reports.
pub fn routes() -> Vec<String> {
    let mut routes: Vec<String> = SPEC.as_ref().map_or_else(
        |_| Vec::new(),
        |spec| spec.routes.iter().map(|r| r.template.clone()).collect(),
    );
    routes.sort();
    routes
}

/// The compiled document.
#[derive(Debug)]
struct Spec {
    routes: Vec<Route>,
    /// The error body of a path no route matches.
    unknown: Validator,
}

/// One path template and the compiled schemas of its `GET` responses.
#[derive(Debug)]
struct Route {
    template: String,
    /// The template's segments; `None` stands for a `{parameter}`.
    segments: Vec<Option<String>>,
    responses: Vec<Response>,
}

/// The schema of one response.
#[derive(Debug)]
struct Response {
    /// The response's key: a code (`200`), a range (`4XX`) or `default`.
    status: String,
    /// Where the schema is, as a URI into the document.
    schema: String,
    validator: Validator,
}

impl Spec {
    fn compile(document: Value) -> Result<Self, String> {
        let paths = document
            .get("paths")
            .and_then(Value::as_object)
            .ok_or("the OpenAPI document has no `paths` object")?;
        // Where each response schema is, found before the document moves into the registry.
        let mut found = Vec::new();
        for (template, item) in paths {
            let responses = item
                .pointer("/get/responses")
                .and_then(Value::as_object)
                .ok_or_else(|| format!("{template}: no GET responses in the OpenAPI document"))?;
            let mut schemas = Vec::new();
            for (status, response) in responses {
                let base = format!("/paths/{}/get/responses/{status}", escape(template));
                schemas.push((status.clone(), schema_pointer(&document, base, response)?));
            }
            found.push((template.clone(), schemas));
        }

        let registry = Registry::new()
            .draft(Draft::Draft202012)
            .add(DOCUMENT_URI, document)
            .and_then(|builder| builder.prepare())
            .map_err(|e| format!("the OpenAPI document does not load as JSON Schema: {e}"))?;
        let options = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(&registry);
        let mut routes = Vec::new();
        for (template, schemas) in found {
            let mut responses = Vec::new();
            for (status, pointer) in schemas {
                let schema = format!("{DOCUMENT_URI}#{}", fragment(&pointer));
                let validator = options
                    .build(&json!({ "$ref": schema }))
                    .map_err(|e| format!("{template} {status}: the schema at {schema}: {e}"))?;
                responses.push(Response {
                    status,
                    schema,
                    validator,
                });
            }
            routes.push(Route {
                segments: template
                    .split('/')
                    .skip(1)
                    .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                    .collect(),
                template,
                responses,
            });
        }
        let unknown = options
            .build(&json!({ "$ref": UNKNOWN_ROUTE }))
            .map_err(|e| format!("the schema at {UNKNOWN_ROUTE}: {e}"))?;
        Ok(Self { routes, unknown })
    }

    /// The route a concrete path takes: of the templates that match it, the one with the most
    /// literal segments (`/a/b` before `/a/{x}`).
    fn route(&self, path: &str) -> Option<&Route> {
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        let path = path.strip_prefix(API_PREFIX).unwrap_or(path);
        let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
        self.routes
            .iter()
            .filter(|route| {
                route.segments.len() == segments.len()
                    && route.segments.iter().zip(&segments).all(|(t, s)| match t {
                        Some(literal) => literal == s,
                        None => !s.is_empty(),
                    })
            })
            .max_by_key(|route| route.segments.iter().filter(|s| s.is_some()).count())
    }
}

impl Route {
    fn response(&self, status: u16) -> Option<&Response> {
        let find = |key: &str| self.responses.iter().find(|r| r.status == key);
        find(&status.to_string())
            .or_else(|| find(&format!("{}XX", status / 100)))
            .or_else(|| find("default"))
    }
}

/// The JSON pointer of the body schema of the response object at `pointer`, following a
/// `$ref` to `#/components/responses/…`. A JSON body's schema is its `schema`; an event stream's is
/// the `x-itemSchema` of one event's data.
fn schema_pointer(document: &Value, pointer: String, response: &Value) -> Result<String, String> {
    let (pointer, response) = match response.get("$ref").and_then(Value::as_str) {
        Some(target) => {
            let target = target
                .strip_prefix('#')
                .ok_or_else(|| format!("{pointer}: only local references are supported"))?;
            let response = document
                .pointer(target)
                .ok_or_else(|| format!("{pointer}: {target} is not in the document"))?;
            (target.to_owned(), response)
        }
        None => (pointer, response),
    };
    let content = response
        .get("content")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{pointer}: a response without content"))?;
    if content.contains_key("application/json") {
        Ok(format!("{pointer}/content/application~1json/schema"))
    } else if content
        .get("text/event-stream")
        .is_some_and(|media| media.get("x-itemSchema").is_some())
    {
        Ok(format!("{pointer}/content/text~1event-stream/x-itemSchema"))
    } else {
        Err(format!(
            "{pointer}: neither `application/json` nor `text/event-stream` with `x-itemSchema`"
        ))
    }
}

/// `token` as a JSON pointer reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// A JSON pointer as a URI fragment: the bytes a fragment may not hold (`{`, `}`, …) percent-encoded.
fn fragment(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    for byte in pointer.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use alloy::serde::storage::JsonStorageKey;
    use alloy_primitives::{Address, B256, Bytes, U256};
    use axum::response::IntoResponse;
    use light_node::{ChainConfig, Deposit, L1Origin, Witness};
    use revm::primitives::hardfork::SpecId;
    use serde::Serialize;

    use super::*;
    use crate::{
        api::{ApiError, IndexView, L1View, L2View, SearchResponse, StatusResponse},
        genesis::{RollupGenesis, dev_signer, genesis_of},
        index::{
            IndexEvent,
            driver::Divergence,
            query::{
                AccountView, BatchDetail, BatchView, BlockDetail, BlockOrigin, BlockSummary,
                Finality, FinalityDetail, FinalityHeads, GameMove, GameView, Invalidation, L1Ref,
                LogView, NextStage, Page, ProposalStatus, ProposalView, SearchHit, SkippedTx,
                StageReached, TxDetail, TxSummary,
            },
            witness::{WitnessResponse, account_proof},
        },
    };

    /// The routes `api::router()` registers. This list must follow `router()`: add a route there,
    /// add it here and to `openapi.json`.
    const ROUTER_ROUTES: [&str; 17] = [
        "/status",
        "/batches",
        "/batches/{index}",
        "/blocks",
        "/blocks/{id}",
        "/txs/{hash}",
        "/accounts/{address}",
        "/accounts/{address}/txs",
        "/proposals",
        "/proposals/{index}",
        "/games",
        "/games/{id}",
        "/search",
        "/witness/{block}",
        "/proof/{address}",
        "/events",
        "/openapi.json",
    ];

    const FINALITIES: [Finality; 5] = [
        Finality::Unsafe,
        Finality::Safe,
        Finality::L1Finalized,
        Finality::Proposed,
        Finality::Finalized,
    ];

    fn hash(byte: u8) -> B256 {
        B256::repeat_byte(byte)
    }

    /// A checksummed address with letters in it, as the API serves real accounts.
    fn address() -> Address {
        dev_signer(0).address()
    }

    fn to_json(value: &impl Serialize) -> Value {
        serde_json::to_value(value).expect("the response types serialize")
    }

    #[track_caller]
    fn valid(path: &str, value: &impl Serialize) {
        if let Err(e) = validate(path, 200, &to_json(value)) {
            panic!("{e}");
        }
    }

    #[track_caller]
    fn invalid(path: &str, status: u16, body: &Value) -> String {
        match validate(path, status, body) {
            Ok(()) => panic!("{path} {status}: {body} passed"),
            Err(e) => e,
        }
    }

    fn genesis() -> RollupGenesis {
        RollupGenesis {
            config: ChainConfig::devnet(),
            l1_chain_id: 31337,
            rollup: address(),
            l1_origin: L1Origin {
                number: 5,
                hash: hash(5),
                timestamp: 1_700_000_000,
                deposits: vec![Deposit {
                    nonce: 0,
                    from: address(),
                    to: Address::with_last_byte(7),
                    mint: U256::from(10u64).pow(U256::from(20u64)),
                    gas_limit: 100_000,
                    data: Bytes::from_static(&[0xde, 0xad]),
                }],
            },
            batcher: address(),
            proposer: Address::ZERO,
        }
    }

    fn heads() -> FinalityHeads {
        FinalityHeads {
            safe: 40,
            l1_finalized: 30,
            proposed: 20,
            finalized: 10,
        }
    }

    fn block(number: u64, finality: Finality, source: BlockOrigin) -> BlockSummary {
        BlockSummary {
            number,
            hash: hash(1),
            parent_hash: hash(2),
            timestamp: 1_700_000_000 + number,
            tx_count: 1,
            gas_used: 21_000,
            gas_limit: 30_000_000,
            base_fee: 1_000_000_000,
            state_root: hash(3),
            output_root: hash(4),
            l1_origin: L1Ref {
                number: 9,
                hash: hash(9),
            },
            l1_block: 12,
            source,
            batch_index: (source == BlockOrigin::Batch).then_some(3),
            finality,
        }
    }

    fn tx(finality: Finality, deposit: bool) -> TxSummary {
        TxSummary {
            hash: hash(0xaa),
            block_number: 7,
            index: 0,
            tx_type: if deposit { 126 } else { 2 },
            from: address(),
            to: (!deposit).then(address),
            contract_address: deposit.then(|| Address::with_last_byte(1)),
            nonce: 3,
            value: U256::MAX.to_string(),
            gas_limit: 21_000,
            gas_used: 21_000,
            effective_gas_price: "1000000007".into(),
            success: !deposit,
            deposit_nonce: deposit.then_some(4),
            finality,
        }
    }

    fn batch(accepted: bool) -> BatchView {
        BatchView {
            index: 3,
            l1_block: 12,
            l1_tx_hash: hash(0xbb),
            data_hash: hash(0xcc),
            size: 1234,
            raw_size: accepted.then_some(4321),
            status: if accepted { "accepted" } else { "dropped" }.into(),
            reason: (!accepted).then(|| "undecodable: bad version".into()),
            parent_hash: accepted.then(|| hash(2)),
            first_block: accepted.then_some(5),
            last_block: accepted.then_some(9),
            finality: accepted.then_some(Finality::Safe),
        }
    }

    fn proposal(status: ProposalStatus, derived: bool) -> ProposalView {
        ProposalView {
            index: 2,
            l1_block: 15,
            l1_tx_hash: hash(0xdd),
            proposer: address(),
            l2_block: 20,
            output_root: hash(0xee),
            parent: derived.then_some(1),
            parent_l2_block: 10,
            deadline: 1_700_000_600,
            bond: "1000000000000000000".into(),
            status,
            derived_output_root: derived.then(|| hash(0xee)),
            matches: derived.then_some(true),
            games: vec![0, 1],
        }
    }

    fn game(open: bool) -> GameView {
        GameView {
            id: 1,
            proposal_index: 2,
            l1_block: 16,
            challenger: address(),
            proposer: Address::with_last_byte(2),
            agreed_block: 10,
            agreed_root: hash(0x10),
            disputed_block: 20,
            disputed_root: hash(0x20),
            turn: "defender".into(),
            deadline: 1_700_000_900,
            outcome: if open { "open" } else { "challenger_wins" }.into(),
            resolution: (!open).then(|| "defender_timed_out".into()),
            adjudication: "trusted_arbiter".into(),
            moves: vec![
                GameMove {
                    kind: "defended".into(),
                    l1_block: 17,
                    l1_tx_hash: hash(0x17),
                    mover: Some(Address::with_last_byte(2)),
                    agreed_block: 10,
                    agreed_root: hash(0x10),
                    disputed_block: 20,
                    disputed_root: hash(0x20),
                    mid_block: Some(15),
                    mid_root: Some(hash(0x15)),
                    agree: None,
                    proposer_wins: None,
                    turn: Some("challenger".into()),
                    deadline: Some(1_700_000_800),
                    outcome: None,
                    resolution: None,
                    winner: None,
                    payout: None,
                },
                GameMove {
                    kind: "resolved".into(),
                    l1_block: 18,
                    l1_tx_hash: hash(0x18),
                    mover: None,
                    agreed_block: 10,
                    agreed_root: hash(0x10),
                    disputed_block: 20,
                    disputed_root: hash(0x20),
                    mid_block: None,
                    mid_root: None,
                    agree: None,
                    proposer_wins: None,
                    turn: None,
                    deadline: None,
                    outcome: Some("challenger_wins".into()),
                    resolution: Some("defender_timed_out".into()),
                    winner: Some(address()),
                    payout: Some("2000000000000000000".into()),
                },
            ],
        }
    }

    /// A proposed block with an invalidated proposal behind it, or a finalized one.
    fn finality_detail(finalized: bool) -> FinalityDetail {
        let mut reached = vec![
            StageReached {
                stage: Finality::Safe,
                at: Some(1_700_000_010),
                l1_block: Some(12),
                proposal: None,
            },
            StageReached {
                stage: Finality::L1Finalized,
                at: None,
                l1_block: None,
                proposal: None,
            },
            StageReached {
                stage: Finality::Proposed,
                at: Some(1_700_000_020),
                l1_block: Some(14),
                proposal: Some(3),
            },
        ];
        if finalized {
            reached.push(StageReached {
                stage: Finality::Finalized,
                at: Some(1_700_000_200),
                l1_block: Some(60),
                proposal: Some(3),
            });
        }
        FinalityDetail {
            stage: reached.last().expect("a stage").stage,
            reached,
            next: (!finalized).then_some(NextStage {
                stage: Finality::Finalized,
                expected_at: Some(1_700_000_140),
            }),
            invalidated: vec![Invalidation {
                proposal: 2,
                lost: true,
                at: 1_700_000_015,
                l1_block: 13,
            }],
        }
    }

    /// Like `api::status`: one view while L1 answers, one while it does not.
    fn statuses() -> Vec<StatusResponse> {
        let divergence = Divergence {
            number: 8,
            derived: hash(8),
            sequenced: Some(hash(9)),
        };
        [true, false]
            .into_iter()
            .map(|reachable| StatusResponse {
                l1: L1View {
                    reachable,
                    chain_id: reachable.then_some(31337),
                    head: reachable.then_some(100),
                    finalized: reachable.then_some(36),
                    error: (!reachable).then(|| "connection refused".into()),
                    endpoint: reachable.then(|| "http://127.0.0.1:8545".into()),
                },
                l2: L2View {
                    chain_id: 42069,
                    unsafe_head: reachable.then_some(45),
                    heads: heads(),
                },
                index: IndexView {
                    derived_l1_block: 99,
                    sync_lag: 1,
                    reorgs: 2,
                    divergence: reachable.then(|| to_json(&divergence)),
                    error: (!reachable).then(|| "L1 unreachable".into()),
                },
                rollup: genesis(),
            })
            .collect()
    }

    #[test]
    fn the_document_has_every_route_of_the_router() {
        let document: Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
        assert_eq!(document["openapi"], "3.1.0");
        if let Err(e) = SPEC.as_ref() {
            panic!("{e}");
        }
        let mut expected: Vec<String> = ROUTER_ROUTES.iter().map(|r| (*r).to_owned()).collect();
        expected.sort();
        assert_eq!(routes(), expected);
        valid("/api/v1/openapi.json", &document);
    }

    #[test]
    fn paths_select_their_route() {
        let spec = SPEC.as_ref().expect("the document compiles");
        for (path, template) in [
            ("/api/v1/blocks/12", "/blocks/{id}"),
            ("/blocks/12", "/blocks/{id}"),
            ("/api/v1/blocks?limit=5&cursor=9", "/blocks"),
            ("/accounts/0x00/txs", "/accounts/{address}/txs"),
            ("/accounts/0x00", "/accounts/{address}"),
            ("/openapi.json", "/openapi.json"),
        ] {
            assert_eq!(
                spec.route(path).map(|r| r.template.as_str()),
                Some(template)
            );
        }
        for path in ["/api/v1/nope", "/blocks/", "/blocks/1/2", "blocks", ""] {
            assert!(spec.route(path).is_none(), "{path}");
        }
    }

    #[test]
    fn status_follows_the_document() {
        for status in statuses() {
            valid("/api/v1/status", &status);
        }
    }

    #[test]
    fn chain_config_names_every_spec_id() {
        for spec_id in (0..=u8::MAX).filter_map(SpecId::try_from_u8) {
            let mut status = statuses().remove(0);
            status.rollup.config.spec_id = spec_id;
            valid("/status", &status);
        }
    }

    #[test]
    fn blocks_and_transactions_follow_the_document() {
        let sources = [
            BlockOrigin::Genesis,
            BlockOrigin::Batch,
            BlockOrigin::ForceIncluded,
        ];
        let blocks: Vec<BlockSummary> = FINALITIES
            .iter()
            .zip(sources.iter().cycle())
            .map(|(f, s)| block(7, *f, *s))
            .collect();
        valid(
            "/blocks",
            &Page {
                items: blocks.clone(),
                next_cursor: Some("7".to_owned()),
            },
        );
        valid(
            "/blocks?cursor=7",
            &Page::<BlockSummary> {
                items: Vec::new(),
                next_cursor: None,
            },
        );
        let detail = BlockDetail {
            block: blocks[1].clone(),
            transactions: vec![tx(Finality::Safe, true), tx(Finality::Safe, false)],
            transactions_next_cursor: Some("2".into()),
            skipped: vec![
                SkippedTx {
                    position: 1,
                    hash: Some(hash(0x51)),
                    reason: "nonce too low".into(),
                },
                SkippedTx {
                    position: 2,
                    hash: None,
                    reason: "undecodable".into(),
                },
            ],
            finality_detail: finality_detail(true),
        };
        valid("/blocks/7", &detail);
        valid(&format!("/blocks/{}", hash(1)), &detail);

        for deposit in [true, false] {
            let detail = TxDetail {
                tx: tx(Finality::Finalized, deposit),
                block_hash: hash(1),
                timestamp: 1_700_000_007,
                l1_block: 12,
                batch_index: (!deposit).then_some(3),
                raw: Bytes::from_static(&[0x7e, 0x01]),
                logs: vec![LogView {
                    log_index: 0,
                    address: address(),
                    topics: vec![hash(0x70), hash(0x71)],
                    data: Bytes::new(),
                }],
                finality_detail: finality_detail(deposit),
            };
            valid(&format!("/txs/{}", hash(0xaa)), &detail);
        }
        valid(
            &format!("/accounts/{}/txs", address()),
            &Page {
                items: FINALITIES.iter().map(|f| tx(*f, false)).collect(),
                next_cursor: Some("7:0".to_owned()),
            },
        );
    }

    #[test]
    fn batches_and_accounts_follow_the_document() {
        valid(
            "/batches",
            &Page {
                items: vec![batch(true), batch(false)],
                next_cursor: None,
            },
        );
        for accepted in [true, false] {
            let blocks = if accepted {
                vec![block(5, Finality::Safe, BlockOrigin::Batch)]
            } else {
                Vec::new()
            };
            valid(
                "/batches/3",
                &BatchDetail {
                    batch: batch(accepted),
                    blocks,
                },
            );
        }
        valid(
            &format!("/api/v1/accounts/{}", address()),
            &AccountView {
                address: address(),
                block: 40,
                balance: crate::genesis::dev_balance().to_string(),
                nonce: 0,
                code_hash: alloy_primitives::KECCAK256_EMPTY,
                code_size: 0,
                tx_count: 0,
            },
        );
    }

    #[test]
    fn proposals_games_and_search_follow_the_document() {
        let statuses = [
            ProposalStatus::Pending,
            ProposalStatus::Challenged,
            ProposalStatus::Invalidated,
            ProposalStatus::Finalized,
        ];
        valid(
            "/proposals",
            &Page {
                items: statuses.iter().map(|s| proposal(*s, true)).collect(),
                next_cursor: Some("0".into()),
            },
        );
        valid("/proposals/2", &proposal(ProposalStatus::Pending, false));
        valid(
            "/games",
            &Page {
                items: vec![game(true), game(false)],
                next_cursor: None,
            },
        );
        valid("/games/1", &game(false));
        let hits = [
            ("block", "blocks"),
            ("batch", "batches"),
            ("proposal", "proposals"),
        ]
        .into_iter()
        .map(|(kind, list)| SearchHit {
            kind: kind.into(),
            path: format!("{list}/7"),
        })
        .chain([
            SearchHit {
                kind: "transaction".into(),
                path: format!("txs/{}", hash(0xaa)),
            },
            SearchHit {
                kind: "account".into(),
                path: format!("accounts/{:#x}", address()),
            },
        ])
        .collect();
        valid(
            "/search?q=7",
            &SearchResponse {
                query: "7".into(),
                results: hits,
            },
        );
    }

    #[test]
    fn witness_and_proof_follow_the_document() {
        let (mut state, header) = genesis_of(&ChainConfig::devnet()).expect("genesis");
        valid(
            "/witness/1?through=2",
            &WitnessResponse {
                from: 1,
                to: 2,
                parent: header.clone(),
                witness: Witness {
                    nodes: vec![Bytes::from_static(&[0xc0])],
                    codes: vec![Bytes::from_static(&[0x60, 0x00])],
                    headers: vec![header, alloy_consensus::Header::default()],
                },
            },
        );
        // A real proof from the genesis state, with a full-width and a short slot.
        let slots = ["0x01", &hash(0x02).to_string(), "7"]
            .map(|s| JsonStorageKey::from_str(s).expect("a slot"))
            .to_vec();
        let proof = account_proof(&mut state, address(), slots).expect("a proof");
        valid(&format!("/proof/{}?slots=0x01", address()), &proof);
        let missing = account_proof(&mut state, Address::with_last_byte(9), Vec::new())
            .expect("a proof of absence");
        valid(
            "/proof/0x0000000000000000000000000000000000000009",
            &missing,
        );
    }

    #[test]
    fn events_follow_the_document() {
        let events = [
            IndexEvent::Block {
                number: 7,
                hash: hash(1),
                tx_count: 2,
                l1_block: 12,
            },
            IndexEvent::Batch {
                index: 3,
                status: "accepted",
                l1_block: 12,
            },
            IndexEvent::Batch {
                index: 4,
                status: "dropped",
                l1_block: 13,
            },
            IndexEvent::Proposal {
                index: 2,
                l2_block: 20,
                output_root: hash(0xee),
            },
            IndexEvent::Rollup {
                kind: "game_started",
                proposal_index: Some(2),
                game_id: Some(1),
            },
            IndexEvent::Rollup {
                kind: "credited",
                proposal_index: None,
                game_id: None,
            },
            IndexEvent::Finality(heads()),
            IndexEvent::Reorg { fork: 10, depth: 2 },
        ];
        for event in &events {
            valid("/api/v1/events", event);
        }
        // What `api::events` sends when a client falls behind.
        let lagged: Value =
            serde_json::from_str(&format!("{{\"type\":\"lagged\",\"missed\":{}}}", 5)).unwrap();
        valid("/events", &lagged);
    }

    #[tokio::test]
    async fn errors_follow_the_document() {
        let cases = [
            (ApiError::BadRequest("limit 0 is out of range".into()), 400),
            (ApiError::NotFound("no derived block 9".into()), 404),
            (ApiError::Internal("database is locked".into()), 500),
        ];
        for (error, code) in cases {
            let response = error.into_response();
            assert_eq!(response.status().as_u16(), code);
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("a body");
            let body: Value = serde_json::from_slice(&bytes).expect("JSON");
            let mut documented = 0;
            for route in ROUTER_ROUTES {
                // A concrete path: every `{parameter}` filled in.
                let path = route
                    .split('/')
                    .map(|s| if s.starts_with('{') { "1" } else { s })
                    .collect::<Vec<_>>()
                    .join("/");
                let spec = SPEC.as_ref().expect("the document compiles");
                if spec.route(&path).and_then(|r| r.response(code)).is_some() {
                    documented += 1;
                    if let Err(e) = validate(&path, code, &body) {
                        panic!("{e}");
                    }
                }
            }
            assert!(documented > 0, "no route documents {code}");
        }
    }

    #[test]
    fn wrong_types_and_unknown_fields_fail() {
        let mut summary = to_json(&block(7, Finality::Safe, BlockOrigin::Batch));
        summary["number"] = json!("7");
        let e = invalid(
            "/blocks",
            200,
            &json!({ "items": [summary], "next_cursor": null }),
        );
        assert!(e.contains("at /items/0/number"), "{e}");
        assert!(
            e.contains("BlockSummaryFields/properties/number/type"),
            "{e}"
        );

        let mut detail = to_json(&BlockDetail {
            block: block(7, Finality::Safe, BlockOrigin::Batch),
            transactions: Vec::new(),
            transactions_next_cursor: None,
            skipped: Vec::new(),
            finality_detail: finality_detail(false),
        });
        detail["surprise"] = json!(1);
        let e = invalid("/api/v1/blocks/7", 200, &detail);
        assert!(e.contains("surprise"), "{e}");

        let mut proposal = to_json(&proposal(ProposalStatus::Pending, true));
        proposal["status"] = json!("Pending");
        invalid("/proposals/2", 200, &proposal);

        let mut event = to_json(&IndexEvent::Finality(heads()));
        event["head"] = json!(1);
        invalid("/events", 200, &event);
        invalid("/events", 200, &json!({ "type": "nope" }));

        let mut status = to_json(&statuses().remove(0));
        status["l1"]["error"] = Value::Null;
        invalid("/status", 200, &status);
        let mut status = to_json(&statuses().remove(0));
        status["rollup"]["l1_origin"]["deposits"][0]["mint"] = json!("100");
        invalid("/status", 200, &status);

        let e = invalid("/api/v1/nope", 404, &json!({}));
        assert!(e.contains("no route"), "{e}");
        let not_found = json!({ "error": { "code": "not_found", "message": "no route" } });
        validate("/api/v1/nope", 404, &not_found).expect("a 404 outside the document");
        let e = invalid("/api/v1/nope", 200, &not_found);
        assert!(e.contains("yet it answered 200"), "{e}");
        let e = invalid("/status", 404, &json!({}));
        assert!(e.contains("no response for status 404"), "{e}");
        invalid(
            "/blocks/1",
            404,
            &json!({ "error": { "code": "gone", "message": "x" } }),
        );
    }

    #[test]
    fn alloy_objects_may_grow() {
        let (_, header) = genesis_of(&ChainConfig::devnet()).expect("genesis");
        let mut witness = to_json(&WitnessResponse {
            from: 1,
            to: 1,
            parent: header,
            witness: Witness::default(),
        });
        witness["parent"]["someFutureField"] = json!("0x1");
        if let Err(e) = validate("/witness/1", 200, &witness) {
            panic!("{e}");
        }
        witness["parent"]["number"] = json!(1);
        invalid("/witness/1", 200, &witness);
        witness["extra"] = json!(1);
        invalid("/witness/1", 200, &witness);
    }
}
