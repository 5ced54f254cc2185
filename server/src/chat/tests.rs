//! The chat service driven directly, with the real SQLite store and router.

use super::{ChatConfig, ChatService, Connection};
use crate::broker::InProcessBroker;
use crate::routing::{Outbox, Router};
use crate::store::NewAgent;
use app::ids::MessageId;
use app::protocol::{AgentRole, AgentStatus, ClientMsg, PageView, ServerMsg};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

const GRACE: Duration = Duration::from_secs(30);

struct Fixture {
    chat: Arc<ChatService>,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/chat.db", dir.path().display());
    let store = crate::store::open(&url, &Default::default()).await.unwrap();
    let router = Arc::new(Router::new());
    let chat = ChatService::new(
        store,
        Arc::new(InProcessBroker::new(router.clone())),
        router.clone(),
        ChatConfig {
            presence_grace: GRACE,
            ..ChatConfig::default()
        },
    );
    Fixture { chat, _dir: dir }
}

impl Fixture {
    async fn agent(&self, username: &str) -> (Connection, Outbox) {
        let record = self
            .chat
            .store()
            .create_agent(NewAgent {
                username: username.into(),
                name: username.into(),
                role: AgentRole::Agent,
                password_hash: "x".into(),
            })
            .await
            .unwrap();
        self.chat
            .open(super::Session::Agent(record), None, Default::default())
            .await
            .unwrap()
    }

    async fn visitor(&self, n: u8) -> (Connection, Outbox) {
        let session = self
            .chat
            .visitor_session(&format!("{n:02x}").repeat(32))
            .await
            .unwrap();
        let page = PageView {
            url: "/demo".into(),
            load_id: MessageId(Uuid::new_v4()),
            department: String::new(),
            ..Default::default()
        };
        self.chat
            .open(session, Some(page), Default::default())
            .await
            .unwrap()
    }
}

/// A little longer than the visitor lists take to catch up with presence.
const LISTS: Duration = Duration::from_millis(300);

/// Lets every task that can run do so (paused time does not move meanwhile).
async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

/// The answers among what a connection got (acknowledgements and errors).
fn answers(outbox: &mut Outbox) -> Vec<ServerMsg> {
    drain(outbox)
        .into_iter()
        .filter(|m| matches!(m, ServerMsg::Ack { .. } | ServerMsg::Error { .. }))
        .collect()
}

/// Waits until a console's visitor list has caught up with `on_site` visitors
/// (its task sends the totals last), leaving what came after in the outbox.
async fn list_caught_up(outbox: &mut Outbox, on_site: u32) {
    loop {
        let bytes = tokio::time::timeout(std::time::Duration::from_secs(5), outbox.frames.recv())
            .await
            .expect("the visitor list catches up")
            .expect("the outbox is open");
        let frame: ServerMsg = serde_json::from_slice(&bytes).unwrap();
        if matches!(frame, ServerMsg::VisitorTotals { on_site: n, .. } | ServerMsg::Visitors { on_site: n, .. } if n == on_site)
        {
            return;
        }
    }
}

fn drain(outbox: &mut Outbox) -> Vec<ServerMsg> {
    let mut out = Vec::new();
    while let Ok(bytes) = outbox.frames.try_recv() {
        out.push(serde_json::from_slice(&bytes).unwrap());
    }
    out
}

#[tokio::test]
async fn a_visitor_counts_as_gone_only_after_the_grace_period() {
    let f = fixture().await;
    let (_ann, mut ann_box) = f.agent("ann").await;
    let (vic, _vic_box) = f.visitor(1).await;
    let vic_id = vic.session().visitor_id();

    tokio::time::pause();
    // The console's list takes the visitor in at its next refresh.
    tokio::time::advance(LISTS).await;
    settle().await;
    let arrived = drain(&mut ann_box);
    assert!(
        arrived.iter().any(
            |m| matches!(m, ServerMsg::VisitorUpdated { visitor } if Some(visitor.id) == vic_id)
        ),
        "{arrived:?}"
    );
    drop(vic);
    tokio::time::advance(GRACE - Duration::from_secs(1)).await;
    tokio::task::yield_now().await;
    assert!(
        drain(&mut ann_box).is_empty(),
        "still within the grace period"
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    settle().await;
    tokio::time::advance(LISTS).await;
    settle().await;
    let left = drain(&mut ann_box);
    assert!(
        matches!(left.as_slice(), [ServerMsg::VisitorLeft { visitor_id, gone: true }, ServerMsg::VisitorTotals { on_site: 0, matching: 0 }] if Some(*visitor_id) == vic_id),
        "{left:?}"
    );
}

#[tokio::test]
async fn visitors_hear_when_the_last_agent_goes_away_and_comes_back() {
    let f = fixture().await;
    let (mut ann, mut ann_box) = f.agent("ann").await;
    let (_vic, mut vic_box) = f.visitor(2).await;
    drain(&mut vic_box);
    // The console's list shows the visitor before the status changes.
    list_caught_up(&mut ann_box, 1).await;
    drain(&mut ann_box);

    f.chat
        .handle(
            &mut ann,
            ClientMsg::SetStatus {
                status: AgentStatus::Away,
            },
        )
        .await;
    assert_eq!(
        drain(&mut vic_box),
        vec![ServerMsg::AgentsAvailable {
            available: false,
            away: vec![]
        }]
    );
    let to_agents = drain(&mut ann_box);
    assert!(
        matches!(to_agents.as_slice(), [ServerMsg::AgentUpdated { agent }] if agent.status == AgentStatus::Away),
        "{to_agents:?}"
    );
    f.chat
        .handle(
            &mut ann,
            ClientMsg::SetStatus {
                status: AgentStatus::Online,
            },
        )
        .await;
    assert_eq!(
        drain(&mut vic_box),
        vec![ServerMsg::AgentsAvailable {
            available: true,
            away: vec![]
        }]
    );
}

#[tokio::test]
async fn starting_a_chat_twice_with_one_message_id_opens_one_conversation() {
    let f = fixture().await;
    let (_ann, mut ann_box) = f.agent("ann").await;
    let (mut vic, mut vic_box) = f.visitor(3).await;
    drain(&mut ann_box);
    let id = MessageId(Uuid::new_v4());
    let start = ClientMsg::StartChat {
        client_msg_id: id,
        text: "hi".into(),
    };
    f.chat.handle(&mut vic, start.clone()).await;
    let first = answers(&mut vic_box);
    f.chat.handle(&mut vic, start).await;
    let again = answers(&mut vic_box);
    assert_eq!(first, again, "the resend is acknowledged like the original");
    assert!(matches!(first.as_slice(), [ServerMsg::Ack { seq: 1, .. }]));
    let queued = drain(&mut ann_box)
        .into_iter()
        .filter(|m| matches!(m, ServerMsg::QueueAdded { .. }))
        .count();
    assert_eq!(queued, 1);
    assert_eq!(f.chat.store().queue().await.unwrap().len(), 1);
}

#[tokio::test]
async fn agents_may_not_leave_messages_and_visitors_may_not_set_a_status() {
    let f = fixture().await;
    let (mut ann, mut ann_box) = f.agent("ann").await;
    let (mut vic, mut vic_box) = f.visitor(4).await;
    f.chat
        .handle(
            &mut ann,
            ClientMsg::LeaveMessage {
                name: "a".into(),
                email: "a@b.co".into(),
                text: "x".into(),
            },
        )
        .await;
    assert!(matches!(
        answers(&mut ann_box).as_slice(),
        [ServerMsg::Error {
            code: app::error::ErrorCode::Forbidden,
            ..
        }]
    ));
    f.chat
        .handle(
            &mut vic,
            ClientMsg::SetStatus {
                status: AgentStatus::Online,
            },
        )
        .await;
    assert!(matches!(
        answers(&mut vic_box).as_slice(),
        [ServerMsg::Error {
            code: app::error::ErrorCode::Forbidden,
            ..
        }]
    ));
}

#[tokio::test]
async fn an_agents_only_entry_reaches_no_visitor_live_in_sync_or_in_history() {
    let f = fixture().await;
    let (mut ann, mut ann_box) = f.agent("ann").await;
    let (mut vic, mut vic_box) = f.visitor(5).await;
    let start = ClientMsg::StartChat {
        client_msg_id: MessageId(Uuid::new_v4()),
        text: "hello".into(),
    };
    f.chat.handle(&mut vic, start).await;
    let [ServerMsg::Ack {
        conversation_id, ..
    }] = answers(&mut vic_box)[..]
    else {
        panic!("the chat starts")
    };
    let accept = ClientMsg::AcceptChat { conversation_id };
    f.chat.handle(&mut ann, accept).await;
    assert!(answers(&mut ann_box).is_empty());
    let sync = |after_seq| ClientMsg::Sync {
        conversation_id,
        after_seq,
    };
    f.chat.handle(&mut vic, sync(0)).await;
    f.chat.handle(&mut ann, sync(0)).await;
    drain(&mut vic_box);
    drain(&mut ann_box);

    // A note, as internal notes will be: appended through the store, announced.
    let note = crate::store::NewMessage {
        id: MessageId(Uuid::new_v4()),
        author: Some(ann.session().author()),
        body: app::protocol::Body::Text {
            text: "refund approved".into(),
        },
        at_ms: 1,
        visibility: app::protocol::Visibility::Agents,
        file: None,
    };
    let appended = f
        .chat
        .store()
        .append(conversation_id, ann.session().participant(), note)
        .await
        .unwrap();
    f.chat.announce(appended.changed);
    let is_note = |m: &ServerMsg| match m {
        ServerMsg::Message { message, .. } => message.seq == appended.seq,
        ServerMsg::History { messages, .. } => messages.iter().any(|m| m.seq == appended.seq),
        _ => false,
    };
    assert!(
        drain(&mut ann_box).iter().any(is_note),
        "agents get it live"
    );
    assert!(!drain(&mut vic_box).iter().any(is_note), "visitors do not");

    // The visitor resumes from before the note, and reads the whole history.
    for after in [0, appended.seq - 1] {
        f.chat.handle(&mut vic, sync(after)).await;
        let answer = drain(&mut vic_box);
        assert!(
            answer
                .iter()
                .any(|m| matches!(m, ServerMsg::History { .. })),
            "{answer:?}"
        );
        assert!(!answer.iter().any(is_note), "not in sync from {after}");
    }
    let history = f
        .chat
        .store()
        .messages_after(conversation_id, vic.session().participant(), 0, 100)
        .await
        .unwrap()
        .unwrap();
    assert!(history.messages.iter().all(|m| m.seq != appended.seq));
    f.chat.handle(&mut ann, sync(0)).await;
    assert!(
        drain(&mut ann_box).iter().any(is_note),
        "agents read it back"
    );

    // What comes after the note still flows to the visitor.
    let reply = ClientMsg::Send {
        conversation_id,
        client_msg_id: MessageId(Uuid::new_v4()),
        text: "done".into(),
    };
    f.chat.handle(&mut ann, reply).await;
    assert!(drain(&mut vic_box).iter().any(
        |m| matches!(m, ServerMsg::Message { message, .. } if message.seq == appended.seq + 1)
    ));
}

#[tokio::test]
async fn two_tabs_starting_a_chat_at_the_same_moment_share_one_conversation() {
    let f = fixture().await;
    let (_ann, mut ann_box) = f.agent("ann").await;
    let (mut tab1, mut box1) = f.visitor(6).await;
    let (mut tab2, mut box2) = f.visitor(6).await;
    drain(&mut ann_box);
    let start = |text: &str| ClientMsg::StartChat {
        client_msg_id: MessageId(Uuid::new_v4()),
        text: text.into(),
    };
    tokio::join!(
        f.chat.handle(&mut tab1, start("from tab 1")),
        f.chat.handle(&mut tab2, start("from tab 2")),
    );
    let (a, b) = (answers(&mut box1), answers(&mut box2));
    let conversation = |replies: &[ServerMsg]| match replies {
        [ServerMsg::Ack {
            conversation_id, ..
        }] => *conversation_id,
        other => panic!("acknowledged: {other:?}"),
    };
    assert_eq!(conversation(&a), conversation(&b));
    let queued = drain(&mut ann_box)
        .into_iter()
        .filter(|m| matches!(m, ServerMsg::QueueAdded { .. }))
        .count();
    assert_eq!(queued, 1, "one chat waits");
    let open = f
        .chat
        .store()
        .conversations_of(tab1.session().participant())
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].last_seq, 2, "both first messages are in it");
}

#[tokio::test]
async fn welcome_is_the_first_frame_of_every_connection() {
    let f = fixture().await;
    let (_ann, _ann_box) = f.agent("ann").await;
    // Bob's own arrival changes his status: others hear of it, and so does he, but
    // only after his welcome and the snapshots that come with it.
    let (_bob, mut bob_box) = f.agent("bob").await;
    let frames = drain(&mut bob_box);
    assert!(
        matches!(frames.first(), Some(ServerMsg::Welcome { .. })),
        "{frames:?}"
    );
    let updated = frames
        .iter()
        .position(|m| matches!(m, ServerMsg::AgentUpdated { .. }))
        .expect("bob hears of his own arrival");
    let queue = frames
        .iter()
        .position(|m| matches!(m, ServerMsg::Queue { .. }))
        .unwrap();
    assert!(updated > queue, "after the snapshots: {frames:?}");

    let (_vic, mut vic_box) = f.visitor(7).await;
    let frames = drain(&mut vic_box);
    assert!(
        matches!(frames.first(), Some(ServerMsg::Welcome { .. })),
        "{frames:?}"
    );
}
