//! Installing what the project needs: each tool is checked first and installed only when missing.

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
};

use crate::{
    cmd::{Cmd, Failed},
    root,
};

/// wasm-bindgen-cli must match the `wasm-bindgen` crate pinned in the workspace.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// npm packages kept in `.tools/`: anvil (the devnet L1), binaryen (wasm-opt, which shrinks the app's
/// wasm), solc (contracts).
const NPM_PACKAGES: &[(&str, &str, &str)] = &[
    ("@foundry-rs/anvil-linux-amd64", "1.7.1", "bin/anvil"),
    ("binaryen", "132.0.0", "bin/wasm-opt"),
    ("solc", "0.8.37", "solc.js"),
];

/// Paths of the installed tools.
#[derive(Debug)]
pub(crate) struct ToolEnv {
    /// `PATH` with the project's tools first.
    pub(crate) path: OsString,
    /// The anvil executable.
    pub(crate) anvil: PathBuf,
    /// The chromedriver executable (tests only).
    pub(crate) chromedriver: PathBuf,
    /// The Chromium executable (tests only).
    pub(crate) chromium: PathBuf,
    /// The folder with PostgreSQL's server programs (`initdb`, `pg_ctl`, `postgres`; tests only).
    pub(crate) postgres_bin: Option<PathBuf>,
}

/// The project's tool folder and installers.
#[derive(Debug)]
pub(crate) struct Tools {
    dir: PathBuf,
}

impl Tools {
    pub(crate) fn new() -> Self {
        Self {
            dir: root().join(".tools"),
        }
    }

    fn node_modules(&self) -> PathBuf {
        self.dir.join("node_modules")
    }

    /// Makes sure everything is installed; the browser and PostgreSQL only when `for_tests`.
    pub(crate) fn ensure_all(&self, for_tests: bool) -> Result<ToolEnv, Failed> {
        self.ensure_base()?;
        ensure_wasm_bindgen(None)?;
        let postgres_bin = if for_tests {
            ensure_apt(&[&BROWSER], None)?;
            Some(ensure_postgres()?)
        } else {
            None
        };
        self.env(postgres_bin)
    }

    /// What every command needs first, and quick to install: the wasm target, OpenSSL's headers
    /// and the npm packages.
    pub(crate) fn ensure_base(&self) -> Result<(), Failed> {
        ensure_wasm_target()?;
        ensure_apt(&[&OPENSSL_DEV], None)?;
        self.ensure_npm_packages()
    }

    /// The tools' paths (Chromium's where apt puts it, installed or not).
    pub(crate) fn env(&self, postgres_bin: Option<PathBuf>) -> Result<ToolEnv, Failed> {
        let bin = self.node_modules().join(".bin");
        let mut paths = vec![bin];
        paths.extend(cargo_bin_dir());
        paths.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let path =
            std::env::join_paths(paths).map_err(|e| Failed(format!("cannot build PATH: {e}")))?;
        Ok(ToolEnv {
            path,
            anvil: self
                .node_modules()
                .join("@foundry-rs/anvil-linux-amd64/bin/anvil"),
            chromedriver: PathBuf::from(CHROMEDRIVER),
            chromium: PathBuf::from(CHROMIUM),
            postgres_bin,
        })
    }

    fn ensure_npm_packages(&self) -> Result<(), Failed> {
        let missing: Vec<String> = NPM_PACKAGES
            .iter()
            .filter(|(name, version, file)| {
                let dir = self.node_modules().join(name);
                !dir.join(file).exists() || !package_version_is(&dir, version)
            })
            .map(|(name, version, _)| format!("{name}@{version}"))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        println!(
            "xtask: installing npm packages into {} (anvil is the devnet L1, binaryen gives wasm-opt, solc compiles the contracts): {}",
            self.dir.display(),
            missing.join(" ")
        );
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| Failed(format!("cannot create {}: {e}", self.dir.display())))?;
        let manifest = self.dir.join("package.json");
        if !manifest.exists() {
            std::fs::write(
                &manifest,
                "{ \"name\": \"rollup-explorer-tools\", \"private\": true }\n",
            )
            .map_err(|e| Failed(format!("cannot write {}: {e}", manifest.display())))?;
        }
        Cmd::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--save-exact",
                "--prefix",
            ])
            .arg(&self.dir)
            .args(&missing)
            .run()
    }
}

/// Whether the npm package in `dir` has exactly `version`.
fn package_version_is(dir: &Path, version: &str) -> bool {
    std::fs::read_to_string(dir.join("package.json"))
        .is_ok_and(|s| s.contains(&format!("\"version\": \"{version}\"")))
}

fn ensure_wasm_target() -> Result<(), Failed> {
    let installed = Cmd::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(root())
        .output();
    if installed.is_some_and(|s| s.lines().any(|l| l.trim() == "wasm32-unknown-unknown")) {
        return Ok(());
    }
    println!(
        "xtask: adding the wasm32-unknown-unknown target (the app and light node compile to it)"
    );
    Cmd::new("rustup")
        .args(["target", "add", "wasm32-unknown-unknown"])
        .current_dir(root())
        .run()
}

/// `$CARGO_HOME/bin`, where `cargo install` puts executables.
pub(crate) fn cargo_bin_dir() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .map(|home| home.join("bin"))
}

/// wasm-bindgen's command-line tools: the bindings generator and the wasm test runner. With a
/// `log`, the install's output goes there.
pub(crate) fn ensure_wasm_bindgen(log: Option<&Path>) -> Result<(), Failed> {
    ensure_cargo_tool(
        "wasm-bindgen",
        "wasm-bindgen-cli",
        WASM_BINDGEN_VERSION,
        false,
        &[],
        log,
    )
}

/// Installs `krate` at `version` with `cargo install` unless its `bin` answers `--version` with it.
///
/// The install builds in a folder of its own under the target folder (removed once installed), so
/// that it can run beside the workspace's builds: with `CARGO_TARGET_DIR` set, `cargo install`
/// would otherwise build in, and lock, the workspace's.
fn ensure_cargo_tool(
    bin: &str,
    krate: &str,
    version: &str,
    locked: bool,
    extra: &[&str],
    log: Option<&Path>,
) -> Result<(), Failed> {
    let candidates = cargo_bin_dir()
        .map(|d| d.join(bin))
        .into_iter()
        .chain([PathBuf::from(bin)]);
    for candidate in candidates {
        let found = Cmd::new(candidate)
            .arg("--version")
            .output()
            .unwrap_or_default();
        if found.split_whitespace().nth(1) == Some(version) {
            return Ok(());
        }
    }
    println!("xtask: installing {krate} {version} with cargo install (takes minutes, once)");
    let build_dir = crate::target_dir().join("tool-builds").join(krate);
    let mut cmd = Cmd::new("cargo")
        .args(["install", krate, "--version", version, "--force"])
        .arg("--target-dir")
        .arg(&build_dir)
        .args(extra);
    if locked {
        cmd = cmd.arg("--locked");
    }
    cmd.run_logged(log)?;
    // Only the installed executable is kept; a later version builds afresh anyway.
    let _ = std::fs::remove_dir_all(&build_dir);
    Ok(())
}

/// Where Debian's packages put Chromium and its WebDriver server.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Where Debian's nghttp2-client puts h2load, the API benchmark's load generator.
pub(crate) const H2LOAD: &str = "/usr/bin/h2load";

/// Debian's packages a command needs: each with the files it puts in place, what it is for.
pub(crate) struct AptTools {
    pub(crate) packages: &'static [&'static str],
    pub(crate) files: &'static [&'static str],
    pub(crate) why: &'static str,
}

/// Chromium and chromedriver, for the browser tests and the light node's browser benchmark.
pub(crate) const BROWSER: AptTools = AptTools {
    packages: &["chromium", "chromium-driver", "fonts-liberation"],
    files: &[CHROMIUM, CHROMEDRIVER],
    why: "browser tests run in Chromium",
};

/// OpenSSL's headers and pkg-config, with which the server builds its TLS (an L1 endpoint may be
/// https). On the machine image already; installed where they are missing.
pub(crate) const OPENSSL_DEV: AptTools = AptTools {
    packages: &["libssl-dev", "pkg-config"],
    files: &["/usr/include/openssl/ssl.h", "/usr/bin/pkg-config"],
    why: "the server's TLS builds on OpenSSL",
};

/// h2load, the API benchmark's load generator (`cargo xtask bench api`).
pub(crate) const LOAD_GENERATOR: AptTools = AptTools {
    packages: &["nghttp2-client"],
    files: &[H2LOAD],
    why: "h2load loads the API benchmark's server",
};

/// Installs with one apt run whatever of `tools` is missing. With a `log`, apt's output goes there.
pub(crate) fn ensure_apt(tools: &[&AptTools], log: Option<&Path>) -> Result<(), Failed> {
    let missing: Vec<&&AptTools> = tools
        .iter()
        .filter(|t| !t.files.iter().all(|f| Path::new(f).exists()))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let packages: Vec<&str> = missing.iter().flat_map(|t| t.packages).copied().collect();
    let why: Vec<&str> = missing.iter().map(|t| t.why).collect();
    println!(
        "xtask: installing {} with apt ({})",
        packages.join(" "),
        why.join("; ")
    );
    apt_install(&packages, log)
}

/// `apt-get install` of `packages`, after reading the package lists anew.
fn apt_install(packages: &[&str], log: Option<&Path>) -> Result<(), Failed> {
    Cmd::new("apt-get").arg("update").run_logged(log)?;
    Cmd::new("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run_logged(log)
}

/// Where Debian puts each PostgreSQL major version's programs: `/usr/lib/postgresql/<version>/bin`.
const DEBIAN_POSTGRES_DIR: &str = "/usr/lib/postgresql";
/// The server programs a throwaway cluster needs.
const POSTGRES_SERVER_BINS: [&str; 3] = ["initdb", "pg_ctl", "postgres"];

/// The `bin` folder of the newest installed PostgreSQL that has all the server programs, if any.
pub(crate) fn find_postgres() -> Option<PathBuf> {
    std::fs::read_dir(DEBIAN_POSTGRES_DIR)
        .ok()?
        .flatten()
        .filter_map(|entry| {
            // Versions are "15", "16", or "9.6" before PostgreSQL 10: compare them as numbers.
            let version: Vec<u32> = entry
                .file_name()
                .to_str()?
                .split('.')
                .map(str::parse)
                .collect::<Result<_, _>>()
                .ok()?;
            let bin = entry.path().join("bin");
            POSTGRES_SERVER_BINS
                .iter()
                .all(|b| bin.join(b).is_file())
                .then_some((version, bin))
        })
        .max()
        .map(|(_, bin)| bin)
}

/// Returns the `bin` folder of the newest installed PostgreSQL, installing Debian's `postgresql` when
/// no version has the server programs.
pub(crate) fn ensure_postgres() -> Result<PathBuf, Failed> {
    if let Some(bin) = find_postgres() {
        return Ok(bin);
    }
    println!(
        "xtask: installing PostgreSQL with apt (the indexer's tests also run against a throwaway server)"
    );
    apt_install(&["postgresql"], None)?;
    find_postgres().ok_or_else(|| {
        Failed(format!(
            "PostgreSQL is installed but no {DEBIAN_POSTGRES_DIR}/<version>/bin has {}",
            POSTGRES_SERVER_BINS.join(", ")
        ))
    })
}
