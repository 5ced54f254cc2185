//! The REST API under `/api/v1`, for the company's own systems (CRM, help desk,
//! bots, data warehouse). Every request carries an API token
//! (`Authorization: Bearer lcapi_…`); a `read` token may only GET, a `write`
//! token may also create, send and close. Requests that act in a conversation
//! name the agent they act as, and the same rules as in that agent's console
//! apply. Errors are JSON ([`crate::resources::ErrorBody`]) with the stable codes.
//!
//! The OpenAPI 3.1 document is made from these handlers (utoipa) and served at
//! `/api/v1/openapi.json`; `/api/v1/reference` shows it as a page.

mod conversations;
mod extract;
mod people;
mod reference;
mod webhooks;

use super::AppState;
use crate::chat::ChatError;
use crate::resources::{ErrorBody, ErrorDetail};
use crate::store::{ApiScope, ApiTokenRecord, StoreError};
use app::error::ErrorCode;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Where the API lives; every path of the document starts with it.
pub const API_BASE: &str = "/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Live chat REST API",
        description = "Conversations, visitors on the site, agents, offline messages and \
                       ratings, for the company's own systems. Authenticate with an API token \
                       (`server api-token add <name> --scope read|write`) in \
                       `Authorization: Bearer <token>`. Errors answer \
                       `{\"error\": {\"code\", \"message\"}}` with a stable code.",
    ),
    modifiers(&BearerToken),
    security(("bearer" = [])),
    tags(
        (name = "conversations", description = "Conversations, their entries, and the multi-party method"),
        (name = "people", description = "Who is on the site and which agents are online"),
        (name = "inbox", description = "Offline messages and ratings"),
        (name = "webhooks", description = "Endpoints that hear of every event, signed, at least once"),
    )
)]
struct ApiDoc;

struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token, `lcapi_` and 64 hex digits"))
                    .build(),
            ),
        );
    }
}

/// The API's routes with the OpenAPI document made from the same handlers, so
/// that no route can be missing from it.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(
            conversations::list_conversations,
            conversations::create_conversation
        ))
        .routes(routes!(conversations::get_conversation))
        .routes(routes!(conversations::close_conversation))
        .routes(routes!(
            conversations::list_messages,
            conversations::send_message
        ))
        .routes(routes!(conversations::transcript))
        .routes(routes!(conversations::ratings))
        .routes(routes!(people::visitors))
        .routes(routes!(people::agents))
        .routes(routes!(people::offline_messages))
        .routes(routes!(webhooks::add_webhook, webhooks::list_webhooks))
        .routes(routes!(webhooks::remove_webhook))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::redeliver))
}

/// The OpenAPI document of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes().into_openapi()
}

/// The `/api/v1` router: the API, its document and its reference page.
pub fn router() -> axum::Router<AppState> {
    let (routes, document) = api_routes().split_for_parts();
    let json: Arc<str> = document
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
        .into();
    let page: Arc<str> = reference::page(&document).into();
    routes
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let json = json.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        json.to_string(),
                    )
                }
            }),
        )
        .route(
            "/api/v1/reference",
            axum::routing::get(move || {
                let page = page.clone();
                async move { axum::response::Html(page.to_string()) }
            }),
        )
        .route(
            "/api/v1/reference.css",
            axum::routing::get(|| async {
                ([(header::CONTENT_TYPE, "text/css")], reference::STYLE)
            }),
        )
        // Not `fallback`: the site's router keeps its own for pages.
        .route(
            "/api/v1/{*rest}",
            axum::routing::any(|| async {
                Failure::new(
                    ErrorCode::NotFound,
                    "no such API route; see /api/v1/openapi.json",
                )
            }),
        )
}

/// A refused request: its status, code and message, answered as JSON.
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    code: ErrorCode,
    message: String,
}

impl Failure {
    /// A refusal with `code`, answered with the status that code always has
    /// (`ErrorCode::http_status`, as for the console's server functions).
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::from_u16(code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message: message.into(),
        }
    }

    pub(super) fn bad_field(message: impl Into<String>) -> Failure {
        Failure::new(ErrorCode::InvalidField, message)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code: self.code.as_str().to_owned(),
                    message: self.message,
                },
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"api\""),
            );
        }
        response
    }
}

impl From<ChatError> for Failure {
    fn from(err: ChatError) -> Failure {
        match err {
            ChatError::Store(store) => store.into(),
            other => Failure::new(other.code(), other.to_string()),
        }
    }
}

/// Storage failures are logged here; the caller learns only whether to retry.
impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Failure {
        if !matches!(err, StoreError::Refused(_)) {
            crate::metrics::Metrics::count(&crate::metrics::METRICS.store_errors, 1);
        }
        match err {
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "storage unavailable for an API request");
                Failure::new(
                    ErrorCode::Unavailable,
                    "storage is unavailable for now; nothing was stored; retry later",
                )
            }
            refused @ StoreError::Refused(_) => ChatError::from(refused).into(),
            StoreError::Duplicate(detail) | StoreError::Internal(detail) => {
                tracing::error!(%detail, "storage failed for an API request");
                Failure::new(
                    ErrorCode::Internal,
                    "something went wrong on the server; it was logged",
                )
            }
        }
    }
}

/// The integration a request comes from: a live token, within its rate.
pub struct Caller {
    pub token: ApiTokenRecord,
}

impl Caller {
    /// Refuses a read-only token.
    pub fn may_write(&self) -> Result<(), Failure> {
        match self.token.scope {
            ApiScope::Write => Ok(()),
            ApiScope::Read => Err(Failure::new(
                ErrorCode::Forbidden,
                format!("the token '{}' may only read", self.token.name),
            )),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let unauthenticated = |why: &str| Failure::new(ErrorCode::Unauthenticated, why);
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| unauthenticated("send an API token: Authorization: Bearer <token>"))?;
        let token = state
            .chat
            .api_token(presented)
            .await?
            .ok_or_else(|| unauthenticated("this API token is not valid, or was revoked"))?;
        if !state.api_limits.take(&token.id) {
            return Err(Failure::new(
                ErrorCode::RateLimited,
                format!(
                    "too many requests with the token '{}'; slow down",
                    token.name
                ),
            ));
        }
        Ok(Caller { token })
    }
}
