//! What `cargo xtask chaos` reads from these tests: each reliability case appends a line of figures
//! to the file named by `CHAOS_REPORT`, and the long cases take their size from `CHAOS_*` variables
//! (small defaults keep them cheap inside `cargo xtask test`).

use std::io::Write;

/// The figures of one case, one JSON line in the report.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Figures<'a> {
    /// The case's number in `docs/reliability.md`.
    pub(crate) case: u8,
    /// A short name of what ran.
    pub(crate) test: &'a str,
    /// Scenarios, rounds or inputs tried.
    pub(crate) tried: u64,
    /// Faults injected (kills, reorgs, garbage posts, refused requests...).
    pub(crate) faults: u64,
    /// Values compared against the expected result (blocks, balances, rows...).
    pub(crate) compared: u64,
    /// One sentence: what was checked, with the seed when there is one.
    pub(crate) detail: String,
}

impl Figures<'_> {
    /// Appends the figures to `CHAOS_REPORT` when it is set, and prints them.
    pub(crate) fn report(&self) {
        let line = serde_json::to_string(self).expect("figures serialise");
        eprintln!("chaos figures: {line}");
        let Some(path) = std::env::var_os("CHAOS_REPORT") else {
            return;
        };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .expect("the chaos report opens");
        file.write_all(format!("{line}\n").as_bytes())
            .expect("the chaos report is written");
    }
}

/// The size of a long case: `CHAOS_<name>` when set, else `default`.
pub(crate) fn scale(name: &str, default: u64) -> u64 {
    std::env::var(format!("CHAOS_{name}"))
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small seeded generator for random fault schedules: the seed comes from the environment
/// variable named `var` (hex) when set, else from the clock, and is printed by the tests so that a
/// failing schedule can be replayed.
pub(crate) struct Xorshift {
    /// The seed.
    pub(crate) seed: u64,
    state: u64,
}

impl Xorshift {
    pub(crate) fn seeded(var: &str) -> Self {
        let seed = std::env::var(var)
            .ok()
            .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("clock")
                    .as_nanos() as u64
            })
            | 1;
        Self { seed, state: seed }
    }

    /// A number in `0..bound` (`bound` > 0).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state % bound
    }
}
