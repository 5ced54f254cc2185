//! Webhooks: the company's systems hear of what happens as it happens.
//!
//! [`events`] decides which changes are events and what each says; every store
//! backend writes them to its outbox in the transaction of the change. The
//! [`delivery`] worker sends each to the endpoints subscribed, signed, at
//! least once, retrying with back-off for a day.

pub mod delivery;
pub mod events;

use events::is_event_name;

/// Longest endpoint URL.
pub const MAX_URL_CHARS: usize = 2000;
/// Shortest and longest secret.
pub const SECRET_CHARS: std::ops::RangeInclusive<usize> = 16..=256;

/// Why an endpoint cannot be registered.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("url must be an http or https URL of at most {MAX_URL_CHARS} characters, with a host")]
    Url,
    #[error("secret must be 16 to 256 characters")]
    Secret,
    #[error("events must name at least one of: {}", events::EVENT_NAMES.join(", "))]
    NoEvents,
    #[error("unknown event '{0}'; the events are: {known}", known = events::EVENT_NAMES.join(", "))]
    UnknownEvent(String),
}

/// Checks an endpoint to register; returns its events, each once, in the
/// order given.
pub fn check_endpoint(
    url: &str,
    secret: &str,
    events: &[String],
) -> Result<Vec<String>, EndpointError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| EndpointError::Url)?;
    if url.chars().count() > MAX_URL_CHARS
        || !matches!(parsed.scheme(), "http" | "https")
        || parsed.host_str().is_none_or(str::is_empty)
    {
        return Err(EndpointError::Url);
    }
    if !SECRET_CHARS.contains(&secret.chars().count()) {
        return Err(EndpointError::Secret);
    }
    let mut names: Vec<String> = Vec::new();
    for name in events {
        let name = name.trim();
        if !is_event_name(name) {
            return Err(EndpointError::UnknownEvent(name.to_owned()));
        }
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    if names.is_empty() {
        return Err(EndpointError::NoEvents);
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_needs_a_web_url_a_long_secret_and_known_events() {
        let events = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let secret = "0123456789abcdef";
        assert_eq!(
            check_endpoint(
                "https://crm.example/hooks",
                secret,
                &events(&["message.created", "message.created", "rating.created"])
            ),
            Ok(events(&["message.created", "rating.created"]))
        );
        for url in [
            "ftp://x.example/",
            "not a url",
            "https://",
            "file:///etc/passwd",
        ] {
            assert_eq!(
                check_endpoint(url, secret, &events(&["message.created"])),
                Err(EndpointError::Url),
                "{url}"
            );
        }
        assert_eq!(
            check_endpoint("https://a.example", "short", &events(&["message.created"])),
            Err(EndpointError::Secret)
        );
        assert_eq!(
            check_endpoint("https://a.example", secret, &[]),
            Err(EndpointError::NoEvents)
        );
        assert_eq!(
            check_endpoint("https://a.example", secret, &events(&["message.deleted"])),
            Err(EndpointError::UnknownEvent("message.deleted".into()))
        );
    }
}
