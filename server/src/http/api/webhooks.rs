//! `/api/v1/webhooks`: registering endpoints, and their deliveries with every
//! attempt, to look into and to send again.

use super::extract::{Body, Path, Query};
use super::{Caller, Failure};
use crate::clock::now_ms;
use crate::http::AppState;
use crate::resources::{DeliveryView, ErrorBody, NewWebhookRequest, WebhookView};
use crate::webhooks::check_endpoint;
use app::error::ErrorCode;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// Registers an endpoint for the events named. Each event is delivered as a
/// POST with a JSON body `{"id", "event", "created_at_ms", "data"}`, the
/// headers `X-Chat-Event`, `X-Chat-Event-Id` (the same on every attempt) and
/// `X-Chat-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
/// "<t>.<raw body>")>`, at least once, retried with back-off for 24 hours
/// until the endpoint answers 2xx.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    tag = "webhooks",
    request_body = NewWebhookRequest,
    responses(
        (status = 201, description = "Registered", body = WebhookView),
        (status = 401, description = "No valid API token", body = ErrorBody),
        (status = 403, description = "A read-only token", body = ErrorBody),
        (status = 422, description = "A bad URL, secret or event name", body = ErrorBody),
    )
)]
pub async fn add_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Body(request): Body<NewWebhookRequest>,
) -> Result<impl IntoResponse, Failure> {
    caller.may_write()?;
    let events = check_endpoint(&request.url, &request.secret, &request.events)
        .map_err(|e| Failure::new(ErrorCode::InvalidField, e.to_string()))?;
    let endpoint = state
        .chat
        .store()
        .add_webhook(
            &request.url,
            &request.secret,
            &events,
            request.allow_private,
            now_ms(),
        )
        .await?;
    state
        .chat
        .webhooks_wanted()
        .store(true, std::sync::atomic::Ordering::Relaxed);
    tracing::info!(
        token = caller.token.name,
        endpoint = %endpoint.id,
        url = endpoint.url,
        "webhook endpoint registered"
    );
    Ok((StatusCode::CREATED, Json(WebhookView::from(endpoint))))
}

/// Every registered endpoint.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    tag = "webhooks",
    responses(
        (status = 200, description = "OK", body = Vec<WebhookView>),
        (status = 401, description = "No valid API token", body = ErrorBody),
    )
)]
pub async fn list_webhooks(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<WebhookView>>, Failure> {
    let endpoints = state.chat.store().webhooks().await?;
    Ok(Json(endpoints.into_iter().map(WebhookView::from).collect()))
}

/// Removes an endpoint: nothing more is delivered to it.
#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid API token", body = ErrorBody),
        (status = 403, description = "A read-only token", body = ErrorBody),
        (status = 404, description = "No such endpoint", body = ErrorBody),
    )
)]
pub async fn remove_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, Failure> {
    caller.may_write()?;
    if state.chat.store().remove_webhook(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Failure::new(
            ErrorCode::NotFound,
            "no such webhook endpoint",
        ))
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// At most this many of the newest (1 to 100, default 50).
    limit: Option<u32>,
}

/// The newest deliveries to an endpoint, each with every attempt.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries",
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id"), DeliveriesQuery),
    responses(
        (status = 200, description = "OK", body = Vec<DeliveryView>),
        (status = 401, description = "No valid API token", body = ErrorBody),
        (status = 404, description = "No such endpoint", body = ErrorBody),
    )
)]
pub async fn deliveries(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<Uuid>,
    Query(query): Query<DeliveriesQuery>,
) -> Result<Json<Vec<DeliveryView>>, Failure> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(Failure::bad_field("limit is 1 to 100"));
    }
    let store = state.chat.store();
    if !store.webhooks().await?.iter().any(|e| e.id == id) {
        return Err(Failure::new(
            ErrorCode::NotFound,
            "no such webhook endpoint",
        ));
    }
    let deliveries = store.deliveries(id, limit).await?;
    Ok(Json(
        deliveries.into_iter().map(DeliveryView::from).collect(),
    ))
}

/// Sends a delivery again now, whatever became of it (a failed one included).
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/deliveries/{event_id}/redeliver",
    tag = "webhooks",
    params(
        ("id" = Uuid, Path, description = "The endpoint's id"),
        ("event_id" = Uuid, Path, description = "The event's id"),
    ),
    responses(
        (status = 202, description = "Due now"),
        (status = 401, description = "No valid API token", body = ErrorBody),
        (status = 403, description = "A read-only token", body = ErrorBody),
        (status = 404, description = "No such delivery", body = ErrorBody),
    )
)]
pub async fn redeliver(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, event_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, Failure> {
    caller.may_write()?;
    if state.chat.store().redeliver(id, event_id, now_ms()).await? {
        state.chat.committed().notify_one();
        Ok(StatusCode::ACCEPTED)
    } else {
        Err(Failure::new(ErrorCode::NotFound, "no such delivery"))
    }
}
