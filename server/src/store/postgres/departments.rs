//! Departments and routing's offers on PostgreSQL. An offer locks the chat's
//! conversation row first (`FOR UPDATE`): of nodes routing one chat at once, the
//! second sees the first's offer and leaves it.

use super::conversations::queue_item;
use super::rows::{col, uuid_col};
use super::{pg_error, PgStore};
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
impl DepartmentStore for PgStore {
    async fn departments(&self) -> StoreResult<Vec<Department>> {
        let mut departments = Vec::new();
        for row in sqlx::query(
            "SELECT id, name, routing, max_chats, offer_ms, hours, away_message
             FROM departments ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?
        {
            let routing: String = col(&row, "routing")?;
            let offer_ms: i64 = col(&row, "offer_ms")?;
            departments.push(Department {
                id: col(&row, "id")?,
                name: col(&row, "name")?,
                routing: routing_col(&routing)?,
                max_chats: col::<i32>(&row, "max_chats")?.max(0) as u32,
                offer_seconds: (offer_ms / 1000) as u32,
                agents: Vec::new(),
                hours: hours_col(col(&row, "hours")?)?,
                away_message: col(&row, "away_message")?,
            });
        }
        for row in sqlx::query(
            "SELECT department_id, agent_id FROM agent_departments ORDER BY department_id, agent_id",
        )
        .fetch_all(&self.pool)
        .await.map_err(pg_error)?
        {
            let department: String = col(&row, "department_id")?;
            let agent = AgentId(uuid_col(&row, "agent_id")?);
            if let Some(d) = departments.iter_mut().find(|d| d.id == department) {
                d.agents.push(agent);
            }
        }
        Ok(departments)
    }

    async fn put_department(&self, department: &Department, at_ms: i64) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let created = sqlx::query(
            "INSERT INTO departments
                 (id, name, routing, max_chats, offer_ms, hours, away_message, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&department.id)
        .bind(&department.name)
        .bind(department.routing.as_str())
        .bind(department.max_chats as i32)
        .bind(i64::from(department.offer_seconds) * 1000)
        .bind(hours_text(&department.hours))
        .bind(&department.away_message)
        .bind(at_ms)
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?
        .rows_affected()
            == 1;
        if !created {
            sqlx::query(
                "UPDATE departments SET name = $1, routing = $2, max_chats = $3, offer_ms = $4,
                     hours = $5, away_message = $6
                 WHERE id = $7",
            )
            .bind(&department.name)
            .bind(department.routing.as_str())
            .bind(department.max_chats as i32)
            .bind(i64::from(department.offer_seconds) * 1000)
            .bind(hours_text(&department.hours))
            .bind(&department.away_message)
            .bind(&department.id)
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?;
        }
        // The agents: those named stay (with their place in the turn), the others go.
        let kept: Vec<String> = department.agents.iter().map(|a| a.to_string()).collect();
        let stored: Vec<String> =
            sqlx::query_scalar("SELECT agent_id FROM agent_departments WHERE department_id = $1")
                .bind(&department.id)
                .fetch_all(&mut *tx)
                .await
                .map_err(pg_error)?;
        for gone in stored.iter().filter(|a| !kept.contains(a)) {
            sqlx::query("DELETE FROM agent_departments WHERE department_id = $1 AND agent_id = $2")
                .bind(&department.id)
                .bind(gone)
                .execute(&mut *tx)
                .await
                .map_err(pg_error)?;
        }
        for agent in &kept {
            sqlx::query(
                "INSERT INTO agent_departments (agent_id, department_id)
                 SELECT id, $1 FROM agents WHERE id = $2
                 ON CONFLICT DO NOTHING",
            )
            .bind(&department.id)
            .bind(agent)
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?;
        }
        tx.commit().await.map_err(pg_error)?;
        Ok(created)
    }

    async fn remove_department(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        // Waiting chats stay in the queue, for anyone; past ones keep the id.
        // Locked in id order first, as every transaction that locks several
        // conversations does (an UPDATE alone would lock them in the order it
        // finds them, and could wait in a circle with a batch of messages).
        let queued: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM conversations WHERE department_id = $1 AND state = 'queued'
             ORDER BY id FOR UPDATE",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(pg_error)?;
        sqlx::query(
            "UPDATE conversations SET department_id = NULL, offered_to = NULL, offered_until = NULL
             WHERE id = ANY($1) AND department_id = $2 AND state = 'queued'",
        )
        .bind(&queued)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
        let removed = sqlx::query("DELETE FROM departments WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?
            .rows_affected()
            == 1;
        tx.commit().await.map_err(pg_error)?;
        Ok(removed)
    }

    async fn route_chat(
        &self,
        id: ConversationId,
        available: &[AgentId],
        now_ms: i64,
    ) -> StoreResult<Option<QueueItem>> {
        let mut tx = self.begin().await?;
        let Some(row) = sqlx::query(
            "SELECT c.department_id, c.offered_to, c.offered_until, d.routing, d.max_chats,
                    d.offer_ms
             FROM conversations c JOIN departments d ON d.id = c.department_id
             WHERE c.id = $1 AND c.state = 'queued'
             FOR UPDATE OF c",
        )
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(pg_error)?
        else {
            return Ok(None);
        };
        let department: String = col(&row, "department_id")?;
        let routing = routing_col(&col::<String>(&row, "routing")?)?;
        let offered_to = row
            .try_get::<Option<String>, _>("offered_to")?
            .map(|a| parse_agent_id(&a))
            .transpose()?;
        let offered_until: Option<i64> = col(&row, "offered_until")?;
        let offer_ms: i64 = col(&row, "offer_ms")?;
        let max_chats = col::<i32>(&row, "max_chats")?.max(0) as u32;
        let mut candidates = Vec::new();
        for row in sqlx::query(
            "SELECT ad.agent_id, ad.last_offered_at,
                    (SELECT COUNT(*) FROM participants p
                     JOIN conversations o ON o.id = p.conversation_id
                     WHERE p.role = 'agent' AND p.participant_id = ad.agent_id
                       AND p.left_at IS NULL AND o.state = 'active')
                    + (SELECT COUNT(*) FROM conversations q
                       WHERE q.offered_to = ad.agent_id AND q.state = 'queued'
                         AND q.offered_until > $3 AND q.id <> $1) AS busy,
                    COALESCE((SELECT times FROM chat_offers
                              WHERE conversation_id = $1 AND agent_id = ad.agent_id), 0) AS times,
                    COALESCE((SELECT declined FROM chat_offers
                              WHERE conversation_id = $1 AND agent_id = ad.agent_id), 0) AS declined
             FROM agent_departments ad WHERE ad.department_id = $2",
        )
        .bind(id.to_string())
        .bind(&department)
        .bind(now_ms)
        .fetch_all(&mut *tx)
        .await
        .map_err(pg_error)?
        {
            candidates.push(Candidate {
                agent: AgentId(uuid_col(&row, "agent_id")?),
                busy: col::<i64>(&row, "busy")?.max(0) as u32,
                times_offered: col::<i32>(&row, "times")?.max(0) as u32,
                declined: col::<i32>(&row, "declined")? != 0,
                last_offered_ms: col(&row, "last_offered_at")?,
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
                    "UPDATE conversations SET offered_to = $1, offered_until = $2 WHERE id = $3",
                )
                .bind(agent.to_string())
                .bind(now_ms + offer_ms)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(pg_error)?;
                sqlx::query(
                    "INSERT INTO chat_offers (conversation_id, agent_id, times) VALUES ($1, $2, 1)
                     ON CONFLICT (conversation_id, agent_id) DO UPDATE SET times = chat_offers.times + 1",
                )
                .bind(id.to_string())
                .bind(agent.to_string())
                .execute(&mut *tx)
                .await.map_err(pg_error)?;
                sqlx::query(
                    "UPDATE agent_departments SET last_offered_at = $1
                     WHERE department_id = $2 AND agent_id = $3",
                )
                .bind(now_ms)
                .bind(&department)
                .bind(agent.to_string())
                .execute(&mut *tx)
                .await
                .map_err(pg_error)?;
            }
            // Nobody can take it now: the offer, if any, is withdrawn.
            None if offered_to.is_some() => {
                sqlx::query(
                    "UPDATE conversations SET offered_to = NULL, offered_until = NULL WHERE id = $1",
                )
                .bind(id.to_string())
                .execute(&mut *tx)
                .await.map_err(pg_error)?;
            }
            None => return Ok(None),
        }
        let item = queue_item(&mut tx, id).await?;
        tx.commit().await.map_err(pg_error)?;
        Ok(item)
    }

    async fn decline_chat(
        &self,
        id: ConversationId,
        agent: AgentId,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let declined = sqlx::query(
            "UPDATE conversations SET offered_until = $1
             WHERE id = $2 AND state = 'queued' AND offered_to = $3 AND offered_until > $4",
        )
        .bind(now_ms)
        .bind(id.to_string())
        .bind(agent.to_string())
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?
        .rows_affected()
            == 1;
        if !declined {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE chat_offers SET declined = 1 WHERE conversation_id = $1 AND agent_id = $2",
        )
        .bind(id.to_string())
        .bind(agent.to_string())
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
        tx.commit().await.map_err(pg_error)?;
        Ok(true)
    }
}
