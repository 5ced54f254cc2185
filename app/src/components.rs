//! Small pieces the widget and the console share: icons, the invitation card and
//! the error toast.

use crate::api::ApiError;
use crate::error::ErrorCode;
use crate::i18n::{error_text, shown_name, t, tf, Key, Lang};
use crate::ids::InvitationId;
use crate::protocol::InvitationInfo;
use leptos::prelude::*;

// Icons as SVG paths (24×24), so that no font or image file is needed.
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

/// "Alice invites you to a conversation with Bob, Visitor 0427": who invites, and
/// who is in it so far (display names only).
pub fn invitation_text(lang: Lang, invitation: &InvitationInfo) -> String {
    let inviter = shown_name(lang, &invitation.inviter_name);
    let mut others: Vec<String> = invitation
        .participants
        .iter()
        .filter(|name| **name != invitation.inviter_name)
        .map(|name| shown_name(lang, name))
        .collect();
    others.dedup();
    if others.is_empty() {
        tf(lang, Key::InvitesYou, &[&inviter])
    } else {
        tf(lang, Key::InvitesYouWith, &[&inviter, &others.join(", ")])
    }
}

/// An invitation to a multi-party conversation, with Agree / Decline.
#[component]
pub fn InvitationCard(
    lang: Lang,
    invitation: InvitationInfo,
    answer: impl Fn(InvitationId, bool) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = invitation.id;
    let text = invitation_text(lang, &invitation);
    let label = text.clone();
    view! {
        <div class="invitation" role="dialog" aria-live="assertive" aria-label=label
            data-testid="invitation" data-conversation-id=invitation.conversation_id.to_string()>
            <p>{text}</p>
            <div class="actions">
                <button type="button" class="agree" data-testid="invitation-agree" data-autofocus on:click=move |_| answer(id, true)>
                    {t(lang, Key::Agree)}
                </button>
                <button type="button" class="decline" data-testid="invitation-decline" on:click=move |_| answer(id, false)>
                    {t(lang, Key::Decline)}
                </button>
            </div>
        </div>
    }
}

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
