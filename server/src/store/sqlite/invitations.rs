//! Multi-party conversations and their invitations on SQLite.
//!
//! An invitation changes state once, from pending, in a transaction that checks it is
//! still pending: of an accept and an expiry racing each other, exactly one wins.

use super::conversations::{append_notice, current_participants, member_state, next_seq, summary};
use super::{map_err, participant_col, participant_parts, uuid_col, SqliteStore, WriteTx};
use crate::store::{AgentRecord, Answered, Expired, Invited, StoreError, StoreResult};
use app::ids::{ConversationId, InvitationId, Participant};
use app::protocol::{ConversationKind, ConversationState, InvitationInfo, InvitationState, Notice};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

/// The invitation's columns, and the names of its conversation's current
/// participants joined by the unit separator (names hold no control characters).
const INVITATION_COLUMNS: &str =
    "id, conversation_id, invitee_role, invitee_id, invitee_name, inviter_name, state, created_at,
     (SELECT group_concat(p.display_name, char(31)) FROM participants p
      WHERE p.conversation_id = invitations.conversation_id AND p.left_at IS NULL) AS participant_names";

fn invitation_from_row(row: &SqliteRow) -> StoreResult<InvitationInfo> {
    let state: String = row.try_get("state").map_err(map_err)?;
    Ok(InvitationInfo {
        id: InvitationId(uuid_col(row, "id")?),
        conversation_id: ConversationId(uuid_col(row, "conversation_id")?),
        invitee: participant_col(row, "invitee_role", "invitee_id")?,
        invitee_name: row.try_get("invitee_name").map_err(map_err)?,
        inviter_name: row.try_get("inviter_name").map_err(map_err)?,
        participants: row
            .try_get::<Option<String>, _>("participant_names")
            .map_err(map_err)?
            .map(|names| names.split('\u{1f}').map(str::to_owned).collect())
            .unwrap_or_default(),
        state: InvitationState::parse(&state)
            .ok_or_else(|| StoreError::Internal(format!("unknown invitation state '{state}'")))?,
        at_ms: row.try_get("created_at").map_err(map_err)?,
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
    .await
    .map_err(map_err)?
    .iter()
    .map(invitation_from_row)
    .collect()
}

/// Sends invitations to those of `invitees` not already in or invited, each with an
/// `invited` notice.
async fn send_invitations(
    conn: &mut SqliteConnection,
    id: ConversationId,
    inviter: &AgentRecord,
    invitees: &[(Participant, String)],
    at_ms: i64,
) -> StoreResult<(Vec<InvitationInfo>, Vec<app::protocol::ChatMessage>)> {
    let (present, present_names): (Vec<Participant>, Vec<String>) =
        current_participants(conn, id).await?.into_iter().unzip();
    let pending: Vec<Participant> = pending_in(conn, id)
        .await?
        .into_iter()
        .map(|i| i.invitee)
        .collect();
    let mut invitations = Vec::new();
    let mut notices = Vec::new();
    for (invitee, name) in invitees {
        if present.contains(invitee)
            || pending.contains(invitee)
            || invitations
                .iter()
                .any(|i: &InvitationInfo| i.invitee == *invitee)
        {
            continue;
        }
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
        };
        sqlx::query(
            "INSERT INTO invitations (id, conversation_id, invitee_role, invitee_id, invitee_name,
                                      inviter_id, inviter_name, state, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
        )
        .bind(invitation.id.to_string())
        .bind(id.to_string())
        .bind(role)
        .bind(pid)
        .bind(name)
        .bind(inviter.id.to_string())
        .bind(&inviter.name)
        .bind(at_ms)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
        notices.push(append_notice(conn, id, Notice::Invited { name: name.clone() }, at_ms).await?);
        invitations.push(invitation);
    }
    Ok((invitations, notices))
}

async fn recipients(
    conn: &mut SqliteConnection,
    id: ConversationId,
) -> StoreResult<Vec<Participant>> {
    Ok(current_participants(conn, id)
        .await?
        .into_iter()
        .map(|(p, _)| p)
        .collect())
}

impl SqliteStore {
    pub(super) async fn create_group_impl(
        &self,
        id: ConversationId,
        owner: &AgentRecord,
        invitees: &[(Participant, String)],
        at_ms: i64,
    ) -> StoreResult<Invited> {
        let mut tx = WriteTx::begin(self).await?;
        sqlx::query(
            "INSERT INTO conversations (id, kind, state, owner_agent_id, last_seq, created_at)
             VALUES (?, 'group', 'active', ?, 0, ?)",
        )
        .bind(id.to_string())
        .bind(owner.id.to_string())
        .bind(at_ms)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let joined = append_notice(
            &mut tx,
            id,
            Notice::Joined {
                name: owner.name.clone(),
            },
            at_ms,
        )
        .await?;
        sqlx::query(
            "INSERT INTO participants (conversation_id, role, participant_id, display_name,
                                       joined_seq, joined_at)
             VALUES (?, 'agent', ?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(owner.id.to_string())
        .bind(&owner.name)
        .bind(joined.seq as i64)
        .bind(at_ms)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let (invitations, mut notices) =
            send_invitations(&mut tx, id, owner, invitees, at_ms).await?;
        notices.insert(0, joined);
        let conversation = summary(&mut tx, id).await?;
        let recipients = recipients(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Invited {
            conversation,
            invitations,
            notices,
            recipients,
        })
    }

    pub(super) async fn invite_impl(
        &self,
        id: ConversationId,
        inviter: &AgentRecord,
        invitees: &[(Participant, String)],
        at_ms: i64,
    ) -> StoreResult<Option<Invited>> {
        let mut tx = WriteTx::begin(self).await?;
        match member_state(&mut tx, id, Participant::Agent(inviter.id)).await? {
            Some((ConversationKind::Group, ConversationState::Active)) => {}
            Some((ConversationKind::Direct | ConversationKind::Group, _)) | None => {
                return Ok(None)
            }
        }
        let (invitations, notices) =
            send_invitations(&mut tx, id, inviter, invitees, at_ms).await?;
        let conversation = summary(&mut tx, id).await?;
        let recipients = recipients(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Some(Invited {
            conversation,
            invitations,
            notices,
            recipients,
        }))
    }

    pub(super) async fn answer_invitation_impl(
        &self,
        id: InvitationId,
        invitee: Participant,
        accept: bool,
        at_ms: i64,
    ) -> StoreResult<Answered> {
        let (role, pid) = participant_parts(invitee);
        let mut tx = WriteTx::begin(self).await?;
        let row = sqlx::query(&format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations WHERE id = ? AND invitee_role = ? AND invitee_id = ?"
        ))
        .bind(id.to_string())
        .bind(role)
        .bind(&pid)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let Some(row) = row else {
            return Ok(Answered::NotFound);
        };
        let mut invitation = invitation_from_row(&row)?;
        let conversation_id = invitation.conversation_id;
        let state: String = sqlx::query_scalar("SELECT state FROM conversations WHERE id = ?")
            .bind(conversation_id.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        if invitation.state == InvitationState::Pending && state == "closed" {
            // The conversation ended while the invitation waited: it can only expire.
            invitation.state = InvitationState::Expired;
            sqlx::query("UPDATE invitations SET state = 'expired', resolved_at = ? WHERE id = ?")
                .bind(at_ms)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            tx.commit().await?;
            return Ok(Answered::Closed(InvitationState::Expired));
        }
        if invitation.state != InvitationState::Pending {
            return Ok(Answered::Closed(invitation.state));
        }
        invitation.state = if accept {
            InvitationState::Accepted
        } else {
            InvitationState::Declined
        };
        sqlx::query(
            "UPDATE invitations SET state = ?, resolved_at = ? WHERE id = ? AND state = 'pending'",
        )
        .bind(invitation.state.as_str())
        .bind(at_ms)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let name = invitation.invitee_name.clone();
        let notice = if accept {
            let seq = next_seq(&mut tx, conversation_id).await?;
            sqlx::query(
                "INSERT INTO participants (conversation_id, role, participant_id, display_name,
                                           joined_seq, joined_at)
                 VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (conversation_id, role, participant_id) DO UPDATE
                 SET left_at = NULL, left_seq = NULL, joined_seq = excluded.joined_seq,
                     joined_at = excluded.joined_at, display_name = excluded.display_name",
            )
            .bind(conversation_id.to_string())
            .bind(role)
            .bind(&pid)
            .bind(&name)
            .bind(seq as i64)
            .bind(at_ms)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            let message = crate::store::NewMessage {
                id: app::ids::MessageId(Uuid::new_v4()),
                author: None,
                body: app::protocol::Body::Notice(Notice::Joined { name }),
                at_ms,
            };
            super::conversations::insert_message(&mut tx, conversation_id, seq, &message).await?
        } else {
            append_notice(&mut tx, conversation_id, Notice::Declined { name }, at_ms).await?
        };
        let conversation = summary(&mut tx, conversation_id).await?;
        let recipients = recipients(&mut tx, conversation_id).await?;
        tx.commit().await?;
        Ok(Answered::Done {
            invitation,
            conversation,
            notice,
            recipients,
        })
    }

    pub(super) async fn expire_invitation_impl(
        &self,
        id: InvitationId,
        at_ms: i64,
    ) -> StoreResult<Option<Expired>> {
        let mut tx = WriteTx::begin(self).await?;
        let row = sqlx::query(&format!(
            "UPDATE invitations SET state = 'expired', resolved_at = ?
             WHERE id = ? AND state = 'pending'
             RETURNING {INVITATION_COLUMNS}"
        ))
        .bind(at_ms)
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let invitation = invitation_from_row(&row)?;
        let conversation_id = invitation.conversation_id;
        let notice = append_notice(
            &mut tx,
            conversation_id,
            Notice::InvitationExpired {
                name: invitation.invitee_name.clone(),
            },
            at_ms,
        )
        .await?;
        let conversation = summary(&mut tx, conversation_id).await?;
        let recipients = recipients(&mut tx, conversation_id).await?;
        tx.commit().await?;
        Ok(Some(Expired {
            invitation,
            conversation,
            notice,
            recipients,
        }))
    }

    pub(super) async fn pending_invitations_impl(
        &self,
        invitee: Participant,
    ) -> StoreResult<Vec<InvitationInfo>> {
        let (role, pid) = participant_parts(invitee);
        sqlx::query(&format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations
             WHERE invitee_role = ? AND invitee_id = ? AND state = 'pending' ORDER BY created_at, id"
        ))
        .bind(role)
        .bind(pid)
        .fetch_all(&self.reader)
        .await
        .map_err(map_err)?
        .iter()
        .map(invitation_from_row)
        .collect()
    }
}
