//! Rows below the nouns: reading and writing the columns that several nouns share
//! (participants, entries, summaries, invitations, agents). The noun files import
//! these and never each other.

use crate::chat::rules;
use crate::store::{search, AgentRecord, NewMessage, StoreError, StoreResult};
use app::ids::{AgentId, ConversationId, InvitationId, MessageId, Participant, VisitorId};
use app::protocol::{
    AgentRole, AgentStatus, Author, Body, ChatMessage, ConversationKind, ConversationState,
    ConversationSummary, InvitationInfo, InvitationState, Notice, Visibility,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

pub(super) fn uuid_col(row: &SqliteRow, column: &str) -> Result<Uuid, StoreError> {
    let text: String = row.try_get(column)?;
    Uuid::parse_str(&text)
        .map_err(|e| StoreError::Internal(format!("column {column} holds '{text}': {e}")))
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
    row: &SqliteRow,
    role_col: &str,
    id_col: &str,
) -> Result<Participant, StoreError> {
    let role: String = row.try_get(role_col)?;
    participant_from(&role, uuid_col(row, id_col)?)
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

/// A body as it was kept by [`body_parts`].
pub(super) fn body_from(kind: &str, text: String) -> StoreResult<Body> {
    match kind {
        "text" => Ok(Body::Text { text }),
        "notice" => Ok(Body::Notice(serde_json::from_str(&text).map_err(|e| {
            StoreError::Internal(format!("stored notice '{text}' is unreadable: {e}"))
        })?)),
        other => Err(StoreError::Internal(format!(
            "unknown message kind '{other}'"
        ))),
    }
}

/// Stores an entry: conversation, seq, client id, author role, id and name, kind,
/// body, time, visibility, file (JSON), and whether it is text. A text entry takes the
/// next number of the search index, returned.
pub(super) const INSERT_MESSAGE: &str =
    "INSERT INTO messages (conversation_id, seq, client_msg_id, author_role, author_id,
                           author_name, kind, body, created_at, visibility, file, search_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
             CASE WHEN ? THEN (SELECT COALESCE(MAX(search_id), 0) + 1 FROM messages
                               WHERE search_id IS NOT NULL) END)
     RETURNING search_id";

/// Indexes a text entry's terms under its search number.
pub(super) const INSERT_SEARCH_TERMS: &str =
    "INSERT INTO message_search (rowid, terms) VALUES (?, ?)";

/// A conversation's current participants (role, id), in the order they joined.
pub(super) const RECIPIENTS: &str = "SELECT role, participant_id FROM participants
     WHERE conversation_id = ? AND left_at IS NULL ORDER BY joined_at, role, participant_id";

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

pub(super) fn message_from_row(row: &SqliteRow) -> Result<ChatMessage, StoreError> {
    let author_role: Option<String> = row.try_get("author_role")?;
    let author = match author_role {
        Some(role) => Some(Author {
            participant: participant_from(&role, uuid_col(row, "author_id")?)?,
            name: row.try_get("author_name")?,
        }),
        None => None,
    };
    let kind: String = row.try_get("kind")?;
    let body = body_from(&kind, row.try_get("body")?)?;
    let seq: i64 = row.try_get("seq")?;
    let file = row
        .try_get::<Option<String>, _>("file")?
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
        at_ms: row.try_get("created_at")?,
        visibility: visibility_from(&row.try_get::<String, _>("visibility")?)?,
        file,
    })
}

pub(super) const AGENT_COLUMNS: &str =
    "id, username, display_name, role, status, password_hash, email, avatar_at";

pub(super) fn agent_from_row(row: &SqliteRow) -> StoreResult<AgentRecord> {
    let role: String = row.try_get("role")?;
    let status: String = row.try_get("status")?;
    Ok(AgentRecord {
        id: AgentId(uuid_col(row, "id")?),
        username: row.try_get("username")?,
        name: row.try_get("display_name")?,
        role: AgentRole::parse(&role)
            .ok_or_else(|| StoreError::Internal(format!("unknown agent role '{role}'")))?,
        status: AgentStatus::parse(&status)
            .ok_or_else(|| StoreError::Internal(format!("unknown agent status '{status}'")))?,
        password_hash: row.try_get("password_hash")?,
        email: row.try_get("email")?,
        avatar_ms: row.try_get("avatar_at")?,
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

/// Takes the next sequence number of a conversation.
pub(super) async fn next_seq(conn: &mut SqliteConnection, id: ConversationId) -> StoreResult<u64> {
    let seq: i64 = sqlx::query_scalar(
        "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq",
    )
    .bind(id.to_string())
    .fetch_one(conn)
    .await?;
    Ok(seq as u64)
}

pub(super) async fn insert_message(
    conn: &mut SqliteConnection,
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
    let search_id: Option<i64> = sqlx::query_scalar(INSERT_MESSAGE)
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
        .bind(kind == "text")
        .fetch_one(&mut *conn)
        .await?;
    if let (Some(search_id), Body::Text { text }) = (search_id, &message.body) {
        sqlx::query(INSERT_SEARCH_TERMS)
            .bind(search_id)
            .bind(search::index_text(text))
            .execute(&mut *conn)
            .await?;
    }
    if let (Some(file), Some(author)) = (&message.file, &message.author) {
        let (role, uploader) = participant_parts(author.participant);
        sqlx::query(
            "INSERT INTO files (id, conversation_id, uploader_role, uploader_id, name,
                                content_type, size, seq, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .await?;
    }
    Ok(message.stored(seq))
}

/// Numbers a text message for the full-text index (`search_id`) and indexes it.
async fn index_text(
    conn: &mut SqliteConnection,
    id: ConversationId,
    seq: u64,
    text: &str,
) -> StoreResult<()> {
    let search_id: i64 = sqlx::query_scalar(
        "UPDATE messages SET search_id = (SELECT COALESCE(MAX(search_id), 0) + 1 FROM messages)
         WHERE conversation_id = ? AND seq = ? RETURNING search_id",
    )
    .bind(id.to_string())
    .bind(seq as i64)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(INSERT_SEARCH_TERMS)
        .bind(search_id)
        .bind(search::index_text(text))
        .execute(conn)
        .await?;
    Ok(())
}

/// Indexes the text messages that are not yet (written before the index, or
/// before it was rebuilt). Returns how many.
pub(super) async fn index_unindexed(conn: &mut SqliteConnection) -> StoreResult<u64> {
    let rows: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT conversation_id, seq, body FROM messages
         WHERE kind = 'text' AND search_id IS NULL ORDER BY created_at, conversation_id, seq",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (conversation, seq, body) in &rows {
        let id = ConversationId(Uuid::parse_str(conversation).map_err(|e| {
            StoreError::Internal(format!("stored conversation id '{conversation}': {e}"))
        })?);
        index_text(conn, id, *seq as u64, body).await?;
    }
    Ok(rows.len() as u64)
}

/// Appends a server-written notice under the next sequence number.
pub(super) async fn append_notice(
    conn: &mut SqliteConnection,
    id: ConversationId,
    notice: Notice,
    at_ms: i64,
) -> StoreResult<ChatMessage> {
    let seq = next_seq(conn, id).await?;
    let message = NewMessage {
        id: MessageId(Uuid::new_v4()),
        author: None,
        body: Body::Notice(notice),
        at_ms,
        visibility: Visibility::Everyone,
        file: None,
    };
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
    conn: &mut SqliteConnection,
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
         VALUES (?, ?, ?, ?, ?, ?)
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
    .await?;
    Ok(())
}

/// The current participants, without their names.
pub(super) async fn recipients(
    conn: &mut SqliteConnection,
    id: ConversationId,
) -> StoreResult<Vec<Participant>> {
    sqlx::query(RECIPIENTS)
        .bind(id.to_string())
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| participant_col(row, "role", "participant_id"))
        .collect()
}

/// A conversation's current participants in the order they joined: each one,
/// their name and how far they have read.
async fn members(
    conn: &mut SqliteConnection,
    id: ConversationId,
) -> StoreResult<Vec<(Participant, String, u64)>> {
    sqlx::query(
        "SELECT role, participant_id, display_name, seen_seq FROM participants
         WHERE conversation_id = ? AND left_at IS NULL ORDER BY joined_at, role, participant_id",
    )
    .bind(id.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            participant_col(row, "role", "participant_id")?,
            row.try_get("display_name")?,
            row.try_get::<i64, _>("seen_seq")? as u64,
        ))
    })
    .collect()
}

pub(super) async fn current_participants(
    conn: &mut SqliteConnection,
    id: ConversationId,
) -> StoreResult<Vec<(Participant, String)>> {
    Ok(members(conn, id)
        .await?
        .into_iter()
        .map(|(participant, name, _)| (participant, name))
        .collect())
}

pub(super) async fn summary(
    conn: &mut SqliteConnection,
    id: ConversationId,
) -> StoreResult<ConversationSummary> {
    let row =
        sqlx::query("SELECT kind, state, last_seq, owner_agent_id FROM conversations WHERE id = ?")
            .bind(id.to_string())
            .fetch_one(&mut *conn)
            .await?;
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    let last_seq: i64 = row.try_get("last_seq")?;
    let owner: Option<String> = row.try_get("owner_agent_id")?;
    let owner = owner
        .map(|o| Uuid::parse_str(&o).map(AgentId))
        .transpose()
        .map_err(|e| StoreError::Internal(format!("stored owner id: {e}")))?;
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

/// The conversation's state if `who` is a current participant of it.
pub(super) async fn member_state(
    conn: &mut SqliteConnection,
    id: ConversationId,
    who: Participant,
) -> StoreResult<Option<(ConversationKind, ConversationState)>> {
    let (role, pid) = participant_parts(who);
    let row = sqlx::query(
        "SELECT c.kind, c.state FROM conversations c
         JOIN participants p ON p.conversation_id = c.id
         WHERE c.id = ? AND p.role = ? AND p.participant_id = ? AND p.left_at IS NULL",
    )
    .bind(id.to_string())
    .bind(role)
    .bind(pid)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        let kind: String = row.try_get("kind")?;
        let state: String = row.try_get("state")?;
        Ok((kind_from(&kind)?, state_from(&state)?))
    })
    .transpose()
}

/// The invitation's columns, and the names of its conversation's current
/// participants joined by the unit separator (names hold no control characters).
pub(super) const INVITATION_COLUMNS: &str =
    "id, conversation_id, invitee_role, invitee_id, invitee_name, inviter_name, state, created_at,
     greeting,
     (SELECT group_concat(p.display_name, char(31)) FROM participants p
      WHERE p.conversation_id = invitations.conversation_id AND p.left_at IS NULL) AS participant_names";

pub(super) fn invitation_from_row(row: &SqliteRow) -> StoreResult<InvitationInfo> {
    let state: String = row.try_get("state")?;
    Ok(InvitationInfo {
        id: InvitationId(uuid_col(row, "id")?),
        conversation_id: ConversationId(uuid_col(row, "conversation_id")?),
        invitee: participant_col(row, "invitee_role", "invitee_id")?,
        invitee_name: row.try_get("invitee_name")?,
        inviter_name: row.try_get("inviter_name")?,
        participants: row
            .try_get::<Option<String>, _>("participant_names")?
            .map(|names| names.split('\u{1f}').map(str::to_owned).collect())
            .unwrap_or_default(),
        state: InvitationState::parse(&state)
            .ok_or_else(|| StoreError::Internal(format!("unknown invitation state '{state}'")))?,
        at_ms: row.try_get("created_at")?,
        greeting: row.try_get("greeting")?,
    })
}

/// The pending invitations of a conversation.
pub(super) async fn pending_in(
    conn: &mut SqliteConnection,
    id: ConversationId,
) -> StoreResult<Vec<InvitationInfo>> {
    sqlx::query(&format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations
         WHERE conversation_id = ? AND state = 'pending' ORDER BY created_at, id"
    ))
    .bind(id.to_string())
    .fetch_all(conn)
    .await?
    .iter()
    .map(invitation_from_row)
    .collect()
}

/// Sends invitations to those of `invitees` not already in or invited, each with an
/// `invited` notice.
pub(super) async fn send_invitations(
    conn: &mut SqliteConnection,
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
             VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
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
        .await?;
        notices.push(append_notice(conn, id, Notice::Invited { name: name.clone() }, at_ms).await?);
        invitations.push(invitation);
    }
    Ok((invitations, notices))
}
