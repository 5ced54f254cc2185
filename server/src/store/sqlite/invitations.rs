//! Invitations to multi-party conversations on SQLite.
//!
//! An invitation changes state once, from pending, in a transaction that checks it is
//! still pending: of an accept and an expiry racing each other, exactly one wins.

use super::rows::{
    append_notice, insert_message, invitation_from_row, join, member_state, next_seq, notice,
    participant_from, participant_parts, send_invitations, summary, INVITATION_COLUMNS,
};
use super::{SqliteStore, WriteTx};
use crate::chat::events::{Changed, Event};
use crate::store::{AgentRecord, InvitationStore, Invited, Refusal, StoreError, StoreResult};
use app::ids::{ConversationId, InvitationId, Participant};
use app::protocol::{
    ChatMessage, ConversationKind, ConversationState, ConversationSummary, InvitationInfo,
    InvitationState, Notice,
};
use async_trait::async_trait;
use sqlx::Row;
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
impl InvitationStore for SqliteStore {
    async fn invite(
        &self,
        id: ConversationId,
        inviter: &AgentRecord,
        invitees: &[(Participant, String)],
        at_ms: i64,
    ) -> StoreResult<Invited> {
        let mut tx = WriteTx::begin(self).await?;
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
        tx.commit_changed(&result.changed).await?;
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
        let mut tx = WriteTx::begin(self).await?;
        // The invitation and its conversation's state, in one statement.
        let row = sqlx::query(&format!(
            "SELECT {INVITATION_COLUMNS},
                    (SELECT c.state FROM conversations c
                     WHERE c.id = invitations.conversation_id) AS conversation_state
             FROM invitations
             WHERE id = ? AND invitee_role = ? AND invitee_id = ?"
        ))
        .bind(id.to_string())
        .bind(role)
        .bind(&pid)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(Refusal::NotFound.into());
        };
        let mut invitation = invitation_from_row(&row)?;
        let conversation_id = invitation.conversation_id;
        let state: String = row.try_get("conversation_state")?;
        if invitation.state == InvitationState::Pending && state == "closed" {
            // The conversation ended while the invitation waited: it can only expire.
            sqlx::query("UPDATE invitations SET state = 'expired', resolved_at = ? WHERE id = ?")
                .bind(at_ms)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
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
            "UPDATE invitations SET state = ?, resolved_at = ? WHERE id = ? AND state = 'pending'",
        )
        .bind(invitation.state.as_str())
        .bind(at_ms)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
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
        tx.commit_changed(&result).await?;
        Ok(result)
    }

    async fn expire_invitation(&self, id: InvitationId, at_ms: i64) -> StoreResult<Changed> {
        let mut tx = WriteTx::begin(self).await?;
        let row = sqlx::query(&format!(
            "UPDATE invitations SET state = 'expired', resolved_at = ?
             WHERE id = ? AND state = 'pending'
             RETURNING {INVITATION_COLUMNS}"
        ))
        .bind(at_ms)
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            // Answered or expired before: nothing to do.
            return Ok(Changed::nothing());
        };
        let invitation = invitation_from_row(&row)?;
        let conversation_id = invitation.conversation_id;
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
        tx.commit_changed(&result).await?;
        Ok(result)
    }

    async fn pending_invitations(&self, invitee: Participant) -> StoreResult<Vec<InvitationInfo>> {
        let (role, pid) = participant_parts(invitee);
        sqlx::query(&format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations
             WHERE invitee_role = ? AND invitee_id = ? AND state = 'pending'
             ORDER BY created_at, id"
        ))
        .bind(role)
        .bind(pid)
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(invitation_from_row)
        .collect()
    }

    async fn pending_invitees(&self) -> StoreResult<Vec<Participant>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT DISTINCT invitee_role, invitee_id FROM invitations WHERE state = 'pending'",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|(role, id)| {
                let id = Uuid::parse_str(id)
                    .map_err(|e| StoreError::Internal(format!("stored invitee id: {e}")))?;
                participant_from(role, id)
            })
            .collect()
    }
}
