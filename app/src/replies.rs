//! The verifier worker's replies read from their JSON ([`FromJson`]), as the API's answers are:
//! the page then needs no serde decoder of its own (docs/benchmarks.md, the bundle). The worker
//! writes them with serde (`verifier::protocol`); the test below reads what it writes.

use alloy_primitives::{B256, U256};
use serde_json::Value;
use verifier::protocol::{
    AccountCheck, BatchReport, KnownRoot, Outcome, ProposalCheck, Reply, Trust, Verdict,
};

use crate::api::{Fields, FromJson};

/// A hash or a number written as a 0x-hex string.
struct Hex<T>(T);

impl<T: std::str::FromStr> FromJson for Hex<T> {
    fn from_json(json: &Value) -> Result<Self, String> {
        json.as_str()
            .and_then(|s| s.parse().ok())
            .map(Self)
            .ok_or_else(|| "not a 0x-hex value".to_owned())
    }
}

/// A JSON value read as a hash or a number.
fn parsed_value<T: std::str::FromStr>(json: &Value) -> Result<T, String> {
    Hex::from_json(json).map(|h| h.0)
}

/// The field `key` read as a hash or a number.
fn parsed<T: std::str::FromStr>(o: Fields<'_>, key: &str) -> Result<T, String> {
    o.get::<Hex<T>>(key).map(|h| h.0)
}

/// A pair `[a, b]` of JSON values.
fn pair(json: &Value) -> Result<(&Value, &Value), String> {
    match json.as_array().map(Vec::as_slice) {
        Some([a, b]) => Ok((a, b)),
        _ => Err("not a pair".to_owned()),
    }
}

/// An externally tagged enum's variant: its name and its fields (`null` for a unit variant).
fn variant(json: &Value) -> Result<(&str, &Value), String> {
    if let Some(name) = json.as_str() {
        return Ok((name, &Value::Null));
    }
    match json.as_object() {
        Some(map) if map.len() == 1 => map
            .iter()
            .next()
            .map(|(k, v)| (k.as_str(), v))
            .ok_or_else(|| "an empty variant".to_owned()),
        _ => Err("not a variant".to_owned()),
    }
}

fn u32_of(o: Fields<'_>, key: &str) -> Result<u32, String> {
    u32::try_from(o.u64(key)?).map_err(|_| format!("`{key}` is out of range"))
}

impl FromJson for Reply {
    fn from_json(json: &Value) -> Result<Self, String> {
        let (name, body) = variant(json)?;
        let o = Fields(body);
        match name {
            "progress" => Ok(Self::Progress {
                id: u32_of(o, "id")?,
                step: o.str("step")?,
                done: u32_of(o, "done")?,
                total: u32_of(o, "total")?,
            }),
            "done" => Ok(Self::Done {
                id: u32_of(o, "id")?,
                outcome: Box::new(o.get("outcome")?),
            }),
            other => Err(format!("unknown reply `{other}`")),
        }
    }
}

impl FromJson for Verdict {
    fn from_json(json: &Value) -> Result<Self, String> {
        match variant(json)? {
            ("verified", _) => Ok(Self::Verified),
            ("mismatch", _) => Ok(Self::Mismatch),
            ("cannot_verify", body) => Ok(Self::CannotVerify {
                reason: Fields(body).str("reason")?,
            }),
            (other, _) => Err(format!("unknown verdict `{other}`")),
        }
    }
}

impl FromJson for Trust {
    fn from_json(json: &Value) -> Result<Self, String> {
        match variant(json)? {
            ("genesis", _) => Ok(Self::Genesis),
            ("finalized", body) => Ok(Self::Finalized {
                proposal: Fields(body).u64("proposal")?,
                block: Fields(body).u64("block")?,
            }),
            ("browser", body) => Ok(Self::Browser {
                block: Fields(body).u64("block")?,
            }),
            (other, _) => Err(format!("unknown starting point `{other}`")),
        }
    }
}

impl FromJson for BatchReport {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            index: o.u64("index")?,
            first: o.u64("first")?,
            last: o.u64("last")?,
            bytes: o.u64("bytes")?,
            fetch_ms: o.u64("fetch_ms")?,
            execute_ms: o.u64("execute_ms")?,
        })
    }
}

impl FromJson for ProposalCheck {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            index: o.u64("index")?,
            block: o.u64("block")?,
            claimed: parsed(o, "claimed")?,
            computed: parsed(o, "computed")?,
            standing: o.bool("standing")?,
        })
    }
}

impl FromJson for KnownRoot {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            number: o.u64("number")?,
            state_root: parsed(o, "state_root")?,
            output_root: parsed(o, "output_root")?,
        })
    }
}

/// A block's output root: `[number, "0x…"]`.
struct Output(u64, B256);

impl FromJson for Output {
    fn from_json(json: &Value) -> Result<Self, String> {
        let (number, root) = pair(json)?;
        Ok(Self(u64::from_json(number)?, parsed_value(root)?))
    }
}

/// A proved storage slot: `["0x…", "0x…"]`.
struct Slot(B256, U256);

impl FromJson for Slot {
    fn from_json(json: &Value) -> Result<Self, String> {
        let (slot, value) = pair(json)?;
        Ok(Self(parsed_value(slot)?, parsed_value(value)?))
    }
}

impl FromJson for AccountCheck {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            block: o.u64("block")?,
            state_root: parsed(o, "state_root")?,
            balance: parsed(o, "balance")?,
            nonce: o.u64("nonce")?,
            code_hash: parsed(o, "code_hash")?,
            storage: o
                .list::<Slot>("storage")?
                .into_iter()
                .map(|s| (s.0, s.1))
                .collect(),
        })
    }
}

impl FromJson for Outcome {
    fn from_json(json: &Value) -> Result<Self, String> {
        let o = Fields(json);
        Ok(Self {
            verdict: o.get("verdict")?,
            trusted: o.opt("trusted")?,
            batches: o.list("batches")?,
            proposals: o.list("proposals")?,
            roots: o.list("roots")?,
            outputs: o
                .list::<Output>("outputs")?
                .into_iter()
                .map(|r| (r.0, r.1))
                .collect(),
            account: o.opt("account")?,
            total_ms: o.u64("total_ms")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the worker writes, the page reads back the same.
    #[test]
    fn replies_read_back_as_the_worker_wrote_them() {
        let root = KnownRoot {
            number: 7,
            state_root: B256::repeat_byte(1),
            output_root: B256::repeat_byte(2),
        };
        let outcome = Outcome {
            verdict: Verdict::CannotVerify {
                reason: "no L1".into(),
            },
            trusted: Some(Trust::Finalized {
                proposal: 3,
                block: 6,
            }),
            batches: vec![BatchReport {
                index: 1,
                first: 2,
                last: 7,
                bytes: 900,
                fetch_ms: 4,
                execute_ms: 5,
            }],
            proposals: vec![ProposalCheck {
                index: 4,
                block: 7,
                claimed: B256::repeat_byte(2),
                computed: B256::repeat_byte(3),
                standing: true,
            }],
            roots: vec![root],
            outputs: vec![(7, B256::repeat_byte(2))],
            account: Some(AccountCheck {
                block: 7,
                state_root: B256::repeat_byte(1),
                balance: U256::from(10).pow(U256::from(18)),
                nonce: 2,
                code_hash: B256::repeat_byte(9),
                storage: vec![(B256::with_last_byte(1), U256::from(77))],
            }),
            total_ms: 12,
        };
        for reply in [
            Reply::Progress {
                id: 1,
                step: "reading L1".into(),
                done: 0,
                total: 3,
            },
            Reply::Done {
                id: 2,
                outcome: Box::new(outcome.clone()),
            },
            Reply::Done {
                id: 3,
                outcome: Box::new(Outcome {
                    verdict: Verdict::Verified,
                    trusted: Some(Trust::Genesis),
                    account: None,
                    ..outcome.clone()
                }),
            },
            Reply::Done {
                id: 4,
                outcome: Box::new(Outcome {
                    verdict: Verdict::Mismatch,
                    trusted: Some(Trust::Browser { block: 5 }),
                    ..outcome
                }),
            },
        ] {
            let json = serde_json::to_value(&reply).expect("serializable");
            assert_eq!(Reply::from_json(&json), Ok(reply));
        }
    }

    #[test]
    fn malformed_replies_are_refused_with_the_field() {
        let bad = serde_json::json!({"progress": {"id": 1, "step": "x", "done": "no", "total": 1}});
        assert_eq!(
            Reply::from_json(&bad),
            Err("`done` is not a number".to_owned())
        );
        let unknown = serde_json::json!({"exploded": {}});
        assert!(Reply::from_json(&unknown).is_err());
    }
}
