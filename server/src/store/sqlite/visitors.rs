//! Visitors on SQLite, kept by the hash of their token.
use super::rows::uuid_col;
use super::{SqliteStore, WriteTx};
use crate::store::{StoreResult, VisitorRecord, VisitorStore};
use app::ids::VisitorId;
use async_trait::async_trait;
use sqlx::Row;
use uuid::Uuid;

#[async_trait]
impl VisitorStore for SqliteStore {
    async fn visitor_for_token(&self, token_hash: &[u8], name: &str) -> StoreResult<VisitorRecord> {
        let found = sqlx::query("SELECT id, display_name FROM visitors WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.reader)
            .await?;
        if let Some(row) = found {
            return Ok(VisitorRecord {
                id: VisitorId(uuid_col(&row, "id")?),
                name: row.try_get("display_name")?,
            });
        }
        // Two tabs may introduce the same new token at once: the insert is a no-op for
        // the second, and both read back the one row.
        sqlx::query(
            "INSERT INTO visitors (id, token_hash, display_name, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (token_hash) DO NOTHING",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(token_hash)
        .bind(name)
        .bind(crate::clock::now_ms())
        .execute(&mut *self.write().await?)
        .await?;
        let row = sqlx::query("SELECT id, display_name FROM visitors WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_one(&mut *self.write().await?)
            .await?;
        Ok(VisitorRecord {
            id: VisitorId(uuid_col(&row, "id")?),
            name: row.try_get("display_name")?,
        })
    }

    async fn set_visitor_name(&self, id: VisitorId, name: &str) -> StoreResult<()> {
        let mut tx = WriteTx::begin(self).await?;
        sqlx::query("UPDATE visitors SET display_name = ? WHERE id = ?")
            .bind(name)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        // Conversations the visitor is in now show the new name from here on;
        // messages already written keep the name they were sent under.
        sqlx::query(
            "UPDATE participants SET display_name = ?
             WHERE role = 'visitor' AND participant_id = ? AND left_at IS NULL",
        )
        .bind(name)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    async fn visitor(&self, id: VisitorId) -> StoreResult<Option<VisitorRecord>> {
        sqlx::query("SELECT id, display_name FROM visitors WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?
            .map(|row| {
                Ok(VisitorRecord {
                    id: VisitorId(uuid_col(&row, "id")?),
                    name: row.try_get("display_name")?,
                })
            })
            .transpose()
    }

    async fn visitor_first_seen(&self, id: VisitorId) -> StoreResult<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT created_at FROM visitors WHERE id = ?")
                .bind(id.to_string())
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    async fn visitor_for_user(&self, user_id: &str, name: &str) -> StoreResult<VisitorRecord> {
        let mut tx = WriteTx::begin(self).await?;
        let record = |row: &sqlx::sqlite::SqliteRow| -> StoreResult<VisitorRecord> {
            Ok(VisitorRecord {
                id: VisitorId(uuid_col(row, "id")?),
                name: row.try_get("display_name")?,
            })
        };
        let known = sqlx::query("SELECT id, display_name FROM visitors WHERE user_id = ?")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = known {
            return record(&row);
        }
        // Reached only through the user id: its token hash matches no token.
        let mut unusable = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut unusable);
        let row = sqlx::query(
            "INSERT INTO visitors (id, token_hash, display_name, created_at, user_id)
             VALUES (?, ?, ?, ?, ?) RETURNING id, display_name",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(&unusable[..])
        .bind(name)
        .bind(crate::clock::now_ms())
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        let made = record(&row)?;
        tx.commit().await?;
        Ok(made)
    }
}
