//! Websites and their origins on SQLite.

use super::{SqliteStore, WriteTx};
use crate::store::{settings_col, settings_text, StoreError, StoreResult, WebsiteStore};
use app::api::Website;
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl WebsiteStore for SqliteStore {
    async fn websites(&self) -> StoreResult<Vec<Website>> {
        // One statement, so that a save landing meanwhile is seen whole or not at all.
        let rows = sqlx::query(
            "SELECT w.id, w.name, w.settings, o.origin
             FROM websites w LEFT JOIN website_origins o ON o.website_id = w.id
             ORDER BY w.id, o.origin",
        )
        .fetch_all(&self.reader)
        .await?;
        let mut websites: Vec<Website> = Vec::new();
        for row in rows {
            let id: String = row.try_get("id")?;
            if websites.last().is_none_or(|w| w.id != id) {
                let settings: String = row.try_get("settings")?;
                websites.push(Website {
                    id,
                    name: row.try_get("name")?,
                    origins: Vec::new(),
                    settings: settings_col(&settings)?,
                });
            }
            let origin: Option<String> = row.try_get("origin")?;
            if let (Some(origin), Some(website)) = (origin, websites.last_mut()) {
                website.origins.push(origin);
            }
        }
        Ok(websites)
    }

    async fn put_website(&self, website: &Website, at_ms: i64) -> StoreResult<bool> {
        let mut tx = WriteTx::begin(self).await?;
        let created = sqlx::query(
            "INSERT INTO websites (id, name, settings, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&website.id)
        .bind(&website.name)
        .bind(settings_text(&website.settings))
        .bind(at_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !created {
            sqlx::query("UPDATE websites SET name = ?, settings = ? WHERE id = ?")
                .bind(&website.name)
                .bind(settings_text(&website.settings))
                .bind(&website.id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM website_origins WHERE website_id = ?")
            .bind(&website.id)
            .execute(&mut *tx)
            .await?;
        for origin in &website.origins {
            let inserted = sqlx::query(
                "INSERT INTO website_origins (origin, website_id) VALUES (?, ?)
                 ON CONFLICT (origin) DO NOTHING",
            )
            .bind(origin)
            .bind(&website.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                // Another website has it: dropping the transaction keeps nothing.
                return Err(StoreError::Duplicate(origin.clone()));
            }
        }
        tx.commit().await?;
        Ok(created)
    }

    async fn remove_website(&self, id: &str) -> StoreResult<bool> {
        let mut tx = WriteTx::begin(self).await?;
        let removed = sqlx::query("DELETE FROM websites WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(removed)
    }
}
