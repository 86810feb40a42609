//! Building the web app for `dist/`: the app's wasm split into the UI shell and its pages' chunks,
//! then trunk for the page, its styles and the verifier worker.
//!
//! Trunk links and optimises a crate's wasm as one module, so the app is built here instead:
//! 1. cargo builds the app with its `split` feature, linked with its relocations (`app/build.rs`);
//! 2. the splitter (`wasm_split_cli_support`, as cargo-leptos runs it) cuts every split point (a
//!    group of pages, `app/src/pages.rs`) and the code only it reaches into a chunk of its own, code
//!    shared by several groups into shared chunks, and writes the JavaScript that loads them on demand;
//! 3. wasm-bindgen makes the UI shell's bindings, keeping the exports the chunks link against;
//! 4. `wasm-opt -Oz` shrinks the shell and every chunk.
//!
//! The result goes to `app/pkg/`, which `index.html` copies into `dist/pkg/` and starts. Last,
//! every file of `dist/` the browser loads gets compressed copies beside it (`NAME.gz`, `NAME.br`),
//! which the server sends to browsers that accept them (`indexer/src/server.rs`).

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use crate::{Cmd, Failed, root, target_dir, tools::ToolEnv};

/// Where the split app is written, for trunk to copy (`index.html`).
fn pkg_dir() -> PathBuf {
    root().join("app/pkg")
}

/// Builds `dist/`: the split app, then trunk.
pub(crate) fn build(env: &ToolEnv) -> Result<(), Failed> {
    Cmd::new("cargo").arg("fetch").current_dir(root()).run()?;
    build_split(env)?;
    Cmd::new("trunk")
        .args(["build", "index.html", "--release"])
        .current_dir(root())
        .env("PATH", &env.path)
        .run()?;
    precompress(&root().join("dist"))
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

fn build_split(env: &ToolEnv) -> Result<(), Failed> {
    Cmd::new("cargo")
        .args([
            "build",
            "-p",
            "app",
            "--bin",
            "app",
            "--features",
            "split",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm-release",
        ])
        .current_dir(root())
        .run()?;
    let linked = target_dir().join("wasm32-unknown-unknown/wasm-release/app.wasm");
    let input = std::fs::read(&linked)
        .map_err(|e| Failed(format!("cannot read {}: {e}", linked.display())))?;

    // A fresh folder: chunks of an earlier build must not linger in dist/.
    let pkg = pkg_dir();
    if pkg.exists() {
        std::fs::remove_dir_all(&pkg)
            .map_err(|e| Failed(format!("cannot empty {}: {e}", pkg.display())))?;
    }
    let work = work_dir();
    for dir in [&pkg, &work] {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failed(format!("cannot create {}: {e}", dir.display())))?;
    }
    let shell = work.join("app.wasm");
    println!("$ wasm-split {} (into {})", linked.display(), pkg.display());
    let split = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(&input);
        opts.output_dir = &pkg;
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
        .arg(&pkg)
        .arg(&shell)
        .env("PATH", &env.path)
        .run()?;

    let manifest = serde_json::to_string_pretty(&split.prefetch_map)
        .map_err(|e| Failed(format!("cannot write the split manifest: {e}")))?;
    std::fs::write(manifest_path(), manifest)
        .map_err(|e| Failed(format!("cannot write {}: {e}", manifest_path().display())))?;

    let mut modules = vec![pkg.join("app_bg.wasm")];
    modules.extend(split.split_modules);
    for module in &modules {
        optimise(env, module)?;
    }
    Ok(())
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

/// `wasm-opt -Oz` in place, with the wasm features the app is compiled with (`.cargo/config.toml`
/// adds SIMD to rustc's defaults).
fn optimise(env: &ToolEnv, module: &Path) -> Result<(), Failed> {
    Cmd::new("wasm-opt")
        .args([
            "-Oz",
            "--enable-simd",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-multivalue",
            "--enable-reference-types",
        ])
        .arg(module)
        .arg("-o")
        .arg(module)
        .env("PATH", &env.path)
        .run_quiet()
}
