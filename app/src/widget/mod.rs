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
//!
//! What every page needs is here: the launcher, the connection (presence, the
//! proactive invitation) and the client's copy of the conversations. The open
//! window ([`panel`]) is a chunk of code of its own, fetched when the visitor
//! first opens the chat, so that a visitor who never chats downloads none of it.

mod look;
mod panel;

pub use look::{colour_style, Look, PreChatLook, SiteSettings};

use crate::api::ApiError;
use crate::browser::{self, HostMessage};
use crate::chat_session::ChatSession;
use crate::components::ScrollMemory;
use crate::components::{icon, ICON_CHAT, ICON_CLOSE};
use crate::conversations::{Applied, ConvView};
use crate::error::ErrorCode;
use crate::files::FileLinks;
use crate::i18n::{shown_name, t, Key, Lang};
use crate::ids::{AgentId, ConversationId, Participant};
use crate::protocol::{
    AwayDepartment, ClientMsg, ConversationKind, ConversationState, InvitationInfo,
    InvitationState, Me, PageView, ServerMsg,
};
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::HashMap;

const TOKEN_KEY: &str = "livechat.visitor_token";
const MUTED_KEY: &str = "livechat.muted";
const OPEN_KEY: &str = "livechat.open";
const SCROLL_KEY: &str = "livechat.scroll";
const EARLIER_KEY: &str = "livechat.earlier";

/// Runs as soon as this page's HTML has arrived, before the WebAssembly:
/// - tells the loader that the frame may be shown (a site that may not embed the
///   widget never gets this page, the browser refuses to frame it, so its frame
///   stays hidden: nothing shows);
/// - remembers a click on the launcher until the code is ready (the launcher
///   says it is busy meanwhile); [`browser::take_early_click`] reads it.
///
/// With the first, it tells the loader the corner its website's settings chose
/// and, when the launcher carries text, the width the closed frame needs for it
/// (the text as the launcher's font draws it, its padding and icon), from `<html>`.
const READY_SCRIPT: &str = r#"(function(){try{var u=new URLSearchParams(location.search).get("page_url");var o=new URL(u).origin;var h=document.documentElement;var t=h.getAttribute("data-launcher-text"),w=0;if(t){var c=document.createElement("canvas").getContext("2d");c.font='600 15px system-ui,-apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC",sans-serif';w=Math.ceil(c.measureText(t).width)+100;}if(/^https?:/.test(o)&&window.parent!==window)window.parent.postMessage({type:"livechat:ready",side:h.getAttribute("data-position")||"right",width:w},o);}catch(e){}document.addEventListener("click",function(e){if(window.__livechatReady)return;var b=e.target&&e.target.closest&&e.target.closest(".launcher");if(!b)return;window.__livechatClicked=!window.__livechatClicked;if(window.__livechatClicked)b.setAttribute("aria-busy","true");else b.removeAttribute("aria-busy");},true);})();"#;

/// The visitor token, made on first use.
pub(crate) fn visitor_token() -> String {
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
        department: browser::query_param("department").unwrap_or_default(),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum OfflineForm {
    Editing,
    Sent,
}

/// The visitor's request to have a transcript e-mailed.
#[derive(Clone, Debug, PartialEq)]
enum TranscriptMail {
    Idle,
    Sending,
    /// The mail server took it, for this address.
    Sent(String),
}

/// Which group conversation grew out of which one-to-one chat, kept across pages.
#[derive(Clone, Copy)]
struct Earlier(RwSignal<HashMap<ConversationId, ConversationId>>);

impl Earlier {
    fn load(&self) {
        let map = browser::storage_get(EARLIER_KEY)
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        self.0.set(map);
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

/// What the widget shows of the conversation it is about.
#[derive(Clone, Debug, PartialEq)]
struct Current {
    id: ConversationId,
    kind: ConversationKind,
    /// The visitor is no longer in it (left, moved on, or it closed).
    ended: bool,
    closed: bool,
    /// `Some` while it waits in the queue: the place, once the server said it.
    queue: Option<Option<u32>>,
    /// The agents taking part, by id and name.
    agents: Vec<(AgentId, String)>,
}

/// Everything the widget's parts read and change, in one copyable handle.
#[derive(Clone, Copy)]
struct WidgetState {
    lang: Lang,
    session: ChatSession,
    open: RwSignal<bool>,
    unread: RwSignal<u32>,
    muted: RwSignal<bool>,
    connected: RwSignal<bool>,
    agents_available: RwSignal<bool>,
    /// The away message of this widget's department while it cannot answer.
    away_message: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
    offline: RwSignal<OfflineForm>,
    invitations: RwSignal<Vec<InvitationInfo>>,
    my_name: RwSignal<String>,
    editing_name: RwSignal<bool>,
    /// On a phone the loader makes the open frame fill the screen.
    full_screen: RwSignal<bool>,
    /// The visitor opened the window: its first field takes the focus.
    focus_request: RwSignal<bool>,
    /// The launcher, which takes the focus back when the window closes.
    launcher: NodeRef<leptos::html::Button>,
    scroll: ScrollMemory,
    earlier: Earlier,
    /// The newest conversation the visitor is still in, else the newest that
    /// ended (with a button to start a new chat).
    current: Memo<Option<Current>>,
    /// Where the files of messages are fetched from (signed links).
    files: FileLinks,
    /// Whether the server mails transcripts, and the visitor's request.
    email_transcripts: RwSignal<bool>,
    transcript_mail: RwSignal<TranscriptMail>,
    /// The website's settings for the widget.
    look: StoredValue<Look>,
    /// The pre-chat form was sent on this page, or the website has none.
    pre_chat_done: RwSignal<bool>,
}

impl WidgetState {
    fn new(lang: Lang) -> Self {
        let look = Look::here();
        let session = ChatSession::new(None);
        let current = Memo::new(move |_| {
            session.store.with(|state| {
                // A conversation has ended for the visitor when it closed or the
                // visitor left it (or moved on from a 1:1 chat into a multi-party one).
                let me = state.me();
                let ended = |c: &ConvView| c.is_closed() || !c.has_member(me);
                let mut shown = state.views().iter().filter(|c| !c.earlier).rev();
                shown.clone().find(|c| !ended(c)).or(shown.next()).map(|c| {
                    let queued = c.summary.state == ConversationState::Queued && !ended(c);
                    Current {
                        id: c.summary.id,
                        kind: c.summary.kind,
                        ended: ended(c),
                        closed: c.is_closed(),
                        queue: queued.then_some(c.queue_position),
                        agents: c
                            .summary
                            .participants
                            .iter()
                            .filter_map(|p| match p.participant {
                                Participant::Agent(id) => Some((id, shown_name(lang, &p.name))),
                                Participant::Visitor(_) => None,
                            })
                            .collect(),
                    }
                })
            })
        });
        WidgetState {
            lang,
            session,
            open: RwSignal::new(false),
            unread: RwSignal::new(0),
            muted: RwSignal::new(false),
            connected: RwSignal::new(false),
            agents_available: RwSignal::new(true),
            away_message: RwSignal::new(String::new()),
            error: RwSignal::new(None),
            offline: RwSignal::new(OfflineForm::Editing),
            invitations: RwSignal::new(Vec::new()),
            my_name: RwSignal::new(String::new()),
            editing_name: RwSignal::new(false),
            full_screen: RwSignal::new(false),
            focus_request: RwSignal::new(false),
            launcher: NodeRef::new(),
            scroll: ScrollMemory::stored(SCROLL_KEY),
            earlier: Earlier(RwSignal::new(HashMap::new())),
            current,
            files: FileLinks::signed(Callback::new(move |msg| session.send(msg))),
            email_transcripts: RwSignal::new(false),
            transcript_mail: RwSignal::new(TranscriptMail::Idle),
            pre_chat_done: RwSignal::new(look.pre_chat.is_none()),
            look: StoredValue::new(look),
        }
    }

    fn send(&self, msg: ClientMsg) -> bool {
        self.session.send(msg)
    }

    fn set_open(&self, now_open: bool) {
        self.open.set(now_open);
        browser::storage_set(OPEN_KEY, if now_open { "1" } else { "0" });
        if now_open {
            self.unread.set(0);
        }
    }

    /// The visitor opens or closes the window (launcher, close button, Escape):
    /// opening puts the focus in it, closing back on the launcher.
    fn toggle_by_visitor(&self, now_open: bool) {
        self.focus_request.set(now_open);
        self.set_open(now_open);
        if !now_open {
            if let Some(launcher) = self.launcher.get_untracked() {
                let _ = launcher.focus();
            }
        }
    }

    fn current_id(&self) -> Option<ConversationId> {
        self.current.with(|c| c.as_ref().map(|c| c.id))
    }

    fn current_ended(&self) -> bool {
        self.current.with(|c| c.as_ref().is_some_and(|c| c.ended))
    }

    /// `Some(place)` while the chat waits in the queue (the place once known).
    fn queue(&self) -> Option<Option<u32>> {
        self.current.with(|c| c.as_ref().and_then(|c| c.queue))
    }

    /// Whether chats can be answered here: some agent online, and this
    /// widget's department (its tag's) not away.
    fn set_availability(&self, available: bool, away: Vec<AwayDepartment>) {
        let mine = browser::query_param("department").unwrap_or_default();
        let away = away.into_iter().find(|d| d.department == mine);
        self.agents_available.set(available && away.is_none());
        self.away_message
            .set(away.map(|d| d.message).unwrap_or_default());
    }

    /// The widget's own reactions to a frame, once the session's store took it in.
    fn on_server_msg(&self, msg: ServerMsg, applied: Applied) {
        let store = self.session.store;
        for (conversation_id, message) in &applied.incoming {
            if let (Some(author), crate::protocol::Body::Text { text }) =
                (&message.author, &message.body)
            {
                browser::tell_host_message(
                    &conversation_id.to_string(),
                    &author.name,
                    text,
                    message.at_ms,
                );
            }
        }
        if !applied.incoming.is_empty() {
            let seen = self.open.get_untracked() && !browser::page_hidden();
            if !seen {
                self.unread.update(|n| *n += applied.incoming.len() as u32);
            }
            if !seen && !self.muted.get_untracked() {
                browser::chime();
            }
        }
        match msg {
            ServerMsg::Welcome {
                me,
                agents_available,
                conversations,
                email_transcripts,
                away,
            } => {
                if let Me::Visitor { name, .. } = me {
                    self.my_name.set(name);
                }
                self.set_availability(agents_available, away);
                self.email_transcripts.set(email_transcripts);
                // The one-to-one chats that groups grew out of: their history shows
                // again in the group's window.
                let groups: Vec<ConversationId> = conversations
                    .iter()
                    .filter(|c| c.kind == ConversationKind::Group)
                    .map(|c| c.id)
                    .collect();
                self.earlier
                    .update(|m| m.retain(|group, _| groups.contains(group)));
                for group in groups {
                    if let Some(direct) = self.earlier.of(group) {
                        if store.keep_earlier(direct) {
                            self.send(ClientMsg::Sync {
                                conversation_id: direct,
                                after_seq: 0,
                            });
                        }
                    }
                }
            }
            ServerMsg::AgentsAvailable { available, away } => {
                self.set_availability(available, away)
            }
            ServerMsg::Invitation { invitation } => {
                self.invitations
                    .update(|list| list.retain(|i| i.id != invitation.id));
                if invitation.state == InvitationState::Pending {
                    self.invitations.update(|list| list.push(invitation));
                    // The proactive invitation: the widget opens by itself.
                    self.set_open(true);
                    if !self.muted.get_untracked() {
                        browser::chime();
                    }
                }
            }
            ServerMsg::OfflineMessageStored => {
                self.offline.set(OfflineForm::Sent);
                // What waited in the queue is now the message: the chat is withdrawn.
                if let (Some(id), Some(_)) = (
                    self.current.with_untracked(|c| c.as_ref().map(|c| c.id)),
                    self.current
                        .with_untracked(|c| c.as_ref().and_then(|c| c.queue)),
                ) {
                    self.send(ClientMsg::Leave {
                        conversation_id: id,
                    });
                }
            }
            ServerMsg::NameChanged { name } => {
                self.my_name.set(name);
                self.editing_name.set(false);
            }
            ServerMsg::FileLink { file_id, url } => self.files.heard(file_id, url),
            ServerMsg::Transcript {
                conversation_id,
                text,
            } => browser::save_text(&crate::transcript::file_name(conversation_id), &text),
            ServerMsg::TranscriptEmailed { email, .. } => {
                self.transcript_mail.set(TranscriptMail::Sent(email))
            }
            ServerMsg::Error { code, .. } => {
                if self.transcript_mail.get_untracked() == TranscriptMail::Sending {
                    self.transcript_mail.set(TranscriptMail::Idle);
                }
                // A field of the pre-chat form refused (before any chat): the form again.
                let has_form = self.look.with_value(|l| l.pre_chat.is_some());
                if has_form && code == ErrorCode::InvalidField && self.current_id().is_none() {
                    self.pre_chat_done.set(false);
                }
                self.error.set(Some(code.into()))
            }
            _ => {}
        }
    }

    /// Connects, and follows what the host page tells the frame (in the browser).
    fn start(self) {
        self.muted
            .set(browser::storage_get(MUTED_KEY).as_deref() == Some("1"));
        let was_open = browser::storage_get(OPEN_KEY).as_deref() == Some("1");
        // A click on the launcher while the code was still loading counts now.
        let clicked = browser::take_early_click();
        if clicked {
            self.toggle_by_visitor(true);
        } else if was_open {
            self.set_open(true);
        }
        self.earlier.load();
        let token = visitor_token();
        // The page the visitor is on: from the loader at start, then from its
        // page-view messages; a reconnect says hello from the latest.
        let page = RwSignal::new(host_page());
        // Who the site says the visitor is (the loader's `LiveChat.identify`).
        let identity = browser::identity_in_address();
        let identity_now = identity.clone();
        browser::on_host_message(move |message| match message {
            HostMessage::PageView {
                url,
                title,
                referrer,
            } => {
                // The department is the tag's: it stays as the page changes.
                let view = PageView {
                    url,
                    title,
                    referrer,
                    load_id: browser::new_message_id(),
                    department: page.with_untracked(|p| p.department.clone()),
                };
                page.set(view.clone());
                self.send(ClientMsg::PageView { page: view });
            }
            HostMessage::Layout { full_screen } => self.full_screen.set(full_screen),
            HostMessage::Open(open) => self.set_open(open),
            // Who the visitor is changed: the frame loads again as them.
            HostMessage::Identify(identity) => {
                if identity_now.as_ref() != Some(&identity) {
                    browser::reload_with_identity(&identity);
                }
            }
        });
        let connected = self.connected;
        self.session.connect(
            "/ws/visitor",
            move || ClientMsg::Hello {
                token: Some(token.clone()),
                page: Some(page.get_untracked()),
                identity: identity.clone(),
            },
            move |msg, applied| self.on_server_msg(msg, applied),
            move |up| connected.set(up),
        );
    }
}

#[component]
pub fn Widget() -> impl IntoView {
    let lang = use_context::<Lang>().unwrap_or_default();
    let state = WidgetState::new(lang);
    provide_context(state.files);
    let open = state.open;
    let unread = state.unread;

    let launcher_ref = state.launcher;
    Effect::new(move |_| {
        state.start();
        // Whatever the early-click script marked, the launcher itself answers now.
        if let Some(button) = launcher_ref.get_untracked() {
            let _ = button.remove_attribute("aria-busy");
        }
    });
    // The loader sizes the frame: small for the launcher, large for the window.
    Effect::new(move |_| browser::tell_host_open(open.get()));

    // The website's launcher text, beside the icon while the window is closed
    // (and then the button's name, as a sighted visitor reads it).
    let launcher_text = state.look.with_value(|l| l.launcher_text.clone());
    let with_text = !launcher_text.is_empty();
    let label = {
        let launcher_text = launcher_text.clone();
        move || match open.get() {
            true => t(lang, Key::CloseChat).to_owned(),
            false if with_text => launcher_text.clone(),
            false => t(lang, Key::ChatWithUs).to_owned(),
        }
    };
    let launcher = view! {
        <button
            node_ref=launcher_ref
            type="button"
            class="launcher"
            class:with-text=move || with_text && !open.get()
            data-testid="chat-launcher"
            aria-expanded=move || open.get().to_string()
            title=label.clone()
            aria-label=label
            on:click=move |_| state.toggle_by_visitor(!open.get_untracked())
        >
            {move || if open.get() { icon(ICON_CLOSE) } else { icon(ICON_CHAT) }}
            {move || (with_text && !open.get()).then(|| view! {
                <span class="launcher-text" data-testid="launcher-text">{launcher_text.clone()}</span>
            })}
            <Show when=move || { unread.get() > 0 }>
                <span class="badge" data-testid="unread-badge">{move || unread.get()}</span>
            </Show>
        </button>
    }
    .into_any();

    view! {
        <script nonce=leptos::nonce::use_nonce() inner_html=READY_SCRIPT></script>
        <Title text=t(lang, Key::ChatWithUs)/>
        <div class="widget-root" class:open=move || open.get() class:full-screen=move || state.full_screen.get()
            data-ready=move || state.connected.get().to_string()>
            <Show when=move || open.get()>
                <Suspense fallback=move || view! { <div class="widget-panel loading" aria-busy="true"></div> }>
                    {move || Suspend::new(async move { panel::panel(state).await })}
                </Suspense>
            </Show>
            {launcher}
        </div>
    }
    .into_any()
}
