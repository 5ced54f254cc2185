//! Proactive invitation rules on SQLite.

use super::{SqliteStore, WriteTx};
use crate::store::{rule_col, rule_text, InvitationRuleStore, StoreResult};
use app::api::InvitationRule;
use async_trait::async_trait;

#[async_trait]
impl InvitationRuleStore for SqliteStore {
    async fn invitation_rules(&self) -> StoreResult<Vec<InvitationRule>> {
        let texts: Vec<String> =
            sqlx::query_scalar("SELECT rule FROM invitation_rules ORDER BY id")
                .fetch_all(&self.reader)
                .await?;
        texts.iter().map(|t| rule_col(t)).collect()
    }

    async fn put_invitation_rule(&self, rule: &InvitationRule, at_ms: i64) -> StoreResult<bool> {
        let mut tx = WriteTx::begin(self).await?;
        let created = sqlx::query(
            "INSERT INTO invitation_rules (id, rule, created_at) VALUES (?, ?, ?)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&rule.id)
        .bind(rule_text(rule))
        .bind(at_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !created {
            sqlx::query("UPDATE invitation_rules SET rule = ? WHERE id = ?")
                .bind(rule_text(rule))
                .bind(&rule.id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(created)
    }

    async fn remove_invitation_rule(&self, id: &str) -> StoreResult<bool> {
        let mut tx = WriteTx::begin(self).await?;
        let removed = sqlx::query("DELETE FROM invitation_rules WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(removed)
    }
}
