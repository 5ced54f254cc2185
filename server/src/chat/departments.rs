//! Departments and automatic routing.
//!
//! A chat started from a page whose widget names a department
//! (`data-department`) waits in that department's part of the queue. When the
//! department routes chats (round robin or least busy), each node's router task
//! offers every waiting chat to one online agent of the department with room for
//! it ([`crate::chat::rules::next_agent`]), for the department's offer time; an
//! agent who declines, or does not take it in time, or goes away or offline,
//! loses the offer and the chat goes to the next. The store makes each offer in
//! one transaction that holds the chat, so several nodes routing at once make one
//! offer, and taking a chat stays the queue's "exactly one wins".
//!
//! The task looks at every waiting chat when something may change an offer (a
//! new chat, an agent's status or presence, a chat taken or left, a decline, new
//! settings), and once a second at the offers that ran out.

use super::availability::known_time_zone;
use super::events::Event;
use super::rules::offer_is_live;
use super::{ChatError, ChatService, Session};
use crate::clock::now_ms;
use crate::store::StoreError;
use app::api::{department_problem, Department, Routing};
use app::ids::ConversationId;
use app::protocol::ServerMsg;
use std::sync::Weak;
use std::time::Duration;

/// How often the router task looks for offers that ran out without a wake-up.
const ROUTING_TICK: Duration = Duration::from_secs(1);

impl ChatService {
    /// Asks this node's router task to look at the queue now.
    pub(super) fn reroute(&self) {
        self.routing_wake.notify_one();
    }

    pub async fn departments(&self) -> Result<Vec<Department>, ChatError> {
        Ok(self.store.departments().await?)
    }

    /// Adds a department or changes one (the caller checked the admin role).
    pub async fn put_department(&self, mut department: Department) -> Result<(), ChatError> {
        department.name = department.name.trim().to_owned();
        if let Some(field) = department_problem(&department) {
            return Err(ChatError::InvalidField(field));
        }
        if let Some(hours) = &department.hours {
            if !known_time_zone(&hours.time_zone) {
                return Err(ChatError::InvalidField("time_zone"));
            }
        }
        let known = self.store.agents().await?;
        if let Some(stranger) = department
            .agents
            .iter()
            .find(|id| !known.iter().any(|a| a.id == **id))
        {
            tracing::info!(agent = %stranger, "a department named an agent that does not exist");
            return Err(ChatError::InvalidField("agents"));
        }
        department.agents.sort();
        department.agents.dedup();
        self.store.put_department(&department, now_ms()).await?;
        self.departments_changed().await;
        self.reroute();
        Ok(())
    }

    pub async fn remove_department(&self, id: &str) -> Result<(), ChatError> {
        let waiting: Vec<ConversationId> = self
            .store
            .queue()
            .await?
            .into_iter()
            .filter(|item| item.department == id)
            .map(|item| item.conversation_id)
            .collect();
        if !self.store.remove_department(id).await? {
            return Err(ChatError::NotFound);
        }
        self.departments_changed().await;
        // Its waiting chats are in no department now: consoles hear of each.
        for item in self.store.queue().await? {
            if waiting.contains(&item.conversation_id) {
                self.announce_one(Event::QueueAdded(item));
            }
        }
        self.announce_queue_positions().await;
        Ok(())
    }

    /// An agent passes on a chat offered to them: it goes to the next at once.
    /// Declining an offer that moved on meanwhile is no error.
    pub(super) async fn decline_chat(
        &self,
        session: &Session,
        conversation_id: ConversationId,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let agent = session.agent_id().ok_or(ChatError::Forbidden)?;
        if self
            .store
            .decline_chat(conversation_id, agent, now_ms())
            .await?
        {
            // Declined for good; the next offer may wait for the router's tick.
            if let Err(err) = self.route_waiting_chats(true).await {
                tracing::warn!(%err, "routing a declined chat failed; the router tries again");
            }
        }
        Ok(vec![])
    }

    /// Offers each waiting chat of a routing department that has no live offer
    /// to an online agent, ends the offers that no longer stand (the department
    /// stopped routing, or the agent left it), and tells the consoles of each.
    /// Unless `everything` may have changed, only offers that ran out or whose
    /// agent is no longer online are looked at: a chat nobody could take a
    /// moment ago waits for a change.
    pub(super) async fn route_waiting_chats(&self, everything: bool) -> Result<(), ChatError> {
        // Hours open and close, settings change on other nodes: widgets hear
        // of it within a tick (this node's own view, lease or not).
        let departments = self.reread_departments().await?;
        if self
            .cluster
            .as_ref()
            .is_some_and(|board| !board.knows_the_cluster())
        {
            // Not yet in the cluster's presence: the other nodes' agents are
            // unknown here, and their offers are not this node's to move.
            return Ok(());
        }
        // No department routes: no offer can run out (one made before a switch
        // to manual ends on the wake-up that the switch gives).
        let routing = departments.iter().any(|d| d.routing != Routing::Manual);
        if departments.is_empty() || !(routing || everything) {
            return Ok(());
        }
        let queue = self.store.queue().await?;
        let available = self.presence().available_agents();
        let now = now_ms();
        for item in &queue {
            let department = departments.iter().find(|d| d.id == item.department);
            let routes = department.is_some_and(|d| d.routing != Routing::Manual);
            if !routes && item.offered_to.is_none() {
                continue;
            }
            let offer_ms = department.map_or(0, |d| i64::from(d.offer_seconds) * 1000);
            let stands = routes
                && offer_is_live(
                    item.offered_to,
                    item.offered_until_ms,
                    offer_ms,
                    &available,
                    now,
                );
            if stands || !(everything || item.offered_to.is_some()) {
                continue;
            }
            // Of several nodes looking at once, the store lets one make the offer.
            let order = self.stripe(item.conversation_id).lock().await;
            match self
                .store
                .route_chat(item.conversation_id, &available, now)
                .await
            {
                Ok(Some(offered)) => self.announce_one(Event::QueueAdded(offered)),
                Ok(None) => {}
                // Taken or gone meanwhile: nothing to offer.
                Err(StoreError::Refused(_)) => {}
                Err(err) => return Err(err.into()),
            }
            drop(order);
        }
        Ok(())
    }
}

/// The router task of this node, as long as the service lives. It reads the
/// departments, the websites and the invitation rules at once, so that the
/// first widgets are told the hours and get their site's settings, and again
/// on every tick, when the rules also look at the visitors.
pub(super) async fn keep_routing(service: Weak<ChatService>) {
    if let Some(service) = service.upgrade() {
        if let Err(err) = service.reread_departments().await {
            tracing::warn!(%err, "departments not read at start; trying again");
        }
        if let Err(err) = service.reread_websites().await {
            tracing::warn!(%err, "websites not read at start; trying again");
        }
        if let Err(err) = service.reread_rules().await {
            tracing::warn!(%err, "invitation rules not read at start; trying again");
        }
    }
    let mut websites_read = std::time::Instant::now();
    loop {
        let Some(wake) = service.upgrade().map(|s| s.routing_wake.clone()) else {
            return;
        };
        let woken = tokio::time::timeout(ROUTING_TICK, wake.notified())
            .await
            .is_ok();
        let Some(service) = service.upgrade() else {
            return;
        };
        if service.halted.is_cancelled() {
            return;
        }
        // Websites saved on other nodes reach this one within a tick, however
        // often the router is woken.
        if websites_read.elapsed() >= ROUTING_TICK {
            websites_read = std::time::Instant::now();
            if let Err(err) = service.reread_websites().await {
                tracing::warn!(%err, "reading the websites failed; trying again");
            }
            if let Err(err) = service.reread_rules().await {
                tracing::warn!(%err, "reading the invitation rules failed; trying again");
            }
            // Time on a page passes: the rules look at this node's visitors.
            if let Err(err) = service.fire_invitation_rules().await {
                tracing::warn!(%err, "inviting by rules failed; trying again");
            }
        }
        if let Err(err) = service.route_waiting_chats(woken).await {
            tracing::warn!(%err, "routing waiting chats failed; trying again");
        }
    }
}
