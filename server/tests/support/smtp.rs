//! A real SMTP server on loopback for tests of what the chat server mails:
//! Python's aiosmtpd (Debian's `python3-aiosmtpd`, or `pip install aiosmtpd`),
//! keeping every mail it takes in a Maildir that the test reads back.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpServer {
    child: Option<Child>,
    pub port: u16,
    maildir: tempfile::TempDir,
}

/// One mail as the SMTP server took it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope's recipients.
    pub rcpt_to: Vec<String>,
    pub to: String,
    pub from: String,
    pub reply_to: Option<String>,
    pub subject: String,
    /// Decoded from its transfer encoding.
    pub body: String,
}

/// A Python that has aiosmtpd: `AIOSMTPD_PYTHON`, else the first of the usual ones.
fn python() -> PathBuf {
    let candidates = std::env::var_os("AIOSMTPD_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain(["/usr/bin/python3", "python3"].map(PathBuf::from));
    for python in candidates {
        let has_it = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if has_it {
            return python;
        }
    }
    panic!(
        "the mail tests need Python's aiosmtpd: `apt-get install python3-aiosmtpd` \
         (./setup.sh test installs it) or `pip install aiosmtpd`"
    )
}

/// aiosmtpd on an address of our choosing, port 0 meaning "any free one": it
/// prints the port it got, so that tests running at once never share one.
const SERVE: &str = r#"
import asyncio, sys
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Mailbox(sys.argv[1])), "127.0.0.1", int(sys.argv[2]))
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"#;

impl SmtpServer {
    /// Starts on a free loopback port and waits until it accepts connections.
    pub fn start() -> SmtpServer {
        let mut server = SmtpServer {
            child: None,
            port: 0,
            maildir: tempfile::tempdir().unwrap(),
        };
        server.resume();
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops taking mail (the port refuses connections) until [`Self::resume`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts again on the same port, with the same mails kept.
    pub fn resume(&mut self) {
        use std::io::BufRead;
        self.stop();
        let mut child = Command::new(python())
            .args(["-c", SERVE])
            // Made by the Maildir itself (with its tmp, new and cur) when missing.
            .arg(self.maildir.path().join("mail"))
            .arg(self.port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("aiosmtpd starts");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        self.port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("aiosmtpd did not start listening (port {})", self.port));
        self.child = Some(child);
    }

    /// Every mail taken so far, in the order they arrived.
    pub fn mails(&self) -> Vec<Received> {
        read_maildir(&self.maildir.path().join("mail/new"))
    }

    /// Waits until at least `count` mails arrived; returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let mails = self.mails();
            if mails.len() >= count {
                return mails;
            }
            assert!(
                Instant::now() < deadline,
                "expected {count} mails, got {}: {mails:#?}",
                mails.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn read_maildir(dir: &Path) -> Vec<Received> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|(_, path)| parse(&std::fs::read(&path).unwrap()))
        .collect()
}

fn parse(raw: &[u8]) -> Received {
    use mailparse::MailHeaderMap;
    let mail = mailparse::parse_mail(raw).expect("a mail the server sent parses");
    let header = |name: &str| mail.headers.get_first_value(name);
    Received {
        // aiosmtpd's Mailbox adds the envelope as a header.
        rcpt_to: header("X-RcptTo")
            .unwrap_or_default()
            .split(',')
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .collect(),
        to: header("To").unwrap_or_default(),
        from: header("From").unwrap_or_default(),
        reply_to: header("Reply-To"),
        subject: header("Subject").unwrap_or_default(),
        // SMTP carries lines ending in CRLF.
        body: mail.get_body().expect("a text body").replace("\r\n", "\n"),
    }
}
