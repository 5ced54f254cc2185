//! Webhook endpoints, the outbox and its deliveries on SQLite.

use super::rows::uuid_col;
use super::{SqliteStore, WriteTx};
use crate::chat::events::Changed;
use crate::store::{
    DeliveryOutcome, DeliveryRecord, DueDelivery, StoreResult, WebhookAttempt, WebhookEndpoint,
    WebhookStore,
};
use crate::webhooks::events::{may_cause_events, outbox_events, subscribes};
use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

pub(super) const SUBSCRIBERS: &str = "SELECT id, events FROM webhook_endpoints";
pub(super) const INSERT_EVENT: &str =
    "INSERT INTO webhook_events (id, name, body, created_at) VALUES (?1, ?2, ?3, ?4)";
pub(super) const INSERT_DELIVERY: &str = "INSERT INTO webhook_deliveries
     (event_id, endpoint_id, state, attempts, next_attempt_at, updated_at)
     VALUES (?1, ?2, 'pending', 0, ?3, ?3)";

const ENDPOINT_COLUMNS: &str = "id, url, secret, events, allow_private, created_at";

fn endpoint_from_row(row: &SqliteRow) -> StoreResult<WebhookEndpoint> {
    let events: String = row.try_get("events")?;
    Ok(WebhookEndpoint {
        id: uuid_col(row, "id")?,
        url: row.try_get("url")?,
        secret: row.try_get("secret")?,
        events: events.split(',').map(str::to_owned).collect(),
        allow_private: row.try_get("allow_private")?,
        created_ms: row.try_get("created_at")?,
    })
}

/// Writes the webhook events of `changed` to the outbox, inside the
/// transaction of the change: one event per change of interest that some
/// endpoint subscribes to, and a delivery for each such endpoint.
pub(super) async fn record_outbox(
    tx: &mut SqliteConnection,
    changed: &Changed,
    at_ms: i64,
) -> StoreResult<()> {
    if !may_cause_events(changed) {
        return Ok(());
    }
    let endpoints: Vec<(String, String)> = sqlx::query_as(SUBSCRIBERS).fetch_all(&mut *tx).await?;
    let wanted = |name: &str| endpoints.iter().any(|(_, events)| subscribes(events, name));
    for event in outbox_events(changed, at_ms, wanted) {
        let to: Vec<&String> = endpoints
            .iter()
            .filter(|(_, subscribed)| subscribes(subscribed, event.name))
            .map(|(id, _)| id)
            .collect();
        if to.is_empty() {
            continue;
        }
        sqlx::query(INSERT_EVENT)
            .bind(event.id.to_string())
            .bind(event.name)
            .bind(&event.body)
            .bind(event.at_ms)
            .execute(&mut *tx)
            .await?;
        for endpoint in to {
            sqlx::query(INSERT_DELIVERY)
                .bind(event.id.to_string())
                .bind(endpoint)
                .bind(event.at_ms)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

/// [`record_outbox`] for the group commit's own connection.
pub(super) fn record_outbox_on(
    conn: &rusqlite::Connection,
    changed: &[&Changed],
    at_ms: i64,
) -> rusqlite::Result<()> {
    if !changed.iter().any(|changed| may_cause_events(changed)) {
        return Ok(());
    }
    // One read per batch; with no endpoint no event is made at all.
    let endpoints: Vec<(String, String)> = conn
        .prepare_cached(SUBSCRIBERS)?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let wanted = |name: &str| endpoints.iter().any(|(_, events)| subscribes(events, name));
    let events = changed
        .iter()
        .flat_map(|changed| outbox_events(changed, at_ms, wanted));
    for event in events {
        let to: Vec<&String> = endpoints
            .iter()
            .filter(|(_, subscribed)| subscribes(subscribed, event.name))
            .map(|(id, _)| id)
            .collect();
        if to.is_empty() {
            continue;
        }
        conn.prepare_cached(INSERT_EVENT)?
            .execute(rusqlite::params![
                event.id.to_string(),
                event.name,
                event.body,
                event.at_ms
            ])?;
        for endpoint in to {
            conn.prepare_cached(INSERT_DELIVERY)?
                .execute(rusqlite::params![
                    event.id.to_string(),
                    endpoint,
                    event.at_ms
                ])?;
        }
    }
    Ok(())
}

fn state_after(outcome: DeliveryOutcome) -> (&'static str, Option<i64>) {
    match outcome {
        DeliveryOutcome::Delivered => ("delivered", None),
        DeliveryOutcome::RetryAt(at) => ("pending", Some(at)),
        DeliveryOutcome::GaveUp => ("failed", None),
    }
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn add_webhook(
        &self,
        url: &str,
        secret: &str,
        events: &[String],
        allow_private: bool,
        at_ms: i64,
    ) -> StoreResult<WebhookEndpoint> {
        let endpoint = WebhookEndpoint {
            id: Uuid::new_v4(),
            url: url.to_owned(),
            secret: secret.to_owned(),
            events: events.to_vec(),
            allow_private,
            created_ms: at_ms,
        };
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, url, secret, events, allow_private, created_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(endpoint.id.to_string())
        .bind(url)
        .bind(secret)
        .bind(events.join(","))
        .bind(allow_private)
        .bind(at_ms)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(endpoint)
    }

    async fn webhooks(&self) -> StoreResult<Vec<WebhookEndpoint>> {
        sqlx::query(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id"
        ))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(endpoint_from_row)
        .collect()
    }

    async fn remove_webhook(&self, id: Uuid) -> StoreResult<bool> {
        let removed = sqlx::query("DELETE FROM webhook_endpoints WHERE id = ?")
            .bind(id.to_string())
            .execute(&mut *self.write().await?)
            .await?;
        Ok(removed.rows_affected() > 0)
    }

    async fn take_due_deliveries(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> StoreResult<Vec<DueDelivery>> {
        let mut tx = WriteTx::begin(self).await?;
        let rows = sqlx::query(
            "SELECT d.event_id, d.attempts, e.name, e.body, e.created_at AS event_at,
                    p.id, p.url, p.secret, p.events, p.allow_private, p.created_at
             FROM webhook_deliveries d
             JOIN webhook_events e ON e.id = d.event_id
             JOIN webhook_endpoints p ON p.id = d.endpoint_id
             WHERE d.state = 'pending' AND d.next_attempt_at <= ?
             ORDER BY d.next_attempt_at, e.created_at, d.event_id
             LIMIT ?",
        )
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut due = Vec::with_capacity(rows.len());
        for row in &rows {
            let delivery = DueDelivery {
                event_id: uuid_col(row, "event_id")?,
                name: row.try_get("name")?,
                body: row.try_get("body")?,
                event_ms: row.try_get("event_at")?,
                attempts: row.try_get::<i64, _>("attempts")? as u32,
                endpoint: endpoint_from_row(row)?,
            };
            sqlx::query(
                "UPDATE webhook_deliveries SET next_attempt_at = ?
                 WHERE event_id = ? AND endpoint_id = ?",
            )
            .bind(now_ms + lease_ms)
            .bind(delivery.event_id.to_string())
            .bind(delivery.endpoint.id.to_string())
            .execute(&mut *tx)
            .await?;
            due.push(delivery);
        }
        tx.commit().await?;
        Ok(due)
    }

    async fn record_attempt(
        &self,
        event_id: Uuid,
        endpoint_id: Uuid,
        attempt: &WebhookAttempt,
        outcome: DeliveryOutcome,
    ) -> StoreResult<()> {
        let (state, next) = state_after(outcome);
        let mut tx = WriteTx::begin(self).await?;
        let updated = sqlx::query(
            "UPDATE webhook_deliveries
             SET state = ?, attempts = attempts + 1, next_attempt_at = COALESCE(?, next_attempt_at),
                 last_status = ?, last_error = ?, updated_at = ?
             WHERE event_id = ? AND endpoint_id = ?",
        )
        .bind(state)
        .bind(next)
        .bind(attempt.status.map(i64::from))
        .bind(&attempt.error)
        .bind(attempt.at_ms)
        .bind(event_id.to_string())
        .bind(endpoint_id.to_string())
        .execute(&mut *tx)
        .await?;
        // The endpoint was removed meanwhile: nothing to log.
        if updated.rows_affected() > 0 {
            sqlx::query(
                "INSERT INTO webhook_attempts (event_id, endpoint_id, at, status, error, duration_ms)
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(event_id.to_string())
            .bind(endpoint_id.to_string())
            .bind(attempt.at_ms)
            .bind(attempt.status.map(i64::from))
            .bind(&attempt.error)
            .bind(attempt.duration_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    async fn deliveries(&self, endpoint_id: Uuid, limit: u32) -> StoreResult<Vec<DeliveryRecord>> {
        let rows = sqlx::query(
            "SELECT d.event_id, d.endpoint_id, e.name, d.state, e.created_at AS event_at,
                    d.next_attempt_at
             FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
             WHERE d.endpoint_id = ?
             ORDER BY e.created_at DESC, d.event_id LIMIT ?",
        )
        .bind(endpoint_id.to_string())
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        let mut records = Vec::with_capacity(rows.len());
        for row in &rows {
            let event_id = uuid_col(row, "event_id")?;
            let attempts = sqlx::query(
                "SELECT at, status, error, duration_ms FROM webhook_attempts
                 WHERE event_id = ? AND endpoint_id = ? ORDER BY at",
            )
            .bind(event_id.to_string())
            .bind(endpoint_id.to_string())
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|a| {
                Ok(WebhookAttempt {
                    at_ms: a.try_get("at")?,
                    status: a.try_get::<Option<i64>, _>("status")?.map(|s| s as u16),
                    error: a.try_get("error")?,
                    duration_ms: a.try_get("duration_ms")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
            records.push(DeliveryRecord {
                event_id,
                endpoint_id: uuid_col(row, "endpoint_id")?,
                name: row.try_get("name")?,
                state: row.try_get("state")?,
                event_ms: row.try_get("event_at")?,
                next_attempt_ms: row.try_get("next_attempt_at")?,
                attempts,
            });
        }
        Ok(records)
    }

    async fn redeliver(&self, endpoint_id: Uuid, event_id: Uuid, now_ms: i64) -> StoreResult<bool> {
        let updated = sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ?, updated_at = ?
             WHERE endpoint_id = ? AND event_id = ?",
        )
        .bind(now_ms)
        .bind(now_ms)
        .bind(endpoint_id.to_string())
        .bind(event_id.to_string())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(updated.rows_affected() > 0)
    }

    async fn webhook_backlog(&self) -> StoreResult<(u64, u64)> {
        let (pending, failed): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(state = 'pending'), 0), COALESCE(SUM(state = 'failed'), 0)
             FROM webhook_deliveries",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok((pending as u64, failed as u64))
    }
}
