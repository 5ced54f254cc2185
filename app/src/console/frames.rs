//! What the console does about each server frame, once the session's store took
//! it in ([`crate::chat_session`]): the lists of visitors, agents, the queue,
//! invitations and offline messages; unread counts and alerts for new messages;
//! which conversation opens.

use super::{upsert_by, Desk, View, ACTIVE_KEY};
use crate::browser;
use crate::conversations::Applied;
use crate::ids::{ConversationId, Participant};
use crate::protocol::{AgentStatus, InvitationState, Me, ServerMsg};
use leptos::prelude::*;

impl Desk {
    pub fn on_server_msg(&self, msg: ServerMsg, applied: Applied) {
        let desk = *self;
        for (conversation_id, message) in &applied.incoming {
            let seen = desk.active.get_untracked() == Some(*conversation_id)
                && desk.view.get_untracked() == View::Chats
                && !browser::page_hidden();
            if !seen {
                desk.session.store.add_unread(*conversation_id);
                desk.alerts
                    .new_message(desk.lang, *conversation_id, message);
            }
        }
        match msg {
            ServerMsg::Welcome {
                me, conversations, ..
            } => {
                if let Me::Agent { status: s, .. } = me {
                    desk.status.set(s);
                }
                desk.welcomes.update(|n| *n += 1);
                // After a reload: the conversation that was open, else the first.
                if desk.active.get_untracked().is_none() {
                    let remembered = browser::session_get(ACTIVE_KEY)
                        .and_then(|id| id.parse::<ConversationId>().ok())
                        .filter(|id| conversations.iter().any(|c| c.id == *id));
                    desk.open(remembered.or(conversations.first().map(|c| c.id)));
                }
            }
            ServerMsg::Visitors {
                visitors: all,
                on_site,
                matching,
            } => {
                desk.visitors.set(all);
                desk.visitor_counts.set((on_site, matching));
            }
            ServerMsg::VisitorTotals { on_site, matching } => {
                desk.visitor_counts.set((on_site, matching))
            }
            // Kept in the order of the visits, as the server lists them: a visit
            // that comes into the list (others left) goes where it began.
            ServerMsg::VisitorUpdated { visitor } => desk.visitors.update(|list| {
                list.retain(|v| v.id != visitor.id);
                let key = |v: &crate::protocol::VisitorInfo| (v.visit_started_ms, v.id);
                let at = list.partition_point(|v| key(v) < key(&visitor));
                list.insert(at, visitor);
            }),
            ServerMsg::VisitorLeft { visitor_id, gone } => {
                desk.visitors
                    .update(|list| list.retain(|v| v.id != visitor_id));
                // Only out of the page: a pick made meanwhile keeps them followed.
                if gone {
                    desk.picked_visitors
                        .update(|p| p.retain(|v| *v != visitor_id));
                }
            }
            ServerMsg::Agents { agents: all } => desk.agents.set(all),
            ServerMsg::AgentUpdated { agent } => {
                if agent.id == desk.me {
                    desk.status.set(agent.status);
                }
                if agent.status != AgentStatus::Online {
                    desk.picked_agents.update(|p| p.retain(|a| *a != agent.id));
                }
                desk.agents
                    .update(|list| upsert_by(list, agent.clone(), |a| a.id == agent.id))
            }
            ServerMsg::Invitation { invitation } => {
                desk.invitations
                    .update(|list| list.retain(|i| i.id != invitation.id));
                if invitation.state == InvitationState::Pending {
                    desk.alerts.invitation(desk.lang, &invitation);
                    desk.invitations.update(|list| list.push(invitation));
                }
            }
            ServerMsg::Queue { items } => desk.queue.set(items),
            ServerMsg::QueueAdded { item } => {
                // A new chat, or one routing just offered to this agent, rings;
                // an offer moving elsewhere does not.
                let before = desk.queue.with_untracked(|list| {
                    list.iter()
                        .find(|q| q.conversation_id == item.conversation_id)
                        .map(|q| q.offered_to)
                });
                let offered_now = item.offered_to == Some(desk.me);
                if before.is_none() || (offered_now && before != Some(Some(desk.me))) {
                    desk.alerts.queued(desk.lang, &item);
                }
                desk.queue.update(|list| {
                    upsert_by(list, item.clone(), |q| {
                        q.conversation_id == item.conversation_id
                    })
                })
            }
            ServerMsg::QueueRemoved { conversation_id } => desk
                .queue
                .update(|list| list.retain(|q| q.conversation_id != conversation_id)),
            ServerMsg::OfflineMessageReceived { message } => {
                desk.offline.update(|list| list.insert(0, message))
            }
            ServerMsg::OfflineMessageUpdated { message } => desk
                .offline
                .update(|list| upsert_by(list, message.clone(), |m| m.id == message.id)),
            ServerMsg::Conversation { conversation } => {
                let id = conversation.id;
                let mine = conversation
                    .participants
                    .iter()
                    .any(|p| p.participant == Participant::Agent(desk.me));
                if mine && desk.focus_next.get_untracked() == Some(id) {
                    // The agent took it (or agreed to it): open it, ready to answer.
                    desk.focus_next.set(None);
                    desk.open(Some(id));
                    desk.focus_composer.set(true);
                } else if mine && desk.active.get_untracked().is_none() {
                    desk.open(Some(id));
                }
            }
            ServerMsg::Error {
                code,
                conversation_id,
                ..
            } => {
                // A chat someone else took (the news of it may come late, from
                // another node): it is no longer in the queue.
                if code == crate::error::ErrorCode::AlreadyTaken {
                    desk.queue
                        .update(|list| list.retain(|q| Some(q.conversation_id) != conversation_id));
                }
                desk.error.set(Some(code.into()))
            }
            _ => {}
        }
    }
}
