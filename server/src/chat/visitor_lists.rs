//! What each console lists of the visitors on the site, bounded however many are
//! there ([`ServerMsg::Visitors`]).
//!
//! A console is sent its list once, after `welcome`; from then on only the
//! changes to it. Changes to presence do not go out one by one to every console
//! (with thousands of visitors arriving, that was millions of frames): each one
//! only marks the lists stale, and a task works out every console's list again
//! (at once after a quiet spell, then at most once per
//! [`ChatConfig::visitor_lists_every`](super::ChatConfig)), and sends each
//! console the difference from what it was last sent. In a cluster a
//! node's lists include the other nodes' visitors as its presence reads them
//! ([`super::cluster`]), so every node tells its own consoles.
//!
//! Frames for one console leave under the lock of the lists, so a console's
//! changes arrive in the order they were worked out. A difference of more than
//! [`MAX_CHANGE_FRAMES`] frames goes as the list whole instead (one frame), and
//! so does the answer to `view_visitors`: the outbox of a console is bounded.

use super::presence::{Presence, VisitorList};
use super::{encode, ChatError, ChatService};
use crate::routing::ConnId;
use app::ids::VisitorId;
use app::protocol::{ServerMsg, MAX_VISITOR_FILTER_CHARS, MAX_WATCHED_VISITORS, VISITOR_PAGE};
use bytes::Bytes;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, MutexGuard, Weak};

/// More changes at once than this, and the console gets its list whole.
const MAX_CHANGE_FRAMES: usize = 32;

/// What one console asked to list, and what it was last sent.
#[derive(Default)]
struct Shown {
    filter: String,
    /// The origins of the websites the filter names, as they were when it was set.
    origins: Vec<String>,
    watch: Vec<VisitorId>,
    /// Each visitor in the console's list, by a hash of the frame it got.
    sent: HashMap<VisitorId, u64>,
    totals: (u32, u32),
}

/// Every console of this node's list.
#[derive(Default)]
pub struct VisitorLists {
    consoles: Mutex<HashMap<ConnId, Shown>>,
    stale: tokio::sync::Notify,
}

impl VisitorLists {
    fn consoles(&self) -> MutexGuard<'_, HashMap<ConnId, Shown>> {
        self.consoles.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Presence changed: the lists are worked out again soon.
    pub fn mark_stale(&self) {
        self.stale.notify_one();
    }
}

fn digest(bytes: &[u8]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

/// The frames of one visitor, encoded once per round whatever the number of
/// consoles that list them.
#[derive(Default)]
struct Frames {
    updated: HashMap<VisitorId, (u64, Bytes)>,
}

impl Frames {
    fn updated(&mut self, visitor: &app::protocol::VisitorInfo) -> &(u64, Bytes) {
        self.updated.entry(visitor.id).or_insert_with(|| {
            let bytes = encode(&ServerMsg::VisitorUpdated {
                visitor: visitor.clone(),
            });
            (digest(&bytes), bytes)
        })
    }
}

impl Shown {
    fn list(&self, presence: &Presence) -> VisitorList {
        presence.visitor_list(&self.filter, &self.origins, &self.watch, VISITOR_PAGE)
    }

    /// The frame with `list` whole, which the console is then known to have.
    fn whole(&mut self, list: VisitorList, frames: &mut Frames) -> Bytes {
        self.sent = list
            .visitors
            .iter()
            .map(|v| (v.id, frames.updated(v).0))
            .collect();
        self.totals = (list.on_site, list.matching);
        encode(&ServerMsg::Visitors {
            visitors: list.visitors,
            on_site: list.on_site,
            matching: list.matching,
        })
    }

    /// The frames that take the console from what it was sent to `list`;
    /// `here` tells whether a visitor is still on the site.
    fn changes(
        &mut self,
        list: VisitorList,
        frames: &mut Frames,
        here: impl Fn(VisitorId) -> bool,
    ) -> Vec<Bytes> {
        let mut out = Vec::new();
        let mut now = HashMap::with_capacity(list.visitors.len());
        for visitor in &list.visitors {
            let (hash, bytes) = frames.updated(visitor);
            if self.sent.get(&visitor.id) != Some(hash) {
                out.push(bytes.clone());
            }
            now.insert(visitor.id, *hash);
        }
        for id in self.sent.keys().filter(|id| !now.contains_key(id)) {
            out.push(encode(&ServerMsg::VisitorLeft {
                visitor_id: *id,
                gone: !here(*id),
            }));
        }
        let totals = (list.on_site, list.matching);
        if totals != self.totals {
            out.push(encode(&ServerMsg::VisitorTotals {
                on_site: list.on_site,
                matching: list.matching,
            }));
        }
        if out.len() > MAX_CHANGE_FRAMES {
            return vec![self.whole(list, frames)];
        }
        self.sent = now;
        self.totals = totals;
        out
    }
}

impl ChatService {
    /// A console opened: registers its list and sends it whole.
    pub(super) fn open_visitor_list(&self, conn: ConnId) {
        let mut consoles = self.visitor_lists.consoles();
        let mut shown = Shown::default();
        let list = shown.list(&self.presence());
        self.reply_encoded(conn, shown.whole(list, &mut Frames::default()));
        consoles.insert(conn, shown);
    }

    /// A console closed.
    pub(super) fn close_visitor_list(&self, conn: ConnId) {
        self.visitor_lists.consoles().remove(&conn);
    }

    /// A console chose what its list holds; it is sent the list at once.
    pub(super) fn view_visitors(
        &self,
        conn: ConnId,
        filter: String,
        mut watch: Vec<VisitorId>,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        if filter.chars().count() > MAX_VISITOR_FILTER_CHARS {
            return Err(ChatError::TooLong {
                field: "filter",
                max: MAX_VISITOR_FILTER_CHARS,
            });
        }
        if watch.len() > MAX_WATCHED_VISITORS {
            return Err(ChatError::TooLong {
                field: "watch",
                max: MAX_WATCHED_VISITORS,
            });
        }
        watch.sort_unstable();
        watch.dedup();
        let mut consoles = self.visitor_lists.consoles();
        let shown = consoles.get_mut(&conn).ok_or(ChatError::Forbidden)?;
        shown.filter = filter.trim().to_owned();
        shown.origins = self.origins_named(&shown.filter);
        shown.watch = watch;
        let list = shown.list(&self.presence());
        self.reply_encoded(conn, shown.whole(list, &mut Frames::default()));
        Ok(vec![])
    }

    /// Works out every console's list again and sends each what changed in it.
    fn refresh_visitor_lists(&self) {
        let mut consoles = self.visitor_lists.consoles();
        let mut frames = Frames::default();
        let mut out: Vec<(ConnId, Vec<Bytes>)> = Vec::with_capacity(consoles.len());
        {
            let presence = self.presence();
            let here = |id| presence.is_visitor_here(id);
            for (conn, shown) in consoles.iter_mut() {
                let list = shown.list(&presence);
                out.push((*conn, shown.changes(list, &mut frames, here)));
            }
        }
        for (conn, frames) in out {
            for frame in frames {
                self.reply_encoded(conn, frame);
            }
        }
        drop(consoles);
    }
}

/// Refreshes the lists whenever they went stale, at most once per `every`, as
/// long as the service lives.
pub(super) async fn keep_visitor_lists(service: Weak<ChatService>, every: std::time::Duration) {
    loop {
        let stale = match service.upgrade() {
            Some(service) => {
                // Registered before the service is let go, so no wake-up is lost.
                let lists = std::sync::Arc::clone(&service.visitor_lists);
                drop(service);
                lists
            }
            None => return,
        };
        stale.stale.notified().await;
        match service.upgrade() {
            Some(service) => service.refresh_visitor_lists(),
            None => return,
        }
        // Whatever changes meanwhile waits for the next round (the notice keeps).
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::ids::MessageId;
    use app::protocol::PageView;
    use uuid::Uuid;

    fn visitor(presence: &mut Presence, n: i64, url: &str) -> VisitorId {
        let id = VisitorId(Uuid::new_v4());
        let page = PageView {
            url: url.into(),
            load_id: MessageId(Uuid::new_v4()),
            ..Default::default()
        };
        presence.visitor_connected(id, "Visitor", page, false, n);
        id
    }

    #[test]
    fn a_console_lists_the_newest_page_and_what_it_watches() {
        let mut presence = Presence::default();
        let ids: Vec<_> = (0..VISITOR_PAGE as i64 + 30)
            .map(|n| visitor(&mut presence, n, &format!("/p/{n}")))
            .collect();
        let oldest = ids[0];
        let list = presence.visitor_list("", &[], &[oldest], VISITOR_PAGE);
        assert_eq!(list.on_site as usize, ids.len());
        assert_eq!(list.matching as usize, ids.len());
        assert_eq!(list.visitors.len(), VISITOR_PAGE + 1);
        assert_eq!(list.visitors[0].id, oldest, "watched, oldest first");
        let shown: Vec<_> = list.visitors[1..].iter().map(|v| v.id).collect();
        assert_eq!(shown, ids[30..].to_vec(), "the newest page, in visit order");

        let found = presence.visitor_list("/P/3", &[], &[], VISITOR_PAGE);
        // /p/3 and /p/30 to /p/39.
        assert_eq!(found.matching, 11);
        assert_eq!(found.visitors.len(), 11);

        // A page's department (its widget tag's) finds its visitors too.
        let buyer = VisitorId(Uuid::new_v4());
        let page = PageView {
            url: "/pricing".into(),
            department: "sales".into(),
            ..Default::default()
        };
        presence.visitor_connected(buyer, "Buyer", page, false, 1_000);
        let found = presence.visitor_list("SALES", &[], &[], VISITOR_PAGE);
        assert_eq!(
            found.visitors.iter().map(|v| v.id).collect::<Vec<_>>(),
            [buyer]
        );
    }

    #[test]
    fn a_console_is_sent_only_what_changed() {
        let mut presence = Presence::default();
        let first = visitor(&mut presence, 1, "/a");
        let here = |_| true;
        let mut shown = Shown::default();
        let sent = shown.changes(shown.list(&presence), &mut Frames::default(), here);
        assert_eq!(sent.len(), 2, "the visitor and the totals");
        assert!(shown
            .changes(shown.list(&presence), &mut Frames::default(), here)
            .is_empty());

        // A page of newer visits: too many changes, so the list goes whole.
        for n in 0..VISITOR_PAGE as i64 {
            visitor(&mut presence, 10 + n, "/b");
        }
        let sent = shown.changes(shown.list(&presence), &mut Frames::default(), here);
        assert_eq!(sent.len(), 1);
        assert!(sent[0].starts_with(br#"{"type":"visitors""#));
        assert!(!shown.sent.contains_key(&first));

        // One more: it comes in, the oldest of the page makes room (still here).
        let oldest = *shown
            .sent
            .keys()
            .min_by_key(|id| presence.visitor_info(**id).unwrap().visit_started_ms)
            .unwrap();
        visitor(&mut presence, 100, "/c");
        let sent = shown.changes(shown.list(&presence), &mut Frames::default(), here);
        let left = ServerMsg::VisitorLeft {
            visitor_id: oldest,
            gone: false,
        };
        assert_eq!(sent.len(), 3, "arrival, room made, totals");
        assert!(sent.contains(&encode(&left)));

        // Watching the first brings it back.
        shown.watch = vec![first];
        let sent = shown.changes(shown.list(&presence), &mut Frames::default(), here);
        assert_eq!(sent.len(), 1);
    }
}
