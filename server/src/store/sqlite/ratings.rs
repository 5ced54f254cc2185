//! Visitors' ratings of conversations on SQLite.

use super::rows::{participant_parts, uuid_col};
use super::{SqliteStore, WriteTx};
use crate::chat::events::{Changed, Event};
use crate::store::{RatingStore, Refusal, StoreResult, VisitorRecord};
use app::ids::{ConversationId, Participant, VisitorId};
use app::protocol::Rating;
use async_trait::async_trait;
use sqlx::{Row, SqliteConnection};

#[async_trait]
impl RatingStore for SqliteStore {
    async fn rate(
        &self,
        id: ConversationId,
        visitor: &VisitorRecord,
        good: bool,
        comment: &str,
        at_ms: i64,
    ) -> StoreResult<Changed> {
        let mut tx = WriteTx::begin(self).await?;
        let (role, pid) = participant_parts(Participant::Visitor(visitor.id));
        let took_part: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM participants
             WHERE conversation_id = ? AND role = ? AND participant_id = ?",
        )
        .bind(id.to_string())
        .bind(role)
        .bind(&pid)
        .fetch_optional(&mut *tx)
        .await?;
        if took_part.is_none() {
            return Err(Refusal::NotFound.into());
        }
        sqlx::query(
            "INSERT INTO ratings (conversation_id, visitor_id, visitor_name, good, comment,
                                  created_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (conversation_id, visitor_id) DO UPDATE
             SET visitor_name = excluded.visitor_name, good = excluded.good,
                 comment = excluded.comment, created_at = excluded.created_at",
        )
        .bind(id.to_string())
        .bind(&pid)
        .bind(&visitor.name)
        .bind(good)
        .bind(comment)
        .bind(at_ms)
        .execute(&mut *tx)
        .await?;
        let result = Changed::of(vec![Event::Rated(Rating {
            conversation_id: id,
            visitor_id: visitor.id,
            visitor_name: visitor.name.clone(),
            good,
            comment: comment.to_owned(),
            at_ms,
        })]);
        tx.commit_changed(&result).await?;
        Ok(result)
    }

    async fn ratings(&self, id: ConversationId) -> StoreResult<Vec<Rating>> {
        let mut conn = self.reader.acquire().await?;
        ratings_of(&mut conn, id).await
    }
}

/// The ratings of a conversation, oldest first.
pub(super) async fn ratings_of(
    conn: &mut SqliteConnection,
    id: ConversationId,
) -> StoreResult<Vec<Rating>> {
    sqlx::query(
        "SELECT visitor_id, visitor_name, good, comment, created_at FROM ratings
         WHERE conversation_id = ? ORDER BY created_at, visitor_id",
    )
    .bind(id.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok(Rating {
            conversation_id: id,
            visitor_id: VisitorId(uuid_col(row, "visitor_id")?),
            visitor_name: row.try_get("visitor_name")?,
            good: row.try_get("good")?,
            comment: row.try_get("comment")?,
            at_ms: row.try_get("created_at")?,
        })
    })
    .collect()
}
