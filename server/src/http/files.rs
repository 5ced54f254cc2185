//! Files over HTTP: `POST /upload/{conversation_id}?name=…&client_msg_id=…` sends
//! one (the body is the file; the `Content-Type` header its declared type), and
//! `GET /files/{id}` fetches one. Both authenticate as sending does: an agent by
//! the console's session cookie, a visitor by the `X-Visitor-Token` header (to
//! send) or a signed link the server gave them (to fetch, since `<img src>`
//! carries no header). A file is stored before the message that carries it, and
//! served only to who may see that message, in a way that nothing in it can run
//! in this origin.

use super::AppState;
use crate::chat::{ChatError, Session};
use crate::clock::now_ms;
use crate::files::{clean_name, content_type, Refused};
use app::api::{session_token, ClientAddr};
use app::error::ErrorCode;
use app::ids::{ConversationId, FileId, MessageId, Participant};
use app::protocol::FileInfo;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// The header a visitor's widget sends its token in.
pub const VISITOR_TOKEN_HEADER: &str = "x-visitor-token";

#[derive(Deserialize)]
pub struct UploadParams {
    name: String,
    client_msg_id: MessageId,
}

/// An error answer as every HTTP endpoint here gives it: `{"code", "detail"}`.
pub(super) fn refuse(status: StatusCode, code: ErrorCode, detail: &str) -> Response {
    let body = serde_json::json!({ "code": code, "detail": detail });
    (status, axum::Json(body)).into_response()
}

fn chat_error(err: ChatError) -> Response {
    let code = err.code();
    let status =
        StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let ChatError::Store(store) = &err {
        tracing::warn!(%store, "storage failed for a file");
    }
    refuse(status, code, &code.to_string())
}

/// The sender: a visitor by the token the widget sends, else an agent by the
/// console's cookie (a browser logged into the console may send both).
async fn sender(state: &AppState, headers: &HeaderMap) -> Result<Session, Response> {
    if let Some(token) = headers
        .get(VISITOR_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        return state.chat.visitor_session(token).await.map_err(chat_error);
    }
    if let Some(token) = session_token(headers) {
        return match state.chat.agent_for_session(&token).await {
            Ok(Some(agent)) => Ok(Session::Agent(agent)),
            Ok(None) => Err(refuse(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "log in again",
            )),
            Err(err) => Err(chat_error(err.into())),
        };
    }
    Err(refuse(
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
        "no session",
    ))
}

pub async fn upload(
    State(state): State<AppState>,
    Path(conversation_id): Path<ConversationId>,
    Query(params): Query<UploadParams>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let session = match sender(&state, &headers).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let limits = &state.upload_limits;
    let address_ok = client.is_none_or(|Extension(ClientAddr(ip))| limits.per_ip.take(&ip));
    if !address_ok || !limits.per_sender.take(&session.participant()) {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "too many files at once; wait a little",
        );
    }
    let Some(name) = clean_name(&params.name) else {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidField,
            "the file needs a name",
        );
    };
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let content_type = match content_type(&body, declared, &name) {
        Ok(kind) => kind,
        Err(refused) => {
            let (status, code) = match refused {
                Refused::Empty => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::EmptyMessage),
                Refused::Unsupported | Refused::Mismatch => {
                    (StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::InvalidField)
                }
            };
            return refuse(status, code, &refused.to_string());
        }
    };
    // Not a member: nothing is stored.
    if let Err(err) = state.chat.may_send_into(&session, conversation_id).await {
        return chat_error(err);
    }
    let info = FileInfo {
        id: FileId(uuid::Uuid::new_v4()),
        name,
        content_type: content_type.to_owned(),
        size: body.len() as u64,
    };
    if let Err(err) = state.files.put(info.id, &body).await {
        tracing::error!(%err, "storing a file failed");
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            "try again later",
        );
    }
    let id = info.id;
    match state
        .chat
        .send_file(
            &session,
            conversation_id,
            params.client_msg_id,
            info.clone(),
        )
        .await
    {
        Ok(sent) => {
            let file = match sent.earlier {
                // A resend: the message stored before carries its own file.
                Some(earlier) => {
                    let _ = state.files.remove(id).await;
                    earlier
                }
                None => Some(info),
            };
            axum::Json(serde_json::json!({ "seq": sent.seq, "file": file })).into_response()
        }
        Err(err) => {
            let _ = state.files.remove(id).await;
            chat_error(err)
        }
    }
}

/// `Content-Disposition` with the name in both forms (RFC 6266): an ASCII
/// stand-in and the exact name percent-encoded.
fn disposition(kind: &str, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

pub async fn download(
    State(state): State<AppState>,
    Path(id): Path<FileId>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let viewer = match session_token(&headers) {
        Some(token) => match state.chat.agent_for_session(&token).await {
            Ok(Some(agent)) => Some(Participant::Agent(agent.id)),
            Ok(None) => None,
            Err(err) => return chat_error(err.into()),
        },
        None => None,
    };
    let viewer = viewer.or_else(|| {
        query
            .as_deref()
            .and_then(|q| state.chat.links().check(id, q, now_ms()))
            .map(Participant::Visitor)
    });
    let Some(viewer) = viewer else {
        return refuse(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such file");
    };
    let record = match state.chat.file_for(viewer, id).await {
        Ok(record) => record,
        Err(err) => return chat_error(err),
    };
    let bytes = match state.files.get(id).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return refuse(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such file"),
        Err(err) => {
            tracing::error!(%err, "reading a file failed");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                "try again later",
            );
        }
    };
    let info = record.info;
    let kind = if info.is_image() {
        "inline"
    } else {
        "attachment"
    };
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: header::HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            h.insert(name, value);
        }
    };
    set(h, header::CONTENT_TYPE, &info.content_type);
    set(
        h,
        header::CONTENT_DISPOSITION,
        &disposition(kind, &info.name),
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // Whatever a file holds, it runs nothing here: no scripts, no plugins, no
    // same origin, even if a browser were to render it as a page.
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox",
    );
    set(h, header::CACHE_CONTROL, "private, max-age=600");
    set(
        h,
        header::HeaderName::from_static("cross-origin-resource-policy"),
        "same-site",
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_go_out_in_both_forms() {
        assert_eq!(
            disposition("attachment", "发票 \"2\".pdf"),
            "attachment; filename=\"__ _2_.pdf\"; filename*=UTF-8''%E5%8F%91%E7%A5%A8%20%222%22.pdf"
        );
    }
}
