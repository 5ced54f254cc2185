//! Visitors' ratings of conversations on PostgreSQL.

use super::rows::{col, participant_parts, uuid_col};
use super::webhooks::record_outbox;
use super::{pg_error, PgStore};
use crate::chat::events::{Changed, Event};
use crate::store::{RatingStore, Refusal, StoreResult, VisitorRecord};
use app::ids::{ConversationId, Participant, VisitorId};
use app::protocol::Rating;
use async_trait::async_trait;
use sqlx::PgConnection;

#[async_trait]
impl RatingStore for PgStore {
    async fn rate(
        &self,
        id: ConversationId,
        visitor: &VisitorRecord,
        good: bool,
        comment: &str,
        at_ms: i64,
    ) -> StoreResult<Changed> {
        // No conversation lock: a rating changes no entry or member, and the upsert
        // settles two ratings at once by itself (the later one stays).
        let mut tx = self.begin().await?;
        let (role, pid) = participant_parts(Participant::Visitor(visitor.id));
        let took_part: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM participants
             WHERE conversation_id = $1 AND role = $2 AND participant_id = $3",
        )
        .bind(id.to_string())
        .bind(role)
        .bind(&pid)
        .fetch_optional(&mut *tx)
        .await
        .map_err(pg_error)?;
        if took_part.is_none() {
            return Err(Refusal::NotFound.into());
        }
        sqlx::query(
            "INSERT INTO ratings (conversation_id, visitor_id, visitor_name, good, comment,
                                  created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
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
        .await
        .map_err(pg_error)?;
        let result = Changed::of(vec![Event::Rated(Rating {
            conversation_id: id,
            visitor_id: visitor.id,
            visitor_name: visitor.name.clone(),
            good,
            comment: comment.to_owned(),
            at_ms,
        })]);
        record_outbox(&mut tx, &result).await?;
        tx.commit().await.map_err(pg_error)?;
        Ok(result)
    }

    async fn ratings(&self, id: ConversationId) -> StoreResult<Vec<Rating>> {
        let mut conn = self.pool.acquire().await.map_err(pg_error)?;
        ratings_of(&mut conn, id).await
    }
}

/// The ratings of a conversation, oldest first.
pub(super) async fn ratings_of(
    conn: &mut PgConnection,
    id: ConversationId,
) -> StoreResult<Vec<Rating>> {
    sqlx::query(
        "SELECT visitor_id, visitor_name, good, comment, created_at FROM ratings
         WHERE conversation_id = $1 ORDER BY created_at, visitor_id",
    )
    .bind(id.to_string())
    .fetch_all(conn)
    .await
    .map_err(pg_error)?
    .iter()
    .map(|row| {
        Ok(Rating {
            conversation_id: id,
            visitor_id: VisitorId(uuid_col(row, "visitor_id")?),
            visitor_name: col(row, "visitor_name")?,
            good: col(row, "good")?,
            comment: col(row, "comment")?,
            at_ms: col(row, "created_at")?,
        })
    })
    .collect()
}
