//! `cargo xtask`: the project's developer entry points.
//!
//! - `cargo xtask run [-- INDEXER-ARGS]`: installs what is missing, builds the app and the server, and runs
//!   `indexer devnet` until Ctrl-C.
//! - `cargo xtask test`: formatting, clippy, native tests (with a throwaway PostgreSQL server on
//!   loopback), wasm tests in headless Chromium, and the end-to-end browser tests.
//! - `cargo xtask bench [NAME…] [--quick]`: benchmarks beside their peers (docs/benchmarks.md).

mod app;
mod bench;
mod chaos;
mod cmd;
mod contracts;
mod postgres;
mod tools;

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use cmd::{Cmd, Failed};
use postgres::TestPostgres;
use tools::Tools;

fn main() -> ExitCode {
    STARTED.get_or_init(std::time::Instant::now);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(),
        Some("bench") => bench::bench(&args[1..]),
        Some("chaos") => chaos::chaos(&args[1..]),
        Some("setup") => Tools::new().ensure_all(true).map(|_| ()),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  run [-- INDEXER-ARGS]  set up, build and start the devnet and explorer\n  test                   run every check CI runs\n  bench [NAME…] [--quick] benchmarks beside their peers: sequencer, derivation, light-node, trie, bundle\n  chaos [CASE…] [--quick] the reliability suite (faults, bad input, load) and its table of figures\n  setup                  install what run and test need, then stop"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failed(msg)) => {
            eprintln!("xtask: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate's folder).
fn root() -> PathBuf {
    // `cargo run` names the package's folder at run time too. That one is right even when the
    // binary in a shared target folder was last linked from another checkout of the workspace.
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .parent()
        .expect("xtask lives in the workspace")
        .into()
}

/// Cargo's target folder, honouring `CARGO_TARGET_DIR`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

fn run(extra: &[String]) -> Result<(), Failed> {
    let extra = match extra.first().map(String::as_str) {
        Some("--") => &extra[1..],
        _ => extra,
    };
    let tools = Tools::new();
    let env = tools.ensure_all(false)?;
    build_app(&env)?;
    Cmd::new("cargo")
        .args(["build", "--release", "-p", "indexer"])
        .run()?;

    let bin = target_dir().join("release/indexer");
    let mut child = Cmd::new(bin)
        .arg("devnet")
        .arg("--anvil-bin")
        .arg(&env.anvil)
        .arg("--dist")
        .arg(root().join("dist"))
        .arg("--data-dir")
        .arg(root().join(".data"))
        .args(extra)
        .spawn()?;

    // Ctrl-C in a terminal reaches the whole process group; a SIGINT or SIGTERM sent to this process
    // alone is passed on, and this process waits until the server (which stops anvil) has exited.
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .map_err(|e| Failed(format!("cannot install a signal handler: {e}")))?;
    }
    let mut forwarded = false;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() || forwarded => return Ok(()),
            Ok(Some(status)) => return Err(Failed(format!("indexer exited with {status}"))),
            Ok(None) => {}
            Err(e) => return Err(Failed(format!("cannot wait for the indexer: {e}"))),
        }
        if stop.load(Ordering::SeqCst) && !forwarded {
            // SAFETY: plain syscall on the pid of a child this process has not reaped.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
            forwarded = true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn build_app(env: &tools::ToolEnv) -> Result<(), Failed> {
    app::build(env)?;
    report_bundle_size()
}

/// Sizes of the built app as the server sends it to a browser that accepts gzip: each file's
/// `.gz` copy where the build made one (`app::precompress`), else the file itself.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BundleSize {
    /// The UI shell: the page, its styles, and the app's JavaScript and wasm without its pages,
    /// i.e. what is loaded before any page is shown.
    pub shell: usize,
    /// The pages' chunks (`pkg/` beside the shell), each loaded when its page is first shown.
    pub pages: usize,
    /// The largest of the page chunks a single page loads (its own and the shared ones it needs).
    pub largest_page: usize,
    /// The verifier worker (`verifier*`), loaded when the light node first runs.
    pub worker: usize,
    /// Everything, as sent to a browser that accepts brotli (every browser since 2017).
    pub brotli: usize,
}

impl BundleSize {
    /// Everything the explorer's page can load.
    pub(crate) fn total(&self) -> usize {
        self.shell + self.pages + self.worker
    }
}

/// The shell's own files in `dist/pkg/`: its bindings, its wasm and the chunks' loader.
const SHELL_FILES: [&str; 3] = ["app.js", "app_bg.wasm", "__wasm_split.js"];

/// Measures `dist/`, printing each file.
pub(crate) fn bundle_size() -> Result<BundleSize, Failed> {
    let dist = root().join("dist");
    let mut size = BundleSize::default();
    let mut chunks = std::collections::HashMap::new();
    for (path, name) in dist_files(&dist)? {
        if !app::COMPRESSIBLE.contains(&app::extension(&path)) {
            continue;
        }
        let len = |suffix: &str| {
            let mut copy = path.as_os_str().to_owned();
            copy.push(suffix);
            std::fs::metadata(&copy)
                .or_else(|_| std::fs::metadata(&path))
                .map(|m| m.len() as usize)
                .map_err(|e| Failed(format!("cannot read {}: {e}", path.display())))
        };
        let (bytes, gz, br) = (len("")?, len(".gz")?, len(".br")?);
        size.brotli += br;
        if name.starts_with("verifier") {
            size.worker += gz;
        } else if let Some(file) = name.strip_prefix("pkg/")
            && !SHELL_FILES.contains(&file)
        {
            size.pages += gz;
            chunks.insert(file.trim_end_matches(".wasm").to_owned(), gz);
        } else {
            size.shell += gz;
        }
        println!("bundle: {name:<48} {bytes:>9} bytes, {gz:>8} gzip, {br:>8} brotli");
    }
    size.largest_page = largest_page(&chunks)?;
    Ok(size)
}

/// The files under `dist`, with their names relative to it, in order.
pub(crate) fn dist_files(dist: &Path) -> Result<Vec<(PathBuf, String)>, Failed> {
    let mut files = Vec::new();
    let mut dirs = vec![dist.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| Failed(format!("cannot read {}: {e}", dir.display())))?;
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(name) = path.strip_prefix(dist) {
                let name = name.to_string_lossy().into_owned();
                files.push((path, name));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The most a single page loads beyond the shell: the chunks of its split point, as the splitter
/// listed them (`app::manifest`).
fn largest_page(chunks: &std::collections::HashMap<String, usize>) -> Result<usize, Failed> {
    let needs = app::manifest()?;
    Ok(needs
        .values()
        .map(|files| files.iter().filter_map(|f| chunks.get(f)).sum())
        .max()
        .unwrap_or(0))
}

/// Prints the gzipped size of the UI shell, the pages and the verifier worker.
fn report_bundle_size() -> Result<(), Failed> {
    let size = bundle_size()?;
    let kb = |bytes: usize| bytes as f64 / 1000.0;
    println!(
        "bundle: UI shell {:.1} KB gzipped; pages {:.1} KB (the largest page {:.1} KB); verifier worker {:.1} KB; total {:.1} KB ({:.1} KB with brotli)",
        kb(size.shell),
        kb(size.pages),
        kb(size.largest_page),
        kb(size.worker),
        kb(size.total()),
        kb(size.brotli),
    );
    Ok(())
}

fn test() -> Result<(), Failed> {
    let tools = Tools::new();
    let env = tools.ensure_all(true)?;

    step("formatting");
    Cmd::new("cargo")
        .args(["fmt", "--all", "--check"])
        .current_dir(root())
        .run()?;

    step("clippy (native)");
    Cmd::new("cargo")
        .args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])
        .current_dir(root())
        .run()?;
    step("clippy (wasm32)");
    Cmd::new("cargo")
        .args([
            "clippy",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "light-node",
            "-p",
            "verifier",
            "-p",
            "app",
            "-p",
            "bench",
            // The app as `dist/` has it: its pages are split points (app/src/pages.rs); the
            // native clippy above checks it without.
            "--features",
            "app/split",
        ])
        .args(["--all-targets", "--", "-D", "warnings"])
        .current_dir(root())
        .run()?;

    step("contract artifacts (recompile and compare)");
    contracts::check_artifacts(&root())?;

    step("app build (split into the shell and its pages, and the worker; release)");
    build_app(&env)?;

    step("native tests");
    let postgres_bin = env
        .postgres_bin
        .as_deref()
        .ok_or_else(|| Failed("PostgreSQL was not set up for the tests".into()))?;
    let postgres = TestPostgres::start(postgres_bin)?;
    println!(
        "postgres: 127.0.0.1:{} (for the indexer's PostgreSQL tests)",
        postgres.port()
    );
    Cmd::new("cargo")
        // Shown output carries the figures tests print (gas per batch byte, per move).
        .args(["test", "--workspace", "--", "--show-output"])
        .current_dir(root())
        .env("ANVIL_BIN", &env.anvil)
        .env("CHROMEDRIVER", &env.chromedriver)
        .env("CHROMIUM", &env.chromium)
        .env("EXPLORER_DIST", root().join("dist"))
        .env("TEST_POSTGRES_URL", postgres.url())
        .run()?;
    drop(postgres);

    step("wasm tests (headless Chromium)");
    Cmd::new("cargo")
        .args([
            "test",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "light-node",
            "-p",
            "verifier",
            "-p",
            "app",
        ])
        .current_dir(root())
        .env("CHROMEDRIVER", &env.chromedriver)
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        )
        .env("PATH", &env.path)
        .run()?;

    step("all checks passed");
    Ok(())
}

/// When this command started, for the times [`step`] prints.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Announces a step, with the time since the command started (how long the steps before took).
fn step(name: &str) {
    println!("\n==> {name} (at {})", since_start());
}

/// The time since the command started, as `3m 07s`.
fn since_start() -> String {
    let secs = STARTED
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs();
    format!("{}m {:02}s", secs / 60, secs % 60)
}

/// Replaces the text between the `markers` (start, end) in the file at `path` with `table`.
fn refresh_table(path: &Path, markers: (&str, &str), table: &str) -> Result<(), Failed> {
    let (start_marker, end_marker) = markers;
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failed(format!("cannot read {}: {e}", path.display())))?;
    let (Some(start), Some(end)) = (text.find(start_marker), text.find(end_marker)) else {
        return Err(Failed(format!(
            "{} lacks the {start_marker} … {end_marker} markers",
            path.display()
        )));
    };
    let updated = format!("{}{start_marker}\n{table}{}", &text[..start], &text[end..]);
    std::fs::write(path, updated)
        .map_err(|e| Failed(format!("cannot write {}: {e}", path.display())))?;
    println!("updated the table in {}", path.display());
    Ok(())
}
