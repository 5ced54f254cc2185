//! Departments and automatic routing, through the real server: admins set
//! departments up with the console's server functions, visitors start chats
//! from pages whose widget names a department, and each chat is offered to one
//! online agent of its department at a time, with nobody watching the queue.

mod support;

use app::ids::{AgentId, ConversationId};
use app::protocol::{AgentRole, AgentStatus, AwayDepartment, ClientMsg, QueueItem, ServerMsg};
use serde_json::json;
use std::time::Duration;
use support::{page, token, Client, TestServer, PASSWORD};

/// A visitor on a page whose widget tag says `data-department="{department}"`.
async fn visitor_of(ts: &TestServer, n: u8, department: &str) -> Client {
    let mut page = page("/pricing");
    page.department = department.into();
    ts.visitor_on(&token(n), page).await
}

async fn start(visitor: &mut Client, text: &str) -> ConversationId {
    support::start_chat(visitor, text).await
}

/// The next queue change of `id` a console hears.
async fn queue_change(console: &mut Client, id: ConversationId) -> QueueItem {
    let ServerMsg::QueueAdded { item } = console
        .expect(|m| matches!(m, ServerMsg::QueueAdded { item } if item.conversation_id == id))
        .await
    else {
        unreachable!()
    };
    item
}

/// The first queue change of `id` that offers it to someone (or, with `None`,
/// that withdraws the offer).
async fn offer_of(console: &mut Client, id: ConversationId, offered: Option<AgentId>) -> QueueItem {
    loop {
        let item = queue_change(console, id).await;
        if item.offered_to == offered {
            return item;
        }
    }
}

/// As [`offer_of`], waiting up to `wait` in all (longer than a frame's wait).
async fn offer_within(
    console: &mut Client,
    id: ConversationId,
    offered: Option<AgentId>,
    wait: Duration,
) -> QueueItem {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match console.try_next(left).await {
            Some(ServerMsg::QueueAdded { item })
                if item.conversation_id == id && item.offered_to == offered =>
            {
                return item
            }
            Some(_) => {}
            None => panic!("no offer of {id} to {offered:?} within {wait:?}"),
        }
    }
}

async fn put(ts: &TestServer, cookie: &str, department: serde_json::Value) -> (bool, String) {
    ts.call(
        cookie,
        "admin/put_department",
        json!({ "department": department }),
    )
    .await
}

fn sales(agents: &[AgentId]) -> serde_json::Value {
    json!({ "id": "sales", "name": "Sales", "routing": "round_robin", "max_chats": 1,
            "offer_seconds": 5, "agents": agents })
}

#[tokio::test]
async fn two_departments_route_their_chats_to_their_own_agents_in_turn() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_account("boss", "Boss", AgentRole::Admin).await;
    for (username, name) in [("ann", "Ann"), ("bob", "Bob"), ("cy", "Cy")] {
        ts.add_agent(username, name).await;
    }
    let (ann_id, bob_id, cy_id) = (
        ts.agent_id("ann").await,
        ts.agent_id("bob").await,
        ts.agent_id("cy").await,
    );
    let boss = ts.login("boss", PASSWORD).await.unwrap();
    let (ok, body) = put(&ts, &boss, sales(&[ann_id, bob_id])).await;
    assert!(ok, "{body}");
    let support = json!({ "id": "support", "name": "Support", "routing": "least_busy",
                          "max_chats": 3, "offer_seconds": 5, "agents": [cy_id] });
    let (ok, body) = put(&ts, &boss, support).await;
    assert!(ok, "{body}");
    // Every agent reads the departments; only admins change them.
    let ann_cookie = ts.login("ann", PASSWORD).await.unwrap();
    let (ok, body) = ts.call(&ann_cookie, "departments", json!({})).await;
    assert!(
        ok && body.contains("\"sales\"") && body.contains("\"support\""),
        "{body}"
    );
    let (ok, body) = put(&ts, &ann_cookie, sales(&[ann_id])).await;
    assert!(!ok && body.contains("forbidden"), "{body}");

    let ann = ts.agent("ann").await;
    let bob = ts.agent("bob").await;
    let mut cy = ts.agent("cy").await;

    // A sales chat is offered to one sales agent, and that agent takes it.
    let mut v1 = visitor_of(&ts, 1, "sales").await;
    let c1 = start(&mut v1, "how much is the team plan?").await;
    let item = loop {
        let item = queue_change(&mut cy, c1).await;
        if item.offered_to.is_some() {
            break item;
        }
    };
    assert_eq!(item.department, "sales");
    let first = item.offered_to.unwrap();
    assert!(first == ann_id || first == bob_id, "a sales agent, not Cy");
    let (mut taker, mut other, other_id) = if first == ann_id {
        (ann, bob, bob_id)
    } else {
        (bob, ann, ann_id)
    };
    taker
        .send(&ClientMsg::AcceptChat {
            conversation_id: c1,
        })
        .await;
    taker
        .expect(|m| matches!(m, ServerMsg::Conversation { conversation } if conversation.id == c1))
        .await;

    // The next sales chat goes to the other sales agent (the first has as many
    // as sales allows); a support chat goes to Cy.
    let mut v2 = visitor_of(&ts, 2, "sales").await;
    let c2 = start(&mut v2, "do you invoice yearly?").await;
    offer_of(&mut other, c2, Some(other_id)).await;
    let mut v3 = visitor_of(&ts, 3, "support").await;
    let c3 = start(&mut v3, "my login fails").await;
    offer_of(&mut cy, c3, Some(cy_id)).await;

    // The taker's chat ends, so they have room again. The other agent does not
    // take theirs in time (5 s): it goes to the taker, who was not asked yet.
    v1.send(&ClientMsg::Leave {
        conversation_id: c1,
    })
    .await;
    let moved = offer_within(&mut taker, c2, Some(first), Duration::from_secs(9)).await;
    assert_eq!(moved.department, "sales");

    // Declined: at once to the next, the other agent again; declined by them
    // too, nobody is left to ask, and it waits unoffered.
    taker
        .send(&ClientMsg::DeclineChat {
            conversation_id: c2,
        })
        .await;
    offer_of(&mut other, c2, Some(other_id)).await;
    other
        .send(&ClientMsg::DeclineChat {
            conversation_id: c2,
        })
        .await;
    offer_of(&mut other, c2, None).await;

    // A new sales chat: its visitor's place counts the sales chat ahead, not
    // the support one, and it is offered (they passed on that one only).
    let mut v4 = visitor_of(&ts, 4, "sales").await;
    v4.send(&ClientMsg::StartChat {
        client_msg_id: support::msg_id(),
        text: "and a third question".into(),
    })
    .await;
    let ServerMsg::QueuePosition {
        conversation_id: c4,
        position,
    } = v4
        .expect(|m| matches!(m, ServerMsg::QueuePosition { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(
        position, 2,
        "behind the other sales chat, not the support one"
    );
    let offered = loop {
        let item = queue_change(&mut other, c4).await;
        if let Some(agent) = item.offered_to {
            break agent;
        }
    };
    assert!(offered == first || offered == other_id);

    // Cy goes away: Cy's offer is withdrawn; back online, it comes again.
    cy.send(&ClientMsg::SetStatus {
        status: AgentStatus::Away,
    })
    .await;
    offer_of(&mut cy, c3, None).await;
    cy.send(&ClientMsg::SetStatus {
        status: AgentStatus::Online,
    })
    .await;
    offer_of(&mut cy, c3, Some(cy_id)).await;
    cy.send(&ClientMsg::AcceptChat {
        conversation_id: c3,
    })
    .await;
    cy.expect(
        |m| matches!(m, ServerMsg::QueueRemoved { conversation_id } if *conversation_id == c3),
    )
    .await;
}

#[tokio::test]
async fn bad_departments_are_refused_with_the_field_and_unknown_ones_route_nowhere() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_account("boss", "Boss", AgentRole::Admin).await;
    ts.add_agent("ann", "Ann").await;
    let ann_id = ts.agent_id("ann").await;
    let boss = ts.login("boss", PASSWORD).await.unwrap();
    for (department, field) in [
        (
            json!({ "id": "Sales Team", "name": "Sales", "routing": "manual", "max_chats": 3, "offer_seconds": 30 }),
            "id",
        ),
        (
            json!({ "id": "sales", "name": " ", "routing": "manual", "max_chats": 3, "offer_seconds": 30 }),
            "name",
        ),
        (
            json!({ "id": "sales", "name": "Sales", "routing": "manual", "max_chats": 0, "offer_seconds": 30 }),
            "max_chats",
        ),
        (
            json!({ "id": "sales", "name": "Sales", "routing": "manual", "max_chats": 3, "offer_seconds": 1 }),
            "offer_seconds",
        ),
        (
            json!({ "id": "sales", "name": "Sales", "routing": "manual", "max_chats": 3, "offer_seconds": 30,
                 "agents": [AgentId(uuid::Uuid::new_v4())] }),
            "agents",
        ),
    ] {
        let (ok, body) = put(&ts, &boss, department).await;
        let named = format!("\"detail\":\"{field}\"");
        assert!(
            !ok && body.contains("invalid_field") && body.contains(&named),
            "{field}: {body}"
        );
    }
    let (ok, body) = ts
        .call(&boss, "admin/remove_department", json!({ "id": "sales" }))
        .await;
    assert!(!ok && body.contains("not_found"), "{body}");
    let (ok, _) = put(&ts, &boss, sales(&[ann_id])).await;
    assert!(ok);

    // A page naming a department the company does not have: the chat waits
    // for anyone, in no department, and is offered to nobody.
    let mut ann = ts.agent("ann").await;
    let mut visitor = visitor_of(&ts, 1, "no-such-team").await;
    let id = start(&mut visitor, "hello?").await;
    let item = queue_change(&mut ann, id).await;
    assert_eq!((item.department.as_str(), item.offered_to), ("", None));
    ann.expect_none(
        Duration::from_millis(1500),
        |m| matches!(m, ServerMsg::QueueAdded { item } if item.conversation_id == id),
    )
    .await;

    // Removing a department puts its waiting chats in no department.
    let mut other = visitor_of(&ts, 2, "sales").await;
    let sold = start(&mut other, "a quote please").await;
    offer_of(&mut ann, sold, Some(ann_id)).await;
    let (ok, body) = ts
        .call(&boss, "admin/remove_department", json!({ "id": "sales" }))
        .await;
    assert!(ok, "{body}");
    let item = offer_of(&mut ann, sold, None).await;
    assert_eq!(item.department, "");
    ann.send(&ClientMsg::AcceptChat {
        conversation_id: sold,
    })
    .await;
    ann.expect(
        |m| matches!(m, ServerMsg::Conversation { conversation } if conversation.id == sold),
    )
    .await;
}

#[tokio::test]
async fn a_chat_nobody_could_take_is_offered_to_the_first_agent_who_comes_online() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_account("boss", "Boss", AgentRole::Admin).await;
    ts.add_agent("ann", "Ann").await;
    let ann_id = ts.agent_id("ann").await;
    let boss = ts.login("boss", PASSWORD).await.unwrap();
    let (ok, body) = put(&ts, &boss, sales(&[ann_id])).await;
    assert!(ok, "{body}");
    // Nobody of sales is online: the chat waits, offered to nobody.
    let mut visitor = visitor_of(&ts, 1, "sales").await;
    let id = start(&mut visitor, "anyone there?").await;
    let waiting = ts.server.chat.store().queue().await.unwrap();
    assert_eq!(
        waiting
            .iter()
            .find(|i| i.conversation_id == id)
            .unwrap()
            .offered_to,
        None
    );
    // Ann logs in: offered to her at once, not at the next change of anything.
    let mut ann = ts.agent("ann").await;
    offer_within(&mut ann, id, Some(ann_id), Duration::from_secs(3)).await;
}

/// The departments a visitor's widget hears are away, from its welcome or a
/// change of availability.
fn away_in(msg: &ServerMsg) -> Vec<AwayDepartment> {
    match msg {
        ServerMsg::Welcome { away, .. } | ServerMsg::AgentsAvailable { away, .. } => away.clone(),
        other => panic!("not an availability: {other:?}"),
    }
}

#[tokio::test]
async fn a_department_outside_its_hours_or_without_its_agents_is_away_with_its_message() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_account("boss", "Boss", AgentRole::Admin).await;
    ts.add_agent("ann", "Ann").await;
    ts.add_agent("cy", "Cy").await;
    let (ann_id, cy_id) = (ts.agent_id("ann").await, ts.agent_id("cy").await);
    let boss = ts.login("boss", PASSWORD).await.unwrap();
    let closed_all_week =
        json!({ "time_zone": "Europe/Berlin", "days": [null, null, null, null, null, null, null] });
    let sales = |hours: serde_json::Value, zone_ok: bool| {
        let mut hours = hours;
        if !zone_ok {
            hours["time_zone"] = json!("Mars/Olympus");
        }
        json!({ "id": "sales", "name": "Sales", "routing": "manual", "max_chats": 3,
                "offer_seconds": 30, "agents": [ann_id], "hours": hours,
                "away_message": "Sales is closed today.\nLeave us a message." })
    };
    // A time zone this server does not know is refused, and changes nothing.
    let (ok, body) = put(&ts, &boss, sales(closed_all_week.clone(), false)).await;
    assert!(!ok && body.contains("time_zone"), "{body}");
    let (ok, body) = put(&ts, &boss, sales(closed_all_week, true)).await;
    assert!(ok, "{body}");
    let support = json!({ "id": "support", "name": "Support", "routing": "manual",
                          "max_chats": 3, "offer_seconds": 30, "agents": [cy_id] });
    let (ok, body) = put(&ts, &boss, support).await;
    assert!(ok, "{body}");

    // Ann (sales) is online, Cy (support) is not: sales is away for its
    // hours, support for want of its agent.
    let _ann = ts.agent("ann").await;
    let mut page = page("/pricing");
    page.department = "sales".into();
    let (mut visitor, welcome) = ts.visitor_welcomed(&token(1), page).await;
    assert!(matches!(
        welcome,
        ServerMsg::Welcome {
            agents_available: true,
            ..
        }
    ));
    assert_eq!(
        away_in(&welcome),
        [
            AwayDepartment {
                department: "sales".into(),
                message: "Sales is closed today.\nLeave us a message.".into(),
            },
            AwayDepartment {
                department: "support".into(),
                message: String::new(),
            },
        ]
    );

    // Cy comes online: only sales is away now.
    let _cy = ts.agent("cy").await;
    let change = visitor
        .expect(|m| matches!(m, ServerMsg::AgentsAvailable { .. }))
        .await;
    let away: Vec<String> = away_in(&change).into_iter().map(|d| d.department).collect();
    assert_eq!(away, ["sales"]);

    // Sales opens round the clock: the widget hears at once that it can chat.
    let all_day = json!({ "opens": 0, "closes": 1440 });
    let always = json!({ "time_zone": "Asia/Tokyo", "days": [all_day, all_day, all_day, all_day, all_day, all_day, all_day] });
    let (ok, body) = put(&ts, &boss, sales(always, true)).await;
    assert!(ok, "{body}");
    let change = visitor
        .expect(|m| matches!(m, ServerMsg::AgentsAvailable { .. }))
        .await;
    assert_eq!(
        change,
        ServerMsg::AgentsAvailable {
            available: true,
            away: vec![]
        }
    );
    // What the console reads back is what was saved.
    let (ok, body) = ts.call(&boss, "departments", json!({})).await;
    assert!(
        ok && body.contains("Asia/Tokyo") && body.contains("Sales is closed today."),
        "{body}"
    );
}
