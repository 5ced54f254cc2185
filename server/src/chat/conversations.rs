//! Conversations: starting a chat, the queue, sending, resuming, leaving, and the
//! leave-a-message form.

use super::events::{Changed, Event};
use super::{ChatError, ChatService, Session};
use crate::clock::now_ms;
use crate::metrics::{Metrics, METRICS};
use crate::routing::{ConnId, Hole};
use crate::store::{AgentRecord, Departure, NewMessage, NewOfflineMessage, Refusal, StoreError};
use app::ids::{ConversationId, MessageId, Participant, VisitorId};
use app::protocol::{
    char_len, AgentStatus, Body, ConversationState, DisplayName, Handled, NameProblem,
    OfflineMessage, ServerMsg, Visibility, MAX_COMMENT_CHARS, MAX_EMAIL_CHARS, MAX_MESSAGE_CHARS,
    MAX_NAME_CHARS, SYNC_PAGE,
};
use std::sync::Arc;
use uuid::Uuid;

fn check_text(text: &str) -> Result<(), ChatError> {
    if text.trim().is_empty() {
        return Err(ChatError::EmptyMessage);
    }
    // No keyboard types it, and PostgreSQL cannot keep it in text: refused the
    // same on every store.
    if text.contains('\0') {
        return Err(ChatError::InvalidField("message"));
    }
    if char_len(text) > MAX_MESSAGE_CHARS {
        return Err(ChatError::TooLong {
            field: "message",
            max: MAX_MESSAGE_CHARS,
        });
    }
    Ok(())
}

/// A display name by the one rule ([`DisplayName`]), refused with the field named.
pub(super) fn display_name(name: &str) -> Result<DisplayName, ChatError> {
    DisplayName::parse(name).map_err(|problem| match problem {
        NameProblem::TooLong => ChatError::TooLong {
            field: "name",
            max: MAX_NAME_CHARS,
        },
        NameProblem::Blank | NameProblem::ControlCharacter => ChatError::InvalidField("name"),
    })
}

/// An e-mail address someone typed, without surrounding blanks, if it looks like one.
pub(crate) fn email_address(typed: &str) -> Option<String> {
    let email = typed.trim();
    (char_len(email) <= MAX_EMAIL_CHARS && is_plausible_email(email)).then(|| email.to_owned())
}

fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

impl ChatService {
    pub(super) async fn start_chat(
        self: &Arc<Self>,
        session: &Session,
        client_msg_id: MessageId,
        text: String,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let Session::Visitor {
            id: visitor_id,
            name,
        } = session
        else {
            return Err(ChatError::Forbidden);
        };
        check_text(&text)?;
        // A visitor has at most one open direct conversation (the store holds the
        // rule): a start that arrives again, from a resend after a reconnect or from
        // a second tab, lands in the open one, idempotently.
        let id = ConversationId(Uuid::new_v4());
        let visitor = crate::store::VisitorRecord {
            id: *visitor_id,
            name: name.clone(),
        };
        let first = NewMessage {
            id: client_msg_id,
            author: Some(session.author()),
            body: Body::Text { text: text.clone() },
            at_ms: now_ms(),
            visibility: Visibility::Everyone,
            file: None,
        };
        // The department chosen in the pre-chat form, else the one the page's
        // widget asks for, if the company has one of that id (the store
        // checks): otherwise the chat waits for anyone.
        let page = self.presence().visitor_info(*visitor_id).map(|v| v.page);
        let department = page
            .as_ref()
            .map(|p| p.department.clone())
            .filter(|d| !d.is_empty());
        // A website whose pre-chat form asks for consent: none, no chat.
        if let Some(page) = &page {
            if self.consent_needed(&page.url) && !self.presence().visitor_consented(*visitor_id) {
                return Err(ChatError::InvalidField("consent"));
            }
        }
        let order = self.stripe(id).lock().await;
        let appended = match self
            .store
            .create_direct(id, &visitor, department.as_deref(), first)
            .await
        {
            Ok(appended) => appended,
            Err(StoreError::Refused(Refusal::DirectChatOpen(open))) => {
                drop(order);
                return self.send(session, open, client_msg_id, text).await;
            }
            Err(err) => return Err(err.into()),
        };
        Metrics::count(&METRICS.messages, 1);
        self.announce(appended.changed);
        self.visitor_in_chat(*visitor_id, true);
        drop(order);
        self.announce_queue_positions().await;
        Ok(vec![ServerMsg::Ack {
            client_msg_id,
            conversation_id: id,
            seq: appended.seq,
        }])
    }

    pub(super) async fn send(
        &self,
        session: &Session,
        conversation_id: ConversationId,
        client_msg_id: MessageId,
        text: String,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        self.append_text(
            session,
            conversation_id,
            client_msg_id,
            text,
            Visibility::Everyone,
        )
        .await
    }

    /// An agent's internal note: an entry for agents only.
    pub(super) async fn send_note(
        &self,
        session: &Session,
        conversation_id: ConversationId,
        client_msg_id: MessageId,
        text: String,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        if session.agent_id().is_none() {
            return Err(ChatError::Forbidden);
        }
        self.append_text(
            session,
            conversation_id,
            client_msg_id,
            text,
            Visibility::Agents,
        )
        .await
    }

    pub(super) async fn append_text(
        &self,
        session: &Session,
        conversation_id: ConversationId,
        client_msg_id: MessageId,
        text: String,
        visibility: Visibility,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        check_text(&text)?;
        // No stripe lock here: the store batches appends across conversations, and a
        // lock held across the wait would keep the next message of this stripe out of
        // the batch. Routers put entries in order (`crate::routing`).
        let message = NewMessage {
            id: client_msg_id,
            author: Some(session.author()),
            body: Body::Text { text },
            at_ms: now_ms(),
            visibility,
            file: None,
        };
        let started = std::time::Instant::now();
        let appended = self
            .store
            .append(conversation_id, session.participant(), message)
            .await?;
        METRICS.store_latency.observe(started.elapsed());
        let seq = appended.seq;
        let stored = !appended.changed.is_empty();
        if stored {
            Metrics::count(&METRICS.messages, 1);
        }
        self.announce(appended.changed);
        if stored {
            METRICS.delivery_latency.observe(started.elapsed());
        }
        Ok(vec![ServerMsg::Ack {
            client_msg_id,
            conversation_id,
            seq,
        }])
    }

    pub(super) async fn typing(
        &self,
        session: &Session,
        conversation_id: ConversationId,
        typing: bool,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let participants = self
            .store
            .participants_if_member(conversation_id, session.participant())
            .await?
            .ok_or(ChatError::NotFound)?;
        let others: Vec<Participant> = participants
            .into_iter()
            .filter(|p| *p != session.participant())
            .collect();
        self.announce(Changed {
            events: vec![Event::Typing {
                conversation_id,
                author: session.author(),
                typing,
            }],
            recipients: others,
        });
        Ok(vec![])
    }

    /// Sends the entries after `after_seq`, then lets live entries flow to `conn`.
    /// No lock is needed: from `begin_sync` on, the router holds this conversation's
    /// live entries for `conn`, and once the history is in the outbox it sends those
    /// past its end, in order (a gap between them is repaired from the store).
    pub(super) async fn sync(
        &self,
        session: &Session,
        conn: ConnId,
        conversation_id: ConversationId,
        after_seq: u64,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let start = self.router.begin_sync(conn, conversation_id);
        let page = match self
            .store
            .messages_after(
                conversation_id,
                session.participant(),
                after_seq,
                SYNC_PAGE + 1,
            )
            .await
        {
            Ok(Some(page)) if after_seq <= page.last_seq => page,
            Ok(Some(_)) => {
                // The client knows of entries this server does not (a restored
                // backup): it must drop its copy and start again.
                self.router.abort_sync(conn, conversation_id, start);
                self.reply(conn, &ServerMsg::Reset { conversation_id });
                return Ok(vec![]);
            }
            Ok(None) => {
                self.router.abort_sync(conn, conversation_id, start);
                return Err(ChatError::NotFound);
            }
            Err(err) => {
                // Live entries flow again as before; the client may sync later.
                self.router.abort_sync(conn, conversation_id, start);
                return Err(err.into());
            }
        };
        let mut messages = page.messages;
        let more = messages.len() > SYNC_PAGE as usize;
        messages.truncate(SYNC_PAGE as usize);
        self.reply(
            conn,
            &ServerMsg::History {
                conversation_id,
                messages,
                more,
            },
        );
        if !more {
            self.router
                .mark_synced(conn, conversation_id, page.last_seq);
        }
        Ok(vec![])
    }

    /// Fills, from the store, the gaps that connections have waited on for longer
    /// than the repair delay: entries lost or late on the way (between nodes, or
    /// from a writer that lost a race), with each viewer's own visibility.
    pub(super) async fn repair_gaps(&self) {
        self.repair(self.router.holes(self.config.repair_after))
            .await;
    }

    /// The head check: every synced stream of this node's connections that is
    /// behind its conversation's newest entry is repaired from the store. Run
    /// when the broker may have lost envelopes, and now and then.
    pub async fn repair_tails(&self) -> Result<usize, ChatError> {
        let tails = self.router.tails();
        let mut ids: Vec<ConversationId> = tails.iter().map(|t| t.conversation).collect();
        ids.sort();
        ids.dedup();
        let heads: std::collections::HashMap<ConversationId, u64> = self
            .store
            .conversation_heads(&ids)
            .await?
            .into_iter()
            .collect();
        let behind: Vec<Hole> = tails
            .into_iter()
            .filter(|t| {
                heads
                    .get(&t.conversation)
                    .is_some_and(|head| *head > t.after_seq)
            })
            .collect();
        let count = behind.len();
        if count > 0 {
            tracing::info!(streams = count, "repairing streams behind the store");
        }
        self.repair(behind).await;
        Ok(count)
    }

    async fn repair(&self, holes: Vec<Hole>) {
        for hole in holes {
            let page = match self
                .store
                .messages_after(
                    hole.conversation,
                    hole.participant,
                    hole.after_seq,
                    SYNC_PAGE,
                )
                .await
            {
                Ok(Some(page)) => page,
                // Never a participant: nothing to send it, nothing to wait for.
                Ok(None) => {
                    self.router.forget(hole.conn, hole.conversation);
                    continue;
                }
                Err(err) => {
                    tracing::warn!(%err, conversation = %hole.conversation, "repairing a gap failed");
                    continue;
                }
            };
            let through = match page.messages.last() {
                Some(last) if page.messages.len() >= SYNC_PAGE as usize => last.seq,
                _ => page.last_seq,
            };
            tracing::debug!(conversation = %hole.conversation, after = hole.after_seq, through, "gap repaired from the store");
            let entries = page.messages.into_iter().map(|message| {
                let seq = message.seq;
                let frame = ServerMsg::Message {
                    conversation_id: hole.conversation,
                    message,
                };
                (seq, super::encode(&frame))
            });
            self.router.repair(&hole, entries, through);
        }
    }

    pub(super) async fn accept_chat(
        &self,
        session: &Session,
        conversation_id: ConversationId,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let agent = self.agent_record(session).await?;
        let _order = self.stripe(conversation_id).lock().await;
        let changed = self
            .store
            .accept_queued(conversation_id, &agent, now_ms())
            .await?;
        self.announce(changed);
        drop(_order);
        self.announce_queue_positions().await;
        Ok(vec![])
    }

    pub(super) async fn leave(
        &self,
        session: &Session,
        conversation_id: ConversationId,
        why: Departure,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let _order = self.stripe(conversation_id).lock().await;
        let changed = self
            .store
            .leave(conversation_id, session.participant(), why, now_ms())
            .await?;
        let closed = changed
            .conversation()
            .is_some_and(|c| c.state == ConversationState::Closed);
        let was_queued = changed
            .events
            .iter()
            .any(|e| matches!(e, Event::QueueRemoved(_)));
        let recipients = changed.recipients.clone();
        self.announce(changed);
        if was_queued {
            self.announce_queue_positions().await;
        } else {
            // Whoever left, or the agents of a chat that closed, have room now.
            self.reroute();
        }
        let visitors_out = recipients.iter().filter_map(|p| match p {
            Participant::Visitor(v) if closed || *p == session.participant() => Some(*v),
            Participant::Visitor(_) | Participant::Agent(_) => None,
        });
        for visitor in visitors_out.collect::<Vec<_>>() {
            let still_in = !self
                .store
                .conversations_of(Participant::Visitor(visitor))
                .await?
                .is_empty();
            self.visitor_in_chat(visitor, still_in);
        }
        Ok(vec![])
    }

    /// A read receipt: everyone in the conversation hears how far the reader got.
    /// Nobody is told of one from someone not (or no longer) in it, and neither is
    /// the sender: a window sends one as entries show, and the entry that shows
    /// may be the sender's own leaving.
    pub(super) async fn seen(
        &self,
        session: &Session,
        conversation_id: ConversationId,
        seq: u64,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        match self
            .store
            .mark_seen(conversation_id, session.participant(), seq)
            .await
        {
            Ok(changed) => self.announce(changed),
            Err(StoreError::Refused(Refusal::NotFound)) => {}
            Err(err) => return Err(err.into()),
        }
        Ok(vec![])
    }

    pub(super) async fn set_status(
        &self,
        session: &Session,
        status: AgentStatus,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let id = session.agent_id().ok_or(ChatError::Forbidden)?;
        self.store.set_agent_status(id, status).await?;
        let changed = self.presence().set_agent_status(id, status);
        if let Some(agent) = changed {
            self.announce_one(Event::Agent(agent));
        }
        self.announce_availability();
        if status == AgentStatus::Offline {
            self.expire_invitations_of(Participant::Agent(id)).await;
        }
        Ok(vec![])
    }

    pub(super) async fn set_visitor_name(
        &self,
        session: &mut Session,
        name: String,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let Session::Visitor { id, name: current } = session else {
            return Err(ChatError::Forbidden);
        };
        let name = display_name(&name)?.into_string();
        self.store.set_visitor_name(*id, &name).await?;
        *current = name.clone();
        if self.presence().visitor_renamed(*id, &name) {
            self.visitor_lists.mark_stale();
        }
        // The conversations the visitor is in show the new name to everyone in them.
        for conversation in self.store.conversations_of(session.participant()).await? {
            let recipients = conversation
                .participants
                .iter()
                .map(|p| p.participant)
                .collect();
            self.announce(Changed {
                events: vec![Event::Conversation(conversation)],
                recipients,
            });
        }
        Ok(vec![ServerMsg::NameChanged { name }])
    }

    /// The pre-chat form: the name (as `set_name`), the address, the chosen
    /// department (one the company has) and the consent, kept for this visit.
    pub(super) async fn pre_chat(
        &self,
        session: &mut Session,
        name: String,
        email: String,
        department: String,
        consent: bool,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let Session::Visitor { id, .. } = session else {
            return Err(ChatError::Forbidden);
        };
        let id = *id;
        let email = match email.trim() {
            "" => String::new(),
            given => email_address(given).ok_or(ChatError::InvalidField("email"))?,
        };
        let department = department.trim().to_owned();
        if !department.is_empty() && !self.department_exists(&department) {
            return Err(ChatError::InvalidField("department"));
        }
        let replies = match name.trim() {
            "" => Vec::new(),
            _ => self.set_visitor_name(session, name).await?,
        };
        if self
            .presence()
            .visitor_pre_chat(id, &email, &department, consent)
        {
            self.visitor_lists.mark_stale();
        }
        Ok(replies)
    }

    pub(super) async fn leave_message(
        &self,
        session: &Session,
        name: String,
        email: String,
        text: String,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let visitor_id = session.visitor_id().ok_or(ChatError::Forbidden)?;
        // What a person typed into the form: surrounding blanks go.
        let name = display_name(name.trim())?.into_string();
        let email = email_address(&email).ok_or(ChatError::InvalidField("email"))?;
        check_text(&text)?;
        let page_url = self.visitor_page_url(visitor_id);
        let message = self
            .store
            .add_offline_message(NewOfflineMessage {
                visitor_id: Some(visitor_id),
                name,
                email,
                body: text,
                page_url,
                at_ms: now_ms(),
            })
            .await?;
        self.announce_one(Event::OfflineMessageReceived(message));
        self.offline_message_left();
        Ok(vec![ServerMsg::OfflineMessageStored])
    }

    /// A visitor rates a conversation it took part in; agents hear of it, and the
    /// visitor is told it is kept.
    pub(super) async fn rate(
        &self,
        session: &Session,
        conversation_id: ConversationId,
        good: bool,
        comment: String,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let Session::Visitor { id, name } = session else {
            return Err(ChatError::Forbidden);
        };
        let comment = comment.trim();
        if char_len(comment) > MAX_COMMENT_CHARS {
            return Err(ChatError::TooLong {
                field: "comment",
                max: MAX_COMMENT_CHARS,
            });
        }
        let visitor = crate::store::VisitorRecord {
            id: *id,
            name: name.clone(),
        };
        let changed = self
            .store
            .rate(conversation_id, &visitor, good, comment, now_ms())
            .await?;
        let told: Vec<ServerMsg> = changed
            .events
            .iter()
            .filter_map(|event| match event {
                Event::Rated(rating) => Some(ServerMsg::Rated {
                    rating: rating.clone(),
                }),
                _ => None,
            })
            .collect();
        self.announce(changed);
        Ok(told)
    }

    /// An agent marks an offline message handled, or not handled again; every
    /// console hears of it.
    pub async fn set_offline_handled(
        &self,
        agent: &AgentRecord,
        id: MessageId,
        handled: bool,
    ) -> Result<OfflineMessage, ChatError> {
        let handled = handled.then(|| Handled {
            by_name: agent.name.clone(),
            at_ms: now_ms(),
        });
        let message = self
            .store
            .set_offline_handled(id, handled)
            .await?
            .ok_or(ChatError::NotFound)?;
        self.announce_one(Event::OfflineMessageUpdated(message.clone()));
        Ok(message)
    }

    /// Tells the visitors waiting in the queue their new place in it (among the
    /// chats of their department). Called after every change of the queue, which
    /// routing looks at too; one announcement at a time, each from a fresh read,
    /// so the last place a visitor hears is the true one.
    pub(super) async fn announce_queue_positions(&self) {
        self.reroute();
        let mut told = self.queue_places.lock().await;
        let queue = match self.store.queue().await {
            Ok(queue) => queue,
            Err(err) => {
                tracing::warn!(%err, "reading the queue for its positions failed");
                return;
            }
        };
        told.retain(|id, _| queue.iter().any(|item| item.conversation_id == *id));
        for (index, item) in queue.iter().enumerate() {
            let place = place_in_queue(&queue, index);
            if told.insert(item.conversation_id, place) == Some(place) {
                continue;
            }
            self.announce_one(Event::QueuePosition {
                conversation_id: item.conversation_id,
                visitor_id: item.visitor_id,
                position: place,
            });
        }
    }

    /// The place of a visitor's queued chat, if one waits.
    pub(super) async fn queue_position_of(
        &self,
        visitor: VisitorId,
    ) -> Result<Option<ServerMsg>, ChatError> {
        let queue = self.store.queue().await?;
        Ok(queue
            .iter()
            .position(|item| item.visitor_id == visitor)
            .map(|index| ServerMsg::QueuePosition {
                conversation_id: queue[index].conversation_id,
                position: place_in_queue(&queue, index),
            }))
    }
}

/// The place (from 1) of the queue's `index`th chat among the chats of its
/// department: those are the ones its department's agents take before it.
fn place_in_queue(queue: &[app::protocol::QueueItem], index: usize) -> u32 {
    let department = &queue[index].department;
    queue[..index]
        .iter()
        .filter(|item| item.department == *department)
        .count() as u32
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(is_plausible_email("ann@example.com"));
        assert!(!is_plausible_email("ann@localhost"));
        assert!(!is_plausible_email("@example.com"));
        assert!(!is_plausible_email("ann example@example.com"));
        assert!(!is_plausible_email("ann"));
    }

    #[test]
    fn text_must_be_non_blank_and_within_the_limit() {
        assert!(matches!(check_text("  \n"), Err(ChatError::EmptyMessage)));
        assert!(check_text(&"字".repeat(MAX_MESSAGE_CHARS)).is_ok());
        assert!(matches!(
            check_text(&"字".repeat(MAX_MESSAGE_CHARS + 1)),
            Err(ChatError::TooLong { .. })
        ));
        assert!(matches!(
            check_text("a\0b"),
            Err(ChatError::InvalidField("message"))
        ));
    }
}
