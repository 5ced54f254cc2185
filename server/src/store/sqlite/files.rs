//! Where files sent in conversations belong, on SQLite.

use super::rows::uuid_col;
use super::SqliteStore;
use crate::store::{FileRecord, FileRecordStore, StoreError, StoreResult};
use app::ids::{ConversationId, FileId};
use app::protocol::FileInfo;
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl FileRecordStore for SqliteStore {
    async fn file_record(&self, id: FileId) -> StoreResult<Option<FileRecord>> {
        let row = sqlx::query(
            "SELECT conversation_id, seq, name, content_type, size FROM files WHERE id = ?",
        )
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(FileRecord {
            conversation_id: ConversationId(uuid_col(&row, "conversation_id")?),
            seq: row.try_get::<i64, _>("seq")? as u64,
            info: FileInfo {
                id,
                name: row.try_get("name")?,
                content_type: row.try_get("content_type")?,
                size: row.try_get::<i64, _>("size")? as u64,
            },
        }))
    }

    async fn link_key(&self, fresh: [u8; 32]) -> StoreResult<[u8; 32]> {
        sqlx::query(
            "INSERT INTO server_keys (name, key) VALUES ('file_links', ?)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(fresh.to_vec())
        .execute(&mut *self.write().await?)
        .await?;
        let key: Vec<u8> =
            sqlx::query_scalar("SELECT key FROM server_keys WHERE name = 'file_links'")
                .fetch_one(&mut *self.write().await?)
                .await?;
        key.try_into()
            .map_err(|_| StoreError::Internal("the stored file-link key is not 32 bytes".into()))
    }
}
