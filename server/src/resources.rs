//! The resources integrators see, in REST API answers and webhook payloads:
//! types of their own, so that the WebSocket protocol can change without
//! breaking anyone's CRM, and so that the OpenAPI document describes exactly
//! what goes over the wire.

use app::api::PastConversation;
use app::ids::Participant;
use app::protocol::{
    AgentInfo, Body, ChatMessage, ConversationKind, ConversationState, ConversationSummary,
    InvitationInfo, Notice, OfflineMessage, Rating, Visibility, VisitorInfo,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// What every refused request answers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable code (see docs/protocol.md, "Error codes"): `unauthenticated`,
    /// `forbidden`, `not_found`, `bad_request`, `invalid_field`, `too_long`,
    /// `empty_message`, `conversation_closed`, `id_conflict`,
    /// `invitee_unavailable`, `rate_limited`, `unavailable`, `internal`.
    #[schema(example = "not_found")]
    pub code: String,
    /// What went wrong, in English, safe to log.
    pub message: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Visitor,
    Agent,
}

/// Someone in a conversation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Person {
    pub role: Role,
    pub id: Uuid,
    pub name: String,
}

impl Person {
    pub fn new(participant: Participant, name: String) -> Person {
        let (role, id) = match participant {
            Participant::Visitor(id) => (Role::Visitor, id.0),
            Participant::Agent(id) => (Role::Agent, id.0),
        };
        Person { role, id, name }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A visitor's chat with the agent who took it.
    Direct,
    /// A multi-party conversation, made by an agent's request.
    Group,
}

#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Waiting in the queue for an agent.
    Queued,
    Active,
    Closed,
}

impl From<ConversationState> for State {
    fn from(state: ConversationState) -> State {
        match state {
            ConversationState::Queued => State::Queued,
            ConversationState::Active => State::Active,
            ConversationState::Closed => State::Closed,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Conversation {
    pub id: Uuid,
    pub kind: Kind,
    pub state: State,
    /// Unix time in milliseconds.
    pub started_at_ms: i64,
    pub ended_at_ms: Option<i64>,
    /// Everyone who took part, in the order they first joined.
    pub people: Vec<Person>,
    /// The first message written in it.
    pub first_message: String,
    /// The seq of its newest entry: entries are numbered 1, 2, 3... without gaps.
    pub last_seq: u64,
    pub ratings: Vec<RatingView>,
}

impl From<PastConversation> for Conversation {
    fn from(c: PastConversation) -> Conversation {
        Conversation {
            id: c.id.0,
            kind: match c.kind {
                ConversationKind::Direct => Kind::Direct,
                ConversationKind::Group => Kind::Group,
            },
            state: c.state.into(),
            started_at_ms: c.started_ms,
            ended_at_ms: c.ended_ms,
            people: c
                .people
                .into_iter()
                .map(|p| Person::new(p.participant, p.name))
                .collect(),
            first_message: c.first_message,
            last_seq: c.last_seq,
            ratings: c.ratings.into_iter().map(RatingView::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConversationPage {
    /// Newest first.
    pub conversations: Vec<Conversation>,
    /// Set when there may be more: pass it as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Written by someone.
    Text,
    /// Written by the server: someone joined, left, was invited...
    Notice,
}

#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Everyone in the conversation, visitors included.
    Everyone,
    /// Agents only: an internal note.
    Agents,
}

/// What a notice says happened.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NoticeView {
    /// `joined`, `left`, `invited`, `declined`, `invitation_expired`,
    /// `owner_changed`, `moved_to_group`, `transferred`, `requeued` or `closed`.
    pub event: String,
    /// Whom it is about (none for `closed`).
    pub name: Option<String>,
    /// For `transferred`: the agent who took the conversation over.
    pub to: Option<String>,
}

impl From<Notice> for NoticeView {
    fn from(notice: Notice) -> NoticeView {
        let (event, name, to) = match notice {
            Notice::Joined { name } => ("joined", Some(name), None),
            Notice::Left { name } => ("left", Some(name), None),
            Notice::Invited { name } => ("invited", Some(name), None),
            Notice::Declined { name } => ("declined", Some(name), None),
            Notice::InvitationExpired { name } => ("invitation_expired", Some(name), None),
            Notice::OwnerChanged { name } => ("owner_changed", Some(name), None),
            Notice::MovedToGroup { name } => ("moved_to_group", Some(name), None),
            Notice::Transferred { name, to } => ("transferred", Some(name), Some(to)),
            Notice::Requeued { name } => ("requeued", Some(name), None),
            Notice::Closed => ("closed", None, None),
            Notice::Deleted => ("deleted", None, None),
        };
        NoticeView {
            event: event.to_owned(),
            name,
            to,
        }
    }
}

/// A file a message carries.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FileView {
    pub id: Uuid,
    pub name: String,
    /// As the server read the file's content.
    pub content_type: String,
    pub size: u64,
}

/// One entry of a conversation's sequence.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub seq: u64,
    pub id: Uuid,
    pub kind: EntryKind,
    /// None for notices.
    pub author: Option<Person>,
    /// The text of a `text` entry (a file's name when it carries a file).
    pub text: Option<String>,
    pub notice: Option<NoticeView>,
    pub audience: Audience,
    pub file: Option<FileView>,
    /// Unix time in milliseconds, when the server stored it.
    pub at_ms: i64,
}

impl From<ChatMessage> for Message {
    fn from(m: ChatMessage) -> Message {
        let (kind, text, notice) = match m.body {
            Body::Text { text } => (EntryKind::Text, Some(text), None),
            Body::Notice(notice) => (EntryKind::Notice, None, Some(notice.into())),
        };
        Message {
            seq: m.seq,
            id: m.id.0,
            kind,
            author: m.author.map(|a| Person::new(a.participant, a.name)),
            text,
            notice,
            audience: match m.visibility {
                Visibility::Everyone => Audience::Everyone,
                Visibility::Agents => Audience::Agents,
            },
            file: m.file.map(|f| FileView {
                id: f.id.0,
                name: f.name,
                content_type: f.content_type,
                size: f.size,
            }),
            at_ms: m.at_ms,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MessagePage {
    /// In seq order.
    pub messages: Vec<Message>,
    /// Whether there are entries after the last one here: ask again with
    /// `after_seq` set to its seq.
    pub more: bool,
}

/// Writes a message into a conversation, as one of its agents.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewMessageRequest {
    /// The username of the agent who writes it: they must take part in the
    /// conversation.
    #[schema(example = "ann")]
    pub agent: String,
    pub text: String,
    /// Your id for this message (a UUID): sending it again with the same text
    /// stores nothing new and answers the same seq, so a retry after a timeout
    /// is safe. Made by the server when left out.
    #[serde(default)]
    pub client_msg_id: Option<Uuid>,
    /// `agents` for an internal note that visitors never see.
    #[serde(default)]
    pub audience: Option<Audience>,
    /// A bot answering in the agent's seat: shown as the author instead of the
    /// agent's name (1 to 80 characters, not the name of an agent).
    #[serde(default)]
    #[schema(example = "Order bot")]
    pub bot: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MessageStored {
    pub conversation_id: Uuid,
    /// The message's id (your `client_msg_id` when you gave one).
    pub id: Uuid,
    pub seq: u64,
}

/// The multi-party method: an agent asks to talk with visitors on the site and
/// agents online; the server makes the conversation and invites each of them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewConversationRequest {
    /// The username of the agent who asks: they take part and own it.
    #[schema(example = "ann")]
    pub agent: String,
    /// Ids of visitors on the site now (`GET /api/v1/visitors`).
    #[serde(default)]
    pub visitors: Vec<Uuid>,
    /// Usernames of agents online now.
    #[serde(default)]
    pub agents: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConversationCreated {
    pub id: Uuid,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConversationClosed {
    pub id: Uuid,
    pub state: State,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitorView {
    pub id: Uuid,
    pub name: String,
    /// The page the visitor looks at now.
    pub page_url: String,
    pub page_title: String,
    /// The first page of this visit, and where the visitor came from to it.
    pub landing_url: String,
    pub referrer: String,
    pub pages_viewed: u32,
    /// Unix time in milliseconds.
    pub visit_started_at_ms: i64,
    pub in_chat: bool,
}

impl From<VisitorInfo> for VisitorView {
    fn from(v: VisitorInfo) -> VisitorView {
        VisitorView {
            id: v.id.0,
            name: v.name,
            page_url: v.page.url,
            page_title: v.page.title,
            landing_url: v.landing.url,
            referrer: v.landing.referrer,
            pages_viewed: v.pages_viewed,
            visit_started_at_ms: v.visit_started_ms,
            in_chat: v.in_chat,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitorsNow {
    /// The newest visits that match, oldest first.
    pub visitors: Vec<VisitorView>,
    /// Everyone on the site now.
    pub on_site: u32,
    /// Those of them that match the filter.
    pub matching: u32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AgentView {
    pub id: Uuid,
    pub username: String,
    pub name: String,
    /// `agent` or `admin`.
    pub role: String,
    /// `online`, `away` or `offline` (no console open).
    pub status: String,
}

impl From<AgentInfo> for AgentView {
    fn from(a: AgentInfo) -> AgentView {
        AgentView {
            id: a.id.0,
            username: a.username,
            name: a.name,
            role: a.role.as_str().to_owned(),
            status: a.status.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OfflineMessageView {
    pub id: Uuid,
    pub visitor_id: Option<Uuid>,
    pub name: String,
    pub email: String,
    pub text: String,
    pub page_url: String,
    pub at_ms: i64,
    /// Set once an agent has dealt with it.
    pub handled_by: Option<String>,
    pub handled_at_ms: Option<i64>,
}

impl From<OfflineMessage> for OfflineMessageView {
    fn from(m: OfflineMessage) -> OfflineMessageView {
        OfflineMessageView {
            id: m.id.0,
            visitor_id: m.visitor_id.map(|v| v.0),
            name: m.name,
            email: m.email,
            text: m.body,
            page_url: m.page_url,
            at_ms: m.at_ms,
            handled_by: m.handled.as_ref().map(|h| h.by_name.clone()),
            handled_at_ms: m.handled.map(|h| h.at_ms),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RatingView {
    pub conversation_id: Uuid,
    pub visitor_id: Uuid,
    pub visitor_name: String,
    pub good: bool,
    pub comment: String,
    pub at_ms: i64,
}

impl From<Rating> for RatingView {
    fn from(r: Rating) -> RatingView {
        RatingView {
            conversation_id: r.conversation_id.0,
            visitor_id: r.visitor_id.0,
            visitor_name: r.visitor_name,
            good: r.good,
            comment: r.comment,
            at_ms: r.at_ms,
        }
    }
}

/// A conversation as it is now: who takes part, who owns it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConversationNow {
    pub id: Uuid,
    pub kind: Kind,
    pub state: State,
    pub last_seq: u64,
    /// Who takes part now.
    pub participants: Vec<Person>,
    /// The agent who owns it.
    pub owner_agent_id: Option<Uuid>,
}

impl From<&ConversationSummary> for ConversationNow {
    fn from(c: &ConversationSummary) -> ConversationNow {
        ConversationNow {
            id: c.id.0,
            kind: match c.kind {
                ConversationKind::Direct => Kind::Direct,
                ConversationKind::Group => Kind::Group,
            },
            state: c.state.into(),
            last_seq: c.last_seq,
            participants: c
                .participants
                .iter()
                .map(|p| Person::new(p.participant, p.name.clone()))
                .collect(),
            owner_agent_id: c.owner.map(|o| o.0),
        }
    }
}

/// An invitation into a multi-party conversation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvitationView {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub invitee: Person,
    pub inviter_name: String,
    /// `pending`, `accepted`, `declined` or `expired`.
    pub state: String,
    pub at_ms: i64,
}

impl From<&InvitationInfo> for InvitationView {
    fn from(i: &InvitationInfo) -> InvitationView {
        InvitationView {
            id: i.id.0,
            conversation_id: i.conversation_id.0,
            invitee: Person::new(i.invitee, i.invitee_name.clone()),
            inviter_name: i.inviter_name.clone(),
            state: i.state.as_str().to_owned(),
            at_ms: i.at_ms,
        }
    }
}

/// Registers a webhook endpoint.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewWebhookRequest {
    /// Where deliveries are POSTed: an http or https URL.
    #[schema(example = "https://crm.example.com/hooks/chat")]
    pub url: String,
    /// Signs every delivery (16 to 256 characters); see `X-Chat-Signature`.
    pub secret: String,
    /// The events it receives, by name.
    #[schema(example = json!(["message.created", "conversation.closed"]))]
    pub events: Vec<String>,
    /// Allow an endpoint on loopback or a private network (refused otherwise,
    /// against server-side request forgery).
    #[serde(default)]
    pub allow_private: bool,
}

/// A webhook endpoint (never its secret).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub allow_private: bool,
    pub created_at_ms: i64,
}

impl From<crate::store::WebhookEndpoint> for WebhookView {
    fn from(e: crate::store::WebhookEndpoint) -> WebhookView {
        WebhookView {
            id: e.id,
            url: e.url,
            events: e.events,
            allow_private: e.allow_private,
            created_at_ms: e.created_ms,
        }
    }
}

/// One try at a delivery.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttemptView {
    pub at_ms: i64,
    /// The endpoint's HTTP status; none when it did not answer.
    pub status: Option<u16>,
    /// Why it failed; none when it was delivered.
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// An event's delivery to one endpoint.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryView {
    /// The event's id (`X-Chat-Event-Id`).
    pub event_id: Uuid,
    pub event: String,
    /// `pending`, `delivered` or `failed` (retried for a day, then given up).
    pub state: String,
    pub event_at_ms: i64,
    /// When a pending delivery is tried next.
    pub next_attempt_at_ms: Option<i64>,
    pub attempts: Vec<AttemptView>,
}

impl From<crate::store::DeliveryRecord> for DeliveryView {
    fn from(d: crate::store::DeliveryRecord) -> DeliveryView {
        DeliveryView {
            event_id: d.event_id,
            event: d.name,
            next_attempt_at_ms: (d.state == "pending").then_some(d.next_attempt_ms),
            state: d.state,
            event_at_ms: d.event_ms,
            attempts: d
                .attempts
                .into_iter()
                .map(|a| AttemptView {
                    at_ms: a.at_ms,
                    status: a.status,
                    error: a.error,
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}
