//! Cluster presence on PostgreSQL: nodes under leases, and who is present on each.
//! Every time is the database's clock (`clock_timestamp()`), so that the nodes'
//! clocks may disagree.

use super::{pg_error, PgStore};
use crate::store::{ClusterPresenceStore, StoreResult};
use async_trait::async_trait;

/// The database's time now, in Unix milliseconds.
const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

#[async_trait]
impl ClusterPresenceStore for PgStore {
    async fn join_cluster(&self, name: &str, lease_ms: i64) -> StoreResult<i64> {
        sqlx::query_scalar(&format!(
            "INSERT INTO nodes (name, lease_until) VALUES ($1, {NOW_MS} + $2) RETURNING id"
        ))
        .bind(name)
        .bind(lease_ms)
        .fetch_one(&self.pool)
        .await
        .map_err(pg_error)
    }

    async fn renew_presence(
        &self,
        node: i64,
        lease_ms: i64,
        grace_ms: i64,
        put: &[(String, serde_json::Value)],
        removed: &[String],
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        sqlx::query(&format!(
            "DELETE FROM nodes WHERE lease_until < {NOW_MS} - $1 AND id <> $2"
        ))
        .bind(grace_ms)
        .bind(node)
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
        let renewed = sqlx::query(&format!(
            "UPDATE nodes SET lease_until = {NOW_MS} + $2 WHERE id = $1"
        ))
        .bind(node)
        .bind(lease_ms)
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?
        .rows_affected();
        if renewed == 0 {
            // Reaped by another node: nothing of ours may be written any more.
            return Ok(false);
        }
        if !removed.is_empty() {
            sqlx::query("DELETE FROM node_presence WHERE node_id = $1 AND participant = ANY($2)")
                .bind(node)
                .bind(removed)
                .execute(&mut *tx)
                .await
                .map_err(pg_error)?;
        }
        for (participant, info) in put {
            sqlx::query(
                "INSERT INTO node_presence (node_id, participant, info) VALUES ($1, $2, $3)
                 ON CONFLICT (node_id, participant) DO UPDATE SET info = excluded.info",
            )
            .bind(node)
            .bind(participant)
            .bind(info)
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?;
        }
        tx.commit().await.map_err(pg_error)?;
        Ok(true)
    }

    async fn others_presence(
        &self,
        node: i64,
        grace_ms: i64,
    ) -> StoreResult<Vec<(String, serde_json::Value)>> {
        sqlx::query_as(&format!(
            "SELECT p.participant, p.info FROM node_presence p JOIN nodes n ON n.id = p.node_id
             WHERE p.node_id <> $1 AND n.lease_until + $2 > {NOW_MS}"
        ))
        .bind(node)
        .bind(grace_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)
    }
}
