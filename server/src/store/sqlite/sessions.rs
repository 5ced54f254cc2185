//! Agent sessions on SQLite, kept by the hash of their token.
use super::rows::{agent_from_row, AGENT_COLUMNS};
use super::{SqliteStore, WriteTx};
use crate::limits::{take_kept, Rate, LOGIN_BUCKET_KEPT_MS};
use crate::store::{AgentRecord, SessionStore, StoreResult};
use app::ids::AgentId;
use async_trait::async_trait;

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(
        &self,
        token_hash: &[u8],
        agent: AgentId,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO sessions (token_hash, agent_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(token_hash)
            .bind(agent.to_string())
            .bind(crate::clock::now_ms())
            .bind(expires_at_ms)
            .execute(&mut *self.write().await?)
            .await
            ?;
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
             WHERE s.token_hash = ? AND s.expires_at > ?"
        ))
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(agent_from_row)
        .transpose()
    }

    async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }
    async fn take_login_token(&self, key: &str, rate: Rate, now_ms: i64) -> StoreResult<bool> {
        let mut tx = WriteTx::begin(self).await?;
        sqlx::query("DELETE FROM login_buckets WHERE updated_at < ?")
            .bind(now_ms - LOGIN_BUCKET_KEPT_MS)
            .execute(&mut *tx)
            .await?;
        let kept: Option<(f64, i64)> =
            sqlx::query_as("SELECT tokens, updated_at FROM login_buckets WHERE key = ?")
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
        let (taken, left) = take_kept(
            kept.map(|(tokens, _)| tokens),
            kept.map_or(0, |(_, at)| now_ms - at),
            rate,
        );
        sqlx::query(
            "INSERT INTO login_buckets (key, tokens, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(left)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(taken)
    }
}
