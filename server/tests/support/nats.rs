//! A throwaway NATS server on loopback (Debian's `nats-server`), for tests of
//! the cluster mode: stopped and started again on the same port to show that
//! nodes catch up after an outage.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct NatsServer {
    child: Option<Child>,
    pub port: u16,
    /// Where the server writes the port it listens on.
    ports: tempfile::TempDir,
}

impl NatsServer {
    /// Starts on a port the server picks itself (so that tests running at once
    /// never share one) and waits until it accepts connections.
    pub fn start() -> NatsServer {
        let mut server = NatsServer {
            child: None,
            port: 0,
            ports: tempfile::tempdir().unwrap(),
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
        // `-p -1`: any free port, written to a file in the ports folder.
        let port = if self.port == 0 {
            "-1".to_owned()
        } else {
            self.port.to_string()
        };
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port, "--ports_file_dir"])
            .arg(self.ports.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("nats-server starts ({e}): `apt-get install nats-server` (./setup.sh test does)")
            });
        let pid = child.id();
        self.child = Some(child);
        let file = self.ports.path().join(format!("nats-server_{pid}.ports"));
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            // {"nats":["nats://127.0.0.1:4222"], ...}
            let listening = std::fs::read_to_string(&file).ok().and_then(|text| {
                let ports: serde_json::Value = serde_json::from_str(&text).ok()?;
                let url = ports["nats"][0].as_str()?.to_owned();
                url.rsplit(':').next()?.parse::<u16>().ok()
            });
            if let Some(port) = listening {
                self.port = port;
                break;
            }
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
