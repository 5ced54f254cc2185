//! API tokens on PostgreSQL.

use super::rows::{col, uuid_col};
use super::{pg_error, PgStore};
use crate::store::{ApiScope, ApiTokenRecord, ApiTokenStore, StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::postgres::PgRow;
use uuid::Uuid;

const COLUMNS: &str = "id, name, scope, created_at, revoked_at";

fn token_from_row(row: &PgRow) -> StoreResult<ApiTokenRecord> {
    let scope: String = col(row, "scope")?;
    Ok(ApiTokenRecord {
        id: uuid_col(row, "id")?,
        name: col(row, "name")?,
        scope: ApiScope::parse(&scope)
            .ok_or_else(|| StoreError::Internal(format!("unknown API token scope '{scope}'")))?,
        created_ms: col(row, "created_at")?,
        revoked_ms: col(row, "revoked_at")?,
    })
}

#[async_trait]
impl ApiTokenStore for PgStore {
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
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token.id.to_string())
        .bind(name)
        .bind(scope.as_str())
        .bind(token_hash)
        .bind(at_ms)
        .execute(&self.pool)
        .await
        .map_err(pg_error);
        match added {
            Ok(_) => Ok(token),
            Err(StoreError::Duplicate(_)) => Err(StoreError::Duplicate(name.to_owned())),
            Err(other) => Err(other),
        }
    }

    async fn live_api_token(&self, token_hash: &[u8]) -> StoreResult<Option<ApiTokenRecord>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(pg_error)?
        .as_ref()
        .map(token_from_row)
        .transpose()
    }

    async fn api_tokens(&self) -> StoreResult<Vec<ApiTokenRecord>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_tokens ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?
        .iter()
        .map(token_from_row)
        .collect()
    }

    async fn revoke_api_token(&self, name: &str, at_ms: i64) -> StoreResult<bool> {
        let revoked = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
        )
        .bind(at_ms)
        .bind(name)
        .execute(&self.pool)
        .await
        .map_err(pg_error)?;
        Ok(revoked.rows_affected() > 0)
    }
}
