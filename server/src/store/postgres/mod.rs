//! [`Store`](super::Store) on PostgreSQL: one database that any number of chat
//! nodes share.
//!
//! Every transaction runs under READ COMMITTED. One that changes a conversation
//! first locks the conversation's row ([`rows::lock_conversation`], `SELECT … FOR
//! UPDATE`), then takes its sequence numbers from `conversations.last_seq`
//! (`UPDATE … SET last_seq = last_seq + 1 … RETURNING last_seq`, or for a batch
//! of messages the new last number once). Writers of one conversation, on
//! whatever node, queue on that lock, and each sees what the one before it
//! committed; a rollback takes its numbers back, so the sequence has no gaps. A
//! transaction locks at most one conversation row, or several in id order, so two
//! transactions never wait on each other in a circle. No database sequences, no
//! SERIALIZABLE retries. Messages, most of what is written, are stored in batches
//! across conversations ([`appends`]): one transaction, with the same statements
//! however many messages are waiting.
//!
//! Errors are sorted by [`pg_error`] (SQLSTATE codes), never by the SQLite
//! `From<sqlx::Error>` mapping: every sqlx call here ends in `.map_err(pg_error)`
//! (a test reads these files to check it).
//!
//! What it does not do: cut text into search terms ([`crate::store::search`]
//! does, for every backend) or decide the rules ([`crate::chat::rules`]).

mod agents;
mod api_tokens;
mod appends;
mod audit;
mod canned_replies;
mod conversations;
mod departments;
mod files;
mod history;
mod invitation_rules;
mod invitations;
mod offline_messages;
mod presence;
mod privacy;
mod ratings;
mod reports;
mod rows;
mod sessions;
mod visitors;
mod webhooks;
mod websites;

/// Test support, for this crate's unit and integration tests (`tests/cluster.rs`):
/// a throwaway PostgreSQL server. Not for production use.
#[doc(hidden)]
pub mod throwaway;

use super::{StoreError, StoreOptions, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::Postgres;
use std::borrow::Cow;
use std::str::FromStr;

/// How many connections one node keeps open at most. N nodes need N times this
/// within the server's `max_connections` (100 by default).
pub const DEFAULT_POOL_SIZE: u32 = 16;

pub struct PgStore {
    pool: PgPool,
    /// The statement that begins every write transaction.
    begin: Cow<'static, str>,
    /// Where messages are stored, in batches.
    appends: appends::Appends,
}

/// A write transaction. Dropped without a commit, it is rolled back before its
/// connection serves anyone else (sqlx queues the `ROLLBACK`).
pub(super) type Tx = sqlx::Transaction<'static, Postgres>;

impl PgStore {
    /// Connects to the database at a `postgres://` (or `postgresql://`) URL and
    /// migrates it. Several nodes may start at once: the migrator holds an
    /// advisory lock while it runs.
    pub async fn open(url: &str, options: &StoreOptions) -> StoreResult<Self> {
        // The URL may hold a password: it is not repeated in the message.
        let connect = PgConnectOptions::from_str(url).map_err(|e| {
            StoreError::Internal(format!(
                "invalid PostgreSQL url: {e}; expected e.g. postgres://chat@localhost/chat"
            ))
        })?;
        let pool = PgPoolOptions::new()
            .max_connections(options.pool_size.max(1))
            .acquire_timeout(options.busy_timeout * 2)
            .connect_with(connect)
            .await
            .map_err(pg_error)?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Internal(format!("migrating the database: {e}")))?;
        // Whatever the server's default, READ COMMITTED: the row lock orders the
        // writers, and a later statement sees what the lock's previous holder
        // committed. A lock held longer than the busy timeout is a retryable error
        // (55P03). Both in the BEGIN, so that a transaction costs no extra round
        // trip and a session setting never leaks through a pooler.
        let begin = format!(
            "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = {}",
            options.busy_timeout.as_millis().max(1)
        );
        let begin: Cow<'static, str> = Cow::Owned(begin);
        let store = Self {
            appends: appends::Appends::start(pool.clone(), begin.clone()),
            pool,
            begin,
        };
        let mut tx = store.begin().await?;
        let indexed = rows::index_unindexed(&mut tx).await?;
        tx.commit().await.map_err(pg_error)?;
        if indexed > 0 {
            tracing::info!(indexed, "indexed earlier messages for search");
        }
        Ok(store)
    }

    pub(super) async fn begin(&self) -> StoreResult<Tx> {
        self.pool
            .begin_with(self.begin.clone())
            .await
            .map_err(pg_error)
    }
}

/// Sorts a PostgreSQL error into "try again later", "already exists" and "a bug
/// or corruption", by SQLSTATE. The message names the reason.
pub(super) fn pg_error(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            let retryable = match code.as_str() {
                "40001" => Some("serialization failure"),
                "40P01" => Some("deadlock detected"),
                "55P03" => Some("lock not available within the busy timeout"),
                "57P01" => Some("the server is shutting down"),
                "57P02" => Some("the server crashed"),
                "57P03" => Some("the server is starting or in recovery"),
                "57014" => Some("the statement was cancelled (a statement timeout)"),
                "53100" => Some("the server's disk is full"),
                "53200" => Some("the server is out of memory"),
                "53300" => Some("too many connections"),
                c if c.starts_with("08") => Some("connection lost or refused"),
                _ => None,
            };
            match retryable {
                Some(reason) => {
                    StoreError::Unavailable(format!("{reason} ({code}): {}", db.message()))
                }
                None if code == "23505" => StoreError::Duplicate(db.message().to_owned()),
                None => StoreError::Internal(format!("{} ({code})", db.message())),
            }
        }
        sqlx::Error::PoolTimedOut => {
            StoreError::Unavailable("no database connection free in time (pool timed out)".into())
        }
        sqlx::Error::PoolClosed => StoreError::Unavailable("the connection pool is closed".into()),
        sqlx::Error::Io(e) => {
            StoreError::Unavailable(format!("i/o error talking to the database: {e}"))
        }
        _ => StoreError::Internal(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::throwaway;
    use crate::store::{Store, StoreError, StoreOptions};
    use std::sync::Arc;

    async fn open() -> Option<(Arc<dyn Store>, ())> {
        let url = throwaway::database().await?;
        let store = super::PgStore::open(&url, &StoreOptions::default())
            .await
            .unwrap();
        Some((Arc::new(store), ()))
    }

    crate::store_conformance!(open);

    fn names(dir: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Both backends migrate through the same steps: a step with no meaning on one
    /// of them is a file holding a comment there.
    #[test]
    fn both_migration_folders_name_the_same_steps() {
        let sqlite = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"));
        let postgres = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"));
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, postgres);
    }

    /// The `From<sqlx::Error>` impl for `StoreError` is SQLite's and applies to any
    /// `?` on a sqlx error, so a PostgreSQL error behind a bare `?` would be sorted by
    /// SQLite's codes. Every query here must map its error with `pg_error`.
    #[test]
    fn every_query_maps_its_error_as_postgresql() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/store/postgres");
        // The throwaway server is test code: it may unwrap what it calls.
        for name in names(dir).into_iter().filter(|n| n != "throwaway.rs") {
            let source = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
            let source = source.split("#[cfg(test)]").next().unwrap_or_default();
            for (at, _) in source.match_indices(".await") {
                // The statement so far, from the previous `;` or `.await` on.
                let call = &source[..at];
                let start = [call.rfind(';'), call.rfind(".await")]
                    .into_iter()
                    .flatten()
                    .max()
                    .map_or(0, |i| i + 1);
                let call = &call[start..];
                let is_sqlx = [
                    ".execute(",
                    ".fetch_one(",
                    ".fetch_optional(",
                    ".fetch_all(",
                    ".commit()",
                    ".acquire()",
                    ".begin_with(",
                    "connect_with(",
                ]
                .iter()
                .any(|m| call.contains(m));
                let rest = &source[at + ".await".len()..];
                let mapped = rest.trim_start().starts_with(".map_err(");
                let line = source[..at].lines().count();
                assert!(
                    !is_sqlx || mapped,
                    "{name}:{line}: a sqlx call without .map_err(pg_error)"
                );
            }
        }
    }

    fn unavailable(err: StoreError, reason: &str) {
        match err {
            StoreError::Unavailable(message) => {
                assert!(message.contains(reason), "{message:?} names {reason:?}")
            }
            other => panic!("expected unavailable ({reason}), got {other:?}"),
        }
    }

    #[test]
    fn pool_and_io_errors_are_worth_a_retry() {
        unavailable(super::pg_error(sqlx::Error::PoolTimedOut), "timed out");
        unavailable(super::pg_error(sqlx::Error::PoolClosed), "closed");
        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        unavailable(super::pg_error(sqlx::Error::Io(reset)), "reset by peer");
        assert!(matches!(
            super::pg_error(sqlx::Error::RowNotFound),
            StoreError::Internal(_)
        ));
    }

    /// Each SQLSTATE as the server itself reports it (`RAISE … USING ERRCODE`).
    #[tokio::test]
    async fn sqlstates_sort_into_retry_duplicate_or_internal() {
        let Some(url) = throwaway::database().await else {
            return;
        };
        let store = super::PgStore::open(&url, &StoreOptions::default())
            .await
            .unwrap();
        let raise = |code: &'static str| {
            let pool = store.pool.clone();
            async move {
                let sql = format!(
                    "DO $$ BEGIN RAISE EXCEPTION 'raised {code}' USING ERRCODE = '{code}'; END $$"
                );
                let err = sqlx::raw_sql(&sql).execute(&pool).await.unwrap_err();
                super::pg_error(err)
            }
        };
        for (code, reason) in [
            ("40001", "serialization failure"),
            ("40P01", "deadlock"),
            ("55P03", "lock not available"),
            ("57P01", "shutting down"),
            ("57P02", "crashed"),
            ("57P03", "starting"),
            ("57014", "cancelled"),
            ("53100", "disk is full"),
            ("53200", "out of memory"),
            ("08006", "connection"),
            ("08001", "connection"),
            ("53300", "too many connections"),
        ] {
            unavailable(raise(code).await, reason);
        }
        assert!(matches!(raise("23505").await, StoreError::Duplicate(m) if m == "raised 23505"));
        for code in ["23503", "42P01", "22P02", "XX000"] {
            assert!(
                matches!(raise(code).await, StoreError::Internal(ref m) if m.contains(code)),
                "{code}"
            );
        }
    }

    /// A database migrated only up to the migrations named before `version`, as
    /// an older server would have left it; returns its URL and a pool on it.
    async fn database_before(version: &str) -> Option<(String, sqlx::PgPool)> {
        let url = throwaway::empty_database().await?;
        let old = tempfile::tempdir().unwrap();
        for entry in
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres")).unwrap()
        {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.as_str() < version {
                std::fs::copy(&path, old.path().join(name)).unwrap();
            }
        }
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        sqlx::migrate::Migrator::new(old.path())
            .await
            .unwrap()
            .run(&pool)
            .await
            .unwrap();
        Some((url, pool))
    }

    /// As on SQLite: a database from before the rule "one open direct conversation
    /// per visitor" keeps the one an agent took, else the oldest.
    #[tokio::test]
    async fn the_migration_keeps_one_open_direct_conversation_per_visitor() {
        let Some((url, pool)) = database_before("0004").await else {
            return;
        };
        for (id, visitor, state, at) in [
            ("a", "v", "queued", 1_i64),
            ("b", "v", "active", 2),
            ("c", "v", "queued", 3),
            ("d", "w", "queued", 1),
            ("e", "w", "queued", 2),
        ] {
            sqlx::query(
                "INSERT INTO conversations (id, kind, state, last_seq, created_at)
                 VALUES ($1, 'direct', $2, 1, $3)",
            )
            .bind(id)
            .bind(state)
            .bind(at)
            .execute(&pool)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO participants (conversation_id, role, participant_id,
                                           display_name, joined_seq, joined_at)
                 VALUES ($1, 'visitor', $2, 'V', 1, $3)",
            )
            .bind(id)
            .bind(visitor)
            .bind(at)
            .execute(&pool)
            .await
            .unwrap();
        }
        pool.close().await;
        let store = super::PgStore::open(&url, &StoreOptions::default())
            .await
            .unwrap();
        let open: Vec<String> =
            sqlx::query_scalar("SELECT id FROM conversations WHERE state <> 'closed' ORDER BY id")
                .fetch_all(&store.pool)
                .await
                .unwrap();
        assert_eq!(open, ["b", "d"]);
    }

    /// Text messages with no search terms (from before the index, or copied in)
    /// are found once the server has started on the database.
    #[tokio::test]
    async fn messages_from_before_the_search_index_are_indexed_at_start() {
        let Some((url, pool)) = database_before("0006").await else {
            return;
        };
        sqlx::query(
            "INSERT INTO conversations (id, kind, state, last_seq, created_at)
             VALUES ('00000000-0000-0000-0000-000000000001', 'group', 'closed', 2, 1)",
        )
        .execute(&pool)
        .await
        .unwrap();
        for (seq, body) in [(1_i64, "我要退款"), (2, "thanks")] {
            sqlx::query(
                "INSERT INTO messages (conversation_id, seq, client_msg_id, kind, body, created_at)
                 VALUES ('00000000-0000-0000-0000-000000000001', $1, $2, 'text', $3, 1)",
            )
            .bind(seq)
            .bind(format!("00000000-0000-0000-0000-00000000000{seq}"))
            .bind(body)
            .execute(&pool)
            .await
            .unwrap();
        }
        pool.close().await;
        for _ in 0..2 {
            // Opened twice: the second start indexes nothing again.
            let store = super::PgStore::open(&url, &StoreOptions::default())
                .await
                .unwrap();
            let hits = crate::store::HistoryStore::search(&store, "退款", &Default::default(), 10)
                .await
                .unwrap();
            assert_eq!(hits.iter().map(|h| h.seq).collect::<Vec<_>>(), [1]);
            let mut tx = store.begin().await.unwrap();
            assert_eq!(super::rows::index_unindexed(&mut tx).await.unwrap(), 0);
        }
    }

    /// The look-ups of every stored message read only their conversation's rows
    /// even before PostgreSQL has statistics of the table (filled faster than
    /// autovacuum analyses it): without migration 0026, "who is in it now" read
    /// every current member of the site.
    #[tokio::test]
    async fn a_message_s_look_ups_read_only_its_conversation_without_statistics() {
        let Some(url) = throwaway::database().await else {
            return;
        };
        let _store = super::PgStore::open(&url, &StoreOptions::default())
            .await
            .unwrap();
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        // 1,000 conversations of four visitors and one of twenty agents.
        sqlx::query(
            "INSERT INTO conversations (id, kind, state, last_seq, created_at)
             SELECT 'c' || c, 'group', 'active', 0, 1 FROM generate_series(1, 1000) c",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO participants (conversation_id, role, participant_id, display_name,
                                       joined_seq, joined_at)
             SELECT 'c' || c, CASE WHEN i < 4 THEN 'visitor' ELSE 'agent' END,
                    CASE WHEN i < 4 THEN 'v' || c || '-' || i ELSE 'a' || c % 20 END, 'n', 0, i
             FROM generate_series(1, 1000) c, generate_series(0, 4) i",
        )
        .execute(&pool)
        .await
        .unwrap();
        async fn plan(pool: &sqlx::PgPool, sql: &str, binds: &[&str]) -> String {
            let explain = format!("EXPLAIN ANALYZE {sql}");
            let mut query = sqlx::query_scalar::<_, String>(&explain);
            for bind in binds {
                query = query.bind(bind.to_string());
            }
            query.fetch_all(pool).await.unwrap().join("\n")
        }
        // The batch's statements take arrays: two appends, to two conversations.
        async fn batch_plan(pool: &sqlx::PgPool, sql: &str, binds: &[[&str; 2]]) -> String {
            let explain = format!("EXPLAIN ANALYZE {sql}");
            let mut query = sqlx::query_scalar::<_, String>(&explain);
            for bind in binds {
                query = query.bind(bind.map(str::to_owned).to_vec());
            }
            query.fetch_all(pool).await.unwrap().join("\n")
        }
        // The most rows a step of the plan produced or passed over (the planner's
        // estimates aside).
        let examined = |plan: &str| {
            let most = |marker: &str, then: &str| {
                plan.split(marker)
                    .skip(1)
                    .filter_map(|rest| {
                        let rest = rest.split(then).nth(1)?;
                        // PostgreSQL 18 writes rows as decimals ("rows=5.00").
                        let rows = rest.split([' ', '\n', ')']).next()?.parse::<f64>().ok()?;
                        Some(rows.ceil() as u64)
                    })
                    .max()
                    .unwrap_or(0)
            };
            most("actual time=", "rows=").max(most("Removed by", ": "))
        };
        let members = plan(&pool, super::rows::CURRENT_PARTICIPANTS, &["c7"]).await;
        assert!(examined(&members) <= 5, "{members}");
        // The conversation's members, or at most the member's own conversations
        // (an agent's 50 here): never every member of the site.
        let member = plan(&pool, super::rows::MEMBER_STATE, &["c7", "agent", "a7"]).await;
        assert!(examined(&member) <= 50, "{member}");
        // A batch's look-ups read the batch's conversations (two here) and its
        // authors' own conversations.
        let recipients = batch_plan(&pool, super::appends::RECIPIENTS_OF, &[["c7", "c8"]]).await;
        assert!(examined(&recipients) <= 10, "{recipients}");
        let checks = &super::appends::CHECKS;
        let binds = [
            ["c7", "c8"],
            ["agent", "visitor"],
            ["a7", "v8-1"],
            ["m1", "m2"],
        ];
        let checks = batch_plan(&pool, checks, &binds).await;
        assert!(examined(&checks) <= 50, "{checks}");
    }

    /// Nodes starting together on a new database: the migrator's advisory lock
    /// lets one migrate while the others wait, and then finds nothing to do.
    #[tokio::test]
    async fn nodes_starting_together_migrate_the_database_once() {
        let Some(url) = throwaway::empty_database().await else {
            return;
        };
        let options = StoreOptions::default();
        let opened =
            futures::future::join_all((0..3).map(|_| super::PgStore::open(&url, &options))).await;
        let stores: Vec<super::PgStore> = opened.into_iter().map(Result::unwrap).collect();
        let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
            .fetch_one(&stores[0].pool)
            .await
            .unwrap();
        assert_eq!(
            applied as usize,
            names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres")).len()
        );
    }

    /// `store::open` picks the backend by the URL's scheme.
    #[tokio::test]
    async fn postgres_urls_open_postgresql_and_unknown_schemes_are_refused() {
        let err = crate::store::open("mysql://root:secret@db/chat", &StoreOptions::default())
            .await
            .err()
            .unwrap();
        let message = err.to_string();
        assert!(message.contains("'mysql'"), "{message}");
        assert!(!message.contains("secret"), "no password in {message}");
        let Some(url) = throwaway::database().await else {
            return;
        };
        for scheme in ["postgres", "postgresql"] {
            let url = url.replacen("postgres", scheme, 1);
            let store = crate::store::open(&url, &StoreOptions::default())
                .await
                .unwrap();
            assert!(store.agents().await.unwrap().is_empty());
        }
    }
}
