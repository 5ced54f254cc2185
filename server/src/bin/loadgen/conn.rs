//! One simulated browser: a WebSocket connection speaking the documented protocol
//! (docs/protocol.md) like the widget and the console do. It accepts invitations,
//! syncs every conversation it joins, sends what the scheduler tells it to, and
//! records the delivery latency of every load message it receives.

use crate::stats::{now_micros, Delivery};
use app::ids::{ConversationId, MessageId};
use app::protocol::{Body, ClientMsg, InvitationState, ServerMsg};
use futures::{SinkExt, StreamExt};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Prefix of every message body the load generator sends; the rest is
/// `<microseconds since start>`.
pub const BODY_PREFIX: &str = "lg:";

/// What every connection shares with the orchestrator.
#[derive(Default)]
pub struct Shared {
    /// Conversations joined and synced, counted once per connection.
    pub synced: AtomicU64,
    pub acks: AtomicU64,
    pub errors: AtomicU64,
    /// Connections that ended while the run was going.
    pub dropped: AtomicU64,
    /// Every load message received by a participant other than its sender.
    pub deliveries: Mutex<Vec<Delivery>>,
}

/// The orchestrator's orders to one connection.
pub enum Order {
    /// Send a load message; `at` is when the schedule meant it to leave
    /// (microseconds since start), so a late send counts as latency.
    Send {
        conversation: ConversationId,
        at: u64,
    },
    /// Close the connection.
    Finish,
}

/// Opens a WebSocket to `path` as a page of the server would (with its Origin, and
/// the session cookie for agents).
pub async fn open(addr: SocketAddr, path: &str, cookie: Option<&str>) -> anyhow::Result<Socket> {
    let mut request = format!("ws://{addr}{path}").into_client_request()?;
    let headers = request.headers_mut();
    headers.insert("origin", format!("http://{addr}").parse()?);
    if let Some(cookie) = cookie {
        headers.insert("cookie", cookie.parse()?);
    }
    // Small buffers on our side too: ten thousand of these live in one process.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (socket, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(config), true).await?;
    Ok(socket)
}

pub async fn send(socket: &mut Socket, msg: &ClientMsg) -> anyhow::Result<()> {
    socket
        .send(Message::text(serde_json::to_string(msg)?))
        .await?;
    Ok(())
}

/// The next protocol message, skipping pings; `None` when the connection ended.
pub async fn next(socket: &mut Socket) -> Option<ServerMsg> {
    loop {
        match socket.next().await? {
            Ok(Message::Text(text)) => match serde_json::from_str(&text) {
                Ok(msg) => return Some(msg),
                Err(err) => {
                    tracing::warn!(%err, "unreadable server frame");
                    continue;
                }
            },
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

/// What one connection remembers.
#[derive(Default)]
struct Seen {
    synced: HashSet<ConversationId>,
    /// Our own messages, so that the echo to the sender is not counted as delivered.
    mine: HashSet<MessageId>,
}

impl Seen {
    /// Records what a server message tells; returns the answer to send, if any.
    fn on_message(&mut self, msg: ServerMsg, shared: &Shared) -> Option<ClientMsg> {
        let received = now_micros();
        match msg {
            ServerMsg::Message { message, .. } => {
                if self.mine.remove(&message.id) {
                    return None;
                }
                if let Body::Text { text } = &message.body {
                    if let Some(sent) = text
                        .strip_prefix(BODY_PREFIX)
                        .and_then(|t| t.parse::<u64>().ok())
                    {
                        lock(&shared.deliveries).push(Delivery { sent, received });
                    }
                }
                None
            }
            ServerMsg::Ack { .. } => {
                shared.acks.fetch_add(1, Ordering::Relaxed);
                None
            }
            ServerMsg::Invitation { invitation }
                if invitation.state == InvitationState::Pending =>
            {
                Some(ClientMsg::AcceptInvitation {
                    invitation_id: invitation.id,
                })
            }
            // Like the real clients: sync every conversation once, to get its entries.
            ServerMsg::Conversation { conversation } if self.synced.insert(conversation.id) => {
                Some(ClientMsg::Sync {
                    conversation_id: conversation.id,
                    after_seq: 0,
                })
            }
            ServerMsg::History { more: false, .. } => {
                shared.synced.fetch_add(1, Ordering::Relaxed);
                None
            }
            ServerMsg::Error { code, .. } => {
                shared.errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%code, "server error");
                None
            }
            _ => None,
        }
    }
}

/// Runs a connection until told to finish (or the server ends it).
pub async fn run(
    mut socket: Socket,
    shared: Arc<Shared>,
    mut orders: mpsc::UnboundedReceiver<Order>,
) {
    let mut seen = Seen::default();
    loop {
        let outgoing = tokio::select! {
            order = orders.recv() => match order {
                Some(Order::Send { conversation, at }) => {
                    let id = MessageId(uuid::Uuid::new_v4());
                    seen.mine.insert(id);
                    Some(ClientMsg::Send {
                        conversation_id: conversation,
                        client_msg_id: id,
                        text: format!("{BODY_PREFIX}{at}"),
                    })
                }
                Some(Order::Finish) | None => break,
            },
            msg = next(&mut socket) => match msg {
                Some(msg) => seen.on_message(msg, &shared),
                None => {
                    shared.dropped.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            },
        };
        if let Some(msg) = outgoing {
            if send(&mut socket, &msg).await.is_err() {
                shared.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
    }
    let _ = socket.close(None).await;
}

pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
