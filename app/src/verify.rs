//! The page's side of the light node: it runs in a Web Worker (the `verifier` crate, loaded from
//! `/verifier_loader.js`) so that re-execution never freezes the page. This module sends it tasks,
//! shows progress and verdicts, keeps the roots this browser verified, and auto-verifies new batches.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use alloy_primitives::U256;
use leptos::prelude::*;
use serde::Serialize;
use verifier::protocol::{
    Endpoints, KnownRoot, Outcome, ProposalCheck, Reply, Request, Task, Trust, Verdict,
};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};

use crate::{
    api::{self, FromJson},
    components::short,
    live::use_live,
    settings::{self, Settings},
};

/// The worker's loader, which `cargo xtask` writes beside its bindings (xtask/src/app.rs).
const WORKER_URL: &str = "/verifier_loader.js";
/// The most verified roots kept in this browser (the newest blocks win).
const MAX_ROOTS: usize = 2_000;
/// The most verified batch indices remembered for the count.
const MAX_BATCHES: usize = 10_000;

/// A verification's state, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Sent, or working.
    Running {
        /// What the worker is doing.
        step: String,
        /// Batches re-executed.
        done: u32,
        /// Batches to re-execute.
        total: u32,
    },
    /// Answered.
    Finished(Box<Outcome>),
}

/// The light node, shared by every page through context.
#[derive(Debug, Clone, Copy)]
pub struct Verifier {
    worker: StoredValue<Option<web_sys::Worker>, LocalStorage>,
    /// Jobs waiting for the worker's answer, by request id. A job's signal is reference-counted,
    /// not owned by the view that started it: a page that re-renders (on every live update) or is
    /// left disposes its views, and a job must outlive them.
    jobs: StoredValue<HashMap<u32, ArcRwSignal<Job>>, LocalStorage>,
    /// The latest job for each key (a task, or a page's own key), so that a page shows it again
    /// after it re-renders or is visited again.
    latest: StoredValue<HashMap<String, ArcRwSignal<Job>>, LocalStorage>,
    next_id: StoredValue<u32>,
    /// The `localStorage` keys of this chain's verified roots and batches, once known.
    keys: StoredValue<Option<(String, String)>>,
    /// Batches verified in this browser.
    pub verified: RwSignal<usize>,
    /// Whether new batches are verified as they arrive.
    pub auto: RwSignal<bool>,
}

impl Verifier {
    /// Starts the worker and provides the verifier as context.
    pub fn provide() -> Self {
        let verifier = Self {
            worker: StoredValue::new_local(None),
            jobs: StoredValue::new_local(HashMap::new()),
            latest: StoredValue::new_local(HashMap::new()),
            next_id: StoredValue::new(1),
            keys: StoredValue::new(None),
            verified: RwSignal::new(0),
            auto: RwSignal::new(settings::read(AUTO_KEY).as_deref() == Some("on")),
        };
        provide_context(verifier);
        let options = web_sys::WorkerOptions::new();
        options.set_name("verifier");
        match web_sys::Worker::new_with_options(WORKER_URL, &options) {
            Ok(worker) => {
                let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                    move |e: web_sys::MessageEvent| {
                        if let Some(text) = e.data().as_string() {
                            verifier.on_reply(&text);
                        }
                    },
                );
                worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
                on_message.forget();
                let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(
                    move |e: web_sys::ErrorEvent| {
                        verifier.fail_all(&format!("the verifier worker failed: {}", e.message()));
                    },
                );
                worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
                on_error.forget();
                verifier.worker.set_value(Some(worker));
            }
            Err(e) => leptos::logging::warn!("cannot start the verifier worker: {e:?}"),
        }
        leptos::task::spawn_local(async move {
            if let Ok(keys) = storage_keys().await {
                verifier.verified.set(load_batches(&keys.1).len());
                verifier.keys.set_value(Some(keys));
            }
        });
        verifier
    }

    /// The latest job started under `key`.
    pub fn latest(&self, key: &str) -> Option<ArcRwSignal<Job>> {
        self.latest.with_value(|l| l.get(key).cloned())
    }

    /// Sends `task` to the worker, as the latest job under `key`; the returned signal follows its
    /// progress and verdict.
    pub fn start(&self, key: String, task: Task) -> ArcRwSignal<Job> {
        let job = ArcRwSignal::new(Job::Running {
            step: "starting".into(),
            done: 0,
            total: 0,
        });
        self.latest.update_value(|l| {
            l.insert(key, job.clone());
        });
        let id = self.next_id.get_value();
        self.next_id.set_value(id.wrapping_add(1));
        let this = *self;
        let sent_job = job.clone();
        leptos::task::spawn_local(async move {
            let job = sent_job;
            let request = match this.request(id, task).await {
                Ok(request) => request,
                Err(reason) => {
                    job.set(Job::Finished(Box::new(Outcome::cannot_verify(reason))));
                    return;
                }
            };
            let sent = this.worker.with_value(|w| {
                w.as_ref().map(|w| {
                    serde_json::to_string(&request)
                        .map_err(|e| JsValue::from_str(&e.to_string()))
                        .and_then(|text| w.post_message(&JsValue::from_str(&text)))
                })
            });
            match sent {
                Some(Ok(())) => this.jobs.update_value(|jobs| {
                    jobs.insert(id, job);
                }),
                _ => job.set(Job::Finished(Box::new(Outcome::cannot_verify(
                    "the verifier worker is not running in this browser",
                )))),
            }
        });
        job
    }

    async fn request(&self, id: u32, task: Task) -> Result<Request, String> {
        let settings = Settings::load();
        // Both come from the user, never from the indexer: a lying indexer could otherwise point
        // the light node at an L1 of its own, where its lies verify.
        let (Some(l1), Some(rollup)) = (settings.l1.clone(), settings.rollup.clone()) else {
            return Err(NOT_CHOSEN.to_owned());
        };
        let rollup = rollup.trim();
        let rollup = rollup
            .parse()
            .map_err(|_| format!("the Rollup address in Settings is not an address: {rollup}"))?;
        let known = match self.keys.get_value() {
            Some((roots, _)) => load::<Vec<KnownRoot>>(&roots).unwrap_or_default(),
            None => Vec::new(),
        };
        Ok(Request {
            id,
            endpoints: Endpoints {
                l1: l1.trim().to_owned(),
                indexer: absolute(&settings.indexer_base()),
                rollup,
            },
            known,
            task,
        })
    }

    fn on_reply(&self, text: &str) {
        let Some(reply) = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|json| Reply::from_json(&json).ok())
        else {
            return;
        };
        match reply {
            Reply::Progress {
                id,
                step,
                done,
                total,
            } => {
                if let Some(job) = self.jobs.with_value(|jobs| jobs.get(&id).cloned()) {
                    job.set(Job::Running { step, done, total });
                }
            }
            Reply::Done { id, outcome } => {
                self.remember(&outcome);
                if let Some(job) = self
                    .jobs
                    .try_update_value(|jobs| jobs.remove(&id))
                    .flatten()
                {
                    job.set(Job::Finished(outcome));
                }
            }
        }
    }

    /// Keeps the roots and batches an outcome verified.
    fn remember(&self, outcome: &Outcome) {
        let Some((roots_key, batches_key)) = self.keys.get_value() else {
            return;
        };
        if !outcome.roots.is_empty() {
            let mut roots = BTreeMap::new();
            let stored = load::<Vec<KnownRoot>>(&roots_key).unwrap_or_default();
            roots.extend(stored.iter().chain(&outcome.roots).map(|r| (r.number, *r)));
            let keep: Vec<KnownRoot> = roots.into_values().rev().take(MAX_ROOTS).collect();
            store(&roots_key, &keep);
        }
        if !outcome.batches.is_empty() {
            let mut batches = load_batches(&batches_key);
            batches.extend(outcome.batches.iter().map(|b| b.index));
            while batches.len() > MAX_BATCHES {
                batches.pop_first();
            }
            self.verified.set(batches.len());
            store(&batches_key, &batches);
        }
    }

    fn fail_all(&self, reason: &str) {
        let jobs: Vec<ArcRwSignal<Job>> = self
            .jobs
            .try_update_value(|jobs| jobs.drain().map(|(_, j)| j).collect())
            .unwrap_or_default();
        for job in jobs {
            job.set(Job::Finished(Box::new(Outcome::cannot_verify(reason))));
        }
    }
}

/// The verifier from context.
pub fn use_verifier() -> Verifier {
    expect_context::<Verifier>()
}

/// `localStorage` keys for this chain's roots and batches: the Rollup contract and the hash of the
/// L1 block it was deployed in, so that a new devnet never reuses an old one's roots.
/// The contract is the user's choice where one is saved (roots are only ever trusted for the
/// contract the light node checked them against); the block hash only tells devnets apart.
async fn storage_keys() -> Result<(String, String), String> {
    let status = api::status().await?;
    let rollup = status.rollup.ok_or("the server names no rollup")?;
    let chosen = Settings::load().rollup.map(|r| r.trim().to_lowercase());
    let contract = chosen.unwrap_or_else(|| rollup.rollup.to_lowercase());
    let chain = format!("{contract}:{}", rollup.l1_origin.hash);
    Ok((
        format!("rollup-explorer.roots:{chain}"),
        format!("rollup-explorer.batches:{chain}"),
    ))
}

/// The batches verified in this browser, stored under `key`. Sets and maps here are built by
/// insertion: collecting into them sorts first, and the sort's code would weigh on the UI shell.
fn load_batches(key: &str) -> BTreeSet<u64> {
    let mut batches = BTreeSet::new();
    batches.extend(load::<Vec<u64>>(key).unwrap_or_default());
    batches
}

fn load<T: FromJson>(key: &str) -> Option<T> {
    let json = serde_json::from_str::<serde_json::Value>(&settings::read(key)?).ok()?;
    T::from_json(&json).ok()
}

fn store<T: Serialize>(key: &str, value: &T) {
    if let Ok(text) = serde_json::to_string(value) {
        settings::write(key, &text);
    }
}

/// A URL the worker can fetch: relative paths are resolved against the page's origin.
fn absolute(url: &str) -> String {
    if url.starts_with('/') {
        let origin = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default();
        format!("{origin}{url}")
    } else {
        url.to_owned()
    }
}

/// Why nothing is verified before the user chose where the light node reads L1 and which contract
/// it checks: the page says so ("cannot verify", never "verified").
pub const NOT_CHOSEN: &str = "choose the L1 node and the Rollup contract you trust under Settings first: the light node takes neither from the indexer";

/// The `localStorage` key of the auto-verify toggle.
const AUTO_KEY: &str = "rollup-explorer.auto-verify";

/// The key of a task's latest job.
pub fn task_key(task: &Task) -> String {
    serde_json::to_string(task).unwrap_or_default()
}

/// The verdict on one proposal within an outcome, and why: its own comparison decides.
fn focused(outcome: &Outcome, proposal: u64) -> (Verdict, Option<String>) {
    match (
        &outcome.verdict,
        outcome.proposals.iter().find(|p| p.index == proposal),
    ) {
        (Verdict::CannotVerify { reason }, _) => (outcome.verdict.clone(), Some(reason.clone())),
        // Never "verified" for a proposal L1 invalidated: it will not finalize, whatever its root.
        (_, Some(p)) if p.matches() && !p.standing => {
            let reason = "its root equals the one re-executed from L1 data, but L1 invalidated it \
                          (a proposal it builds on lost a game): it will never finalize"
                .to_owned();
            (
                Verdict::CannotVerify {
                    reason: reason.clone(),
                },
                Some(reason),
            )
        }
        (_, Some(p)) if p.matches() => (
            Verdict::Verified,
            Some("its root equals the one re-executed from L1 data".into()),
        ),
        (_, Some(p)) => (
            Verdict::Mismatch,
            Some(format!(
                "it claims a root that re-execution does not give: fraud ({})",
                if p.standing {
                    "still standing on L1"
                } else {
                    "L1 already invalidated it"
                }
            )),
        ),
        (_, None) => {
            let reason = format!("proposal {proposal} was not found in L1's events");
            (
                Verdict::CannotVerify {
                    reason: reason.clone(),
                },
                Some(reason),
            )
        }
    }
}

/// Why a whole outcome has its verdict.
fn reason_of(outcome: &Outcome) -> Option<String> {
    match &outcome.verdict {
        Verdict::CannotVerify { reason } => Some(reason.clone()),
        Verdict::Mismatch => Some(
            "a proposal standing on L1 claims a root that re-execution does not give: fraud".into(),
        ),
        Verdict::Verified if outcome.proposals.is_empty() && outcome.account.is_none() => Some(
            "no proposal on L1 covers these blocks yet; the roots computed here are kept as \
             trusted starting points"
                .into(),
        ),
        Verdict::Verified => None,
    }
}

/// A "Verify" button with the light node's progress and verdict.
#[component]
pub fn VerifyPanel(
    /// What to verify.
    task: Task,
    /// On a proposal page: the proposal whose claim decides the verdict.
    #[prop(optional)]
    proposal: Option<u64>,
) -> impl IntoView {
    let verifier = use_verifier();
    let key = task_key(&task);
    let job = RwSignal::new(verifier.latest(&key));
    let start = move |_| {
        job.set(Some(verifier.start(key.clone(), task.clone())));
    };
    let running = move || matches!(job.get().map(|j| j.get()), Some(Job::Running { .. }));
    view! {
        <div class="verify">
            <button id="verify-button" on:click=start disabled=running>
                "Verify in this browser"
            </button>
            <span class="hint">"Re-executes from L1 data in a Web Worker; the server is not trusted."</span>
            {move || job.get().map(|job| match job.get() {
                Job::Running { step, done, total } => view! {
                    <div class="verify-progress">
                        <progress max=total.max(1) value=done></progress>
                        <span id="verify-step">{format!("{step} ({done}/{total} batches)")}</span>
                    </div>
                }.into_any(),
                Job::Finished(outcome) => {
                    let (verdict, reason) = match proposal {
                        Some(p) => focused(&outcome, p),
                        None => (outcome.verdict.clone(), reason_of(&outcome)),
                    };
                    view! { <OutcomeView outcome=*outcome verdict=verdict reason=reason/> }.into_any()
                }
            })}
        </div>
    }
}

/// A finished verification: verdict, starting point, timings, comparisons.
#[component]
fn OutcomeView(outcome: Outcome, verdict: Verdict, reason: Option<String>) -> impl IntoView {
    let label = verdict.label();
    let execute_ms: u64 = outcome.batches.iter().map(|b| b.execute_ms).sum();
    let fetch_ms: u64 = outcome.batches.iter().map(|b| b.fetch_ms).sum();
    view! {
        <div class="verify-outcome">
            <p>
                <span id="verify-verdict" class=format!("verdict verdict-{}", label.replace(' ', "-"))>{label}</span>
                {reason.map(|r| view! { <span class="verdict-reason">{r}</span> })}
            </p>
            {outcome.trusted.map(|t| view! { <p class="trusted">{format!("Trusted starting point: {}", trust_text(t))}</p> })}
            <p class="timings">{format!(
                "{} batch(es) re-executed in {execute_ms} ms; reading L1 and the witness took {fetch_ms} ms; {} ms in all.",
                outcome.batches.len(), outcome.total_ms
            )}</p>
            {(!outcome.proposals.is_empty()).then(|| view! { <ProposalChecks checks=outcome.proposals.clone()/> })}
            {outcome.account.map(|a| view! {
                <dl class="fields proved">
                    <dt>"Proved at block"</dt><dd>{a.block}</dd>
                    <dt>"Against state root"</dt><dd>{short(&a.state_root.to_string())}</dd>
                    <dt>"Balance"</dt><dd id="proved-balance">{crate::components::eth(&a.balance.to_string())}</dd>
                    <dt>"Nonce"</dt><dd id="proved-nonce">{a.nonce}</dd>
                    <dt>"Code hash"</dt><dd>{short(&a.code_hash.to_string())}</dd>
                    {a.storage.into_iter().map(|(slot, value)| view! {
                        <dt>{format!("Slot {}", U256::from_be_bytes(slot.0))}</dt><dd class="proved-slot">{value.to_string()}</dd>
                    }).collect_view()}
                </dl>
            })}
        </div>
    }
}

/// Each proposal on L1 beside the root this browser computed.
#[component]
fn ProposalChecks(checks: Vec<ProposalCheck>) -> impl IntoView {
    view! {
        <table class="list proposal-checks">
            <thead><tr><th>"Proposal"</th><th>"Block"</th><th>"Claimed on L1"</th><th>"Computed here"</th><th>"Verdict"</th></tr></thead>
            <tbody>
                {checks.into_iter().map(|p| view! {
                    <tr>
                        <td>{format!("#{}", p.index)}</td>
                        <td>{p.block}</td>
                        <td>{short(&p.claimed.to_string())}</td>
                        <td>{short(&p.computed.to_string())}</td>
                        <td class=if p.matches() { "ok" } else { "bad" }>{match (p.matches(), p.standing) {
                            (true, true) => "right",
                            (true, false) => "right, but invalidated on L1 (will not finalize)",
                            (false, true) => "wrong: fraud, still standing on L1",
                            (false, false) => "wrong: already invalidated on L1",
                        }}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Where a verification started, in words.
pub fn trust_text(trust: Trust) -> String {
    match trust {
        Trust::Genesis => "the genesis output root stored in the Rollup contract".into(),
        Trust::Finalized { proposal, block } => {
            format!("proposal #{proposal} at block {block}, finalized in L1's finalized state")
        }
        Trust::Browser { block } => format!("block {block}, verified earlier in this browser"),
    }
}

/// The auto-verify toggle and the count of batches verified in this browser.
#[component]
pub fn AutoVerify() -> impl IntoView {
    let verifier = use_verifier();
    let live = use_live();
    let last = StoredValue::new(None::<u64>);
    let job: RwSignal<Option<ArcRwSignal<Job>>> = RwSignal::new(None);
    Effect::new(move |_| {
        live.tick.track();
        if !verifier.auto.get() {
            return;
        }
        if matches!(
            job.get_untracked().map(|j| j.get_untracked()),
            Some(Job::Running { .. })
        ) {
            return;
        }
        leptos::task::spawn_local(async move {
            let Ok(page) = api::get::<api::Page<api::Batch>>("/batches?limit=5").await else {
                return;
            };
            let Some(newest) = page.items.iter().find(|b| b.first_block.is_some()) else {
                return;
            };
            if last.get_value() < Some(newest.index) {
                last.set_value(Some(newest.index));
                let task = Task::Batch {
                    index: newest.index,
                };
                job.set(Some(verifier.start(task_key(&task), task)));
            }
        });
    });
    let toggle = move |_| {
        let on = !verifier.auto.get_untracked();
        verifier.auto.set(on);
        settings::write(AUTO_KEY, if on { "on" } else { "off" });
    };
    let state = move || match job.get().map(|j| j.get()) {
        Some(Job::Running { .. }) => "verifying…".to_owned(),
        Some(Job::Finished(o)) => match (&o.verdict, o.batches.last()) {
            (Verdict::CannotVerify { reason }, _) => format!("last: cannot verify ({reason})"),
            (v, Some(b)) => format!("last: batch #{} {}", b.index, v.label()),
            (v, None) => format!("last: {}", v.label()),
        },
        None => String::new(),
    };
    view! {
        <label class="auto-verify" title="Verify each new batch in this browser as it arrives">
            <input type="checkbox" id="auto-verify" prop:checked=move || verifier.auto.get() on:change=toggle/>
            " auto-verify"
            <span id="verified-count" class="count">{move || format!(" {} verified", verifier.verified.get())}</span>
            <span class="auto-state">{state}</span>
        </label>
    }
}
