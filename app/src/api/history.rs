//! Past conversations for agents: the history view's list with its filters,
//! full-text search over what was written, and one conversation read back in
//! full. Every agent may read every conversation of the company, internal notes
//! included; visitors read none of this (they get their own conversations over
//! the WebSocket, and search nothing).

#[cfg(feature = "ssr")]
use super::backend;
use super::ApiError;
use crate::ids::{AgentId, ConversationId, VisitorId};
use crate::protocol::{
    Author, ChatMessage, ConversationKind, ConversationState, ParticipantInfo, Rating, Visibility,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// How many conversations one history page lists.
pub const HISTORY_PAGE: u32 = 30;
/// Most search results returned, newest first.
pub const SEARCH_RESULTS: u32 = 50;
/// Longest part of a visitor's name to filter by, in characters.
pub const MAX_NAME_FILTER_CHARS: usize = 80;

/// Which past conversations to list; every field narrows the list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryFilter {
    /// The agent took part in it.
    #[serde(default)]
    pub agent: Option<AgentId>,
    /// The visitor took part in it.
    #[serde(default)]
    pub visitor: Option<VisitorId>,
    /// A visitor whose name holds this took part in it (case-insensitive).
    #[serde(default)]
    pub visitor_name: Option<String>,
    /// Started at or after (Unix milliseconds).
    #[serde(default)]
    pub from_ms: Option<i64>,
    /// Started before (Unix milliseconds).
    #[serde(default)]
    pub to_ms: Option<i64>,
    #[serde(default)]
    pub rating: Option<RatingFilter>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatingFilter {
    /// A visitor rated it good.
    Good,
    /// A visitor rated it bad.
    Bad,
    /// Nobody rated it.
    Unrated,
}

impl RatingFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            RatingFilter::Good => "good",
            RatingFilter::Bad => "bad",
            RatingFilter::Unrated => "unrated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "good" => Some(RatingFilter::Good),
            "bad" => Some(RatingFilter::Bad),
            "unrated" => Some(RatingFilter::Unrated),
            _ => None,
        }
    }
}

/// Where a history page ends: the next page starts after this conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryCursor {
    pub started_ms: i64,
    pub id: ConversationId,
}

/// A conversation as the history lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastConversation {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub state: ConversationState,
    pub started_ms: i64,
    pub ended_ms: Option<i64>,
    /// Everyone who took part, in the order they first joined.
    pub people: Vec<ParticipantInfo>,
    /// The first message written in it, for a preview.
    pub first_message: String,
    pub last_seq: u64,
    pub ratings: Vec<Rating>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub conversations: Vec<PastConversation>,
    /// Set when there may be more: ask again with it.
    pub next: Option<HistoryCursor>,
}

/// A message that matched a search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub conversation_id: ConversationId,
    pub seq: u64,
    pub at_ms: i64,
    pub author: Option<Author>,
    pub text: String,
    /// `agents` for an internal note.
    pub visibility: Visibility,
    /// Everyone who took part in the conversation.
    pub people: Vec<ParticipantInfo>,
}

/// Entries of a past conversation as agents see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastEntries {
    pub messages: Vec<ChatMessage>,
    /// The page was full: ask again after its last entry.
    pub more: bool,
}

/// Past conversations, newest first, that match `filter`; `after` continues a
/// list where the previous page ended.
#[server(endpoint = "history", input = leptos::server_fn::codec::Json)]
pub async fn history(
    filter: HistoryFilter,
    after: Option<HistoryCursor>,
) -> Result<HistoryPage, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.history(&token, filter, after).await
    })
    .await
}

/// Messages and internal notes holding every word of `query` (Chinese found by
/// its characters, English words by their start), newest first, in conversations
/// that match `filter`.
#[server(endpoint = "search", input = leptos::server_fn::codec::Json)]
pub async fn search_messages(
    query: String,
    filter: HistoryFilter,
) -> Result<Vec<SearchHit>, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.search(&token, &query, filter).await
    })
    .await
}

/// One conversation as the history shows it.
#[server(endpoint = "past_conversation", input = leptos::server_fn::codec::Json)]
pub async fn read_past_conversation(id: ConversationId) -> Result<PastConversation, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.past_conversation(&token, id).await
    })
    .await
}

/// A page of a conversation's entries after `after_seq`, notes included.
#[server(endpoint = "past_entries", input = leptos::server_fn::codec::Json)]
pub async fn read_past_entries(
    id: ConversationId,
    after_seq: u64,
) -> Result<PastEntries, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.past_entries(&token, id, after_seq).await
    })
    .await
}
