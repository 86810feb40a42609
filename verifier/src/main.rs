//! Entry point of the verifier worker (built by trunk as a Web Worker).

fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        console_error_panic_hook::set_once();
        verifier::worker::start();
    }
}
