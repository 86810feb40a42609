//! Integration tests of the light-node crate, one binary (`cargo test -p light-node --test it`).

// Native only: proptest draws on getrandom, which has no browser backend (see Cargo.toml).
#[cfg(not(target_arch = "wasm32"))]
mod bomb;
#[cfg(not(target_arch = "wasm32"))]
mod fuzz;

/// Appends one line of figures (tried, faults, compared) for `cargo xtask chaos` to the file named
/// by `CHAOS_REPORT`, when it is set.
#[cfg(not(target_arch = "wasm32"))]
fn report(case: u32, test: &str, [tried, faults, compared]: [u64; 3], detail: &str) {
    use std::io::Write;
    let json = |text: &str| serde_json::to_string(text).expect("a string serializes");
    let line = format!(
        "{{\"case\":{case},\"test\":{},\"tried\":{tried},\"faults\":{faults},\"compared\":{compared},\"detail\":{}}}\n",
        json(test),
        json(detail),
    );
    print!("chaos figures: {line}");
    let Some(path) = std::env::var_os("CHAOS_REPORT") else {
        return;
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("CHAOS_REPORT={}: {e}", path.display()));
    file.write_all(line.as_bytes())
        .unwrap_or_else(|e| panic!("CHAOS_REPORT={}: {e}", path.display()));
}
