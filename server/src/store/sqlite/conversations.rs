//! Conversations, participants and the ordered entries on SQLite.
//!
//! Each mutation is one transaction on the single writer connection: it checks
//! membership, takes the next sequence number from `conversations.last_seq`, writes,
//! and reads back who must hear about it.

use super::{
    body_parts, map_err, message_from_row, participant_col, participant_parts, uuid_col,
    SqliteStore, WriteTx, MESSAGE_COLUMNS,
};
use crate::store::{
    AcceptOutcome, AgentRecord, Appended, Departure, LeaveOutcome, NewMessage, Page, StoreError,
    StoreResult, VisitorRecord,
};
use app::ids::{AgentId, ConversationId, MessageId, Participant, VisitorId};
use app::protocol::{
    Body, ChatMessage, ConversationKind, ConversationState, ConversationSummary, Notice,
    ParticipantInfo, QueueItem,
};
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

fn kind_from(s: &str) -> StoreResult<ConversationKind> {
    match s {
        "direct" => Ok(ConversationKind::Direct),
        "group" => Ok(ConversationKind::Group),
        other => Err(StoreError::Internal(format!(
            "unknown conversation kind '{other}'"
        ))),
    }
}

fn state_from(s: &str) -> StoreResult<ConversationState> {
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
    .await
    .map_err(map_err)?;
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
    sqlx::query(
        "INSERT INTO messages (conversation_id, seq, client_msg_id, author_role, author_id,
                               author_name, kind, body, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    .execute(conn)
    .await
    .map_err(map_err)?;
    Ok(ChatMessage {
        seq,
        id: message.id,
        author: message.author.clone(),
        body: message.body.clone(),
        at_ms: message.at_ms,
    })
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
    };
    insert_message(conn, id, seq, &message).await
}

pub(super) async fn current_participants(
    conn: &mut SqliteConnection,
    id: ConversationId,
) -> StoreResult<Vec<(Participant, String)>> {
    sqlx::query(
        "SELECT role, participant_id, display_name FROM participants
         WHERE conversation_id = ? AND left_at IS NULL ORDER BY joined_at, role, participant_id",
    )
    .bind(id.to_string())
    .fetch_all(conn)
    .await
    .map_err(map_err)?
    .iter()
    .map(|row| {
        Ok((
            participant_col(row, "role", "participant_id")?,
            row.try_get("display_name").map_err(map_err)?,
        ))
    })
    .collect()
}

pub(super) async fn summary(
    conn: &mut SqliteConnection,
    id: ConversationId,
) -> StoreResult<ConversationSummary> {
    let row =
        sqlx::query("SELECT kind, state, last_seq, owner_agent_id FROM conversations WHERE id = ?")
            .bind(id.to_string())
            .fetch_one(&mut *conn)
            .await
            .map_err(map_err)?;
    let kind: String = row.try_get("kind").map_err(map_err)?;
    let state: String = row.try_get("state").map_err(map_err)?;
    let last_seq: i64 = row.try_get("last_seq").map_err(map_err)?;
    let owner: Option<String> = row.try_get("owner_agent_id").map_err(map_err)?;
    let owner = owner
        .map(|o| Uuid::parse_str(&o).map(AgentId))
        .transpose()
        .map_err(|e| StoreError::Internal(format!("stored owner id: {e}")))?;
    let invitations = super::invitations::pending_in(conn, id).await?;
    let participants = current_participants(conn, id)
        .await?
        .into_iter()
        .map(|(participant, name)| ParticipantInfo { participant, name })
        .collect();
    Ok(ConversationSummary {
        id,
        kind: kind_from(&kind)?,
        state: state_from(&state)?,
        last_seq: last_seq as u64,
        participants,
        owner,
        invitations,
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
    .await
    .map_err(map_err)?;
    row.map(|row| {
        let kind: String = row.try_get("kind").map_err(map_err)?;
        let state: String = row.try_get("state").map_err(map_err)?;
        Ok((kind_from(&kind)?, state_from(&state)?))
    })
    .transpose()
}

impl SqliteStore {
    pub(super) async fn create_direct_impl(
        &self,
        id: ConversationId,
        visitor: &VisitorRecord,
        first: NewMessage,
    ) -> StoreResult<(ConversationSummary, ChatMessage)> {
        let mut tx = WriteTx::begin(self).await?;
        sqlx::query(
            "INSERT INTO conversations (id, kind, state, last_seq, created_at)
             VALUES (?, 'direct', 'queued', 1, ?)",
        )
        .bind(id.to_string())
        .bind(first.at_ms)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        sqlx::query(
            "INSERT INTO participants (conversation_id, role, participant_id, display_name,
                                       joined_seq, joined_at)
             VALUES (?, 'visitor', ?, ?, 1, ?)",
        )
        .bind(id.to_string())
        .bind(visitor.id.to_string())
        .bind(&visitor.name)
        .bind(first.at_ms)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let message = insert_message(&mut tx, id, 1, &first).await?;
        let conversation = summary(&mut tx, id).await?;
        tx.commit().await?;
        Ok((conversation, message))
    }

    pub(super) async fn accept_queued_impl(
        &self,
        id: ConversationId,
        agent: &AgentRecord,
        at_ms: i64,
    ) -> StoreResult<AcceptOutcome> {
        let mut tx = WriteTx::begin(self).await?;
        let taken = sqlx::query(
            "UPDATE conversations SET state = 'active', owner_agent_id = ?
             WHERE id = ? AND state = 'queued'",
        )
        .bind(agent.id.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if taken.rows_affected() == 0 {
            let state: Option<String> =
                sqlx::query_scalar("SELECT state FROM conversations WHERE id = ?")
                    .bind(id.to_string())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err)?;
            return Ok(match state.as_deref() {
                Some("active") => AcceptOutcome::AlreadyTaken,
                _ => AcceptOutcome::NotFound,
            });
        }
        let seq = next_seq(&mut tx, id).await?;
        sqlx::query(
            "INSERT INTO participants (conversation_id, role, participant_id, display_name,
                                       joined_seq, joined_at)
             VALUES (?, 'agent', ?, ?, ?, ?)
             ON CONFLICT (conversation_id, role, participant_id) DO UPDATE
             SET left_at = NULL, left_seq = NULL, joined_seq = excluded.joined_seq,
                 joined_at = excluded.joined_at, display_name = excluded.display_name",
        )
        .bind(id.to_string())
        .bind(agent.id.to_string())
        .bind(&agent.name)
        .bind(seq as i64)
        .bind(at_ms)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let notice = NewMessage {
            id: MessageId(Uuid::new_v4()),
            author: None,
            body: Body::Notice(Notice::Joined {
                name: agent.name.clone(),
            }),
            at_ms,
        };
        let notice = insert_message(&mut tx, id, seq, &notice).await?;
        let conversation = summary(&mut tx, id).await?;
        tx.commit().await?;
        Ok(AcceptOutcome::Accepted {
            conversation,
            notice,
        })
    }

    pub(super) async fn append_impl(
        &self,
        id: ConversationId,
        author: Participant,
        message: NewMessage,
    ) -> StoreResult<Appended> {
        let mut tx = WriteTx::begin(self).await?;
        match member_state(&mut tx, id, author).await? {
            None => return Ok(Appended::NotFound),
            Some((_, ConversationState::Closed)) => return Ok(Appended::Closed),
            Some((_, ConversationState::Queued | ConversationState::Active)) => {}
        }
        let earlier = sqlx::query(
            "SELECT seq, author_role, author_id, kind, body FROM messages
             WHERE conversation_id = ? AND client_msg_id = ?",
        )
        .bind(id.to_string())
        .bind(message.id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        if let Some(row) = earlier {
            let seq: i64 = row.try_get("seq").map_err(map_err)?;
            let (kind, body) = body_parts(&message.body);
            let (role, pid) = participant_parts(author);
            let same = row
                .try_get::<Option<String>, _>("author_role")
                .map_err(map_err)?
                .as_deref()
                == Some(role)
                && row
                    .try_get::<Option<String>, _>("author_id")
                    .map_err(map_err)?
                    == Some(pid)
                && row.try_get::<String, _>("kind").map_err(map_err)? == kind
                && row.try_get::<String, _>("body").map_err(map_err)? == body;
            return Ok(if same {
                Appended::Duplicate { seq: seq as u64 }
            } else {
                Appended::Conflict
            });
        }
        let seq = next_seq(&mut tx, id).await?;
        let message = insert_message(&mut tx, id, seq, &message).await?;
        let recipients = current_participants(&mut tx, id)
            .await?
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        tx.commit().await?;
        Ok(Appended::Stored {
            message,
            recipients,
        })
    }

    pub(super) async fn messages_after_impl(
        &self,
        id: ConversationId,
        viewer: Participant,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Option<Page>> {
        let (role, pid) = participant_parts(viewer);
        // One query: the membership row decides the visible window, and no row at all
        // (not a member, or no such conversation) yields nothing.
        let window = sqlx::query(
            "SELECT p.joined_seq, p.left_seq, c.last_seq FROM participants p
             JOIN conversations c ON c.id = p.conversation_id
             WHERE p.conversation_id = ? AND p.role = ? AND p.participant_id = ?",
        )
        .bind(id.to_string())
        .bind(role)
        .bind(&pid)
        .fetch_optional(&self.reader)
        .await
        .map_err(map_err)?;
        let Some(window) = window else {
            return Ok(None);
        };
        let joined_seq: i64 = window.try_get("joined_seq").map_err(map_err)?;
        let left_seq: Option<i64> = window.try_get("left_seq").map_err(map_err)?;
        let last_seq: i64 = window.try_get("last_seq").map_err(map_err)?;
        let from = match viewer {
            Participant::Visitor(_) => (after_seq as i64).max(joined_seq - 1),
            Participant::Agent(_) => after_seq as i64,
        };
        let to = match viewer {
            Participant::Visitor(_) => left_seq.unwrap_or(i64::MAX),
            Participant::Agent(_) => i64::MAX,
        };
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages
             WHERE conversation_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?"
        ))
        .bind(id.to_string())
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(&self.reader)
        .await
        .map_err(map_err)?;
        let messages = rows
            .iter()
            .map(message_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Some(Page {
            messages,
            last_seq: to.min(last_seq) as u64,
        }))
    }

    pub(super) async fn conversations_of_impl(
        &self,
        participant: Participant,
    ) -> StoreResult<Vec<ConversationSummary>> {
        let (role, pid) = participant_parts(participant);
        let mut conn = self.reader.acquire().await.map_err(map_err)?;
        let ids = sqlx::query(
            "SELECT c.id FROM conversations c
             JOIN participants p ON p.conversation_id = c.id
             WHERE p.role = ? AND p.participant_id = ? AND p.left_at IS NULL
               AND c.state != 'closed'
             ORDER BY c.created_at",
        )
        .bind(role)
        .bind(pid)
        .fetch_all(&mut *conn)
        .await
        .map_err(map_err)?
        .iter()
        .map(|row| uuid_col(row, "id").map(ConversationId))
        .collect::<StoreResult<Vec<_>>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(summary(&mut conn, id).await?);
        }
        Ok(out)
    }

    pub(super) async fn participants_if_member_impl(
        &self,
        id: ConversationId,
        viewer: Participant,
    ) -> StoreResult<Option<Vec<Participant>>> {
        let mut conn = self.reader.acquire().await.map_err(map_err)?;
        if member_state(&mut conn, id, viewer).await?.is_none() {
            return Ok(None);
        }
        let all = current_participants(&mut conn, id).await?;
        Ok(Some(all.into_iter().map(|(p, _)| p).collect()))
    }

    pub(super) async fn queue_impl(&self) -> StoreResult<Vec<QueueItem>> {
        sqlx::query(
            "SELECT c.id, c.created_at, p.participant_id, p.display_name,
                    (SELECT m.body FROM messages m
                     WHERE m.conversation_id = c.id AND m.kind = 'text'
                     ORDER BY m.seq LIMIT 1) AS first_message
             FROM conversations c
             JOIN participants p ON p.conversation_id = c.id AND p.role = 'visitor'
             WHERE c.state = 'queued'
             ORDER BY c.created_at, c.id",
        )
        .fetch_all(&self.reader)
        .await
        .map_err(map_err)?
        .iter()
        .map(|row| {
            Ok(QueueItem {
                conversation_id: ConversationId(uuid_col(row, "id")?),
                visitor_id: VisitorId(uuid_col(row, "participant_id")?),
                visitor_name: row.try_get("display_name").map_err(map_err)?,
                first_message: row
                    .try_get::<Option<String>, _>("first_message")
                    .map_err(map_err)?
                    .unwrap_or_default(),
                since_ms: row.try_get("created_at").map_err(map_err)?,
            })
        })
        .collect()
    }

    pub(super) async fn leave_impl(
        &self,
        id: ConversationId,
        participant: Participant,
        why: Departure,
        at_ms: i64,
    ) -> StoreResult<LeaveOutcome> {
        let mut tx = WriteTx::begin(self).await?;
        let kind = match member_state(&mut tx, id, participant).await? {
            None | Some((_, ConversationState::Closed)) => return Ok(LeaveOutcome::NotFound),
            Some((kind, ConversationState::Queued | ConversationState::Active)) => kind,
        };
        let before = current_participants(&mut tx, id).await?;
        let name = before
            .iter()
            .find(|(p, _)| *p == participant)
            .map(|(_, name)| name.clone())
            .unwrap_or_default();
        let notice = match why {
            Departure::Left => Notice::Left { name },
            Departure::MovedToGroup => Notice::MovedToGroup { name },
        };
        let mut notices = vec![append_notice(&mut tx, id, notice, at_ms).await?];
        let (role, pid) = participant_parts(participant);
        sqlx::query(
            "UPDATE participants SET left_at = ?, left_seq = ?
             WHERE conversation_id = ? AND role = ? AND participant_id = ?",
        )
        .bind(at_ms)
        .bind(notices[0].seq as i64)
        .bind(id.to_string())
        .bind(role)
        .bind(&pid)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;

        let remaining: Vec<Participant> = before
            .iter()
            .map(|(p, _)| *p)
            .filter(|p| *p != participant)
            .collect();
        let agents_left = remaining.iter().filter(|p| p.is_agent()).count();
        let visitors_left = remaining.len() - agents_left;
        let closes = match kind {
            ConversationKind::Direct => visitors_left == 0 || agents_left == 0,
            ConversationKind::Group => agents_left == 0,
        };
        if closes {
            notices.push(append_notice(&mut tx, id, Notice::Closed, at_ms).await?);
            sqlx::query("UPDATE conversations SET state = 'closed', closed_at = ? WHERE id = ?")
                .bind(at_ms)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        } else if participant.is_agent() {
            // Ownership passes to the agent present longest (docs/ownership.md).
            let heir = sqlx::query(
                "UPDATE conversations SET owner_agent_id = (
                     SELECT participant_id FROM participants
                     WHERE conversation_id = ?1 AND role = 'agent' AND left_at IS NULL
                     ORDER BY joined_at, participant_id LIMIT 1)
                 WHERE id = ?1 AND owner_agent_id = ?2
                 RETURNING (SELECT display_name FROM participants
                            WHERE conversation_id = ?1 AND role = 'agent'
                              AND participant_id = owner_agent_id) AS heir",
            )
            .bind(id.to_string())
            .bind(&pid)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?;
            if let Some(row) = heir {
                let name: Option<String> = row.try_get("heir").map_err(map_err)?;
                if let Some(name) = name {
                    notices.push(
                        append_notice(&mut tx, id, Notice::OwnerChanged { name }, at_ms).await?,
                    );
                }
            }
        }
        let conversation = summary(&mut tx, id).await?;
        tx.commit().await?;
        Ok(LeaveOutcome::Left {
            conversation,
            notices,
            recipients: before.into_iter().map(|(p, _)| p).collect(),
        })
    }
}
