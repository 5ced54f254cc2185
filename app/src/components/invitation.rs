//! An invitation to a multi-party conversation: the card with Agree / Decline
//! (the widget and the console's inbox), and its sentence (also in the console's
//! notifications).

use crate::i18n::{shown_name, t, tf, Key, Lang};
use crate::ids::InvitationId;
use crate::protocol::InvitationInfo;
use leptos::prelude::*;

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
    // A proactive invitation's greeting, in the inviter's words.
    let greeting = (!invitation.greeting.is_empty()).then(|| {
        view! { <p class="invitation-greeting" data-testid="invitation-greeting">{invitation.greeting.clone()}</p> }
    });
    view! {
        <div class="invitation" role="dialog" aria-live="assertive" aria-label=label
            data-testid="invitation" data-conversation-id=invitation.conversation_id.to_string()>
            <p>{text}</p>
            {greeting}
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
