//! Conversations, participants and the ordered entries on PostgreSQL.
//!
//! Each mutation is one READ COMMITTED transaction that first locks the
//! conversation's row (a new conversation is locked by its own `INSERT`), then
//! checks membership, takes the next sequence numbers from
//! `conversations.last_seq`, writes, and reads back who must hear about it. The
//! rules it applies are [`crate::chat::rules`]'; the statements are the SQLite
//! backend's.

use super::rows::{
    append_notice, col, current_participants, insert_message, join, lock_conversation,
    member_state, message_from_row, next_seq, notice, parse_id, participant_parts, recipients,
    send_invitations, summary, uuid_col, MESSAGE_COLUMNS,
};
use super::webhooks::record_outbox;
use super::{pg_error, PgStore};
use crate::chat::events::{Changed, Event};
use crate::chat::rules;
use crate::store::{
    parse_agent_id, AgentRecord, Appended, ConversationStore, Departure, GroupOpening, Invited,
    NewMessage, Page, Refusal, StoreError, StoreResult, VisitorRecord,
};
use app::ids::{AgentId, ConversationId, MessageId, Participant, VisitorId};
use app::protocol::{
    Author, Body, ConversationKind, ConversationState, ConversationSummary, Notice, QueueItem,
    SeenBy, Visibility,
};
use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::PgConnection;
use uuid::Uuid;

/// How often `create_direct` tries again when the conversation that kept it from
/// opening one closed before it could be named.
const DIRECT_CREATE_TRIES: usize = 3;

#[async_trait]
impl ConversationStore for PgStore {
    async fn create_direct(
        &self,
        id: ConversationId,
        visitor: &VisitorRecord,
        department: Option<&str>,
        first: NewMessage,
    ) -> StoreResult<Appended> {
        let mut tx = self.begin().await?;
        // At most one open direct conversation per visitor (a partial unique index):
        // of two tabs starting at once, on one node or two, the second INSERT waits
        // for the first to commit and then finds its conversation. The new row is
        // locked by this transaction until it commits.
        let mut created = false;
        for _ in 0..DIRECT_CREATE_TRIES {
            let inserted = sqlx::query(
                "INSERT INTO conversations
                     (id, kind, state, visitor_id, last_seq, created_at, department_id)
                 VALUES ($1, 'direct', 'queued', $2, 1, $3,
                     (SELECT id FROM departments WHERE id = $4))
                 ON CONFLICT DO NOTHING",
            )
            .bind(id.to_string())
            .bind(visitor.id.to_string())
            .bind(first.at_ms)
            .bind(department)
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?;
            if inserted.rows_affected() == 1 {
                created = true;
                break;
            }
            let open: Option<String> = sqlx::query_scalar(
                "SELECT id FROM conversations
                 WHERE visitor_id = $1 AND kind = 'direct' AND state <> 'closed'",
            )
            .bind(visitor.id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(pg_error)?;
            if let Some(open) = open {
                return Err(Refusal::DirectChatOpen(ConversationId(parse_id(&open)?)).into());
            }
            // It closed between the two statements (each sees what is committed
            // when it starts): the way is free now.
        }
        if !created {
            return Err(StoreError::Internal(format!(
                "conversation id '{id}' is taken"
            )));
        }
        let me = Participant::Visitor(visitor.id);
        join(&mut tx, id, me, &visitor.name, 1, first.at_ms).await?;
        let entry = insert_message(&mut tx, id, 1, &first).await?;
        let conversation = summary(&mut tx, id).await?;
        // Read back as the queue lists it, with the department it found.
        let queued = queue_item(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Internal(format!("queued conversation '{id}' vanished")))?;
        let result = Appended {
            seq: entry.seq,
            changed: Changed {
                events: vec![
                    Event::Conversation(conversation),
                    Event::Entry {
                        conversation_id: id,
                        entry,
                    },
                    Event::QueueAdded(queued),
                ],
                recipients: vec![me],
            },
        };
        record_outbox(&mut tx, &result.changed).await?;
        tx.commit().await.map_err(pg_error)?;
        Ok(result)
    }

    async fn accept_queued(
        &self,
        id: ConversationId,
        agent: &AgentRecord,
        at_ms: i64,
    ) -> StoreResult<Changed> {
        let mut tx = self.begin().await?;
        let Some(locked) = lock_conversation(&mut tx, id).await? else {
            return Err(Refusal::NotFound.into());
        };
        // One winner: a second agent waited for the lock, and now finds the chat
        // no longer queued.
        let taken = sqlx::query(
            "UPDATE conversations SET state = 'active', owner_agent_id = $1,
                 offered_to = NULL, offered_until = NULL
             WHERE id = $2 AND state = 'queued'",
        )
        .bind(agent.id.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
        if taken.rows_affected() == 0 {
            return Err(match locked.state {
                ConversationState::Active => Refusal::AlreadyTaken,
                ConversationState::Queued | ConversationState::Closed => Refusal::NotFound,
            }
            .into());
        }
        let seq = next_seq(&mut tx, id).await?;
        let me = Participant::Agent(agent.id);
        join(&mut tx, id, me, &agent.name, seq, at_ms).await?;
        let joined = notice(
            Notice::Joined {
                name: agent.name.clone(),
            },
            at_ms,
        );
        let entry = insert_message(&mut tx, id, seq, &joined).await?;
        let conversation = summary(&mut tx, id).await?;
        let recipients = conversation
            .participants
            .iter()
            .map(|p| p.participant)
            .collect();
        let result = Changed {
            events: vec![
                Event::QueueRemoved(id),
                Event::Conversation(conversation),
                Event::Entry {
                    conversation_id: id,
                    entry,
                },
            ],
            recipients,
        };
        record_outbox(&mut tx, &result).await?;
        tx.commit().await.map_err(pg_error)?;
        Ok(result)
    }

    async fn append(
        &self,
        id: ConversationId,
        author: Participant,
        message: NewMessage,
    ) -> StoreResult<Appended> {
        self.appends.append(id, author, message).await
    }

    async fn messages_after(
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
             WHERE p.conversation_id = $1 AND p.role = $2 AND p.participant_id = $3",
        )
        .bind(id.to_string())
        .bind(role)
        .bind(&pid)
        .fetch_optional(&self.pool)
        .await
        .map_err(pg_error)?;
        let Some(window) = window else {
            return Ok(None);
        };
        let joined_seq: i64 = col(&window, "joined_seq")?;
        let left_seq: Option<i64> = col(&window, "left_seq")?;
        let last_seq: i64 = col(&window, "last_seq")?;
        let from = match viewer {
            Participant::Visitor(_) => (after_seq as i64).max(joined_seq - 1),
            Participant::Agent(_) => after_seq as i64,
        };
        // The page ends where the conversation ended when the window was read, even
        // if more entries commit before the entries are read: its end is where live
        // delivery takes over, so nothing past it may be in it.
        let to = match viewer {
            Participant::Visitor(_) => left_seq.unwrap_or(i64::MAX),
            Participant::Agent(_) => i64::MAX,
        }
        .min(last_seq);
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages
             WHERE conversation_id = $1 AND seq > $2 AND seq <= $3
               AND (visibility = 'everyone' OR $4)
             ORDER BY seq LIMIT $5"
        ))
        .bind(id.to_string())
        .bind(from)
        .bind(to)
        .bind(viewer.is_agent())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?;
        let messages = rows
            .iter()
            .map(message_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Some(Page {
            messages,
            last_seq: to as u64,
        }))
    }

    async fn conversations_of(
        &self,
        participant: Participant,
    ) -> StoreResult<Vec<ConversationSummary>> {
        let (role, pid) = participant_parts(participant);
        let mut conn = self.pool.acquire().await.map_err(pg_error)?;
        let ids = sqlx::query(
            "SELECT c.id FROM conversations c
             JOIN participants p ON p.conversation_id = c.id
             WHERE p.role = $1 AND p.participant_id = $2 AND p.left_at IS NULL
               AND c.state <> 'closed'
             ORDER BY c.created_at",
        )
        .bind(role)
        .bind(pid)
        .fetch_all(&mut *conn)
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| uuid_col(row, "id").map(ConversationId))
        .collect::<StoreResult<Vec<_>>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(summary(&mut conn, id).await?);
        }
        Ok(out)
    }

    async fn open_direct_conversations(
        &self,
        participant: Participant,
    ) -> StoreResult<Vec<ConversationId>> {
        let (role, pid) = participant_parts(participant);
        sqlx::query(
            "SELECT c.id FROM conversations c
             JOIN participants p ON p.conversation_id = c.id
             WHERE p.role = $1 AND p.participant_id = $2 AND p.left_at IS NULL
               AND c.kind = 'direct' AND c.state <> 'closed'
             ORDER BY c.created_at",
        )
        .bind(role)
        .bind(pid)
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| uuid_col(row, "id").map(ConversationId))
        .collect()
    }

    async fn mark_seen(
        &self,
        id: ConversationId,
        who: Participant,
        seq: u64,
    ) -> StoreResult<Changed> {
        let (role, pid) = participant_parts(who);
        let mut tx = self.begin().await?;
        if lock_conversation(&mut tx, id).await?.is_none()
            || member_state(&mut tx, id, who).await?.is_none()
        {
            return Err(Refusal::NotFound.into());
        }
        // Cut to the newest entry everyone may see: a position that lands on an
        // internal note would tell the visitors a note is there.
        let seq: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(seq), 0) FROM messages
             WHERE conversation_id = $1 AND seq <= $2 AND visibility = 'everyone'",
        )
        .bind(id.to_string())
        .bind(seq.min(i64::MAX as u64) as i64)
        .fetch_one(&mut *tx)
        .await
        .map_err(pg_error)?;
        let moved = sqlx::query(
            "UPDATE participants SET seen_seq = $1
             WHERE conversation_id = $2 AND role = $3 AND participant_id = $4 AND seen_seq < $1",
        )
        .bind(seq)
        .bind(id.to_string())
        .bind(role)
        .bind(&pid)
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
        if moved.rows_affected() == 0 {
            return Ok(Changed::nothing());
        }
        let recipients = recipients(&mut tx, id).await?;
        let result = Changed {
            events: vec![Event::Seen {
                conversation_id: id,
                seen: SeenBy {
                    participant: who,
                    seq: seq as u64,
                },
            }],
            recipients,
        };
        record_outbox(&mut tx, &result).await?;
        tx.commit().await.map_err(pg_error)?;
        Ok(result)
    }

    async fn conversation_heads(
        &self,
        ids: &[ConversationId],
    ) -> StoreResult<Vec<(ConversationId, u64)>> {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        sqlx::query("SELECT id, last_seq FROM conversations WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(&self.pool)
            .await
            .map_err(pg_error)?
            .iter()
            .map(|row| {
                let seq: i64 = col(row, "last_seq")?;
                Ok((ConversationId(uuid_col(row, "id")?), seq as u64))
            })
            .collect()
    }

    async fn participants_if_member(
        &self,
        id: ConversationId,
        viewer: Participant,
    ) -> StoreResult<Option<Vec<Participant>>> {
        let mut conn = self.pool.acquire().await.map_err(pg_error)?;
        if member_state(&mut conn, id, viewer).await?.is_none() {
            return Ok(None);
        }
        let all = current_participants(&mut conn, id).await?;
        Ok(Some(all.into_iter().map(|(p, _)| p).collect()))
    }

    async fn queue(&self) -> StoreResult<Vec<QueueItem>> {
        sqlx::query(&format!("{QUEUE_ITEMS} ORDER BY c.created_at, c.id"))
            .fetch_all(&self.pool)
            .await
            .map_err(pg_error)?
            .iter()
            .map(queue_item_from_row)
            .collect()
    }

    async fn leave(
        &self,
        id: ConversationId,
        participant: Participant,
        why: Departure,
        at_ms: i64,
    ) -> StoreResult<Changed> {
        let mut tx = self.begin().await?;
        let Some(locked) = lock_conversation(&mut tx, id).await? else {
            return Err(Refusal::NotFound.into());
        };
        let (kind, state) = match member_state(&mut tx, id, participant).await? {
            None | Some((_, ConversationState::Closed)) => return Err(Refusal::NotFound.into()),
            Some(found) => found,
        };
        let owner = locked.owner;
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
        let left = append_notice(&mut tx, id, notice, at_ms).await?;
        mark_left(&mut tx, id, participant, left.seq, at_ms).await?;
        let mut entries = vec![left];

        let remaining: Vec<Participant> = before
            .iter()
            .map(|(p, _)| *p)
            .filter(|p| *p != participant)
            .collect();
        let closes = rules::closes_after_leave(kind, &remaining);
        if closes {
            entries.push(append_notice(&mut tx, id, Notice::Closed, at_ms).await?);
            sqlx::query("UPDATE conversations SET state = 'closed', closed_at = $1 WHERE id = $2")
                .bind(at_ms)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(pg_error)?;
        } else if let Some(heir) = rules::heir(owner, participant, &remaining) {
            sqlx::query("UPDATE conversations SET owner_agent_id = $1 WHERE id = $2")
                .bind(heir.to_string())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(pg_error)?;
            let name = heir_name(&before, heir);
            entries.push(append_notice(&mut tx, id, Notice::OwnerChanged { name }, at_ms).await?);
        }
        let conversation = summary(&mut tx, id).await?;
        let mut events: Vec<Event> = Event::entries(id, entries).collect();
        events.push(Event::Conversation(conversation));
        if closes && state == ConversationState::Queued {
            events.push(Event::QueueRemoved(id));
        }
        let result = Changed {
            events,
            recipients: before.into_iter().map(|(p, _)| p).collect(),
        };
        record_outbox(&mut tx, &result).await?;
        tx.commit().await.map_err(pg_error)?;
        Ok(result)
    }

    async fn transfer(
        &self,
        id: ConversationId,
        from: &AgentRecord,
        to: Option<&AgentRecord>,
        reason: &str,
        stay: bool,
        at_ms: i64,
    ) -> StoreResult<Changed> {
        let mut tx = self.begin().await?;
        if lock_conversation(&mut tx, id).await?.is_none() {
            return Err(Refusal::NotFound.into());
        }
        let me = Participant::Agent(from.id);
        let kind = match member_state(&mut tx, id, me).await? {
            None => return Err(Refusal::NotFound.into()),
            Some((_, ConversationState::Closed)) => return Err(Refusal::Closed.into()),
            // Only an agent who has it (the chat is active) hands it on.
            Some((_, ConversationState::Queued)) => return Err(Refusal::NotFound.into()),
            Some((kind, ConversationState::Active)) => kind,
        };
        if to.is_none() && kind != ConversationKind::Direct {
            return Err(Refusal::NotADirectChat.into());
        }
        let before = current_participants(&mut tx, id).await?;
        let other_agents = before.iter().any(|(p, _)| p.is_agent() && *p != me);
        if to.is_none() && other_agents {
            return Err(Refusal::NotAlone.into());
        }
        let handed = match to {
            Some(agent) => Notice::Transferred {
                name: from.name.clone(),
                to: agent.name.clone(),
            },
            None => Notice::Requeued {
                name: from.name.clone(),
            },
        };
        let notice = append_notice(&mut tx, id, handed, at_ms).await?;
        let mut entries = vec![notice];
        let mut recipients: Vec<Participant> = before.iter().map(|(p, _)| *p).collect();
        if let Some(agent) = to {
            let them = Participant::Agent(agent.id);
            if !recipients.contains(&them) {
                let seq = entries[0].seq;
                join(&mut tx, id, them, &agent.name, seq, at_ms).await?;
                recipients.push(them);
            }
            sqlx::query("UPDATE conversations SET owner_agent_id = $1 WHERE id = $2")
                .bind(agent.id.to_string())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(pg_error)?;
        } else {
            sqlx::query(
                "UPDATE conversations SET state = 'queued', owner_agent_id = NULL,
                 offered_to = NULL, offered_until = NULL WHERE id = $1",
            )
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?;
            // Back in the queue, it starts afresh: everyone may be offered it.
            sqlx::query("DELETE FROM chat_offers WHERE conversation_id = $1")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(pg_error)?;
        }
        if !reason.is_empty() {
            let seq = next_seq(&mut tx, id).await?;
            let note = NewMessage {
                id: MessageId(Uuid::new_v4()),
                author: Some(Author {
                    participant: me,
                    name: from.name.clone(),
                }),
                body: Body::Text {
                    text: reason.to_owned(),
                },
                at_ms,
                visibility: Visibility::Agents,
                file: None,
            };
            entries.push(insert_message(&mut tx, id, seq, &note).await?);
        }
        if !stay || to.is_none() {
            let left = append_notice(
                &mut tx,
                id,
                Notice::Left {
                    name: from.name.clone(),
                },
                at_ms,
            )
            .await?;
            mark_left(&mut tx, id, me, left.seq, at_ms).await?;
            entries.push(left);
        }
        let conversation = summary(&mut tx, id).await?;
        let queued = match to {
            Some(_) => None,
            None => queue_item(&mut tx, id).await?,
        };
        let mut events: Vec<Event> = Event::entries(id, entries).collect();
        events.push(Event::Conversation(conversation));
        events.extend(queued.map(Event::QueueAdded));
        let result = Changed { events, recipients };
        record_outbox(&mut tx, &result).await?;
        tx.commit().await.map_err(pg_error)?;
        Ok(result)
    }

    async fn create_group(
        &self,
        id: ConversationId,
        owner: &AgentRecord,
        invitees: &[(Participant, String)],
        opening: GroupOpening,
        at_ms: i64,
    ) -> StoreResult<Invited> {
        let mut tx = self.begin().await?;
        // The new row is locked by this transaction until it commits.
        sqlx::query(
            "INSERT INTO conversations (id, kind, state, owner_agent_id, last_seq, created_at)
             VALUES ($1, 'group', 'active', $2, 0, $3)",
        )
        .bind(id.to_string())
        .bind(owner.id.to_string())
        .bind(at_ms)
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
        let joined = append_notice(
            &mut tx,
            id,
            Notice::Joined {
                name: owner.name.clone(),
            },
            at_ms,
        )
        .await?;
        let me = Participant::Agent(owner.id);
        join(&mut tx, id, me, &owner.name, joined.seq, at_ms).await?;
        let mut opened = vec![joined];
        for entry in &opening.entries {
            let seq = next_seq(&mut tx, id).await?;
            opened.push(insert_message(&mut tx, id, seq, entry).await?);
        }
        let (invitations, notices) =
            send_invitations(&mut tx, id, owner, invitees, &opening.greeting, at_ms).await?;
        let entries: Vec<app::protocol::ChatMessage> = opened.into_iter().chain(notices).collect();
        let conversation = summary(&mut tx, id).await?;
        let result = Invited {
            changed: Changed::invited(conversation, entries, &invitations),
            invitations,
        };
        record_outbox(&mut tx, &result.changed).await?;
        tx.commit().await.map_err(pg_error)?;
        Ok(result)
    }
}

/// The queued conversations as the queue lists them (add `ORDER BY` or a filter
/// on `c`).
const QUEUE_ITEMS: &str = "SELECT c.id, c.created_at, p.participant_id, p.display_name,
        c.department_id, c.offered_to, c.offered_until,
        (SELECT m.body FROM messages m
         WHERE m.conversation_id = c.id AND m.kind = 'text' AND m.visibility = 'everyone'
         ORDER BY m.seq LIMIT 1) AS first_message
     FROM conversations c
     JOIN participants p ON p.conversation_id = c.id AND p.role = 'visitor'
     WHERE c.state = 'queued'";

fn queue_item_from_row(row: &PgRow) -> StoreResult<QueueItem> {
    Ok(QueueItem {
        conversation_id: ConversationId(uuid_col(row, "id")?),
        visitor_id: VisitorId(uuid_col(row, "participant_id")?),
        visitor_name: col(row, "display_name")?,
        first_message: col::<Option<String>>(row, "first_message")?.unwrap_or_default(),
        since_ms: col(row, "created_at")?,
        department: col::<Option<String>>(row, "department_id")?.unwrap_or_default(),
        offered_to: col::<Option<String>>(row, "offered_to")?
            .map(|id| parse_agent_id(&id))
            .transpose()?,
        offered_until_ms: col(row, "offered_until")?,
    })
}

/// The queue's entry for one conversation, if it waits there.
pub(super) async fn queue_item(
    conn: &mut PgConnection,
    id: ConversationId,
) -> StoreResult<Option<QueueItem>> {
    sqlx::query(&format!("{QUEUE_ITEMS} AND c.id = $1"))
        .bind(id.to_string())
        .fetch_optional(conn)
        .await
        .map_err(pg_error)?
        .as_ref()
        .map(queue_item_from_row)
        .transpose()
}

/// Marks `who` as gone from a conversation since the entry `seq`.
async fn mark_left(
    conn: &mut PgConnection,
    id: ConversationId,
    who: Participant,
    seq: u64,
    at_ms: i64,
) -> StoreResult<()> {
    let (role, pid) = participant_parts(who);
    sqlx::query(
        "UPDATE participants SET left_at = $1, left_seq = $2
         WHERE conversation_id = $3 AND role = $4 AND participant_id = $5",
    )
    .bind(at_ms)
    .bind(seq as i64)
    .bind(id.to_string())
    .bind(role)
    .bind(&pid)
    .execute(conn)
    .await
    .map_err(pg_error)?;
    Ok(())
}

fn heir_name(before: &[(Participant, String)], heir: AgentId) -> String {
    before
        .iter()
        .find(|(p, _)| *p == Participant::Agent(heir))
        .map(|(_, name)| name.clone())
        .unwrap_or_default()
}
