//! Entry point of the verifier worker (built by `cargo xtask` as a Web Worker, xtask/src/app.rs).

fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        console_error_panic_hook::set_once();
        verifier::worker::start();
    }
}
