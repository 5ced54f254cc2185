//! The message routing component: which open connections hear what, in order.
//!
//! [`Router`] keeps one registry of the connections open on this node, behind one
//! lock that is never held across an `.await`. Each connection has a bounded outbox;
//! delivering to a full outbox does not wait: the connection is cut (its client
//! resumes later from the store), so a slow reader never slows anyone else.
//!
//! The router only delivers. Who belongs to a conversation is decided by the store;
//! the chat service hands the router an [`Envelope`] naming the audience.
//!
//! Order is kept here, per connection and conversation, whatever order envelopes
//! arrive in (several publishers, a broker between nodes). Each connection keeps a
//! [`Stream`] per conversation:
//!
//! - until the connection has synced the conversation, entries are held (the sync
//!   answer ends at some seq; held entries after it follow it, in order);
//! - an entry past the next expected one is held until the gap fills, and a gap
//!   that stays open for the repair delay is filled from the store
//!   ([`Router::holes`], [`Router::repair`]) with the viewer's own visibility;
//! - an entry already sent is dropped, so an entry sent twice arrives once;
//! - an entry the connection's participant may not see (its visibility) is passed
//!   over without being sent, and counts as delivered.
//!
//! Held entries are bounded; a connection over the bound is cut and resumes.

use app::ids::{ConversationId, Participant};
use app::protocol::Visibility;
use bytes::Bytes;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

pub mod outbox;

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
    /// Set for an order to the routers rather than a frame (`payload` is empty).
    pub control: Option<Control>,
}

/// What a control envelope asks every router that holds a connection of its
/// audience to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Close the connections (an agent removed, or its sessions ended); their
    /// clients find out when they reconnect.
    Cut,
}

impl Envelope {
    /// A frame for the audience.
    pub fn frame(audience: Audience, payload: Bytes) -> Self {
        Self {
            audience,
            payload,
            entry: None,
            control: None,
        }
    }

    /// Cuts every connection of `participant`, on every node.
    pub fn cut(participant: Participant) -> Self {
        Self {
            audience: Audience::Participants(vec![participant]),
            payload: Bytes::new(),
            entry: None,
            control: Some(Control::Cut),
        }
    }
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
    pub frames: outbox::Receiver,
    /// Cancelled when the router cuts the connection (outbox full) or it is closed.
    pub cut: CancellationToken,
}

/// Entries one connection may hold back, per conversation, before it is cut:
/// fewer than its outbox takes, so that the entry filling a gap lets them all out.
pub const HELD_LIMIT: usize = OUTBOX_CAPACITY * 3 / 4;

struct Conn {
    participant: Participant,
    tx: outbox::Sender,
    cut: CancellationToken,
    streams: HashMap<ConversationId, Stream>,
    /// Until its `welcome` is out, what is broadcast to it waits here, so that the
    /// `welcome` is always its first frame.
    early: Option<Vec<Bytes>>,
}

/// One conversation's entries on their way to one connection.
#[derive(Default)]
struct Stream {
    /// The highest seq up to which everything visible has been sent; `None` until
    /// the connection has synced the conversation.
    sent: Option<u64>,
    /// Entries that arrived early, by seq: `None` for one the connection may not
    /// see, which only moves `sent` on.
    held: BTreeMap<u64, Option<Bytes>>,
    /// Since when the stream has waited for a missing entry.
    waiting_since: Option<Instant>,
}

impl Stream {
    /// Sends whatever is now next in line. Returns false when the outbox is full.
    /// Sets `gap` when the stream starts waiting for a missing entry.
    fn flush(&mut self, tx: &outbox::Sender, gap: &mut bool) -> bool {
        let Some(mut sent) = self.sent else {
            return true;
        };
        // Drop what the sync answer or a repair already carried.
        while let Some(entry) = self.held.first_entry() {
            if *entry.key() > sent {
                break;
            }
            entry.remove();
        }
        while let Some(entry) = self.held.first_entry() {
            if *entry.key() != sent + 1 {
                break;
            }
            sent += 1;
            if let Some(bytes) = entry.remove() {
                if tx.try_send(bytes).is_err() {
                    self.sent = Some(sent);
                    return false;
                }
            }
        }
        self.sent = Some(sent);
        if self.held.is_empty() {
            self.waiting_since = None;
        } else if self.waiting_since.is_none() {
            self.waiting_since = Some(Instant::now());
            *gap = true;
        }
        true
    }
}

/// How a stream was before a sync began: `None` when there was no stream.
#[must_use = "a failed sync must be undone with Router::abort_sync"]
pub struct SyncStart {
    before: Option<Option<u64>>,
}

/// A connection waiting for entries of a conversation that have not arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hole {
    pub conn: ConnId,
    pub participant: Participant,
    pub conversation: ConversationId,
    /// Everything up to here has been sent; what follows is missing.
    pub after_seq: u64,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    conns: HashMap<ConnId, Conn>,
    by_participant: HashMap<Participant, Vec<ConnId>>,
}

impl Registry {
    /// Cuts a connection that cannot keep up: it is gone from the registry, and its
    /// transport closes; the client resumes from the store.
    fn cut(&mut self, id: ConnId) {
        self.remove(id);
    }

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
    /// Woken when a stream starts waiting for a missing entry.
    gap: tokio::sync::Notify,
}

impl Router {
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens a connection for `participant` and returns its outbox. Only answers to
    /// it go out until [`Router::welcomed`]; broadcasts wait.
    pub fn register(&self, participant: Participant) -> Outbox {
        let (tx, frames) = outbox::channel(OUTBOX_CAPACITY);
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
                streams: HashMap::new(),
                early: Some(Vec::new()),
            },
        );
        registry
            .by_participant
            .entry(participant)
            .or_default()
            .push(id);
        Outbox { id, frames, cut }
    }

    /// The connection's `welcome` (and what must follow it at once) is in its
    /// outbox: what was broadcast to it meanwhile follows now.
    pub fn welcomed(&self, id: ConnId) {
        let mut registry = self.lock();
        let Some(conn) = registry.conns.get_mut(&id) else {
            return;
        };
        let early = conn.early.take().unwrap_or_default();
        if early
            .into_iter()
            .any(|bytes| conn.tx.try_send(bytes).is_err())
        {
            registry.cut(id);
        }
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

    /// Closes every connection of this node; their clients reconnect and resume.
    pub fn cut_all(&self) {
        let mut registry = self.lock();
        let ids: Vec<ConnId> = registry.conns.keys().copied().collect();
        for id in ids {
            registry.cut(id);
        }
    }

    /// Every connection open on this node.
    pub fn open_connections(&self) -> usize {
        self.lock().conns.len()
    }

    /// Open connections of visitors and of agents.
    pub fn connections_by_kind(&self) -> (usize, usize) {
        let registry = self.lock();
        let agents = registry
            .conns
            .values()
            .filter(|c| c.participant.is_agent())
            .count();
        (registry.conns.len() - agents, agents)
    }

    pub fn connection_count(&self, participant: Participant) -> usize {
        self.lock()
            .by_participant
            .get(&participant)
            .map_or(0, Vec::len)
    }

    /// `conn` is about to read `conversation`'s history for a sync: from now on its
    /// entries are held until [`Router::mark_synced`] says where the answer ended.
    /// Returns what to restore with [`Router::abort_sync`] if the sync fails.
    pub fn begin_sync(&self, conn: ConnId, conversation: ConversationId) -> SyncStart {
        let mut registry = self.lock();
        let Some(c) = registry.conns.get_mut(&conn) else {
            return SyncStart { before: None };
        };
        let before = c.streams.get(&conversation).map(|s| s.sent);
        let stream = c.streams.entry(conversation).or_default();
        stream.sent = None;
        stream.waiting_since = None;
        SyncStart { before }
    }

    /// A sync that [`Router::begin_sync`] started failed (storage, or no such
    /// conversation for this connection): the stream goes back to what it was, so
    /// live entries flow again (or it goes, if it was made for this sync).
    pub fn abort_sync(&self, conn: ConnId, conversation: ConversationId, start: SyncStart) {
        let mut registry = self.lock();
        let Some(c) = registry.conns.get_mut(&conn) else {
            return;
        };
        let Some(stream) = c.streams.get_mut(&conversation) else {
            return;
        };
        if stream.sent.is_some() {
            return; // synced meanwhile by another answer
        }
        match start.before {
            None => {
                c.streams.remove(&conversation);
            }
            Some(sent) => {
                stream.sent = sent;
                let mut gap = false;
                if !stream.flush(&c.tx, &mut gap) {
                    registry.cut(conn);
                }
                drop(registry);
                if gap {
                    self.gap.notify_one();
                }
            }
        }
    }

    /// Forgets a connection's stream of a conversation it may no longer read.
    pub fn forget(&self, conn: ConnId, conversation: ConversationId) {
        if let Some(c) = self.lock().conns.get_mut(&conn) {
            c.streams.remove(&conversation);
        }
    }

    /// Records that `conn` has been sent every entry of `conversation` up to `seq`
    /// (its sync answer, already in its outbox): the entries held after it follow.
    pub fn mark_synced(&self, conn: ConnId, conversation: ConversationId, seq: u64) {
        let mut registry = self.lock();
        let Some(c) = registry.conns.get_mut(&conn) else {
            return;
        };
        let stream = c.streams.entry(conversation).or_default();
        stream.sent = Some(stream.sent.map_or(seq, |sent| sent.max(seq)));
        let mut gap = false;
        if !stream.flush(&c.tx, &mut gap) {
            registry.cut(conn);
        }
        drop(registry);
        if gap {
            self.gap.notify_one();
        }
    }

    /// Waits until some stream starts waiting for a missing entry.
    pub async fn gap_opened(&self) {
        self.gap.notified().await;
    }

    /// The connections that have waited longer than `patience` for a missing entry.
    pub fn holes(&self, patience: Duration) -> Vec<Hole> {
        let now = Instant::now();
        let registry = self.lock();
        let mut holes = Vec::new();
        for (id, conn) in &registry.conns {
            for (conversation, stream) in &conn.streams {
                let (Some(sent), Some(since)) = (stream.sent, stream.waiting_since) else {
                    continue;
                };
                if now.duration_since(since) >= patience {
                    holes.push(Hole {
                        conn: *id,
                        participant: conn.participant,
                        conversation: *conversation,
                        after_seq: sent,
                    });
                }
            }
        }
        holes
    }

    /// Every stream that is synced and waits for nothing, as a hole after what it
    /// has sent: the head check compares these with the store, to find streams
    /// whose last entries were lost on the way (no later entry shows that gap).
    pub fn tails(&self) -> Vec<Hole> {
        let registry = self.lock();
        let mut tails = Vec::new();
        for (id, conn) in &registry.conns {
            for (conversation, stream) in &conn.streams {
                if let (Some(sent), None) = (stream.sent, stream.waiting_since) {
                    tails.push(Hole {
                        conn: *id,
                        participant: conn.participant,
                        conversation: *conversation,
                        after_seq: sent,
                    });
                }
            }
        }
        tails
    }

    /// Fills a hole from the store: `entries` are what the viewer may see after the
    /// hole's `after_seq`, in order, and everything up to `through` is now known
    /// (entries the viewer may not see leave no trace in `entries`).
    pub fn repair(
        &self,
        hole: &Hole,
        entries: impl IntoIterator<Item = (u64, Bytes)>,
        through: u64,
    ) {
        let mut registry = self.lock();
        let Some(c) = registry.conns.get_mut(&hole.conn) else {
            return;
        };
        let Some(stream) = c.streams.get_mut(&hole.conversation) else {
            return;
        };
        // Only if nothing moved meanwhile (a sync, or the gap filled by itself).
        if stream.sent != Some(hole.after_seq) {
            return;
        }
        let mut full = false;
        for (seq, bytes) in entries {
            if seq <= hole.after_seq || seq > through {
                continue;
            }
            if c.tx.try_send(bytes).is_err() {
                full = true;
                break;
            }
        }
        stream.sent = Some(through.max(hole.after_seq));
        stream.waiting_since = None;
        let mut gap = false;
        if full || !stream.flush(&c.tx, &mut gap) {
            tracing::info!(conn = hole.conn.0, "outbox full while repairing; cutting");
            registry.cut(hole.conn);
        }
        drop(registry);
        if gap {
            self.gap.notify_one();
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
        let mut gap = false;
        let to_one = matches!(envelope.audience, Audience::Connection(_));
        let mut delivered = 0u64;
        let mut push = |id: ConnId, conn: &mut Conn| {
            if envelope.control == Some(Control::Cut) {
                slow.push(id);
                return;
            }
            let Some(entry) = envelope.entry else {
                match &mut conn.early {
                    Some(early) if !to_one => {
                        if early.len() >= OUTBOX_CAPACITY {
                            slow.push(id);
                        } else {
                            early.push(envelope.payload.clone());
                        }
                    }
                    _ => {
                        if conn.tx.try_send(envelope.payload.clone()).is_err() {
                            slow.push(id);
                        } else {
                            delivered += 1;
                        }
                    }
                }
                return;
            };
            let visible = entry.visibility.admits(conn.participant);
            let stream = conn.streams.entry(entry.conversation).or_default();
            if stream.sent.is_some_and(|sent| entry.seq <= sent) {
                return; // sent already (live, in a sync answer or a repair)
            }
            let next = stream.sent.map(|sent| sent + 1) == Some(entry.seq);
            if !next && stream.held.len() >= HELD_LIMIT && !stream.held.contains_key(&entry.seq) {
                tracing::info!(conn = id.0, "too many entries held; cutting");
                slow.push(id);
                return;
            }
            delivered += u64::from(visible);
            stream
                .held
                .insert(entry.seq, visible.then(|| envelope.payload.clone()));
            if !stream.flush(&conn.tx, &mut gap) {
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
        crate::metrics::Metrics::count(&crate::metrics::METRICS.deliveries, delivered);
        for id in slow {
            if envelope.control.is_none() {
                tracing::info!(conn = id.0, "outbox full; cutting the slow connection");
            }
            registry.cut(id);
        }
        #[cfg(test)]
        registry.check_invariants();
        drop(registry);
        if gap {
            self.gap.notify_one();
        }
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
        Envelope::frame(audience, Bytes::from_static(text.as_bytes()))
    }

    /// Registers a connection whose `welcome` went out.
    fn open(router: &Router, who: Participant) -> Outbox {
        let outbox = router.register(who);
        router.welcomed(outbox.id);
        outbox
    }

    #[test]
    fn delivers_to_every_connection_of_each_participant_once() {
        let router = Router::new();
        let ann = visitor(VisitorId(Uuid::new_v4()));
        let bob = agent(AgentId(Uuid::new_v4()));
        let mut ann1 = open(&router, ann);
        let mut ann2 = open(&router, ann);
        let mut bob1 = open(&router, bob);
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
        let mut conn = open(&router, ann);
        let conversation = ConversationId(Uuid::new_v4());
        let entry = |seq: u64| Envelope {
            audience: Audience::Participants(vec![ann]),
            payload: Bytes::from(seq.to_string()),
            entry: Some(Entry {
                conversation,
                seq,
                visibility: Visibility::Everyone,
            }),
            control: None,
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
        let a = open(&router, ann);
        let b = open(&router, ann);
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
        let slow_box = open(&router, slow);
        let mut fast_box = open(&router, fast);
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

    fn stream_of(router: &Router, who: Participant) -> (Outbox, ConversationId) {
        let conn = open(router, who);
        (conn, ConversationId(Uuid::new_v4()))
    }

    fn entry_to(
        who: Participant,
        conversation: ConversationId,
        seq: u64,
        visibility: Visibility,
    ) -> Envelope {
        Envelope {
            audience: Audience::Participants(vec![who]),
            payload: Bytes::from(seq.to_string()),
            entry: Some(Entry {
                conversation,
                seq,
                visibility,
            }),
            control: None,
        }
    }

    fn received(outbox: &mut Outbox) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(bytes) = outbox.frames.try_recv() {
            out.push(String::from_utf8(bytes.to_vec()).unwrap());
        }
        out
    }

    #[test]
    fn entries_before_the_sync_answer_ends_follow_it_in_order() {
        let router = Router::new();
        let ann = visitor(VisitorId(Uuid::new_v4()));
        let (mut conn, id) = stream_of(&router, ann);
        let _syncing = router.begin_sync(conn.id, id);
        for seq in [5, 3, 4, 6] {
            router.deliver(&entry_to(ann, id, seq, Visibility::Everyone));
        }
        assert!(
            received(&mut conn).is_empty(),
            "held until the answer is out"
        );
        router.mark_synced(conn.id, id, 3);
        assert_eq!(received(&mut conn), ["4", "5", "6"]);
    }

    #[test]
    fn out_of_order_and_repeated_entries_arrive_once_in_order() {
        let router = Router::new();
        let ann = visitor(VisitorId(Uuid::new_v4()));
        let (mut conn, id) = stream_of(&router, ann);
        router.mark_synced(conn.id, id, 0);
        for seq in [2, 1, 1, 3, 2, 5] {
            router.deliver(&entry_to(ann, id, seq, Visibility::Everyone));
        }
        assert_eq!(received(&mut conn), ["1", "2", "3"]);
        let holes = router.holes(Duration::ZERO);
        assert_eq!(holes.len(), 1, "4 is missing");
        assert_eq!(holes[0].after_seq, 3);
        router.deliver(&entry_to(ann, id, 4, Visibility::Everyone));
        assert_eq!(received(&mut conn), ["4", "5"]);
        assert!(router.holes(Duration::ZERO).is_empty());
    }

    #[test]
    fn a_gap_that_does_not_fill_is_repaired_and_what_waited_follows() {
        let router = Router::new();
        let ann = visitor(VisitorId(Uuid::new_v4()));
        let (mut conn, id) = stream_of(&router, ann);
        router.mark_synced(conn.id, id, 1);
        router.deliver(&entry_to(ann, id, 4, Visibility::Everyone));
        let [hole] = router.holes(Duration::ZERO)[..] else {
            panic!("one hole")
        };
        assert_eq!(
            (hole.conn, hole.conversation, hole.after_seq),
            (conn.id, id, 1)
        );
        // 3 is a note this visitor may not see: the store gives only 2.
        router.repair(&hole, [(2, Bytes::from_static(b"2"))], 3);
        assert_eq!(received(&mut conn), ["2", "4"]);
        router.deliver(&entry_to(ann, id, 3, Visibility::Everyone));
        assert!(
            received(&mut conn).is_empty(),
            "already covered by the repair"
        );
    }

    #[test]
    fn entries_a_participant_may_not_see_are_passed_over() {
        let router = Router::new();
        let ann = visitor(VisitorId(Uuid::new_v4()));
        let bob = agent(AgentId(Uuid::new_v4()));
        let (mut vic, id) = stream_of(&router, ann);
        let mut desk = open(&router, bob);
        router.mark_synced(vic.id, id, 0);
        router.mark_synced(desk.id, id, 0);
        let both = |seq: u64, visibility| Envelope {
            audience: Audience::Participants(vec![ann, bob]),
            payload: Bytes::from(seq.to_string()),
            entry: Some(Entry {
                conversation: id,
                seq,
                visibility,
            }),
            control: None,
        };
        router.deliver(&both(1, Visibility::Everyone));
        router.deliver(&both(2, Visibility::Agents));
        router.deliver(&both(3, Visibility::Everyone));
        assert_eq!(received(&mut vic), ["1", "3"]);
        assert_eq!(received(&mut desk), ["1", "2", "3"]);
        assert!(
            router.holes(Duration::ZERO).is_empty(),
            "no gap for the visitor"
        );
    }

    #[test]
    fn too_many_held_entries_cut_the_connection() {
        let router = Router::new();
        let ann = visitor(VisitorId(Uuid::new_v4()));
        let (conn, id) = stream_of(&router, ann);
        router.mark_synced(conn.id, id, 0);
        // Entry 1 never comes: everything after it waits.
        for seq in 2..(HELD_LIMIT as u64 + 3) {
            router.deliver(&entry_to(ann, id, seq, Visibility::Everyone));
        }
        assert!(conn.cut.is_cancelled());
        assert_eq!(router.connection_count(ann), 0);
    }

    #[test]
    fn broadcasts_wait_for_the_welcome_and_answers_do_not() {
        let router = Router::new();
        let bob = agent(AgentId(Uuid::new_v4()));
        let mut desk = router.register(bob);
        router.deliver(&frame("visitor_updated", Audience::Agents));
        router.deliver(&frame("welcome", Audience::Connection(desk.id)));
        assert_eq!(received(&mut desk), ["welcome"]);
        router.welcomed(desk.id);
        router.deliver(&frame("agent_updated", Audience::Agents));
        assert_eq!(received(&mut desk), ["visitor_updated", "agent_updated"]);
    }

    #[test]
    fn a_cut_order_closes_every_connection_of_its_participant() {
        let router = Router::new();
        let bob = agent(AgentId(Uuid::new_v4()));
        let ann = agent(AgentId(Uuid::new_v4()));
        let (one, two, other) = (open(&router, bob), open(&router, bob), open(&router, ann));
        router.deliver(&Envelope::cut(bob));
        assert!(one.cut.is_cancelled() && two.cut.is_cancelled());
        assert!(!other.cut.is_cancelled());
        assert_eq!(router.connection_count(bob), 0);
    }

    #[test]
    fn a_failed_sync_lets_live_entries_flow_again() {
        let router = Router::new();
        let ann = visitor(VisitorId(Uuid::new_v4()));
        let (mut conn, id) = stream_of(&router, ann);
        router.mark_synced(conn.id, id, 1);
        let start = router.begin_sync(conn.id, id);
        router.deliver(&entry_to(ann, id, 2, Visibility::Everyone));
        assert!(received(&mut conn).is_empty(), "held during the sync");
        router.abort_sync(conn.id, id, start);
        assert_eq!(received(&mut conn), ["2"]);
        router.deliver(&entry_to(ann, id, 3, Visibility::Everyone));
        assert_eq!(received(&mut conn), ["3"]);

        // A sync of a conversation it may not read leaves nothing behind.
        let other = ConversationId(Uuid::new_v4());
        let start = router.begin_sync(conn.id, other);
        router.abort_sync(conn.id, other, start);
        assert!(!router.lock().conns[&conn.id].streams.contains_key(&other));
    }

    #[test]
    fn the_entry_that_fills_a_full_gap_drains_it_rather_than_cutting() {
        let router = Router::new();
        let ann = visitor(VisitorId(Uuid::new_v4()));
        let (mut conn, id) = stream_of(&router, ann);
        router.mark_synced(conn.id, id, 0);
        let last = HELD_LIMIT as u64 + 1;
        for seq in 2..=last {
            router.deliver(&entry_to(ann, id, seq, Visibility::Everyone));
        }
        assert!(!conn.cut.is_cancelled());
        router.deliver(&entry_to(ann, id, 1, Visibility::Everyone));
        assert!(!conn.cut.is_cancelled());
        assert_eq!(received(&mut conn).len(), last as usize);
    }
}
