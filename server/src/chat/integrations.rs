//! What the REST API (`crate::http::api`) asks of the chat service. An
//! integration acts as a named agent, under the same rules as that agent's
//! console: only a participant writes into a conversation, invitations are
//! gated on presence, and notes go to agents only. Reading is staff reading, as
//! in the console's history: every entry of every conversation.

use super::{ChatError, ChatService, Session, VisitorList};
use crate::store::{AgentRecord, Departure, StoreError};
use app::api::{HistoryCursor, HistoryFilter, PastConversation};
use app::ids::{ConversationId, MessageId, Participant};
use app::protocol::{
    AgentInfo, ChatMessage, ConversationState, DisplayName, OfflineMessage, Rating, ServerMsg,
    Visibility,
};

impl ChatService {
    /// The agent account named `username`, which an API request acts as.
    pub async fn agent_named(&self, username: &str) -> Result<AgentRecord, ChatError> {
        self.store
            .agent_by_username(username)
            .await?
            .ok_or(ChatError::InvalidField("agent"))
    }

    /// `agent` writes `text` into a conversation it takes part in (an internal
    /// note with `Visibility::Agents`), under its own name or a bot's. Resending
    /// the same `client_msg_id` with the same text answers the stored entry's
    /// seq again and stores nothing.
    pub async fn send_as(
        &self,
        agent: &AgentRecord,
        bot: Option<&str>,
        conversation_id: ConversationId,
        client_msg_id: MessageId,
        text: String,
        visibility: Visibility,
    ) -> Result<u64, ChatError> {
        let mut seat = agent.clone();
        if let Some(bot) = bot {
            seat.name = self.bot_name(bot).await?;
        }
        let session = Session::Agent(seat);
        let answers = match visibility {
            Visibility::Everyone => {
                self.send(&session, conversation_id, client_msg_id, text)
                    .await?
            }
            Visibility::Agents => {
                self.send_note(&session, conversation_id, client_msg_id, text)
                    .await?
            }
        };
        answers
            .into_iter()
            .find_map(|answer| match answer {
                ServerMsg::Ack { seq, .. } => Some(seq),
                _ => None,
            })
            .ok_or(ChatError::Store(StoreError::Internal(
                "an append answered without its seq".into(),
            )))
    }

    /// A bot's name as it is shown: a display name that is no agent's, so that
    /// a bot cannot pass for a person of the team.
    async fn bot_name(&self, bot: &str) -> Result<String, ChatError> {
        let name = DisplayName::parse(bot.trim())
            .map_err(|_| ChatError::InvalidField("bot name"))?
            .into_string();
        let taken = self
            .store
            .agents()
            .await?
            .iter()
            .any(|a| a.name.to_lowercase() == name.to_lowercase());
        if taken {
            return Err(ChatError::InvalidField("bot name (an agent's name)"));
        }
        Ok(name)
    }

    /// Closes a conversation: each agent in it leaves, and the rules close it
    /// once no agent remains (`rules::closes_after_leave`). Everyone in it sees
    /// the agents leave, as if each had left from the console.
    pub async fn close_conversation(
        &self,
        id: ConversationId,
    ) -> Result<ConversationState, ChatError> {
        let conversation = self.conversation(id).await?;
        if conversation.state == ConversationState::Closed {
            return Ok(ConversationState::Closed);
        }
        for person in &conversation.people {
            let Participant::Agent(agent_id) = person.participant else {
                continue;
            };
            let Some(agent) = self.store.agent(agent_id).await? else {
                continue;
            };
            // Those who took part but left before are not members: nothing to do.
            match self
                .leave(&Session::Agent(agent), id, Departure::Left)
                .await
            {
                Ok(_) | Err(ChatError::NotFound) | Err(ChatError::Closed) => {}
                Err(err) => return Err(err),
            }
        }
        if conversation.state == ConversationState::Queued {
            // Nobody took it yet: the visitor's leaving closes it.
            for person in &conversation.people {
                if let Participant::Visitor(visitor) = person.participant {
                    let session = Session::Visitor {
                        id: visitor,
                        name: person.name.clone(),
                    };
                    match self.leave(&session, id, Departure::Left).await {
                        Ok(_) | Err(ChatError::NotFound) | Err(ChatError::Closed) => {}
                        Err(err) => return Err(err),
                    }
                }
            }
        }
        Ok(self
            .store
            .past_conversation(id)
            .await?
            .map_or(ConversationState::Closed, |c| c.state))
    }

    /// A page of conversations matching `filter`, newest first, and the cursor
    /// of the next page when there may be one.
    pub async fn conversations_page(
        &self,
        filter: &HistoryFilter,
        after: Option<HistoryCursor>,
        limit: u32,
    ) -> Result<(Vec<PastConversation>, Option<HistoryCursor>), ChatError> {
        super::history::check_filter(filter)?;
        let conversations = self.store.history(filter, after, limit).await?;
        let next = (conversations.len() == limit as usize)
            .then(|| conversations.last())
            .flatten()
            .map(|last| HistoryCursor {
                started_ms: last.started_ms,
                id: last.id,
            });
        Ok((conversations, next))
    }

    /// One conversation, whoever took part.
    pub async fn conversation(&self, id: ConversationId) -> Result<PastConversation, ChatError> {
        self.store
            .past_conversation(id)
            .await?
            .ok_or(ChatError::NotFound)
    }

    /// Up to `limit` entries after `after_seq`, notes included, and whether
    /// more follow.
    pub async fn entries(
        &self,
        id: ConversationId,
        after_seq: u64,
        limit: u32,
    ) -> Result<(Vec<ChatMessage>, bool), ChatError> {
        let page = self
            .store
            .staff_entries(id, after_seq, limit)
            .await?
            .ok_or(ChatError::NotFound)?;
        let more = page
            .messages
            .last()
            .is_some_and(|last| last.seq < page.last_seq);
        Ok((page.messages, more))
    }

    /// The ratings visitors gave a conversation.
    pub async fn ratings_of(&self, id: ConversationId) -> Result<Vec<Rating>, ChatError> {
        self.conversation(id).await?;
        Ok(self.store.ratings(id).await?)
    }

    /// The newest offline messages, up to `limit`.
    pub async fn offline_messages_now(&self, limit: u32) -> Result<Vec<OfflineMessage>, ChatError> {
        Ok(self.store.offline_messages(limit).await?)
    }

    /// Every agent account with its status now.
    pub async fn agents_now(&self) -> Result<Vec<AgentInfo>, ChatError> {
        self.agent_infos().await
    }

    /// The `limit` newest visits on the site that match `filter` (as a console's
    /// search box matches), with the counts.
    pub fn visitors_now(&self, filter: &str, limit: usize) -> VisitorList {
        self.presence().visitor_list(filter, &[], &[], limit)
    }
}
