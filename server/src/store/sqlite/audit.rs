//! The audit log on SQLite.

use super::{SqliteStore, WriteTx};
use crate::store::{audit_action_col, AuditStore, StoreResult};
use app::api::{AuditAction, AuditEntry};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl AuditStore for SqliteStore {
    async fn record_audit(
        &self,
        at_ms: i64,
        admin: &str,
        action: AuditAction,
        subject: &str,
        detail: &str,
    ) -> StoreResult<()> {
        let mut tx = WriteTx::begin(self).await?;
        sqlx::query(
            "INSERT INTO audit_log (at_ms, admin, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(at_ms)
        .bind(admin)
        .bind(action.as_str())
        .bind(subject)
        .bind(detail)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_log(&self, before: Option<i64>, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        sqlx::query(
            "SELECT id, at_ms, admin, action, subject, detail FROM audit_log
             WHERE id < ? ORDER BY id DESC LIMIT ?",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|row| {
            let action: String = row.try_get("action")?;
            Ok(AuditEntry {
                id: row.try_get("id")?,
                at_ms: row.try_get("at_ms")?,
                admin: row.try_get("admin")?,
                action: audit_action_col(&action)?,
                subject: row.try_get("subject")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect()
    }
}
