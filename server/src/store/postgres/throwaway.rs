//! A throwaway PostgreSQL server for the test binary that uses it (test support,
//! compiled in so that integration tests can use it too): made with `initdb` in a
//! temporary folder the first time a test asks for a database, on a free loopback
//! port, with durability off (the tests never crash PostgreSQL itself). A template
//! database is migrated once; every test gets a fresh copy of it
//! (`CREATE DATABASE … TEMPLATE`, tens of milliseconds).
//!
//! Statics are never dropped, so the server cannot be stopped by a `Drop` when the
//! test binary exits. A watchdog shell started with the server does it instead: it
//! waits for this process to end (however it ends, a panic or a kill included),
//! then stops the server (`pg_ctl stop -m immediate`) and removes the folder.
//!
//! Without PostgreSQL's server programs the tests that need one are skipped with
//! a notice, except under CI (`CI=true`), where that is a failure.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tokio::sync::OnceCell;

/// The template every test database is copied from.
const TEMPLATE: &str = "chat_template";
/// How often starting the server is tried, each time on a newly picked port (one
/// picked may be taken by someone else before the server binds it).
const START_TRIES: usize = 5;

struct Cluster {
    port: u16,
    /// The server's data folder (its `postmaster.pid` names its process).
    data: PathBuf,
}

static CLUSTER: OnceCell<Option<Cluster>> = OnceCell::const_new();
/// A second server, with PostgreSQL's durability on, for the benchmark.
static DURABLE: OnceCell<Option<Cluster>> = OnceCell::const_new();

/// The URL of a fresh, migrated database, or `None` (after a notice) when
/// PostgreSQL is not installed here.
pub async fn database() -> Option<String> {
    let cluster = cluster().await?;
    Some(create_database(cluster.port, Some(TEMPLATE)).await)
}

/// The URL of a fresh database with no tables, or `None` as for [`database`].
pub async fn empty_database() -> Option<String> {
    let cluster = cluster().await?;
    Some(create_database(cluster.port, None).await)
}

/// As [`database`], on a server that keeps PostgreSQL's durability settings
/// (`fsync`, `synchronous_commit` and `full_page_writes` on), so that a commit
/// is on disk as with the SQLite store: what the benchmark measures. Also the
/// process id of that server's postmaster, whose children do the work.
pub async fn durable_database() -> Option<(String, u32)> {
    let cluster = DURABLE.get_or_init(|| prepare(true)).await.as_ref()?;
    let pid = std::fs::read_to_string(cluster.data.join("postmaster.pid"))
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()?;
    Some((create_database(cluster.port, Some(TEMPLATE)).await, pid))
}

fn url(port: u16, database: &str) -> String {
    format!("postgres://chat@127.0.0.1:{port}/{database}")
}

async fn cluster() -> Option<&'static Cluster> {
    CLUSTER.get_or_init(|| prepare(false)).await.as_ref()
}

/// Starts a server and migrates its template database.
async fn prepare(durable: bool) -> Option<Cluster> {
    let started = tokio::task::spawn_blocking(move || start(durable))
        .await
        .expect("starting PostgreSQL panicked")?;
    let port = started.port;
    let mut conn = connect(port, "postgres").await;
    sqlx::raw_sql(&format!("CREATE DATABASE {TEMPLATE}"))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::Connection::close(conn).await.unwrap();
    let mut template = connect(port, TEMPLATE).await;
    sqlx::migrate!("./migrations/postgres")
        .run(&mut template)
        .await
        .unwrap();
    // A template is copied only while nobody is connected to it.
    sqlx::Connection::close(template).await.unwrap();
    Some(started)
}

async fn connect(port: u16, database: &str) -> sqlx::PgConnection {
    <sqlx::PgConnection as sqlx::Connection>::connect(&url(port, database))
        .await
        .unwrap_or_else(|e| panic!("connecting to the test PostgreSQL: {e}"))
}

/// Makes a database with a random name, copied from `template` (or empty).
async fn create_database(port: u16, template: Option<&str>) -> String {
    let name = format!("t_{:016x}", rand::random::<u64>());
    let from = template
        .map(|t| format!(" TEMPLATE {t}"))
        .unwrap_or_default();
    let mut conn = connect(port, "postgres").await;
    sqlx::raw_sql(&format!("CREATE DATABASE {name}{from}"))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::Connection::close(conn).await.unwrap();
    url(port, &name)
}

/// Where PostgreSQL's server programs are: `pg_config --bindir`, else the newest
/// `/usr/lib/postgresql/*/bin` (Debian keeps them off the PATH).
fn bin_dir() -> Option<PathBuf> {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_initdb(&dir) {
            return Some(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_initdb(dir))
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir)
}

/// A command for a PostgreSQL program: run as `nobody` when this process is root,
/// since `initdb` and `pg_ctl` refuse to run as root.
fn program(bin: &Path, name: &str) -> Command {
    let path = bin.join(name);
    if is_root() {
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
            .arg(path);
        command
    } else {
        Command::new(path)
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn missing() -> Option<Cluster> {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "PostgreSQL's server programs (initdb, pg_ctl) were not found by \
             'pg_config --bindir' nor in /usr/lib/postgresql/*/bin; \
             install them: apt-get install postgresql"
        );
    }
    eprintln!(
        "notice: PostgreSQL is not installed (no initdb); skipping the PostgreSQL store \
         tests. Install it with: apt-get install postgresql"
    );
    None
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("a bound address").port()
}

fn run(command: &mut Command, what: &str) {
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Makes and starts the cluster (blocking: run it off the async threads).
fn start(durable: bool) -> Option<Cluster> {
    let Some(bin) = bin_dir() else {
        return missing();
    };
    // Kept: the watchdog removes it once this process has ended.
    let dir = tempfile::Builder::new()
        .prefix("chat-pg-")
        .tempdir()
        .expect("a temporary folder")
        .keep();
    if is_root() {
        run(
            Command::new("chown").arg("nobody:nogroup").arg(&dir),
            "handing the test PostgreSQL's folder to nobody",
        );
    }
    let data = dir.join("pg");
    let log = dir.join("log");
    run(
        program(&bin, "initdb").arg("-D").arg(&data).args([
            "-U",
            "chat",
            "--auth=trust",
            "--no-sync",
        ]),
        "initdb",
    );
    let mut port = None;
    for _ in 0..START_TRIES {
        let candidate = free_port();
        let speed = if durable {
            "-c max_connections=200"
        } else {
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        };
        let options = format!(
            "-k {} -p {candidate} -c listen_addresses=127.0.0.1 {speed}",
            dir.display()
        );
        let started = program(&bin, "pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-o", &options, "start"])
            .stdin(Stdio::null())
            .output()
            .expect("running pg_ctl");
        if started.status.success() {
            port = Some(candidate);
            break;
        }
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            log.contains("could not bind") || log.contains("in use"),
            "pg_ctl start failed: {}{}{log}",
            String::from_utf8_lossy(&started.stdout),
            String::from_utf8_lossy(&started.stderr)
        );
    }
    let port = port.expect("PostgreSQL started on one of the ports tried");
    watch(&bin, &dir, &data);
    Some(Cluster { port, data })
}

/// Starts the watchdog that stops the server and removes `dir` once this process
/// has ended. It runs in a process group of its own, so that an interrupt of the
/// test run (which reaches the whole group) ends the tests, not the clean-up.
fn watch(bin: &Path, dir: &Path, data: &Path) {
    use std::os::unix::process::CommandExt;
    let as_postgres = if is_root() {
        "setpriv --reuid=nobody --regid=nogroup --clear-groups "
    } else {
        ""
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         {as_postgres}'{pg_ctl}' -D '{data}' stop -m immediate; rm -rf '{dir}'",
        pid = std::process::id(),
        pg_ctl = bin.join("pg_ctl").display(),
        data = data.display(),
        dir = dir.display(),
    );
    // Put in the background by a shell that ends at once, which is waited for:
    // the watchdog itself belongs to nobody here, so it outlives this process.
    let status = Command::new("sh")
        .args(["-c", &format!("({script}) &")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .status()
        .expect("starting the test PostgreSQL's watchdog");
    assert!(status.success(), "starting the watchdog: {status}");
}
