//! Rows below the nouns: reading and writing the columns that several nouns share
//! (participants, entries, summaries, invitations, agents), the conversation lock,
//! and the search terms as PostgreSQL keeps them. The noun files import these and
//! never each other. The mapping is the SQLite backend's, column for column.

use super::pg_error;
use crate::chat::rules;
use crate::store::{search, AgentRecord, NewMessage, StoreError, StoreResult};
use app::ids::{AgentId, ConversationId, InvitationId, MessageId, Participant, VisitorId};
use app::protocol::{
    AgentRole, AgentStatus, Author, Body, ChatMessage, ConversationKind, ConversationState,
    ConversationSummary, InvitationInfo, InvitationState, Notice, Visibility,
};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

pub(super) fn uuid_col(row: &PgRow, column: &str) -> Result<Uuid, StoreError> {
    let text: String = row.try_get(column).map_err(pg_error)?;
    parse_id(&text)
}

pub(super) fn parse_id(text: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(text).map_err(|e| StoreError::Internal(format!("stored id '{text}': {e}")))
}

pub(super) fn participant_parts(p: Participant) -> (&'static str, String) {
    match p {
        Participant::Visitor(id) => ("visitor", id.to_string()),
        Participant::Agent(id) => ("agent", id.to_string()),
    }
}

pub(super) fn participant_from(role: &str, id: Uuid) -> Result<Participant, StoreError> {
    match role {
        "visitor" => Ok(Participant::Visitor(VisitorId(id))),
        "agent" => Ok(Participant::Agent(AgentId(id))),
        other => Err(StoreError::Internal(format!(
            "unknown participant role '{other}'"
        ))),
    }
}

pub(super) fn participant_col(
    row: &PgRow,
    role_col: &str,
    id_col: &str,
) -> Result<Participant, StoreError> {
    let role: String = row.try_get(role_col).map_err(pg_error)?;
    participant_from(&role, uuid_col(row, id_col)?)
}

/// A column read as `T`, its error sorted as PostgreSQL's.
pub(super) fn col<'r, T>(row: &'r PgRow, column: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(column).map_err(pg_error)
}

/// How a body is kept: `(kind, text)`, notices as JSON.
pub(super) fn body_parts(body: &Body) -> (&'static str, String) {
    match body {
        Body::Text { text } => ("text", text.clone()),
        Body::Notice(notice) => (
            "notice",
            // A notice is a plain enum of strings: serialising it cannot fail.
            serde_json::to_string(notice).expect("notice serialises"),
        ),
    }
}

pub(super) const MESSAGE_COLUMNS: &str =
    "seq, client_msg_id, author_role, author_id, author_name, kind, body, created_at, visibility, file";

pub(super) fn visibility_from(s: &str) -> StoreResult<Visibility> {
    match s {
        "everyone" => Ok(Visibility::Everyone),
        "agents" => Ok(Visibility::Agents),
        other => Err(StoreError::Internal(format!(
            "unknown entry visibility '{other}'"
        ))),
    }
}

pub(super) fn message_from_row(row: &PgRow) -> Result<ChatMessage, StoreError> {
    let author_role: Option<String> = col(row, "author_role")?;
    let author = match author_role {
        Some(role) => Some(Author {
            participant: participant_from(&role, uuid_col(row, "author_id")?)?,
            name: col(row, "author_name")?,
        }),
        None => None,
    };
    let kind: String = col(row, "kind")?;
    let text: String = col(row, "body")?;
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
    let seq: i64 = col(row, "seq")?;
    let file = col::<Option<String>>(row, "file")?
        .map(|json| {
            serde_json::from_str(&json).map_err(|e| {
                StoreError::Internal(format!("stored file '{json}' is unreadable: {e}"))
            })
        })
        .transpose()?;
    Ok(ChatMessage {
        seq: seq as u64,
        id: MessageId(uuid_col(row, "client_msg_id")?),
        author,
        body,
        at_ms: col(row, "created_at")?,
        visibility: visibility_from(&col::<String>(row, "visibility")?)?,
        file,
    })
}

pub(super) const AGENT_COLUMNS: &str =
    "id, username, display_name, role, status, password_hash, email, avatar_at";

pub(super) fn agent_from_row(row: &PgRow) -> StoreResult<AgentRecord> {
    let role: String = col(row, "role")?;
    let status: String = col(row, "status")?;
    Ok(AgentRecord {
        id: AgentId(uuid_col(row, "id")?),
        username: col(row, "username")?,
        name: col(row, "display_name")?,
        role: AgentRole::parse(&role)
            .ok_or_else(|| StoreError::Internal(format!("unknown agent role '{role}'")))?,
        status: AgentStatus::parse(&status)
            .ok_or_else(|| StoreError::Internal(format!("unknown agent status '{status}'")))?,
        password_hash: col(row, "password_hash")?,
        email: col(row, "email")?,
        avatar_ms: col(row, "avatar_at")?,
    })
}

pub(super) fn kind_from(s: &str) -> StoreResult<ConversationKind> {
    match s {
        "direct" => Ok(ConversationKind::Direct),
        "group" => Ok(ConversationKind::Group),
        other => Err(StoreError::Internal(format!(
            "unknown conversation kind '{other}'"
        ))),
    }
}

pub(super) fn state_from(s: &str) -> StoreResult<ConversationState> {
    match s {
        "queued" => Ok(ConversationState::Queued),
        "active" => Ok(ConversationState::Active),
        "closed" => Ok(ConversationState::Closed),
        other => Err(StoreError::Internal(format!(
            "unknown conversation state '{other}'"
        ))),
    }
}

/// A conversation as its lock found it.
pub(super) struct Locked {
    pub(super) state: ConversationState,
    pub(super) owner: Option<AgentId>,
}

/// Locks a conversation's row for the rest of the transaction: the first statement
/// of every transaction that changes the conversation. Whoever holds it is the one
/// writer of that conversation; the others wait here, and then read what it
/// committed. `None` when there is no such conversation.
pub(super) async fn lock_conversation(
    conn: &mut PgConnection,
    id: ConversationId,
) -> StoreResult<Option<Locked>> {
    let row = sqlx::query(
        "SELECT kind, state, owner_agent_id, last_seq FROM conversations WHERE id = $1
         FOR UPDATE",
    )
    .bind(id.to_string())
    .fetch_optional(conn)
    .await
    .map_err(pg_error)?;
    row.map(|row| {
        let owner: Option<String> = col(&row, "owner_agent_id")?;
        Ok(Locked {
            state: state_from(&col::<String>(&row, "state")?)?,
            owner: owner.map(|o| parse_id(&o).map(AgentId)).transpose()?,
        })
    })
    .transpose()
}

/// Takes the next sequence number of a conversation (locked by the caller).
pub(super) async fn next_seq(conn: &mut PgConnection, id: ConversationId) -> StoreResult<u64> {
    let seq: i64 = sqlx::query_scalar(
        "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq",
    )
    .bind(id.to_string())
    .fetch_one(conn)
    .await
    .map_err(pg_error)?;
    Ok(seq as u64)
}

/// The longest lexeme PostgreSQL keeps, in bytes.
const MAX_LEXEME_BYTES: usize = 2047;

/// A term as a quoted lexeme of a `tsvector` or `tsquery` literal: cut to the
/// longest lexeme PostgreSQL keeps (a longer one, in a text or a query alike, is
/// then found by its start), quotes and backslashes escaped.
fn lexeme(term: &str) -> String {
    let mut end = term.len().min(MAX_LEXEME_BYTES);
    while !term.is_char_boundary(end) {
        end -= 1;
    }
    let escaped = term[..end].replace('\\', "\\\\").replace('\'', "''");
    format!("'{escaped}'")
}

/// What the index keeps for `text`: its terms ([`search::terms`]) as a
/// `tsvector` literal, each with its position, so that PostgreSQL's parser and
/// dictionaries never cut them again. (PostgreSQL keeps at most 256 positions of
/// one term and none past 16383; a message holds at most 4000 characters.)
pub(super) fn tsvector_literal(text: &str) -> String {
    search::terms(text)
        .iter()
        .enumerate()
        .map(|(at, term)| format!("{}:{}", lexeme(term), at + 1))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `tsquery` literal for `query`, or `None` when there is nothing to search
/// for: FTS5's `"a b"* AND "c d"` as `('a' <-> 'b':*) & ('c' <-> 'd')`. Built from
/// the cut terms only, each quoted, so nothing typed is read as query syntax.
pub(super) fn tsquery_literal(query: &str) -> Option<String> {
    let phrases = search::query_phrases(query);
    if phrases.is_empty() {
        return None;
    }
    let expression = phrases
        .iter()
        .map(|phrase| {
            let last = phrase.terms.len() - 1;
            let terms = phrase
                .terms
                .iter()
                .enumerate()
                .map(|(at, term)| {
                    if at == last && phrase.prefix {
                        format!("{}:*", lexeme(term))
                    } else {
                        lexeme(term)
                    }
                })
                .collect::<Vec<_>>()
                .join(" <-> ");
            format!("({terms})")
        })
        .collect::<Vec<_>>()
        .join(" & ");
    Some(expression)
}

pub(super) async fn insert_message(
    conn: &mut PgConnection,
    id: ConversationId,
    seq: u64,
    message: &NewMessage,
) -> StoreResult<ChatMessage> {
    let (role, author_id) = match &message.author {
        Some(author) => {
            let (role, id) = participant_parts(author.participant);
            (Some(role), Some(id))
        }
        None => (None, None),
    };
    let (kind, body) = body_parts(&message.body);
    // Indexed in the same statement: there is no separate index to keep in step.
    let terms = match &message.body {
        Body::Text { text } => Some(tsvector_literal(text)),
        Body::Notice(_) => None,
    };
    sqlx::query(
        "INSERT INTO messages (conversation_id, seq, client_msg_id, author_role, author_id,
                               author_name, kind, body, created_at, visibility, file,
                               search_terms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::tsvector)",
    )
    .bind(id.to_string())
    .bind(seq as i64)
    .bind(message.id.to_string())
    .bind(role)
    .bind(author_id)
    .bind(message.author.as_ref().map(|a| a.name.as_str()))
    .bind(kind)
    .bind(body)
    .bind(message.at_ms)
    .bind(message.visibility.as_str())
    .bind(
        message
            .file
            .as_ref()
            .map(|f| serde_json::to_string(f).expect("file info serialises")),
    )
    .bind(terms)
    .execute(&mut *conn)
    .await
    .map_err(pg_error)?;
    insert_file(conn, id, seq, message).await?;
    Ok(message.stored(seq))
}

/// Records the file a message carries, if it carries one, as the entry's.
pub(super) async fn insert_file(
    conn: &mut PgConnection,
    id: ConversationId,
    seq: u64,
    message: &NewMessage,
) -> StoreResult<()> {
    if let (Some(file), Some(author)) = (&message.file, &message.author) {
        let (role, uploader) = participant_parts(author.participant);
        sqlx::query(
            "INSERT INTO files (id, conversation_id, uploader_role, uploader_id, name,
                                content_type, size, seq, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(file.id.to_string())
        .bind(id.to_string())
        .bind(role)
        .bind(uploader)
        .bind(&file.name)
        .bind(&file.content_type)
        .bind(file.size as i64)
        .bind(seq as i64)
        .bind(message.at_ms)
        .execute(&mut *conn)
        .await
        .map_err(pg_error)?;
    }
    Ok(())
}

/// Indexes the text messages that are not yet (written by something other than
/// this server, e.g. copied in). Returns how many. Several nodes starting at once
/// may both index a message: they write the same terms.
pub(super) async fn index_unindexed(conn: &mut PgConnection) -> StoreResult<u64> {
    let rows: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT conversation_id, seq, body FROM messages
         WHERE kind = 'text' AND search_terms IS NULL ORDER BY created_at, conversation_id, seq",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(pg_error)?;
    for (conversation, seq, body) in &rows {
        sqlx::query(
            "UPDATE messages SET search_terms = $3::tsvector
             WHERE conversation_id = $1 AND seq = $2 AND search_terms IS NULL",
        )
        .bind(conversation)
        .bind(seq)
        .bind(tsvector_literal(body))
        .execute(&mut *conn)
        .await
        .map_err(pg_error)?;
    }
    Ok(rows.len() as u64)
}

/// Appends a server-written notice under the next sequence number.
pub(super) async fn append_notice(
    conn: &mut PgConnection,
    id: ConversationId,
    notice: Notice,
    at_ms: i64,
) -> StoreResult<ChatMessage> {
    let seq = next_seq(conn, id).await?;
    let message = self::notice(notice, at_ms);
    insert_message(conn, id, seq, &message).await
}

/// A server-written notice about to be stored.
pub(super) fn notice(notice: Notice, at_ms: i64) -> NewMessage {
    NewMessage {
        id: MessageId(Uuid::new_v4()),
        author: None,
        body: Body::Notice(notice),
        at_ms,
        visibility: Visibility::Everyone,
        file: None,
    }
}

/// Adds `who` to a conversation from `seq` on, or brings back someone who left.
pub(super) async fn join(
    conn: &mut PgConnection,
    id: ConversationId,
    who: Participant,
    name: &str,
    seq: u64,
    at_ms: i64,
) -> StoreResult<()> {
    let (role, pid) = participant_parts(who);
    sqlx::query(
        "INSERT INTO participants (conversation_id, role, participant_id, display_name,
                                   joined_seq, joined_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (conversation_id, role, participant_id) DO UPDATE
         SET left_at = NULL, left_seq = NULL, joined_seq = excluded.joined_seq,
             joined_at = excluded.joined_at, display_name = excluded.display_name",
    )
    .bind(id.to_string())
    .bind(role)
    .bind(pid)
    .bind(name)
    .bind(seq as i64)
    .bind(at_ms)
    .execute(conn)
    .await
    .map_err(pg_error)?;
    Ok(())
}

/// The current participants, without their names.
pub(super) async fn recipients(
    conn: &mut PgConnection,
    id: ConversationId,
) -> StoreResult<Vec<Participant>> {
    Ok(current_participants(conn, id)
        .await?
        .into_iter()
        .map(|(p, _)| p)
        .collect())
}

/// A conversation's current participants, in the order they joined, with how far
/// each has read: read on every stored message, by the index
/// `participants_current` (migration 0026).
pub(super) const CURRENT_PARTICIPANTS: &str =
    "SELECT role, participant_id, display_name, seen_seq FROM participants
     WHERE conversation_id = $1 AND left_at IS NULL ORDER BY joined_at, role, participant_id";

/// [`CURRENT_PARTICIPANTS`]: each one, their name and how far they have read.
async fn members(
    conn: &mut PgConnection,
    id: ConversationId,
) -> StoreResult<Vec<(Participant, String, u64)>> {
    sqlx::query(CURRENT_PARTICIPANTS)
        .bind(id.to_string())
        .fetch_all(conn)
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| {
            Ok((
                participant_col(row, "role", "participant_id")?,
                col(row, "display_name")?,
                col::<i64>(row, "seen_seq")? as u64,
            ))
        })
        .collect()
}

pub(super) async fn current_participants(
    conn: &mut PgConnection,
    id: ConversationId,
) -> StoreResult<Vec<(Participant, String)>> {
    Ok(members(conn, id)
        .await?
        .into_iter()
        .map(|(participant, name, _)| (participant, name))
        .collect())
}

pub(super) async fn summary(
    conn: &mut PgConnection,
    id: ConversationId,
) -> StoreResult<ConversationSummary> {
    let row = sqlx::query(
        "SELECT kind, state, last_seq, owner_agent_id FROM conversations WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_one(&mut *conn)
    .await
    .map_err(pg_error)?;
    let kind: String = col(&row, "kind")?;
    let state: String = col(&row, "state")?;
    let last_seq: i64 = col(&row, "last_seq")?;
    let owner: Option<String> = col(&row, "owner_agent_id")?;
    let owner = owner.map(|o| parse_id(&o).map(AgentId)).transpose()?;
    let invitations = pending_in(conn, id).await?;
    let members = members(conn, id).await?;
    let (participants, seen) = rules::members_and_seen(members);
    Ok(ConversationSummary {
        id,
        kind: kind_from(&kind)?,
        state: state_from(&state)?,
        last_seq: last_seq as u64,
        participants,
        owner,
        invitations,
        seen,
    })
}

/// A conversation's kind and state, if `$2`/`$3` is one of its current
/// participants.
pub(super) const MEMBER_STATE: &str = "SELECT c.kind, c.state FROM conversations c
     JOIN participants p ON p.conversation_id = c.id
     WHERE c.id = $1 AND p.role = $2 AND p.participant_id = $3 AND p.left_at IS NULL";

/// The conversation's state if `who` is a current participant of it.
pub(super) async fn member_state(
    conn: &mut PgConnection,
    id: ConversationId,
    who: Participant,
) -> StoreResult<Option<(ConversationKind, ConversationState)>> {
    let (role, pid) = participant_parts(who);
    let row = sqlx::query(MEMBER_STATE)
        .bind(id.to_string())
        .bind(role)
        .bind(pid)
        .fetch_optional(conn)
        .await
        .map_err(pg_error)?;
    row.map(|row| {
        let kind: String = col(&row, "kind")?;
        let state: String = col(&row, "state")?;
        Ok((kind_from(&kind)?, state_from(&state)?))
    })
    .transpose()
}

/// The invitation's columns, and the names of its conversation's current
/// participants joined by the unit separator (names hold no control characters),
/// in the order they joined.
pub(super) const INVITATION_COLUMNS: &str =
    "id, conversation_id, invitee_role, invitee_id, invitee_name, inviter_name, state, created_at,
     greeting,
     (SELECT string_agg(p.display_name, chr(31) ORDER BY p.joined_at, p.role, p.participant_id)
      FROM participants p
      WHERE p.conversation_id = invitations.conversation_id AND p.left_at IS NULL) AS participant_names";

pub(super) fn invitation_from_row(row: &PgRow) -> StoreResult<InvitationInfo> {
    let state: String = col(row, "state")?;
    Ok(InvitationInfo {
        id: InvitationId(uuid_col(row, "id")?),
        conversation_id: ConversationId(uuid_col(row, "conversation_id")?),
        invitee: participant_col(row, "invitee_role", "invitee_id")?,
        invitee_name: col(row, "invitee_name")?,
        inviter_name: col(row, "inviter_name")?,
        participants: col::<Option<String>>(row, "participant_names")?
            .map(|names| names.split('\u{1f}').map(str::to_owned).collect())
            .unwrap_or_default(),
        state: InvitationState::parse(&state)
            .ok_or_else(|| StoreError::Internal(format!("unknown invitation state '{state}'")))?,
        at_ms: col(row, "created_at")?,
        greeting: col(row, "greeting")?,
    })
}

/// The pending invitations of a conversation.
pub(super) async fn pending_in(
    conn: &mut PgConnection,
    id: ConversationId,
) -> StoreResult<Vec<InvitationInfo>> {
    sqlx::query(&format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations
         WHERE conversation_id = $1 AND state = 'pending' ORDER BY created_at, id"
    ))
    .bind(id.to_string())
    .fetch_all(conn)
    .await
    .map_err(pg_error)?
    .iter()
    .map(invitation_from_row)
    .collect()
}

/// Sends invitations to those of `invitees` not already in or invited, each with an
/// `invited` notice. The caller holds the conversation's lock.
pub(super) async fn send_invitations(
    conn: &mut PgConnection,
    id: ConversationId,
    inviter: &AgentRecord,
    invitees: &[(Participant, String)],
    greeting: &str,
    at_ms: i64,
) -> StoreResult<(Vec<InvitationInfo>, Vec<ChatMessage>)> {
    let (present, present_names): (Vec<Participant>, Vec<String>) =
        current_participants(conn, id).await?.into_iter().unzip();
    let pending: Vec<Participant> = pending_in(conn, id)
        .await?
        .into_iter()
        .map(|i| i.invitee)
        .collect();
    let mut invitations = Vec::new();
    let mut notices = Vec::new();
    for (invitee, name) in rules::invitees_to_add(&present, &pending, invitees) {
        let (role, pid) = participant_parts(*invitee);
        let invitation = InvitationInfo {
            id: InvitationId(Uuid::new_v4()),
            conversation_id: id,
            invitee: *invitee,
            invitee_name: name.clone(),
            inviter_name: inviter.name.clone(),
            participants: present_names.clone(),
            state: InvitationState::Pending,
            at_ms,
            greeting: greeting.to_owned(),
        };
        sqlx::query(
            "INSERT INTO invitations (id, conversation_id, invitee_role, invitee_id, invitee_name,
                                      inviter_id, inviter_name, state, created_at, greeting)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9)",
        )
        .bind(invitation.id.to_string())
        .bind(id.to_string())
        .bind(role)
        .bind(pid)
        .bind(name)
        .bind(inviter.id.to_string())
        .bind(&inviter.name)
        .bind(at_ms)
        .bind(greeting)
        .execute(&mut *conn)
        .await
        .map_err(pg_error)?;
        notices.push(append_notice(conn, id, Notice::Invited { name: name.clone() }, at_ms).await?);
        invitations.push(invitation);
    }
    Ok((invitations, notices))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_indexed_as_its_terms_with_their_positions() {
        assert_eq!(
            tsvector_literal("我要退款 OK"),
            "'我':1 '要':2 '退':3 '款':4 'ok':5"
        );
        assert_eq!(tsvector_literal("?!"), "");
        let long = "a".repeat(3000);
        assert_eq!(
            tsvector_literal(&long),
            format!("'{}':1", "a".repeat(MAX_LEXEME_BYTES))
        );
        // Cut at a character, never inside one.
        let wide = "é".repeat(1500);
        assert_eq!(lexeme(&wide).len(), 2 + 1023 * 2);
    }

    #[test]
    fn a_query_is_phrases_of_quoted_terms() {
        assert_eq!(tsquery_literal("退款").as_deref(), Some("('退' <-> '款')"));
        assert_eq!(
            tsquery_literal("Refund 订单").as_deref(),
            Some("('refund':*) & ('订' <-> '单')")
        );
        assert_eq!(
            tsquery_literal("order-42").as_deref(),
            Some("('order' <-> '42':*)")
        );
        assert_eq!(
            tsquery_literal("it's a\\b & !x | y:* <-> (z)").as_deref(),
            Some("('it' <-> 's':*) & ('a' <-> 'b':*) & ('x':*) & ('y':*) & ('z':*)")
        );
        assert_eq!(tsquery_literal("  ?!  "), None);
    }
}
