//! Group commit: every message waiting to be stored goes into one transaction.
//!
//! Messages are most of what the store writes. sqlx runs a SQLite connection on a
//! thread of its own and hands it each statement over a channel, so a message of
//! seven statements cost fourteen thread switches (see `docs/performance.md`).
//! Here one thread owns a connection of its own (rusqlite) and does the whole of
//! an append on it: the async side hands over a request and is woken once, when
//! the commit that holds its message is done.
//!
//! The thread takes every request waiting when it wakes (up to [`MAX_BATCH`]),
//! across conversations, and stores them in one `BEGIN IMMEDIATE` … `COMMIT`: the
//! transaction, the WAL write and the wake-up are shared by the batch. Each
//! request keeps its own answer: stored (with its sequence number), a duplicate of
//! one stored before, or refused by the rules (not a member, closed, id
//! conflict). A database error fails the whole batch: it is rolled back, and every
//! request of it fails with the retryable [`StoreError::Unavailable`], none stored.
//! No one is answered before the commit, so an acknowledgement still means the
//! message is in the WAL file ([`docs/durability.md`]).
//!
//! Text messages are indexed for search after their batch, not in it: the full-text
//! index (FTS5) writes a segment of its own at every commit, which cost more than the
//! message. The thread indexes what it stored in one transaction of its own once
//! [`INDEX_EVERY`] has passed or the queue is empty for [`INDEX_WHEN_IDLE`], and
//! before any search ([`GroupCommit::index_now`]), so a search still finds every
//! message stored before it; after a crash, the store indexes what was left when it
//! opens.
//!
//! The other writes (joins, invitations, sessions, …) stay on sqlx's writer
//! connection. SQLite lets one connection write at a time; the two writers take
//! turns through [`WriteTurn`] instead of through SQLite's busy handler, which
//! sleeps a millisecond or more when it finds the file locked.

use super::rows::{body_from, body_parts, participant_from, participant_parts, visibility_from};
use super::rows::{INSERT_MESSAGE, INSERT_SEARCH_TERMS, RECIPIENTS};
use crate::chat::events::{Changed, Event};
use crate::chat::rules::{self, Resend};
use crate::store::{search, Appended, NewMessage, Refusal, StoreError, StoreResult};
use app::ids::{ConversationId, Participant};
use app::protocol::{Body, ConversationState};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use uuid::Uuid;

/// Most appends stored in one transaction; more wait for the next.
pub const MAX_BATCH: usize = 512;

/// The group commit's page cache, in KiB.
const CACHE_KIB: u32 = 8 * 1024;

/// Longest a stored text message waits to be indexed while messages keep coming.
/// Every message stored meanwhile waits for the indexing to end: at 1,000
/// messages a second, a second's worth took about 6 ms, which held up the
/// slowest percent of messages; a tenth of a second's takes under one.
const INDEX_EVERY: Duration = Duration::from_millis(100);

/// How long indexing waits after a failure before it is tried again.
const INDEX_RETRY: Duration = Duration::from_secs(1);

/// Indexing waits for a pause this long in the stream of messages.
const INDEX_WHEN_IDLE: Duration = Duration::from_millis(50);

/// Whose turn it is to write: sqlx's writer connection or the group commit.
pub(super) type WriteTurn = Arc<tokio::sync::Mutex<()>>;

/// What the thread is asked to do. Nearly every task is an append, so boxing it to
/// make the rare `Index` smaller would only add an allocation per message.
#[allow(clippy::large_enum_variant)]
enum Task {
    Append(Request),
    /// Index every stored message now (a search is about to run).
    Index(oneshot::Sender<StoreResult<()>>),
}

/// One append waiting to be stored, and where its answer goes.
struct Request {
    conversation: ConversationId,
    author: Participant,
    message: NewMessage,
    answer: oneshot::Sender<StoreResult<Appended>>,
}

/// The async side's handle on the group-commit thread. Dropping it ends the thread
/// once the requests already handed over are answered.
pub(super) struct GroupCommit {
    requests: mpsc::Sender<Task>,
}

impl GroupCommit {
    /// Opens a second connection to the (already migrated) database file and starts
    /// the thread that owns it.
    pub(super) fn start(
        file: &Path,
        busy_timeout: Duration,
        turn: WriteTurn,
    ) -> StoreResult<GroupCommit> {
        let conn = Connection::open(file)
            .map_err(|e| StoreError::Unavailable(format!("opening '{}': {e}", file.display())))?;
        conn.busy_timeout(busy_timeout).map_err(storage_error)?;
        // The journal mode is the file's (set by the first connection); these are
        // the connection's own, and must match the other connections'.
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0;",
        )
        .map_err(storage_error)?;
        // Every append reads the pages of a conversation, its participants and the
        // indexes of messages; a page cache bigger than SQLite's 2 MiB default keeps
        // the busy ones from being read again from the operating system.
        conn.execute_batch(&format!("PRAGMA cache_size = -{CACHE_KIB};"))
            .map_err(storage_error)?;
        // Room for every statement of the batch, the indexing and the webhooks'
        // outbox (rusqlite keeps 16 by default, and drops the oldest beyond).
        conn.set_prepared_statement_cache_capacity(64);
        let (requests, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-group-commit".into())
            .spawn(move || run(conn, queue, turn))
            .map_err(|e| StoreError::Internal(format!("starting the group commit: {e}")))?;
        Ok(GroupCommit { requests })
    }

    /// Stores one message, answering once the transaction that holds it committed.
    pub(super) async fn append(
        &self,
        conversation: ConversationId,
        author: Participant,
        message: NewMessage,
    ) -> StoreResult<Appended> {
        let (answer, answered) = oneshot::channel();
        let request = Request {
            conversation,
            author,
            message,
            answer,
        };
        self.requests
            .send(Task::Append(request))
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }

    /// Indexes every message stored so far for search; returns once it is done.
    pub(super) async fn index_now(&self) -> StoreResult<()> {
        let (answer, answered) = oneshot::channel();
        self.requests
            .send(Task::Index(answer))
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the group commit has stopped".into())
}

/// The thread: waits for a request, takes every other one waiting, stores them all
/// in one transaction, answers each; indexes what it stored now and then.
fn run(conn: Connection, queue: mpsc::Receiver<Task>, turn: WriteTurn) {
    let mut unindexed = Unindexed::default();
    loop {
        let first = if unindexed.is_empty() {
            queue
                .recv()
                .map_err(|_| mpsc::RecvTimeoutError::Disconnected)
        } else {
            queue.recv_timeout(INDEX_WHEN_IDLE)
        };
        let first = match first {
            Ok(task) => task,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // A failure is logged, and the messages stay for the next try, a
                // second later.
                if !unindexed.failed_recently() {
                    let _ = unindexed.index(&conn, &turn);
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let mut batch = Vec::new();
        let mut searches = Vec::new();
        let mut next = Some(first);
        while let Some(task) = next.take() {
            match task {
                Task::Append(request) => batch.push(request),
                Task::Index(answer) => searches.push(answer),
            }
            if batch.len() < MAX_BATCH {
                next = queue.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            let answers = {
                let _turn = turn.blocking_lock();
                store_batch(&conn, &batch)
            };
            for (request, answer) in batch.into_iter().zip(answers) {
                if let Ok(appended) = &answer {
                    if !appended.changed.is_empty() {
                        if let Body::Text { .. } = request.message.body {
                            unindexed.add(request.conversation, appended.seq);
                        }
                    }
                }
                // A sender that gave up waiting no longer hears; its message stays stored.
                let _ = request.answer.send(answer);
            }
        }
        if !searches.is_empty() || unindexed.is_due() {
            let indexed = unindexed.index(&conn, &turn);
            for answer in searches {
                let _ = answer.send(match &indexed {
                    Ok(()) => Ok(()),
                    Err(err) => Err(StoreError::Unavailable(err.to_string())),
                });
            }
        }
    }
    let _ = unindexed.index(&conn, &turn);
}

/// Text messages stored and not yet indexed for search.
#[derive(Default)]
struct Unindexed {
    entries: Vec<(ConversationId, u64)>,
    /// When the oldest of them was stored, or the last failed try.
    since: Option<std::time::Instant>,
    /// Whether the last try failed (then the next waits for [`INDEX_RETRY`]).
    failed: bool,
}

impl Unindexed {
    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn add(&mut self, conversation: ConversationId, seq: u64) {
        self.since.get_or_insert_with(std::time::Instant::now);
        self.entries.push((conversation, seq));
    }

    fn is_due(&self) -> bool {
        let wait = if self.failed {
            INDEX_RETRY
        } else {
            INDEX_EVERY
        };
        self.since.is_some_and(|since| since.elapsed() >= wait)
    }

    fn failed_recently(&self) -> bool {
        self.failed && !self.is_due()
    }

    /// Indexes them all in one transaction. On failure they stay to be tried again
    /// (and are indexed when the store next opens, if never).
    fn index(&mut self, conn: &Connection, turn: &WriteTurn) -> StoreResult<()> {
        if self.entries.is_empty() {
            return Ok(());
        }
        let _turn = turn.blocking_lock();
        match index_entries(conn, &self.entries) {
            Ok(()) => {
                self.entries.clear();
                self.since = None;
                self.failed = false;
                Ok(())
            }
            Err(err) => {
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                self.since = Some(std::time::Instant::now());
                self.failed = true;
                tracing::warn!(%err, messages = self.entries.len(), "indexing messages for search");
                Err(storage_error(err))
            }
        }
    }
}

fn index_entries(conn: &Connection, entries: &[(ConversationId, u64)]) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let mut next: i64 = conn
        .prepare_cached(
            "SELECT COALESCE(MAX(search_id), 0) FROM messages WHERE search_id IS NOT NULL",
        )?
        .query_row([], |row| row.get(0))?;
    for (conversation, seq) in entries {
        let text: Option<String> = conn
            .prepare_cached(
                "SELECT body FROM messages
                 WHERE conversation_id = ?1 AND seq = ?2 AND kind = 'text' AND search_id IS NULL",
            )?
            .query_row(params![conversation.to_string(), *seq as i64], |row| {
                row.get(0)
            })
            .optional()?;
        // Gone (deleted) or indexed meanwhile: nothing to do.
        let Some(text) = text else { continue };
        next += 1;
        conn.prepare_cached(
            "UPDATE messages SET search_id = ?1 WHERE conversation_id = ?2 AND seq = ?3",
        )?
        .execute(params![next, conversation.to_string(), *seq as i64])?;
        conn.prepare_cached(INSERT_SEARCH_TERMS)?
            .execute(params![next, search::index_text(&text)])?;
    }
    conn.execute_batch("COMMIT")
}

/// Stores a batch in one transaction; one answer per request, in order.
fn store_batch(conn: &Connection, batch: &[Request]) -> Vec<StoreResult<Appended>> {
    match try_store_batch(conn, batch) {
        Ok(answers) => answers,
        Err(err) => {
            // SQLite rolls some failures back by itself (a full disk, an I/O error);
            // whatever is still open is rolled back here, so nothing of it stays.
            if !conn.is_autocommit() {
                if let Err(rollback) = conn.execute_batch("ROLLBACK") {
                    tracing::warn!(%rollback, "rolling back a failed batch");
                }
            }
            tracing::warn!(%err, appends = batch.len(), "a batch of messages was not stored");
            let reason = storage_error(err).to_string();
            batch
                .iter()
                .map(|_| Err(StoreError::Unavailable(reason.clone())))
                .collect()
        }
    }
}

fn try_store_batch(
    conn: &Connection,
    batch: &[Request],
) -> rusqlite::Result<Vec<StoreResult<Appended>>> {
    // Prepared once and kept, like every statement of the batch: `execute_batch`
    // would parse them again at every batch.
    conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
    // Nothing but appends happens inside the batch, so a conversation's participants
    // are read once however many of its messages the batch holds.
    let mut recipients: HashMap<ConversationId, Vec<Participant>> = HashMap::new();
    let mut answers = Vec::with_capacity(batch.len());
    for request in batch {
        answers.push(append(conn, request, &mut recipients)?);
    }
    // The webhook events of what was stored, in the same transaction.
    let stored: Vec<&Changed> = answers
        .iter()
        .filter_map(|answer| answer.as_ref().ok().map(|a| &a.changed))
        .collect();
    super::webhooks::record_outbox_on(conn, &stored, crate::clock::now_ms())?;
    conn.prepare_cached("COMMIT")?.execute([])?;
    Ok(answers)
}

/// One append inside the batch's transaction. The outer error is the database's
/// (it fails the batch); the inner result is this request's own answer.
fn append(
    conn: &Connection,
    request: &Request,
    recipients: &mut HashMap<ConversationId, Vec<Participant>>,
) -> rusqlite::Result<StoreResult<Appended>> {
    let Request {
        conversation,
        author,
        message,
        ..
    } = request;
    let conversation_id = conversation.to_string();
    let (role, author_id) = participant_parts(*author);
    // Membership, the conversation's state and an earlier message with the same
    // client id, in one statement.
    let found = conn
        .prepare_cached(
            "SELECT c.state, m.seq, m.author_role, m.author_id, m.kind, m.body, m.visibility
             FROM conversations c
             JOIN participants p ON p.conversation_id = c.id
             LEFT JOIN messages m ON m.conversation_id = c.id AND m.client_msg_id = ?1
             WHERE c.id = ?2 AND p.role = ?3 AND p.participant_id = ?4 AND p.left_at IS NULL",
        )?
        .query_row(
            params![message.id.to_string(), conversation_id, role, author_id],
            |row| {
                Ok(Found {
                    state: row.get(0)?,
                    earlier: match row.get::<_, Option<i64>>(1)? {
                        Some(seq) => Some(Earlier {
                            seq,
                            author_role: row.get(2)?,
                            author_id: row.get(3)?,
                            kind: row.get(4)?,
                            body: row.get(5)?,
                            visibility: row.get(6)?,
                        }),
                        None => None,
                    },
                })
            },
        )
        .optional()?;
    let Some(found) = found else {
        return Ok(Err(Refusal::NotFound.into()));
    };
    match super::rows::state_from(&found.state) {
        Ok(ConversationState::Closed) => return Ok(Err(Refusal::Closed.into())),
        Ok(ConversationState::Queued | ConversationState::Active) => {}
        Err(err) => return Ok(Err(err)),
    }
    if let Some(earlier) = found.earlier {
        return Ok(resend(earlier, *author, message));
    }
    // Read before anything is written, so that a refusal leaves nothing behind.
    let to = match recipients.get(conversation) {
        Some(to) => to.clone(),
        None => {
            let to = match read_recipients(conn, &conversation_id)? {
                Ok(to) => to,
                Err(err) => return Ok(Err(err)),
            };
            recipients.insert(*conversation, to.clone());
            to
        }
    };
    let seq: i64 = conn
        .prepare_cached(
            "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ?1 RETURNING last_seq",
        )?
        .query_row(params![conversation_id], |row| row.get(0))?;
    let (kind, body) = body_parts(&message.body);
    let (written_by, written_by_id) = match &message.author {
        Some(a) => {
            let (role, id) = participant_parts(a.participant);
            (Some(role), Some(id))
        }
        None => (None, None),
    };
    let file = message
        .file
        .as_ref()
        .map(|f| serde_json::to_string(f).expect("file info serialises"));
    let search_id: Option<i64> = conn.prepare_cached(INSERT_MESSAGE)?.query_row(
        params![
            conversation_id,
            seq,
            message.id.to_string(),
            written_by,
            written_by_id,
            message.author.as_ref().map(|a| a.name.as_str()),
            kind,
            body,
            message.at_ms,
            message.visibility.as_str(),
            file,
            // Indexed after the batch (see the module's documentation).
            false,
        ],
        |row| row.get(0),
    )?;
    debug_assert!(search_id.is_none());
    if let (Some(file), Some(uploader), Some(uploader_id)) =
        (&message.file, written_by, &written_by_id)
    {
        conn.prepare_cached(
            "INSERT INTO files (id, conversation_id, uploader_role, uploader_id, name,
                                content_type, size, seq, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )?
        .execute(params![
            file.id.to_string(),
            conversation_id,
            uploader,
            uploader_id,
            file.name,
            file.content_type,
            file.size as i64,
            seq,
            message.at_ms,
        ])?;
    }
    let entry = message.stored(seq as u64);
    Ok(Ok(Appended {
        seq: seq as u64,
        changed: Changed {
            events: vec![Event::Entry {
                conversation_id: *conversation,
                entry,
            }],
            recipients: to,
        },
    }))
}

/// What the first statement of an append found.
struct Found {
    state: String,
    earlier: Option<Earlier>,
}

/// A message stored before under the same client id.
struct Earlier {
    seq: i64,
    author_role: Option<String>,
    author_id: Option<String>,
    kind: String,
    body: String,
    visibility: String,
}

/// The answer to a resend: the stored message's place, or a conflict.
fn resend(earlier: Earlier, author: Participant, message: &NewMessage) -> StoreResult<Appended> {
    let stored_author = match (&earlier.author_role, &earlier.author_id) {
        (Some(role), Some(id)) => Some(participant_from(role, parse_uuid(id)?)?),
        _ => None,
    };
    let body = body_from(&earlier.kind, earlier.body)?;
    let visibility = visibility_from(&earlier.visibility)?;
    let stored = (stored_author, &body, visibility);
    let new = (Some(author), &message.body, message.visibility);
    match rules::resend(stored, new) {
        Resend::Duplicate => Ok(Appended {
            seq: earlier.seq as u64,
            changed: Changed::nothing(),
        }),
        Resend::Conflict => Err(Refusal::IdConflict(message.id).into()),
    }
}

fn read_recipients(
    conn: &Connection,
    conversation_id: &str,
) -> rusqlite::Result<StoreResult<Vec<Participant>>> {
    let mut statement = conn.prepare_cached(RECIPIENTS)?;
    let rows = statement.query_map(params![conversation_id], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
    })?;
    let mut to = Vec::new();
    for row in rows {
        let (role, id) = row?;
        match parse_uuid(&id).and_then(|id| participant_from(&role, id)) {
            Ok(participant) => to.push(participant),
            Err(err) => return Ok(Err(err)),
        }
    }
    Ok(Ok(to))
}

fn parse_uuid(text: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(text).map_err(|e| StoreError::Internal(format!("stored id '{text}': {e}")))
}

/// Sorts a rusqlite error as [`StoreError`]'s `From<sqlx::Error>` sorts sqlx's.
fn storage_error(err: rusqlite::Error) -> StoreError {
    match &err {
        rusqlite::Error::SqliteFailure(failure, _) => {
            // The extended code's low byte is the primary code (see `From<sqlx::Error>`).
            match failure.extended_code & 0xff {
                5 | 6 | 8 | 10 | 13 | 14 => StoreError::Unavailable(err.to_string()),
                // SQLITE_CONSTRAINT_PRIMARYKEY and SQLITE_CONSTRAINT_UNIQUE.
                _ if matches!(failure.extended_code, 1555 | 2067) => {
                    StoreError::Duplicate(err.to_string())
                }
                _ => StoreError::Internal(err.to_string()),
            }
        }
        _ => StoreError::Internal(err.to_string()),
    }
}
