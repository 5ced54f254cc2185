//! `GET /reports.csv`: one table of a report (`table=days|hours|agents|departments`)
//! over the period the rest of the query names, as the console's CSV links ask
//! for it; for admins, by the console's session cookie.

use super::AppState;
use crate::chat::reports;
use crate::store::AgentRecord;
use app::api::{session_token, ReportQuery, ReportTable};
use app::ids::AgentId;
use app::protocol::AgentRole;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct CsvQuery {
    table: String,
    from: String,
    to: String,
    time_zone: String,
    department: Option<String>,
    agent: Option<AgentId>,
}

pub async fn download(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<CsvQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Err(refused) = admin_by_cookie(&state, &headers).await {
        return refused;
    }
    let Ok(Query(query)) = query else {
        return (
            StatusCode::BAD_REQUEST,
            "say table, from, to and time_zone (and department or agent, if wanted)",
        )
            .into_response();
    };
    let Some(table) = ReportTable::parse(&query.table) else {
        return (
            StatusCode::BAD_REQUEST,
            "table is days, hours, agents or departments",
        )
            .into_response();
    };
    let report_query = ReportQuery {
        from: query.from,
        to: query.to,
        time_zone: query.time_zone,
        department: query.department,
        agent: query.agent,
    };
    match state.chat.report(report_query).await {
        Ok(report) => {
            let name = format!(
                "report-{}-{}-to-{}.csv",
                table.as_str(),
                report.query.from,
                report.query.to
            );
            let mut response = reports::csv(&report, table).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(err) => {
            let status = StatusCode::from_u16(err.code().http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let text = match &err {
                crate::chat::ChatError::InvalidField(field) => format!("invalid {field}"),
                other => other.code().to_string(),
            };
            (status, text).into_response()
        }
    }
}

/// The admin whose console session cookie came with a download, or the answer
/// for anyone else: 401 without a session, 403 for an agent who is not an admin.
pub(super) async fn admin_by_cookie(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<AgentRecord, Response> {
    let agent = match session_token(headers) {
        Some(token) => state.chat.agent_for_session(&token).await,
        None => Ok(None),
    };
    match agent {
        Ok(Some(agent)) if agent.role == AgentRole::Admin => Ok(agent),
        Ok(Some(_)) => Err((StatusCode::FORBIDDEN, "for admins only").into_response()),
        Ok(None) => Err((StatusCode::UNAUTHORIZED, "log in to the console first").into_response()),
        Err(err) => {
            tracing::warn!(%err, "reading the session of a download failed");
            Err((StatusCode::SERVICE_UNAVAILABLE, "try again later").into_response())
        }
    }
}
