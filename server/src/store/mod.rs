//! Storage: the truth for agents, sessions, visitors, conversations, membership,
//! sequence numbers and messages.
//!
//! The chat service talks to storage only through the [`Store`] trait, a sum of one
//! small trait per noun, used as `Arc<dyn Store>`; no database type leaks past it.
//! Every write that changes a conversation is one transaction that also checks
//! membership, applies the rules of [`crate::chat::rules`], and returns what changed
//! with who must hear about it ([`Changed`]), so the service never acts on a stale
//! copy of the member list. A refusal is an error ([`StoreError::Refused`]).
//! [`open`] picks the backend from the database URL; [`sqlite::SqliteStore`] is the
//! single-machine default, [`postgres::PgStore`] the database several nodes share,
//! and `conformance.rs` holds the cases every backend passes.

pub mod postgres;
pub mod search;
pub mod sqlite;

use crate::chat::events::Changed;
use crate::limits::Rate;
use app::api::{
    CannedReply, Department, HistoryCursor, HistoryFilter, PastConversation, SearchHit,
};
use app::ids::{
    AgentId, CannedReplyId, ConversationId, FileId, InvitationId, MessageId, Participant, VisitorId,
};
use app::protocol::{
    AgentRole, AgentStatus, Author, Body, ChatMessage, ConversationSummary, FileInfo, Handled,
    InvitationInfo, InvitationState, Notice, OfflineMessage, QueueItem, Rating, Visibility,
};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

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
    /// The rules refused the change (see [`Refusal`]).
    #[error(transparent)]
    Refused(#[from] Refusal),
}

/// Why a mutation was refused. Decided inside the mutation's transaction, so two
/// racing callers never both succeed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No such conversation or invitation for this caller, or the caller does not
    /// take part in it: deliberately one answer.
    #[error("not found, or not yours")]
    NotFound,
    #[error("the conversation is closed")]
    Closed,
    #[error("another agent took the chat first")]
    AlreadyTaken,
    /// The same client message id was stored before with another body or sender.
    #[error("message id '{0}' was used before for another message")]
    IdConflict(MessageId),
    /// The invitation was answered or expired before.
    #[error("the invitation is already {}", .0.as_str())]
    InvitationClosed(InvitationState),
    /// Only a direct conversation (a visitor's chat) can go back to the queue.
    #[error("only a chat with a visitor can go back to the queue")]
    NotADirectChat,
    /// A chat goes back to the queue only from its one agent: another is in it.
    #[error("another agent is in the chat: hand it to them instead")]
    NotAlone,
    /// The visitor already has an open direct conversation: this one.
    #[error("visitor already chats in conversation '{0}'")]
    DirectChatOpen(ConversationId),
    /// A visitor's data is not deleted while they take part in an open conversation.
    #[error("the visitor is in an open conversation")]
    VisitorChatting,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// An agent id as a column holds it (canonical UUID text).
pub(crate) fn parse_agent_id(text: &str) -> StoreResult<AgentId> {
    uuid::Uuid::parse_str(text)
        .map(AgentId)
        .map_err(|e| StoreError::Internal(format!("stored agent id '{text}': {e}")))
}

/// A department's business hours as stored: JSON, or NULL for always open.
/// A notice as it is kept (JSON).
pub(crate) fn stored_notice(text: &str) -> StoreResult<Notice> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Internal(format!("stored notice '{text}' is unreadable: {e}")))
}

/// `notice` without the names in `names` (each becomes `""`, which readers show
/// as a removed visitor), or `None` when it names none of them.
pub(crate) fn notice_forgetting(notice: &Notice, names: &[String]) -> Option<Notice> {
    let forget = |name: &String| {
        if names.contains(name) {
            String::new()
        } else {
            name.clone()
        }
    };
    let renamed = match notice {
        Notice::Joined { name } => Notice::Joined { name: forget(name) },
        Notice::Left { name } => Notice::Left { name: forget(name) },
        Notice::Invited { name } => Notice::Invited { name: forget(name) },
        Notice::Declined { name } => Notice::Declined { name: forget(name) },
        Notice::InvitationExpired { name } => Notice::InvitationExpired { name: forget(name) },
        Notice::OwnerChanged { name } => Notice::OwnerChanged { name: forget(name) },
        Notice::MovedToGroup { name } => Notice::MovedToGroup { name: forget(name) },
        Notice::Transferred { name, to } => Notice::Transferred {
            name: forget(name),
            to: forget(to),
        },
        Notice::Requeued { name } => Notice::Requeued { name: forget(name) },
        Notice::Closed | Notice::Deleted => return None,
    };
    (renamed != *notice).then_some(renamed)
}

pub(crate) fn hours_text(hours: &Option<app::api::BusinessHours>) -> Option<String> {
    hours
        .as_ref()
        .map(|h| serde_json::to_string(h).expect("business hours serialise"))
}

/// A website's widget settings as stored: JSON.
pub(crate) fn settings_text(settings: &app::api::WidgetSettings) -> String {
    serde_json::to_string(settings).expect("widget settings serialise")
}

/// A website's widget settings read back; fields added since take their defaults.
pub(crate) fn settings_col(text: &str) -> StoreResult<app::api::WidgetSettings> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Internal(format!("stored widget settings '{text}': {e}")))
}

/// An audit entry's action read back.
pub(crate) fn audit_action_col(text: &str) -> StoreResult<app::api::AuditAction> {
    app::api::AuditAction::parse(text)
        .ok_or_else(|| StoreError::Internal(format!("unknown audit action '{text}' stored")))
}

/// A rule as stored: JSON (its id is the row's key too).
pub(crate) fn rule_text(rule: &app::api::InvitationRule) -> String {
    serde_json::to_string(rule).expect("invitation rules serialise")
}

/// A rule read back; fields added since take their defaults.
pub(crate) fn rule_col(text: &str) -> StoreResult<app::api::InvitationRule> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Internal(format!("stored invitation rule '{text}': {e}")))
}

/// A department's business hours read back.
pub(crate) fn hours_col(text: Option<String>) -> StoreResult<Option<app::api::BusinessHours>> {
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| StoreError::Internal(format!("stored business hours '{t}': {e}")))
    })
    .transpose()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentRecord {
    pub id: AgentId,
    pub username: String,
    pub name: String,
    pub role: AgentRole,
    /// The status the agent chose; the effective one also depends on presence.
    pub status: AgentStatus,
    pub password_hash: String,
    /// Where the agent is told of offline messages by e-mail; none: not told.
    pub email: Option<String>,
    /// When the agent's picture was last set; none: no picture.
    pub avatar_ms: Option<i64>,
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

/// What a group conversation holds besides its owner's joining, before anyone
/// is invited (a proactive invitation's note for agents), and the greeting its
/// invitations carry.
#[derive(Clone, Debug, Default)]
pub struct GroupOpening {
    /// Stored after the owner joined, in order, before the invitations.
    pub entries: Vec<NewMessage>,
    pub greeting: String,
}

/// A message about to be appended to a conversation.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub id: MessageId,
    pub author: Option<Author>,
    pub body: Body,
    pub at_ms: i64,
    pub visibility: Visibility,
    /// The file it carries, stored before (see [`crate::files`]).
    pub file: Option<FileInfo>,
}

impl NewMessage {
    /// The entry it becomes, stored under `seq`.
    pub fn stored(&self, seq: u64) -> ChatMessage {
        ChatMessage {
            seq,
            id: self.id,
            author: self.author.clone(),
            body: self.body.clone(),
            at_ms: self.at_ms,
            visibility: self.visibility,
            file: self.file.clone(),
        }
    }
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

/// What appending a message did: its sequence number (the earlier one for an
/// idempotent resend, which changes nothing) and what changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    pub seq: u64,
    pub changed: Changed,
}

/// What a new invitation or group did, with the invitations it made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invited {
    pub invitations: Vec<InvitationInfo>,
    pub changed: Changed,
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

/// Everything the chat service keeps, one small trait per noun. Each backend
/// implements each noun in a file of that name; `conformance.rs` holds the cases
/// every backend must pass.
pub trait Store:
    AgentStore
    + SessionStore
    + VisitorStore
    + ConversationStore
    + InvitationStore
    + OfflineMessageStore
    + RatingStore
    + HistoryStore
    + CannedReplyStore
    + FileRecordStore
    + ApiTokenStore
    + WebhookStore
    + DepartmentStore
    + WebsiteStore
    + InvitationRuleStore
    + AuditStore
    + ReportStore
    + PrivacyStore
{
}

impl<T> Store for T where
    T: AgentStore
        + SessionStore
        + VisitorStore
        + ConversationStore
        + InvitationStore
        + OfflineMessageStore
        + RatingStore
        + HistoryStore
        + CannedReplyStore
        + FileRecordStore
        + ApiTokenStore
        + WebhookStore
        + DepartmentStore
        + WebsiteStore
        + InvitationRuleStore
        + AuditStore
        + ReportStore
        + PrivacyStore
{
}

/// Presence shared by the nodes of a cluster (PostgreSQL only): each node keeps
/// who is present on it under a lease; every node reads the others'.
#[async_trait]
pub trait ClusterPresenceStore: Send + Sync + 'static {
    /// Registers a node (a new id at every start) holding a lease of `lease_ms`.
    async fn join_cluster(&self, name: &str, lease_ms: i64) -> StoreResult<i64>;
    /// Renews the node's lease and applies what changed in its presence: rows to
    /// put (participant key, info as JSON) and keys to remove. Removes nodes whose
    /// lease ran out more than `grace_ms` ago, with their rows. False when this
    /// node itself was removed (a pause longer than its lease): it must join again.
    async fn renew_presence(
        &self,
        node: i64,
        lease_ms: i64,
        grace_ms: i64,
        put: &[(String, serde_json::Value)],
        removed: &[String],
    ) -> StoreResult<bool>;
    /// Every row of the other nodes whose lease has not run out more than
    /// `grace_ms` ago.
    async fn others_presence(
        &self,
        node: i64,
        grace_ms: i64,
    ) -> StoreResult<Vec<(String, serde_json::Value)>>;
}

/// How a store is opened, whatever the backend.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// How long a write waits for a lock held by someone else before it gives up
    /// with a retryable error.
    pub busy_timeout: Duration,
    /// PostgreSQL: the most connections this node keeps open (N nodes need N
    /// times this within the server's `max_connections`).
    pub pool_size: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            busy_timeout: sqlite::DEFAULT_BUSY_TIMEOUT,
            pool_size: postgres::DEFAULT_POOL_SIZE,
        }
    }
}

/// Opens a PostgreSQL store for a cluster node: the store, and the same database's
/// cluster presence.
pub async fn open_cluster(
    url: &str,
    options: &StoreOptions,
) -> StoreResult<(Arc<dyn Store>, Arc<dyn ClusterPresenceStore>)> {
    match url.split_once(':').map(|(scheme, _)| scheme) {
        Some("postgres" | "postgresql") => {
            let store = Arc::new(postgres::PgStore::open(url, options).await?);
            Ok((store.clone(), store))
        }
        _ => Err(StoreError::Internal(
            "a cluster needs a PostgreSQL CHAT_DATABASE_URL (postgres://…)".into(),
        )),
    }
}

/// Opens the store a database URL names, migrating it: `sqlite://path` (the
/// default, one embedded file) or `postgres://user@host/database` (also
/// `postgresql://`).
pub async fn open(url: &str, options: &StoreOptions) -> StoreResult<Arc<dyn Store>> {
    match url.split_once(':').map(|(scheme, _)| scheme) {
        Some("sqlite") => Ok(Arc::new(sqlite::SqliteStore::open(url, options).await?)),
        Some("postgres" | "postgresql") => {
            Ok(Arc::new(postgres::PgStore::open(url, options).await?))
        }
        // Only the scheme is repeated: the rest of a URL may hold a password.
        scheme => Err(StoreError::Internal(format!(
            "database url scheme '{}' names no backend this server has; \
             use sqlite://data/chat.db or postgres://user@host/chat",
            scheme.unwrap_or_default()
        ))),
    }
}

#[async_trait]
pub trait AgentStore: Send + Sync + 'static {
    async fn create_agent(&self, agent: NewAgent) -> StoreResult<AgentRecord>;
    async fn agent_by_username(&self, username: &str) -> StoreResult<Option<AgentRecord>>;
    async fn agent(&self, id: AgentId) -> StoreResult<Option<AgentRecord>>;
    async fn agents(&self) -> StoreResult<Vec<AgentRecord>>;
    /// Removes the agent and its sessions; false when there was none.
    async fn remove_agent(&self, username: &str) -> StoreResult<bool>;
    /// Sets the password hash and ends the agent's sessions; false when no such agent.
    async fn set_password_hash(&self, username: &str, hash: &str) -> StoreResult<bool>;
    async fn set_agent_status(&self, id: AgentId, status: AgentStatus) -> StoreResult<()>;
    /// Sets (or, with `None`, clears) the address the agent is mailed offline
    /// messages at; false when no such agent.
    async fn set_agent_email(&self, username: &str, email: Option<&str>) -> StoreResult<bool>;
    /// Sets (or, with `None`, removes) the agent's picture; false when no such agent.
    async fn set_avatar(
        &self,
        id: AgentId,
        avatar: Option<&Avatar>,
        at_ms: i64,
    ) -> StoreResult<bool>;
    async fn avatar(&self, id: AgentId) -> StoreResult<Option<Avatar>>;
}

/// An agent's picture: an image whose content was checked to be of its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Avatar {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Agent sessions, kept by the hash of their token.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
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
    /// Takes a token from the login bucket `key` (refilled at `rate` since it was
    /// last used, at most `rate.burst`); false when it had none. Buckets unused
    /// for an hour are forgotten.
    async fn take_login_token(&self, key: &str, rate: Rate, now_ms: i64) -> StoreResult<bool>;
}

/// Visitors, kept by the hash of their token.
#[async_trait]
pub trait VisitorStore: Send + Sync + 'static {
    /// The visitor holding this token, created with `name` on first sight.
    async fn visitor_for_token(&self, token_hash: &[u8], name: &str) -> StoreResult<VisitorRecord>;
    async fn set_visitor_name(&self, id: VisitorId, name: &str) -> StoreResult<()>;
    async fn visitor(&self, id: VisitorId) -> StoreResult<Option<VisitorRecord>>;
    /// The visitor the embedding site knows as `user_id` (verified), on every
    /// device; made, named `name`, the first time. It is never a device's
    /// token visitor: whoever uses the device after the user logged out of
    /// the site is that device's anonymous visitor again, and sees nothing of
    /// the user's.
    async fn visitor_for_user(&self, user_id: &str, name: &str) -> StoreResult<VisitorRecord>;
    /// When the visitor was first seen (Unix ms), if there is such a visitor.
    async fn visitor_first_seen(&self, id: VisitorId) -> StoreResult<Option<i64>>;
}

/// Conversations, their participants and their ordered entries. Every mutation is
/// one transaction that checks membership, numbers its entries and returns what
/// changed with who must hear of it.
#[async_trait]
pub trait ConversationStore: Send + Sync + 'static {
    /// Opens a direct conversation in the queue with the visitor's first message,
    /// in `department` if there is one of that id (otherwise in none).
    /// A visitor has at most one open: otherwise [`Refusal::DirectChatOpen`].
    async fn create_direct(
        &self,
        id: ConversationId,
        visitor: &VisitorRecord,
        department: Option<&str>,
        first: NewMessage,
    ) -> StoreResult<Appended>;
    /// Takes a queued conversation for `agent`: exactly one caller wins.
    async fn accept_queued(
        &self,
        id: ConversationId,
        agent: &AgentRecord,
        at_ms: i64,
    ) -> StoreResult<Changed>;
    /// Appends a message if `author` (from the session) is a current participant.
    async fn append(
        &self,
        id: ConversationId,
        author: Participant,
        message: NewMessage,
    ) -> StoreResult<Appended>;
    /// Entries after `after_seq` that `viewer` may see (its window of the sequence,
    /// and the visibility of each entry), or `None` when the viewer is not and never
    /// was a participant (or there is no such conversation).
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
    /// The ids of the open direct conversations `participant` currently takes part
    /// in (a visitor has at most one): one read, where [`Store::conversations_of`]
    /// reads every conversation whole.
    async fn open_direct_conversations(
        &self,
        participant: Participant,
    ) -> StoreResult<Vec<ConversationId>>;
    /// `who` (a current participant) has seen the conversation up to `seq`, cut
    /// to the newest entry everyone may see at or before it (never an internal
    /// note's number). A position only moves forward: otherwise nothing changes.
    async fn mark_seen(
        &self,
        id: ConversationId,
        who: Participant,
        seq: u64,
    ) -> StoreResult<Changed>;
    /// The newest seq of each of these conversations (those that exist), to find
    /// connections that missed the last entries.
    async fn conversation_heads(
        &self,
        ids: &[ConversationId],
    ) -> StoreResult<Vec<(ConversationId, u64)>>;
    /// The current participants of a conversation, if `viewer` is one of them.
    async fn participants_if_member(
        &self,
        id: ConversationId,
        viewer: Participant,
    ) -> StoreResult<Option<Vec<Participant>>>;
    async fn queue(&self) -> StoreResult<Vec<QueueItem>>;
    /// `participant` leaves; the notice says why ([`Departure`]). Whether the
    /// conversation closes and who owns it next is [`crate::chat::rules`]' to say.
    async fn leave(
        &self,
        id: ConversationId,
        participant: Participant,
        why: Departure,
        at_ms: i64,
    ) -> StoreResult<Changed>;
    /// `from` (a current participant of the open conversation) hands it to `to`,
    /// who joins (if not in it) and owns it, or with `None` back to the queue (a
    /// direct conversation only, which `from` then leaves). Everyone in it gets a
    /// notice of who answers now; `reason`, unless empty, becomes an internal note
    /// by `from`. `from` leaves unless `stay` (never stays for the queue).
    async fn transfer(
        &self,
        id: ConversationId,
        from: &AgentRecord,
        to: Option<&AgentRecord>,
        reason: &str,
        stay: bool,
        at_ms: i64,
    ) -> StoreResult<Changed>;
    /// Opens a group conversation owned by `owner` (its first participant) and invites
    /// each of `invitees` (with their display names).
    async fn create_group(
        &self,
        id: ConversationId,
        owner: &AgentRecord,
        invitees: &[(Participant, String)],
        opening: GroupOpening,
        at_ms: i64,
    ) -> StoreResult<Invited>;
}

/// Invitations to multi-party conversations. An invitation changes state once,
/// from pending: of an accept and an expiry racing each other, exactly one wins.
#[async_trait]
pub trait InvitationStore: Send + Sync + 'static {
    /// Invites more people, if `inviter` is an agent taking part in the open group
    /// conversation. Who is skipped is [`crate::chat::rules::invitees_to_add`]'s to say.
    async fn invite(
        &self,
        id: ConversationId,
        inviter: &AgentRecord,
        invitees: &[(Participant, String)],
        at_ms: i64,
    ) -> StoreResult<Invited>;
    /// Accepts or declines a pending invitation addressed to `invitee`.
    async fn answer_invitation(
        &self,
        id: InvitationId,
        invitee: Participant,
        accept: bool,
        at_ms: i64,
    ) -> StoreResult<Changed>;
    /// Expires an invitation if it is still pending; nothing changes otherwise.
    async fn expire_invitation(&self, id: InvitationId, at_ms: i64) -> StoreResult<Changed>;
    /// The pending invitations addressed to `invitee`.
    async fn pending_invitations(&self, invitee: Participant) -> StoreResult<Vec<InvitationInfo>>;
    /// Everyone with a pending invitation (for the cluster's sweep of absent
    /// invitees).
    async fn pending_invitees(&self) -> StoreResult<Vec<Participant>>;
}

/// The leave-a-message form.
#[async_trait]
pub trait OfflineMessageStore: Send + Sync + 'static {
    async fn add_offline_message(&self, message: NewOfflineMessage) -> StoreResult<OfflineMessage>;
    async fn offline_messages(&self, limit: u32) -> StoreResult<Vec<OfflineMessage>>;
    /// Marks an offline message handled (`Some`) or not handled again (`None`);
    /// `None` back when there is no such message.
    async fn set_offline_handled(
        &self,
        id: MessageId,
        handled: Option<Handled>,
    ) -> StoreResult<Option<OfflineMessage>>;
    /// Claims for one mailer, until `claim_until_ms`, up to `limit` offline
    /// messages left at or after `since_ms` that are not mailed to the agents yet
    /// and not claimed by another mailer at `now_ms`; oldest first. Two mailers
    /// (on one node or on several) never hold a claim on the same message at once.
    async fn claim_unmailed_offline_messages(
        &self,
        now_ms: i64,
        since_ms: i64,
        claim_until_ms: i64,
        limit: u32,
    ) -> StoreResult<Vec<OfflineMessage>>;
    /// Gives up the claim made until `claim_until_ms` on an offline message that
    /// was not mailed (the mail server refused), so that the next try takes it
    /// at once; a claim made since by another mailer (this one's lapsed) stays.
    async fn release_offline_mail_claim(
        &self,
        id: MessageId,
        claim_until_ms: i64,
    ) -> StoreResult<()>;
    /// Records that an offline message was mailed to the agents.
    async fn mark_offline_mailed(&self, id: MessageId, at_ms: i64) -> StoreResult<()>;
}

/// Visitors' ratings of conversations.
#[async_trait]
pub trait RatingStore: Send + Sync + 'static {
    /// Rates a conversation `visitor` takes or took part in (otherwise
    /// [`Refusal::NotFound`]); a second rating replaces the first.
    async fn rate(
        &self,
        id: ConversationId,
        visitor: &VisitorRecord,
        good: bool,
        comment: &str,
        at_ms: i64,
    ) -> StoreResult<Changed>;
    /// The ratings of a conversation, oldest first.
    async fn ratings(&self, id: ConversationId) -> StoreResult<Vec<Rating>>;
}

/// Where a file sent in a conversation belongs: stored with the message that
/// carries it (in the same transaction, by [`ConversationStore::append`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRecord {
    pub conversation_id: ConversationId,
    /// The entry that carries it.
    pub seq: u64,
    pub info: FileInfo,
}

#[async_trait]
pub trait FileRecordStore: Send + Sync + 'static {
    async fn file_record(&self, id: FileId) -> StoreResult<Option<FileRecord>>;
    /// The key that signs visitors' file links: `fresh` is kept when there is none
    /// yet, and the kept one is returned, so that every node and every restart
    /// signs alike.
    async fn link_key(&self, fresh: [u8; 32]) -> StoreResult<[u8; 32]>;
}

/// Canned replies: the team's (no owner) and each agent's own.
#[async_trait]
pub trait CannedReplyStore: Send + Sync + 'static {
    /// The shared replies and `agent`'s own, by shortcut.
    async fn canned_replies(&self, agent: AgentId) -> StoreResult<Vec<CannedReply>>;
    /// Adds a reply owned by `owner` (`None`: shared). A shortcut is used once
    /// per owner, ignoring case: otherwise [`StoreError::Duplicate`].
    async fn add_canned_reply(
        &self,
        owner: Option<AgentId>,
        shortcut: &str,
        text: &str,
        at_ms: i64,
    ) -> StoreResult<CannedReply>;
    /// Removes the reply if it is owned by `owner` (`None`: a shared one);
    /// false when there is no such reply of that owner.
    async fn remove_canned_reply(
        &self,
        id: CannedReplyId,
        owner: Option<AgentId>,
    ) -> StoreResult<bool>;
}

/// What an API token may do: read only, or read and change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ApiScope {
    Read,
    Write,
}

impl ApiScope {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::Read => "read",
            ApiScope::Write => "write",
        }
    }

    pub fn parse(text: &str) -> Option<ApiScope> {
        match text {
            "read" => Some(ApiScope::Read),
            "write" => Some(ApiScope::Write),
            _ => None,
        }
    }
}

/// An API token as the store keeps it: never the token itself, only its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiTokenRecord {
    pub id: uuid::Uuid,
    pub name: String,
    pub scope: ApiScope,
    pub created_ms: i64,
    /// Set once revoked: the token no longer opens anything.
    pub revoked_ms: Option<i64>,
}

/// The REST API's tokens, kept by the SHA-256 of each.
#[async_trait]
pub trait ApiTokenStore: Send + Sync + 'static {
    /// A new token; [`StoreError::Duplicate`] when a token not revoked has the name.
    async fn add_api_token(
        &self,
        name: &str,
        scope: ApiScope,
        token_hash: &[u8],
        at_ms: i64,
    ) -> StoreResult<ApiTokenRecord>;
    /// The token with this hash, unless it was revoked.
    async fn live_api_token(&self, token_hash: &[u8]) -> StoreResult<Option<ApiTokenRecord>>;
    /// Every token, revoked ones too, oldest first.
    async fn api_tokens(&self) -> StoreResult<Vec<ApiTokenRecord>>;
    /// Revokes the live token of that name; false when there is none.
    async fn revoke_api_token(&self, name: &str, at_ms: i64) -> StoreResult<bool>;
}

/// A registered webhook endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: uuid::Uuid,
    pub url: String,
    /// Signs every delivery (`X-Chat-Signature`).
    pub secret: String,
    /// The event names it receives.
    pub events: Vec<String>,
    /// Whether it may be on loopback or a private network (an admin's choice).
    pub allow_private: bool,
    pub created_ms: i64,
}

/// A delivery whose time has come, taken by one worker for a while.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueDelivery {
    pub event_id: uuid::Uuid,
    pub name: String,
    /// The JSON body, as the outbox holds it.
    pub body: String,
    /// When the event happened.
    pub event_ms: i64,
    /// Attempts made before this one.
    pub attempts: u32,
    pub endpoint: WebhookEndpoint,
}

/// One try at a delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookAttempt {
    pub at_ms: i64,
    /// The endpoint's HTTP status; none when it did not answer.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// What became of a delivery after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered,
    /// Failed; tried again at this time.
    RetryAt(i64),
    /// Failed for good: retried for as long as events are retried.
    GaveUp,
}

/// A delivery as the console and the API show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub event_id: uuid::Uuid,
    pub endpoint_id: uuid::Uuid,
    pub name: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub event_ms: i64,
    pub next_attempt_ms: i64,
    /// Every attempt, oldest first.
    pub attempts: Vec<WebhookAttempt>,
}

/// Webhook endpoints, and the deliveries of the outbox's events to them. The
/// events themselves are written by the mutations that cause them, in their
/// transactions (see `crate::webhooks::events`).
#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    async fn add_webhook(
        &self,
        url: &str,
        secret: &str,
        events: &[String],
        allow_private: bool,
        at_ms: i64,
    ) -> StoreResult<WebhookEndpoint>;
    /// Every endpoint, oldest first.
    async fn webhooks(&self) -> StoreResult<Vec<WebhookEndpoint>>;
    /// Removes an endpoint and its deliveries; false when there is none.
    async fn remove_webhook(&self, id: uuid::Uuid) -> StoreResult<bool>;
    /// Up to `limit` pending deliveries due at `now_ms`, oldest first, each
    /// taken for `lease_ms` (no other worker gets it meanwhile).
    async fn take_due_deliveries(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> StoreResult<Vec<DueDelivery>>;
    /// Logs an attempt and what became of the delivery.
    async fn record_attempt(
        &self,
        event_id: uuid::Uuid,
        endpoint_id: uuid::Uuid,
        attempt: &WebhookAttempt,
        outcome: DeliveryOutcome,
    ) -> StoreResult<()>;
    /// The newest deliveries to an endpoint, with their attempts.
    async fn deliveries(
        &self,
        endpoint_id: uuid::Uuid,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryRecord>>;
    /// Makes a delivery pending again, due now; false when there is none.
    async fn redeliver(
        &self,
        endpoint_id: uuid::Uuid,
        event_id: uuid::Uuid,
        now_ms: i64,
    ) -> StoreResult<bool>;
    /// How many deliveries are pending, and how many failed for good.
    async fn webhook_backlog(&self) -> StoreResult<(u64, u64)>;
}

/// Departments, their agents, and the offers automatic routing makes. An offer
/// is decided inside one transaction that holds the conversation, so of several
/// nodes routing the same chat at once exactly one makes the offer.
#[async_trait]
pub trait DepartmentStore: Send + Sync + 'static {
    /// Every department with its agents, by id.
    async fn departments(&self) -> StoreResult<Vec<Department>>;
    /// Adds the department, or replaces the settings and agents of the one of
    /// its id (ids of agents that do not exist are skipped); true when new.
    async fn put_department(&self, department: &Department, at_ms: i64) -> StoreResult<bool>;
    /// Removes a department; the chats waiting in it stay in the queue, in no
    /// department. False when there was none.
    async fn remove_department(&self, id: &str) -> StoreResult<bool>;
    /// Offers the queued chat `id` to the next agent of its department
    /// ([`crate::chat::rules::next_agent`]) among `available` (online now), unless
    /// its department leaves chats to the manual queue or it is offered to one of
    /// them and the offer has not run out. `None` when nothing changed; otherwise
    /// the chat as the queue lists it now (offered to nobody when no agent can
    /// take it).
    async fn route_chat(
        &self,
        id: ConversationId,
        available: &[AgentId],
        now_ms: i64,
    ) -> StoreResult<Option<QueueItem>>;
    /// `agent` passes on the chat offered to it: the offer runs out now. False
    /// when the chat is not (or no longer) offered to `agent`.
    async fn decline_chat(
        &self,
        id: ConversationId,
        agent: AgentId,
        now_ms: i64,
    ) -> StoreResult<bool>;
}

/// The company websites the widget is served to, each with its origins (an
/// origin belongs to one website at most) and the widget's settings there.
#[async_trait]
pub trait WebsiteStore: Send + Sync + 'static {
    /// Every website, by id.
    async fn websites(&self) -> StoreResult<Vec<app::api::Website>>;
    /// Adds the website, or replaces the name, origins and settings of the one
    /// of its id; true when new. [`StoreError::Duplicate`] (naming the origin)
    /// when another website has one of its origins, and then nothing changes.
    async fn put_website(&self, website: &app::api::Website, at_ms: i64) -> StoreResult<bool>;
    /// Removes a website with its origins. False when there was none.
    async fn remove_website(&self, id: &str) -> StoreResult<bool>;
}

/// The rules that invite visitors to chat by themselves (proactive invitations).
#[async_trait]
pub trait InvitationRuleStore: Send + Sync + 'static {
    /// Every rule, by id.
    async fn invitation_rules(&self) -> StoreResult<Vec<app::api::InvitationRule>>;
    /// Adds the rule, or replaces the one of its id; true when new.
    async fn put_invitation_rule(
        &self,
        rule: &app::api::InvitationRule,
        at_ms: i64,
    ) -> StoreResult<bool>;
    /// Removes a rule. False when there was none.
    async fn remove_invitation_rule(&self, id: &str) -> StoreResult<bool>;
}

/// The audit log of admins' changes: entries are only ever added.
#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    /// Adds an entry (its id is the store's, growing).
    async fn record_audit(
        &self,
        at_ms: i64,
        admin: &str,
        action: app::api::AuditAction,
        subject: &str,
        detail: &str,
    ) -> StoreResult<()>;
    /// The newest `limit` entries, before the entry `before` when given;
    /// newest first.
    async fn audit_log(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<app::api::AuditEntry>>;
}

/// What a report needs of one chat (a visitor's conversation), read from its
/// row alone: the first visitor message and first answer are kept on it as
/// messages are stored (migration 0023).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatFact {
    pub started_at: i64,
    pub closed_at: Option<i64>,
    pub department_id: Option<String>,
    /// The agent who has the chat, else the one who answered it first.
    pub agent_id: Option<AgentId>,
    pub first_visitor_at: Option<i64>,
    pub first_response_at: Option<i64>,
    /// The visitor's rating: good or not.
    pub rating: Option<bool>,
}

/// What reports read.
#[async_trait]
pub trait ReportStore: Send + Sync + 'static {
    /// Every chat that started at or after `from_ms` and before `to_ms`.
    async fn chat_facts(&self, from_ms: i64, to_ms: i64) -> StoreResult<Vec<ChatFact>>;
}

/// What deleting a visitor's data changed, and the files whose bytes are to go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErasedVisitor {
    pub counts: app::api::VisitorDeleted,
    pub files: Vec<FileId>,
}

/// What one round of retention deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expired {
    pub conversations: u32,
    pub files: Vec<FileId>,
}

/// A visitor's data on request, and retention (admins, `chat::privacy`).
#[async_trait]
pub trait PrivacyStore: Send + Sync + 'static {
    /// Visitors whose name contains `query` (case-insensitive), or whose id,
    /// site user id or an e-mail address they left a message under is `query`.
    async fn find_visitors(
        &self,
        query: &str,
        limit: u32,
    ) -> StoreResult<Vec<app::api::VisitorFound>>;
    /// The messages a visitor left while nobody was online, oldest first.
    async fn offline_messages_of(&self, visitor: VisitorId) -> StoreResult<Vec<OfflineMessage>>;
    /// Deletes what is kept about a visitor: each message they wrote becomes a
    /// [`app::protocol::Notice::Deleted`] tombstone under its number, their name goes from
    /// the conversations, notices, invitations and ratings they were in, and
    /// their files, messages left offline, webhook events naming them and the
    /// visitor itself are deleted. [`Refusal::VisitorChatting`] while they are
    /// in an open conversation, [`Refusal::NotFound`] when there is no such
    /// visitor.
    async fn erase_visitor(&self, id: VisitorId) -> StoreResult<ErasedVisitor>;
    /// A setting kept under `name`, if set.
    async fn setting(&self, name: &str) -> StoreResult<Option<String>>;
    /// Sets (`Some`) or clears (`None`) a setting.
    async fn put_setting(&self, name: &str, value: Option<&str>) -> StoreResult<()>;
    /// Deletes up to `limit` conversations closed before `closed_before_ms`,
    /// with everything in them.
    async fn expire_closed(&self, closed_before_ms: i64, limit: u32) -> StoreResult<Expired>;
}

/// Past conversations as agents read them: every entry, internal notes included.
/// Nothing here is for visitors.
#[async_trait]
pub trait HistoryStore: Send + Sync + 'static {
    /// Conversations matching `filter`, newest first (by when they started, then
    /// by id), starting after `after`.
    async fn history(
        &self,
        filter: &HistoryFilter,
        after: Option<HistoryCursor>,
        limit: u32,
    ) -> StoreResult<Vec<PastConversation>>;
    async fn past_conversation(&self, id: ConversationId) -> StoreResult<Option<PastConversation>>;
    /// Every entry after `after_seq`, whoever may see it; `None` when there is no
    /// such conversation.
    async fn staff_entries(
        &self,
        id: ConversationId,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Option<Page>>;
    /// Text entries holding every word of `query` (see [`search`]), newest first,
    /// in conversations matching `filter`.
    async fn search(
        &self,
        query: &str,
        filter: &HistoryFilter,
        limit: u32,
    ) -> StoreResult<Vec<SearchHit>>;
}

#[cfg(test)]
pub(crate) mod conformance;
