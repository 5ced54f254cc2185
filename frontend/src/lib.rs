//! The widget's WebAssembly entry point: hydrates the widget frame (`/widget`).
//!
//! Only the widget is in this bundle: the agent console is built as one of its
//! own (`frontend/console`), so a visitor's first load carries none of it. The
//! widget's chat panel is a chunk of its own (`#[lazy]` in the app crate, split
//! out by `cargo leptos build --split`), fetched when the visitor opens it.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    let widget = web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .is_some_and(|path| path == "/widget");
    if widget {
        leptos::mount::hydrate_body(app::WidgetApp);
    }
}
