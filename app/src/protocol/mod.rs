//! The WebSocket wire protocol: [`ClientMsg`] from browsers, [`ServerMsg`] from the
//! server, and the records they carry. Every frame is one JSON object whose `type`
//! field names the variant. `docs/protocol.md` describes the rules around them
//! (sequence numbers, acknowledgements, resume).
//!
//! Visitors connect to `/ws/visitor` and must open with [`ClientMsg::Hello`]; agents
//! connect to `/ws/agent` with their session cookie and may send `hello` or nothing.
//!
//! The enums tagged inside their object ([`ServerMsg`], [`Body`], [`Notice`],
//! [`Me`]) derive `Serialize` but are read by hand in [`decode`]: serde's derived
//! reader for such enums buffers every frame in a generic tree first, and that
//! code was a fifth of the widget's WebAssembly.

mod decode;

use crate::error::ErrorCode;
use crate::ids::{
    AgentId, ConversationId, FileId, InvitationId, MessageId, Participant, VisitorId,
};
use serde::{Deserialize, Serialize};

/// Longest message body, in characters (Unicode scalar values).
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 80;
/// Longest rating comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 1000;
/// Longest email address, in characters.
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest page URL or referrer kept, in characters; longer ones are cut.
pub const MAX_URL_CHARS: usize = 2048;
/// Longest page title kept, in characters; longer ones are cut.
pub const MAX_TITLE_CHARS: usize = 300;
/// Most messages returned by one `sync` answer; the client asks again for the rest.
pub const SYNC_PAGE: u32 = 500;

/// A page of the company's website as the widget loader reported it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageView {
    pub url: String,
    pub title: String,
    pub referrer: String,
    /// Random per page load, so that a reconnect of the same page is not counted twice.
    pub load_id: MessageId,
    /// The department the page's widget asks for (`data-department`); empty: none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub department: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    Online,
    Away,
    Offline,
}

impl AgentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Online => "online",
            AgentStatus::Away => "away",
            AgentStatus::Offline => "offline",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "online" => Some(AgentStatus::Online),
            "away" => Some(AgentStatus::Away),
            "offline" => Some(AgentStatus::Offline),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentRole {
    Admin,
    Agent,
}

impl AgentRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentRole::Admin => "admin",
            AgentRole::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(AgentRole::Admin),
            "agent" => Some(AgentRole::Agent),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// One visitor and the agent who accepted the chat.
    Direct,
    /// A multi-party conversation.
    Group,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationState {
    /// Waiting in the queue for an agent.
    Queued,
    Active,
    Closed,
}

/// Who wrote a message, as every participant may see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub participant: Participant,
    pub name: String,
}

/// A notice in a conversation's sequence: someone joined, left, ...
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    Joined {
        name: String,
    },
    Left {
        name: String,
    },
    /// An invitation was sent to `name`.
    Invited {
        name: String,
    },
    Declined {
        name: String,
    },
    /// `name`'s invitation expired: they left the site or went offline first.
    InvitationExpired {
        name: String,
    },
    /// The conversation's owner changed (the owner left).
    OwnerChanged {
        name: String,
    },
    /// `name` (a visitor) accepted an invitation to a multi-party conversation and
    /// so left this one-to-one chat.
    MovedToGroup {
        name: String,
    },
    /// `name` (an agent) handed the conversation to the agent `to`, who owns it now.
    Transferred {
        name: String,
        to: String,
    },
    /// `name` (an agent) passed the chat back to the queue: the next agent takes it.
    Requeued {
        name: String,
    },
    Closed,
    /// A message whose author's data was deleted at their request: it keeps its
    /// place in the sequence, and nothing of what it said.
    Deleted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationState {
    Pending,
    Accepted,
    Declined,
    Expired,
}

impl InvitationState {
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationState::Pending => "pending",
            InvitationState::Accepted => "accepted",
            InvitationState::Declined => "declined",
            InvitationState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(InvitationState::Pending),
            "accepted" => Some(InvitationState::Accepted),
            "declined" => Some(InvitationState::Declined),
            "expired" => Some(InvitationState::Expired),
            _ => None,
        }
    }
}

/// An invitation to a multi-party conversation, as its invitee and the
/// conversation's participants see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationInfo {
    pub id: InvitationId,
    pub conversation_id: ConversationId,
    pub invitee: Participant,
    pub invitee_name: String,
    pub inviter_name: String,
    /// Display names of the conversation's participants when this was read: who the
    /// invitee would join.
    #[serde(default)]
    pub participants: Vec<String>,
    pub state: InvitationState,
    pub at_ms: i64,
    /// What the inviter says with it (a proactive invitation rule's greeting).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub greeting: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    Text { text: String },
    Notice(Notice),
}

/// One entry of a conversation's ordered sequence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub seq: u64,
    pub id: MessageId,
    /// `None` for notices written by the server.
    pub author: Option<Author>,
    pub body: Body,
    /// Unix time in milliseconds, when the server stored it.
    pub at_ms: i64,
    /// Who may see it; left out of frames for the usual `everyone`.
    #[serde(default, skip_serializing_if = "Visibility::is_everyone")]
    pub visibility: Visibility,
    /// The file the message carries (its text is then the file's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileInfo>,
}

/// A file sent in a conversation: uploaded over HTTP, then referred to by the
/// message that carries it, and served at `/files/{id}` only to who may see
/// that message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    pub id: FileId,
    /// As the sender's computer named it, cleaned (no folders, no control
    /// characters).
    pub name: String,
    /// As the server read the file's content, not as the sender declared it.
    pub content_type: String,
    pub size: u64,
}

impl FileInfo {
    /// Whether it is shown as a picture (a thumbnail) rather than a link.
    pub fn is_image(&self) -> bool {
        self.content_type.starts_with("image/")
    }
}

/// Who may see an entry of a conversation. Stored with the entry; the server
/// filters by it in one place for live delivery, `sync` and history alike.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Every participant, within the part of the conversation they may see.
    #[default]
    Everyone,
    /// Agents only: no visitor ever receives it.
    Agents,
}

impl Visibility {
    pub fn is_everyone(&self) -> bool {
        *self == Visibility::Everyone
    }

    /// Whether `viewer` may see an entry with this visibility.
    pub fn admits(self, viewer: Participant) -> bool {
        match self {
            Visibility::Everyone => true,
            Visibility::Agents => viewer.is_agent(),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Everyone => "everyone",
            Visibility::Agents => "agents",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantInfo {
    pub participant: Participant,
    pub name: String,
}

/// A conversation as one participant sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub state: ConversationState,
    /// The sequence number of the newest entry.
    pub last_seq: u64,
    /// Current participants.
    pub participants: Vec<ParticipantInfo>,
    /// The agent who owns the conversation (see docs/multi-party.md).
    #[serde(default)]
    pub owner: Option<AgentId>,
    /// Invitations still pending.
    #[serde(default)]
    pub invitations: Vec<InvitationInfo>,
    /// How far each current participant has read (those who read anything).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seen: Vec<SeenBy>,
}

/// A read receipt: `participant` has seen the conversation up to entry `seq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenBy {
    pub participant: Participant,
    pub seq: u64,
}

/// Who the embedding site says a visitor is: its own user id, with
/// `user_hash`, the hex HMAC-SHA256 of `user_id` under the site's identity
/// secret, which only the site's server can make. A verified visitor keeps one
/// identity on every device (docs/integrations.md, "Verified visitors").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub user_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub user_hash: String,
}

/// A visitor on the site now, as agents see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorInfo {
    pub id: VisitorId,
    pub name: String,
    pub page: PageView,
    /// The first page of this visit and where the visitor came from to it.
    #[serde(default)]
    pub landing: Landing,
    pub pages_viewed: u32,
    /// Unix time in milliseconds when this visit began.
    pub visit_started_ms: i64,
    pub in_chat: bool,
    /// The embedding site vouched for who this is (a valid `user_hash`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub verified: bool,
    /// The address the site gave (`LiveChat.identify`); verified or not as above.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
}

/// How a visit began: its first page, and the page that linked to it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Landing {
    pub url: String,
    pub referrer: String,
}

/// An agent as other agents see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentInfo {
    pub id: AgentId,
    pub username: String,
    pub name: String,
    pub role: AgentRole,
    /// Effective status: `offline` when no console is open, whatever was chosen.
    pub status: AgentStatus,
}

/// A visitor chat waiting for an agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueItem {
    pub conversation_id: ConversationId,
    pub visitor_id: VisitorId,
    pub visitor_name: String,
    pub first_message: String,
    pub since_ms: i64,
    /// The department the visitor asked for (its id); empty: none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub department: String,
    /// Automatic routing: the agent the chat is offered to now, and until when
    /// (Unix milliseconds) before it goes to the next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offered_to: Option<AgentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offered_until_ms: Option<i64>,
}

/// A leave-a-message form, sent when no agent was online.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineMessage {
    pub id: MessageId,
    pub visitor_id: Option<VisitorId>,
    pub name: String,
    pub email: String,
    pub body: String,
    pub page_url: String,
    pub at_ms: i64,
    /// Set once an agent has dealt with it.
    #[serde(default)]
    pub handled: Option<Handled>,
}

/// Who marked an offline message handled, and when.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Handled {
    pub by_name: String,
    pub at_ms: i64,
}

/// Who the connection belongs to, as told in [`ServerMsg::Welcome`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Me {
    Visitor {
        id: VisitorId,
        name: String,
    },
    Agent {
        id: AgentId,
        username: String,
        name: String,
        role: AgentRole,
        status: AgentStatus,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// First frame of a connection. Visitors must send their token (64 hex digits,
    /// made in the browser, never sent back by the server) and the page they are on.
    Hello {
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        page: Option<PageView>,
        /// Who the embedding site says the visitor is (`LiveChat.identify`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        identity: Option<Identity>,
    },
    /// The visitor moved to another page without reconnecting.
    PageView {
        page: PageView,
    },
    /// A visitor starts a chat; the conversation enters the queue.
    StartChat {
        client_msg_id: MessageId,
        text: String,
    },
    Send {
        conversation_id: ConversationId,
        client_msg_id: MessageId,
        text: String,
    },
    /// Agents only: an internal note, an entry of the conversation's sequence that
    /// only agents see (`"visibility": "agents"`); no visitor ever receives it.
    SendNote {
        conversation_id: ConversationId,
        client_msg_id: MessageId,
        text: String,
    },
    Typing {
        conversation_id: ConversationId,
        typing: bool,
    },
    /// Ask for every entry after `after_seq`; answered by [`ServerMsg::History`].
    Sync {
        conversation_id: ConversationId,
        after_seq: u64,
    },
    /// Agents only: take a chat from the queue.
    AcceptChat {
        conversation_id: ConversationId,
    },
    /// Agents only: pass on a chat routing offered to this agent; it goes to the
    /// next agent at once.
    DeclineChat {
        conversation_id: ConversationId,
    },
    /// Agents only.
    SetStatus {
        status: AgentStatus,
    },
    /// Leave a conversation; a direct conversation then closes.
    Leave {
        conversation_id: ConversationId,
    },
    /// Join the conversation of an invitation addressed to this connection's owner.
    /// A visitor in a direct conversation leaves it (it ends for the visitor).
    AcceptInvitation {
        invitation_id: InvitationId,
    },
    DeclineInvitation {
        invitation_id: InvitationId,
    },
    /// Visitors only: the name other participants see (1 to 80 characters). It is
    /// used from now on, and for conversations joined later.
    SetName {
        name: String,
    },
    /// Visitors only: the leave-a-message form.
    LeaveMessage {
        name: String,
        email: String,
        text: String,
    },
    /// The widget's pre-chat form, before the visitor's first message (a
    /// website's settings ask for it): their name and address, the department
    /// they chose, and whether they agreed to what the form asked.
    PreChat {
        #[serde(default)]
        name: String,
        #[serde(default)]
        email: String,
        #[serde(default)]
        department: String,
        #[serde(default)]
        consent: bool,
    },
    /// The transcript of a conversation the sender takes or took part in, as they
    /// may see it, in the language of `lang` (a tag; English otherwise);
    /// answered by [`ServerMsg::Transcript`].
    Transcript {
        conversation_id: ConversationId,
        #[serde(default)]
        lang: Option<String>,
    },
    /// Visitors only, when the server sends mail (`email_transcripts` in
    /// `welcome`): mails the transcript, as [`ClientMsg::Transcript`] gives it, to
    /// `email`; answered by [`ServerMsg::TranscriptEmailed`] once the mail server
    /// took it, or an `unavailable` error.
    EmailTranscript {
        conversation_id: ConversationId,
        email: String,
        #[serde(default)]
        lang: Option<String>,
    },
    /// Visitors only: a link to fetch a file of a message they may see (answered
    /// by [`ServerMsg::FileLink`]); agents fetch files with their session.
    FileLink {
        file_id: FileId,
    },
    /// The reader has seen the conversation up to entry `seq` (a read receipt,
    /// told to everyone in it). Only ever moves forward.
    Seen {
        conversation_id: ConversationId,
        seq: u64,
    },
    /// Visitors only: rates a conversation they took part in (asked when it ends);
    /// rating again replaces the rating.
    Rate {
        conversation_id: ConversationId,
        good: bool,
        #[serde(default)]
        comment: String,
    },
    /// Agents only: which visitors this console lists from now on: the newest
    /// visits whose name, page address or page title contain `filter` (ignoring
    /// case; all when empty, at most [`MAX_VISITOR_FILTER_CHARS`]), and, wherever
    /// their visit falls, the visitors of `watch` (at most [`MAX_WATCHED_VISITORS`]:
    /// those of the console's conversations, those picked). Answered with the
    /// list whole ([`ServerMsg::Visitors`]).
    ViewVisitors {
        #[serde(default)]
        filter: String,
        #[serde(default)]
        watch: Vec<VisitorId>,
    },
}

/// How many of the newest visits a console lists ([`ServerMsg::Visitors`]).
pub const VISITOR_PAGE: usize = 50;
/// The longest visitor filter a console may set.
pub const MAX_VISITOR_FILTER_CHARS: usize = 100;
/// How many visitors a console may follow outside its page.
pub const MAX_WATCHED_VISITORS: usize = 200;

/// A department that cannot answer chats now: outside its business hours, or
/// none of its agents online. Its widgets offer the leave-a-message form.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AwayDepartment {
    pub department: String,
    /// Its away message; the widget's own words when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// A visitor's rating of a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub conversation_id: ConversationId,
    pub visitor_id: VisitorId,
    pub visitor_name: String,
    pub good: bool,
    /// May be empty.
    pub comment: String,
    pub at_ms: i64,
}

impl ClientMsg {
    /// The client's id of the message it sends, for the answer to name.
    pub fn client_msg_id(&self) -> Option<MessageId> {
        match self {
            ClientMsg::StartChat { client_msg_id, .. }
            | ClientMsg::Send { client_msg_id, .. }
            | ClientMsg::SendNote { client_msg_id, .. } => Some(*client_msg_id),
            ClientMsg::Hello { .. }
            | ClientMsg::PageView { .. }
            | ClientMsg::Typing { .. }
            | ClientMsg::Sync { .. }
            | ClientMsg::AcceptChat { .. }
            | ClientMsg::DeclineChat { .. }
            | ClientMsg::SetStatus { .. }
            | ClientMsg::Leave { .. }
            | ClientMsg::AcceptInvitation { .. }
            | ClientMsg::DeclineInvitation { .. }
            | ClientMsg::SetName { .. }
            | ClientMsg::PreChat { .. }
            | ClientMsg::LeaveMessage { .. }
            | ClientMsg::Seen { .. }
            | ClientMsg::Transcript { .. }
            | ClientMsg::EmailTranscript { .. }
            | ClientMsg::FileLink { .. }
            | ClientMsg::ViewVisitors { .. }
            | ClientMsg::Rate { .. } => None,
        }
    }

    /// The conversation the request is about, for the answer to name.
    pub fn conversation_id(&self) -> Option<ConversationId> {
        match self {
            ClientMsg::Send {
                conversation_id, ..
            }
            | ClientMsg::SendNote {
                conversation_id, ..
            }
            | ClientMsg::Typing {
                conversation_id, ..
            }
            | ClientMsg::Sync {
                conversation_id, ..
            }
            | ClientMsg::AcceptChat { conversation_id }
            | ClientMsg::DeclineChat { conversation_id }
            | ClientMsg::Leave { conversation_id }
            | ClientMsg::Rate {
                conversation_id, ..
            }
            | ClientMsg::Seen {
                conversation_id, ..
            }
            | ClientMsg::Transcript {
                conversation_id, ..
            }
            | ClientMsg::EmailTranscript {
                conversation_id, ..
            } => Some(*conversation_id),
            ClientMsg::Hello { .. }
            | ClientMsg::PageView { .. }
            | ClientMsg::StartChat { .. }
            | ClientMsg::SetStatus { .. }
            | ClientMsg::AcceptInvitation { .. }
            | ClientMsg::DeclineInvitation { .. }
            | ClientMsg::SetName { .. }
            | ClientMsg::PreChat { .. }
            | ClientMsg::FileLink { .. }
            | ClientMsg::ViewVisitors { .. }
            | ClientMsg::LeaveMessage { .. } => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    Welcome {
        me: Me,
        conversations: Vec<ConversationSummary>,
        /// Whether any agent is online (visitors show the offline form when not).
        agents_available: bool,
        /// Whether visitors may have their transcript e-mailed.
        email_transcripts: bool,
        /// Visitors: the departments that cannot answer now.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        away: Vec<AwayDepartment>,
    },
    /// The message with this client id is stored under `seq`.
    Ack {
        client_msg_id: MessageId,
        conversation_id: ConversationId,
        seq: u64,
    },
    /// A new entry of a conversation the receiver takes part in.
    Message {
        conversation_id: ConversationId,
        message: ChatMessage,
    },
    /// Answer to `sync`: entries after the asked sequence number, in order.
    /// `more` means the page was full: ask again after the last one.
    History {
        conversation_id: ConversationId,
        messages: Vec<ChatMessage>,
        more: bool,
    },
    /// A conversation the receiver takes part in was created or changed.
    Conversation {
        conversation: ConversationSummary,
    },
    Typing {
        conversation_id: ConversationId,
        author: Author,
        typing: bool,
    },
    /// Visitors: whether chats can be answered changed. `available` is whether
    /// any agent is online; a department in `away` cannot answer now, whatever
    /// it says.
    AgentsAvailable {
        available: bool,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        away: Vec<AwayDepartment>,
    },
    /// Agents only, after `welcome`, in answer to `view_visitors`, and instead of
    /// a long run of changes: the visitors this console lists, whole. However
    /// many are on the site, the list is bounded: the [`VISITOR_PAGE`] newest
    /// visits that match the console's filter ([`ClientMsg::ViewVisitors`]), and
    /// the visitors it asked to follow. Oldest visit first.
    Visitors {
        visitors: Vec<VisitorInfo>,
        /// Everyone on the site now.
        on_site: u32,
        /// Those of them that match the filter.
        matching: u32,
    },
    /// Agents only: a visitor entered the console's list, or changed in it.
    VisitorUpdated {
        visitor: VisitorInfo,
    },
    /// Agents only: a visitor is no longer in the console's list: `gone` when
    /// they left the site, else they made room for a newer visit or no longer
    /// match the filter.
    VisitorLeft {
        visitor_id: VisitorId,
        #[serde(default)]
        gone: bool,
    },
    /// Agents only: the counts of `visitors` changed.
    VisitorTotals {
        on_site: u32,
        matching: u32,
    },
    /// Agents only: every agent, sent once after `welcome`.
    Agents {
        agents: Vec<AgentInfo>,
    },
    AgentUpdated {
        agent: AgentInfo,
    },
    /// Agents only: the whole queue, sent once after `welcome`.
    Queue {
        items: Vec<QueueItem>,
    },
    QueueAdded {
        item: QueueItem,
    },
    QueueRemoved {
        conversation_id: ConversationId,
    },
    OfflineMessageReceived {
        message: OfflineMessage,
    },
    /// Agents: an offline message was marked handled (or not handled again).
    OfflineMessageUpdated {
        message: OfflineMessage,
    },
    /// Agents, and the visitor who rated: a visitor rated a conversation.
    Rated {
        rating: Rating,
    },
    /// Answer to `file_link`: where the visitor's browser fetches the file, for a
    /// few minutes.
    FileLink {
        file_id: FileId,
        url: String,
    },
    /// Answer to `transcript`: the conversation as plain text, to save as a file.
    Transcript {
        conversation_id: ConversationId,
        text: String,
    },
    /// Answer to `email_transcript`: the mail server took the transcript for `email`.
    TranscriptEmailed {
        conversation_id: ConversationId,
        email: String,
    },
    /// Someone in a conversation the receiver takes part in has read further.
    Seen {
        conversation_id: ConversationId,
        seen: SeenBy,
    },
    /// Visitors: the place of their chat in the queue (1 is next), sent when the
    /// chat enters the queue, whenever the place changes, and after `welcome`.
    QueuePosition {
        conversation_id: ConversationId,
        position: u32,
    },
    /// An invitation to the receiver was made, or changed state (then it is gone).
    Invitation {
        invitation: InvitationInfo,
    },
    /// Visitors: the leave-a-message form was stored.
    OfflineMessageStored,
    /// Visitors: the display name is now `name`.
    NameChanged {
        name: String,
    },
    /// The client asked to resume after an entry this server does not have (e.g. the
    /// database was restored from a backup): drop the local copy of the
    /// conversation and sync again from 0.
    Reset {
        conversation_id: ConversationId,
    },
    Error {
        code: ErrorCode,
        /// The client message id of the send that failed, if it was one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_msg_id: Option<MessageId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation_id: Option<ConversationId>,
    },
}

/// Counts characters the way the limits above do.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// A person's name as others see it: one rule for agents, visitors and the
/// leave-a-message form. Not blank, no control characters (they would not show),
/// at most [`MAX_NAME_CHARS`]; otherwise kept exactly as given (forms trim what
/// people type before they send it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

/// Why a display name was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameProblem {
    Blank,
    ControlCharacter,
    TooLong,
}

impl DisplayName {
    pub fn parse(name: &str) -> Result<DisplayName, NameProblem> {
        if name.trim().is_empty() {
            Err(NameProblem::Blank)
        } else if name.chars().any(char::is_control) {
            Err(NameProblem::ControlCharacter)
        } else if char_len(name) > MAX_NAME_CHARS {
            Err(NameProblem::TooLong)
        } else {
            Ok(DisplayName(name.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for NameProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NameProblem::Blank => f.write_str("a name cannot be blank"),
            NameProblem::ControlCharacter => f.write_str("a name cannot hold control characters"),
            NameProblem::TooLong => write!(f, "a name has at most {MAX_NAME_CHARS} characters"),
        }
    }
}

/// Cuts `s` to at most `max` characters, on a character boundary.
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((idx, _)) => s[..idx].to_owned(),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn client_messages_are_tagged_by_type() {
        let json = r#"{"type":"send","conversation_id":"00000000-0000-0000-0000-000000000001",
            "client_msg_id":"00000000-0000-0000-0000-000000000002","text":"hi"}"#;
        let msg: ClientMsg = serde_json::from_str(json).unwrap();
        assert!(matches!(msg, ClientMsg::Send { ref text, .. } if text == "hi"));
    }

    #[test]
    fn unknown_types_are_rejected() {
        assert!(serde_json::from_str::<ClientMsg>(r#"{"type":"reboot"}"#).is_err());
    }

    #[test]
    fn notices_nest_under_the_body_kind() {
        let body = Body::Notice(Notice::Joined { name: "Ann".into() });
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["kind"], "notice");
        assert_eq!(json["notice"], "joined");
        assert_eq!(json["name"], "Ann");
    }

    #[test]
    fn errors_leave_out_absent_fields() {
        let msg = ServerMsg::Error {
            code: ErrorCode::NotFound,
            client_msg_id: None,
            conversation_id: Some(ConversationId(Uuid::nil())),
        };
        let json = serde_json::to_string(&msg).unwrap();
        assert!(!json.contains("client_msg_id"), "{json}");
        assert!(json.contains("\"code\":\"not_found\""), "{json}");
    }

    #[test]
    fn truncation_respects_character_boundaries() {
        assert_eq!(truncate_chars("héllo", 2), "hé");
        assert_eq!(truncate_chars("短い", 5), "短い");
        assert_eq!(char_len("短い"), 2);
    }

    #[test]
    fn one_rule_for_every_display_name() {
        assert_eq!(
            DisplayName::parse(" Ann ").unwrap().as_str(),
            " Ann ",
            "kept exactly"
        );
        assert_eq!(
            DisplayName::parse("王小明").unwrap().into_string(),
            "王小明"
        );
        assert_eq!(DisplayName::parse(" \t"), Err(NameProblem::Blank));
        assert_eq!(
            DisplayName::parse("Ann\u{7}"),
            Err(NameProblem::ControlCharacter)
        );
        assert!(DisplayName::parse(&"名".repeat(MAX_NAME_CHARS)).is_ok());
        assert_eq!(
            DisplayName::parse(&"名".repeat(MAX_NAME_CHARS + 1)),
            Err(NameProblem::TooLong)
        );
    }
}
