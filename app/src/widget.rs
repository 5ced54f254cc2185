//! The visitor chat access component: the chat UI inside the widget frame.
//!
//! The loader (`/widget.js`) opens this page in an isolated iframe and passes the
//! host page's URL, title and referrer in the query string. The visitor's identity is
//! a random 256-bit token kept in this frame's local storage: it never leaves the
//! browser except inside the `hello` frame, and the server keeps only its hash.

use crate::api::ApiError;
use crate::browser;
use crate::chat_view::{ChatStore, ChatWindow, ConvView, Pending};
use crate::client::Socket;
use crate::i18n::{error_text, t, tf, Key, Lang};
use crate::ids::{InvitationId, Participant};
use crate::protocol::{
    ClientMsg, ConversationKind, InvitationInfo, InvitationState, Me, PageView, ServerMsg,
};
use leptos::prelude::*;

const TOKEN_KEY: &str = "livechat.visitor_token";

// Icons as SVG paths (24×24), so that no font or image file is needed.
const ICON_CHAT: &str = "M4 4h16v11H8l-4 4z";
const ICON_CLOSE: &str = "M6 6l12 12M18 6L6 18";
const ICON_SOUND: &str = "M4 9h4l5-4v14l-5-4H4zM16 9a4 4 0 010 6";
const ICON_MUTED: &str = "M4 9h4l5-4v14l-5-4H4zM16 9l5 6M21 9l-5 6";

fn icon(path: &'static str) -> impl IntoView {
    view! {
        <svg class="icon-svg" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
            <path d=path fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>
        </svg>
    }
}
const MUTED_KEY: &str = "livechat.muted";

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
    let socket = StoredValue::new_local(None::<Socket>);

    // A conversation has ended for the visitor when it closed or the visitor left it
    // (or moved on from a 1:1 chat into a multi-party one).
    let ended = move |c: &ConvView| {
        let me = store.me.get();
        c.is_closed()
            || !c
                .summary
                .participants
                .iter()
                .any(|p| Some(p.participant) == me)
    };
    // The window shows the newest conversation the visitor is still in, else the
    // newest that ended (with a button to start a new chat).
    let current_view = move || {
        store.conversations.with(|all| {
            all.iter()
                .rev()
                .find(|c| !ended(c))
                .or(all.last())
                .map(|c| (c.summary.id, c.summary.kind, ended(c)))
        })
    };
    let current = Memo::new(move |_| current_view().map(|(id, _, _)| id));
    let current_kind =
        Memo::new(move |_| current_view().map_or(ConversationKind::Direct, |(_, kind, _)| kind));
    let current_ended = Memo::new(move |_| current_view().is_some_and(|(_, _, ended)| ended));

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
                ..
            } => {
                if let Me::Visitor { id, name } = me {
                    store.me.set(Some(Participant::Visitor(id)));
                    my_name.set(name);
                }
                agents_available.set(available);
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
                    open.set(true);
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
            ServerMsg::OfflineMessageStored => offline.set(OfflineForm::Sent),
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
        let token = visitor_token();
        // The page the visitor is on: from the loader at start, then from its
        // page-view messages; a reconnect says hello from the latest.
        let page = RwSignal::new(host_page());
        browser::on_host_page_view(move |url, title, referrer| {
            let view = PageView {
                url,
                title,
                referrer,
                load_id: browser::new_message_id(),
            };
            page.set(view.clone());
            send_frame(ClientMsg::PageView { page: view });
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
                .filter(|c| ended(c))
                .map(|c| c.summary.id)
                .collect()
        });
        for id in done {
            store.remove(id);
        }
    };
    let answer = move |invitation_id: InvitationId, accept: bool| {
        invitations.update(|list| list.retain(|i| i.id != invitation_id));
        send_frame(if accept {
            ClientMsg::AcceptInvitation { invitation_id }
        } else {
            ClientMsg::DeclineInvitation { invitation_id }
        });
    };
    let toggle = move |_| {
        open.update(|o| *o = !*o);
        if open.get_untracked() {
            unread.set(0);
        }
    };
    let toggle_mute = move |_| {
        muted.update(|m| *m = !*m);
        browser::storage_set(MUTED_KEY, if muted.get_untracked() { "1" } else { "0" });
    };

    let body = move || {
        let invitation = invitations.with(|list| list.first().cloned());
        let in_chat = current.get().is_some() && !current_ended.get();
        match invitation {
            // Not chatting: the invitation pops up on the page.
            Some(invitation) if !in_chat => {
                view! { <InvitationCard lang invitation answer/> }.into_any()
            }
            invitation if current.get().is_some() || agents_available.get() => {
                // In a 1:1 chat: the invitation shows inside the chat window.
                let inside = invitation.map(|invitation| {
                    let invitation = StoredValue::new(invitation);
                    let children: ChildrenFn = std::sync::Arc::new(move || {
                        view! { <InvitationCard lang invitation=invitation.get_value() answer/> }
                            .into_any()
                    });
                    children
                });
                view! {
                    <ChatWindow
                        store
                        lang
                        conversation_id=Signal::derive(move || current.get())
                        kind=current_kind.get()
                        on_send
                        on_typing
                        on_leave
                        intro=t(lang, Key::StartPrompt)
                        children=inside.unwrap_or_else(|| std::sync::Arc::new(|| ().into_any()))
                    />
                    <Show when=move || current_ended.get()>
                        <button type="button" class="start-new" data-testid="start-new-chat" on:click=start_new>
                            {t(lang, Key::StartNewChat)}
                        </button>
                    </Show>
                }
                .into_any()
            }
            _ => view! { <OfflineMessageForm lang offline send_frame/> }.into_any(),
        }
    };

    view! {
        <div class="widget-root" class:open=move || open.get()>
            <Show when=move || open.get()>
                <div class="widget-panel">
                    <header class="widget-header">
                        <span class="title">{t(lang, Key::ChatWithUs)}</span>
                        <button
                            type="button"
                            class="icon"
                            data-testid="mute-toggle"
                            aria-pressed=move || muted.get().to_string()
                            title=move || t(lang, if muted.get() { Key::Unmute } else { Key::Mute })
                            on:click=toggle_mute
                        >
                            {move || if muted.get() { icon(ICON_MUTED) } else { icon(ICON_SOUND) }}
                        </button>
                    </header>
                    <NameEditor lang my_name editing_name send_frame/>
                    <Show when=move || !connected.get()>
                        <p class="banner" data-testid="reconnecting">{t(lang, Key::Reconnecting)}</p>
                    </Show>
                    <ErrorToast lang error/>
                    {body}
                </div>
            </Show>
            <button
                type="button"
                class="launcher"
                data-testid="chat-launcher"
                aria-expanded=move || open.get().to_string()
                title=move || t(lang, if open.get() { Key::CloseChat } else { Key::ChatWithUs })
                on:click=toggle
            >
                {move || if open.get() { icon(ICON_CLOSE) } else { icon(ICON_CHAT) }}
                <Show when=move || { unread.get() > 0 }>
                    <span class="badge" data-testid="unread-badge">{move || unread.get()}</span>
                </Show>
            </button>
        </div>
    }
}

#[component]
fn OfflineMessageForm(
    lang: Lang,
    offline: RwSignal<OfflineForm>,
    send_frame: impl Fn(ClientMsg) -> bool + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    view! {
        <Show
            when=move || offline.get() == OfflineForm::Editing
            fallback=move || view! { <p class="offline-sent" data-testid="offline-sent">{t(lang, Key::OfflineSent)}</p> }
        >
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
                <p>{t(lang, Key::OfflineTitle)}</p>
                <label>
                    {t(lang, Key::YourName)}
                    <input data-testid="offline-name" required maxlength="80"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))/>
                </label>
                <label>
                    {t(lang, Key::YourEmail)}
                    <input data-testid="offline-email" type="email" required maxlength="254"
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
        </Show>
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
                <button type="button" class="my-name" data-testid="my-name" title=t(lang, Key::ChangeName)
                    on:click=move |_| editing_name.set(true)>
                    {move || my_name.get()}
                </button>
            }
        >
            <form class="name-form" data-testid="name-form" on:submit=save>
                <input data-testid="name-input" maxlength="80" required aria-label=t(lang, Key::YourName)
                    node_ref=draft prop:value=move || my_name.get_untracked()/>
                <button type="submit" data-testid="name-save">{t(lang, Key::Save)}</button>
            </form>
        </Show>
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
    view! {
        <div class="invitation" role="dialog" data-testid="invitation"
            data-conversation-id=invitation.conversation_id.to_string()>
            <p>{tf(lang, Key::InvitesYou, &[&invitation.inviter_name])}</p>
            <div class="actions">
                <button type="button" class="agree" data-testid="invitation-agree" on:click=move |_| answer(id, true)>
                    {t(lang, Key::Agree)}
                </button>
                <button type="button" class="decline" data-testid="invitation-decline" on:click=move |_| answer(id, false)>
                    {t(lang, Key::Decline)}
                </button>
            </div>
        </div>
    }
}

/// The last error, translated, until dismissed.
#[component]
pub fn ErrorToast(lang: Lang, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    move || {
        error.get().map(|ApiError { code, detail }| {
            view! {
                <p class="error-toast" role="alert" data-testid="error-toast" data-code=code.as_str()>
                    {error_text(lang, code)}
                    {detail.map(|d| format!(" ({d})"))}
                    <button type="button" class="icon" on:click=move |_| error.set(None)>"×"</button>
                </p>
            }
        })
    }
}
