//! A throwaway NATS server on loopback (Debian's `nats-server`), for tests of
//! the cluster mode: stopped and started again on the same port to show that
//! nodes catch up after an outage.
#![allow(dead_code)]

use super::process::free_port;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct NatsServer {
    child: Option<Child>,
    pub port: u16,
}

impl NatsServer {
    pub fn start() -> NatsServer {
        let mut server = NatsServer {
            child: None,
            port: free_port(),
        };
        server.resume();
        server
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server (as a crash would).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts again on the same port.
    pub fn resume(&mut self) {
        self.stop();
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("nats-server starts ({e}): `apt-get install nats-server` (./setup.sh test does)")
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server did not start listening"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}
