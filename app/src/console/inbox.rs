//! The console's left column: invitations to this agent, the chats waiting in
//! the queue, and the agent's conversations (one tab each, with its unread count;
//! one that ended keeps its name, is marked ended, and can be closed).

use super::{duration_text, Desk};
use crate::components::InvitationCard;
use crate::i18n::{shown_name, t, tf, Key};
use crate::ids::{ConversationId, InvitationId};
use crate::protocol::{Body, ClientMsg};
use leptos::prelude::*;

#[component]
pub fn Inbox(desk: Desk) -> impl IntoView {
    let lang = desk.lang;
    let store = desk.session.store;
    let answer = move |invitation_id: InvitationId, accept: bool| {
        let conversation = desk.invitations.with_untracked(|list| {
            list.iter()
                .find(|i| i.id == invitation_id)
                .map(|i| i.conversation_id)
        });
        desk.invitations
            .update(|list| list.retain(|i| i.id != invitation_id));
        if accept {
            desk.focus_next.set(conversation);
            desk.send(ClientMsg::AcceptInvitation { invitation_id });
        } else {
            desk.send(ClientMsg::DeclineInvitation { invitation_id });
        }
    };
    let accept_chat = move |conversation_id: ConversationId| {
        desk.focus_next.set(Some(conversation_id));
        desk.send(ClientMsg::AcceptChat { conversation_id });
    };
    let close_tab = move |id: ConversationId| {
        store.remove(id);
        if desk.active.get_untracked() == Some(id) {
            desk.open(store.with_untracked(|state| state.views().first().map(|c| c.summary.id)));
        }
    };
    let tab_ids = move || {
        store.with(|state| {
            state
                .views()
                .iter()
                .map(|c| c.summary.id)
                .collect::<Vec<_>>()
        })
    };

    let invitations = view! {
        <Show when=move || !desk.invitations.with(Vec::is_empty)>
            <section class="invitations" aria-label=t(lang, Key::Invitations)>
                <h2>{t(lang, Key::Invitations)}</h2>
                <For each=move || desk.invitations.get() key=|i| i.id let:invitation>
                    <InvitationCard lang invitation answer/>
                </For>
            </section>
        </Show>
    }
    .into_any();
    let queue = view! {
        <section class="queue">
            <h2>{t(lang, Key::Queue)}
                <span class="count" hidden=move || desk.queue.with(Vec::is_empty)>{move || desk.queue.with(Vec::len)}</span>
            </h2>
            <Show when=move || desk.queue.with(Vec::is_empty)>
                <p class="empty">{t(lang, Key::QueueEmpty)}</p>
            </Show>
            <ul>
                <For each=move || desk.queue.get() key=|q| q.conversation_id let:item>
                    <li class="queue-item" data-testid="queue-item" data-conversation-id=item.conversation_id.to_string()>
                        <div class="row-head">
                            <strong>{shown_name(lang, &item.visitor_name)}</strong>
                            <span class="since">{move || tf(lang, Key::Waiting, &[&duration_text(lang, desk.clock.0.get() - item.since_ms)])}</span>
                        </div>
                        <p class="preview">{item.first_message.clone()}</p>
                        <button type="button" data-testid="accept-button"
                            on:click=move |_| accept_chat(item.conversation_id)>
                            {t(lang, Key::Accept)}
                        </button>
                    </li>
                </For>
            </ul>
        </section>
    }
    .into_any();
    let conversations = view! {
        <section class="conversations">
            <h2>{t(lang, Key::Conversations)}</h2>
            <Show when=move || store.with(|state| state.views().is_empty())>
                <p class="empty">{t(lang, Key::NoConversations)}</p>
            </Show>
            <nav class="tabs" aria-label=t(lang, Key::Conversations)>
                <For each=tab_ids key=|id| *id let:id>
                    {
                        let info = move || store.with(|state| {
                            state.get(id).map(|c| {
                                let preview = c.messages.values().next_back().map(|m| match &m.body {
                                    Body::Text { text } => text.clone(),
                                    Body::Notice(notice) => crate::components::notice_text(lang, notice),
                                });
                                (desk.label(c), desk.has_ended(c), c.unread, preview.unwrap_or_default())
                            })
                        });
                        view! {
                            <div class="tab-row" class:active=move || desk.active.get() == Some(id)
                                class:ended=move || info().is_some_and(|i| i.1)>
                                <button type="button" class="tab" data-testid="conversation-tab"
                                    data-conversation-id=id.to_string()
                                    data-ended=move || info().is_some_and(|i| i.1).to_string()
                                    aria-current=move || (desk.active.get() == Some(id)).then_some("true")
                                    on:click=move |_| desk.open(Some(id))>
                                    <span class="tab-label" data-testid="tab-label">{move || info().map(|i| i.0).unwrap_or_default()}</span>
                                    {move || info().filter(|i| i.1).map(|_| view! { <span class="tag ended-tag">{t(lang, Key::Ended)}</span> })}
                                    {move || info().filter(|i| i.2 > 0).map(|i| view! { <span class="badge" data-testid="tab-unread">{i.2}</span> })}
                                    <span class="tab-preview">{move || info().map(|i| i.3).unwrap_or_default()}</span>
                                </button>
                                {move || info().filter(|i| i.1).map(|_| view! {
                                    <button type="button" class="icon close-tab" data-testid="close-tab"
                                        title=t(lang, Key::CloseTab) aria-label=t(lang, Key::CloseTab)
                                        on:click=move |_| close_tab(id)>"×"</button>
                                })}
                            </div>
                        }
                    }
                </For>
            </nav>
        </section>
    }
    .into_any();

    view! {
        <aside class="inbox">
            {invitations}
            {queue}
            {conversations}
        </aside>
    }
    .into_any()
}
