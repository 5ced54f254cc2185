//! Transfer: an agent hands a chat to a colleague who is online (who joins it with
//! its whole history, owns it, and reads a note of why), or back to the queue. The
//! visitor is told who answers now and never reads the note; handing to an agent
//! who is not online is refused with a clear error and changes nothing.

mod support;

use app::protocol::{Body, ClientMsg, ConversationState, Notice, ServerMsg, Visibility};
use serde_json::json;
use std::time::Duration;
use support::{chatting, msg_id, TestServer};

const WHY: &str = "billing question, Bob knows the account";

#[tokio::test]
async fn a_chat_handed_to_an_online_colleague_keeps_its_history_and_tells_the_visitor() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    ts.add_agent("bob", "Bob").await;
    let (mut ann, ann_cookie) = ts.agent_with_cookie("ann").await;
    let mut bob = ts.agent("bob").await;
    let (mut visitor, id) = chatting(&ts, &mut ann, 1, "my invoice is wrong").await;
    let bob_id = ts.agent_id("bob").await;

    let (ok, body) = ts
        .call(
            &ann_cookie,
            "transfer",
            json!({ "conversation_id": id, "to": { "agent": bob_id }, "reason": WHY, "stay": false }),
        )
        .await;
    assert!(ok, "{body}");

    // Bob gets the conversation, owns it, and reads all of it, the note included.
    let ServerMsg::Conversation { conversation } = bob
        .expect(|m| matches!(m, ServerMsg::Conversation { conversation } if conversation.id == id))
        .await
    else {
        unreachable!()
    };
    assert_eq!(conversation.owner, Some(bob_id));
    assert_eq!(conversation.state, ConversationState::Active);
    let names: Vec<&str> = conversation
        .participants
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let visitor_name = ts.visitor_name(1).await;
    assert_eq!(names, [visitor_name.as_str(), "Bob"], "Ann left");
    let history = bob.history(id).await;
    assert!(history.iter().any(|m| m.body
        == Body::Text {
            text: "my invoice is wrong".into()
        }));
    let note = history
        .iter()
        .find(|m| m.body == Body::Text { text: WHY.into() })
        .expect("the note of why");
    assert_eq!(note.visibility, Visibility::Agents);
    assert!(history.iter().any(|m| m.body
        == Body::Notice(Notice::Transferred {
            name: "Ann".into(),
            to: "Bob".into()
        })));

    // The visitor is told who answers now, and Bob's answer reaches them.
    visitor
        .expect(|m| {
            matches!(m, ServerMsg::Message { message, .. }
            if matches!(&message.body, Body::Notice(Notice::Transferred { to, .. }) if to == "Bob"))
        })
        .await;
    bob.send(&ClientMsg::Send {
        conversation_id: id,
        client_msg_id: msg_id(),
        text: "Bob here, let me look".into(),
    })
    .await;
    visitor
        .expect(|m| {
            matches!(m, ServerMsg::Message { message, .. }
            if message.body == Body::Text { text: "Bob here, let me look".into() })
        })
        .await;
    let seen = visitor.history(id).await;
    assert!(
        seen.iter().all(|m| m.visibility == Visibility::Everyone),
        "a visitor never reads the note: {seen:?}"
    );
    // Ann is out of it: a send of hers is refused.
    ann.send(&ClientMsg::Send {
        conversation_id: id,
        client_msg_id: msg_id(),
        text: "still here?".into(),
    })
    .await;
    assert_eq!(ann.expect_error().await, app::error::ErrorCode::NotFound);
}

#[tokio::test]
async fn handing_to_an_agent_who_is_not_online_is_refused_and_changes_nothing() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    ts.add_agent("bob", "Bob").await;
    let (mut ann, ann_cookie) = ts.agent_with_cookie("ann").await;
    let (_visitor, id) = chatting(&ts, &mut ann, 1, "hello").await;
    let bob_id = ts.agent_id("bob").await;
    let transfer = |to: serde_json::Value| json!({ "conversation_id": id, "to": to, "reason": "", "stay": true });

    // Bob has no console open.
    let (ok, body) = ts
        .call(
            &ann_cookie,
            "transfer",
            transfer(json!({ "agent": bob_id })),
        )
        .await;
    assert!(!ok);
    assert!(
        body.contains("invitee_unavailable") && body.contains("Bob"),
        "{body}"
    );
    // Nor may Ann hand it to herself, or a stranger's conversation be handed.
    let ann_id = ts.agent_id("ann").await;
    let (ok, body) = ts
        .call(
            &ann_cookie,
            "transfer",
            transfer(json!({ "agent": ann_id })),
        )
        .await;
    assert!(!ok && body.contains("bad_request"), "{body}");
    let mut bob = ts.agent("bob").await;
    let (_other, theirs) = chatting(&ts, &mut bob, 2, "hi").await;
    let (ok, body) = ts
        .call(
            &ann_cookie,
            "transfer",
            json!({ "conversation_id": theirs, "to": "queue", "reason": "", "stay": false }),
        )
        .await;
    assert!(!ok && body.contains("not_found"), "{body}");

    let history = ann.history(id).await;
    assert!(history.iter().all(|m| !matches!(
        m.body,
        Body::Notice(Notice::Transferred { .. } | Notice::Requeued { .. })
    )));
}

#[tokio::test]
async fn a_chat_passed_back_to_the_queue_waits_for_the_next_agent() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    ts.add_agent("bob", "Bob").await;
    let (mut ann, ann_cookie) = ts.agent_with_cookie("ann").await;
    let mut bob = ts.agent("bob").await;
    let (mut visitor, id) = chatting(&ts, &mut ann, 1, "I need Spanish").await;

    let (ok, body) = ts
        .call(
            &ann_cookie,
            "transfer",
            json!({ "conversation_id": id, "to": "queue", "reason": "needs a Spanish speaker", "stay": true }),
        )
        .await;
    assert!(ok, "{body}");
    // Every console sees it waiting again, the visitor their place in the queue.
    let ServerMsg::QueueAdded { item } = bob
        .expect(|m| matches!(m, ServerMsg::QueueAdded { item } if item.conversation_id == id))
        .await
    else {
        unreachable!()
    };
    assert_eq!(item.first_message, "I need Spanish");
    visitor
        .expect(|m| {
            matches!(m, ServerMsg::Conversation { conversation }
            if conversation.id == id && conversation.state == ConversationState::Queued)
        })
        .await;
    visitor
        .expect(|m| matches!(m, ServerMsg::QueuePosition { conversation_id, position: 1 } if *conversation_id == id))
        .await;

    // The next agent takes it, with everything before.
    bob.send(&ClientMsg::AcceptChat {
        conversation_id: id,
    })
    .await;
    bob.expect(|m| {
        matches!(m, ServerMsg::Conversation { conversation }
        if conversation.id == id && conversation.state == ConversationState::Active)
    })
    .await;
    let history = bob.history(id).await;
    assert!(history.iter().any(|m| m.body
        == Body::Text {
            text: "needs a Spanish speaker".into()
        }));
    assert!(history
        .iter()
        .any(|m| m.body == Body::Notice(Notice::Requeued { name: "Ann".into() })));
}

#[tokio::test]
async fn in_a_group_the_others_stay_and_only_a_visitors_chat_goes_back_to_the_queue() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    ts.add_agent("bob", "Bob").await;
    ts.add_agent("cy", "Cy").await;
    let (mut ann, ann_cookie) = ts.agent_with_cookie("ann").await;
    let mut bob = ts.agent("bob").await;
    let mut cy = ts.agent("cy").await;
    let (bob_id, cy_id) = (ts.agent_id("bob").await, ts.agent_id("cy").await);
    let (mut visitor, welcome) = ts.visitor_manual(&support::token(1), "/demo").await;
    let ServerMsg::Welcome { me, .. } = welcome else {
        unreachable!()
    };
    let app::protocol::Me::Visitor { id: visitor_id, .. } = me else {
        unreachable!()
    };
    let (ok, body) = ts
        .call(
            &ann_cookie,
            "request_conversation",
            json!({ "visitors": [visitor_id], "agents": [bob_id] }),
        )
        .await;
    assert!(ok, "{body}");
    let id: app::ids::ConversationId = serde_json::from_str(&body).unwrap();
    for client in [&mut visitor, &mut bob] {
        let ServerMsg::Invitation { invitation } = client
            .expect(|m| matches!(m, ServerMsg::Invitation { .. }))
            .await
        else {
            unreachable!()
        };
        client
            .send(&ClientMsg::AcceptInvitation {
                invitation_id: invitation.id,
            })
            .await;
        client
            .expect(
                |m| matches!(m, ServerMsg::Conversation { conversation } if conversation.id == id),
            )
            .await;
    }
    ann.expect(|m| {
        matches!(m, ServerMsg::Conversation { conversation }
        if conversation.id == id && conversation.participants.len() == 3)
    })
    .await;

    let (ok, body) = ts
        .call(
            &ann_cookie,
            "transfer",
            json!({ "conversation_id": id, "to": "queue", "reason": "", "stay": false }),
        )
        .await;
    assert!(!ok && body.contains("bad_request"), "{body}");

    let (ok, body) = ts
        .call(
            &ann_cookie,
            "transfer",
            json!({ "conversation_id": id, "to": { "agent": cy_id }, "reason": "", "stay": false }),
        )
        .await;
    assert!(ok, "{body}");
    let ServerMsg::Conversation { conversation } = cy
        .expect(|m| matches!(m, ServerMsg::Conversation { conversation } if conversation.id == id))
        .await
    else {
        unreachable!()
    };
    assert_eq!(conversation.owner, Some(cy_id));
    let mut people: Vec<_> = conversation
        .participants
        .iter()
        .map(|p| p.participant)
        .collect();
    people.sort_by_key(|p| format!("{p:?}"));
    let mut expected = vec![
        app::ids::Participant::Visitor(visitor_id),
        app::ids::Participant::Agent(bob_id),
        app::ids::Participant::Agent(cy_id),
    ];
    expected.sort_by_key(|p| format!("{p:?}"));
    assert_eq!(
        people, expected,
        "the visitor and Bob stay, Ann left, Cy joined"
    );
}
