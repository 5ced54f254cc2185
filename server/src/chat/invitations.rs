//! The multi-party conversation method: an agent's request creates a group
//! conversation (the server makes its id) and invites the people picked; invitations
//! are gated on presence when sent, when answered and while pending.

use super::{ChatError, ChatService, Session};
use crate::clock::now_ms;
use crate::store::{AgentRecord, Departure};
use app::ids::{AgentId, ConversationId, InvitationId, Participant, VisitorId};
use app::protocol::{AgentStatus, ServerMsg};
use std::sync::Arc;
use uuid::Uuid;

/// Most people one request may invite.
pub const MAX_INVITEES: usize = 50;

impl ChatService {
    /// Checks that everyone picked is here now, and returns them with their names;
    /// otherwise the error names who is not (by display name, never by id).
    async fn present_invitees(
        &self,
        requester: AgentId,
        visitors: &[VisitorId],
        agents: &[AgentId],
        agent_names: &[(AgentId, String)],
    ) -> Result<Vec<(Participant, String)>, ChatError> {
        if visitors.is_empty() && agents.is_empty() {
            return Err(ChatError::BadRequest("nobody to invite"));
        }
        if visitors.len() + agents.len() > MAX_INVITEES {
            return Err(ChatError::TooLong {
                field: "invitee list",
                max: MAX_INVITEES,
            });
        }
        let mut found = Vec::new();
        let mut missing = Vec::new();
        let mut gone_visitors = Vec::new();
        {
            let presence = self.presence();
            for id in visitors {
                match presence.visitor_name(*id) {
                    Some(name) => found.push((Participant::Visitor(*id), name)),
                    None => gone_visitors.push(*id),
                }
            }
            for id in agents.iter().filter(|id| **id != requester) {
                let name = agent_names
                    .iter()
                    .find(|(a, _)| a == id)
                    .map(|(_, n)| n.clone());
                match (presence.agent_status(*id), name) {
                    (AgentStatus::Online, Some(name)) => {
                        found.push((Participant::Agent(*id), name))
                    }
                    (_, Some(name)) => missing.push(name),
                    // No such account (removed meanwhile): nobody to name.
                    (_, None) => missing.push(String::new()),
                }
            }
        }
        for id in gone_visitors {
            let name = self.store.visitor(id).await?.map(|v| v.name);
            missing.push(name.unwrap_or_default());
        }
        if missing.is_empty() {
            Ok(found)
        } else {
            missing.retain(|name| !name.is_empty());
            Err(ChatError::InviteeUnavailable(missing))
        }
    }

    async fn agent_names(&self) -> Result<Vec<(AgentId, String)>, ChatError> {
        Ok(self
            .store
            .agents()
            .await?
            .into_iter()
            .map(|a| (a.id, a.name))
            .collect())
    }

    /// Step c–e of the method: the request of `agent` to talk with the visitors and
    /// agents picked. Returns the new conversation's id, made here.
    pub async fn request_conversation(
        self: &Arc<Self>,
        agent: &AgentRecord,
        visitors: &[VisitorId],
        agents: &[AgentId],
    ) -> Result<ConversationId, ChatError> {
        let names = self.agent_names().await?;
        let invitees = self
            .present_invitees(agent.id, visitors, agents, &names)
            .await?;
        let id = ConversationId(Uuid::new_v4());
        let _order = self.stripe(id).lock().await;
        let invited = self
            .store
            .create_group(id, agent, &invitees, Default::default(), now_ms())
            .await?;
        self.announce(invited.changed);
        Ok(id)
    }

    /// More invitations into a conversation `agent` takes part in.
    pub async fn invite(
        self: &Arc<Self>,
        agent: &AgentRecord,
        conversation_id: ConversationId,
        visitors: &[VisitorId],
        agents: &[AgentId],
    ) -> Result<(), ChatError> {
        let names = self.agent_names().await?;
        let invitees = self
            .present_invitees(agent.id, visitors, agents, &names)
            .await?;
        let _order = self.stripe(conversation_id).lock().await;
        let invited = self
            .store
            .invite(conversation_id, agent, &invitees, now_ms())
            .await?;
        self.announce(invited.changed);
        Ok(())
    }

    pub(super) async fn answer_invitation(
        self: &Arc<Self>,
        session: &Session,
        invitation_id: InvitationId,
        accept: bool,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let me = session.participant();
        let greeting;
        {
            let invitation = self
                .store
                .pending_invitations(me)
                .await?
                .into_iter()
                .find(|i| i.id == invitation_id);
            greeting = invitation
                .as_ref()
                .filter(|i| accept && !i.greeting.is_empty())
                .map(|i| (i.conversation_id, i.greeting.clone()));
            // Hold the conversation's write order while answering and announcing;
            // an unknown or closed invitation has no order to keep.
            let _order = match &invitation {
                Some(i) => Some(self.stripe(i.conversation_id).lock().await),
                None => None,
            };
            let changed = self
                .store
                .answer_invitation(invitation_id, me, accept, now_ms())
                .await?;
            self.announce(changed);
        }
        if accept {
            if let Session::Visitor { id: visitor, .. } = session {
                // The 1:1 window closes: the direct conversation ends for the visitor
                // (its history stays with the agents).
                for conversation_id in self.store.open_direct_conversations(me).await? {
                    self.leave(session, conversation_id, Departure::MovedToGroup)
                        .await?;
                }
                self.visitor_in_chat(*visitor, true);
            }
        }
        if let Some((conversation_id, text)) = greeting {
            if let Err(err) = self.say_greeting(me, conversation_id, text).await {
                tracing::warn!(%err, "the greeting of an accepted invitation was not said");
            }
        }
        Ok(vec![])
    }

    /// After `who` accepted an invitation that carries a greeting (a rule's):
    /// the conversation's owner says it, so that it opens their window.
    async fn say_greeting(
        &self,
        who: Participant,
        conversation_id: ConversationId,
        text: String,
    ) -> Result<(), ChatError> {
        let owner = self
            .store
            .conversations_of(who)
            .await?
            .into_iter()
            .find(|c| c.id == conversation_id)
            .and_then(|c| c.owner);
        let Some(owner) = owner else {
            return Ok(());
        };
        let Some(agent) = self.store.agent(owner).await? else {
            return Ok(());
        };
        self.append_text(
            &Session::Agent(agent),
            conversation_id,
            app::ids::MessageId(Uuid::new_v4()),
            text,
            app::protocol::Visibility::Everyone,
        )
        .await?;
        Ok(())
    }

    /// Expires every pending invitation of someone who left the site or went offline.
    pub(super) async fn expire_invitations_of(&self, invitee: Participant) {
        let pending = match self.store.pending_invitations(invitee).await {
            Ok(pending) => pending,
            Err(err) => {
                tracing::error!(%err, "reading pending invitations failed");
                return;
            }
        };
        for invitation in pending {
            let _order = self.stripe(invitation.conversation_id).lock().await;
            match self.store.expire_invitation(invitation.id, now_ms()).await {
                // Answered meanwhile, the change is empty: nothing to announce.
                Ok(changed) => self.announce(changed),
                Err(err) => tracing::error!(%err, "expiring an invitation failed"),
            }
        }
    }
}
