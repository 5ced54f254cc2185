//! A visitor's data on request, through the real server: an admin finds the
//! visitor, downloads their export (others may not), cannot delete it while
//! they chat, deletes it once the chat ended (their message becomes a
//! tombstone, the agent's stays), and sets the retention period, which then
//! deletes the closed conversation once it is old enough.

mod support;

use app::api::{PastEntries, VisitorDeleted, VisitorFound};
use app::protocol::{AgentRole, Body, ClientMsg, Notice, ServerMsg};
use serde_json::json;
use std::time::Duration;
use support::{chatting, msg_id, TestServer, PASSWORD};

#[tokio::test]
async fn an_admin_exports_and_deletes_a_visitor_s_data_and_sets_the_retention() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_account("root", "Rita", AgentRole::Admin).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let (mut visitor, id) = chatting(&ts, &mut ann, 1, "I live at 1 Elm Street").await;
    ann.send(&ClientMsg::Send {
        conversation_id: id,
        client_msg_id: msg_id(),
        text: "noted".into(),
    })
    .await;
    visitor
        .expect(|m| matches!(m, ServerMsg::Message { message, .. } if message.author.as_ref().is_some_and(|a| a.name == "Ann")))
        .await;

    let admin = ts.login("root", PASSWORD).await.unwrap();
    let name = ts.visitor_name(1).await;
    let (ok, answer) = ts
        .call(&admin, "admin/find_visitors", json!({ "query": name }))
        .await;
    assert!(ok, "{answer}");
    let found: Vec<VisitorFound> = serde_json::from_str(&answer).unwrap();
    assert_eq!(found.len(), 1, "{answer}");
    let visitor_id = found[0].id;
    let (ok, answer) = ts
        .call(&admin, "admin/find_visitors", json!({ "query": "  " }))
        .await;
    assert!(!ok && answer.contains("invalid_field"), "{answer}");

    // The export, for admins only.
    let client = reqwest::Client::new();
    let export = |path: String, cookie: &str| {
        client
            .get(ts.url(&path))
            .header("cookie", cookie.to_owned())
            .send()
    };
    let path = format!("/visitors/{visitor_id}/export.json");
    let response = export(path.clone(), &admin).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(&format!("visitor-{visitor_id}.json")));
    let data: serde_json::Value = response.json().await.unwrap();
    assert_eq!(data["visitor"]["name"], name.as_str());
    let entries = data["conversations"][0]["entries"].as_array().unwrap();
    assert_eq!(entries[0]["body"]["text"], "I live at 1 Elm Street");
    assert_eq!(entries[0]["by_visitor"], true);
    assert!(entries.iter().any(|e| e["body"]["text"] == "noted"));
    let plain = ts.login("ann", PASSWORD).await.unwrap();
    assert_eq!(export(path.clone(), &plain).await.unwrap().status(), 403);
    assert_eq!(export(path.clone(), "").await.unwrap().status(), 401);
    assert_eq!(
        export("/visitors/not-an-id/export.json".into(), &admin)
            .await
            .unwrap()
            .status(),
        400
    );
    let (ok, answer) = ts
        .call(&plain, "admin/delete_visitor", json!({ "id": visitor_id }))
        .await;
    assert!(!ok && answer.contains("forbidden"), "{answer}");

    // Not while they chat; then, once they left, every trace of them.
    let (ok, answer) = ts
        .call(&admin, "admin/delete_visitor", json!({ "id": visitor_id }))
        .await;
    assert!(
        !ok && answer.contains("bad_request") && answer.contains("open conversation"),
        "{answer}"
    );
    visitor
        .send(&ClientMsg::Leave {
            conversation_id: id,
        })
        .await;
    let deadline = std::time::Instant::now() + support::WAIT;
    let deleted: VisitorDeleted = loop {
        let (ok, answer) = ts
            .call(&admin, "admin/delete_visitor", json!({ "id": visitor_id }))
            .await;
        if ok {
            break serde_json::from_str(&answer).unwrap();
        }
        assert!(std::time::Instant::now() < deadline, "{answer}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(deleted.messages, 1);
    assert_eq!(deleted.conversations, 1);
    assert_eq!(export(path, &admin).await.unwrap().status(), 404);
    let (ok, answer) = ts
        .call(&admin, "past_entries", json!({ "id": id, "after_seq": 0 }))
        .await;
    assert!(ok, "{answer}");
    let past: PastEntries = serde_json::from_str(&answer).unwrap();
    let first = &past.messages[0];
    assert_eq!(
        (first.seq, &first.body),
        (1, &Body::Notice(Notice::Deleted))
    );
    assert!(past.messages.iter().any(|e| e.body
        == Body::Text {
            text: "noted".into()
        }));

    // The retention period: out of range refused; 30 days delete the closed
    // conversation once it is 30 days old, not before.
    for days in [0, 3651] {
        let (ok, answer) = ts
            .call(&admin, "admin/set_retention", json!({ "days": days }))
            .await;
        assert!(!ok && answer.contains("invalid_field"), "{answer}");
    }
    let (ok, answer) = ts
        .call(&admin, "admin/set_retention", json!({ "days": 30 }))
        .await;
    assert!(ok, "{answer}");
    let (_, answer) = ts.call(&admin, "admin/retention", json!({})).await;
    assert_eq!(answer, "30");
    let chat = &ts.server.chat;
    let blobs = server::files::LocalFolder::new(ts.dir.path().join("files")).unwrap();
    let now = server::clock::now_ms();
    assert_eq!(chat.expire_conversations(now, &blobs).await.unwrap(), 0);
    let later = now + 31 * 86_400_000;
    assert_eq!(chat.expire_conversations(later, &blobs).await.unwrap(), 1);
    let (ok, answer) = ts
        .call(&admin, "past_entries", json!({ "id": id, "after_seq": 0 }))
        .await;
    assert!(!ok && answer.contains("not_found"), "{answer}");
}
