//! `GET /visitors/{id}/export.json`: everything kept about one visitor, as the
//! console's privacy panel offers it for download; for admins, by the console's
//! session cookie. Each export is written into the audit log.

use super::reports::admin_by_cookie;
use super::AppState;
use app::api::AuditAction;
use app::ids::VisitorId;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let admin = match admin_by_cookie(&state, &headers).await {
        Ok(admin) => admin,
        Err(refused) => return refused,
    };
    let Ok(id) = id.parse::<uuid::Uuid>().map(VisitorId) else {
        return (StatusCode::BAD_REQUEST, "a visitor's id is a UUID").into_response();
    };
    let export = match state.chat.export_visitor(id).await {
        Ok(export) => export,
        Err(err) => {
            let status = StatusCode::from_u16(err.code().http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, err.code().to_string()).into_response();
        }
    };
    let body = match serde_json::to_vec_pretty(&export) {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(%err, "a visitor's export did not serialise");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let recorded = state
        .chat
        .store()
        .record_audit(
            crate::clock::now_ms(),
            &admin.username,
            AuditAction::VisitorExported,
            &id.to_string(),
            "",
        )
        .await;
    if let Err(err) = recorded {
        tracing::error!(%err, admin = %admin.username, "the audit log was not written");
    }
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"visitor-{id}.json\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
