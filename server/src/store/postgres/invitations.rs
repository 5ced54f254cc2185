//! Invitations to multi-party conversations on PostgreSQL.
//!
//! An invitation changes state once, from pending, under its conversation's row
//! lock and only while it is still pending: of an accept and an expiry racing each
//! other, on one node or two, exactly one wins.

use super::rows::{
    append_notice, insert_message, invitation_from_row, join, lock_conversation, member_state,
    next_seq, notice, parse_id, participant_from, participant_parts, send_invitations, summary,
    INVITATION_COLUMNS,
};
use super::webhooks::record_outbox;
use super::{pg_error, PgStore};
use crate::chat::events::{Changed, Event};
use crate::store::{AgentRecord, InvitationStore, Invited, Refusal, StoreError, StoreResult};
use app::ids::{ConversationId, InvitationId, Participant};
use app::protocol::{
    ChatMessage, ConversationKind, ConversationState, ConversationSummary, InvitationInfo,
    InvitationState, Notice,
};
use async_trait::async_trait;
use uuid::Uuid;

/// What answering or expiring announces: the conversation, its new entry, and the
/// invitation to its invitee.
fn answered(
    conversation: ConversationSummary,
    entry: ChatMessage,
    invitation: InvitationInfo,
) -> Changed {
    let recipients = conversation
        .participants
        .iter()
        .map(|p| p.participant)
        .collect();
    let conversation_id = conversation.id;
    Changed {
        events: vec![
            Event::Conversation(conversation),
            Event::Entry {
                conversation_id,
                entry,
            },
            Event::Invitation(invitation),
        ],
        recipients,
    }
}

#[async_trait]
impl InvitationStore for PgStore {
    async fn invite(
        &self,
        id: ConversationId,
        inviter: &AgentRecord,
        invitees: &[(Participant, String)],
        at_ms: i64,
    ) -> StoreResult<Invited> {
        let mut tx = self.begin().await?;
        if lock_conversation(&mut tx, id).await?.is_none() {
            return Err(Refusal::NotFound.into());
        }
        match member_state(&mut tx, id, Participant::Agent(inviter.id)).await? {
            Some((ConversationKind::Group, ConversationState::Active)) => {}
            Some((ConversationKind::Direct | ConversationKind::Group, _)) | None => {
                return Err(Refusal::NotFound.into())
            }
        }
        let (invitations, entries) =
            send_invitations(&mut tx, id, inviter, invitees, "", at_ms).await?;
        let conversation = summary(&mut tx, id).await?;
        let result = Invited {
            changed: Changed::invited(conversation, entries, &invitations),
            invitations,
        };
        record_outbox(&mut tx, &result.changed).await?;
        tx.commit().await.map_err(pg_error)?;
        Ok(result)
    }

    async fn answer_invitation(
        &self,
        id: InvitationId,
        invitee: Participant,
        accept: bool,
        at_ms: i64,
    ) -> StoreResult<Changed> {
        let (role, pid) = participant_parts(invitee);
        let mut tx = self.begin().await?;
        // Which conversation to lock: an invitation never moves to another one.
        let conversation: Option<String> = sqlx::query_scalar(
            "SELECT conversation_id FROM invitations
             WHERE id = $1 AND invitee_role = $2 AND invitee_id = $3",
        )
        .bind(id.to_string())
        .bind(role)
        .bind(&pid)
        .fetch_optional(&mut *tx)
        .await
        .map_err(pg_error)?;
        let Some(conversation) = conversation else {
            return Err(Refusal::NotFound.into());
        };
        let conversation_id = ConversationId(parse_id(&conversation)?);
        let Some(locked) = lock_conversation(&mut tx, conversation_id).await? else {
            return Err(Refusal::NotFound.into());
        };
        // Read under the lock: whatever answered or expired it before has committed.
        let row = sqlx::query(&format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await
        .map_err(pg_error)?;
        let mut invitation = invitation_from_row(&row)?;
        if invitation.state == InvitationState::Pending && locked.state == ConversationState::Closed
        {
            // The conversation ended while the invitation waited: it can only expire.
            sqlx::query("UPDATE invitations SET state = 'expired', resolved_at = $1 WHERE id = $2")
                .bind(at_ms)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(pg_error)?;
            tx.commit().await.map_err(pg_error)?;
            return Err(Refusal::InvitationClosed(InvitationState::Expired).into());
        }
        if invitation.state != InvitationState::Pending {
            return Err(Refusal::InvitationClosed(invitation.state).into());
        }
        invitation.state = if accept {
            InvitationState::Accepted
        } else {
            InvitationState::Declined
        };
        sqlx::query(
            "UPDATE invitations SET state = $1, resolved_at = $2
             WHERE id = $3 AND state = 'pending'",
        )
        .bind(invitation.state.as_str())
        .bind(at_ms)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
        let name = invitation.invitee_name.clone();
        let entry = if accept {
            let seq = next_seq(&mut tx, conversation_id).await?;
            join(&mut tx, conversation_id, invitee, &name, seq, at_ms).await?;
            let joined = notice(Notice::Joined { name }, at_ms);
            insert_message(&mut tx, conversation_id, seq, &joined).await?
        } else {
            append_notice(&mut tx, conversation_id, Notice::Declined { name }, at_ms).await?
        };
        let conversation = summary(&mut tx, conversation_id).await?;
        let result = answered(conversation, entry, invitation);
        record_outbox(&mut tx, &result).await?;
        tx.commit().await.map_err(pg_error)?;
        Ok(result)
    }

    async fn expire_invitation(&self, id: InvitationId, at_ms: i64) -> StoreResult<Changed> {
        let mut tx = self.begin().await?;
        let conversation: Option<String> =
            sqlx::query_scalar("SELECT conversation_id FROM invitations WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(pg_error)?;
        let Some(conversation) = conversation else {
            return Ok(Changed::nothing());
        };
        let conversation_id = ConversationId(parse_id(&conversation)?);
        if lock_conversation(&mut tx, conversation_id).await?.is_none() {
            return Ok(Changed::nothing());
        }
        let row = sqlx::query(&format!(
            "UPDATE invitations SET state = 'expired', resolved_at = $1
             WHERE id = $2 AND state = 'pending'
             RETURNING {INVITATION_COLUMNS}"
        ))
        .bind(at_ms)
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(pg_error)?;
        let Some(row) = row else {
            // Answered or expired before: nothing to do.
            return Ok(Changed::nothing());
        };
        let invitation = invitation_from_row(&row)?;
        let entry = append_notice(
            &mut tx,
            conversation_id,
            Notice::InvitationExpired {
                name: invitation.invitee_name.clone(),
            },
            at_ms,
        )
        .await?;
        let conversation = summary(&mut tx, conversation_id).await?;
        let result = answered(conversation, entry, invitation);
        record_outbox(&mut tx, &result).await?;
        tx.commit().await.map_err(pg_error)?;
        Ok(result)
    }

    async fn pending_invitations(&self, invitee: Participant) -> StoreResult<Vec<InvitationInfo>> {
        let (role, pid) = participant_parts(invitee);
        sqlx::query(&format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations
             WHERE invitee_role = $1 AND invitee_id = $2 AND state = 'pending'
             ORDER BY created_at, id"
        ))
        .bind(role)
        .bind(pid)
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?
        .iter()
        .map(invitation_from_row)
        .collect()
    }

    async fn pending_invitees(&self) -> StoreResult<Vec<Participant>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT DISTINCT invitee_role, invitee_id FROM invitations WHERE state = 'pending'",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?;
        rows.iter()
            .map(|(role, id)| {
                let id = Uuid::parse_str(id)
                    .map_err(|e| StoreError::Internal(format!("stored invitee id: {e}")))?;
                participant_from(role, id)
            })
            .collect()
    }
}
