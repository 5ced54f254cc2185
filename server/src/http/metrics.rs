//! `GET /metrics`: the process's counters and the gauges read now, in the
//! Prometheus text format. Counts only, nothing about anyone: still, serve it
//! to the monitoring network only (docs/deploy.md).

use super::AppState;
use crate::metrics::{write_value, METRICS};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use std::sync::atomic::Ordering;

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let chat = &state.chat;
    let mut out = String::with_capacity(4096);
    let (visitors, agents) = chat.connections_by_kind();
    write_value(
        &mut out,
        "chat_connections",
        "gauge",
        "WebSocket connections open on this node, by kind.",
        &[
            ("kind=\"visitor\"", visitors as u64),
            ("kind=\"agent\"", agents as u64),
        ],
    );
    write_value(
        &mut out,
        "chat_runtime_workers",
        "gauge",
        "Threads running this node's tasks (CHAT_WORKER_THREADS).",
        &[(
            "",
            tokio::runtime::Handle::current().metrics().num_workers() as u64,
        )],
    );
    write_value(
        &mut out,
        "chat_messages_total",
        "counter",
        "Messages stored from this node.",
        &[("", METRICS.messages.load(Ordering::Relaxed))],
    );
    write_value(
        &mut out,
        "chat_deliveries_total",
        "counter",
        "Frames handed to connections on this node.",
        &[("", METRICS.deliveries.load(Ordering::Relaxed))],
    );
    METRICS.delivery_latency.write(
        &mut out,
        "chat_delivery_latency_seconds",
        "From a message arriving to its frames being handed to every connection of this node.",
    );
    METRICS.store_latency.write(
        &mut out,
        "chat_store_latency_seconds",
        "How long the store took to keep a message, its commit included.",
    );
    write_value(
        &mut out,
        "chat_store_errors_total",
        "counter",
        "Requests that failed because the store did.",
        &[("", METRICS.store_errors.load(Ordering::Relaxed))],
    );
    let store = chat.store();
    // A gauge the store cannot read now is left out, and counted as an error.
    match store.queue().await {
        Ok(queue) => write_value(
            &mut out,
            "chat_queue_length",
            "gauge",
            "Visitor chats waiting for an agent.",
            &[("", queue.len() as u64)],
        ),
        Err(err) => {
            tracing::warn!(%err, "reading the queue for /metrics");
            METRICS.store_errors.fetch_add(1, Ordering::Relaxed);
        }
    }
    match store.webhook_backlog().await {
        Ok((pending, failed)) => {
            write_value(
                &mut out,
                "chat_webhooks_pending",
                "gauge",
                "Webhook deliveries waiting to be made or retried.",
                &[("", pending)],
            );
            write_value(
                &mut out,
                "chat_webhooks_failed",
                "gauge",
                "Webhook deliveries given up after a day of retries.",
                &[("", failed)],
            );
        }
        Err(err) => {
            tracing::warn!(%err, "reading the webhook backlog for /metrics");
            METRICS.store_errors.fetch_add(1, Ordering::Relaxed);
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
}
