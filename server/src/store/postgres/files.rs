//! Where files sent in conversations belong, on PostgreSQL.

use super::rows::{col, uuid_col};
use super::{pg_error, PgStore};
use crate::store::{FileRecord, FileRecordStore, StoreResult};
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
}
