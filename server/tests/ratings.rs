//! Ratings: a visitor rates a chat that ended; every agent console hears of it.
//! Only visitors who took part may rate, agents may not, and comments are bounded.

mod support;

use app::error::ErrorCode;
use app::protocol::{ClientMsg, ServerMsg, MAX_COMMENT_CHARS};
use std::time::Duration;
use support::{msg_id, token, TestServer};

#[tokio::test]
async fn a_visitor_rates_a_chat_that_ended_and_agents_see_it() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let mut visitor = ts.visitor(&token(1), "/demo").await;
    visitor
        .send(&ClientMsg::StartChat {
            client_msg_id: msg_id(),
            text: "my order is late".into(),
        })
        .await;
    let ServerMsg::Ack {
        conversation_id: id,
        ..
    } = visitor.expect(|m| matches!(m, ServerMsg::Ack { .. })).await
    else {
        unreachable!()
    };
    ann.send(&ClientMsg::AcceptChat {
        conversation_id: id,
    })
    .await;
    ann.expect(|m| matches!(m, ServerMsg::Conversation { .. }))
        .await;
    visitor
        .send(&ClientMsg::Leave {
            conversation_id: id,
        })
        .await;

    visitor
        .send(&ClientMsg::Rate {
            conversation_id: id,
            good: false,
            comment: "  took too long  ".into(),
        })
        .await;
    let ServerMsg::Rated { rating } = visitor
        .expect(|m| matches!(m, ServerMsg::Rated { .. }))
        .await
    else {
        unreachable!()
    };
    assert!(!rating.good);
    assert_eq!(rating.comment, "took too long", "trimmed");
    let ServerMsg::Rated { rating: seen } =
        ann.expect(|m| matches!(m, ServerMsg::Rated { .. })).await
    else {
        unreachable!()
    };
    assert_eq!(seen, rating);

    // Over-long comments are refused; agents may not rate; strangers find nothing.
    visitor
        .send(&ClientMsg::Rate {
            conversation_id: id,
            good: true,
            comment: "x".repeat(MAX_COMMENT_CHARS + 1),
        })
        .await;
    assert_eq!(visitor.expect_error().await, ErrorCode::TooLong);
    ann.send(&ClientMsg::Rate {
        conversation_id: id,
        good: true,
        comment: String::new(),
    })
    .await;
    assert_eq!(ann.expect_error().await, ErrorCode::Forbidden);
    let mut stranger = ts.visitor(&token(2), "/demo").await;
    stranger
        .send(&ClientMsg::Rate {
            conversation_id: id,
            good: true,
            comment: String::new(),
        })
        .await;
    assert_eq!(stranger.expect_error().await, ErrorCode::NotFound);
    let kept = ts.server.chat.store().ratings(id).await.unwrap();
    assert_eq!(kept, vec![rating]);
}
