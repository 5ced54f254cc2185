//! Websites and their origins on PostgreSQL. Two admins saving websites that
//! claim one origin at once: the origin's key lets one have it, the other's
//! whole change is refused.

use super::rows::col;
use super::{pg_error, PgStore};
use crate::store::{settings_col, settings_text, StoreError, StoreResult, WebsiteStore};
use app::api::Website;
use async_trait::async_trait;

#[async_trait]
impl WebsiteStore for PgStore {
    async fn websites(&self) -> StoreResult<Vec<Website>> {
        // One statement, so that a save landing meanwhile is seen whole or not at all.
        let rows = sqlx::query(
            "SELECT w.id, w.name, w.settings, o.origin
             FROM websites w LEFT JOIN website_origins o ON o.website_id = w.id
             ORDER BY w.id, o.origin",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?;
        let mut websites: Vec<Website> = Vec::new();
        for row in rows {
            let id: String = col(&row, "id")?;
            if websites.last().is_none_or(|w| w.id != id) {
                let settings: String = col(&row, "settings")?;
                websites.push(Website {
                    id,
                    name: col(&row, "name")?,
                    origins: Vec::new(),
                    settings: settings_col(&settings)?,
                });
            }
            let origin: Option<String> = col(&row, "origin")?;
            if let (Some(origin), Some(website)) = (origin, websites.last_mut()) {
                website.origins.push(origin);
            }
        }
        Ok(websites)
    }

    async fn put_website(&self, website: &Website, at_ms: i64) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let created = sqlx::query(
            "INSERT INTO websites (id, name, settings, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&website.id)
        .bind(&website.name)
        .bind(settings_text(&website.settings))
        .bind(at_ms)
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?
        .rows_affected()
            == 1;
        if !created {
            sqlx::query("UPDATE websites SET name = $1, settings = $2 WHERE id = $3")
                .bind(&website.name)
                .bind(settings_text(&website.settings))
                .bind(&website.id)
                .execute(&mut *tx)
                .await
                .map_err(pg_error)?;
        }
        sqlx::query("DELETE FROM website_origins WHERE website_id = $1")
            .bind(&website.id)
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?;
        for origin in &website.origins {
            let inserted = sqlx::query(
                "INSERT INTO website_origins (origin, website_id) VALUES ($1, $2)
                 ON CONFLICT (origin) DO NOTHING",
            )
            .bind(origin)
            .bind(&website.id)
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?
            .rows_affected();
            if inserted == 0 {
                // Another website has it: dropping the transaction keeps nothing.
                return Err(StoreError::Duplicate(origin.clone()));
            }
        }
        tx.commit().await.map_err(pg_error)?;
        Ok(created)
    }

    async fn remove_website(&self, id: &str) -> StoreResult<bool> {
        let removed = sqlx::query("DELETE FROM websites WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(pg_error)?
            .rows_affected()
            == 1;
        Ok(removed)
    }
}
