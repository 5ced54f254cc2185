//! Webhooks against the real server and a real receiver on loopback: every
//! event arrives at least once and signed, through failures on purpose, a
//! receiver that goes away and comes back, an address refused as private, a
//! redelivery, and a kill -9 between commit and delivery.

mod support;

use app::api::TransferTarget;
use app::protocol::{AgentStatus, ClientMsg, InvitationState, ServerMsg};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use server::chat::api_tokens::add_api_token;
use server::store::ApiScope;
use server::webhooks::delivery::verify;
use server::webhooks::events::EVENT_NAMES;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{msg_id, token, TestServer};

const SECRET: &str = "whsec_0123456789abcdef";

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    path: String,
    event: String,
    event_id: String,
    body: Value,
    signed: bool,
}

#[derive(Default)]
struct Inbox {
    received: Mutex<Vec<Received>>,
    /// Answer 500 to this many requests first.
    fail_first: Mutex<usize>,
}

async fn receive(
    State(inbox): State<Arc<Inbox>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let now = server::clock::now_ms() / 1000;
    let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    inbox.received.lock().unwrap().push(Received {
        path: uri.path().to_owned(),
        event: header("x-chat-event"),
        event_id: header("x-chat-event-id"),
        signed: verify(SECRET, &header("x-chat-signature"), &body, now, 300),
        body: parsed,
    });
    let mut fail = inbox.fail_first.lock().unwrap();
    if *fail > 0 {
        *fail -= 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    StatusCode::NO_CONTENT
}

/// A receiver listening on `addr` until aborted.
async fn listen(addr: SocketAddr, inbox: Arc<Inbox>) -> tokio::task::JoinHandle<()> {
    let app = axum::Router::new()
        .fallback(axum::routing::post(receive))
        .with_state(inbox);
    let listener = loop {
        // The port of a receiver that went away may take a moment to free.
        match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => break listener,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    })
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

async fn api(
    base: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (reqwest::StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn every_event_arrives_signed_at_least_once_through_failures_and_a_receiver_gone_away() {
    let ts = TestServer::start_configured(|config| {
        config.webhook_timing.first_retry = Duration::from_millis(100);
        config.webhook_timing.longest_retry = Duration::from_millis(400);
    })
    .await;
    let store = ts.server.chat.store().clone();
    let (_, write) = add_api_token(store.as_ref(), "crm", ApiScope::Write)
        .await
        .unwrap();
    let base = ts.url("");
    let inbox = Arc::new(Inbox::default());
    *inbox.fail_first.lock().unwrap() = 3;
    let addr = free_addr();
    let receiver = listen(addr, inbox.clone()).await;

    // Registering checks what it is given.
    let all: Vec<&str> = EVENT_NAMES.to_vec();
    for (bad, why) in [
        (
            json!({"url": "ftp://x", "secret": SECRET, "events": all}),
            "url",
        ),
        (
            json!({"url": format!("http://{addr}/"), "secret": "short", "events": all}),
            "secret",
        ),
        (
            json!({"url": format!("http://{addr}/"), "secret": SECRET, "events": ["nope"]}),
            "nope",
        ),
        (
            json!({"url": format!("http://{addr}/"), "secret": SECRET, "events": []}),
            "events",
        ),
    ] {
        let (status, body) = api(
            &base,
            &write,
            reqwest::Method::POST,
            "/api/v1/webhooks",
            Some(bad),
        )
        .await;
        assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "invalid_field");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(why),
            "{body}"
        );
    }
    let (status, endpoint) = api(
        &base,
        &write,
        reqwest::Method::POST,
        "/api/v1/webhooks",
        Some(json!({"url": format!("http://{addr}/hooks"), "secret": SECRET, "events": all, "allow_private": true})),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{endpoint}");
    assert!(
        endpoint.get("secret").is_none(),
        "the secret is never shown back"
    );
    let endpoint_id = endpoint["id"].as_str().unwrap().to_owned();
    // Without an admin's leave, a loopback address is refused: never contacted.
    let (_, guarded) = api(
        &base,
        &write,
        reqwest::Method::POST,
        "/api/v1/webhooks",
        Some(json!({"url": format!("http://{addr}/guarded"), "secret": SECRET, "events": ["message.created"]})),
    )
    .await;
    let guarded_id = guarded["id"].as_str().unwrap().to_owned();

    // Things happen: a chat, a group with an invitation answered and one that
    // expires, a transfer, a rating, an offline message, a close.
    ts.add_agent("ann", "Ann").await;
    ts.add_agent("bob", "Bob").await;
    ts.add_agent("cy", "Cy").await;
    let mut ann = ts.agent("ann").await;
    let mut bob = ts.agent("bob").await;
    let mut cy = ts.agent("cy").await;
    let (mut visitor, direct) = support::chatting(&ts, &mut ann, 1, "Hello?").await;
    let ann_record = store.agent_by_username("ann").await.unwrap().unwrap();
    let bob_record = store.agent_by_username("bob").await.unwrap().unwrap();
    let cy_record = store.agent_by_username("cy").await.unwrap().unwrap();
    let group = ts
        .server
        .chat
        .request_conversation(&ann_record, &[], &[bob_record.id, cy_record.id])
        .await
        .unwrap();
    let ServerMsg::Invitation { invitation } = bob
        .expect(|m| matches!(m, ServerMsg::Invitation { invitation } if invitation.state == InvitationState::Pending))
        .await
    else {
        unreachable!()
    };
    bob.send(&ClientMsg::AcceptInvitation {
        invitation_id: invitation.id,
    })
    .await;

    // The receiver goes away while more happens.
    until("the first deliveries", || {
        inbox.received.lock().unwrap().len() >= 4
    })
    .await;
    receiver.abort();
    let _ = receiver.await;
    cy.send(&ClientMsg::SetStatus {
        status: AgentStatus::Offline,
    })
    .await;
    ann.send(&ClientMsg::Send {
        conversation_id: group,
        client_msg_id: msg_id(),
        text: "Bob, a word?".into(),
    })
    .await;
    ts.server
        .chat
        .transfer(
            &ann_record,
            direct,
            TransferTarget::Agent(bob_record.id),
            "",
            false,
        )
        .await
        .unwrap();
    visitor
        .send(&ClientMsg::Rate {
            conversation_id: direct,
            good: true,
            comment: "quick".into(),
        })
        .await;
    visitor
        .expect(|m| matches!(m, ServerMsg::Rated { .. }))
        .await;
    let (status, _) = api(
        &base,
        &write,
        reqwest::Method::POST,
        &format!("/api/v1/conversations/{direct}/close"),
        None,
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let mut late = ts.visitor(&token(2), "/demo/contact").await;
    for agent in [&mut ann, &mut bob] {
        agent
            .send(&ClientMsg::SetStatus {
                status: AgentStatus::Offline,
            })
            .await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    late.send(&ClientMsg::LeaveMessage {
        name: "Lee".into(),
        email: "lee@example.com".into(),
        text: "Call me back".into(),
    })
    .await;
    late.expect(|m| matches!(m, ServerMsg::OfflineMessageStored))
        .await;
    // Attempts fail meanwhile (nobody listens); then the receiver is back.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _receiver = listen(addr, inbox.clone()).await;

    // Every event in the outbox reaches the receiver, and all are delivered.
    let deliveries = || async {
        let (_, list) = api(
            &base,
            &write,
            reqwest::Method::GET,
            &format!("/api/v1/webhooks/{endpoint_id}/deliveries?limit=100"),
            None,
        )
        .await;
        list.as_array().unwrap().clone()
    };
    for _ in 0..200 {
        let list = deliveries().await;
        if list.len() >= 10 && list.iter().all(|d| d["state"] == "delivered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let list = deliveries().await;
    assert!(list.iter().all(|d| d["state"] == "delivered"), "{list:#?}");
    let received = inbox.received.lock().unwrap().clone();
    assert!(
        received.iter().all(|r| r.signed),
        "none unsigned: {received:#?}"
    );
    assert!(
        received.iter().all(|r| r.path == "/hooks"),
        "the guarded endpoint is never called"
    );
    assert!(received
        .iter()
        .all(|r| r.body["id"] == r.event_id.as_str() && r.body["event"] == r.event.as_str()));
    let got: BTreeSet<&str> = received.iter().map(|r| r.event_id.as_str()).collect();
    for delivery in &list {
        assert!(
            got.contains(delivery["event_id"].as_str().unwrap()),
            "{delivery}"
        );
    }
    let mut by_name: BTreeMap<&str, usize> = BTreeMap::new();
    for delivery in &list {
        *by_name
            .entry(delivery["event"].as_str().unwrap())
            .or_default() += 1;
    }
    for name in EVENT_NAMES {
        assert!(by_name.contains_key(name), "{name} in {by_name:?}");
    }
    // conversation.created twice (the chat and the group), each message once.
    assert_eq!(by_name["conversation.created"], 2);
    assert_eq!(by_name["message.created"], 2, "{by_name:?}");
    let failed_first: Vec<_> = list
        .iter()
        .filter(|d| {
            d["attempts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["status"] == 500)
        })
        .collect();
    assert_eq!(
        failed_first
            .iter()
            .map(|d| d["attempts"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["status"] == 500)
                .count())
            .sum::<usize>(),
        3
    );
    assert!(
        list.iter().any(|d| d["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["status"].is_null() && a["error"].is_string())),
        "an attempt while the receiver was away"
    );
    let message = received
        .iter()
        .find(|r| r.event == "message.created")
        .unwrap();
    assert_eq!(message.body["data"]["message"]["text"], "Hello?");
    assert_eq!(message.body["data"]["conversation_id"], direct.to_string());
    let expired = received
        .iter()
        .find(|r| r.event == "invitation.expired")
        .unwrap();
    assert_eq!(expired.body["data"]["invitation"]["invitee"]["name"], "Cy");

    // The guarded endpoint logs why it was refused, and never got through.
    let (_, guarded_list) = api(
        &base,
        &write,
        reqwest::Method::GET,
        &format!("/api/v1/webhooks/{guarded_id}/deliveries"),
        None,
    )
    .await;
    let attempt = &guarded_list[0]["attempts"][0];
    assert!(
        attempt["error"].as_str().unwrap().contains("private"),
        "{guarded_list}"
    );
    assert_eq!(guarded_list[0]["state"], "pending");

    // A redelivery sends the same event, with the same id, again.
    let event_id = list[0]["event_id"].as_str().unwrap().to_owned();
    let before = received.iter().filter(|r| r.event_id == event_id).count();
    let (status, _) = api(
        &base,
        &write,
        reqwest::Method::POST,
        &format!("/api/v1/webhooks/{endpoint_id}/deliveries/{event_id}/redeliver"),
        None,
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::ACCEPTED);
    until("the redelivery", || {
        inbox
            .received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.event_id == event_id)
            .count()
            > before
    })
    .await;
    let (status, _) = api(
        &base,
        &write,
        reqwest::Method::POST,
        &format!(
            "/api/v1/webhooks/{endpoint_id}/deliveries/{}/redeliver",
            uuid::Uuid::new_v4()
        ),
        None,
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND);

    // Removing the endpoint stops its deliveries.
    let (status, _) = api(
        &base,
        &write,
        reqwest::Method::DELETE,
        &format!("/api/v1/webhooks/{endpoint_id}"),
        None,
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    let (_, left) = api(
        &base,
        &write,
        reqwest::Method::GET,
        "/api/v1/webhooks",
        None,
    )
    .await;
    assert_eq!(left.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_kill_9_between_commit_and_delivery_loses_no_event() {
    use support::process::{database_url, ServerProcess, BIN};
    let dir = tempfile::tempdir().unwrap();
    let added = std::process::Command::new(BIN)
        .args(["api-token", "add", "crm", "--scope", "write"])
        .env("CHAT_DATABASE_URL", database_url(dir.path()))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let token_text = String::from_utf8(added.stdout).unwrap().trim().to_owned();
    let timing = |command: &mut std::process::Command| {
        command
            .env("CHAT_WEBHOOK_FIRST_RETRY_MS", "100")
            .env("CHAT_WEBHOOK_LEASE_MS", "500")
            .env("CHAT_RATE_LIMITS", "off");
    };
    let mut server = ServerProcess::start(dir.path(), timing).await;
    let base = format!("http://{}", server.addr);
    // Nobody listens there yet: every delivery waits in the outbox.
    let addr = free_addr();
    let (status, _) = api(
        &base,
        &token_text,
        reqwest::Method::POST,
        "/api/v1/webhooks",
        Some(json!({"url": format!("http://{addr}/"), "secret": SECRET, "events": ["offline_message.created"], "allow_private": true})),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::CREATED);
    let remote = support::Remote::new(server.addr);
    let mut texts = BTreeSet::new();
    for n in 0..20u8 {
        let mut visitor = remote.visitor(&token(n + 1)).await;
        let text = format!("offline message {n}");
        visitor
            .send(&ClientMsg::LeaveMessage {
                name: format!("V{n}"),
                email: format!("v{n}@example.com"),
                text: text.clone(),
            })
            .await;
        visitor
            .expect(|m| matches!(m, ServerMsg::OfflineMessageStored))
            .await;
        texts.insert(text);
    }
    server.kill();

    let inbox = Arc::new(Inbox::default());
    let _receiver = listen(addr, inbox.clone()).await;
    let _server = ServerProcess::start(dir.path(), timing).await;
    until("every offline message's event after the restart", || {
        let received = inbox.received.lock().unwrap();
        let got: BTreeSet<String> = received
            .iter()
            .filter(|r| r.signed && r.event == "offline_message.created")
            .map(|r| {
                r.body["data"]["offline_message"]["text"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        got == texts
    })
    .await;
}
