//! Departments and routing's offers on SQLite. An offer is one write
//! transaction, and SQLite has one writer at a time: two offers of one chat
//! never overlap.

use super::conversations::queue_item;
use super::rows::uuid_col;
use super::{SqliteStore, WriteTx};
use crate::chat::rules::{next_agent, offer_is_live, Candidate};
use crate::store::{
    hours_col, hours_text, parse_agent_id, DepartmentStore, StoreError, StoreResult,
};
use app::api::{Department, Routing};
use app::ids::{AgentId, ConversationId};
use app::protocol::QueueItem;
use async_trait::async_trait;
use sqlx::Row;

fn routing_col(text: &str) -> StoreResult<Routing> {
    Routing::parse(text)
        .ok_or_else(|| StoreError::Internal(format!("unknown routing '{text}' stored")))
}

#[async_trait]
impl DepartmentStore for SqliteStore {
    async fn departments(&self) -> StoreResult<Vec<Department>> {
        let mut departments = Vec::new();
        for row in sqlx::query(
            "SELECT id, name, routing, max_chats, offer_ms, hours, away_message
             FROM departments ORDER BY id",
        )
        .fetch_all(&self.reader)
        .await?
        {
            let routing: String = row.try_get("routing")?;
            let offer_ms: i64 = row.try_get("offer_ms")?;
            departments.push(Department {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                routing: routing_col(&routing)?,
                max_chats: row.try_get("max_chats")?,
                offer_seconds: (offer_ms / 1000) as u32,
                agents: Vec::new(),
                hours: hours_col(row.try_get("hours")?)?,
                away_message: row.try_get("away_message")?,
            });
        }
        for row in sqlx::query(
            "SELECT department_id, agent_id FROM agent_departments ORDER BY department_id, agent_id",
        )
        .fetch_all(&self.reader)
        .await?
        {
            let department: String = row.try_get("department_id")?;
            let agent = AgentId(uuid_col(&row, "agent_id")?);
            if let Some(d) = departments.iter_mut().find(|d| d.id == department) {
                d.agents.push(agent);
            }
        }
        Ok(departments)
    }

    async fn put_department(&self, department: &Department, at_ms: i64) -> StoreResult<bool> {
        let mut tx = WriteTx::begin(self).await?;
        let created = sqlx::query(
            "INSERT INTO departments
                 (id, name, routing, max_chats, offer_ms, hours, away_message, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&department.id)
        .bind(&department.name)
        .bind(department.routing.as_str())
        .bind(department.max_chats)
        .bind(i64::from(department.offer_seconds) * 1000)
        .bind(hours_text(&department.hours))
        .bind(&department.away_message)
        .bind(at_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !created {
            sqlx::query(
                "UPDATE departments SET name = ?, routing = ?, max_chats = ?, offer_ms = ?,
                     hours = ?, away_message = ?
                 WHERE id = ?",
            )
            .bind(&department.name)
            .bind(department.routing.as_str())
            .bind(department.max_chats)
            .bind(i64::from(department.offer_seconds) * 1000)
            .bind(hours_text(&department.hours))
            .bind(&department.away_message)
            .bind(&department.id)
            .execute(&mut *tx)
            .await?;
        }
        // The agents: those named stay (with their place in the turn), the others go.
        let kept: Vec<String> = department.agents.iter().map(|a| a.to_string()).collect();
        let stored: Vec<String> =
            sqlx::query_scalar("SELECT agent_id FROM agent_departments WHERE department_id = ?")
                .bind(&department.id)
                .fetch_all(&mut *tx)
                .await?;
        for gone in stored.iter().filter(|a| !kept.contains(a)) {
            sqlx::query("DELETE FROM agent_departments WHERE department_id = ? AND agent_id = ?")
                .bind(&department.id)
                .bind(gone)
                .execute(&mut *tx)
                .await?;
        }
        for agent in &kept {
            sqlx::query(
                "INSERT INTO agent_departments (agent_id, department_id)
                 SELECT id, ? FROM agents WHERE id = ?
                 ON CONFLICT DO NOTHING",
            )
            .bind(&department.id)
            .bind(agent)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(created)
    }

    async fn remove_department(&self, id: &str) -> StoreResult<bool> {
        let mut tx = WriteTx::begin(self).await?;
        // Waiting chats stay in the queue, for anyone; past ones keep the id.
        sqlx::query(
            "UPDATE conversations SET department_id = NULL, offered_to = NULL, offered_until = NULL
             WHERE department_id = ? AND state = 'queued'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let removed = sqlx::query("DELETE FROM departments WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(removed)
    }

    async fn route_chat(
        &self,
        id: ConversationId,
        available: &[AgentId],
        now_ms: i64,
    ) -> StoreResult<Option<QueueItem>> {
        let mut tx = WriteTx::begin(self).await?;
        let Some(row) = sqlx::query(
            "SELECT c.department_id, c.offered_to, c.offered_until, d.routing, d.max_chats,
                    d.offer_ms
             FROM conversations c JOIN departments d ON d.id = c.department_id
             WHERE c.id = ? AND c.state = 'queued'",
        )
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let department: String = row.try_get("department_id")?;
        let routing = routing_col(&row.try_get::<String, _>("routing")?)?;
        let offered_to = row
            .try_get::<Option<String>, _>("offered_to")?
            .map(|a| parse_agent_id(&a))
            .transpose()?;
        let offered_until: Option<i64> = row.try_get("offered_until")?;
        let offer_ms: i64 = row.try_get("offer_ms")?;
        let max_chats: u32 = row.try_get("max_chats")?;
        let mut candidates = Vec::new();
        for row in sqlx::query(
            "SELECT ad.agent_id, ad.last_offered_at,
                    (SELECT COUNT(*) FROM participants p
                     JOIN conversations o ON o.id = p.conversation_id
                     WHERE p.role = 'agent' AND p.participant_id = ad.agent_id
                       AND p.left_at IS NULL AND o.state = 'active')
                    + (SELECT COUNT(*) FROM conversations q
                       WHERE q.offered_to = ad.agent_id AND q.state = 'queued'
                         AND q.offered_until > ? AND q.id <> ?) AS busy,
                    COALESCE((SELECT times FROM chat_offers
                              WHERE conversation_id = ? AND agent_id = ad.agent_id), 0) AS times,
                    COALESCE((SELECT declined FROM chat_offers
                              WHERE conversation_id = ? AND agent_id = ad.agent_id), 0) AS declined
             FROM agent_departments ad WHERE ad.department_id = ?",
        )
        .bind(now_ms)
        .bind(id.to_string())
        .bind(id.to_string())
        .bind(id.to_string())
        .bind(&department)
        .fetch_all(&mut *tx)
        .await?
        {
            candidates.push(Candidate {
                agent: AgentId(uuid_col(&row, "agent_id")?),
                busy: row.try_get::<i64, _>("busy")?.max(0) as u32,
                times_offered: row.try_get::<i64, _>("times")?.max(0) as u32,
                declined: row.try_get::<i64, _>("declined")? != 0,
                last_offered_ms: row.try_get("last_offered_at")?,
            });
        }
        // An offer stands while it is live, to one of the department's agents,
        // in a department that still routes.
        let member = offered_to.is_some_and(|a| candidates.iter().any(|c| c.agent == a));
        if routing != Routing::Manual
            && member
            && offer_is_live(offered_to, offered_until, offer_ms, available, now_ms)
        {
            return Ok(None);
        }
        match next_agent(routing, max_chats, available, &candidates) {
            Some(agent) => {
                sqlx::query(
                    "UPDATE conversations SET offered_to = ?, offered_until = ? WHERE id = ?",
                )
                .bind(agent.to_string())
                .bind(now_ms + offer_ms)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO chat_offers (conversation_id, agent_id, times) VALUES (?, ?, 1)
                     ON CONFLICT (conversation_id, agent_id) DO UPDATE SET times = times + 1",
                )
                .bind(id.to_string())
                .bind(agent.to_string())
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE agent_departments SET last_offered_at = ?
                     WHERE department_id = ? AND agent_id = ?",
                )
                .bind(now_ms)
                .bind(&department)
                .bind(agent.to_string())
                .execute(&mut *tx)
                .await?;
            }
            // Nobody can take it now: the offer, if any, is withdrawn.
            None if offered_to.is_some() => {
                sqlx::query(
                    "UPDATE conversations SET offered_to = NULL, offered_until = NULL WHERE id = ?",
                )
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            }
            None => return Ok(None),
        }
        let item = queue_item(&mut tx, id).await?;
        tx.commit().await?;
        Ok(item)
    }

    async fn decline_chat(
        &self,
        id: ConversationId,
        agent: AgentId,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let mut tx = WriteTx::begin(self).await?;
        let declined = sqlx::query(
            "UPDATE conversations SET offered_until = ?
             WHERE id = ? AND state = 'queued' AND offered_to = ? AND offered_until > ?",
        )
        .bind(now_ms)
        .bind(id.to_string())
        .bind(agent.to_string())
        .bind(now_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !declined {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE chat_offers SET declined = 1 WHERE conversation_id = ? AND agent_id = ?",
        )
        .bind(id.to_string())
        .bind(agent.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
