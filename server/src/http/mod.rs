//! The HTTP transport adapter: the axum router with the Leptos pages (widget and
//! console) and server functions, the WebSocket endpoints, the widget loader, the
//! demo website and a health check.

pub mod api;
mod assets;
mod avatars;
mod backend;
mod files;
mod guard;
mod metrics;
mod privacy;
mod reports;
pub mod static_files;
mod transcript;
pub mod ws;

use crate::chat::ChatService;
use crate::limits::SocketLimits;
use app::api::ConsoleBackend;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leptos::nonce::Nonce;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;

pub use backend::ConsoleApi;
pub use guard::{parse_origin, Origins, TrustedProxies};

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub chat: Arc<ChatService>,
    pub origins: Arc<Origins>,
    pub trusted_proxies: Arc<TrustedProxies>,
    pub socket_limits: Arc<SocketLimits>,
    /// The built site's `/pkg` files, read at start.
    pub site: Arc<static_files::SiteFiles>,
    /// The console's own style sheet and bundle (in `site`).
    pub console_assets: app::ConsoleAssets,
    /// Where files sent in conversations are kept.
    pub files: Arc<dyn crate::files::FileBlobs>,
    /// The largest file that may be sent, in bytes.
    pub max_upload_bytes: usize,
    pub upload_limits: Arc<crate::limits::UploadLimits>,
    /// REST API requests per token.
    pub api_limits: Arc<crate::limits::KeyedLimiter<uuid::Uuid>>,
}

/// A file of the built site.
async fn site_file(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::extract::Path(name): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match state.site.get(&name) {
        Some(file) => file.respond(&headers),
        None => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}

impl FromRef<AppState> for ws::SocketState {
    fn from_ref(state: &AppState) -> Self {
        ws::SocketState {
            chat: state.chat.clone(),
            origins: state.origins.clone(),
            limits: state.socket_limits.clone(),
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.chat.readiness().await {
        Ok(()) => "ready".into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why).into_response(),
    }
}

pub fn router(state: AppState) -> Router {
    let backend: Arc<dyn ConsoleBackend> =
        Arc::new(ConsoleApi::new(state.chat.clone(), state.files.clone()));
    let console_assets = state.console_assets.clone();
    // Every render and server function gets the backend, and the nonce that the
    // security-headers layer put into this response's Content-Security-Policy.
    let context = move || {
        provide_context(backend.clone());
        provide_context(console_assets.clone());
        if let Some(nonce) = use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Nonce>().cloned())
        {
            provide_context(nonce);
        }
    };
    let routes = generate_route_list(app::App);
    let leptos_options = state.leptos_options.clone();
    let widget_options = state.leptos_options.clone();
    let widget_page = leptos_axum::render_app_to_stream_with_context(context.clone(), move || {
        app::widget_shell(widget_options.clone())
    });
    let origins = state.origins.clone();
    let proxies = state.trusted_proxies.clone();
    Router::new()
        .route("/ws/visitor", get(ws::visitor_socket))
        .route("/ws/agent", get(ws::agent_socket))
        .route("/widget.js", get(assets::widget_js))
        .route("/widget", get(widget_page))
        .route("/pkg/{name}", get(site_file))
        .route("/transcript/{id}", get(transcript::download))
        .route("/reports.csv", get(reports::download))
        .route("/visitors/{id}/export.json", get(privacy::export))
        .route(
            "/upload/{conversation_id}",
            axum::routing::post(files::upload)
                .layer(axum::extract::DefaultBodyLimit::max(state.max_upload_bytes)),
        )
        .route("/files/{id}", get(files::download))
        .route(
            "/avatar",
            axum::routing::put(avatars::put)
                .delete(avatars::delete)
                .layer(axum::extract::DefaultBodyLimit::max(
                    avatars::MAX_AVATAR_BYTES,
                )),
        )
        .route("/avatars/{id}", get(avatars::get))
        .route("/demo", get(assets::demo_home))
        .route("/demo/pricing", get(assets::demo_pricing))
        .route("/demo/contact", get(assets::demo_contact))
        .route("/demo/site.css", get(assets::demo_css))
        .route("/favicon.ico", get(assets::favicon))
        // Alive: the process answers. Ready: it should get traffic (a load
        // balancer's health check): not draining, and the store answers.
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::metrics))
        .route("/", get(assets::index))
        .merge(api::router())
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            app::shell(leptos_options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, app::shell))
        .with_state(state)
        // Pages and API answers are made per request, so they are compressed per
        // request; files already compressed (`/pkg`, the loader) are left alone.
        .layer(
            tower_http::compression::CompressionLayer::new()
                .br(true)
                .gzip(true),
        )
        .layer(axum::middleware::from_fn(guard::refuse_cross_site))
        .layer(axum::middleware::from_fn_with_state(
            origins,
            guard::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            proxies,
            guard::client_address,
        ))
}
