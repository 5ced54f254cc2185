//! Group commit: every message waiting to be stored goes into one transaction.
//!
//! Messages are most of what the store writes. sqlx runs a SQLite connection on a
//! thread of its own and hands it each statement over a channel, so a message of
//! seven statements cost fourteen thread switches (see `docs/performance.md`).
//! Here the group commit owns a connection of its own (rusqlite) and does the
//! whole of an append on it, in one call.
//!
//! Appends queue up, and one task at a time (the *leader*) stores them: it takes
//! every append waiting (up to [`MAX_BATCH`]), across conversations, stores them in
//! one `BEGIN IMMEDIATE` … `COMMIT` and answers each, then takes what queued
//! meanwhile, until the queue is empty. The transaction, the WAL write and the
//! wake-ups are shared by the batch. A few appends (the usual case below a few
//! thousand messages a second) are stored right on the runtime's thread: handing
//! them to a thread of our own cost that thread two switches per batch and the
//! sender's worker two more, which was more CPU than the commit itself
//! (`docs/performance.md`). A bigger batch, the search indexing and a file locked
//! by another process go to a blocking thread, which keeps taking batches while
//! appends keep coming (the commits then use one core and the connections the
//! other) and waits for a lock up to the store's busy timeout: on the runtime's
//! thread the connection has no busy handler, so the runtime never waits for one.
//!
//! Each request keeps its own answer: stored (with its sequence number), a
//! duplicate of one stored before, or refused by the rules (not a member, closed,
//! id conflict). A database error fails the whole batch: it is rolled back, and
//! every request of it fails with the retryable [`StoreError::Unavailable`], none
//! stored. No one is answered before the commit, so an acknowledgement still means
//! the message is in the WAL file ([`docs/durability.md`]).
//!
//! Text messages are indexed for search after their batch, not in it: the full-text
//! index (FTS5) writes a segment of its own at every commit, which cost more than the
//! message. The leader indexes what was stored in one transaction of its own once
//! [`INDEX_EVERY`] has passed, a timer does once appends pause for
//! [`INDEX_WHEN_IDLE`], and [`GroupCommit::index_now`] does before any search, so a
//! search still finds every message stored before it; after a crash, the store
//! indexes what was left when it opens.
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
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, OwnedMutexGuard};
use uuid::Uuid;

/// Most appends stored in one transaction; more wait for the next.
pub const MAX_BATCH: usize = 512;

/// Most appends a leader stores on the runtime's own thread; a bigger batch is
/// stored on a blocking thread (see [`lead`]).
const INLINE_BATCH: usize = 8;

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

/// What the leader is asked to do. Nearly every task is an append, so boxing it to
/// make the rare `Index` smaller would only add an allocation per message.
#[allow(clippy::large_enum_variant)]
enum Task {
    Append(Request),
    /// Index every stored message now: a search is about to run (and hears when
    /// it is done), or appends paused (the timer, which hears nothing).
    Index(Option<oneshot::Sender<StoreResult<()>>>),
}

/// One append waiting to be stored, and where its answer goes.
struct Request {
    conversation: ConversationId,
    author: Participant,
    message: NewMessage,
    answer: oneshot::Sender<StoreResult<Appended>>,
}

/// The async side's handle on the group commit. Dropping it drops nothing queued:
/// a leader at work stores and answers what it took, and whatever is still queued.
pub(super) struct GroupCommit {
    shared: Arc<Shared>,
}

struct Shared {
    /// The connection and what it stored but has not indexed; only the leader (or
    /// the blocking thread it hands a round to) takes it.
    engine: Mutex<Engine>,
    queue: Mutex<Queue>,
    turn: WriteTurn,
    /// The runtime the store was opened on: leaders and timers run there, and
    /// nowhere else, so there is never a second leader on another runtime.
    runtime: tokio::runtime::Handle,
    /// How long a batch waits for a file locked by another process.
    busy_timeout: Duration,
}

struct Engine {
    conn: Connection,
    unindexed: Unindexed,
    /// Whether the connection has its busy handler on (see [`Shared::drain`]).
    waits: bool,
}

#[derive(Default)]
struct Queue {
    tasks: Vec<Task>,
    /// Whether a leader is at work: it takes every task queued before it stops.
    leading: bool,
    /// Whether a timer will index what is left once appends pause.
    timer: bool,
    /// When the last append was queued.
    last_append: Option<Instant>,
}

impl GroupCommit {
    /// Opens a second connection to the (already migrated) database file. Called on
    /// the runtime that is to run the group commit.
    pub(super) fn start(
        file: &Path,
        busy_timeout: Duration,
        turn: WriteTurn,
    ) -> StoreResult<GroupCommit> {
        let conn = Connection::open(file)
            .map_err(|e| StoreError::Unavailable(format!("opening '{}': {e}", file.display())))?;
        // No busy handler: a locked file is waited for on a blocking thread, not on
        // the runtime's (see [`lead`]).
        conn.busy_timeout(Duration::ZERO).map_err(storage_error)?;
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
        let engine = Engine {
            conn,
            unindexed: Unindexed::default(),
            waits: false,
        };
        Ok(GroupCommit {
            shared: Arc::new(Shared {
                engine: Mutex::new(engine),
                queue: Mutex::new(Queue::default()),
                turn,
                runtime: tokio::runtime::Handle::current(),
                busy_timeout,
            }),
        })
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
        self.shared.submit(Task::Append(request));
        answered.await.map_err(|_| stopped())?
    }

    /// Indexes every message stored so far for search; returns once it is done.
    pub(super) async fn index_now(&self) -> StoreResult<()> {
        let (answer, answered) = oneshot::channel();
        self.shared.submit(Task::Index(Some(answer)));
        answered.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the group commit has stopped".into())
}

/// Locks a mutex whose holder may have panicked: the data behind it (a queue, a
/// connection that rolls back what it had begun) stays usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Queues a task, and starts a leader unless one is at work.
    fn submit(self: &Arc<Self>, task: Task) {
        let start = {
            let mut queue = lock(&self.queue);
            if let Task::Append(_) = task {
                queue.last_append = Some(Instant::now());
            }
            queue.tasks.push(task);
            !std::mem::replace(&mut queue.leading, true)
        };
        // Outside the queue's lock: a runtime shutting down drops the task at
        // once, and the role with it (which takes the lock).
        if start {
            self.runtime.spawn(lead(Leadership {
                shared: self.clone(),
                done: false,
            }));
        }
    }

    /// Indexes what is left once no append came for [`INDEX_WHEN_IDLE`] (and no
    /// sooner than `wait`), unless a timer is set already.
    fn index_when_idle(self: &Arc<Self>, wait: Duration) {
        let mut queue = lock(&self.queue);
        if queue.timer {
            return;
        }
        queue.timer = true;
        let shared = self.clone();
        self.runtime.spawn(async move {
            let mut wait = wait;
            loop {
                tokio::time::sleep(wait).await;
                let mut queue = lock(&shared.queue);
                let quiet = queue.last_append.map_or(INDEX_WHEN_IDLE, |at| at.elapsed());
                if quiet < INDEX_WHEN_IDLE {
                    wait = INDEX_WHEN_IDLE - quiet;
                    continue;
                }
                queue.timer = false;
                drop(queue);
                shared.submit(Task::Index(None));
                return;
            }
        });
    }
}

/// The leader's role. If its task ends early (a panic, or the runtime shutting
/// down), the role is given up and what was queued is dropped, so its senders hear
/// that the group commit stopped, and the next append starts a new leader.
struct Leadership {
    shared: Arc<Shared>,
    done: bool,
}

impl Drop for Leadership {
    fn drop(&mut self) {
        if !self.done {
            let mut queue = lock(&self.shared.queue);
            queue.tasks.clear();
            queue.leading = false;
        }
    }
}

/// The leader: in its turn to write, takes every task queued, stores the appends in
/// one transaction, answers each, indexes if it is time; until the queue is empty.
///
/// A small round of appends (at most [`INLINE_BATCH`]) is done right here, on the
/// runtime's thread: that spares two threads a wake-up each. Anything bigger (a
/// busy moment's batch, the indexing, a file locked by another process) goes to a
/// blocking thread, which keeps taking rounds while appends keep coming: the
/// commits then use one core while the runtime's threads serve the connections on
/// the other.
async fn lead(mut leadership: Leadership) {
    let shared = leadership.shared.clone();
    // When to index what is left, if anything is, once the queue is empty. Read
    // while leading: once the role is given up, a new leader may hold the engine.
    let mut idle = None;
    loop {
        let turn = shared.turn.clone().lock_owned().await;
        let round = {
            let mut queue = lock(&shared.queue);
            match Round::take(&mut queue) {
                Some(round) => round,
                None => {
                    queue.leading = false;
                    leadership.done = true;
                    break;
                }
            }
        };
        let round = {
            let mut engine = lock(&shared.engine);
            if round.is_light(&engine.unindexed) {
                round.run(&mut engine, false)
            } else {
                Some(round)
            }
        };
        match round {
            Some(round) => {
                let drained = shared.clone();
                let done = tokio::task::spawn_blocking(move || drained.drain(turn, round)).await;
                // A panic dropped the round's senders: they hear that the group
                // commit stopped.
                if let Err(err) = done {
                    tracing::error!(%err, "the group commit's blocking thread");
                }
            }
            None => drop(turn),
        }
        idle = {
            let unindexed = &lock(&shared.engine).unindexed;
            (!unindexed.is_empty()).then(|| unindexed.next_try())
        };
        // The senders just answered go on (to fan their messages out) before the
        // next round; what they send meanwhile joins it.
        tokio::task::yield_now().await;
    }
    if let Some(wait) = idle {
        shared.index_when_idle(wait);
    }
}

/// The tasks taken from the queue at once.
struct Round {
    batch: Vec<Request>,
    /// Index requests: a search's (which hears when it is done) or the timer's.
    searches: Vec<Option<oneshot::Sender<StoreResult<()>>>>,
}

impl Round {
    /// Takes every task waiting, up to [`MAX_BATCH`]; `None` if there is none.
    fn take(queue: &mut Queue) -> Option<Round> {
        if queue.tasks.is_empty() {
            return None;
        }
        let n = queue.tasks.len().min(MAX_BATCH);
        let mut round = Round {
            batch: Vec::with_capacity(n),
            searches: Vec::new(),
        };
        for task in queue.tasks.drain(..n) {
            match task {
                Task::Append(request) => round.batch.push(request),
                Task::Index(answer) => round.searches.push(answer),
            }
        }
        Some(round)
    }
}

impl Shared {
    /// On a blocking thread: does `round`, then every round queued meanwhile, each
    /// in its turn to write, until the queue is empty. Waits up to the busy timeout
    /// for a lock another process holds.
    fn drain(&self, mut turn: OwnedMutexGuard<()>, round: Round) {
        let mut engine = lock(&self.engine);
        engine.waits = true;
        if let Err(err) = engine.conn.busy_timeout(self.busy_timeout) {
            tracing::warn!(%err, "giving the group commit a busy handler");
        }
        let mut round = round;
        loop {
            round.run(&mut engine, true);
            drop(turn);
            // Its own statement: the queue is not locked while the turn is waited for.
            let next = Round::take(&mut lock(&self.queue));
            match next {
                Some(next) => {
                    round = next;
                    turn = self.turn.clone().blocking_lock_owned();
                }
                None => break,
            }
        }
        engine.stop_waiting();
    }
}

impl Engine {
    /// Takes the busy handler off (after [`Shared::drain`], or at the next round on
    /// the runtime's thread if a panic cut it short).
    fn stop_waiting(&mut self) {
        match self.conn.busy_timeout(Duration::ZERO) {
            Ok(()) => self.waits = false,
            Err(err) => tracing::warn!(%err, "taking the group commit's busy handler off"),
        }
    }

    /// Rolls back a transaction a panic left open, so that it holds no lock and the
    /// next round can begin its own.
    fn recover(&self) {
        if !self.conn.is_autocommit() {
            if let Err(err) = self.conn.execute_batch("ROLLBACK") {
                tracing::warn!(%err, "rolling back what a failed round left open");
            }
        }
    }
}

impl Round {
    /// Whether the runtime's thread may do it: a few appends with no indexing due,
    /// or searches (or the timer) asking to index when nothing is left to index.
    fn is_light(&self, unindexed: &Unindexed) -> bool {
        if self.searches.is_empty() {
            self.batch.len() <= INLINE_BATCH && !unindexed.is_due()
        } else {
            self.batch.is_empty() && unindexed.is_empty()
        }
    }

    /// Stores the appends in one transaction and answers each, then indexes if a
    /// search asks, the timer does, or it is time. A round that finds the file
    /// locked is given back untouched unless `wait` (the connection then has a
    /// busy handler, and waited).
    fn run(self, engine: &mut Engine, wait: bool) -> Option<Round> {
        let Round { batch, searches } = self;
        engine.recover();
        if !wait && engine.waits {
            engine.stop_waiting();
        }
        if !batch.is_empty() {
            let stored = store_batch(&engine.conn, &batch);
            if !wait && matches!(&stored, Err(err) if is_busy(err)) {
                return Some(Round { batch, searches });
            }
            answer_all(batch, stored, &mut engine.unindexed);
        }
        // A search always has the index brought up to date (or hears why not); the
        // timer, unless the last try failed under a second ago. Indexing is left
        // to the blocking thread unless there is nothing to index.
        let unindexed = &engine.unindexed;
        let asked = searches.iter().any(Option::is_some);
        let index = if wait {
            unindexed.is_due() || asked || (!searches.is_empty() && !unindexed.failed_recently())
        } else {
            unindexed.is_empty() && asked
        };
        if index {
            let indexed = engine.index();
            for answer in searches.into_iter().flatten() {
                let _ = answer.send(match &indexed {
                    Ok(()) => Ok(()),
                    Err(err) => Err(StoreError::Unavailable(err.to_string())),
                });
            }
        }
        None
    }
}

/// Sends each request its answer: the batch's, or the batch's failure.
fn answer_all(
    batch: Vec<Request>,
    stored: rusqlite::Result<Vec<StoreResult<Appended>>>,
    unindexed: &mut Unindexed,
) {
    let answers = match stored {
        Ok(answers) => answers,
        Err(err) => {
            tracing::warn!(%err, appends = batch.len(), "a batch of messages was not stored");
            let reason = storage_error(err).to_string();
            batch
                .iter()
                .map(|_| Err(StoreError::Unavailable(reason.clone())))
                .collect()
        }
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

/// Whether SQLite refused for a lock another connection holds.
fn is_busy(err: &rusqlite::Error) -> bool {
    err.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
}

impl Engine {
    /// Indexes every stored text message in one transaction. On failure they stay
    /// to be tried again (and are indexed when the store next opens, if never).
    fn index(&mut self) -> StoreResult<()> {
        let unindexed = &mut self.unindexed;
        if unindexed.entries.is_empty() {
            return Ok(());
        }
        match index_entries(&self.conn, &unindexed.entries) {
            Ok(()) => {
                unindexed.entries.clear();
                unindexed.since = None;
                unindexed.failed = false;
                Ok(())
            }
            Err(err) => {
                if !self.conn.is_autocommit() {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                unindexed.since = Some(Instant::now());
                unindexed.failed = true;
                tracing::warn!(%err, messages = unindexed.entries.len(), "indexing messages for search");
                Err(storage_error(err))
            }
        }
    }
}

/// Text messages stored and not yet indexed for search.
#[derive(Default)]
struct Unindexed {
    entries: Vec<(ConversationId, u64)>,
    /// When the oldest of them was stored, or the last failed try.
    since: Option<Instant>,
    /// Whether the last try failed (then the next waits for [`INDEX_RETRY`]).
    failed: bool,
}

impl Unindexed {
    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn add(&mut self, conversation: ConversationId, seq: u64) {
        self.since.get_or_insert_with(Instant::now);
        self.entries.push((conversation, seq));
    }

    /// How long until the next try: a pause in appends, or the wait after a failure.
    fn next_try(&self) -> Duration {
        match self.since {
            Some(since) if self.failed => INDEX_RETRY.saturating_sub(since.elapsed()),
            _ => INDEX_WHEN_IDLE,
        }
    }

    /// Whether the last try failed under [`INDEX_RETRY`] ago.
    fn failed_recently(&self) -> bool {
        self.failed && !self.is_due()
    }

    fn is_due(&self) -> bool {
        let wait = if self.failed {
            INDEX_RETRY
        } else {
            INDEX_EVERY
        };
        self.since.is_some_and(|since| since.elapsed() >= wait)
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

/// Stores a batch in one transaction: one answer per request, in order, or the
/// database's error with nothing of the batch left behind.
fn store_batch(
    conn: &Connection,
    batch: &[Request],
) -> rusqlite::Result<Vec<StoreResult<Appended>>> {
    try_store_batch(conn, batch).inspect_err(|_| {
        // SQLite rolls some failures back by itself (a full disk, an I/O error);
        // whatever is still open is rolled back here, so nothing of it stays.
        if !conn.is_autocommit() {
            if let Err(rollback) = conn.execute_batch("ROLLBACK") {
                tracing::warn!(%rollback, "rolling back a failed batch");
            }
        }
    })
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
