//! The reports workload: a SQLite store holding a month of chats, a million
//! messages in the standard plan, and how long a report of its last week and
//! of the whole month takes: the store's read of the period's chats and the
//! counting by day, hour, agent and department, as the console's report runs
//! them (`server::chat::reports`).

use anyhow::Context;
use app::api::ReportQuery;
use rusqlite::params;
use serde::Serialize;
use server::chat::reports::{build, Names, Period};
use server::store::StoreOptions;
use std::time::Instant;

#[derive(Debug, Serialize)]
pub struct ReportsResult {
    pub conversations: usize,
    pub messages: usize,
    pub fill_secs: f64,
    /// The median of five reports of the last 7 days.
    pub week_ms: f64,
    /// Of which the store's read of the week's chats (the median of five).
    pub week_read_ms: f64,
    pub week_chats: u32,
    /// The median of five reports of all 30 days.
    pub month_ms: f64,
    /// Of which the store's read of the month's chats (the median of five).
    pub month_read_ms: f64,
    pub month_chats: u32,
}

const DAY_MS: i64 = 86_400_000;
/// 2026-11-01T00:00:00Z: the month the chats fall in.
const MONTH_START_MS: i64 = 1_793_491_200_000;
const AGENTS: usize = 20;
const DEPARTMENTS: [&str; 3] = ["sales", "support", "billing"];

/// Writes `conversations` chats of `messages_each` messages, spread evenly over
/// November 2026: nine in ten answered 20 s after the visitor's first message,
/// every one closed after ten minutes, three in ten rated. Inserted as the
/// store inserts them, so its trigger keeps each chat's first answer.
fn fill(path: &std::path::Path, conversations: usize, messages_each: usize) -> anyhow::Result<()> {
    let mut db = rusqlite::Connection::open(path)?;
    let tx = db.transaction()?;
    {
        let mut conversation = tx.prepare(
            "INSERT INTO conversations (id, kind, state, owner_agent_id, visitor_id, last_seq,
                                        created_at, closed_at, department_id)
             VALUES (?, 'direct', 'closed', ?, ?, ?, ?, ?, ?)",
        )?;
        let mut message = tx.prepare(
            "INSERT INTO messages (conversation_id, seq, client_msg_id, author_role, author_id,
                                   author_name, kind, body, created_at, visibility)
             VALUES (?, ?, ?, ?, ?, ?, 'text', ?, ?, 'everyone')",
        )?;
        let mut rating = tx.prepare(
            "INSERT INTO ratings (conversation_id, visitor_id, visitor_name, good, comment, created_at)
             VALUES (?, ?, 'Visitor', ?, '', ?)",
        )?;
        let agents: Vec<String> = (0..AGENTS)
            .map(|i| uuid::Uuid::from_u128(i as u128 + 1).to_string())
            .collect();
        let spacing = 30 * DAY_MS / conversations as i64;
        for n in 0..conversations {
            let id = uuid::Uuid::new_v4().to_string();
            let visitor = uuid::Uuid::new_v4().to_string();
            let started = MONTH_START_MS + n as i64 * spacing;
            let answered = n % 10 != 0;
            let agent = &agents[n % AGENTS];
            conversation.execute(params![
                id,
                answered.then_some(agent),
                visitor,
                messages_each as i64,
                started,
                started + 600_000,
                DEPARTMENTS[n % DEPARTMENTS.len()],
            ])?;
            for seq in 1..=messages_each {
                let by_agent = answered && seq % 2 == 0;
                let (role, author) = if by_agent {
                    ("agent", agent)
                } else {
                    ("visitor", &visitor)
                };
                message.execute(params![
                    id,
                    seq as i64,
                    uuid::Uuid::new_v4().to_string(),
                    role,
                    author,
                    if by_agent { "Agent" } else { "Visitor" },
                    "a message of about the length people write in a chat",
                    started + seq as i64 * 20_000,
                ])?;
            }
            if n % 10 < 3 {
                rating.execute(params![id, visitor, n % 2, started + 600_000])?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}

fn day(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
        .unwrap_or_default()
}

/// What five reports of one period took: the median of the whole and of the
/// store's read, in milliseconds, and the chats they counted.
struct Timing {
    total_ms: f64,
    read_ms: f64,
    chats: u32,
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Five reports of `days` days up to the month's end.
async fn time_report(store: &dyn server::store::Store, days: i64) -> anyhow::Result<Timing> {
    let query = ReportQuery {
        from: day(MONTH_START_MS + (30 - days) * DAY_MS),
        to: day(MONTH_START_MS + 29 * DAY_MS),
        time_zone: "UTC".into(),
        ..ReportQuery::default()
    };
    let mut totals = Vec::new();
    let mut reads = Vec::new();
    let mut chats = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let period = Period::of(&query).map_err(|e| anyhow::anyhow!("{e}"))?;
        let facts = store.chat_facts(period.from_ms, period.to_ms).await?;
        reads.push(started.elapsed().as_secs_f64() * 1000.0);
        let report = build(query.clone(), &period, &facts, &Names::default());
        totals.push(started.elapsed().as_secs_f64() * 1000.0);
        chats = report.totals.chats;
    }
    Ok(Timing {
        total_ms: median(totals),
        read_ms: median(reads),
        chats,
    })
}

pub async fn run(conversations: usize, messages_each: usize) -> anyhow::Result<ReportsResult> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("chat.db");
    let url = format!("sqlite://{}", path.display());
    let store = server::store::open(&url, &StoreOptions::default())
        .await
        .context("opening the store")?;
    let started = Instant::now();
    let file = path.clone();
    tokio::task::spawn_blocking(move || fill(&file, conversations, messages_each)).await??;
    let fill_secs = started.elapsed().as_secs_f64();
    let week = time_report(&*store, 7).await?;
    let month = time_report(&*store, 30).await?;
    Ok(ReportsResult {
        conversations,
        messages: conversations * messages_each,
        fill_secs,
        week_ms: week.total_ms,
        week_read_ms: week.read_ms,
        week_chats: week.chats,
        month_ms: month.total_ms,
        month_read_ms: month.read_ms,
        month_chats: month.chats,
    })
}
