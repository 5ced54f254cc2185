//! Messages left with the leave-a-message form, on SQLite.
use super::rows::uuid_col;
use super::{SqliteStore, WriteTx};
use crate::chat::events::{Changed, Event};
use crate::store::{NewOfflineMessage, OfflineMessageStore, StoreError, StoreResult};
use app::ids::{MessageId, VisitorId};
use app::protocol::{Handled, OfflineMessage};
use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use uuid::Uuid;

pub(super) fn offline_from_row(row: &SqliteRow) -> StoreResult<OfflineMessage> {
    let visitor: Option<String> = row.try_get("visitor_id")?;
    Ok(OfflineMessage {
        id: MessageId(uuid_col(row, "id")?),
        visitor_id: visitor
            .map(|v| Uuid::parse_str(&v).map(VisitorId))
            .transpose()
            .map_err(|e| StoreError::Internal(format!("stored visitor id: {e}")))?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        body: row.try_get("body")?,
        page_url: row.try_get("page_url")?,
        at_ms: row.try_get("created_at")?,
        handled: match (
            row.try_get::<Option<i64>, _>("handled_at")?,
            row.try_get::<Option<String>, _>("handled_by_name")?,
        ) {
            (Some(at_ms), Some(by_name)) => Some(Handled { by_name, at_ms }),
            _ => None,
        },
    })
}

pub(super) const OFFLINE_COLUMNS: &str =
    "id, visitor_id, name, email, body, page_url, created_at, handled_at, handled_by_name";

#[async_trait]
impl OfflineMessageStore for SqliteStore {
    async fn add_offline_message(&self, message: NewOfflineMessage) -> StoreResult<OfflineMessage> {
        let id = MessageId(Uuid::new_v4());
        let mut tx = WriteTx::begin(self).await?;
        sqlx::query(
            "INSERT INTO offline_messages (id, visitor_id, name, email, body, page_url, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(message.visitor_id.map(|v| v.to_string()))
        .bind(&message.name)
        .bind(&message.email)
        .bind(&message.body)
        .bind(&message.page_url)
        .bind(message.at_ms)
        .execute(&mut *tx)
        .await?;
        let stored = OfflineMessage {
            id,
            visitor_id: message.visitor_id,
            name: message.name,
            email: message.email,
            body: message.body,
            page_url: message.page_url,
            at_ms: message.at_ms,
            handled: None,
        };
        let changed = Changed::of(vec![Event::OfflineMessageReceived(stored.clone())]);
        tx.commit_changed(&changed).await?;
        Ok(stored)
    }

    async fn offline_messages(&self, limit: u32) -> StoreResult<Vec<OfflineMessage>> {
        sqlx::query(&format!(
            "SELECT {OFFLINE_COLUMNS} FROM offline_messages ORDER BY created_at DESC, id LIMIT ?"
        ))
        .bind(limit)
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(offline_from_row)
        .collect()
    }

    async fn set_offline_handled(
        &self,
        id: MessageId,
        handled: Option<Handled>,
    ) -> StoreResult<Option<OfflineMessage>> {
        sqlx::query(&format!(
            "UPDATE offline_messages SET handled_at = ?, handled_by_name = ? WHERE id = ?
             RETURNING {OFFLINE_COLUMNS}"
        ))
        .bind(handled.as_ref().map(|h| h.at_ms))
        .bind(handled.as_ref().map(|h| h.by_name.as_str()))
        .bind(id.to_string())
        .fetch_optional(&mut *self.write().await?)
        .await?
        .as_ref()
        .map(offline_from_row)
        .transpose()
    }

    async fn claim_unmailed_offline_messages(
        &self,
        now_ms: i64,
        since_ms: i64,
        claim_until_ms: i64,
        limit: u32,
    ) -> StoreResult<Vec<OfflineMessage>> {
        // One statement on the writer: the choice and the claim cannot be split
        // by another mailer's.
        let mut claimed = sqlx::query(&format!(
            "UPDATE offline_messages SET mail_claimed_until = ?
             WHERE id IN (
                 SELECT id FROM offline_messages
                 WHERE mailed_at IS NULL AND created_at >= ?
                   AND (mail_claimed_until IS NULL OR mail_claimed_until <= ?)
                 ORDER BY created_at, id LIMIT ?)
             RETURNING {OFFLINE_COLUMNS}"
        ))
        .bind(claim_until_ms)
        .bind(since_ms)
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&mut *self.write().await?)
        .await?
        .iter()
        .map(offline_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
        claimed.sort_by_key(|m| (m.at_ms, m.id));
        Ok(claimed)
    }

    async fn release_offline_mail_claim(
        &self,
        id: MessageId,
        claim_until_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE offline_messages SET mail_claimed_until = NULL
             WHERE id = ? AND mail_claimed_until = ?",
        )
        .bind(id.to_string())
        .bind(claim_until_ms)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    async fn mark_offline_mailed(&self, id: MessageId, at_ms: i64) -> StoreResult<()> {
        sqlx::query("UPDATE offline_messages SET mailed_at = ? WHERE id = ?")
            .bind(at_ms)
            .bind(id.to_string())
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }
}
