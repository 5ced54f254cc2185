//! Proactive invitations: rules admins keep in the console that invite a visitor
//! to chat by themselves, with a greeting from an online agent, when what the
//! visitor does matches (the page, the time on it, the pages seen, a returning
//! visitor, a department online). A rule fires at most once per visit.

#[cfg(feature = "ssr")]
use super::backend;
use super::ApiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The longest rule id.
pub const MAX_RULE_ID_CHARS: usize = 32;
/// The longest rule name.
pub const MAX_RULE_NAME_CHARS: usize = 80;
/// The longest page address pattern.
pub const MAX_URL_PATTERN_CHARS: usize = 200;
/// The longest greeting a rule's invitation carries.
pub const MAX_RULE_GREETING_CHARS: usize = 500;
/// The longest a rule may wait on one page, in seconds (an hour).
pub const MAX_SECONDS_ON_PAGE: u32 = 3600;
/// The most pages a rule may wait for.
pub const MAX_PAGES_VIEWED: u32 = 1000;

/// A rule that invites visitors to chat by itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct InvitationRule {
    /// Lower-case letters, digits and `-`.
    pub id: String,
    /// What agents see in the conversation the rule started.
    pub name: String,
    pub enabled: bool,
    /// The page's address, where `*` stands for anything (`*/pricing*`),
    /// ignoring case; every page when empty.
    pub url_pattern: String,
    /// At least this long on the page.
    pub seconds_on_page: u32,
    /// At least this many pages seen in this visit (the page itself counts).
    pub min_pages_viewed: u32,
    /// Only visitors who were on the site before, in an earlier visit.
    pub returning_only: bool,
    /// A department that must have an agent online, who then sends the
    /// invitation; any online agent when empty.
    pub department: String,
    /// The agent's first message, which the invitation shows.
    pub greeting: String,
}

impl Default for InvitationRule {
    fn default() -> Self {
        InvitationRule {
            id: String::new(),
            name: String::new(),
            enabled: true,
            url_pattern: String::new(),
            seconds_on_page: 0,
            min_pages_viewed: 0,
            returning_only: false,
            department: String::new(),
            greeting: String::new(),
        }
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters,
/// ignoring case; an empty pattern matches everything.
pub fn matches_pattern(pattern: &str, text: &str) -> bool {
    if pattern.is_empty() {
        return true;
    }
    let pattern = pattern.to_lowercase();
    let text = text.to_lowercase();
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        // No `*`: the whole address.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// What is wrong with a rule an admin filled in, if anything.
pub fn rule_problem(rule: &InvitationRule) -> Option<&'static str> {
    let id = &rule.id;
    if id.is_empty()
        || id.chars().count() > MAX_RULE_ID_CHARS
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Some("id");
    }
    let name = rule.name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_RULE_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Some("name");
    }
    if rule.url_pattern.chars().count() > MAX_URL_PATTERN_CHARS
        || rule
            .url_pattern
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
    {
        return Some("url_pattern");
    }
    if rule.seconds_on_page > MAX_SECONDS_ON_PAGE {
        return Some("seconds_on_page");
    }
    if rule.min_pages_viewed > MAX_PAGES_VIEWED {
        return Some("min_pages_viewed");
    }
    let greeting = rule.greeting.trim();
    if greeting.is_empty()
        || greeting.chars().count() > MAX_RULE_GREETING_CHARS
        || greeting.chars().any(|c| c.is_control() && c != '\n')
    {
        return Some("greeting");
    }
    None
}

/// Every invitation rule (admins).
#[server(endpoint = "admin/invitation_rules", input = leptos::server_fn::codec::Json)]
pub async fn invitation_rules() -> Result<Vec<InvitationRule>, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.invitation_rules(&token).await
    })
    .await
}

/// Adds a rule or changes one (admins).
#[server(endpoint = "admin/put_invitation_rule", input = leptos::server_fn::codec::Json)]
pub async fn put_invitation_rule(rule: InvitationRule) -> Result<(), ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.put_invitation_rule(&token, rule).await
    })
    .await
}

/// Removes a rule (admins).
#[server(endpoint = "admin/remove_invitation_rule", input = leptos::server_fn::codec::Json)]
pub async fn remove_invitation_rule(id: String) -> Result<(), ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.remove_invitation_rule(&token, &id).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_stands_for_the_address_with_stars_for_anything() {
        let url = "https://shop.example.com/Pricing?plan=team";
        assert!(matches_pattern("", url));
        assert!(matches_pattern("*/pricing*", url));
        assert!(matches_pattern("https://shop.example.com/*", url));
        assert!(matches_pattern("*plan=team", url));
        assert!(matches_pattern("*shop*pricing*team", url));
        assert!(matches_pattern(url, url), "no star: the whole address");
        assert!(!matches_pattern("https://shop.example.com/", url));
        assert!(!matches_pattern("*/contact*", url));
        assert!(!matches_pattern("*pricing*shop*", url), "in order");
        assert!(!matches_pattern("*team*team", url), "each part used once");
        assert!(matches_pattern("*", ""));
    }

    #[test]
    fn a_rule_needs_an_id_a_name_a_greeting_and_sane_limits() {
        let rule = InvitationRule {
            id: "pricing".into(),
            name: "Pricing, 20 s".into(),
            url_pattern: "*/pricing*".into(),
            seconds_on_page: 20,
            greeting: "Questions about plans?".into(),
            ..InvitationRule::default()
        };
        assert_eq!(rule_problem(&rule), None);
        let with = |change: fn(&mut InvitationRule)| {
            let mut r = rule.clone();
            change(&mut r);
            rule_problem(&r)
        };
        assert_eq!(with(|r| r.id = "Pricing".into()), Some("id"));
        assert_eq!(with(|r| r.name = String::new()), Some("name"));
        assert_eq!(with(|r| r.url_pattern = "a b".into()), Some("url_pattern"));
        assert_eq!(with(|r| r.seconds_on_page = 3601), Some("seconds_on_page"));
        assert_eq!(
            with(|r| r.min_pages_viewed = 1001),
            Some("min_pages_viewed")
        );
        assert_eq!(with(|r| r.greeting = " ".into()), Some("greeting"));
        assert_eq!(with(|r| r.greeting = "x".repeat(501)), Some("greeting"));
        assert_eq!(with(|r| r.greeting = "Hi!\nAsk us.".into()), None);
    }
}
