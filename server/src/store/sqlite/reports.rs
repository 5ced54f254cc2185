//! What reports read, on SQLite: one row per chat, found by when it started
//! (`conversations_by_start`).

use super::SqliteStore;
use crate::store::{ChatFact, ReportStore, StoreError, StoreResult};
use app::ids::AgentId;
use async_trait::async_trait;
use sqlx::Row;
use uuid::Uuid;

#[async_trait]
impl ReportStore for SqliteStore {
    async fn chat_facts(&self, from_ms: i64, to_ms: i64) -> StoreResult<Vec<ChatFact>> {
        sqlx::query(
            "SELECT c.created_at, c.closed_at, c.department_id,
                    COALESCE(c.owner_agent_id, c.first_response_by) AS agent_id,
                    c.first_visitor_at, c.first_response_at,
                    (SELECT r.good FROM ratings r WHERE r.conversation_id = c.id
                     ORDER BY r.created_at DESC LIMIT 1) AS good
             FROM conversations c
             WHERE c.created_at >= ? AND c.created_at < ? AND c.kind = 'direct'",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|row| {
            let agent: Option<String> = row.try_get("agent_id")?;
            let good: Option<i64> = row.try_get("good")?;
            Ok(ChatFact {
                started_at: row.try_get("created_at")?,
                closed_at: row.try_get("closed_at")?,
                department_id: row.try_get("department_id")?,
                agent_id: agent.as_deref().map(agent_id).transpose()?,
                first_visitor_at: row.try_get("first_visitor_at")?,
                first_response_at: row.try_get("first_response_at")?,
                rating: good.map(|good| good != 0),
            })
        })
        .collect()
    }
}

fn agent_id(text: &str) -> StoreResult<AgentId> {
    Uuid::parse_str(text)
        .map(AgentId)
        .map_err(|e| StoreError::Internal(format!("agent id '{text}' stored: {e}")))
}
