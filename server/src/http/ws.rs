//! The WebSocket transport adapter: turns socket frames into calls on the chat
//! service and drains each connection's outbox into its socket.
//!
//! One task pair per connection: this task reads and dispatches; a writer task
//! drains the bounded outbox the router fills. Visitors must send `hello` first;
//! agents are known from their session cookie before the upgrade.

use super::guard::Origins;
use crate::chat::identity::Vouched;
use crate::chat::{ChatService, Connection, Session};
use crate::limits::{Bucket, ConnectionSlot, SocketLimits};
use app::api::ClientAddr;
use app::error::ErrorCode;
use app::protocol::{
    ClientMsg, PageView, ServerMsg, MAX_MESSAGE_CHARS, MAX_TITLE_CHARS, MAX_URL_CHARS,
};
use axum::extract::ws::{close_code, CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Largest frame accepted from a client: a maximal message in 4-byte characters,
/// JSON-escaped, with room for the envelope.
pub const MAX_FRAME_BYTES: usize = MAX_MESSAGE_CHARS * 6 + 1024;
/// What a connection's read buffer starts with.
const READ_BUFFER_BYTES: usize = 1024;
/// How long a visitor may take to say `hello`.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the server pings; browsers answer pings by themselves.
const PING_INTERVAL: Duration = Duration::from_secs(20);
/// A connection silent for this long (no frame, no pong) is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a closing connection may take to take its last frames.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the socket endpoints need of the server.
#[derive(Clone)]
pub struct SocketState {
    pub chat: Arc<ChatService>,
    pub origins: Arc<Origins>,
    pub limits: Arc<SocketLimits>,
}

pub async fn visitor_socket(
    ws: WebSocketUpgrade,
    State(state): State<SocketState>,
    Extension(ClientAddr(ip)): Extension<ClientAddr>,
    headers: HeaderMap,
) -> Response {
    let slot = match admit(&state, ip, &headers, Side::Visitor) {
        Ok(slot) => slot,
        Err(refusal) => return refusal.into_response(),
    };
    limits(ws).on_upgrade(move |socket| async move {
        // Boxed, as every step that is large and brief: what an idle connection
        // keeps is only the state of the loop that waits for its next frame.
        let Some((socket, session, page, vouched)) =
            Box::pin(visitor_hello(socket, &state.chat)).await
        else {
            return;
        };
        serve(socket, state, ip, session, Some(page), vouched).await;
        drop(slot);
    })
}

pub async fn agent_socket(
    ws: WebSocketUpgrade,
    State(state): State<SocketState>,
    Extension(ClientAddr(ip)): Extension<ClientAddr>,
    headers: HeaderMap,
) -> Response {
    let slot = match admit(&state, ip, &headers, Side::Agent) {
        Ok(slot) => slot,
        Err(refusal) => return refusal.into_response(),
    };
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
    limits(ws).on_upgrade(move |socket| async move {
        serve(
            socket,
            state,
            ip,
            Session::Agent(agent),
            None,
            Vouched::default(),
        )
        .await;
        drop(slot);
    })
}

/// Why a handshake was refused before the upgrade.
enum Refusal {
    /// Not from a page of this deployment (cross-site WebSocket hijacking).
    ForeignOrigin,
    /// The address opens connections too fast, or holds too many.
    TooMany,
    /// This node is shutting down: the client connects to another.
    Draining,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, code) = match self {
            Refusal::ForeignOrigin => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
            Refusal::TooMany => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
            Refusal::Draining => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable),
        };
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            format!("{{\"code\":\"{}\"}}", code.as_str()),
        )
            .into_response()
    }
}

/// Who a socket is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Visitor,
    Agent,
}

/// Checks a handshake before the upgrade: a visitor's must come from a page of
/// this deployment (the widget frame, or a company website's page), an agent's
/// from this server's own pages only (the console: a company website's scripts
/// never get a socket with an agent's cookie); and the address must be within
/// its connection limits. Returns the address's connection slot, held for as
/// long as the connection lasts.
fn admit(
    state: &SocketState,
    ip: IpAddr,
    headers: &HeaderMap,
    side: Side,
) -> Result<ConnectionSlot, Refusal> {
    if state.chat.draining().is_cancelled() {
        return Err(Refusal::Draining);
    }
    let permitted = match side {
        Side::Visitor => state.origins.permits_socket(headers),
        Side::Agent => Origins::is_same_origin(headers),
    };
    if !permitted {
        tracing::info!(origin = ?headers.get(header::ORIGIN), "socket from a foreign origin refused");
        return Err(Refusal::ForeignOrigin);
    }
    let limits = &state.limits;
    if !limits.connects.take(&ip) {
        return Err(Refusal::TooMany);
    }
    limits.connections.acquire(ip).ok_or(Refusal::TooMany)
}

/// Size limits, and small buffers: the library's defaults (128 KiB to read into,
/// allocated up front, and 128 KiB of write buffering) would be most of a
/// connection's memory, while chat frames are a few hundred bytes. Bigger frames
/// grow the read buffer as needed; writes go out frame by frame.
fn limits(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
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
        department: truncate_chars(&page.department, app::api::MAX_DEPARTMENT_ID_CHARS),
    }
}

/// Waits for the visitor's `hello` and establishes the session.
async fn visitor_hello(
    mut socket: WebSocket,
    chat: &Arc<ChatService>,
) -> Option<(WebSocket, Session, PageView, Vouched)> {
    let first = tokio::time::timeout(HELLO_TIMEOUT, socket.recv()).await;
    let text = match first {
        Ok(Some(Ok(Message::Text(text)))) => text,
        Ok(Some(Ok(_))) => {
            let _ = socket.send(error_frame(ErrorCode::BadRequest)).await;
            return None;
        }
        _ => return None,
    };
    let (token, page, identity) = match serde_json::from_str::<ClientMsg>(&text) {
        Ok(ClientMsg::Hello {
            token: Some(token),
            page: Some(page),
            identity,
        }) => (token, page, identity),
        _ => {
            let _ = socket.send(error_frame(ErrorCode::Unauthenticated)).await;
            return None;
        }
    };
    match chat.visitor_hello(&token, identity).await {
        Ok((session, vouched)) => Some((socket, session, tidy_page(page), vouched)),
        Err(err) => {
            let _ = socket.send(error_frame(err.code())).await;
            None
        }
    }
}

/// Why the server ends a connection, told to the client in a close frame after
/// an error frame with the code.
struct Closing {
    code: u16,
    reason: &'static str,
}

async fn serve(
    socket: WebSocket,
    state: SocketState,
    ip: IpAddr,
    session: Session,
    page: Option<PageView>,
    vouched: Vouched,
) {
    let SocketState { chat, limits, .. } = state;
    let (mut sink, mut stream) = socket.split();
    let (mut conn, outbox) = match Box::pin(chat.open(session, page, vouched)).await {
        Ok(opened) => opened,
        Err(err) => {
            let msg = err.into_server_msg(None, None);
            let text = serde_json::to_string(&msg).unwrap_or_default();
            let _ = sink.send(Message::Text(text.into())).await;
            let frame = CloseFrame {
                code: close_code::AGAIN,
                reason: "could not open the connection".into(),
            };
            let _ = sink.send(Message::Close(Some(frame))).await;
            return;
        }
    };
    let cut = outbox.cut.clone();
    let (close_tx, mut close_rx) = tokio::sync::oneshot::channel::<Option<Closing>>();

    let writer = tokio::spawn(async move {
        let mut frames = outbox.frames;
        let mut ping = tokio::time::interval(PING_INTERVAL);
        ping.tick().await;
        loop {
            tokio::select! {
                biased;
                // The reader ended: send what is queued (an error frame saying why),
                // then the close frame.
                closing = &mut close_rx => {
                    while let Ok(bytes) = frames.try_recv() {
                        let Ok(text) = Utf8Bytes::try_from(bytes) else { continue };
                        if sink.send(Message::Text(text)).await.is_err() {
                            return;
                        }
                    }
                    if let Ok(Some(Closing { code, reason })) = closing {
                        let frame = CloseFrame { code, reason: reason.into() };
                        let _ = sink.send(Message::Close(Some(frame))).await;
                    }
                    break;
                }
                // The router cut us (slow reader): stop writing.
                _ = outbox.cut.cancelled() => break,
                frame = frames.recv() => {
                    let Some(bytes) = frame else { break };
                    // Everything queued goes out in one write: a burst of frames (a
                    // busy group, a sync's answer) costs one wake-up and one syscall.
                    if write_queued(&mut sink, bytes, &mut frames).await.is_err() {
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

    let refuse = |conn: &Connection, code: ErrorCode| {
        conn.reply(&ServerMsg::Error {
            code,
            client_msg_id: None,
            conversation_id: None,
        })
    };

    let draining = chat.draining().clone();
    let frame_rate = limits.limits.frames_per_connection;
    let mut frames_left = Bucket::full(frame_rate, Instant::now());
    let closing = loop {
        let frame = tokio::select! {
            // Cut by the router: the client will reconnect and resume.
            _ = cut.cancelled() => break None,
            // The node stops: the client reconnects (through the load balancer, to
            // another node) and resumes.
            _ = draining.cancelled() => break Some(Closing {
                code: close_code::RESTART,
                reason: "server restarting",
            }),
            frame = tokio::time::timeout(IDLE_TIMEOUT, stream.next()) => frame,
        };
        let text = match frame {
            Err(_) => {
                break Some(Closing {
                    code: close_code::AWAY,
                    reason: "idle",
                })
            }
            Ok(None) | Ok(Some(Ok(Message::Close(_)))) => break None,
            Ok(Some(Err(err))) => {
                break unreadable(&err)
                    .inspect(|(code, _)| refuse(&conn, *code))
                    .map(|(_, c)| c)
            }
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(Some(Ok(Message::Binary(_)))) => {
                refuse(&conn, ErrorCode::BadRequest);
                continue;
            }
            Ok(Some(Ok(Message::Text(text)))) => text,
        };
        // A flood gets one clear error, then the connection is closed; the client
        // reconnects later with back-off and resends what was not acknowledged.
        if !frames_left.take(frame_rate, Instant::now()) || !limits.frames_per_ip.take(&ip) {
            tracing::info!(%ip, "client over its rate limit; closing");
            refuse(&conn, ErrorCode::RateLimited);
            break Some(Closing {
                code: close_code::POLICY,
                reason: "rate limited",
            });
        }
        let msg = match serde_json::from_str::<ClientMsg>(&text) {
            Ok(msg) => msg,
            Err(err) => {
                tracing::debug!(%err, "unreadable client frame");
                refuse(&conn, ErrorCode::BadRequest);
                continue;
            }
        };
        let msg = match msg {
            // An agent's console may open with an empty hello; nothing to do.
            ClientMsg::Hello { .. } if conn.session().agent_id().is_some() => continue,
            ClientMsg::PageView { page } => ClientMsg::PageView {
                page: tidy_page(page),
            },
            other => other,
        };
        // Handling a frame needs far more state than waiting for one: boxed, the
        // connection's own future stays small while it waits.
        Box::pin(chat.handle(&mut conn, msg)).await;
    };

    // Let the writer flush the answer and the close frame, and read on (throwing
    // frames away) until the client answers the close: a socket closed with unread
    // input is reset by the kernel, and a reset can destroy what the client has
    // not read yet, the error frame that says why among it. Bounded, for a client
    // that neither reads nor answers.
    let _ = close_tx.send(closing);
    let abort = writer.abort_handle();
    let linger = async { while let Some(Ok(_)) = stream.next().await {} };
    let closed = async { tokio::join!(writer, linger) };
    if tokio::time::timeout(CLOSE_TIMEOUT, closed).await.is_err() {
        abort.abort();
    }
    // Closing the connection: the router forgets it, presence starts its grace.
    drop(conn);
}

/// The error code and close frame for a frame the socket could not read, if the
/// client should be told (a broken connection needs no answer).
fn unreadable(err: &axum::Error) -> Option<(ErrorCode, Closing)> {
    use std::error::Error as _;
    use tungstenite::error::{CapacityError, Error as WsError};
    let cause = err.source()?.downcast_ref::<WsError>()?;
    tracing::debug!(%cause, "client frame refused");
    match cause {
        WsError::Capacity(CapacityError::MessageTooLong { .. }) => Some((
            ErrorCode::TooLong,
            Closing {
                code: close_code::SIZE,
                reason: "frame too large",
            },
        )),
        WsError::Utf8(_) => Some((
            ErrorCode::BadRequest,
            Closing {
                code: close_code::INVALID,
                reason: "text frame is not UTF-8",
            },
        )),
        WsError::Protocol(_) | WsError::Capacity(_) => Some((
            ErrorCode::BadRequest,
            Closing {
                code: close_code::PROTOCOL,
                reason: "protocol error",
            },
        )),
        _ => None,
    }
}

/// Most frames written to a socket before one flush.
const WRITE_BURST: usize = 64;

/// Writes `first` and whatever else the outbox holds (up to [`WRITE_BURST`]) to the
/// socket, then flushes once.
async fn write_queued<S>(
    sink: &mut S,
    first: Bytes,
    frames: &mut crate::routing::outbox::Receiver,
) -> Result<(), S::Error>
where
    S: futures::Sink<Message> + Unpin,
{
    let mut next = Some(first);
    let mut written = 0;
    while let Some(bytes) = next.take() {
        if let Ok(text) = Utf8Bytes::try_from(bytes) {
            sink.feed(Message::Text(text)).await?;
        }
        written += 1;
        if written < WRITE_BURST {
            next = frames.try_recv().ok();
        }
    }
    sink.flush().await
}
