//! The load generator and benchmark (docs/performance.md).
//!
//! It starts the server binary on a fresh SQLite database (abuse limits off: every
//! connection comes from this one address), then drives it like browsers would,
//! over the documented WebSocket protocol and server functions:
//!
//! - *idle*: V visitor connections that only hold on; memory per connection;
//! - *steady*: A agents and V visitors form R multi-party conversations of P
//!   participants through the real invitation flow, then send at a fixed offered
//!   rate with a timestamp in each body; latency, losses, CPU per delivery, memory;
//! - *ramp*: the steady set-up with the rate raised step by step until p99 passes
//!   100 ms; the highest rate that stayed under it;
//! - *steady-pg*: the steady workload again, with the server on a PostgreSQL
//!   database (a throwaway server on loopback with its durability settings on),
//!   whose CPU time is reported beside the chat server's.
//!
//! Results go to stdout (readable) and to a JSON file.

mod conn;
mod reports;
mod stats;

use anyhow::{bail, Context};
use app::ids::{ConversationId, VisitorId};
use app::protocol::{ClientMsg, Me, PageView, ServerMsg};
use clap::Parser;
use conn::{lock, Order, Shared};
use serde::Serialize;
use stats::{Latency, ProcSample};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

#[derive(Parser, Debug)]
#[command(about = "Load generator and benchmark for the chat server")]
struct Args {
    /// The server binary to start (a release build).
    #[arg(long, default_value = "target/release/server")]
    server_bin: PathBuf,
    /// A seconds-long run with small numbers, to check that everything works.
    #[arg(long)]
    quick: bool,
    /// Which workloads, comma-separated.
    #[arg(
        long,
        default_value = "idle,steady,ramp,steady-pg,reports",
        value_delimiter = ','
    )]
    workloads: Vec<String>,
    /// Where the JSON report goes.
    #[arg(long, default_value = "target/bench/results.json")]
    out: PathBuf,
    /// How long the steady workload sends (to profile the server meanwhile).
    #[arg(long)]
    steady_secs: Option<u64>,
    /// V of the idle workload: visitor connections.
    #[arg(long)]
    idle_visitors: Option<usize>,
    /// A: agent connections of the steady and ramp workloads.
    #[arg(long)]
    agents: Option<usize>,
    /// R: multi-party conversations (each of P participants: an agent and P − 1
    /// visitors, so R × (P − 1) visitor connections).
    #[arg(long)]
    conversations: Option<usize>,
    /// P: participants per conversation (at least 2).
    #[arg(long)]
    participants: Option<usize>,
    /// Offered messages per second of the steady workload (where the ramp starts).
    #[arg(long)]
    rate: Option<f64>,
}

/// The sizes of a run.
#[derive(Clone, Copy, Debug, Serialize)]
struct Plan {
    idle_visitors: usize,
    agents: usize,
    conversations: usize,
    participants: usize,
    rate: f64,
    steady_secs: u64,
    ramp_step_secs: u64,
    ramp_max_steps: usize,
    /// The reports workload: chats stored, and messages in each.
    report_chats: usize,
    report_messages_each: usize,
}

impl Plan {
    fn standard() -> Plan {
        Plan {
            idle_visitors: 10_000,
            agents: 20,
            conversations: 1_000,
            participants: 5,
            rate: 1_000.0,
            steady_secs: 20,
            ramp_step_secs: 5,
            ramp_max_steps: 12,
            report_chats: 50_000,
            report_messages_each: 20,
        }
    }

    fn quick() -> Plan {
        Plan {
            idle_visitors: 200,
            agents: 2,
            conversations: 20,
            participants: 5,
            rate: 200.0,
            steady_secs: 2,
            ramp_step_secs: 1,
            ramp_max_steps: 2,
            report_chats: 2_000,
            report_messages_each: 10,
        }
    }

    fn visitors_per_conversation(&self) -> usize {
        self.participants - 1
    }
}

#[derive(Debug, Default, Serialize)]
struct Report {
    machine: Machine,
    plan: Option<Plan>,
    idle: Option<IdleResult>,
    steady: Option<SteadyResult>,
    ramp: Option<RampResult>,
    steady_postgres: Option<SteadyResult>,
    reports: Option<reports::ReportsResult>,
}

#[derive(Debug, Default, Serialize)]
struct Machine {
    cpus: usize,
    cpu_model: String,
    memory_kib: u64,
    kernel: String,
}

impl Machine {
    fn describe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model: cpuinfo
                .lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
                .unwrap_or_default(),
            memory_kib: meminfo
                .lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .unwrap_or(0),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_owned(),
        }
    }
}

#[derive(Debug, Serialize)]
struct IdleResult {
    connections: usize,
    rss_before_kib: u64,
    rss_after_kib: u64,
    kib_per_connection: f64,
    connect_secs: f64,
}

#[derive(Debug, Serialize)]
struct SteadyResult {
    store: Store,
    connections: usize,
    conversations: usize,
    participants: usize,
    offered_per_sec: f64,
    sent: u64,
    acknowledged: u64,
    delivered: u64,
    expected: u64,
    lost: i64,
    delivered_per_sec: f64,
    latency: Latency,
    server_cpu_secs: f64,
    cpu_micros_per_delivery: f64,
    /// PostgreSQL's processes, when the store is there (SQLite works inside the
    /// server, so its share is in the server's figure).
    database_cpu_secs: f64,
    database_cpu_micros_per_delivery: f64,
    /// Server context switches per message sent (all threads).
    context_switches_per_message: f64,
    rss_idle_kib: u64,
    rss_peak_kib: u64,
    kib_per_connection_idle: f64,
    kib_per_connection_loaded: f64,
    /// The whole set-up, `setup`'s steps together (a field of its own, as in the
    /// reports of earlier runs).
    setup_secs: f64,
    /// Where the set-up's time went.
    setup: SetupPhases,
    errors: u64,
    dropped: u64,
}

/// The steps of the steady set-up, in seconds each.
#[derive(Clone, Copy, Debug, Default, Serialize)]
struct SetupPhases {
    /// Starting the server on a fresh database and adding the agents' accounts
    /// (one `server agent add` each, a password hash each).
    provisioning_secs: f64,
    /// The agents logging in and opening their consoles.
    agents_secs: f64,
    /// The visitors connecting, each until its `welcome`.
    visitors_secs: f64,
    /// The conversations requested (`request_conversation`).
    conversations_secs: f64,
    /// Until every participant has joined and received its conversation.
    joined_secs: f64,
}

impl SetupPhases {
    /// From starting the server until everyone is in their conversation.
    fn total_secs(&self) -> f64 {
        self.provisioning_secs + self.joining_secs()
    }

    /// From the server being up until everyone is in their conversation.
    fn joining_secs(&self) -> f64 {
        self.agents_secs + self.visitors_secs + self.conversations_secs + self.joined_secs
    }
}

#[derive(Debug, Serialize)]
struct RampStep {
    offered_per_sec: f64,
    sent: u64,
    delivered: u64,
    lost: i64,
    latency: Latency,
}

#[derive(Debug, Serialize)]
struct RampResult {
    steps: Vec<RampStep>,
    /// The highest offered rate whose p99 stayed at or under 100 ms with no loss.
    max_rate_under_100ms: f64,
}

/// Where the server under test keeps its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Store {
    Sqlite,
    Postgres,
}

/// The server binary running on a fresh database (in a temporary directory, or
/// on the throwaway PostgreSQL server).
struct ServerUnderTest {
    child: Child,
    addr: SocketAddr,
    /// PostgreSQL's postmaster, when the store is there.
    database_pid: Option<u32>,
    database_url: String,
    _dir: tempfile::TempDir,
}

const PASSWORD: &str = "load-generator-password";

/// For trials: `LOADGEN_SERVER_X=v` runs the server (and its `agent add`s) with
/// `X=v`; e.g. `LOADGEN_SERVER_RUST_LOG=warn,sqlx::query=debug` lists every
/// statement it runs.
fn server_variables() -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    std::env::vars_os()
        .filter_map(|(name, value)| {
            let name = name.to_str()?.strip_prefix("LOADGEN_SERVER_")?;
            Some((name.into(), value))
        })
        .collect()
}

impl ServerUnderTest {
    async fn start(bin: &PathBuf, agents: usize, store: Store) -> anyhow::Result<ServerUnderTest> {
        let dir = tempfile::tempdir()?;
        let (database_url, database_pid) = match store {
            Store::Sqlite => (format!("sqlite://{}/chat.db", dir.path().display()), None),
            Store::Postgres => {
                let (url, pid) = server::store::postgres::throwaway::durable_database()
                    .await
                    .context("PostgreSQL is not installed (apt-get install postgresql)")?;
                (url, Some(pid))
            }
        };
        for i in 0..agents {
            let mut add = Command::new(bin)
                .args([
                    "agent",
                    "add",
                    &format!("agent{i}"),
                    "--name",
                    &format!("Agent {i}"),
                ])
                .arg("--password-stdin")
                .env("CHAT_DATABASE_URL", &database_url)
                .envs(server_variables())
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {}", bin.display()))?;
            use std::io::Write;
            add.stdin
                .take()
                .context("stdin")?
                .write_all(PASSWORD.as_bytes())?;
            if !add.wait()?.success() {
                bail!("adding agent{i} failed");
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let child = Command::new(bin)
            .arg("serve")
            .env("CHAT_ADDR", addr.to_string())
            .env("CHAT_DATABASE_URL", &database_url)
            .env("CHAT_RATE_LIMITS", "off")
            .env("CHAT_MAX_CONNECTIONS_PER_IP", "0")
            .env("RUST_LOG", "warn")
            .envs(server_variables())
            .stdout(Stdio::null())
            .spawn()?;
        let mut server = ServerUnderTest {
            child,
            addr,
            database_url,
            database_pid,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while reqwest::get(format!("http://{addr}/healthz"))
            .await
            .is_err()
        {
            if let Some(status) = server.child.try_wait()? {
                bail!("the server exited before it answered ({status}); its errors are above");
            }
            if Instant::now() > deadline {
                bail!("the server did not come up on {addr}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(server)
    }

    fn sample(&self) -> ProcSample {
        ProcSample::of(self.child.id()).unwrap_or_default()
    }

    /// Has PostgreSQL gather the statistics of the tables the set-up has just
    /// filled, as autovacuum does within a minute or so. A database filled in
    /// seconds has none yet, and the plans the server's connections cached while
    /// the tables were nearly empty stay until statistics come: they would read a
    /// whole index for each message (docs/performance.md). A deployment's tables
    /// have statistics; this measures that state, not the benchmark's first minute.
    async fn analyze(&self) -> anyhow::Result<()> {
        let pool = sqlx::PgPool::connect(&self.database_url).await?;
        sqlx::query("ANALYZE").execute(&pool).await?;
        pool.close().await;
        Ok(())
    }

    /// CPU seconds PostgreSQL's processes have used (none with SQLite).
    fn database_cpu_secs(&self) -> f64 {
        self.database_pid.map_or(0.0, stats::tree_cpu_secs)
    }
}

impl Drop for ServerUnderTest {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn page(url: String) -> PageView {
    PageView {
        title: "Load test".into(),
        referrer: String::new(),
        load_id: app::ids::MessageId(uuid::Uuid::new_v4()),
        department: String::new(),
        url,
    }
}

/// Opens a visitor connection that says hello from `url` and waits for the
/// welcome, which names the visitor. Once it has come, agents may invite them.
async fn visitor(addr: SocketAddr, url: String) -> anyhow::Result<(conn::Socket, VisitorId)> {
    let mut socket = conn::open(addr, "/ws/visitor", None).await?;
    let hello = ClientMsg::Hello {
        token: Some(server::chat::new_token()),
        page: Some(page(url)),
        identity: None,
    };
    conn::send(&mut socket, &hello).await?;
    loop {
        match conn::next(&mut socket).await {
            Some(ServerMsg::Welcome {
                me: Me::Visitor { id, .. },
                ..
            }) => return Ok((socket, id)),
            Some(ServerMsg::Welcome { .. }) => bail!("a visitor was welcomed as an agent"),
            Some(_) => continue,
            None => bail!("visitor connection closed before the welcome"),
        }
    }
}

/// Runs `count` async jobs, at most `width` at a time, and collects their results
/// in order.
async fn bounded<T, F, Fut>(count: usize, width: usize, job: F) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>> + Send + 'static,
{
    use futures::StreamExt;
    let results: Vec<anyhow::Result<T>> = futures::stream::iter((0..count).map(job))
        .buffered(width)
        .collect()
        .await;
    results.into_iter().collect()
}

async fn idle(args: &Args, plan: &Plan) -> anyhow::Result<IdleResult> {
    let server = ServerUnderTest::start(&args.server_bin, 0, Store::Sqlite).await?;
    let addr = server.addr;
    // Warm up the allocator and the store with a few connections that come and go.
    let warm = bounded(20, 20, |i| visitor(addr, format!("/lg/warm/{i}"))).await?;
    drop(warm);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = server.sample();
    let started = Instant::now();
    let sockets = bounded(plan.idle_visitors, 64, |i| {
        visitor(addr, format!("/lg/idle/{i}"))
    })
    .await?;
    let connect_secs = started.elapsed().as_secs_f64();
    // Hold them, answering the server's pings.
    let holders: Vec<_> = sockets
        .into_iter()
        .map(|(mut socket, _)| {
            tokio::spawn(async move { while conn::next(&mut socket).await.is_some() {} })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = server.sample();
    for holder in &holders {
        holder.abort();
    }
    Ok(IdleResult {
        connections: plan.idle_visitors,
        rss_before_kib: before.rss_kib,
        rss_after_kib: after.rss_kib,
        kib_per_connection: (after.rss_kib.saturating_sub(before.rss_kib)) as f64
            / plan.idle_visitors as f64,
        connect_secs,
    })
}

/// Logs an agent in through the login server function; the session cookie.
async fn login(addr: SocketAddr, username: String) -> anyhow::Result<String> {
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/api/login"))
        .header("origin", format!("http://{addr}"))
        .form(&[("username", username.as_str()), ("password", PASSWORD)])
        .send()
        .await?;
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("livechat_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .context("no session cookie: login failed")
}

/// Asks for a multi-party conversation with `visitors` (steps c–e of the method).
async fn request_conversation(
    addr: SocketAddr,
    cookie: &str,
    visitors: &[VisitorId],
) -> anyhow::Result<ConversationId> {
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/api/request_conversation"))
        .header("origin", format!("http://{addr}"))
        .header("cookie", cookie)
        .json(&serde_json::json!({ "visitors": visitors, "agents": [] }))
        .send()
        .await?;
    let status = response.status();
    let body = response.text().await?;
    if !status.is_success() {
        bail!("request_conversation: {status} {body}");
    }
    Ok(serde_json::from_str(&body)?)
}

/// Waits until `ready` holds, or fails after `limit`.
async fn wait_for(what: &str, limit: Duration, ready: impl Fn() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while !ready() {
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Everyone of the steady workload, connected and in their conversations.
struct Crowd {
    server: ServerUnderTest,
    shared: Arc<Shared>,
    /// Per conversation: its id and the order channels of its participants.
    conversations: Rooms,
    all: Vec<mpsc::UnboundedSender<Order>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    setup: SetupPhases,
    /// The server's memory before anyone connected.
    baseline_rss_kib: u64,
}

impl Crowd {
    /// Tells every connection to close, and waits a little for them.
    async fn finish(self) {
        for order in &self.all {
            let _ = order.send(Order::Finish);
        }
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

async fn gather(args: &Args, plan: &Plan, store: Store) -> anyhow::Result<Crowd> {
    let mut setup = SetupPhases::default();
    let mut step = Instant::now();
    let mut lap = || {
        std::mem::replace(&mut step, Instant::now())
            .elapsed()
            .as_secs_f64()
    };
    let server = ServerUnderTest::start(&args.server_bin, plan.agents, store).await?;
    setup.provisioning_secs = lap();
    let addr = server.addr;
    let baseline_rss_kib = server.sample().rss_kib;
    let shared = Arc::new(Shared::default());
    let mut all = Vec::new();
    let mut tasks = Vec::new();
    let mut start = |socket: conn::Socket| {
        let (tx, rx) = mpsc::unbounded_channel();
        tasks.push(tokio::spawn(conn::run(socket, shared.clone(), rx)));
        all.push(tx.clone());
        tx
    };

    let cookies = bounded(plan.agents, 4, |i| login(addr, format!("agent{i}"))).await?;
    let mut agents = Vec::new();
    for cookie in &cookies {
        agents.push(start(conn::open(addr, "/ws/agent", Some(cookie)).await?));
    }
    setup.agents_secs = lap();
    let visitor_count = plan.conversations * plan.visitors_per_conversation();
    let sockets = bounded(visitor_count, 64, |i| visitor(addr, format!("/lg/v/{i}"))).await?;
    let (sockets, ids): (Vec<_>, Vec<VisitorId>) = sockets.into_iter().unzip();
    let visitors: Vec<_> = sockets.into_iter().map(&mut start).collect();
    setup.visitors_secs = lap();

    let per = plan.visitors_per_conversation();
    let cookies = Arc::new(cookies);
    let ids = Arc::new(ids);
    let agent_count = plan.agents;
    let conversation_ids = bounded(plan.conversations, 8, |r| {
        let (cookies, ids) = (cookies.clone(), ids.clone());
        async move {
            request_conversation(
                addr,
                &cookies[r % agent_count],
                &ids[r * per..(r + 1) * per],
            )
            .await
        }
    })
    .await?;
    setup.conversations_secs = lap();
    let joined = (plan.conversations * plan.participants) as u64;
    wait_for(
        "every participant to join and sync",
        Duration::from_secs(120),
        || shared.synced.load(Ordering::Relaxed) >= joined,
    )
    .await?;
    setup.joined_secs = lap();
    if store == Store::Postgres {
        server.analyze().await?;
    }
    let conversations: Vec<_> = conversation_ids
        .into_iter()
        .enumerate()
        .map(|(r, id)| {
            let mut members = vec![agents[r % plan.agents].clone()];
            members.extend(visitors[r * per..(r + 1) * per].iter().cloned());
            (id, members)
        })
        .collect();
    Ok(Crowd {
        server,
        shared,
        conversations: Arc::new(conversations),
        all,
        tasks,
        setup,
        baseline_rss_kib,
    })
}

/// The conversations and their participants' order channels.
type Rooms = Arc<Vec<(ConversationId, Vec<mpsc::UnboundedSender<Order>>)>>;

/// Sends at `rate` messages per second for `secs`, spread over the conversations
/// and their participants in turn. Returns the number sent and the send window in
/// microseconds since start.
async fn offer(crowd: &Crowd, rate: f64, secs: u64, cursor: &mut usize) -> (u64, u64, u64) {
    let rooms = crowd.conversations.clone();
    let first = *cursor;
    let count = (rate * secs as f64) as u64;
    let begin = tokio::task::spawn_blocking(move || pace(&rooms, rate, count, first))
        .await
        .expect("the pacing thread panicked");
    *cursor += count as usize;
    (count, begin, begin + (count as f64 * 1e6 / rate) as u64 + 1)
}

/// Hands out `count` messages on a thread of its own, message `k` at `k / rate`
/// seconds from the start, and returns the start (microseconds since start).
///
/// A thread's sleep wakes within some tens of microseconds of its deadline, where
/// the runtime's timer rounds up to the next millisecond: pacing from the runtime
/// made every message leave up to a millisecond or two after its time, which the
/// open-loop latency counted as the server's. Open loop: a message that could not
/// leave on time (the cores busy) goes at once, and still counts from its time.
fn pace(rooms: &Rooms, rate: f64, count: u64, first: usize) -> u64 {
    let begin = stats::now_micros();
    let started = Instant::now();
    let n = rooms.len();
    for k in 0..count {
        let due = Duration::from_secs_f64(k as f64 / rate);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
        let i = first + k as usize;
        let (id, members) = &rooms[i % n];
        // Round-robin over conversations, and over each one's members.
        let sender = &members[(i / n) % members.len()];
        let _ = sender.send(Order::Send {
            conversation: *id,
            at: begin + due.as_micros() as u64,
        });
    }
    begin
}

/// Deliveries of messages sent in `[from, to)`.
fn window(shared: &Shared, from: u64, to: u64) -> Vec<stats::Delivery> {
    lock(&shared.deliveries)
        .iter()
        .filter(|d| d.sent >= from && d.sent < to)
        .copied()
        .collect()
}

async fn steady(crowd: &Crowd, plan: &Plan, store: Store) -> anyhow::Result<SteadyResult> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = crowd.server.sample();
    let before = crowd.server.sample();
    let database_before = crowd.server.database_cpu_secs();
    let acks_before = crowd.shared.acks.load(Ordering::Relaxed);
    // Sample memory while the load runs.
    let pid = crowd.server.child.id();
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(idle.rss_kib));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                let rss = ProcSample::of(pid).map_or(0, |s| s.rss_kib);
                peak.fetch_max(rss, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    println!(
        "steady: sending {:.0}/s for {} s (server pid {})",
        plan.rate,
        plan.steady_secs,
        crowd.server.child.id()
    );
    let mut cursor = 0;
    let (sent, from, to) = offer(crowd, plan.rate, plan.steady_secs, &mut cursor).await;
    // Let the last messages arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = crowd.server.sample();
    let database_cpu = crowd.server.database_cpu_secs() - database_before;
    sampler.abort();
    let peak = peak.load(Ordering::Relaxed).max(after.rss_kib);
    let deliveries = window(&crowd.shared, from, to);
    let delivered = deliveries.len() as u64;
    let expected = sent * (plan.participants as u64 - 1);
    let cpu = after.cpu_secs - before.cpu_secs;
    let connections = crowd.all.len();
    let per_delivery = |secs: f64| {
        if delivered == 0 {
            0.0
        } else {
            secs * 1e6 / delivered as f64
        }
    };
    Ok(SteadyResult {
        store,
        connections,
        conversations: plan.conversations,
        participants: plan.participants,
        offered_per_sec: sent as f64 / plan.steady_secs as f64,
        sent,
        acknowledged: crowd.shared.acks.load(Ordering::Relaxed) - acks_before,
        delivered,
        expected,
        lost: expected as i64 - delivered as i64,
        delivered_per_sec: delivered as f64 / plan.steady_secs as f64,
        latency: Latency::of(&deliveries),
        server_cpu_secs: cpu,
        context_switches_per_message: (after.context_switches - before.context_switches) as f64
            / sent.max(1) as f64,
        cpu_micros_per_delivery: per_delivery(cpu),
        database_cpu_secs: database_cpu,
        database_cpu_micros_per_delivery: per_delivery(database_cpu),
        rss_idle_kib: idle.rss_kib,
        rss_peak_kib: peak,
        kib_per_connection_idle: idle.rss_kib.saturating_sub(crowd.baseline_rss_kib) as f64
            / connections as f64,
        kib_per_connection_loaded: peak.saturating_sub(crowd.baseline_rss_kib) as f64
            / connections as f64,
        setup_secs: crowd.setup.total_secs(),
        setup: crowd.setup,
        errors: crowd.shared.errors.load(Ordering::Relaxed),
        dropped: crowd.shared.dropped.load(Ordering::Relaxed),
    })
}

async fn ramp(crowd: &Crowd, plan: &Plan) -> anyhow::Result<RampResult> {
    let mut steps = Vec::new();
    let mut best = 0.0;
    let mut rate = plan.rate;
    let mut cursor = 0;
    for _ in 0..plan.ramp_max_steps {
        let (sent, from, to) = offer(crowd, rate, plan.ramp_step_secs, &mut cursor).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let deliveries = window(&crowd.shared, from, to);
        let delivered = deliveries.len() as u64;
        let lost = (sent * (plan.participants as u64 - 1)) as i64 - delivered as i64;
        let latency = Latency::of(&deliveries);
        println!(
            "  ramp {:>7.0}/s: p50 {:>7.2} ms  p99 {:>8.2} ms  lost {lost}",
            rate, latency.p50_ms, latency.p99_ms
        );
        let passed = latency.p99_ms <= 100.0 && lost == 0;
        steps.push(RampStep {
            offered_per_sec: sent as f64 / plan.ramp_step_secs as f64,
            sent,
            delivered,
            lost,
            latency,
        });
        if !passed {
            break;
        }
        best = rate;
        rate *= 1.5;
    }
    Ok(RampResult {
        steps,
        max_rate_under_100ms: best,
    })
}

fn summary(report: &Report) {
    println!("\n== Results ==");
    let m = &report.machine;
    println!(
        "machine: {} × {}, {} MiB, Linux {}",
        m.cpus,
        m.cpu_model,
        m.memory_kib / 1024,
        m.kernel
    );
    if let Some(idle) = &report.idle {
        println!(
            "idle:   {} visitor connections, {:.1} KiB of server memory each (RSS {} → {} KiB)",
            idle.connections, idle.kib_per_connection, idle.rss_before_kib, idle.rss_after_kib
        );
    }
    for s in [&report.steady, &report.steady_postgres]
        .into_iter()
        .flatten()
    {
        let name = match s.store {
            Store::Sqlite => "steady",
            Store::Postgres => "steady on PostgreSQL",
        };
        println!(
            "{name}: {} connections, {} conversations × {}; offered {:.0}/s, delivered {:.0}/s; lost {}",
            s.connections, s.conversations, s.participants, s.offered_per_sec, s.delivered_per_sec, s.lost
        );
        println!(
            "        latency p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
            s.latency.p50_ms, s.latency.p99_ms, s.latency.p999_ms, s.latency.max_ms
        );
        println!(
            "        server CPU {:.1} µs per delivery; memory {:.1} KiB per connection idle, {:.1} under load",
            s.cpu_micros_per_delivery, s.kib_per_connection_idle, s.kib_per_connection_loaded
        );
        println!(
            "        {:.1} server context switches per message; set-up {:.1} s",
            s.context_switches_per_message, s.setup_secs
        );
        let p = &s.setup;
        println!(
            "        set-up: server and agent accounts {:.1} s, then joining {:.1} s (consoles {:.1}, visitors {:.1}, conversations {:.1}, everyone in {:.1})",
            p.provisioning_secs,
            p.joining_secs(),
            p.agents_secs,
            p.visitors_secs,
            p.conversations_secs,
            p.joined_secs
        );
        if s.store == Store::Postgres {
            println!(
                "        PostgreSQL's own CPU {:.1} µs per delivery",
                s.database_cpu_micros_per_delivery
            );
        }
    }
    if let Some(r) = &report.ramp {
        println!(
            "ramp:   highest offered rate with p99 ≤ 100 ms and no loss: {:.0} messages/s",
            r.max_rate_under_100ms
        );
    }
    if let Some(r) = &report.reports {
        println!(
            "reports: {} chats, {} messages (stored in {:.1} s); a week's report {:.1} ms ({} chats, read {:.1} ms), the month's {:.1} ms ({} chats, read {:.1} ms)",
            r.conversations,
            r.messages,
            r.fill_secs,
            r.week_ms,
            r.week_chats,
            r.week_read_ms,
            r.month_ms,
            r.month_chats,
            r.month_read_ms
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let args = Args::parse();
    let mut plan = if args.quick {
        Plan::quick()
    } else {
        Plan::standard()
    };
    plan.steady_secs = args.steady_secs.unwrap_or(plan.steady_secs);
    plan.idle_visitors = args.idle_visitors.unwrap_or(plan.idle_visitors);
    plan.agents = args.agents.unwrap_or(plan.agents).max(1);
    plan.conversations = args.conversations.unwrap_or(plan.conversations).max(1);
    plan.participants = args.participants.unwrap_or(plan.participants).max(2);
    plan.rate = args.rate.unwrap_or(plan.rate);
    stats::now_micros();
    let mut report = Report {
        machine: Machine::describe(),
        plan: Some(plan),
        ..Report::default()
    };
    let wants = |w: &str| args.workloads.iter().any(|x| x == w);
    if wants("idle") {
        println!("idle: {} visitor connections…", plan.idle_visitors);
        report.idle = Some(idle(&args, &plan).await?);
    }
    if wants("steady") || wants("ramp") {
        println!(
            "steady: {} agents, {} conversations × {} participants…",
            plan.agents, plan.conversations, plan.participants
        );
        let crowd = gather(&args, &plan, Store::Sqlite).await?;
        if wants("steady") {
            report.steady = Some(steady(&crowd, &plan, Store::Sqlite).await?);
        }
        if wants("ramp") {
            println!(
                "ramp: from {:.0}/s, ×1.5 every {} s…",
                plan.rate, plan.ramp_step_secs
            );
            report.ramp = Some(ramp(&crowd, &plan).await?);
        }
        crowd.finish().await;
    }
    if wants("steady-pg") {
        println!("steady on PostgreSQL: the same, with the store on PostgreSQL…");
        let crowd = gather(&args, &plan, Store::Postgres).await?;
        report.steady_postgres = Some(steady(&crowd, &plan, Store::Postgres).await?);
        crowd.finish().await;
    }
    if wants("reports") {
        println!(
            "reports: {} chats of {} messages in a month…",
            plan.report_chats, plan.report_messages_each
        );
        report.reports = Some(reports::run(plan.report_chats, plan.report_messages_each).await?);
    }
    summary(&report);
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&report)?)?;
    println!("\nJSON: {}", args.out.display());
    for s in [&report.steady, &report.steady_postgres]
        .into_iter()
        .flatten()
    {
        if s.lost != 0 || s.dropped != 0 {
            bail!(
                "{} messages lost, {} connections dropped",
                s.lost,
                s.dropped
            );
        }
    }
    Ok(())
}
