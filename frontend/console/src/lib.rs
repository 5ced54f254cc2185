//! The agent console's WebAssembly entry point: hydrates the console page.
//!
//! The console is a bundle of its own (`./setup.sh` builds it beside the site
//! cargo-leptos builds, see `docs/architecture.md`), not a chunk of the widget's:
//! the widget's first load then carries none of the console's strings, markup or
//! tables, which a split chunk would still leave in the main module's data.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
