//! The audit log on PostgreSQL.

use super::rows::col;
use super::{pg_error, PgStore};
use crate::store::{audit_action_col, AuditStore, StoreResult};
use app::api::{AuditAction, AuditEntry};
use async_trait::async_trait;

#[async_trait]
impl AuditStore for PgStore {
    async fn record_audit(
        &self,
        at_ms: i64,
        admin: &str,
        action: AuditAction,
        subject: &str,
        detail: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (at_ms, admin, action, subject, detail)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(at_ms)
        .bind(admin)
        .bind(action.as_str())
        .bind(subject)
        .bind(detail)
        .execute(&self.pool)
        .await
        .map_err(pg_error)?;
        Ok(())
    }

    async fn audit_log(&self, before: Option<i64>, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        sqlx::query(
            "SELECT id, at_ms, admin, action, subject, detail FROM audit_log
             WHERE id < $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| {
            let action: String = col(row, "action")?;
            Ok(AuditEntry {
                id: col(row, "id")?,
                at_ms: col(row, "at_ms")?,
                admin: col(row, "admin")?,
                action: audit_action_col(&action)?,
                subject: col(row, "subject")?,
                detail: col(row, "detail")?,
            })
        })
        .collect()
    }
}
