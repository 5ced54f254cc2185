//! Canned replies on SQLite.

use super::rows::uuid_col;
use super::SqliteStore;
use crate::store::{CannedReplyStore, StoreError, StoreResult};
use app::api::CannedReply;
use app::ids::{AgentId, CannedReplyId};
use async_trait::async_trait;
use sqlx::Row;
use uuid::Uuid;

#[async_trait]
impl CannedReplyStore for SqliteStore {
    async fn canned_replies(&self, agent: AgentId) -> StoreResult<Vec<CannedReply>> {
        sqlx::query(
            "SELECT id, shortcut, body, owner_agent_id IS NULL AS shared FROM canned_replies
             WHERE owner_agent_id IS NULL OR owner_agent_id = ?
             ORDER BY lower(shortcut), shared",
        )
        .bind(agent.to_string())
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|row| {
            Ok(CannedReply {
                id: CannedReplyId(uuid_col(row, "id")?),
                shortcut: row.try_get("shortcut")?,
                text: row.try_get("body")?,
                shared: row.try_get("shared")?,
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
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(owner.map(|o| o.to_string()))
        .bind(shortcut)
        .bind(text)
        .bind(at_ms)
        .execute(&mut *self.write().await?)
        .await;
        match added {
            Ok(_) => Ok(CannedReply {
                id,
                shortcut: shortcut.to_owned(),
                text: text.to_owned(),
                shared: owner.is_none(),
            }),
            Err(err) => match StoreError::from(err) {
                StoreError::Duplicate(_) => Err(StoreError::Duplicate(format!("/{shortcut}"))),
                other => Err(other),
            },
        }
    }

    async fn remove_canned_reply(
        &self,
        id: CannedReplyId,
        owner: Option<AgentId>,
    ) -> StoreResult<bool> {
        let removed =
            sqlx::query("DELETE FROM canned_replies WHERE id = ? AND owner_agent_id IS ?")
                .bind(id.to_string())
                .bind(owner.map(|o| o.to_string()))
                .execute(&mut *self.write().await?)
                .await?;
        Ok(removed.rows_affected() > 0)
    }
}
