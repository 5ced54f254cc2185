//! The agent access component: the console at `/console`.
//!
//! Logged out, it shows the login form (server functions in [`crate::api`]).
//! Logged in, it opens the agent WebSocket and shows the live lists (visitors on
//! the site, other agents, the queue), the messages left while nobody was online,
//! and one tab per open conversation.

use crate::admin::TeamPanel;
use crate::api::{
    current_agent, invite_to_conversation, login, logout, offline_messages, request_conversation,
    AgentView, ApiError,
};
use crate::browser;
use crate::chat_view::{ChatStore, ChatWindow, Pending};
use crate::client::Socket;
use crate::i18n::{t, tf, Key, Lang};
use crate::ids::{AgentId, ConversationId, InvitationId, Participant, VisitorId};
use crate::protocol::{
    AgentInfo, AgentRole, AgentStatus, ClientMsg, ConversationKind, InvitationInfo,
    InvitationState, Me, OfflineMessage, QueueItem, ServerMsg, VisitorInfo,
};
use crate::widget::{ErrorToast, InvitationCard};
use leptos::prelude::*;

#[component]
pub fn Console() -> impl IntoView {
    let lang = use_context::<Lang>().unwrap_or_default();
    let me = Resource::new(|| (), |_| current_agent());
    // Set by logging in or out; until then the server's answer counts.
    let changed = RwSignal::new(None::<Option<AgentView>>);
    let session = move || match changed.get() {
        Some(session) => session,
        None => me.get().and_then(|r| r.ok()).flatten(),
    };
    view! {
        <main class="console">
            <Suspense fallback=move || view! { <p class="loading">"…"</p> }>
                {move || match session() {
                    Some(agent) => view! { <Desk lang agent changed/> }.into_any(),
                    None => view! { <LoginForm lang changed/> }.into_any(),
                }}
            </Suspense>
        </main>
    }
}

#[component]
fn LoginForm(lang: Lang, changed: RwSignal<Option<Option<AgentView>>>) -> impl IntoView {
    // The fields are read when the form is sent, not bound to signals: what someone
    // types while the page is still hydrating stays in place.
    let username: NodeRef<leptos::html::Input> = NodeRef::new();
    let password: NodeRef<leptos::html::Input> = NodeRef::new();
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    // The button works once the page is hydrated; before that a click would submit
    // the form natively.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = |field: NodeRef<leptos::html::Input>| {
            field
                .get_untracked()
                .map(|input| input.value())
                .unwrap_or_default()
        };
        let (u, p) = (value(username), value(password));
        busy.set(true);
        leptos::task::spawn_local(async move {
            match login(u, p).await {
                Ok(agent) => changed.set(Some(Some(agent))),
                Err(err) => error.set(Some(err)),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="login" on:submit=submit>
            <h1>{t(lang, Key::ConsoleTitle)}</h1>
            <ErrorToast lang error/>
            <label>
                {t(lang, Key::Username)}
                <input data-testid="login-username" name="username" autocomplete="username" required
                    node_ref=username/>
            </label>
            <label>
                {t(lang, Key::Password)}
                <input data-testid="login-password" name="password" type="password"
                    autocomplete="current-password" required node_ref=password/>
            </label>
            <button type="submit" data-testid="login-submit" disabled=move || busy.get() || !hydrated.get()>
                {t(lang, Key::LogIn)}
            </button>
        </form>
    }
}

fn upsert_by<T: Clone>(list: &mut Vec<T>, item: T, same: impl Fn(&T) -> bool) {
    match list.iter_mut().find(|x| same(x)) {
        Some(slot) => *slot = item,
        None => list.push(item),
    }
}

/// "3m 12s"-style duration.
fn duration_text(ms: i64) -> String {
    let secs = (ms / 1000).max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m {}s", s / 60, s % 60),
        s => format!("{}h {}m", s / 3600, (s % 3600) / 60),
    }
}

fn status_key(status: AgentStatus) -> Key {
    match status {
        AgentStatus::Online => Key::StatusOnline,
        AgentStatus::Away => Key::StatusAway,
        AgentStatus::Offline => Key::StatusOffline,
    }
}

#[component]
fn Desk(
    lang: Lang,
    agent: AgentView,
    changed: RwSignal<Option<Option<AgentView>>>,
) -> impl IntoView {
    let store = ChatStore::new();
    store.me.set(Some(Participant::Agent(agent.id)));
    let visitors = RwSignal::new(Vec::<VisitorInfo>::new());
    let agents = RwSignal::new(Vec::<AgentInfo>::new());
    let queue = RwSignal::new(Vec::<QueueItem>::new());
    let offline = RwSignal::new(Vec::<OfflineMessage>::new());
    let status = RwSignal::new(AgentStatus::Online);
    let active = RwSignal::new(None::<ConversationId>);
    let error = RwSignal::new(None::<ApiError>);
    // Who is picked for a multi-party conversation request.
    let picked_visitors = RwSignal::new(Vec::<VisitorId>::new());
    let picked_agents = RwSignal::new(Vec::<AgentId>::new());
    let invitations = RwSignal::new(Vec::<InvitationInfo>::new());
    let connected = RwSignal::new(false);
    let now = RwSignal::new(0i64);
    let socket = StoredValue::new_local(None::<Socket>);
    let my_id = agent.id;

    let send_frame =
        move |msg: ClientMsg| socket.with_value(|s| s.as_ref().is_some_and(|s| s.send(&msg)));

    let on_msg = move |msg: ServerMsg| {
        let applied = store.apply(&msg);
        for (conversation_id, after_seq) in applied.sync {
            send_frame(ClientMsg::Sync {
                conversation_id,
                after_seq,
            });
        }
        for (conversation_id, _) in &applied.incoming {
            let seen = active.get_untracked() == Some(*conversation_id) && !browser::page_hidden();
            if !seen {
                store.add_unread(*conversation_id);
                browser::chime();
            }
        }
        match msg {
            ServerMsg::Welcome { me, .. } => {
                if let Me::Agent { status: s, .. } = me {
                    status.set(s);
                }
                for pending in store.pending.get_untracked() {
                    send_frame(pending.frame());
                }
            }
            ServerMsg::Visitors { visitors: all } => visitors.set(all),
            ServerMsg::VisitorUpdated { visitor } => {
                visitors.update(|list| upsert_by(list, visitor.clone(), |v| v.id == visitor.id))
            }
            ServerMsg::VisitorLeft { visitor_id } => {
                visitors.update(|list| list.retain(|v| v.id != visitor_id));
                picked_visitors.update(|p| p.retain(|v| *v != visitor_id));
            }
            ServerMsg::Agents { agents: all } => agents.set(all),
            ServerMsg::AgentUpdated { agent } => {
                if agent.id == my_id {
                    status.set(agent.status);
                }
                if agent.status != AgentStatus::Online {
                    picked_agents.update(|p| p.retain(|a| *a != agent.id));
                }
                agents.update(|list| upsert_by(list, agent.clone(), |a| a.id == agent.id))
            }
            ServerMsg::Invitation { invitation } => {
                invitations.update(|list| list.retain(|i| i.id != invitation.id));
                if invitation.state == InvitationState::Pending {
                    invitations.update(|list| list.push(invitation));
                    browser::chime();
                }
            }
            ServerMsg::Queue { items } => queue.set(items),
            ServerMsg::QueueAdded { item } => queue.update(|list| {
                upsert_by(list, item.clone(), |q| {
                    q.conversation_id == item.conversation_id
                })
            }),
            ServerMsg::QueueRemoved { conversation_id } => {
                queue.update(|list| list.retain(|q| q.conversation_id != conversation_id))
            }
            ServerMsg::OfflineMessageReceived { message } => {
                offline.update(|list| list.insert(0, message))
            }
            ServerMsg::Conversation { conversation } => {
                let mine = conversation
                    .participants
                    .iter()
                    .any(|p| p.participant == Participant::Agent(my_id));
                if !mine {
                    store.remove(conversation.id);
                    if active.get_untracked() == Some(conversation.id) {
                        active.set(
                            store
                                .conversations
                                .with_untracked(|all| all.last().map(|c| c.summary.id)),
                        );
                    }
                } else if active.get_untracked().is_none() {
                    active.set(Some(conversation.id));
                }
            }
            ServerMsg::Error {
                code,
                client_msg_id,
                ..
            } => {
                if let (false, Some(id)) = (code.is_retryable(), client_msg_id) {
                    store.pending.update(|p| p.retain(|m| m.id != id));
                }
                error.set(Some(code.into()));
            }
            _ => {}
        }
    };

    Effect::new(move |_| {
        let handle = Socket::open(
            "/ws/agent",
            || ClientMsg::Hello {
                token: None,
                page: None,
            },
            on_msg,
            move |up| connected.set(up),
        );
        socket.set_value(Some(handle));
        now.set(browser::now_ms());
        set_interval(
            move || now.set(browser::now_ms()),
            std::time::Duration::from_secs(1),
        );
        leptos::task::spawn_local(async move {
            if let Ok(list) = offline_messages().await {
                offline.set(list);
            }
        });
    });

    let on_send = Callback::new(move |text: String| {
        let Some(conversation_id) = active.get_untracked() else {
            return;
        };
        let pending = Pending {
            id: browser::new_message_id(),
            conversation_id: Some(conversation_id),
            text,
        };
        store.pending.update(|p| p.push(pending.clone()));
        send_frame(pending.frame());
    });
    let on_typing = Callback::new(move |typing: bool| {
        if let Some(conversation_id) = active.get_untracked() {
            send_frame(ClientMsg::Typing {
                conversation_id,
                typing,
            });
        }
    });
    let on_leave = Callback::new(move |()| {
        if let Some(conversation_id) = active.get_untracked() {
            send_frame(ClientMsg::Leave { conversation_id });
        }
    });
    let set_status = move |ev: leptos::ev::Event| {
        if let Some(s) = AgentStatus::parse(&event_target_value(&ev)) {
            status.set(s);
            send_frame(ClientMsg::SetStatus { status: s });
        }
    };
    let do_logout = move |_| {
        leptos::task::spawn_local(async move {
            let _ = logout().await;
            changed.set(Some(None));
            // A fresh page closes the socket and forgets everything of this agent.
            let _ = window().location().reload();
        });
    };

    // A tab is named after the others in it; a group with nobody else yet after the
    // people invited.
    let tab_label = move |id: ConversationId| {
        store.conversations.with(|all| {
            let Some(c) = all.iter().find(|c| c.summary.id == id) else {
                return String::new();
            };
            let others: Vec<&str> = c
                .summary
                .participants
                .iter()
                .filter(|p| p.participant != Participant::Agent(my_id))
                .map(|p| p.name.as_str())
                .chain(
                    c.summary
                        .invitations
                        .iter()
                        .map(|i| i.invitee_name.as_str()),
                )
                .collect();
            match (others.is_empty(), c.summary.kind) {
                (false, _) => others.join(", "),
                (true, ConversationKind::Group) => t(lang, Key::GroupConversation).to_owned(),
                (true, ConversationKind::Direct) => String::new(),
            }
        })
    };

    // The multi-party conversation request (server function), and more invitations
    // into the open group conversation.
    let invite = move |into: Option<ConversationId>| {
        let visitors = picked_visitors.get_untracked();
        let agents = picked_agents.get_untracked();
        leptos::task::spawn_local(async move {
            let sent = match into {
                None => request_conversation(visitors, agents).await.map(Some),
                Some(id) => invite_to_conversation(id, visitors, agents)
                    .await
                    .map(|()| None),
            };
            match sent {
                Ok(created) => {
                    picked_visitors.set(Vec::new());
                    picked_agents.set(Vec::new());
                    if let Some(id) = created {
                        active.set(Some(id));
                    }
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let nothing_picked =
        move || picked_visitors.with(Vec::is_empty) && picked_agents.with(Vec::is_empty);
    let answer = move |invitation_id: InvitationId, accept: bool| {
        let conversation = invitations.with_untracked(|list| {
            list.iter()
                .find(|i| i.id == invitation_id)
                .map(|i| i.conversation_id)
        });
        invitations.update(|list| list.retain(|i| i.id != invitation_id));
        if accept {
            active.set(conversation);
            send_frame(ClientMsg::AcceptInvitation { invitation_id });
        } else {
            send_frame(ClientMsg::DeclineInvitation { invitation_id });
        }
    };
    let active_kind = Memo::new(move |_| {
        active.get().and_then(|id| {
            store.conversations.with(|all| {
                all.iter()
                    .find(|c| c.summary.id == id)
                    .map(|c| c.summary.kind)
            })
        })
    });

    let other_agents = move || {
        agents.with(|list| {
            list.iter()
                .filter(|a| a.id != my_id)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let tab_ids = move || {
        store
            .conversations
            .with(|all| all.iter().map(|c| c.summary.id).collect::<Vec<_>>())
    };

    // Each panel is type-erased: one nested view type for the whole desk is too deep
    // for the compiler.
    let header = view! {
        <header class="console-header">
            <h1>{t(lang, Key::ConsoleTitle)}</h1>
            <span class="me">{agent.name.clone()}</span>
            <span class="connection" data-testid="connection-status" data-connected=move || connected.get().to_string() class:up=move || connected.get()>
                {move || t(lang, if connected.get() { Key::Connected } else { Key::Reconnecting })}
            </span>
            <select data-testid="status-select" prop:value=move || status.get().as_str() on:change=set_status>
                {[AgentStatus::Online, AgentStatus::Away, AgentStatus::Offline]
                    .into_iter()
                    .map(|s| view! { <option value=s.as_str()>{t(lang, status_key(s))}</option> })
                    .collect_view()}
            </select>
            <button type="button" data-testid="logout-button" on:click=do_logout>{t(lang, Key::LogOut)}</button>
        </header>
    }
    .into_any();
    let invitations_panel = view! {
        <Show when=move || !invitations.with(Vec::is_empty)>
            <section class="invitations">
                <h2>{t(lang, Key::Invitations)}</h2>
                <For each=move || invitations.get() key=|i| i.id let:invitation>
                    <InvitationCard lang invitation answer/>
                </For>
            </section>
        </Show>
        <div class="invite-bar">
            <button type="button" data-testid="invite-button" disabled=nothing_picked
                on:click=move |_| invite(None)>
                {t(lang, Key::InviteSelected)}
            </button>
        </div>
    }
    .into_any();
    let queue_panel = view! {
        <section class="queue">
                    <h2>{t(lang, Key::Queue)}</h2>
                    <Show when=move || queue.with(Vec::is_empty)>
                        <p class="empty">{t(lang, Key::QueueEmpty)}</p>
                    </Show>
                    <ul>
                        <For each=move || queue.get() key=|q| q.conversation_id let:item>
                            <li class="queue-item" data-testid="queue-item" data-conversation-id=item.conversation_id.to_string()>
                                <strong>{item.visitor_name.clone()}</strong>
                                <p class="preview">{item.first_message.clone()}</p>
                                <button type="button" data-testid="accept-button"
                                    on:click=move |_| { send_frame(ClientMsg::AcceptChat { conversation_id: item.conversation_id }); }>
                                    {t(lang, Key::Accept)}
                                </button>
                            </li>
                        </For>
                    </ul>
                </section>
    }
    .into_any();
    let visitors_panel = view! {
        <section class="visitors">
                    <h2>{t(lang, Key::VisitorsNow)}</h2>
                    <Show when=move || visitors.with(Vec::is_empty)>
                        <p class="empty">{t(lang, Key::NoVisitors)}</p>
                    </Show>
                    <ul>
                        <For each=move || visitors.get() key=|v| (v.id, v.page.load_id, v.pages_viewed, v.in_chat, v.name.clone()) let:v>
                            <li class="visitor-row" data-testid="visitor-row" data-visitor-id=v.id.to_string()
                                data-in-chat=v.in_chat.to_string()>
                                <input type="checkbox" data-testid="select-checkbox"
                                    prop:checked=move || picked_visitors.with(|p| p.contains(&v.id))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        picked_visitors.update(|p| {
                                            p.retain(|x| *x != v.id);
                                            if on { p.push(v.id) }
                                        });
                                    }/>
                                <strong class="name">{v.name.clone()}</strong>
                                {v.in_chat.then(|| view! { <span class="tag">{t(lang, Key::InChat)}</span> })}
                                <span class="page-title">{v.page.title.clone()}</span>
                                <span class="page-url">{v.page.url.clone()}</span>
                                <span class="meta">
                                    {tf(lang, Key::PagesViewed, &[&v.pages_viewed.to_string()])}
                                    " · "
                                    {move || tf(lang, Key::OnSiteFor, &[&duration_text(now.get() - v.visit_started_ms)])}
                                </span>
                                {(!v.page.referrer.is_empty()).then(|| view! {
                                    <span class="referrer">{tf(lang, Key::CameFrom, &[&v.page.referrer])}</span>
                                })}
                            </li>
                        </For>
                    </ul>
                </section>
    }
    .into_any();
    let agents_panel = view! {
        <section class="agents">
                    <h2>{t(lang, Key::Agents)}</h2>
                    <ul>
                        <For each=other_agents key=|a| (a.id, a.status) let:a>
                            <li class="agent-row" data-testid="agent-row" data-agent-id=a.id.to_string()
                                data-status=a.status.as_str()>
                                // Only agents online now may be picked.
                                {(a.status == AgentStatus::Online).then(|| view! {
                                    <input type="checkbox" data-testid="select-checkbox"
                                        prop:checked=move || picked_agents.with(|p| p.contains(&a.id))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            picked_agents.update(|p| {
                                                p.retain(|x| *x != a.id);
                                                if on { p.push(a.id) }
                                            });
                                        }/>
                                })}
                                <span class=format!("dot {}", a.status.as_str())></span>
                                <span class="name">{a.name.clone()}</span>
                                <span class="status">{t(lang, status_key(a.status))}</span>
                            </li>
                        </For>
                    </ul>
                    <Show when=move || agents.with(|list| list.iter().all(|a| a.id == my_id))>
                        <p class="empty">{t(lang, Key::NoOtherAgents)}</p>
                    </Show>
                </section>
    }
    .into_any();
    let offline_panel = view! {
        <section class="offline-messages">
                    <h2>{t(lang, Key::OfflineMessages)}</h2>
                    <Show when=move || offline.with(Vec::is_empty)>
                        <p class="empty">{t(lang, Key::NoOfflineMessages)}</p>
                    </Show>
                    <ul>
                        <For each=move || offline.get() key=|m| m.id let:m>
                            <li class="offline-message" data-testid="offline-message">
                                <strong>{m.name.clone()}</strong>
                                " <"<span class="email">{m.email.clone()}</span>"> "
                                <p>{m.body.clone()}</p>
                                <span class="page-url">{m.page_url.clone()}</span>
                            </li>
                        </For>
                    </ul>
                </section>
    }
    .into_any();
    let conversations_panel = view! {
        <section class="conversations">
                <nav class="tabs">
                    <For each=tab_ids key=|id| *id let:id>
                        <button type="button" class="tab" data-testid="conversation-tab"
                            data-conversation-id=id.to_string()
                            class:active=move || active.get() == Some(id)
                            on:click=move |_| { active.set(Some(id)); store.mark_read(id); }>
                            {move || tab_label(id)}
                            {move || {
                                let unread = store.conversations.with(|all| {
                                    all.iter().find(|c| c.summary.id == id).map_or(0, |c| c.unread)
                                });
                                (unread > 0).then(|| view! { <span class="badge" data-testid="tab-unread">{unread}</span> })
                            }}
                        </button>
                    </For>
                </nav>
                {move || match (active.get(), active_kind.get()) {
                    (Some(id), kind) => {
                        let kind = kind.unwrap_or(ConversationKind::Direct);
                        view! {
                            {(kind == ConversationKind::Group).then(|| view! {
                                <button type="button" class="invite-here" data-testid="invite-to-conversation-button"
                                    disabled=nothing_picked on:click=move |_| invite(Some(id))>
                                    {t(lang, Key::InviteToThis)}
                                </button>
                            })}
                            <ChatWindow store lang conversation_id=Signal::derive(move || Some(id)) kind on_send on_typing on_leave/>
                        }
                        .into_any()
                    }
                    (None, _) => view! { <p class="empty">{t(lang, Key::NoConversation)}</p> }.into_any(),
                }}
            </section>
    }
    .into_any();

    let team_panel = if agent.role == AgentRole::Admin {
        view! { <TeamPanel lang me=my_id/> }.into_any()
    } else {
        ().into_any()
    };

    view! {
        {header}
        <ErrorToast lang error/>
        <div class="desk">
            <aside class="lists">
                {invitations_panel}
                {queue_panel}
                {visitors_panel}
                {agents_panel}
                {offline_panel}
                {team_panel}
            </aside>
            {conversations_panel}
        </div>
    }
}
