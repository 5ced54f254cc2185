//! The last error, translated, until dismissed.

use crate::api::ApiError;
use crate::error::ErrorCode;
use crate::i18n::{error_text, shown_name, t, tf, Key, Lang};
use leptos::prelude::*;

/// The sentence an error shows: translated, with the names it concerns where the
/// server gave them (never ids).
pub fn error_sentence(lang: Lang, error: &ApiError) -> String {
    match (error.code, error.detail.as_deref()) {
        (ErrorCode::InviteeUnavailable, Some(names)) => {
            let names: Vec<String> = names.split(", ").map(|n| shown_name(lang, n)).collect();
            tf(lang, Key::ErrInviteeUnavailableNamed, &[&names.join(", ")])
        }
        (code, Some(detail)) => format!("{} ({detail})", error_text(lang, code)),
        (code, None) => error_text(lang, code).to_owned(),
    }
}

/// The last error, translated, until dismissed.
#[component]
pub fn ErrorToast(lang: Lang, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    move || {
        error.get().map(|err| {
            view! {
                <p class="error-toast" role="alert" data-testid="error-toast" data-code=err.code.as_str()>
                    <span>{error_sentence(lang, &err)}</span>
                    <button type="button" class="icon" aria-label=t(lang, Key::Dismiss)
                        on:click=move |_| error.set(None)>"×"</button>
                </p>
            }
        })
    }
}
