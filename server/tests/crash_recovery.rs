//! Fault test (a): kill -9 the server at random moments while several clients send,
//! in a group and in direct chats at once (so that the store's batches hold messages
//! of several conversations), restart it, and check that every acknowledged message
//! is present exactly once and in order for every participant.
//!
//! `CHAT_CRASH_CYCLES` sets the number of kill/restart cycles (20 by default; run
//! with 100 or more for a longer soak).

mod support;

use app::ids::{ConversationId, MessageId};
use app::protocol::{Body, ChatMessage, ClientMsg, InvitationState, ServerMsg};
use futures::{SinkExt, StreamExt};
use rand::Rng;
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;
use support::process::{self, ServerProcess};
use support::{msg_id, token, Client, PASSWORD};
use tokio_tungstenite::tungstenite::Message;

#[derive(Clone)]
enum Who {
    Agent { cookie: String },
    Visitor { token: String },
}

struct Peer {
    name: &'static str,
    who: Who,
    /// Where it sends.
    conversation: ConversationId,
    /// Every message this peer ever sent, by id: its text and, once acknowledged, its seq.
    sent: HashMap<MessageId, (String, Option<u64>)>,
    count: u32,
}

async fn connect(addr: std::net::SocketAddr, who: &Who) -> Option<Client> {
    match who {
        Who::Agent { cookie } => {
            let request = support::socket_request(addr, "/ws/agent", Some(cookie));
            let (ws, _) = tokio_tungstenite::connect_async(request).await.ok()?;
            Some(Client::manual(ws))
        }
        Who::Visitor { token } => {
            let (ws, _) = tokio_tungstenite::connect_async(support::socket_request(
                addr,
                "/ws/visitor",
                None,
            ))
            .await
            .ok()?;
            let mut client = Client::manual(ws);
            let hello = ClientMsg::Hello {
                token: Some(token.clone()),
                page: Some(support::page("/demo")),
                identity: None,
            };
            client
                .ws
                .send(Message::text(serde_json::to_string(&hello).unwrap()))
                .await
                .ok()?;
            Some(client)
        }
    }
}

/// Sends (first again every unacknowledged message, under its own id, then new ones)
/// until the connection breaks. Returns the peer with what was acknowledged.
async fn send_until_cut(mut peer: Peer, addr: std::net::SocketAddr) -> Peer {
    let conversation_id = peer.conversation;
    let Some(mut client) = connect(addr, &peer.who).await else {
        return peer;
    };
    let mut outbox: Vec<(MessageId, String)> = peer
        .sent
        .iter()
        .filter(|(_, (_, seq))| seq.is_none())
        .map(|(id, (text, _))| (*id, text.clone()))
        .collect();
    loop {
        let (id, text) = match outbox.pop() {
            Some(old) => old,
            None => {
                peer.count += 1;
                let text = format!("{} says {}", peer.name, peer.count);
                let id = msg_id();
                peer.sent.insert(id, (text.clone(), None));
                (id, text)
            }
        };
        let send = ClientMsg::Send {
            conversation_id,
            client_msg_id: id,
            text,
        };
        if client
            .ws
            .send(Message::text(serde_json::to_string(&send).unwrap()))
            .await
            .is_err()
        {
            return peer;
        }
        // Wait for this message's answer; anything else is skipped.
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(5), client.ws.next()).await;
            let text = match frame {
                Ok(Some(Ok(Message::Text(text)))) => text,
                Ok(Some(Ok(_))) => continue,
                // Closed, broken, or nothing for too long: the server is gone.
                _ => return peer,
            };
            match serde_json::from_str::<ServerMsg>(&text).unwrap() {
                ServerMsg::Ack {
                    client_msg_id, seq, ..
                } if client_msg_id == id => {
                    let entry = peer.sent.get_mut(&id).unwrap();
                    if let Some(earlier) = entry.1 {
                        assert_eq!(earlier, seq, "a resend must get the original seq");
                    }
                    entry.1 = Some(seq);
                    break;
                }
                ServerMsg::Error {
                    client_msg_id: Some(failed),
                    code,
                    ..
                } if failed == id => {
                    assert!(code.is_retryable(), "unexpected refusal {code}");
                    break;
                }
                _ => {}
            }
        }
    }
}

/// Everything `who` may read of the conversation, by repeated `sync`.
async fn history(
    addr: std::net::SocketAddr,
    who: &Who,
    conversation_id: ConversationId,
) -> Vec<ChatMessage> {
    let mut client = connect(addr, who).await.expect("connects");
    client
        .expect(|m| matches!(m, ServerMsg::Welcome { .. }))
        .await;
    client.history(conversation_id).await
}

/// Sets up ann (owner), bob, and two visitors in one group conversation, and three
/// more visitors each in a direct chat with ann.
async fn group(dir: &Path) -> Vec<Peer> {
    process::add_agent(dir, "ann", "Ann", PASSWORD);
    process::add_agent(dir, "bob", "Bob", PASSWORD);
    let server = ServerProcess::start(dir, |_| {}).await;
    let addr = server.addr;
    let cookie = support::Remote::new(addr).login("ann").await;
    let ann = Who::Agent {
        cookie: cookie.clone(),
    };
    let bob = Who::Agent {
        cookie: support::Remote::new(addr).login("bob").await,
    };
    let v1 = Who::Visitor { token: token(1) };
    let v2 = Who::Visitor { token: token(2) };
    let mut ann_client = connect(addr, &ann).await.unwrap();
    let ServerMsg::Agents { agents } = ann_client
        .expect(|m| matches!(m, ServerMsg::Agents { .. }))
        .await
    else {
        unreachable!()
    };
    let bob_id = agents.into_iter().find(|a| a.username == "bob").unwrap().id;
    let mut invitees = Vec::new();
    for who in [&v1, &v2, &bob] {
        invitees.push(connect(addr, who).await.unwrap());
    }
    let mut visitor_ids = Vec::new();
    while visitor_ids.len() < 2 {
        let ServerMsg::VisitorUpdated { visitor } = ann_client
            .expect(|m| matches!(m, ServerMsg::VisitorUpdated { .. }))
            .await
        else {
            unreachable!()
        };
        if !visitor_ids.contains(&visitor.id) {
            visitor_ids.push(visitor.id);
        }
    }
    let response = support::post(addr, "/api/request_conversation")
        .header("cookie", cookie)
        .json(&serde_json::json!({ "visitors": visitor_ids, "agents": [bob_id] }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let conversation_id: ConversationId =
        serde_json::from_str(&response.text().await.unwrap()).unwrap();
    for client in &mut invitees {
        let ServerMsg::Invitation { invitation } = client
            .expect(|m| {
                matches!(m, ServerMsg::Invitation { invitation }
                    if invitation.state == InvitationState::Pending)
            })
            .await
        else {
            unreachable!()
        };
        client
            .send(&ClientMsg::AcceptInvitation {
                invitation_id: invitation.id,
            })
            .await;
        client
            .expect(|m| {
                matches!(m, ServerMsg::Conversation { conversation }
                    if conversation.id == conversation_id)
            })
            .await;
    }
    let mut direct = Vec::new();
    for (n, name) in [(3, "v3"), (4, "v4"), (5, "v5")] {
        let who = Who::Visitor { token: token(n) };
        let mut visitor = connect(addr, &who).await.unwrap();
        let conversation_id =
            support::start_chat(&mut visitor, &format!("{name} says hello")).await;
        ann_client
            .send(&ClientMsg::AcceptChat { conversation_id })
            .await;
        ann_client
            .expect(|m| {
                matches!(m, ServerMsg::Conversation { conversation }
                    if conversation.id == conversation_id)
            })
            .await;
        direct.push((name, who, conversation_id));
    }
    drop(server);
    let peer = |name, who, conversation| Peer {
        name,
        who,
        conversation,
        sent: HashMap::new(),
        count: 0,
    };
    let mut peers = vec![
        peer("ann", ann, conversation_id),
        peer("bob", bob, conversation_id),
        peer("v1", v1, conversation_id),
        peer("v2", v2, conversation_id),
    ];
    for (name, who, conversation) in direct {
        peers.push(peer(name, who, conversation));
    }
    peers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_messages_survive_kill_9_exactly_once_and_in_order() {
    let cycles: usize = std::env::var("CHAT_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let (_tmp, dir) = process::temp_dir();
    let mut peers = group(&dir).await;

    for cycle in 0..cycles {
        let mut server = ServerProcess::start(&dir, |_| {}).await;
        let addr = server.addr;
        let tasks: Vec<_> = peers
            .drain(..)
            .map(|peer| tokio::spawn(send_until_cut(peer, addr)))
            .collect();
        let wait = rand::thread_rng().gen_range(50..400);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        server.kill();
        for task in tasks {
            peers.push(task.await.unwrap());
        }
        let acked: usize = peers
            .iter()
            .map(|p| p.sent.values().filter(|(_, seq)| seq.is_some()).count())
            .sum();
        eprintln!("cycle {cycle}: killed after {wait} ms; {acked} messages acknowledged so far");
    }

    // A last start: everything unacknowledged is sent again until acknowledged.
    let server = ServerProcess::start(&dir, |_| {}).await;
    for peer in peers.iter_mut() {
        while peer.sent.values().any(|(_, seq)| seq.is_none()) {
            let taken = std::mem::replace(
                peer,
                Peer {
                    name: peer.name,
                    who: peer.who.clone(),
                    conversation: peer.conversation,
                    sent: HashMap::new(),
                    count: 0,
                },
            );
            let mut done = resend_only(taken, server.addr).await;
            std::mem::swap(peer, &mut done);
        }
    }

    let mut reference: HashMap<ConversationId, Vec<ChatMessage>> = HashMap::new();
    for peer in &peers {
        let seen = history(server.addr, &peer.who, peer.conversation).await;
        // Gap-free and in order.
        for pair in seen.windows(2) {
            assert_eq!(
                pair[1].seq,
                pair[0].seq + 1,
                "{}: a gap or disorder",
                peer.name
            );
        }
        // Every message sent to this conversation exactly once, under the seq it was
        // acknowledged with.
        let mut by_id: HashMap<MessageId, &ChatMessage> = HashMap::new();
        for m in &seen {
            assert!(
                by_id.insert(m.id, m).is_none(),
                "{}: {} twice",
                peer.name,
                m.id
            );
        }
        for author in peers.iter().filter(|a| a.conversation == peer.conversation) {
            for (id, (text, seq)) in &author.sent {
                let stored = by_id
                    .get(id)
                    .unwrap_or_else(|| panic!("{}: lost {text:?}", peer.name));
                assert_eq!(Some(stored.seq), *seq, "{text:?} moved");
                assert_eq!(stored.body, Body::Text { text: text.clone() });
            }
        }
        // Everyone reads the same sequence (visitors from where they joined).
        match reference.get(&peer.conversation) {
            None => {
                reference.insert(peer.conversation, seen);
            }
            Some(all) => {
                let offset = all.iter().position(|m| m.seq == seen[0].seq).unwrap();
                assert_eq!(
                    &all[offset..],
                    &seen[..],
                    "{} reads another sequence",
                    peer.name
                );
            }
        }
    }
    let total: usize = peers.iter().map(|p| p.sent.len()).sum();
    eprintln!("{cycles} kill -9 cycles: {total} messages, all present exactly once");
    assert!(total > cycles, "the test sent too little to mean anything");
}

/// Sends the unacknowledged messages again until each is acknowledged.
async fn resend_only(mut peer: Peer, addr: std::net::SocketAddr) -> Peer {
    let conversation_id = peer.conversation;
    let mut client = connect(addr, &peer.who).await.expect("connects");
    let pending: Vec<(MessageId, String)> = peer
        .sent
        .iter()
        .filter(|(_, (_, seq))| seq.is_none())
        .map(|(id, (text, _))| (*id, text.clone()))
        .collect();
    for (id, text) in pending {
        client
            .send(&ClientMsg::Send {
                conversation_id,
                client_msg_id: id,
                text,
            })
            .await;
        let ServerMsg::Ack { seq, .. } = client
            .expect(|m| matches!(m, ServerMsg::Ack { client_msg_id, .. } if *client_msg_id == id))
            .await
        else {
            unreachable!()
        };
        peer.sent.get_mut(&id).unwrap().1 = Some(seq);
    }
    peer
}

/// SIGTERM (what a service manager or an orchestrator sends) drains the node: its
/// connections are closed with "server restarting" (1012), so that clients
/// reconnect elsewhere, and the process then exits cleanly.
#[tokio::test]
async fn sigterm_closes_connections_for_a_restart_and_exits() {
    let (_dir, dir) = process::temp_dir();
    let mut server = ServerProcess::start(&dir, |_| {}).await;
    let (ws, _) =
        tokio_tungstenite::connect_async(support::socket_request(server.addr, "/ws/visitor", None))
            .await
            .unwrap();
    let mut visitor = Client::manual(ws);
    visitor
        .send(&ClientMsg::Hello {
            token: Some(token(1)),
            page: Some(support::page("/demo")),
            identity: None,
        })
        .await;
    visitor
        .expect(|m| matches!(m, ServerMsg::Welcome { .. }))
        .await;

    // SAFETY: kill has no memory effects; the pid is our own child's.
    assert_eq!(unsafe { libc::kill(server.pid() as i32, libc::SIGTERM) }, 0);
    assert_eq!(visitor.expect_close().await, Some(1012));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not exit"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
}
