//! `cargo xtask bench [NAME…] [--quick]`: every figure beside a peer measured in the same run, as a
//! ratio with min/median/max over repeated runs, written to `target/bench/report.json` and printed
//! as a markdown table (a full run also refreshes the table in `docs/benchmarks.md`).

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::{
    Cmd, Failed, bundle_size, root, step, target_dir,
    tools::{AptTools, BROWSER, LOAD_GENERATOR, Tools},
};

/// The benchmarks, in the order a full run takes them.
const ALL: [&str; 6] = [
    "sequencer",
    "derivation",
    "light-node",
    "trie",
    "bundle",
    "api",
];
/// Marks the generated table in `docs/benchmarks.md`.
const TABLE_START: &str = "<!-- bench:table -->";
const TABLE_END: &str = "<!-- /bench:table -->";

/// Line prefixes the runners print (`bench::FIGURE_PREFIX`, `bench::SAMPLES_PREFIX`).
const FIGURE_PREFIX: &str = "BENCH-FIGURE ";
const SAMPLES_PREFIX: &str = "BENCH-SAMPLES ";

pub(crate) fn bench(args: &[String]) -> Result<(), Failed> {
    let quick = args.iter().any(|a| a == "--quick");
    let mut names: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if let Some(bad) = names.iter().find(|n| !ALL.contains(n)) {
        return Err(Failed(format!(
            "unknown benchmark {bad:?}; choose from {}",
            ALL.join(", ")
        )));
    }
    if names.is_empty() {
        names = ALL.to_vec();
    }
    let native: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| {
            matches!(
                *n,
                "sequencer" | "trie" | "derivation" | "light-node" | "api"
            )
        })
        .collect();
    let (browser, bundle, api) = (
        names.contains(&"light-node"),
        names.contains(&"bundle"),
        names.contains(&"api"),
    );

    step("tools and builds (what is missing is installed; nothing is measured yet)");
    let tools = Tools::new();
    tools.ensure_base()?;
    let env = tools.env(None)?;
    let logs = target_dir().join("bench/logs");
    let _ = std::fs::remove_dir_all(&logs);
    std::fs::create_dir_all(&logs)
        .map_err(|e| Failed(format!("cannot create {}: {e}", logs.display())))?;
    // Four lanes, since nothing here is timed and no single one keeps both cores busy (cargo
    // waits on its last crates, fat LTO links on one thread, apt on the network, the index's
    // writer is one thread): the native builds (shown), then the API's index unless it is cached;
    // the tools' installs; the app's wasm; the worker's wasm, then `dist/` beside the browser
    // benchmark's wasm. The wasm builds have target folders of their own, so that cargo's lock on
    // one does not hold the others. The native lane is the longest chain (the server's build, the
    // runner's, then minutes of making the index), so the others run at the lowest priority and
    // fill the cycles it leaves.
    println!(
        "xtask: installs and wasm builds run beside the native builds, their output in {}",
        logs.display()
    );
    let module = std::thread::scope(|scope| -> Result<_, Failed> {
        let (bindgen_installed, bindgen_ready) = std::sync::mpsc::channel::<()>();
        let (app_compiled, app_ready) = std::sync::mpsc::channel::<()>();
        let installs = lane(scope, "install", || {
            // Owned by the lane, so that a failure drops it and ends the wait for it.
            let bindgen_installed = bindgen_installed;
            let log = logs.join("installs.log");
            crate::tools::ensure_wasm_bindgen(Some(&log))?;
            let _ = bindgen_installed.send(());
            let apt: Vec<&AptTools> = [(browser, &BROWSER), (api, &LOAD_GENERATOR)]
                .into_iter()
                .filter_map(|(needed, tools)| needed.then_some(tools))
                .collect();
            crate::tools::ensure_apt(&apt, Some(&log))
        });
        let app = lane(scope, "app build", || {
            let app_compiled = app_compiled;
            if bundle {
                crate::app::compile_app(Some(&logs.join("app-build.log")))?;
                let _ = app_compiled.send(());
            }
            Ok(())
        });
        let wasm = lane(scope, "light node's wasm build", || {
            let (app_ready, bindgen_ready) = (app_ready, bindgen_ready);
            let log = logs.join("light-node-wasm-builds.log");
            // The worker first: `dist/` waits on it and on the app, while the browser benchmark's
            // module is only needed once measuring starts, so it compiles (sharing the worker's
            // compiled dependencies) while `dist/` is put together.
            if bundle {
                crate::app::compile_worker(Some(&log))?;
            }
            let env = &env;
            std::thread::scope(|inner| {
                let dist = inner.spawn(move || -> Result<(), Failed> {
                    if bundle {
                        app_ready
                            .recv()
                            .map_err(|_| Failed("the app was not compiled".into()))?;
                        bindgen_ready
                            .recv()
                            .map_err(|_| Failed("wasm-bindgen was not installed".into()))?;
                        crate::app::finish(env)?;
                    }
                    Ok(())
                });
                let module = if browser {
                    let built = compile_browser_module(quick, &log)?;
                    let module = target_dir().join("bench/light-node-wasm-opt.wasm");
                    crate::app::wasm_opt(env, "-O3", &built, &module)?;
                    Some(module)
                } else {
                    None
                };
                dist.join()
                    .unwrap_or_else(|_| Err(Failed("making dist/ panicked".into())))?;
                Ok(module)
            })
        });
        let native_builds = build_native(&native, &env, quick);
        println!(
            "xtask: the native lane is {} (at {})",
            if native_builds.is_ok() {
                "done"
            } else {
                "failed"
            },
            crate::since_start()
        );
        let (installs, app, module) = (join(installs), join(app), join(wasm));
        native_builds?;
        installs?;
        app?;
        module
    })?;
    let mut figures: Vec<Value> = Vec::new();

    let mut native_samples = None;
    if !native.is_empty() {
        step("native benchmarks");
        let out = runner(&native, &env, quick).output_shown()?;
        figures.extend(lines(&out, FIGURE_PREFIX)?);
        native_samples = lines(&out, SAMPLES_PREFIX)?.into_iter().next();
    }

    if let Some(module) = module {
        step("light node in headless Chromium (wasm, the worker's build)");
        let out = Cmd::new("wasm-bindgen-test-runner")
            .arg(&module)
            .arg("--nocapture")
            .current_dir(root())
            .env("CHROMEDRIVER", &env.chromedriver)
            .env("PATH", &env.path)
            .output_shown()?;
        let wasm = lines(&out, SAMPLES_PREFIX)?
            .into_iter()
            .next()
            .ok_or_else(|| Failed("the browser printed no samples".into()))?;
        let native = native_samples
            .ok_or_else(|| Failed("the native light-node run printed no samples".into()))?;
        figures.push(light_node_figure(&wasm, &native)?);
    }

    if names.contains(&"bundle") {
        step("bundle (the sizes of dist/, built in the first step)");
        crate::report_bundle_size()?;
        let size = bundle_size()?;
        for (metric, bytes, goal_kb) in [
            ("UI shell, gzipped", size.shell, 150.0),
            (
                "everything: UI shell, pages and verifier worker, gzipped",
                size.total(),
                700.0,
            ),
        ] {
            let kb = bytes as f64 / 1000.0;
            figures.push(figure(
                "bundle",
                metric,
                "KB",
                false,
                &[kb],
                "the goal",
                &[goal_kb],
                &format!("<= {goal_kb} KB"),
                kb <= goal_kb,
            ));
        }
        let shell_kb = size.shell as f64 / 1000.0;
        for (metric, bytes) in [
            ("all pages' chunks, gzipped", size.pages),
            (
                "the largest page's chunks (its own and shared), gzipped",
                size.largest_page,
            ),
            ("verifier worker, gzipped", size.worker),
        ] {
            figures.push(figure(
                "bundle",
                metric,
                "KB",
                false,
                &[bytes as f64 / 1000.0],
                "the UI shell",
                &[shell_kb],
                "none (reported)",
                true,
            ));
        }
        figures.push(figure(
            "bundle",
            "everything, as brotli (what a browser that accepts it loads)",
            "KB",
            false,
            &[size.brotli as f64 / 1000.0],
            "everything, gzipped",
            &[size.total() as f64 / 1000.0],
            "none (reported)",
            true,
        ));
    }

    let report = json!({
        "date": Cmd::new("date").args(["-u", "+%Y-%m-%dT%H:%M:%SZ"]).output().unwrap_or_default().trim(),
        "quick": quick,
        "machine": machine(),
        "figures": figures,
    });
    let dir = target_dir().join("bench");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failed(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join("report.json");
    let text = serde_json::to_string_pretty(&report).expect("a JSON value serializes");
    std::fs::write(&path, text)
        .map_err(|e| Failed(format!("cannot write {}: {e}", path.display())))?;

    let table = table(&report);
    step("report");
    println!("{table}");
    println!("report: {}", path.display());
    if !quick && names.len() == ALL.len() {
        crate::refresh_table(
            &root().join("docs/benchmarks.md"),
            (TABLE_START, TABLE_END),
            &table,
        )?;
    }
    Ok(())
}

/// The JSON after `prefix` on each line that has it.
fn lines(out: &str, prefix: &str) -> Result<Vec<Value>, Failed> {
    out.lines()
        .filter_map(|l| l.find(prefix).map(|at| &l[at + prefix.len()..]))
        .map(|json| {
            serde_json::from_str(json)
                .map_err(|e| Failed(format!("unreadable bench line {json:?}: {e}")))
        })
        .collect()
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

/// As `bench::Spread::of` (xtask stays free of the workspace's heavy crates, so it builds fast).
fn spread(samples: &[f64]) -> Value {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    json!({ "min": sorted[0], "median": median, "max": sorted[n - 1] })
}

/// A figure in the runners' shape (`bench::Figure`).
#[allow(clippy::too_many_arguments)]
fn figure(
    bench: &str,
    metric: &str,
    unit: &str,
    higher_is_better: bool,
    ours: &[f64],
    peer_name: &str,
    peer: &[f64],
    goal: &str,
    met: bool,
) -> Value {
    let (o, p) = (spread(ours), spread(peer));
    let ratio = o["median"].as_f64().unwrap_or(f64::NAN) / p["median"].as_f64().unwrap_or(f64::NAN);
    json!({
        "bench": bench, "metric": metric, "unit": unit, "higher_is_better": higher_is_better,
        "ours": o, "peer_name": peer_name, "peer": p, "ratio": ratio, "goal": goal, "met": met,
        "runs": ours.len(),
    })
}

/// Starts `work` as a lane of [`bench`]'s first step, beside the native lane and below it in
/// priority ([`lower_priority`]), which says when it is done.
fn lane<'scope, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    what: &'static str,
    work: impl FnOnce() -> Result<T, Failed> + Send + 'scope,
) -> std::thread::ScopedJoinHandle<'scope, Result<T, Failed>> {
    scope.spawn(move || {
        lower_priority();
        let done = work();
        println!(
            "xtask: the {what} lane {} (at {})",
            if done.is_ok() { "is done" } else { "failed" },
            crate::since_start()
        );
        done
    })
}

/// Gives the calling thread, and so the commands it starts, the lowest scheduling priority (nice
/// 19): on Linux the nice value belongs to the thread, and a child inherits its creator's. The
/// native lane, whose builds and index come before any measurement, then has the cores whenever
/// it can use them, and the other lanes take what it leaves (cargo waiting on its last crates, the
/// link, the index's writer).
fn lower_priority() {
    // SAFETY: setpriority only reads its arguments; `0` names the calling thread.
    let _ = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 19) };
}

/// What a lane returned, once it is done.
fn join<T>(lane: std::thread::ScopedJoinHandle<'_, Result<T, Failed>>) -> Result<T, Failed> {
    lane.join()
        .unwrap_or_else(|_| Err(Failed("a lane of the first step panicked".into())))
}

/// The native runner (`bench/src/native`) with the benchmarks `names`.
fn runner(names: &[&str], env: &crate::tools::ToolEnv, quick: bool) -> Cmd {
    let mut cmd = Cmd::new(target_dir().join("release/bench"))
        .args(names)
        .env("INDEXER_BIN", target_dir().join("release/indexer"))
        .env("ANVIL_BIN", &env.anvil)
        .env("H2LOAD_BIN", crate::tools::H2LOAD);
    if quick {
        cmd = cmd.arg("--quick");
    }
    cmd
}

/// Builds the server and the native runner (release), then makes the API's index unless it is
/// cached (`bench/src/native/api.rs`), which takes minutes and is not timed.
fn build_native(native: &[&str], env: &crate::tools::ToolEnv, quick: bool) -> Result<(), Failed> {
    if native.is_empty() {
        return Ok(());
    }
    // Built apart: the server recovers senders with libsecp256k1, while the runner keeps the
    // pure-Rust k256 the browser uses, so the light node's native time is the same code's.
    if native.contains(&"sequencer") || native.contains(&"api") {
        Cmd::new("cargo")
            .args(["build", "--release", "-p", "indexer", "--bin", "indexer"])
            .current_dir(root())
            .run()?;
    }
    Cmd::new("cargo")
        .args(["build", "--release", "-p", "bench", "--bin", "bench"])
        .current_dir(root())
        .run()?;
    if native.contains(&"api") {
        runner(&["api-index"], env, quick).run()?;
    }
    Ok(())
}

/// Compiles the light node's browser benchmark (`bench/tests/wasm.rs`) as the verifier worker is
/// built, with the `wasm-verifier` profile, so that the browser runs the code the worker ships (it
/// then gets the worker's `wasm-opt -O3`). Returns the module's path; cargo's output goes to `log`.
fn compile_browser_module(quick: bool, log: &std::path::Path) -> Result<PathBuf, Failed> {
    let mut cmd = crate::app::wasm_cargo("test", "wasm-verifier").args([
        "-p",
        "bench",
        "--test",
        "wasm",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ]);
    if quick {
        cmd = cmd.env("BENCH_QUICK", "1");
    }
    let out = cmd.stdout_logged(log)?;
    let built = out
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "wasm")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| Failed("cargo built no wasm module for bench/tests/wasm.rs".into()))?;
    std::fs::create_dir_all(target_dir().join("bench"))
        .map_err(|e| Failed(format!("cannot create target/bench: {e}")))?;
    Ok(built)
}

/// The browser's time beside the native time for the same batch.
fn light_node_figure(wasm: &Value, native: &Value) -> Result<Value, Failed> {
    let (w, n) = (numbers(&wasm["ms"]), numbers(&native["ms"]));
    if w.is_empty() || n.is_empty() {
        return Err(Failed("light-node samples are empty".into()));
    }
    let wasm_median = spread(&w)["median"].as_f64().unwrap_or(f64::NAN);
    let ratio = wasm_median / spread(&n)["median"].as_f64().unwrap_or(f64::NAN);
    Ok(figure(
        "light-node",
        &format!(
            "verify one batch ({} bytes compressed, {} blocks, {} transactions) in Chromium",
            wasm["batch_bytes"], wasm["blocks"], wasm["transactions"]
        ),
        "ms",
        false,
        &w,
        "the same batch, native",
        &n,
        "ratio <= 2.0 and median <= 1500 ms",
        ratio <= 2.0 && wasm_median <= 1500.0,
    ))
}

/// Cores and CPU model.
fn machine() -> Value {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    json!({ "cores": cores, "cpu": cpu })
}

fn fmt(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn cell(s: &Value) -> String {
    let get = |k: &str| s[k].as_f64().unwrap_or(f64::NAN);
    format!(
        "{} ({}–{})",
        fmt(get("median")),
        fmt(get("min")),
        fmt(get("max"))
    )
}

/// The report as a markdown table.
fn table(report: &Value) -> String {
    let mut out = format!(
        "Machine: {} cores, {}. Date: {}.{}\n\n| bench | figure | unit | ours: median (min–max) | peer | peer: median (min–max) | ratio | goal | met |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
        report["machine"]["cores"],
        report["machine"]["cpu"].as_str().unwrap_or("unknown"),
        report["date"].as_str().unwrap_or(""),
        if report["quick"] == true {
            " Quick run."
        } else {
            ""
        },
    );
    for f in report["figures"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            f["bench"].as_str().unwrap_or(""),
            f["metric"].as_str().unwrap_or(""),
            f["unit"].as_str().unwrap_or(""),
            cell(&f["ours"]),
            f["peer_name"].as_str().unwrap_or(""),
            cell(&f["peer"]),
            fmt(f["ratio"].as_f64().unwrap_or(f64::NAN)),
            f["goal"].as_str().unwrap_or(""),
            if f["met"] == true { "yes" } else { "**no**" },
        ));
    }
    out
}
