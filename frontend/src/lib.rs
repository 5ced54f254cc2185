//! The WASM entry point: hydrates the server-rendered page, the widget frame or
//! the console.
//!
//! The console's code is a chunk of its own (`#[lazy]`, split out by
//! `cargo leptos build --split`), fetched only on the console's pages: a visitor's
//! first load carries the widget's code and nothing more.

use leptos::lazy;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    let widget = web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .is_some_and(|path| path == "/widget");
    if widget {
        leptos::mount::hydrate_body(app::WidgetApp);
    } else {
        wasm_bindgen_futures::spawn_local(hydrate_console());
    }
}

#[lazy]
fn hydrate_console() {
    // Readable panics in the console; the widget does without the formatting
    // code this takes (a panic there still shows as a `RuntimeError`).
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
