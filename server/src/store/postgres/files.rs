//! Where files sent in conversations belong, on PostgreSQL.

use super::rows::{col, uuid_col};
use super::{pg_error, PgStore};
use crate::store::{FileRecord, FileRecordStore, StoreError, StoreResult};
use app::ids::{ConversationId, FileId};
use app::protocol::FileInfo;
use async_trait::async_trait;

#[async_trait]
impl FileRecordStore for PgStore {
    async fn file_record(&self, id: FileId) -> StoreResult<Option<FileRecord>> {
        let row = sqlx::query(
            "SELECT conversation_id, seq, name, content_type, size FROM files WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(pg_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(FileRecord {
            conversation_id: ConversationId(uuid_col(&row, "conversation_id")?),
            seq: col::<i64>(&row, "seq")? as u64,
            info: FileInfo {
                id,
                name: col(&row, "name")?,
                content_type: col(&row, "content_type")?,
                size: col::<i64>(&row, "size")? as u64,
            },
        }))
    }

    async fn link_key(&self, fresh: [u8; 32]) -> StoreResult<[u8; 32]> {
        sqlx::query(
            "INSERT INTO server_keys (name, key) VALUES ('file_links', $1)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(fresh.to_vec())
        .execute(&self.pool)
        .await
        .map_err(pg_error)?;
        let key: Vec<u8> =
            sqlx::query_scalar("SELECT key FROM server_keys WHERE name = 'file_links'")
                .fetch_one(&self.pool)
                .await
                .map_err(pg_error)?;
        key.try_into()
            .map_err(|_| StoreError::Internal("the stored file-link key is not 32 bytes".into()))
    }
}
