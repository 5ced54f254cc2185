//! Who is here now: visitors on the site and agents with a console open.
//!
//! A pure state machine. Connections come and go (the router counts them, and the
//! caller passes its count in); someone counts as gone only when their last
//! connection has been closed for the grace period, so moving between pages (which
//! reconnects the widget) never makes a visitor flicker. Every disconnect that
//! leaves nobody connected returns an epoch; the caller waits the grace period and
//! then calls `expire_*` with it and the connections open then, which does nothing
//! if the person came back (or left and came back again) in the meantime.

use app::ids::{AgentId, MessageId, VisitorId};
use app::protocol::{AgentInfo, AgentRole, AgentStatus, Landing, PageView, VisitorInfo};
use std::collections::{HashMap, HashSet};

/// Page loads remembered per visit, to count pages viewed without counting reconnects.
const MAX_LOADS_REMEMBERED: usize = 1000;

struct Visitor {
    name: String,
    epoch: u64,
    page: PageView,
    landing: Landing,
    loads: HashSet<MessageId>,
    pages_viewed: u32,
    visit_started_ms: i64,
    in_chat: bool,
    /// What the embedding site said of this visitor (`LiveChat.identify`).
    verified: bool,
    email: String,
    /// When the current page was loaded.
    page_since_ms: i64,
    /// Whether they were on the site in an earlier visit, once looked up.
    returning: Option<bool>,
    /// The invitation rules that fired in this visit.
    rules_fired: Vec<String>,
    /// The department the visitor chose in the pre-chat form (over the
    /// page's), and whether they ticked its consent box.
    chosen_department: String,
    consented: bool,
}

impl Visitor {
    fn info(&self, id: VisitorId) -> VisitorInfo {
        let mut page = self.page.clone();
        if !self.chosen_department.is_empty() {
            page.department = self.chosen_department.clone();
        }
        VisitorInfo {
            id,
            name: self.name.clone(),
            page,
            landing: self.landing.clone(),
            pages_viewed: self.pages_viewed,
            visit_started_ms: self.visit_started_ms,
            in_chat: self.in_chat,
            verified: self.verified,
            email: self.email.clone(),
        }
    }

    fn view(&mut self, page: PageView, now_ms: i64) {
        if self.loads.len() < MAX_LOADS_REMEMBERED && self.loads.insert(page.load_id) {
            self.pages_viewed += 1;
            self.page_since_ms = now_ms;
        }
        self.page = page;
    }
}

/// What an agent's console shows of an agent, without its status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentProfile {
    pub id: AgentId,
    pub username: String,
    pub name: String,
    pub role: AgentRole,
}

struct Agent {
    profile: AgentProfile,
    chosen: AgentStatus,
    epoch: u64,
}

impl Agent {
    fn info(&self) -> AgentInfo {
        AgentInfo {
            id: self.profile.id,
            username: self.profile.username.clone(),
            name: self.profile.name.clone(),
            role: self.profile.role,
            status: self.chosen,
        }
    }
}

#[derive(Default)]
pub struct Presence {
    visitors: HashMap<VisitorId, Visitor>,
    agents: HashMap<AgentId, Agent>,
    epochs: u64,
    /// In a cluster: who the other nodes see (empty on a single node). Queries
    /// answer for the whole cluster; what this node's connections do changes
    /// only its own part.
    remote_visitors: HashMap<VisitorId, VisitorInfo>,
    remote_agents: HashMap<AgentId, AgentInfo>,
}

/// What one console lists of the visitors on the site (`ServerMsg::Visitors`).
#[derive(Debug, Default, PartialEq)]
pub struct VisitorList {
    /// Oldest visit first.
    pub visitors: Vec<VisitorInfo>,
    /// Everyone on the site.
    pub on_site: u32,
    /// Those of them that match the console's filter.
    pub matching: u32,
}

/// What changed for the whole cluster when the other nodes' presence was read
/// again.
#[derive(Debug, Default, PartialEq)]
pub struct RemoteChange {
    /// Visitors no node has any more.
    pub left: Vec<VisitorId>,
    /// Visitors that arrived or changed on another node, and are not here.
    pub visitors: Vec<VisitorInfo>,
    /// Agents whose status, for the whole cluster, changed.
    pub agents: Vec<AgentInfo>,
}

impl Presence {
    fn next_epoch(&mut self) -> u64 {
        self.epochs += 1;
        self.epochs
    }

    /// A widget connected from `page`. Returns the visitor as agents should now see it.
    pub fn visitor_connected(
        &mut self,
        id: VisitorId,
        name: &str,
        page: PageView,
        in_chat: bool,
        now_ms: i64,
    ) -> VisitorInfo {
        let epoch = self.next_epoch();
        let visitor = self.visitors.entry(id).or_insert_with(|| Visitor {
            name: name.to_owned(),
            epoch,
            page: PageView::default(),
            landing: Landing {
                url: page.url.clone(),
                referrer: page.referrer.clone(),
            },
            loads: HashSet::new(),
            pages_viewed: 0,
            visit_started_ms: now_ms,
            in_chat,
            verified: false,
            email: String::new(),
            page_since_ms: now_ms,
            returning: None,
            rules_fired: Vec::new(),
            chosen_department: String::new(),
            consented: false,
        });
        visitor.epoch = epoch;
        visitor.in_chat = in_chat;
        // The name the store has now (the site may have said who this is).
        if visitor.name != name {
            visitor.name = name.to_owned();
        }
        visitor.view(page, now_ms);
        visitor.info(id)
    }

    /// What the embedding site says of a visitor here: verified or not, and an
    /// address. Returns whether that changed what agents see.
    pub fn visitor_identified(&mut self, id: VisitorId, verified: bool, email: &str) -> bool {
        let Some(visitor) = self.visitors.get_mut(&id) else {
            return false;
        };
        if visitor.verified == verified && visitor.email == email {
            return false;
        }
        visitor.verified = verified;
        visitor.email = email.to_owned();
        true
    }

    /// The visitor moved to another page on an open connection. Returns whether
    /// the visitor is here (and so changed).
    pub fn visitor_page(&mut self, id: VisitorId, page: PageView, now_ms: i64) -> bool {
        let Some(visitor) = self.visitors.get_mut(&id) else {
            return false;
        };
        visitor.view(page, now_ms);
        true
    }

    /// The visitors connected to this node who are not chatting, as invitation
    /// rules weigh them.
    pub fn prospects(&self, now_ms: i64) -> Vec<super::proactive::Prospect> {
        self.visitors
            .iter()
            .filter(|(_, v)| !v.in_chat)
            .map(|(id, v)| super::proactive::Prospect {
                id: *id,
                name: v.name.clone(),
                page_url: v.page.url.clone(),
                on_page_ms: now_ms - v.page_since_ms,
                visit_started_ms: v.visit_started_ms,
                pages_viewed: v.pages_viewed,
                returning: v.returning,
                fired: v.rules_fired.clone(),
            })
            .collect()
    }

    /// What the visitor said in the pre-chat form: an address (unless the site
    /// vouched for one), the department they chose, their consent. Returns
    /// whether that changed what agents see.
    pub fn visitor_pre_chat(
        &mut self,
        id: VisitorId,
        email: &str,
        department: &str,
        consent: bool,
    ) -> bool {
        let Some(visitor) = self.visitors.get_mut(&id) else {
            return false;
        };
        let before = (visitor.email.clone(), visitor.chosen_department.clone());
        if !visitor.verified && !email.is_empty() {
            visitor.email = email.to_owned();
        }
        if !department.is_empty() {
            visitor.chosen_department = department.to_owned();
        }
        visitor.consented |= consent;
        before != (visitor.email.clone(), visitor.chosen_department.clone())
    }

    /// Whether the visitor ticked the pre-chat form's consent box in this visit.
    pub fn visitor_consented(&self, id: VisitorId) -> bool {
        self.visitors.get(&id).is_some_and(|v| v.consented)
    }

    /// An invitation rule fired for the visitor: not again in this visit.
    pub fn rule_fired(&mut self, id: VisitorId, rule: &str) {
        if let Some(visitor) = self.visitors.get_mut(&id) {
            visitor.rules_fired.push(rule.to_owned());
        }
    }

    /// Whether the visitor was on the site in an earlier visit, as looked up.
    pub fn visitor_returning(&mut self, id: VisitorId, returning: bool) {
        if let Some(visitor) = self.visitors.get_mut(&id) {
            visitor.returning = Some(returning);
        }
    }

    /// Whether the visitor is in a chat. Returns whether that changed.
    pub fn visitor_in_chat(&mut self, id: VisitorId, in_chat: bool) -> bool {
        match self.visitors.get_mut(&id) {
            Some(visitor) if visitor.in_chat != in_chat => {
                visitor.in_chat = in_chat;
                true
            }
            _ => false,
        }
    }

    /// One widget connection closed, leaving `still_open`. Returns the epoch to
    /// expire with once the grace period has passed, when none is left.
    pub fn visitor_disconnected(&mut self, id: VisitorId, still_open: usize) -> Option<u64> {
        let epoch = self.next_epoch();
        let visitor = self.visitors.get_mut(&id)?;
        if still_open > 0 {
            return None;
        }
        visitor.epoch = epoch;
        Some(epoch)
    }

    /// Ends the visit if nothing happened since the disconnect of `epoch` and no
    /// connection is open (`open`, the router's count).
    pub fn expire_visitor(&mut self, id: VisitorId, epoch: u64, open: usize) -> bool {
        match self.visitors.get(&id) {
            Some(v) if open == 0 && v.epoch == epoch => {
                self.visitors.remove(&id);
                true
            }
            _ => false,
        }
    }

    /// The visitor chose another name. Returns whether the visitor is here (and
    /// so changed).
    pub fn visitor_renamed(&mut self, id: VisitorId, name: &str) -> bool {
        let Some(visitor) = self.visitors.get_mut(&id) else {
            return false;
        };
        visitor.name = name.to_owned();
        true
    }

    /// The visitor's display name while on the site.
    pub fn visitor_name(&self, id: VisitorId) -> Option<String> {
        self.visitors
            .get(&id)
            .map(|v| v.name.clone())
            .or_else(|| self.remote_visitors.get(&id).map(|v| v.name.clone()))
    }

    pub fn is_visitor_here(&self, id: VisitorId) -> bool {
        self.visitors.contains_key(&id) || self.remote_visitors.contains_key(&id)
    }

    /// The visitor as agents see them, whichever node they are on.
    pub fn visitor_info(&self, id: VisitorId) -> Option<VisitorInfo> {
        self.visitors
            .get(&id)
            .map(|v| v.info(id))
            .or_else(|| self.remote_visitors.get(&id).cloned())
    }

    /// What one console lists: the `page` newest visits that match `filter`
    /// (name, page address, title or department id containing it, ignoring case;
    /// everyone when empty) or whose page is on one of `origins` (those of the
    /// websites the filter names), and those of `watch` still on the site
    /// wherever their visit falls.
    pub fn visitor_list(
        &self,
        filter: &str,
        origins: &[String],
        watch: &[VisitorId],
        page: usize,
    ) -> VisitorList {
        let needle = filter.to_lowercase();
        let admits = |name: &str, at: &PageView| {
            needle.is_empty()
                || [name, &at.url, &at.title, &at.department]
                    .iter()
                    .any(|field| field.to_lowercase().contains(&needle))
                || (!origins.is_empty()
                    && app::api::origin_of(&at.url).is_some_and(|o| origins.contains(&o)))
        };
        let remote = self
            .remote_visitors
            .values()
            .filter(|v| !self.visitors.contains_key(&v.id));
        let mut on_site = self.visitors.len();
        // (visit began, id) of each visitor that matches: newest is greatest.
        let mut hits: Vec<(i64, VisitorId)> = self
            .visitors
            .iter()
            .filter(|(_, v)| admits(&v.name, &v.page))
            .map(|(id, v)| (v.visit_started_ms, *id))
            .collect();
        for v in remote {
            on_site += 1;
            if admits(&v.name, &v.page) {
                hits.push((v.visit_started_ms, v.id));
            }
        }
        let matching = hits.len();
        if hits.len() > page {
            hits.select_nth_unstable_by(page, |a, b| b.cmp(a));
            hits.truncate(page);
        }
        let mut ids: HashSet<VisitorId> = hits.iter().map(|(_, id)| *id).collect();
        for id in watch {
            if ids.insert(*id) {
                if let Some(v) = self.visitor_info(*id) {
                    hits.push((v.visit_started_ms, *id));
                }
            }
        }
        hits.sort_unstable();
        VisitorList {
            visitors: hits
                .into_iter()
                .filter_map(|(_, id)| self.visitor_info(id))
                .collect(),
            on_site: on_site as u32,
            matching: matching as u32,
        }
    }

    /// The visitors whose connections are on this node.
    pub fn local_visitors(&self) -> Vec<VisitorInfo> {
        self.visitors.iter().map(|(id, v)| v.info(*id)).collect()
    }

    /// The agents with a console open on this node (or within its grace period).
    pub fn local_agents(&self) -> Vec<AgentInfo> {
        self.agents.values().map(Agent::info).collect()
    }

    /// Takes what the other nodes see now; returns what changed for the cluster.
    pub fn set_remote(
        &mut self,
        visitors: HashMap<VisitorId, VisitorInfo>,
        agents: HashMap<AgentId, AgentInfo>,
    ) -> RemoteChange {
        let mut change = RemoteChange::default();
        for (id, old) in &self.remote_visitors {
            if !visitors.contains_key(id) && !self.visitors.contains_key(id) {
                change.left.push(*id);
            } else if let Some(new) = visitors.get(id) {
                if new != old && !self.visitors.contains_key(id) {
                    change.visitors.push(new.clone());
                }
            }
        }
        for (id, new) in &visitors {
            if !self.remote_visitors.contains_key(id) && !self.visitors.contains_key(id) {
                change.visitors.push(new.clone());
            }
        }
        let before: HashMap<AgentId, AgentStatus> = self
            .remote_agents
            .keys()
            .chain(agents.keys())
            .map(|id| (*id, self.agent_status(*id)))
            .collect();
        self.remote_visitors = visitors;
        let old_agents = std::mem::replace(&mut self.remote_agents, agents);
        for (id, status) in before {
            let now = self.agent_status(id);
            if now == status {
                continue;
            }
            let known = self
                .agents
                .get(&id)
                .map(Agent::info)
                .or_else(|| self.remote_agents.get(&id).cloned())
                .or_else(|| old_agents.get(&id).cloned());
            if let Some(mut info) = known {
                info.status = now;
                change.agents.push(info);
            }
        }
        change.left.sort();
        change
    }

    /// A console connected. Returns the agent as others now see it if that changed.
    pub fn agent_connected(
        &mut self,
        profile: AgentProfile,
        chosen: AgentStatus,
    ) -> Option<AgentInfo> {
        let epoch = self.next_epoch();
        let id = profile.id;
        let before = self.agent_status(id);
        let agent = self.agents.entry(id).or_insert_with(|| Agent {
            profile: profile.clone(),
            chosen,
            epoch,
        });
        agent.profile = profile;
        agent.chosen = chosen;
        agent.epoch = epoch;
        let info = agent.info();
        (before != info.status).then_some(info)
    }

    pub fn set_agent_status(&mut self, id: AgentId, status: AgentStatus) -> Option<AgentInfo> {
        let agent = self.agents.get_mut(&id)?;
        if agent.chosen == status {
            return None;
        }
        agent.chosen = status;
        Some(agent.info())
    }

    /// One console closed, leaving `still_open`; as for visitors.
    pub fn agent_disconnected(&mut self, id: AgentId, still_open: usize) -> Option<u64> {
        let epoch = self.next_epoch();
        let agent = self.agents.get_mut(&id)?;
        if still_open > 0 {
            return None;
        }
        agent.epoch = epoch;
        Some(epoch)
    }

    /// Marks the agent offline if nothing happened since the disconnect of `epoch`
    /// and no console is open. Returns the agent as others now see it.
    pub fn expire_agent(&mut self, id: AgentId, epoch: u64, open: usize) -> Option<AgentInfo> {
        match self.agents.get(&id) {
            Some(a) if open == 0 && a.epoch == epoch => {
                let mut info = self.agents.remove(&id)?.info();
                info.status = AgentStatus::Offline;
                Some(info)
            }
            _ => None,
        }
    }

    /// The effective status: what the agent chose while a console is open (or within
    /// the grace period), offline otherwise.
    pub fn agent_status(&self, id: AgentId) -> AgentStatus {
        match (self.agents.get(&id), self.remote_agents.get(&id)) {
            // Online anywhere is online; away somewhere beats offline.
            (Some(local), Some(remote)) => best(local.chosen, remote.status),
            (Some(local), None) => local.chosen,
            (None, Some(remote)) => remote.status,
            (None, None) => AgentStatus::Offline,
        }
    }

    /// The agents online now, here or on another node: those routing offers
    /// chats to. In id order.
    pub fn available_agents(&self) -> Vec<AgentId> {
        let mut online: Vec<AgentId> = self
            .agents
            .iter()
            .filter(|(_, a)| a.chosen == AgentStatus::Online)
            .map(|(id, _)| *id)
            .chain(
                self.remote_agents
                    .iter()
                    .filter(|(_, a)| a.status == AgentStatus::Online)
                    .map(|(id, _)| *id),
            )
            .collect();
        online.sort();
        online.dedup();
        online
    }

    /// Whether any agent is online, so visitors can chat rather than leave a message.
    pub fn agents_available(&self) -> bool {
        self.agents
            .values()
            .any(|a| a.chosen == AgentStatus::Online)
            || self
                .remote_agents
                .values()
                .any(|a| a.status == AgentStatus::Online)
    }
}

/// The status that says the agent is more reachable.
fn best(a: AgentStatus, b: AgentStatus) -> AgentStatus {
    let rank = |s: AgentStatus| match s {
        AgentStatus::Online => 2,
        AgentStatus::Away => 1,
        AgentStatus::Offline => 0,
    };
    if rank(a) >= rank(b) {
        a
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn page(url: &str, load: u8) -> PageView {
        PageView {
            url: url.into(),
            title: url.into(),
            referrer: String::new(),
            load_id: MessageId::from_random_bytes([load; 16]),
            department: String::new(),
        }
    }

    fn profile() -> AgentProfile {
        AgentProfile {
            id: AgentId(Uuid::new_v4()),
            username: "ann".into(),
            name: "Ann".into(),
            role: AgentRole::Agent,
        }
    }

    #[test]
    fn navigating_within_the_grace_period_keeps_the_visit() {
        let mut p = Presence::default();
        let id = VisitorId(Uuid::new_v4());
        p.visitor_connected(id, "V", page("/demo", 1), false, 1_000);
        let epoch = p.visitor_disconnected(id, 0).expect("last connection");
        let info = p.visitor_connected(id, "V", page("/demo/pricing", 2), false, 5_000);
        assert!(!p.expire_visitor(id, epoch, 1), "came back in time");
        assert_eq!(info.pages_viewed, 2);
        assert_eq!(info.visit_started_ms, 1_000);
        assert_eq!(info.page.url, "/demo/pricing");
        assert_eq!(info.landing.url, "/demo", "the visit's first page stays");
    }

    #[test]
    fn a_reconnect_of_the_same_page_load_is_not_a_new_page_view() {
        let mut p = Presence::default();
        let id = VisitorId(Uuid::new_v4());
        p.visitor_connected(id, "V", page("/demo", 1), false, 0);
        p.visitor_disconnected(id, 0);
        let info = p.visitor_connected(id, "V", page("/demo", 1), false, 0);
        assert_eq!(info.pages_viewed, 1);
    }

    #[test]
    fn the_visit_ends_after_the_grace_period() {
        let mut p = Presence::default();
        let id = VisitorId(Uuid::new_v4());
        p.visitor_connected(id, "V", page("/demo", 1), false, 0);
        p.visitor_connected(id, "V", page("/demo", 2), false, 0);
        assert_eq!(p.visitor_disconnected(id, 1), None, "another tab is open");
        let epoch = p.visitor_disconnected(id, 0).unwrap();
        assert!(!p.expire_visitor(id, epoch, 1), "a tab opened meanwhile");
        assert!(p.expire_visitor(id, epoch, 0));
        assert!(!p.is_visitor_here(id));
        assert_eq!(p.visitor_list("", &[], &[], 10).on_site, 0);
    }

    #[test]
    fn agents_are_available_only_while_online_with_a_console() {
        let mut p = Presence::default();
        let ann = profile();
        assert!(!p.agents_available());
        let info = p.agent_connected(ann.clone(), AgentStatus::Online).unwrap();
        assert_eq!(info.status, AgentStatus::Online);
        assert!(p.agents_available());
        assert_eq!(
            p.agent_connected(ann.clone(), AgentStatus::Online),
            None,
            "no change"
        );
        let away = p.set_agent_status(ann.id, AgentStatus::Away).unwrap();
        assert_eq!(away.status, AgentStatus::Away);
        assert!(!p.agents_available());
        p.set_agent_status(ann.id, AgentStatus::Online);
        assert_eq!(
            p.agent_disconnected(ann.id, 1),
            None,
            "second console still open"
        );
        let epoch = p.agent_disconnected(ann.id, 0).unwrap();
        assert!(p.agents_available(), "still within the grace period");
        let gone = p.expire_agent(ann.id, epoch, 0).unwrap();
        assert_eq!(gone.status, AgentStatus::Offline);
        assert_eq!(p.agent_status(ann.id), AgentStatus::Offline);
        assert!(!p.agents_available());
    }

    #[test]
    fn a_stale_expiry_does_nothing() {
        let mut p = Presence::default();
        let ann = profile();
        p.agent_connected(ann.clone(), AgentStatus::Online);
        let first = p.agent_disconnected(ann.id, 0).unwrap();
        p.agent_connected(ann.clone(), AgentStatus::Online);
        let second = p.agent_disconnected(ann.id, 0).unwrap();
        assert_eq!(p.expire_agent(ann.id, first, 0), None);
        assert!(p.expire_agent(ann.id, second, 0).is_some());
    }

    #[test]
    fn the_other_nodes_presence_joins_this_ones() {
        let mut p = Presence::default();
        let here = VisitorId(Uuid::from_u128(1));
        let there = VisitorId(Uuid::from_u128(2));
        let info_there = p.visitor_connected(there, "Visitor 0002", page("/b", 1), false, 5);
        p.visitor_connected(here, "Visitor 0001", page("/a", 1), false, 1);
        // `there` is only on another node: forget it here and hear of it from there.
        p.visitors.remove(&there);
        let ann = profile();
        let remote_ann = AgentInfo {
            id: ann.id,
            username: ann.username.clone(),
            name: ann.name.clone(),
            role: ann.role,
            status: AgentStatus::Online,
        };
        assert!(!p.agents_available());
        let change = p.set_remote(
            HashMap::from([(there, info_there.clone())]),
            HashMap::from([(ann.id, remote_ann.clone())]),
        );
        assert_eq!(change.visitors, std::slice::from_ref(&info_there));
        assert_eq!(change.agents.len(), 1);
        assert_eq!(change.agents[0].status, AgentStatus::Online);
        assert!(p.is_visitor_here(there) && p.is_visitor_here(here));
        assert_eq!(p.visitor_list("", &[], &[], 10).visitors.len(), 2);
        assert_eq!(p.visitor_name(there).as_deref(), Some("Visitor 0002"));
        assert!(p.agents_available(), "an agent online on another node");
        assert_eq!(p.local_visitors().len(), 1, "only this node's are written");

        // Away here, online there: online.
        p.agent_connected(ann.clone(), AgentStatus::Away);
        assert_eq!(p.agent_status(ann.id), AgentStatus::Online);

        // The other node is gone: its visitor left, Ann is only away (here).
        let change = p.set_remote(HashMap::new(), HashMap::new());
        assert_eq!(change.left, [there]);
        assert_eq!(change.agents.len(), 1);
        assert_eq!(change.agents[0].status, AgentStatus::Away);
        assert!(!p.is_visitor_here(there));
        assert!(!p.agents_available());
    }
}
