//! Handing a conversation on: to another agent who is online now, or back to the
//! queue. The store applies the change in one transaction
//! ([`crate::store::ConversationStore::transfer`]); here the target is checked
//! against presence and the queue's places are told again.

use super::{ChatError, ChatService};
use crate::clock::now_ms;
use crate::store::AgentRecord;
use app::api::TransferTarget;
use app::ids::ConversationId;
use app::protocol::{char_len, AgentStatus, MAX_MESSAGE_CHARS};
use std::sync::Arc;

impl ChatService {
    /// `agent` hands `conversation_id` to `to`, with `reason` (may be empty) as a
    /// note for the agents; stays in it with `stay` (not when it goes back to the
    /// queue).
    pub async fn transfer(
        self: &Arc<Self>,
        agent: &AgentRecord,
        conversation_id: ConversationId,
        to: TransferTarget,
        reason: &str,
        stay: bool,
    ) -> Result<(), ChatError> {
        let reason = reason.trim();
        if char_len(reason) > MAX_MESSAGE_CHARS {
            return Err(ChatError::TooLong {
                field: "reason",
                max: MAX_MESSAGE_CHARS,
            });
        }
        let target = match to {
            TransferTarget::Queue => None,
            TransferTarget::Agent(id) if id == agent.id => {
                return Err(ChatError::BadRequest(
                    "a conversation cannot go to its own agent",
                ))
            }
            TransferTarget::Agent(id) => {
                // No such account is the same answer as one that is not online:
                // nobody there to take it.
                let record = self.store.agent(id).await?;
                let online = self.presence().agent_status(id) == AgentStatus::Online;
                match record {
                    Some(record) if online => Some(record),
                    Some(record) => return Err(ChatError::InviteeUnavailable(vec![record.name])),
                    None => return Err(ChatError::InviteeUnavailable(Vec::new())),
                }
            }
        };
        let _order = self.stripe(conversation_id).lock().await;
        let changed = self
            .store
            .transfer(
                conversation_id,
                agent,
                target.as_ref(),
                reason,
                stay,
                now_ms(),
            )
            .await?;
        self.announce(changed);
        drop(_order);
        if target.is_none() {
            self.announce_queue_positions().await;
        } else {
            // The one who handed it on may have room for another chat now.
            self.reroute();
        }
        Ok(())
    }
}
