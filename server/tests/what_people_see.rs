//! What the server tells visitors and agents so that the widget and the console
//! can show it: the place in the queue, invitations that survive a page change
//! and name who is in the conversation, a visitor's new name in every open
//! conversation, the notice when a visitor moves from a 1:1 chat into a group,
//! refusals as 4xx with names instead of ids, and offline messages marked handled.

mod support;

use app::error::ErrorCode;
use app::ids::{ConversationId, MessageId};
use app::protocol::{
    Body, ClientMsg, ConversationState, InvitationInfo, InvitationState, Notice, OfflineMessage,
    ServerMsg,
};
use serde_json::json;
use std::time::Duration;
use support::{msg_id, post, start_chat, token, Client, TestServer};

/// Starts a chat and returns it with the place in the queue the visitor is told.
async fn start_waiting(visitor: &mut Client, text: &str) -> (ConversationId, u32) {
    visitor
        .send(&ClientMsg::StartChat {
            client_msg_id: msg_id(),
            text: text.into(),
        })
        .await;
    let ServerMsg::QueuePosition {
        conversation_id,
        position,
    } = visitor
        .expect(|m| matches!(m, ServerMsg::QueuePosition { .. }))
        .await
    else {
        unreachable!()
    };
    (conversation_id, position)
}

async fn position(visitor: &mut Client, of: ConversationId) -> u32 {
    let ServerMsg::QueuePosition { position, .. } = visitor
        .expect(|m| matches!(m, ServerMsg::QueuePosition { conversation_id, .. } if *conversation_id == of))
        .await
    else {
        unreachable!()
    };
    position
}

/// The next invitation this client is told of.
async fn next_invitation(client: &mut Client) -> InvitationInfo {
    let ServerMsg::Invitation { invitation } = client
        .expect(|m| matches!(m, ServerMsg::Invitation { .. }))
        .await
    else {
        unreachable!()
    };
    invitation
}

async fn visitor_id(agent: &mut Client, url: &str) -> String {
    let ServerMsg::VisitorUpdated { visitor } = agent
        .expect(|m| matches!(m, ServerMsg::VisitorUpdated { visitor } if visitor.page.url == url))
        .await
    else {
        unreachable!()
    };
    visitor.id.to_string()
}

#[tokio::test]
async fn a_waiting_visitor_hears_their_place_in_the_queue_as_it_changes() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let mut first = ts.visitor(&token(1), "/demo").await;
    let mut second = ts.visitor(&token(2), "/demo/pricing").await;

    let (c1, place) = start_waiting(&mut first, "first in line").await;
    assert_eq!(place, 1);
    let (c2, place) = start_waiting(&mut second, "second in line").await;
    assert_eq!(place, 2);

    // Coming back on another page, the visitor is told the place again.
    drop(second);
    let mut second = ts.visitor(&token(2), "/demo/contact").await;
    assert_eq!(position(&mut second, c2).await, 2);

    // The one ahead is taken: the second moves up.
    ann.send(&ClientMsg::AcceptChat {
        conversation_id: c1,
    })
    .await;
    assert_eq!(position(&mut second, c2).await, 1);
    // A chat no longer waiting has no place.
    first
        .expect_none(Duration::from_millis(300), |m| {
            matches!(m, ServerMsg::QueuePosition { conversation_id, .. } if *conversation_id == c1)
        })
        .await;
}

#[tokio::test]
async fn an_invitation_names_the_participants_and_comes_back_after_a_page_change() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    ts.add_agent("bob", "Bob").await;
    let (mut ann, cookie) = ts.agent_with_cookie("ann").await;
    let mut bob = ts.agent("bob").await;
    let mut vic = ts.visitor(&token(3), "/demo").await;
    let vic_id = visitor_id(&mut ann, "/demo").await;
    let bob_id = ts
        .server
        .chat
        .store()
        .agent_by_username("bob")
        .await
        .unwrap()
        .unwrap()
        .id;

    let (ok, body) = ts
        .call(
            &cookie,
            "request_conversation",
            json!({"visitors": [], "agents": [bob_id]}),
        )
        .await;
    assert!(ok, "{body}");
    let group: ConversationId = serde_json::from_str(&body).unwrap();
    let invitation = next_invitation(&mut bob).await;
    bob.send(&ClientMsg::AcceptInvitation {
        invitation_id: invitation.id,
    })
    .await;
    bob.expect(|m| matches!(m, ServerMsg::Conversation { conversation } if conversation.id == group && conversation.participants.len() == 2))
        .await;

    let (ok, body) = ts
        .call(
            &cookie,
            "invite_to_conversation",
            json!({"conversation_id": group, "visitors": [vic_id], "agents": []}),
        )
        .await;
    assert!(ok, "{body}");
    let invitation = next_invitation(&mut vic).await;
    assert_eq!(invitation.inviter_name, "Ann");
    let mut names = invitation.participants.clone();
    names.sort();
    assert_eq!(names, ["Ann", "Bob"], "who the visitor would join");

    // The next page of the site shows the same invitation, with the same names.
    drop(vic);
    let mut vic = ts.visitor(&token(3), "/demo/pricing").await;
    let again = next_invitation(&mut vic).await;
    assert_eq!(again.id, invitation.id);
    assert_eq!(again.state, InvitationState::Pending);
    let mut names = again.participants;
    names.sort();
    assert_eq!(names, ["Ann", "Bob"]);
}

#[tokio::test]
async fn the_agent_of_a_one_to_one_chat_hears_that_the_visitor_moved_to_a_group() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    ts.add_agent("cat", "Cat").await;
    let (mut ann, cookie) = ts.agent_with_cookie("ann").await;
    let mut cat = ts.agent("cat").await;
    let mut vic = ts.visitor(&token(4), "/demo").await;
    let vic_id = visitor_id(&mut ann, "/demo").await;
    let direct = start_chat(&mut vic, "hello").await;
    cat.send(&ClientMsg::AcceptChat {
        conversation_id: direct,
    })
    .await;
    vic.expect(|m| matches!(m, ServerMsg::Message { message, .. } if message.body == Body::Notice(Notice::Joined { name: "Cat".into() })))
        .await;

    let (ok, body) = ts
        .call(
            &cookie,
            "request_conversation",
            json!({"visitors": [vic_id], "agents": []}),
        )
        .await;
    assert!(ok, "{body}");
    let invitation = next_invitation(&mut vic).await;
    vic.send(&ClientMsg::AcceptInvitation {
        invitation_id: invitation.id,
    })
    .await;
    let name = ts.visitor_name(4).await;
    // The notice and the closed chat, in either order.
    let (mut noticed, mut closed) = (false, false);
    let mut seen = Vec::new();
    while !(noticed && closed) {
        let msg = cat
            .try_next(support::WAIT)
            .await
            .unwrap_or_else(|| panic!("cat heard only {seen:#?}"));
        noticed |= matches!(&msg, ServerMsg::Message { conversation_id, message } if *conversation_id == direct && message.body == Body::Notice(Notice::MovedToGroup { name: name.clone() }));
        closed |= matches!(&msg, ServerMsg::Conversation { conversation } if conversation.id == direct && conversation.state == ConversationState::Closed);
        seen.push(msg);
    }

    // The visitor may still read the 1:1 chat they moved out of, up to the move.
    let messages = vic.history(direct).await;
    assert!(messages.iter().any(|m| m.body
        == Body::Text {
            text: "hello".into()
        }));
    assert!(matches!(
        messages.last().map(|m| &m.body),
        Some(Body::Notice(Notice::MovedToGroup { .. }))
    ));
}

#[tokio::test]
async fn a_new_name_reaches_everyone_in_the_visitors_open_conversations() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let mut vic = ts.visitor(&token(5), "/demo").await;
    let direct = start_chat(&mut vic, "hi").await;
    ann.send(&ClientMsg::AcceptChat {
        conversation_id: direct,
    })
    .await;
    ann.expect(
        |m| matches!(m, ServerMsg::Conversation { conversation } if conversation.id == direct),
    )
    .await;

    vic.send(&ClientMsg::SetName {
        name: "Grace Hopper".into(),
    })
    .await;
    ann.expect(|m| {
        matches!(m, ServerMsg::Conversation { conversation }
            if conversation.id == direct
            && conversation.participants.iter().any(|p| p.name == "Grace Hopper"))
    })
    .await;
}

#[tokio::test]
async fn refused_invitations_answer_4xx_with_the_code_and_names_never_ids() {
    let ts = TestServer::start(Duration::from_millis(200)).await;
    ts.add_agent("ann", "Ann").await;
    let (mut ann, cookie) = ts.agent_with_cookie("ann").await;
    let vic = ts.visitor(&token(6), "/demo").await;
    let vic_id = visitor_id(&mut ann, "/demo").await;
    let name = ts.visitor_name(6).await;
    drop(vic);
    ann.expect(|m| matches!(m, ServerMsg::VisitorLeft { .. }))
        .await;

    let response = post(ts.server.addr, "/api/request_conversation")
        .header("cookie", &cookie)
        .json(&json!({"visitors": [vic_id], "agents": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    let body = response.text().await.unwrap();
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["code"], "invitee_unavailable", "{body}");
    assert_eq!(error["detail"], name.as_str(), "{body}");
    assert!(!body.contains(&vic_id), "no raw id in {body}");

    // Without a session: 401; with nobody picked: 400.
    let response = post(ts.server.addr, "/api/request_conversation")
        .json(&json!({"visitors": [], "agents": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let response = post(ts.server.addr, "/api/request_conversation")
        .header("cookie", &cookie)
        .json(&json!({"visitors": [], "agents": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn an_offline_message_is_marked_handled_for_every_console_and_stays_so() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    ts.add_agent("bob", "Bob").await;
    let (_ann, ann_cookie) = ts.agent_with_cookie("ann").await;
    let mut bob = ts.agent("bob").await;
    let mut vic = ts.visitor(&token(7), "/demo/contact").await;
    vic.send(&ClientMsg::LeaveMessage {
        name: "Lin".into(),
        email: "lin@example.com".into(),
        text: "Please call me back".into(),
    })
    .await;
    vic.expect(|m| matches!(m, ServerMsg::OfflineMessageStored))
        .await;
    let ServerMsg::OfflineMessageReceived { message } = bob
        .expect(|m| matches!(m, ServerMsg::OfflineMessageReceived { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(message.handled, None);

    let (ok, body) = ts
        .call(
            &ann_cookie,
            "offline_handled",
            json!({"id": message.id, "handled": true}),
        )
        .await;
    assert!(ok, "{body}");
    let marked: OfflineMessage = serde_json::from_str(&body).unwrap();
    assert_eq!(
        marked.handled.as_ref().map(|h| h.by_name.as_str()),
        Some("Ann")
    );
    let ServerMsg::OfflineMessageUpdated { message: seen } = bob
        .expect(|m| matches!(m, ServerMsg::OfflineMessageUpdated { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(seen, marked);
    let stored = ts.server.chat.store().offline_messages(10).await.unwrap();
    assert_eq!(stored, vec![marked.clone()], "kept after the answer");

    // Not handled again; and an unknown message is not found.
    let (ok, body) = ts
        .call(
            &ann_cookie,
            "offline_handled",
            json!({"id": message.id, "handled": false}),
        )
        .await;
    assert!(ok, "{body}");
    let stored = ts.server.chat.store().offline_messages(10).await.unwrap();
    assert_eq!(stored[0].handled, None);
    let response = post(ts.server.addr, "/api/offline_handled")
        .header("cookie", &ann_cookie)
        .json(&json!({"id": MessageId(uuid::Uuid::new_v4()), "handled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body = response.text().await.unwrap();
    assert!(body.contains(ErrorCode::NotFound.as_str()), "{body}");
}

/// Applies the changes to a console's visitor list (or takes it whole) up to
/// and with the next totals; returns them, and who left the list whether gone
/// from the site.
async fn list_until_totals(
    console: &mut Client,
    list: &mut std::collections::HashMap<app::ids::VisitorId, app::protocol::VisitorInfo>,
) -> ((u32, u32), Vec<(app::ids::VisitorId, bool)>) {
    let mut left = Vec::new();
    loop {
        match console.next().await {
            ServerMsg::VisitorUpdated { visitor } => {
                list.insert(visitor.id, visitor);
            }
            ServerMsg::VisitorLeft { visitor_id, gone } => {
                list.remove(&visitor_id);
                left.push((visitor_id, gone));
            }
            ServerMsg::VisitorTotals { on_site, matching } => return ((on_site, matching), left),
            ServerMsg::Visitors {
                visitors,
                on_site,
                matching,
            } => {
                *list = visitors.into_iter().map(|v| (v.id, v)).collect();
                return ((on_site, matching), left);
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_console_lists_a_bounded_page_of_visitors_and_finds_the_others() {
    use app::protocol::{MAX_VISITOR_FILTER_CHARS, MAX_WATCHED_VISITORS, VISITOR_PAGE};
    let ts = TestServer::start(Duration::from_millis(300)).await;
    ts.add_agent("ann", "Ann").await;
    let count = VISITOR_PAGE + 20;
    let mut visitors = Vec::new();
    for n in 0..count {
        visitors.push(
            ts.visitor(&token(n as u8), &format!("/shop/p{n:03}x"))
                .await,
        );
    }

    let mut ann = ts.agent_manual("ann").await;
    let ServerMsg::Visitors {
        visitors: page,
        on_site,
        matching,
    } = ann
        .expect(|m| matches!(m, ServerMsg::Visitors { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(page.len(), VISITOR_PAGE, "a page, not everyone");
    assert_eq!((on_site, matching), (count as u32, count as u32));
    assert!(
        page.windows(2)
            .all(|w| w[0].visit_started_ms <= w[1].visit_started_ms),
        "oldest visit first"
    );
    let mut list: std::collections::HashMap<_, _> = page.into_iter().map(|v| (v.id, v)).collect();

    // A visitor outside the page is found by part of their page's address.
    let hidden = (0..count)
        .map(|n| format!("/shop/p{n:03}x"))
        .find(|url| !list.values().any(|v| &v.page.url == url))
        .expect("someone is outside the page");
    let needle = hidden.trim_start_matches("/shop/").to_uppercase();
    ann.send(&ClientMsg::ViewVisitors {
        filter: needle,
        watch: vec![],
    })
    .await;
    assert_eq!(
        list_until_totals(&mut ann, &mut list).await.0,
        (count as u32, 1)
    );
    let found: Vec<_> = list.values().map(|v| v.page.url.clone()).collect();
    assert_eq!(found, vec![hidden.clone()]);
    let hidden_id = *list.keys().next().unwrap();

    // Followed (as a console follows the visitors of its conversations), they
    // stay listed beside the page once the filter is cleared.
    ann.send(&ClientMsg::ViewVisitors {
        filter: String::new(),
        watch: vec![hidden_id],
    })
    .await;
    assert_eq!(
        list_until_totals(&mut ann, &mut list).await.0,
        (count as u32, count as u32)
    );
    assert_eq!(list.len(), VISITOR_PAGE + 1);
    assert!(list.contains_key(&hidden_id));

    // The newest visitor leaves: an older visit takes their place on the page.
    let newest_url = format!("/shop/p{:03}x", count - 1);
    let newest = *list
        .iter()
        .find(|(_, v)| v.page.url == newest_url)
        .expect("the newest visit is on the page")
        .0;
    drop(visitors.pop());
    let (totals, left) = list_until_totals(&mut ann, &mut list).await;
    assert_eq!(totals, (count as u32 - 1, count as u32 - 1));
    assert_eq!(
        left,
        vec![(newest, true)],
        "gone from the site, and said so"
    );
    assert!(!list.contains_key(&newest));
    assert_eq!(list.len(), VISITOR_PAGE + 1);

    // Too much asked for is refused, and changes nothing.
    ann.send(&ClientMsg::ViewVisitors {
        filter: "x".repeat(MAX_VISITOR_FILTER_CHARS + 1),
        watch: vec![],
    })
    .await;
    assert_eq!(ann.expect_error().await, ErrorCode::TooLong);
    ann.send(&ClientMsg::ViewVisitors {
        filter: String::new(),
        watch: vec![hidden_id; MAX_WATCHED_VISITORS + 1],
    })
    .await;
    assert_eq!(ann.expect_error().await, ErrorCode::TooLong);
    // Visitors have no list to choose.
    visitors[0]
        .send(&ClientMsg::ViewVisitors {
            filter: String::new(),
            watch: vec![],
        })
        .await;
    assert_eq!(visitors[0].expect_error().await, ErrorCode::Forbidden);
}
