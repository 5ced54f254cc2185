//! Past conversations and full-text search on SQLite (FTS5 over the terms that
//! [`crate::store::search`] cuts).

use super::ratings::ratings_of;
use super::rows::{
    kind_from, message_from_row, participant_col, state_from, uuid_col, MESSAGE_COLUMNS,
};
use super::SqliteStore;
use crate::store::{search, HistoryStore, Page, StoreResult};
use app::api::{HistoryCursor, HistoryFilter, PastConversation, SearchHit};
use app::ids::ConversationId;
use app::protocol::{Body, ParticipantInfo};
use async_trait::async_trait;
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Row, Sqlite, SqliteConnection};

/// The conditions of a [`HistoryFilter`] on conversations `c`, with parameters
/// ?1 to ?6 (bound by [`bind_filter`]).
const FILTER: &str = "
    (?1 IS NULL OR EXISTS (SELECT 1 FROM participants p WHERE p.conversation_id = c.id
                           AND p.role = 'agent' AND p.participant_id = ?1))
    AND (?2 IS NULL OR EXISTS (SELECT 1 FROM participants p WHERE p.conversation_id = c.id
                               AND p.role = 'visitor' AND p.participant_id = ?2))
    AND (?3 IS NULL OR EXISTS (SELECT 1 FROM participants p WHERE p.conversation_id = c.id
                               AND p.role = 'visitor'
                               AND instr(lower(p.display_name), lower(?3)) > 0))
    AND (?4 IS NULL OR c.created_at >= ?4)
    AND (?5 IS NULL OR c.created_at < ?5)
    AND (?6 IS NULL
         OR (?6 = 'good' AND EXISTS (SELECT 1 FROM ratings r
                                     WHERE r.conversation_id = c.id AND r.good = 1))
         OR (?6 = 'bad' AND EXISTS (SELECT 1 FROM ratings r
                                    WHERE r.conversation_id = c.id AND r.good = 0))
         OR (?6 = 'unrated' AND NOT EXISTS (SELECT 1 FROM ratings r
                                            WHERE r.conversation_id = c.id)))";

fn bind_filter<'q>(
    query: Query<'q, Sqlite, SqliteArguments<'q>>,
    filter: &'q HistoryFilter,
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
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
async fn people(
    conn: &mut SqliteConnection,
    id: ConversationId,
) -> StoreResult<Vec<ParticipantInfo>> {
    sqlx::query(
        "SELECT role, participant_id, display_name FROM participants
         WHERE conversation_id = ? ORDER BY joined_at, role, participant_id",
    )
    .bind(id.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok(ParticipantInfo {
            participant: participant_col(row, "role", "participant_id")?,
            name: row.try_get("display_name")?,
        })
    })
    .collect()
}

/// A conversation row (`id, kind, state, created_at, closed_at, last_seq`) with
/// who took part, its first message and its ratings.
async fn past_from_row(
    conn: &mut SqliteConnection,
    row: &SqliteRow,
) -> StoreResult<PastConversation> {
    let id = ConversationId(uuid_col(row, "id")?);
    let first_message: Option<String> = sqlx::query_scalar(
        "SELECT body FROM messages WHERE conversation_id = ? AND kind = 'text'
             AND visibility = 'everyone' ORDER BY seq LIMIT 1",
    )
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let last_seq: i64 = row.try_get("last_seq")?;
    Ok(PastConversation {
        id,
        kind: kind_from(&row.try_get::<String, _>("kind")?)?,
        state: state_from(&row.try_get::<String, _>("state")?)?,
        started_ms: row.try_get("created_at")?,
        ended_ms: row.try_get("closed_at")?,
        people: people(conn, id).await?,
        first_message: first_message.unwrap_or_default(),
        last_seq: last_seq as u64,
        ratings: ratings_of(conn, id).await?,
    })
}

#[async_trait]
impl HistoryStore for SqliteStore {
    async fn history(
        &self,
        filter: &HistoryFilter,
        after: Option<HistoryCursor>,
        limit: u32,
    ) -> StoreResult<Vec<PastConversation>> {
        let mut conn = self.reader.acquire().await?;
        let sql = format!(
            "SELECT c.id, c.kind, c.state, c.created_at, c.closed_at, c.last_seq
             FROM conversations c
             WHERE {FILTER}
               AND (?7 IS NULL OR c.created_at < ?7 OR (c.created_at = ?7 AND c.id < ?8))
             ORDER BY c.created_at DESC, c.id DESC
             LIMIT ?9"
        );
        let rows = bind_filter(sqlx::query(&sql), filter)
            .bind(after.map(|a| a.started_ms))
            .bind(after.map(|a| a.id.to_string()))
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(past_from_row(&mut conn, row).await?);
        }
        Ok(out)
    }

    async fn past_conversation(&self, id: ConversationId) -> StoreResult<Option<PastConversation>> {
        let mut conn = self.reader.acquire().await?;
        let row = sqlx::query(
            "SELECT id, kind, state, created_at, closed_at, last_seq FROM conversations
             WHERE id = ?",
        )
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
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
        let mut conn = self.reader.acquire().await?;
        let last_seq: Option<i64> =
            sqlx::query_scalar("SELECT last_seq FROM conversations WHERE id = ?")
                .bind(id.to_string())
                .fetch_optional(&mut *conn)
                .await?;
        let Some(last_seq) = last_seq else {
            return Ok(None);
        };
        let messages = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages
             WHERE conversation_id = ? AND seq > ? AND seq <= ?
             ORDER BY seq LIMIT ?"
        ))
        .bind(id.to_string())
        .bind(after_seq as i64)
        .bind(last_seq)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?
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
        let Some(expression) = search::fts5_match(query) else {
            return Ok(Vec::new());
        };
        // Messages are indexed after they are stored: finish that first, so that a
        // search finds every message stored before it.
        self.group_commit.index_now().await?;
        let columns = MESSAGE_COLUMNS
            .split(", ")
            .map(|column| format!("m.{column}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT m.conversation_id, {columns}
             FROM message_search s
             JOIN messages m ON m.search_id = s.rowid
             JOIN conversations c ON c.id = m.conversation_id
             WHERE message_search MATCH ?7 AND {FILTER}
             ORDER BY m.created_at DESC, m.search_id DESC
             LIMIT ?8"
        );
        let mut conn = self.reader.acquire().await?;
        let rows = bind_filter(sqlx::query(&sql), filter)
            .bind(&expression)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
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
