//! Files in the browser: sending one from the compose box's file input
//! (`POST /upload/{conversation}`, the body the file itself) and where a file of
//! a message is fetched from ([`FileLinks`]): for agents its plain address (their
//! session cookie goes with it), for visitors a signed link the server hands out
//! over the WebSocket, since `<img src>` cannot carry the visitor's token.

use crate::error::ErrorCode;
use crate::ids::{ConversationId, FileId};
use crate::protocol::ClientMsg;
use leptos::prelude::*;
use std::collections::{HashMap, HashSet};

/// Where the files of messages are fetched from, provided as context by the
/// widget and the console.
#[derive(Clone, Copy)]
pub struct FileLinks {
    /// Visitors: links heard from the server, by file, with when they expire;
    /// `None` for agents.
    signed: Option<RwSignal<HashMap<FileId, (String, i64)>>>,
    /// Visitors: the files a link was asked for and not heard yet (asked once).
    asked: StoredValue<HashSet<FileId>>,
    /// Visitors: asks the server for a link.
    ask: Option<Callback<ClientMsg, bool>>,
}

/// A link is asked for again this long before it expires.
const RENEW_BEFORE_MS: i64 = 60_000;

impl FileLinks {
    /// Agents: `/files/{id}`, with the session cookie.
    pub fn direct() -> Self {
        FileLinks {
            signed: None,
            asked: StoredValue::new(HashSet::new()),
            ask: None,
        }
    }

    /// Visitors: links asked for with `ask` (sends a frame).
    pub fn signed(ask: Callback<ClientMsg, bool>) -> Self {
        FileLinks {
            signed: Some(RwSignal::new(HashMap::new())),
            asked: StoredValue::new(HashSet::new()),
            ask: Some(ask),
        }
    }

    /// A link the server sent (its `e=` parameter says when it expires).
    pub fn heard(&self, id: FileId, url: String) {
        let Some(signed) = self.signed else {
            return;
        };
        let expires = url
            .split(['?', '&'])
            .find_map(|part| part.strip_prefix("e="))
            .and_then(|e| e.parse().ok())
            .unwrap_or(0);
        self.asked.update_value(|asked| {
            asked.remove(&id);
        });
        signed.update(|links| {
            links.insert(id, (url, expires));
        });
    }

    /// Subscribes the caller to links arriving (a window that follows its newest
    /// entry scrolls again when a picture's link arrives and the picture shows).
    pub fn track(&self) {
        if let Some(signed) = self.signed {
            signed.track();
        }
    }

    /// The address to fetch `id` from, once known. A visitor's link is asked for
    /// once, and again shortly before it expires.
    pub fn url(&self, id: FileId) -> Option<String> {
        let Some(signed) = self.signed else {
            return Some(format!("/files/{id}"));
        };
        let known = signed.with(|links| links.get(&id).cloned());
        let fresh = known
            .as_ref()
            .is_some_and(|(_, expires)| *expires - RENEW_BEFORE_MS > crate::browser::now_ms());
        if !fresh && !self.asked.with_value(|asked| asked.contains(&id)) {
            self.asked.update_value(|asked| {
                asked.insert(id);
            });
            if let Some(ask) = self.ask {
                ask.run(ClientMsg::FileLink { file_id: id });
            }
        }
        known.map(|(url, _)| url)
    }
}

/// Sends the file picked in a file input (`ev` is its `change` event) into the
/// conversation; `visitor_token` for visitors. The message that carries it
/// arrives like any other once it is stored.
pub async fn send_picked(
    ev: leptos::ev::Event,
    conversation_id: ConversationId,
    visitor_token: Option<String>,
) -> Result<(), ErrorCode> {
    #[cfg(feature = "hydrate")]
    {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return Ok(());
        };
        // The same file may be picked again next time.
        input.set_value("");
        let name = String::from(js_sys::encode_uri_component(&file.name()));
        let url = format!(
            "/upload/{conversation_id}?name={name}&client_msg_id={}",
            crate::browser::new_message_id()
        );
        let headers = web_sys::Headers::new().map_err(|_| ErrorCode::Internal)?;
        let declared = file.type_();
        let _ = headers.set(
            "content-type",
            if declared.is_empty() {
                "application/octet-stream"
            } else {
                &declared
            },
        );
        if let Some(token) = &visitor_token {
            let _ = headers.set("x-visitor-token", token);
        }
        send(
            "POST",
            &url,
            &headers,
            Some(file.as_ref()),
            &[(413, ErrorCode::TooLong)],
        )
        .await
        .map(|_| ())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (ev, conversation_id, visitor_token);
        Ok(())
    }
}

/// Sends a request to this server: the answer's text, or the error code its
/// JSON body names (else the one `by_status` gives for its status, else
/// `invalid_field`).
#[cfg(feature = "hydrate")]
async fn send(
    method: &str,
    url: &str,
    headers: &web_sys::Headers,
    body: Option<&wasm_bindgen::JsValue>,
    by_status: &[(u16, ErrorCode)],
) -> Result<String, ErrorCode> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_headers(headers);
    if let Some(body) = body {
        init.set_body(body);
    }
    let request =
        web_sys::Request::new_with_str_and_init(url, &init).map_err(|_| ErrorCode::Internal)?;
    let window = web_sys::window().ok_or(ErrorCode::Internal)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| ErrorCode::Unavailable)?
        .dyn_into()
        .map_err(|_| ErrorCode::Internal)?;
    let status = response.status();
    let text = match response.text() {
        Ok(text) => JsFuture::from(text).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    };
    if response.ok() {
        return Ok(text.unwrap_or_default());
    }
    let code = text
        .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok())
        .and_then(|v| serde_json::from_value::<ErrorCode>(v["code"].clone()).ok());
    Err(code.unwrap_or_else(|| {
        let known = by_status
            .iter()
            .find(|(s, _)| *s == status)
            .map(|(_, c)| *c);
        known.unwrap_or(match status {
            401 => ErrorCode::Unauthenticated,
            _ => ErrorCode::InvalidField,
        })
    }))
}

/// Largest picture an agent may set: 512 KiB, plenty for a face at twice the
/// size shown.
pub const MAX_AVATAR_BYTES: usize = 512 * 1024;

/// Where an agent's picture is shown from; `version` (when it was set) makes a
/// new picture a new address.
pub fn avatar_url(agent: crate::ids::AgentId, version: Option<i64>) -> String {
    match version {
        Some(v) => format!("/avatars/{agent}?v={v}"),
        None => format!("/avatars/{agent}"),
    }
}

/// Sets the picture picked in a file input (`ev` is its `change` event) as the
/// logged-in agent's. Returns when it was set; `None` when nothing was picked.
pub async fn set_my_avatar(ev: leptos::ev::Event) -> Result<Option<i64>, ErrorCode> {
    #[cfg(feature = "hydrate")]
    {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return Ok(None);
        };
        input.set_value("");
        if file.size() > MAX_AVATAR_BYTES as f64 {
            return Err(ErrorCode::TooLong);
        }
        let headers = web_sys::Headers::new().map_err(|_| ErrorCode::Internal)?;
        let text = send(
            "PUT",
            "/avatar",
            &headers,
            Some(file.as_ref()),
            &[(413, ErrorCode::TooLong)],
        )
        .await?;
        let answer: serde_json::Value =
            serde_json::from_str(&text).map_err(|_| ErrorCode::Internal)?;
        Ok(answer["avatar_ms"].as_i64())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        Ok(None)
    }
}

/// Removes the logged-in agent's picture: the first letter of their name shows.
pub async fn remove_my_avatar() -> Result<(), ErrorCode> {
    #[cfg(feature = "hydrate")]
    {
        let headers = web_sys::Headers::new().map_err(|_| ErrorCode::Internal)?;
        send("DELETE", "/avatar", &headers, None, &[])
            .await
            .map(|_| ())
    }
    #[cfg(not(feature = "hydrate"))]
    Ok(())
}
