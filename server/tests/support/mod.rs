//! Starts the real server on 127.0.0.1:0 with a fresh SQLite file and talks to it
//! over HTTP and WebSocket like a browser would.
#![allow(dead_code)]

pub mod nats;
pub mod process;
pub mod smtp;

use app::ids::{ConversationId, MessageId};
use app::protocol::{AgentRole, ClientMsg, PageView, ServerMsg};
use futures::{SinkExt, StreamExt};
use server::config::Config;
use server::limits::Limits;
use server::Server;
use std::collections::{HashSet, VecDeque};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const WAIT: Duration = Duration::from_secs(5);
pub const PASSWORD: &str = "correct horse battery";

/// A WebSocket handshake request as a browser page of the server would make it:
/// with the server's own `Origin` (the server refuses foreign ones) and, for
/// agents, the session cookie.
pub fn socket_request(
    addr: std::net::SocketAddr,
    path: &str,
    cookie: Option<&str>,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut request = format!("ws://{addr}{path}").into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert("origin", format!("http://{addr}").parse().unwrap());
    if let Some(cookie) = cookie {
        headers.insert("cookie", cookie.parse().unwrap());
    }
    request
}

/// A POST to the server as its own pages send it (with their `Origin`).
pub fn post(addr: std::net::SocketAddr, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(format!("http://{addr}{path}"))
        .header("origin", format!("http://{addr}"))
}

/// Logs in through the server function; the session cookie, or the error body.
pub async fn login_at(
    addr: std::net::SocketAddr,
    username: &str,
    password: &str,
) -> Result<String, String> {
    let response = post(addr, "/api/login")
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("livechat_session="))
        .map(|v| v.split(';').next().unwrap().to_owned());
    let status = response.status();
    let body = response.text().await.unwrap();
    match cookie {
        Some(cookie) if status.is_success() => Ok(cookie),
        _ => Err(body),
    }
}

pub struct TestServer {
    pub server: Server,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    /// A server with the default abuse limits.
    pub async fn start(grace: Duration) -> TestServer {
        Self::start_with(grace, Limits::default()).await
    }

    pub async fn start_with(grace: Duration, limits: Limits) -> TestServer {
        Self::start_configured(|config| {
            config.presence_grace = grace;
            config.limits = limits;
        })
        .await
    }

    /// A server with the test defaults changed by `configure`.
    pub async fn start_configured(configure: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            addr: "127.0.0.1:0".parse().unwrap(),
            database_url: format!("sqlite://{}/chat.db", dir.path().display()),
            presence_grace: Duration::from_secs(30),
            site_root: dir.path().display().to_string(),
            store_busy_timeout: Duration::from_millis(300),
            allowed_origins: Default::default(),
            trusted_proxies: Default::default(),
            limits: Limits::default(),
            header_read_timeout: Duration::from_secs(10),
            files_dir: dir.path().join("files"),
            max_upload_bytes: 64 * 1024,
            mailer: None,
            mail_lang: app::i18n::Lang::En,
            pg_pool_size: 16,
            nats_url: None,
            nats_prefix: "chat".into(),
            head_check: Duration::from_secs(5),
            // Consoles' visitor lists catch up at once (250 ms in production).
            visitor_lists_every: Duration::from_millis(5),
            webhook_timing: Default::default(),
            identity: Default::default(),
        };
        configure(&mut config);
        let server = Server::start(&config).await.expect("server starts");
        TestServer { server, dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr)
    }

    pub async fn add_agent(&self, username: &str, name: &str) {
        self.add_account(username, name, AgentRole::Agent).await;
    }

    pub async fn add_account(&self, username: &str, name: &str, role: AgentRole) {
        server::chat::agents::add(
            self.server.chat.store().as_ref(),
            username,
            name,
            role,
            PASSWORD,
        )
        .await
        .unwrap();
    }

    /// Logs in through the server function; returns the session cookie.
    pub async fn login(&self, username: &str, password: &str) -> Result<String, String> {
        login_at(self.server.addr, username, password).await
    }

    /// Calls a JSON server function as the agent with this session cookie.
    pub async fn call(
        &self,
        cookie: &str,
        endpoint: &str,
        body: serde_json::Value,
    ) -> (bool, String) {
        let response = post(self.server.addr, &format!("/api/{endpoint}"))
            .header("cookie", cookie)
            .json(&body)
            .send()
            .await
            .unwrap();
        let ok = response.status().is_success();
        (ok, response.text().await.unwrap())
    }

    /// The display name the store gave the visitor with `token(n)`.
    pub async fn visitor_name(&self, n: u8) -> String {
        self.server
            .chat
            .visitor_session(&token(n))
            .await
            .unwrap()
            .name()
            .to_owned()
    }

    pub async fn agent(&self, username: &str) -> Client {
        self.agent_with_cookie(username).await.0
    }

    pub async fn agent_with_cookie(&self, username: &str) -> (Client, String) {
        let cookie = self.login(username, PASSWORD).await.expect("login");
        let request = socket_request(self.server.addr, "/ws/agent", Some(&cookie));
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("agent connects");
        let mut client = Client::new(ws);
        client
            .expect(|m| matches!(m, ServerMsg::Queue { .. }))
            .await;
        (client, cookie)
    }

    /// An agent's console that syncs nothing by itself, from its first frame on
    /// (its `welcome`, then `visitors` and the rest are all still to read).
    pub async fn agent_manual(&self, username: &str) -> Client {
        let cookie = self.login(username, PASSWORD).await.expect("login");
        let request = socket_request(self.server.addr, "/ws/agent", Some(&cookie));
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("agent connects");
        Client::manual(ws)
    }

    /// A visitor connection that syncs nothing by itself, and the welcome it got.
    pub async fn visitor_manual(&self, token: &str, url: &str) -> (Client, ServerMsg) {
        let (ws, _) =
            tokio_tungstenite::connect_async(socket_request(self.server.addr, "/ws/visitor", None))
                .await
                .expect("visitor connects");
        let mut client = Client::manual(ws);
        client
            .send(&ClientMsg::Hello {
                token: Some(token.to_owned()),
                page: Some(page(url)),
                identity: None,
            })
            .await;
        let welcome = client
            .expect(|m| matches!(m, ServerMsg::Welcome { .. }))
            .await;
        (client, welcome)
    }

    pub async fn visitor(&self, token: &str, url: &str) -> Client {
        self.visitor_on(token, page(url)).await
    }

    /// A visitor on `page` (whose widget tag may name a department, say).
    pub async fn visitor_on(&self, token: &str, page: PageView) -> Client {
        self.visitor_welcomed(token, page).await.0
    }

    /// As [`TestServer::visitor_on`], with the welcome the visitor got.
    pub async fn visitor_welcomed(&self, token: &str, page: PageView) -> (Client, ServerMsg) {
        let (ws, _) =
            tokio_tungstenite::connect_async(socket_request(self.server.addr, "/ws/visitor", None))
                .await
                .expect("visitor connects");
        let mut client = Client::new(ws);
        client
            .send(&ClientMsg::Hello {
                token: Some(token.to_owned()),
                page: Some(page),
                identity: None,
            })
            .await;
        let welcome = client
            .expect(|m| matches!(m, ServerMsg::Welcome { .. }))
            .await;
        (client, welcome)
    }

    /// The id of the agent account `username`.
    pub async fn agent_id(&self, username: &str) -> app::ids::AgentId {
        self.server
            .chat
            .store()
            .agent_by_username(username)
            .await
            .unwrap()
            .expect("such an agent")
            .id
    }
}

pub fn page(url: &str) -> PageView {
    PageView {
        url: url.to_owned(),
        title: format!("Title of {url}"),
        referrer: "https://search.example/".to_owned(),
        load_id: MessageId(uuid::Uuid::new_v4()),
        department: String::new(),
    }
}

pub fn token(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

pub fn msg_id() -> MessageId {
    MessageId(uuid::Uuid::new_v4())
}

/// A test client. Like the real ones it syncs every conversation it learns of (unless
/// made with [`Client::manual`]), and it hands out the entries of a `history` answer
/// one by one as `message` frames too, after the `history` frame itself.
pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    auto_sync: bool,
    synced: HashSet<ConversationId>,
    buffered: VecDeque<ServerMsg>,
}

impl Client {
    pub fn new(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Client {
        Client {
            ws,
            auto_sync: true,
            synced: HashSet::new(),
            buffered: VecDeque::new(),
        }
    }

    /// A client that syncs only when told to.
    pub fn manual(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Client {
        Client {
            auto_sync: false,
            ..Client::new(ws)
        }
    }

    async fn sync_new(&mut self, ids: Vec<ConversationId>) {
        for conversation_id in ids {
            if self.auto_sync && self.synced.insert(conversation_id) {
                self.send(&ClientMsg::Sync {
                    conversation_id,
                    after_seq: 0,
                })
                .await;
            }
        }
    }

    pub async fn send(&mut self, msg: &ClientMsg) {
        self.ws
            .send(Message::text(serde_json::to_string(msg).unwrap()))
            .await
            .unwrap();
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.ws.send(Message::text(text.to_owned())).await.unwrap();
    }

    /// The next server message, skipping pings; panics after [`WAIT`].
    pub async fn next(&mut self) -> ServerMsg {
        self.try_next(WAIT).await.expect("a server message in time")
    }

    pub async fn try_next(&mut self, wait: Duration) -> Option<ServerMsg> {
        if let Some(msg) = self.buffered.pop_front() {
            return Some(msg);
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()??;
            let msg: ServerMsg = match frame.ok()? {
                Message::Text(text) => serde_json::from_str(&text).unwrap(),
                Message::Close(_) => return None,
                _ => continue,
            };
            match &msg {
                ServerMsg::Welcome { conversations, .. } => {
                    self.sync_new(conversations.iter().map(|c| c.id).collect())
                        .await
                }
                ServerMsg::Conversation { conversation } => {
                    self.sync_new(vec![conversation.id]).await
                }
                ServerMsg::History {
                    conversation_id,
                    messages,
                    ..
                } => {
                    for message in messages {
                        self.buffered.push_back(ServerMsg::Message {
                            conversation_id: *conversation_id,
                            message: message.clone(),
                        });
                    }
                }
                _ => {}
            }
            return Some(msg);
        }
    }

    /// Every entry of a conversation this client may read, by repeated `sync`.
    pub async fn history(
        &mut self,
        conversation_id: ConversationId,
    ) -> Vec<app::protocol::ChatMessage> {
        let mut all: Vec<app::protocol::ChatMessage> = Vec::new();
        loop {
            let after_seq = all.last().map_or(0, |m| m.seq);
            self.send(&ClientMsg::Sync {
                conversation_id,
                after_seq,
            })
            .await;
            let ServerMsg::History { messages, more, .. } = self
                .expect(|m| matches!(m, ServerMsg::History { conversation_id: c, .. } if *c == conversation_id))
                .await
            else {
                unreachable!()
            };
            all.extend(messages);
            if !more {
                return all;
            }
        }
    }

    /// Skips messages until an error frame; returns its code.
    pub async fn expect_error(&mut self) -> app::error::ErrorCode {
        match self.expect(|m| matches!(m, ServerMsg::Error { .. })).await {
            ServerMsg::Error { code, .. } => code,
            _ => unreachable!(),
        }
    }

    /// Reads until the server closes the connection; the close frame's code, or
    /// `None` when the connection ended without one.
    pub async fn expect_close(&mut self) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("the server closes the connection in time");
            match frame {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Skips messages until one matches.
    pub async fn expect(&mut self, pred: impl Fn(&ServerMsg) -> bool) -> ServerMsg {
        loop {
            let msg = self.next().await;
            if pred(&msg) {
                return msg;
            }
        }
    }

    /// Asserts that nothing matching arrives within `wait`.
    pub async fn expect_none(&mut self, wait: Duration, pred: impl Fn(&ServerMsg) -> bool) {
        while let Some(msg) = self.try_next(wait).await {
            assert!(!pred(&msg), "unexpected {msg:?}");
        }
    }
}

/// A server started elsewhere (e.g. a child process), reached over the network.
pub struct Remote {
    pub addr: std::net::SocketAddr,
}

impl Remote {
    pub fn new(addr: std::net::SocketAddr) -> Remote {
        Remote { addr }
    }

    pub async fn login(&self, username: &str) -> String {
        login_at(self.addr, username, PASSWORD)
            .await
            .expect("a session cookie")
    }

    /// An agent connection that syncs nothing by itself.
    pub async fn agent(&self, cookie: &str) -> Client {
        let request = socket_request(self.addr, "/ws/agent", Some(cookie));
        let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let mut client = Client::manual(ws);
        client
            .expect(|m| matches!(m, ServerMsg::Queue { .. }))
            .await;
        client
    }

    /// A visitor connection that syncs nothing by itself.
    pub async fn visitor(&self, token: &str) -> Client {
        let (ws, _) =
            tokio_tungstenite::connect_async(socket_request(self.addr, "/ws/visitor", None))
                .await
                .unwrap();
        let mut client = Client::new(ws);
        client
            .send(&ClientMsg::Hello {
                token: Some(token.to_owned()),
                page: Some(page("/demo")),
                identity: None,
            })
            .await;
        client
            .expect(|m| matches!(m, ServerMsg::Welcome { .. }))
            .await;
        client
    }
}

/// The visitor starts a chat with `text`; returns the conversation's id.
pub async fn start_chat(visitor: &mut Client, text: &str) -> ConversationId {
    visitor
        .send(&ClientMsg::StartChat {
            client_msg_id: msg_id(),
            text: text.into(),
        })
        .await;
    let ServerMsg::Ack {
        conversation_id, ..
    } = visitor.expect(|m| matches!(m, ServerMsg::Ack { .. })).await
    else {
        unreachable!()
    };
    conversation_id
}

/// A visitor (token `n`) in a 1:1 conversation, started with `first`, that `agent`
/// has accepted.
pub async fn chatting(
    ts: &TestServer,
    agent: &mut Client,
    n: u8,
    first: &str,
) -> (Client, ConversationId) {
    let mut visitor = ts.visitor(&token(n), "/demo").await;
    let conversation_id = start_chat(&mut visitor, first).await;
    agent.send(&ClientMsg::AcceptChat { conversation_id }).await;
    agent
        .expect(|m| matches!(m, ServerMsg::Conversation { conversation } if conversation.id == conversation_id))
        .await;
    (visitor, conversation_id)
}
