//! `/api/v1/conversations`: the history with filters and a cursor, one
//! conversation and its entries, sending into it, the multi-party method, and
//! closing.

use super::extract::{Body, Path, Query};
use super::{Caller, Failure};
use crate::http::AppState;
use crate::resources::{
    Audience, Conversation, ConversationClosed, ConversationCreated, ConversationPage, ErrorBody,
    MessagePage, MessageStored, NewConversationRequest, NewMessageRequest, RatingView,
};
use app::api::{HistoryCursor, HistoryFilter, RatingFilter};
use app::error::ErrorCode;
use app::i18n::Lang;
use app::ids::{AgentId, ConversationId, MessageId, VisitorId};
use app::protocol::Visibility;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// Most conversations or entries one page holds.
pub const MAX_PAGE: u32 = 100;
const DEFAULT_PAGE: u32 = 50;

fn page_size(limit: Option<u32>) -> Result<u32, Failure> {
    match limit.unwrap_or(DEFAULT_PAGE) {
        0 => Err(Failure::bad_field("limit must be at least 1")),
        n if n > MAX_PAGE => Err(Failure::bad_field(format!(
            "limit may be at most {MAX_PAGE}"
        ))),
        n => Ok(n),
    }
}

/// The cursor of a page: when the last conversation started, and its id.
fn cursor_text(cursor: &HistoryCursor) -> String {
    format!("{}_{}", cursor.started_ms, cursor.id)
}

fn parse_cursor(text: &str) -> Result<HistoryCursor, Failure> {
    let bad = || Failure::bad_field("cursor is not one this API gave");
    let (started, id) = text.split_once('_').ok_or_else(bad)?;
    Ok(HistoryCursor {
        started_ms: started.parse().map_err(|_| bad())?,
        id: id.parse().map_err(|_| bad())?,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only those this agent (a username) took part in.
    agent: Option<String>,
    /// Only those this visitor (an id) took part in.
    visitor_id: Option<Uuid>,
    /// Only those with a visitor whose name holds this (ignoring case).
    visitor_name: Option<String>,
    /// Started at or after (Unix milliseconds).
    from_ms: Option<i64>,
    /// Started before (Unix milliseconds).
    to_ms: Option<i64>,
    /// `good`, `bad` or `unrated`.
    rating: Option<String>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    /// At most this many (1 to 100, default 50).
    limit: Option<u32>,
}

/// Conversations, newest first, with filters, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/conversations",
    tag = "conversations",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of conversations", body = ConversationPage),
        (status = 400, description = "A filter is malformed", body = ErrorBody),
        (status = 401, description = "No valid API token", body = ErrorBody),
        (status = 429, description = "Too many requests with this token", body = ErrorBody),
    )
)]
pub async fn list_conversations(
    State(state): State<AppState>,
    _caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<ConversationPage>, Failure> {
    let limit = page_size(query.limit)?;
    let agent = match &query.agent {
        Some(username) => Some(state.chat.agent_named(username).await?.id),
        None => None,
    };
    let rating = match query.rating.as_deref() {
        None => None,
        Some("good") => Some(RatingFilter::Good),
        Some("bad") => Some(RatingFilter::Bad),
        Some("unrated") => Some(RatingFilter::Unrated),
        Some(_) => return Err(Failure::bad_field("rating is good, bad or unrated")),
    };
    let filter = HistoryFilter {
        agent,
        visitor: query.visitor_id.map(VisitorId),
        visitor_name: query.visitor_name.filter(|name| !name.trim().is_empty()),
        from_ms: query.from_ms,
        to_ms: query.to_ms,
        rating,
    };
    let after = query.cursor.as_deref().map(parse_cursor).transpose()?;
    let (conversations, next) = state.chat.conversations_page(&filter, after, limit).await?;
    Ok(Json(ConversationPage {
        conversations: conversations.into_iter().map(Conversation::from).collect(),
        next_cursor: next.as_ref().map(cursor_text),
    }))
}

/// Starts a multi-party conversation: the agent named asks to talk with the
/// visitors and agents picked, who must be on the site (visitors) or online
/// (agents) now. Each gets an invitation and joins by accepting it.
#[utoipa::path(
    post,
    path = "/api/v1/conversations",
    tag = "conversations",
    request_body = NewConversationRequest,
    responses(
        (status = 201, description = "The conversation, with its invitations sent", body = ConversationCreated),
        (status = 400, description = "Nobody to invite, or an unknown agent", body = ErrorBody),
        (status = 401, description = "No valid API token", body = ErrorBody),
        (status = 403, description = "A read-only token", body = ErrorBody),
        (status = 409, description = "Someone picked is not here now (`invitee_unavailable`)", body = ErrorBody),
    )
)]
pub async fn create_conversation(
    State(state): State<AppState>,
    caller: Caller,
    Body(request): Body<NewConversationRequest>,
) -> Result<impl IntoResponse, Failure> {
    caller.may_write()?;
    let agent = state.chat.agent_named(&request.agent).await?;
    let mut agents: Vec<AgentId> = Vec::with_capacity(request.agents.len());
    for username in &request.agents {
        agents.push(state.chat.agent_named(username).await?.id);
    }
    let visitors: Vec<VisitorId> = request.visitors.into_iter().map(VisitorId).collect();
    let id = state
        .chat
        .request_conversation(&agent, &visitors, &agents)
        .await?;
    Ok((StatusCode::CREATED, Json(ConversationCreated { id: id.0 })))
}

/// One conversation.
#[utoipa::path(
    get,
    path = "/api/v1/conversations/{id}",
    tag = "conversations",
    params(("id" = Uuid, Path, description = "The conversation's id")),
    responses(
        (status = 200, description = "OK", body = Conversation),
        (status = 401, description = "No valid API token", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody),
    )
)]
pub async fn get_conversation(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Conversation>, Failure> {
    let conversation = state.chat.conversation(ConversationId(id)).await?;
    Ok(Json(conversation.into()))
}

/// Closes a conversation: every agent in it leaves (each one's leaving shows
/// in it), and with no agent left it closes. Closing a closed one changes
/// nothing.
#[utoipa::path(
    post,
    path = "/api/v1/conversations/{id}/close",
    tag = "conversations",
    params(("id" = Uuid, Path, description = "The conversation's id")),
    responses(
        (status = 200, description = "OK", body = ConversationClosed),
        (status = 401, description = "No valid API token", body = ErrorBody),
        (status = 403, description = "A read-only token", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody),
    )
)]
pub async fn close_conversation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<ConversationClosed>, Failure> {
    caller.may_write()?;
    let state = state.chat.close_conversation(ConversationId(id)).await?;
    Ok(Json(ConversationClosed {
        id,
        state: state.into(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntriesQuery {
    /// Entries after this seq (default 0: from the first).
    after_seq: Option<u64>,
    /// At most this many (1 to 100, default 50).
    limit: Option<u32>,
}

/// A conversation's entries in seq order, internal notes and notices
/// included, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/conversations/{id}/messages",
    tag = "conversations",
    params(("id" = Uuid, Path, description = "The conversation's id"), EntriesQuery),
    responses(
        (status = 200, description = "OK", body = MessagePage),
        (status = 401, description = "No valid API token", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody),
    )
)]
pub async fn list_messages(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<Uuid>,
    Query(query): Query<EntriesQuery>,
) -> Result<Json<MessagePage>, Failure> {
    let limit = page_size(query.limit)?;
    let (messages, more) = state
        .chat
        .entries(ConversationId(id), query.after_seq.unwrap_or(0), limit)
        .await?;
    Ok(Json(MessagePage {
        messages: messages.into_iter().map(Into::into).collect(),
        more,
    }))
}

/// Writes a message into a conversation as one of its agents, or as a named
/// bot in that agent's seat; everyone in it gets it at once. With
/// `audience: agents` it is an internal note that no visitor ever sees.
#[utoipa::path(
    post,
    path = "/api/v1/conversations/{id}/messages",
    tag = "conversations",
    params(("id" = Uuid, Path, description = "The conversation's id")),
    request_body = NewMessageRequest,
    responses(
        (status = 201, description = "Stored under its seq", body = MessageStored),
        (status = 400, description = "Empty, too long, or an unknown agent", body = ErrorBody),
        (status = 401, description = "No valid API token", body = ErrorBody),
        (status = 403, description = "A read-only token", body = ErrorBody),
        (status = 404, description = "No such conversation, or the agent is not in it", body = ErrorBody),
        (status = 409, description = "Closed, or `client_msg_id` used for another text", body = ErrorBody),
        (status = 503, description = "Storage unavailable: nothing stored, retry", body = ErrorBody),
    )
)]
pub async fn send_message(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(request): Body<NewMessageRequest>,
) -> Result<impl IntoResponse, Failure> {
    caller.may_write()?;
    let agent = state.chat.agent_named(&request.agent).await?;
    let message_id = request.client_msg_id.unwrap_or_else(Uuid::new_v4);
    let visibility = match request.audience {
        Some(Audience::Agents) => Visibility::Agents,
        Some(Audience::Everyone) | None => Visibility::Everyone,
    };
    let seq = state
        .chat
        .send_as(
            &agent,
            request.bot.as_deref(),
            ConversationId(id),
            MessageId(message_id),
            request.text,
            visibility,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(MessageStored {
            conversation_id: id,
            id: message_id,
            seq,
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TranscriptQuery {
    /// `en`, `zh-Hans` or `zh-Hant` (default `en`).
    lang: Option<String>,
}

/// The conversation as plain text, internal notes included.
#[utoipa::path(
    get,
    path = "/api/v1/conversations/{id}/transcript",
    tag = "conversations",
    params(("id" = Uuid, Path, description = "The conversation's id"), TranscriptQuery),
    responses(
        (status = 200, description = "The transcript", body = String, content_type = "text/plain"),
        (status = 401, description = "No valid API token", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody),
    )
)]
pub async fn transcript(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<Uuid>,
    Query(query): Query<TranscriptQuery>,
) -> Result<impl IntoResponse, Failure> {
    let lang = match query.lang.as_deref() {
        None => Lang::default(),
        Some(tag) => Lang::from_tag(tag).ok_or_else(|| {
            Failure::new(ErrorCode::InvalidField, "lang is en, zh-Hans or zh-Hant")
        })?,
    };
    let text = state
        .chat
        .staff_transcript(ConversationId(id), lang)
        .await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text))
}

/// The ratings visitors gave a conversation, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/conversations/{id}/ratings",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The conversation's id")),
    responses(
        (status = 200, description = "OK", body = Vec<RatingView>),
        (status = 401, description = "No valid API token", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody),
    )
)]
pub async fn ratings(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<RatingView>>, Failure> {
    let ratings = state.chat.ratings_of(ConversationId(id)).await?;
    Ok(Json(ratings.into_iter().map(Into::into).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_it_was_written() {
        let cursor = HistoryCursor {
            started_ms: 1_700_000_000_123,
            id: ConversationId(Uuid::new_v4()),
        };
        assert_eq!(parse_cursor(&cursor_text(&cursor)).unwrap(), cursor);
        for bad in ["", "12", "x_y", "12_not-a-uuid", &cursor.id.to_string()] {
            assert!(parse_cursor(bad).is_err(), "{bad}");
        }
    }
}
