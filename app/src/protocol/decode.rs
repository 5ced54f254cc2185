//! Reading the enums that carry their tag inside the object (`{"type": "ack",
//! ...}`), by hand: each is read as one flat record of its possible fields, then
//! built from the tag. The JSON is exactly what the derived `Serialize` writes;
//! what this saves is serde's derived reader for such enums, which first buffers
//! the whole object in a generic tree and then reads every variant from it (a
//! fifth of the widget's WebAssembly).
//!
//! The frames only agents get (the visitor list, the team, the queue, offline
//! messages) are read by [`agent_frame`], which the widget's WebAssembly leaves
//! out: a widget is never sent them, and their readers were some KiB of every
//! visitor's first load. The console (feature `agent-frames`) and everything
//! built without `hydrate` (the server, its tests) read them.
//!
//! Adding a variant means adding its tag and fields here: the round-trip test
//! below covers every variant (its list is checked to be complete by a match).

use super::*;
use serde::de::{self, Deserializer};
use serde_json::value::RawValue;

/// A field the tag requires.
fn need<T, E: de::Error>(value: Option<T>, field: &'static str) -> Result<T, E> {
    value.ok_or_else(|| E::missing_field(field))
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum NoticeTag {
    Joined,
    Left,
    Invited,
    Declined,
    InvitationExpired,
    OwnerChanged,
    MovedToGroup,
    Transferred,
    Requeued,
    Closed,
    Deleted,
}

fn notice<E: de::Error>(
    tag: NoticeTag,
    name: Option<String>,
    to: Option<String>,
) -> Result<Notice, E> {
    let name = || need(name.clone(), "name");
    Ok(match tag {
        NoticeTag::Joined => Notice::Joined { name: name()? },
        NoticeTag::Left => Notice::Left { name: name()? },
        NoticeTag::Invited => Notice::Invited { name: name()? },
        NoticeTag::Declined => Notice::Declined { name: name()? },
        NoticeTag::InvitationExpired => Notice::InvitationExpired { name: name()? },
        NoticeTag::OwnerChanged => Notice::OwnerChanged { name: name()? },
        NoticeTag::MovedToGroup => Notice::MovedToGroup { name: name()? },
        NoticeTag::Transferred => Notice::Transferred {
            name: name()?,
            to: need(to, "to")?,
        },
        NoticeTag::Requeued => Notice::Requeued { name: name()? },
        NoticeTag::Closed => Notice::Closed,
        NoticeTag::Deleted => Notice::Deleted,
    })
}

impl<'de> Deserialize<'de> for Notice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Flat {
            notice: NoticeTag,
            name: Option<String>,
            to: Option<String>,
        }
        let flat = Flat::deserialize(d)?;
        notice(flat.notice, flat.name, flat.to)
    }
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Kind {
            Text,
            Notice,
        }
        #[derive(Deserialize)]
        struct Flat {
            kind: Kind,
            text: Option<String>,
            notice: Option<NoticeTag>,
            name: Option<String>,
            to: Option<String>,
        }
        let flat = Flat::deserialize(d)?;
        Ok(match flat.kind {
            Kind::Text => Body::Text {
                text: need(flat.text, "text")?,
            },
            Kind::Notice => Body::Notice(notice(need(flat.notice, "notice")?, flat.name, flat.to)?),
        })
    }
}

impl<'de> Deserialize<'de> for Me {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Kind {
            Visitor,
            Agent,
        }
        #[derive(Deserialize)]
        struct Flat {
            kind: Kind,
            id: uuid::Uuid,
            name: String,
            username: Option<String>,
            role: Option<AgentRole>,
            status: Option<AgentStatus>,
        }
        let flat = Flat::deserialize(d)?;
        Ok(match flat.kind {
            Kind::Visitor => Me::Visitor {
                id: VisitorId(flat.id),
                name: flat.name,
            },
            Kind::Agent => Me::Agent {
                id: AgentId(flat.id),
                username: need(flat.username, "username")?,
                name: flat.name,
                role: need(flat.role, "role")?,
                status: need(flat.status, "status")?,
            },
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ServerTag {
    Welcome,
    Ack,
    Message,
    History,
    Conversation,
    Typing,
    AgentsAvailable,
    Visitors,
    VisitorUpdated,
    VisitorLeft,
    VisitorTotals,
    Agents,
    AgentUpdated,
    Queue,
    QueueAdded,
    QueueRemoved,
    OfflineMessageReceived,
    OfflineMessageUpdated,
    Rated,
    Seen,
    Transcript,
    TranscriptEmailed,
    FileLink,
    QueuePosition,
    Invitation,
    OfflineMessageStored,
    NameChanged,
    Reset,
    Error,
}

/// Every field any server message has. `message` is a chat entry in `message`
/// frames and an offline message in the `offline_message_*` ones, so it is kept
/// as raw JSON until the tag says which; so are the records only agents get,
/// read by [`agent_frame`].
#[derive(Deserialize)]
// The widget's build reads none of the agents' records (see `agent_frame`).
#[cfg_attr(
    not(any(feature = "agent-frames", not(feature = "hydrate"))),
    allow(dead_code)
)]
struct ServerFlat {
    #[serde(rename = "type")]
    tag: ServerTag,
    me: Option<Me>,
    conversations: Option<Vec<ConversationSummary>>,
    agents_available: Option<bool>,
    email_transcripts: Option<bool>,
    #[serde(default)]
    away: Vec<AwayDepartment>,
    email: Option<String>,
    client_msg_id: Option<MessageId>,
    conversation_id: Option<ConversationId>,
    seq: Option<u64>,
    message: Option<Box<RawValue>>,
    messages: Option<Vec<ChatMessage>>,
    more: Option<bool>,
    conversation: Option<ConversationSummary>,
    author: Option<Author>,
    typing: Option<bool>,
    available: Option<bool>,
    visitors: Option<Box<RawValue>>,
    visitor: Option<Box<RawValue>>,
    visitor_id: Option<VisitorId>,
    on_site: Option<u32>,
    matching: Option<u32>,
    gone: Option<bool>,
    agents: Option<Box<RawValue>>,
    agent: Option<Box<RawValue>>,
    items: Option<Box<RawValue>>,
    item: Option<Box<RawValue>>,
    position: Option<u32>,
    invitation: Option<InvitationInfo>,
    rating: Option<Rating>,
    seen: Option<SeenBy>,
    text: Option<String>,
    file_id: Option<FileId>,
    url: Option<String>,
    name: Option<String>,
    code: Option<ErrorCode>,
}

/// The raw field `field` read as `T`.
fn raw_as<T: for<'a> Deserialize<'a>, E: de::Error>(
    raw: Option<Box<RawValue>>,
    field: &'static str,
) -> Result<T, E> {
    let raw = need(raw, field)?;
    serde_json::from_str(raw.get()).map_err(E::custom)
}

/// A frame only agents get.
#[cfg(any(feature = "agent-frames", not(feature = "hydrate")))]
fn agent_frame<E: de::Error>(f: ServerFlat) -> Result<ServerMsg, E> {
    Ok(match f.tag {
        ServerTag::Visitors => ServerMsg::Visitors {
            visitors: raw_as(f.visitors, "visitors")?,
            on_site: need(f.on_site, "on_site")?,
            matching: need(f.matching, "matching")?,
        },
        ServerTag::VisitorUpdated => ServerMsg::VisitorUpdated {
            visitor: raw_as(f.visitor, "visitor")?,
        },
        ServerTag::VisitorLeft => ServerMsg::VisitorLeft {
            visitor_id: need(f.visitor_id, "visitor_id")?,
            gone: f.gone.unwrap_or(false),
        },
        ServerTag::VisitorTotals => ServerMsg::VisitorTotals {
            on_site: need(f.on_site, "on_site")?,
            matching: need(f.matching, "matching")?,
        },
        ServerTag::Agents => ServerMsg::Agents {
            agents: raw_as(f.agents, "agents")?,
        },
        ServerTag::AgentUpdated => ServerMsg::AgentUpdated {
            agent: raw_as(f.agent, "agent")?,
        },
        ServerTag::Queue => ServerMsg::Queue {
            items: raw_as(f.items, "items")?,
        },
        ServerTag::QueueAdded => ServerMsg::QueueAdded {
            item: raw_as(f.item, "item")?,
        },
        ServerTag::QueueRemoved => ServerMsg::QueueRemoved {
            conversation_id: need(f.conversation_id, "conversation_id")?,
        },
        ServerTag::OfflineMessageReceived => ServerMsg::OfflineMessageReceived {
            message: raw_as(f.message, "message")?,
        },
        ServerTag::OfflineMessageUpdated => ServerMsg::OfflineMessageUpdated {
            message: raw_as(f.message, "message")?,
        },
        other => return Err(E::custom(format_args!("{other:?} is not an agents' frame"))),
    })
}

/// A frame only agents get, in the widget: refused like an unknown one.
#[cfg(not(any(feature = "agent-frames", not(feature = "hydrate"))))]
fn agent_frame<E: de::Error>(_: ServerFlat) -> Result<ServerMsg, E> {
    Err(E::custom("a frame for agents only"))
}

impl<'de> Deserialize<'de> for ServerMsg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = ServerFlat::deserialize(d)?;
        let id = f.conversation_id;
        let conversation_id = || need(id, "conversation_id");
        Ok(match f.tag {
            ServerTag::Welcome => ServerMsg::Welcome {
                me: need(f.me, "me")?,
                conversations: need(f.conversations, "conversations")?,
                agents_available: need(f.agents_available, "agents_available")?,
                email_transcripts: f.email_transcripts.unwrap_or(false),
                away: f.away,
            },
            ServerTag::Ack => ServerMsg::Ack {
                client_msg_id: need(f.client_msg_id, "client_msg_id")?,
                conversation_id: conversation_id()?,
                seq: need(f.seq, "seq")?,
            },
            ServerTag::Message => ServerMsg::Message {
                conversation_id: conversation_id()?,
                message: raw_as(f.message, "message")?,
            },
            ServerTag::History => ServerMsg::History {
                conversation_id: conversation_id()?,
                messages: need(f.messages, "messages")?,
                more: need(f.more, "more")?,
            },
            ServerTag::Conversation => ServerMsg::Conversation {
                conversation: need(f.conversation, "conversation")?,
            },
            ServerTag::Typing => ServerMsg::Typing {
                conversation_id: conversation_id()?,
                author: need(f.author, "author")?,
                typing: need(f.typing, "typing")?,
            },
            ServerTag::AgentsAvailable => ServerMsg::AgentsAvailable {
                available: need(f.available, "available")?,
                away: f.away,
            },
            ServerTag::Visitors
            | ServerTag::VisitorUpdated
            | ServerTag::VisitorLeft
            | ServerTag::VisitorTotals
            | ServerTag::Agents
            | ServerTag::AgentUpdated
            | ServerTag::Queue
            | ServerTag::QueueAdded
            | ServerTag::QueueRemoved
            | ServerTag::OfflineMessageReceived
            | ServerTag::OfflineMessageUpdated => return agent_frame(f),
            ServerTag::Rated => ServerMsg::Rated {
                rating: need(f.rating, "rating")?,
            },
            ServerTag::Seen => ServerMsg::Seen {
                conversation_id: conversation_id()?,
                seen: need(f.seen, "seen")?,
            },
            ServerTag::Transcript => ServerMsg::Transcript {
                conversation_id: conversation_id()?,
                text: need(f.text, "text")?,
            },
            ServerTag::TranscriptEmailed => ServerMsg::TranscriptEmailed {
                conversation_id: conversation_id()?,
                email: need(f.email, "email")?,
            },
            ServerTag::FileLink => ServerMsg::FileLink {
                file_id: need(f.file_id, "file_id")?,
                url: need(f.url, "url")?,
            },
            ServerTag::QueuePosition => ServerMsg::QueuePosition {
                conversation_id: conversation_id()?,
                position: need(f.position, "position")?,
            },
            ServerTag::Invitation => ServerMsg::Invitation {
                invitation: need(f.invitation, "invitation")?,
            },
            ServerTag::OfflineMessageStored => ServerMsg::OfflineMessageStored,
            ServerTag::NameChanged => ServerMsg::NameChanged {
                name: need(f.name, "name")?,
            },
            ServerTag::Reset => ServerMsg::Reset {
                conversation_id: conversation_id()?,
            },
            ServerTag::Error => ServerMsg::Error {
                code: need(f.code, "code")?,
                client_msg_id: f.client_msg_id,
                conversation_id: f.conversation_id,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Visibility;
    use uuid::Uuid;

    /// The tag of a message; a new variant makes this match fail to compile, and so
    /// reminds whoever adds it to give it a tag, fields and a sample below.
    fn tag_of(msg: &ServerMsg) -> ServerTag {
        match msg {
            ServerMsg::Welcome { .. } => ServerTag::Welcome,
            ServerMsg::Ack { .. } => ServerTag::Ack,
            ServerMsg::Message { .. } => ServerTag::Message,
            ServerMsg::History { .. } => ServerTag::History,
            ServerMsg::Conversation { .. } => ServerTag::Conversation,
            ServerMsg::Typing { .. } => ServerTag::Typing,
            ServerMsg::AgentsAvailable { .. } => ServerTag::AgentsAvailable,
            ServerMsg::Visitors { .. } => ServerTag::Visitors,
            ServerMsg::VisitorUpdated { .. } => ServerTag::VisitorUpdated,
            ServerMsg::VisitorLeft { .. } => ServerTag::VisitorLeft,
            ServerMsg::VisitorTotals { .. } => ServerTag::VisitorTotals,
            ServerMsg::Agents { .. } => ServerTag::Agents,
            ServerMsg::AgentUpdated { .. } => ServerTag::AgentUpdated,
            ServerMsg::Queue { .. } => ServerTag::Queue,
            ServerMsg::QueueAdded { .. } => ServerTag::QueueAdded,
            ServerMsg::QueueRemoved { .. } => ServerTag::QueueRemoved,
            ServerMsg::OfflineMessageReceived { .. } => ServerTag::OfflineMessageReceived,
            ServerMsg::OfflineMessageUpdated { .. } => ServerTag::OfflineMessageUpdated,
            ServerMsg::Rated { .. } => ServerTag::Rated,
            ServerMsg::Seen { .. } => ServerTag::Seen,
            ServerMsg::Transcript { .. } => ServerTag::Transcript,
            ServerMsg::TranscriptEmailed { .. } => ServerTag::TranscriptEmailed,
            ServerMsg::FileLink { .. } => ServerTag::FileLink,
            ServerMsg::QueuePosition { .. } => ServerTag::QueuePosition,
            ServerMsg::Invitation { .. } => ServerTag::Invitation,
            ServerMsg::OfflineMessageStored => ServerTag::OfflineMessageStored,
            ServerMsg::NameChanged { .. } => ServerTag::NameChanged,
            ServerMsg::Reset { .. } => ServerTag::Reset,
            ServerMsg::Error { .. } => ServerTag::Error,
        }
    }

    fn id() -> Uuid {
        Uuid::from_u128(0x1234)
    }

    fn entry(body: Body) -> ChatMessage {
        ChatMessage {
            seq: 7,
            id: MessageId(id()),
            author: Some(Author {
                participant: Participant::Visitor(VisitorId(id())),
                name: "Ann".into(),
            }),
            body,
            at_ms: 1_700_000_000_000,
            // Not the default, so that the round trip shows it survives.
            visibility: Visibility::Agents,
            file: None,
        }
    }

    fn summary() -> ConversationSummary {
        ConversationSummary {
            id: ConversationId(id()),
            kind: ConversationKind::Group,
            state: ConversationState::Active,
            last_seq: 3,
            participants: vec![ParticipantInfo {
                participant: Participant::Agent(AgentId(id())),
                name: "Bob".into(),
            }],
            owner: Some(AgentId(id())),
            invitations: vec![invitation()],
            seen: vec![SeenBy {
                participant: Participant::Agent(AgentId(id())),
                seq: 2,
            }],
        }
    }

    fn invitation() -> InvitationInfo {
        InvitationInfo {
            id: InvitationId(id()),
            conversation_id: ConversationId(id()),
            invitee: Participant::Visitor(VisitorId(id())),
            invitee_name: "Visitor 0427".into(),
            inviter_name: "Bob".into(),
            participants: vec!["Bob".into(), "Cat".into()],
            state: InvitationState::Pending,
            at_ms: 5,
            greeting: "Questions about our plans?".into(),
        }
    }

    fn visitor() -> VisitorInfo {
        VisitorInfo {
            id: VisitorId(id()),
            name: "Ann".into(),
            page: PageView {
                url: "https://shop.example/".into(),
                title: "Shop".into(),
                referrer: String::new(),
                load_id: MessageId(id()),
                department: String::new(),
            },
            landing: Landing {
                url: "https://shop.example/".into(),
                referrer: "https://search.example/".into(),
            },
            pages_viewed: 2,
            visit_started_ms: 1,
            in_chat: true,
            verified: true,
            email: "ann@shop.example".into(),
        }
    }

    fn agent() -> AgentInfo {
        AgentInfo {
            id: AgentId(id()),
            username: "bob".into(),
            name: "Bob".into(),
            role: AgentRole::Admin,
            status: AgentStatus::Away,
        }
    }

    fn queue_item() -> QueueItem {
        QueueItem {
            conversation_id: ConversationId(id()),
            visitor_id: VisitorId(id()),
            visitor_name: "Ann".into(),
            first_message: "hi".into(),
            since_ms: 9,
            department: "sales".into(),
            offered_to: Some(AgentId(id())),
            offered_until_ms: Some(10),
        }
    }

    fn offline(handled: bool) -> OfflineMessage {
        OfflineMessage {
            id: MessageId(id()),
            visitor_id: Some(VisitorId(id())),
            name: "Lin".into(),
            email: "lin@example.com".into(),
            body: "call me".into(),
            page_url: "https://shop.example/contact".into(),
            at_ms: 3,
            handled: handled.then(|| Handled {
                by_name: "Bob".into(),
                at_ms: 4,
            }),
        }
    }

    /// One of every server message, with every kind of notice and both `me`s.
    fn samples() -> Vec<ServerMsg> {
        let c = ConversationId(id());
        let mut all = vec![
            ServerMsg::Welcome {
                me: Me::Visitor {
                    id: VisitorId(id()),
                    name: "Ann".into(),
                },
                conversations: vec![summary()],
                agents_available: true,
                email_transcripts: true,
                away: vec![AwayDepartment {
                    department: "sales".into(),
                    message: "Back at 9.".into(),
                }],
            },
            ServerMsg::Welcome {
                me: Me::Agent {
                    id: AgentId(id()),
                    username: "bob".into(),
                    name: "Bob".into(),
                    role: AgentRole::Agent,
                    status: AgentStatus::Online,
                },
                conversations: vec![],
                agents_available: false,
                email_transcripts: false,
                away: vec![],
            },
            ServerMsg::Ack {
                client_msg_id: MessageId(id()),
                conversation_id: c,
                seq: 4,
            },
            ServerMsg::History {
                conversation_id: c,
                messages: vec![entry(Body::Text { text: "a".into() })],
                more: true,
            },
            ServerMsg::Conversation {
                conversation: summary(),
            },
            ServerMsg::Typing {
                conversation_id: c,
                author: Author {
                    participant: Participant::Agent(AgentId(id())),
                    name: "Bob".into(),
                },
                typing: true,
            },
            ServerMsg::AgentsAvailable {
                available: false,
                away: vec![],
            },
            ServerMsg::AgentsAvailable {
                available: true,
                away: vec![AwayDepartment {
                    department: "support".into(),
                    message: String::new(),
                }],
            },
            ServerMsg::Visitors {
                visitors: vec![visitor()],
                on_site: 120,
                matching: 7,
            },
            ServerMsg::VisitorUpdated { visitor: visitor() },
            ServerMsg::VisitorLeft {
                visitor_id: VisitorId(id()),
                gone: true,
            },
            ServerMsg::VisitorTotals {
                on_site: 121,
                matching: 8,
            },
            ServerMsg::Agents {
                agents: vec![agent()],
            },
            ServerMsg::AgentUpdated { agent: agent() },
            ServerMsg::Queue {
                items: vec![queue_item()],
            },
            ServerMsg::QueueAdded { item: queue_item() },
            ServerMsg::QueueRemoved { conversation_id: c },
            ServerMsg::OfflineMessageReceived {
                message: offline(false),
            },
            ServerMsg::OfflineMessageUpdated {
                message: offline(true),
            },
            ServerMsg::Rated {
                rating: Rating {
                    conversation_id: c,
                    visitor_id: VisitorId(id()),
                    visitor_name: "Ann".into(),
                    good: false,
                    comment: "slow \"answers\"".into(),
                    at_ms: 9,
                },
            },
            ServerMsg::FileLink {
                file_id: FileId(id()),
                url: "/files/x?v=y&e=1&s=00".into(),
            },
            ServerMsg::Transcript {
                conversation_id: c,
                text: "[2026-12-01 18:00:00 UTC] Ann: hi\n".into(),
            },
            ServerMsg::TranscriptEmailed {
                conversation_id: c,
                email: "ann@example.com".into(),
            },
            ServerMsg::Seen {
                conversation_id: c,
                seen: SeenBy {
                    participant: Participant::Visitor(VisitorId(id())),
                    seq: 7,
                },
            },
            ServerMsg::QueuePosition {
                conversation_id: c,
                position: 2,
            },
            ServerMsg::Invitation {
                invitation: invitation(),
            },
            ServerMsg::OfflineMessageStored,
            ServerMsg::NameChanged {
                name: "Grace".into(),
            },
            ServerMsg::Reset { conversation_id: c },
            ServerMsg::Error {
                code: ErrorCode::NotFound,
                client_msg_id: None,
                conversation_id: Some(c),
            },
            ServerMsg::Error {
                code: ErrorCode::Unavailable,
                client_msg_id: Some(MessageId(id())),
                conversation_id: None,
            },
        ];
        let name = || "Ann".to_owned();
        for notice in [
            Notice::Joined { name: name() },
            Notice::Left { name: name() },
            Notice::Invited { name: name() },
            Notice::Declined { name: name() },
            Notice::InvitationExpired { name: name() },
            Notice::OwnerChanged { name: name() },
            Notice::MovedToGroup { name: name() },
            Notice::Transferred {
                name: name(),
                to: "Bob".into(),
            },
            Notice::Requeued { name: name() },
            Notice::Closed,
            Notice::Deleted,
        ] {
            all.push(ServerMsg::Message {
                conversation_id: c,
                message: entry(Body::Notice(notice)),
            });
        }
        all.push(ServerMsg::Message {
            conversation_id: c,
            message: entry(Body::Text {
                text: "hello 你好 \"quoted\"".into(),
            }),
        });
        all
    }

    #[test]
    fn every_server_message_reads_back_as_written() {
        let samples = samples();
        let mut tags: Vec<ServerTag> = Vec::new();
        for tag in samples.iter().map(tag_of) {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        assert_eq!(tags.len(), 29, "a sample of every variant");
        for msg in samples {
            let json = serde_json::to_string(&msg).unwrap();
            let back: ServerMsg = serde_json::from_str(&json).unwrap();
            assert_eq!(back, msg, "{json}");
        }
    }

    #[test]
    fn unknown_fields_are_ignored_and_missing_ones_refused() {
        let msg: ServerMsg =
            serde_json::from_str(r#"{"type":"agents_available","available":true,"extra":1}"#)
                .unwrap();
        assert_eq!(
            msg,
            ServerMsg::AgentsAvailable {
                available: true,
                away: vec![]
            }
        );
        let err = serde_json::from_str::<ServerMsg>(r#"{"type":"queue_position","position":1}"#)
            .unwrap_err();
        assert!(err.to_string().contains("conversation_id"), "{err}");
        assert!(serde_json::from_str::<ServerMsg>(r#"{"type":"reboot"}"#).is_err());
        assert!(serde_json::from_str::<Body>(r#"{"kind":"notice","notice":"joined"}"#).is_err());
    }
}
