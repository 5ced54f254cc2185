//! One client's session with the chat server, the same for the widget and the
//! console: the socket ([`crate::client::Socket`]) and the copy of the
//! conversations ([`ChatStore`]), kept in step.
//!
//! Every server frame goes through the store first; the `sync` requests it asks
//! for are sent at once; then the client's own reactions run (notifications,
//! unread counts, sounds: not here); after a `welcome` the sends not yet stored go
//! again under their own ids. A send refused for good is dropped by the store
//! itself ([`crate::conversations::Conversations::apply`]).

use crate::browser;
use crate::chat_store::ChatStore;
use crate::client::{socket_slot, Socket, SocketStorage};
use crate::conversations::{Applied, Pending};
use crate::ids::{ConversationId, Participant};
use crate::protocol::{ClientMsg, ServerMsg};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct ChatSession {
    pub store: ChatStore,
    socket: StoredValue<Option<Socket>, SocketStorage>,
}

impl ChatSession {
    /// `me` is known beforehand for an agent; a visitor learns it from `welcome`.
    pub fn new(me: Option<Participant>) -> Self {
        ChatSession {
            store: ChatStore::new(me),
            socket: socket_slot(),
        }
    }

    /// Connects to `path` (in the browser; see [`Socket::open`]). `react` hears
    /// every frame after the store took it in, with what it changed there.
    pub fn connect(
        self,
        path: &'static str,
        hello: impl Fn() -> ClientMsg + 'static,
        react: impl Fn(ServerMsg, Applied) + 'static,
        on_connected: impl Fn(bool) + 'static,
    ) {
        let handle = Socket::open(
            path,
            hello,
            move |msg| self.receive(msg, &react),
            on_connected,
        );
        self.socket.set_value(Some(handle));
    }

    fn receive(&self, msg: ServerMsg, react: &impl Fn(ServerMsg, Applied)) {
        let mut applied = self.store.apply(&msg);
        for frame in applied.sync_frames() {
            self.send(frame);
        }
        let resend = std::mem::take(&mut applied.resend);
        react(msg, applied);
        for frame in resend {
            self.send(frame);
        }
    }

    /// Sends a frame if connected; returns whether it was handed to the socket.
    pub fn send(&self, msg: ClientMsg) -> bool {
        self.socket
            .with_value(|s| s.as_ref().is_some_and(|s| s.send(&msg)))
    }

    /// Sends what the reader wrote, shown as pending until it is seen stored (and
    /// sent again after a reconnect). `None` starts the visitor's chat.
    pub fn send_text(&self, conversation_id: Option<ConversationId>, text: String) {
        self.queue(conversation_id, text, false);
    }

    /// An agent's internal note: pending and resent like a message, seen by agents
    /// only.
    pub fn send_note(&self, conversation_id: ConversationId, text: String) {
        self.queue(Some(conversation_id), text, true);
    }

    /// Tells the server the reader has seen `id` up to its newest entry, if that
    /// is further than told before, the reader still takes part in it and the
    /// page is in view.
    pub fn tell_seen(&self, id: ConversationId) {
        if browser::page_hidden() {
            return;
        }
        let next = self.store.with_untracked(|state| {
            state
                .get(id)
                .filter(|v| v.has_member(state.me()))
                .and_then(|v| v.to_tell_seen())
        });
        if let Some(seq) = next {
            if self.send(ClientMsg::Seen {
                conversation_id: id,
                seq,
            }) {
                self.store.told_seen(id, seq);
            }
        }
    }

    fn queue(&self, conversation_id: Option<ConversationId>, text: String, note: bool) {
        let frame = self.store.queue_send(Pending {
            id: browser::new_message_id(),
            conversation_id,
            text,
            note,
        });
        self.send(frame);
    }
}
