//! The chat server. Its rooms follow the patent's parts:
//!
//! - [`chat`]: the chat service module (presence, conversations, accounts, rules);
//! - [`routing`]: the message routing component (fan-out to open connections);
//! - [`store`]: storage behind the [`store::Store`] trait (SQLite by default);
//! - [`broker`]: fan-out between nodes behind the [`broker::Broker`] trait;
//! - [`ws`] and [`http`]: the transport adapters.
//!
//! [`Server::start`] wires them together; `main.rs` only reads the command line.

pub mod broker;
pub mod chat;
pub mod clock;
pub mod config;
pub mod files;
pub mod http;
pub mod limits;
pub mod mail;
pub mod metrics;
pub mod resources;
pub mod routing;
pub mod store;
pub mod webhooks;

use app::api::ClientAddr;
use broker::InProcessBroker;
use chat::{ChatConfig, ChatService};
use config::Config;
use leptos::prelude::LeptosOptions;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use store::{Store, StoreOptions};

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub chat: Arc<ChatService>,
    task: tokio::task::JoinHandle<()>,
    /// Delivers the webhook outbox.
    webhooks: tokio::task::JoinHandle<()>,
}

/// Opens the store named by a database URL, with the default options.
pub async fn open_store(database_url: &str) -> anyhow::Result<Arc<dyn Store>> {
    Ok(store::open(database_url, &StoreOptions::default()).await?)
}

impl Server {
    /// Binds, wires the parts together and serves in the background.
    pub async fn start(config: &Config) -> anyhow::Result<Server> {
        let options = StoreOptions {
            busy_timeout: config.store_busy_timeout,
            pool_size: config.pg_pool_size,
        };
        // A cluster node shares presence through the database; one node keeps it
        // in memory.
        let (store, cluster) = match &config.nats_url {
            Some(_) => {
                let (store, presence) = store::open_cluster(&config.database_url, &options).await?;
                let name = format!("{}@{}", hostname(), config.addr);
                (
                    store,
                    Some(chat::cluster::ClusterBoard::join(presence, &name).await?),
                )
            }
            None => (store::open(&config.database_url, &options).await?, None),
        };
        let link_key = store.link_key(files::random_key()).await?;
        let router = Arc::new(routing::Router::new());
        let broker: Arc<dyn broker::Broker> = match &config.nats_url {
            Some(url) => broker::NatsBroker::connect(url, &config.nats_prefix, router.clone())
                .await
                .map_err(anyhow::Error::msg)?,
            None => Arc::new(InProcessBroker::new(router.clone())),
        };
        let chat = ChatService::new(
            store,
            broker,
            router,
            ChatConfig {
                presence_grace: config.presence_grace,
                limits: config.limits,
                mailer: config.mailer.clone(),
                mail_lang: config.mail_lang,
                head_check: config.head_check,
                visitor_lists_every: config.visitor_lists_every,
                identity: config.identity.clone(),
                link_key: Some(link_key),
                cluster,
                ..ChatConfig::default()
            },
        );
        chat.reread_websites().await?;
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        // cargo-leptos writes the content hashes of the site's file names next to
        // the server binary; without them (plain cargo builds) names carry none.
        let hashed = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt")))
            .is_some_and(|file| file.exists());
        let leptos_options = LeptosOptions::builder()
            .output_name("livechat")
            .site_root(config.site_root.clone())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .hash_files(hashed)
            .build();
        let mut site = http::static_files::SiteFiles::load(
            &std::path::Path::new(&config.site_root).join("pkg"),
        )?;
        let console_style =
            site.add_embedded("console", "css", include_bytes!("../../style/console.css"));
        let console_bundle = match (site.hashed("console", "js"), site.hashed("console", "wasm")) {
            (Some(js), Some(wasm)) => Some(app::ConsoleBundle {
                js: format!("/pkg/{js}"),
                wasm: format!("/pkg/{wasm}"),
            }),
            _ => {
                tracing::warn!(
                    "the console's bundle (pkg/console.<hash>.js and .wasm) is not built: \
                     run ./setup.sh build"
                );
                None
            }
        };
        let state = http::AppState {
            leptos_options,
            chat: chat.clone(),
            origins: Arc::new(
                config
                    .allowed_origins
                    .clone()
                    .with_sites(chat.site_origins()),
            ),
            trusted_proxies: Arc::new(config.trusted_proxies.clone()),
            socket_limits: Arc::new(limits::SocketLimits::new(config.limits)),
            site: Arc::new(site),
            files: Arc::new(files::LocalFolder::new(&config.files_dir).map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("the files folder '{}': {e}", config.files_dir.display()),
                )
            })?),
            max_upload_bytes: config.max_upload_bytes,
            upload_limits: Arc::new(limits::UploadLimits::new(&config.limits)),
            api_limits: Arc::new(limits::KeyedLimiter::new(
                config.limits.api_requests_per_token,
            )),
            console_assets: app::ConsoleAssets {
                style: format!("/pkg/{console_style}"),
                bundle: console_bundle,
            },
        };
        tokio::spawn(chat::privacy::keep_retention(
            Arc::downgrade(&chat),
            state.files.clone(),
            chat::privacy::RETENTION_EVERY,
        ));
        let app = http::router(state);
        let webhooks = tokio::spawn(webhooks::delivery::deliver(
            chat.store().clone(),
            chat.committed(),
            chat.webhooks_wanted(),
            config.webhook_timing,
        ));
        let task = tokio::spawn(accept_loop(listener, app, config.header_read_timeout));
        Ok(Server {
            addr,
            chat,
            task,
            webhooks,
        })
    }

    /// Serves until the process is stopped.
    pub async fn run_until_stopped(self) {
        let _ = self.task.await;
    }

    /// Stops serving (tests use it to simulate a crash: nothing is flushed).
    pub fn abort(&self) {
        self.task.abort();
        self.webhooks.abort();
        self.chat.halt();
    }
}

/// This machine's name, for the node's name in the cluster (logs, `nodes`).
fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "node".to_owned())
}

/// Accepts connections and serves HTTP/1.1 on each, WebSocket upgrades included.
/// Our own loop rather than `axum::serve`, for the header-read timeout (which also
/// closes keep-alive connections left idle) and the client address of every request.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    header_read_timeout: Duration,
) {
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(%err, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Chat frames are small and latency matters: no Nagle delay (which, with the
        // peer's delayed ACK, would hold every second frame back by ~40 ms).
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::warn!(%err, "could not set TCP_NODELAY");
        }
        let service = tower::Layer::layer(&axum::Extension(ClientAddr(peer.ip())), app.clone());
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_read_timeout);
            let connection = http
                .serve_connection(
                    hyper_util::rt::TokioIo::new(tcp),
                    hyper_util::service::TowerToHyperService::new(service),
                )
                .with_upgrades();
            if let Err(err) = connection.await {
                tracing::debug!(%err, "connection ended with an error");
            }
        });
    }
}
