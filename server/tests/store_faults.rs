//! Fault test (c): when the store cannot write (locked by another process, or no room
//! left for the database files) a send fails with the retryable `unavailable` error
//! and no acknowledgement; once the store can write again, the same send (same id)
//! is stored exactly once and everything carries on.

mod support;

use app::error::ErrorCode;
use app::ids::{ConversationId, MessageId};
use app::protocol::{Body, ClientMsg, ServerMsg};
use sqlx::Connection;
use std::time::Duration;
use support::process::{self, ServerProcess};
use support::{msg_id, token, Client, TestServer};

/// Sends one message and returns the server's answer to it: its seq, or the error.
async fn send(
    client: &mut Client,
    id: ConversationId,
    msg: MessageId,
    text: &str,
) -> Result<u64, ErrorCode> {
    client
        .send(&ClientMsg::Send {
            conversation_id: id,
            client_msg_id: msg,
            text: text.into(),
        })
        .await;
    match client
        .expect(|m| {
            matches!(m, ServerMsg::Ack { client_msg_id, .. } if *client_msg_id == msg)
                || matches!(m, ServerMsg::Error { client_msg_id: Some(failed), .. } if *failed == msg)
        })
        .await
    {
        ServerMsg::Ack { seq, .. } => Ok(seq),
        ServerMsg::Error { code, .. } => Err(code),
        _ => unreachable!(),
    }
}

/// How many entries with this text the conversation holds, as an agent reads it on a
/// fresh connection.
async fn count(remote: &support::Remote, cookie: &str, id: ConversationId, text: &str) -> usize {
    let mut client = remote.agent(cookie).await;
    let mut after_seq = 0;
    let mut seen = 0;
    loop {
        client
            .send(&ClientMsg::Sync {
                conversation_id: id,
                after_seq,
            })
            .await;
        let ServerMsg::History { messages, more, .. } = client
            .expect(|m| matches!(m, ServerMsg::History { .. }))
            .await
        else {
            unreachable!()
        };
        seen += messages
            .iter()
            .filter(|m| m.body == Body::Text { text: text.into() })
            .count();
        if !more {
            return seen;
        }
        after_seq = messages.last().unwrap().seq;
    }
}

/// A visitor chatting with an agent; returns both clients and the conversation.
async fn chat(ts: &TestServer) -> (Client, Client, ConversationId) {
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let mut vic = ts.visitor(&token(1), "/demo").await;
    vic.send(&ClientMsg::StartChat {
        client_msg_id: msg_id(),
        text: "hello".into(),
    })
    .await;
    let ServerMsg::Ack {
        conversation_id, ..
    } = vic.expect(|m| matches!(m, ServerMsg::Ack { .. })).await
    else {
        unreachable!()
    };
    ann.send(&ClientMsg::AcceptChat { conversation_id }).await;
    ann.expect(|m| matches!(m, ServerMsg::Conversation { .. }))
        .await;
    (ann, vic, conversation_id)
}

#[tokio::test]
async fn a_store_locked_by_another_process_fails_sends_retryably_then_recovers() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    let (_ann, mut vic, id) = chat(&ts).await;
    let remote = support::Remote::new(ts.server.addr);
    let cookie = remote.login("ann").await;

    // Another process holds the write lock.
    let url = format!("sqlite://{}/chat.db", ts.dir.path().display());
    let mut other = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();

    let msg = msg_id();
    let refused = send(&mut vic, id, msg, "sent while locked").await;
    assert_eq!(refused, Err(ErrorCode::Unavailable));
    assert!(ErrorCode::Unavailable.is_retryable());
    // Reading still works meanwhile, and nothing was stored.
    assert_eq!(count(&remote, &cookie, id, "sent while locked").await, 0);

    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    let seq = send(&mut vic, id, msg, "sent while locked")
        .await
        .expect("stored once unlocked");
    assert_eq!(
        send(&mut vic, id, msg, "sent while locked").await,
        Ok(seq),
        "a resend is not stored again"
    );
    assert_eq!(count(&remote, &cookie, id, "sent while locked").await, 1);
}

/// Lets the server's files grow to at most `bytes` (the process ignores SIGXFSZ, so a
/// write past the limit fails with EFBIG, as it would on a full disk with ENOSPC).
fn limit_file_size(command: &mut std::process::Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
}

fn raise_file_size_limit(pid: u32) {
    let unlimited = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: plain system call on another process with valid pointers.
    let done = unsafe {
        libc::prlimit(
            pid as libc::pid_t,
            libc::RLIMIT_FSIZE,
            &unlimited,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(done, 0, "prlimit: {}", std::io::Error::last_os_error());
}

fn largest_file(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_sends_retryably_then_recovers() {
    let (_tmp, dir) = process::temp_dir();
    process::add_agent(&dir, "ann", "Ann", support::PASSWORD);
    // Set up a chat, then stop the server.
    let (ann_cookie, id) = {
        let server = ServerProcess::start(&dir, |_| {}).await;
        let ts = support::Remote::new(server.addr);
        let cookie = ts.login("ann").await;
        let mut ann = ts.agent(&cookie).await;
        let mut vic = ts.visitor(&token(1)).await;
        vic.send(&ClientMsg::StartChat {
            client_msg_id: msg_id(),
            text: "hello".into(),
        })
        .await;
        let ServerMsg::Ack {
            conversation_id, ..
        } = vic.expect(|m| matches!(m, ServerMsg::Ack { .. })).await
        else {
            unreachable!()
        };
        ann.send(&ClientMsg::AcceptChat { conversation_id }).await;
        ann.expect(|m| matches!(m, ServerMsg::Conversation { .. }))
            .await;
        (cookie, conversation_id)
    };

    // Restart with little room for the files to grow.
    let room = largest_file(&dir) + 256 * 1024;
    let server = ServerProcess::start(&dir, |c| limit_file_size(c, room)).await;
    let ts = support::Remote::new(server.addr);
    let mut vic = ts.visitor(&token(1)).await;
    let big = "x".repeat(3900);
    let mut acked = 0;
    let failed = loop {
        let msg = msg_id();
        match send(&mut vic, id, msg, &format!("{acked} {big}")).await {
            Ok(_) => acked += 1,
            Err(code) => {
                assert_eq!(code, ErrorCode::Unavailable, "a full disk is retryable");
                break msg;
            }
        }
        assert!(acked < 5000, "the files never filled up");
    };
    let text = format!("{acked} {big}");
    // Still full: the same send fails the same way, and the server stays up.
    assert_eq!(
        send(&mut vic, id, failed, &text).await,
        Err(ErrorCode::Unavailable)
    );
    assert!(reqwest::get(format!("http://{}/healthz", server.addr))
        .await
        .unwrap()
        .status()
        .is_success());

    // Room again: the same send is stored once, and new ones go through.
    raise_file_size_limit(server.pid());
    let seq = send(&mut vic, id, failed, &text)
        .await
        .expect("stored once there is room");
    assert_eq!(send(&mut vic, id, msg_id(), "after").await, Ok(seq + 1));
    assert_eq!(count(&ts, &ann_cookie, id, &text).await, 1);
    eprintln!("{acked} messages fitted; the next failed as unavailable and went through once there was room");
}
