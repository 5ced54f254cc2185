//! Which changes become webhook events, and what each one says. Pure: every
//! store backend calls [`outbox_events`] on the [`Changed`] of a mutation,
//! inside that mutation's transaction, and writes what it returns to its
//! outbox, so that an event exists exactly when its change was committed.

use crate::chat::events::{Changed, Event};
use crate::resources::{ConversationNow, InvitationView, Message, OfflineMessageView, RatingView};
use app::protocol::{Body, InvitationState, Notice};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

/// Every event an endpoint may subscribe to (one list, shared with the console).
pub use app::api::WEBHOOK_EVENTS as EVENT_NAMES;

/// Whether `name` is one of [`EVENT_NAMES`].
pub fn is_event_name(name: &str) -> bool {
    EVENT_NAMES.contains(&name)
}

/// One event as the outbox keeps it, its body as delivered.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxEvent {
    /// Sent as `X-Chat-Event-Id`: the same on every attempt, for idempotency.
    pub id: Uuid,
    pub name: &'static str,
    /// The JSON body: `{"id", "event", "created_at_ms", "data"}`.
    pub body: String,
    pub at_ms: i64,
}

fn new_event(name: &'static str, at_ms: i64, data: Value) -> OutboxEvent {
    // Version 7: ordered by creation within the process, so events of the
    // same millisecond are delivered in the order they happened.
    let id = Uuid::now_v7();
    let body = json!({
        "id": id,
        "event": name,
        "created_at_ms": at_ms,
        "data": data,
    });
    OutboxEvent {
        id,
        name,
        body: body.to_string(),
        at_ms,
    }
}

fn value(resource: impl Serialize) -> Value {
    // Resources hold only strings, numbers and ids: serialising cannot fail.
    serde_json::to_value(resource).expect("resources serialise")
}

/// Whether `changed` may cause any event at all: a cheap test, so that a
/// store reads its endpoints only when it has to.
pub fn may_cause_events(changed: &Changed) -> bool {
    changed.events.iter().any(|event| {
        matches!(
            event,
            Event::Entry { .. }
                | Event::Invitation(_)
                | Event::OfflineMessageReceived(_)
                | Event::Rated(_)
        )
    })
}

/// The webhook events a committed change causes, in the order it happened,
/// of those `wanted` (subscribed to by some endpoint): the others' bodies are
/// never made.
pub fn outbox_events(
    changed: &Changed,
    at_ms: i64,
    wanted: impl Fn(&str) -> bool,
) -> Vec<OutboxEvent> {
    let conversation = || changed.conversation().map(ConversationNow::from);
    let mut events = Vec::new();
    let mut event = |name: &'static str, data: &dyn Fn() -> Value| {
        if wanted(name) {
            events.push(new_event(name, at_ms, data()));
        }
    };
    for change in &changed.events {
        match change {
            Event::Entry {
                conversation_id,
                entry,
            } => {
                // Seq 1 is written once, by the change that makes the conversation.
                if entry.seq == 1 {
                    event(
                        "conversation.created",
                        &|| json!({ "conversation_id": conversation_id, "conversation": conversation() }),
                    );
                }
                match &entry.body {
                    Body::Text { .. } => event("message.created", &|| {
                        json!({
                            "conversation_id": conversation_id,
                            "message": value(Message::from(entry.clone())),
                        })
                    }),
                    Body::Notice(Notice::Closed) => event(
                        "conversation.closed",
                        &|| json!({ "conversation_id": conversation_id, "conversation": conversation() }),
                    ),
                    Body::Notice(Notice::Transferred { name, to }) => {
                        event("conversation.transferred", &|| {
                            json!({
                                "conversation_id": conversation_id,
                                "from_name": name,
                                "to_name": to,
                                "conversation": conversation(),
                            })
                        })
                    }
                    Body::Notice(_) => {}
                }
            }
            Event::Invitation(invitation) => {
                let name = match invitation.state {
                    InvitationState::Accepted | InvitationState::Declined => "invitation.answered",
                    InvitationState::Expired => "invitation.expired",
                    InvitationState::Pending => continue,
                };
                event(
                    name,
                    &|| json!({ "invitation": value(InvitationView::from(invitation)) }),
                );
            }
            Event::OfflineMessageReceived(message) => event(
                "offline_message.created",
                &|| json!({ "offline_message": value(OfflineMessageView::from(message.clone())) }),
            ),
            Event::Rated(rating) => event(
                "rating.created",
                &|| json!({ "rating": value(RatingView::from(rating.clone())) }),
            ),
            _ => {}
        }
    }
    events
}

/// Which of `events` an endpoint subscribed to `subscribed` receives.
pub fn subscribes(subscribed: &str, name: &str) -> bool {
    subscribed.split(',').any(|event| event.trim() == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::ids::{ConversationId, MessageId, VisitorId};
    use app::protocol::{Author, ChatMessage, Rating, Visibility};

    fn entry(seq: u64, body: Body) -> Event {
        Event::Entry {
            conversation_id: ConversationId(Uuid::nil()),
            entry: ChatMessage {
                seq,
                id: MessageId(Uuid::new_v4()),
                author: Some(Author {
                    participant: app::ids::Participant::Visitor(VisitorId(Uuid::nil())),
                    name: "Amy".into(),
                }),
                body,
                at_ms: 5,
                visibility: Visibility::Everyone,
                file: None,
            },
        }
    }

    fn names(changed: Changed) -> Vec<&'static str> {
        outbox_events(&changed, 9, |_| true)
            .iter()
            .map(|e| e.name)
            .collect()
    }

    #[test]
    fn each_change_of_interest_is_one_event_and_the_rest_none() {
        let text = || Body::Text { text: "hi".into() };
        assert_eq!(
            names(Changed::of(vec![entry(1, text())])),
            ["conversation.created", "message.created"]
        );
        assert_eq!(
            names(Changed::of(vec![entry(7, text())])),
            ["message.created"]
        );
        assert_eq!(
            names(Changed::of(vec![
                entry(8, Body::Notice(Notice::Left { name: "Ann".into() })),
                entry(9, Body::Notice(Notice::Closed)),
            ])),
            ["conversation.closed"]
        );
        assert_eq!(
            names(Changed::of(vec![entry(
                4,
                Body::Notice(Notice::Transferred {
                    name: "Ann".into(),
                    to: "Bob".into()
                })
            )])),
            ["conversation.transferred"]
        );
        let rated = Event::Rated(Rating {
            conversation_id: ConversationId(Uuid::nil()),
            visitor_id: VisitorId(Uuid::nil()),
            visitor_name: "Amy".into(),
            good: true,
            comment: String::new(),
            at_ms: 3,
        });
        assert_eq!(names(Changed::of(vec![rated])), ["rating.created"]);
        assert!(names(Changed::nothing()).is_empty());
        assert!(names(Changed::of(vec![
            Event::AgentsAvailable(Default::default())
        ]))
        .is_empty());
    }

    #[test]
    fn a_body_names_its_event_and_id_and_carries_the_resource() {
        let events = outbox_events(
            &Changed::of(vec![entry(3, Body::Text { text: "hi".into() })]),
            42,
            |_| true,
        );
        let body: Value = serde_json::from_str(&events[0].body).unwrap();
        assert_eq!(body["event"], "message.created");
        assert_eq!(body["id"], events[0].id.to_string());
        assert_eq!(body["created_at_ms"], 42);
        assert_eq!(body["data"]["message"]["text"], "hi");
        assert_eq!(body["data"]["message"]["seq"], 3);
    }

    #[test]
    fn only_the_events_wanted_are_made() {
        let changed = Changed::of(vec![entry(1, Body::Text { text: "hi".into() })]);
        let made = outbox_events(&changed, 1, |name| name == "message.created");
        assert_eq!(
            made.iter().map(|e| e.name).collect::<Vec<_>>(),
            ["message.created"]
        );
        assert!(outbox_events(&changed, 1, |_| false).is_empty());
        assert!(may_cause_events(&changed));
        assert!(!may_cause_events(&Changed::of(vec![
            Event::AgentsAvailable(Default::default())
        ])));
    }

    #[test]
    fn subscriptions_are_a_list_of_names() {
        assert!(subscribes(
            "message.created,rating.created",
            "rating.created"
        ));
        assert!(!subscribes("message.created", "message"));
        assert!(EVENT_NAMES.iter().all(|name| is_event_name(name)));
    }
}
