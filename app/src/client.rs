//! The browser end of the WebSocket channel (compiled for the browser only).
//!
//! [`Socket::open`] keeps one connection to `/ws/visitor` or `/ws/agent` alive:
//! it sends the `hello` frame first on every (re)connection, hands each server frame
//! to a callback, and after a drop reconnects with exponential back-off and jitter.
//! Frames offered while disconnected are dropped: the UI keeps unsent messages as
//! pending and sends them again, with their original ids, after the next `welcome`.

//!
//! On the server the type exists so that shared UI code compiles; effects, the only
//! place that opens a socket, never run during server rendering.

use crate::protocol::{ClientMsg, ServerMsg};
#[cfg(feature = "hydrate")]
use {
    futures::channel::mpsc,
    futures::{SinkExt, StreamExt},
    gloo_net::websocket::{futures::WebSocket, Message},
    std::cell::RefCell,
    std::rc::Rc,
};

#[cfg(feature = "hydrate")]
const BACKOFF_START_MS: f64 = 500.0;
#[cfg(feature = "hydrate")]
const BACKOFF_MAX_MS: f64 = 15_000.0;

/// Where a page keeps its socket: browser-thread storage in the browser (the
/// socket holds `Rc`s), plain storage on the server, whose inert socket is `Send`
/// and may be dropped on any thread (server rendering moves between threads).
#[cfg(feature = "hydrate")]
pub type SocketStorage = leptos::prelude::LocalStorage;
#[cfg(not(feature = "hydrate"))]
pub type SocketStorage = leptos::prelude::SyncStorage;

/// An empty slot for a page's socket, filled when the page starts in the browser.
pub fn socket_slot() -> leptos::prelude::StoredValue<Option<Socket>, SocketStorage> {
    leptos::prelude::StoredValue::new_with_storage(None)
}

#[derive(Clone)]
pub struct Socket {
    #[cfg(feature = "hydrate")]
    current: Rc<RefCell<Option<mpsc::UnboundedSender<String>>>>,
}

#[cfg(not(feature = "hydrate"))]
impl Socket {
    pub fn open(
        _path: &'static str,
        _hello: impl Fn() -> ClientMsg + 'static,
        _on_msg: impl Fn(ServerMsg) + 'static,
        _on_connected: impl Fn(bool) + 'static,
    ) -> Socket {
        Socket {}
    }

    pub fn send(&self, _msg: &ClientMsg) -> bool {
        false
    }
}

#[cfg(feature = "hydrate")]
impl Socket {
    /// Connects to `path` (e.g. `/ws/visitor`) on the page's own host.
    /// `hello` makes the first frame of each connection; `on_msg` gets every server
    /// frame; `on_connected` hears when the connection opens (`true`) or drops.
    pub fn open(
        path: &'static str,
        hello: impl Fn() -> ClientMsg + 'static,
        on_msg: impl Fn(ServerMsg) + 'static,
        on_connected: impl Fn(bool) + 'static,
    ) -> Socket {
        let socket = Socket {
            current: Rc::new(RefCell::new(None)),
        };
        let current = socket.current.clone();
        leptos::task::spawn_local(async move {
            let mut failures: i32 = 0;
            loop {
                if let Ok(ws) = WebSocket::open(&url(path)) {
                    let (mut sink, mut stream) = ws.split();
                    let (tx, mut rx) = mpsc::unbounded::<String>();
                    if let Ok(text) = serde_json::to_string(&hello()) {
                        let _ = tx.unbounded_send(text);
                    }
                    *current.borrow_mut() = Some(tx);
                    leptos::task::spawn_local(async move {
                        while let Some(text) = rx.next().await {
                            if sink.send(Message::Text(text)).await.is_err() {
                                break;
                            }
                        }
                        let _ = sink.close().await;
                    });
                    let mut opened = false;
                    while let Some(frame) = stream.next().await {
                        let Ok(Message::Text(text)) = frame else {
                            break;
                        };
                        if !opened {
                            opened = true;
                            failures = 0;
                            on_connected(true);
                        }
                        match serde_json::from_str::<ServerMsg>(&text) {
                            Ok(msg) => on_msg(msg),
                            Err(err) => leptos::logging::warn!("unreadable server frame: {err}"),
                        }
                    }
                    current.borrow_mut().take();
                    if opened {
                        on_connected(false);
                    }
                }
                failures = (failures + 1).min(16);
                gloo_timers::future::TimeoutFuture::new(backoff_ms(failures)).await;
            }
        });
        socket
    }

    /// Sends a frame if connected; returns whether it was handed to the socket.
    pub fn send(&self, msg: &ClientMsg) -> bool {
        let Ok(text) = serde_json::to_string(msg) else {
            return false;
        };
        match self.current.borrow().as_ref() {
            Some(tx) => tx.unbounded_send(text).is_ok(),
            None => false,
        }
    }
}

#[cfg(feature = "hydrate")]
/// Exponential back-off with "full jitter": a random wait up to the current ceiling,
/// so that many clients dropped at once do not return at once.
fn backoff_ms(failures: i32) -> u32 {
    let ceiling = (BACKOFF_START_MS * 2f64.powi(failures - 1)).min(BACKOFF_MAX_MS);
    (ceiling * (0.5 + js_sys::Math::random() / 2.0)) as u32
}

#[cfg(feature = "hydrate")]
fn url(path: &str) -> String {
    let location = web_sys::window().expect("a browser window").location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss",
        _ => "ws",
    };
    let host = location.host().unwrap_or_default();
    format!("{scheme}://{host}{path}")
}
