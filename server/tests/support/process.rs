//! The real server binary as a child process, for tests that kill it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_server");

pub struct ServerProcess {
    pub child: Child,
    pub addr: SocketAddr,
}

pub fn database_url(dir: &Path) -> String {
    format!("sqlite://{}/chat.db", dir.display())
}

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `server agent add` against the database in `dir`.
pub fn add_agent(dir: &Path, username: &str, name: &str, password: &str) {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(["agent", "add", username, "--name", name, "--password-stdin"])
        .env("CHAT_DATABASE_URL", database_url(dir))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "agent add {username}");
}

impl ServerProcess {
    /// Starts the server on a free port with its database in `dir` and waits until it
    /// answers.
    pub async fn start(dir: &Path, configure: impl FnOnce(&mut Command)) -> ServerProcess {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let mut command = Command::new(BIN);
        command
            .arg("serve")
            .env("CHAT_ADDR", addr.to_string())
            .env("CHAT_DATABASE_URL", database_url(dir))
            .env("LEPTOS_SITE_ROOT", dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        configure(&mut command);
        let child = command.spawn().expect("the server binary starts");
        let server = ServerProcess { child, addr };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(response) = reqwest::get(format!("http://{addr}/healthz")).await {
                if response.status().is_success() {
                    return server;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the server did not come up"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// kill -9: no shutdown, no flushing.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn temp_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    (dir, path)
}
