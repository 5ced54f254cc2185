//! A visitor's data on request, and retention, on PostgreSQL.

use super::offline_messages::{offline_from_row, OFFLINE_COLUMNS};
use super::rows::{body_parts, col, uuid_col};
use super::{pg_error, PgStore};
use crate::store::{
    notice_forgetting, stored_notice, ErasedVisitor, Expired, PrivacyStore, Refusal, StoreResult,
};
use app::api::VisitorFound;
use app::ids::{FileId, VisitorId};
use app::protocol::{Body, Notice, OfflineMessage};
use async_trait::async_trait;
use sqlx::postgres::PgRow;
use std::collections::BTreeSet;

fn file_ids(rows: &[PgRow]) -> StoreResult<Vec<FileId>> {
    rows.iter()
        .map(|row| Ok(FileId(uuid_col(row, "id")?)))
        .collect()
}

#[async_trait]
impl PrivacyStore for PgStore {
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
                    ARRAY(SELECT DISTINCT o.email FROM offline_messages o
                          WHERE o.visitor_id = v.id AND o.email != '' ORDER BY o.email) AS emails
             FROM visitors v
             WHERE v.id = $1 OR v.user_id = $1
                OR v.display_name ILIKE $2
                OR v.id IN (SELECT o.visitor_id FROM offline_messages o
                            WHERE lower(o.email) = lower($1))
             ORDER BY v.created_at DESC, v.id LIMIT $3",
        )
        .bind(query)
        .bind(&pattern)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| {
            Ok(VisitorFound {
                id: VisitorId(uuid_col(row, "id")?),
                name: col(row, "display_name")?,
                user_id: col(row, "user_id")?,
                first_seen_ms: col(row, "created_at")?,
                conversations: col::<i64>(row, "conversations")? as u32,
                emails: col(row, "emails")?,
            })
        })
        .collect()
    }

    async fn offline_messages_of(&self, visitor: VisitorId) -> StoreResult<Vec<OfflineMessage>> {
        sqlx::query(&format!(
            "SELECT {OFFLINE_COLUMNS} FROM offline_messages WHERE visitor_id = $1
             ORDER BY created_at, id"
        ))
        .bind(visitor.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?
        .iter()
        .map(offline_from_row)
        .collect()
    }

    async fn erase_visitor(&self, id: VisitorId) -> StoreResult<ErasedVisitor> {
        let visitor = id.to_string();
        let mut tx = self.begin().await?;
        let name: Option<String> =
            sqlx::query_scalar("SELECT display_name FROM visitors WHERE id = $1 FOR UPDATE")
                .bind(&visitor)
                .fetch_optional(&mut *tx)
                .await
                .map_err(pg_error)?;
        let Some(name) = name else {
            return Err(Refusal::NotFound.into());
        };
        let chatting: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM participants p JOIN conversations c ON c.id = p.conversation_id
             WHERE p.role = 'visitor' AND p.participant_id = $1 AND p.left_at IS NULL
               AND c.state != 'closed' LIMIT 1",
        )
        .bind(&visitor)
        .fetch_optional(&mut *tx)
        .await
        .map_err(pg_error)?;
        if chatting.is_some() {
            return Err(Refusal::VisitorChatting.into());
        }

        // Every name they went by, and every conversation that may hold one.
        let mut names: BTreeSet<String> = sqlx::query_scalar(
            "SELECT display_name FROM participants WHERE role = 'visitor' AND participant_id = $1
             UNION SELECT invitee_name FROM invitations
             WHERE invitee_role = 'visitor' AND invitee_id = $1",
        )
        .bind(&visitor)
        .fetch_all(&mut *tx)
        .await
        .map_err(pg_error)?
        .into_iter()
        .collect();
        names.insert(name);
        names.remove("");
        let names: Vec<String> = names.into_iter().collect();
        let conversations: Vec<String> = sqlx::query_scalar(
            "SELECT conversation_id FROM participants WHERE role = 'visitor' AND participant_id = $1
             UNION SELECT conversation_id FROM invitations
             WHERE invitee_role = 'visitor' AND invitee_id = $1
             ORDER BY 1",
        )
        .bind(&visitor)
        .fetch_all(&mut *tx)
        .await
        .map_err(pg_error)?;

        let mut erased = ErasedVisitor::default();
        let mut touched = BTreeSet::new();
        let (kind, body) = body_parts(&Body::Notice(Notice::Deleted));
        for conversation in &conversations {
            // The conversation's lock orders this after any write in it.
            sqlx::query("SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE")
                .bind(conversation)
                .execute(&mut *tx)
                .await
                .map_err(pg_error)?;
            // Their messages: tombstones under the same numbers, out of the search.
            let changed = sqlx::query(
                "UPDATE messages SET kind = $1, body = $2, author_name = '', file = NULL,
                                     search_terms = NULL
                 WHERE conversation_id = $3 AND author_role = 'visitor' AND author_id = $4
                   AND NOT (kind = 'notice' AND body = $2)",
            )
            .bind(kind)
            .bind(&body)
            .bind(conversation)
            .bind(&visitor)
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?
            .rows_affected();
            if changed > 0 {
                touched.insert(conversation.clone());
            }
            erased.counts.messages += changed as u32;

            // Notices that name them.
            let notices = sqlx::query(
                "SELECT seq, body FROM messages WHERE conversation_id = $1 AND kind = 'notice'",
            )
            .bind(conversation)
            .fetch_all(&mut *tx)
            .await
            .map_err(pg_error)?;
            for row in notices {
                let notice = stored_notice(&col::<String>(&row, "body")?)?;
                let Some(renamed) = notice_forgetting(&notice, &names) else {
                    continue;
                };
                let (_, text) = body_parts(&Body::Notice(renamed));
                sqlx::query(
                    "UPDATE messages SET body = $1 WHERE conversation_id = $2 AND seq = $3",
                )
                .bind(text)
                .bind(conversation)
                .bind(col::<i64>(&row, "seq")?)
                .execute(&mut *tx)
                .await
                .map_err(pg_error)?;
                touched.insert(conversation.clone());
            }
        }
        erased.counts.conversations = touched.len() as u32;

        for statement in [
            "UPDATE participants SET display_name = ''
             WHERE role = 'visitor' AND participant_id = $1",
            "UPDATE invitations SET invitee_name = ''
             WHERE invitee_role = 'visitor' AND invitee_id = $1",
            "UPDATE ratings SET visitor_name = '', comment = '' WHERE visitor_id = $1",
        ] {
            sqlx::query(statement)
                .bind(&visitor)
                .execute(&mut *tx)
                .await
                .map_err(pg_error)?;
        }
        let files = sqlx::query(
            "DELETE FROM files WHERE uploader_role = 'visitor' AND uploader_id = $1 RETURNING id",
        )
        .bind(&visitor)
        .fetch_all(&mut *tx)
        .await
        .map_err(pg_error)?;
        erased.files = file_ids(&files)?;
        erased.counts.files = erased.files.len() as u32;
        erased.counts.offline_messages =
            sqlx::query("DELETE FROM offline_messages WHERE visitor_id = $1")
                .bind(&visitor)
                .execute(&mut *tx)
                .await
                .map_err(pg_error)?
                .rows_affected() as u32;
        // Webhook events carry what they announced (names, messages, e-mail
        // addresses): those about the visitor go, with their deliveries.
        sqlx::query("DELETE FROM webhook_events WHERE strpos(body, $1) > 0")
            .bind(&visitor)
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?;
        sqlx::query("DELETE FROM visitors WHERE id = $1")
            .bind(&visitor)
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?;
        tx.commit().await.map_err(pg_error)?;
        Ok(erased)
    }

    async fn setting(&self, name: &str) -> StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(pg_error)
    }

    async fn put_setting(&self, name: &str, value: Option<&str>) -> StoreResult<()> {
        let query = match value {
            Some(value) => sqlx::query(
                "INSERT INTO settings (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            )
            .bind(name)
            .bind(value),
            None => sqlx::query("DELETE FROM settings WHERE name = $1").bind(name),
        };
        query.execute(&self.pool).await.map_err(pg_error)?;
        Ok(())
    }

    async fn expire_closed(&self, closed_before_ms: i64, limit: u32) -> StoreResult<Expired> {
        let mut tx = self.begin().await?;
        // Locked, and skipped when another node's round holds them.
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM conversations WHERE state = 'closed' AND closed_at < $1
             ORDER BY closed_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind(closed_before_ms)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(pg_error)?;
        let files = sqlx::query("DELETE FROM files WHERE conversation_id = ANY($1) RETURNING id")
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await
            .map_err(pg_error)?;
        for statement in [
            "DELETE FROM invitations WHERE conversation_id = ANY($1)",
            "DELETE FROM ratings WHERE conversation_id = ANY($1)",
            "DELETE FROM messages WHERE conversation_id = ANY($1)",
            "DELETE FROM participants WHERE conversation_id = ANY($1)",
            "DELETE FROM chat_offers WHERE conversation_id = ANY($1)",
            "DELETE FROM conversations WHERE id = ANY($1)",
        ] {
            sqlx::query(statement)
                .bind(&ids)
                .execute(&mut *tx)
                .await
                .map_err(pg_error)?;
        }
        tx.commit().await.map_err(pg_error)?;
        Ok(Expired {
            conversations: ids.len() as u32,
            files: file_ids(&files)?,
        })
    }
}
