//! `GET /transcript/{id}`: a conversation's transcript for an agent (by the
//! console's session cookie), as a text file to save. Visitors ask over the
//! WebSocket instead (`transcript`), where their token already is.

use super::AppState;
use crate::chat::Session;
use app::api::session_token;
use app::i18n::Lang;
use app::ids::ConversationId;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Ok(id) = id.parse::<ConversationId>() else {
        return (StatusCode::NOT_FOUND, "no such conversation").into_response();
    };
    let agent = match session_token(&headers) {
        Some(token) => state.chat.agent_for_session(&token).await,
        None => Ok(None),
    };
    let agent = match agent {
        Ok(Some(agent)) => agent,
        Ok(None) => {
            return (StatusCode::UNAUTHORIZED, "log in to the console first").into_response()
        }
        Err(err) => {
            tracing::warn!(%err, "reading the session for a transcript failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "try again later").into_response();
        }
    };
    let lang = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("lang="))
        .and_then(Lang::from_tag)
        .unwrap_or_default();
    match state
        .chat
        .transcript(&Session::Agent(agent), id, lang)
        .await
    {
        Ok(text) => {
            let disposition = format!(
                "attachment; filename=\"{}\"",
                app::transcript::file_name(id)
            );
            let mut response = text.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            response
        }
        Err(err) => {
            let status = StatusCode::from_u16(err.code().http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, err.code().to_string()).into_response()
        }
    }
}
