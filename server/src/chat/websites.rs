//! Websites: the company sites the widget is served to, kept by admins in the
//! console. Each node keeps them in memory, read again on every tick of its
//! router task (and at once after a change saved here), so that a site's
//! origins and widget settings reach every node within a second, and rendering
//! a widget page or checking a socket's origin never waits for the store.

use super::availability::lock;
use super::{ChatError, ChatService};
use crate::clock::now_ms;
use crate::store::StoreError;
use app::api::{website_at, website_problem, Website};
use std::sync::{Arc, RwLock};

/// The origins of every website, shared with the HTTP layer's guard (which
/// lets them open sockets and frame the widget).
#[derive(Clone, Debug, Default)]
pub struct SiteOrigins(Arc<RwLock<Vec<String>>>);

impl SiteOrigins {
    pub fn contains(&self, origin: &str) -> bool {
        self.read().iter().any(|o| o == origin)
    }

    pub fn all(&self) -> Vec<String> {
        self.read().clone()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<String>> {
        self.0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn set(&self, origins: Vec<String>) {
        *self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = origins;
    }
}

/// Why a website was not saved.
#[derive(Debug, thiserror::Error)]
pub enum WebsiteError {
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// Another website has this origin.
    #[error("{0} belongs to another website")]
    OriginTaken(String),
    #[error(transparent)]
    Chat(#[from] ChatError),
}

impl From<StoreError> for WebsiteError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Duplicate(origin) => WebsiteError::OriginTaken(origin),
            other => WebsiteError::Chat(other.into()),
        }
    }
}

/// The website a widget page belongs to: the one its tag names, if any, else
/// the one whose origins hold the page's.
pub(super) fn website_of_page<'a>(
    websites: &'a [Website],
    site: Option<&str>,
    page_url: &str,
) -> Option<&'a Website> {
    site.and_then(|id| websites.iter().find(|w| w.id == id))
        .or_else(|| website_at(websites, page_url))
}

impl ChatService {
    pub async fn websites(&self) -> Result<Vec<Website>, ChatError> {
        Ok(self.store.websites().await?)
    }

    /// Adds a website or changes one (the caller checked the admin role and
    /// wrote its origins in their normal form).
    pub async fn put_website(&self, mut website: Website) -> Result<(), WebsiteError> {
        website.name = website.name.trim().to_owned();
        website.settings.launcher_text = website.settings.launcher_text.trim().to_owned();
        website.settings.greeting = website.settings.greeting.trim().to_owned();
        website.settings.colour = website.settings.colour.to_ascii_lowercase();
        website.origins.sort();
        website.origins.dedup();
        if let Some(field) = website_problem(&website) {
            return Err(WebsiteError::Invalid(field));
        }
        self.store.put_website(&website, now_ms()).await?;
        self.websites_changed().await;
        Ok(())
    }

    pub async fn remove_website(&self, id: &str) -> Result<(), ChatError> {
        if !self.store.remove_website(id).await? {
            return Err(ChatError::NotFound);
        }
        self.websites_changed().await;
        Ok(())
    }

    /// The websites' origins, as this node last read them.
    pub fn site_origins(&self) -> SiteOrigins {
        self.site_origins.clone()
    }

    /// The origins of the websites whose id or name holds `filter` (ignoring
    /// case): the visitor list finds their visitors too.
    pub(super) fn origins_named(&self, filter: &str) -> Vec<String> {
        let needle = filter.trim().to_lowercase();
        if needle.is_empty() {
            return Vec::new();
        }
        lock(&self.websites_known)
            .iter()
            .filter(|w| w.id.contains(&needle) || w.name.to_lowercase().contains(&needle))
            .flat_map(|w| w.origins.clone())
            .collect()
    }

    /// Whether the website of a page asks visitors to consent before they chat.
    pub(super) fn consent_needed(&self, page_url: &str) -> bool {
        website_at(&lock(&self.websites_known), page_url)
            .is_some_and(|w| !w.settings.pre_chat.consent.is_empty())
    }

    /// The company's departments as this node last read them: id and name.
    pub fn department_names(&self) -> Vec<(String, String)> {
        lock(&self.departments_known)
            .iter()
            .map(|d| (d.id.clone(), d.name.clone()))
            .collect()
    }

    pub(super) fn department_exists(&self, id: &str) -> bool {
        lock(&self.departments_known).iter().any(|d| d.id == id)
    }

    /// The website of a widget page, as this node last read them.
    pub fn website_of_page(&self, site: Option<&str>, page_url: &str) -> Option<Website> {
        let known = Arc::clone(&lock(&self.websites_known));
        website_of_page(&known, site, page_url).cloned()
    }

    /// Reads the websites again (one reader at a time, so that a slow read
    /// never replaces a newer one). The server does so before it listens, so
    /// that its first visitors' sites are known.
    pub async fn reread_websites(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.websites_reading.lock().await;
        let websites = self.store.websites().await?;
        self.site_origins
            .set(websites.iter().flat_map(|w| w.origins.clone()).collect());
        *lock(&self.websites_known) = Arc::new(websites);
        Ok(())
    }

    /// After a change saved here: read again now, and if that fails, on the
    /// router's next tick (the change itself is stored).
    async fn websites_changed(&self) {
        if let Err(err) = self.reread_websites().await {
            tracing::warn!(%err, "websites not read again after a change; the next tick will");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::api::WidgetSettings;

    fn site(id: &str, origins: &[&str]) -> Website {
        Website {
            id: id.into(),
            name: id.into(),
            origins: origins.iter().map(|o| o.to_string()).collect(),
            settings: WidgetSettings::default(),
        }
    }

    #[test]
    fn a_page_belongs_to_the_website_its_tag_names_else_to_its_origins_one() {
        let sites = [
            site("shop", &["https://shop.example.com"]),
            site(
                "docs",
                &["http://localhost:8080", "https://docs.example.com"],
            ),
        ];
        let of = |tag: Option<&str>, url: &str| website_of_page(&sites, tag, url).map(|w| &*w.id);
        assert_eq!(of(None, "https://shop.example.com/cart?x=1"), Some("shop"));
        assert_eq!(of(None, "https://Shop.Example.com"), Some("shop"));
        assert_eq!(of(None, "http://localhost:8080/#top"), Some("docs"));
        assert_eq!(of(None, "https://user:pw@docs.example.com/a"), Some("docs"));
        assert_eq!(of(Some("docs"), "https://shop.example.com/"), Some("docs"));
        assert_eq!(of(Some("nope"), "https://shop.example.com/"), Some("shop"));
        assert_eq!(of(None, "https://shop.example.com.evil.io/"), None);
        assert_eq!(of(None, "http://shop.example.com/"), None, "another scheme");
        assert_eq!(of(None, "not a url"), None);
        assert_eq!(of(None, ""), None);
    }
}
