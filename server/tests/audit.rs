//! The audit log, through the real server: the changes an admin makes with the
//! console's server functions are written down, who made them, when and what
//! they changed to (never a secret); only admins read it, a page at a time.

mod support;

use app::api::{AuditAction, AuditEntry};
use serde_json::json;
use support::{TestServer, PASSWORD};

#[tokio::test]
async fn every_admin_change_is_written_down_and_only_admins_read_it() {
    let ts = TestServer::start(std::time::Duration::from_secs(30)).await;
    ts.add_account("root", "Rita", app::protocol::AgentRole::Admin)
        .await;
    let admin = ts.login("root", PASSWORD).await.unwrap();
    let call = |endpoint: &'static str, body: serde_json::Value| {
        let admin = admin.clone();
        let ts = &ts;
        async move {
            let (ok, answer) = ts.call(&admin, endpoint, body).await;
            assert!(ok, "{endpoint}: {answer}");
            answer
        }
    };
    call(
        "admin/add_agent",
        json!({ "account": { "username": "ann", "name": "Ann", "role": "agent",
            "password": "a long enough password" } }),
    )
    .await;
    call(
        "admin/put_department",
        json!({ "department": { "id": "sales", "name": "Sales", "routing": "manual",
            "max_chats": 3, "offer_seconds": 30, "agents": [] } }),
    )
    .await;
    call(
        "admin/add_webhook",
        json!({ "endpoint": { "url": "https://crm.example.com/hook", "secret": "s3cret-s3cret-s3cret",
            "events": ["message.created"], "allow_private": false } }),
    )
    .await;
    call("admin/remove_department", json!({ "id": "sales" })).await;
    // A refused change is not one.
    let (ok, _) = ts
        .call(&admin, "admin/remove_department", json!({ "id": "sales" }))
        .await;
    assert!(!ok);

    let log: Vec<AuditEntry> =
        serde_json::from_str(&call("admin/audit_log", json!({})).await).unwrap();
    let seen: Vec<(AuditAction, &str, &str)> = log
        .iter()
        .map(|e| (e.action, e.subject.as_str(), e.admin.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (AuditAction::DepartmentRemoved, "sales", "root"),
            (
                AuditAction::WebhookAdded,
                "https://crm.example.com/hook",
                "root"
            ),
            (AuditAction::DepartmentSaved, "sales", "root"),
            (AuditAction::AgentAdded, "ann", "root"),
        ],
        "newest first"
    );
    assert!(
        log[2].detail.contains("\"routing\":\"manual\""),
        "{}",
        log[2].detail
    );
    assert!(!log[1].detail.contains("s3cret"), "no secret in the log");
    assert!(log[3].detail.contains("\"role\":\"agent\"") && !log[3].detail.contains("password"));
    // The page before an entry.
    let older: Vec<AuditEntry> =
        serde_json::from_str(&call("admin/audit_log", json!({ "before": log[1].id })).await)
            .unwrap();
    assert_eq!(older.len(), 2);
    assert_eq!(older[0].action, AuditAction::DepartmentSaved);

    // Agents do not read it.
    let agent = ts.login("ann", "a long enough password").await.unwrap();
    let (ok, answer) = ts.call(&agent, "admin/audit_log", json!({})).await;
    assert!(!ok && answer.contains("forbidden"), "{answer}");
}
