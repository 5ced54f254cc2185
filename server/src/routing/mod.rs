//! The message routing component: which open connections hear what.
//!
//! [`Router`] keeps one registry of the connections open on this node, behind one
//! lock that is never held across an `.await`. Each connection has a bounded outbox;
//! delivering to a full outbox does not wait: the connection is cut (its client
//! resumes later from the store), so a slow reader never slows anyone else.
//!
//! The router only delivers. Who belongs to a conversation is decided by the store;
//! the chat service hands the router an [`Envelope`] naming the audience.
//!
//! Resume without gaps, duplicates or reordering: entries of a conversation's
//! sequence reach a connection only after that connection has synced the
//! conversation ([`Router::mark_synced`], done while the conversation's writes are
//! held back), and only those past what it has already been sent. So a client gets
//! exactly the history it asked for and then the live entries after it.

use app::ids::{ConversationId, Participant};
use app::protocol::Visibility;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Frames a connection may have waiting before it counts as too slow.
pub const OUTBOX_CAPACITY: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(u64);

/// Who an envelope is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Every connection of these participants (a conversation's members).
    Participants(Vec<Participant>),
    /// Every agent console.
    Agents,
    /// Every visitor widget.
    Visitors,
    /// One connection (answers to its own requests).
    Connection(ConnId),
}

/// One serialised server message and who should get it.
#[derive(Clone, Debug)]
pub struct Envelope {
    pub audience: Audience,
    pub payload: Bytes,
    /// Set when the payload is an entry of a conversation's sequence.
    pub entry: Option<Entry>,
}

/// Which entry of which conversation an envelope carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub conversation: ConversationId,
    pub seq: u64,
    /// Connections of participants it does not admit never get it.
    pub visibility: Visibility,
}

/// The receiving half that a transport adapter drains into its socket.
pub struct Outbox {
    pub id: ConnId,
    pub frames: mpsc::Receiver<Bytes>,
    /// Cancelled when the router cuts the connection (outbox full) or it is closed.
    pub cut: CancellationToken,
}

struct Conn {
    participant: Participant,
    tx: mpsc::Sender<Bytes>,
    cut: CancellationToken,
    /// Per synced conversation, the highest sequence number sent to this connection.
    sent: HashMap<ConversationId, u64>,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    conns: HashMap<ConnId, Conn>,
    by_participant: HashMap<Participant, Vec<ConnId>>,
}

impl Registry {
    fn remove(&mut self, id: ConnId) -> Option<Conn> {
        let conn = self.conns.remove(&id)?;
        if let Some(ids) = self.by_participant.get_mut(&conn.participant) {
            ids.retain(|c| *c != id);
            if ids.is_empty() {
                self.by_participant.remove(&conn.participant);
            }
        }
        conn.cut.cancel();
        Some(conn)
    }

    #[cfg(test)]
    fn check_invariants(&self) {
        let indexed: usize = self.by_participant.values().map(Vec::len).sum();
        assert_eq!(indexed, self.conns.len(), "every connection indexed once");
        for (participant, ids) in &self.by_participant {
            assert!(!ids.is_empty(), "no empty index entries");
            for id in ids {
                assert_eq!(self.conns[id].participant, *participant);
            }
        }
    }
}

#[derive(Default)]
pub struct Router {
    registry: Mutex<Registry>,
}

impl Router {
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens a connection for `participant` and returns its outbox.
    pub fn register(&self, participant: Participant) -> Outbox {
        let (tx, frames) = mpsc::channel(OUTBOX_CAPACITY);
        let cut = CancellationToken::new();
        let mut registry = self.lock();
        registry.next_id += 1;
        let id = ConnId(registry.next_id);
        registry.conns.insert(
            id,
            Conn {
                participant,
                tx,
                cut: cut.clone(),
                sent: HashMap::new(),
            },
        );
        registry
            .by_participant
            .entry(participant)
            .or_default()
            .push(id);
        Outbox { id, frames, cut }
    }

    /// Closes a connection. Returns how many connections its participant still has.
    pub fn unregister(&self, id: ConnId) -> usize {
        let mut registry = self.lock();
        match registry.remove(id) {
            Some(conn) => registry
                .by_participant
                .get(&conn.participant)
                .map_or(0, Vec::len),
            None => 0,
        }
    }

    /// Closes every connection of `participant` (its account was removed, or its
    /// sessions ended); they unregister as their transports notice.
    pub fn cut_participant(&self, participant: Participant) {
        let registry = self.lock();
        for id in registry
            .by_participant
            .get(&participant)
            .into_iter()
            .flatten()
        {
            if let Some(conn) = registry.conns.get(id) {
                conn.cut.cancel();
            }
        }
    }

    pub fn connection_count(&self, participant: Participant) -> usize {
        self.lock()
            .by_participant
            .get(&participant)
            .map_or(0, Vec::len)
    }

    /// Records that `conn` has been sent every entry of `conversation` up to `seq`
    /// (its sync answer): later entries flow to it live.
    pub fn mark_synced(&self, conn: ConnId, conversation: ConversationId, seq: u64) {
        if let Some(c) = self.lock().conns.get_mut(&conn) {
            let sent = c.sent.entry(conversation).or_insert(0);
            *sent = (*sent).max(seq);
        }
    }

    /// Delivers to every local connection in the audience. Connections whose outbox
    /// is full are cut, never waited for.
    pub fn deliver(&self, envelope: &Envelope) {
        let mut registry = self.lock();
        let Registry {
            conns,
            by_participant,
            ..
        } = &mut *registry;
        let mut slow = Vec::new();
        let mut push = |id: ConnId, conn: &mut Conn| {
            if let Some(entry) = envelope.entry {
                if !entry.visibility.admits(conn.participant) {
                    return;
                }
                match conn.sent.get_mut(&entry.conversation) {
                    // Not synced yet: the sync answer will carry this entry.
                    None => return,
                    // Already sent, in a sync answer.
                    Some(sent) if entry.seq <= *sent => return,
                    Some(sent) => *sent = entry.seq,
                }
            }
            if conn.tx.try_send(envelope.payload.clone()).is_err() {
                slow.push(id);
            }
        };
        match &envelope.audience {
            Audience::Participants(participants) => {
                for participant in participants {
                    for id in by_participant.get(participant).into_iter().flatten() {
                        if let Some(conn) = conns.get_mut(id) {
                            push(*id, conn);
                        }
                    }
                }
            }
            Audience::Agents => {
                for (id, conn) in conns.iter_mut() {
                    if conn.participant.is_agent() {
                        push(*id, conn);
                    }
                }
            }
            Audience::Visitors => {
                for (id, conn) in conns.iter_mut() {
                    if !conn.participant.is_agent() {
                        push(*id, conn);
                    }
                }
            }
            Audience::Connection(id) => {
                if let Some(conn) = conns.get_mut(id) {
                    push(*id, conn);
                }
            }
        }
        for id in slow {
            tracing::info!(conn = id.0, "outbox full; cutting the slow connection");
            registry.remove(id);
        }
        #[cfg(test)]
        registry.check_invariants();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        // A panic while holding the lock leaves plain maps behind, still usable.
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::ids::{AgentId, VisitorId};
    use uuid::Uuid;

    fn visitor(id: VisitorId) -> Participant {
        Participant::Visitor(id)
    }

    fn agent(id: AgentId) -> Participant {
        Participant::Agent(id)
    }

    fn frame(text: &'static str, audience: Audience) -> Envelope {
        Envelope {
            audience,
            payload: Bytes::from_static(text.as_bytes()),
            entry: None,
        }
    }

    #[test]
    fn delivers_to_every_connection_of_each_participant_once() {
        let router = Router::new();
        let ann = visitor(VisitorId(Uuid::new_v4()));
        let bob = agent(AgentId(Uuid::new_v4()));
        let mut ann1 = router.register(ann);
        let mut ann2 = router.register(ann);
        let mut bob1 = router.register(bob);
        router.deliver(&frame("hi", Audience::Participants(vec![ann])));
        assert_eq!(ann1.frames.try_recv().unwrap(), "hi");
        assert_eq!(ann2.frames.try_recv().unwrap(), "hi");
        assert!(ann1.frames.try_recv().is_err());
        assert!(bob1.frames.try_recv().is_err());
        router.deliver(&frame("agents", Audience::Agents));
        assert_eq!(bob1.frames.try_recv().unwrap(), "agents");
        assert!(ann1.frames.try_recv().is_err());
    }

    #[test]
    fn entries_flow_only_after_a_sync_and_never_twice() {
        let router = Router::new();
        let ann = visitor(VisitorId(Uuid::new_v4()));
        let mut conn = router.register(ann);
        let conversation = ConversationId(Uuid::new_v4());
        let entry = |seq: u64| Envelope {
            audience: Audience::Participants(vec![ann]),
            payload: Bytes::from(seq.to_string()),
            entry: Some(Entry {
                conversation,
                seq,
                visibility: Visibility::Everyone,
            }),
        };
        router.deliver(&entry(1));
        assert!(conn.frames.try_recv().is_err(), "not synced yet");
        router.mark_synced(conn.id, conversation, 2);
        router.deliver(&entry(2));
        router.deliver(&entry(3));
        router.deliver(&entry(3));
        assert_eq!(conn.frames.try_recv().unwrap(), "3");
        assert!(
            conn.frames.try_recv().is_err(),
            "2 was in the sync answer; 3 only once"
        );
    }

    #[test]
    fn unregister_counts_what_is_left() {
        let router = Router::new();
        let ann = visitor(VisitorId(Uuid::new_v4()));
        let a = router.register(ann);
        let b = router.register(ann);
        assert_eq!(router.unregister(a.id), 1);
        assert!(a.cut.is_cancelled());
        assert_eq!(router.unregister(b.id), 0);
        assert_eq!(router.connection_count(ann), 0);
        router.lock().check_invariants();
    }

    #[test]
    fn a_full_outbox_cuts_only_that_connection() {
        let router = Router::new();
        let slow = visitor(VisitorId(Uuid::new_v4()));
        let fast = visitor(VisitorId(Uuid::new_v4()));
        let slow_box = router.register(slow);
        let mut fast_box = router.register(fast);
        let everyone = Audience::Participants(vec![slow, fast]);
        for _ in 0..=OUTBOX_CAPACITY {
            router.deliver(&frame("x", everyone.clone()));
            while fast_box.frames.try_recv().is_ok() {}
        }
        assert!(slow_box.cut.is_cancelled(), "the slow reader is cut");
        assert!(!fast_box.cut.is_cancelled());
        assert_eq!(router.connection_count(slow), 0);
        router.deliver(&frame("after", everyone));
        assert_eq!(fast_box.frames.try_recv().unwrap(), "after");
    }
}
