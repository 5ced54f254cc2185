//! Fault tests (b) and (d): connections dropped mid-stream again and again resume
//! without gaps or duplicates; a reader that stops reading is cut without holding
//! anyone back, and loses nothing once it resumes.

mod support;

use app::ids::ConversationId;
use app::protocol::{ClientMsg, InvitationState, ServerMsg};
use rand::Rng;
use serde_json::json;
use server::limits::Limits;
use std::time::{Duration, Instant};
use support::{msg_id, token, Client, TestServer};

/// A group conversation of ann (who will send), bob and two visitors, everyone joined.
/// Returns ann's client and the conversation.
async fn group(ts: &TestServer) -> (Client, ConversationId) {
    ts.add_agent("ann", "Ann").await;
    ts.add_agent("bob", "Bob").await;
    let (mut ann, cookie) = ts.agent_with_cookie("ann").await;
    let mut bob = ts.agent("bob").await;
    let mut v1 = ts.visitor(&token(1), "/demo").await;
    let mut v2 = ts.visitor(&token(2), "/demo").await;
    let agents = ts.server.chat.store().agents().await.unwrap();
    let bob_id = agents.iter().find(|a| a.username == "bob").unwrap().id;
    let mut visitors = Vec::new();
    while visitors.len() < 2 {
        if let ServerMsg::VisitorUpdated { visitor } = ann
            .expect(|m| matches!(m, ServerMsg::VisitorUpdated { .. }))
            .await
        {
            if !visitors.contains(&visitor.id) {
                visitors.push(visitor.id);
            }
        }
    }
    let (ok, body) = ts
        .call(
            &cookie,
            "request_conversation",
            json!({"visitors": visitors, "agents": [bob_id]}),
        )
        .await;
    assert!(ok, "{body}");
    let id: ConversationId = serde_json::from_str(&body).unwrap();
    for client in [&mut bob, &mut v1, &mut v2] {
        let ServerMsg::Invitation { invitation } = client
            .expect(|m| matches!(m, ServerMsg::Invitation { invitation } if invitation.state == InvitationState::Pending))
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
            .expect(
                |m| matches!(m, ServerMsg::Conversation { conversation } if conversation.id == id),
            )
            .await;
    }
    (ann, id)
}

/// Sends `n` messages one after another, each acknowledged; returns the last seq.
async fn send_all(
    mut sender: Client,
    id: ConversationId,
    n: usize,
    size: usize,
    pace: Duration,
) -> u64 {
    let mut last = 0;
    let started = Instant::now();
    for i in 0..n {
        let client_msg_id = msg_id();
        let stamp = format!("{i} {:?} ", Instant::now());
        let text = format!("{stamp}{}", "x".repeat(size.saturating_sub(stamp.len())));
        sender
            .send(&ClientMsg::Send {
                conversation_id: id,
                client_msg_id,
                text,
            })
            .await;
        let ServerMsg::Ack { seq, .. } = sender
            .expect(|m| matches!(m, ServerMsg::Ack { client_msg_id: acked, .. } if *acked == client_msg_id))
            .await
        else {
            unreachable!()
        };
        last = seq;
        tokio::time::sleep(pace).await;
    }
    eprintln!(
        "sent {n} messages of {size} bytes in {:?}",
        started.elapsed()
    );
    last
}

/// Connects as `who` without syncing anything yet.
async fn reconnect(ts: &TestServer, who: &Who) -> Client {
    let client = match who {
        Who::Agent(cookie) => {
            let request = support::socket_request(ts.server.addr, "/ws/agent", Some(cookie));
            let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
            Client::manual(ws)
        }
        Who::Visitor(n) => {
            let (ws, _) = tokio_tungstenite::connect_async(support::socket_request(
                ts.server.addr,
                "/ws/visitor",
                None,
            ))
            .await
            .unwrap();
            let mut client = Client::manual(ws);
            client
                .send(&ClientMsg::Hello {
                    token: Some(token(*n)),
                    page: Some(support::page("/demo")),
                    identity: None,
                })
                .await;
            client
        }
    };
    let mut client = client;
    client
        .expect(|m| matches!(m, ServerMsg::Welcome { .. }))
        .await;
    client
}

enum Who {
    /// An agent's session cookie.
    Agent(String),
    Visitor(u8),
}

/// Checks each entry as it arrives: exactly the next one, never a gap or a repeat.
fn take(last: &mut u64, msg: &ServerMsg, id: ConversationId, who: &str) {
    if let ServerMsg::Message {
        conversation_id,
        message,
    } = msg
    {
        if *conversation_id == id {
            assert_eq!(
                message.seq,
                *last + 1,
                "{who}: expected seq {}, got {}",
                *last + 1,
                message.seq
            );
            *last = message.seq;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_dropped_mid_stream_resume_without_gaps_or_duplicates() {
    // Writers send as fast as the server takes it, far above what the per-connection
    // rate limit lets a browser send; this test is about resume, not about limits.
    let ts = TestServer::start_with(Duration::from_secs(30), Limits::unlimited()).await;
    let (ann, id) = group(&ts).await;
    let sender = tokio::spawn(send_all(ann, id, 400, 40, Duration::from_millis(5)));

    let mut drops = 0;
    let bob = Who::Agent(ts.login("bob", support::PASSWORD).await.unwrap());
    let readers = [(bob, "bob"), (Who::Visitor(1), "v1")];
    let mut last = [0u64; 2];
    let mut final_seq = None;
    let mut sender = Some(sender);
    loop {
        for (i, (who, name)) in readers.iter().enumerate() {
            let mut client = reconnect(&ts, who).await;
            // Resume from the last entry seen (a visitor's window starts where it joined).
            client
                .send(&ClientMsg::Sync {
                    conversation_id: id,
                    after_seq: last[i],
                })
                .await;
            let until = tokio::time::Instant::now()
                + Duration::from_millis(rand::thread_rng().gen_range(5..60));
            while let Ok(Some(msg)) =
                tokio::time::timeout_at(until, client.try_next(Duration::from_secs(5))).await
            {
                if last[i] == 0 {
                    // The first entry a reader may see is where it joined.
                    if let ServerMsg::Message { message, .. } = &msg {
                        last[i] = message.seq - 1;
                    }
                }
                if let ServerMsg::History {
                    more: true,
                    messages,
                    ..
                } = &msg
                {
                    let after_seq = messages.last().map_or(last[i], |m| m.seq);
                    client
                        .send(&ClientMsg::Sync {
                            conversation_id: id,
                            after_seq,
                        })
                        .await;
                }
                take(&mut last[i], &msg, id, name);
            }
            drop(client);
            drops += 1;
        }
        if final_seq.is_none() && sender.as_ref().is_some_and(|s| s.is_finished()) {
            final_seq = Some(sender.take().unwrap().await.unwrap());
        }
        if let Some(end) = final_seq {
            if last.iter().all(|l| *l == end) {
                break;
            }
        }
    }
    eprintln!(
        "{drops} dropped connections; both readers got every entry up to {}",
        last[0]
    );
    assert!(
        drops > 10,
        "the test dropped too few connections to mean anything"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_stops_reading_is_cut_holds_nobody_back_and_loses_nothing() {
    const MESSAGES: usize = 2500;
    // Writers send as fast as the server takes it, far above what the per-connection
    // rate limit lets a browser send; this test is about resume, not about limits.
    let ts = TestServer::start_with(Duration::from_secs(30), Limits::unlimited()).await;
    let (ann, id) = group(&ts).await;

    // The slow reader: synced, then it stops reading.
    let mut slow = reconnect(&ts, &Who::Visitor(2)).await;
    slow.send(&ClientMsg::Sync {
        conversation_id: id,
        after_seq: 0,
    })
    .await;
    let mut slow_last = 0;
    let until = tokio::time::Instant::now() + Duration::from_millis(300);
    while let Ok(Some(msg)) =
        tokio::time::timeout_at(until, slow.try_next(Duration::from_secs(1))).await
    {
        if slow_last == 0 {
            if let ServerMsg::Message { message, .. } = &msg {
                slow_last = message.seq - 1;
            }
        }
        take(&mut slow_last, &msg, id, "slow");
    }

    // The fast reader.
    let bob = Who::Agent(ts.login("bob", support::PASSWORD).await.unwrap());
    let mut fast = reconnect(&ts, &bob).await;
    fast.send(&ClientMsg::Sync {
        conversation_id: id,
        after_seq: 0,
    })
    .await;
    let mut sender = tokio::spawn(send_all(ann, id, MESSAGES, 4000, Duration::ZERO));
    let mut fast_last = 0;
    let started = Instant::now();
    let end = loop {
        tokio::select! {
            done = &mut sender => break done.unwrap(),
            msg = fast.try_next(Duration::from_secs(10)) => {
                let Some(msg) = msg else {
                    panic!("the fast reader stalled after entry {fast_last}");
                };
                take(&mut fast_last, &msg, id, "fast");
            }
        }
    };
    while fast_last < end {
        let msg = fast.next().await;
        take(&mut fast_last, &msg, id, "fast");
    }
    eprintln!(
        "the fast reader got all {MESSAGES} entries in {:?} while the slow one read nothing",
        started.elapsed()
    );

    // The slow reader now reads what was buffered: the server cut it on the way.
    let mut cut = false;
    loop {
        match slow.try_next(Duration::from_secs(5)).await {
            Some(msg) => take(&mut slow_last, &msg, id, "slow"),
            None => {
                cut = true;
                break;
            }
        }
        if slow_last == end {
            break;
        }
    }
    assert!(
        cut && slow_last < end,
        "the slow reader was cut before the end (got {slow_last} of {end})"
    );

    // It resumes and gets exactly the rest.
    let mut slow = reconnect(&ts, &Who::Visitor(2)).await;
    slow.send(&ClientMsg::Sync {
        conversation_id: id,
        after_seq: slow_last,
    })
    .await;
    while slow_last < end {
        let msg = slow.next().await;
        if let ServerMsg::History {
            more: true,
            messages,
            ..
        } = &msg
        {
            // A full page: ask for the next one.
            let after_seq = messages.last().map_or(slow_last, |m| m.seq);
            slow.send(&ClientMsg::Sync {
                conversation_id: id,
                after_seq,
            })
            .await;
        }
        take(&mut slow_last, &msg, id, "slow");
    }
}

/// A node that stops (SIGTERM) drains: its load balancer's readiness check fails,
/// every open connection is closed with "server restarting" (1012) so that its
/// client reconnects to another node and resumes, and new ones are refused.
#[tokio::test]
async fn a_draining_node_closes_its_connections_for_a_restart_and_takes_no_new_ones() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let mut visitor = ts.visitor(&token(1), "/demo").await;
    let ready = reqwest::get(ts.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);

    ts.server.chat.drain();
    assert_eq!(visitor.expect_close().await, Some(1012));
    assert_eq!(ann.expect_close().await, Some(1012));
    let ready = reqwest::get(ts.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.text().await.unwrap(), "draining");
    // Still alive, for a process manager's liveness check.
    assert_eq!(
        reqwest::get(ts.url("/healthz")).await.unwrap().status(),
        200
    );
    match tokio_tungstenite::connect_async(support::socket_request(
        ts.server.addr,
        "/ws/visitor",
        None,
    ))
    .await
    {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503)
        }
        other => panic!("a draining node takes no new connection: {other:?}"),
    }
}
