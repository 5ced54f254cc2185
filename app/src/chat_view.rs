//! What the widget and the console share: the client-side copy of conversations
//! (kept in sequence order, duplicates ignored), messages waiting to be
//! acknowledged, and the chat window that shows one conversation.

use crate::i18n::{t, tf, Key, Lang};
use crate::ids::{ConversationId, MessageId, Participant};
use crate::protocol::{
    Body, ChatMessage, ClientMsg, ConversationKind, ConversationState, ConversationSummary, Notice,
    ServerMsg,
};
use leptos::prelude::*;
use std::collections::BTreeMap;

/// One conversation as this client knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvView {
    pub summary: ConversationSummary,
    pub messages: BTreeMap<u64, ChatMessage>,
    /// Names of the others typing now.
    pub typing: Vec<(Participant, String)>,
    pub unread: u32,
}

impl ConvView {
    fn new(summary: ConversationSummary) -> Self {
        ConvView {
            summary,
            messages: BTreeMap::new(),
            typing: Vec::new(),
            unread: 0,
        }
    }

    /// The highest sequence number up to which nothing is missing.
    pub fn contiguous_seq(&self) -> u64 {
        let first = self.messages.keys().next().copied().unwrap_or(0);
        let mut last = first.saturating_sub(1);
        for seq in self.messages.keys() {
            if *seq != last + 1 {
                break;
            }
            last = *seq;
        }
        last
    }

    pub fn is_closed(&self) -> bool {
        self.summary.state == ConversationState::Closed
    }
}

/// A message sent but not yet seen stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub id: MessageId,
    /// `None` for the first message of a chat the visitor is starting.
    pub conversation_id: Option<ConversationId>,
    pub text: String,
}

impl Pending {
    pub fn frame(&self) -> ClientMsg {
        match self.conversation_id {
            Some(conversation_id) => ClientMsg::Send {
                conversation_id,
                client_msg_id: self.id,
                text: self.text.clone(),
            },
            None => ClientMsg::StartChat {
                client_msg_id: self.id,
                text: self.text.clone(),
            },
        }
    }
}

/// What a frame changed that the UI may want to react to.
#[derive(Default)]
pub struct Applied {
    /// New messages written by others.
    pub incoming: Vec<(ConversationId, ChatMessage)>,
    /// Conversations with a gap to fill: ask for everything after this seq.
    pub sync: Vec<(ConversationId, u64)>,
}

#[derive(Clone, Copy)]
pub struct ChatStore {
    pub conversations: RwSignal<Vec<ConvView>>,
    pub pending: RwSignal<Vec<Pending>>,
    pub me: RwSignal<Option<Participant>>,
}

impl Default for ChatStore {
    fn default() -> Self {
        Self::new()
    }
}

impl ChatStore {
    pub fn new() -> Self {
        ChatStore {
            conversations: RwSignal::new(Vec::new()),
            pending: RwSignal::new(Vec::new()),
            me: RwSignal::new(None),
        }
    }

    /// Applies one server frame to the local copy.
    pub fn apply(&self, msg: &ServerMsg) -> Applied {
        let mut applied = Applied::default();
        let me = self.me.get_untracked();
        match msg {
            ServerMsg::Welcome { conversations, .. } => {
                for summary in conversations {
                    self.upsert(summary.clone());
                }
                let all = self.conversations.get_untracked();
                for summary in conversations {
                    if let Some(view) = all.iter().find(|c| c.summary.id == summary.id) {
                        applied.sync.push((summary.id, view.contiguous_seq()));
                    }
                }
            }
            ServerMsg::Conversation { conversation } => {
                let fresh = !self.has(conversation.id);
                self.upsert(conversation.clone());
                if fresh {
                    applied.sync.push((conversation.id, 0));
                }
            }
            ServerMsg::Message {
                conversation_id,
                message,
            } => {
                let mut gap = None;
                let mut incoming = false;
                self.conversations.update(|all| {
                    let Some(view) = all.iter_mut().find(|c| c.summary.id == *conversation_id)
                    else {
                        gap = Some(0);
                        return;
                    };
                    let expected = view.contiguous_seq() + 1;
                    if message.seq > expected && !view.messages.is_empty() {
                        gap = Some(view.contiguous_seq());
                    }
                    if view.messages.insert(message.seq, message.clone()).is_none() {
                        view.summary.last_seq = view.summary.last_seq.max(message.seq);
                        if let Some(author) = &message.author {
                            view.typing.retain(|(p, _)| *p != author.participant);
                            incoming = Some(author.participant) != me;
                        }
                    }
                });
                self.settle(message.id);
                if incoming {
                    applied.incoming.push((*conversation_id, message.clone()));
                }
                if let Some(after) = gap {
                    applied.sync.push((*conversation_id, after));
                }
            }
            ServerMsg::History {
                conversation_id,
                messages,
                more,
            } => {
                self.conversations.update(|all| {
                    if let Some(view) = all.iter_mut().find(|c| c.summary.id == *conversation_id) {
                        for m in messages {
                            view.summary.last_seq = view.summary.last_seq.max(m.seq);
                            view.messages.insert(m.seq, m.clone());
                        }
                    }
                });
                for m in messages {
                    self.settle(m.id);
                }
                if *more {
                    if let Some(last) = messages.last() {
                        applied.sync.push((*conversation_id, last.seq));
                    }
                }
            }
            ServerMsg::Reset { conversation_id } => {
                self.conversations.update(|all| {
                    if let Some(view) = all.iter_mut().find(|c| c.summary.id == *conversation_id) {
                        view.messages.clear();
                    }
                });
                applied.sync.push((*conversation_id, 0));
            }
            ServerMsg::Typing {
                conversation_id,
                author,
                typing,
            } if Some(author.participant) != me => {
                self.conversations.update(|all| {
                    if let Some(view) = all.iter_mut().find(|c| c.summary.id == *conversation_id) {
                        view.typing.retain(|(p, _)| *p != author.participant);
                        if *typing {
                            view.typing.push((author.participant, author.name.clone()));
                        }
                    }
                });
            }
            _ => {}
        }
        applied
    }

    fn has(&self, id: ConversationId) -> bool {
        self.conversations
            .with_untracked(|all| all.iter().any(|c| c.summary.id == id))
    }

    fn upsert(&self, summary: ConversationSummary) {
        self.conversations.update(|all| {
            match all.iter_mut().find(|c| c.summary.id == summary.id) {
                Some(view) => view.summary = summary,
                None => all.push(ConvView::new(summary)),
            }
        });
    }

    /// A message with this id is stored: it is no longer pending.
    fn settle(&self, id: MessageId) {
        if self
            .pending
            .with_untracked(|p| p.iter().any(|m| m.id == id))
        {
            self.pending.update(|p| p.retain(|m| m.id != id));
        }
    }

    pub fn remove(&self, id: ConversationId) {
        self.conversations
            .update(|all| all.retain(|c| c.summary.id != id));
    }

    pub fn mark_read(&self, id: ConversationId) {
        self.conversations.update(|all| {
            if let Some(view) = all.iter_mut().find(|c| c.summary.id == id) {
                view.unread = 0;
            }
        });
    }

    pub fn add_unread(&self, id: ConversationId) {
        self.conversations.update(|all| {
            if let Some(view) = all.iter_mut().find(|c| c.summary.id == id) {
                view.unread += 1;
            }
        });
    }
}

/// The text a notice shows, in the reader's language.
pub fn notice_text(lang: Lang, notice: &Notice) -> String {
    match notice {
        Notice::Joined { name } => tf(lang, Key::Joined, &[name]),
        Notice::Left { name } => tf(lang, Key::LeftConv, &[name]),
        Notice::Invited { name } => tf(lang, Key::Invited, &[name]),
        Notice::Declined { name } => tf(lang, Key::DeclinedNotice, &[name]),
        Notice::InvitationExpired { name } => tf(lang, Key::ExpiredNotice, &[name]),
        Notice::OwnerChanged { name } => tf(lang, Key::OwnerChanged, &[name]),
        Notice::Closed => t(lang, Key::ConvClosed).to_owned(),
    }
}

fn kind_attr(kind: ConversationKind) -> &'static str {
    match kind {
        ConversationKind::Direct => "direct",
        ConversationKind::Group => "group",
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
    kind: ConversationKind,
    #[prop(into)] on_send: Callback<String>,
    #[prop(into)] on_typing: Callback<bool>,
    #[prop(optional, into)] on_leave: Option<Callback<()>>,
    /// Shown above the messages (e.g. a greeting).
    #[prop(optional)]
    intro: Option<&'static str>,
    /// Shown at the top of the window (e.g. an invitation to another conversation).
    #[prop(optional)]
    children: Option<ChildrenFn>,
) -> impl IntoView {
    let view_of = move || {
        conversation_id.get().and_then(|id| {
            store
                .conversations
                .with(|all| all.iter().find(|c| c.summary.id == id).cloned())
        })
    };
    let messages = move || {
        view_of()
            .map(|v| v.messages.into_values().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let pending = move || {
        let id = conversation_id.get();
        store.pending.with(|p| {
            p.iter()
                .filter(|m| m.conversation_id == id)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let typing = move || {
        view_of()
            .map(|v| v.typing.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let closed = move || view_of().is_some_and(|v| v.is_closed());
    // Who is in the conversation, and who is invited: visible to every participant.
    let roster = move || {
        view_of().map(|v| {
            let names: Vec<String> = v
                .summary
                .participants
                .iter()
                .map(|p| p.name.clone())
                .collect();
            let invited: Vec<String> = v
                .summary
                .invitations
                .iter()
                .map(|i| i.invitee_name.clone())
                .collect();
            (names.join(", "), invited.join(", "))
        })
    };
    let me = store.me;
    let draft = RwSignal::new(String::new());
    let typing_sent = RwSignal::new(false);

    let submit = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            return;
        }
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
            data-kind=kind_attr(kind)
            data-conversation-id=move || conversation_id.get().map(|id| id.to_string())
        >
            {children.map(|children| children())}
            {move || roster().map(|(names, invited)| view! {
                <p class="roster" data-testid="participants">
                    {names}
                    {(!invited.is_empty()).then(|| view! {
                        <span class="invited" data-testid="pending-invitations">{tf(lang, Key::PendingInvited, &[&invited])}</span>
                    })}
                </p>
            })}
            <ol class="messages">
                {intro.map(|text| view! { <li class="intro">{text}</li> })}
                <For
                    each=messages
                    key=|m| (m.seq, m.id)
                    children=move |m: ChatMessage| {
                        let mine = m.author.as_ref().map(|a| a.participant) == me.get_untracked();
                        match m.body {
                            Body::Text { text } => {
                                let author = m.author.map(|a| a.name).unwrap_or_default();
                                let author = if mine { t(lang, Key::You).to_owned() } else { author };
                                view! {
                                    <li class="entry" class:mine=mine>
                                        <span class="author">{author}</span>
                                        <p class="text" data-testid="message" data-seq=m.seq>{linked(&text)}</p>
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
                />
                <For
                    each=pending
                    key=|p| p.id
                    children=move |p: Pending| view! {
                        <li class="entry mine pending">
                            <span class="author">{t(lang, Key::Sending)}</span>
                            <p class="text" data-testid="pending-message">{p.text}</p>
                        </li>
                    }
                />
            </ol>
            <p class="typing" data-testid="typing-indicator" hidden=move || typing().is_empty()>
                {move || typing().first().map(|n| tf(lang, Key::IsTyping, &[n])).unwrap_or_default()}
            </p>
            <form
                class="compose"
                on:submit=move |ev| {
                    ev.prevent_default();
                    submit();
                }
            >
                <textarea
                    data-testid="message-input"
                    rows="2"
                    maxlength="4000"
                    placeholder=t(lang, Key::TypeMessage)
                    disabled=closed
                    prop:value=move || draft.get()
                    on:input=move |ev| {
                        draft.set(event_target_value(&ev));
                        if !typing_sent.get_untracked() && conversation_id.get_untracked().is_some() {
                            typing_sent.set(true);
                            on_typing.run(true);
                        }
                    }
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            submit();
                        }
                    }
                ></textarea>
                <button type="submit" data-testid="send-button" disabled=closed>
                    {t(lang, Key::Send)}
                </button>
            </form>
            {on_leave.map(|leave| view! {
                <button class="leave" type="button" data-testid="leave-button" on:click=move |_| leave.run(())>
                    {t(lang, Key::Leave)}
                </button>
            })}
        </section>
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
