//! Checkpoints on a thread of their own, never in a writer's commit.
//!
//! In WAL mode a commit appends pages to the WAL file, and a *checkpoint* copies
//! them back into the database file (and syncs it) so that the WAL can start over.
//! SQLite runs one inside whichever commit finds the WAL past 1,000 pages: under
//! load that is a commit of the group commit every few hundred messages, and it
//! writes megabytes and syncs twice while every message behind it waits. It held
//! the steady workload's p99 at several times its median
//! (`docs/performance.md`).
//!
//! So the store's connections never checkpoint by themselves
//! (`wal_autocheckpoint = 0`), and this thread runs a *passive* checkpoint every
//! [`EVERY`] on a connection of its own: it takes no writer's lock, so commits go
//! on while it copies; a page changed by many commits in between is copied once.
//! Nothing about durability changes: a commit is in the WAL file when it returns
//! ([`docs/durability.md`]), checkpointed or not.

use rusqlite::Connection;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use crate::store::{StoreError, StoreResult};

/// How often the WAL is copied back into the database file.
const EVERY: Duration = Duration::from_millis(250);

/// The checkpoint thread's handle; dropping it ends the thread (after a last
/// checkpoint).
pub(super) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Opens a connection to the (already migrated) database file and starts the
    /// thread that checkpoints on it.
    pub(super) fn start(file: &Path) -> StoreResult<Checkpointer> {
        let conn = Connection::open(file)
            .map_err(|e| StoreError::Unavailable(format!("opening '{}': {e}", file.display())))?;
        // A passive checkpoint never waits for a lock, so no busy handler; this
        // connection writes nothing of its own.
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;")
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let (stop, stopped) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&conn, &stopped))
            .map_err(|e| StoreError::Internal(format!("starting the checkpoints: {e}")))?;
        Ok(Checkpointer { _stop: stop })
    }
}

fn run(conn: &Connection, stopped: &mpsc::Receiver<()>) {
    let mut failing = false;
    loop {
        let last = matches!(
            stopped.recv_timeout(EVERY),
            Err(mpsc::RecvTimeoutError::Disconnected) | Ok(())
        );
        match checkpoint(conn) {
            Ok(_) if failing => {
                failing = false;
                tracing::info!("checkpoints of the database work again");
            }
            Ok(_) => {}
            // Logged once while it lasts (a full disk, say): the WAL keeps every
            // commit meanwhile, and the next checkpoint copies it all.
            Err(err) if !failing => {
                failing = true;
                tracing::warn!(%err, "checkpointing the database");
            }
            Err(_) => {}
        }
        if last {
            break;
        }
    }
}

/// Copies what it can of the WAL into the database file without waiting for any
/// lock; returns the WAL's pages and how many of them are copied now.
fn checkpoint(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get(1)?, row.get(2)?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passive_checkpoint_copies_the_wal_while_nothing_checkpoints_by_itself() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("chat.db");
        let writer = Connection::open(&file).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE t (x BLOB);",
            )
            .unwrap();
        // Far past SQLite's own threshold of 1,000 pages.
        for _ in 0..1_500 {
            writer
                .execute("INSERT INTO t VALUES (zeroblob(4000))", [])
                .unwrap();
        }
        let reader = Connection::open(&file).unwrap();
        let (log, copied) = checkpoint(&reader).unwrap();
        assert!(log > 1_500, "every commit stayed in the WAL: {log} pages");
        assert_eq!(copied, log, "and the checkpoint copied them all");
        // The WAL starts over at the next commit.
        writer
            .execute("INSERT INTO t VALUES (zeroblob(10))", [])
            .unwrap();
        let (log, _) = checkpoint(&reader).unwrap();
        assert!(log < 10, "the WAL started over: {log} pages");
    }
}
