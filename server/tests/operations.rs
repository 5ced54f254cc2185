//! What operators read: `/metrics` in the Prometheus text format, `/readyz`,
//! and logs as JSON lines when asked.

mod support;

use app::protocol::{Body, ClientMsg, ServerMsg};
use std::time::Duration;
use support::{msg_id, TestServer};

/// The value of the first sample of `name` (with its labels) in `text`.
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no sample {name} in:\n{text}"))
}

async fn scrape(ts: &TestServer) -> String {
    let response = reqwest::get(ts.url("/metrics")).await.unwrap();
    assert!(response.status().is_success());
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    response.text().await.unwrap()
}

#[tokio::test]
async fn metrics_count_connections_messages_deliveries_and_latency() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let before = scrape(&ts).await;
    let mut ann = ts.agent("ann").await;
    let (mut visitor, id) = support::chatting(&ts, &mut ann, 1, "Hi").await;
    let mut waiting = ts.visitor(&support::token(2), "/demo").await;
    support::start_chat(&mut waiting, "anyone?").await;
    visitor
        .send(&ClientMsg::Send {
            conversation_id: id,
            client_msg_id: msg_id(),
            text: "Are you there?".into(),
        })
        .await;
    ann.expect(|m| {
        matches!(m, ServerMsg::Message { message, .. }
            if message.body == Body::Text { text: "Are you there?".into() })
    })
    .await;
    // The latency is observed just after the fan-out that the agent saw.
    let mut after = scrape(&ts).await;
    for _ in 0..40 {
        if sample(&after, "chat_delivery_latency_seconds_count") >= 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        after = scrape(&ts).await;
    }

    assert_eq!(sample(&after, "chat_connections{kind=\"visitor\"}"), 2.0);
    assert_eq!(sample(&after, "chat_connections{kind=\"agent\"}"), 1.0);
    // Counters are the process's: other tests' servers may add to them.
    assert!(
        sample(&after, "chat_messages_total") >= sample(&before, "chat_messages_total") + 3.0,
        "{before}\n{after}"
    );
    assert!(
        sample(&after, "chat_deliveries_total") > sample(&before, "chat_deliveries_total") + 3.0
    );
    assert!(sample(&after, "chat_delivery_latency_seconds_count") >= 1.0);
    assert!(sample(&after, "chat_store_latency_seconds_bucket{le=\"+Inf\"}") >= 1.0);
    assert_eq!(sample(&after, "chat_queue_length"), 1.0);
    assert_eq!(sample(&after, "chat_webhooks_pending"), 0.0);
    assert_eq!(sample(&after, "chat_webhooks_failed"), 0.0);
    assert!(after.contains("# TYPE chat_delivery_latency_seconds histogram"));
    assert!(sample(&after, "chat_store_errors_total") >= 0.0);

    let ready = reqwest::get(ts.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), reqwest::StatusCode::OK);
    ts.server.chat.drain();
    let draining = reqwest::get(ts.url("/readyz")).await.unwrap();
    assert_eq!(draining.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
}

#[test]
fn logs_are_json_lines_when_asked() {
    use support::process::{database_url, BIN};
    let dir = tempfile::tempdir().unwrap();
    let run = |format: &str| {
        std::process::Command::new(BIN)
            .args(["api-token", "add", &format!("t-{format}")])
            .env("CHAT_DATABASE_URL", database_url(dir.path()))
            .env("CHAT_LOG_FORMAT", format)
            .env("RUST_LOG", "info")
            .output()
            .unwrap()
    };
    let json = run("json");
    assert!(json.status.success());
    let stderr = String::from_utf8(json.stderr).unwrap();
    let line = stderr
        .lines()
        .find(|line| line.contains("API token added"))
        .unwrap_or_else(|| panic!("{stderr}"));
    let entry: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(entry["level"], "INFO");
    assert_eq!(entry["fields"]["message"], "API token added");
    assert_eq!(entry["fields"]["name"], "t-json");
    assert!(entry["timestamp"].is_string());
    let text = run("text");
    let stderr = String::from_utf8(text.stderr).unwrap();
    let line = stderr
        .lines()
        .find(|l| l.contains("API token added"))
        .unwrap();
    assert!(
        serde_json::from_str::<serde_json::Value>(line).is_err(),
        "{line}"
    );
}

#[test]
fn a_worker_thread_count_that_is_not_a_positive_number_is_refused_clearly() {
    use support::process::{database_url, BIN};
    let dir = tempfile::tempdir().unwrap();
    for bad in ["0", "two", "-1"] {
        let run = std::process::Command::new(BIN)
            .arg("serve")
            .env("CHAT_DATABASE_URL", database_url(dir.path()))
            .env("CHAT_WORKER_THREADS", bad)
            .output()
            .unwrap();
        assert!(!run.status.success(), "CHAT_WORKER_THREADS={bad} was taken");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            stderr.contains(&format!(
                "CHAT_WORKER_THREADS '{bad}' is not a positive whole number"
            )),
            "{stderr}"
        );
    }
}

#[tokio::test]
async fn the_server_runs_its_tasks_on_as_many_threads_as_it_is_told() {
    use support::process::{temp_dir, ServerProcess};
    let (_dir, path) = temp_dir();
    for threads in [1, 3] {
        let server = ServerProcess::start(&path, |command| {
            command.env("CHAT_WORKER_THREADS", threads.to_string());
        })
        .await;
        let text = reqwest::get(format!("http://{}/metrics", server.addr))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(sample(&text, "chat_runtime_workers"), threads as f64);
    }
}

#[test]
fn a_bad_worker_thread_count_does_not_stop_the_other_commands() {
    use support::process::{database_url, BIN};
    let dir = tempfile::tempdir().unwrap();
    let run = std::process::Command::new(BIN)
        .args(["agent", "list"])
        .env("CHAT_DATABASE_URL", database_url(dir.path()))
        .env("CHAT_WORKER_THREADS", "0")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}
