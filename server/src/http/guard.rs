//! Browser-facing defences that apply to every request: which origins may use the
//! server, cross-site request forgery, and the security headers of every answer
//! (Content-Security-Policy above all). docs/security.md explains each choice.

use crate::chat::SiteOrigins;
use app::api::ClientAddr;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::nonce::Nonce;
use std::net::IpAddr;
use std::sync::Arc;

/// The sites of the deployment: the chat server's own origin (always allowed) and
/// the company websites that may embed the widget: those of
/// `CHAT_ALLOWED_ORIGINS` and those admins keep in the console.
#[derive(Clone, Debug, Default)]
pub struct Origins {
    /// Normalised `scheme://host[:port]`, lowercase.
    embedders: Vec<String>,
    /// The origins of the websites kept in the console, as this node last read them.
    sites: SiteOrigins,
    /// Under `cargo leptos watch`: the port of its live-reload socket, which the
    /// pages may connect to.
    dev_reload_port: Option<u16>,
}

/// Parses `scheme://host[:port]` (an origin: no path, query or credentials).
pub fn parse_origin(text: &str) -> Result<String, String> {
    let lower = text.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, authority) = lower
        .split_once("://")
        .ok_or_else(|| format!("'{text}' is not an origin like https://www.example.com"))?;
    if scheme != "http" && scheme != "https" {
        return Err(format!("'{text}': only http and https origins are allowed"));
    }
    let valid = !authority.is_empty()
        && authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !valid {
        return Err(format!(
            "'{text}' is not an origin like https://www.example.com (no path, no wildcard)"
        ));
    }
    // A browser's `Origin` leaves out the scheme's own port.
    let authority = match (scheme, authority.rsplit_once(':')) {
        ("https", Some((host, "443"))) | ("http", Some((host, "80"))) => host,
        _ => authority,
    };
    Ok(format!("{scheme}://{authority}"))
}

impl Origins {
    /// From `CHAT_ALLOWED_ORIGINS`: comma-separated origins.
    pub fn parse(list: &str) -> Result<Origins, String> {
        let embedders = list
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(parse_origin)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Origins {
            embedders,
            sites: SiteOrigins::default(),
            dev_reload_port: None,
        })
    }

    /// Also allows the origins of the websites kept in the console.
    pub fn with_sites(mut self, sites: SiteOrigins) -> Origins {
        self.sites = sites;
        self
    }

    /// Lets the pages reach `cargo leptos watch`'s live-reload socket on `port`.
    pub fn with_dev_reload(mut self, port: u16) -> Origins {
        self.dev_reload_port = Some(port);
        self
    }

    /// Whether the request's `Origin` is this server itself (same host and port as
    /// the one the browser addressed: `X-Forwarded-Host` behind a reverse proxy,
    /// else `Host`). Browsers always send `Origin` on cross-origin requests, POSTs
    /// and WebSocket handshakes, and a page cannot add `X-Forwarded-Host` to a
    /// cross-site request without a CORS preflight, which this server never grants.
    pub fn is_same_origin(headers: &HeaderMap) -> bool {
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let host = text(header::HeaderName::from_static("x-forwarded-host"))
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .or_else(|| text(header::HOST));
        let (Some(origin), Some(host)) = (text(header::ORIGIN), host) else {
            return false;
        };
        // Both sides without the scheme's own port, as browsers write `Origin`.
        match parse_origin(origin) {
            Ok(origin) => origin.split_once("://").is_some_and(|(scheme, authority)| {
                parse_origin(&format!("{scheme}://{host}"))
                    .is_ok_and(|addressed| addressed == format!("{scheme}://{authority}"))
            }),
            Err(_) => false,
        }
    }

    /// Whether a WebSocket handshake may proceed: from this server's own pages
    /// (the widget frame, the console) or from a listed company website.
    pub fn permits_socket(&self, headers: &HeaderMap) -> bool {
        if Self::is_same_origin(headers) {
            return true;
        }
        headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .and_then(|o| parse_origin(o).ok())
            .is_some_and(|o| self.embedders.contains(&o) || self.sites.contains(&o))
    }

    /// The CSP `frame-ancestors` sources for the widget page.
    fn widget_ancestors(&self) -> String {
        let sites = self.sites.all();
        let mut ancestors = vec!["'self'"];
        for origin in self.embedders.iter().chain(&sites) {
            if !ancestors.contains(&origin.as_str()) {
                ancestors.push(origin);
            }
        }
        ancestors.join(" ")
    }
}

/// The reverse proxies whose `X-Forwarded-For` names the client
/// (`CHAT_TRUSTED_PROXIES`).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub Vec<IpAddr>);

impl TrustedProxies {
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map_err(|_| format!("'{s}' is not an IP address")))
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    /// The client's address: the peer's, or for a trusted proxy the last address
    /// it appended to `X-Forwarded-For` (earlier ones the client could have made up).
    fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.0.contains(&peer) {
            return peer;
        }
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .and_then(|last| last.trim().parse().ok())
            .unwrap_or(peer)
    }
}

/// Replaces the connection's peer address by the client's when a trusted proxy
/// forwarded the request, so that per-address limits apply to the real client.
pub async fn client_address(
    State(proxies): State<Arc<TrustedProxies>>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(ClientAddr(peer)) = request.extensions().get::<ClientAddr>().copied() {
        let client = proxies.client(peer, request.headers());
        request.extensions_mut().insert(ClientAddr(client));
    }
    next.run(request).await
}

/// A state-changing request (POST and the like, server functions included) must
/// come from a page of this server: its `Origin`, or failing that its
/// `Sec-Fetch-Site`, must say so. A missing, empty or `null` origin is refused.
/// Together with the SameSite=Strict session cookie this stops cross-site forgery
/// without a token that a page could leave empty. The REST API takes no
/// cookie, only a bearer token a forged request cannot carry, so its requests
/// come from anywhere (a CRM's server sends no `Origin`).
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let api = request.uri().path().starts_with("/api/v1/");
    if safe || api || same_site(request.headers()) {
        return next.run(request).await;
    }
    tracing::info!(
        method = %request.method(),
        path = %request.uri().path(),
        origin = ?request.headers().get(header::ORIGIN),
        "cross-site request refused"
    );
    (
        StatusCode::FORBIDDEN,
        "cross-site request refused: send it from a page of this server",
    )
        .into_response()
}

fn same_site(headers: &HeaderMap) -> bool {
    if headers.contains_key(header::ORIGIN) {
        return Origins::is_same_origin(headers);
    }
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"same-origin")
}

/// Adds the security headers to every answer. The Content-Security-Policy allows
/// scripts, styles and connections only from this server: no inline script runs
/// but the hydration script that carries this response's nonce.
pub async fn security_headers(
    State(origins): State<Arc<Origins>>,
    mut request: Request,
    next: Next,
) -> Response {
    // Leptos puts this nonce on the inline scripts it writes (see `http::router`).
    let nonce = Nonce::new();
    request.extensions_mut().insert(nonce.clone());
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // A policy governs documents; scripts, style sheets and WebAssembly (with
    // nosniff, never taken for a document) carry none: on every file of the
    // widget it would only add to what each visitor downloads.
    let subresource = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.starts_with("text/javascript")
                || t.starts_with("text/css")
                || t.starts_with("application/wasm")
        });
    // A handler that set a policy of its own (the files people send) knows better.
    if subresource || headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        return response;
    }
    let frame_ancestors = if path == "/widget" {
        origins.widget_ancestors()
    } else if path.starts_with("/demo") {
        "'self'".to_owned()
    } else {
        "'none'".to_owned()
    };
    let reload = origins
        .dev_reload_port
        .map(|port| format!(" ws://127.0.0.1:{port} ws://localhost:{port}"))
        .unwrap_or_default();
    let csp = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'nonce-{nonce}'; \
         style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; connect-src 'self'{reload}; frame-src 'self'; \
         frame-ancestors {frame_ancestors}; base-uri 'none'; form-action 'self'; \
         object-src 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    if frame_ancestors == "'none'" {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn origins_are_parsed_strictly() {
        assert_eq!(
            parse_origin("https://Shop.Example.com/").unwrap(),
            "https://shop.example.com"
        );
        assert_eq!(
            parse_origin("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            parse_origin("https://shop.example.com:443").unwrap(),
            "https://shop.example.com"
        );
        assert_eq!(parse_origin("http://[::1]:80").unwrap(), "http://[::1]");
        assert_eq!(
            parse_origin("http://shop.example.com:443").unwrap(),
            "http://shop.example.com:443"
        );
        for bad in [
            "shop.example.com",
            "ftp://x.com",
            "https://x.com/path",
            "https://*.x.com",
            "https://",
            "javascript://x",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
        assert!(Origins::parse("https://a.com, https://b.com").is_ok());
        assert!(Origins::parse("").unwrap().embedders.is_empty());
    }

    #[test]
    fn same_origin_means_the_host_the_browser_addressed() {
        assert!(Origins::is_same_origin(&headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000"),
        ])));
        assert!(!Origins::is_same_origin(&headers(&[
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:3000"),
        ])));
        assert!(!Origins::is_same_origin(&headers(&[
            ("origin", "null"),
            ("host", "127.0.0.1:3000"),
        ])));
        assert!(!Origins::is_same_origin(&headers(&[(
            "host",
            "127.0.0.1:3000"
        )])));
        assert!(Origins::is_same_origin(&headers(&[
            ("origin", "https://chat.example.com"),
            ("host", "chat.example.com:443"),
        ])));
        assert!(!Origins::is_same_origin(&headers(&[
            ("origin", "https://chat.example.com"),
            ("host", "chat.example.com:8443"),
        ])));
        // Behind a reverse proxy that rewrote Host.
        assert!(Origins::is_same_origin(&headers(&[
            ("origin", "https://chat.example.com"),
            ("host", "127.0.0.1:3000"),
            ("x-forwarded-host", "chat.example.com"),
        ])));
    }

    #[test]
    fn sockets_are_allowed_from_listed_sites_only() {
        let origins = Origins::parse("https://shop.example.com").unwrap();
        let from = |origin: &'static str| {
            origins.permits_socket(&headers(&[
                ("origin", origin),
                ("host", "chat.example.com"),
            ]))
        };
        assert!(from("https://chat.example.com"));
        assert!(from("https://shop.example.com"));
        assert!(!from("https://evil.example.com"));
        assert!(!from("https://shop.example.com.evil.io"));
        assert!(!origins.permits_socket(&headers(&[("host", "chat.example.com")])));
    }

    #[test]
    fn only_trusted_proxies_say_who_the_client_is() {
        let proxies = TrustedProxies::parse("10.0.0.1, ::1").unwrap();
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        let stranger: IpAddr = "192.0.2.9".parse().unwrap();
        let forwarded = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7")]);
        assert_eq!(
            proxies.client(peer, &forwarded),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(proxies.client(stranger, &forwarded), stranger);
        assert_eq!(proxies.client(peer, &HeaderMap::new()), peer);
        assert!(TrustedProxies::parse("10.0.0.0/8").is_err());
    }

    #[test]
    fn forgery_needs_a_same_origin_signal() {
        assert!(same_site(&headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000"),
        ])));
        assert!(same_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!same_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!same_site(&headers(&[("origin", ""), ("host", "a")])));
        assert!(!same_site(&HeaderMap::new()));
    }
}
