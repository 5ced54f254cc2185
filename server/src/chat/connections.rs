//! Connections opening and closing, page views, and what presence changes announce.

use super::events::Event;
use super::{AgentProfile, ChatError, ChatService, Session};
use crate::clock::now_ms;
use app::ids::{Participant, VisitorId};
use app::protocol::{AgentInfo, Me, PageView, ServerMsg};
use std::sync::Arc;

impl ChatService {
    /// A connection of `session` opened (for a visitor, on `page`). Returns the
    /// `welcome` and, for agents, the snapshots of visitors, agents and the queue.
    pub async fn connected(
        self: &Arc<Self>,
        session: &Session,
        page: Option<PageView>,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let conversations = self.store.conversations_of(session.participant()).await?;
        match session {
            Session::Visitor { id, name } => {
                let page = page.ok_or(ChatError::BadRequest("hello without a page"))?;
                let info = self.presence().visitor_connected(
                    *id,
                    name,
                    page,
                    !conversations.is_empty(),
                    now_ms(),
                );
                self.announce_one(Event::Visitor(info));
                let mut replies = vec![ServerMsg::Welcome {
                    me: Me::Visitor {
                        id: *id,
                        name: name.clone(),
                    },
                    conversations,
                    agents_available: self.presence().agents_available(),
                }];
                // An invitation still pending pops up again on the next page.
                replies.extend(self.pending_invitation_msgs(session).await?);
                replies.extend(self.queue_position_of(*id).await?);
                Ok(replies)
            }
            Session::Agent(agent) => {
                let available_before = self.presence().agents_available();
                let profile = AgentProfile {
                    id: agent.id,
                    username: agent.username.clone(),
                    name: agent.name.clone(),
                    role: agent.role,
                };
                let changed = self.presence().agent_connected(profile, agent.status);
                if let Some(info) = changed {
                    self.announce_one(Event::Agent(info));
                }
                self.announce_availability(available_before);
                let agents = self.agent_infos().await?;
                let queue = self.store.queue().await?;
                let invitations = self.pending_invitation_msgs(session).await?;
                let presence = self.presence();
                let mut replies = vec![
                    ServerMsg::Welcome {
                        me: Me::Agent {
                            id: agent.id,
                            username: agent.username.clone(),
                            name: agent.name.clone(),
                            role: agent.role,
                            status: presence.agent_status(agent.id),
                        },
                        conversations,
                        agents_available: presence.agents_available(),
                    },
                    ServerMsg::Visitors {
                        visitors: presence.visitors(),
                    },
                    ServerMsg::Agents { agents },
                    ServerMsg::Queue { items: queue },
                ];
                replies.extend(invitations);
                Ok(replies)
            }
        }
    }

    /// A connection of `session` closed. Presence ends after the grace period unless
    /// another connection opens meanwhile.
    pub fn disconnected(self: &Arc<Self>, session: &Session) {
        // The deadline counts from now, not from whenever the timer task first runs.
        let deadline = tokio::time::Instant::now() + self.config.presence_grace;
        match session {
            Session::Visitor { id, .. } => {
                let Some(epoch) = self.presence().visitor_disconnected(*id) else {
                    return;
                };
                let service = Arc::clone(self);
                let id = *id;
                tokio::spawn(async move {
                    tokio::time::sleep_until(deadline).await;
                    let gone = service.presence().expire_visitor(id, epoch);
                    if gone {
                        service.announce_one(Event::VisitorLeft(id));
                        service
                            .expire_invitations_of(Participant::Visitor(id))
                            .await;
                    }
                });
            }
            Session::Agent(agent) => {
                let Some(epoch) = self.presence().agent_disconnected(agent.id) else {
                    return;
                };
                let service = Arc::clone(self);
                let id = agent.id;
                tokio::spawn(async move {
                    tokio::time::sleep_until(deadline).await;
                    let available_before = service.presence().agents_available();
                    let gone = service.presence().expire_agent(id, epoch);
                    if let Some(info) = gone {
                        service.announce_one(Event::Agent(info));
                        service.announce_availability(available_before);
                        service.expire_invitations_of(Participant::Agent(id)).await;
                    }
                });
            }
        }
    }

    async fn pending_invitation_msgs(
        &self,
        session: &Session,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        Ok(self
            .store
            .pending_invitations(session.participant())
            .await?
            .into_iter()
            .map(|invitation| ServerMsg::Invitation { invitation })
            .collect())
    }

    pub(super) fn page_view(&self, session: &Session, page: PageView) -> Result<(), ChatError> {
        let id = session.visitor_id().ok_or(ChatError::Forbidden)?;
        if let Some(info) = self.presence().visitor_page(id, page) {
            self.announce_one(Event::Visitor(info));
        }
        Ok(())
    }

    pub(super) fn visitor_in_chat(&self, id: VisitorId, in_chat: bool) {
        if let Some(info) = self.presence().visitor_in_chat(id, in_chat) {
            self.announce_one(Event::Visitor(info));
        }
    }

    pub(super) fn visitor_page_url(&self, id: VisitorId) -> String {
        self.presence()
            .visitors()
            .into_iter()
            .find(|v| v.id == id)
            .map(|v| v.page.url)
            .unwrap_or_default()
    }

    /// Tells visitors when agents become available or unavailable.
    pub(super) fn announce_availability(&self, available_before: bool) {
        let available = self.presence().agents_available();
        if available != available_before {
            self.announce_one(Event::AgentsAvailable(available));
        }
    }

    /// Every agent account with its effective status.
    pub(super) async fn agent_infos(&self) -> Result<Vec<AgentInfo>, ChatError> {
        let records = self.store.agents().await?;
        let presence = self.presence();
        Ok(records
            .into_iter()
            .map(|a| AgentInfo {
                status: presence.agent_status(a.id),
                id: a.id,
                username: a.username,
                name: a.name,
                role: a.role,
            })
            .collect())
    }
}
