//! Agent sessions on PostgreSQL, kept by the hash of their token.
use super::rows::{agent_from_row, AGENT_COLUMNS};
use super::{pg_error, PgStore};
use crate::limits::{take_kept, Rate, LOGIN_BUCKET_KEPT_MS};
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
    async fn take_login_token(&self, key: &str, rate: Rate, now_ms: i64) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM login_buckets WHERE updated_at < $1")
            .bind(now_ms - LOGIN_BUCKET_KEPT_MS)
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?;
        // The row, made if missing, is locked: attempts on several nodes take turns.
        sqlx::query(
            "INSERT INTO login_buckets (key, tokens, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(rate.burst)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
        let (tokens, at): (f64, i64) = sqlx::query_as(
            "SELECT tokens, updated_at FROM login_buckets WHERE key = $1 FOR UPDATE",
        )
        .bind(key)
        .fetch_one(&mut *tx)
        .await
        .map_err(pg_error)?;
        let (taken, left) = take_kept(Some(tokens), now_ms - at, rate);
        sqlx::query("UPDATE login_buckets SET tokens = $2, updated_at = $3 WHERE key = $1")
            .bind(key)
            .bind(left)
            .bind(now_ms)
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?;
        tx.commit().await.map_err(pg_error)?;
        Ok(taken)
    }
}
