//! Icons as inline SVG, so that no font or image file is needed.

use leptos::prelude::*;

// SVG paths, 24×24.
pub const ICON_CHAT: &str = "M4 4h16v11H8l-4 4z";
pub const ICON_CLOSE: &str = "M6 6l12 12M18 6L6 18";
pub const ICON_SOUND: &str = "M4 9h4l5-4v14l-5-4H4zM16 9a4 4 0 010 6";
pub const ICON_MUTED: &str = "M4 9h4l5-4v14l-5-4H4zM16 9l5 6M21 9l-5 6";
pub const ICON_BELL: &str = "M6 16V11a6 6 0 0112 0v5l2 2H4zM10 20a2 2 0 004 0";
pub const ICON_BELL_OFF: &str = "M6 16V11a6 6 0 0112 0v5l2 2H4zM10 20a2 2 0 004 0M3 3l18 18";

pub fn icon(path: &'static str) -> impl IntoView {
    view! {
        <svg class="icon-svg" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
            <path d=path fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>
        </svg>
    }
}
