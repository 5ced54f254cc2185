//! Websites: the company sites the widget is embedded on, each with the origins
//! allowed to embed it and the widget's look and words there. Admins keep them
//! in the console; the widget page reads them on every load, so a change reaches
//! visitors on their next page without touching the site.

#[cfg(feature = "ssr")]
use super::backend;
use super::ApiError;
use crate::i18n::Lang;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The longest website id (`data-site="shop"` on the widget's tag).
pub const MAX_WEBSITE_ID_CHARS: usize = 32;
/// The longest website name.
pub const MAX_WEBSITE_NAME_CHARS: usize = 80;
/// The most origins one website has (`https://www.example.com`, its shop, …).
pub const MAX_WEBSITE_ORIGINS: usize = 20;
/// The longest origin.
pub const MAX_ORIGIN_CHARS: usize = 200;
/// The longest launcher text: it sits beside the icon on one line.
pub const MAX_LAUNCHER_TEXT_CHARS: usize = 30;
/// The longest greeting.
pub const MAX_GREETING_CHARS: usize = 300;

/// Which corner of the page the widget sits in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    #[default]
    Right,
    Left,
}

impl Position {
    pub fn as_str(self) -> &'static str {
        match self {
            Position::Right => "right",
            Position::Left => "left",
        }
    }
}

/// What the widget asks before a visitor's first message: each field asked is
/// required; no form when nothing is asked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct PreChat {
    pub name: bool,
    pub email: bool,
    /// The visitor picks one of the company's departments.
    pub department: bool,
    /// A box the visitor must tick, with these words ("I agree that …"); none
    /// when empty.
    pub consent: String,
}

impl PreChat {
    /// Whether the widget shows the form at all.
    pub fn asks(&self) -> bool {
        self.name || self.email || self.department || !self.consent.is_empty()
    }
}

/// The longest consent sentence.
pub const MAX_CONSENT_CHARS: usize = 300;

/// How the widget looks and what it says on one website.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct WidgetSettings {
    /// The launcher's and header's colour, `#rrggbb`; the widget's own when empty.
    pub colour: String,
    pub position: Position,
    /// Beside the launcher's icon; a round button when empty.
    pub launcher_text: String,
    /// Above the first message, in place of the widget's own prompt; may hold
    /// line breaks.
    pub greeting: String,
    /// Whether the open widget's header names the agents answering (with the
    /// first's initial), or the team; messages name their authors either way.
    pub show_agents: bool,
    /// The widget's language when the tag names none (`en`, `zh-Hans`,
    /// `zh-Hant`); the visitor's browser's when empty.
    pub language: String,
    pub pre_chat: PreChat,
}

impl Default for WidgetSettings {
    fn default() -> Self {
        WidgetSettings {
            colour: String::new(),
            position: Position::Right,
            launcher_text: String::new(),
            greeting: String::new(),
            show_agents: true,
            language: String::new(),
            pre_chat: PreChat::default(),
        }
    }
}

impl WidgetSettings {
    /// The language the settings choose, if any.
    pub fn lang(&self) -> Option<Lang> {
        [Lang::En, Lang::ZhHans, Lang::ZhHant]
            .into_iter()
            .find(|l| l.tag() == self.language)
    }
}

/// A company website the widget is served to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Website {
    /// Lower-case letters, digits and `-`: what the widget's tag may name.
    pub id: String,
    pub name: String,
    /// `scheme://host[:port]` of the pages that may embed the widget; the
    /// widget finds its website by the page's origin when the tag names none.
    pub origins: Vec<String>,
    #[serde(default)]
    pub settings: WidgetSettings,
}

/// Whether `text` is a colour as the settings keep it: `#` and six hex digits.
pub fn is_hex_colour(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The origin (`scheme://host[:port]`, lower case) of a page's address, as a
/// website's addresses hold it.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    // Credentials in the address are not part of its origin.
    let host = authority.rsplit('@').next()?;
    (!host.is_empty()).then(|| format!("{scheme}://{host}").to_ascii_lowercase())
}

/// The website whose addresses hold the page's origin.
pub fn website_at<'a>(websites: &'a [Website], page_url: &str) -> Option<&'a Website> {
    let origin = origin_of(page_url)?;
    websites.iter().find(|w| w.origins.contains(&origin))
}

fn plain_line(text: &str, max: usize) -> bool {
    text.chars().count() <= max && !text.chars().any(char::is_control)
}

/// What is wrong with a website an admin filled in, if anything (the origins'
/// form is checked by the server, which knows what an origin is).
pub fn website_problem(website: &Website) -> Option<&'static str> {
    let id = &website.id;
    if id.is_empty()
        || id.chars().count() > MAX_WEBSITE_ID_CHARS
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Some("id");
    }
    let name = website.name.trim();
    if name.is_empty() || !plain_line(name, MAX_WEBSITE_NAME_CHARS) {
        return Some("name");
    }
    if website.origins.is_empty()
        || website.origins.len() > MAX_WEBSITE_ORIGINS
        || website
            .origins
            .iter()
            .any(|o| o.is_empty() || !plain_line(o, MAX_ORIGIN_CHARS))
    {
        return Some("origins");
    }
    let settings = &website.settings;
    if !settings.colour.is_empty() && !is_hex_colour(&settings.colour) {
        return Some("colour");
    }
    if !plain_line(&settings.launcher_text, MAX_LAUNCHER_TEXT_CHARS) {
        return Some("launcher_text");
    }
    let greeting = &settings.greeting;
    if greeting.chars().count() > MAX_GREETING_CHARS
        || greeting.chars().any(|c| c.is_control() && c != '\n')
    {
        return Some("greeting");
    }
    if !settings.language.is_empty() && settings.lang().is_none() {
        return Some("language");
    }
    let consent = &settings.pre_chat.consent;
    if consent.chars().count() > MAX_CONSENT_CHARS
        || consent.chars().any(|c| c.is_control() && c != '\n')
    {
        return Some("consent");
    }
    None
}

/// Every website (any agent: the visitor list names each visitor's).
#[server(endpoint = "websites", input = leptos::server_fn::codec::Json)]
pub async fn websites() -> Result<Vec<Website>, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.websites(&token).await
    })
    .await
}

/// Adds a website or changes one's origins and settings (admins).
#[server(endpoint = "admin/put_website", input = leptos::server_fn::codec::Json)]
pub async fn put_website(website: Website) -> Result<(), ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.put_website(&token, website).await
    })
    .await
}

/// Removes a website: its pages may no longer embed the widget (unless the
/// server's `CHAT_ALLOWED_ORIGINS` lists them).
#[server(endpoint = "admin/remove_website", input = leptos::server_fn::codec::Json)]
pub async fn remove_website(id: String) -> Result<(), ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.remove_website(&token, &id).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop() -> Website {
        Website {
            id: "shop".into(),
            name: "Acme shop".into(),
            origins: vec!["https://shop.example.com".into()],
            settings: WidgetSettings::default(),
        }
    }

    #[test]
    fn a_website_needs_a_plain_id_a_name_an_origin_and_sane_settings() {
        assert_eq!(website_problem(&shop()), None);
        let with = |change: fn(&mut Website)| {
            let mut w = shop();
            change(&mut w);
            website_problem(&w)
        };
        assert_eq!(with(|w| w.id = "Shop".into()), Some("id"));
        assert_eq!(with(|w| w.id = String::new()), Some("id"));
        assert_eq!(with(|w| w.name = " ".into()), Some("name"));
        assert_eq!(with(|w| w.origins.clear()), Some("origins"));
        assert_eq!(
            with(|w| w.origins = vec!["https://a.example".into(); 21]),
            Some("origins")
        );
        assert_eq!(with(|w| w.settings.colour = "#1a2B3c".into()), None);
        for bad in ["red", "#12345", "#1234567", "#12345g", "1234567"] {
            let mut w = shop();
            w.settings.colour = bad.into();
            assert_eq!(website_problem(&w), Some("colour"), "{bad}");
        }
        assert_eq!(
            with(|w| w.settings.launcher_text = "Chat with us".into()),
            None
        );
        assert_eq!(
            with(|w| w.settings.launcher_text = "x".repeat(31)),
            Some("launcher_text")
        );
        assert_eq!(
            with(|w| w.settings.launcher_text = "a\nb".into()),
            Some("launcher_text")
        );
        assert_eq!(with(|w| w.settings.greeting = "Hi!\nAsk us.".into()), None);
        assert_eq!(
            with(|w| w.settings.greeting = "x".repeat(301)),
            Some("greeting")
        );
        assert_eq!(with(|w| w.settings.language = "zh-Hant".into()), None);
        assert_eq!(
            with(|w| w.settings.language = "fr".into()),
            Some("language")
        );
        assert_eq!(
            with(|w| w.settings.language = "zh-TW".into()),
            Some("language")
        );
    }

    #[test]
    fn settings_saved_before_a_field_existed_read_with_its_default() {
        let read: WidgetSettings = serde_json::from_str(r##"{"colour":"#112233"}"##).unwrap();
        assert_eq!(read.colour, "#112233");
        assert!(
            read.show_agents,
            "agents are shown unless an admin hid them"
        );
        assert_eq!(read.position, Position::Right);
    }
}
