//! Transcripts hold exactly what their reader may see: a visitor's (over the
//! WebSocket) has no internal note, an agent's (a file from `/transcript/{id}`)
//! has everything; nobody else gets one.

mod support;

use app::error::ErrorCode;
use app::protocol::{ClientMsg, ServerMsg};
use std::time::Duration;
use support::{chatting, msg_id, token, TestServer};

const NOTE: &str = "refund approved, not to be told yet";

#[tokio::test]
async fn each_reader_gets_what_they_may_see_and_nobody_else_any() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let (mut ann, cookie) = ts.agent_with_cookie("ann").await;
    let (mut visitor, id) = chatting(&ts, &mut ann, 1, "我要退款").await;
    ann.send(&ClientMsg::SendNote {
        conversation_id: id,
        client_msg_id: msg_id(),
        text: NOTE.into(),
    })
    .await;
    ann.expect(|m| matches!(m, ServerMsg::Ack { .. })).await;

    // The visitor's, in Chinese: their words, the notice, not the note.
    visitor
        .send(&ClientMsg::Transcript {
            conversation_id: id,
            lang: Some("zh-Hans".into()),
        })
        .await;
    let ServerMsg::Transcript { text, .. } = visitor
        .expect(|m| matches!(m, ServerMsg::Transcript { .. }))
        .await
    else {
        unreachable!()
    };
    assert!(text.starts_with("聊天记录: "), "{text}");
    assert!(text.contains(": 我要退款\n"), "{text}");
    assert!(text.contains("Ann 加入了会话"), "{text}");
    assert!(
        !text.contains(NOTE),
        "a visitor's transcript has no note: {text}"
    );

    // The agent's file has everything, the note marked.
    let response = reqwest::Client::new()
        .get(ts.url(&format!("/transcript/{id}?lang=en")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        format!("attachment; filename=\"transcript-{id}.txt\"").as_str()
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let file = response.text().await.unwrap();
    assert!(
        file.contains(&format!("Ann (Internal note): {NOTE}")),
        "{file}"
    );

    // Without a session, or for someone who never took part: nothing.
    let anonymous = reqwest::get(ts.url(&format!("/transcript/{id}")))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(!anonymous.text().await.unwrap().contains("退款"));
    let mut stranger = ts.visitor(&token(2), "/demo").await;
    stranger
        .send(&ClientMsg::Transcript {
            conversation_id: id,
            lang: None,
        })
        .await;
    assert_eq!(stranger.expect_error().await, ErrorCode::NotFound);
}
