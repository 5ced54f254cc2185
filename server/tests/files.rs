//! Files: sent over HTTP with the sender's session, stored before the message that
//! carries them, served only to who may see that message and never so that they
//! could run in this origin. Hostile uploads are refused and leave nothing behind.

mod support;

use app::protocol::{ClientMsg, ServerMsg};
use std::time::Duration;
use support::{chatting, msg_id, post, start_chat, token, TestServer};

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// Sends `body` as a file into `conversation` with the visitor token `n`.
async fn visitor_upload(
    ts: &TestServer,
    n: u8,
    conversation: app::ids::ConversationId,
    name: &str,
    declared: &str,
    body: Vec<u8>,
) -> (u16, String) {
    let response = post(
        ts.server.addr,
        &format!(
            "/upload/{conversation}?name={}&client_msg_id={}",
            urlencode(name),
            msg_id()
        ),
    )
    .header("x-visitor-token", token(n))
    .header("content-type", declared)
    .body(body)
    .send()
    .await
    .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The files kept on disk (not counting ones being written).
fn stored(ts: &TestServer) -> Vec<String> {
    std::fs::read_dir(ts.dir.path().join("files"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_picture_reaches_the_agent_and_only_who_may_see_it_fetches_it() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let (mut ann, cookie) = ts.agent_with_cookie("ann").await;
    let (mut visitor, id) = chatting(&ts, &mut ann, 1, "here is the error").await;

    let (status, body) = visitor_upload(&ts, 1, id, "截图.png", "image/png", PNG.to_vec()).await;
    assert_eq!(status, 200, "{body}");
    let ServerMsg::Message { message, .. } = ann
        .expect(|m| matches!(m, ServerMsg::Message { message, .. } if message.file.is_some()))
        .await
    else {
        unreachable!()
    };
    let file = message.file.unwrap();
    assert_eq!(file.name, "截图.png");
    assert_eq!(file.content_type, "image/png");
    assert_eq!(file.size, PNG.len() as u64);

    // The agent fetches it with the session cookie.
    let got = reqwest::Client::new()
        .get(ts.url(&format!("/files/{}", file.id)))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    let headers = got.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("sandbox"));
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("inline;"));
    assert_eq!(got.bytes().await.unwrap().as_ref(), PNG);

    // The visitor by a signed link of their own; nobody without one.
    visitor
        .send(&ClientMsg::FileLink { file_id: file.id })
        .await;
    let ServerMsg::FileLink { url, .. } = visitor
        .expect(|m| matches!(m, ServerMsg::FileLink { .. }))
        .await
    else {
        unreachable!()
    };
    let got = reqwest::get(ts.url(&url)).await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().as_ref(), PNG);
    let bare = reqwest::get(ts.url(&format!("/files/{}", file.id)))
        .await
        .unwrap();
    assert_eq!(bare.status(), 404);
    let tampered = url.replace("&s=", "&s=00");
    assert_eq!(reqwest::get(ts.url(&tampered)).await.unwrap().status(), 404);
    // A visitor who is not in the conversation gets no link.
    let mut stranger = ts.visitor(&token(2), "/demo").await;
    stranger
        .send(&ClientMsg::FileLink { file_id: file.id })
        .await;
    assert_eq!(
        stranger.expect_error().await,
        app::error::ErrorCode::NotFound
    );
}

#[tokio::test]
async fn hostile_uploads_are_refused_and_leave_nothing_behind() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let (_visitor, id) = chatting(&ts, &mut ann, 1, "hello").await;
    let html = b"<html><body><script>alert(document.cookie)</script></body></html>".to_vec();
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec();

    for (name, declared, body, want) in [
        ("cat.png", "image/png", html.clone(), 415),
        ("notes.txt", "text/plain", html.clone(), 415),
        ("logo.svg", "image/svg+xml", svg.clone(), 415),
        ("logo.png", "image/png", svg, 415),
        ("cat.png", "text/html", PNG.to_vec(), 415),
        ("cat.html", "image/png", PNG.to_vec(), 415),
        (
            "big.png",
            "image/png",
            [PNG, &vec![0u8; 70 * 1024]].concat(),
            413,
        ),
        ("", "image/png", PNG.to_vec(), 422),
    ] {
        let (status, body) = visitor_upload(&ts, 1, id, name, declared, body).await;
        assert_eq!(status, want, "{name} as {declared}: {body}");
    }
    assert!(stored(&ts).is_empty(), "{:?}", stored(&ts));

    // Into a conversation of someone else's, or with no session: refused, nothing kept.
    let mut bob_visitor = ts.visitor(&token(3), "/demo").await;
    let theirs = start_chat(&mut bob_visitor, "mine").await;
    let (status, _) = visitor_upload(&ts, 1, theirs, "x.png", "image/png", PNG.to_vec()).await;
    assert_eq!(status, 404);
    let anonymous = post(
        ts.server.addr,
        &format!("/upload/{id}?name=x.png&client_msg_id={}", msg_id()),
    )
    .header("content-type", "image/png")
    .body(PNG.to_vec())
    .send()
    .await
    .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(stored(&ts).is_empty(), "{:?}", stored(&ts));

    // A name with folders in it: kept as its last part, stored under the id only.
    let (status, body) = visitor_upload(
        &ts,
        1,
        id,
        "../../../etc/cron.d/x.png",
        "image/png",
        PNG.to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"name\":\"x.png\""), "{body}");
    let kept = stored(&ts);
    assert_eq!(kept.len(), 1);
    assert!(kept[0].parse::<uuid::Uuid>().is_ok(), "{kept:?}");
}
