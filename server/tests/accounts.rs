//! Admin and agent roles: admins manage agent accounts from the console (server
//! functions), with the rules of the command line; agents cannot; changes reach
//! every console and end the sessions they must.

mod support;

use app::protocol::{AgentRole, ServerMsg};
use serde_json::json;
use std::time::Duration;
use support::{TestServer, PASSWORD};

fn code_of(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("not an error body: {body}"))
}

#[tokio::test]
async fn only_admins_manage_agents_and_changes_take_effect_at_once() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_account("root", "Rita Root", AgentRole::Admin).await;
    ts.add_agent("ann", "Ann").await;
    let root = ts.login("root", PASSWORD).await.unwrap();
    let (mut ann, ann_cookie) = ts.agent_with_cookie("ann").await;

    // An agent may not list, add, remove or reset anyone.
    for (endpoint, body) in [
        ("admin/agents", json!({})),
        (
            "admin/add_agent",
            json!({ "account": { "username": "mallory", "name": "M", "role": "admin", "password": "longenough" } }),
        ),
        ("admin/remove_agent", json!({ "username": "root" })),
        (
            "admin/set_password",
            json!({ "username": "root", "password": "takeover123" }),
        ),
    ] {
        let (ok, body) = ts.call(&ann_cookie, endpoint, body).await;
        assert!(!ok, "{endpoint}");
        assert_eq!(code_of(&body), "forbidden", "{endpoint}");
    }
    // Nor may someone not logged in.
    let (ok, body) = ts
        .call("livechat_session=forged", "admin/agents", json!({}))
        .await;
    assert!(!ok);
    assert_eq!(code_of(&body), "unauthenticated");
    assert!(ts.login("mallory", "longenough").await.is_err());
    assert!(
        ts.login("root", PASSWORD).await.is_ok(),
        "root's password unchanged"
    );

    // An admin lists everyone.
    let (ok, body) = ts.call(&root, "admin/agents", json!({})).await;
    assert!(ok, "{body}");
    let list: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    let names: Vec<&str> = list
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"root") && names.contains(&"ann"));

    // Adding follows the command line's rules, with the same explanation.
    let add = |username: &str, password: &str| json!({ "account": { "username": username, "name": "Carl Clerk", "role": "agent", "password": password } });
    let (ok, body) = ts
        .call(&root, "admin/add_agent", add("carl", "short"))
        .await;
    assert!(!ok);
    assert_eq!(code_of(&body), "invalid_field");
    assert!(body.contains("at least 8"), "{body}");
    let (ok, body) = ts
        .call(&root, "admin/add_agent", add("bad name!", "longenough"))
        .await;
    assert!(!ok && code_of(&body) == "invalid_field", "{body}");
    let (ok, body) = ts
        .call(&root, "admin/add_agent", add("carl", "carl-pass-1"))
        .await;
    assert!(ok, "{body}");
    let (ok, body) = ts
        .call(&root, "admin/add_agent", add("carl", "carl-pass-1"))
        .await;
    assert!(!ok && body.contains("already exists"), "{body}");
    // Every console hears of the new colleague.
    ann.expect(|m| matches!(m, ServerMsg::Agents { agents } if agents.iter().any(|a| a.name == "Carl Clerk")))
        .await;
    let (mut carl, _) = {
        let cookie = ts.login("carl", "carl-pass-1").await.expect("carl logs in");
        let (ws, _) = tokio_tungstenite::connect_async(support::socket_request(
            ts.server.addr,
            "/ws/agent",
            Some(&cookie),
        ))
        .await
        .unwrap();
        (support::Client::new(ws), cookie)
    };
    carl.expect(|m| matches!(m, ServerMsg::Queue { .. })).await;

    // A new password ends the agent's sessions and closes its consoles.
    let (ok, body) = ts
        .call(
            &root,
            "admin/set_password",
            json!({ "username": "ann", "password": "ann-new-pass" }),
        )
        .await;
    assert!(ok, "{body}");
    ann.expect_close().await;
    assert!(ts.login("ann", PASSWORD).await.is_err());
    assert!(ts.login("ann", "ann-new-pass").await.is_ok());
    let stale = tokio_tungstenite::connect_async(support::socket_request(
        ts.server.addr,
        "/ws/agent",
        Some(&ann_cookie),
    ))
    .await;
    assert!(stale.is_err(), "the old session is gone");

    // Removing an account closes its consoles; nobody can remove themselves.
    let (ok, body) = ts
        .call(&root, "admin/remove_agent", json!({ "username": "root" }))
        .await;
    assert!(!ok && code_of(&body) == "forbidden", "{body}");
    let (ok, body) = ts
        .call(&root, "admin/remove_agent", json!({ "username": "carl" }))
        .await;
    assert!(ok, "{body}");
    carl.expect_close().await;
    assert!(ts.login("carl", "carl-pass-1").await.is_err());
    let (ok, body) = ts
        .call(&root, "admin/remove_agent", json!({ "username": "carl" }))
        .await;
    assert!(!ok && code_of(&body) == "not_found", "{body}");
    let (_, body) = ts.call(&root, "admin/agents", json!({})).await;
    assert!(!body.contains("carl"), "{body}");
}

#[tokio::test]
async fn only_admins_manage_tokens_and_webhooks_from_the_console() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_account("root", "Rita Root", AgentRole::Admin).await;
    ts.add_agent("ann", "Ann").await;
    let root = ts.login("root", PASSWORD).await.unwrap();
    let ann = ts.login("ann", PASSWORD).await.unwrap();
    let id = uuid::Uuid::new_v4();
    let calls = [
        ("admin/api_tokens", json!({})),
        (
            "admin/add_api_token",
            json!({ "name": "mine", "write": true }),
        ),
        ("admin/revoke_api_token", json!({ "name": "crm" })),
        ("admin/webhooks", json!({})),
        (
            "admin/add_webhook",
            json!({ "endpoint": { "url": "https://x.example/h", "secret": "0123456789abcdef", "events": ["message.created"], "allow_private": false } }),
        ),
        ("admin/remove_webhook", json!({ "id": id })),
        ("admin/webhook_deliveries", json!({ "id": id })),
        ("admin/redeliver", json!({ "id": id, "event_id": id })),
    ];
    for (endpoint, body) in &calls {
        let (ok, answer) = ts.call(&ann, endpoint, body.clone()).await;
        assert!(!ok, "{endpoint}");
        assert_eq!(code_of(&answer), "forbidden", "{endpoint}");
    }
    assert!(ts
        .server
        .chat
        .store()
        .api_tokens()
        .await
        .unwrap()
        .is_empty());
    assert!(ts.server.chat.store().webhooks().await.unwrap().is_empty());

    // The admin makes a token, which the API takes, and revokes it.
    let (ok, body) = ts
        .call(
            &root,
            "admin/add_api_token",
            json!({ "name": "crm", "write": false }),
        )
        .await;
    assert!(ok, "{body}");
    let token: String = serde_json::from_str(&body).unwrap();
    let agents = |token: String| {
        let url = ts.url("/api/v1/agents");
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(agents(token.clone()).await, reqwest::StatusCode::OK);
    let (_, body) = ts.call(&root, "admin/api_tokens", json!({})).await;
    assert!(
        !body.contains(&token[6..]),
        "the list never shows the token"
    );
    let (ok, body) = ts
        .call(
            &root,
            "admin/add_api_token",
            json!({ "name": "crm", "write": true }),
        )
        .await;
    assert!(!ok && code_of(&body) == "invalid_field", "{body}");
    let (ok, _) = ts
        .call(&root, "admin/revoke_api_token", json!({ "name": "crm" }))
        .await;
    assert!(ok);
    assert_eq!(agents(token).await, reqwest::StatusCode::UNAUTHORIZED);

    // Webhooks: checked as the API checks them.
    let (ok, body) = ts
        .call(&root, "admin/add_webhook", json!({ "endpoint": { "url": "ftp://x", "secret": "0123456789abcdef", "events": ["message.created"], "allow_private": false } }))
        .await;
    assert!(!ok && code_of(&body) == "invalid_field", "{body}");
    let (ok, body) = ts
        .call(&root, "admin/add_webhook", calls[4].1.clone())
        .await;
    assert!(ok, "{body}");
    let (_, body) = ts.call(&root, "admin/webhooks", json!({})).await;
    let listed: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        !body.contains("0123456789abcdef"),
        "the secret never comes back"
    );
    let (ok, body) = ts
        .call(
            &root,
            "admin/redeliver",
            json!({ "id": listed[0]["id"], "event_id": id }),
        )
        .await;
    assert!(!ok && code_of(&body) == "not_found", "{body}");
    let (ok, _) = ts
        .call(
            &root,
            "admin/remove_webhook",
            json!({ "id": listed[0]["id"] }),
        )
        .await;
    assert!(ok);
    assert!(ts.server.chat.store().webhooks().await.unwrap().is_empty());
}
