//! [`Store`](super::Store) on SQLite: one embedded file, zero set-up.
//!
//! Durability: WAL journal with `synchronous = NORMAL`. A transaction is in the WAL
//! file when `COMMIT` returns, so it survives the server process crashing (kill -9);
//! only an operating-system crash or power cut can lose the last moments, which a
//! `synchronous = FULL` setting would trade for an fsync per message.
//!
//! All writes go through one connection, so the transactions of this process never
//! race each other for the write lock; reads use a small pool of their own.

mod accounts;
mod conversations;
mod invitations;

use super::{
    AcceptOutcome, AgentRecord, Answered, Appended, Departure, Expired, Invited, LeaveOutcome,
    NewAgent, NewMessage, NewOfflineMessage, Page, Store, StoreError, StoreResult, VisitorRecord,
};
use app::ids::{AgentId, ConversationId, InvitationId, MessageId, Participant, VisitorId};
use app::protocol::{
    AgentStatus, Author, Body, ChatMessage, ConversationSummary, Handled, InvitationInfo,
    OfflineMessage, QueueItem,
};
use async_trait::async_trait;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, SqliteConnection};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// How long a write waits by default for a lock held by another process before
/// giving up with a retryable error.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
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
}

impl WriteTx {
    pub(super) async fn begin(store: &SqliteStore) -> StoreResult<WriteTx> {
        let mut conn = store.writer.acquire().await.map_err(map_err)?;
        if let Err(err) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
            conn.close_on_drop();
            return Err(map_err(err));
        }
        Ok(WriteTx { conn: Some(conn) })
    }

    pub(super) async fn commit(mut self) -> StoreResult<()> {
        sqlx::query("COMMIT")
            .execute(&mut *self)
            .await
            .map_err(map_err)?;
        // Committed: the connection goes straight back to the pool.
        drop(self.conn.take());
        Ok(())
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            conn.close_on_drop();
            return;
        };
        // The pool has one writer: the next write waits until this is done.
        runtime.spawn(async move {
            if let Err(err) = sqlx::query("ROLLBACK").execute(&mut *conn).await {
                // SQLite rolls back by itself after some errors; then there is
                // nothing to roll back. Anything else: start afresh.
                if !err.to_string().contains("no transaction is active") {
                    tracing::warn!(%err, "rollback failed; replacing the writer connection");
                    conn.close_on_drop();
                }
            }
        });
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
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with_busy_timeout(url, DEFAULT_BUSY_TIMEOUT).await
    }

    /// Like [`SqliteStore::open`], waiting at most `busy_timeout` for locks.
    pub async fn open_with_busy_timeout(
        url: &str,
        busy_timeout: Duration,
    ) -> Result<Self, StoreError> {
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
            .foreign_keys(true);
        if let Some(parent) = options.get_filename().parent() {
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
            .await
            .map_err(map_err)?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&writer)
            .await
            .map_err(|e| StoreError::Internal(format!("migrating the database: {e}")))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(busy_timeout * 2)
            .connect_with(options.read_only(true))
            .await
            .map_err(map_err)?;
        Ok(Self { writer, reader })
    }
}

/// Sorts a database error into "try again later" and "a bug or corruption".
fn map_err(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Database(db) => {
            // SQLite primary result codes: BUSY 5, LOCKED 6, READONLY 8, IOERR 10,
            // FULL 13, CANTOPEN 14. The extended code's low byte is the primary code.
            let primary = db
                .code()
                .and_then(|c| c.parse::<i32>().ok())
                .map(|c| c & 0xff);
            match primary {
                Some(5 | 6 | 8 | 10 | 13 | 14) => StoreError::Unavailable(db.message().to_owned()),
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

fn uuid_col(row: &SqliteRow, column: &str) -> Result<Uuid, StoreError> {
    let text: String = row.try_get(column).map_err(map_err)?;
    Uuid::parse_str(&text)
        .map_err(|e| StoreError::Internal(format!("column {column} holds '{text}': {e}")))
}

fn participant_parts(p: Participant) -> (&'static str, String) {
    match p {
        Participant::Visitor(id) => ("visitor", id.to_string()),
        Participant::Agent(id) => ("agent", id.to_string()),
    }
}

fn participant_from(role: &str, id: Uuid) -> Result<Participant, StoreError> {
    match role {
        "visitor" => Ok(Participant::Visitor(VisitorId(id))),
        "agent" => Ok(Participant::Agent(AgentId(id))),
        other => Err(StoreError::Internal(format!(
            "unknown participant role '{other}'"
        ))),
    }
}

fn participant_col(
    row: &SqliteRow,
    role_col: &str,
    id_col: &str,
) -> Result<Participant, StoreError> {
    let role: String = row.try_get(role_col).map_err(map_err)?;
    participant_from(&role, uuid_col(row, id_col)?)
}

/// How a body is kept: `(kind, text)`, notices as JSON.
fn body_parts(body: &Body) -> (&'static str, String) {
    match body {
        Body::Text { text } => ("text", text.clone()),
        Body::Notice(notice) => (
            "notice",
            // A notice is a plain enum of strings: serialising it cannot fail.
            serde_json::to_string(notice).expect("notice serialises"),
        ),
    }
}

const MESSAGE_COLUMNS: &str =
    "seq, client_msg_id, author_role, author_id, author_name, kind, body, created_at";

fn message_from_row(row: &SqliteRow) -> Result<ChatMessage, StoreError> {
    let author_role: Option<String> = row.try_get("author_role").map_err(map_err)?;
    let author = match author_role {
        Some(role) => Some(Author {
            participant: participant_from(&role, uuid_col(row, "author_id")?)?,
            name: row.try_get("author_name").map_err(map_err)?,
        }),
        None => None,
    };
    let kind: String = row.try_get("kind").map_err(map_err)?;
    let text: String = row.try_get("body").map_err(map_err)?;
    let body = match kind.as_str() {
        "text" => Body::Text { text },
        "notice" => Body::Notice(serde_json::from_str(&text).map_err(|e| {
            StoreError::Internal(format!("stored notice '{text}' is unreadable: {e}"))
        })?),
        other => {
            return Err(StoreError::Internal(format!(
                "unknown message kind '{other}'"
            )))
        }
    };
    let seq: i64 = row.try_get("seq").map_err(map_err)?;
    Ok(ChatMessage {
        seq: seq as u64,
        id: MessageId(uuid_col(row, "client_msg_id")?),
        author,
        body,
        at_ms: row.try_get("created_at").map_err(map_err)?,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_agent(&self, agent: NewAgent) -> StoreResult<AgentRecord> {
        self.create_agent_impl(agent).await
    }
    async fn agent_by_username(&self, username: &str) -> StoreResult<Option<AgentRecord>> {
        self.agent_by_username_impl(username).await
    }
    async fn agent(&self, id: AgentId) -> StoreResult<Option<AgentRecord>> {
        self.agent_impl(id).await
    }
    async fn agents(&self) -> StoreResult<Vec<AgentRecord>> {
        self.agents_impl().await
    }
    async fn remove_agent(&self, username: &str) -> StoreResult<bool> {
        self.remove_agent_impl(username).await
    }
    async fn set_password_hash(&self, username: &str, hash: &str) -> StoreResult<bool> {
        self.set_password_hash_impl(username, hash).await
    }
    async fn set_agent_status(&self, id: AgentId, status: AgentStatus) -> StoreResult<()> {
        self.set_agent_status_impl(id, status).await
    }
    async fn create_session(
        &self,
        token_hash: &[u8],
        agent: AgentId,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        self.create_session_impl(token_hash, agent, expires_at_ms)
            .await
    }
    async fn session_agent(
        &self,
        token_hash: &[u8],
        now_ms: i64,
    ) -> StoreResult<Option<AgentRecord>> {
        self.session_agent_impl(token_hash, now_ms).await
    }
    async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<()> {
        self.delete_session_impl(token_hash).await
    }
    async fn visitor_for_token(&self, token_hash: &[u8], name: &str) -> StoreResult<VisitorRecord> {
        self.visitor_for_token_impl(token_hash, name).await
    }
    async fn set_visitor_name(&self, id: VisitorId, name: &str) -> StoreResult<()> {
        self.set_visitor_name_impl(id, name).await
    }
    async fn visitor(&self, id: VisitorId) -> StoreResult<Option<VisitorRecord>> {
        self.visitor_impl(id).await
    }
    async fn create_direct(
        &self,
        id: ConversationId,
        visitor: &VisitorRecord,
        first: NewMessage,
    ) -> StoreResult<(ConversationSummary, ChatMessage)> {
        self.create_direct_impl(id, visitor, first).await
    }
    async fn accept_queued(
        &self,
        id: ConversationId,
        agent: &AgentRecord,
        at_ms: i64,
    ) -> StoreResult<AcceptOutcome> {
        self.accept_queued_impl(id, agent, at_ms).await
    }
    async fn append(
        &self,
        id: ConversationId,
        author: Participant,
        message: NewMessage,
    ) -> StoreResult<Appended> {
        self.append_impl(id, author, message).await
    }
    async fn messages_after(
        &self,
        id: ConversationId,
        viewer: Participant,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Option<Page>> {
        self.messages_after_impl(id, viewer, after_seq, limit).await
    }
    async fn conversations_of(
        &self,
        participant: Participant,
    ) -> StoreResult<Vec<ConversationSummary>> {
        self.conversations_of_impl(participant).await
    }
    async fn participants_if_member(
        &self,
        id: ConversationId,
        viewer: Participant,
    ) -> StoreResult<Option<Vec<Participant>>> {
        self.participants_if_member_impl(id, viewer).await
    }
    async fn queue(&self) -> StoreResult<Vec<QueueItem>> {
        self.queue_impl().await
    }
    async fn leave(
        &self,
        id: ConversationId,
        participant: Participant,
        why: Departure,
        at_ms: i64,
    ) -> StoreResult<LeaveOutcome> {
        self.leave_impl(id, participant, why, at_ms).await
    }
    async fn create_group(
        &self,
        id: ConversationId,
        owner: &AgentRecord,
        invitees: &[(Participant, String)],
        at_ms: i64,
    ) -> StoreResult<Invited> {
        self.create_group_impl(id, owner, invitees, at_ms).await
    }
    async fn invite(
        &self,
        id: ConversationId,
        inviter: &AgentRecord,
        invitees: &[(Participant, String)],
        at_ms: i64,
    ) -> StoreResult<Option<Invited>> {
        self.invite_impl(id, inviter, invitees, at_ms).await
    }
    async fn answer_invitation(
        &self,
        id: InvitationId,
        invitee: Participant,
        accept: bool,
        at_ms: i64,
    ) -> StoreResult<Answered> {
        self.answer_invitation_impl(id, invitee, accept, at_ms)
            .await
    }
    async fn expire_invitation(
        &self,
        id: InvitationId,
        at_ms: i64,
    ) -> StoreResult<Option<Expired>> {
        self.expire_invitation_impl(id, at_ms).await
    }
    async fn pending_invitations(&self, invitee: Participant) -> StoreResult<Vec<InvitationInfo>> {
        self.pending_invitations_impl(invitee).await
    }
    async fn add_offline_message(&self, message: NewOfflineMessage) -> StoreResult<OfflineMessage> {
        self.add_offline_message_impl(message).await
    }
    async fn offline_messages(&self, limit: u32) -> StoreResult<Vec<OfflineMessage>> {
        self.offline_messages_impl(limit).await
    }
    async fn set_offline_handled(
        &self,
        id: MessageId,
        handled: Option<Handled>,
    ) -> StoreResult<Option<OfflineMessage>> {
        self.set_offline_handled_impl(id, handled).await
    }
}

#[cfg(test)]
mod tests;
