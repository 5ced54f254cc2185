//! A visitor's data on request, and how long conversations are kept.
//!
//! An admin finds a visitor (by name, e-mail address, the site's user id or
//! id), exports what is kept about them as JSON, or deletes it: the store
//! replaces each of their messages by a tombstone under the same number, so
//! that every conversation's sequence stays whole for the others in it, takes
//! their name out of what names them, and deletes the rest; the bytes of their
//! files go here. Retention deletes closed conversations once they are older
//! than the period an admin set, in rounds, on every node (each round is one
//! transaction; two nodes deleting at once skip each other's rows).

use super::{ChatError, ChatService};
use crate::files::FileBlobs;
use crate::store::ErasedVisitor;
use app::api::{
    HistoryFilter, VisitorDeleted, VisitorFound, MAX_RETENTION_DAYS, VISITORS_FOUND_MAX,
};
use app::ids::{FileId, Participant, VisitorId};
use app::protocol::{Body, ChatMessage, ConversationKind, ConversationState, OfflineMessage};
use serde::Serialize;
use std::sync::Weak;
use std::time::Duration;

/// Where the retention period is kept in the settings.
const RETENTION_SETTING: &str = "retention_days";
/// Conversations deleted in one transaction of a retention round.
const EXPIRE_BATCH: u32 = 200;
/// How often retention looks for conversations to delete.
pub const RETENTION_EVERY: Duration = Duration::from_secs(3600);
/// The longest search text.
const MAX_QUERY_CHARS: usize = 200;
const DAY_MS: i64 = 86_400_000;

/// Everything kept about one visitor, as the export gives it.
#[derive(Debug, Serialize)]
pub struct VisitorExport {
    pub exported_at_ms: i64,
    pub visitor: VisitorFound,
    /// The conversations they took part in, newest first, each with what they
    /// could read of it.
    pub conversations: Vec<ExportedConversation>,
    /// What they left with the leave-a-message form.
    pub offline_messages: Vec<OfflineMessage>,
}

#[derive(Debug, Serialize)]
pub struct ExportedConversation {
    pub id: app::ids::ConversationId,
    pub kind: ConversationKind,
    pub state: ConversationState,
    pub started_ms: i64,
    pub ended_ms: Option<i64>,
    pub entries: Vec<ExportedEntry>,
    /// Their rating of it.
    pub rating: Option<ExportedRating>,
}

#[derive(Debug, Serialize)]
pub struct ExportedEntry {
    pub seq: u64,
    pub at_ms: i64,
    /// Who wrote it (empty for the conversation's own notices).
    pub author: String,
    /// Whether the visitor wrote it.
    pub by_visitor: bool,
    pub body: Body,
    /// The name of the file it carried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ExportedRating {
    pub good: bool,
    pub comment: String,
    pub at_ms: i64,
}

fn entry(visitor: VisitorId, message: ChatMessage) -> ExportedEntry {
    let by_visitor = matches!(
        message.author.as_ref().map(|a| a.participant),
        Some(Participant::Visitor(id)) if id == visitor
    );
    ExportedEntry {
        seq: message.seq,
        at_ms: message.at_ms,
        author: message.author.map(|a| a.name).unwrap_or_default(),
        by_visitor,
        body: message.body,
        file: message.file.map(|f| f.name),
    }
}

impl ChatService {
    /// Visitors a privacy request may be about.
    pub async fn find_visitors(&self, query: &str) -> Result<Vec<VisitorFound>, ChatError> {
        let query = query.trim();
        if query.is_empty() {
            return Err(ChatError::InvalidField("query"));
        }
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(ChatError::TooLong {
                field: "query",
                max: MAX_QUERY_CHARS,
            });
        }
        Ok(self.store.find_visitors(query, VISITORS_FOUND_MAX).await?)
    }

    /// Everything kept about `id`, or [`ChatError::NotFound`].
    pub async fn export_visitor(&self, id: VisitorId) -> Result<VisitorExport, ChatError> {
        let visitor = self
            .store
            .find_visitors(&id.to_string(), 1)
            .await?
            .into_iter()
            .find(|v| v.id == id)
            .ok_or(ChatError::NotFound)?;
        let filter = HistoryFilter {
            visitor: Some(id),
            ..HistoryFilter::default()
        };
        let mut past = Vec::new();
        let mut after = None;
        loop {
            let page = self.store.history(&filter, after, 100).await?;
            let Some(last) = page.last() else { break };
            after = Some(app::api::HistoryCursor {
                started_ms: last.started_ms,
                id: last.id,
            });
            let full = page.len() == 100;
            past.extend(page);
            if !full {
                break;
            }
        }
        let mut conversations = Vec::with_capacity(past.len());
        for conversation in past {
            let mut entries = Vec::new();
            let mut after_seq = 0;
            while let Some(page) = self
                .store
                .messages_after(conversation.id, Participant::Visitor(id), after_seq, 500)
                .await?
            {
                let Some(last) = page.messages.last().map(|m| m.seq) else {
                    break;
                };
                after_seq = last;
                entries.extend(page.messages.into_iter().map(|m| entry(id, m)));
                if after_seq >= page.last_seq {
                    break;
                }
            }
            let rating = conversation
                .ratings
                .iter()
                .find(|r| r.visitor_id == id)
                .map(|r| ExportedRating {
                    good: r.good,
                    comment: r.comment.clone(),
                    at_ms: r.at_ms,
                });
            conversations.push(ExportedConversation {
                id: conversation.id,
                kind: conversation.kind,
                state: conversation.state,
                started_ms: conversation.started_ms,
                ended_ms: conversation.ended_ms,
                entries,
                rating,
            });
        }
        Ok(VisitorExport {
            exported_at_ms: crate::clock::now_ms(),
            visitor,
            conversations,
            offline_messages: self.store.offline_messages_of(id).await?,
        })
    }

    /// Deletes what is kept about `id` (see the module's comment), the bytes of
    /// their files from `blobs` too.
    pub async fn erase_visitor(
        &self,
        id: VisitorId,
        blobs: &dyn FileBlobs,
    ) -> Result<VisitorDeleted, ChatError> {
        let ErasedVisitor { counts, files } = self.store.erase_visitor(id).await?;
        remove_blobs(blobs, &files).await;
        tracing::info!(visitor = %id, messages = counts.messages, files = counts.files, "a visitor's data was deleted");
        Ok(counts)
    }

    /// After how many days closed conversations are deleted (`None`: kept).
    pub async fn retention_days(&self) -> Result<Option<u32>, ChatError> {
        let kept = self.store.setting(RETENTION_SETTING).await?;
        Ok(kept.and_then(|days| days.parse().ok()))
    }

    /// Sets the retention period: 1 to [`MAX_RETENTION_DAYS`] days, or `None`.
    pub async fn set_retention_days(&self, days: Option<u32>) -> Result<(), ChatError> {
        if let Some(days) = days {
            if !(1..=MAX_RETENTION_DAYS).contains(&days) {
                return Err(ChatError::InvalidField("days"));
            }
        }
        let text = days.map(|d| d.to_string());
        self.store
            .put_setting(RETENTION_SETTING, text.as_deref())
            .await?;
        Ok(())
    }

    /// Deletes every closed conversation older than the retention period at
    /// `now_ms`, in rounds; the number deleted.
    pub async fn expire_conversations(
        &self,
        now_ms: i64,
        blobs: &dyn FileBlobs,
    ) -> Result<u64, ChatError> {
        let Some(days) = self.retention_days().await? else {
            return Ok(0);
        };
        let before = now_ms - i64::from(days) * DAY_MS;
        let mut deleted = 0u64;
        loop {
            let expired = self.store.expire_closed(before, EXPIRE_BATCH).await?;
            remove_blobs(blobs, &expired.files).await;
            deleted += u64::from(expired.conversations);
            if expired.conversations < EXPIRE_BATCH {
                break;
            }
        }
        if deleted > 0 {
            tracing::info!(
                deleted,
                days,
                "closed conversations past the retention period deleted"
            );
        }
        Ok(deleted)
    }
}

/// Removes the bytes of deleted files; one that cannot be removed is logged
/// (its record is gone: it is never served again).
async fn remove_blobs(blobs: &dyn FileBlobs, files: &[FileId]) {
    for id in files {
        if let Err(err) = blobs.remove(*id).await {
            tracing::warn!(file = %id, %err, "a deleted file's bytes were not removed");
        }
    }
}

/// Applies the retention period every `every` while the service lives.
pub async fn keep_retention(
    service: Weak<ChatService>,
    blobs: std::sync::Arc<dyn FileBlobs>,
    every: Duration,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let Some(service) = service.upgrade() else {
            return;
        };
        if let Err(err) = service
            .expire_conversations(crate::clock::now_ms(), &*blobs)
            .await
        {
            tracing::warn!(%err, "applying the retention period failed; trying again later");
        }
    }
}
