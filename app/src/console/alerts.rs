//! Telling an agent what happened while they looked elsewhere: a chime (unless
//! muted), a desktop notification (once the agent allowed them, asked at a click
//! and never on page load) and the count of what waits in the tab's title.

use super::Desk;
use crate::browser::{self, NotifyPermission};
use crate::components::{icon, invitation_text, ICON_BELL, ICON_BELL_OFF, ICON_MUTED, ICON_SOUND};
use crate::i18n::{shown_name, t, tf, Key, Lang};
use crate::ids::ConversationId;
use crate::protocol::{Body, ChatMessage, InvitationInfo, QueueItem};
use leptos::prelude::*;

const MUTED_KEY: &str = "livechat.console.muted";
const NOTIFY_KEY: &str = "livechat.console.notify";
/// Longest message text shown in a notification.
const NOTIFICATION_CHARS: usize = 140;

#[derive(Clone, Copy)]
pub struct Alerts {
    muted: RwSignal<bool>,
    /// The agent's own choice, once the browser allows notifications.
    notify_on: RwSignal<bool>,
    permission: RwSignal<NotifyPermission>,
}

impl Alerts {
    pub fn new() -> Self {
        Alerts {
            muted: RwSignal::new(false),
            notify_on: RwSignal::new(true),
            permission: RwSignal::new(NotifyPermission::Unsupported),
        }
    }

    /// Reads the agent's choices and what the browser allows (in the browser only).
    pub fn start(&self) {
        self.muted
            .set(browser::storage_get(MUTED_KEY).as_deref() == Some("1"));
        self.notify_on
            .set(browser::storage_get(NOTIFY_KEY).as_deref() != Some("0"));
        self.permission.set(browser::notify_permission());
    }

    fn desktop(&self) -> bool {
        self.permission.get_untracked() == NotifyPermission::Granted
            && self.notify_on.get_untracked()
    }

    fn alert(&self, title: &str, body: &str, tag: &str) {
        if !self.muted.get_untracked() {
            browser::chime();
        }
        // A notification is for an agent who is not looking at this tab.
        if self.desktop() && browser::page_hidden() {
            browser::notify(title, body, tag);
        }
    }

    pub fn new_message(&self, lang: Lang, conversation: ConversationId, message: &ChatMessage) {
        let author = message
            .author
            .as_ref()
            .map(|a| shown_name(lang, &a.name))
            .unwrap_or_default();
        let text = match &message.body {
            Body::Text { text } => crate::protocol::truncate_chars(text, NOTIFICATION_CHARS),
            Body::Notice(notice) => crate::components::notice_text(lang, notice),
        };
        self.alert(
            &tf(lang, Key::NewMessageFrom, &[&author]),
            &text,
            &conversation.to_string(),
        );
    }

    pub fn queued(&self, lang: Lang, item: &QueueItem) {
        self.alert(
            &tf(
                lang,
                Key::NewChatWaiting,
                &[&shown_name(lang, &item.visitor_name)],
            ),
            &crate::protocol::truncate_chars(&item.first_message, NOTIFICATION_CHARS),
            &item.conversation_id.to_string(),
        );
    }

    pub fn invitation(&self, lang: Lang, invitation: &InvitationInfo) {
        self.alert(
            &invitation_text(lang, invitation),
            "",
            &invitation.id.to_string(),
        );
    }

    /// The tab's title: what waits for the agent (unread messages and chats in the
    /// queue), then the console's name.
    pub fn title(&self, lang: Lang, desk: &Desk) -> String {
        let unread: u32 = desk
            .session
            .store
            .with(|state| state.views().iter().map(|c| c.unread).sum());
        let waiting = desk.queue.with(Vec::len) as u32;
        match unread + waiting {
            0 => t(lang, Key::ConsoleTitle).to_owned(),
            n => format!("({n}) {}", t(lang, Key::ConsoleTitle)),
        }
    }
}

/// The header's sound and desktop-notification switches.
#[component]
pub fn AlertControls(lang: Lang, alerts: Alerts) -> impl IntoView {
    let toggle_mute = move |_| {
        alerts.muted.update(|m| *m = !*m);
        browser::storage_set(
            MUTED_KEY,
            if alerts.muted.get_untracked() {
                "1"
            } else {
                "0"
            },
        );
    };
    let notify_click = move |_| match alerts.permission.get_untracked() {
        NotifyPermission::Ask => browser::ask_notify_permission(move |answer| {
            alerts.permission.set(answer);
            if answer == NotifyPermission::Granted {
                alerts.notify_on.set(true);
                browser::storage_set(NOTIFY_KEY, "1");
            }
        }),
        NotifyPermission::Granted => {
            alerts.notify_on.update(|on| *on = !*on);
            browser::storage_set(
                NOTIFY_KEY,
                if alerts.notify_on.get_untracked() {
                    "1"
                } else {
                    "0"
                },
            );
        }
        NotifyPermission::Denied | NotifyPermission::Unsupported => {}
    };
    let notify_label = move || {
        t(
            lang,
            match (alerts.permission.get(), alerts.notify_on.get()) {
                (NotifyPermission::Granted, true) => Key::NotificationsOn,
                (NotifyPermission::Granted, false) => Key::NotificationsOff,
                (NotifyPermission::Denied, _) => Key::NotificationsBlocked,
                (NotifyPermission::Ask | NotifyPermission::Unsupported, _) => {
                    Key::NotificationsEnable
                }
            },
        )
    };
    let notifying =
        move || alerts.permission.get() == NotifyPermission::Granted && alerts.notify_on.get();
    view! {
        <button type="button" class="icon header-icon" data-testid="notify-toggle"
            data-permission=move || match alerts.permission.get() {
                NotifyPermission::Ask => "default",
                NotifyPermission::Granted => "granted",
                NotifyPermission::Denied => "denied",
                NotifyPermission::Unsupported => "unsupported",
            }
            hidden=move || alerts.permission.get() == NotifyPermission::Unsupported
            disabled=move || alerts.permission.get() == NotifyPermission::Denied
            aria-pressed=move || notifying().to_string()
            title=notify_label aria-label=notify_label on:click=notify_click>
            {move || if notifying() { icon(ICON_BELL) } else { icon(ICON_BELL_OFF) }}
        </button>
        <button type="button" class="icon header-icon" data-testid="mute-toggle"
            aria-pressed=move || alerts.muted.get().to_string()
            title=move || t(lang, if alerts.muted.get() { Key::Unmute } else { Key::Mute })
            aria-label=move || t(lang, if alerts.muted.get() { Key::Unmute } else { Key::Mute })
            on:click=toggle_mute>
            {move || if alerts.muted.get() { icon(ICON_MUTED) } else { icon(ICON_SOUND) }}
        </button>
    }
    .into_any()
}
