//! 1:1 chat over the real WebSocket channel: queue, accept, messages both ways,
//! idempotent resends, resume after a reconnect, presence, the offline form.

mod support;

use app::error::ErrorCode;
use app::protocol::{Body, ClientMsg, ConversationState, Notice, ServerMsg};
use std::time::Duration;
use support::{msg_id, token, TestServer};

#[tokio::test]
async fn a_visitor_and_an_agent_chat_one_to_one() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann Agent").await;
    let mut ann = ts.agent("ann").await;
    let mut vic = ts.visitor(&token(1), "https://shop.example/pricing").await;

    let seen = ann
        .expect(|m| matches!(m, ServerMsg::VisitorUpdated { .. }))
        .await;
    let ServerMsg::VisitorUpdated { visitor } = seen else {
        unreachable!()
    };
    assert_eq!(visitor.page.url, "https://shop.example/pricing");
    assert_eq!(visitor.pages_viewed, 1);
    assert!(!visitor.in_chat);

    let first = msg_id();
    vic.send(&ClientMsg::StartChat {
        client_msg_id: first,
        text: "Hello?".into(),
    })
    .await;
    let ServerMsg::Ack {
        conversation_id,
        seq,
        ..
    } = vic.expect(|m| matches!(m, ServerMsg::Ack { .. })).await
    else {
        unreachable!()
    };
    assert_eq!(seq, 1);
    let ServerMsg::QueueAdded { item } = ann
        .expect(|m| matches!(m, ServerMsg::QueueAdded { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(item.conversation_id, conversation_id);
    assert_eq!(item.first_message, "Hello?");

    ann.send(&ClientMsg::AcceptChat { conversation_id }).await;
    ann.expect(|m| matches!(m, ServerMsg::QueueRemoved { .. }))
        .await;
    for client in [&mut ann, &mut vic] {
        let joined = client
            .expect(|m| matches!(m, ServerMsg::Message { message, .. } if message.seq == 2))
            .await;
        let ServerMsg::Message { message, .. } = joined else {
            unreachable!()
        };
        assert_eq!(
            message.body,
            Body::Notice(Notice::Joined {
                name: "Ann Agent".into()
            })
        );
    }

    let reply = msg_id();
    ann.send(&ClientMsg::Send {
        conversation_id,
        client_msg_id: reply,
        text: "Hi, how can I help?".into(),
    })
    .await;
    ann.expect(
        |m| matches!(m, ServerMsg::Ack { client_msg_id, seq: 3, .. } if *client_msg_id == reply),
    )
    .await;
    let got = vic.expect(|m| matches!(m, ServerMsg::Message { .. })).await;
    let ServerMsg::Message { message, .. } = got else {
        unreachable!()
    };
    assert_eq!(message.seq, 3);
    assert_eq!(
        message.body,
        Body::Text {
            text: "Hi, how can I help?".into()
        }
    );
    assert_eq!(message.author.unwrap().name, "Ann Agent");

    // A resend with the same id is acknowledged with the original seq, stored once.
    ann.send(&ClientMsg::Send {
        conversation_id,
        client_msg_id: reply,
        text: "Hi, how can I help?".into(),
    })
    .await;
    ann.expect(|m| matches!(m, ServerMsg::Ack { seq: 3, .. }))
        .await;
    vic.expect_none(Duration::from_millis(300), |m| {
        matches!(m, ServerMsg::Message { .. })
    })
    .await;
    // The same id with another body is refused.
    ann.send(&ClientMsg::Send {
        conversation_id,
        client_msg_id: reply,
        text: "changed".into(),
    })
    .await;
    let err = ann.expect(|m| matches!(m, ServerMsg::Error { .. })).await;
    assert!(
        matches!(
            err,
            ServerMsg::Error {
                code: ErrorCode::IdConflict,
                ..
            }
        ),
        "{err:?}"
    );

    // Typing reaches the other side only.
    vic.send(&ClientMsg::Typing {
        conversation_id,
        typing: true,
    })
    .await;
    let typing = ann.expect(|m| matches!(m, ServerMsg::Typing { .. })).await;
    assert!(matches!(typing, ServerMsg::Typing { typing: true, .. }));
}

#[tokio::test]
async fn a_reconnecting_visitor_resumes_with_the_whole_history() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let mut vic = ts.visitor(&token(2), "/demo").await;
    vic.send(&ClientMsg::StartChat {
        client_msg_id: msg_id(),
        text: "one".into(),
    })
    .await;
    let ServerMsg::Ack {
        conversation_id, ..
    } = vic.expect(|m| matches!(m, ServerMsg::Ack { .. })).await
    else {
        unreachable!()
    };
    ann.send(&ClientMsg::AcceptChat { conversation_id }).await;
    // Ann's joining is entry 2; only then does the visitor write entry 3.
    vic.expect(|m| matches!(m, ServerMsg::Message { message, .. } if message.seq == 2))
        .await;
    vic.send(&ClientMsg::Send {
        conversation_id,
        client_msg_id: msg_id(),
        text: "two".into(),
    })
    .await;
    vic.expect(|m| matches!(m, ServerMsg::Ack { seq: 3, .. }))
        .await;
    drop(vic);

    // A new page: the same token, a new connection.
    let (mut vic, welcome) = ts.visitor_manual(&token(2), "/demo/pricing").await;
    let ServerMsg::Welcome { conversations, .. } = welcome else {
        unreachable!()
    };
    assert_eq!(conversations.len(), 1);
    assert_eq!(conversations[0].id, conversation_id);
    assert_eq!(conversations[0].state, ConversationState::Active);

    vic.send(&ClientMsg::Sync {
        conversation_id,
        after_seq: 1,
    })
    .await;
    let ServerMsg::History { messages, more, .. } =
        vic.expect(|m| matches!(m, ServerMsg::History { .. })).await
    else {
        unreachable!()
    };
    assert!(!more);
    let seqs: Vec<u64> = messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, vec![2, 3], "exactly the gap after seq 1");

    // The agent saw one visit with two pages, not two visitors.
    let update = ann
        .expect(|m| matches!(m, ServerMsg::VisitorUpdated { visitor } if visitor.page.url == "/demo/pricing"))
        .await;
    let ServerMsg::VisitorUpdated { visitor } = update else {
        unreachable!()
    };
    assert_eq!(visitor.pages_viewed, 2);
    assert!(visitor.in_chat);
}

#[tokio::test]
async fn only_one_of_two_agents_accepting_at_once_gets_the_chat() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    ts.add_agent("bob", "Bob").await;
    let mut ann = ts.agent("ann").await;
    let mut bob = ts.agent("bob").await;
    let mut vic = ts.visitor(&token(3), "/demo").await;
    vic.send(&ClientMsg::StartChat {
        client_msg_id: msg_id(),
        text: "help".into(),
    })
    .await;
    let ServerMsg::Ack {
        conversation_id, ..
    } = vic.expect(|m| matches!(m, ServerMsg::Ack { .. })).await
    else {
        unreachable!()
    };
    let accept = ClientMsg::AcceptChat { conversation_id };
    tokio::join!(ann.send(&accept), bob.send(&accept));

    let mut winners = 0;
    let mut losers = 0;
    for client in [&mut ann, &mut bob] {
        let outcome = client
            .expect(|m| {
                matches!(m, ServerMsg::Conversation { .. })
                    || matches!(
                        m,
                        ServerMsg::Error {
                            code: ErrorCode::AlreadyTaken,
                            ..
                        }
                    )
            })
            .await;
        match outcome {
            ServerMsg::Conversation { .. } => winners += 1,
            _ => losers += 1,
        }
    }
    assert_eq!((winners, losers), (1, 1));
    let ServerMsg::Conversation { conversation } =
        vic.expect(|m| matches!(m, ServerMsg::Conversation { conversation } if conversation.participants.len() == 2)).await
    else {
        unreachable!()
    };
    assert_eq!(
        conversation
            .participants
            .iter()
            .filter(|p| p.participant.is_agent())
            .count(),
        1
    );
}

#[tokio::test]
async fn presence_ends_after_the_grace_period_and_not_before() {
    let ts = TestServer::start(Duration::from_millis(400)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let vic = ts.visitor(&token(4), "/demo").await;
    ann.expect(|m| matches!(m, ServerMsg::VisitorUpdated { .. }))
        .await;
    drop(vic);
    // Back within the grace period: no departure.
    let vic = ts.visitor(&token(4), "/demo/contact").await;
    ann.expect_none(Duration::from_millis(700), |m| {
        matches!(m, ServerMsg::VisitorLeft { .. })
    })
    .await;
    drop(vic);
    ann.expect(|m| matches!(m, ServerMsg::VisitorLeft { .. }))
        .await;
}

#[tokio::test]
async fn with_no_agent_online_visitors_leave_a_message() {
    let ts = TestServer::start(Duration::from_millis(200)).await;
    let (mut vic, welcome) = ts.visitor_manual(&token(5), "/demo/contact").await;
    assert!(matches!(
        welcome,
        ServerMsg::Welcome {
            agents_available: false,
            ..
        }
    ));

    vic.send(&ClientMsg::LeaveMessage {
        name: "Vic".into(),
        email: "not an email".into(),
        text: "hi".into(),
    })
    .await;
    let err = vic.expect(|m| matches!(m, ServerMsg::Error { .. })).await;
    assert!(matches!(
        err,
        ServerMsg::Error {
            code: ErrorCode::InvalidField,
            ..
        }
    ));

    vic.send(&ClientMsg::LeaveMessage {
        name: "Vic".into(),
        email: "vic@example.com".into(),
        text: "Please call me back".into(),
    })
    .await;
    vic.expect(|m| matches!(m, ServerMsg::OfflineMessageStored))
        .await;
    let stored = ts.server.chat.store().offline_messages(10).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].body, "Please call me back");
    assert_eq!(stored[0].page_url, "/demo/contact");

    // An agent coming online is announced to the visitor.
    ts.add_agent("ann", "Ann").await;
    let _ann = ts.agent("ann").await;
    vic.expect(|m| {
        matches!(
            m,
            ServerMsg::AgentsAvailable {
                available: true,
                ..
            }
        )
    })
    .await;
}

#[tokio::test]
async fn strangers_get_not_found_and_bad_frames_a_clear_error() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    let mut one = ts.visitor(&token(6), "/demo").await;
    one.send(&ClientMsg::StartChat {
        client_msg_id: msg_id(),
        text: "mine".into(),
    })
    .await;
    let ServerMsg::Ack {
        conversation_id, ..
    } = one.expect(|m| matches!(m, ServerMsg::Ack { .. })).await
    else {
        unreachable!()
    };
    let mut two = ts.visitor(&token(7), "/demo").await;
    two.send(&ClientMsg::Sync {
        conversation_id,
        after_seq: 0,
    })
    .await;
    let err = two.expect(|m| matches!(m, ServerMsg::Error { .. })).await;
    assert!(matches!(
        err,
        ServerMsg::Error {
            code: ErrorCode::NotFound,
            ..
        }
    ));
    two.send(&ClientMsg::Send {
        conversation_id,
        client_msg_id: msg_id(),
        text: "intrude".into(),
    })
    .await;
    let err = two.expect(|m| matches!(m, ServerMsg::Error { .. })).await;
    assert!(matches!(
        err,
        ServerMsg::Error {
            code: ErrorCode::NotFound,
            ..
        }
    ));
    // A visitor may not accept chats.
    two.send(&ClientMsg::AcceptChat { conversation_id }).await;
    let err = two.expect(|m| matches!(m, ServerMsg::Error { .. })).await;
    assert!(matches!(
        err,
        ServerMsg::Error {
            code: ErrorCode::Forbidden,
            ..
        }
    ));

    two.send_raw("{not json").await;
    let err = two.expect(|m| matches!(m, ServerMsg::Error { .. })).await;
    assert!(matches!(
        err,
        ServerMsg::Error {
            code: ErrorCode::BadRequest,
            ..
        }
    ));
    two.send_raw(r#"{"type":"format_disk"}"#).await;
    let err = two.expect(|m| matches!(m, ServerMsg::Error { .. })).await;
    assert!(matches!(
        err,
        ServerMsg::Error {
            code: ErrorCode::BadRequest,
            ..
        }
    ));
}

#[tokio::test]
async fn logins_are_checked_and_agent_sockets_need_a_session() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let wrong = ts.login("ann", "wrong password").await.unwrap_err();
    let unknown = ts.login("nobody", "wrong password").await.unwrap_err();
    assert!(wrong.contains("invalid_login"), "{wrong}");
    assert_eq!(wrong, unknown, "the same answer for an unknown user");
    let refused = tokio_tungstenite::connect_async(support::socket_request(
        ts.server.addr,
        "/ws/agent",
        None,
    ))
    .await;
    assert!(refused.is_err(), "no session, no agent socket");
    let bad_token = tokio_tungstenite::connect_async(support::socket_request(
        ts.server.addr,
        "/ws/visitor",
        None,
    ))
    .await
    .unwrap();
    let mut client = support::Client::new(bad_token.0);
    client
        .send(&ClientMsg::Hello {
            token: Some("short".into()),
            page: Some(support::page("/")),
            identity: None,
        })
        .await;
    let err = client.next().await;
    assert!(
        matches!(
            err,
            ServerMsg::Error {
                code: ErrorCode::InvalidField,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn visitors_choose_the_name_others_see() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let mut vic = ts.visitor(&token(8), "/demo").await;

    for (bad, code) in [
        ("   ", ErrorCode::InvalidField),
        ("line\nbreak", ErrorCode::InvalidField),
        (&"n".repeat(81) as &str, ErrorCode::TooLong),
    ] {
        vic.send(&ClientMsg::SetName { name: bad.into() }).await;
        let err = vic.expect(|m| matches!(m, ServerMsg::Error { .. })).await;
        assert!(
            matches!(err, ServerMsg::Error { code: c, .. } if c == code),
            "{bad:?}: {err:?}"
        );
    }
    vic.send(&ClientMsg::SetName {
        name: "Marie Curie".into(),
    })
    .await;
    let done = vic
        .expect(|m| matches!(m, ServerMsg::NameChanged { .. }))
        .await;
    assert_eq!(
        done,
        ServerMsg::NameChanged {
            name: "Marie Curie".into()
        }
    );
    ann.expect(
        |m| matches!(m, ServerMsg::VisitorUpdated { visitor } if visitor.name == "Marie Curie"),
    )
    .await;

    vic.send(&ClientMsg::StartChat {
        client_msg_id: msg_id(),
        text: "hi".into(),
    })
    .await;
    let ServerMsg::QueueAdded { item } = ann
        .expect(|m| matches!(m, ServerMsg::QueueAdded { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(item.visitor_name, "Marie Curie");
    // The name is kept: a new connection with the same token has it.
    drop(vic);
    let (_vic, welcome) = ts.visitor_manual(&token(8), "/demo").await;
    assert!(
        matches!(&welcome, ServerMsg::Welcome { me: app::protocol::Me::Visitor { name, .. }, .. } if name == "Marie Curie"),
        "{welcome:?}"
    );
}
