//! Agents' pictures over HTTP: `PUT /avatar` sets the picture of the agent
//! logged into the console (the body is the image: PNG, JPEG, GIF or WebP, at
//! most [`MAX_AVATAR_BYTES`]), `DELETE /avatar` removes it, and
//! `GET /avatars/{agent_id}` shows it to anyone: visitors see it beside the
//! agent's name when the website's settings show agents. An agent with no
//! picture is drawn as the first letter of their name.

use super::files::refuse;
use super::AppState;
use crate::chat::AccountError;
use crate::files::picture_type;
use crate::store::Avatar;
use app::api::session_token;
use app::error::ErrorCode;
use app::ids::{AgentId, Participant};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::fmt::Write;

pub use app::files::MAX_AVATAR_BYTES;

fn unavailable(err: impl std::fmt::Display) -> Response {
    tracing::warn!(%err, "storage failed for an agent's picture");
    refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Unavailable,
        "try again later",
    )
}

fn unauthenticated() -> Response {
    refuse(
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
        "log in again",
    )
}

/// The agent logged in with the console's cookie.
async fn agent(state: &AppState, headers: &HeaderMap) -> Result<AgentId, Response> {
    let token = session_token(headers).ok_or_else(unauthenticated)?;
    match state.chat.agent_for_session(&token).await {
        Ok(Some(agent)) => Ok(agent.id),
        Ok(None) => Err(unauthenticated()),
        Err(err) => Err(unavailable(err)),
    }
}

fn answer(set: Result<Option<i64>, AccountError>) -> Response {
    match set {
        Ok(avatar_ms) => axum::Json(serde_json::json!({ "avatar_ms": avatar_ms })).into_response(),
        Err(AccountError::Missing(_)) => unauthenticated(),
        Err(err) => unavailable(err),
    }
}

pub async fn put(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let agent = match agent(&state, &headers).await {
        Ok(agent) => agent,
        Err(refused) => return refused,
    };
    if !state
        .upload_limits
        .per_sender
        .take(&Participant::Agent(agent))
    {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "too many pictures at once; wait a little",
        );
    }
    if body.is_empty() {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidField,
            "the picture is empty",
        );
    }
    let Some(content_type) = picture_type(&body) else {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::InvalidField,
            "a picture must be PNG, JPEG, GIF or WebP",
        );
    };
    let avatar = Avatar {
        content_type: content_type.to_owned(),
        bytes: body.to_vec(),
    };
    answer(state.chat.set_avatar(agent, Some(avatar)).await)
}

pub async fn delete(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match agent(&state, &headers).await {
        Ok(agent) => answer(state.chat.set_avatar(agent, None).await),
        Err(refused) => refused,
    }
}

pub async fn get(State(state): State<AppState>, Path(id): Path<AgentId>) -> Response {
    let (name, avatar) = match state.chat.avatar(id).await {
        Ok(Some(found)) => found,
        Ok(None) => return refuse(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such agent"),
        Err(err) => return unavailable(err),
    };
    let (content_type, bytes) = match avatar {
        Some(avatar) => (avatar.content_type, avatar.bytes),
        None => (
            "image/svg+xml".to_owned(),
            initial_picture(id, &name).into_bytes(),
        ),
    };
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        h.insert(header::CONTENT_TYPE, value);
    }
    // A picture runs nothing, whatever it holds. Changes show within a minute;
    // the console asks for a new one by a new address.
    let fixed = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'; sandbox",
        ),
        (header::CACHE_CONTROL, "public, max-age=60"),
    ];
    for (name, value) in fixed {
        h.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// The first letter of the name, white on a colour chosen by the agent's id:
/// the same agent always looks the same.
fn initial_picture(id: AgentId, name: &str) -> String {
    const COLOURS: [&str; 6] = [
        "#2563eb", "#7c3aed", "#db2777", "#ea580c", "#059669", "#0891b2",
    ];
    let colour = COLOURS[usize::from(id.0.as_bytes()[0]) % COLOURS.len()];
    let mut initial = String::new();
    for c in name.trim().chars().take(1).flat_map(char::to_uppercase) {
        match c {
            '&' => initial.push_str("&amp;"),
            '<' => initial.push_str("&lt;"),
            '>' => initial.push_str("&gt;"),
            c => initial.push(c),
        }
    }
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\" width=\"64\" height=\"64\">\
         <rect width=\"64\" height=\"64\" fill=\"{colour}\"/>\
         <text x=\"32\" y=\"32\" dy=\"0.35em\" text-anchor=\"middle\" font-family=\"system-ui, sans-serif\" \
         font-size=\"30\" font-weight=\"600\" fill=\"#fff\">{initial}</text></svg>"
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_s_first_letter_is_drawn_and_markup_in_it_is_not() {
        let id = AgentId(uuid::Uuid::nil());
        assert!(initial_picture(id, " alice").contains(">A</text>"));
        assert!(initial_picture(id, "陈").contains(">陈</text>"));
        let hostile = initial_picture(id, "<script>");
        assert!(hostile.contains(">&lt;</text>") && !hostile.contains("<script"));
        assert!(initial_picture(id, "").contains("></text>"));
    }
}
