//! Messages stored in batches: every append waiting, across conversations, goes
//! into one transaction.
//!
//! Stored one by one, a message costs eight round trips and a commit of its own,
//! and PostgreSQL spends far more CPU on each message than the chat server
//! (`docs/performance.md`). Here [`WORKERS`] tasks take the appends waiting when
//! one of them is free (up to [`MAX_BATCH`]) and store them together, in the
//! steps every append takes, each one statement for the whole batch:
//!
//! 1. the conversations' rows locked, in id order, with their state and last
//!    sequence number; a conversation whose row another transaction holds is
//!    skipped (`SKIP LOCKED`), and its appends are stored right after the batch,
//!    in a transaction that waits for the lock, so that one busy conversation
//!    never holds up the others;
//! 2. each author's membership and an earlier message with the same client id;
//! 3. the rules, in Rust, request by request in the order they came: refused, a
//!    resend (of a message stored before, or earlier in this batch), or the next
//!    number of its conversation;
//! 4. the conversations' new last numbers (`UPDATE … FROM unnest(…)`), the
//!    messages (`INSERT … SELECT … FROM unnest(…)`) and the recipients of every
//!    conversation written to, in one statement;
//! 5. the files the messages carry, the webhook events, then one commit.
//!
//! Each request keeps its own answer, and nobody is answered before the commit,
//! so an acknowledgement still means the message is committed. A batch that fails
//! because the database is unavailable (a lock held past the busy timeout, a lost
//! connection, no answer within [`BATCH_TIMEOUT`]) is rolled back and fails each
//! of its sends with the retryable error: none of them is stored, unless the
//! connection broke during the commit itself, in which case a resend is answered
//! as the duplicate it is. A batch that fails for any other reason (a message the
//! database refuses) is tried again a message at a time, so that a bad message
//! fails alone and never takes the others with it.

use super::rows::{
    body_parts, col, insert_file, message_from_row, parse_id, participant_col, participant_parts,
    state_from, tsvector_literal, MESSAGE_COLUMNS,
};
use super::webhooks::record_outbox_of;
use super::{pg_error, Tx};
use crate::chat::events::{Changed, Event};
use crate::chat::rules::{self, Resend};
use crate::store::{Appended, NewMessage, Refusal, StoreError, StoreResult};
use app::ids::{ConversationId, MessageId, Participant};
use app::protocol::{Body, ConversationState, Visibility};
use sqlx::postgres::PgPool;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Mutex};

/// Most appends stored in one transaction; more wait for the next.
pub const MAX_BATCH: usize = 256;

/// Batches stored at once: while one commits, the next is being written, and a
/// batch that waits for a conversation's lock leaves the other free.
const WORKERS: usize = 2;

/// Longest a batch may take, its waits for locks (each bounded by the busy
/// timeout) included; past it, its sends fail as unavailable.
const BATCH_TIMEOUT: Duration = Duration::from_secs(30);

/// Locks the batch's conversations that no other transaction holds, in id
/// order, and reads what the rules need.
const LOCK_FREE_CONVERSATIONS: &str = "SELECT id, state, last_seq FROM conversations
     WHERE id = ANY($1) ORDER BY id FOR UPDATE SKIP LOCKED";

/// Locks the batch's conversations in id order, waiting for each.
const LOCK_CONVERSATIONS: &str = "SELECT id, state, last_seq FROM conversations
     WHERE id = ANY($1) ORDER BY id FOR UPDATE";

/// Per request (by its place in the batch, from 1): whether the author is a
/// current participant, and the message stored before under the same client id
/// (its columns null when there is none). Run after the lock, never folded into
/// it: under READ COMMITTED a statement that waits for a row lock sees the other
/// tables as they were when it began.
pub(super) static CHECKS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT r.place,
                EXISTS (SELECT 1 FROM participants p
                        WHERE p.conversation_id = r.conversation AND p.role = r.role
                          AND p.participant_id = r.participant AND p.left_at IS NULL) AS member,
                earlier.*
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
              WITH ORDINALITY AS r(conversation, role, participant, client_msg_id, place)
         LEFT JOIN LATERAL (SELECT {MESSAGE_COLUMNS} FROM messages m
                            WHERE m.conversation_id = r.conversation
                              AND m.client_msg_id = r.client_msg_id) AS earlier ON true
         ORDER BY r.place"
    )
});

/// The current participants of the conversations written to, each in the
/// order they joined (by the index `participants_current`, migration 0026).
pub(super) const RECIPIENTS_OF: &str =
    "SELECT conversation_id, role, participant_id FROM participants
     WHERE conversation_id = ANY($1) AND left_at IS NULL
     ORDER BY conversation_id, joined_at, role, participant_id";

/// Step 4 in one statement: the conversations' new last numbers
/// (`$1`, `$2`), every new message, a row per element of the arrays `$3` to
/// `$14`, and the recipients of the conversations written to. Each `WITH`
/// clause runs once whatever the query reads of it; the recipients are read as
/// they were when the statement began, which the batch's locks keep as they are.
/// The trigger that keeps a chat's first answer (migration 0023) runs after the
/// statement, and sees the conversation as its `UPDATE` left it.
static WRITE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH numbered AS (
             UPDATE conversations c SET last_seq = v.last_seq
             FROM unnest($1::text[], $2::bigint[]) AS v(id, last_seq) WHERE c.id = v.id
         ), stored AS (
             INSERT INTO messages (conversation_id, seq, client_msg_id, author_role,
                                   author_id, author_name, kind, body, created_at,
                                   visibility, file, search_terms)
             SELECT conversation_id, seq, client_msg_id, author_role, author_id,
                    author_name, kind, body, created_at, visibility, file,
                    search_terms::tsvector
             FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[],
                         $8::text[], $9::text[], $10::text[], $11::bigint[], $12::text[],
                         $13::text[], $14::text[])
                  AS r(conversation_id, seq, client_msg_id, author_role, author_id,
                       author_name, kind, body, created_at, visibility, file, search_terms)
         )
         {RECIPIENTS_OF}"
    )
});

/// One append waiting to be stored, and where its answer goes.
struct Request {
    conversation: ConversationId,
    author: Participant,
    message: NewMessage,
    answer: oneshot::Sender<StoreResult<Appended>>,
}

/// The store's handle on the batching tasks. Dropping it ends them once the
/// appends already handed over are answered.
pub(super) struct Appends {
    requests: mpsc::UnboundedSender<Request>,
}

impl Appends {
    /// Starts the tasks, on the runtime of the caller. `begin` is the statement
    /// that begins every write transaction of the store.
    pub(super) fn start(pool: PgPool, begin: Cow<'static, str>) -> Appends {
        let (requests, queue) = mpsc::unbounded_channel();
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..WORKERS {
            tokio::spawn(work(pool.clone(), begin.clone(), Arc::clone(&queue)));
        }
        Appends { requests }
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
        self.requests.send(request).map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the store's append batches have stopped".into())
}

/// One task: takes every request waiting (the queue is shared, so the other task
/// takes what comes while this one stores), stores them, answers each.
async fn work(
    pool: PgPool,
    begin: Cow<'static, str>,
    queue: Arc<Mutex<mpsc::UnboundedReceiver<Request>>>,
) {
    loop {
        let batch = {
            let mut queue = queue.lock().await;
            let Some(first) = queue.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            batch
        };
        let answers = store(&pool, &begin, &batch).await;
        for (request, answer) in batch.into_iter().zip(answers) {
            // A sender that gave up waiting no longer hears; its message stays stored.
            let _ = request.answer.send(answer);
        }
    }
}

/// Stores a batch; one answer per request, in order.
async fn store(pool: &PgPool, begin: &str, batch: &[Request]) -> Vec<StoreResult<Appended>> {
    let all: Vec<&Request> = batch.iter().collect();
    let mut answers = attempt(pool, begin, &all, Wait::Never).await;
    // The appends to conversations that another transaction held: stored now,
    // waiting for those locks alone.
    let deferred: Vec<usize> = (0..batch.len()).filter(|&i| answers[i].is_none()).collect();
    if !deferred.is_empty() {
        let rest: Vec<&Request> = deferred.iter().map(|&i| &batch[i]).collect();
        let stored = attempt(pool, begin, &rest, Wait::ForEach).await;
        for (i, answer) in deferred.into_iter().zip(stored) {
            answers[i] = answer;
        }
    }
    answers
        .into_iter()
        .map(|answer| answer.unwrap_or_else(|| Err(stopped())))
        .collect()
}

/// Stores `batch` in one transaction, or, when the database refuses it for
/// another reason than being unavailable, a message at a time. `None` for an
/// append deferred (only with [`Wait::Never`]).
async fn attempt(
    pool: &PgPool,
    begin: &str,
    batch: &[&Request],
    wait: Wait,
) -> Vec<Option<StoreResult<Appended>>> {
    let err = match in_time(store_batch(pool, begin, batch, wait)).await {
        Ok(answers) => return answers,
        Err(err) => err,
    };
    match err {
        StoreError::Unavailable(reason) => {
            tracing::warn!(%reason, appends = batch.len(), "a batch of messages was not stored");
            batch
                .iter()
                .map(|_| Some(Err(StoreError::Unavailable(reason.clone()))))
                .collect()
        }
        err if batch.len() == 1 => vec![Some(Err(err))],
        err => {
            tracing::warn!(%err, appends = batch.len(), "a batch of messages was refused; storing them one by one");
            let mut answers = Vec::with_capacity(batch.len());
            for one in batch.chunks(1) {
                let answer = in_time(store_batch(pool, begin, one, Wait::ForEach)).await;
                answers.push(Some(match answer {
                    Ok(mut answer) => answer.pop().flatten().unwrap_or_else(|| Err(stopped())),
                    Err(err) => Err(err),
                }));
            }
            answers
        }
    }
}

/// `storing` within [`BATCH_TIMEOUT`], or unavailable. A transaction cut short
/// is rolled back when its connection goes back to the pool.
async fn in_time<T>(storing: impl std::future::Future<Output = StoreResult<T>>) -> StoreResult<T> {
    tokio::time::timeout(BATCH_TIMEOUT, storing)
        .await
        .unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "the database did not store a batch of messages in time".into(),
            ))
        })
}

/// Whether a batch waits for the locks of its conversations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    /// Skips those another transaction holds: their appends are deferred.
    Never,
    /// Waits for each, up to the busy timeout.
    ForEach,
}

/// A conversation of the batch, as locked.
struct Locked {
    state: ConversationState,
    /// Its last sequence number, counting what the batch has taken so far.
    last_seq: u64,
    /// Whether the batch writes to it.
    written: bool,
}

/// A request's answer once the rules have spoken: final, or stored under a
/// number (its recipients are read after the rules).
enum Outcome {
    Answered(StoreResult<Appended>),
    Stored(u64),
}

/// The batch in one transaction. The outer error is the database's (it fails the
/// batch); the inner results are each request's own, `None` for one deferred
/// because its conversation was held by another transaction (only with
/// [`Wait::Never`]).
async fn store_batch(
    pool: &PgPool,
    begin: &str,
    batch: &[&Request],
    wait: Wait,
) -> StoreResult<Vec<Option<StoreResult<Appended>>>> {
    let mut tx: Tx = pool.begin_with(begin.to_owned()).await.map_err(pg_error)?;
    let mut conversations = lock(&mut tx, batch, wait).await?;
    let (present, deferred): (Vec<&Request>, Vec<&Request>) = batch.iter().partition(|request| {
        wait == Wait::ForEach || conversations.contains_key(&request.conversation)
    });
    let outcomes = apply_rules(&mut tx, &present, &mut conversations).await?;
    let written: Vec<(&Request, u64)> = present
        .iter()
        .zip(&outcomes)
        .filter_map(|(request, outcome)| match outcome {
            Outcome::Stored(seq) => Some((*request, *seq)),
            Outcome::Answered(_) => None,
        })
        .collect();
    if written.is_empty() {
        tx.commit().await.map_err(pg_error)?;
        let answers = outcomes.into_iter().map(answered);
        return Ok(in_order(batch, &present, &deferred, answers.collect()));
    }
    let recipients = write(&mut tx, &conversations, &written).await?;
    for (request, seq) in &written {
        insert_file(&mut tx, request.conversation, *seq, &request.message).await?;
    }
    let answers: Vec<StoreResult<Appended>> = present
        .iter()
        .zip(outcomes)
        .map(|(request, outcome)| match outcome {
            Outcome::Answered(answer) => answer,
            Outcome::Stored(seq) => Ok(Appended {
                seq,
                changed: Changed {
                    events: vec![Event::Entry {
                        conversation_id: request.conversation,
                        entry: request.message.stored(seq),
                    }],
                    recipients: recipients
                        .get(&request.conversation)
                        .cloned()
                        .unwrap_or_default(),
                },
            }),
        })
        .collect();
    let changed: Vec<&Changed> = answers
        .iter()
        .filter_map(|answer| answer.as_ref().ok().map(|a| &a.changed))
        .filter(|changed| !changed.is_empty())
        .collect();
    record_outbox_of(&mut tx, &changed).await?;
    tx.commit().await.map_err(pg_error)?;
    Ok(in_order(batch, &present, &deferred, answers))
}

/// The answers of `present` put back in the order of `batch`, with `None` for
/// the `deferred` (each request of `batch` is in one of the two, in order).
fn in_order(
    batch: &[&Request],
    present: &[&Request],
    deferred: &[&Request],
    answers: Vec<StoreResult<Appended>>,
) -> Vec<Option<StoreResult<Appended>>> {
    if deferred.is_empty() {
        return answers.into_iter().map(Some).collect();
    }
    let mut answers = present.iter().zip(answers).peekable();
    batch
        .iter()
        .map(|request| match answers.peek() {
            Some((first, _)) if std::ptr::eq(**first, *request) => {
                answers.next().map(|(_, answer)| answer)
            }
            _ => None,
        })
        .collect()
}

fn answered(outcome: Outcome) -> StoreResult<Appended> {
    match outcome {
        Outcome::Answered(answer) => answer,
        // Only called when nothing was stored.
        Outcome::Stored(_) => Err(StoreError::Internal(
            "a stored message without its recipients".into(),
        )),
    }
}

/// Step 1: locks the batch's conversations in id order, those another
/// transaction holds skipped unless `wait`.
async fn lock(
    tx: &mut Tx,
    batch: &[&Request],
    wait: Wait,
) -> StoreResult<HashMap<ConversationId, Locked>> {
    let mut ids: Vec<String> = batch.iter().map(|r| r.conversation.to_string()).collect();
    ids.sort_unstable();
    ids.dedup();
    let statement = match wait {
        Wait::Never => LOCK_FREE_CONVERSATIONS,
        Wait::ForEach => LOCK_CONVERSATIONS,
    };
    let rows = sqlx::query(statement)
        .bind(&ids)
        .fetch_all(&mut **tx)
        .await
        .map_err(pg_error)?;
    let mut locked = HashMap::with_capacity(rows.len());
    for row in &rows {
        let id = parse_id(&col::<String>(row, "id")?)?;
        let last_seq: i64 = col(row, "last_seq")?;
        locked.insert(
            ConversationId(id),
            Locked {
                state: state_from(&col::<String>(row, "state")?)?,
                last_seq: last_seq as u64,
                written: false,
            },
        );
    }
    Ok(locked)
}

/// Steps 2 and 3: reads the authors' membership and earlier messages, then
/// decides each request in order, taking numbers for those to be stored.
async fn apply_rules(
    tx: &mut Tx,
    batch: &[&Request],
    conversations: &mut HashMap<ConversationId, Locked>,
) -> StoreResult<Vec<Outcome>> {
    let mut columns: [Vec<String>; 4] = Default::default();
    for request in batch {
        let (role, id) = participant_parts(request.author);
        columns[0].push(request.conversation.to_string());
        columns[1].push(role.to_owned());
        columns[2].push(id);
        columns[3].push(request.message.id.to_string());
    }
    let [conversation_ids, roles, participant_ids, client_ids] = columns;
    let found = sqlx::query(&CHECKS)
        .bind(conversation_ids)
        .bind(roles)
        .bind(participant_ids)
        .bind(client_ids)
        .fetch_all(&mut **tx)
        .await
        .map_err(pg_error)?;
    if found.len() != batch.len() {
        return Err(StoreError::Internal(format!(
            "the batch's checks read {} rows for {} appends",
            found.len(),
            batch.len()
        )));
    }
    // The messages this batch stores, by conversation and client id, for a
    // resend that comes in the same batch as its first send.
    let mut taken: HashMap<(ConversationId, MessageId), (u64, &Request)> = HashMap::new();
    let mut outcomes = Vec::with_capacity(batch.len());
    for (request, row) in batch.iter().zip(&found) {
        let Some(conversation) = conversations.get_mut(&request.conversation) else {
            outcomes.push(Outcome::Answered(Err(Refusal::NotFound.into())));
            continue;
        };
        if !col::<bool>(row, "member")? {
            outcomes.push(Outcome::Answered(Err(Refusal::NotFound.into())));
            continue;
        }
        match conversation.state {
            ConversationState::Closed => {
                outcomes.push(Outcome::Answered(Err(Refusal::Closed.into())));
                continue;
            }
            ConversationState::Queued | ConversationState::Active => {}
        }
        let new = (
            Some(request.author),
            &request.message.body,
            request.message.visibility,
        );
        if col::<Option<i64>>(row, "seq")?.is_some() {
            let answer = message_from_row(row).and_then(|earlier| {
                let stored_author = earlier.author.map(|a| a.participant);
                resend(
                    earlier.seq,
                    (stored_author, &earlier.body, earlier.visibility),
                    new,
                    request.message.id,
                )
            });
            outcomes.push(Outcome::Answered(answer));
            continue;
        }
        let key = (request.conversation, request.message.id);
        if let Some((seq, first)) = taken.get(&key) {
            let stored = (
                Some(first.author),
                &first.message.body,
                first.message.visibility,
            );
            let answer = resend(*seq, stored, new, request.message.id);
            outcomes.push(Outcome::Answered(answer));
            continue;
        }
        conversation.last_seq += 1;
        conversation.written = true;
        taken.insert(key, (conversation.last_seq, request));
        outcomes.push(Outcome::Stored(conversation.last_seq));
    }
    Ok(outcomes)
}

/// The answer to a resend of a message stored under `seq`: its place, or a
/// conflict when it differs.
fn resend(
    seq: u64,
    stored: (Option<Participant>, &Body, Visibility),
    new: (Option<Participant>, &Body, Visibility),
    id: MessageId,
) -> StoreResult<Appended> {
    match rules::resend(stored, new) {
        Resend::Duplicate => Ok(Appended {
            seq,
            changed: Changed::nothing(),
        }),
        Resend::Conflict => Err(Refusal::IdConflict(id).into()),
    }
}

/// Step 4: numbers, messages and recipients, in one statement. The
/// messages are indexed for search as they are written (the column the search
/// index reads).
async fn write(
    tx: &mut Tx,
    conversations: &HashMap<ConversationId, Locked>,
    written: &[(&Request, u64)],
) -> StoreResult<HashMap<ConversationId, Vec<Participant>>> {
    let (conversation_ids, last_seqs): (Vec<String>, Vec<i64>) = conversations
        .iter()
        .filter(|(_, c)| c.written)
        .map(|(id, c)| (id.to_string(), c.last_seq as i64))
        .unzip();
    let rows = written.len();
    let mut message_conversations = Vec::with_capacity(rows);
    let mut seqs = Vec::with_capacity(rows);
    let mut client_ids = Vec::with_capacity(rows);
    let mut author_roles: Vec<Option<&str>> = Vec::with_capacity(rows);
    let mut author_ids: Vec<Option<String>> = Vec::with_capacity(rows);
    let mut author_names: Vec<Option<&str>> = Vec::with_capacity(rows);
    let mut kinds = Vec::with_capacity(rows);
    let mut bodies = Vec::with_capacity(rows);
    let mut created = Vec::with_capacity(rows);
    let mut visibilities = Vec::with_capacity(rows);
    let mut files: Vec<Option<String>> = Vec::with_capacity(rows);
    let mut terms: Vec<Option<String>> = Vec::with_capacity(rows);
    for (request, seq) in written {
        let message = &request.message;
        message_conversations.push(request.conversation.to_string());
        seqs.push(*seq as i64);
        client_ids.push(message.id.to_string());
        match &message.author {
            Some(author) => {
                let (role, id) = participant_parts(author.participant);
                author_roles.push(Some(role));
                author_ids.push(Some(id));
                author_names.push(Some(author.name.as_str()));
            }
            None => {
                author_roles.push(None);
                author_ids.push(None);
                author_names.push(None);
            }
        }
        let (kind, body) = body_parts(&message.body);
        kinds.push(kind);
        bodies.push(body);
        created.push(message.at_ms);
        visibilities.push(message.visibility.as_str());
        files.push(
            message
                .file
                .as_ref()
                .map(|f| serde_json::to_string(f).expect("file info serialises")),
        );
        terms.push(match &message.body {
            Body::Text { text } => Some(tsvector_literal(text)),
            Body::Notice(_) => None,
        });
    }
    let rows = sqlx::query(&WRITE)
        .bind(conversation_ids)
        .bind(last_seqs)
        .bind(message_conversations)
        .bind(seqs)
        .bind(client_ids)
        .bind(author_roles)
        .bind(author_ids)
        .bind(author_names)
        .bind(kinds)
        .bind(bodies)
        .bind(created)
        .bind(visibilities)
        .bind(files)
        .bind(terms)
        .fetch_all(&mut **tx)
        .await
        .map_err(pg_error)?;
    let mut recipients: HashMap<ConversationId, Vec<Participant>> = HashMap::new();
    for row in &rows {
        let id = parse_id(&col::<String>(row, "conversation_id")?)?;
        recipients
            .entry(ConversationId(id))
            .or_default()
            .push(participant_col(row, "role", "participant_id")?);
    }
    Ok(recipients)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::postgres::throwaway;
    use crate::store::{ConversationStore, StoreOptions, VisitorStore};
    use app::protocol::Author;
    use uuid::Uuid;

    /// A store with one open direct chat of one visitor, and that visitor.
    async fn chat() -> Option<(super::super::PgStore, ConversationId, Participant)> {
        let url = throwaway::database().await?;
        let store = super::super::PgStore::open(&url, &StoreOptions::default())
            .await
            .unwrap();
        let visitor = store.visitor_for_token(&[9; 32], "Mia").await.unwrap();
        let id = ConversationId(Uuid::new_v4());
        let author = Participant::Visitor(visitor.id);
        store
            .create_direct(id, &visitor, None, text(author, "hello"))
            .await
            .unwrap();
        Some((store, id, author))
    }

    fn text(author: Participant, body: &str) -> NewMessage {
        NewMessage {
            id: MessageId(Uuid::new_v4()),
            author: Some(Author {
                participant: author,
                name: "Mia".into(),
            }),
            body: Body::Text { text: body.into() },
            at_ms: 1,
            visibility: Visibility::Everyone,
            file: None,
        }
    }

    /// A batch made by hand, as the tasks make one from the queue.
    fn batch(id: ConversationId, author: Participant, messages: Vec<NewMessage>) -> Vec<Request> {
        messages
            .into_iter()
            .map(|message| Request {
                conversation: id,
                author,
                message,
                answer: oneshot::channel().0,
            })
            .collect()
    }

    async fn stored_seqs(store: &super::super::PgStore, id: ConversationId) -> Vec<i64> {
        sqlx::query_scalar("SELECT seq FROM messages WHERE conversation_id = $1 ORDER BY seq")
            .bind(id.to_string())
            .fetch_all(&store.pool)
            .await
            .unwrap()
    }

    /// PostgreSQL cannot keep a NUL in text: the message that holds one fails
    /// alone, and the others of its batch are stored, in order.
    #[tokio::test]
    async fn a_message_the_database_refuses_fails_alone_and_its_batch_is_stored() {
        let Some((store, id, author)) = chat().await else {
            return;
        };
        let requests = batch(
            id,
            author,
            vec![
                text(author, "one"),
                text(author, "a\0b"),
                text(author, "two"),
            ],
        );
        let answers = super::store(&store.pool, &store.begin, &requests).await;
        assert_eq!(answers[0].as_ref().unwrap().seq, 2);
        assert!(
            matches!(answers[1], Err(StoreError::Internal(_))),
            "{:?}",
            answers[1]
        );
        assert_eq!(answers[2].as_ref().unwrap().seq, 3);
        assert_eq!(stored_seqs(&store, id).await, [1, 2, 3]);
    }

    /// A resend that comes in the same batch as its first send (a client that
    /// reconnected and resent before its first try was answered) is the same
    /// message; with another text it is a conflict.
    #[tokio::test]
    async fn a_resend_in_the_batch_of_its_first_send_is_stored_once() {
        let Some((store, id, author)) = chat().await else {
            return;
        };
        let first = text(author, "where is my order?");
        let mut other = first.clone();
        other.body = Body::Text {
            text: "something else".into(),
        };
        let requests = batch(
            id,
            author,
            vec![first.clone(), text(author, "next"), first.clone(), other],
        );
        // In one transaction: not by storing them one by one after a failure.
        let requests: Vec<&Request> = requests.iter().collect();
        let answers: Vec<_> = super::store_batch(&store.pool, &store.begin, &requests, Wait::Never)
            .await
            .unwrap()
            .into_iter()
            .map(|answer| answer.expect("nothing deferred"))
            .collect();
        let first_answer = answers[0].as_ref().unwrap();
        assert_eq!(first_answer.seq, 2);
        assert!(!first_answer.changed.is_empty());
        assert_eq!(answers[1].as_ref().unwrap().seq, 3);
        let resent = answers[2].as_ref().unwrap();
        assert_eq!(resent.seq, 2);
        assert!(resent.changed.is_empty(), "a duplicate changes nothing");
        assert!(matches!(
            answers[3],
            Err(StoreError::Refused(Refusal::IdConflict(id))) if id == first.id
        ));
        assert_eq!(stored_seqs(&store, id).await, [1, 2, 3]);
    }

    /// Appends to conversations that are not there, or by someone not in them,
    /// are refused without holding up the rest of the batch.
    #[tokio::test]
    async fn refusals_in_a_batch_leave_no_gap() {
        let Some((store, id, author)) = chat().await else {
            return;
        };
        let stranger = Participant::Visitor(app::ids::VisitorId(Uuid::new_v4()));
        let mut requests = batch(id, author, vec![text(author, "one")]);
        requests.extend(batch(id, stranger, vec![text(stranger, "let me in")]));
        let nowhere = ConversationId(Uuid::new_v4());
        requests.extend(batch(nowhere, author, vec![text(author, "lost")]));
        requests.extend(batch(id, author, vec![text(author, "two")]));
        // Refused in the batch, or (the conversation that is not there) after it.
        let answers = super::store(&store.pool, &store.begin, &requests).await;
        assert_eq!(answers[0].as_ref().unwrap().seq, 2);
        for refused in &answers[1..3] {
            assert!(
                matches!(refused, Err(StoreError::Refused(Refusal::NotFound))),
                "{refused:?}"
            );
        }
        let two = answers[3].as_ref().unwrap();
        assert_eq!(two.seq, 3);
        assert_eq!(two.changed.recipients, [author]);
        assert_eq!(stored_seqs(&store, id).await, [1, 2, 3]);
    }

    /// A conversation whose row another transaction holds (another node's
    /// change, say) is left out of the batch, which stores the others at once;
    /// its own appends wait for the lock after the batch.
    #[tokio::test]
    async fn a_conversation_held_elsewhere_holds_up_only_its_own_appends() {
        let Some((store, busy, mia)) = chat().await else {
            return;
        };
        let leo = store.visitor_for_token(&[7; 32], "Leo").await.unwrap();
        let free = ConversationId(Uuid::new_v4());
        let leo = Participant::Visitor(leo.id);
        let visitor = store.visitor_for_token(&[7; 32], "Leo").await.unwrap();
        store
            .create_direct(free, &visitor, None, text(leo, "hello"))
            .await
            .unwrap();
        let mut holder = store.pool.begin().await.unwrap();
        sqlx::query("SELECT id FROM conversations WHERE id = $1 FOR UPDATE")
            .bind(busy.to_string())
            .execute(&mut *holder)
            .await
            .unwrap();

        let mut requests = batch(free, leo, vec![text(leo, "one")]);
        requests.extend(batch(busy, mia, vec![text(mia, "waits")]));
        requests.extend(batch(free, leo, vec![text(leo, "two")]));
        let held: Vec<&Request> = requests.iter().collect();
        let answers = super::store_batch(&store.pool, &store.begin, &held, Wait::Never)
            .await
            .unwrap();
        assert_eq!(answers[0].as_ref().unwrap().as_ref().unwrap().seq, 2);
        assert!(answers[1].is_none(), "deferred: {:?}", answers[1]);
        assert_eq!(answers[2].as_ref().unwrap().as_ref().unwrap().seq, 3);
        assert_eq!(stored_seqs(&store, free).await, [1, 2, 3]);

        // The whole path: the deferred append waits for the lock, then is stored.
        let requests = batch(busy, mia, vec![text(mia, "after the lock")]);
        let release = async {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            holder.commit().await.unwrap();
        };
        let (answers, ()) =
            tokio::join!(super::store(&store.pool, &store.begin, &requests), release);
        assert_eq!(answers[0].as_ref().unwrap().seq, 2);
        assert_eq!(stored_seqs(&store, busy).await, [1, 2]);
    }
}
