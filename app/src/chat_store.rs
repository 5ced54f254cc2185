//! The reactive handle on the client's copy of its conversations: one signal
//! around [`Conversations`], which does the work. Readers re-render when a frame
//! changed something there, not for every frame the client gets.
//! [`crate::components::ChatWindow`] shows one conversation of it.

use crate::conversations::{Applied, Conversations, Pending};
use crate::ids::{ConversationId, Participant};
use crate::protocol::{ClientMsg, ServerMsg};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct ChatStore {
    state: RwSignal<Conversations>,
}

impl ChatStore {
    /// `me` is known beforehand for an agent; a visitor learns it from `welcome`.
    pub fn new(me: Option<Participant>) -> Self {
        ChatStore {
            state: RwSignal::new(Conversations::new(me)),
        }
    }

    /// Reads the conversations; a reactive reader runs again when they change.
    pub fn with<R>(&self, read: impl FnOnce(&Conversations) -> R) -> R {
        self.state.with(read)
    }

    pub fn with_untracked<R>(&self, read: impl FnOnce(&Conversations) -> R) -> R {
        self.state.with_untracked(read)
    }

    /// Who this client is, once known (tracked).
    pub fn me(&self) -> Option<Participant> {
        self.with(Conversations::me)
    }

    /// Applies one server frame; readers hear of it only if it changed something.
    pub fn apply(&self, msg: &ServerMsg) -> Applied {
        self.state
            .try_maybe_update(|state| {
                let applied = state.apply(msg);
                (applied.changed, applied)
            })
            .unwrap_or_default()
    }

    /// Keeps a send as pending until its message is seen stored; returns the
    /// frame to send.
    pub fn queue_send(&self, pending: Pending) -> ClientMsg {
        let frame = pending.frame();
        self.state.update(|state| state.queue_send(pending));
        frame
    }

    /// See [`Conversations::keep_earlier`]: whether it was new (sync it from 0).
    pub fn keep_earlier(&self, id: ConversationId) -> bool {
        self.state
            .try_update(|state| state.keep_earlier(id))
            .unwrap_or(false)
    }

    pub fn remove(&self, id: ConversationId) {
        self.state.update(|state| state.remove(id));
    }

    /// See [`Conversations::told_seen`]; nothing shown changes.
    pub fn told_seen(&self, id: ConversationId, seq: u64) {
        self.state
            .update_untracked(|state| state.told_seen(id, seq));
    }

    pub fn mark_read(&self, id: ConversationId) {
        self.state.update(|state| state.mark_read(id));
    }

    pub fn add_unread(&self, id: ConversationId) {
        self.state.update(|state| state.add_unread(id));
    }
}
