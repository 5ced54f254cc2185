//! The multi-party conversation method over the real server: three visitors and
//! three agents, the request server function, invitations gated on presence,
//! the 1:1 window switch, notices, privacy between visitors, ownership.

mod support;

use app::error::ErrorCode;
use app::ids::{ConversationId, InvitationId};
use app::protocol::{
    Body, ClientMsg, ConversationKind, ConversationState, InvitationState, Notice, ServerMsg,
};
use serde_json::json;
use std::time::Duration;
use support::{msg_id, token, Client, TestServer};

async fn invitation(client: &mut Client) -> (InvitationId, ConversationId) {
    let ServerMsg::Invitation { invitation } = client
        .expect(|m| matches!(m, ServerMsg::Invitation { invitation } if invitation.state == InvitationState::Pending))
        .await
    else {
        unreachable!()
    };
    (invitation.id, invitation.conversation_id)
}

async fn notice(client: &mut Client, want: Notice) {
    client
        .expect(|m| matches!(m, ServerMsg::Message { message, .. } if message.body == Body::Notice(want.clone())))
        .await;
}

fn visitor_id(client_welcome: &ServerMsg) -> String {
    match client_welcome {
        ServerMsg::VisitorUpdated { visitor } => visitor.id.to_string(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn three_visitors_and_three_agents_in_one_conversation() {
    let ts = TestServer::start(Duration::from_millis(500)).await;
    for (u, n) in [
        ("ann", "Ann"),
        ("bob", "Bob"),
        ("cat", "Cat"),
        ("dan", "Dan"),
    ] {
        ts.add_agent(u, n).await;
    }
    let (mut ann, ann_cookie) = ts.agent_with_cookie("ann").await;
    let mut bob = ts.agent("bob").await;
    let mut cat = ts.agent("cat").await;

    // v1 is in a 1:1 chat with Cat; v2 and v3 are only browsing.
    let mut v1 = ts
        .visitor(&token(1), "https://shop.example/secret-page-of-v1")
        .await;
    let v1_id = visitor_id(
        &ann.expect(|m| matches!(m, ServerMsg::VisitorUpdated { .. }))
            .await,
    );
    v1.send(&ClientMsg::StartChat {
        client_msg_id: msg_id(),
        text: "hi".into(),
    })
    .await;
    let ServerMsg::Ack {
        conversation_id: direct,
        ..
    } = v1.expect(|m| matches!(m, ServerMsg::Ack { .. })).await
    else {
        unreachable!()
    };
    cat.send(&ClientMsg::AcceptChat {
        conversation_id: direct,
    })
    .await;
    notice(&mut v1, Notice::Joined { name: "Cat".into() }).await;
    let mut v2 = ts.visitor(&token(2), "/demo/pricing").await;
    let v2_id = visitor_id(&ann.expect(|m| matches!(m, ServerMsg::VisitorUpdated { visitor } if visitor.page.url == "/demo/pricing")).await);
    let mut v3 = ts.visitor(&token(3), "/demo/contact").await;
    let v3_id = visitor_id(&ann.expect(|m| matches!(m, ServerMsg::VisitorUpdated { visitor } if visitor.page.url == "/demo/contact")).await);
    let agents = ts.server.chat.store().agents().await.unwrap();
    let id_of = |u: &str| {
        agents
            .iter()
            .find(|a| a.username == u)
            .unwrap()
            .id
            .to_string()
    };

    // Inviting an agent who is not online is refused, naming who.
    let (ok, body) = ts
        .call(
            &ann_cookie,
            "request_conversation",
            json!({"visitors": [v2_id], "agents": [id_of("dan")]}),
        )
        .await;
    assert!(
        !ok && body.contains("invitee_unavailable") && body.contains("Dan"),
        "{body}"
    );

    // The request: the server makes the id and pushes invitations.
    let (ok, body) = ts
        .call(
            &ann_cookie,
            "request_conversation",
            json!({"visitors": [v2_id, v3_id], "agents": [id_of("bob")]}),
        )
        .await;
    assert!(ok, "{body}");
    let group: ConversationId = serde_json::from_str(&body).unwrap();
    let (v2_inv, c) = invitation(&mut v2).await;
    assert_eq!(c, group);
    let (v3_inv, _) = invitation(&mut v3).await;
    let (bob_inv, _) = invitation(&mut bob).await;

    // Someone else's invitation is not found; an accepted one cannot be replayed.
    v3.send(&ClientMsg::AcceptInvitation {
        invitation_id: v2_inv,
    })
    .await;
    let err = v3.expect(|m| matches!(m, ServerMsg::Error { .. })).await;
    assert!(
        matches!(
            err,
            ServerMsg::Error {
                code: ErrorCode::NotFound,
                ..
            }
        ),
        "{err:?}"
    );
    v2.send(&ClientMsg::AcceptInvitation {
        invitation_id: v2_inv,
    })
    .await;
    notice(
        &mut ann,
        Notice::Joined {
            name: ts.visitor_name(2).await,
        },
    )
    .await;
    v2.send(&ClientMsg::AcceptInvitation {
        invitation_id: v2_inv,
    })
    .await;
    let err = v2.expect(|m| matches!(m, ServerMsg::Error { .. })).await;
    assert!(
        matches!(
            err,
            ServerMsg::Error {
                code: ErrorCode::InvitationClosed,
                ..
            }
        ),
        "{err:?}"
    );

    v3.send(&ClientMsg::DeclineInvitation {
        invitation_id: v3_inv,
    })
    .await;
    notice(
        &mut ann,
        Notice::Declined {
            name: ts.visitor_name(3).await,
        },
    )
    .await;
    bob.send(&ClientMsg::AcceptInvitation {
        invitation_id: bob_inv,
    })
    .await;
    notice(&mut v2, Notice::Joined { name: "Bob".into() }).await;

    // A message reaches every current participant once, and nobody else.
    v2.send(&ClientMsg::Send {
        conversation_id: group,
        client_msg_id: msg_id(),
        text: "hello all".into(),
    })
    .await;
    for client in [&mut ann, &mut bob, &mut v2] {
        let got = client
            .expect(|m| matches!(m, ServerMsg::Message { message, .. } if message.body == Body::Text { text: "hello all".into() }))
            .await;
        assert!(
            matches!(got, ServerMsg::Message { conversation_id, .. } if conversation_id == group)
        );
    }
    v3.expect_none(Duration::from_millis(300), |m| {
        matches!(m, ServerMsg::Message { .. })
    })
    .await;

    // Re-inviting someone who declined works; so does pulling in v1 from its 1:1 chat.
    let (ok, body) = ts
        .call(
            &ann_cookie,
            "invite_to_conversation",
            json!({"conversation_id": group, "visitors": [v3_id, v1_id], "agents": []}),
        )
        .await;
    assert!(ok, "{body}");
    let (v1_inv, _) = invitation(&mut v1).await;
    let (_v3_again, _) = invitation(&mut v3).await;
    v1.send(&ClientMsg::AcceptInvitation {
        invitation_id: v1_inv,
    })
    .await;
    // The group conversation opens and the 1:1 conversation ends for the visitor.
    let joined = v1
        .expect(
            |m| matches!(m, ServerMsg::Conversation { conversation } if conversation.id == group),
        )
        .await;
    v1.expect(|m| matches!(m, ServerMsg::Conversation { conversation } if conversation.id == direct && conversation.state == ConversationState::Closed)).await;
    let ServerMsg::Conversation { conversation } = joined else {
        unreachable!()
    };
    assert_eq!(conversation.kind, ConversationKind::Group);
    // Privacy: what v1 gets names the other visitors, and tells nothing else of them.
    let text = serde_json::to_string(&conversation).unwrap();
    assert!(
        !text.contains("/demo/pricing") && !text.contains(&token(2)),
        "{text}"
    );
    v1.send(&ClientMsg::Sync {
        conversation_id: group,
        after_seq: 0,
    })
    .await;
    let ServerMsg::History { messages, .. } =
        v1.expect(|m| matches!(m, ServerMsg::History { .. })).await
    else {
        unreachable!()
    };
    assert!(
        messages.iter().all(|m| m.body
            != Body::Text {
                text: "hello all".into()
            }),
        "a visitor sees the messages from the moment it joined"
    );
    let history = serde_json::to_string(&messages).unwrap();
    assert!(
        !history.contains("secret-page") && !history.contains("/demo/"),
        "{history}"
    );

    // The owner leaves: ownership passes to Bob; the last agent leaving closes it.
    ann.send(&ClientMsg::Leave {
        conversation_id: group,
    })
    .await;
    notice(&mut v2, Notice::OwnerChanged { name: "Bob".into() }).await;
    bob.send(&ClientMsg::Leave {
        conversation_id: group,
    })
    .await;
    notice(&mut v2, Notice::Closed).await;
    v2.send(&ClientMsg::Send {
        conversation_id: group,
        client_msg_id: msg_id(),
        text: "anyone?".into(),
    })
    .await;
    let err = v2.expect(|m| matches!(m, ServerMsg::Error { .. })).await;
    assert!(
        matches!(
            err,
            ServerMsg::Error {
                code: ErrorCode::ConversationClosed,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_pending_invitation_expires_when_its_invitee_leaves_the_site() {
    let ts = TestServer::start(Duration::from_millis(300)).await;
    ts.add_agent("ann", "Ann").await;
    let (mut ann, cookie) = ts.agent_with_cookie("ann").await;
    let mut vic = ts.visitor(&token(9), "/demo").await;
    let vic_id = visitor_id(
        &ann.expect(|m| matches!(m, ServerMsg::VisitorUpdated { .. }))
            .await,
    );
    let (ok, body) = ts
        .call(
            &cookie,
            "request_conversation",
            json!({"visitors": [vic_id], "agents": []}),
        )
        .await;
    assert!(ok, "{body}");
    let (invitation_id, _) = invitation(&mut vic).await;
    drop(vic);
    notice(
        &mut ann,
        Notice::InvitationExpired {
            name: ts.visitor_name(9).await,
        },
    )
    .await;

    // Back on the site, the expired invitation cannot be accepted.
    let mut vic = ts.visitor(&token(9), "/demo").await;
    vic.send(&ClientMsg::AcceptInvitation { invitation_id })
        .await;
    let err = vic.expect(|m| matches!(m, ServerMsg::Error { .. })).await;
    assert!(
        matches!(
            err,
            ServerMsg::Error {
                code: ErrorCode::InvitationClosed,
                ..
            }
        ),
        "{err:?}"
    );
}
