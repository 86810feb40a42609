//! Entry point of the web app: installs the panic hook and mounts the app on `<body>`.

fn main() {
    // A panic leaves the app unable to follow clicks or the chain: it is logged to the console
    // with its stack, and the page says so.
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        app::show_crash(&info.to_string());
    }));
    leptos::mount::mount_to_body(app::App);
}
