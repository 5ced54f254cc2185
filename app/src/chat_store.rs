//! What the widget and the console share: the client-side copy of conversations
//! (kept in sequence order, duplicates ignored) and the messages waiting to be
//! acknowledged. [`crate::chat_view`] shows one conversation of it.

use crate::ids::{ConversationId, MessageId, Participant};
use crate::protocol::{
    ChatMessage, ClientMsg, ConversationKind, ConversationState, ConversationSummary,
    ParticipantInfo, ServerMsg,
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
    /// Everyone seen in the conversation since this client knew it, with their
    /// latest names: a conversation everyone else left is still named after them.
    pub known: Vec<ParticipantInfo>,
    /// The chat's place in the queue while it waits (visitors only).
    pub queue_position: Option<u32>,
    /// Kept only to show its history (a visitor's one-to-one chat before a group
    /// conversation); never the conversation a window is about.
    pub earlier: bool,
}

impl ConvView {
    fn new(summary: ConversationSummary) -> Self {
        let mut view = ConvView {
            known: Vec::new(),
            summary,
            messages: BTreeMap::new(),
            typing: Vec::new(),
            unread: 0,
            queue_position: None,
            earlier: false,
        };
        view.remember_participants();
        view
    }

    fn remember_participants(&mut self) {
        for p in &self.summary.participants {
            match self
                .known
                .iter_mut()
                .find(|k| k.participant == p.participant)
            {
                Some(known) => known.name = p.name.clone(),
                None => self.known.push(p.clone()),
            }
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

    /// Whether `who` takes part in it now.
    pub fn has_member(&self, who: Option<Participant>) -> bool {
        self.summary
            .participants
            .iter()
            .any(|p| Some(p.participant) == who)
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
            ServerMsg::QueuePosition {
                conversation_id,
                position,
            } => {
                self.conversations.update(|all| {
                    if let Some(view) = all.iter_mut().find(|c| c.summary.id == *conversation_id) {
                        view.queue_position = Some(*position);
                    }
                });
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
                Some(view) => {
                    if summary.state != ConversationState::Queued {
                        view.queue_position = None;
                    }
                    view.summary = summary;
                    view.earlier = false;
                    view.remember_participants();
                }
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

    /// Keeps a conversation this client no longer takes part in, to show its
    /// history (answered by `sync`, which a former participant may still ask).
    /// Returns whether it was new here (then sync it from 0).
    pub fn keep_earlier(&self, id: ConversationId) -> bool {
        if self.has(id) {
            return false;
        }
        let summary = ConversationSummary {
            id,
            kind: ConversationKind::Direct,
            state: ConversationState::Closed,
            last_seq: 0,
            participants: Vec::new(),
            owner: None,
            invitations: Vec::new(),
        };
        let mut view = ConvView::new(summary);
        view.earlier = true;
        self.conversations.update(|all| all.insert(0, view));
        true
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
