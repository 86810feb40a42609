//! Building the web app into `dist/`: the app's wasm split into the UI shell and its pages'
//! chunks, the verifier worker, the page and its styles.
//!
//! The app is built as cargo-leptos builds a split app, since a bundler links and optimises a
//! crate's wasm as one module:
//! 1. cargo builds the app with its `split` feature, linked with its relocations (`app/build.rs`);
//! 2. the splitter (`wasm_split_cli_support`, as cargo-leptos runs it) cuts every split point (a
//!    group of pages, `app/src/pages.rs`) and the code only it reaches into a chunk of its own, code
//!    shared by several groups into shared chunks, and writes the JavaScript that loads them on demand;
//! 3. wasm-bindgen makes the UI shell's bindings, keeping the exports the chunks link against;
//! 4. `wasm-opt -Oz` shrinks the shell and every chunk.
//!
//! All of it goes to `dist/pkg/`, which `index.html` starts. The verifier worker is built with its
//! own profile (`wasm-verifier`), bound for a classic worker script (`--target no-modules`), run
//! through `wasm-opt -O3`, and started by a two-line loader (`verifier_loader.js`). `index.html`
//! and `style/main.css` are copied as they are. Last, every file of `dist/` the browser loads gets
//! compressed copies beside it (`NAME.gz`, `NAME.br`), which the server sends to browsers that
//! accept them (`indexer/src/server.rs`).

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use crate::{Cmd, Failed, root, target_dir, tools::ToolEnv};

/// The built app, which the server serves.
fn dist_dir() -> PathBuf {
    root().join("dist")
}

/// What the worker's loader runs: the bindings, then the module (the same URLs the page's
/// `new Worker("/verifier_loader.js")` resolves them against).
const WORKER_LOADER: &str =
    "importScripts(\"./verifier.js\");wasm_bindgen(\"./verifier_bg.wasm\");\n";

/// The files copied into `dist/` as they are: (from the workspace root, to `dist/`).
const STATIC_FILES: [(&str, &str); 2] =
    [("index.html", "index.html"), ("style/main.css", "main.css")];

/// Builds `dist/` afresh: the split app, the worker, the page and its styles, compressed copies.
pub(crate) fn build(env: &ToolEnv) -> Result<(), Failed> {
    compile(None)?;
    finish(env)
}

/// The target folder of the release wasm builds with `profile` (the app's `wasm-release`; the
/// worker's and the light node's browser benchmark's `wasm-verifier`): one per profile, apart from
/// the workspace's, so that `cargo xtask bench` can compile them side by side and while the native
/// benchmarks build. (Builds with different profiles share no compiled code.)
pub(crate) fn wasm_target_dir(profile: &str) -> PathBuf {
    target_dir().join("wasm-builds").join(profile)
}

/// `cargo SUBCOMMAND` for wasm with `profile`, in that profile's [`wasm_target_dir`].
pub(crate) fn wasm_cargo(subcommand: &str, profile: &str) -> Cmd {
    Cmd::new("cargo")
        .args([
            subcommand,
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            profile,
        ])
        .current_dir(root())
        .env("CARGO_TARGET_DIR", wasm_target_dir(profile))
}

/// Where a wasm build with `profile` links the binary `name`.
fn wasm_binary(profile: &str, name: &str) -> PathBuf {
    wasm_target_dir(profile).join(format!("wasm32-unknown-unknown/{profile}/{name}.wasm"))
}

/// Compiles the app and the worker.
pub(crate) fn compile(log: Option<&Path>) -> Result<(), Failed> {
    compile_app(log)?;
    compile_worker(log)
}

/// Compiles the app with its split points; with a `log`, cargo's output goes there.
pub(crate) fn compile_app(log: Option<&Path>) -> Result<(), Failed> {
    wasm_cargo("build", "wasm-release")
        .args(["-p", "app", "--bin", "app", "--features", "split"])
        .run_logged(log)
}

/// Compiles the verifier worker; with a `log`, cargo's output goes there.
pub(crate) fn compile_worker(log: Option<&Path>) -> Result<(), Failed> {
    wasm_cargo("build", "wasm-verifier")
        .args(["-p", "verifier", "--bin", "verifier"])
        .run_logged(log)
}

/// Makes `dist/` from what [`compile`] built.
pub(crate) fn finish(env: &ToolEnv) -> Result<(), Failed> {
    // A fresh folder: files of an earlier build (chunks the splitter no longer makes) must not
    // linger, nor their compressed copies.
    let dist = dist_dir();
    if dist.exists() {
        std::fs::remove_dir_all(&dist)
            .map_err(|e| Failed(format!("cannot empty {}: {e}", dist.display())))?;
    }
    build_split(env, &dist.join("pkg"))?;
    build_worker(env, &dist)?;
    for (from, to) in STATIC_FILES {
        let (from, to) = (root().join(from), dist.join(to));
        std::fs::copy(&from, &to).map_err(|e| {
            Failed(format!(
                "cannot copy {} to {}: {e}",
                from.display(),
                to.display()
            ))
        })?;
    }
    precompress(&dist)
}

/// The verifier worker: `verifier.js`, `verifier_bg.wasm` and `verifier_loader.js` in `dist`.
fn build_worker(env: &ToolEnv, dist: &Path) -> Result<(), Failed> {
    let linked = wasm_binary("wasm-verifier", "verifier");
    Cmd::new("wasm-bindgen")
        .args([
            "--target",
            "no-modules",
            "--no-typescript",
            "--out-name",
            "verifier",
            "--out-dir",
        ])
        .arg(dist)
        .arg(&linked)
        .env("PATH", &env.path)
        .run()?;
    let module = dist.join("verifier_bg.wasm");
    wasm_opt(env, "-O3", &module, &module)?;
    let loader = dist.join("verifier_loader.js");
    std::fs::write(&loader, WORKER_LOADER)
        .map_err(|e| Failed(format!("cannot write {}: {e}", loader.display())))
}

/// The kinds of file the browser loads from `dist/`, which are sent compressed.
pub(crate) const COMPRESSIBLE: [&str; 4] = ["wasm", "js", "css", "html"];

/// Writes, beside each file of `dist` the browser loads, `NAME.gz` (gzip, made with zopfli, which
/// any gzip reader reads and which is about 4% smaller than zlib's best) and `NAME.br` (brotli at
/// its best quality), each only when smaller than the file. Copies of an earlier build are removed
/// first, so that the server never sends a copy of another file.
fn precompress(dist: &Path) -> Result<(), Failed> {
    let files = crate::dist_files(dist)?;
    for (path, _) in &files {
        if matches!(extension(path), "gz" | "br") {
            std::fs::remove_file(path)
                .map_err(|e| Failed(format!("cannot remove {}: {e}", path.display())))?;
        }
    }
    let files: Vec<&PathBuf> = files
        .iter()
        .map(|(path, _)| path)
        .filter(|path| COMPRESSIBLE.contains(&extension(path)))
        .collect();
    println!(
        "xtask: compressing {} files of {} (gzip with zopfli, brotli)",
        files.len(),
        dist.display()
    );
    // Two threads, one per encoding: both are slow on the worker's module.
    std::thread::scope(|scope| {
        let encoders: [(&str, Encoder); 2] = [("gz", gzip), ("br", brotli)];
        let jobs: Vec<_> = encoders
            .into_iter()
            .map(|(suffix, encode)| {
                let files = &files;
                scope.spawn(move || -> Result<(), Failed> {
                    for path in files {
                        let bytes = std::fs::read(path)
                            .map_err(|e| Failed(format!("cannot read {}: {e}", path.display())))?;
                        let packed = encode(&bytes).map_err(|e| {
                            Failed(format!("cannot compress {}: {e}", path.display()))
                        })?;
                        if packed.len() < bytes.len() {
                            let mut name = path.as_os_str().to_owned();
                            name.push(format!(".{suffix}"));
                            std::fs::write(&name, packed).map_err(|e| {
                                Failed(format!("cannot write {}: {e}", Path::new(&name).display()))
                            })?;
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        jobs.into_iter().try_for_each(|job| {
            job.join()
                .unwrap_or_else(|_| Err(Failed("a compressor panicked".into())))
        })
    })
}

/// A compressor: a file's bytes to their compressed form.
type Encoder = fn(&[u8]) -> std::io::Result<Vec<u8>>;

/// A file's extension, or "" without one.
pub(crate) fn extension(path: &Path) -> &str {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
}

/// Gzip as zopfli writes it, with its default 15 iterations.
fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    zopfli::compress(
        zopfli::Options::default(),
        zopfli::Format::Gzip,
        bytes,
        &mut out,
    )?;
    Ok(out)
}

/// Brotli at quality 11 with the largest window.
fn brotli(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 24,
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out)
}

/// The app, split, bound and optimised into `pkg`.
fn build_split(env: &ToolEnv, pkg: &Path) -> Result<(), Failed> {
    let linked = wasm_binary("wasm-release", "app");
    let input = std::fs::read(&linked)
        .map_err(|e| Failed(format!("cannot read {}: {e}", linked.display())))?;

    let work = work_dir();
    for dir in [pkg, &work] {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failed(format!("cannot create {}: {e}", dir.display())))?;
    }
    let shell = work.join("app.wasm");
    println!("$ wasm-split {} (into {})", linked.display(), pkg.display());
    let split = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(&input);
        opts.output_dir = pkg;
        opts.main_out_path = &shell;
        // Both are resolved from the folder the shell's JavaScript is served from.
        opts.main_module = "./app.js";
        opts.link_name = "./__wasm_split.js";
        opts
    })
    .map_err(|e| Failed(format!("cannot split the app's wasm: {e:#}")))?;

    Cmd::new("wasm-bindgen")
        .args([
            "--target",
            "web",
            "--keep-lld-exports",
            "--no-demangle",
            "--no-typescript",
            "--out-name",
            "app",
            "--out-dir",
        ])
        .arg(pkg)
        .arg(&shell)
        .env("PATH", &env.path)
        .run()?;

    let manifest = serde_json::to_string_pretty(&split.prefetch_map)
        .map_err(|e| Failed(format!("cannot write the split manifest: {e}")))?;
    std::fs::write(manifest_path(), manifest)
        .map_err(|e| Failed(format!("cannot write {}: {e}", manifest_path().display())))?;

    let mut modules = vec![pkg.join("app_bg.wasm")];
    modules.extend(split.split_modules);
    // One wasm-opt per core at a time: most chunks are small, and one process each leaves a core
    // idle.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        let optimisers: Vec<_> = (0..cores)
            .map(|_| {
                scope.spawn(|| -> Result<(), Failed> {
                    while let Some(module) =
                        modules.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        wasm_opt(env, "-Oz", module, module)?;
                    }
                    Ok(())
                })
            })
            .collect();
        optimisers.into_iter().try_for_each(|optimiser| {
            optimiser
                .join()
                .unwrap_or_else(|_| Err(Failed("a wasm-opt thread panicked".into())))
        })
    })
}

/// The split's intermediate files: the shell before wasm-bindgen, and the manifest.
fn work_dir() -> PathBuf {
    target_dir().join("app-split")
}

/// Where the splitter's list of the chunks each split point loads is kept.
fn manifest_path() -> PathBuf {
    work_dir().join("manifest.json")
}

/// The chunks (file stems in `pkg/`) each split point of the last build loads: its own and the
/// shared ones it needs.
pub(crate) fn manifest() -> Result<HashMap<String, Vec<String>>, Failed> {
    let path = manifest_path();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failed(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| Failed(format!("cannot read {}: {e}", path.display())))
}

/// `wasm-opt` at `level` from `input` to `output`, with the wasm features the app and the worker
/// are compiled with (`.cargo/config.toml` adds SIMD to rustc's defaults).
pub(crate) fn wasm_opt(
    env: &ToolEnv,
    level: &str,
    input: &Path,
    output: &Path,
) -> Result<(), Failed> {
    Cmd::new("wasm-opt")
        .arg(level)
        .args([
            "--enable-simd",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-multivalue",
            "--enable-reference-types",
        ])
        .arg(input)
        .arg("-o")
        .arg(output)
        .env("PATH", &env.path)
        .run_quiet()
}
