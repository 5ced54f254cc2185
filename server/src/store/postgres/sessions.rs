//! Agent sessions on PostgreSQL, kept by the hash of their token.
use super::rows::{agent_from_row, AGENT_COLUMNS};
use super::{pg_error, PgStore};
use crate::store::{AgentRecord, SessionStore, StoreResult};
use app::ids::AgentId;
use async_trait::async_trait;

#[async_trait]
impl SessionStore for PgStore {
    async fn create_session(
        &self,
        token_hash: &[u8],
        agent: AgentId,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, agent_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(agent.to_string())
        .bind(crate::clock::now_ms())
        .bind(expires_at_ms)
        .execute(&self.pool)
        .await
        .map_err(pg_error)?;
        Ok(())
    }

    async fn session_agent(
        &self,
        token_hash: &[u8],
        now_ms: i64,
    ) -> StoreResult<Option<AgentRecord>> {
        let columns = AGENT_COLUMNS
            .split(", ")
            .map(|c| format!("a.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        sqlx::query(&format!(
            "SELECT {columns} FROM sessions s JOIN agents a ON a.id = s.agent_id
             WHERE s.token_hash = $1 AND s.expires_at > $2"
        ))
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await
        .map_err(pg_error)?
        .as_ref()
        .map(agent_from_row)
        .transpose()
    }

    async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(pg_error)?;
        Ok(())
    }
}
