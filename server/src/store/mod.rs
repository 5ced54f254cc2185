//! Storage: the truth for agents, sessions, visitors, conversations, membership,
//! sequence numbers and messages.
//!
//! The chat service talks to storage only through the [`Store`] trait, used as
//! `Arc<dyn Store>`; no database type leaks past it. Every write that changes a
//! conversation is one transaction that also checks membership and returns who must
//! hear about it, so the service never acts on a stale copy of the member list.
//! [`sqlite::SqliteStore`] is the single-machine default.

pub mod sqlite;

use app::ids::{AgentId, ConversationId, InvitationId, MessageId, Participant, VisitorId};
use app::protocol::{
    AgentRole, AgentStatus, Author, Body, ChatMessage, ConversationSummary, Handled,
    InvitationInfo, InvitationState, OfflineMessage, QueueItem,
};
use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database is busy, locked by another process, out of space or unreachable.
    /// Nothing was written; the same call may succeed later.
    #[error("storage unavailable: {0}; retry later")]
    Unavailable(String),
    #[error("'{0}' already exists")]
    Duplicate(String),
    #[error("storage error: {0}")]
    Internal(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentRecord {
    pub id: AgentId,
    pub username: String,
    pub name: String,
    pub role: AgentRole,
    /// The status the agent chose; the effective one also depends on presence.
    pub status: AgentStatus,
    pub password_hash: String,
}

#[derive(Clone, Debug)]
pub struct NewAgent {
    pub username: String,
    pub name: String,
    pub role: AgentRole,
    pub password_hash: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VisitorRecord {
    pub id: VisitorId,
    pub name: String,
}

/// A message about to be appended to a conversation.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub id: MessageId,
    pub author: Option<Author>,
    pub body: Body,
    pub at_ms: i64,
}

/// Entries of a conversation as one viewer may see them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// In sequence order.
    pub messages: Vec<ChatMessage>,
    /// The highest sequence number the viewer may see (the conversation's newest
    /// entry, or the one at which the viewer left).
    pub last_seq: u64,
}

/// What appending a message did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Appended {
    /// Stored under a new sequence number; `recipients` are the current participants.
    Stored {
        message: ChatMessage,
        recipients: Vec<Participant>,
    },
    /// The same client message id with the same body was stored before.
    Duplicate {
        seq: u64,
    },
    /// The same client message id was stored before with another body or sender.
    Conflict,
    /// No such conversation, or the author is not a current participant.
    NotFound,
    Closed,
}

// Outcomes are returned once per request and never kept in bulk: their size is fine.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AcceptOutcome {
    Accepted {
        conversation: ConversationSummary,
        notice: ChatMessage,
    },
    AlreadyTaken,
    NotFound,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaveOutcome {
    Left {
        /// The conversation after leaving (closed when nobody is left to talk to).
        conversation: ConversationSummary,
        /// The notices appended, in order (the leave, then maybe the close).
        notices: Vec<ChatMessage>,
        /// Who was in the conversation before leaving, the leaver included.
        recipients: Vec<Participant>,
    },
    NotFound,
}

/// What inviting did: the invitations made, and the `invited` notices appended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invited {
    pub conversation: ConversationSummary,
    pub invitations: Vec<InvitationInfo>,
    pub notices: Vec<ChatMessage>,
    pub recipients: Vec<Participant>,
}

/// What answering an invitation did.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answered {
    /// Accepted or declined. `notice` is the `joined` or `declined` entry;
    /// `recipients` are the participants now (the new one included when accepted).
    Done {
        invitation: InvitationInfo,
        conversation: ConversationSummary,
        notice: ChatMessage,
        recipients: Vec<Participant>,
    },
    /// It was no longer pending.
    Closed(InvitationState),
    /// No such invitation for this invitee: deliberately one answer.
    NotFound,
}

/// One invitation expired because its invitee left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expired {
    pub invitation: InvitationInfo,
    pub conversation: ConversationSummary,
    pub notice: ChatMessage,
    pub recipients: Vec<Participant>,
}

/// Why a participant leaves a conversation (the notice others see).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Departure {
    /// Left of their own accord.
    Left,
    /// A visitor who accepted an invitation to a multi-party conversation leaves
    /// the one-to-one chat for it.
    MovedToGroup,
}

#[derive(Clone, Debug)]
pub struct NewOfflineMessage {
    pub visitor_id: Option<VisitorId>,
    pub name: String,
    pub email: String,
    pub body: String,
    pub page_url: String,
    pub at_ms: i64,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // Agents.
    async fn create_agent(&self, agent: NewAgent) -> StoreResult<AgentRecord>;
    async fn agent_by_username(&self, username: &str) -> StoreResult<Option<AgentRecord>>;
    async fn agent(&self, id: AgentId) -> StoreResult<Option<AgentRecord>>;
    async fn agents(&self) -> StoreResult<Vec<AgentRecord>>;
    /// Removes the agent and its sessions; false when there was none.
    async fn remove_agent(&self, username: &str) -> StoreResult<bool>;
    /// Sets the password hash and ends the agent's sessions; false when no such agent.
    async fn set_password_hash(&self, username: &str, hash: &str) -> StoreResult<bool>;
    async fn set_agent_status(&self, id: AgentId, status: AgentStatus) -> StoreResult<()>;

    // Agent sessions, kept by the hash of their token.
    async fn create_session(
        &self,
        token_hash: &[u8],
        agent: AgentId,
        expires_at_ms: i64,
    ) -> StoreResult<()>;
    async fn session_agent(
        &self,
        token_hash: &[u8],
        now_ms: i64,
    ) -> StoreResult<Option<AgentRecord>>;
    async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<()>;

    // Visitors, kept by the hash of their token.
    /// The visitor holding this token, created with `name` on first sight.
    async fn visitor_for_token(&self, token_hash: &[u8], name: &str) -> StoreResult<VisitorRecord>;
    async fn set_visitor_name(&self, id: VisitorId, name: &str) -> StoreResult<()>;
    async fn visitor(&self, id: VisitorId) -> StoreResult<Option<VisitorRecord>>;

    // Conversations.
    /// Opens a direct conversation in the queue with the visitor's first message.
    async fn create_direct(
        &self,
        id: ConversationId,
        visitor: &VisitorRecord,
        first: NewMessage,
    ) -> StoreResult<(ConversationSummary, ChatMessage)>;
    /// Takes a queued conversation for `agent`: exactly one caller wins.
    async fn accept_queued(
        &self,
        id: ConversationId,
        agent: &AgentRecord,
        at_ms: i64,
    ) -> StoreResult<AcceptOutcome>;
    /// Appends a message if `author` (from the session) is a current participant.
    async fn append(
        &self,
        id: ConversationId,
        author: Participant,
        message: NewMessage,
    ) -> StoreResult<Appended>;
    /// Entries after `after_seq` that `viewer` may see, or `None` when the viewer is not
    /// and never was a participant (or there is no such conversation).
    async fn messages_after(
        &self,
        id: ConversationId,
        viewer: Participant,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Option<Page>>;
    /// The open conversations `participant` currently takes part in.
    async fn conversations_of(
        &self,
        participant: Participant,
    ) -> StoreResult<Vec<ConversationSummary>>;
    /// The current participants of a conversation, if `viewer` is one of them.
    async fn participants_if_member(
        &self,
        id: ConversationId,
        viewer: Participant,
    ) -> StoreResult<Option<Vec<Participant>>>;
    async fn queue(&self) -> StoreResult<Vec<QueueItem>>;
    /// `participant` leaves; a direct conversation, or one with no agent left, closes.
    /// The notice says why: `Left`, or `MovedToGroup` for a visitor who accepted an
    /// invitation.
    async fn leave(
        &self,
        id: ConversationId,
        participant: Participant,
        why: Departure,
        at_ms: i64,
    ) -> StoreResult<LeaveOutcome>;

    // Multi-party conversations and their invitations.
    /// Opens a group conversation owned by `owner` (its first participant) and invites
    /// each of `invitees` (with their display names).
    async fn create_group(
        &self,
        id: ConversationId,
        owner: &AgentRecord,
        invitees: &[(Participant, String)],
        at_ms: i64,
    ) -> StoreResult<Invited>;
    /// Invites more people, if `inviter` is an agent taking part in the open
    /// conversation; `None` otherwise. Current participants and people already
    /// invited (pending) are skipped.
    async fn invite(
        &self,
        id: ConversationId,
        inviter: &AgentRecord,
        invitees: &[(Participant, String)],
        at_ms: i64,
    ) -> StoreResult<Option<Invited>>;
    /// Accepts or declines a pending invitation addressed to `invitee`.
    async fn answer_invitation(
        &self,
        id: InvitationId,
        invitee: Participant,
        accept: bool,
        at_ms: i64,
    ) -> StoreResult<Answered>;
    /// Expires an invitation if it is still pending.
    async fn expire_invitation(&self, id: InvitationId, at_ms: i64)
        -> StoreResult<Option<Expired>>;
    /// The pending invitations addressed to `invitee`.
    async fn pending_invitations(&self, invitee: Participant) -> StoreResult<Vec<InvitationInfo>>;

    // The leave-a-message form.
    async fn add_offline_message(&self, message: NewOfflineMessage) -> StoreResult<OfflineMessage>;
    async fn offline_messages(&self, limit: u32) -> StoreResult<Vec<OfflineMessage>>;
    /// Marks an offline message handled (`Some`) or not handled again (`None`);
    /// `None` back when there is no such message.
    async fn set_offline_handled(
        &self,
        id: MessageId,
        handled: Option<Handled>,
    ) -> StoreResult<Option<OfflineMessage>>;
}
