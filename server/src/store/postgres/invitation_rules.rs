//! Proactive invitation rules on PostgreSQL.

use super::{pg_error, PgStore};
use crate::store::{rule_col, rule_text, InvitationRuleStore, StoreResult};
use app::api::InvitationRule;
use async_trait::async_trait;

#[async_trait]
impl InvitationRuleStore for PgStore {
    async fn invitation_rules(&self) -> StoreResult<Vec<InvitationRule>> {
        let texts: Vec<String> =
            sqlx::query_scalar("SELECT rule FROM invitation_rules ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(pg_error)?;
        texts.iter().map(|t| rule_col(t)).collect()
    }

    async fn put_invitation_rule(&self, rule: &InvitationRule, at_ms: i64) -> StoreResult<bool> {
        // `xmax = 0` only for a row this statement inserted.
        let created: bool = sqlx::query_scalar(
            "INSERT INTO invitation_rules (id, rule, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET rule = EXCLUDED.rule
             RETURNING (xmax = 0)",
        )
        .bind(&rule.id)
        .bind(rule_text(rule))
        .bind(at_ms)
        .fetch_one(&self.pool)
        .await
        .map_err(pg_error)?;
        Ok(created)
    }

    async fn remove_invitation_rule(&self, id: &str) -> StoreResult<bool> {
        let removed = sqlx::query("DELETE FROM invitation_rules WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(pg_error)?
            .rows_affected()
            == 1;
        Ok(removed)
    }
}
