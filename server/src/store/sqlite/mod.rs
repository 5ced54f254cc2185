//! [`Store`](super::Store) on SQLite: one embedded file, zero set-up.
//!
//! Durability: WAL journal with `synchronous = NORMAL`. A transaction is in the WAL
//! file when `COMMIT` returns, so it survives the server process crashing (kill -9);
//! only an operating-system crash or power cut can lose the last moments, which a
//! `synchronous = FULL` setting would trade for an fsync per message.
//!
//! Messages are stored by the group commit ([`group_commit`]), on a connection of its
//! own, many to a transaction; every other write goes through sqlx's one
//! writer connection. The two take turns ([`group_commit::WriteTurn`]), so the
//! transactions of this process never race each other for SQLite's write lock; reads
//! use a small pool of their own. Checkpoints run on a thread of their own
//! ([`checkpoint`]), never inside a commit.

mod agents;
mod api_tokens;
mod audit;
mod canned_replies;
mod checkpoint;
mod conversations;
mod departments;
mod files;
mod group_commit;
mod history;
mod invitation_rules;
mod invitations;
mod offline_messages;
mod privacy;
mod ratings;
mod reports;
mod rows;
mod sessions;
mod visitors;
mod webhooks;
mod websites;

use super::{StoreError, StoreOptions, StoreResult};
use crate::chat::events::Changed;
use checkpoint::Checkpointer;
use group_commit::{GroupCommit, WriteTurn};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, SqliteConnection};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::OwnedMutexGuard;

/// How long a write waits by default for a lock held by another process before
/// giving up with a retryable error.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    /// Taken by every write on `writer`, and by the group commit for each batch.
    turn: WriteTurn,
    group_commit: GroupCommit,
    /// Copies the WAL back into the database file ([`checkpoint`]).
    _checkpointer: Checkpointer,
}

/// A write transaction on the writer connection (`BEGIN IMMEDIATE` … `COMMIT`).
///
/// Transactions are begun and ended with plain statements rather than sqlx's
/// transaction type, whose bookkeeping does not survive a failed `COMMIT` (a full disk,
/// an I/O error): the writer would stay "inside" a transaction for good. One dropped
/// without a commit is rolled back before its connection goes back to the pool; a
/// connection that cannot begin or roll back is closed, and the pool opens another.
pub(super) struct WriteTx {
    conn: Option<PoolConnection<Sqlite>>,
    turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub(super) async fn begin(store: &SqliteStore) -> StoreResult<WriteTx> {
        Self::begin_on(&store.writer, &store.turn).await
    }

    async fn begin_on(writer: &SqlitePool, turn: &WriteTurn) -> StoreResult<WriteTx> {
        let turn = turn.clone().lock_owned().await;
        let mut conn = writer.acquire().await?;
        if let Err(err) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
            conn.close_on_drop();
            return Err(err.into());
        }
        Ok(WriteTx {
            conn: Some(conn),
            turn: Some(turn),
        })
    }

    /// Writes the webhook events of `changed` to the outbox, then commits the
    /// change and its events together.
    pub(super) async fn commit_changed(mut self, changed: &Changed) -> StoreResult<()> {
        webhooks::record_outbox(&mut self, changed, crate::clock::now_ms()).await?;
        self.commit().await
    }

    pub(super) async fn commit(mut self) -> StoreResult<()> {
        sqlx::query("COMMIT").execute(&mut *self).await?;
        // Committed: the connection goes straight back to the pool, the turn to the
        // next writer.
        drop(self.conn.take());
        drop(self.turn.take());
        Ok(())
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        let turn = self.turn.take();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            conn.close_on_drop();
            return;
        };
        // The turn is kept until the rollback is done: the next write waits for it.
        runtime.spawn(async move {
            if let Err(err) = sqlx::query("ROLLBACK").execute(&mut *conn).await {
                // SQLite rolls back by itself after some errors; then there is
                // nothing to roll back. Anything else: start afresh.
                if !err.to_string().contains("no transaction is active") {
                    tracing::warn!(%err, "rollback failed; replacing the writer connection");
                    conn.close_on_drop();
                }
            }
            drop(conn);
            drop(turn);
        });
    }
}

/// sqlx's writer connection outside a transaction, for single-statement writes
/// (each its own transaction), in its turn.
pub(super) struct Write {
    conn: PoolConnection<Sqlite>,
    _turn: OwnedMutexGuard<()>,
}

impl SqliteStore {
    pub(super) async fn write(&self) -> StoreResult<Write> {
        let turn = self.turn.clone().lock_owned().await;
        let conn = self.writer.acquire().await?;
        Ok(Write { conn, _turn: turn })
    }
}

impl std::ops::Deref for Write {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Write {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }
}

impl std::ops::Deref for WriteTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        // Only `commit` and `drop` take the connection, and both consume the value.
        self.conn.as_ref().expect("an open write transaction")
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn.as_mut().expect("an open write transaction")
    }
}

impl SqliteStore {
    /// Opens (creating if missing) the database at a `sqlite://` URL and migrates it.
    pub async fn open(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let busy_timeout = options.busy_timeout;
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| {
                StoreError::Internal(format!(
                    "invalid database url '{url}': {e}; expected e.g. sqlite://data/chat.db"
                ))
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(busy_timeout)
            .foreign_keys(true)
            // The checkpoint thread copies the WAL back, not a writer's commit.
            .pragma("wal_autocheckpoint", "0");
        let file = options.get_filename().to_path_buf();
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(StoreError::Internal(format!(
                "'{url}' is an in-memory database, which the store does not support; \
                 give a file, e.g. sqlite://data/chat.db"
            )));
        }
        if let Some(parent) = file.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StoreError::Unavailable(format!(
                        "cannot create the folder '{}': {e}",
                        parent.display()
                    ))
                })?;
            }
        }
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(busy_timeout * 2)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&writer)
            .await
            .map_err(|e| StoreError::Internal(format!("migrating the database: {e}")))?;
        let turn = WriteTurn::default();
        {
            let mut tx = WriteTx::begin_on(&writer, &turn).await?;
            let indexed = rows::index_unindexed(&mut tx).await?;
            tx.commit().await?;
            if indexed > 0 {
                tracing::info!(indexed, "indexed earlier messages for search");
            }
        }
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(busy_timeout * 2)
            .connect_with(options.read_only(true))
            .await?;
        let group_commit = GroupCommit::start(&file, busy_timeout, turn.clone())?;
        let checkpointer = Checkpointer::start(&file)?;
        Ok(Self {
            writer,
            reader,
            turn,
            group_commit,
            _checkpointer: checkpointer,
        })
    }
}

/// Sorts a database error into "try again later", "already exists" and "a bug or
/// corruption".
impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) => {
                // SQLite primary result codes: BUSY 5, LOCKED 6, READONLY 8, IOERR 10,
                // FULL 13, CANTOPEN 14. The extended code's low byte is the primary code.
                let primary = db
                    .code()
                    .and_then(|c| c.parse::<i32>().ok())
                    .map(|c| c & 0xff);
                match primary {
                    Some(5 | 6 | 8 | 10 | 13 | 14) => {
                        StoreError::Unavailable(db.message().to_owned())
                    }
                    _ if db.is_unique_violation() => StoreError::Duplicate(db.message().to_owned()),
                    _ => StoreError::Internal(db.message().to_owned()),
                }
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                StoreError::Unavailable(err.to_string())
            }
            _ => StoreError::Internal(err.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::store::conformance::{queued, text};
    use crate::store::{ConversationStore, Store, StoreOptions};
    use std::str::FromStr;
    use std::sync::Arc;

    async fn open() -> (Arc<dyn Store>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/nested/chat.db", dir.path().display());
        let store = super::SqliteStore::open(&url, &StoreOptions::default())
            .await
            .unwrap();
        (Arc::new(store), dir)
    }

    crate::store_conformance!(open);

    /// A store on `chat.db` in `dir`, and the database's URL.
    async fn open_in(dir: &std::path::Path) -> (super::SqliteStore, String) {
        let url = format!("sqlite://{}/chat.db", dir.display());
        let store = super::SqliteStore::open(&url, &StoreOptions::default())
            .await
            .unwrap();
        (store, url)
    }

    /// A database in `dir` migrated only up to the migrations named before
    /// `version`, as an older server left it; returns its URL and a pool on it.
    async fn database_before(dir: &std::path::Path, version: &str) -> (String, sqlx::SqlitePool) {
        let old = dir.join("old-migrations");
        std::fs::create_dir(&old).unwrap();
        for entry in
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite")).unwrap()
        {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.as_str() < version {
                std::fs::copy(&path, old.join(name)).unwrap();
            }
        }
        let url = format!("sqlite://{}/chat.db", dir.display());
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
            .unwrap()
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::migrate::Migrator::new(old.as_path())
            .await
            .unwrap()
            .run(&pool)
            .await
            .unwrap();
        (url, pool)
    }

    /// A database from before the rule "one open direct conversation per visitor"
    /// may hold several: the migration keeps the one an agent took, else the oldest.
    #[tokio::test]
    async fn the_migration_keeps_one_open_direct_conversation_per_visitor() {
        let dir = tempfile::tempdir().unwrap();
        let (url, pool) = database_before(dir.path(), "0004").await;
        {
            // Visitor v: queued 'a' (oldest), 'b' taken by an agent, queued 'c'.
            // Visitor w: queued 'd' and a newer queued 'e'.
            for (id, visitor, state, at) in [
                ("a", "v", "queued", 1),
                ("b", "v", "active", 2),
                ("c", "v", "queued", 3),
                ("d", "w", "queued", 1),
                ("e", "w", "queued", 2),
            ] {
                sqlx::query(
                    "INSERT INTO conversations (id, kind, state, last_seq, created_at)
                     VALUES (?, 'direct', ?, 1, ?)",
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
                     VALUES (?, 'visitor', ?, 'V', 1, ?)",
                )
                .bind(id)
                .bind(visitor)
                .bind(at)
                .execute(&pool)
                .await
                .unwrap();
            }
            pool.close().await;
        }
        let store = super::SqliteStore::open(&url, &StoreOptions::default())
            .await
            .unwrap();
        let open: Vec<String> =
            sqlx::query_scalar("SELECT id FROM conversations WHERE state != 'closed' ORDER BY id")
                .fetch_all(&store.reader)
                .await
                .unwrap();
        assert_eq!(open, ["b", "d"]);
    }

    /// Messages written before the search index existed are found once a newer
    /// server has opened the database.
    #[tokio::test]
    async fn messages_from_before_the_search_index_are_indexed_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let (url, pool) = database_before(dir.path(), "0006").await;
        sqlx::query(
            "INSERT INTO conversations (id, kind, state, last_seq, created_at)
             VALUES ('00000000-0000-0000-0000-000000000001', 'group', 'closed', 2, 1)",
        )
        .execute(&pool)
        .await
        .unwrap();
        for (seq, body) in [(1, "我要退款"), (2, "thanks")] {
            sqlx::query(
                "INSERT INTO messages (conversation_id, seq, client_msg_id, kind, body, created_at)
                 VALUES ('00000000-0000-0000-0000-000000000001', ?, ?, 'text', ?, 1)",
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
            let store = super::SqliteStore::open(&url, &StoreOptions::default())
                .await
                .unwrap();
            let hits = crate::store::HistoryStore::search(&store, "退款", &Default::default(), 10)
                .await
                .unwrap();
            assert_eq!(hits.iter().map(|h| h.seq).collect::<Vec<_>>(), [1]);
        }
    }

    /// A batch that finds the file locked by another process waits for the lock on
    /// a blocking thread: the runtime (here of one thread) goes on meanwhile, and
    /// the message is stored once the lock is released.
    #[tokio::test]
    async fn a_message_waits_for_a_lock_off_the_runtime_and_is_stored_once_it_is_free() {
        use sqlx::Connection;
        let dir = tempfile::tempdir().unwrap();
        let (store, url) = open_in(dir.path()).await;
        let store = Arc::new(store);
        let (id, visitor) = queued(&*store).await;
        let me = app::ids::Participant::Visitor(visitor.id);

        let mut other = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut other)
            .await
            .unwrap();
        let append = tokio::spawn({
            let store = store.clone();
            let message = text(me, &visitor.name, "sent while locked");
            async move { store.append(id, me, message).await }
        });
        let started = std::time::Instant::now();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "the runtime was held up while the append waited for the lock"
        );
        assert!(!append.is_finished(), "the append waits for the lock");
        sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
        let appended = append.await.unwrap().expect("stored once the lock is free");
        assert_eq!(appended.seq, 2);
    }

    /// Text messages are indexed for search soon after they are stored, with no
    /// search to ask for it.
    #[tokio::test]
    async fn a_stored_message_is_indexed_once_messages_pause() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open_in(dir.path()).await;
        let (id, visitor) = queued(&store).await;
        let me = app::ids::Participant::Visitor(visitor.id);
        let message = text(me, &visitor.name, "indexed later");
        let appended = store.append(id, me, message).await.unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let search_id: Option<i64> = sqlx::query_scalar(
                "SELECT search_id FROM messages WHERE conversation_id = ? AND seq = ?",
            )
            .bind(id.to_string())
            .bind(appended.seq as i64)
            .fetch_one(&store.reader)
            .await
            .unwrap();
            if search_id.is_some() {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "never indexed");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The store's connections never checkpoint in a commit; its own thread copies
    /// the WAL into the database file soon after.
    #[tokio::test]
    async fn the_wal_is_copied_into_the_database_file_by_the_checkpoint_thread() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open_in(dir.path()).await;
        let file = dir.path().join("chat.db");
        let size = || std::fs::metadata(&file).unwrap().len();
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        let before = size();
        sqlx::query("CREATE TABLE scratch (x BLOB)")
            .execute(&store.writer)
            .await
            .unwrap();
        for _ in 0..500 {
            sqlx::query("INSERT INTO scratch VALUES (zeroblob(4000))")
                .execute(&store.writer)
                .await
                .unwrap();
        }
        // In WAL mode the database file grows only by checkpoints.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while size() < before + 500 * 4000 {
            assert!(
                std::time::Instant::now() < deadline,
                "the WAL was not checkpointed: {} bytes, {before} before",
                size()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}
