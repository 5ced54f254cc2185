//! Connections opening and closing, page views, and what presence changes announce.

use super::events::{Changed, Event};
use super::identity::Vouched;
use super::{AgentProfile, ChatError, ChatService, Session};
use crate::clock::now_ms;
use crate::routing::{ConnId, Outbox};
use app::ids::VisitorId;
use app::protocol::{AgentInfo, AgentStatus, Me, PageView, ServerMsg};
use std::sync::Arc;

/// One open connection of a session, from [`ChatService::open`] on. Dropping it
/// undoes everything opening did: the router forgets it, and presence ends after
/// the grace period unless the person has another connection by then.
pub struct Connection {
    service: Arc<ChatService>,
    session: Session,
    id: ConnId,
}

impl Connection {
    pub fn id(&self) -> ConnId {
        self.id
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub(super) fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }

    /// Queues a frame for this connection alone: the one way answers go out.
    pub fn reply(&self, msg: &ServerMsg) {
        self.service.reply(self.id, msg);
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.service.close_visitor_list(self.id);
        let still_open = self.service.router.unregister(self.id);
        self.service.disconnected(&self.session, still_open);
    }
}

impl ChatService {
    /// Opens a connection of `session` (for a visitor, on `page`): the router takes
    /// it, presence counts it, and its outbox starts with `welcome`, then for agents
    /// the snapshots of visitors, agents and the queue, then pending invitations and
    /// the queue position; what others hear of the arrival follows.
    pub async fn open(
        self: &Arc<Self>,
        session: Session,
        page: Option<PageView>,
        vouched: Vouched,
    ) -> Result<(Connection, Outbox), ChatError> {
        let page = match &session {
            Session::Visitor { .. } => {
                Some(page.ok_or(ChatError::BadRequest("hello without a page"))?)
            }
            Session::Agent(_) => None,
        };
        let outbox = self.router.register(session.participant());
        let conn = Connection {
            service: Arc::clone(self),
            id: outbox.id,
            session,
        };
        // What others hear of the arrival goes out whatever happens next: if the
        // welcome fails, dropping the connection announces the departure in turn.
        let mut news = Vec::new();
        let greeted = self.greet(&conn, page, &vouched, &mut news).await;
        self.router.welcomed(conn.id);
        self.announce(Changed::of(news));
        greeted?;
        Ok((conn, outbox))
    }

    /// Counts the connection present and queues its `welcome` and what follows it;
    /// `news` gets what others must hear.
    async fn greet(
        &self,
        conn: &Connection,
        page: Option<PageView>,
        vouched: &Vouched,
        news: &mut Vec<Event>,
    ) -> Result<(), ChatError> {
        let conversations = self
            .store
            .conversations_of(conn.session.participant())
            .await?;
        match &conn.session {
            Session::Visitor { id, name } => {
                let page = page.expect("visitors have a page");
                {
                    let mut presence = self.presence();
                    presence.visitor_connected(
                        *id,
                        name,
                        page,
                        !conversations.is_empty(),
                        now_ms(),
                    );
                    presence.visitor_identified(*id, vouched.verified, &vouched.email);
                }
                self.visitor_lists.mark_stale();
                let now = self.availability();
                conn.reply(&ServerMsg::Welcome {
                    me: Me::Visitor {
                        id: *id,
                        name: name.clone(),
                    },
                    conversations,
                    agents_available: now.available,
                    email_transcripts: self.mails_transcripts(),
                    away: now.away,
                });
                // An invitation still pending pops up again on the next page.
                for msg in self.pending_invitation_msgs(&conn.session).await? {
                    conn.reply(&msg);
                }
                if let Some(place) = self.queue_position_of(*id).await? {
                    conn.reply(&place);
                }
            }
            Session::Agent(agent) => {
                let profile = AgentProfile {
                    id: agent.id,
                    username: agent.username.clone(),
                    name: agent.name.clone(),
                    role: agent.role,
                };
                let changed = self.presence().agent_connected(profile, agent.status);
                news.extend(changed.map(Event::Agent));
                let agents = self.agent_infos().await?;
                let queue = self.store.queue().await?;
                let invitations = self.pending_invitation_msgs(&conn.session).await?;
                let welcome = {
                    let presence = self.presence();
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
                        email_transcripts: self.mails_transcripts(),
                        away: Vec::new(),
                    }
                };
                conn.reply(&welcome);
                self.open_visitor_list(conn.id);
                conn.reply(&ServerMsg::Agents { agents });
                conn.reply(&ServerMsg::Queue { items: queue });
                for msg in invitations {
                    conn.reply(&msg);
                }
                // An agent online now may take the chats nobody could, and
                // visitors may chat.
                self.announce_availability();
            }
        }
        Ok(())
    }

    /// A connection of `session` closed, leaving `still_open`. Presence ends after
    /// the grace period unless another connection opens meanwhile.
    fn disconnected(self: &Arc<Self>, session: &Session, still_open: usize) {
        // The deadline counts from now, not from whenever the timer task first runs.
        let deadline = tokio::time::Instant::now() + self.config.presence_grace;
        let participant = session.participant();
        match session {
            Session::Visitor { id, .. } => {
                let Some(epoch) = self.presence().visitor_disconnected(*id, still_open) else {
                    return;
                };
                let service = Arc::clone(self);
                let id = *id;
                tokio::spawn(async move {
                    tokio::time::sleep_until(deadline).await;
                    let open = service.router.connection_count(participant);
                    let (expired, gone) = {
                        let mut presence = service.presence();
                        // Gone from this node; in a cluster, maybe still on another
                        // (whose view of them the lists show from now on).
                        let expired = presence.expire_visitor(id, epoch, open);
                        (expired, expired && !presence.is_visitor_here(id))
                    };
                    if expired {
                        service.visitor_lists.mark_stale();
                    }
                    if gone {
                        service.expire_invitations_of(participant).await;
                    }
                });
            }
            Session::Agent(agent) => {
                let Some(epoch) = self.presence().agent_disconnected(agent.id, still_open) else {
                    return;
                };
                let service = Arc::clone(self);
                let id = agent.id;
                tokio::spawn(async move {
                    tokio::time::sleep_until(deadline).await;
                    let open = service.router.connection_count(participant);
                    let gone = {
                        let mut presence = service.presence();
                        // As the cluster sees it: maybe still online on another node.
                        presence.expire_agent(id, epoch, open).map(|mut info| {
                            info.status = presence.agent_status(id);
                            info
                        })
                    };
                    if let Some(info) = gone {
                        let offline = info.status == AgentStatus::Offline;
                        service.announce_one(Event::Agent(info));
                        service.announce_availability();
                        if offline {
                            service.expire_invitations_of(participant).await;
                        }
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
        if self.presence().visitor_page(id, page, now_ms()) {
            self.visitor_lists.mark_stale();
        }
        Ok(())
    }

    pub(super) fn visitor_in_chat(&self, id: VisitorId, in_chat: bool) {
        if self.presence().visitor_in_chat(id, in_chat) {
            self.visitor_lists.mark_stale();
        }
    }

    pub(super) fn visitor_page_url(&self, id: VisitorId) -> String {
        self.presence()
            .visitor_info(id)
            .map(|v| v.page.url)
            .unwrap_or_default()
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
