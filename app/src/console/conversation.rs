//! The open conversation in the middle of the console: its title, the button
//! that invites who is picked into a group conversation, and the chat window.

use super::canned::{Canned, CannedButton, CannedPanel};
use super::{people, rating_line, transcript_link, transfer, Desk, View};
use crate::api::exact;
use crate::components::{ChatWindow, ScrollMemory};
use crate::i18n::{t, Key};
use crate::protocol::{ClientMsg, ConversationKind};
use leptos::prelude::*;

#[component]
pub fn ConversationPane(desk: Desk) -> impl IntoView {
    let lang = desk.lang;
    let store = desk.session.store;
    let scroll = ScrollMemory::in_page();
    // Whether the agent writes an internal note rather than a message: back to a
    // message whenever another conversation opens, and the visitor no longer sees
    // anyone typing once the agent switches to a note.
    let note_mode = RwSignal::new(false);
    Effect::new(move |_| {
        desk.active.track();
        note_mode.set(false);
    });
    Effect::new(move |was: Option<bool>| {
        let noting = note_mode.get();
        if noting && was == Some(false) {
            if let Some(conversation_id) = desk.active.get_untracked() {
                desk.send(ClientMsg::Typing {
                    conversation_id,
                    typing: false,
                });
            }
        }
        noting
    });

    // The compose box, shared with the canned replies: a new one per conversation.
    let canned = Canned::new();
    Effect::new(move |_| {
        desk.active.track();
        canned.draft.set(String::new());
        canned.open.set(false);
    });
    // The names of the visitors in the open conversation, for `{visitor}`.
    let visitor_names = Signal::derive(move || {
        desk.active
            .get()
            .and_then(|id| {
                store.with(|state| {
                    state.get(id).map(|c| {
                        c.summary
                            .participants
                            .iter()
                            .filter(|p| !p.participant.is_agent())
                            .map(|p| desk.name_of(p.participant, &p.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                })
            })
            .unwrap_or_default()
    });
    // Enter on an exact `/shortcut` puts its reply in the box instead of sending.
    let intercept_send = Callback::new(move |text: String| -> bool {
        let replies = desk.canned.get_untracked();
        match exact(&replies, &text) {
            Some(reply) => {
                canned.insert(
                    reply,
                    &visitor_names.get_untracked(),
                    &desk.me_name.get_value(),
                );
                true
            }
            None => false,
        }
    });
    let on_send = Callback::new(move |text: String| {
        let Some(conversation_id) = desk.active.get_untracked() else {
            return;
        };
        if note_mode.get_untracked() {
            desk.session.send_note(conversation_id, text);
        } else {
            desk.session.send_text(Some(conversation_id), text);
        }
    });
    let on_typing = Callback::new(move |typing: bool| {
        // Writing a note is nothing a visitor should see happening.
        if typing && note_mode.get_untracked() {
            return;
        }
        if let Some(conversation_id) = desk.active.get_untracked() {
            desk.send(ClientMsg::Typing {
                conversation_id,
                typing,
            });
        }
    });
    let on_leave = Callback::new(move |()| {
        if let Some(conversation_id) = desk.active.get_untracked() {
            desk.send(ClientMsg::Leave { conversation_id });
        }
    });
    let active_view = Memo::new(move |_| {
        desk.active.get().and_then(|id| {
            store.with(|state| state.get(id).map(|c| (c.summary.kind, desk.has_ended(c))))
        })
    });
    view! {
        <section class="conversation-pane" class:idle=move || active_view.get().is_none()>
            {move || match (desk.active.get(), active_view.get()) {
                (Some(id), Some((kind, ended))) => {
                    // The visitors' ratings, shown below the conversation.
                    let ratings: ChildrenFn = std::sync::Arc::new(move || {
                        (move || {
                            let list = store.with(|state| {
                                state.get(id).map(|c| c.ratings.clone()).unwrap_or_default()
                            });
                            list.iter().map(|r| rating_line(lang, r)).collect_view()
                        })
                        .into_any()
                    });
                    view! {
                    <div class="conversation-head">
                        <h2 class="conversation-title">{move || store.with(|state| {
                            state.get(id).map(|c| desk.label(c)).unwrap_or_default()
                        })}</h2>
                        {transcript_link(lang, id)}
                        {(!ended).then(|| view! { <transfer::TransferButton desk id kind/> })}
                        {(kind == ConversationKind::Group && !ended).then(|| view! {
                            <button type="button" class="invite-here" data-testid="invite-to-conversation-button"
                                hidden=move || desk.nothing_picked()
                                on:click=move |_| people::invite(desk, Some(id))>
                                {t(lang, Key::InviteToThis)}
                            </button>
                        })}
                    </div>
                    <ChatWindow store lang scroll conversation_id=Signal::derive(move || Some(id))
                        kind=Signal::derive(move || kind) ended=Signal::derive(move || ended)
                        focus=desk.focus_composer note_mode on_send on_typing on_leave status=ratings
                        draft=canned.draft intercept_send
                        on_attach=Callback::new(move |ev| {
                            leptos::task::spawn_local(async move {
                                if let Err(code) = crate::files::send_picked(ev, id, None).await {
                                    desk.error.set(Some(code.into()));
                                }
                            });
                        })
                        tell_seen=Callback::new(move |id| {
                            // Only while the agent looks at the conversation.
                            if desk.view.get_untracked() == View::Chats {
                                desk.session.tell_seen(id);
                            }
                        })
                        tools=(
                            std::sync::Arc::new(move || view! { <CannedPanel desk canned visitor=visitor_names/> }.into_any()),
                            std::sync::Arc::new(move || view! { <CannedButton desk canned/> }.into_any()),
                        )/>
                    }
                    .into_any()
                }
                _ => view! { <p class="empty pane-empty">{t(lang, Key::NoConversation)}</p> }.into_any(),
            }}
        </section>
    }
    .into_any()
}
