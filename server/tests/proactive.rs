//! Proactive invitations, through the real server: an admin keeps rules with the
//! console's server functions; a visitor whose page, time on it and pages seen
//! match a rule is invited by an online agent with the rule's greeting, once per
//! visit; the agent's conversation names the rule, for agents only; accepting
//! opens the visitor's window with the greeting.

mod support;

use app::ids::ConversationId;
use app::protocol::{Body, ClientMsg, InvitationInfo, ServerMsg, Visibility};
use serde_json::json;
use std::time::Duration;
use support::{page, token, TestServer, PASSWORD};

async fn admin(ts: &TestServer) -> String {
    ts.add_account("boss", "Boss", app::protocol::AgentRole::Admin)
        .await;
    ts.login("boss", PASSWORD).await.unwrap()
}

fn pricing_rule() -> serde_json::Value {
    json!({
        "id": "pricing",
        "name": "Pricing, a second",
        "url_pattern": "*/pricing*",
        "seconds_on_page": 1,
        "min_pages_viewed": 1,
        "greeting": "Questions about our plans?\nI can help."
    })
}

/// The invitation a rule sends this visitor, within a few ticks.
async fn invited(visitor: &mut support::Client) -> InvitationInfo {
    let deadline = Duration::from_secs(6);
    let started = tokio::time::Instant::now();
    loop {
        let left = deadline.saturating_sub(started.elapsed());
        match visitor.try_next(left).await {
            Some(ServerMsg::Invitation { invitation }) => return invitation,
            Some(_) => {}
            None => panic!("no invitation within {deadline:?}"),
        }
    }
}

#[tokio::test]
async fn a_rule_invites_a_matching_visitor_once_per_visit_with_its_greeting() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    let cookie = admin(&ts).await;
    let (ok, body) = ts
        .call(
            &cookie,
            "admin/put_invitation_rule",
            json!({ "rule": pricing_rule() }),
        )
        .await;
    assert!(ok, "{body}");
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;

    let mut visitor = ts
        .visitor_on(&token(1), page("https://shop.example.com/pricing"))
        .await;
    let mut elsewhere = ts
        .visitor_on(&token(2), page("https://shop.example.com/contact"))
        .await;
    let invitation = invited(&mut visitor).await;
    assert_eq!(invitation.inviter_name, "Ann");
    assert_eq!(
        invitation.greeting,
        "Questions about our plans?\nI can help."
    );
    let id: ConversationId = invitation.conversation_id;

    // Ann's console has the conversation, with a note naming the rule that only
    // agents read.
    let note = ann
        .expect(|m| {
            matches!(m, ServerMsg::Message { conversation_id, message }
                if *conversation_id == id && message.visibility == Visibility::Agents)
        })
        .await;
    let ServerMsg::Message { message, .. } = note else {
        unreachable!()
    };
    let Body::Text { text } = &message.body else {
        panic!("the note is text")
    };
    assert!(text.contains("Pricing, a second"), "{text}");

    // Accepted: the greeting opens the visitor's window, in Ann's name.
    visitor
        .send(&ClientMsg::AcceptInvitation {
            invitation_id: invitation.id,
        })
        .await;
    let greeting = visitor
        .expect(|m| {
            matches!(m, ServerMsg::Message { conversation_id, message }
                if *conversation_id == id && matches!(&message.body, Body::Text { .. }))
        })
        .await;
    let ServerMsg::Message { message, .. } = greeting else {
        unreachable!()
    };
    assert_eq!(message.author.map(|a| a.name).as_deref(), Some("Ann"));
    assert_eq!(
        message.body,
        Body::Text {
            text: "Questions about our plans?\nI can help.".into()
        }
    );
    assert_eq!(message.visibility, Visibility::Everyone);
    // Reading the conversation from its start, the visitor never gets the note.
    visitor
        .send(&ClientMsg::Sync {
            conversation_id: id,
            after_seq: 0,
        })
        .await;
    visitor
        .expect_none(Duration::from_millis(800), |m| {
            matches!(m, ServerMsg::Message { message, .. } if message.visibility == Visibility::Agents)
        })
        .await;

    // The contact page matches no rule; nobody is invited twice in a visit,
    // even after the page loads again.
    elsewhere
        .expect_none(Duration::from_millis(2500), |m| {
            matches!(m, ServerMsg::Invitation { .. })
        })
        .await;
    visitor
        .send(&ClientMsg::Leave {
            conversation_id: id,
        })
        .await;
    // Gone from it (the notice of it reaches Ann): not chatting any more.
    ann.expect(|m| {
        matches!(m, ServerMsg::Message { conversation_id, message }
            if *conversation_id == id && matches!(message.body, Body::Notice(app::protocol::Notice::Left { .. })))
    })
    .await;
    let mut again = ts
        .visitor_on(&token(1), page("https://shop.example.com/pricing?again"))
        .await;
    again
        .expect_none(Duration::from_millis(2500), |m| {
            matches!(m, ServerMsg::Invitation { invitation } if invitation.state == app::protocol::InvitationState::Pending)
        })
        .await;
}

#[tokio::test]
async fn rules_wait_for_an_agent_and_for_returning_visitors_and_refuse_bad_input() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    let cookie = admin(&ts).await;
    let put = |rule: serde_json::Value| {
        let cookie = cookie.clone();
        let ts = &ts;
        async move {
            ts.call(
                &cookie,
                "admin/put_invitation_rule",
                json!({ "rule": rule }),
            )
            .await
        }
    };
    let mut returning = pricing_rule();
    returning["id"] = json!("returning");
    returning["returning_only"] = json!(true);
    let (ok, body) = put(returning).await;
    assert!(ok, "{body}");
    // A new visitor is not returning: nobody invites them.
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let mut visitor = ts
        .visitor_on(&token(3), page("https://shop.example.com/pricing"))
        .await;
    visitor
        .expect_none(Duration::from_millis(2500), |m| {
            matches!(m, ServerMsg::Invitation { .. })
        })
        .await;

    for (change, field) in [
        (json!({ "greeting": "  " }), "greeting"),
        (json!({ "id": "Pricing" }), "id"),
        (json!({ "seconds_on_page": 4000 }), "seconds_on_page"),
        (json!({ "department": "no-such-team" }), "department"),
        (json!({ "url_pattern": "a b" }), "url_pattern"),
    ] {
        let mut rule = pricing_rule();
        for (k, v) in change.as_object().unwrap() {
            rule[k] = v.clone();
        }
        let (ok, body) = put(rule).await;
        assert!(!ok, "{field} accepted");
        let error: app::api::ApiError = serde_json::from_str(&body).unwrap();
        assert_eq!(error.detail.as_deref(), Some(field), "{body}");
    }
    let (_, body) = ts.call(&cookie, "admin/invitation_rules", json!({})).await;
    let rules: Vec<app::api::InvitationRule> = serde_json::from_str(&body).unwrap();
    assert_eq!(rules.len(), 1, "only the good rule was kept");

    // Only admins keep rules.
    let agent = ts.login("ann", PASSWORD).await.unwrap();
    for (endpoint, body) in [
        ("admin/invitation_rules", json!({})),
        (
            "admin/put_invitation_rule",
            json!({ "rule": pricing_rule() }),
        ),
        ("admin/remove_invitation_rule", json!({ "id": "returning" })),
    ] {
        let (ok, answer) = ts.call(&agent, endpoint, body).await;
        assert!(!ok && answer.contains("forbidden"), "{endpoint}: {answer}");
    }

    // With nobody online a rule waits; the first agent to come sends it.
    ann.send(&ClientMsg::SetStatus {
        status: app::protocol::AgentStatus::Away,
    })
    .await;
    let (ok, _) = ts
        .call(
            &cookie,
            "admin/remove_invitation_rule",
            json!({ "id": "returning" }),
        )
        .await;
    assert!(ok);
    let (ok, _) = put(pricing_rule()).await;
    assert!(ok);
    let mut later = ts
        .visitor_on(&token(4), page("https://shop.example.com/pricing/team"))
        .await;
    later
        .expect_none(Duration::from_millis(2000), |m| {
            matches!(m, ServerMsg::Invitation { .. })
        })
        .await;
    let _bob = {
        ts.add_agent("bob", "Bob").await;
        ts.agent("bob").await
    };
    let invitation = invited(&mut later).await;
    assert_eq!(invitation.inviter_name, "Bob");
}
