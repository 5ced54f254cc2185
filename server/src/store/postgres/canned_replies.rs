//! Canned replies on PostgreSQL.

use super::rows::{col, uuid_col};
use super::{pg_error, PgStore};
use crate::store::{CannedReplyStore, StoreError, StoreResult};
use app::api::CannedReply;
use app::ids::{AgentId, CannedReplyId};
use async_trait::async_trait;
use uuid::Uuid;

#[async_trait]
impl CannedReplyStore for PgStore {
    async fn canned_replies(&self, agent: AgentId) -> StoreResult<Vec<CannedReply>> {
        // `shortcut` is COLLATE "C": lower() folds ASCII and sorts bytes, as on SQLite.
        sqlx::query(
            "SELECT id, shortcut, body, owner_agent_id IS NULL AS shared FROM canned_replies
             WHERE owner_agent_id IS NULL OR owner_agent_id = $1
             ORDER BY lower(shortcut), shared",
        )
        .bind(agent.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| {
            Ok(CannedReply {
                id: CannedReplyId(uuid_col(row, "id")?),
                shortcut: col(row, "shortcut")?,
                text: col(row, "body")?,
                shared: col(row, "shared")?,
            })
        })
        .collect()
    }

    async fn add_canned_reply(
        &self,
        owner: Option<AgentId>,
        shortcut: &str,
        text: &str,
        at_ms: i64,
    ) -> StoreResult<CannedReply> {
        let id = CannedReplyId(Uuid::new_v4());
        let added = sqlx::query(
            "INSERT INTO canned_replies (id, owner_agent_id, shortcut, body, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.to_string())
        .bind(owner.map(|o| o.to_string()))
        .bind(shortcut)
        .bind(text)
        .bind(at_ms)
        .execute(&self.pool)
        .await
        .map_err(pg_error);
        match added {
            Ok(_) => Ok(CannedReply {
                id,
                shortcut: shortcut.to_owned(),
                text: text.to_owned(),
                shared: owner.is_none(),
            }),
            Err(StoreError::Duplicate(_)) => Err(StoreError::Duplicate(format!("/{shortcut}"))),
            Err(other) => Err(other),
        }
    }

    async fn remove_canned_reply(
        &self,
        id: CannedReplyId,
        owner: Option<AgentId>,
    ) -> StoreResult<bool> {
        let removed = sqlx::query(
            "DELETE FROM canned_replies WHERE id = $1 AND owner_agent_id IS NOT DISTINCT FROM $2",
        )
        .bind(id.to_string())
        .bind(owner.map(|o| o.to_string()))
        .execute(&self.pool)
        .await
        .map_err(pg_error)?;
        Ok(removed.rows_affected() > 0)
    }
}
