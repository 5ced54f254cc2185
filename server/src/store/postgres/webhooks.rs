//! Webhook endpoints, the outbox and its deliveries on PostgreSQL. Several
//! nodes share the deliveries: each takes the due ones with `SKIP LOCKED`, so
//! no two send the same delivery at once.

use super::rows::{col, uuid_col};
use super::{pg_error, PgStore};
use crate::chat::events::Changed;
use crate::store::{
    DeliveryOutcome, DeliveryRecord, DueDelivery, StoreResult, WebhookAttempt, WebhookEndpoint,
    WebhookStore,
};
use crate::webhooks::events::{may_cause_events, outbox_events, subscribes};
use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::PgConnection;
use uuid::Uuid;

const ENDPOINT_COLUMNS: &str = "id, url, secret, events, allow_private, created_at";

fn endpoint_from_row(row: &PgRow) -> StoreResult<WebhookEndpoint> {
    let events: String = col(row, "events")?;
    Ok(WebhookEndpoint {
        id: uuid_col(row, "id")?,
        url: col(row, "url")?,
        secret: col(row, "secret")?,
        events: events.split(',').map(str::to_owned).collect(),
        allow_private: col(row, "allow_private")?,
        created_ms: col(row, "created_at")?,
    })
}

/// Writes the webhook events of `changed` to the outbox, inside the
/// transaction of the change (see the SQLite twin).
pub(super) async fn record_outbox(tx: &mut PgConnection, changed: &Changed) -> StoreResult<()> {
    record_outbox_of(tx, &[changed]).await
}

/// [`record_outbox`] for several changes of one transaction (a batch of
/// appends), in order: the endpoints are read once.
pub(super) async fn record_outbox_of(
    tx: &mut PgConnection,
    changed: &[&Changed],
) -> StoreResult<()> {
    if !changed.iter().any(|changed| may_cause_events(changed)) {
        return Ok(());
    }
    let endpoints: Vec<(String, String)> =
        sqlx::query_as("SELECT id, events FROM webhook_endpoints")
            .fetch_all(&mut *tx)
            .await
            .map_err(pg_error)?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let wanted = |name: &str| endpoints.iter().any(|(_, events)| subscribes(events, name));
    let at_ms = crate::clock::now_ms();
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
        sqlx::query(
            "INSERT INTO webhook_events (id, name, body, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(event.id.to_string())
        .bind(event.name)
        .bind(&event.body)
        .bind(event.at_ms)
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
        for endpoint in to {
            sqlx::query(
                "INSERT INTO webhook_deliveries
                 (event_id, endpoint_id, state, attempts, next_attempt_at, updated_at)
                 VALUES ($1, $2, 'pending', 0, $3, $3)",
            )
            .bind(event.id.to_string())
            .bind(endpoint)
            .bind(event.at_ms)
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?;
        }
    }
    Ok(())
}

#[async_trait]
impl WebhookStore for PgStore {
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
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(endpoint.id.to_string())
        .bind(url)
        .bind(secret)
        .bind(events.join(","))
        .bind(allow_private)
        .bind(at_ms)
        .execute(&self.pool)
        .await
        .map_err(pg_error)?;
        Ok(endpoint)
    }

    async fn webhooks(&self) -> StoreResult<Vec<WebhookEndpoint>> {
        sqlx::query(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?
        .iter()
        .map(endpoint_from_row)
        .collect()
    }

    async fn remove_webhook(&self, id: Uuid) -> StoreResult<bool> {
        let removed = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(pg_error)?;
        Ok(removed.rows_affected() > 0)
    }

    async fn take_due_deliveries(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> StoreResult<Vec<DueDelivery>> {
        let mut tx = self.begin().await?;
        let rows = sqlx::query(
            "WITH due AS (
                 SELECT event_id, endpoint_id FROM webhook_deliveries
                 WHERE state = 'pending' AND next_attempt_at <= $1
                 ORDER BY next_attempt_at, event_id
                 LIMIT $2
                 FOR UPDATE SKIP LOCKED
             ), taken AS (
                 UPDATE webhook_deliveries d SET next_attempt_at = $3
                 FROM due WHERE d.event_id = due.event_id AND d.endpoint_id = due.endpoint_id
                 RETURNING d.event_id, d.endpoint_id, d.attempts
             )
             SELECT t.event_id, t.attempts, e.name, e.body, e.created_at AS event_at,
                    p.id, p.url, p.secret, p.events, p.allow_private, p.created_at
             FROM taken t
             JOIN webhook_events e ON e.id = t.event_id
             JOIN webhook_endpoints p ON p.id = t.endpoint_id
             ORDER BY e.created_at, t.event_id",
        )
        .bind(now_ms)
        .bind(i64::from(limit))
        .bind(now_ms + lease_ms)
        .fetch_all(&mut *tx)
        .await
        .map_err(pg_error)?;
        tx.commit().await.map_err(pg_error)?;
        rows.iter()
            .map(|row| {
                Ok(DueDelivery {
                    event_id: uuid_col(row, "event_id")?,
                    name: col(row, "name")?,
                    body: col(row, "body")?,
                    event_ms: col(row, "event_at")?,
                    attempts: col::<i32>(row, "attempts")? as u32,
                    endpoint: endpoint_from_row(row)?,
                })
            })
            .collect()
    }

    async fn record_attempt(
        &self,
        event_id: Uuid,
        endpoint_id: Uuid,
        attempt: &WebhookAttempt,
        outcome: DeliveryOutcome,
    ) -> StoreResult<()> {
        let (state, next) = match outcome {
            DeliveryOutcome::Delivered => ("delivered", None),
            DeliveryOutcome::RetryAt(at) => ("pending", Some(at)),
            DeliveryOutcome::GaveUp => ("failed", None),
        };
        let mut tx = self.begin().await?;
        let updated = sqlx::query(
            "UPDATE webhook_deliveries
             SET state = $1, attempts = attempts + 1,
                 next_attempt_at = COALESCE($2, next_attempt_at),
                 last_status = $3, last_error = $4, updated_at = $5
             WHERE event_id = $6 AND endpoint_id = $7",
        )
        .bind(state)
        .bind(next)
        .bind(attempt.status.map(i32::from))
        .bind(&attempt.error)
        .bind(attempt.at_ms)
        .bind(event_id.to_string())
        .bind(endpoint_id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
        if updated.rows_affected() > 0 {
            sqlx::query(
                "INSERT INTO webhook_attempts (event_id, endpoint_id, at, status, error, duration_ms)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(event_id.to_string())
            .bind(endpoint_id.to_string())
            .bind(attempt.at_ms)
            .bind(attempt.status.map(i32::from))
            .bind(&attempt.error)
            .bind(attempt.duration_ms)
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?;
        }
        tx.commit().await.map_err(pg_error)
    }

    async fn deliveries(&self, endpoint_id: Uuid, limit: u32) -> StoreResult<Vec<DeliveryRecord>> {
        let rows = sqlx::query(
            "SELECT d.event_id, d.endpoint_id, e.name, d.state, e.created_at AS event_at,
                    d.next_attempt_at
             FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
             WHERE d.endpoint_id = $1
             ORDER BY e.created_at DESC, d.event_id LIMIT $2",
        )
        .bind(endpoint_id.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?;
        let mut records = Vec::with_capacity(rows.len());
        for row in &rows {
            let event_id = uuid_col(row, "event_id")?;
            let attempts = sqlx::query(
                "SELECT at, status, error, duration_ms FROM webhook_attempts
                 WHERE event_id = $1 AND endpoint_id = $2 ORDER BY at",
            )
            .bind(event_id.to_string())
            .bind(endpoint_id.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(pg_error)?
            .iter()
            .map(|a| {
                Ok(WebhookAttempt {
                    at_ms: col(a, "at")?,
                    status: col::<Option<i32>>(a, "status")?.map(|s| s as u16),
                    error: col(a, "error")?,
                    duration_ms: col(a, "duration_ms")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
            records.push(DeliveryRecord {
                event_id,
                endpoint_id: uuid_col(row, "endpoint_id")?,
                name: col(row, "name")?,
                state: col(row, "state")?,
                event_ms: col(row, "event_at")?,
                next_attempt_ms: col(row, "next_attempt_at")?,
                attempts,
            });
        }
        Ok(records)
    }

    async fn redeliver(&self, endpoint_id: Uuid, event_id: Uuid, now_ms: i64) -> StoreResult<bool> {
        let updated = sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $1, updated_at = $1
             WHERE endpoint_id = $2 AND event_id = $3",
        )
        .bind(now_ms)
        .bind(endpoint_id.to_string())
        .bind(event_id.to_string())
        .execute(&self.pool)
        .await
        .map_err(pg_error)?;
        Ok(updated.rows_affected() > 0)
    }

    async fn webhook_backlog(&self) -> StoreResult<(u64, u64)> {
        let (pending, failed): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*) FILTER (WHERE state = 'pending'),
                    COUNT(*) FILTER (WHERE state = 'failed')
             FROM webhook_deliveries",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(pg_error)?;
        Ok((pending as u64, failed as u64))
    }
}
