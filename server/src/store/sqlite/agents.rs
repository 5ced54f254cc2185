//! Agent accounts on SQLite.
use super::rows::{agent_from_row, AGENT_COLUMNS};
use super::{SqliteStore, WriteTx};
use crate::store::{AgentRecord, AgentStore, Avatar, NewAgent, StoreError, StoreResult};
use app::ids::AgentId;
use app::protocol::AgentStatus;
use async_trait::async_trait;
use uuid::Uuid;

#[async_trait]
impl AgentStore for SqliteStore {
    async fn create_agent(&self, agent: NewAgent) -> StoreResult<AgentRecord> {
        let id = AgentId(Uuid::new_v4());
        sqlx::query(
            "INSERT INTO agents (id, username, display_name, password_hash, role, status, created_at)
             VALUES (?, ?, ?, ?, ?, 'online', ?)",
        )
        .bind(id.to_string())
        .bind(&agent.username)
        .bind(&agent.name)
        .bind(&agent.password_hash)
        .bind(agent.role.as_str())
        .bind(crate::clock::now_ms())
        .execute(&mut *self.write().await?)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate(agent.username.clone()),
            other => other,
        })?;
        Ok(AgentRecord {
            id,
            username: agent.username,
            name: agent.name,
            role: agent.role,
            status: AgentStatus::Online,
            password_hash: agent.password_hash,
            email: None,
            avatar_ms: None,
        })
    }

    async fn agent_by_username(&self, username: &str) -> StoreResult<Option<AgentRecord>> {
        sqlx::query(&format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE username = ?"
        ))
        .bind(username)
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(agent_from_row)
        .transpose()
    }

    async fn agent(&self, id: AgentId) -> StoreResult<Option<AgentRecord>> {
        sqlx::query(&format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?
            .as_ref()
            .map(agent_from_row)
            .transpose()
    }

    async fn agents(&self) -> StoreResult<Vec<AgentRecord>> {
        sqlx::query(&format!(
            "SELECT {AGENT_COLUMNS} FROM agents ORDER BY username"
        ))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(agent_from_row)
        .collect()
    }

    async fn remove_agent(&self, username: &str) -> StoreResult<bool> {
        let mut tx = WriteTx::begin(self).await?;
        sqlx::query(
            "DELETE FROM sessions WHERE agent_id IN (SELECT id FROM agents WHERE username = ?)",
        )
        .bind(username)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM agents WHERE username = ?")
            .bind(username)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_password_hash(&self, username: &str, hash: &str) -> StoreResult<bool> {
        let mut tx = WriteTx::begin(self).await?;
        let done = sqlx::query("UPDATE agents SET password_hash = ? WHERE username = ?")
            .bind(hash)
            .bind(username)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM sessions WHERE agent_id IN (SELECT id FROM agents WHERE username = ?)",
        )
        .bind(username)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_agent_status(&self, id: AgentId, status: AgentStatus) -> StoreResult<()> {
        sqlx::query("UPDATE agents SET status = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(id.to_string())
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    async fn set_agent_email(&self, username: &str, email: Option<&str>) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE agents SET email = ? WHERE username = ?")
            .bind(email)
            .bind(username)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn set_avatar(
        &self,
        id: AgentId,
        avatar: Option<&Avatar>,
        at_ms: i64,
    ) -> StoreResult<bool> {
        let mut tx = WriteTx::begin(self).await?;
        let done = sqlx::query("UPDATE agents SET avatar_at = ? WHERE id = ?")
            .bind(avatar.map(|_| at_ms))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        match avatar {
            Some(avatar) => sqlx::query(
                "INSERT INTO agent_avatars (agent_id, content_type, bytes) VALUES (?, ?, ?)
                 ON CONFLICT (agent_id) DO UPDATE
                 SET content_type = excluded.content_type, bytes = excluded.bytes",
            )
            .bind(id.to_string())
            .bind(&avatar.content_type)
            .bind(&avatar.bytes),
            None => {
                sqlx::query("DELETE FROM agent_avatars WHERE agent_id = ?").bind(id.to_string())
            }
        }
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn avatar(&self, id: AgentId) -> StoreResult<Option<Avatar>> {
        let row: Option<(String, Vec<u8>)> =
            sqlx::query_as("SELECT content_type, bytes FROM agent_avatars WHERE agent_id = ?")
                .bind(id.to_string())
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.map(|(content_type, bytes)| Avatar {
            content_type,
            bytes,
        }))
    }
}
