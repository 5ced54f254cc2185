//! The REST API's contract against the real server: tokens and scopes, the
//! multi-party method and sending through the API with the console's rules,
//! pagination, errors as JSON with stable codes, rate limits, and the OpenAPI
//! document that names every route.

mod support;

use app::ids::ConversationId;
use app::protocol::{Body, ClientMsg, InvitationState, Me, ServerMsg, Visibility};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::chat::api_tokens::add_api_token;
use server::limits::{Limits, Rate};
use server::store::ApiScope;
use std::collections::BTreeSet;
use std::time::Duration;
use support::{msg_id, token, Client, TestServer};

struct Api {
    base: String,
    http: reqwest::Client,
    token: String,
}

impl Api {
    async fn new(ts: &TestServer, name: &str, scope: ApiScope) -> Api {
        let (_, token) = add_api_token(ts.server.chat.store().as_ref(), name, scope)
            .await
            .unwrap();
        Api {
            base: ts.url(""),
            http: reqwest::Client::new(),
            token,
        }
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no code>")
}

/// A visitor on the site, with the id agents know them by.
async fn visitor_with_id(ts: &TestServer, n: u8) -> (Client, String) {
    // The first connection tells the id; the one kept syncs as a widget does.
    let (first, welcome) = ts.visitor_manual(&token(n), "/demo/pricing").await;
    drop(first);
    let client = ts.visitor(&token(n), "/demo/pricing").await;
    let ServerMsg::Welcome {
        me: Me::Visitor { id, .. },
        ..
    } = welcome
    else {
        panic!("{welcome:?}")
    };
    (client, id.to_string())
}

async fn accept_invitation(client: &mut Client) -> ConversationId {
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
    invitation.conversation_id
}

async fn text_arrives(client: &mut Client, want: &str) -> u64 {
    let ServerMsg::Message { message, .. } = client
        .expect(|m| matches!(m, ServerMsg::Message { message, .. } if message.body == Body::Text { text: want.into() }))
        .await
    else {
        unreachable!()
    };
    message.seq
}

#[tokio::test]
async fn without_a_valid_token_every_route_answers_401_as_json() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    let api = Api::new(&ts, "crm", ApiScope::Write).await;
    let http = reqwest::Client::new();
    for (method, path) in [
        ("GET", "/api/v1/conversations"),
        ("POST", "/api/v1/conversations"),
        ("GET", "/api/v1/visitors"),
        ("GET", "/api/v1/agents"),
    ] {
        for header in [
            None,
            Some("Bearer lcapi_nope".to_owned()),
            Some(format!("Bearer lcapi_{}", "0".repeat(64))),
            Some(format!("Basic {}", api.token)),
        ] {
            let mut request = match method {
                "GET" => http.get(ts.url(path)),
                _ => http.post(ts.url(path)).json(&json!({})),
            };
            if let Some(header) = &header {
                request = request.header("authorization", header);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path} {header:?}"
            );
            assert!(response.headers().contains_key("www-authenticate"));
            let body: Value = response.json().await.unwrap();
            assert_eq!(code(&body), "unauthenticated", "{body}");
        }
    }
    // The same token works until it is revoked, and never after.
    assert_eq!(api.get("/api/v1/agents").await.0, StatusCode::OK);
    server::chat::api_tokens::revoke_api_token(ts.server.chat.store().as_ref(), "crm")
        .await
        .unwrap();
    let (status, body) = api.get("/api/v1/agents").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
}

#[tokio::test]
async fn an_integration_runs_a_multi_party_conversation_under_the_consoles_rules() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    ts.add_agent("bob", "Bob").await;
    ts.add_agent("carol", "Carol").await;
    let mut ann = ts.agent("ann").await;
    let mut bob = ts.agent("bob").await;
    let (mut amy, amy_id) = visitor_with_id(&ts, 1).await;
    let (mut ben, ben_id) = visitor_with_id(&ts, 2).await;
    let api = Api::new(&ts, "crm", ApiScope::Write).await;
    let reader = Api::new(&ts, "warehouse", ApiScope::Read).await;

    // Who is here now.
    let (status, visitors) = api.get("/api/v1/visitors").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(visitors["on_site"], 2);
    let listed: BTreeSet<_> = visitors["visitors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, BTreeSet::from([amy_id.clone(), ben_id.clone()]));
    assert_eq!(visitors["visitors"][0]["page_url"], "/demo/pricing");
    let (_, agents) = api.get("/api/v1/agents").await;
    let status_of = |username: &str| {
        agents
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["username"] == username)
            .map(|a| a["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status_of("ann").as_deref(), Some("online"));
    assert_eq!(status_of("carol").as_deref(), Some("offline"));

    // A read token may look but not change anything.
    let request = json!({"agent": "ann", "visitors": [amy_id, ben_id], "agents": ["bob"]});
    let (status, body) = reader.post("/api/v1/conversations", request.clone()).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
    // Invitations are gated on presence: Carol has no console open.
    let (status, body) = api
        .post(
            "/api/v1/conversations",
            json!({"agent": "ann", "visitors": [amy_id], "agents": ["carol"]}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "invitee_unavailable")
    );
    assert!(
        body["error"]["message"].as_str().unwrap().contains("Carol"),
        "{body}"
    );
    let (status, body) = api
        .post(
            "/api/v1/conversations",
            json!({"agent": "nobody", "visitors": [amy_id]}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );

    // The patent's method through the API.
    let (status, created) = api.post("/api/v1/conversations", request).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    for client in [&mut amy, &mut ben, &mut bob] {
        assert_eq!(accept_invitation(client).await.to_string(), id);
    }
    for _ in 0..3 {
        ann.expect(|m| matches!(m, ServerMsg::Message { message, .. } if matches!(&message.body, Body::Notice(app::protocol::Notice::Joined { .. }))))
            .await;
    }

    // Sending as Ann: everyone gets it, in order.
    let path = format!("/api/v1/conversations/{id}/messages");
    let first = msg_id();
    let (status, stored) = api
        .post(
            &path,
            json!({"agent": "ann", "text": "Hello from the CRM", "client_msg_id": first.0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    let seq = stored["seq"].as_u64().unwrap();
    for client in [&mut amy, &mut ben, &mut bob, &mut ann] {
        assert_eq!(text_arrives(client, "Hello from the CRM").await, seq);
    }
    // A retry is idempotent; the same id with other text is a conflict.
    let (status, again) = api
        .post(
            &path,
            json!({"agent": "ann", "text": "Hello from the CRM", "client_msg_id": first.0}),
        )
        .await;
    assert_eq!(
        (status, again["seq"].as_u64()),
        (StatusCode::CREATED, Some(seq))
    );
    let (status, body) = api
        .post(
            &path,
            json!({"agent": "ann", "text": "Something else", "client_msg_id": first.0}),
        )
        .await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "id_conflict"));
    // An internal note reaches agents only.
    let (status, note) = api
        .post(
            &path,
            json!({"agent": "bob", "text": "VIP customer", "audience": "agents"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    text_arrives(&mut ann, "VIP customer").await;
    amy.expect_none(Duration::from_millis(300), |m| {
        matches!(m, ServerMsg::Message { message, .. } if message.visibility == Visibility::Agents)
    })
    .await;
    // A named bot answers in Ann's seat; it may not pass for an agent.
    let (status, stored) = api
        .post(
            &path,
            json!({"agent": "ann", "bot": "Order bot", "text": "Your order ships today."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    let ServerMsg::Message { message, .. } = amy
        .expect(|m| matches!(m, ServerMsg::Message { message, .. } if message.body == Body::Text { text: "Your order ships today.".into() }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(message.author.unwrap().name, "Order bot");
    for bot in ["Bob", "bob", "  ", "\u{7}bell"] {
        let (status, body) = api
            .post(&path, json!({"agent": "ann", "bot": bot, "text": "hi"}))
            .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
            "{bot:?}"
        );
    }
    // Only a participant writes; bad text is refused with its code.
    let (status, body) = api
        .post(&path, json!({"agent": "carol", "text": "hi"}))
        .await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) = api
        .post(&path, json!({"agent": "ann", "text": "   "}))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "empty_message")
    );
    let (status, body) = api.post(&path, json!({"agent": "ann"})).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let (status, body) = reader
        .post(&path, json!({"agent": "ann", "text": "hi"}))
        .await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));

    // Reading: every entry in order, notes and notices included, page by page.
    let (status, page) = reader.get(&format!("{path}?limit=2")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["messages"].as_array().unwrap().len(), 2);
    assert_eq!(page["more"], true);
    let mut entries = page["messages"].as_array().unwrap().clone();
    loop {
        let after = entries.last().unwrap()["seq"].as_u64().unwrap();
        let (_, page) = reader
            .get(&format!("{path}?after_seq={after}&limit=2"))
            .await;
        entries.extend(page["messages"].as_array().unwrap().iter().cloned());
        if page["more"] == false {
            break;
        }
    }
    let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "gapless");
    let texts: Vec<(&str, &str)> = entries
        .iter()
        .filter(|e| e["kind"] == "text")
        .map(|e| (e["text"].as_str().unwrap(), e["audience"].as_str().unwrap()))
        .collect();
    assert_eq!(
        texts,
        [
            ("Hello from the CRM", "everyone"),
            ("VIP customer", "agents"),
            ("Your order ships today.", "everyone"),
        ]
    );
    assert!(entries.iter().any(|e| e["notice"]["event"] == "joined"));

    let (status, conversation) = reader.get(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            conversation["kind"].as_str(),
            conversation["state"].as_str()
        ),
        (Some("group"), Some("active"))
    );
    assert_eq!(conversation["people"].as_array().unwrap().len(), 4);
    let transcript = reqwest::Client::new()
        .get(ts.url(&format!("/api/v1/conversations/{id}/transcript")))
        .bearer_auth(&reader.token)
        .send()
        .await
        .unwrap();
    assert_eq!(transcript.status(), StatusCode::OK);
    let transcript = transcript.text().await.unwrap();
    assert!(transcript.contains("Hello from the CRM") && transcript.contains("VIP customer"));

    // Closing: the agents leave, the conversation closes, everyone sees it.
    let (status, body) = reader
        .post(&format!("/api/v1/conversations/{id}/close"), json!({}))
        .await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
    let (status, closed) = api
        .post(&format!("/api/v1/conversations/{id}/close"), json!({}))
        .await;
    assert_eq!(
        (status, closed["state"].as_str()),
        (StatusCode::OK, Some("closed")),
        "{closed}"
    );
    amy.expect(|m| matches!(m, ServerMsg::Conversation { conversation } if conversation.id.to_string() == id && conversation.state == app::protocol::ConversationState::Closed))
        .await;
    let (status, body) = api
        .post(&path, json!({"agent": "ann", "text": "late"}))
        .await;
    assert!(
        matches!(code(&body), "conversation_closed" | "not_found"),
        "{status} {body}"
    );
    let (_, conversation) = reader.get(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(conversation["state"], "closed");

    // Unknown and malformed ids name nothing.
    let (status, body) = reader
        .get(&format!("/api/v1/conversations/{}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) = reader.get("/api/v1/conversations/not-an-id/messages").await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) = reader.get("/api/v1/no-such-thing").await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
}

#[tokio::test]
async fn the_conversation_list_filters_and_pages_with_a_cursor() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let mut ids = Vec::new();
    for n in 1..=5u8 {
        let (mut visitor, id) = support::chatting(&ts, &mut ann, n, &format!("question {n}")).await;
        visitor
            .send(&ClientMsg::Rate {
                conversation_id: id,
                good: n % 2 == 0,
                comment: String::new(),
            })
            .await;
        visitor
            .expect(|m| matches!(m, ServerMsg::Rated { .. }))
            .await;
        ids.push(id.to_string());
        // Conversations are ordered by when they started, to the millisecond.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let api = Api::new(&ts, "crm", ApiScope::Read).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/conversations?limit=2&cursor={c}"),
            None => "/api/v1/conversations?limit=2".to_owned(),
        };
        let (status, page) = api.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for c in page["conversations"].as_array().unwrap() {
            seen.push(c["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);

    let (_, good) = api.get("/api/v1/conversations?rating=good").await;
    let good: Vec<_> = good["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(good, [ids[3].clone(), ids[1].clone()]);
    let (_, ratings) = api
        .get(&format!("/api/v1/conversations/{}/ratings", ids[1]))
        .await;
    assert_eq!(ratings[0]["good"], true);
    let (_, by_ann) = api.get("/api/v1/conversations?agent=ann&limit=100").await;
    assert_eq!(by_ann["conversations"].as_array().unwrap().len(), 5);

    for bad in [
        "/api/v1/conversations?limit=0",
        "/api/v1/conversations?limit=101",
        "/api/v1/conversations?limit=many",
        "/api/v1/conversations?rating=great",
        "/api/v1/conversations?cursor=yesterday",
        "/api/v1/visitors?limit=0",
    ] {
        let (status, body) = api.get(bad).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
            "{bad}: {body}"
        );
    }
    let long = "x".repeat(101);
    let (status, body) = api.get(&format!("/api/v1/visitors?filter={long}")).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "too_long")
    );
    let (status, body) = api
        .get(&format!(
            "/api/v1/conversations?visitor_name={}",
            "y".repeat(81)
        ))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "too_long")
    );
}

#[tokio::test]
async fn a_token_over_its_rate_gets_429_and_others_are_not_slowed() {
    let limits = Limits {
        api_requests_per_token: Rate::new(0.01, 3.0),
        ..Limits::default()
    };
    let ts = TestServer::start_with(Duration::from_secs(30), limits).await;
    let busy = Api::new(&ts, "busy", ApiScope::Read).await;
    let calm = Api::new(&ts, "calm", ApiScope::Read).await;
    for _ in 0..3 {
        assert_eq!(busy.get("/api/v1/agents").await.0, StatusCode::OK);
    }
    let (status, body) = busy.get("/api/v1/agents").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    assert_eq!(calm.get("/api/v1/agents").await.0, StatusCode::OK);
}

/// Every `$ref` in the document names a schema it defines.
fn refs_resolve(value: &Value, doc: &Value, missing: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                let pointer = reference.trim_start_matches('#');
                if doc.pointer(pointer).is_none() {
                    missing.push(reference.clone());
                }
            }
            for v in map.values() {
                refs_resolve(v, doc, missing);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs_resolve(v, doc, missing)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_is_valid_and_names_every_route_and_the_reference_shows_them() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    let response = reqwest::get(ts.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut missing = Vec::new();
    refs_resolve(&doc, &doc, &mut missing);
    assert!(missing.is_empty(), "unresolved: {missing:?}");

    let mut documented = BTreeSet::new();
    let mut operation_ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            documented.insert(format!("{} {path}", method.to_uppercase()));
            assert!(operation_ids.insert(operation["operationId"].as_str().unwrap().to_owned()));
            assert!(
                operation["responses"]["401"].is_object(),
                "{method} {path} documents 401"
            );
            for response in operation["responses"].as_object().unwrap().values() {
                assert!(response["description"].is_string());
            }
        }
    }
    let routes = BTreeSet::from(
        [
            "GET /api/v1/conversations",
            "POST /api/v1/conversations",
            "GET /api/v1/conversations/{id}",
            "POST /api/v1/conversations/{id}/close",
            "GET /api/v1/conversations/{id}/messages",
            "POST /api/v1/conversations/{id}/messages",
            "GET /api/v1/conversations/{id}/transcript",
            "GET /api/v1/conversations/{id}/ratings",
            "GET /api/v1/visitors",
            "GET /api/v1/agents",
            "GET /api/v1/offline_messages",
            "POST /api/v1/webhooks",
            "GET /api/v1/webhooks",
            "DELETE /api/v1/webhooks/{id}",
            "GET /api/v1/webhooks/{id}/deliveries",
            "POST /api/v1/webhooks/{id}/deliveries/{event_id}/redeliver",
        ]
        .map(String::from),
    );
    assert_eq!(documented, routes);
    // And each documented route is served: without a token it asks for one,
    // where an unknown route would answer 404.
    let http = reqwest::Client::new();
    for route in &documented {
        let (method, path) = route.split_once(' ').unwrap();
        let id = uuid::Uuid::new_v4().to_string();
        let url = ts.url(&path.replace("{id}", &id).replace("{event_id}", &id));
        let response = match method {
            "GET" => http.get(url),
            "DELETE" => http.delete(url),
            _ => http.post(url).json(&json!({})),
        }
        .send()
        .await
        .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{route}");
    }

    let page = reqwest::get(ts.url("/api/v1/reference")).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    for route in &documented {
        let path = route.split_once(' ').unwrap().1;
        assert!(
            page.contains(&format!("<code>{path}</code>")),
            "{path} on the reference page"
        );
    }
    assert!(page.contains("id=\"schema-Message\""));
    assert!(!page.contains("<script"), "no script on the page");
    let css = reqwest::get(ts.url("/api/v1/reference.css")).await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css");
}

#[tokio::test]
async fn a_visitors_chat_taken_in_the_console_is_answered_and_closed_through_the_api() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let (mut visitor, id) = support::chatting(&ts, &mut ann, 7, "Where is my order?").await;
    let api = Api::new(&ts, "helpdesk", ApiScope::Write).await;
    let (status, _) = api
        .post(
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"agent": "ann", "text": "It ships today."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    text_arrives(&mut visitor, "It ships today.").await;
    let (_, closed) = api
        .post(&format!("/api/v1/conversations/{id}/close"), json!({}))
        .await;
    assert_eq!(closed["state"], "closed");
    // Closing again changes nothing.
    let (status, again) = api
        .post(&format!("/api/v1/conversations/{id}/close"), json!({}))
        .await;
    assert_eq!(
        (status, again["state"].as_str()),
        (StatusCode::OK, Some("closed"))
    );
}

#[tokio::test]
async fn the_command_line_shows_a_token_once_lists_it_without_it_and_revokes_it() {
    use support::process::{database_url, ServerProcess, BIN};
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(BIN)
            .args(args)
            .env("CHAT_DATABASE_URL", database_url(dir.path()))
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let added = run(&["api-token", "add", "crm", "--scope", "write"]);
    assert!(added.status.success(), "{added:?}");
    let token = String::from_utf8(added.stdout).unwrap().trim().to_owned();
    assert!(
        server::chat::api_tokens::is_well_formed_api_token(&token),
        "{token}"
    );
    assert!(String::from_utf8_lossy(&added.stderr).contains("shown this once"));
    let again = run(&["api-token", "add", "crm"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
    let bad = run(&["api-token", "add", "crm2", "--scope", "admin"]);
    assert!(!bad.status.success());
    let listed = String::from_utf8(run(&["api-token", "list"]).stdout).unwrap();
    assert!(listed.starts_with("crm\twrite\tlive\t"), "{listed}");
    assert!(
        !listed.contains(&token[6..]),
        "the list never shows the token"
    );

    let server = ServerProcess::start(dir.path(), |_| {}).await;
    let agents = |token: String| {
        let url = format!("http://{}/api/v1/agents", server.addr);
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
    assert_eq!(agents(token.clone()).await, StatusCode::OK);
    let revoked = run(&["api-token", "revoke", "crm"]);
    assert!(revoked.status.success(), "{revoked:?}");
    assert_eq!(agents(token.clone()).await, StatusCode::UNAUTHORIZED);
    let missing = run(&["api-token", "revoke", "crm"]);
    assert!(!missing.status.success());
    let listed = String::from_utf8(run(&["api-token", "list"]).stdout).unwrap();
    assert!(listed.starts_with("crm\twrite\trevoked\t"), "{listed}");
}
