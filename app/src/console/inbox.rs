//! The console's left column: invitations to this agent, the chats waiting in
//! the queue, and the agent's conversations (one tab each, with its unread count;
//! one that ended keeps its name, is marked ended, and can be closed).

use super::desk::MINE;
use super::words::{w, wf, Word};
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
    let decline_chat = move |conversation_id: ConversationId| {
        desk.send(ClientMsg::DeclineChat { conversation_id });
    };
    // The queue as its filter shows it, worked out once per change.
    let shown_queue = Memo::new(move |_| {
        desk.queue.with(|all| {
            all.iter()
                .filter(|item| desk.queue_shows(item))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
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
    let filter = view! {
        <Show when=move || !desk.departments.with(Vec::is_empty)>
            <label class="queue-filter">
                <span class="sr-only">{w(lang, Word::QueueFilter)}</span>
                <select data-testid="queue-department-filter"
                    on:change=move |ev| desk.queue_department.set(event_target_value(&ev))>
                    <option value="" selected=move || desk.queue_department.with(String::is_empty)>
                        {w(lang, Word::AllDepartments)}
                    </option>
                    <option value=MINE selected=move || desk.queue_department.with(|d| d == MINE)>
                        {w(lang, Word::MyDepartments)}
                    </option>
                    <For each=move || desk.departments.get() key=|d| (d.id.clone(), d.name.clone()) let:department>
                        {
                            let id = department.id.clone();
                            view! {
                                <option value=department.id.clone()
                                    selected=move || desk.queue_department.with(|d| *d == id)>
                                    {department.name.clone()}
                                </option>
                            }
                        }
                    </For>
                </select>
            </label>
        </Show>
    }
    .into_any();
    let queue = view! {
        <section class="queue">
            <h2>{t(lang, Key::Queue)}
                <span class="count" data-testid="queue-count" hidden=move || shown_queue.with(Vec::is_empty)>{move || shown_queue.with(Vec::len)}</span>
            </h2>
            {filter}
            <Show when=move || shown_queue.with(Vec::is_empty)>
                <p class="empty">{t(lang, Key::QueueEmpty)}</p>
            </Show>
            <ul>
                <For each=move || shown_queue.get() key=|q| (q.conversation_id, q.offered_to, q.offered_until_ms, q.department.clone()) let:item>
                    {
                        let mine = item.offered_to == Some(desk.me);
                        let offered_elsewhere = item.offered_to.filter(|a| *a != desk.me).map(|a| {
                            desk.agents.with_untracked(|all| {
                                all.iter().find(|x| x.id == a).map(|x| x.name.clone()).unwrap_or_default()
                            })
                        });
                        // A chat's department is one the company had when it started.
                        let department = (!item.department.is_empty()).then(|| {
                            desk.department_name(&item.department).unwrap_or_else(|| item.department.clone())
                        });
                        let offered = match (mine, &offered_elsewhere) {
                            (true, _) => "me",
                            (false, Some(_)) => "other",
                            (false, None) => "",
                        };
                        view! {
                            <li class="queue-item" class:offered=mine data-testid="queue-item"
                                data-conversation-id=item.conversation_id.to_string()
                                data-department=item.department.clone()
                                data-offered=offered>
                                <div class="row-head">
                                    <strong>{shown_name(lang, &item.visitor_name)}</strong>
                                    <span class="since">{move || tf(lang, Key::Waiting, &[&duration_text(lang, desk.clock.0.get() - item.since_ms)])}</span>
                                </div>
                                {department.map(|name| view! { <span class="tag department-tag" data-testid="queue-department">{name}</span> })}
                                {mine.then(|| view! {
                                    <span class="tag offer-tag" data-testid="offered-to-me">
                                        {w(lang, Word::OfferedToYou)}
                                    </span>
                                })}
                                {offered_elsewhere.map(|name| view! {
                                    <span class="offered-elsewhere">{wf(lang, Word::OfferedTo, &[&name])}</span>
                                })}
                                <p class="preview">{item.first_message.clone()}</p>
                                <div class="queue-actions">
                                    <button type="button" data-testid="accept-button"
                                        on:click=move |_| accept_chat(item.conversation_id)>
                                        {t(lang, Key::Accept)}
                                    </button>
                                    {mine.then(|| view! {
                                        <button type="button" class="secondary" data-testid="decline-button"
                                            on:click=move |_| decline_chat(item.conversation_id)>
                                            {t(lang, Key::Decline)}
                                        </button>
                                    })}
                                </div>
                            </li>
                        }
                    }
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
