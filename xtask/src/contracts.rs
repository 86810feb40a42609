//! Checking that the committed contract artifacts are exactly what the sources compile to.

use std::{
    collections::BTreeSet,
    fs,
    path::{Path, PathBuf},
};

use crate::cmd::{Cmd, Failed};

/// Recompiles `contracts/src` into a scratch folder under the target folder and fails, naming each
/// file, if an artifact differs from the committed one in `contracts/out/`, or exists on one side only.
pub(crate) fn check_artifacts(root: &Path) -> Result<(), Failed> {
    let committed = root.join("contracts/out");
    let scratch = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("xtask/contracts-out");
    // A leftover artifact from an earlier run must not hide a contract that no longer compiles.
    if scratch.exists() {
        fs::remove_dir_all(&scratch)
            .map_err(|e| Failed(format!("cannot clear {}: {e}", scratch.display())))?;
    }
    Cmd::new("node")
        .arg("contracts/compile.mjs")
        .arg(&scratch)
        .current_dir(root)
        .run()?;

    let fresh_files = json_files(&scratch)?;
    let committed_files = json_files(&committed)?;
    let mut problems = Vec::new();
    for name in committed_files.union(&fresh_files) {
        let shown = format!("contracts/out/{name}");
        match (committed_files.contains(name), fresh_files.contains(name)) {
            (true, false) => problems.push(format!(
                "{shown} is committed but no contract in contracts/src produces it"
            )),
            (false, true) => problems.push(format!("{shown} is missing")),
            _ => {
                let old = read(&committed.join(name))?;
                let new = read(&scratch.join(name))?;
                if old != new {
                    problems.push(format!(
                        "{shown} differs from what contracts/src compiles to"
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        println!(
            "contracts: {} artifact(s) match their sources",
            fresh_files.len()
        );
        Ok(())
    } else {
        Err(Failed(format!(
            "contract artifacts are out of date (run `node contracts/compile.mjs` and commit contracts/out):\n  {}",
            problems.join("\n  ")
        )))
    }
}

fn json_files(dir: &Path) -> Result<BTreeSet<String>, Failed> {
    let entries =
        fs::read_dir(dir).map_err(|e| Failed(format!("cannot read {}: {e}", dir.display())))?;
    Ok(entries
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json"))
        .collect())
}

fn read(path: &Path) -> Result<Vec<u8>, Failed> {
    fs::read(path).map_err(|e| Failed(format!("cannot read {}: {e}", path.display())))
}
