//! The messages visitors left while no agent was online, in a view of their own:
//! newest first, those not handled yet on top, each with its time, the sender's
//! email as a link to reply, the page it was sent from, and a "handled" switch
//! that every console sees at once.

use super::Desk;
use crate::api::set_offline_handled;
use crate::i18n::{t, tf, Key};
use crate::ids::MessageId;
use crate::protocol::OfflineMessage;
use crate::time::TimeStamp;
use leptos::prelude::*;

/// A `mailto:` link to answer the message.
fn reply_link(message: &OfflineMessage) -> String {
    format!("mailto:{}", percent_encode(&message.email))
}

/// Percent-encodes everything but unreserved characters (and `@`, harmless in a
/// mailto address), so that an address cannot add headers or a body to the link.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'@' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
pub fn OfflineMessages(desk: Desk) -> impl IntoView {
    let lang = desk.lang;
    // Not handled first, newest first within each.
    let sorted = move || {
        let mut list = desk.offline.get();
        list.sort_by_key(|m| (m.handled.is_some(), std::cmp::Reverse(m.at_ms)));
        list
    };
    let mark = move |id: MessageId, handled: bool| {
        leptos::task::spawn_local(async move {
            match set_offline_handled(id, handled).await {
                Ok(message) => desk.offline.update(|list| {
                    if let Some(slot) = list.iter_mut().find(|m| m.id == message.id) {
                        *slot = message;
                    }
                }),
                Err(err) => desk.error.set(Some(err)),
            }
        });
    };
    let unhandled = move || {
        desk.offline
            .with(|l| l.iter().filter(|m| m.handled.is_none()).count())
    };
    view! {
        <section class="offline-messages view-panel">
            <h2>{t(lang, Key::OfflineMessages)}
                <span class="count" hidden=move || unhandled() == 0>{move || tf(lang, Key::Unhandled, &[&unhandled().to_string()])}</span>
            </h2>
            <Show when=move || desk.offline.with(Vec::is_empty)>
                <p class="empty">{t(lang, Key::NoOfflineMessages)}</p>
            </Show>
            <ul>
                <For each=sorted key=|m| (m.id, m.handled.clone()) let:m>
                    {
                        let id = m.id;
                        let handled = m.handled.clone();
                        let is_handled = handled.is_some();
                        view! {
                            <li class="offline-message" data-testid="offline-message" data-handled=is_handled.to_string()
                                class:handled=is_handled>
                                <div class="row-head">
                                    <strong class="sender">{m.name.clone()}</strong>
                                    <a class="email" data-testid="offline-email-link" href=reply_link(&m)
                                        title=t(lang, Key::ReplyByEmail)>{m.email.clone()}</a>
                                    <TimeStamp lang at_ms=m.at_ms/>
                                </div>
                                <p class="body">{m.body.clone()}</p>
                                <span class="page-url">{m.page_url.clone()}</span>
                                <div class="row-actions">
                                    {handled.map(|h| view! {
                                        <span class="handled-by" data-testid="offline-handled-by">
                                            {tf(lang, Key::HandledBy, &[&h.by_name, &crate::time::show(lang, h.at_ms, desk.clock.0.get_untracked())])}
                                        </span>
                                    })}
                                    <button type="button" data-testid="offline-handled-toggle"
                                        on:click=move |_| mark(id, !is_handled)>
                                        {t(lang, if is_handled { Key::MarkUnhandled } else { Key::MarkHandled })}
                                    </button>
                                </div>
                            </li>
                        }
                    }
                </For>
            </ul>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_links_encode_the_address() {
        let m = OfflineMessage {
            id: MessageId::default(),
            visitor_id: None,
            name: "Ann".into(),
            email: "ann+x@example.com?body=hi".into(),
            body: String::new(),
            page_url: String::new(),
            at_ms: 0,
            handled: None,
        };
        assert_eq!(reply_link(&m), "mailto:ann%2Bx@example.com%3Fbody%3Dhi");
    }
}
