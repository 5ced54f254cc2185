//! Small browser facilities: randomness, local storage, the page's query string,
//! talking to the host page, and the notification sound.
//!
//! These run only in the browser (event handlers and effects never run during
//! server rendering); on the server they fall back to inert values so the shared
//! UI code compiles for both.

use crate::ids::MessageId;

/// 16 random bytes from the browser's cryptographic generator.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    #[allow(unused_mut)]
    let mut bytes = [0u8; N];
    #[cfg(feature = "hydrate")]
    if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    }
    bytes
}

pub fn new_message_id() -> MessageId {
    MessageId::from_random_bytes(random_bytes::<16>())
}

pub fn storage_get(key: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(key).ok().flatten())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        None
    }
}

pub fn storage_set(key: &str, value: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(key, value);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key, value);
}

/// A parameter of the current page's query string.
pub fn query_param(name: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let search = web_sys::window()?.location().search().ok()?;
        web_sys::UrlSearchParams::new_with_str(&search)
            .ok()?
            .get(name)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = name;
        None
    }
}

/// The language the server chose for this page (`<html lang>`).
#[cfg(not(feature = "ssr"))]
pub fn document_lang() -> Option<String> {
    document_attr("lang")
}

/// This page's origin (`https://chat.example.com`), in the browser.
pub fn page_origin() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()?.location().origin().ok()
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// An attribute the server wrote on this page's `<html>`.
#[cfg(not(feature = "ssr"))]
pub fn document_attr(name: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()?
            .document()?
            .document_element()?
            .get_attribute(name)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = name;
        None
    }
}

/// Posts `message` to the host page (the widget loader), and only to it: the
/// origin the loader said it is on (the loader, for its part, checks that
/// messages come from this frame).
#[cfg(feature = "hydrate")]
fn post_to_host(message: &js_sys::Object) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(Some(parent)) = window.parent() else {
        return;
    };
    let host = query_param("page_url")
        .and_then(|url| web_sys::Url::new(&url).ok())
        .map(|url| url.origin())
        .filter(|origin| origin.starts_with("http"));
    if let Some(host) = host {
        let _ = parent.post_message(message, &host);
    }
}

/// A message for the host: its `type` and fields.
#[cfg(feature = "hydrate")]
fn host_message(kind: &str, fields: &[(&str, wasm_bindgen::JsValue)]) -> js_sys::Object {
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"type".into(), &kind.into());
    for (name, value) in fields {
        let _ = js_sys::Reflect::set(&message, &(*name).into(), value);
    }
    message
}

/// Tells the host page (the widget loader) whether the chat is open, so that it
/// sizes the frame (and tells the page's own code).
pub fn tell_host_open(open: bool) {
    #[cfg(feature = "hydrate")]
    post_to_host(&host_message(
        "livechat:resize",
        &[("open", wasm_bindgen::JsValue::from_bool(open))],
    ));
    #[cfg(not(feature = "hydrate"))]
    let _ = open;
}

/// Tells the host page of a message someone else wrote to the visitor, for
/// the page's own code (`LiveChat.on("message", ...)`).
pub fn tell_host_message(conversation_id: &str, author: &str, text: &str, at_ms: i64) {
    #[cfg(feature = "hydrate")]
    {
        let message = host_message(
            "",
            &[
                ("conversation_id", conversation_id.into()),
                ("author", author.into()),
                ("text", text.into()),
                ("at_ms", (at_ms as f64).into()),
            ],
        );
        post_to_host(&host_message(
            "livechat:message",
            &[("message", message.into())],
        ));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (conversation_id, author, text, at_ms);
}

/// An identity as the loader passes it: an object with string fields.
#[cfg(feature = "hydrate")]
fn identity_from_js(value: &wasm_bindgen::JsValue) -> Option<crate::protocol::Identity> {
    if !value.is_object() {
        return None;
    }
    let field = |name: &str| {
        js_sys::Reflect::get(value, &wasm_bindgen::JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    Some(crate::protocol::Identity {
        user_id: field("user_id"),
        name: field("name"),
        email: field("email"),
        user_hash: field("user_hash"),
    })
}

/// The identity the loader passed in this frame's address (`#identity=`).
pub fn identity_in_address() -> Option<crate::protocol::Identity> {
    #[cfg(feature = "hydrate")]
    {
        let hash = web_sys::window()?.location().hash().ok()?;
        let encoded = hash.strip_prefix("#identity=")?;
        let json = js_sys::decode_uri_component(encoded).ok()?.as_string()?;
        identity_from_js(&js_sys::JSON::parse(&json).ok()?)
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// Loads this frame again with `identity` in its address: the next `hello`
/// says who the visitor is.
pub fn reload_with_identity(identity: &crate::protocol::Identity) {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return;
        };
        let Ok(json) = serde_json::to_string(identity) else {
            return;
        };
        let encoded: String = js_sys::encode_uri_component(&json).into();
        let location = window.location();
        let _ = location.set_hash(&format!("identity={encoded}"));
        let _ = location.reload();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = identity;
}

/// What the host page (the widget loader) tells the widget frame.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum HostMessage {
    /// A page view without a reload (single-page sites: `LiveChat.pageView()`).
    PageView {
        url: String,
        title: String,
        referrer: String,
    },
    /// The frame fills the host's screen (a phone), or floats in its corner.
    Layout { full_screen: bool },
    /// `LiveChat.open()` / `LiveChat.close()`.
    Open(bool),
    /// `LiveChat.identify(...)`.
    Identify(crate::protocol::Identity),
}

/// Calls `on_message` with every message from the page this frame is embedded in
/// (messages from anywhere else are ignored).
pub fn on_host_message(on_message: impl Fn(HostMessage) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(window) = web_sys::window() else {
            return;
        };
        let parent = window.parent().ok().flatten();
        let listener = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| {
                let from_parent = match (&parent, event.source()) {
                    (Some(parent), Some(source)) => js_sys::Object::is(parent, &source),
                    _ => false,
                };
                if !from_parent {
                    return;
                }
                let data = event.data();
                let get = |name: &str| {
                    js_sys::Reflect::get(&data, &wasm_bindgen::JsValue::from_str(name)).ok()
                };
                let text = |name: &str| get(name).and_then(|v| v.as_string()).unwrap_or_default();
                let message = match get("type").and_then(|v| v.as_string()).as_deref() {
                    Some("livechat:page") => HostMessage::PageView {
                        url: text("url"),
                        title: text("title"),
                        referrer: text("referrer"),
                    },
                    Some("livechat:layout") => HostMessage::Layout {
                        full_screen: get("full").and_then(|v| v.as_bool()) == Some(true),
                    },
                    Some("livechat:open") => HostMessage::Open(true),
                    Some("livechat:close") => HostMessage::Open(false),
                    Some("livechat:identify") => {
                        match get("identity").as_ref().and_then(identity_from_js) {
                            Some(identity) => HostMessage::Identify(identity),
                            None => return,
                        }
                    }
                    _ => return,
                };
                on_message(message);
            },
        );
        let _ =
            window.add_event_listener_with_callback("message", listener.as_ref().unchecked_ref());
        // The widget lives as long as its page.
        listener.forget();
        // What the page's code asked before now was kept by the loader until this.
        post_to_host(&host_message("livechat:listening", &[]));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = on_message;
}

/// Whether the visitor clicked the launcher before the code was ready (the widget
/// page's first script counts the clicks); from now on the launcher answers by
/// itself.
pub fn take_early_click() -> bool {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let _ = js_sys::Reflect::set(&window, &"__livechatReady".into(), &true.into());
        js_sys::Reflect::get(&window, &"__livechatClicked".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// Milliseconds since the Unix epoch by the browser's clock.
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    0
}

/// A short two-tone chime made with Web Audio (no sound file to fetch).
pub fn chime() {
    #[cfg(feature = "hydrate")]
    {
        let Ok(ctx) = web_sys::AudioContext::new() else {
            return;
        };
        let start = ctx.current_time();
        for (i, freq) in [880.0f32, 1320.0].into_iter().enumerate() {
            let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else {
                return;
            };
            osc.frequency().set_value(freq);
            let at = start + i as f64 * 0.12;
            let _ = gain.gain().set_value_at_time(0.0001, at);
            let _ = gain
                .gain()
                .exponential_ramp_to_value_at_time(0.2, at + 0.02);
            let _ = gain
                .gain()
                .exponential_ramp_to_value_at_time(0.0001, at + 0.25);
            let _ = osc.connect_with_audio_node(&gain);
            let _ = gain.connect_with_audio_node(&ctx.destination());
            let _ = osc.start_with_when(at);
            let _ = osc.stop_with_when(at + 0.3);
        }
    }
}

/// Whether the page is hidden (another tab in front).
pub fn page_hidden() -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.document())
            .map(|d| d.hidden())
            .unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// What the browser lets this page do with desktop notifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyPermission {
    /// Not asked yet: ask at a click, never on page load.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    Ask,
    Granted,
    Denied,
    /// The browser has no notifications.
    Unsupported,
}

pub fn notify_permission() -> NotifyPermission {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let supported = web_sys::window().is_some_and(|w| {
            js_sys::Reflect::has(w.unchecked_ref(), &"Notification".into()).unwrap_or(false)
        });
        if !supported {
            return NotifyPermission::Unsupported;
        }
        match web_sys::Notification::permission() {
            web_sys::NotificationPermission::Granted => NotifyPermission::Granted,
            web_sys::NotificationPermission::Denied => NotifyPermission::Denied,
            _ => NotifyPermission::Ask,
        }
    }
    #[cfg(not(feature = "hydrate"))]
    NotifyPermission::Unsupported
}

/// Asks for permission to notify (call it from a click) and reports the answer.
pub fn ask_notify_permission(answered: impl FnOnce(NotifyPermission) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        let Ok(promise) = web_sys::Notification::request_permission() else {
            answered(notify_permission());
            return;
        };
        leptos::task::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            answered(notify_permission());
        });
    }
    #[cfg(not(feature = "hydrate"))]
    answered(NotifyPermission::Unsupported);
}

/// Shows a desktop notification; clicking it brings this tab forward. `tag` makes
/// a newer notification about the same thing replace the older one.
pub fn notify(title: &str, body: &str, tag: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if notify_permission() != NotifyPermission::Granted {
            return;
        }
        let options = web_sys::NotificationOptions::new();
        options.set_body(body);
        options.set_tag(tag);
        if let Ok(notification) = web_sys::Notification::new_with_options(title, &options) {
            let focus = wasm_bindgen::closure::Closure::<dyn Fn()>::new(|| {
                if let Some(window) = web_sys::window() {
                    let _ = window.focus();
                }
            });
            notification.set_onclick(Some(focus.as_ref().unchecked_ref()));
            focus.forget();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (title, body, tag);
}

/// Session storage: kept across reloads of this tab, not shared with other tabs.
pub fn session_get(key: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.session_storage().ok().flatten())
            .and_then(|s| s.get_item(key).ok().flatten())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        None
    }
}

pub fn session_set(key: &str, value: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
        let _ = storage.set_item(key, value);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key, value);
}

/// Calls `changed` whenever the page is shown or hidden (another tab in front).
pub fn on_visibility_change(changed: impl Fn() + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let listener = wasm_bindgen::closure::Closure::<dyn Fn()>::new(changed);
        let _ = document.add_event_listener_with_callback(
            "visibilitychange",
            listener.as_ref().unchecked_ref(),
        );
        // Listens as long as the page lives.
        listener.forget();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = changed;
}

/// Saves `text` as a file called `name` (a UTF-8 text file), as a click on a
/// download link would.
pub fn save_text(name: &str, text: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("text/plain;charset=utf-8");
        let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
            return;
        };
        let Ok(href) = web_sys::Url::create_object_url_with_blob(&blob) else {
            return;
        };
        let link = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.create_element("a").ok())
            .and_then(|a| a.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(link) = link {
            let _ = link.set_attribute("href", &href);
            let _ = link.set_attribute("download", name);
            link.click();
        }
        // Once the download has started the address is no longer needed.
        gloo_timers::callback::Timeout::new(60_000, move || {
            let _ = web_sys::Url::revoke_object_url(&href);
        })
        .forget();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (name, text);
}
