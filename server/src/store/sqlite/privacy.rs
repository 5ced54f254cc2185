//! A visitor's data on request, and retention, on SQLite.

use super::offline_messages::{offline_from_row, OFFLINE_COLUMNS};
use super::rows::{body_parts, uuid_col};
use super::{SqliteStore, WriteTx};
use crate::store::{
    notice_forgetting, stored_notice, ErasedVisitor, Expired, PrivacyStore, Refusal, StoreResult,
};
use app::api::VisitorFound;
use app::ids::{FileId, VisitorId};
use app::protocol::{Body, Notice, OfflineMessage};
use async_trait::async_trait;
use sqlx::{Row, SqliteConnection};
use std::collections::BTreeSet;

/// The tombstone a deleted visitor's message becomes.
fn tombstone() -> (&'static str, String) {
    body_parts(&Body::Notice(Notice::Deleted))
}

/// Deletes the full-text rows of the given search numbers.
async fn unindex(conn: &mut SqliteConnection, search_ids: &[i64]) -> StoreResult<()> {
    for id in search_ids {
        sqlx::query("DELETE FROM message_search WHERE rowid = ?")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

fn file_ids(rows: &[sqlx::sqlite::SqliteRow]) -> StoreResult<Vec<FileId>> {
    rows.iter()
        .map(|row| Ok(FileId(uuid_col(row, "id")?)))
        .collect()
}

#[async_trait]
impl PrivacyStore for SqliteStore {
    async fn find_visitors(&self, query: &str, limit: u32) -> StoreResult<Vec<VisitorFound>> {
        let pattern = format!(
            "%{}%",
            query
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        sqlx::query(
            "SELECT v.id, v.display_name, v.user_id, v.created_at,
                    (SELECT COUNT(DISTINCT p.conversation_id) FROM participants p
                     WHERE p.role = 'visitor' AND p.participant_id = v.id) AS conversations,
                    (SELECT group_concat(email, char(10)) FROM
                        (SELECT DISTINCT o.email FROM offline_messages o
                         WHERE o.visitor_id = v.id AND o.email != '' ORDER BY o.email)) AS emails
             FROM visitors v
             WHERE v.id = ?1 OR v.user_id = ?1
                OR v.display_name LIKE ?2 ESCAPE '\\'
                OR v.id IN (SELECT o.visitor_id FROM offline_messages o
                            WHERE lower(o.email) = lower(?1))
             ORDER BY v.created_at DESC, v.id LIMIT ?3",
        )
        .bind(query)
        .bind(&pattern)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|row| {
            let emails: Option<String> = row.try_get("emails")?;
            Ok(VisitorFound {
                id: VisitorId(uuid_col(row, "id")?),
                name: row.try_get("display_name")?,
                user_id: row.try_get("user_id")?,
                first_seen_ms: row.try_get("created_at")?,
                conversations: row.try_get::<i64, _>("conversations")? as u32,
                emails: emails
                    .map(|e| e.lines().map(str::to_owned).collect())
                    .unwrap_or_default(),
            })
        })
        .collect()
    }

    async fn offline_messages_of(&self, visitor: VisitorId) -> StoreResult<Vec<OfflineMessage>> {
        sqlx::query(&format!(
            "SELECT {OFFLINE_COLUMNS} FROM offline_messages WHERE visitor_id = ?
             ORDER BY created_at, id"
        ))
        .bind(visitor.to_string())
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(offline_from_row)
        .collect()
    }

    async fn erase_visitor(&self, id: VisitorId) -> StoreResult<ErasedVisitor> {
        let visitor = id.to_string();
        let mut tx = WriteTx::begin(self).await?;
        let name: Option<String> =
            sqlx::query_scalar("SELECT display_name FROM visitors WHERE id = ?")
                .bind(&visitor)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(name) = name else {
            return Err(Refusal::NotFound.into());
        };
        let chatting: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM participants p JOIN conversations c ON c.id = p.conversation_id
             WHERE p.role = 'visitor' AND p.participant_id = ? AND p.left_at IS NULL
               AND c.state != 'closed' LIMIT 1",
        )
        .bind(&visitor)
        .fetch_optional(&mut *tx)
        .await?;
        if chatting.is_some() {
            return Err(Refusal::VisitorChatting.into());
        }

        // Every name they went by, and every conversation that may hold one.
        let mut names: BTreeSet<String> = sqlx::query_scalar(
            "SELECT display_name FROM participants WHERE role = 'visitor' AND participant_id = ?
             UNION SELECT invitee_name FROM invitations
             WHERE invitee_role = 'visitor' AND invitee_id = ?",
        )
        .bind(&visitor)
        .bind(&visitor)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        names.insert(name);
        names.remove("");
        let names: Vec<String> = names.into_iter().collect();
        let conversations: Vec<String> = sqlx::query_scalar(
            "SELECT conversation_id FROM participants WHERE role = 'visitor' AND participant_id = ?
             UNION SELECT conversation_id FROM invitations
             WHERE invitee_role = 'visitor' AND invitee_id = ?",
        )
        .bind(&visitor)
        .bind(&visitor)
        .fetch_all(&mut *tx)
        .await?;

        let mut erased = ErasedVisitor::default();
        let mut touched = BTreeSet::new();
        let (kind, body) = tombstone();
        for conversation in &conversations {
            // Their messages: tombstones under the same numbers.
            let search_ids: Vec<Option<i64>> = sqlx::query_scalar(
                "UPDATE messages SET kind = ?, body = ?, author_name = '', file = NULL
                 WHERE conversation_id = ? AND author_role = 'visitor' AND author_id = ?
                   AND NOT (kind = 'notice' AND body = ?)
                 RETURNING search_id",
            )
            .bind(kind)
            .bind(&body)
            .bind(conversation)
            .bind(&visitor)
            .bind(&body)
            .fetch_all(&mut *tx)
            .await?;
            if !search_ids.is_empty() {
                touched.insert(conversation.clone());
            }
            erased.counts.messages += search_ids.len() as u32;
            unindex(
                &mut tx,
                &search_ids.into_iter().flatten().collect::<Vec<_>>(),
            )
            .await?;

            // Notices that name them.
            let notices = sqlx::query(
                "SELECT seq, body FROM messages WHERE conversation_id = ? AND kind = 'notice'",
            )
            .bind(conversation)
            .fetch_all(&mut *tx)
            .await?;
            for row in notices {
                let notice = stored_notice(&row.try_get::<String, _>("body")?)?;
                let Some(renamed) = notice_forgetting(&notice, &names) else {
                    continue;
                };
                let (_, text) = body_parts(&Body::Notice(renamed));
                sqlx::query("UPDATE messages SET body = ? WHERE conversation_id = ? AND seq = ?")
                    .bind(text)
                    .bind(conversation)
                    .bind(row.try_get::<i64, _>("seq")?)
                    .execute(&mut *tx)
                    .await?;
                touched.insert(conversation.clone());
            }
        }
        erased.counts.conversations = touched.len() as u32;

        sqlx::query(
            "UPDATE participants SET display_name = '' WHERE role = 'visitor' AND participant_id = ?",
        )
        .bind(&visitor)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE invitations SET invitee_name = ''
             WHERE invitee_role = 'visitor' AND invitee_id = ?",
        )
        .bind(&visitor)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE ratings SET visitor_name = '', comment = '' WHERE visitor_id = ?")
            .bind(&visitor)
            .execute(&mut *tx)
            .await?;
        let files = sqlx::query(
            "DELETE FROM files WHERE uploader_role = 'visitor' AND uploader_id = ? RETURNING id",
        )
        .bind(&visitor)
        .fetch_all(&mut *tx)
        .await?;
        erased.files = file_ids(&files)?;
        erased.counts.files = erased.files.len() as u32;
        erased.counts.offline_messages =
            sqlx::query("DELETE FROM offline_messages WHERE visitor_id = ?")
                .bind(&visitor)
                .execute(&mut *tx)
                .await?
                .rows_affected() as u32;
        // Webhook events carry what they announced (names, messages, e-mail
        // addresses): those about the visitor go, with their deliveries.
        let pattern = format!("%{visitor}%");
        for statement in [
            "DELETE FROM webhook_attempts WHERE event_id IN
                 (SELECT id FROM webhook_events WHERE body LIKE ?)",
            "DELETE FROM webhook_deliveries WHERE event_id IN
                 (SELECT id FROM webhook_events WHERE body LIKE ?)",
            "DELETE FROM webhook_events WHERE body LIKE ?",
        ] {
            sqlx::query(statement)
                .bind(&pattern)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM visitors WHERE id = ?")
            .bind(&visitor)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(erased)
    }

    async fn setting(&self, name: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    async fn put_setting(&self, name: &str, value: Option<&str>) -> StoreResult<()> {
        let mut tx = WriteTx::begin(self).await?;
        match value {
            Some(value) => {
                sqlx::query(
                    "INSERT INTO settings (name, value) VALUES (?, ?)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                )
                .bind(name)
                .bind(value)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM settings WHERE name = ?")
                    .bind(name)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await
    }

    async fn expire_closed(&self, closed_before_ms: i64, limit: u32) -> StoreResult<Expired> {
        let mut tx = WriteTx::begin(self).await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM conversations WHERE state = 'closed' AND closed_at < ?
             ORDER BY closed_at LIMIT ?",
        )
        .bind(closed_before_ms)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let mut expired = Expired::default();
        for id in &ids {
            let search_ids: Vec<i64> = sqlx::query_scalar(
                "SELECT search_id FROM messages WHERE conversation_id = ? AND search_id IS NOT NULL",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            unindex(&mut tx, &search_ids).await?;
            let files = sqlx::query("DELETE FROM files WHERE conversation_id = ? RETURNING id")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
            expired.files.extend(file_ids(&files)?);
            for statement in [
                "DELETE FROM invitations WHERE conversation_id = ?",
                "DELETE FROM ratings WHERE conversation_id = ?",
                "DELETE FROM messages WHERE conversation_id = ?",
                "DELETE FROM participants WHERE conversation_id = ?",
                "DELETE FROM chat_offers WHERE conversation_id = ?",
                "DELETE FROM conversations WHERE id = ?",
            ] {
                sqlx::query(statement).bind(id).execute(&mut *tx).await?;
            }
        }
        expired.conversations = ids.len() as u32;
        tx.commit().await?;
        Ok(expired)
    }
}
