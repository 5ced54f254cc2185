//! The one place that decides who hears of a change, and the one place that
//! publishes.
//!
//! [`audience`] maps each [`Event`] and the recipients its mutation named to the
//! people who get a frame. An entry carries its visibility into the envelope, and
//! the router drops it for every connection the visibility does not admit, so live
//! delivery filters by the same rule as `sync` and history (which the store
//! filters). Every publish of the chat service goes through [`ChatService::announce`].

use super::events::{Changed, Event};
use super::ChatService;
use crate::routing::{Audience, Entry, Envelope};
use app::ids::Participant;
use app::protocol::ServerMsg;

/// Who hears of `event`, given the conversation's `recipients`.
pub fn audience(event: &Event, recipients: &[Participant]) -> Audience {
    match event {
        // A conversation's own news: its participants (the leaver too, for a leave).
        Event::Entry { .. }
        | Event::Conversation(_)
        | Event::Typing { .. }
        | Event::Seen { .. } => Audience::Participants(recipients.to_vec()),
        // An invitation: the one invited.
        Event::Invitation(invitation) => Audience::Participants(vec![invitation.invitee]),
        // A place in the queue: the visitor waiting.
        Event::QueuePosition { visitor_id, .. } => {
            Audience::Participants(vec![Participant::Visitor(*visitor_id)])
        }
        // What consoles show: every agent.
        Event::QueueAdded(_)
        | Event::QueueRemoved(_)
        | Event::Agent(_)
        | Event::Agents(_)
        | Event::OfflineMessageReceived(_)
        | Event::OfflineMessageUpdated(_)
        | Event::Rated(_) => Audience::Agents,
        // Whether to offer a chat or the leave-a-message form: every widget.
        Event::AgentsAvailable(_) => Audience::Visitors,
    }
}

/// The frame that tells of `event`.
pub fn frame(event: Event) -> ServerMsg {
    match event {
        Event::Entry {
            conversation_id,
            entry,
        } => ServerMsg::Message {
            conversation_id,
            message: entry,
        },
        Event::Conversation(conversation) => ServerMsg::Conversation { conversation },
        Event::Invitation(invitation) => ServerMsg::Invitation { invitation },
        Event::QueueAdded(item) => ServerMsg::QueueAdded { item },
        Event::QueueRemoved(conversation_id) => ServerMsg::QueueRemoved { conversation_id },
        Event::QueuePosition {
            conversation_id,
            position,
            ..
        } => ServerMsg::QueuePosition {
            conversation_id,
            position,
        },
        Event::Typing {
            conversation_id,
            author,
            typing,
        } => ServerMsg::Typing {
            conversation_id,
            author,
            typing,
        },
        Event::Agent(agent) => ServerMsg::AgentUpdated { agent },
        Event::Agents(agents) => ServerMsg::Agents { agents },
        Event::AgentsAvailable(now) => ServerMsg::AgentsAvailable {
            available: now.available,
            away: now.away,
        },
        Event::OfflineMessageReceived(message) => ServerMsg::OfflineMessageReceived { message },
        Event::OfflineMessageUpdated(message) => ServerMsg::OfflineMessageUpdated { message },
        Event::Rated(rating) => ServerMsg::Rated { rating },
        Event::Seen {
            conversation_id,
            seen,
        } => ServerMsg::Seen {
            conversation_id,
            seen,
        },
    }
}

/// The envelope for `event`: serialised once, with the entry's place in its
/// conversation's sequence and its visibility.
pub fn envelope(event: Event, recipients: &[Participant]) -> Envelope {
    let audience = audience(&event, recipients);
    let entry = match &event {
        Event::Entry {
            conversation_id,
            entry,
        } => Some(Entry {
            conversation: *conversation_id,
            seq: entry.seq,
            visibility: entry.visibility,
        }),
        _ => None,
    };
    Envelope {
        audience,
        payload: super::encode(&frame(event)),
        entry,
        control: None,
    }
}

impl ChatService {
    /// Publishes every event of `changed`, in order.
    pub(super) fn announce(&self, changed: Changed) {
        let Changed { events, recipients } = changed;
        if !events.is_empty()
            && self
                .webhooks_wanted
                .load(std::sync::atomic::Ordering::Relaxed)
        {
            self.committed.notify_one();
        }
        for event in events {
            // Each node works out availability for its own widgets
            // (`chat::availability`).
            if matches!(event, Event::AgentsAvailable(_)) {
                self.announce_here(event);
                continue;
            }
            self.broker.publish(envelope(event, &recipients));
        }
    }

    /// Publishes one event with no conversation audience.
    pub(super) fn announce_one(&self, event: Event) {
        self.announce(Changed::of(vec![event]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::ids::{AgentId, ConversationId, MessageId, VisitorId};
    use app::protocol::{Body, ChatMessage, Visibility};
    use uuid::Uuid;

    #[test]
    fn an_entry_goes_to_the_conversation_with_its_visibility() {
        let visitor = Participant::Visitor(VisitorId(Uuid::new_v4()));
        let agent = Participant::Agent(AgentId(Uuid::new_v4()));
        let conversation_id = ConversationId(Uuid::new_v4());
        let note = Event::Entry {
            conversation_id,
            entry: ChatMessage {
                seq: 7,
                id: MessageId(Uuid::new_v4()),
                author: None,
                body: Body::Text { text: "n".into() },
                at_ms: 0,
                visibility: Visibility::Agents,
                file: None,
            },
        };
        let envelope = envelope(note, &[visitor, agent]);
        assert_eq!(
            envelope.audience,
            Audience::Participants(vec![visitor, agent])
        );
        assert_eq!(
            envelope.entry,
            Some(Entry {
                conversation: conversation_id,
                seq: 7,
                visibility: Visibility::Agents,
            })
        );
    }

    #[test]
    fn queue_news_goes_to_agents_and_availability_to_visitors() {
        let conversation_id = ConversationId(Uuid::new_v4());
        assert_eq!(
            audience(&Event::QueueRemoved(conversation_id), &[]),
            Audience::Agents
        );
        assert_eq!(
            audience(&Event::AgentsAvailable(Default::default()), &[]),
            Audience::Visitors
        );
    }
}
