//! The chat window that shows one conversation, in the widget and the console
//! alike: its entries in order with their times, who wrote them (staff marked as
//! staff), pending sends, who is typing, and the compose box.
//!
//! The window follows the newest entry unless the reader scrolled up; then a
//! "new messages" button counts what arrived below and takes them down. Where the
//! reader was is kept in a [`ScrollMemory`], so that a window opened again (or the
//! widget on the next page) comes back to the same place.

use crate::browser;
use crate::chat_store::ChatStore;
use crate::conversations::Pending;
use crate::i18n::{shown_name, t, tf, Key, Lang};
use crate::ids::ConversationId;
use crate::protocol::{Body, ChatMessage, ConversationKind, Notice, Visibility};
use crate::time::TimeStamp;
use leptos::prelude::*;
use std::collections::HashMap;

/// How close to the bottom (in CSS pixels) still counts as reading the newest entry.
const AT_BOTTOM_PX: i32 = 40;
/// Most conversations whose scroll position is remembered.
const POSITIONS_KEPT: usize = 20;

/// The text a notice shows, in the reader's language.
pub fn notice_text(lang: Lang, notice: &Notice) -> String {
    let name = |name: &str| shown_name(lang, name);
    match notice {
        Notice::Joined { name: n } => tf(lang, Key::Joined, &[&name(n)]),
        Notice::Left { name: n } => tf(lang, Key::LeftConv, &[&name(n)]),
        Notice::Invited { name: n } => tf(lang, Key::Invited, &[&name(n)]),
        Notice::Declined { name: n } => tf(lang, Key::DeclinedNotice, &[&name(n)]),
        Notice::InvitationExpired { name: n } => tf(lang, Key::ExpiredNotice, &[&name(n)]),
        Notice::OwnerChanged { name: n } => tf(lang, Key::OwnerChanged, &[&name(n)]),
        Notice::MovedToGroup { name: n } => tf(lang, Key::MovedToGroup, &[&name(n)]),
        Notice::Transferred { name: n, to } => tf(lang, Key::Transferred, &[&name(n), &name(to)]),
        Notice::Requeued { name: n } => tf(lang, Key::Requeued, &[&name(n)]),
        Notice::Closed => t(lang, Key::ConvClosed).to_owned(),
        Notice::Deleted => t(lang, Key::MessageDeleted).to_owned(),
    }
}

fn kind_attr(kind: ConversationKind) -> &'static str {
    match kind {
        ConversationKind::Direct => "direct",
        ConversationKind::Group => "group",
    }
}

/// Where the reader left each conversation: `None` (or absent) means at the newest
/// entry. With a storage key it survives page loads (the widget); without, it
/// lasts as long as the page (the console's tabs).
#[derive(Clone, Copy)]
pub struct ScrollMemory {
    positions: RwSignal<HashMap<ConversationId, i32>>,
    key: Option<&'static str>,
}

impl ScrollMemory {
    pub fn in_page() -> Self {
        ScrollMemory {
            positions: RwSignal::new(HashMap::new()),
            key: None,
        }
    }

    /// Kept in local storage under `key`; read when the browser is ready.
    pub fn stored(key: &'static str) -> Self {
        let memory = ScrollMemory {
            positions: RwSignal::new(HashMap::new()),
            key: Some(key),
        };
        Effect::new(move |_| {
            let saved: HashMap<ConversationId, i32> = browser::storage_get(key)
                .and_then(|text| serde_json::from_str(&text).ok())
                .unwrap_or_default();
            memory.positions.set(saved);
        });
        memory
    }

    fn get(&self, id: ConversationId) -> Option<i32> {
        self.positions.with_untracked(|p| p.get(&id).copied())
    }

    fn set(&self, id: ConversationId, top: Option<i32>) {
        if self.get(id) == top {
            return;
        }
        self.positions.update_untracked(|p| {
            match top {
                Some(top) => {
                    if p.len() >= POSITIONS_KEPT {
                        p.clear();
                    }
                    p.insert(id, top);
                }
                None => {
                    p.remove(&id);
                }
            }
            if let (Some(key), Ok(text)) = (self.key, serde_json::to_string(p)) {
                browser::storage_set(key, &text);
            }
        });
    }
}

/// One conversation: its messages in order, pending sends, who is typing, the
/// compose box and (optionally) a leave button.
#[component]
pub fn ChatWindow(
    store: ChatStore,
    lang: Lang,
    /// `None` for a chat the visitor has not started yet.
    #[prop(into)]
    conversation_id: Signal<Option<ConversationId>>,
    #[prop(into)] kind: Signal<ConversationKind>,
    #[prop(into)] on_send: Callback<String>,
    #[prop(into)] on_typing: Callback<bool>,
    scroll: ScrollMemory,
    #[prop(optional, into)] on_leave: Option<Callback<()>>,
    /// The reader is no longer in it (left, or it closed): read-only.
    #[prop(optional, into)]
    ended: Option<Signal<bool>>,
    /// A conversation whose history is shown first, marked as earlier (the
    /// visitor's one-to-one chat before this group conversation).
    #[prop(optional, into)]
    earlier: Option<Signal<Option<ConversationId>>>,
    /// Shown above the messages (e.g. a greeting; may hold line breaks).
    #[prop(optional, into)]
    intro: Option<String>,
    /// Shown at the top of the window (e.g. an invitation to another conversation).
    #[prop(optional)]
    children: Option<ChildrenFn>,
    /// Shown between the messages and the compose box (e.g. the place in the queue).
    #[prop(optional)]
    status: Option<ChildrenFn>,
    /// Whether a group conversation lists who else is in it above the messages
    /// (the console shows that beside the window instead).
    #[prop(optional)]
    roster: bool,
    /// Set when the reader's own action opened the window: the compose box takes
    /// the focus (and this goes back to `false`). A window that opens by itself
    /// leaves the focus where it is.
    #[prop(optional)]
    focus: Option<RwSignal<bool>>,
    /// Agents only: whether what is written now is an internal note; the compose
    /// box gets a switch for it.
    #[prop(optional)]
    note_mode: Option<RwSignal<bool>>,
    /// What the compose box holds, when its owner reads or sets it too (the
    /// console's canned replies); otherwise the window keeps its own.
    #[prop(optional)]
    draft: Option<RwSignal<String>>,
    /// Asked first on every send: `true` means it took the text (and the window
    /// sends nothing and keeps the draft as the callback left it).
    #[prop(optional, into)]
    intercept_send: Option<Callback<String, bool>>,
    /// Shown right above the compose box, and a button in it (the console's canned
    /// replies): `(panel, button)`.
    #[prop(optional)]
    tools: Option<(ChildrenFn, ChildrenFn)>,
    /// Tells the server the reader has seen the conversation (a read receipt,
    /// see [`crate::chat_session::ChatSession::tell_seen`]); called whenever newer
    /// entries show.
    #[prop(optional, into)]
    tell_seen: Option<Callback<ConversationId>>,
    /// Sends the file picked in the compose box's file input (its `change`
    /// event); without it the box has no file input.
    #[prop(optional, into)]
    on_attach: Option<Callback<leptos::ev::Event>>,
) -> impl IntoView {
    let noting = move || note_mode.is_some_and(|n| n.get());
    let show_roster = roster;
    let view_of = move || {
        conversation_id
            .get()
            .and_then(|id| store.with(|state| state.get(id).cloned()))
    };
    let messages = Memo::new(move |_| {
        view_of()
            .map(|v| v.messages.into_values().collect::<Vec<_>>())
            .unwrap_or_default()
    });
    let earlier_messages = Memo::new(move |_| {
        let id = earlier.and_then(|e| e.get())?;
        let list: Vec<ChatMessage> = store.with(|state| {
            state
                .get(id)
                .map(|c| c.messages.values().cloned().collect())
                .unwrap_or_default()
        });
        (!list.is_empty()).then_some(list)
    });
    let pending = Memo::new(move |_| {
        let id = conversation_id.get();
        store.with(|state| {
            state
                .pending()
                .iter()
                .filter(|m| m.conversation_id == id)
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let typing = move || {
        view_of()
            .map(|v| {
                v.typing
                    .iter()
                    .map(|(_, n)| shown_name(lang, n))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let read_only =
        move || ended.is_some_and(|e| e.get()) || view_of().is_some_and(|v| v.is_closed());
    // Who else is in the conversation, and who is invited.
    let roster = move || {
        view_of()
            .filter(|v| show_roster && v.summary.kind == ConversationKind::Group)
            .map(|v| {
                let me = store.me();
                let names: Vec<String> = v
                    .summary
                    .participants
                    .iter()
                    .filter(|p| Some(p.participant) != me)
                    .map(|p| shown_name(lang, &p.name))
                    .collect();
                let invited: Vec<String> = v
                    .summary
                    .invitations
                    .iter()
                    .map(|i| shown_name(lang, &i.invitee_name))
                    .collect();
                (names.join(", "), invited.join(", "))
            })
    };
    let draft = draft.unwrap_or_else(|| RwSignal::new(String::new()));
    let input: NodeRef<leptos::html::Textarea> = NodeRef::new();
    if let Some(focus) = focus {
        Effect::new(move |_| {
            if let (true, Some(_)) = (focus.get(), input.get()) {
                focus.set(false);
                // Once the window is in the page.
                request_animation_frame(move || {
                    if let Some(input) = input.try_get_untracked().flatten() {
                        let _ = input.focus();
                    }
                });
            }
        });
    }
    let typing_sent = RwSignal::new(false);

    // Following the newest entry, and what arrived below while not.
    let list: NodeRef<leptos::html::Ol> = NodeRef::new();
    let follow = RwSignal::new(true);
    let unseen = RwSignal::new(0usize);
    let restored = RwSignal::new(None::<ConversationId>);
    let to_bottom = move || {
        request_animation_frame(move || {
            // The window may have closed before the next frame.
            if let Some(el) = list.try_get_untracked().flatten() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    };
    let entry_count = Memo::new(move |_| {
        messages.with(Vec::len)
            + pending.with(Vec::len)
            + earlier_messages.with(|e| e.as_ref().map_or(0, Vec::len))
    });
    // Who else has seen the reader's newest message: "Seen", or in a group who.
    let seen = move || {
        let view = view_of()?;
        let me = store.me();
        let mine = view
            .messages
            .values()
            .rev()
            .find(|m| {
                m.visibility == Visibility::Everyone
                    && matches!(m.body, Body::Text { .. })
                    && m.author.as_ref().map(|a| a.participant) == me
            })?
            .seq;
        let (newest, who) = view.seen_by_others(me, mine);
        if who.is_empty() {
            return None;
        }
        let text = match view.summary.kind {
            ConversationKind::Direct => t(lang, Key::Seen).to_owned(),
            ConversationKind::Group => {
                let names: Vec<String> = who.iter().map(|n| shown_name(lang, n)).collect();
                tf(lang, Key::SeenBy, &[&names.join(", ")])
            }
        };
        Some((newest, text))
    };
    let file_links = use_context::<crate::files::FileLinks>();
    Effect::new(move |before: Option<(Option<ConversationId>, usize)>| {
        let id = conversation_id.get();
        let count = entry_count.get();
        // What shows below the entries, or grows in them, moves the bottom too.
        typing();
        seen();
        if let Some(links) = file_links {
            links.track();
        }
        let Some(el) = list.get() else {
            return (id, count);
        };
        match before {
            Some((before_id, _)) if before_id != id => {
                follow.set(true);
                unseen.set(0);
            }
            _ => {}
        }
        // The first time this conversation has entries here: back to where the
        // reader was, or to the newest.
        if let (Some(id), true) = (id, count > 0 && restored.get_untracked() != id) {
            restored.set(Some(id));
            if let Some(top) = scroll.get(id) {
                follow.set(false);
                request_animation_frame(move || el.set_scroll_top(top));
                return (Some(id), count);
            }
        }
        if follow.get_untracked() {
            to_bottom();
        } else if let Some((before_id, before_count)) = before {
            if before_id == id && count > before_count {
                unseen.update(|n| *n += count - before_count);
            }
        }
        (id, count)
    });
    // Read receipts: newer entries show.
    if let Some(tell) = tell_seen {
        Effect::new(move |_| {
            entry_count.track();
            if let Some(id) = conversation_id.get() {
                tell.run(id);
            }
        });
    }
    let on_scroll = move |_| {
        let Some(el) = list.get_untracked() else {
            return;
        };
        let at_bottom = el.scroll_height() - el.scroll_top() - el.client_height() < AT_BOTTOM_PX;
        follow.set(at_bottom);
        if at_bottom {
            unseen.set(0);
        }
        if let Some(id) = conversation_id.get_untracked() {
            scroll.set(id, (!at_bottom).then(|| el.scroll_top()));
        }
    };
    let jump_down = move |_| {
        follow.set(true);
        unseen.set(0);
        if let Some(id) = conversation_id.get_untracked() {
            scroll.set(id, None);
        }
        to_bottom();
    };

    let submit = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() || read_only() {
            return;
        }
        if intercept_send.is_some_and(|intercept| intercept.run(text.clone())) {
            return;
        }
        // Whoever sends wants to see what they sent.
        follow.set(true);
        on_send.run(text);
        draft.set(String::new());
        if typing_sent.get_untracked() {
            typing_sent.set(false);
            on_typing.run(false);
        }
    };

    view! {
        <section
            class="chat-window"
            data-testid="chat-window"
            data-kind=move || kind_attr(kind.get())
            data-conversation-id=move || conversation_id.get().map(|id| id.to_string())
            data-ended=move || read_only().to_string()
        >
            {children.map(|children| children())}
            {move || roster().filter(|(names, invited)| !names.is_empty() || !invited.is_empty()).map(|(names, invited)| view! {
                <p class="roster" data-testid="participants">
                    {names}
                    {(!invited.is_empty()).then(|| view! {
                        <span class="invited" data-testid="pending-invitations">{tf(lang, Key::PendingInvited, &[&invited])}</span>
                    })}
                </p>
            })}
            <div class="messages-wrap">
                <ol class="messages" node_ref=list on:scroll=on_scroll aria-live="polite" aria-relevant="additions">
                    {move || earlier_messages.get().map(|list| view! {
                        <li class="earlier" data-testid="earlier-conversation">
                            <p class="earlier-title">{t(lang, Key::EarlierConversation)}</p>
                            <ol class="earlier-entries">
                                {list.into_iter().map(|m| earlier_entry(lang, m)).collect_view()}
                            </ol>
                        </li>
                    })}
                    {intro.map(|text| view! { <li class="intro">{text}</li> })}
                    <For
                        each=move || messages.get()
                        key=|m| (m.seq, m.id)
                        children=move |m: ChatMessage| entry(lang, m, store.with_untracked(|state| state.me()))
                    />
                    <For
                        each=move || pending.get()
                        key=|p| p.id
                        children=move |p: Pending| view! {
                            <li class="entry mine pending" class:note=p.note>
                                <span class="author">{t(lang, Key::Sending)}</span>
                                <p class="text" data-testid="pending-message">{p.text}</p>
                            </li>
                        }
                    />
                    {move || seen().map(|(seq, text)| view! {
                        <li class="seen" data-testid="seen-indicator" data-seq=seq>{text}</li>
                    })}
                </ol>
                <button type="button" class="new-messages" data-testid="new-messages"
                    hidden=move || unseen.get() == 0 on:click=jump_down>
                    {move || format!("{} ({}) ↓", t(lang, Key::NewMessages), unseen.get())}
                </button>
            </div>
            <p class="typing" data-testid="typing-indicator" hidden=move || typing().is_empty()>
                {move || typing().first().map(|n| tf(lang, Key::IsTyping, &[n])).unwrap_or_default()}
            </p>
            {status.map(|status| status())}
            {tools.as_ref().map(|(panel, _)| panel())}
            <form
                class="compose"
                class:note=noting
                hidden=read_only
                on:submit=move |ev| {
                    ev.prevent_default();
                    submit();
                }
            >
                <textarea
                    node_ref=input
                    data-testid="message-input"
                    rows="2"
                    maxlength="4000"
                    aria-label=move || t(lang, if noting() { Key::InternalNote } else { Key::Message })
                    placeholder=move || t(lang, if noting() { Key::NotePlaceholder } else { Key::TypeMessage })
                    disabled=read_only
                    prop:value=move || draft.get()
                    on:input=move |ev| {
                        draft.set(event_target_value(&ev));
                        if !typing_sent.get_untracked() && conversation_id.get_untracked().is_some() {
                            typing_sent.set(true);
                            on_typing.run(true);
                        }
                    }
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                            ev.prevent_default();
                            submit();
                        }
                    }
                ></textarea>
                {note_mode.map(|mode| view! {
                    <button type="button" class="note-toggle" data-testid="note-toggle"
                        aria-pressed=move || if mode.get() { "true" } else { "false" }
                        title=t(lang, Key::NotePlaceholder)
                        on:click=move |_| {
                            mode.update(|on| *on = !*on);
                            if let Some(input) = input.get_untracked() {
                                let _ = input.focus();
                            }
                        }>
                        {t(lang, Key::Note)}
                    </button>
                })}
                {tools.as_ref().map(|(_, button)| button())}
                {on_attach.map(|attach| view! {
                    <label class="attach" title=t(lang, Key::Attach)>
                        <input type="file" class="attach-input" data-testid="attach-input"
                            aria-label=t(lang, Key::Attach)
                            accept="image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,text/csv,.txt,.csv,.log"
                            disabled=read_only
                            on:change=move |ev| attach.run(ev)/>
                        <span aria-hidden="true">{t(lang, Key::AttachShort)}</span>
                    </label>
                })}
                <button type="submit" data-testid="send-button" disabled=read_only>
                    {t(lang, Key::Send)}
                </button>
            </form>
            {on_leave.map(|leave| view! {
                <button class="leave" type="button" data-testid="leave-button" hidden=read_only
                    on:click=move |_| leave.run(())>
                    {t(lang, Key::Leave)}
                </button>
            })}
        </section>
    }
}

/// One entry of the conversation: a message with its author and time, or a notice.
pub fn entry(lang: Lang, m: ChatMessage, me: Option<crate::ids::Participant>) -> AnyView {
    match m.body {
        Body::Text { text } if m.visibility == Visibility::Agents => {
            let mine = m.author.as_ref().map(|a| a.participant) == me;
            let name = match &m.author {
                _ if mine => t(lang, Key::You).to_owned(),
                Some(a) => shown_name(lang, &a.name),
                None => String::new(),
            };
            view! {
                <li class="entry note" class:mine=mine>
                    <span class="author">
                        {name}
                        <span class="note-badge">{t(lang, Key::InternalNote)}</span>
                    </span>
                    <p class="text" data-testid="internal-note" data-seq=m.seq>
                        {linked(&text)}
                        <TimeStamp lang at_ms=m.at_ms/>
                    </p>
                </li>
            }
            .into_any()
        }
        Body::Text { text } => {
            let author = m.author;
            let shown = match m.file {
                Some(file) => attachment(file).into_any(),
                None => linked(&text).into_any(),
            };
            let mine = author.as_ref().map(|a| a.participant) == me;
            let staff = author.as_ref().is_some_and(|a| a.participant.is_agent());
            let role = if staff { "agent" } else { "visitor" };
            let name = match &author {
                _ if mine => t(lang, Key::You).to_owned(),
                Some(a) => shown_name(lang, &a.name),
                None => String::new(),
            };
            view! {
                <li class="entry" class:mine=mine class:staff=staff>
                    <span class="author">
                        {name}
                        {(staff && !mine).then(|| view! { <span class="staff-badge" data-testid="staff-badge">{t(lang, Key::Staff)}</span> })}
                    </span>
                    <p class="text" data-testid="message" data-seq=m.seq data-author-role=role>
                        {shown}
                        <TimeStamp lang at_ms=m.at_ms/>
                    </p>
                </li>
            }
            .into_any()
        }
        Body::Notice(notice) => view! {
            <li class="notice">
                <p data-testid="system-notice" data-seq=m.seq>{notice_text(lang, &notice)}</p>
            </li>
        }
        .into_any(),
    }
}

/// An entry of the earlier conversation: shown, but not one of this window's
/// messages (its sequence numbers belong to the other conversation).
fn earlier_entry(lang: Lang, m: ChatMessage) -> AnyView {
    match m.body {
        Body::Text { text } => {
            let staff = m.author.as_ref().is_some_and(|a| a.participant.is_agent());
            let name = m
                .author
                .map(|a| shown_name(lang, &a.name))
                .unwrap_or_default();
            view! {
                <li class="entry earlier-entry" class:staff=staff>
                    <span class="author">{name}</span>
                    <p class="text" data-testid="earlier-message">{linked(&text)}<TimeStamp lang at_ms=m.at_ms/></p>
                </li>
            }
            .into_any()
        }
        Body::Notice(notice) => view! {
            <li class="notice"><p>{notice_text(lang, &notice)}</p></li>
        }
        .into_any(),
    }
}

/// A file a message carries: a picture as a thumbnail that opens it, anything
/// else as a link that saves it, each named by the file. Where it is fetched
/// from is the page's [`FileLinks`].
fn attachment(file: crate::protocol::FileInfo) -> impl IntoView {
    let links = use_context::<crate::files::FileLinks>();
    let id = file.id;
    let url = move || links.and_then(|links| links.url(id));
    let name = file.name.clone();
    let image = file.is_image();
    let size = if file.size >= 1024 * 1024 {
        format!("{:.1} MB", file.size as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", file.size.div_ceil(1024))
    };
    let label = name.clone();
    view! {
        <span class="attachment" class:image=image data-testid="attachment" data-name=label>
            {move || match url() {
                Some(url) if image => {
                    let open = url.clone();
                    view! {
                        <a href=open target="_blank" rel="noopener noreferrer">
                            <img src=url alt=name.clone() loading="lazy"/>
                        </a>
                    }
                    .into_any()
                }
                Some(url) => view! {
                    <a href=url download=name.clone()>{name.clone()}</a>
                    <span class="size">{size.clone()}</span>
                }
                .into_any(),
                None => view! { <span>{name.clone()}</span> }.into_any(),
            }}
        </span>
    }
}

/// A message's text with its http(s) URLs as links that open in a new tab and
/// tell the linked site nothing about the chat.
fn linked(text: &str) -> impl IntoView {
    crate::links::pieces(text)
        .into_iter()
        .map(|piece| match piece {
            crate::links::Piece::Text(text) => text.to_owned().into_any(),
            crate::links::Piece::Link(url) => view! {
                <a href=url.to_owned() target="_blank" rel="noopener noreferrer nofollow">{url.to_owned()}</a>
            }
            .into_any(),
        })
        .collect_view()
}
