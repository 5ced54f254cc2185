//! Conversations: starting a chat, the queue, sending, resuming, leaving, and the
//! leave-a-message form.

use super::{ChatError, ChatService, Session};
use crate::clock::now_ms;
use crate::routing::{Audience, ConnId};
use crate::store::AgentRecord;
use crate::store::{
    AcceptOutcome, Appended, Departure, LeaveOutcome, NewMessage, NewOfflineMessage,
};
use app::ids::{ConversationId, MessageId, Participant, VisitorId};
use app::protocol::{
    char_len, AgentStatus, Body, ConversationKind, ConversationState, Handled, OfflineMessage,
    QueueItem, ServerMsg, MAX_EMAIL_CHARS, MAX_MESSAGE_CHARS, MAX_NAME_CHARS, SYNC_PAGE,
};
use std::sync::Arc;
use uuid::Uuid;

fn check_text(text: &str) -> Result<(), ChatError> {
    if text.trim().is_empty() {
        return Err(ChatError::EmptyMessage);
    }
    if char_len(text) > MAX_MESSAGE_CHARS {
        return Err(ChatError::TooLong {
            field: "message",
            max: MAX_MESSAGE_CHARS,
        });
    }
    Ok(())
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
        // A visitor has at most one open direct conversation: a start that arrives
        // again (a resend after a reconnect) lands in the same one, idempotently.
        let open = self
            .store
            .conversations_of(session.participant())
            .await?
            .into_iter()
            .find(|c| c.kind == ConversationKind::Direct);
        if let Some(open) = open {
            return self.send(session, open.id, client_msg_id, text).await;
        }
        let id = ConversationId(Uuid::new_v4());
        let _order = self.stripe(id).lock().await;
        let visitor = crate::store::VisitorRecord {
            id: *visitor_id,
            name: name.clone(),
        };
        let first = NewMessage {
            id: client_msg_id,
            author: Some(session.author()),
            body: Body::Text { text: text.clone() },
            at_ms: now_ms(),
        };
        let (conversation, message) = self.store.create_direct(id, &visitor, first).await?;
        let visitor_only = Audience::Participants(vec![session.participant()]);
        self.publish(
            visitor_only.clone(),
            &ServerMsg::Conversation {
                conversation: conversation.clone(),
            },
        );
        self.publish(
            visitor_only,
            &ServerMsg::Message {
                conversation_id: id,
                message: message.clone(),
            },
        );
        self.publish(
            Audience::Agents,
            &ServerMsg::QueueAdded {
                item: QueueItem {
                    conversation_id: id,
                    visitor_id: *visitor_id,
                    visitor_name: name.clone(),
                    first_message: text,
                    since_ms: message.at_ms,
                },
            },
        );
        self.visitor_in_chat(*visitor_id, true);
        drop(_order);
        self.announce_queue_positions().await;
        Ok(vec![ServerMsg::Ack {
            client_msg_id,
            conversation_id: id,
            seq: message.seq,
        }])
    }

    pub(super) async fn send(
        &self,
        session: &Session,
        conversation_id: ConversationId,
        client_msg_id: MessageId,
        text: String,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        check_text(&text)?;
        let _order = self.stripe(conversation_id).lock().await;
        let message = NewMessage {
            id: client_msg_id,
            author: Some(session.author()),
            body: Body::Text { text },
            at_ms: now_ms(),
        };
        let seq = match self
            .store
            .append(conversation_id, session.participant(), message)
            .await?
        {
            Appended::Stored {
                message,
                recipients,
            } => {
                let seq = message.seq;
                self.publish(
                    Audience::Participants(recipients),
                    &ServerMsg::Message {
                        conversation_id,
                        message,
                    },
                );
                seq
            }
            Appended::Duplicate { seq } => seq,
            Appended::Conflict => return Err(ChatError::IdConflict),
            Appended::NotFound => return Err(ChatError::NotFound),
            Appended::Closed => return Err(ChatError::Closed),
        };
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
        self.publish(
            Audience::Participants(others),
            &ServerMsg::Typing {
                conversation_id,
                author: session.author(),
                typing,
            },
        );
        Ok(vec![])
    }

    /// Sends the entries after `after_seq`, then lets live entries flow to `conn`.
    /// Holding the conversation's write order meanwhile means nothing is published
    /// between reading the history and marking the connection synced: the client gets
    /// the gap, then live traffic, with no duplicate and nothing out of order.
    pub(super) async fn sync(
        &self,
        session: &Session,
        conn: ConnId,
        conversation_id: ConversationId,
        after_seq: u64,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let _order = self.stripe(conversation_id).lock().await;
        let page = self
            .store
            .messages_after(
                conversation_id,
                session.participant(),
                after_seq,
                SYNC_PAGE + 1,
            )
            .await?
            .ok_or(ChatError::NotFound)?;
        if after_seq > page.last_seq {
            // The client knows of entries this server does not (a restored backup):
            // it must drop its copy and start again.
            self.send_to(conn, &ServerMsg::Reset { conversation_id });
            return Ok(vec![]);
        }
        let mut messages = page.messages;
        let more = messages.len() > SYNC_PAGE as usize;
        messages.truncate(SYNC_PAGE as usize);
        self.send_to(
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

    pub(super) async fn accept_chat(
        &self,
        session: &Session,
        conversation_id: ConversationId,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let agent = self.agent_record(session).await?;
        let _order = self.stripe(conversation_id).lock().await;
        match self
            .store
            .accept_queued(conversation_id, &agent, now_ms())
            .await?
        {
            AcceptOutcome::Accepted {
                conversation,
                notice,
            } => {
                self.publish(
                    Audience::Agents,
                    &ServerMsg::QueueRemoved { conversation_id },
                );
                let members = Audience::Participants(
                    conversation
                        .participants
                        .iter()
                        .map(|p| p.participant)
                        .collect(),
                );
                self.publish(members.clone(), &ServerMsg::Conversation { conversation });
                self.publish(
                    members,
                    &ServerMsg::Message {
                        conversation_id,
                        message: notice,
                    },
                );
                drop(_order);
                self.announce_queue_positions().await;
                Ok(vec![])
            }
            AcceptOutcome::AlreadyTaken => Err(ChatError::AlreadyTaken),
            AcceptOutcome::NotFound => Err(ChatError::NotFound),
        }
    }

    pub(super) async fn leave(
        &self,
        session: &Session,
        conversation_id: ConversationId,
        why: Departure,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let _order = self.stripe(conversation_id).lock().await;
        let LeaveOutcome::Left {
            conversation,
            notices,
            recipients,
        } = self
            .store
            .leave(conversation_id, session.participant(), why, now_ms())
            .await?
        else {
            return Err(ChatError::NotFound);
        };
        let everyone = Audience::Participants(recipients.clone());
        for message in notices {
            self.publish(
                everyone.clone(),
                &ServerMsg::Message {
                    conversation_id,
                    message,
                },
            );
        }
        let closed = conversation.state == ConversationState::Closed;
        let was_queued = closed && !recipients.iter().any(|p| p.is_agent());
        self.publish(everyone, &ServerMsg::Conversation { conversation });
        if was_queued {
            self.publish(
                Audience::Agents,
                &ServerMsg::QueueRemoved { conversation_id },
            );
            self.announce_queue_positions().await;
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

    pub(super) async fn set_status(
        &self,
        session: &Session,
        status: AgentStatus,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let id = session.agent_id().ok_or(ChatError::Forbidden)?;
        self.store.set_agent_status(id, status).await?;
        let available_before = self.presence().agents_available();
        let changed = self.presence().set_agent_status(id, status);
        if let Some(agent) = changed {
            self.publish(Audience::Agents, &ServerMsg::AgentUpdated { agent });
        }
        self.announce_availability(available_before);
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
        // Stored exactly as chosen (clients trim what people type); blank names and
        // control characters, which would not show, are refused.
        if name.trim().is_empty() || name.chars().any(char::is_control) {
            return Err(ChatError::InvalidField("name"));
        }
        if char_len(&name) > MAX_NAME_CHARS {
            return Err(ChatError::TooLong {
                field: "name",
                max: MAX_NAME_CHARS,
            });
        }
        self.store.set_visitor_name(*id, &name).await?;
        *current = name.clone();
        if let Some(visitor) = self.presence().visitor_renamed(*id, &name) {
            self.publish(Audience::Agents, &ServerMsg::VisitorUpdated { visitor });
        }
        // The conversations the visitor is in show the new name to everyone in them.
        for conversation in self.store.conversations_of(session.participant()).await? {
            let members = conversation
                .participants
                .iter()
                .map(|p| p.participant)
                .collect();
            self.publish(
                Audience::Participants(members),
                &ServerMsg::Conversation { conversation },
            );
        }
        Ok(vec![ServerMsg::NameChanged { name }])
    }

    pub(super) async fn leave_message(
        &self,
        session: &Session,
        name: String,
        email: String,
        text: String,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let visitor_id = session.visitor_id().ok_or(ChatError::Forbidden)?;
        let name = name.trim().to_owned();
        let email = email.trim().to_owned();
        if name.is_empty() {
            return Err(ChatError::InvalidField("name"));
        }
        if char_len(&name) > MAX_NAME_CHARS {
            return Err(ChatError::TooLong {
                field: "name",
                max: MAX_NAME_CHARS,
            });
        }
        if char_len(&email) > MAX_EMAIL_CHARS || !is_plausible_email(&email) {
            return Err(ChatError::InvalidField("email"));
        }
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
        self.publish(
            Audience::Agents,
            &ServerMsg::OfflineMessageReceived { message },
        );
        Ok(vec![ServerMsg::OfflineMessageStored])
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
        self.publish(
            Audience::Agents,
            &ServerMsg::OfflineMessageUpdated {
                message: message.clone(),
            },
        );
        Ok(message)
    }

    /// Tells the visitors waiting in the queue their new place in it. Called after
    /// every change of the queue; one announcement at a time, each from a fresh
    /// read, so the last place a visitor hears is the true one.
    pub(super) async fn announce_queue_positions(&self) {
        let mut told = self.queue_places.lock().await;
        let queue = match self.store.queue().await {
            Ok(queue) => queue,
            Err(err) => {
                tracing::warn!(%err, "reading the queue for its positions failed");
                return;
            }
        };
        told.retain(|id, _| queue.iter().any(|item| item.conversation_id == *id));
        for (place, item) in queue.into_iter().enumerate() {
            let place = place as u32 + 1;
            if told.insert(item.conversation_id, place) == Some(place) {
                continue;
            }
            self.publish(
                Audience::Participants(vec![Participant::Visitor(item.visitor_id)]),
                &ServerMsg::QueuePosition {
                    conversation_id: item.conversation_id,
                    position: place,
                },
            );
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
            .map(|place| ServerMsg::QueuePosition {
                conversation_id: queue[place].conversation_id,
                position: place as u32 + 1,
            }))
    }
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
    }
}
