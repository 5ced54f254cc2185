//! `/api/v1/visitors`, `/api/v1/agents` and `/api/v1/offline_messages`.

use super::extract::Query;
use super::{Caller, Failure};
use crate::http::AppState;
use crate::resources::{AgentView, ErrorBody, OfflineMessageView, VisitorView, VisitorsNow};
use app::protocol::char_len;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

/// Most visitors one answer lists; the counts cover everyone.
pub const MAX_VISITORS: usize = 500;
/// Longest filter, as the console's search box.
const MAX_FILTER_CHARS: usize = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitorsQuery {
    /// Only visitors whose name, page address or page title holds this
    /// (ignoring case).
    filter: Option<String>,
    /// At most this many of the newest visits (1 to 500, default 100).
    limit: Option<usize>,
}

/// Who is on the site now: the newest visits that match, with the counts.
#[utoipa::path(
    get,
    path = "/api/v1/visitors",
    tag = "people",
    params(VisitorsQuery),
    responses(
        (status = 200, description = "OK", body = VisitorsNow),
        (status = 400, description = "A bad limit or a filter too long", body = ErrorBody),
        (status = 401, description = "No valid API token", body = ErrorBody),
    )
)]
pub async fn visitors(
    State(state): State<AppState>,
    _caller: Caller,
    Query(query): Query<VisitorsQuery>,
) -> Result<Json<VisitorsNow>, Failure> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_VISITORS).contains(&limit) {
        return Err(Failure::bad_field(format!("limit is 1 to {MAX_VISITORS}")));
    }
    let filter = query.filter.unwrap_or_default();
    if char_len(&filter) > MAX_FILTER_CHARS {
        return Err(Failure::new(
            app::error::ErrorCode::TooLong,
            format!("filter is longer than {MAX_FILTER_CHARS} characters"),
        ));
    }
    let list = state.chat.visitors_now(filter.trim(), limit);
    Ok(Json(VisitorsNow {
        visitors: list.visitors.into_iter().map(VisitorView::from).collect(),
        on_site: list.on_site,
        matching: list.matching,
    }))
}

/// Every agent account with its status now.
#[utoipa::path(
    get,
    path = "/api/v1/agents",
    tag = "people",
    responses(
        (status = 200, description = "OK", body = Vec<AgentView>),
        (status = 401, description = "No valid API token", body = ErrorBody),
    )
)]
pub async fn agents(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<AgentView>>, Failure> {
    let agents = state.chat.agents_now().await?;
    Ok(Json(agents.into_iter().map(AgentView::from).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfflineQuery {
    /// At most this many of the newest (1 to 500, default 100).
    limit: Option<u32>,
}

/// Messages visitors left when no agent was online, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/offline_messages",
    tag = "inbox",
    params(OfflineQuery),
    responses(
        (status = 200, description = "OK", body = Vec<OfflineMessageView>),
        (status = 400, description = "A bad limit", body = ErrorBody),
        (status = 401, description = "No valid API token", body = ErrorBody),
    )
)]
pub async fn offline_messages(
    State(state): State<AppState>,
    _caller: Caller,
    Query(query): Query<OfflineQuery>,
) -> Result<Json<Vec<OfflineMessageView>>, Failure> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_VISITORS as u32).contains(&limit) {
        return Err(Failure::bad_field("limit is 1 to 500"));
    }
    let messages = state.chat.offline_messages_now(limit).await?;
    Ok(Json(
        messages.into_iter().map(OfflineMessageView::from).collect(),
    ))
}
