//! Server functions of the console's integrations panel (admins only): the REST
//! API's tokens, and webhook endpoints with their deliveries.

#[cfg(feature = "ssr")]
use super::backend;
use super::ApiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Every event a webhook endpoint may subscribe to (docs/integrations.md).
pub const WEBHOOK_EVENTS: [&str; 8] = [
    "conversation.created",
    "conversation.closed",
    "conversation.transferred",
    "message.created",
    "invitation.answered",
    "invitation.expired",
    "offline_message.created",
    "rating.created",
];

/// An API token as admins see it (never the token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenInfo {
    pub name: String,
    /// `read` or `write`.
    pub scope: String,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}

/// A registered webhook endpoint (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookInfo {
    pub id: uuid::Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub allow_private: bool,
    pub created_ms: i64,
}

/// An endpoint to register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWebhook {
    pub url: String,
    pub secret: String,
    pub events: Vec<String>,
    pub allow_private: bool,
}

/// One try at a delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAttemptInfo {
    pub at_ms: i64,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// An event's delivery to one endpoint, with every attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDeliveryInfo {
    pub event_id: uuid::Uuid,
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub event_ms: i64,
    pub attempts: Vec<WebhookAttemptInfo>,
}

/// Every API token, revoked ones too.
#[server(endpoint = "admin/api_tokens", input = leptos::server_fn::codec::Json)]
pub async fn api_tokens() -> Result<Vec<ApiTokenInfo>, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.api_tokens(&token).await
    })
    .await
}

/// Makes a token; answers it, to be shown once.
#[server(endpoint = "admin/add_api_token", input = leptos::server_fn::codec::Json)]
pub async fn add_api_token(name: String, write: bool) -> Result<String, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.add_api_token(&token, &name, write).await
    })
    .await
}

#[server(endpoint = "admin/revoke_api_token", input = leptos::server_fn::codec::Json)]
pub async fn revoke_api_token(name: String) -> Result<(), ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.revoke_api_token(&token, &name).await
    })
    .await
}

#[server(endpoint = "admin/webhooks", input = leptos::server_fn::codec::Json)]
pub async fn webhooks() -> Result<Vec<WebhookInfo>, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.webhooks(&token).await
    })
    .await
}

#[server(endpoint = "admin/add_webhook", input = leptos::server_fn::codec::Json)]
pub async fn add_webhook(endpoint: NewWebhook) -> Result<WebhookInfo, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.add_webhook(&token, endpoint).await
    })
    .await
}

#[server(endpoint = "admin/remove_webhook", input = leptos::server_fn::codec::Json)]
pub async fn remove_webhook(id: uuid::Uuid) -> Result<(), ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.remove_webhook(&token, id).await
    })
    .await
}

/// The newest deliveries to an endpoint.
#[server(endpoint = "admin/webhook_deliveries", input = leptos::server_fn::codec::Json)]
pub async fn webhook_deliveries(id: uuid::Uuid) -> Result<Vec<WebhookDeliveryInfo>, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.webhook_deliveries(&token, id).await
    })
    .await
}

/// Sends a delivery again now.
#[server(endpoint = "admin/redeliver", input = leptos::server_fn::codec::Json)]
pub async fn redeliver(id: uuid::Uuid, event_id: uuid::Uuid) -> Result<(), ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.redeliver(&token, id, event_id).await
    })
    .await
}
