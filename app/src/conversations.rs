//! The client's copy of its conversations, as plain data: what the widget and the
//! console both keep of the server's conversations and of their own sends.
//!
//! [`Conversations::apply`] takes each server frame in: entries kept in sequence
//! order, duplicates ignored, a gap answered by asking to `sync` from the last
//! entry held without a hole, sends waiting for their stored message ([`Pending`])
//! settled by it, or dropped on a final error. What a frame asks the client to
//! send back comes out in [`Applied`]; sending it is the caller's job
//! ([`crate::chat_session`]), as is everything the UI does about it. No Leptos
//! types here: [`crate::chat_store::ChatStore`] is the reactive handle around it.

use crate::ids::{ConversationId, MessageId, Participant};
use crate::protocol::{
    ChatMessage, ClientMsg, ConversationKind, ConversationState, ConversationSummary, Me,
    ParticipantInfo, Rating, ServerMsg,
};
use std::collections::BTreeMap;

/// One conversation as this client knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvView {
    pub summary: ConversationSummary,
    pub messages: BTreeMap<u64, ChatMessage>,
    /// Names of the others typing now.
    pub typing: Vec<(Participant, String)>,
    pub unread: u32,
    /// Everyone seen in the conversation since this client knew it, with their
    /// latest names: a conversation everyone else left is still named after them.
    pub known: Vec<ParticipantInfo>,
    /// The chat's place in the queue while it waits (visitors only).
    pub queue_position: Option<u32>,
    /// Kept only to show its history (a visitor's one-to-one chat before a group
    /// conversation); never the conversation a window is about.
    pub earlier: bool,
    /// Up to here the server's `history` answers have given everything this client
    /// may see: a missing number below it is an entry for agents only, not a gap.
    pub complete_through: u64,
    /// The visitors' ratings heard of while this client ran (one per visitor).
    pub ratings: Vec<Rating>,
    /// How far each participant has read, as last heard (it only moves forward).
    pub seen: BTreeMap<Participant, u64>,
    /// The furthest entry this client has told the server it has seen.
    pub told_seen: u64,
}

impl ConvView {
    fn new(summary: ConversationSummary) -> Self {
        let mut view = ConvView {
            known: Vec::new(),
            summary,
            messages: BTreeMap::new(),
            typing: Vec::new(),
            unread: 0,
            queue_position: None,
            earlier: false,
            complete_through: 0,
            ratings: Vec::new(),
            seen: BTreeMap::new(),
            told_seen: 0,
        };
        view.remember_participants();
        view.merge_seen();
        view
    }

    /// Takes in the read positions of the summary (never moving one back).
    fn merge_seen(&mut self) {
        for s in &self.summary.seen {
            let at = self.seen.entry(s.participant).or_insert(0);
            *at = (*at).max(s.seq);
        }
    }

    /// The newest entry here that someone other than `me` has seen, and who of
    /// the current participants other than `me` has seen up to `seq`.
    pub fn seen_by_others(&self, me: Option<Participant>, seq: u64) -> (u64, Vec<&str>) {
        let newest = self
            .seen
            .iter()
            .filter(|(p, _)| Some(**p) != me)
            .map(|(_, s)| *s)
            .max()
            .unwrap_or(0);
        let who = self
            .summary
            .participants
            .iter()
            .filter(|p| Some(p.participant) != me)
            .filter(|p| self.seen.get(&p.participant).is_some_and(|s| *s >= seq))
            .map(|p| p.name.as_str())
            .collect();
        (newest, who)
    }

    /// The entry to tell the server this client has now seen, if it is further
    /// than told before: the newest one here.
    pub fn to_tell_seen(&self) -> Option<u64> {
        let newest = self.messages.keys().next_back().copied()?;
        (newest > self.told_seen).then_some(newest)
    }

    fn remember_participants(&mut self) {
        for p in &self.summary.participants {
            match self
                .known
                .iter_mut()
                .find(|k| k.participant == p.participant)
            {
                Some(known) => known.name = p.name.clone(),
                None => self.known.push(p.clone()),
            }
        }
    }

    /// The highest sequence number up to which nothing is missing (numbers this
    /// client may not see, below [`ConvView::complete_through`], are not missing).
    pub fn contiguous_seq(&self) -> u64 {
        let first = self.messages.keys().next().copied().unwrap_or(0);
        let mut last = first.saturating_sub(1);
        for seq in self.messages.keys() {
            if *seq != last + 1 && *seq > self.complete_through {
                break;
            }
            last = *seq;
        }
        last
    }

    pub fn is_closed(&self) -> bool {
        self.summary.state == ConversationState::Closed
    }

    /// Whether `who` takes part in it now.
    pub fn has_member(&self, who: Option<Participant>) -> bool {
        self.summary
            .participants
            .iter()
            .any(|p| Some(p.participant) == who)
    }
}

/// A message sent but not yet seen stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub id: MessageId,
    /// `None` for the first message of a chat the visitor is starting.
    pub conversation_id: Option<ConversationId>,
    pub text: String,
    /// An agent's internal note (agents only).
    pub note: bool,
}

impl Pending {
    pub fn frame(&self) -> ClientMsg {
        match self.conversation_id {
            Some(conversation_id) if self.note => ClientMsg::SendNote {
                conversation_id,
                client_msg_id: self.id,
                text: self.text.clone(),
            },
            Some(conversation_id) => ClientMsg::Send {
                conversation_id,
                client_msg_id: self.id,
                text: self.text.clone(),
            },
            None => ClientMsg::StartChat {
                client_msg_id: self.id,
                text: self.text.clone(),
            },
        }
    }
}

/// What a frame changed that the UI may want to react to, and what it asks the
/// client to send.
#[derive(Debug, Default, PartialEq)]
pub struct Applied {
    /// Whether the local copy changed (views, pending sends or who this client is).
    pub changed: bool,
    /// New messages written by others.
    pub incoming: Vec<(ConversationId, ChatMessage)>,
    /// Conversations with a gap to fill: ask for everything after this seq.
    pub sync: Vec<(ConversationId, u64)>,
    /// Sends to repeat, under their own ids (after `welcome`: a new connection).
    pub resend: Vec<ClientMsg>,
}

impl Applied {
    /// The `sync` frames that fill the gaps.
    pub fn sync_frames(&self) -> impl Iterator<Item = ClientMsg> + '_ {
        self.sync
            .iter()
            .map(|&(conversation_id, after_seq)| ClientMsg::Sync {
                conversation_id,
                after_seq,
            })
    }
}

/// Every conversation this client knows, in the order it learnt of them, the
/// sends not yet stored, and who this client is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Conversations {
    views: Vec<ConvView>,
    pending: Vec<Pending>,
    me: Option<Participant>,
}

impl Conversations {
    /// `me` is known beforehand for an agent; a visitor learns it from `welcome`.
    pub fn new(me: Option<Participant>) -> Self {
        Conversations {
            me,
            ..Conversations::default()
        }
    }

    pub fn views(&self) -> &[ConvView] {
        &self.views
    }

    pub fn get(&self, id: ConversationId) -> Option<&ConvView> {
        self.views.iter().find(|c| c.summary.id == id)
    }

    fn get_mut(&mut self, id: ConversationId) -> Option<&mut ConvView> {
        self.views.iter_mut().find(|c| c.summary.id == id)
    }

    pub fn pending(&self) -> &[Pending] {
        &self.pending
    }

    pub fn me(&self) -> Option<Participant> {
        self.me
    }

    /// Applies one server frame to the local copy.
    pub fn apply(&mut self, msg: &ServerMsg) -> Applied {
        let mut applied = Applied::default();
        match msg {
            ServerMsg::Welcome {
                me, conversations, ..
            } => {
                self.me = Some(match me {
                    Me::Visitor { id, .. } => Participant::Visitor(*id),
                    Me::Agent { id, .. } => Participant::Agent(*id),
                });
                for summary in conversations {
                    self.upsert(summary.clone());
                }
                for summary in conversations {
                    if let Some(view) = self.get(summary.id) {
                        applied.sync.push((summary.id, view.contiguous_seq()));
                    }
                }
                // Anything sent but not stored goes again, under its own id.
                applied.resend = self.pending.iter().map(Pending::frame).collect();
                applied.changed = true;
            }
            ServerMsg::Conversation { conversation } => {
                let fresh = self.get(conversation.id).is_none();
                self.upsert(conversation.clone());
                if fresh {
                    applied.sync.push((conversation.id, 0));
                }
                applied.changed = true;
            }
            ServerMsg::Message {
                conversation_id,
                message,
            } => self.message(*conversation_id, message, &mut applied),
            ServerMsg::History {
                conversation_id,
                messages,
                more,
            } => {
                if let Some(view) = self.get_mut(*conversation_id) {
                    for m in messages {
                        view.summary.last_seq = view.summary.last_seq.max(m.seq);
                        view.messages.insert(m.seq, m.clone());
                    }
                    // The answer holds everything after what was asked for, up to
                    // its last entry: any number missing in it is not for us.
                    if let Some(last) = messages.last() {
                        view.complete_through = view.complete_through.max(last.seq);
                    }
                    applied.changed = !messages.is_empty();
                }
                for m in messages {
                    applied.changed |= self.settle(m.id);
                }
                if *more {
                    if let Some(last) = messages.last() {
                        applied.sync.push((*conversation_id, last.seq));
                    }
                }
            }
            ServerMsg::Reset { conversation_id } => {
                if let Some(view) = self.get_mut(*conversation_id) {
                    view.messages.clear();
                    view.complete_through = 0;
                    applied.changed = true;
                }
                applied.sync.push((*conversation_id, 0));
            }
            ServerMsg::QueuePosition {
                conversation_id,
                position,
            } => {
                if let Some(view) = self.get_mut(*conversation_id) {
                    view.queue_position = Some(*position);
                    applied.changed = true;
                }
            }
            ServerMsg::Typing {
                conversation_id,
                author,
                typing,
            } => {
                let me = self.me;
                if let (true, Some(view)) = (
                    Some(author.participant) != me,
                    self.get_mut(*conversation_id),
                ) {
                    view.typing.retain(|(p, _)| *p != author.participant);
                    if *typing {
                        view.typing.push((author.participant, author.name.clone()));
                    }
                    applied.changed = true;
                }
            }
            ServerMsg::Ack {
                client_msg_id,
                conversation_id,
                ..
            } => {
                // A started chat now has its conversation: later resends go there.
                for m in self.pending.iter_mut().filter(|m| m.id == *client_msg_id) {
                    if m.conversation_id != Some(*conversation_id) {
                        m.conversation_id = Some(*conversation_id);
                        applied.changed = true;
                    }
                }
            }
            ServerMsg::Error {
                code,
                client_msg_id,
                ..
            } => {
                // A send refused for good is given up; one that may succeed later
                // stays pending and goes again after the next `welcome`.
                if let (false, Some(id)) = (code.is_retryable(), client_msg_id) {
                    applied.changed = self.settle(*id);
                }
            }
            ServerMsg::Seen {
                conversation_id,
                seen,
            } => {
                if let Some(view) = self.get_mut(*conversation_id) {
                    let at = view.seen.entry(seen.participant).or_insert(0);
                    if seen.seq > *at {
                        *at = seen.seq;
                        applied.changed = true;
                    }
                }
            }
            ServerMsg::Rated { rating } => {
                if let Some(view) = self.get_mut(rating.conversation_id) {
                    view.ratings.retain(|r| r.visitor_id != rating.visitor_id);
                    view.ratings.push(rating.clone());
                    applied.changed = true;
                }
            }
            ServerMsg::AgentsAvailable { .. }
            | ServerMsg::Visitors { .. }
            | ServerMsg::VisitorUpdated { .. }
            | ServerMsg::VisitorLeft { .. }
            | ServerMsg::VisitorTotals { .. }
            | ServerMsg::Agents { .. }
            | ServerMsg::AgentUpdated { .. }
            | ServerMsg::Queue { .. }
            | ServerMsg::QueueAdded { .. }
            | ServerMsg::QueueRemoved { .. }
            | ServerMsg::OfflineMessageReceived { .. }
            | ServerMsg::OfflineMessageUpdated { .. }
            | ServerMsg::Invitation { .. }
            | ServerMsg::OfflineMessageStored
            | ServerMsg::Transcript { .. }
            | ServerMsg::TranscriptEmailed { .. }
            | ServerMsg::FileLink { .. }
            | ServerMsg::NameChanged { .. } => {}
        }
        applied
    }

    /// A live entry: stored in its place; one beyond the next expected means
    /// entries are missing (sync from the last one held without a hole); one of an
    /// unknown conversation asks for all of it.
    fn message(
        &mut self,
        conversation_id: ConversationId,
        message: &ChatMessage,
        applied: &mut Applied,
    ) {
        let me = self.me;
        let mut incoming = false;
        let gap = match self.get_mut(conversation_id) {
            None => Some(0),
            Some(view) => {
                let expected = view.contiguous_seq() + 1;
                let gap = (message.seq > expected && !view.messages.is_empty())
                    .then(|| view.contiguous_seq());
                if view.messages.insert(message.seq, message.clone()).is_none() {
                    view.summary.last_seq = view.summary.last_seq.max(message.seq);
                    if let Some(author) = &message.author {
                        view.typing.retain(|(p, _)| *p != author.participant);
                        incoming = Some(author.participant) != me;
                    }
                }
                applied.changed = true;
                gap
            }
        };
        applied.changed |= self.settle(message.id);
        if incoming {
            applied.incoming.push((conversation_id, message.clone()));
        }
        if let Some(after) = gap {
            applied.sync.push((conversation_id, after));
        }
    }

    fn upsert(&mut self, summary: ConversationSummary) {
        match self.get_mut(summary.id) {
            Some(view) => {
                if summary.state != ConversationState::Queued {
                    view.queue_position = None;
                }
                view.summary = summary;
                view.earlier = false;
                view.remember_participants();
                view.merge_seen();
            }
            None => self.views.push(ConvView::new(summary)),
        }
    }

    /// A message with this id is stored (or refused for good): it is no longer
    /// pending. Returns whether it was.
    fn settle(&mut self, id: MessageId) -> bool {
        let before = self.pending.len();
        self.pending.retain(|m| m.id != id);
        self.pending.len() != before
    }

    /// Keeps a send until its message is seen stored (or refused for good).
    pub fn queue_send(&mut self, pending: Pending) {
        self.pending.push(pending);
    }

    /// Keeps a conversation this client no longer takes part in, to show its
    /// history (answered by `sync`, which a former participant may still ask).
    /// Returns whether it was new here (then sync it from 0).
    pub fn keep_earlier(&mut self, id: ConversationId) -> bool {
        if self.get(id).is_some() {
            return false;
        }
        let summary = ConversationSummary {
            id,
            kind: ConversationKind::Direct,
            state: ConversationState::Closed,
            last_seq: 0,
            participants: Vec::new(),
            owner: None,
            invitations: Vec::new(),
            seen: Vec::new(),
        };
        let mut view = ConvView::new(summary);
        view.earlier = true;
        self.views.insert(0, view);
        true
    }

    pub fn remove(&mut self, id: ConversationId) {
        self.views.retain(|c| c.summary.id != id);
    }

    /// Notes that the server was told this client has seen `id` up to `seq`.
    pub fn told_seen(&mut self, id: ConversationId, seq: u64) {
        if let Some(view) = self.get_mut(id) {
            view.told_seen = view.told_seen.max(seq);
        }
    }

    pub fn mark_read(&mut self, id: ConversationId) {
        if let Some(view) = self.get_mut(id) {
            view.unread = 0;
        }
    }

    pub fn add_unread(&mut self, id: ConversationId) {
        if let Some(view) = self.get_mut(id) {
            view.unread += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::ids::{AgentId, VisitorId};
    use crate::protocol::{Author, Body, Visibility};
    use uuid::Uuid;

    fn conv(n: u128) -> ConversationId {
        ConversationId(Uuid::from_u128(n))
    }

    fn msg_id(n: u128) -> MessageId {
        MessageId(Uuid::from_u128(n))
    }

    fn visitor() -> Participant {
        Participant::Visitor(VisitorId(Uuid::from_u128(100)))
    }

    fn agent() -> Participant {
        Participant::Agent(AgentId(Uuid::from_u128(200)))
    }

    fn person(who: Participant, name: &str) -> ParticipantInfo {
        ParticipantInfo {
            participant: who,
            name: name.into(),
        }
    }

    fn summary(id: ConversationId, state: ConversationState) -> ConversationSummary {
        ConversationSummary {
            id,
            kind: ConversationKind::Direct,
            state,
            last_seq: 0,
            participants: vec![person(visitor(), "Vera"), person(agent(), "Ann")],
            owner: None,
            invitations: Vec::new(),
            seen: Vec::new(),
        }
    }

    /// Entry `seq`, written by `by`; its message id is made from the seq.
    fn entry(seq: u64, by: Participant) -> ChatMessage {
        ChatMessage {
            seq,
            id: msg_id(1_000 + u128::from(seq)),
            author: Some(Author {
                participant: by,
                name: "someone".into(),
            }),
            body: Body::Text {
                text: format!("entry {seq}"),
            },
            at_ms: 0,
            visibility: Visibility::Everyone,
            file: None,
        }
    }

    fn live(id: ConversationId, message: ChatMessage) -> ServerMsg {
        ServerMsg::Message {
            conversation_id: id,
            message,
        }
    }

    fn history(id: ConversationId, messages: Vec<ChatMessage>, more: bool) -> ServerMsg {
        ServerMsg::History {
            conversation_id: id,
            messages,
            more,
        }
    }

    fn welcome(conversations: Vec<ConversationSummary>) -> ServerMsg {
        ServerMsg::Welcome {
            me: Me::Visitor {
                id: VisitorId(Uuid::from_u128(100)),
                name: "Vera".into(),
            },
            conversations,
            agents_available: true,
            email_transcripts: false,
            away: vec![],
        }
    }

    fn error(code: ErrorCode, client_msg_id: MessageId) -> ServerMsg {
        ServerMsg::Error {
            code,
            client_msg_id: Some(client_msg_id),
            conversation_id: None,
        }
    }

    /// The agent's copy of one active conversation, holding entries `seqs`.
    fn agent_with(id: ConversationId, seqs: &[u64]) -> Conversations {
        let mut c = Conversations::new(Some(agent()));
        c.apply(&ServerMsg::Conversation {
            conversation: summary(id, ConversationState::Active),
        });
        let entries = seqs.iter().map(|&s| entry(s, visitor())).collect();
        c.apply(&history(id, entries, false));
        c
    }

    fn seqs(c: &Conversations, id: ConversationId) -> Vec<u64> {
        c.get(id)
            .map(|v| v.messages.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Queues a send the way the UI does; returns the frame it sends.
    fn send(
        c: &mut Conversations,
        id: MessageId,
        conversation_id: Option<ConversationId>,
        text: &str,
    ) -> ClientMsg {
        let pending = Pending {
            id,
            conversation_id,
            text: text.into(),
            note: false,
        };
        let frame = pending.frame();
        c.queue_send(pending);
        frame
    }

    fn pending_ids(c: &Conversations) -> Vec<MessageId> {
        c.pending().iter().map(|p| p.id).collect()
    }

    #[test]
    fn read_positions_only_move_forward_and_name_who_has_seen() {
        let a = conv(1);
        let mut c = agent_with(a, &[1, 2]);
        let me = Some(agent());
        let seen = |seq| ServerMsg::Seen {
            conversation_id: a,
            seen: crate::protocol::SeenBy {
                participant: visitor(),
                seq,
            },
        };
        assert!(c.apply(&seen(2)).changed);
        assert!(!c.apply(&seen(1)).changed, "never back");
        let view = c.get(a).unwrap();
        assert_eq!(view.seen_by_others(me, 2), (2, vec!["Vera"]));
        assert_eq!(view.seen_by_others(me, 3), (2, vec![]), "not the newer one");
        // A summary without it keeps what was heard.
        c.apply(&ServerMsg::Conversation {
            conversation: summary(a, ConversationState::Active),
        });
        assert_eq!(c.get(a).unwrap().seen_by_others(me, 2).0, 2);

        // What to tell: the newest entry, once.
        assert_eq!(c.get(a).unwrap().to_tell_seen(), Some(2));
        c.told_seen(a, 2);
        assert_eq!(c.get(a).unwrap().to_tell_seen(), None);
        c.apply(&live(a, entry(3, visitor())));
        assert_eq!(c.get(a).unwrap().to_tell_seen(), Some(3));
    }

    #[test]
    fn an_entry_ahead_of_its_turn_reports_the_gap_then_the_missing_one_falls_into_place() {
        let a = conv(1);
        let mut c = agent_with(a, &[1]);

        let applied = c.apply(&live(a, entry(3, visitor())));
        assert_eq!(applied.sync, vec![(a, 1)], "ask for everything after 1");
        assert_eq!(seqs(&c, a), vec![1, 3]);
        assert_eq!(c.get(a).unwrap().contiguous_seq(), 1);

        let applied = c.apply(&live(a, entry(2, visitor())));
        assert_eq!(applied.sync, vec![]);
        assert_eq!(seqs(&c, a), vec![1, 2, 3], "in sequence order");
        assert_eq!(c.get(a).unwrap().contiguous_seq(), 3);
        assert_eq!(c.get(a).unwrap().summary.last_seq, 3);
    }

    #[test]
    fn a_gap_asks_for_sync_from_the_last_entry_without_a_hole() {
        let a = conv(1);
        let mut c = agent_with(a, &[1, 2]);
        assert_eq!(c.apply(&live(a, entry(5, visitor()))).sync, vec![(a, 2)]);
        // Still missing 3 and 4: the next entry asks from 2 again, not from 5.
        assert_eq!(c.apply(&live(a, entry(6, visitor()))).sync, vec![(a, 2)]);
        let applied = c.apply(&history(
            a,
            vec![entry(3, visitor()), entry(4, visitor())],
            false,
        ));
        assert_eq!(applied.sync, vec![]);
        assert_eq!(seqs(&c, a), vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn a_number_the_history_skips_is_not_a_gap() {
        // Entry 3 is for agents only: a visitor never gets it. Seeing 4 it asks once;
        // the answer holds 4 and not 3, and from then on nothing is missing.
        let a = conv(1);
        let mut c = agent_with(a, &[1, 2]);
        assert_eq!(c.apply(&live(a, entry(4, visitor()))).sync, vec![(a, 2)]);
        c.apply(&history(a, vec![entry(4, visitor())], false));
        assert_eq!(c.get(a).unwrap().contiguous_seq(), 4);
        assert_eq!(c.apply(&live(a, entry(5, visitor()))).sync, vec![]);
        // A real gap above it is still one.
        assert_eq!(c.apply(&live(a, entry(7, visitor()))).sync, vec![(a, 5)]);
    }

    #[test]
    fn the_first_entry_seen_may_start_past_one() {
        // A visitor who joined a group conversation at entry 5 sees from there on.
        let a = conv(1);
        let mut c = agent_with(a, &[]);
        assert_eq!(c.apply(&live(a, entry(5, visitor()))).sync, vec![]);
        assert_eq!(c.get(a).unwrap().contiguous_seq(), 5);
    }

    #[test]
    fn the_same_entry_twice_is_kept_once_and_announced_once() {
        let a = conv(1);
        let mut c = agent_with(a, &[]);
        let first = c.apply(&live(a, entry(1, visitor())));
        let again = c.apply(&live(a, entry(1, visitor())));
        assert_eq!(first.incoming, vec![(a, entry(1, visitor()))]);
        assert_eq!(again.incoming, vec![], "a duplicate is not new");
        assert_eq!(again.sync, vec![]);
        assert_eq!(seqs(&c, a), vec![1]);
    }

    #[test]
    fn history_overlapping_live_entries_keeps_each_once() {
        let a = conv(1);
        let mut c = agent_with(a, &[]);
        c.apply(&live(a, entry(1, visitor())));
        c.apply(&live(a, entry(2, visitor())));
        let applied = c.apply(&history(
            a,
            vec![
                entry(1, visitor()),
                entry(2, visitor()),
                entry(3, visitor()),
            ],
            false,
        ));
        assert_eq!(applied.incoming, vec![], "history is not announced");
        assert_eq!(seqs(&c, a), vec![1, 2, 3]);
        assert_eq!(c.get(a).unwrap().summary.last_seq, 3);
    }

    #[test]
    fn a_full_history_page_asks_for_the_rest_after_its_last_entry() {
        let a = conv(1);
        let mut c = agent_with(a, &[]);
        let applied = c.apply(&history(
            a,
            vec![entry(1, visitor()), entry(2, visitor())],
            true,
        ));
        assert_eq!(applied.sync, vec![(a, 2)]);
        let applied = c.apply(&history(a, vec![entry(3, visitor())], false));
        assert_eq!(applied.sync, vec![]);
    }

    #[test]
    fn only_others_messages_are_incoming() {
        let a = conv(1);
        let mut c = agent_with(a, &[]);
        assert_eq!(c.apply(&live(a, entry(1, agent()))).incoming, vec![]);
        assert_eq!(c.apply(&live(a, entry(2, visitor()))).incoming.len(), 1);
    }

    #[test]
    fn an_entry_of_an_unknown_conversation_asks_for_all_of_it() {
        let mut c = Conversations::new(Some(agent()));
        let applied = c.apply(&live(conv(9), entry(4, visitor())));
        assert_eq!(applied.sync, vec![(conv(9), 0)]);
        assert!(
            c.get(conv(9)).is_none(),
            "kept only once the server names it"
        );
    }

    #[test]
    fn a_conversation_new_here_is_synced_from_the_start_and_a_known_one_is_not() {
        let a = conv(1);
        let mut c = Conversations::new(Some(agent()));
        let first = ServerMsg::Conversation {
            conversation: summary(a, ConversationState::Active),
        };
        assert_eq!(c.apply(&first).sync, vec![(a, 0)]);
        assert_eq!(c.apply(&first).sync, vec![]);
        assert_eq!(c.views().len(), 1);
    }

    #[test]
    fn reset_drops_the_local_copy_and_syncs_from_zero() {
        let a = conv(1);
        let mut c = agent_with(a, &[1, 2, 3]);
        let applied = c.apply(&ServerMsg::Reset { conversation_id: a });
        assert_eq!(applied.sync, vec![(a, 0)]);
        assert_eq!(seqs(&c, a), Vec::<u64>::new());
        assert!(c.get(a).is_some(), "the conversation itself stays");

        // The server's copy is shorter (restored from a backup): it is the truth now.
        c.apply(&history(
            a,
            vec![entry(1, visitor()), entry(2, visitor())],
            false,
        ));
        assert_eq!(seqs(&c, a), vec![1, 2]);
        assert_eq!(c.get(a).unwrap().contiguous_seq(), 2);
    }

    #[test]
    fn welcome_after_a_reconnect_asks_each_conversation_from_its_contiguous_seq() {
        let (a, b, gone) = (conv(1), conv(2), conv(3));
        let mut c = Conversations::new(None);
        c.apply(&welcome(vec![]));
        for id in [a, b, gone] {
            c.apply(&ServerMsg::Conversation {
                conversation: summary(id, ConversationState::Active),
            });
        }
        c.apply(&history(
            a,
            (1..=3).map(|s| entry(s, agent())).collect(),
            false,
        ));
        // In b, entry 2 went missing on the way (3 came live after 1).
        c.apply(&history(b, vec![entry(1, agent())], false));
        c.apply(&live(b, entry(3, agent())));

        let applied = c.apply(&welcome(vec![
            summary(a, ConversationState::Active),
            summary(b, ConversationState::Active),
        ]));
        assert_eq!(applied.sync, vec![(a, 3), (b, 1)]);
        assert_eq!(c.me(), Some(visitor()));
        assert!(c.get(gone).is_some(), "not in the welcome: kept as it was");
    }

    #[test]
    fn welcome_on_a_fresh_page_syncs_every_conversation_from_zero() {
        let a = conv(1);
        let mut c = Conversations::new(None);
        assert_eq!(c.me(), None);
        let applied = c.apply(&welcome(vec![summary(a, ConversationState::Active)]));
        assert_eq!(applied.sync, vec![(a, 0)]);
        assert_eq!(applied.resend, vec![]);
        assert_eq!(c.me(), Some(visitor()));
    }

    #[test]
    fn pending_sends_go_again_after_welcome_and_are_settled_by_their_stored_message() {
        let a = conv(1);
        let mut c = agent_with(a, &[1]);
        let id = msg_id(1_002); // the id `entry(2, …)` is stored under
        let frame = send(&mut c, id, Some(a), "entry 2");
        assert_eq!(
            frame,
            ClientMsg::Send {
                conversation_id: a,
                client_msg_id: id,
                text: "entry 2".into()
            }
        );
        assert_eq!(pending_ids(&c), vec![id]);

        // The connection dropped before the ack: the new one sends it again, same id.
        let applied = c.apply(&welcome(vec![summary(a, ConversationState::Active)]));
        assert_eq!(applied.resend, vec![frame.clone()]);

        // The ack alone keeps it showing as pending until the message is seen stored.
        c.apply(&ServerMsg::Ack {
            client_msg_id: id,
            conversation_id: a,
            seq: 2,
        });
        assert_eq!(pending_ids(&c), vec![id]);
        let applied = c.apply(&live(a, entry(2, agent())));
        assert!(applied.changed);
        assert_eq!(pending_ids(&c), vec![]);
        assert_eq!(c.apply(&welcome(vec![])).resend, vec![]);
    }

    #[test]
    fn a_pending_send_seen_in_history_is_settled() {
        let a = conv(1);
        let mut c = agent_with(a, &[1]);
        send(&mut c, msg_id(1_002), Some(a), "entry 2");
        send(&mut c, msg_id(77), Some(a), "not stored yet");
        c.apply(&history(a, vec![entry(2, agent())], false));
        assert_eq!(pending_ids(&c), vec![msg_id(77)]);
    }

    #[test]
    fn a_started_chat_is_resent_to_the_conversation_its_ack_names() {
        let a = conv(1);
        let mut c = Conversations::new(None);
        c.apply(&welcome(vec![]));
        let id = msg_id(5);
        let frame = send(&mut c, id, None, "hello");
        assert_eq!(
            frame,
            ClientMsg::StartChat {
                client_msg_id: id,
                text: "hello".into()
            }
        );
        c.apply(&ServerMsg::Ack {
            client_msg_id: id,
            conversation_id: a,
            seq: 1,
        });
        let applied = c.apply(&welcome(vec![summary(a, ConversationState::Queued)]));
        assert_eq!(
            applied.resend,
            vec![ClientMsg::Send {
                conversation_id: a,
                client_msg_id: id,
                text: "hello".into()
            }]
        );
    }

    #[test]
    fn a_final_error_drops_the_pending_send() {
        for code in [
            ErrorCode::NotFound,
            ErrorCode::ConversationClosed,
            ErrorCode::TooLong,
            ErrorCode::IdConflict,
        ] {
            let a = conv(1);
            let mut c = agent_with(a, &[]);
            send(&mut c, msg_id(1), Some(a), "refused");
            send(&mut c, msg_id(2), Some(a), "other");
            let applied = c.apply(&error(code, msg_id(1)));
            assert!(applied.changed, "{code}");
            assert_eq!(pending_ids(&c), vec![msg_id(2)], "{code}");
        }
    }

    #[test]
    fn a_retryable_error_keeps_the_pending_send_for_the_next_connection() {
        for code in [ErrorCode::RateLimited, ErrorCode::Unavailable] {
            let a = conv(1);
            let mut c = agent_with(a, &[]);
            let frame = send(&mut c, msg_id(1), Some(a), "later");
            let applied = c.apply(&error(code, msg_id(1)));
            assert!(!applied.changed, "{code}");
            assert_eq!(pending_ids(&c), vec![msg_id(1)], "{code}");
            let applied = c.apply(&welcome(vec![summary(a, ConversationState::Active)]));
            assert_eq!(applied.resend, vec![frame], "{code}");
        }
    }

    #[test]
    fn others_typing_shows_until_they_send_and_my_own_is_ignored() {
        let a = conv(1);
        let mut c = agent_with(a, &[]);
        let typing = |who: Participant, name: &str, typing: bool| ServerMsg::Typing {
            conversation_id: a,
            author: Author {
                participant: who,
                name: name.into(),
            },
            typing,
        };
        c.apply(&typing(agent(), "Ann", true));
        assert_eq!(c.get(a).unwrap().typing, vec![]);
        c.apply(&typing(visitor(), "Vera", true));
        c.apply(&typing(visitor(), "Vera", true));
        assert_eq!(
            c.get(a).unwrap().typing,
            vec![(visitor(), "Vera".to_owned())]
        );
        c.apply(&live(a, entry(1, visitor())));
        assert_eq!(c.get(a).unwrap().typing, vec![]);
        c.apply(&typing(visitor(), "Vera", true));
        c.apply(&typing(visitor(), "Vera", false));
        assert_eq!(c.get(a).unwrap().typing, vec![]);
    }

    #[test]
    fn the_place_in_the_queue_is_forgotten_once_the_chat_is_taken() {
        let a = conv(1);
        let mut c = Conversations::new(None);
        c.apply(&welcome(vec![summary(a, ConversationState::Queued)]));
        c.apply(&ServerMsg::QueuePosition {
            conversation_id: a,
            position: 2,
        });
        assert_eq!(c.get(a).unwrap().queue_position, Some(2));
        c.apply(&ServerMsg::Conversation {
            conversation: summary(a, ConversationState::Queued),
        });
        assert_eq!(c.get(a).unwrap().queue_position, Some(2), "still waiting");
        c.apply(&ServerMsg::Conversation {
            conversation: summary(a, ConversationState::Active),
        });
        assert_eq!(c.get(a).unwrap().queue_position, None);
    }

    #[test]
    fn everyone_who_took_part_stays_known_by_their_latest_name() {
        let a = conv(1);
        let mut c = agent_with(a, &[]);
        let mut renamed = summary(a, ConversationState::Active);
        renamed.participants = vec![person(visitor(), "Vera B."), person(agent(), "Ann")];
        c.apply(&ServerMsg::Conversation {
            conversation: renamed,
        });
        let mut left = summary(a, ConversationState::Closed);
        left.participants = vec![person(agent(), "Ann")];
        c.apply(&ServerMsg::Conversation { conversation: left });

        let view = c.get(a).unwrap();
        assert!(!view.has_member(Some(visitor())));
        assert!(view.is_closed());
        assert_eq!(
            view.known,
            vec![person(visitor(), "Vera B."), person(agent(), "Ann")]
        );
    }

    #[test]
    fn an_earlier_conversation_is_kept_first_until_the_server_names_it() {
        let (group, direct) = (conv(1), conv(2));
        let mut c = Conversations::new(None);
        c.apply(&welcome(vec![summary(group, ConversationState::Active)]));
        assert!(c.keep_earlier(direct), "new here: sync it from 0");
        assert!(!c.keep_earlier(direct));
        assert!(!c.keep_earlier(group));
        assert_eq!(c.views()[0].summary.id, direct);
        assert!(c.views()[0].earlier && c.views()[0].is_closed());
        c.apply(&history(direct, vec![entry(1, agent())], false));
        assert_eq!(seqs(&c, direct), vec![1]);

        c.apply(&ServerMsg::Conversation {
            conversation: summary(direct, ConversationState::Active),
        });
        assert!(!c.get(direct).unwrap().earlier);
    }

    #[test]
    fn unread_counts_until_read_and_a_removed_conversation_is_gone() {
        let a = conv(1);
        let mut c = agent_with(a, &[]);
        c.add_unread(a);
        c.add_unread(a);
        assert_eq!(c.get(a).unwrap().unread, 2);
        c.mark_read(a);
        assert_eq!(c.get(a).unwrap().unread, 0);
        c.remove(a);
        assert!(c.views().is_empty());
    }

    #[test]
    fn frames_about_other_things_change_nothing() {
        let a = conv(1);
        let mut c = agent_with(a, &[1]);
        let before = c.clone();
        let applied = c.apply(&ServerMsg::QueueRemoved { conversation_id: a });
        assert_eq!(applied, Applied::default());
        assert_eq!(c, before);
    }
}
