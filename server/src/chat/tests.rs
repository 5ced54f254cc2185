//! The chat service driven directly, with the real SQLite store and router.

use super::{ChatConfig, ChatService, Session};
use crate::broker::InProcessBroker;
use crate::routing::{Outbox, Router};
use crate::store::sqlite::SqliteStore;
use crate::store::NewAgent;
use app::ids::MessageId;
use app::protocol::{AgentRole, AgentStatus, ClientMsg, PageView, ServerMsg};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

const GRACE: Duration = Duration::from_secs(30);

struct Fixture {
    chat: Arc<ChatService>,
    router: Arc<Router>,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&format!("sqlite://{}/chat.db", dir.path().display()))
        .await
        .unwrap();
    let router = Arc::new(Router::new());
    let chat = ChatService::new(
        Arc::new(store),
        Arc::new(InProcessBroker::new(router.clone())),
        router.clone(),
        ChatConfig {
            presence_grace: GRACE,
            ..ChatConfig::default()
        },
    );
    Fixture {
        chat,
        router,
        _dir: dir,
    }
}

impl Fixture {
    async fn agent(&self, username: &str) -> (Session, Outbox) {
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
        let session = Session::Agent(record);
        let outbox = self.router.register(session.participant());
        self.chat.connected(&session, None).await.unwrap();
        (session, outbox)
    }

    async fn visitor(&self, n: u8) -> (Session, Outbox) {
        let session = self
            .chat
            .visitor_session(&format!("{n:02x}").repeat(32))
            .await
            .unwrap();
        let outbox = self.router.register(session.participant());
        let page = PageView {
            url: "/demo".into(),
            load_id: MessageId(Uuid::new_v4()),
            ..Default::default()
        };
        self.chat.connected(&session, Some(page)).await.unwrap();
        (session, outbox)
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
    let (vic, vic_box) = f.visitor(1).await;
    drain(&mut ann_box);

    tokio::time::pause();
    f.router.unregister(vic_box.id);
    f.chat.disconnected(&vic);
    tokio::time::advance(GRACE - Duration::from_secs(1)).await;
    tokio::task::yield_now().await;
    assert!(
        drain(&mut ann_box).is_empty(),
        "still within the grace period"
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    tokio::task::yield_now().await;
    let left = drain(&mut ann_box);
    assert!(
        matches!(left.as_slice(), [ServerMsg::VisitorLeft { visitor_id }] if Some(*visitor_id) == vic.visitor_id()),
        "{left:?}"
    );
}

#[tokio::test]
async fn visitors_hear_when_the_last_agent_goes_away_and_comes_back() {
    let f = fixture().await;
    let (mut ann, mut ann_box) = f.agent("ann").await;
    let (_vic, mut vic_box) = f.visitor(2).await;
    drain(&mut vic_box);
    drain(&mut ann_box);

    f.chat
        .handle(
            &mut ann,
            ann_box.id,
            ClientMsg::SetStatus {
                status: AgentStatus::Away,
            },
        )
        .await;
    assert_eq!(
        drain(&mut vic_box),
        vec![ServerMsg::AgentsAvailable { available: false }]
    );
    let to_agents = drain(&mut ann_box);
    assert!(
        matches!(to_agents.as_slice(), [ServerMsg::AgentUpdated { agent }] if agent.status == AgentStatus::Away),
        "{to_agents:?}"
    );
    f.chat
        .handle(
            &mut ann,
            ann_box.id,
            ClientMsg::SetStatus {
                status: AgentStatus::Online,
            },
        )
        .await;
    assert_eq!(
        drain(&mut vic_box),
        vec![ServerMsg::AgentsAvailable { available: true }]
    );
}

#[tokio::test]
async fn starting_a_chat_twice_with_one_message_id_opens_one_conversation() {
    let f = fixture().await;
    let (_ann, mut ann_box) = f.agent("ann").await;
    let (mut vic, vic_box) = f.visitor(3).await;
    drain(&mut ann_box);
    let id = MessageId(Uuid::new_v4());
    let start = ClientMsg::StartChat {
        client_msg_id: id,
        text: "hi".into(),
    };
    let first = f.chat.handle(&mut vic, vic_box.id, start.clone()).await;
    let again = f.chat.handle(&mut vic, vic_box.id, start).await;
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
    let (mut ann, ann_box) = f.agent("ann").await;
    let (mut vic, vic_box) = f.visitor(4).await;
    let reply = f
        .chat
        .handle(
            &mut ann,
            ann_box.id,
            ClientMsg::LeaveMessage {
                name: "a".into(),
                email: "a@b.co".into(),
                text: "x".into(),
            },
        )
        .await;
    assert!(matches!(
        reply.as_slice(),
        [ServerMsg::Error {
            code: app::error::ErrorCode::Forbidden,
            ..
        }]
    ));
    let reply = f
        .chat
        .handle(
            &mut vic,
            vic_box.id,
            ClientMsg::SetStatus {
                status: AgentStatus::Online,
            },
        )
        .await;
    assert!(matches!(
        reply.as_slice(),
        [ServerMsg::Error {
            code: app::error::ErrorCode::Forbidden,
            ..
        }]
    ));
}
