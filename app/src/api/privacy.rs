//! A visitor's data on request, and how long conversations are kept (admins):
//! find a visitor by name, e-mail, the site's user id or their id; export
//! everything kept about them as JSON (`GET /visitors/{id}/export.json`);
//! delete it, their messages becoming tombstones so that every conversation's
//! numbering stays whole; and the retention period after which closed
//! conversations are deleted. The server does the work (`server::chat::privacy`).

#[cfg(feature = "ssr")]
use super::backend;
use super::ApiError;
use crate::ids::VisitorId;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The longest retention period the console takes: ten years.
pub const MAX_RETENTION_DAYS: u32 = 3650;
/// Most visitors one search lists.
pub const VISITORS_FOUND_MAX: u32 = 50;

/// A visitor a search found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorFound {
    pub id: VisitorId,
    pub name: String,
    /// The embedding site's own id for them, once they proved it.
    pub user_id: Option<String>,
    pub first_seen_ms: i64,
    /// The conversations they took part in.
    pub conversations: u32,
    /// The addresses they left messages under.
    pub emails: Vec<String>,
}

/// What deleting a visitor's data changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorDeleted {
    /// Their messages, each replaced by a tombstone.
    pub messages: u32,
    /// The conversations those were in, or that named them.
    pub conversations: u32,
    pub files: u32,
    pub offline_messages: u32,
}

/// Visitors whose name contains `query`, or whose e-mail address, user id or
/// id is `query` (admins).
#[server(endpoint = "admin/find_visitors", input = leptos::server_fn::codec::Json)]
pub async fn find_visitors(query: String) -> Result<Vec<VisitorFound>, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.find_visitors(&token, query).await
    })
    .await
}

/// Deletes what is kept about a visitor who has no open conversation (admins).
#[server(endpoint = "admin/delete_visitor", input = leptos::server_fn::codec::Json)]
pub async fn delete_visitor(id: VisitorId) -> Result<VisitorDeleted, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.delete_visitor(&token, id).await
    })
    .await
}

/// After how many days closed conversations are deleted (`None`: kept) (admins).
#[server(endpoint = "admin/retention", input = leptos::server_fn::codec::Json)]
pub async fn retention_days() -> Result<Option<u32>, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.retention_days(&token).await
    })
    .await
}

/// Sets the retention period, 1 to [`MAX_RETENTION_DAYS`] days or `None` (admins).
#[server(endpoint = "admin/set_retention", input = leptos::server_fn::codec::Json)]
pub async fn set_retention_days(days: Option<u32>) -> Result<(), ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.set_retention_days(&token, days).await
    })
    .await
}
