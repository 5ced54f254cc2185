//! The agent access component: the console at `/console`.
//!
//! Logged out, it shows the login form (server functions in [`crate::api`]).
//! Logged in, it opens the agent WebSocket and lays the work out as agents of
//! other live-chat products know it: on the left the invitations, the queue and
//! the agent's conversations ([`inbox`]); in the middle the open conversation; on
//! the right the details of who the agent is talking to ([`details`]) and everyone
//! on the site now, to pick for a multi-party conversation ([`people`]). The
//! messages left while nobody was online ([`offline`]) and, for admins, the team
//! have views of their own. [`alerts`] tells the agent what happened while they
//! looked elsewhere: sound, desktop notifications, the count in the tab title.

mod alerts;
mod details;
mod inbox;
mod offline;
mod people;

use crate::admin::TeamPanel;
use crate::api::{current_agent, login, logout, offline_messages, AgentView, ApiError};
use crate::browser;
use crate::chat_session::ChatSession;
use crate::chat_view::{ChatWindow, ScrollMemory};
use crate::components::ErrorToast;
use crate::conversations::{Applied, ConvView};
use crate::i18n::{shown_name, t, tf, Key, Lang};
use crate::ids::{AgentId, ConversationId, Participant, VisitorId};
use crate::protocol::{
    AgentInfo, AgentRole, AgentStatus, ClientMsg, ConversationKind, InvitationInfo,
    InvitationState, Me, OfflineMessage, QueueItem, ServerMsg, VisitorInfo,
};
use crate::time::Clock;
use alerts::Alerts;
use leptos::prelude::*;
use leptos_meta::Title;

/// Which conversation was open, kept across reloads of this tab.
const ACTIVE_KEY: &str = "livechat.console.active";

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
                    None => view! {
                        <Title text=t(lang, Key::ConsoleTitle)/>
                        <LoginForm lang changed/>
                    }
                    .into_any(),
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

/// "3m 12s"-style duration, in the reader's language.
fn duration_text(lang: Lang, ms: i64) -> String {
    let secs = (ms / 1000).max(0);
    match secs {
        s if s < 60 => tf(lang, Key::DurationSecs, &[&s.to_string()]),
        s if s < 3600 => tf(
            lang,
            Key::DurationMins,
            &[&(s / 60).to_string(), &(s % 60).to_string()],
        ),
        s => tf(
            lang,
            Key::DurationHours,
            &[&(s / 3600).to_string(), &((s % 3600) / 60).to_string()],
        ),
    }
}

fn status_key(status: AgentStatus) -> Key {
    match status {
        AgentStatus::Online => Key::StatusOnline,
        AgentStatus::Away => Key::StatusAway,
        AgentStatus::Offline => Key::StatusOffline,
    }
}

/// What the console shows besides conversations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum View {
    Chats,
    Offline,
    Team,
}

/// Everything the console's panels read and change, in one copyable handle.
#[derive(Clone, Copy)]
struct Desk {
    lang: Lang,
    me: AgentId,
    session: ChatSession,
    visitors: RwSignal<Vec<VisitorInfo>>,
    agents: RwSignal<Vec<AgentInfo>>,
    queue: RwSignal<Vec<QueueItem>>,
    offline: RwSignal<Vec<OfflineMessage>>,
    invitations: RwSignal<Vec<InvitationInfo>>,
    status: RwSignal<AgentStatus>,
    /// The open conversation.
    active: RwSignal<Option<ConversationId>>,
    /// Opened as soon as the server confirms it (a chat just accepted).
    focus_next: RwSignal<Option<ConversationId>>,
    /// The agent's own action opened a conversation: its compose box takes focus.
    focus_composer: RwSignal<bool>,
    /// A visitor clicked in the list, for the details panel.
    selected_visitor: RwSignal<Option<VisitorId>>,
    /// Who is picked for a multi-party conversation request.
    picked_visitors: RwSignal<Vec<VisitorId>>,
    picked_agents: RwSignal<Vec<AgentId>>,
    error: RwSignal<Option<ApiError>>,
    connected: RwSignal<bool>,
    view: RwSignal<View>,
    clock: Clock,
    alerts: Alerts,
}

impl Desk {
    fn send(&self, msg: ClientMsg) -> bool {
        self.session.send(msg)
    }

    fn open(&self, id: Option<ConversationId>) {
        self.active.set(id);
        if let Some(id) = id {
            self.session.store.mark_read(id);
            browser::session_set(ACTIVE_KEY, &id.to_string());
            self.view.set(View::Chats);
        }
    }

    /// The name to show for a participant: a visitor on the site by the name they
    /// have now.
    fn name_of(&self, participant: Participant, stored: &str) -> String {
        let live = match participant {
            Participant::Visitor(id) => self
                .visitors
                .with(|list| list.iter().find(|v| v.id == id).map(|v| v.name.clone())),
            Participant::Agent(_) => None,
        };
        shown_name(self.lang, live.as_deref().unwrap_or(stored))
    }

    /// Whether this agent is no longer in the conversation (left, or it closed).
    fn has_ended(&self, c: &ConvView) -> bool {
        c.is_closed() || !c.has_member(Some(Participant::Agent(self.me)))
    }

    /// What a conversation is called here: the others in it, else whom it waits
    /// for, else who was in it.
    fn label(&self, c: &ConvView) -> String {
        let me = Participant::Agent(self.me);
        let mut others: Vec<String> = c
            .summary
            .participants
            .iter()
            .filter(|p| p.participant != me)
            .map(|p| self.name_of(p.participant, &p.name))
            .chain(
                c.summary
                    .invitations
                    .iter()
                    .map(|i| self.name_of(i.invitee, &i.invitee_name)),
            )
            .collect();
        if others.is_empty() {
            others = c
                .known
                .iter()
                .filter(|p| p.participant != me)
                .map(|p| self.name_of(p.participant, &p.name))
                .collect();
        }
        match (others.is_empty(), c.summary.kind) {
            (false, _) => others.join(", "),
            (true, ConversationKind::Group) => t(self.lang, Key::GroupConversation).to_owned(),
            (true, ConversationKind::Direct) => t(self.lang, Key::Chat).to_owned(),
        }
    }

    fn nothing_picked(&self) -> bool {
        self.picked_visitors.with(Vec::is_empty) && self.picked_agents.with(Vec::is_empty)
    }
}

#[component]
fn Desk(
    lang: Lang,
    agent: AgentView,
    changed: RwSignal<Option<Option<AgentView>>>,
) -> impl IntoView {
    let session = ChatSession::new(Some(Participant::Agent(agent.id)));
    let store = session.store;
    let desk = Desk {
        lang,
        me: agent.id,
        session,
        visitors: RwSignal::new(Vec::new()),
        agents: RwSignal::new(Vec::new()),
        queue: RwSignal::new(Vec::new()),
        offline: RwSignal::new(Vec::new()),
        invitations: RwSignal::new(Vec::new()),
        status: RwSignal::new(AgentStatus::Online),
        active: RwSignal::new(None),
        focus_next: RwSignal::new(None),
        focus_composer: RwSignal::new(false),
        selected_visitor: RwSignal::new(None),
        picked_visitors: RwSignal::new(Vec::new()),
        picked_agents: RwSignal::new(Vec::new()),
        error: RwSignal::new(None),
        connected: RwSignal::new(false),
        view: RwSignal::new(View::Chats),
        clock: Clock::start(),
        alerts: Alerts::new(),
    };
    provide_context(desk.clock);
    let my_id = agent.id;
    let scroll = ScrollMemory::in_page();

    let on_msg = move |msg: ServerMsg, applied: Applied| {
        for (conversation_id, message) in &applied.incoming {
            let seen = desk.active.get_untracked() == Some(*conversation_id)
                && desk.view.get_untracked() == View::Chats
                && !browser::page_hidden();
            if !seen {
                store.add_unread(*conversation_id);
                desk.alerts.new_message(lang, *conversation_id, message);
            }
        }
        match msg {
            ServerMsg::Welcome {
                me, conversations, ..
            } => {
                if let Me::Agent { status: s, .. } = me {
                    desk.status.set(s);
                }
                // After a reload: the conversation that was open, else the first.
                if desk.active.get_untracked().is_none() {
                    let remembered = browser::session_get(ACTIVE_KEY)
                        .and_then(|id| id.parse::<ConversationId>().ok())
                        .filter(|id| conversations.iter().any(|c| c.id == *id));
                    desk.open(remembered.or(conversations.first().map(|c| c.id)));
                }
            }
            ServerMsg::Visitors { visitors: all } => desk.visitors.set(all),
            ServerMsg::VisitorUpdated { visitor } => desk
                .visitors
                .update(|list| upsert_by(list, visitor.clone(), |v| v.id == visitor.id)),
            ServerMsg::VisitorLeft { visitor_id } => {
                desk.visitors
                    .update(|list| list.retain(|v| v.id != visitor_id));
                desk.picked_visitors
                    .update(|p| p.retain(|v| *v != visitor_id));
            }
            ServerMsg::Agents { agents: all } => desk.agents.set(all),
            ServerMsg::AgentUpdated { agent } => {
                if agent.id == my_id {
                    desk.status.set(agent.status);
                }
                if agent.status != AgentStatus::Online {
                    desk.picked_agents.update(|p| p.retain(|a| *a != agent.id));
                }
                desk.agents
                    .update(|list| upsert_by(list, agent.clone(), |a| a.id == agent.id))
            }
            ServerMsg::Invitation { invitation } => {
                desk.invitations
                    .update(|list| list.retain(|i| i.id != invitation.id));
                if invitation.state == InvitationState::Pending {
                    desk.alerts.invitation(lang, &invitation);
                    desk.invitations.update(|list| list.push(invitation));
                }
            }
            ServerMsg::Queue { items } => desk.queue.set(items),
            ServerMsg::QueueAdded { item } => {
                desk.alerts.queued(lang, &item);
                desk.queue.update(|list| {
                    upsert_by(list, item.clone(), |q| {
                        q.conversation_id == item.conversation_id
                    })
                })
            }
            ServerMsg::QueueRemoved { conversation_id } => desk
                .queue
                .update(|list| list.retain(|q| q.conversation_id != conversation_id)),
            ServerMsg::OfflineMessageReceived { message } => {
                desk.offline.update(|list| list.insert(0, message))
            }
            ServerMsg::OfflineMessageUpdated { message } => desk
                .offline
                .update(|list| upsert_by(list, message.clone(), |m| m.id == message.id)),
            ServerMsg::Conversation { conversation } => {
                let id = conversation.id;
                let mine = conversation
                    .participants
                    .iter()
                    .any(|p| p.participant == Participant::Agent(my_id));
                if mine && desk.focus_next.get_untracked() == Some(id) {
                    // The agent took it (or agreed to it): open it, ready to answer.
                    desk.focus_next.set(None);
                    desk.open(Some(id));
                    desk.focus_composer.set(true);
                } else if mine && desk.active.get_untracked().is_none() {
                    desk.open(Some(id));
                }
            }
            ServerMsg::Error { code, .. } => desk.error.set(Some(code.into())),
            _ => {}
        }
    };

    Effect::new(move |_| {
        session.connect(
            "/ws/agent",
            || ClientMsg::Hello {
                token: None,
                page: None,
            },
            on_msg,
            move |up| desk.connected.set(up),
        );
        desk.alerts.start();
        // What happened while the tab was hidden counts as unread until looked at.
        browser::on_visibility_change(move || {
            if !browser::page_hidden() && desk.view.get_untracked() == View::Chats {
                if let Some(id) = desk.active.get_untracked() {
                    store.mark_read(id);
                }
            }
        });
        leptos::task::spawn_local(async move {
            if let Ok(list) = offline_messages().await {
                desk.offline.set(list);
            }
        });
    });

    let on_send = Callback::new(move |text: String| {
        let Some(conversation_id) = desk.active.get_untracked() else {
            return;
        };
        session.send_text(Some(conversation_id), text);
    });
    let on_typing = Callback::new(move |typing: bool| {
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
    let set_status = move |ev: leptos::ev::Event| {
        if let Some(s) = AgentStatus::parse(&event_target_value(&ev)) {
            desk.status.set(s);
            desk.send(ClientMsg::SetStatus { status: s });
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

    let active_view = Memo::new(move |_| {
        desk.active.get().and_then(|id| {
            store.with(|state| state.get(id).map(|c| (c.summary.kind, desk.has_ended(c))))
        })
    });
    let unhandled = move || {
        desk.offline
            .with(|list| list.iter().filter(|m| m.handled.is_none()).count())
    };
    let is_admin = agent.role == AgentRole::Admin;
    let nav_button = move |which: View, testid: &'static str, label: Key| {
        view! {
            <button type="button" class="nav-item" data-testid=testid
                class:active=move || desk.view.get() == which
                aria-pressed=move || (desk.view.get() == which).to_string()
                on:click=move |_| desk.view.set(which)>
                {t(lang, label)}
                {(which == View::Offline).then(|| view! {
                    <span class="badge" data-testid="offline-unhandled" hidden=move || unhandled() == 0>{unhandled}</span>
                })}
            </button>
        }
    };

    // Each part is type-erased: one nested view type for the whole desk is too deep
    // for the compiler.
    let header = view! {
        <header class="console-header">
            <h1>{t(lang, Key::ConsoleTitle)}</h1>
            <nav class="views" aria-label=t(lang, Key::ConsoleTitle)>
                {nav_button(View::Chats, "view-chats", Key::Chats)}
                {nav_button(View::Offline, "view-offline", Key::OfflineMessages)}
                {is_admin.then(|| nav_button(View::Team, "admin-toggle", Key::Team))}
            </nav>
            <span class="connection" data-testid="connection-status" data-connected=move || desk.connected.get().to_string()
                class:up=move || desk.connected.get()>
                {move || t(lang, if desk.connected.get() { Key::Connected } else { Key::Reconnecting })}
            </span>
            <alerts::AlertControls lang alerts=desk.alerts/>
            <span class="me">{agent.name.clone()}</span>
            <select data-testid="status-select" aria-label=t(lang, Key::StatusOnline)
                prop:value=move || desk.status.get().as_str() on:change=set_status>
                {[AgentStatus::Online, AgentStatus::Away, AgentStatus::Offline]
                    .into_iter()
                    .map(|s| view! { <option value=s.as_str()>{t(lang, status_key(s))}</option> })
                    .collect_view()}
            </select>
            <button type="button" class="logout" data-testid="logout-button" on:click=do_logout>{t(lang, Key::LogOut)}</button>
        </header>
    }
    .into_any();

    let conversation = view! {
        <section class="conversation-pane">
            {move || match (desk.active.get(), active_view.get()) {
                (Some(id), Some((kind, ended))) => view! {
                    <div class="conversation-head">
                        <h2 class="conversation-title">{move || store.with(|state| {
                            state.get(id).map(|c| desk.label(c)).unwrap_or_default()
                        })}</h2>
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
                        focus=desk.focus_composer on_send on_typing on_leave/>
                }
                .into_any(),
                _ => view! { <p class="empty pane-empty">{t(lang, Key::NoConversation)}</p> }.into_any(),
            }}
        </section>
    }
    .into_any();

    let chats = view! {
        <div class="desk" hidden=move || desk.view.get() != View::Chats>
            <inbox::Inbox desk/>
            {conversation}
            {view! {
                <aside class="side">
                    <details::Details desk/>
                    <people::People desk/>
                </aside>
            }
            .into_any()}
        </div>
    }
    .into_any();

    let views = view! {
        <Show when=move || desk.view.get() == View::Offline>
            <offline::OfflineMessages desk/>
        </Show>
        <Show when=move || is_admin && desk.view.get() == View::Team>
            <TeamPanel lang me=my_id/>
        </Show>
    }
    .into_any();

    view! {
        <Title text=move || desk.alerts.title(lang, &desk)/>
        {header}
        <ErrorToast lang error=desk.error/>
        {chats}
        {views}
    }
    .into_any()
}
