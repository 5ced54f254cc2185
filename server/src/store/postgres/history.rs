//! Past conversations and full-text search on PostgreSQL: a GIN index over the
//! `tsvector` of the terms that [`crate::store::search`] cuts, queried with a
//! `tsquery` built from the same cut (see `rows::tsquery_literal`).

use super::ratings::ratings_of;
use super::rows::{
    col, kind_from, message_from_row, participant_col, state_from, tsquery_literal, uuid_col,
    MESSAGE_COLUMNS,
};
use super::{pg_error, PgStore};
use crate::store::{HistoryStore, Page, StoreResult};
use app::api::{HistoryCursor, HistoryFilter, PastConversation, SearchHit};
use app::ids::ConversationId;
use app::protocol::{Body, ParticipantInfo};
use async_trait::async_trait;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{PgConnection, Postgres};

/// The conditions of a [`HistoryFilter`] on conversations `c`, with parameters
/// $1 to $6 (bound by [`bind_filter`]). A visitor's name matches ignoring ASCII
/// case, as SQLite's lower() does (COLLATE "C").
const FILTER: &str = "
    ($1::text IS NULL OR EXISTS (SELECT 1 FROM participants p WHERE p.conversation_id = c.id
                                 AND p.role = 'agent' AND p.participant_id = $1))
    AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM participants p WHERE p.conversation_id = c.id
                                     AND p.role = 'visitor' AND p.participant_id = $2))
    AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM participants p WHERE p.conversation_id = c.id
                                     AND p.role = 'visitor'
                                     AND strpos(lower(p.display_name COLLATE \"C\"),
                                                lower($3 COLLATE \"C\")) > 0))
    AND ($4::bigint IS NULL OR c.created_at >= $4)
    AND ($5::bigint IS NULL OR c.created_at < $5)
    AND ($6::text IS NULL
         OR ($6 = 'good' AND EXISTS (SELECT 1 FROM ratings r
                                     WHERE r.conversation_id = c.id AND r.good))
         OR ($6 = 'bad' AND EXISTS (SELECT 1 FROM ratings r
                                    WHERE r.conversation_id = c.id AND NOT r.good))
         OR ($6 = 'unrated' AND NOT EXISTS (SELECT 1 FROM ratings r
                                            WHERE r.conversation_id = c.id)))";

fn bind_filter<'q>(
    query: Query<'q, Postgres, PgArguments>,
    filter: &'q HistoryFilter,
) -> Query<'q, Postgres, PgArguments> {
    let name = filter
        .visitor_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    query
        .bind(filter.agent.map(|a| a.to_string()))
        .bind(filter.visitor.map(|v| v.to_string()))
        .bind(name)
        .bind(filter.from_ms)
        .bind(filter.to_ms)
        .bind(filter.rating.map(|r| r.as_str()))
}

/// Everyone who ever took part in a conversation, in the order they joined.
async fn people(conn: &mut PgConnection, id: ConversationId) -> StoreResult<Vec<ParticipantInfo>> {
    sqlx::query(
        "SELECT role, participant_id, display_name FROM participants
         WHERE conversation_id = $1 ORDER BY joined_at, role, participant_id",
    )
    .bind(id.to_string())
    .fetch_all(conn)
    .await
    .map_err(pg_error)?
    .iter()
    .map(|row| {
        Ok(ParticipantInfo {
            participant: participant_col(row, "role", "participant_id")?,
            name: col(row, "display_name")?,
        })
    })
    .collect()
}

/// A conversation row (`id, kind, state, created_at, closed_at, last_seq`) with
/// who took part, its first message and its ratings.
async fn past_from_row(conn: &mut PgConnection, row: &PgRow) -> StoreResult<PastConversation> {
    let id = ConversationId(uuid_col(row, "id")?);
    let first_message: Option<String> = sqlx::query_scalar(
        "SELECT body FROM messages WHERE conversation_id = $1 AND kind = 'text'
             AND visibility = 'everyone' ORDER BY seq LIMIT 1",
    )
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await
    .map_err(pg_error)?;
    let last_seq: i64 = col(row, "last_seq")?;
    Ok(PastConversation {
        id,
        kind: kind_from(&col::<String>(row, "kind")?)?,
        state: state_from(&col::<String>(row, "state")?)?,
        started_ms: col(row, "created_at")?,
        ended_ms: col(row, "closed_at")?,
        people: people(conn, id).await?,
        first_message: first_message.unwrap_or_default(),
        last_seq: last_seq as u64,
        ratings: ratings_of(conn, id).await?,
    })
}

#[async_trait]
impl HistoryStore for PgStore {
    async fn history(
        &self,
        filter: &HistoryFilter,
        after: Option<HistoryCursor>,
        limit: u32,
    ) -> StoreResult<Vec<PastConversation>> {
        let mut conn = self.pool.acquire().await.map_err(pg_error)?;
        let sql = format!(
            "SELECT c.id, c.kind, c.state, c.created_at, c.closed_at, c.last_seq
             FROM conversations c
             WHERE {FILTER}
               AND ($7::bigint IS NULL OR c.created_at < $7
                    OR (c.created_at = $7 AND c.id < $8))
             ORDER BY c.created_at DESC, c.id DESC
             LIMIT $9"
        );
        let rows = bind_filter(sqlx::query(&sql), filter)
            .bind(after.map(|a| a.started_ms))
            .bind(after.map(|a| a.id.to_string()))
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await
            .map_err(pg_error)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(past_from_row(&mut conn, row).await?);
        }
        Ok(out)
    }

    async fn past_conversation(&self, id: ConversationId) -> StoreResult<Option<PastConversation>> {
        let mut conn = self.pool.acquire().await.map_err(pg_error)?;
        let row = sqlx::query(
            "SELECT id, kind, state, created_at, closed_at, last_seq FROM conversations
             WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await
        .map_err(pg_error)?;
        match row {
            Some(row) => Ok(Some(past_from_row(&mut conn, &row).await?)),
            None => Ok(None),
        }
    }

    async fn staff_entries(
        &self,
        id: ConversationId,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Option<Page>> {
        let mut conn = self.pool.acquire().await.map_err(pg_error)?;
        let last_seq: Option<i64> =
            sqlx::query_scalar("SELECT last_seq FROM conversations WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&mut *conn)
                .await
                .map_err(pg_error)?;
        let Some(last_seq) = last_seq else {
            return Ok(None);
        };
        let messages = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages
             WHERE conversation_id = $1 AND seq > $2 AND seq <= $3
             ORDER BY seq LIMIT $4"
        ))
        .bind(id.to_string())
        .bind(after_seq as i64)
        .bind(last_seq)
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await
        .map_err(pg_error)?
        .iter()
        .map(message_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
        Ok(Some(Page {
            messages,
            last_seq: last_seq as u64,
        }))
    }

    async fn search(
        &self,
        query: &str,
        filter: &HistoryFilter,
        limit: u32,
    ) -> StoreResult<Vec<SearchHit>> {
        let Some(expression) = tsquery_literal(query) else {
            return Ok(Vec::new());
        };
        let columns = MESSAGE_COLUMNS
            .split(", ")
            .map(|column| format!("m.{column}"))
            .collect::<Vec<_>>()
            .join(", ");
        // Newest first. SQLite breaks a tie of the same millisecond by the order
        // the index numbered the messages in (`search_id`); PostgreSQL has no such
        // number, and breaks it by the message's key: the same order within one
        // conversation (seq), a fixed one across conversations.
        let sql = format!(
            "SELECT m.conversation_id, {columns}
             FROM messages m
             JOIN conversations c ON c.id = m.conversation_id
             WHERE m.search_terms @@ $7::tsquery AND {FILTER}
             ORDER BY m.created_at DESC, m.conversation_id DESC, m.seq DESC
             LIMIT $8"
        );
        let mut conn = self.pool.acquire().await.map_err(pg_error)?;
        let rows = bind_filter(sqlx::query(&sql), filter)
            .bind(&expression)
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await
            .map_err(pg_error)?;
        let mut hits = Vec::with_capacity(rows.len());
        let mut known: Vec<(ConversationId, Vec<ParticipantInfo>)> = Vec::new();
        for row in &rows {
            let conversation_id = ConversationId(uuid_col(row, "conversation_id")?);
            let entry = message_from_row(row)?;
            let Body::Text { text } = entry.body else {
                continue;
            };
            let people = match known.iter().find(|(id, _)| *id == conversation_id) {
                Some((_, people)) => people.clone(),
                None => {
                    let found = people(&mut conn, conversation_id).await?;
                    known.push((conversation_id, found.clone()));
                    found
                }
            };
            hits.push(SearchHit {
                conversation_id,
                seq: entry.seq,
                at_ms: entry.at_ms,
                author: entry.author,
                text,
                visibility: entry.visibility,
                people,
            });
        }
        Ok(hits)
    }
}
