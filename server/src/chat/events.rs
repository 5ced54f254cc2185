//! What changed, as the rest of the server hears of it.
//!
//! Every mutation of the store returns [`Changed`]: the events it caused, in the
//! order they happened, and the conversation's participants who must hear of them.
//! The service adds the events of presence (who is on the site, which agents are
//! available). [`super::announce`] is the one place that turns an event into frames
//! and decides their audience; nothing else publishes.

use app::ids::{ConversationId, Participant, VisitorId};
use app::protocol::{
    AgentInfo, Author, ChatMessage, ConversationSummary, InvitationInfo, OfflineMessage, QueueItem,
    Rating, SeenBy,
};

/// One change, independent of who hears of it.
// Events are made per request and announced at once, never kept in bulk.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// An entry of a conversation's sequence, with the visibility it was stored with.
    Entry {
        conversation_id: ConversationId,
        entry: ChatMessage,
    },
    /// A conversation's state, participants, owner or pending invitations changed.
    Conversation(ConversationSummary),
    /// An invitation was made or changed state.
    Invitation(InvitationInfo),
    /// A visitor's chat waits in the queue.
    QueueAdded(QueueItem),
    /// A chat left the queue (taken, or closed while waiting).
    QueueRemoved(ConversationId),
    /// A waiting chat's place in the queue.
    QueuePosition {
        conversation_id: ConversationId,
        visitor_id: VisitorId,
        position: u32,
    },
    /// Someone started or stopped typing in a conversation.
    Typing {
        conversation_id: ConversationId,
        author: Author,
        typing: bool,
    },
    /// An agent's effective status or name changed.
    Agent(AgentInfo),
    /// The list of agent accounts changed (added, removed).
    Agents(Vec<AgentInfo>),
    /// Whether visitors can chat, or in which departments not, changed.
    AgentsAvailable(super::availability::Availability),
    OfflineMessageReceived(OfflineMessage),
    OfflineMessageUpdated(OfflineMessage),
    /// A visitor rated a conversation.
    Rated(Rating),
    /// Someone in a conversation read further (a read receipt).
    Seen {
        conversation_id: ConversationId,
        seen: SeenBy,
    },
}

/// What a mutation did: its events, in order, and the participants of the
/// conversation it touched who must hear of them (for a leave, the leaver too).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changed {
    pub events: Vec<Event>,
    pub recipients: Vec<Participant>,
}

impl Event {
    /// Each of a conversation's new entries, in order, as events.
    pub fn entries(
        conversation_id: ConversationId,
        entries: Vec<ChatMessage>,
    ) -> impl Iterator<Item = Event> {
        entries.into_iter().map(move |entry| Event::Entry {
            conversation_id,
            entry,
        })
    }
}

impl Changed {
    /// Nothing happened (an idempotent resend, for example).
    pub fn nothing() -> Self {
        Self::default()
    }

    /// Events with no conversation audience (presence, the agents' lists).
    pub fn of(events: Vec<Event>) -> Self {
        Self {
            events,
            recipients: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The entries among the events, in order.
    pub fn entries(&self) -> impl Iterator<Item = &ChatMessage> {
        self.events.iter().filter_map(|event| match event {
            Event::Entry { entry, .. } => Some(entry),
            _ => None,
        })
    }

    /// The conversation summary among the events, if any (the last one).
    pub fn conversation(&self) -> Option<&ConversationSummary> {
        self.events.iter().rev().find_map(|event| match event {
            Event::Conversation(summary) => Some(summary),
            _ => None,
        })
    }

    /// The invitations among the events, in order.
    pub fn invitations(&self) -> impl Iterator<Item = &InvitationInfo> {
        self.events.iter().filter_map(|event| match event {
            Event::Invitation(invitation) => Some(invitation),
            _ => None,
        })
    }

    /// What inviting announces: the conversation (with its pending invitations),
    /// the notices, then each invitation to its invitee.
    pub fn invited(
        conversation: ConversationSummary,
        entries: Vec<ChatMessage>,
        invitations: &[InvitationInfo],
    ) -> Self {
        let id = conversation.id;
        let recipients = conversation
            .participants
            .iter()
            .map(|p| p.participant)
            .collect();
        let mut events = vec![Event::Conversation(conversation)];
        events.extend(Event::entries(id, entries));
        events.extend(invitations.iter().cloned().map(Event::Invitation));
        Self { events, recipients }
    }
}
