//! Agents, agent sessions, visitors and offline messages on SQLite.

use super::{map_err, uuid_col, SqliteStore, WriteTx};
use crate::store::{
    AgentRecord, NewAgent, NewOfflineMessage, StoreError, StoreResult, VisitorRecord,
};
use app::ids::{AgentId, MessageId, VisitorId};
use app::protocol::{AgentRole, AgentStatus, Handled, OfflineMessage};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use uuid::Uuid;

const AGENT_COLUMNS: &str = "id, username, display_name, role, status, password_hash";

fn agent_from_row(row: &SqliteRow) -> StoreResult<AgentRecord> {
    let role: String = row.try_get("role").map_err(map_err)?;
    let status: String = row.try_get("status").map_err(map_err)?;
    Ok(AgentRecord {
        id: AgentId(uuid_col(row, "id")?),
        username: row.try_get("username").map_err(map_err)?,
        name: row.try_get("display_name").map_err(map_err)?,
        role: AgentRole::parse(&role)
            .ok_or_else(|| StoreError::Internal(format!("unknown agent role '{role}'")))?,
        status: AgentStatus::parse(&status)
            .ok_or_else(|| StoreError::Internal(format!("unknown agent status '{status}'")))?,
        password_hash: row.try_get("password_hash").map_err(map_err)?,
    })
}

fn offline_from_row(row: &SqliteRow) -> StoreResult<OfflineMessage> {
    let visitor: Option<String> = row.try_get("visitor_id").map_err(map_err)?;
    Ok(OfflineMessage {
        id: MessageId(uuid_col(row, "id")?),
        visitor_id: visitor
            .map(|v| Uuid::parse_str(&v).map(VisitorId))
            .transpose()
            .map_err(|e| StoreError::Internal(format!("stored visitor id: {e}")))?,
        name: row.try_get("name").map_err(map_err)?,
        email: row.try_get("email").map_err(map_err)?,
        body: row.try_get("body").map_err(map_err)?,
        page_url: row.try_get("page_url").map_err(map_err)?,
        at_ms: row.try_get("created_at").map_err(map_err)?,
        handled: match (
            row.try_get::<Option<i64>, _>("handled_at")
                .map_err(map_err)?,
            row.try_get::<Option<String>, _>("handled_by_name")
                .map_err(map_err)?,
        ) {
            (Some(at_ms), Some(by_name)) => Some(Handled { by_name, at_ms }),
            _ => None,
        },
    })
}

const OFFLINE_COLUMNS: &str =
    "id, visitor_id, name, email, body, page_url, created_at, handled_at, handled_by_name";

impl SqliteStore {
    pub(super) async fn create_agent_impl(&self, agent: NewAgent) -> StoreResult<AgentRecord> {
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
        .execute(&self.writer)
        .await
        .map_err(|e| match map_err(e) {
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
        })
    }

    pub(super) async fn agent_by_username_impl(
        &self,
        username: &str,
    ) -> StoreResult<Option<AgentRecord>> {
        sqlx::query(&format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE username = ?"
        ))
        .bind(username)
        .fetch_optional(&self.reader)
        .await
        .map_err(map_err)?
        .as_ref()
        .map(agent_from_row)
        .transpose()
    }

    pub(super) async fn agent_impl(&self, id: AgentId) -> StoreResult<Option<AgentRecord>> {
        sqlx::query(&format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(agent_from_row)
            .transpose()
    }

    pub(super) async fn agents_impl(&self) -> StoreResult<Vec<AgentRecord>> {
        sqlx::query(&format!(
            "SELECT {AGENT_COLUMNS} FROM agents ORDER BY username"
        ))
        .fetch_all(&self.reader)
        .await
        .map_err(map_err)?
        .iter()
        .map(agent_from_row)
        .collect()
    }

    pub(super) async fn remove_agent_impl(&self, username: &str) -> StoreResult<bool> {
        let mut tx = WriteTx::begin(self).await?;
        sqlx::query(
            "DELETE FROM sessions WHERE agent_id IN (SELECT id FROM agents WHERE username = ?)",
        )
        .bind(username)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let done = sqlx::query("DELETE FROM agents WHERE username = ?")
            .bind(username)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn set_password_hash_impl(
        &self,
        username: &str,
        hash: &str,
    ) -> StoreResult<bool> {
        let mut tx = WriteTx::begin(self).await?;
        let done = sqlx::query("UPDATE agents SET password_hash = ? WHERE username = ?")
            .bind(hash)
            .bind(username)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query(
            "DELETE FROM sessions WHERE agent_id IN (SELECT id FROM agents WHERE username = ?)",
        )
        .bind(username)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn set_agent_status_impl(
        &self,
        id: AgentId,
        status: AgentStatus,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE agents SET status = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(id.to_string())
            .execute(&self.writer)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    pub(super) async fn create_session_impl(
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
            .execute(&self.writer)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    pub(super) async fn session_agent_impl(
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
        .await
        .map_err(map_err)?
        .as_ref()
        .map(agent_from_row)
        .transpose()
    }

    pub(super) async fn delete_session_impl(&self, token_hash: &[u8]) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.writer)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    pub(super) async fn visitor_for_token_impl(
        &self,
        token_hash: &[u8],
        name: &str,
    ) -> StoreResult<VisitorRecord> {
        let found = sqlx::query("SELECT id, display_name FROM visitors WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.reader)
            .await
            .map_err(map_err)?;
        if let Some(row) = found {
            return Ok(VisitorRecord {
                id: VisitorId(uuid_col(&row, "id")?),
                name: row.try_get("display_name").map_err(map_err)?,
            });
        }
        // Two tabs may introduce the same new token at once: the insert is a no-op for
        // the second, and both read back the one row.
        sqlx::query(
            "INSERT INTO visitors (id, token_hash, display_name, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (token_hash) DO NOTHING",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(token_hash)
        .bind(name)
        .bind(crate::clock::now_ms())
        .execute(&self.writer)
        .await
        .map_err(map_err)?;
        let row = sqlx::query("SELECT id, display_name FROM visitors WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_one(&self.writer)
            .await
            .map_err(map_err)?;
        Ok(VisitorRecord {
            id: VisitorId(uuid_col(&row, "id")?),
            name: row.try_get("display_name").map_err(map_err)?,
        })
    }

    pub(super) async fn set_visitor_name_impl(&self, id: VisitorId, name: &str) -> StoreResult<()> {
        let mut tx = WriteTx::begin(self).await?;
        sqlx::query("UPDATE visitors SET display_name = ? WHERE id = ?")
            .bind(name)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        // Conversations the visitor is in now show the new name from here on;
        // messages already written keep the name they were sent under.
        sqlx::query(
            "UPDATE participants SET display_name = ?
             WHERE role = 'visitor' AND participant_id = ? AND left_at IS NULL",
        )
        .bind(name)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await
    }

    pub(super) async fn add_offline_message_impl(
        &self,
        message: NewOfflineMessage,
    ) -> StoreResult<OfflineMessage> {
        let id = MessageId(Uuid::new_v4());
        sqlx::query(
            "INSERT INTO offline_messages (id, visitor_id, name, email, body, page_url, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(message.visitor_id.map(|v| v.to_string()))
        .bind(&message.name)
        .bind(&message.email)
        .bind(&message.body)
        .bind(&message.page_url)
        .bind(message.at_ms)
        .execute(&self.writer)
        .await
        .map_err(map_err)?;
        Ok(OfflineMessage {
            id,
            visitor_id: message.visitor_id,
            name: message.name,
            email: message.email,
            body: message.body,
            page_url: message.page_url,
            at_ms: message.at_ms,
            handled: None,
        })
    }

    pub(super) async fn set_offline_handled_impl(
        &self,
        id: MessageId,
        handled: Option<Handled>,
    ) -> StoreResult<Option<OfflineMessage>> {
        sqlx::query(&format!(
            "UPDATE offline_messages SET handled_at = ?, handled_by_name = ? WHERE id = ?
             RETURNING {OFFLINE_COLUMNS}"
        ))
        .bind(handled.as_ref().map(|h| h.at_ms))
        .bind(handled.as_ref().map(|h| h.by_name.as_str()))
        .bind(id.to_string())
        .fetch_optional(&self.writer)
        .await
        .map_err(map_err)?
        .as_ref()
        .map(offline_from_row)
        .transpose()
    }

    pub(super) async fn visitor_impl(&self, id: VisitorId) -> StoreResult<Option<VisitorRecord>> {
        sqlx::query("SELECT id, display_name FROM visitors WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(map_err)?
            .map(|row| {
                Ok(VisitorRecord {
                    id: VisitorId(uuid_col(&row, "id")?),
                    name: row.try_get("display_name").map_err(map_err)?,
                })
            })
            .transpose()
    }

    pub(super) async fn offline_messages_impl(
        &self,
        limit: u32,
    ) -> StoreResult<Vec<OfflineMessage>> {
        sqlx::query(&format!(
            "SELECT {OFFLINE_COLUMNS} FROM offline_messages ORDER BY created_at DESC, id LIMIT ?"
        ))
        .bind(limit)
        .fetch_all(&self.reader)
        .await
        .map_err(map_err)?
        .iter()
        .map(offline_from_row)
        .collect()
    }
}
