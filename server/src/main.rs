//! The server binary: `serve` (the default) or `agent ...` account management.
//! Wiring only; everything else lives in the library.

use anyhow::Context;
use app::protocol::AgentRole;
use clap::{Parser, Subcommand, ValueEnum};
use server::config::{self, Config};
use std::io::Read;

#[derive(Parser)]
#[command(
    name = "server",
    about = "Live chat server: visitor widget, agent console, multi-party conversations"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the chat (CHAT_ADDR, CHAT_DATABASE_URL, CHAT_PRESENCE_GRACE_SECS, LEPTOS_SITE_ROOT).
    Serve {
        /// Create demo agents on first run and print their logins and the URLs to open.
        #[arg(long)]
        demo: bool,
    },
    /// Manage agent accounts in CHAT_DATABASE_URL.
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
    /// Manage the REST API's tokens in CHAT_DATABASE_URL.
    ApiToken {
        #[command(subcommand)]
        command: ApiTokenCommand,
    },
    /// Write the Brotli and gzip forms of the built site's files beside them (run
    /// once after `cargo leptos build`; the server then never compresses them).
    CompressSite {
        /// The site root (default LEPTOS_SITE_ROOT, else target/site).
        #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
        site_root: std::path::PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Role {
    Agent,
    Admin,
}

#[derive(Subcommand)]
enum AgentCommand {
    /// Add an agent; the password is read from standard input.
    Add {
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value = "agent")]
        role: Role,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List agents.
    List,
    /// Remove an agent and end its sessions.
    Remove { username: String },
    /// Set the address an agent is mailed offline messages at (with CHAT_SMTP_URL);
    /// without an address, clears it.
    Email {
        username: String,
        address: Option<String>,
    },
    /// Change an agent's password (read from standard input) and end its sessions.
    Passwd {
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Scope {
    Read,
    Write,
}

#[derive(Subcommand)]
enum ApiTokenCommand {
    /// Make a token for an integration and print it (once: only its hash is kept).
    Add {
        name: String,
        /// read: only GET requests; write: also create, send and close.
        #[arg(long, value_enum, default_value = "read")]
        scope: Scope,
    },
    /// List the tokens (never the tokens themselves), revoked ones too.
    List,
    /// Revoke a token: requests with it get 401 from now on.
    Revoke { name: String },
}

fn read_password() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("reading the password from standard input")?;
    Ok(input.trim_end_matches(['\r', '\n']).to_owned())
}

/// Logs to stderr at `RUST_LOG` (default `info,sqlx=warn`), as text, or as one
/// JSON object per line with `CHAT_LOG_FORMAT=json` (for a log collector).
/// Whatever the level, the WebSocket library's trace output is dropped: it
/// prints whole frames, and frames carry visitor tokens and everyone's messages.
fn init_logging() {
    use tracing_subscriber::prelude::*;
    let env = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let no_frames = tracing_subscriber::filter::filter_fn(|meta| {
        let websocket = meta.target().starts_with("tungstenite")
            || meta.target().starts_with("tokio_tungstenite");
        !(websocket && *meta.level() == tracing::Level::TRACE)
    });
    let json = match std::env::var("CHAT_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") | Err(_) => false,
        Ok(other) => {
            eprintln!("CHAT_LOG_FORMAT '{other}' is not 'json' or 'text'; logging as text");
            false
        }
    };
    let text_layer = (!json).then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(no_frames.clone())
    });
    let json_layer = json.then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(false)
            .with_writer(std::io::stderr)
            .with_filter(no_frames)
    });
    tracing_subscriber::registry()
        .with(env)
        .with(text_layer)
        .with(json_layer)
        .init();
}

/// The server's own memory. Tasks move between the runtime's threads, so a
/// connection's memory is allocated on one thread and freed on another; glibc's
/// malloc keeps what is freed in the arena it came from, and the memory held per
/// connection under load wandered from 20 to 37 KiB from run to run. mimalloc
/// hands freed memory back to the thread's own pages and returns empty pages to
/// the system: 13 to 15 KiB, the same CPU (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    limit_malloc_arenas();
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve { demo: false });
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    // Only serving has connections to run; the other commands take tokio's default.
    if let Command::Serve { .. } = command {
        if let Some(workers) = config::worker_threads().map_err(anyhow::Error::msg)? {
            runtime.worker_threads(workers);
        }
    }
    runtime.enable_all().build()?.block_on(run(command))
}

/// How many malloc arenas glibc may keep (`MALLOC_ARENA_MAX` overrides it).
const MALLOC_ARENAS: i32 = 2;

/// glibc gives each thread that allocates while others do an arena of its own,
/// up to eight per core, and memory freed in one arena is reused only by it.
/// What still allocates with glibc's malloc is the C code, SQLite above all (its
/// page caches, on the store's threads); two arenas are enough for it.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: called before any other thread exists; mallopt only sets one of
        // the allocator's parameters.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    init_logging();
    match command {
        Command::Serve { demo } => serve(demo).await,
        Command::Agent { command } => agent(command).await,
        Command::ApiToken { command } => api_token(command).await,
        Command::CompressSite { site_root } => {
            let count = server::http::static_files::compress_site(&site_root)
                .with_context(|| format!("compressing the site in '{}'", site_root.display()))?;
            println!(
                "compressed {count} files in {}",
                site_root.join("pkg").display()
            );
            Ok(())
        }
    }
}

async fn serve(demo: bool) -> anyhow::Result<()> {
    let config = Config::from_env().map_err(anyhow::Error::msg)?;
    let logins = if demo {
        let store = server::open_store(&config.database_url).await?;
        let file = config::sqlite_file(&config.database_url)
            .and_then(|db| db.parent().map(|dir| dir.join("demo-logins.txt")))
            .unwrap_or_else(|| "demo-logins.txt".into());
        server::chat::agents::ensure_demo_agents(store.as_ref(), &file).await?
    } else {
        None
    };
    let server = server::Server::start(&config).await?;
    let base = format!("http://{}", server.addr);
    println!("livechat listening on {base}");
    if demo {
        println!();
        println!("  Demo website:   {base}/demo");
        println!("  Agent console:  {base}/console");
        if let Some(logins) = logins {
            println!();
            println!("  Agent logins (username / password):");
            print!("{logins}");
        }
        println!();
    }
    let chat = server.chat.clone();
    tokio::select! {
        _ = server.run_until_stopped() => {}
        _ = stop_signal() => {
            println!("stopping: closing connections so that their clients reconnect elsewhere");
            chat.drain();
            // Clients get "server restarting" and reconnect (to another node behind
            // the load balancer); give their sockets a moment to close.
            let deadline = tokio::time::Instant::now() + DRAIN_WAIT;
            while chat.open_connections() > 0 && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
    Ok(())
}

/// How long a stopping server waits for its connections to close.
const DRAIN_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Ctrl-C, or SIGTERM (what a service manager or an orchestrator sends).
async fn stop_signal() {
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            match terminate.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        } => {}
    }
}

async fn agent(command: AgentCommand) -> anyhow::Result<()> {
    let store = server::open_store(&config::database_url()).await?;
    let store = store.as_ref();
    match command {
        AgentCommand::Add {
            username,
            name,
            role,
            ..
        } => {
            let role = match role {
                Role::Agent => AgentRole::Agent,
                Role::Admin => AgentRole::Admin,
            };
            server::chat::agents::add(store, &username, &name, role, &read_password()?).await?;
            println!("added agent '{username}'");
        }
        AgentCommand::List => {
            for agent in store.agents().await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    agent.username,
                    agent.role.as_str(),
                    agent.name,
                    agent.email.as_deref().unwrap_or("-")
                );
            }
        }
        AgentCommand::Email { username, address } => {
            let address = address.unwrap_or_default();
            server::chat::agents::set_email(store, &username, &address).await?;
            if address.trim().is_empty() {
                println!("'{username}' is mailed no offline messages");
            } else {
                println!("offline messages go to {} for '{username}'", address.trim());
            }
        }
        AgentCommand::Remove { username } => {
            server::chat::agents::remove(store, &username).await?;
            println!("removed agent '{username}'");
        }
        AgentCommand::Passwd { username, .. } => {
            server::chat::agents::set_password(store, &username, &read_password()?).await?;
            println!("changed the password of '{username}'; their sessions have ended");
        }
    }
    Ok(())
}

async fn api_token(command: ApiTokenCommand) -> anyhow::Result<()> {
    use server::chat::api_tokens;
    use server::store::ApiScope;
    let store = server::open_store(&config::database_url()).await?;
    let store = store.as_ref();
    match command {
        ApiTokenCommand::Add { name, scope } => {
            let scope = match scope {
                Scope::Read => ApiScope::Read,
                Scope::Write => ApiScope::Write,
            };
            let (record, token) = api_tokens::add_api_token(store, &name, scope).await?;
            eprintln!(
                "added API token '{}' ({}); it is shown this once, keep it secret:",
                record.name,
                scope.as_str()
            );
            println!("{token}");
        }
        ApiTokenCommand::List => {
            for token in store.api_tokens().await? {
                let state = match token.revoked_ms {
                    Some(_) => "revoked",
                    None => "live",
                };
                println!(
                    "{}\t{}\t{}\t{}",
                    token.name,
                    token.scope.as_str(),
                    state,
                    app::time::iso(token.created_ms)
                );
            }
        }
        ApiTokenCommand::Revoke { name } => {
            api_tokens::revoke_api_token(store, &name).await?;
            println!("revoked API token '{name}'");
        }
    }
    Ok(())
}
