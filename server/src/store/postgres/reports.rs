//! What reports read, on PostgreSQL: one row per chat, found by when it started
//! (`conversations_by_start`).

use super::rows::{col, parse_id};
use super::{pg_error, PgStore};
use crate::store::{ChatFact, ReportStore, StoreResult};
use app::ids::AgentId;
use async_trait::async_trait;

#[async_trait]
impl ReportStore for PgStore {
    async fn chat_facts(&self, from_ms: i64, to_ms: i64) -> StoreResult<Vec<ChatFact>> {
        sqlx::query(
            "SELECT c.created_at, c.closed_at, c.department_id,
                    COALESCE(c.owner_agent_id, c.first_response_by) AS agent_id,
                    c.first_visitor_at, c.first_response_at,
                    (SELECT r.good FROM ratings r WHERE r.conversation_id = c.id
                     ORDER BY r.created_at DESC LIMIT 1) AS good
             FROM conversations c
             WHERE c.created_at >= $1 AND c.created_at < $2 AND c.kind = 'direct'",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| {
            let agent: Option<String> = col(row, "agent_id")?;
            Ok(ChatFact {
                started_at: col(row, "created_at")?,
                closed_at: col(row, "closed_at")?,
                department_id: col(row, "department_id")?,
                agent_id: agent.as_deref().map(parse_id).transpose()?.map(AgentId),
                first_visitor_at: col(row, "first_visitor_at")?,
                first_response_at: col(row, "first_response_at")?,
                rating: col(row, "good")?,
            })
        })
        .collect()
    }
}
