//! The visitor chat access component: the chat UI inside the widget frame.
//!
//! The loader (`/widget.js`) opens this page in an isolated iframe and passes the
//! host page's URL, title and referrer in the query string. The visitor's identity is
//! a random 256-bit token kept in this frame's local storage: it never leaves the
//! browser except inside the `hello` frame, and the server keeps only its hash.
//!
//! Local storage also keeps, per visitor, whether the chat was open, where the
//! visitor had scrolled to, and which one-to-one chat a group conversation grew
//! out of, so that the next page of the site shows the chat exactly as it was.

use crate::api::ApiError;
use crate::browser::{self, HostMessage};
use crate::chat_store::{ChatStore, ConvView, Pending};
use crate::chat_view::{ChatWindow, ScrollMemory};
use crate::client::{socket_slot, Socket};
use crate::components::{
    icon, ErrorToast, InvitationCard, ICON_CHAT, ICON_CLOSE, ICON_MUTED, ICON_SOUND,
};
use crate::i18n::{is_default_name, shown_name, t, tf, Key, Lang};
use crate::ids::{ConversationId, InvitationId, Participant};
use crate::protocol::{
    Body, ClientMsg, ConversationKind, ConversationState, InvitationInfo, InvitationState, Me,
    PageView, ServerMsg,
};
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::HashMap;

const TOKEN_KEY: &str = "livechat.visitor_token";
const MUTED_KEY: &str = "livechat.muted";
const OPEN_KEY: &str = "livechat.open";
const SCROLL_KEY: &str = "livechat.scroll";
const EARLIER_KEY: &str = "livechat.earlier";

/// Tells the loader, as soon as this page's HTML has arrived, that the frame may
/// be shown. A site that may not embed the widget never gets this page (the
/// browser refuses to frame it), so its frame stays hidden: nothing shows.
const READY_SCRIPT: &str = r#"(function(){try{var u=new URLSearchParams(location.search).get("page_url");var o=new URL(u).origin;if(/^https?:/.test(o)&&window.parent!==window)window.parent.postMessage({type:"livechat:ready"},o);}catch(e){}})();"#;

/// The visitor token, made on first use.
fn visitor_token() -> String {
    if let Some(token) = browser::storage_get(TOKEN_KEY).filter(|t| t.len() == 64) {
        return token;
    }
    let token: String = browser::random_bytes::<32>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    browser::storage_set(TOKEN_KEY, &token);
    token
}

/// The host page as the loader described it.
fn host_page() -> PageView {
    PageView {
        url: browser::query_param("page_url").unwrap_or_default(),
        title: browser::query_param("page_title").unwrap_or_default(),
        referrer: browser::query_param("page_ref").unwrap_or_default(),
        load_id: browser::new_message_id(),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum OfflineForm {
    Editing,
    Sent,
}

/// Which group conversation grew out of which one-to-one chat, kept across pages.
#[derive(Clone, Copy)]
struct Earlier(RwSignal<HashMap<ConversationId, ConversationId>>);

impl Earlier {
    fn load() -> Self {
        let map = browser::storage_get(EARLIER_KEY)
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        Earlier(RwSignal::new(map))
    }

    fn of(&self, group: ConversationId) -> Option<ConversationId> {
        self.0.with(|m| m.get(&group).copied())
    }

    fn update(&self, change: impl FnOnce(&mut HashMap<ConversationId, ConversationId>)) {
        self.0.update(change);
        if let Ok(text) = self.0.with_untracked(serde_json::to_string) {
            browser::storage_set(EARLIER_KEY, &text);
        }
    }
}

#[component]
pub fn Widget() -> impl IntoView {
    let lang = use_context::<Lang>().unwrap_or_default();
    let store = ChatStore::new();
    let open = RwSignal::new(false);
    let unread = RwSignal::new(0u32);
    let muted = RwSignal::new(false);
    let connected = RwSignal::new(false);
    let agents_available = RwSignal::new(true);
    let error = RwSignal::new(None::<ApiError>);
    let offline = RwSignal::new(OfflineForm::Editing);
    let invitations = RwSignal::new(Vec::<InvitationInfo>::new());
    let my_name = RwSignal::new(String::new());
    let editing_name = RwSignal::new(false);
    // On a phone the loader makes the open frame fill the screen.
    let full_screen = RwSignal::new(false);
    let socket = socket_slot();
    let scroll = ScrollMemory::stored(SCROLL_KEY);
    let earlier = Earlier(RwSignal::new(HashMap::new()));

    // A conversation has ended for the visitor when it closed or the visitor left it
    // (or moved on from a 1:1 chat into a multi-party one).
    let ended = move |c: &ConvView| c.is_closed() || !c.has_member(store.me.get());
    // The window shows the newest conversation the visitor is still in, else the
    // newest that ended (with a button to start a new chat).
    let current_view = move || {
        store.conversations.with(|all| {
            let mut shown = all.iter().filter(|c| !c.earlier).rev();
            shown.clone().find(|c| !ended(c)).or(shown.next()).map(|c| {
                let queued = c.summary.state == ConversationState::Queued && !ended(c);
                let agents: Vec<String> = c
                    .summary
                    .participants
                    .iter()
                    .filter(|p| p.participant.is_agent())
                    .map(|p| shown_name(lang, &p.name))
                    .collect();
                Current {
                    id: c.summary.id,
                    kind: c.summary.kind,
                    ended: ended(c),
                    closed: c.is_closed(),
                    queue: queued.then_some(c.queue_position),
                    agents,
                }
            })
        })
    };
    let current_info = Memo::new(move |_| current_view());
    let current = Memo::new(move |_| current_info.with(|c| c.as_ref().map(|c| c.id)));
    let current_kind = Memo::new(move |_| {
        current_info.with(|c| c.as_ref().map_or(ConversationKind::Direct, |c| c.kind))
    });
    let current_ended =
        Memo::new(move |_| current_info.with(|c| c.as_ref().is_some_and(|c| c.ended)));
    // `Some(place)` while the chat waits in the queue (the place once known).
    let queue = Memo::new(move |_| current_info.with(|c| c.as_ref().and_then(|c| c.queue)));

    let send_frame =
        move |msg: ClientMsg| socket.with_value(|s| s.as_ref().is_some_and(|s| s.send(&msg)));
    let set_open = move |now_open: bool| {
        open.set(now_open);
        browser::storage_set(OPEN_KEY, if now_open { "1" } else { "0" });
        if now_open {
            unread.set(0);
        }
    };

    let on_msg = move |msg: ServerMsg| {
        let applied = store.apply(&msg);
        for (conversation_id, after_seq) in applied.sync {
            send_frame(ClientMsg::Sync {
                conversation_id,
                after_seq,
            });
        }
        if !applied.incoming.is_empty() {
            let seen = open.get_untracked() && !browser::page_hidden();
            if !seen {
                unread.update(|n| *n += applied.incoming.len() as u32);
            }
            if !seen && !muted.get_untracked() {
                browser::chime();
            }
        }
        match msg {
            ServerMsg::Welcome {
                me,
                agents_available: available,
                conversations,
            } => {
                if let Me::Visitor { id, name } = me {
                    store.me.set(Some(Participant::Visitor(id)));
                    my_name.set(name);
                }
                agents_available.set(available);
                // The one-to-one chats that groups grew out of: their history shows
                // again in the group's window.
                let groups: Vec<ConversationId> = conversations
                    .iter()
                    .filter(|c| c.kind == ConversationKind::Group)
                    .map(|c| c.id)
                    .collect();
                earlier.update(|m| m.retain(|group, _| groups.contains(group)));
                for group in groups {
                    if let Some(direct) = earlier.of(group) {
                        if store.keep_earlier(direct) {
                            send_frame(ClientMsg::Sync {
                                conversation_id: direct,
                                after_seq: 0,
                            });
                        }
                    }
                }
                // Anything sent but not acknowledged goes again, under its own id.
                for pending in store.pending.get_untracked() {
                    send_frame(pending.frame());
                }
            }
            ServerMsg::AgentsAvailable { available } => agents_available.set(available),
            ServerMsg::Invitation { invitation } => {
                invitations.update(|list| list.retain(|i| i.id != invitation.id));
                if invitation.state == InvitationState::Pending {
                    invitations.update(|list| list.push(invitation));
                    // The proactive invitation: the widget opens by itself.
                    set_open(true);
                    if !muted.get_untracked() {
                        browser::chime();
                    }
                }
            }
            ServerMsg::Ack {
                client_msg_id,
                conversation_id,
                ..
            } => {
                // A started chat now has its conversation: later resends go there.
                store.pending.update(|p| {
                    for m in p.iter_mut().filter(|m| m.id == client_msg_id) {
                        m.conversation_id = Some(conversation_id);
                    }
                });
            }
            ServerMsg::OfflineMessageStored => {
                offline.set(OfflineForm::Sent);
                // What waited in the queue is now the message: the chat is withdrawn.
                if let (Some(id), Some(_)) = (current.get_untracked(), queue.get_untracked()) {
                    send_frame(ClientMsg::Leave {
                        conversation_id: id,
                    });
                }
            }
            ServerMsg::NameChanged { name } => {
                my_name.set(name);
                editing_name.set(false);
            }
            ServerMsg::Error {
                code,
                client_msg_id,
                ..
            } => {
                if !code.is_retryable() {
                    if let Some(id) = client_msg_id {
                        store.pending.update(|p| p.retain(|m| m.id != id));
                    }
                }
                error.set(Some(code.into()));
            }
            _ => {}
        }
    };

    Effect::new(move |_| {
        muted.set(browser::storage_get(MUTED_KEY).as_deref() == Some("1"));
        open.set(browser::storage_get(OPEN_KEY).as_deref() == Some("1"));
        earlier.0.set(Earlier::load().0.get_untracked());
        let token = visitor_token();
        // The page the visitor is on: from the loader at start, then from its
        // page-view messages; a reconnect says hello from the latest.
        let page = RwSignal::new(host_page());
        browser::on_host_message(move |message| match message {
            HostMessage::PageView {
                url,
                title,
                referrer,
            } => {
                let view = PageView {
                    url,
                    title,
                    referrer,
                    load_id: browser::new_message_id(),
                };
                page.set(view.clone());
                send_frame(ClientMsg::PageView { page: view });
            }
            HostMessage::Layout { full_screen: full } => full_screen.set(full),
        });
        let handle = Socket::open(
            "/ws/visitor",
            move || ClientMsg::Hello {
                token: Some(token.clone()),
                page: Some(page.get_untracked()),
            },
            on_msg,
            move |up| connected.set(up),
        );
        socket.set_value(Some(handle));
    });

    // The loader sizes the frame: small for the launcher, large for the window.
    Effect::new(move |_| {
        let is_open = open.get();
        browser::post_to_host(&serde_json::json!({ "type": "livechat:resize", "open": is_open }));
    });

    let on_send = Callback::new(move |text: String| {
        let pending = Pending {
            id: browser::new_message_id(),
            conversation_id: if current_ended.get_untracked() {
                None
            } else {
                current.get_untracked()
            },
            text,
        };
        store.pending.update(|p| p.push(pending.clone()));
        send_frame(pending.frame());
    });
    let on_typing = Callback::new(move |typing: bool| {
        if let (Some(conversation_id), false) =
            (current.get_untracked(), current_ended.get_untracked())
        {
            send_frame(ClientMsg::Typing {
                conversation_id,
                typing,
            });
        }
    });
    let on_leave = Callback::new(move |()| {
        if let Some(conversation_id) = current.get_untracked() {
            send_frame(ClientMsg::Leave { conversation_id });
        }
    });
    let start_new = move |_| {
        let done: Vec<_> = store.conversations.with_untracked(|all| {
            all.iter()
                .filter(|c| c.earlier || ended(c))
                .map(|c| c.summary.id)
                .collect()
        });
        for id in done {
            store.remove(id);
        }
        offline.set(OfflineForm::Editing);
    };
    let answer = move |invitation_id: InvitationId, accept: bool| {
        let invitation =
            invitations.with_untracked(|list| list.iter().find(|i| i.id == invitation_id).cloned());
        invitations.update(|list| list.retain(|i| i.id != invitation_id));
        if let (true, Some(invitation)) = (accept, invitation) {
            // Agreeing from a one-to-one chat: its history stays above the group's.
            let from_direct = current_info.with_untracked(|c| {
                c.as_ref()
                    .filter(|c| c.kind == ConversationKind::Direct && !c.ended)
                    .map(|c| c.id)
            });
            if let Some(direct) = from_direct {
                earlier.update(|m| {
                    m.insert(invitation.conversation_id, direct);
                });
            }
        }
        send_frame(if accept {
            ClientMsg::AcceptInvitation { invitation_id }
        } else {
            ClientMsg::DeclineInvitation { invitation_id }
        });
    };
    let toggle = move |_| set_open(!open.get_untracked());
    let toggle_mute = move |_| {
        muted.update(|m| *m = !*m);
        browser::storage_set(MUTED_KEY, if muted.get_untracked() { "1" } else { "0" });
    };
    // What the visitor wrote while waiting, for the leave-a-message form.
    let written = move || {
        let me = store.me.get_untracked();
        let id = current.get_untracked();
        let mut texts: Vec<String> = store.conversations.with_untracked(|all| {
            all.iter()
                .filter(|c| Some(c.summary.id) == id)
                .flat_map(|c| c.messages.values())
                .filter(|m| m.author.as_ref().map(|a| a.participant) == me)
                .filter_map(|m| match &m.body {
                    Body::Text { text } => Some(text.clone()),
                    Body::Notice(_) => None,
                })
                .collect()
        });
        texts.extend(store.pending.with_untracked(|p| {
            p.iter()
                .filter(|m| m.conversation_id == id || m.conversation_id.is_none())
                .map(|m| m.text.clone())
                .collect::<Vec<_>>()
        }));
        texts.join("\n\n")
    };

    // What the panel shows. Only a change of this re-renders the panel's body, so
    // that the compose box keeps what is being typed while the rest changes.
    let mode = Memo::new(move |_| {
        let inviting = invitations.with(|list| !list.is_empty());
        let in_chat = current.get().is_some() && !current_ended.get();
        if offline.get() == OfflineForm::Sent {
            Mode::Sent
        } else if inviting && !in_chat {
            // Not chatting: the invitation pops up on the page.
            Mode::Invitation
        } else if queue.get().is_some() && !agents_available.get() {
            // Waiting, and the last agent has gone: leave a message instead.
            Mode::WaitingAlone
        } else if current.get().is_some() || agents_available.get() {
            Mode::Chat
        } else {
            Mode::Offline
        }
    });
    let first_invitation = move || invitations.with(|list| list.first().cloned());

    let body = move || {
        match mode.get() {
        Mode::Sent => view! {
            <p class="offline-sent" data-testid="offline-sent" role="status">{t(lang, Key::OfflineSent)}</p>
        }
        .into_any(),
        Mode::Invitation => (move || {
            first_invitation().map(|invitation| view! { <InvitationCard lang invitation answer/> })
        })
        .into_any(),
        Mode::WaitingAlone => {
            let name = my_name.get_untracked();
            let name = if is_default_name(&name) { String::new() } else { name };
            view! {
                <OfflineMessageForm lang send_frame intro=Key::NoAgentsLeft name text=written()/>
            }
            .into_any()
        }
        Mode::Chat => {
            // In a 1:1 chat: the invitation shows inside the chat window.
            let inside: ChildrenFn = std::sync::Arc::new(move || {
                (move || {
                    first_invitation()
                        .map(|invitation| view! { <InvitationCard lang invitation answer/> })
                })
                .into_any()
            });
            let status: ChildrenFn = std::sync::Arc::new(move || {
                view! {
                    {move || queue.get().map(|place| view! {
                        <p class="queue-status" data-testid="queue-status" role="status">
                            {match place {
                                Some(place) => tf(lang, Key::InQueue, &[&place.to_string()]),
                                None => t(lang, Key::WaitingForAgent).to_owned(),
                            }}
                        </p>
                    })}
                    <Show when=move || current_ended.get()>
                        <div class="ended-bar" data-testid="conversation-ended">
                            <p>{move || {
                                let closed = current_info.with(|c| c.as_ref().is_some_and(|c| c.closed));
                                t(lang, if closed { Key::ConvClosed } else { Key::YouLeft })
                            }}</p>
                            <button type="button" class="start-new" data-testid="start-new-chat" on:click=start_new>
                                {t(lang, Key::StartNewChat)}
                            </button>
                        </div>
                    </Show>
                }
                .into_any()
            });
            view! {
                <ChatWindow
                    store
                    lang
                    scroll
                    conversation_id=Signal::derive(move || current.get())
                    kind=Signal::derive(move || current_kind.get())
                    ended=Signal::derive(move || current_ended.get())
                    earlier=Signal::derive(move || current.get().and_then(|id| earlier.of(id)))
                    on_send
                    on_typing
                    on_leave
                    intro=t(lang, Key::StartPrompt)
                    roster=true
                    status
                    children=inside
                />
            }
            .into_any()
        }
        Mode::Offline => view! { <OfflineMessageForm lang send_frame intro=Key::OfflineTitle name=String::new() text=String::new()/> }
            .into_any(),
    }
    };

    // Who is answering: the agents in the conversation, by name.
    let answering = move || {
        current_info.with(|c| {
            c.as_ref()
                .filter(|c| !c.ended)
                .map(|c| c.agents.join(", "))
                .filter(|names| !names.is_empty())
        })
    };
    let header = move || {
        let names = answering();
        let title = match (&names, current_kind.get(), current_ended.get()) {
            (_, ConversationKind::Group, false) if current.get().is_some() => {
                t(lang, Key::GroupConversation).to_owned()
            }
            (Some(names), _, _) => names.clone(),
            (None, _, _) => t(lang, Key::ChatWithUs).to_owned(),
        };
        let subtitle = match (&names, agents_available.get()) {
            (Some(_), _) => t(lang, Key::SupportTeam),
            (None, true) => t(lang, Key::WeReplyQuickly),
            (None, false) => t(lang, Key::SupportTeam),
        };
        let initial = title.chars().next().map(String::from).unwrap_or_default();
        view! {
            <span class="avatar" aria-hidden="true">{initial}</span>
            <span class="who">
                <span class="title" data-testid="widget-title" data-answering=names.is_some().to_string()>{title}</span>
                <span class="subtitle">{subtitle}</span>
            </span>
        }
    };

    // Each part is type-erased: one nested view type for the whole widget is too
    // deep for the compiler.
    let panel = move || {
        view! {
        <div class="widget-panel" role="dialog" aria-label=t(lang, Key::ChatWithUs)>
            <header class="widget-header">
                {header}
                <button
                    type="button"
                    class="icon"
                    data-testid="mute-toggle"
                    aria-pressed=move || muted.get().to_string()
                    title=move || t(lang, if muted.get() { Key::Unmute } else { Key::Mute })
                    aria-label=move || t(lang, if muted.get() { Key::Unmute } else { Key::Mute })
                    on:click=toggle_mute
                >
                    {move || if muted.get() { icon(ICON_MUTED) } else { icon(ICON_SOUND) }}
                </button>
                <button type="button" class="icon" data-testid="widget-close"
                    title=t(lang, Key::CloseChat) aria-label=t(lang, Key::CloseChat)
                    on:click=move |_| set_open(false)>
                    {icon(ICON_CLOSE)}
                </button>
            </header>
            <NameEditor lang my_name editing_name send_frame/>
            <Show when=move || !connected.get()>
                <p class="banner" data-testid="reconnecting" role="status">{t(lang, Key::Reconnecting)}</p>
            </Show>
            <ErrorToast lang error/>
            {body}
        </div>
        }
        .into_any()
    };
    let launcher = view! {
        <button
            type="button"
            class="launcher"
            data-testid="chat-launcher"
            aria-expanded=move || open.get().to_string()
            title=move || t(lang, if open.get() { Key::CloseChat } else { Key::ChatWithUs })
            aria-label=move || t(lang, if open.get() { Key::CloseChat } else { Key::ChatWithUs })
            on:click=toggle
        >
            {move || if open.get() { icon(ICON_CLOSE) } else { icon(ICON_CHAT) }}
            <Show when=move || { unread.get() > 0 }>
                <span class="badge" data-testid="unread-badge">{move || unread.get()}</span>
            </Show>
        </button>
    }
    .into_any();

    view! {
        <script nonce=leptos::nonce::use_nonce() inner_html=READY_SCRIPT></script>
        <Title text=t(lang, Key::ChatWithUs)/>
        <div class="widget-root" class:open=move || open.get() class:full-screen=move || full_screen.get()>
            <Show when=move || open.get()>{panel()}</Show>
            {launcher}
        </div>
    }
}

/// What the widget's panel is showing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// The leave-a-message form was sent.
    Sent,
    /// An invitation pops up (the visitor is not chatting).
    Invitation,
    /// The chat waits in the queue and no agent is left: the form, with what the
    /// visitor wrote.
    WaitingAlone,
    /// The chat window (with an invitation inside it, if one came).
    Chat,
    /// Nobody online and no chat: the form.
    Offline,
}

/// What the widget shows of the conversation it is about.
#[derive(Clone, Debug, PartialEq)]
struct Current {
    id: ConversationId,
    kind: ConversationKind,
    ended: bool,
    closed: bool,
    /// `Some` while it waits in the queue: the place, once the server said it.
    queue: Option<Option<u32>>,
    /// Names of the agents taking part.
    agents: Vec<String>,
}

#[component]
fn OfflineMessageForm(
    lang: Lang,
    send_frame: impl Fn(ClientMsg) -> bool + Copy + Send + Sync + 'static,
    /// The sentence above the form.
    intro: Key,
    /// What the fields start with (what the visitor already wrote).
    name: String,
    text: String,
) -> impl IntoView {
    let name = RwSignal::new(name);
    let email = RwSignal::new(String::new());
    let text = RwSignal::new(text);
    view! {
        <form
            class="offline-form"
            data-testid="offline-form"
            on:submit=move |ev| {
                ev.prevent_default();
                send_frame(ClientMsg::LeaveMessage {
                    name: name.get_untracked(),
                    email: email.get_untracked(),
                    text: text.get_untracked(),
                });
            }
        >
            <p>{t(lang, intro)}</p>
            <label>
                {t(lang, Key::YourName)}
                <input data-testid="offline-name" required maxlength="80" autocomplete="name"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))/>
            </label>
            <label>
                {t(lang, Key::YourEmail)}
                <input data-testid="offline-email" type="email" required maxlength="254" autocomplete="email"
                    prop:value=move || email.get()
                    on:input=move |ev| email.set(event_target_value(&ev))/>
            </label>
            <label>
                {t(lang, Key::YourMessage)}
                <textarea data-testid="offline-message" required maxlength="4000" rows="4"
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            </label>
            <button type="submit" data-testid="offline-submit">{t(lang, Key::SendMessage)}</button>
        </form>
    }
}

/// The name other participants see: shown under the header, editable.
#[component]
fn NameEditor(
    lang: Lang,
    my_name: RwSignal<String>,
    editing_name: RwSignal<bool>,
    send_frame: impl Fn(ClientMsg) -> bool + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let draft: NodeRef<leptos::html::Input> = NodeRef::new();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(input) = draft.get_untracked() {
            send_frame(ClientMsg::SetName {
                name: input.value().trim().to_owned(),
            });
        }
    };
    view! {
        <Show
            when=move || editing_name.get()
            fallback=move || view! {
                <p class="my-name-line" hidden=move || my_name.with(String::is_empty)>
                    {t(lang, Key::YourNameIs)}": "
                    <button type="button" class="my-name" data-testid="my-name" title=t(lang, Key::ChangeName)
                        on:click=move |_| editing_name.set(true)>
                        {move || shown_name(lang, &my_name.get())}
                    </button>
                </p>
            }
        >
            <form class="name-form" data-testid="name-form" on:submit=save>
                <input data-testid="name-input" maxlength="80" required aria-label=t(lang, Key::YourName)
                    node_ref=draft prop:value=move || shown_name(lang, &my_name.get_untracked())/>
                <button type="submit" data-testid="name-save">{t(lang, Key::Save)}</button>
            </form>
        </Show>
    }
}
