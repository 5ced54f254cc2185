//! Read receipts over the WebSocket: a participant's "seen up to" reaches everyone
//! in the conversation, only moves forward, is kept for the next connection, and
//! only a participant has one.

mod support;

use app::ids::Participant;
use app::protocol::{ClientMsg, ServerMsg};
use std::time::Duration;
use support::{chatting, token, TestServer};

#[tokio::test]
async fn a_read_position_reaches_everyone_in_it_and_is_kept() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let (mut visitor, id) = chatting(&ts, &mut ann, 1, "hello").await;

    visitor
        .send(&ClientMsg::Seen {
            conversation_id: id,
            seq: 2,
        })
        .await;
    let ServerMsg::Seen { seen, .. } = ann
        .expect(|m| matches!(m, ServerMsg::Seen { conversation_id, .. } if *conversation_id == id))
        .await
    else {
        unreachable!()
    };
    assert!(matches!(seen.participant, Participant::Visitor(_)));
    assert_eq!(seen.seq, 2);
    // Going back changes nothing and tells nobody.
    visitor
        .send(&ClientMsg::Seen {
            conversation_id: id,
            seq: 1,
        })
        .await;
    ann.expect_none(Duration::from_millis(300), |m| {
        matches!(m, ServerMsg::Seen { .. })
    })
    .await;

    // A new connection reads it in the conversation's summary.
    let (_again, welcome) = ts.visitor_manual(&token(1), "/demo").await;
    let ServerMsg::Welcome { conversations, .. } = welcome else {
        unreachable!()
    };
    let summary = conversations.iter().find(|c| c.id == id).unwrap();
    assert!(
        summary
            .seen
            .iter()
            .any(|s| matches!(s.participant, Participant::Visitor(_)) && s.seq == 2),
        "{summary:?}"
    );

    // Someone not in it has no read position there: nobody hears of one, and
    // the sender gets no error either (a window may send one as its own leaving
    // shows).
    let mut stranger = ts.visitor(&token(2), "/demo").await;
    stranger
        .send(&ClientMsg::Seen {
            conversation_id: id,
            seq: 1,
        })
        .await;
    stranger
        .expect_none(Duration::from_millis(300), |m| {
            matches!(m, ServerMsg::Error { .. })
        })
        .await;
    ann.expect_none(Duration::from_millis(300), |m| {
        matches!(m, ServerMsg::Seen { .. })
    })
    .await;
}
