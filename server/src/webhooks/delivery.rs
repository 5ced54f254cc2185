//! Delivering the outbox: a worker takes the deliveries that are due, sends
//! each one signed to its endpoint, and logs what happened. An endpoint that
//! answers 2xx has it; anything else (another status, no answer within
//! [`TIMEOUT`], an address refused) is tried again after a back-off that
//! doubles from [`FIRST_RETRY`] up to [`LONGEST_RETRY`], until the event is
//! [`RETRY_FOR`] old. A delivery taken by a worker that dies is taken again
//! once its lease ends: at least once, never lost.

use crate::clock::now_ms;
use crate::store::{DeliveryOutcome, DueDelivery, Store, WebhookAttempt};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How long an endpoint has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The wait before the second attempt.
pub const FIRST_RETRY: Duration = Duration::from_secs(10);
/// The longest wait between two attempts.
pub const LONGEST_RETRY: Duration = Duration::from_secs(3600);
/// How long an event is retried before its delivery fails for good.
pub const RETRY_FOR: Duration = Duration::from_secs(24 * 3600);
/// How long a worker holds the deliveries it took: longer than an attempt
/// may take.
pub const LEASE: Duration = Duration::from_secs(30);
/// Most deliveries sent at once.
const BATCH: u32 = 32;
/// How often the outbox is read when nothing wakes the worker, and how often
/// it looks whether any endpoint is registered.
const POLL: Duration = Duration::from_secs(1);
/// After a wake-up, how long the worker lets more changes commit before it
/// reads the outbox, so that a busy chat wakes it a few times a second, not
/// once per message.
const GATHER: Duration = Duration::from_millis(20);

/// The worker's timing (the defaults above; tests shorten the waits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    pub first_retry: Duration,
    pub longest_retry: Duration,
    pub retry_for: Duration,
    pub lease: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            first_retry: FIRST_RETRY,
            longest_retry: LONGEST_RETRY,
            retry_for: RETRY_FOR,
            lease: LEASE,
        }
    }
}

impl Timing {
    /// The wait after `attempts` failed attempts: doubling from the first.
    pub fn retry_delay(&self, attempts: u32) -> Duration {
        let doubled = self
            .first_retry
            .saturating_mul(1u32 << attempts.saturating_sub(1).min(16));
        doubled.min(self.longest_retry)
    }

    /// What becomes of a delivery after `attempt`, its `attempts` before it.
    fn outcome(&self, attempt: &WebhookAttempt, attempts: u32, event_ms: i64) -> DeliveryOutcome {
        if attempt.error.is_none() {
            return DeliveryOutcome::Delivered;
        }
        let next = attempt.at_ms + self.retry_delay(attempts + 1).as_millis() as i64;
        if next - event_ms > self.retry_for.as_millis() as i64 {
            DeliveryOutcome::GaveUp
        } else {
            DeliveryOutcome::RetryAt(next)
        }
    }
}

/// The signature header's value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>" under the endpoint's secret>`.
pub fn signature(secret: &str, unix_secs: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("{unix_secs}.{body}").as_bytes());
    format!(
        "t={unix_secs},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Checks a signature header as a receiver should: a `v1` that matches (in
/// constant time) and a timestamp within `tolerance_secs` of `now_secs`.
pub fn verify(secret: &str, header: &str, body: &str, now_secs: i64, tolerance_secs: i64) -> bool {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.extend(hex::decode(value).ok()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if (now_secs - t).abs() > tolerance_secs {
        return false;
    }
    signatures.iter().any(|given| {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
        mac.update(format!("{t}.{body}").as_bytes());
        mac.verify_slice(given).is_ok()
    })
}

/// Whether an address is on the public internet: not loopback, private,
/// link-local, shared (CGNAT), unspecified, multicast, documentation or
/// otherwise reserved. A webhook to anything else could reach the company's
/// own network from outside (SSRF).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

/// Why a delivery was not made, as its attempt logs it.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("the URL is not http or https")]
    Scheme,
    #[error("the URL names no host")]
    NoHost,
    #[error("cannot resolve {0}: {1}")]
    Resolve(String, std::io::Error),
    #[error("{0} is a private or reserved address; an admin may allow it for this endpoint")]
    Private(IpAddr),
}

/// The address to connect to for `url`: the host resolved once, every address
/// it has checked, and the connection pinned to the one used so that a second
/// lookup cannot lead elsewhere (DNS rebinding).
async fn address_for(url: &reqwest::Url, allow_private: bool) -> Result<SocketAddr, Refused> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refused::Scheme);
    }
    let host = url.host_str().ok_or(Refused::NoHost)?;
    let port = url.port_or_known_default().ok_or(Refused::NoHost)?;
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| Refused::Resolve(host.to_owned(), e))?
        .collect();
    let first = *addresses.first().ok_or(Refused::NoHost)?;
    if !allow_private {
        if let Some(private) = addresses.iter().find(|a| !is_public(a.ip())) {
            return Err(Refused::Private(private.ip()));
        }
    }
    Ok(first)
}

/// Sends one delivery; the attempt as it is logged.
async fn send(delivery: &DueDelivery) -> WebhookAttempt {
    let started = Instant::now();
    let at_ms = now_ms();
    let outcome: Result<u16, String> = async {
        let url = reqwest::Url::parse(&delivery.endpoint.url).map_err(|e| e.to_string())?;
        let address = address_for(&url, delivery.endpoint.allow_private)
            .await
            .map_err(|e| e.to_string())?;
        let mut client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            // A redirect could lead to an address nobody checked.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("livechat-webhooks/", env!("CARGO_PKG_VERSION")));
        if let Some(host) = url.host_str() {
            client = client.resolve(host, address);
        }
        let client = client.build().map_err(|e| e.to_string())?;
        let response = client
            .post(url)
            .header("content-type", "application/json")
            .header("x-chat-event", &delivery.name)
            .header("x-chat-event-id", delivery.event_id.to_string())
            .header(
                "x-chat-signature",
                signature(&delivery.endpoint.secret, at_ms / 1000, &delivery.body),
            )
            .body(delivery.body.clone())
            .send()
            .await
            .map_err(|e| without_url(&e))?;
        Ok(response.status().as_u16())
    }
    .await;
    let duration_ms = started.elapsed().as_millis() as i64;
    match outcome {
        Ok(status) if (200..300).contains(&status) => WebhookAttempt {
            at_ms,
            status: Some(status),
            error: None,
            duration_ms,
        },
        Ok(status) => WebhookAttempt {
            at_ms,
            status: Some(status),
            error: Some(format!("the endpoint answered {status}")),
            duration_ms,
        },
        Err(error) => WebhookAttempt {
            at_ms,
            status: None,
            error: Some(error),
            duration_ms,
        },
    }
}

/// reqwest's error without the URL (which may carry a token in its query).
fn without_url(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "no answer in time"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    let mut source = std::error::Error::source(err);
    let mut detail = String::new();
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}

/// Delivers the outbox for as long as the process runs: woken by `committed`
/// after changes while `wanted` says some endpoint is registered (which it
/// keeps up to date), and every [`POLL`] (or sooner, for short retries).
pub async fn deliver(
    store: Arc<dyn Store>,
    committed: Arc<Notify>,
    wanted: Arc<AtomicBool>,
    timing: Timing,
) {
    let poll = POLL.min(timing.first_retry);
    let mut looked: Option<Instant> = None;
    loop {
        if looked.is_none_or(|at| at.elapsed() >= POLL) {
            match store.webhooks().await {
                Ok(endpoints) => wanted.store(!endpoints.is_empty(), Ordering::Relaxed),
                Err(err) => tracing::warn!(%err, "reading the webhook endpoints; trying again"),
            }
            looked = Some(Instant::now());
        }
        let due = match store
            .take_due_deliveries(now_ms(), timing.lease.as_millis() as i64, BATCH)
            .await
        {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(%err, "reading the webhook outbox; trying again");
                tokio::time::sleep(poll).await;
                continue;
            }
        };
        if due.is_empty() {
            if tokio::time::timeout(poll, committed.notified())
                .await
                .is_ok()
            {
                tokio::time::sleep(GATHER).await;
            }
            continue;
        }
        let sent = due
            .iter()
            .map(|delivery| send_and_log(store.as_ref(), delivery, &timing));
        futures::future::join_all(sent).await;
    }
}

/// Sends one delivery and logs the attempt and what became of it.
async fn send_and_log(store: &dyn Store, delivery: &DueDelivery, timing: &Timing) {
    let attempt = send(delivery).await;
    let outcome = timing.outcome(&attempt, delivery.attempts, delivery.event_ms);
    match outcome {
        DeliveryOutcome::Delivered => {}
        DeliveryOutcome::RetryAt(_) => tracing::info!(
            event = %delivery.event_id,
            endpoint = %delivery.endpoint.id,
            error = attempt.error.as_deref().unwrap_or_default(),
            "webhook delivery failed; it will be retried"
        ),
        DeliveryOutcome::GaveUp => tracing::warn!(
            event = %delivery.event_id,
            endpoint = %delivery.endpoint.id,
            "webhook delivery failed for a day; given up (redeliver it from the console)"
        ),
    }
    // If this fails the lease ends and the delivery is sent again: at least once.
    if let Err(err) = store
        .record_attempt(delivery.event_id, delivery.endpoint.id, &attempt, outcome)
        .await
    {
        tracing::warn!(%err, "logging a webhook attempt");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_with_its_secret_body_and_time() {
        let header = signature("s3cret", 1_700_000_000, r#"{"a":1}"#);
        assert!(header.starts_with("t=1700000000,v1="));
        assert!(verify("s3cret", &header, r#"{"a":1}"#, 1_700_000_100, 300));
        assert!(!verify("other", &header, r#"{"a":1}"#, 1_700_000_100, 300));
        assert!(!verify("s3cret", &header, r#"{"a":2}"#, 1_700_000_100, 300));
        assert!(!verify("s3cret", &header, r#"{"a":1}"#, 1_700_001_000, 300));
        assert!(!verify("s3cret", "v1=00", r#"{"a":1}"#, 1_700_000_000, 300));
    }

    #[test]
    fn a_signature_is_the_documented_hmac() {
        // HMAC-SHA256("key", "1.body"), computed independently with Python's hmac.
        assert_eq!(
            signature("key", 1, "body"),
            "t=1,v1=91b5374b153842ad05b2c4eab9349b8321b14703165bd3fb8b034dfb8be98ae5"
        );
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "198.18.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn retries_back_off_and_stop_after_a_day() {
        let timing = Timing::default();
        assert_eq!(timing.retry_delay(1), FIRST_RETRY);
        assert_eq!(timing.retry_delay(2), FIRST_RETRY * 2);
        assert_eq!(timing.retry_delay(40), LONGEST_RETRY);
        let failed = |at_ms| WebhookAttempt {
            at_ms,
            status: Some(500),
            error: Some("500".into()),
            duration_ms: 1,
        };
        assert_eq!(
            timing.outcome(&failed(1_000), 0, 0),
            DeliveryOutcome::RetryAt(1_000 + 10_000)
        );
        let day = RETRY_FOR.as_millis() as i64;
        assert_eq!(timing.outcome(&failed(day), 9, 0), DeliveryOutcome::GaveUp);
        let ok = WebhookAttempt {
            error: None,
            ..failed(5)
        };
        assert_eq!(timing.outcome(&ok, 3, 0), DeliveryOutcome::Delivered);
    }
}
