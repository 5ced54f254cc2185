//! Two nodes on one PostgreSQL database and one NATS server: a chat between a
//! visitor on one node and an agent on the other goes both ways in order; an
//! agent removed on one node loses its console on the other; and what is sent
//! while NATS is down is stored, reaches the sender's own node at once, and the
//! other node when NATS is back.

mod support;

use app::protocol::{Body, ChatMessage, ClientMsg, ServerMsg};
use server::store::postgres::throwaway;
use std::time::Duration;
use support::nats::NatsServer;
use support::{msg_id, token, Client, TestServer};

/// Long enough for a NATS client to reconnect after an outage.
const RECONNECT: Duration = Duration::from_secs(20);

struct Cluster {
    nats: NatsServer,
    a: TestServer,
    b: TestServer,
    /// The files folder both nodes share.
    _files: tempfile::TempDir,
}

/// Two nodes that compare their streams with the store every `head_check`, or
/// `None` when PostgreSQL is not installed here (outside CI).
async fn cluster(head_check: Duration) -> Option<Cluster> {
    let database_url = throwaway::database().await?;
    let nats = NatsServer::start();
    let files = tempfile::tempdir().unwrap();
    let node = |database_url: String, nats_url: String, files_dir: std::path::PathBuf| {
        move |config: &mut server::config::Config| {
            config.database_url = database_url;
            config.nats_url = Some(nats_url);
            config.head_check = head_check;
            config.files_dir = files_dir;
        }
    };
    let files_dir = files.path().to_path_buf();
    let a = TestServer::start_configured(node(database_url.clone(), nats.url(), files_dir.clone()))
        .await;
    let b = TestServer::start_configured(node(database_url, nats.url(), files_dir)).await;
    Some(Cluster {
        nats,
        a,
        b,
        _files: files,
    })
}

fn text_of(message: &ChatMessage) -> Option<&str> {
    match &message.body {
        Body::Text { text } => Some(text),
        Body::Notice(_) => None,
    }
}

/// The next text entry `client` hears in `conversation`, within `wait`.
async fn next_text(client: &mut Client, wait: Duration) -> ChatMessage {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match client.try_next(left).await {
            Some(ServerMsg::Message { message, .. }) if text_of(&message).is_some() => {
                return message
            }
            Some(_) => continue,
            None => panic!("no message within {wait:?}"),
        }
    }
}

/// A visitor on node B, an agent on node A, in one accepted chat.
async fn chat_across(cluster: &Cluster) -> (Client, Client, app::ids::ConversationId) {
    cluster.a.add_agent("ann", "Ann").await;
    let mut ann = cluster.a.agent("ann").await;
    let mut visitor = cluster.b.visitor(&token(1), "/pricing").await;
    let id = support::start_chat(&mut visitor, "hello from node B").await;
    // The queue is everyone's: the console on the other node hears of it.
    ann.expect(|m| matches!(m, ServerMsg::QueueAdded { item } if item.conversation_id == id))
        .await;
    ann.send(&ClientMsg::AcceptChat {
        conversation_id: id,
    })
    .await;
    visitor
        .expect(|m| matches!(m, ServerMsg::Conversation { conversation } if conversation.id == id && conversation.participants.len() == 2))
        .await;
    // The agent has read what was there (its sync after accepting).
    ann.expect(|m| matches!(m, ServerMsg::Message { message, .. } if text_of(message) == Some("hello from node B")))
        .await;
    (visitor, ann, id)
}

#[tokio::test]
async fn a_chat_between_two_nodes_goes_both_ways_in_order() {
    let Some(cluster) = cluster(Duration::from_secs(60)).await else {
        return;
    };
    let (mut visitor, mut ann, id) = chat_across(&cluster).await;
    for n in 0..20 {
        ann.send(&ClientMsg::Send {
            conversation_id: id,
            client_msg_id: msg_id(),
            text: format!("from A {n}"),
        })
        .await;
        visitor
            .send(&ClientMsg::Send {
                conversation_id: id,
                client_msg_id: msg_id(),
                text: format!("from B {n}"),
            })
            .await;
    }
    // Each side hears all 40, in the conversation's order, once.
    for client in [&mut visitor, &mut ann] {
        let mut seqs = Vec::new();
        let mut texts = Vec::new();
        while texts.len() < 40 {
            let message = next_text(client, Duration::from_secs(10)).await;
            let text = text_of(&message).unwrap();
            if text.starts_with("from ") {
                seqs.push(message.seq);
                texts.push(text.to_owned());
            }
        }
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
        for n in 0..20 {
            assert!(texts.contains(&format!("from A {n}")));
            assert!(texts.contains(&format!("from B {n}")));
        }
    }
}

/// A visitor's browser may fetch a file through any node: every node signs
/// visitors' file links with the key kept in the database.
#[tokio::test]
async fn a_file_link_made_on_one_node_works_on_the_other() {
    let Some(cluster) = cluster(Duration::from_secs(60)).await else {
        return;
    };
    let (mut visitor, mut ann, id) = chat_across(&cluster).await;
    const PNG: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let uploaded = support::post(
        cluster.b.server.addr,
        &format!("/upload/{id}?name=error.png&client_msg_id={}", msg_id()),
    )
    .header("x-visitor-token", token(1))
    .header("content-type", "image/png")
    .body(PNG.to_vec())
    .send()
    .await
    .unwrap();
    assert_eq!(uploaded.status(), 200);
    let ServerMsg::Message { message, .. } = ann
        .expect(|m| matches!(m, ServerMsg::Message { message, .. } if message.file.is_some()))
        .await
    else {
        unreachable!()
    };
    let file = message.file.unwrap();
    visitor
        .send(&ClientMsg::FileLink { file_id: file.id })
        .await;
    let ServerMsg::FileLink { url, .. } = visitor
        .expect(|m| matches!(m, ServerMsg::FileLink { .. }))
        .await
    else {
        unreachable!()
    };
    let got = reqwest::get(cluster.a.url(&url)).await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().as_ref(), PNG);
}

/// A password guesser gets the same number of tries from a cluster as from one
/// node: the attempts are counted in the database.
#[tokio::test]
async fn failed_logins_are_counted_across_nodes() {
    let Some(cluster) = cluster(Duration::from_secs(60)).await else {
        return;
    };
    cluster.a.add_agent("ann", "Ann").await;
    // Ten tries per account (the default), spread over both nodes.
    for n in 0..10 {
        let node = if n % 2 == 0 { &cluster.a } else { &cluster.b };
        let body = node.login("ann", "wrong password").await.unwrap_err();
        assert!(body.contains("invalid_login"), "{n}: {body}");
    }
    for node in [&cluster.a, &cluster.b] {
        let body = node.login("ann", support::PASSWORD).await.unwrap_err();
        assert!(body.contains("rate_limited"), "{body}");
    }
}

#[tokio::test]
async fn an_agent_removed_on_one_node_loses_its_console_on_the_other() {
    let Some(cluster) = cluster(Duration::from_secs(60)).await else {
        return;
    };
    cluster.a.add_agent("ann", "Ann").await;
    let mut ann = cluster.a.agent("ann").await;
    cluster.b.server.chat.remove_agent("ann").await.unwrap();
    ann.expect_close().await;
}

/// A visitor on B sends while NATS is down: stored, acknowledged, and heard on
/// its own node at once; the agent on A hears it when NATS is back, or sooner,
/// from A's periodic head check against the shared store.
async fn send_while_nats_is_down(head_check: Duration, reaches_a_while_down: bool) {
    let Some(mut cluster) = cluster(head_check).await else {
        return;
    };
    let (mut visitor, mut ann, id) = chat_across(&cluster).await;
    cluster.nats.stop();
    visitor
        .send(&ClientMsg::Send {
            conversation_id: id,
            client_msg_id: msg_id(),
            text: "while NATS was down".into(),
        })
        .await;
    let ServerMsg::Ack { seq, .. } = visitor.expect(|m| matches!(m, ServerMsg::Ack { .. })).await
    else {
        unreachable!()
    };
    let message = if reaches_a_while_down {
        next_text(&mut ann, Duration::from_secs(5)).await
    } else {
        ann.expect_none(
            Duration::from_millis(500),
            |m| matches!(m, ServerMsg::Message { message, .. } if text_of(message).is_some()),
        )
        .await;
        cluster.nats.resume();
        next_text(&mut ann, RECONNECT).await
    };
    assert_eq!(text_of(&message), Some("while NATS was down"));
    assert_eq!(message.seq, seq);
    cluster.nats.resume();
    // And live delivery goes on after it, in order, once.
    visitor
        .send(&ClientMsg::Send {
            conversation_id: id,
            client_msg_id: msg_id(),
            text: "and after".into(),
        })
        .await;
    let next = next_text(&mut ann, RECONNECT).await;
    assert_eq!(text_of(&next), Some("and after"));
    assert_eq!(next.seq, seq + 1);
}

#[tokio::test]
async fn what_is_sent_while_nats_is_down_reaches_the_other_node_when_it_is_back() {
    send_while_nats_is_down(Duration::from_secs(60), false).await;
}

#[tokio::test]
async fn the_head_check_brings_it_over_even_while_nats_is_down() {
    send_while_nats_is_down(Duration::from_millis(300), true).await;
}

/// Connects a console to `node` again and again until its snapshot of the site
/// lists `visitor` (the nodes share presence every second).
async fn console_seeing(node: &TestServer, visitor: app::ids::VisitorId) -> Client {
    let cookie = node.login("ann", support::PASSWORD).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let request = support::socket_request(node.server.addr, "/ws/agent", Some(&cookie));
        let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let mut console = Client::manual(ws);
        let ServerMsg::Visitors { visitors, .. } = console
            .expect(|m| matches!(m, ServerMsg::Visitors { .. }))
            .await
        else {
            unreachable!()
        };
        if visitors.iter().any(|v| v.id == visitor) {
            return console;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the other node's visitor never showed"
        );
        drop(console);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn visitor_id(welcome: &ServerMsg) -> app::ids::VisitorId {
    match welcome {
        ServerMsg::Welcome {
            me: app::protocol::Me::Visitor { id, .. },
            ..
        } => *id,
        other => panic!("not a visitor's welcome: {other:?}"),
    }
}

/// Every console sees every visitor on the site, whichever node each is on, and
/// a widget on a node with no agent of its own knows that agents are available.
#[tokio::test]
async fn consoles_and_widgets_see_the_whole_cluster() {
    let Some(cluster) = cluster(Duration::from_secs(60)).await else {
        return;
    };
    cluster.a.add_agent("ann", "Ann").await;
    let (_visitor, welcome) = cluster.b.visitor_manual(&token(1), "/pricing").await;
    let id = visitor_id(&welcome);
    let _console = console_seeing(&cluster.a, id).await;

    // Ann is on node A only; a widget on node B offers the chat, not the form.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, welcome) = cluster.b.visitor_manual(&token(2), "/").await;
        if matches!(
            welcome,
            ServerMsg::Welcome {
                agents_available: true,
                ..
            }
        ) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "node B never learnt of node A's agent"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A node killed with its visitor's socket open: the visitor is gone from every
/// other node's consoles once the node's lease and the grace period ran out, and
/// its pending invitation expires exactly once, though two nodes notice.
#[tokio::test]
async fn a_killed_nodes_visitors_leave_the_other_nodes() {
    let Some(database_url) = throwaway::database().await else {
        return;
    };
    let nats = NatsServer::start();
    let node = || {
        let database_url = database_url.clone();
        let nats_url = nats.url();
        move |config: &mut server::config::Config| {
            config.database_url = database_url;
            config.nats_url = Some(nats_url);
            config.presence_grace = Duration::from_secs(1);
        }
    };
    let a = TestServer::start_configured(node()).await;
    let _c = TestServer::start_configured(node()).await;
    a.add_agent("ann", "Ann").await;
    let (_dir, dir) = support::process::temp_dir();
    let mut b = support::process::ServerProcess::start(&dir, |command| {
        command
            .env("CHAT_DATABASE_URL", &database_url)
            .env("CHAT_NATS_URL", nats.url())
            .env("CHAT_PRESENCE_GRACE_SECS", "1");
    })
    .await;
    let (ws, _) =
        tokio_tungstenite::connect_async(support::socket_request(b.addr, "/ws/visitor", None))
            .await
            .unwrap();
    let mut visitor = Client::manual(ws);
    visitor
        .send(&ClientMsg::Hello {
            token: Some(token(1)),
            page: Some(support::page("/pricing")),
            identity: None,
        })
        .await;
    let id = visitor_id(
        &visitor
            .expect(|m| matches!(m, ServerMsg::Welcome { .. }))
            .await,
    );
    let mut console = console_seeing(&a, id).await;

    // Ann, on node A, invites the visitor on node B: present in the cluster.
    let cookie = a.login("ann", support::PASSWORD).await.unwrap();
    let (ok, body) = a
        .call(
            &cookie,
            "request_conversation",
            serde_json::json!({"visitors": [id], "agents": []}),
        )
        .await;
    assert!(ok, "{body}");
    visitor
        .expect(|m| matches!(m, ServerMsg::Invitation { .. }))
        .await;
    let conversation: app::ids::ConversationId = serde_json::from_str(&body).unwrap();

    b.kill();
    let killed = tokio::time::Instant::now();
    loop {
        match console.try_next(Duration::from_secs(15)).await {
            Some(ServerMsg::VisitorLeft {
                visitor_id,
                gone: true,
            }) if visitor_id == id => break,
            Some(_) => continue,
            None => panic!("the killed node's visitor never left node A's console"),
        }
    }
    // After the node's lease (5 s) and the grace period (1 s), give or take a tick.
    assert!(
        killed.elapsed() < Duration::from_secs(12),
        "{:?}",
        killed.elapsed()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let entries = a
        .server
        .chat
        .store()
        .staff_entries(conversation, 0, 100)
        .await
        .unwrap()
        .unwrap()
        .messages;
    let expired = entries
        .iter()
        .filter(|m| {
            matches!(
                &m.body,
                Body::Notice(app::protocol::Notice::InvitationExpired { .. })
            )
        })
        .count();
    assert_eq!(expired, 1, "{entries:#?}");
}

/// The command line manages agents in a PostgreSQL database too, and a node
/// refuses to start with NATS on a SQLite file.
#[tokio::test]
async fn the_command_line_works_on_postgresql_and_sqlite_with_nats_is_refused() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let Some(database_url) = throwaway::database().await else {
        return;
    };
    let mut add = Command::new(support::process::BIN)
        .args(["agent", "add", "cara", "--name", "Cara", "--password-stdin"])
        .env("CHAT_DATABASE_URL", &database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{}\n", support::PASSWORD).as_bytes())
        .unwrap();
    assert!(add.wait().unwrap().success());
    let list = Command::new(support::process::BIN)
        .args(["agent", "list"])
        .env("CHAT_DATABASE_URL", &database_url)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("cara\tagent\tCara"));
    let node = TestServer::start_configured(move |config| config.database_url = database_url).await;
    assert!(node.login("cara", support::PASSWORD).await.is_ok());

    let refused = Command::new(support::process::BIN)
        .arg("serve")
        .env("CHAT_ADDR", "127.0.0.1:0")
        .env("CHAT_DATABASE_URL", "sqlite://unused.db")
        .env("CHAT_NATS_URL", "nats://127.0.0.1:4222")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("CHAT_NATS_URL is set, but CHAT_DATABASE_URL is SQLite"),
        "{said}"
    );
}

/// A visitor on `node`, on a page whose widget names the `sales` department.
async fn sales_visitor(node: &TestServer, n: u8) -> Client {
    let mut page = support::page("/pricing");
    page.department = "sales".into();
    node.visitor_on(&token(n), page).await
}

/// The offers a console heard of, newest last per chat, until nothing new came
/// for `quiet`.
async fn offers_heard(
    console: &mut Client,
    quiet: Duration,
) -> std::collections::HashMap<app::ids::ConversationId, Option<app::ids::AgentId>> {
    let mut offers = std::collections::HashMap::new();
    while let Some(msg) = console.try_next(quiet).await {
        if let ServerMsg::QueueAdded { item } = msg {
            offers.insert(item.conversation_id, item.offered_to);
        }
    }
    offers
}

/// Whether the console's accept of `id` won: it joined, or was refused.
async fn took(console: &mut Client, id: app::ids::ConversationId) -> bool {
    let outcome = console
        .expect(|m| match m {
            ServerMsg::Conversation { conversation } => conversation.id == id,
            ServerMsg::Error {
                conversation_id, ..
            } => *conversation_id == Some(id),
            _ => false,
        })
        .await;
    matches!(outcome, ServerMsg::Conversation { .. })
}

/// Routing with two nodes: chats started on either node are each offered to
/// exactly one agent, whom both nodes' consoles name alike, and of the two
/// agents taking one chat at once exactly one wins.
#[tokio::test]
async fn routing_across_nodes_offers_each_chat_to_one_agent() {
    let Some(cluster) = cluster(Duration::from_secs(5)).await else {
        return;
    };
    cluster.a.add_agent("ann", "Ann").await;
    cluster.a.add_agent("bob", "Bob").await;
    let store = cluster.a.server.chat.store();
    let (ann_id, bob_id) = (
        cluster.a.agent_id("ann").await,
        cluster.a.agent_id("bob").await,
    );
    cluster
        .a
        .server
        .chat
        .put_department(app::api::Department {
            id: "sales".into(),
            name: "Sales".into(),
            routing: app::api::Routing::RoundRobin,
            max_chats: 10,
            offer_seconds: 60,
            agents: vec![ann_id, bob_id],
            hours: None,
            away_message: String::new(),
        })
        .await
        .unwrap();
    let mut ann = cluster.a.agent("ann").await;
    let mut bob = cluster.b.agent("bob").await;
    // Each node learns of the other's agent through the presence lease.
    for (console, other) in [(&mut ann, "Bob"), (&mut bob, "Ann")] {
        console
            .expect(|m| {
                matches!(m, ServerMsg::AgentUpdated { agent } if agent.name == other
                && agent.status == app::protocol::AgentStatus::Online)
            })
            .await;
    }

    let mut visitors = Vec::new();
    let mut chats = Vec::new();
    for n in 1..=6u8 {
        let node = if n % 2 == 1 { &cluster.a } else { &cluster.b };
        let mut visitor = sales_visitor(node, n).await;
        chats.push(support::start_chat(&mut visitor, "how much is it?").await);
        visitors.push(visitor);
    }
    let quiet = Duration::from_millis(2500);
    let (heard_by_ann, heard_by_bob) =
        tokio::join!(offers_heard(&mut ann, quiet), offers_heard(&mut bob, quiet));
    for chat in &chats {
        let offered = heard_by_ann.get(chat).copied().flatten();
        assert!(
            offered.is_some(),
            "chat {chat} offered to nobody: {heard_by_ann:?}"
        );
        assert_eq!(
            heard_by_bob.get(chat).copied().flatten(),
            offered,
            "both nodes name one agent"
        );
    }
    let queue = store.queue().await.unwrap();
    for chat in &chats {
        let stored = queue.iter().find(|i| i.conversation_id == *chat).unwrap();
        assert_eq!(
            stored.offered_to, heard_by_ann[chat],
            "the consoles tell what is stored"
        );
    }
    let to_ann = chats
        .iter()
        .filter(|c| heard_by_ann[*c] == Some(ann_id))
        .count();
    assert!(
        (1..6).contains(&to_ann),
        "round robin gives both agents chats: {to_ann} of 6 to Ann"
    );

    // Both take the first chat at once, from their two nodes: one wins.
    let first = chats[0];
    ann.send(&ClientMsg::AcceptChat {
        conversation_id: first,
    })
    .await;
    bob.send(&ClientMsg::AcceptChat {
        conversation_id: first,
    })
    .await;
    let (ann_won, bob_won) = tokio::join!(took(&mut ann, first), took(&mut bob, first));
    assert!(ann_won ^ bob_won, "exactly one of them has the chat");
}

/// The departments away in a welcome or a change of availability.
fn away_of(msg: &ServerMsg) -> Option<Vec<String>> {
    match msg {
        ServerMsg::Welcome { away, .. } | ServerMsg::AgentsAvailable { away, .. } => {
            Some(away.iter().map(|d| d.department.clone()).collect())
        }
        _ => None,
    }
}

/// Waits until the visitor's widget was told that `wanted` are away (the
/// welcome may already have said so).
async fn told_away(visitor: &mut Client, last: Option<Vec<String>>, wanted: &[&str]) {
    if last.as_deref().is_some_and(|away| away == wanted) {
        return;
    }
    visitor
        .expect(|m| away_of(m).is_some_and(|away| away == wanted))
        .await;
}

/// Opening hours with two nodes: a department closed by an admin on one node
/// is away for the widgets on the other, and open again there when the hours
/// change; the department's agent online on the first node counts on both.
#[tokio::test]
async fn opening_hours_saved_on_one_node_reach_the_widgets_of_another() {
    let Some(cluster) = cluster(Duration::from_secs(5)).await else {
        return;
    };
    cluster.a.add_agent("ann", "Ann").await;
    let ann_id = cluster.a.agent_id("ann").await;
    let sales = |days: [Option<app::api::Opening>; 7]| app::api::Department {
        id: "sales".into(),
        name: "Sales".into(),
        routing: app::api::Routing::Manual,
        max_chats: 3,
        offer_seconds: 30,
        agents: vec![ann_id],
        hours: Some(app::api::BusinessHours {
            time_zone: "Europe/Lisbon".into(),
            days,
        }),
        away_message: "Closed".into(),
    };
    cluster
        .a
        .server
        .chat
        .put_department(sales([None; 7]))
        .await
        .unwrap();
    let _ann = cluster.a.agent("ann").await;
    let mut page = support::page("/pricing");
    page.department = "sales".into();
    let (mut visitor, welcome) = cluster.b.visitor_welcomed(&token(1), page).await;
    // Once node b knows Ann is online, sales is away for its hours alone.
    let online = |m: &ServerMsg| {
        matches!(
            m,
            ServerMsg::Welcome {
                agents_available: true,
                ..
            } | ServerMsg::AgentsAvailable {
                available: true,
                ..
            }
        )
    };
    let last = if online(&welcome) {
        welcome
    } else {
        visitor.expect(online).await
    };
    told_away(&mut visitor, away_of(&last), &["sales"]).await;

    let all_day = Some(app::api::Opening {
        opens: 0,
        closes: app::api::MINUTES_PER_DAY,
    });
    cluster
        .a
        .server
        .chat
        .put_department(sales([all_day; 7]))
        .await
        .unwrap();
    told_away(&mut visitor, None, &[]).await;
}

#[tokio::test]
async fn a_website_saved_on_one_node_is_embedded_and_styled_by_another() {
    let Some(cluster) = cluster(Duration::from_secs(5)).await else {
        return;
    };
    let shop = app::api::Website {
        id: "shop".into(),
        name: "Shop".into(),
        origins: vec!["https://shop.example.com".into()],
        settings: app::api::WidgetSettings {
            position: app::api::Position::Left,
            ..Default::default()
        },
    };
    cluster.a.server.chat.put_website(shop).await.unwrap();
    // Node b reads the websites again within its router's tick.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let found = cluster
            .b
            .server
            .chat
            .website_of_page(None, "https://shop.example.com/cart");
        if found.is_some_and(|w| w.settings.position == app::api::Position::Left)
            && cluster
                .b
                .server
                .chat
                .site_origins()
                .contains("https://shop.example.com")
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "node b never learnt of the website"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = reqwest::get(
        cluster
            .b
            .url("/widget?page_url=https%3A%2F%2Fshop.example.com%2F"),
    )
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(page.contains("data-position=\"left\""));
    // Its pages may open node b's visitor socket.
    let mut request = support::socket_request(cluster.b.server.addr, "/ws/visitor", None);
    request
        .headers_mut()
        .insert("origin", "https://shop.example.com".parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_ok());
}
