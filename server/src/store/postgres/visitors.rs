//! Visitors on PostgreSQL, kept by the hash of their token.
use super::rows::{col, uuid_col};
use super::{pg_error, PgStore};
use crate::store::{StoreResult, VisitorRecord, VisitorStore};
use app::ids::VisitorId;
use async_trait::async_trait;
use sqlx::postgres::PgRow;
use uuid::Uuid;

fn visitor_from_row(row: &PgRow) -> StoreResult<VisitorRecord> {
    Ok(VisitorRecord {
        id: VisitorId(uuid_col(row, "id")?),
        name: col(row, "display_name")?,
    })
}

#[async_trait]
impl VisitorStore for PgStore {
    async fn visitor_for_token(&self, token_hash: &[u8], name: &str) -> StoreResult<VisitorRecord> {
        let found = sqlx::query("SELECT id, display_name FROM visitors WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(pg_error)?;
        if let Some(row) = found {
            return visitor_from_row(&row);
        }
        // Two tabs may introduce the same new token at once: the insert is a no-op for
        // the second (it waits for the first to commit), and both read back the one row.
        sqlx::query(
            "INSERT INTO visitors (id, token_hash, display_name, created_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (token_hash) DO NOTHING",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(token_hash)
        .bind(name)
        .bind(crate::clock::now_ms())
        .execute(&self.pool)
        .await
        .map_err(pg_error)?;
        let row = sqlx::query("SELECT id, display_name FROM visitors WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_one(&self.pool)
            .await
            .map_err(pg_error)?;
        visitor_from_row(&row)
    }

    async fn set_visitor_name(&self, id: VisitorId, name: &str) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE visitors SET display_name = $1 WHERE id = $2")
            .bind(name)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?;
        // The conversations whose member list changes, locked in id order (the one
        // order every transaction that locks several uses), so that no mutation of
        // one of them reads the list half renamed.
        sqlx::query(
            "SELECT id FROM conversations WHERE id IN (
                 SELECT conversation_id FROM participants
                 WHERE role = 'visitor' AND participant_id = $1 AND left_at IS NULL)
             ORDER BY id FOR UPDATE",
        )
        .bind(id.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(pg_error)?;
        // Conversations the visitor is in now show the new name from here on;
        // messages already written keep the name they were sent under.
        sqlx::query(
            "UPDATE participants SET display_name = $1
             WHERE role = 'visitor' AND participant_id = $2 AND left_at IS NULL",
        )
        .bind(name)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
        tx.commit().await.map_err(pg_error)
    }

    async fn visitor(&self, id: VisitorId) -> StoreResult<Option<VisitorRecord>> {
        sqlx::query("SELECT id, display_name FROM visitors WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(pg_error)?
            .as_ref()
            .map(visitor_from_row)
            .transpose()
    }

    async fn visitor_first_seen(&self, id: VisitorId) -> StoreResult<Option<i64>> {
        sqlx::query_scalar("SELECT created_at FROM visitors WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(pg_error)
    }

    async fn visitor_for_user(&self, user_id: &str, name: &str) -> StoreResult<VisitorRecord> {
        let mut tx = self.begin().await?;
        let known = sqlx::query("SELECT id, display_name FROM visitors WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(pg_error)?;
        if let Some(row) = known {
            return visitor_from_row(&row);
        }
        // Reached only through the user id: its token hash matches no token.
        let mut unusable = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut unusable);
        let row = sqlx::query(
            "INSERT INTO visitors (id, token_hash, display_name, created_at, user_id)
             VALUES ($1, $2, $3, $4, $5) RETURNING id, display_name",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(&unusable[..])
        .bind(name)
        .bind(crate::clock::now_ms())
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(pg_error)?;
        let made = visitor_from_row(&row)?;
        tx.commit().await.map_err(pg_error)?;
        Ok(made)
    }
}
