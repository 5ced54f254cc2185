//! API tokens on SQLite.

use super::rows::uuid_col;
use super::SqliteStore;
use crate::store::{ApiScope, ApiTokenRecord, ApiTokenStore, StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use uuid::Uuid;

const COLUMNS: &str = "id, name, scope, created_at, revoked_at";

fn token_from_row(row: &SqliteRow) -> StoreResult<ApiTokenRecord> {
    let scope: String = row.try_get("scope")?;
    Ok(ApiTokenRecord {
        id: uuid_col(row, "id")?,
        name: row.try_get("name")?,
        scope: ApiScope::parse(&scope)
            .ok_or_else(|| StoreError::Internal(format!("unknown API token scope '{scope}'")))?,
        created_ms: row.try_get("created_at")?,
        revoked_ms: row.try_get("revoked_at")?,
    })
}

#[async_trait]
impl ApiTokenStore for SqliteStore {
    async fn add_api_token(
        &self,
        name: &str,
        scope: ApiScope,
        token_hash: &[u8],
        at_ms: i64,
    ) -> StoreResult<ApiTokenRecord> {
        let token = ApiTokenRecord {
            id: Uuid::new_v4(),
            name: name.to_owned(),
            scope,
            created_ms: at_ms,
            revoked_ms: None,
        };
        let added = sqlx::query(
            "INSERT INTO api_tokens (id, name, scope, token_hash, created_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token.id.to_string())
        .bind(name)
        .bind(scope.as_str())
        .bind(token_hash)
        .bind(at_ms)
        .execute(&mut *self.write().await?)
        .await;
        match added {
            Ok(_) => Ok(token),
            Err(err) => match StoreError::from(err) {
                StoreError::Duplicate(_) => Err(StoreError::Duplicate(name.to_owned())),
                other => Err(other),
            },
        }
    }

    async fn live_api_token(&self, token_hash: &[u8]) -> StoreResult<Option<ApiTokenRecord>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL"
        ))
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(token_from_row)
        .transpose()
    }

    async fn api_tokens(&self) -> StoreResult<Vec<ApiTokenRecord>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_tokens ORDER BY created_at, id"
        ))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(token_from_row)
        .collect()
    }

    async fn revoke_api_token(&self, name: &str, at_ms: i64) -> StoreResult<bool> {
        let revoked = sqlx::query(
            "UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
        )
        .bind(at_ms)
        .bind(name)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(revoked.rows_affected() > 0)
    }
}
