//! Presence across the nodes of a cluster. Each node's presence stays the state
//! machine of [`super::presence`] for its own connections (grace periods
//! included); every second the node writes what changed in it to the database
//! under its lease ([`ClusterPresenceStore`]) and reads what the other nodes see,
//! so that its queries (who is on the site, who may be invited, whether any agent
//! is available) answer for the whole cluster.
//!
//! What a node learns this way it tells only its own connections: every node
//! computes the same from the same rows. A visitor whose node was killed is gone
//! once that node's lease and the grace period after it have run out; each node
//! then tells its consoles, and expires the visitor's pending invitations, which
//! the store lets happen exactly once however many nodes try.

use super::events::Event;
use super::{ChatError, ChatService};
use crate::store::ClusterPresenceStore;
use app::ids::{AgentId, Participant, VisitorId};
use app::protocol::{AgentInfo, AgentStatus, VisitorInfo};
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How often a node renews its lease and reads the others' presence.
pub const PRESENCE_TICK: Duration = Duration::from_secs(1);
/// How long a node's rows count after its last renewal (then its grace period).
pub const LEASE: Duration = Duration::from_secs(5);

/// This node's part in the cluster's presence.
pub struct ClusterBoard {
    pub store: Arc<dyn ClusterPresenceStore>,
    /// What this node registered as (kept to register again after a pause).
    pub name: String,
    node: std::sync::Mutex<i64>,
    /// What this node last wrote, by participant key.
    written: tokio::sync::Mutex<HashMap<String, serde_json::Value>>,
    /// Whether the last renewal of the lease succeeded (readiness).
    leased: std::sync::atomic::AtomicBool,
    /// Whether this node has read the others' presence since it joined.
    heard_others: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for ClusterBoard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterBoard")
            .field("name", &self.name)
            .finish()
    }
}

impl ClusterBoard {
    /// Registers this node in the cluster.
    pub async fn join(
        store: Arc<dyn ClusterPresenceStore>,
        name: &str,
    ) -> Result<Arc<ClusterBoard>, crate::store::StoreError> {
        let node = store.join_cluster(name, LEASE.as_millis() as i64).await?;
        tracing::info!(node, name, "joined the cluster");
        Ok(Arc::new(ClusterBoard {
            store,
            name: name.to_owned(),
            node: std::sync::Mutex::new(node),
            written: tokio::sync::Mutex::new(HashMap::new()),
            leased: std::sync::atomic::AtomicBool::new(true),
            heard_others: std::sync::atomic::AtomicBool::new(false),
        }))
    }

    fn node(&self) -> i64 {
        *self.node.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether this node holds its lease (its last renewal succeeded).
    pub fn leased(&self) -> bool {
        self.leased.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether this node holds its lease and knows who is on the other nodes
    /// (routing waits for it: otherwise their agents would look offline).
    pub fn knows_the_cluster(&self) -> bool {
        self.leased() && self.heard_others.load(std::sync::atomic::Ordering::Relaxed)
    }
}

fn visitor_key(id: VisitorId) -> String {
    format!("v:{id}")
}

fn agent_key(id: AgentId) -> String {
    format!("a:{id}")
}

impl ChatService {
    /// Writes what changed in this node's presence, reads the other nodes', and
    /// tells this node's connections what that changed.
    pub async fn sync_cluster_presence(&self) -> Result<(), ChatError> {
        let Some(board) = &self.cluster else {
            return Ok(());
        };
        let grace = self.config.presence_grace.as_millis() as i64;
        let lease = LEASE.as_millis() as i64;
        let snapshot: HashMap<String, serde_json::Value> = {
            let presence = self.presence();
            let visitors = presence.local_visitors().into_iter().map(|v| {
                (
                    visitor_key(v.id),
                    serde_json::to_value(v).unwrap_or_default(),
                )
            });
            let agents = presence
                .local_agents()
                .into_iter()
                .map(|a| (agent_key(a.id), serde_json::to_value(a).unwrap_or_default()));
            visitors.chain(agents).collect()
        };
        let mut written = board.written.lock().await;
        let put: Vec<(String, serde_json::Value)> = snapshot
            .iter()
            .filter(|(key, info)| written.get(*key) != Some(info))
            .map(|(key, info)| (key.clone(), info.clone()))
            .collect();
        let removed: Vec<String> = written
            .keys()
            .filter(|key| !snapshot.contains_key(*key))
            .cloned()
            .collect();
        let node = board.node();
        let renewed = board
            .store
            .renew_presence(node, lease, grace, &put, &removed)
            .await;
        board.leased.store(
            matches!(renewed, Ok(true)),
            std::sync::atomic::Ordering::Relaxed,
        );
        if renewed? {
            *written = snapshot;
        } else {
            // Paused past the lease and reaped: the other nodes have already let
            // this node's people go. Its connections are closed (their clients
            // reconnect and are present again), and it registers anew.
            tracing::warn!(
                node,
                "this node's lease was lost; joining the cluster again"
            );
            self.router.cut_all();
            let node = board.store.join_cluster(&board.name, lease).await?;
            *board.node.lock().unwrap_or_else(|e| e.into_inner()) = node;
            written.clear();
            return Ok(());
        }
        drop(written);

        // Read before the others' presence: an invitation is made only to someone
        // present, so the presence read after it shows them, however stale this
        // node's previous view was.
        let invitees = self.store.pending_invitees().await?;
        let mut visitors: HashMap<VisitorId, VisitorInfo> = HashMap::new();
        let mut agents: HashMap<AgentId, AgentInfo> = HashMap::new();
        for (key, info) in board.store.others_presence(board.node(), grace).await? {
            if key.starts_with("v:") {
                if let Ok(info) = serde_json::from_value::<VisitorInfo>(info) {
                    visitors.insert(info.id, info);
                }
            } else if let Ok(info) = serde_json::from_value::<AgentInfo>(info) {
                // An agent with consoles on several nodes: the most reachable.
                match agents.get(&info.id) {
                    Some(seen) if seen.status == AgentStatus::Online => {}
                    _ => {
                        agents.insert(info.id, info);
                    }
                }
            }
        }
        let (change, absent) = {
            let mut presence = self.presence();
            let change = presence.set_remote(visitors, agents);
            // Level-triggered: whoever has a pending invitation and is nowhere in
            // the cluster, however they came to be gone (a node killed before
            // anyone saw them leave included).
            let absent: Vec<Participant> = invitees
                .into_iter()
                .filter(|invitee| match invitee {
                    Participant::Visitor(id) => !presence.is_visitor_here(*id),
                    Participant::Agent(id) => presence.agent_status(*id) == AgentStatus::Offline,
                })
                .collect();
            (change, absent)
        };
        board
            .heard_others
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let mut gone: Vec<Participant> = change
            .left
            .iter()
            .map(|id| Participant::Visitor(*id))
            .collect();
        if !change.left.is_empty() || !change.visitors.is_empty() {
            self.visitor_lists.mark_stale();
        }
        if !change.agents.is_empty() {
            self.reroute();
        }
        for info in change.agents {
            if info.status == AgentStatus::Offline {
                gone.push(Participant::Agent(info.id));
            }
            self.announce_here(Event::Agent(info));
        }
        self.refresh_availability();
        gone.extend(absent);
        gone.sort();
        gone.dedup();
        for participant in gone {
            self.expire_invitations_of(participant).await;
        }
        Ok(())
    }

    /// Tells this node's connections only (what every node works out for itself).
    pub(super) fn announce_here(&self, event: Event) {
        self.router.deliver(&super::announce::envelope(event, &[]));
    }
}

/// Keeps this node's presence in the cluster's as long as the service lives.
pub(super) async fn keep_presence(service: Weak<ChatService>) {
    loop {
        tokio::time::sleep(PRESENCE_TICK).await;
        let Some(service) = service.upgrade() else {
            return;
        };
        if let Err(err) = service.sync_cluster_presence().await {
            tracing::warn!(%err, "cluster presence not synced; trying again");
        }
    }
}
