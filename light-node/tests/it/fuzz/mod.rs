//! Budgeted fuzzing of what the light node reads from untrusted parties: batch bytes, and the
//! witnesses and proofs that the browser checks against trusted roots.
//!
//! One test runs every target until a time budget is spent, so the same code is a cheap smoke
//! test inside `cargo test` and a long fuzzing run under `cargo xtask chaos`:
//!
//! - `FUZZ_SECONDS`: the budget in seconds, split between the targets (default 2).
//! - `FUZZ_SEED`: the seed, decimal or `0x` hex (default: a random one, printed). Each target
//!   draws from its own stream of that seed, so a failure names a seed and a case number that
//!   replay it whatever the other targets did.
//! - `CHAOS_REPORT`: a file to which one JSON line per target is appended.
//!
//! The properties: nothing panics, and nothing is accepted unless it is the truth: a decoded batch
//! re-encodes to itself and fits the cap, and a witness or proof only ever verifies the results
//! that the untouched one gives.

mod batch;
mod proof;
mod witness;

use std::{
    any::Any,
    collections::BTreeMap,
    hash::{BuildHasher, RandomState},
    panic::{self, AssertUnwindSafe},
    time::{Duration, Instant, SystemTime},
};

use proptest::{
    strategy::{Strategy, ValueTree},
    test_runner::{Config, RngAlgorithm, TestRng, TestRunner},
};

/// The number of this suite's case in the reliability requirements (`CHAOS_REPORT` lines).
const CHAOS_CASE: u32 = 15;

/// The budget when `FUZZ_SECONDS` is not set: cheap enough for every `cargo test`.
const DEFAULT_SECONDS: f64 = 2.0;

/// How much of the input a failure message shows, in bytes of hex or characters.
const SHOWN: usize = 1024;

/// Fuzzes the batch decoder, then the witness verifier (`verify_batch` on tampered witnesses, and
/// `verify_proof` on tampered EIP-1186 proofs), each for its share of the budget.
#[test]
fn decoder_and_verifiers_within_budget() {
    let budget = budget();
    let seed = seed();
    println!(
        "fuzz: seed {seed:#018x} (replay with FUZZ_SEED={seed:#x}), budget {:.1} s",
        budget.as_secs_f64()
    );

    let mut batches = batch::Batches::new();
    let decoder = drive(
        &mut batches,
        seed,
        1,
        budget.mul_f64(0.5),
        "fuzz: batch decoder",
    );
    let mut witnesses = witness::Witnesses::new();
    let witness = drive(
        &mut witnesses,
        seed,
        2,
        budget.mul_f64(0.3),
        "fuzz: verify_batch on tampered witnesses",
    );
    let mut proofs = proof::Proofs::default();
    let proof = drive(
        &mut proofs,
        seed,
        3,
        budget.mul_f64(0.2),
        "fuzz: verify_proof on tampered proofs",
    );

    for run in [&decoder, &witness, &proof] {
        run.print();
    }
    let verifier = Run::merge("fuzz: witness verifier", &witness, &proof);
    let decoder_detail = format!(
        "{}, seed {seed:#x}, {} rejected ({} over the cap), {} accepted and round-tripped, {}",
        seconds(decoder.elapsed),
        thousands(decoder.tally.rejected),
        thousands(decoder.tally.reasons.get("TooLarge").copied().unwrap_or(0)),
        thousands(decoder.tally.accepted()),
        decoder.verdict("inconsistent decodings"),
    );
    let verifier_detail = format!(
        "{}, seed {seed:#x}, {} tampered witnesses + {} tampered proofs, {} rejected, {} \
         tampered yet true, {}",
        seconds(verifier.elapsed),
        thousands(witness.tally.faults),
        thousands(proof.tally.faults),
        thousands(verifier.tally.rejected),
        thousands(verifier.tally.faults_true),
        verifier.verdict("wrong verified"),
    );
    report(&decoder, &decoder_detail);
    report(&verifier, &verifier_detail);

    let failures: Vec<&str> = [&decoder, &witness, &proof]
        .iter()
        .filter_map(|run| run.failure.as_deref())
        .collect();
    assert!(
        failures.is_empty(),
        "fuzzing failed (seed {seed:#x}):\n{}",
        failures.join("\n\n")
    );
}

/// A fuzzing target: what it generates, and the property each generated case must keep.
trait Target {
    /// One input and what is known about it.
    type Case: Case;
    /// Draws the next case. Generation must use no randomness but `runner`'s, so that a seed
    /// replays the same cases.
    fn generate(&mut self, runner: &mut TestRunner) -> Self::Case;
    /// Runs the code under test on the case and checks its result.
    fn check(&self, case: &Self::Case) -> Result<Checked, String>;
}

/// A generated input.
trait Case {
    /// Whether the input differs from a valid one (a mutation or garbage).
    fn is_faulty(&self) -> bool;
    /// The input, for a failure message: how it was made and its bytes in hex.
    fn describe(&self) -> String;
}

/// What a check found, when the property held.
#[derive(Debug, Clone, Copy)]
struct Checked {
    /// The input was rejected, with this reason (an error variant's name).
    rejected: Option<&'static str>,
    /// The result was compared with a truth known without the code under test.
    compared: bool,
}

impl Checked {
    /// The input was accepted and the result compared with the truth.
    fn accepted() -> Self {
        Self {
            rejected: None,
            compared: true,
        }
    }

    /// The input was accepted, and no truth is known to compare the result with.
    fn accepted_unknown() -> Self {
        Self {
            rejected: None,
            compared: false,
        }
    }

    /// The input was rejected for this reason; `compared` if the rejection was the known truth.
    fn rejected(reason: &'static str, compared: bool) -> Self {
        Self {
            rejected: Some(reason),
            compared,
        }
    }
}

/// A target's figures.
#[derive(Debug, Default, Clone)]
struct Tally {
    /// Inputs tried.
    tried: u64,
    /// Inputs that differ from a valid one.
    faults: u64,
    /// Results compared with a truth known independently of the code under test.
    compared: u64,
    /// Inputs rejected.
    rejected: u64,
    /// Faulty inputs accepted.
    faults_accepted: u64,
    /// Faulty inputs accepted with a result compared with the truth (and equal to it).
    faults_true: u64,
    /// Rejections by reason.
    reasons: BTreeMap<&'static str, u64>,
    /// Panics caught (any one fails the test).
    panics: u64,
}

impl Tally {
    fn accepted(&self) -> u64 {
        self.tried - self.rejected - self.panics
    }

    fn add(&mut self, other: &Self) {
        self.tried += other.tried;
        self.faults += other.faults;
        self.compared += other.compared;
        self.rejected += other.rejected;
        self.faults_accepted += other.faults_accepted;
        self.faults_true += other.faults_true;
        self.panics += other.panics;
        for (reason, count) in &other.reasons {
            *self.reasons.entry(reason).or_default() += count;
        }
    }
}

/// One target's run.
#[derive(Debug)]
struct Run {
    name: &'static str,
    tally: Tally,
    elapsed: Duration,
    /// The first broken property, with seed, case number and input.
    failure: Option<String>,
}

impl Run {
    fn merge(name: &'static str, a: &Self, b: &Self) -> Self {
        let mut tally = a.tally.clone();
        tally.add(&b.tally);
        let failure = match (&a.failure, &b.failure) {
            (Some(a), Some(b)) => Some(format!("{a}\n{b}")),
            (a, b) => a.clone().or_else(|| b.clone()),
        };
        Self {
            name,
            tally,
            elapsed: a.elapsed + b.elapsed,
            failure,
        }
    }

    /// How the run ended, in a few words for the report; `wrong` names a broken property.
    fn verdict(&self, wrong: &str) -> String {
        match &self.failure {
            None => format!("0 panics, 0 {wrong}"),
            Some(failure) => {
                let first = failure.lines().next().unwrap_or_default();
                format!("FAILED: {}", truncate(first, 200))
            }
        }
    }

    fn print(&self) {
        let t = &self.tally;
        let reasons: Vec<String> = t
            .reasons
            .iter()
            .map(|(reason, count)| format!("{reason} {}", thousands(*count)))
            .collect();
        println!(
            "{}: {} inputs in {} ({} faulty), {} compared with the truth, {} rejected, {} faulty \
             ones accepted ({} compared with the truth), {} panics; rejections: {}",
            self.name,
            thousands(t.tried),
            seconds(self.elapsed),
            thousands(t.faults),
            thousands(t.compared),
            thousands(t.rejected),
            thousands(t.faults_accepted),
            thousands(t.faults_true),
            t.panics,
            if reasons.is_empty() {
                "none".into()
            } else {
                reasons.join(", ")
            },
        );
    }
}

/// Generates and checks cases of `target` until `budget` is spent (at least one case), stopping at
/// the first broken property or panic.
fn drive<T: Target>(
    target: &mut T,
    seed: u64,
    stream: u8,
    budget: Duration,
    name: &'static str,
) -> Run {
    let mut runner = runner(seed, stream);
    let started = Instant::now();
    let mut tally = Tally::default();
    let mut failure = None;
    loop {
        let case = target.generate(&mut runner);
        let number = tally.tried;
        tally.tried += 1;
        let faulty = case.is_faulty();
        tally.faults += u64::from(faulty);
        let broken = match panic::catch_unwind(AssertUnwindSafe(|| target.check(&case))) {
            Ok(Ok(checked)) => {
                tally.compared += u64::from(checked.compared);
                match checked.rejected {
                    Some(reason) => {
                        tally.rejected += 1;
                        *tally.reasons.entry(reason).or_default() += 1;
                    }
                    None => {
                        tally.faults_accepted += u64::from(faulty);
                        tally.faults_true += u64::from(faulty && checked.compared);
                    }
                }
                None
            }
            Ok(Err(wrong)) => Some(wrong),
            Err(payload) => {
                tally.panics += 1;
                Some(format!("panicked: {}", panic_message(&*payload)))
            }
        };
        if let Some(broken) = broken {
            failure = Some(format!(
                "{name}, seed {seed:#x}, case {number}: {broken}\ninput: {}",
                truncate(&case.describe(), 4 * SHOWN)
            ));
            break;
        }
        if started.elapsed() >= budget {
            break;
        }
    }
    Run {
        name,
        tally,
        elapsed: started.elapsed(),
        failure,
    }
}

/// A runner drawing from the seed's stream number `stream` (one per target).
fn runner(seed: u64, stream: u8) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8] = stream;
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// One value of `strategy`, drawn with the runner's randomness.
fn draw<S: Strategy>(runner: &mut TestRunner, strategy: S) -> S::Value {
    strategy
        .new_tree(runner)
        .expect("the strategies here never reject")
        .current()
}

/// `FUZZ_SECONDS`, or the default.
fn budget() -> Duration {
    let seconds = match std::env::var("FUZZ_SECONDS") {
        Ok(text) => text
            .trim()
            .parse::<f64>()
            .unwrap_or_else(|e| panic!("FUZZ_SECONDS={text:?} is not a number of seconds: {e}")),
        Err(_) => DEFAULT_SECONDS,
    };
    Duration::try_from_secs_f64(seconds)
        .unwrap_or_else(|e| panic!("FUZZ_SECONDS={seconds} is not a duration: {e}"))
}

/// `FUZZ_SEED` (decimal or `0x` hex), or a fresh random seed.
fn seed() -> u64 {
    match std::env::var("FUZZ_SEED") {
        Ok(text) => {
            let text = text.trim();
            let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            parsed.unwrap_or_else(|e| panic!("FUZZ_SEED={text:?} is not a u64: {e}"))
        }
        // `RandomState` is seeded from the OS; the clock adds to it.
        Err(_) => RandomState::new().hash_one(SystemTime::now()),
    }
}

/// Appends one line for `run` to the `CHAOS_REPORT` file, in a single write.
fn report(run: &Run, detail: &str) {
    crate::report(
        CHAOS_CASE,
        run.name,
        [run.tally.tried, run.tally.faults, run.tally.compared],
        detail,
    );
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a non-string payload)".into())
}

/// Up to `SHOWN` bytes in hex, with the total length when cut.
fn hex(bytes: &[u8]) -> String {
    let shown = alloy_primitives::hex::encode(&bytes[..bytes.len().min(SHOWN)]);
    if bytes.len() > SHOWN {
        format!("0x{shown}… ({} bytes)", bytes.len())
    } else {
        format!("0x{shown}")
    }
}

/// At most `max` characters of `text`.
fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A duration as seconds, to one decimal below 10 s.
fn seconds(elapsed: Duration) -> String {
    let s = elapsed.as_secs_f64();
    if s < 10.0 {
        format!("{s:.1} s")
    } else {
        format!("{s:.0} s")
    }
}
