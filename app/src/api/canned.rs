//! Canned replies: answers agents send often, each with a shortcut. Admins keep
//! the team's shared ones; every agent keeps personal ones. In the composer,
//! `/shortcut` offers them; a reply's text may name the visitor and the agent
//! ([`expand`]).

#[cfg(feature = "ssr")]
use super::backend;
use super::ApiError;
use crate::ids::CannedReplyId;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Longest shortcut, in characters.
pub const MAX_SHORTCUT_CHARS: usize = 32;
/// Most canned replies one agent sees (shared and personal together).
pub const MAX_CANNED_REPLIES: usize = 500;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedReply {
    pub id: CannedReplyId,
    /// Typed after `/` in the composer: letters, digits, `-` and `_`.
    pub shortcut: String,
    pub text: String,
    /// The team's (kept by admins), or this agent's own.
    pub shared: bool,
}

/// Why a shortcut was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShortcutProblem {
    Blank,
    TooLong,
    /// Anything but letters (of any script), digits, `-` and `_`.
    BadCharacter,
}

/// A shortcut by the one rule: 1 to [`MAX_SHORTCUT_CHARS`] letters (of any
/// script), digits, `-` or `_`; kept as typed, matched ignoring case.
pub fn check_shortcut(shortcut: &str) -> Result<(), ShortcutProblem> {
    if shortcut.is_empty() {
        Err(ShortcutProblem::Blank)
    } else if shortcut.chars().count() > MAX_SHORTCUT_CHARS {
        Err(ShortcutProblem::TooLong)
    } else if !shortcut
        .chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        Err(ShortcutProblem::BadCharacter)
    } else {
        Ok(())
    }
}

/// The placeholders a canned reply may hold, in every language of the console:
/// the visitor's name, then the agent's.
const VISITOR_PLACEHOLDERS: [&str; 3] = ["{visitor}", "{访客}", "{訪客}"];
const AGENT_PLACEHOLDERS: [&str; 2] = ["{agent}", "{客服}"];

/// A canned reply's text as it is sent: each placeholder of the visitor's name
/// and of the agent's replaced.
pub fn expand(text: &str, visitor: &str, agent: &str) -> String {
    let mut out = text.to_owned();
    for placeholder in VISITOR_PLACEHOLDERS {
        out = out.replace(placeholder, visitor);
    }
    for placeholder in AGENT_PLACEHOLDERS {
        out = out.replace(placeholder, agent);
    }
    out
}

/// The replies a draft that starts with `/` offers: those whose shortcut starts
/// with what follows it (ignoring case), personal ones first. `None` when the
/// draft is not a shortcut being typed.
pub fn offered<'a>(replies: &'a [CannedReply], draft: &str) -> Option<Vec<&'a CannedReply>> {
    let typed = draft.strip_prefix('/')?;
    if typed.contains(char::is_whitespace) {
        return None;
    }
    let typed = typed.to_lowercase();
    let mut found: Vec<&CannedReply> = replies
        .iter()
        .filter(|r| r.shortcut.to_lowercase().starts_with(&typed))
        .collect();
    found.sort_by_key(|r| (r.shared, r.shortcut.to_lowercase()));
    Some(found)
}

/// The reply whose shortcut is exactly what the draft holds after `/`
/// (ignoring case), personal before shared.
pub fn exact<'a>(replies: &'a [CannedReply], draft: &str) -> Option<&'a CannedReply> {
    let typed = draft.trim().strip_prefix('/')?.to_lowercase();
    offered(replies, draft.trim())?
        .into_iter()
        .find(|r| r.shortcut.to_lowercase() == typed)
}

/// The team's canned replies and the logged-in agent's own.
#[server(endpoint = "canned_replies", input = leptos::server_fn::codec::Json)]
pub async fn canned_replies() -> Result<Vec<CannedReply>, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.canned_replies(&token).await
    })
    .await
}

/// Adds a canned reply: the agent's own, or with `shared` the team's (admins
/// only). A shortcut is used once per agent and once among the shared ones.
#[server(endpoint = "add_canned_reply", input = leptos::server_fn::codec::Json)]
pub async fn add_canned_reply(
    shortcut: String,
    text: String,
    shared: bool,
) -> Result<CannedReply, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend
            .add_canned_reply(&token, &shortcut, &text, shared)
            .await
    })
    .await
}

/// Removes a canned reply: one's own, or (admins) a shared one.
#[server(endpoint = "remove_canned_reply", input = leptos::server_fn::codec::Json)]
pub async fn remove_canned_reply(id: CannedReplyId) -> Result<(), ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.remove_canned_reply(&token, id).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(shortcut: &str, shared: bool) -> CannedReply {
        CannedReply {
            id: CannedReplyId::default(),
            shortcut: shortcut.into(),
            text: format!("text of {shortcut}"),
            shared,
        }
    }

    #[test]
    fn placeholders_in_every_language_become_the_names() {
        assert_eq!(
            expand("Hi {visitor}, this is {agent}.", "Grace", "Ann"),
            "Hi Grace, this is Ann."
        );
        assert_eq!(
            expand("{访客}您好，我是{客服}。", "王小明", "李丽"),
            "王小明您好，我是李丽。"
        );
        assert_eq!(expand("{訪客}您好", "陳大文", "x"), "陳大文您好");
        assert_eq!(expand("no names {here}", "a", "b"), "no names {here}");
    }

    #[test]
    fn a_slash_offers_the_replies_whose_shortcut_starts_so() {
        let replies = [
            reply("thanks", true),
            reply("Thx", false),
            reply("refund", true),
        ];
        let names = |draft: &str| {
            offered(&replies, draft)
                .map(|found| found.iter().map(|r| r.shortcut.clone()).collect::<Vec<_>>())
        };
        assert_eq!(
            names("/th"),
            Some(vec!["Thx".into(), "thanks".into()]),
            "personal first"
        );
        assert_eq!(
            names("/"),
            Some(vec!["Thx".into(), "refund".into(), "thanks".into()])
        );
        assert_eq!(names("/REF"), Some(vec!["refund".into()]));
        assert_eq!(names("/zz"), Some(vec![]));
        assert_eq!(names("hello /th"), None);
        assert_eq!(names("/th and more"), None);
        assert_eq!(
            exact(&replies, "/thx ").map(|r| r.shortcut.as_str()),
            Some("Thx")
        );
        assert!(exact(&replies, "/th").is_none());
    }

    #[test]
    fn shortcuts_are_letters_digits_dashes() {
        assert_eq!(check_shortcut("refund-2"), Ok(()));
        assert_eq!(check_shortcut("退款"), Ok(()));
        assert_eq!(check_shortcut(""), Err(ShortcutProblem::Blank));
        assert_eq!(
            check_shortcut("two words"),
            Err(ShortcutProblem::BadCharacter)
        );
        assert_eq!(check_shortcut("/x"), Err(ShortcutProblem::BadCharacter));
        assert_eq!(
            check_shortcut(&"a".repeat(33)),
            Err(ShortcutProblem::TooLong)
        );
    }
}
