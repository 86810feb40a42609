//! `cargo xtask chaos [CASE…] [--quick]`: the reliability suite of `docs/reliability.md`. Each case
//! runs its tests at full size (`--quick` keeps the small sizes `cargo xtask test` uses); the tests
//! append their figures to a report, and the run prints them as a table (a full run also refreshes
//! the table in `docs/reliability.md`). Any failed case makes the command fail.

use std::{path::Path, time::Instant};

use serde_json::Value;

use crate::{Cmd, Failed, TestPostgres, root, step, target_dir, tools::Tools};

/// Marks the generated table in `docs/reliability.md`.
const TABLE_START: &str = "<!-- chaos:table -->";
const TABLE_END: &str = "<!-- /chaos:table -->";

/// One case: its number and title in `docs/reliability.md`, and the tests that show it.
struct Case {
    number: u8,
    title: &'static str,
    runs: &'static [Run],
}

/// One `cargo test` invocation: a package, its test target (`None`: the library's unit tests), a
/// name filter, the sizes of a full run, and whether it runs in headless Chromium (wasm).
struct Run {
    package: &'static str,
    target: Option<&'static str>,
    filter: &'static str,
    full: &'static [(&'static str, &'static str)],
    wasm: bool,
}

const fn it(filter: &'static str, full: &'static [(&'static str, &'static str)]) -> Run {
    Run {
        package: "indexer",
        target: Some("it"),
        filter,
        full,
        wasm: false,
    }
}

/// A run of the indexer's unit tests.
const fn unit(filter: &'static str) -> Run {
    Run {
        package: "indexer",
        target: None,
        filter,
        full: &[],
        wasm: false,
    }
}

const CASES: &[Case] = &[
    Case {
        number: 1,
        title: "garbage batches from the batcher key",
        runs: &[it("index::garbage::", &[])],
    },
    Case {
        number: 2,
        title: "decompression bomb",
        runs: &[Run {
            package: "light-node",
            target: Some("it"),
            filter: "bomb::",
            full: &[],
            wasm: false,
        }],
    },
    Case {
        number: 3,
        title: "batches from any other key",
        runs: &[it(
            "rollup_contract::reverts::batches_only_from_the_batcher",
            &[],
        )],
    },
    Case {
        number: 4,
        title: "batcher away past the sequencing window",
        runs: &[it("index::window::", &[])],
    },
    Case {
        number: 5,
        title: "transactions that cannot apply",
        runs: &[it("index::unappliable::", &[])],
    },
    Case {
        number: 6,
        title: "random L1 reorgs during traffic",
        runs: &[it("index::reorgs::", &[("CHAOS_REORGS", "24")])],
    },
    Case {
        number: 7,
        title: "reorg below L1 finality",
        runs: &[it("index::reorg::a_reorg_below_l1_finality", &[])],
    },
    Case {
        number: 8,
        title: "SIGKILL at random moments",
        runs: &[
            it(
                "index::crash::sqlite_index_killed",
                &[
                    ("CHAOS_INDEX_KILLS", "20"),
                    ("CHAOS_INDEX_L1_BLOCKS", "4000"),
                ],
            ),
            it(
                "sequencer::restart::sigkill_and_restart",
                &[("CHAOS_SERVER_KILLS", "20")],
            ),
            it("sequencer::restart::a_server_killed_mid_game", &[]),
        ],
    },
    Case {
        number: 9,
        title: "L1 stopped and restarted",
        runs: &[it("index::l1_outage::", &[("CHAOS_L1_OUTAGES", "3")])],
    },
    Case {
        number: 10,
        title: "batcher transactions dropped by L1",
        runs: &[it("index::dropped::", &[("CHAOS_L1_DROPS", "6")])],
    },
    Case {
        number: 11,
        title: "JSON-RPC abuse",
        runs: &[it("sequencer::errors::", &[])],
    },
    Case {
        number: 12,
        title: "REST abuse",
        runs: &[it("index::api::sqlite_derives", &[])],
    },
    Case {
        number: 13,
        title: "load: 10x the demo's traffic",
        runs: &[it("index::load::", &[("CHAOS_LOAD_SECONDS", "600")])],
    },
    Case {
        number: 14,
        title: "determinism: live and replayed derivation",
        runs: &[it("index::replay::", &[])],
    },
    Case {
        number: 15,
        title: "fuzzing: batch decoder and witness verifier",
        runs: &[Run {
            package: "light-node",
            target: Some("it"),
            filter: "fuzz::",
            full: &[("FUZZ_SECONDS", "240")],
            wasm: false,
        }],
    },
    Case {
        number: 16,
        title: "adversarial proposals",
        runs: &[
            it(
                "rollup_contract::safety::a_proposal_for_a_block_not_yet",
                &[],
            ),
            it(
                "rollup_contract::safety::a_proposer_challenging_its_own",
                &[],
            ),
            it("index::games::a_root_for_a_block_not_derivable", &[]),
        ],
    },
    Case {
        number: 17,
        title: "deposit flood",
        runs: &[it("rollup_contract::safety::deposits_past", &[])],
    },
    Case {
        number: 18,
        title: "JSON-RPC heavy load",
        runs: &[
            it("sequencer::errors::heavy_calls_never_hold", &[]),
            it("sequencer::errors::heavy_fee_history", &[]),
        ],
    },
    Case {
        number: 19,
        title: "pool flood",
        runs: &[unit("sequencer::pool::tests::a_flood_of_nonce_gapped")],
    },
    Case {
        number: 20,
        title: "a lying indexer",
        runs: &[Run {
            package: "verifier",
            target: None,
            filter: "run::tests::",
            full: &[],
            wasm: true,
        }],
    },
];

/// What one case gave.
struct Outcome {
    number: u8,
    title: &'static str,
    passed: bool,
    seconds: f64,
}

pub(crate) fn chaos(args: &[String]) -> Result<(), Failed> {
    let quick = args.iter().any(|a| a == "--quick");
    let mut wanted = Vec::new();
    for arg in args.iter().filter(|a| !a.starts_with("--")) {
        match arg.parse::<u8>() {
            Ok(n) if CASES.iter().any(|c| c.number == n) => wanted.push(n),
            _ => {
                return Err(Failed(format!(
                    "unknown case {arg:?}; cases are numbered 1 to {}",
                    CASES.len()
                )));
            }
        }
    }
    let all = wanted.is_empty();
    let env = Tools::new().ensure_all(true)?;
    let postgres_bin = env
        .postgres_bin
        .as_deref()
        .ok_or_else(|| Failed("PostgreSQL was not set up for the tests".into()))?;
    let postgres = TestPostgres::start(postgres_bin)?;
    let dir = target_dir().join("chaos");
    std::fs::create_dir_all(&dir).map_err(|e| Failed(format!("cannot create {dir:?}: {e}")))?;
    let report = dir.join("figures.jsonl");
    let _ = std::fs::remove_file(&report);

    step("build the tests");
    for package in ["indexer", "light-node"] {
        Cmd::new("cargo")
            .args(["test", "--no-run", "-p", package])
            .current_dir(root())
            .run()?;
    }
    let mut outcomes = Vec::new();
    for case in CASES.iter().filter(|c| all || wanted.contains(&c.number)) {
        step(&format!("case {}: {}", case.number, case.title));
        let started = Instant::now();
        let mut passed = true;
        for run in case.runs {
            let mut cmd = Cmd::new("cargo")
                .args(["test", "-p", run.package])
                .current_dir(root())
                .env("ANVIL_BIN", &env.anvil)
                .env("TEST_POSTGRES_URL", postgres.url())
                .env("CHAOS_REPORT", &report);
            cmd = match run.target {
                Some(target) => cmd.args(["--test", target]),
                None => cmd.arg("--lib"),
            };
            cmd = if run.wasm {
                // In headless Chromium, as `cargo xtask test` runs them; the browser cannot write
                // the figures file, so the case's row says how many tests passed.
                cmd.args(["--target", "wasm32-unknown-unknown", "--", run.filter])
                    .env("CHROMEDRIVER", &env.chromedriver)
                    .env(
                        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                        "wasm-bindgen-test-runner",
                    )
                    .env("PATH", &env.path)
            } else {
                cmd.args([
                    "--",
                    run.filter,
                    "--include-ignored",
                    "--test-threads=1",
                    "--nocapture",
                ])
            };
            if !quick {
                for (key, value) in run.full {
                    cmd = cmd.env(key, value);
                }
            }
            match cmd.output_shown() {
                Ok(out) if tests_passed(&out) > 0 => {
                    if run.wasm {
                        browser_figures(&report, case, tests_passed(&out))?;
                    }
                }
                Ok(_) => {
                    eprintln!("case {}: no test matched {:?}", case.number, run.filter);
                    passed = false;
                }
                Err(Failed(why)) => {
                    eprintln!("case {} failed: {why}", case.number);
                    passed = false;
                }
            }
        }
        outcomes.push(Outcome {
            number: case.number,
            title: case.title,
            passed,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    drop(postgres);

    let figures = read_figures(&report)?;
    let table = table(&outcomes, &figures, quick);
    println!("\n{table}");
    println!("figures: {}", report.display());
    if all && !quick {
        crate::refresh_table(
            &root().join("docs/reliability.md"),
            (TABLE_START, TABLE_END),
            &table,
        )?;
    }
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.passed)
        .map(|o| o.number.to_string())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failed(format!("cases failed: {}", failed.join(", "))))
    }
}

/// The figures of a case run in the browser, which cannot write them itself.
fn browser_figures(report: &Path, case: &Case, passed: u64) -> Result<(), Failed> {
    let line = serde_json::json!({
        "case": case.number,
        "test": case.title,
        "tried": passed,
        "faults": passed,
        "compared": passed,
        "detail": format!(
            "{passed} tests of the worker's whole path in headless Chromium: the honest recording \
             verifies; an indexer lying with chain parameters L1 does not commit to, an \
             equivocating batch, a batch it calls dropped, tampered witness nodes or batch data \
             never gets \"verified\""
        ),
    });
    let mut text = std::fs::read_to_string(report).unwrap_or_default();
    text.push_str(&format!("{line}\n"));
    std::fs::write(report, text)
        .map_err(|e| Failed(format!("cannot write {}: {e}", report.display())))
}

/// How many tests the `test result:` lines of a `cargo test` output count as passed.
fn tests_passed(out: &str) -> u64 {
    out.lines()
        .filter_map(|l| l.strip_prefix("test result: ok. "))
        .filter_map(|l| l.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// The figures lines the tests appended.
fn read_figures(path: &Path) -> Result<Vec<Value>, Failed> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).map_err(|e| {
                Failed(format!(
                    "a bad figures line in {}: {e}: {l}",
                    path.display()
                ))
            })
        })
        .collect()
}

/// The markdown table: a row per figures line, and a row for a case that failed or printed none.
fn table(outcomes: &[Outcome], figures: &[Value], quick: bool) -> String {
    let date = Cmd::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .unwrap_or_default();
    let mut out = format!(
        "Run of {}{}; {} of {} cases passed.\n\n| Case | What | Result | Tried | Faults | Compared | Time | Detail |\n| --- | --- | --- | ---: | ---: | ---: | ---: | --- |\n",
        date.trim(),
        if quick { " (--quick sizes)" } else { "" },
        outcomes.iter().filter(|o| o.passed).count(),
        outcomes.len()
    );
    for o in outcomes {
        let result = if o.passed { "passed" } else { "**FAILED**" };
        let time = format!("{:.0} s", o.seconds);
        let mine: Vec<&Value> = figures
            .iter()
            .filter(|f| f["case"].as_u64() == Some(u64::from(o.number)))
            .collect();
        if mine.is_empty() {
            out.push_str(&format!(
                "| {} | {} | {result} | | | | {time} | no figures |\n",
                o.number, o.title
            ));
        }
        for f in mine {
            let n = |k: &str| f[k].as_u64().map(|v| v.to_string()).unwrap_or_default();
            out.push_str(&format!(
                "| {} | {} | {result} | {} | {} | {} | {time} | {} |\n",
                o.number,
                f["test"].as_str().unwrap_or(o.title),
                n("tried"),
                n("faults"),
                n("compared"),
                f["detail"].as_str().unwrap_or("").replace('|', "\\|"),
            ));
        }
    }
    out
}
