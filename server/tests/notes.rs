//! Internal notes: entries of a conversation for agents only. However a visitor
//! reads the conversation (live, by `sync`, after a reconnect), it never receives
//! a note, while every agent in the conversation does.

mod support;

use app::error::ErrorCode;
use app::protocol::{Body, ClientMsg, ServerMsg, Visibility};
use std::time::Duration;
use support::{chatting, msg_id, token, TestServer};

const SECRET: &str = "refund approved, do not tell yet";

fn is_secret(msg: &ServerMsg) -> bool {
    let text = serde_json::to_string(msg).unwrap();
    text.contains(SECRET)
}

#[tokio::test]
async fn a_note_reaches_every_agent_and_no_visitor_live_in_sync_or_after_a_reconnect() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let (mut visitor, id) = chatting(&ts, &mut ann, 1, "I want a refund").await;

    let note_id = msg_id();
    ann.send(&ClientMsg::SendNote {
        conversation_id: id,
        client_msg_id: note_id,
        text: SECRET.into(),
    })
    .await;
    // The entry goes out on commit, then the acknowledgement.
    let ServerMsg::Message { message, .. } = ann
        .expect(|m| matches!(m, ServerMsg::Message { message, .. } if message.id == note_id))
        .await
    else {
        unreachable!()
    };
    let seq = message.seq;
    ann.expect(|m| matches!(m, ServerMsg::Ack { client_msg_id, seq: s, .. } if *client_msg_id == note_id && *s == seq))
        .await;
    assert_eq!(message.visibility, Visibility::Agents);
    assert_eq!(
        message.body,
        Body::Text {
            text: SECRET.into()
        }
    );

    // A message after the note reaches the visitor; the note never did.
    ann.send(&ClientMsg::Send {
        conversation_id: id,
        client_msg_id: msg_id(),
        text: "let me check".into(),
    })
    .await;
    loop {
        let msg = visitor.next().await;
        assert!(!is_secret(&msg), "a visitor got the note: {msg:?}");
        if matches!(&msg, ServerMsg::Message { message, .. } if message.seq == seq + 1) {
            break;
        }
    }
    // Not in its history either, nor on a new connection.
    let history = visitor.history(id).await;
    assert!(history.iter().all(|m| m.seq != seq), "{history:?}");
    assert!(history.iter().any(|m| m.seq == seq + 1));
    let mut again = ts.visitor(&token(1), "/demo/pricing").await;
    again
        .expect_none(Duration::from_millis(300), is_secret)
        .await;
    assert!(again.history(id).await.iter().all(|m| m.seq != seq));

    // Agents read it back.
    assert!(ann.history(id).await.iter().any(|m| m.seq == seq));
}

#[tokio::test]
async fn visitors_may_not_write_notes() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let (mut visitor, id) = chatting(&ts, &mut ann, 1, "I want a refund").await;
    visitor
        .send(&ClientMsg::SendNote {
            conversation_id: id,
            client_msg_id: msg_id(),
            text: "pretend to be staff".into(),
        })
        .await;
    assert_eq!(visitor.expect_error().await, ErrorCode::Forbidden);
    assert!(ann
        .history(id)
        .await
        .iter()
        .all(|m| m.visibility == Visibility::Everyone));
}
