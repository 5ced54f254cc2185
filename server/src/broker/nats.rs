//! Fan-out between nodes over core NATS (`CHAT_NATS_URL`).
//!
//! Every node publishes every envelope once, on one subject (`<prefix>.fanout`),
//! and every node subscribes to it; each router then delivers to the connections
//! it holds and drops the rest. One subject rather than one per conversation (as
//! `../shared/SCALE-OUT.md` §4 sketches) costs each node a look at every envelope
//! of the cluster, which is small at the node counts one company runs, and removes
//! a whole class of bugs: a node is never "not yet subscribed" to a conversation
//! when a member's connection arrives, so there is no subscribe-before-sync race,
//! and no subscription churn. See `docs/deploy.md`.
//!
//! The payload is the frame's JSON, as the publisher serialised it; the rest of the
//! envelope travels in headers: `Chat-Audience` (`agents`, `visitors`, or the
//! participants, `v:<uuid>` / `a:<uuid>` separated by commas), `Chat-Entry`
//! (`<conversation>/<seq>/<visibility>`) for an entry of a conversation's
//! sequence, and `Chat-Control: cut`.
//!
//! Core NATS delivers at most once. A node delivers to its own connections first,
//! so a message reaches the members on its node whatever NATS does; entries lost on
//! the way to other nodes are repaired from the store: the next entry shows the
//! gap, and every loss NATS reports (a reconnect, a slow consumer) and a periodic
//! head check ([`Broker::losses`]) repair lost tails.

use super::Broker;
use crate::routing::{Audience, Control, Entry, Envelope, Router};
use app::ids::{AgentId, ConversationId, Participant, VisitorId};
use app::protocol::Visibility;
use async_nats::header::HeaderMap;
use bytes::Bytes;
use futures::StreamExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, Notify};
use uuid::Uuid;

const AUDIENCE: &str = "Chat-Audience";
const ENTRY: &str = "Chat-Entry";
const CONTROL: &str = "Chat-Control";

/// Envelopes waiting for the NATS connection before new ones are dropped (and
/// repaired from the store by the receivers).
const OUTGOING_CAPACITY: usize = 65_536;

pub struct NatsBroker {
    router: Arc<Router>,
    outgoing: mpsc::Sender<(HeaderMap, Bytes)>,
    losses: Arc<Notify>,
    dropped: AtomicU64,
}

impl NatsBroker {
    /// Connects to `url` and starts publishing and receiving on `<prefix>.fanout`.
    /// A server that is down at start is retried in the background: the node
    /// serves its own connections meanwhile.
    pub async fn connect(
        url: &str,
        prefix: &str,
        router: Arc<Router>,
    ) -> Result<Arc<NatsBroker>, String> {
        let losses = Arc::new(Notify::new());
        let on_event = Arc::clone(&losses);
        let client = async_nats::ConnectOptions::new()
            // A node never hears its own envelopes back: it delivered them already.
            .no_echo()
            .retry_on_initial_connect()
            .max_reconnects(None)
            .event_callback(move |event| {
                let losses = Arc::clone(&on_event);
                async move {
                    match event {
                        // Whatever was published while disconnected is lost to us.
                        async_nats::Event::Connected | async_nats::Event::SlowConsumer(_) => {
                            tracing::info!(%event, "NATS: repairing from the store");
                            losses.notify_one();
                        }
                        async_nats::Event::Disconnected => {
                            tracing::warn!("NATS disconnected; serving this node's connections")
                        }
                        other => tracing::info!(event = %other, "NATS"),
                    }
                }
            })
            .connect(url)
            .await
            .map_err(|e| format!("NATS at '{url}': {e}"))?;
        let subject = format!("{prefix}.fanout");
        let mut incoming = client
            .subscribe(subject.clone())
            .await
            .map_err(|e| format!("subscribing to '{subject}' on NATS: {e}"))?;
        let (outgoing, mut to_send) = mpsc::channel::<(HeaderMap, Bytes)>(OUTGOING_CAPACITY);
        // One task publishes, in order: NATS keeps order per publisher.
        let publisher = client.clone();
        let out_subject = subject.clone();
        tokio::spawn(async move {
            while let Some((headers, payload)) = to_send.recv().await {
                if let Err(err) = publisher
                    .publish_with_headers(out_subject.clone(), headers, payload)
                    .await
                {
                    tracing::warn!(%err, "NATS publish failed; other nodes repair from the store");
                }
            }
        });
        let receiver = Arc::clone(&router);
        tokio::spawn(async move {
            while let Some(message) = incoming.next().await {
                match decode(message.headers.as_ref(), message.payload) {
                    Ok(envelope) => receiver.deliver(&envelope),
                    Err(err) => tracing::warn!(%err, "an unreadable envelope from NATS"),
                }
            }
            tracing::warn!("the NATS subscription ended");
        });
        Ok(Arc::new(NatsBroker {
            router,
            outgoing,
            losses,
            dropped: AtomicU64::new(0),
        }))
    }
}

impl Broker for NatsBroker {
    fn publish(&self, envelope: Envelope) {
        self.router.deliver(&envelope);
        // Answers to one connection never leave the node.
        if matches!(envelope.audience, Audience::Connection(_)) {
            return;
        }
        let headers = encode(&envelope);
        if self.outgoing.try_send((headers, envelope.payload)).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "NATS is not keeping up; envelopes dropped");
            }
        }
    }

    fn losses(&self) -> Option<Arc<Notify>> {
        Some(Arc::clone(&self.losses))
    }
}

fn participant_tag(participant: Participant) -> String {
    match participant {
        Participant::Visitor(VisitorId(id)) => format!("v:{id}"),
        Participant::Agent(AgentId(id)) => format!("a:{id}"),
    }
}

fn encode(envelope: &Envelope) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let audience = match &envelope.audience {
        Audience::Agents => "agents".to_owned(),
        Audience::Visitors => "visitors".to_owned(),
        Audience::Participants(participants) => participants
            .iter()
            .map(|p| participant_tag(*p))
            .collect::<Vec<_>>()
            .join(","),
        Audience::Connection(_) => unreachable!("answers stay on their node"),
    };
    headers.insert(AUDIENCE, audience.as_str());
    if let Some(entry) = envelope.entry {
        let value = format!(
            "{}/{}/{}",
            entry.conversation.0,
            entry.seq,
            entry.visibility.as_str()
        );
        headers.insert(ENTRY, value.as_str());
    }
    if envelope.control == Some(Control::Cut) {
        headers.insert(CONTROL, "cut");
    }
    headers
}

fn decode(headers: Option<&HeaderMap>, payload: Bytes) -> Result<Envelope, String> {
    let headers = headers.ok_or("no headers")?;
    let header = |name: &str| headers.get(name).map(|v| v.as_str());
    let audience = match header(AUDIENCE).ok_or("no audience")? {
        "agents" => Audience::Agents,
        "visitors" => Audience::Visitors,
        "" => Audience::Participants(Vec::new()),
        list => Audience::Participants(
            list.split(',')
                .map(parse_participant)
                .collect::<Result<_, _>>()?,
        ),
    };
    let entry = header(ENTRY).map(parse_entry).transpose()?;
    let control = match header(CONTROL) {
        None => None,
        Some("cut") => Some(Control::Cut),
        Some(other) => return Err(format!("unknown control '{other}'")),
    };
    Ok(Envelope {
        audience,
        payload,
        entry,
        control,
    })
}

fn parse_participant(tag: &str) -> Result<Participant, String> {
    let uuid = |s: &str| Uuid::parse_str(s).map_err(|e| format!("participant '{tag}': {e}"));
    match tag.split_once(':') {
        Some(("v", id)) => Ok(Participant::Visitor(VisitorId(uuid(id)?))),
        Some(("a", id)) => Ok(Participant::Agent(AgentId(uuid(id)?))),
        _ => Err(format!("participant '{tag}'")),
    }
}

fn parse_entry(value: &str) -> Result<Entry, String> {
    let mut parts = value.split('/');
    let (Some(conversation), Some(seq), Some(visibility), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("entry '{value}'"));
    };
    Ok(Entry {
        conversation: ConversationId(
            Uuid::parse_str(conversation).map_err(|e| format!("entry '{value}': {e}"))?,
        ),
        seq: seq.parse().map_err(|e| format!("entry '{value}': {e}"))?,
        visibility: match visibility {
            "everyone" => Visibility::Everyone,
            "agents" => Visibility::Agents,
            other => return Err(format!("entry visibility '{other}'")),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_envelope_crosses_as_it_left() {
        let visitor = Participant::Visitor(VisitorId(Uuid::new_v4()));
        let agent = Participant::Agent(AgentId(Uuid::new_v4()));
        let entry = Entry {
            conversation: ConversationId(Uuid::new_v4()),
            seq: 42,
            visibility: Visibility::Agents,
        };
        let payload = Bytes::from_static(br#"{"type":"message"}"#);
        let cases = [
            Envelope::frame(Audience::Agents, payload.clone()),
            Envelope::frame(Audience::Visitors, payload.clone()),
            Envelope {
                entry: Some(entry),
                ..Envelope::frame(
                    Audience::Participants(vec![visitor, agent]),
                    payload.clone(),
                )
            },
            Envelope::cut(agent),
        ];
        for envelope in cases {
            let back = decode(Some(&encode(&envelope)), envelope.payload.clone()).unwrap();
            assert_eq!(back.audience, envelope.audience);
            assert_eq!(back.entry, envelope.entry);
            assert_eq!(back.control, envelope.control);
            assert_eq!(back.payload, envelope.payload);
        }
    }

    #[test]
    fn forged_or_broken_headers_are_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(AUDIENCE, "x:1");
        assert!(decode(Some(&headers), Bytes::new()).is_err());
        let mut headers = HeaderMap::new();
        headers.insert(AUDIENCE, "agents");
        headers.insert(ENTRY, "not-a-uuid/1/everyone");
        assert!(decode(Some(&headers), Bytes::new()).is_err());
        assert!(decode(None, Bytes::new()).is_err());
    }
}
