//! Settings from the environment, with defaults for the README's run command.

use crate::http::{Origins, TrustedProxies};
use crate::limits::Limits;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Config {
    /// `CHAT_ADDR`, default `127.0.0.1:3000`.
    pub addr: SocketAddr,
    /// `CHAT_DATABASE_URL`, default `sqlite://data/chat.db`.
    pub database_url: String,
    /// `CHAT_PRESENCE_GRACE_SECS`, default 30.
    pub presence_grace: Duration,
    /// `LEPTOS_SITE_ROOT`, default `target/site`: where the built WASM, JS and CSS are.
    pub site_root: String,
    /// `CHAT_STORE_BUSY_TIMEOUT_MS`, default 5000: how long a write waits for a lock
    /// held by another process before failing with a retryable error.
    pub store_busy_timeout: Duration,
    /// `CHAT_PG_POOL`, default 16: with PostgreSQL, the most database
    /// connections this node opens.
    pub pg_pool_size: u32,
    /// `CHAT_ALLOWED_ORIGINS`: comma-separated origins of the company websites that
    /// may embed the widget (e.g. `https://www.example.com`); the chat server's own
    /// origin is always allowed.
    pub allowed_origins: Origins,
    /// `CHAT_TRUSTED_PROXIES`: comma-separated addresses of reverse proxies whose
    /// `X-Forwarded-For` names the client (for per-address limits).
    pub trusted_proxies: TrustedProxies,
    /// `CHAT_RATE_LIMITS` (`on` by default; `off` for load tests) and
    /// `CHAT_MAX_CONNECTIONS_PER_IP` (default 500; 0 is unlimited).
    pub limits: Limits,
    /// `CHAT_HEADER_READ_TIMEOUT_SECS`, default 10: how long a client may take to
    /// send a request's headers, and how long an idle keep-alive connection stays.
    pub header_read_timeout: Duration,
    /// `CHAT_FILES_DIR`: where files sent in conversations are kept; by default a
    /// `files` folder beside the SQLite database (`data/files`).
    pub files_dir: PathBuf,
    /// `CHAT_MAX_UPLOAD_BYTES`, default 10 MiB: the largest file that may be sent.
    pub max_upload_bytes: usize,
    /// `CHAT_SMTP_URL` with `CHAT_MAIL_FROM` (the sender, required with it): mail
    /// transcripts and offline messages. Unset: no mail.
    pub mailer: Option<crate::mail::Mailer>,
    /// `CHAT_NATS_URL` (`nats://host:4222`): the cluster mode, fan-out between
    /// nodes over NATS; needs a PostgreSQL `CHAT_DATABASE_URL`.
    pub nats_url: Option<String>,
    /// `CHAT_NATS_PREFIX`, default `chat`: the subjects' prefix, so that several
    /// deployments (or tests) can share one NATS server.
    pub nats_prefix: String,
    /// `CHAT_HEAD_CHECK_MS`, default 5000: how often, in the cluster mode, every
    /// connection's conversations are compared with the store.
    pub head_check: Duration,
    /// `CHAT_VISITOR_LISTS_MS`, default 250: how often, at most, consoles'
    /// visitor lists are brought up to date while visitors come and go.
    pub visitor_lists_every: Duration,
    /// `CHAT_WEBHOOK_FIRST_RETRY_MS` (default 10000: the wait before a failed
    /// webhook delivery is tried again, doubling each time up to an hour) and
    /// `CHAT_WEBHOOK_LEASE_MS` (default 30000: how long a node holds a
    /// delivery it is sending before another may take it).
    pub webhook_timing: crate::webhooks::delivery::Timing,
    /// `CHAT_IDENTITY_SECRET` (none by default: nobody is verified): the secret
    /// the site's `user_hash` is made with; `CHAT_IDENTITY_REQUIRED` (`false`):
    /// `true` ignores identities without a valid hash.
    pub identity: crate::chat::identity::IdentityPolicy,
    /// `CHAT_MAIL_LANG` (`en` by default, `zh-Hans`, `zh-Hant`): the language of
    /// mails to agents.
    pub mail_lang: app::i18n::Lang,
}

pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/chat.db";
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

impl Config {
    pub fn from_env() -> Result<Config, String> {
        let addr = std::env::var("CHAT_ADDR").unwrap_or_else(|_| DEFAULT_ADDR.to_owned());
        let addr = addr.parse().map_err(|e| {
            format!("CHAT_ADDR '{addr}' is not an address: {e}; e.g. 127.0.0.1:3000")
        })?;
        let grace = match std::env::var("CHAT_PRESENCE_GRACE_SECS") {
            Ok(v) => v.parse::<u64>().map_err(|e| {
                format!("CHAT_PRESENCE_GRACE_SECS '{v}' is not a whole number of seconds: {e}")
            })?,
            Err(_) => crate::chat::DEFAULT_PRESENCE_GRACE.as_secs(),
        };
        let busy_ms = match std::env::var("CHAT_STORE_BUSY_TIMEOUT_MS") {
            Ok(v) => v.parse::<u64>().map_err(|e| {
                format!(
                    "CHAT_STORE_BUSY_TIMEOUT_MS '{v}' is not a whole number of milliseconds: {e}"
                )
            })?,
            Err(_) => crate::store::sqlite::DEFAULT_BUSY_TIMEOUT.as_millis() as u64,
        };
        let mut allowed_origins =
            Origins::parse(&std::env::var("CHAT_ALLOWED_ORIGINS").unwrap_or_default())
                .map_err(|e| format!("CHAT_ALLOWED_ORIGINS: {e}"))?;
        // `cargo leptos watch` serves live reload on a port of its own.
        if std::env::var("LEPTOS_WATCH").is_ok() {
            let port = std::env::var("LEPTOS_RELOAD_PORT")
                .ok()
                .and_then(|p| p.parse().ok())
                .unwrap_or(3001);
            allowed_origins = allowed_origins.with_dev_reload(port);
        }
        let mut limits = match std::env::var("CHAT_RATE_LIMITS").as_deref() {
            Ok("on") | Err(_) => Limits::default(),
            Ok("off") => Limits::unlimited(),
            Ok(other) => return Err(format!("CHAT_RATE_LIMITS '{other}': use on or off")),
        };
        if let Ok(v) = std::env::var("CHAT_MAX_CONNECTIONS_PER_IP") {
            limits.connections_per_ip = v.parse().map_err(|e| {
                format!("CHAT_MAX_CONNECTIONS_PER_IP '{v}' is not a whole number: {e}")
            })?;
        }
        let header_secs = match std::env::var("CHAT_HEADER_READ_TIMEOUT_SECS") {
            Ok(v) => v.parse::<u64>().ok().filter(|s| *s > 0).ok_or_else(|| {
                format!("CHAT_HEADER_READ_TIMEOUT_SECS '{v}' is not a positive number of seconds")
            })?,
            Err(_) => DEFAULT_HEADER_READ_TIMEOUT.as_secs(),
        };
        let trusted_proxies =
            TrustedProxies::parse(&std::env::var("CHAT_TRUSTED_PROXIES").unwrap_or_default())
                .map_err(|e| format!("CHAT_TRUSTED_PROXIES: {e}"))?;
        let database_url = database_url();
        let files_dir = match std::env::var("CHAT_FILES_DIR") {
            Ok(dir) if !dir.trim().is_empty() => PathBuf::from(dir),
            _ => default_files_dir(&database_url),
        };
        let max_upload_bytes = match std::env::var("CHAT_MAX_UPLOAD_BYTES") {
            Ok(v) => v.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                format!("CHAT_MAX_UPLOAD_BYTES '{v}' is not a positive whole number of bytes")
            })?,
            Err(_) => crate::files::DEFAULT_MAX_BYTES,
        };
        let mailer = match std::env::var("CHAT_SMTP_URL") {
            Ok(url) if !url.trim().is_empty() => {
                let from = std::env::var("CHAT_MAIL_FROM").unwrap_or_default();
                if from.trim().is_empty() {
                    return Err(
                        "CHAT_SMTP_URL is set, so CHAT_MAIL_FROM must name the sender, \
                                e.g. 'Support <support@example.com>'"
                            .to_owned(),
                    );
                }
                Some(
                    crate::mail::Mailer::new(url.trim(), from.trim())
                        .map_err(|e| format!("CHAT_SMTP_URL / CHAT_MAIL_FROM: {e}"))?,
                )
            }
            _ => None,
        };
        let mail_lang = match std::env::var("CHAT_MAIL_LANG") {
            Ok(tag) if !tag.trim().is_empty() => app::i18n::Lang::from_tag(&tag)
                .ok_or_else(|| format!("CHAT_MAIL_LANG '{tag}': use en, zh-Hans or zh-Hant"))?,
            _ => app::i18n::Lang::default(),
        };
        let nats_url = std::env::var("CHAT_NATS_URL")
            .ok()
            .map(|url| url.trim().to_owned())
            .filter(|url| !url.is_empty());
        if nats_url.is_some() && database_url.starts_with("sqlite:") {
            return Err(
                "CHAT_NATS_URL is set, but CHAT_DATABASE_URL is SQLite: nodes of a \
                        cluster share one PostgreSQL database (postgres://…); a SQLite file \
                        belongs to one server"
                    .to_owned(),
            );
        }
        let nats_prefix = std::env::var("CHAT_NATS_PREFIX")
            .ok()
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "chat".to_owned());
        if !nats_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(format!(
                "CHAT_NATS_PREFIX '{nats_prefix}': use letters, digits, '-', '_' or '.'"
            ));
        }
        let head_check = millis_env("CHAT_HEAD_CHECK_MS", crate::chat::DEFAULT_HEAD_CHECK)?;
        let visitor_lists_every = millis_env(
            "CHAT_VISITOR_LISTS_MS",
            crate::chat::DEFAULT_VISITOR_LISTS_EVERY,
        )?;
        let defaults = crate::webhooks::delivery::Timing::default();
        let webhook_timing = crate::webhooks::delivery::Timing {
            first_retry: millis_env("CHAT_WEBHOOK_FIRST_RETRY_MS", defaults.first_retry)?,
            lease: millis_env("CHAT_WEBHOOK_LEASE_MS", defaults.lease)?,
            ..defaults
        };
        let pg_pool_size = match std::env::var("CHAT_PG_POOL") {
            Ok(v) => v.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                format!("CHAT_PG_POOL '{v}' is not a positive whole number of connections")
            })?,
            Err(_) => crate::store::postgres::DEFAULT_POOL_SIZE,
        };
        let identity = crate::chat::identity::IdentityPolicy {
            secret: std::env::var("CHAT_IDENTITY_SECRET")
                .ok()
                .filter(|secret| !secret.is_empty()),
            required: match std::env::var("CHAT_IDENTITY_REQUIRED").as_deref() {
                Ok("true") | Ok("1") => true,
                Ok("false") | Ok("0") | Err(_) => false,
                Ok(other) => {
                    return Err(format!(
                        "CHAT_IDENTITY_REQUIRED '{other}' is not true or false"
                    ))
                }
            },
        };
        if identity.required && identity.secret.is_none() {
            return Err("CHAT_IDENTITY_REQUIRED needs CHAT_IDENTITY_SECRET".into());
        }
        Ok(Config {
            identity,
            pg_pool_size,
            nats_url,
            nats_prefix,
            head_check,
            visitor_lists_every,
            webhook_timing,
            mailer,
            mail_lang,
            files_dir,
            max_upload_bytes,
            allowed_origins,
            trusted_proxies,
            limits,
            header_read_timeout: Duration::from_secs(header_secs),
            store_busy_timeout: Duration::from_millis(busy_ms),
            addr,
            database_url,
            presence_grace: Duration::from_secs(grace),
            site_root: std::env::var("LEPTOS_SITE_ROOT")
                .unwrap_or_else(|_| "target/site".to_owned()),
        })
    }
}

/// `CHAT_DATABASE_URL` or the default.
pub fn database_url() -> String {
    std::env::var("CHAT_DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned())
}

/// A `files` folder beside the SQLite database, else `data/files`.
pub fn default_files_dir(database_url: &str) -> PathBuf {
    sqlite_file(database_url)
        .and_then(|db| db.parent().map(|dir| dir.join("files")))
        .unwrap_or_else(|| PathBuf::from("data/files"))
}

/// The file behind a `sqlite://` URL, if it names one.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// `CHAT_WORKER_THREADS`: how many threads run the server's tasks (connections,
/// routing, requests). `None` when it is not set: then tokio's default, one per
/// core (or tokio's own `TOKIO_WORKER_THREADS`). Read before the runtime starts,
/// so apart from [`Config`].
///
/// On two cores, one thread measured a sixth less CPU per delivery under steady
/// load, the same highest rate and a p99 as low or lower, because a second thread
/// wakes for every burst of frames only to take part of it; but bursts of joins
/// (thousands of visitors connecting and accepting invitations at once) took half
/// as long again, since each of their many store statements waits for the one
/// thread to take its answer (`docs/performance.md`). The default keeps the
/// joins fast; a deployment whose load is steady can set 1.
pub fn worker_threads() -> Result<Option<usize>, String> {
    let Some(v) = std::env::var_os("CHAT_WORKER_THREADS") else {
        return Ok(None);
    };
    v.to_str()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .map(Some)
        .ok_or_else(|| {
            format!(
                "CHAT_WORKER_THREADS '{}' is not a positive whole number",
                v.to_string_lossy()
            )
        })
}

/// A positive number of milliseconds from the environment, or `default`.
fn millis_env(name: &str, default: Duration) -> Result<Duration, String> {
    match std::env::var(name) {
        Ok(v) => v
            .parse::<u64>()
            .ok()
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis)
            .ok_or_else(|| format!("{name} '{v}' is not a positive number of milliseconds")),
        Err(_) => Ok(default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_file("sqlite://data/chat.db"),
            Some(PathBuf::from("data/chat.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:///tmp/x/chat.db?mode=rwc"),
            Some(PathBuf::from("/tmp/x/chat.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x"), None);
    }
}
