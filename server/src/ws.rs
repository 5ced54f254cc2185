//! The WebSocket transport adapter: turns socket frames into calls on the chat
//! service and drains each connection's outbox into its socket.
//!
//! One task pair per connection: this task reads and dispatches; a writer task
//! drains the bounded outbox the router fills. Visitors must send `hello` first;
//! agents are known from their session cookie before the upgrade.

use crate::chat::{ChatService, Session};
use crate::http::AppState;
use crate::routing::{Audience, Envelope, Router};
use app::error::ErrorCode;
use app::protocol::{
    ClientMsg, PageView, ServerMsg, MAX_MESSAGE_CHARS, MAX_TITLE_CHARS, MAX_URL_CHARS,
};
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::Duration;

/// Largest frame accepted from a client: a maximal message in 4-byte characters,
/// JSON-escaped, with room for the envelope.
pub const MAX_FRAME_BYTES: usize = MAX_MESSAGE_CHARS * 6 + 1024;
/// How long a visitor may take to say `hello`.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the server pings; browsers answer pings by themselves.
const PING_INTERVAL: Duration = Duration::from_secs(20);
/// A connection silent for this long (no frame, no pong) is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

pub async fn visitor_socket(ws: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    limits(ws).on_upgrade(move |socket| async move {
        let Some((socket, session, page)) = visitor_hello(socket, &state.chat).await else {
            return;
        };
        serve(socket, state.chat, state.router, session, Some(page)).await;
    })
}

pub async fn agent_socket(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Response {
    let Some(token) = app::api::session_token(&headers) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let agent = match state.chat.agent_for_session(&token).await {
        Ok(Some(agent)) => agent,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(err) => {
            tracing::warn!(%err, "agent session lookup failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    limits(ws).on_upgrade(move |socket| {
        serve(
            socket,
            state.chat,
            state.router,
            Session::Agent(agent),
            None,
        )
    })
}

fn limits(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
}

fn error_frame(code: ErrorCode) -> Message {
    let msg = ServerMsg::Error {
        code,
        client_msg_id: None,
        conversation_id: None,
    };
    Message::Text(Utf8Bytes::from(
        serde_json::to_string(&msg).unwrap_or_default(),
    ))
}

/// Cuts over-long page fields rather than refusing the visitor.
fn tidy_page(page: PageView) -> PageView {
    use app::protocol::truncate_chars;
    PageView {
        url: truncate_chars(&page.url, MAX_URL_CHARS),
        title: truncate_chars(&page.title, MAX_TITLE_CHARS),
        referrer: truncate_chars(&page.referrer, MAX_URL_CHARS),
        load_id: page.load_id,
    }
}

/// Waits for the visitor's `hello` and establishes the session.
async fn visitor_hello(
    mut socket: WebSocket,
    chat: &Arc<ChatService>,
) -> Option<(WebSocket, Session, PageView)> {
    let first = tokio::time::timeout(HELLO_TIMEOUT, socket.recv()).await;
    let text = match first {
        Ok(Some(Ok(Message::Text(text)))) => text,
        Ok(Some(Ok(_))) => {
            let _ = socket.send(error_frame(ErrorCode::BadRequest)).await;
            return None;
        }
        _ => return None,
    };
    let (token, page) = match serde_json::from_str::<ClientMsg>(&text) {
        Ok(ClientMsg::Hello {
            token: Some(token),
            page: Some(page),
        }) => (token, page),
        _ => {
            let _ = socket.send(error_frame(ErrorCode::Unauthenticated)).await;
            return None;
        }
    };
    match chat.visitor_session(&token).await {
        Ok(session) => Some((socket, session, tidy_page(page))),
        Err(err) => {
            let _ = socket.send(error_frame(err.code())).await;
            None
        }
    }
}

async fn serve(
    socket: WebSocket,
    chat: Arc<ChatService>,
    router: Arc<Router>,
    mut session: Session,
    page: Option<PageView>,
) {
    let outbox = router.register(session.participant());
    let conn = outbox.id;
    let cut = outbox.cut.clone();
    let (mut sink, mut stream) = socket.split();

    let writer = tokio::spawn(async move {
        let mut frames = outbox.frames;
        let mut ping = tokio::time::interval(PING_INTERVAL);
        ping.tick().await;
        loop {
            tokio::select! {
                // The router cut us (slow reader) or the reader ended: stop writing.
                _ = outbox.cut.cancelled() => break,
                frame = frames.recv() => {
                    let Some(bytes) = frame else { break };
                    let Ok(text) = Utf8Bytes::try_from(bytes) else { continue };
                    if sink.send(Message::Text(text)).await.is_err() {
                        break;
                    }
                }
                // Keep-alive, and a way to notice dead peers.
                _ = ping.tick() => {
                    if sink.send(Message::Ping(Default::default())).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = sink.close().await;
    });

    let reply = |msg: &ServerMsg| {
        router.deliver(&Envelope {
            audience: Audience::Connection(conn),
            payload: crate::chat::encode(msg),
            entry: None,
        })
    };

    match chat.connected(&session, page).await {
        Ok(welcome) => welcome.iter().for_each(reply),
        Err(err) => reply(&err.into_server_msg(None, None)),
    }

    loop {
        let frame = tokio::select! {
            // Cut by the router: the client will reconnect and resume.
            _ = cut.cancelled() => break,
            frame = tokio::time::timeout(IDLE_TIMEOUT, stream.next()) => frame,
        };
        let text = match frame {
            Err(_) | Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => break,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(Some(Ok(Message::Binary(_)))) => {
                reply(&ServerMsg::Error {
                    code: ErrorCode::BadRequest,
                    client_msg_id: None,
                    conversation_id: None,
                });
                continue;
            }
            Ok(Some(Ok(Message::Text(text)))) => text,
        };
        let msg = match serde_json::from_str::<ClientMsg>(&text) {
            Ok(msg) => msg,
            Err(err) => {
                tracing::debug!(%err, "unreadable client frame");
                reply(&ServerMsg::Error {
                    code: ErrorCode::BadRequest,
                    client_msg_id: None,
                    conversation_id: None,
                });
                continue;
            }
        };
        let msg = match msg {
            // An agent's console may open with an empty hello; nothing to do.
            ClientMsg::Hello { .. } if session.agent_id().is_some() => continue,
            ClientMsg::PageView { page } => ClientMsg::PageView {
                page: tidy_page(page),
            },
            other => other,
        };
        for answer in chat.handle(&mut session, conn, msg).await {
            reply(&answer);
        }
    }

    router.unregister(conn);
    chat.disconnected(&session);
    let _ = writer.await;
}
