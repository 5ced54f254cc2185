//! Reports through the real server: chats visitors start, agents answer (or
//! not) and visitors rate are counted in the admin's report and its CSV
//! tables; agents who are not admins read neither; a bad period is refused
//! with the field it got wrong.

mod support;

use app::api::Report;
use app::protocol::{AgentRole, ClientMsg, ServerMsg};
use serde_json::json;
use std::time::Duration;
use support::{chatting, msg_id, start_chat, token, TestServer, PASSWORD};

/// Today's date in UTC, as the report's query names days.
fn today() -> String {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

#[tokio::test]
async fn the_week_s_chats_are_counted_for_admins_as_figures_and_csv() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_account("root", "Rita", AgentRole::Admin).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;

    // Answered and rated good.
    let (mut answered, id) = chatting(&ts, &mut ann, 1, "where is my order?").await;
    ann.send(&ClientMsg::Send {
        conversation_id: id,
        client_msg_id: msg_id(),
        text: "on its way".into(),
    })
    .await;
    answered
        .expect(|m| matches!(m, ServerMsg::Message { message, .. } if message.author.as_ref().is_some_and(|a| a.name == "Ann")))
        .await;
    answered
        .send(&ClientMsg::Leave {
            conversation_id: id,
        })
        .await;
    answered
        .send(&ClientMsg::Rate {
            conversation_id: id,
            good: true,
            comment: String::new(),
        })
        .await;
    answered
        .expect(|m| matches!(m, ServerMsg::Rated { .. }))
        .await;
    // Missed: the visitor gives up before anyone answers.
    let mut lonely = ts.visitor(&token(2), "/demo").await;
    let missed = start_chat(&mut lonely, "hello?").await;
    lonely
        .send(&ClientMsg::Leave {
            conversation_id: missed,
        })
        .await;

    let admin = ts.login("root", PASSWORD).await.unwrap();
    let query = json!({ "query": { "from": today(), "to": today(), "time_zone": "UTC" } });
    // The visitor's leaving is worked on after their socket said so.
    let deadline = std::time::Instant::now() + support::WAIT;
    let report = loop {
        let (ok, answer) = ts.call(&admin, "admin/report", query.clone()).await;
        assert!(ok, "{answer}");
        let report: Report = serde_json::from_str(&answer).unwrap();
        if report.totals.missed == 1 || std::time::Instant::now() > deadline {
            break report;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(report.totals.chats, 2, "{report:?}");
    assert_eq!(report.totals.missed, 1);
    assert_eq!(report.totals.answered, 1);
    assert_eq!(report.totals.handled, 1);
    assert_eq!(report.totals.rated_good, 1);
    assert!(report.totals.first_response_avg_ms().is_some());
    assert_eq!(report.days.len(), 1);
    assert_eq!(report.hours.iter().map(|h| h.chats).sum::<u32>(), 2);
    let agents: Vec<_> = report
        .agents
        .iter()
        .map(|a| (a.name.as_str(), a.figures.chats))
        .collect();
    assert_eq!(agents, [("Ann", 1)]);

    // The same, as CSV, by the console's cookie.
    let client = reqwest::Client::new();
    let csv = |table: &str, cookie: &str| {
        client
            .get(ts.url(&format!(
                "/reports.csv?table={table}&from={}&to={}&time_zone=UTC",
                today(),
                today()
            )))
            .header("cookie", cookie)
            .send()
    };
    let days = csv("days", &admin).await.unwrap();
    assert_eq!(days.status(), 200);
    assert_eq!(
        days.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(days.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"report-days-"));
    let text = days.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("day,chats,missed,answered,"));
    assert!(
        lines[1].starts_with(&format!("{},2,1,1,", today())),
        "{text}"
    );
    let agents = csv("agents", &admin).await.unwrap().text().await.unwrap();
    assert!(agents.contains(",Ann,1,0,1,"), "{agents}");
    assert_eq!(csv("everything", &admin).await.unwrap().status(), 400);

    // Agents who are not admins read no report; nobody logged out does.
    let plain = ts.login("ann", PASSWORD).await.unwrap();
    let (ok, answer) = ts.call(&plain, "admin/report", query).await;
    assert!(!ok && answer.contains("forbidden"), "{answer}");
    assert_eq!(csv("days", &plain).await.unwrap().status(), 403);
    assert_eq!(csv("days", "").await.unwrap().status(), 401);

    // A period the wrong way round names the field.
    let (ok, answer) = ts
        .call(
            &admin,
            "admin/report",
            json!({ "query": { "from": today(), "to": "2020-01-01", "time_zone": "UTC" } }),
        )
        .await;
    assert!(
        !ok && answer.contains("invalid_field") && answer.contains("\"to\""),
        "{answer}"
    );
    let (ok, answer) = ts
        .call(
            &admin,
            "admin/report",
            json!({ "query": { "from": today(), "to": today(), "time_zone": "Nowhere/Else" } }),
        )
        .await;
    assert!(!ok && answer.contains("time_zone"), "{answer}");
}
