//! The native benchmark runner: `bench [trie] [derivation] [light-node] [--quick]`.
//!
//! Prints one `BENCH-FIGURE {json}` line per figure (ours beside a peer from the same run), and for
//! the light node one `BENCH-SAMPLES {json}` line that `cargo xtask bench` sets beside the same batch
//! verified in the browser.

#[cfg(not(target_arch = "wasm32"))]
mod native;

fn main() -> std::process::ExitCode {
    #[cfg(not(target_arch = "wasm32"))]
    {
        native::main()
    }
    #[cfg(target_arch = "wasm32")]
    {
        std::process::ExitCode::SUCCESS
    }
}
