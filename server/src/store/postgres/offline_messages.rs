//! Messages left with the leave-a-message form, on PostgreSQL.
use super::rows::{col, parse_id, uuid_col};
use super::webhooks::record_outbox;
use super::{pg_error, PgStore};
use crate::chat::events::{Changed, Event};
use crate::store::{NewOfflineMessage, OfflineMessageStore, StoreResult};
use app::ids::{MessageId, VisitorId};
use app::protocol::{Handled, OfflineMessage};
use async_trait::async_trait;
use sqlx::postgres::PgRow;
use uuid::Uuid;

pub(super) fn offline_from_row(row: &PgRow) -> StoreResult<OfflineMessage> {
    let visitor: Option<String> = col(row, "visitor_id")?;
    Ok(OfflineMessage {
        id: MessageId(uuid_col(row, "id")?),
        visitor_id: visitor.map(|v| parse_id(&v).map(VisitorId)).transpose()?,
        name: col(row, "name")?,
        email: col(row, "email")?,
        body: col(row, "body")?,
        page_url: col(row, "page_url")?,
        at_ms: col(row, "created_at")?,
        handled: match (
            col::<Option<i64>>(row, "handled_at")?,
            col::<Option<String>>(row, "handled_by_name")?,
        ) {
            (Some(at_ms), Some(by_name)) => Some(Handled { by_name, at_ms }),
            _ => None,
        },
    })
}

pub(super) const OFFLINE_COLUMNS: &str =
    "id, visitor_id, name, email, body, page_url, created_at, handled_at, handled_by_name";

#[async_trait]
impl OfflineMessageStore for PgStore {
    async fn add_offline_message(&self, message: NewOfflineMessage) -> StoreResult<OfflineMessage> {
        let id = MessageId(Uuid::new_v4());
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO offline_messages (id, visitor_id, name, email, body, page_url, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(message.visitor_id.map(|v| v.to_string()))
        .bind(&message.name)
        .bind(&message.email)
        .bind(&message.body)
        .bind(&message.page_url)
        .bind(message.at_ms)
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
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
        record_outbox(&mut tx, &changed).await?;
        tx.commit().await.map_err(pg_error)?;
        Ok(stored)
    }

    async fn offline_messages(&self, limit: u32) -> StoreResult<Vec<OfflineMessage>> {
        sqlx::query(&format!(
            "SELECT {OFFLINE_COLUMNS} FROM offline_messages ORDER BY created_at DESC, id LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?
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
            "UPDATE offline_messages SET handled_at = $1, handled_by_name = $2 WHERE id = $3
             RETURNING {OFFLINE_COLUMNS}"
        ))
        .bind(handled.as_ref().map(|h| h.at_ms))
        .bind(handled.as_ref().map(|h| h.by_name.as_str()))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(pg_error)?
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
        // Rows another mailer is claiming right now are skipped, not waited for.
        let mut claimed = sqlx::query(&format!(
            "UPDATE offline_messages SET mail_claimed_until = $1
             WHERE id IN (
                 SELECT id FROM offline_messages
                 WHERE mailed_at IS NULL AND created_at >= $2
                   AND (mail_claimed_until IS NULL OR mail_claimed_until <= $3)
                 ORDER BY created_at, id LIMIT $4
                 FOR UPDATE SKIP LOCKED)
             RETURNING {OFFLINE_COLUMNS}"
        ))
        .bind(claim_until_ms)
        .bind(since_ms)
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?
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
             WHERE id = $1 AND mail_claimed_until = $2",
        )
        .bind(id.to_string())
        .bind(claim_until_ms)
        .execute(&self.pool)
        .await
        .map_err(pg_error)?;
        Ok(())
    }

    async fn mark_offline_mailed(&self, id: MessageId, at_ms: i64) -> StoreResult<()> {
        sqlx::query("UPDATE offline_messages SET mailed_at = $1 WHERE id = $2")
            .bind(at_ms)
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(pg_error)?;
        Ok(())
    }
}
