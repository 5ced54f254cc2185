//! The agent access component: the console at `/console`.
//!
//! Logged out, it shows the login form (server functions in [`crate::api`]).
//! Logged in, it opens the agent WebSocket and lays the work out ([`desk`]) as
//! agents of other live-chat products know it: on the left the invitations, the
//! queue and the agent's conversations ([`inbox`]); in the middle the open
//! conversation ([`conversation`]); on the right the details of who the agent is
//! talking to ([`details`]) and everyone on the site now, to pick for a
//! multi-party conversation ([`people`]). The messages left while nobody was
//! online ([`offline`]) and, for admins, the team have views of their own.
//! [`frames`] is what each server frame changes; [`alerts`] tells the agent what
//! happened while they looked elsewhere: sound, desktop notifications, the count
//! in the tab title.

mod alerts;
mod canned;
mod charts;
mod conversation;
mod desk;
mod details;
mod frames;
mod header;
mod history;
mod inbox;
mod offline;
mod people;
mod reports;
mod transfer;
pub(crate) mod words;

use crate::api::{current_agent, login, AgentView, ApiError};
use crate::components::ErrorToast;
use crate::i18n::{t, tf, Key, Lang};
use crate::protocol::AgentStatus;
use desk::Desk;
use leptos::prelude::*;
use leptos_meta::Title;

/// Which conversation was open, kept across reloads of this tab.
const ACTIVE_KEY: &str = "livechat.console.active";

#[component]
pub fn Console() -> impl IntoView {
    let lang = use_context::<Lang>().unwrap_or_default();
    let me = Resource::new(|| (), |_| current_agent());
    // Set by logging in or out; until then the server's answer counts.
    let changed = RwSignal::new(None::<Option<AgentView>>);
    let session = move || match changed.get() {
        Some(session) => session,
        None => me.get().and_then(|r| r.ok()).flatten(),
    };
    view! {
        <main class="console">
            <Suspense fallback=move || view! { <p class="loading">"…"</p> }>
                {move || match session() {
                    Some(agent) => view! { <Desk lang agent changed/> }.into_any(),
                    None => view! {
                        <Title text=t(lang, Key::ConsoleTitle)/>
                        <LoginForm lang changed/>
                    }
                    .into_any(),
                }}
            </Suspense>
        </main>
    }
}

#[component]
fn LoginForm(lang: Lang, changed: RwSignal<Option<Option<AgentView>>>) -> impl IntoView {
    // The fields are read when the form is sent, not bound to signals: what someone
    // types while the page is still hydrating stays in place.
    let username: NodeRef<leptos::html::Input> = NodeRef::new();
    let password: NodeRef<leptos::html::Input> = NodeRef::new();
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    // The button works once the page is hydrated; before that a click would submit
    // the form natively.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = |field: NodeRef<leptos::html::Input>| {
            field
                .get_untracked()
                .map(|input| input.value())
                .unwrap_or_default()
        };
        let (u, p) = (value(username), value(password));
        busy.set(true);
        leptos::task::spawn_local(async move {
            match login(u, p).await {
                Ok(agent) => changed.set(Some(Some(agent))),
                Err(err) => error.set(Some(err)),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="login" on:submit=submit>
            <h1>{t(lang, Key::ConsoleTitle)}</h1>
            <ErrorToast lang error/>
            <label>
                {t(lang, Key::Username)}
                <input data-testid="login-username" name="username" autocomplete="username" required
                    node_ref=username/>
            </label>
            <label>
                {t(lang, Key::Password)}
                <input data-testid="login-password" name="password" type="password"
                    autocomplete="current-password" required node_ref=password/>
            </label>
            <button type="submit" data-testid="login-submit" disabled=move || busy.get() || !hydrated.get()>
                {t(lang, Key::LogIn)}
            </button>
        </form>
    }
}

fn upsert_by<T: Clone>(list: &mut Vec<T>, item: T, same: impl Fn(&T) -> bool) {
    match list.iter_mut().find(|x| same(x)) {
        Some(slot) => *slot = item,
        None => list.push(item),
    }
}

/// "3m 12s"-style duration, in the reader's language.
fn duration_text(lang: Lang, ms: i64) -> String {
    let secs = (ms / 1000).max(0);
    match secs {
        s if s < 60 => tf(lang, Key::DurationSecs, &[&s.to_string()]),
        s if s < 3600 => tf(
            lang,
            Key::DurationMins,
            &[&(s / 60).to_string(), &(s % 60).to_string()],
        ),
        s => tf(
            lang,
            Key::DurationHours,
            &[&(s / 3600).to_string(), &((s % 3600) / 60).to_string()],
        ),
    }
}

fn status_key(status: AgentStatus) -> Key {
    match status {
        AgentStatus::Online => Key::StatusOnline,
        AgentStatus::Away => Key::StatusAway,
        AgentStatus::Offline => Key::StatusOffline,
    }
}

/// What the console shows besides conversations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum View {
    Chats,
    History,
    Offline,
    Reports,
    Team,
}

/// The link that downloads a conversation's transcript (`GET /transcript/{id}`).
fn transcript_link(lang: Lang, id: crate::ids::ConversationId) -> impl IntoView {
    view! {
        <a class="transcript-link" data-testid="transcript-download" download
            href=format!("/transcript/{id}?lang={}", lang.tag())
            title=t(lang, Key::DownloadTranscript)>
            {t(lang, Key::Transcript)}
        </a>
    }
}

/// A visitor's rating as agents see it, below a conversation.
fn rating_line(lang: Lang, rating: &crate::protocol::Rating) -> impl IntoView {
    let key = if rating.good {
        Key::RatedGood
    } else {
        Key::RatedBad
    };
    let who = crate::i18n::shown_name(lang, &rating.visitor_name);
    let comment = rating.comment.clone();
    view! {
        <p class="rating-seen" class:bad=!rating.good data-testid="rating"
            data-good=if rating.good { "true" } else { "false" }>
            {tf(lang, key, &[&who])}
            {(!comment.is_empty()).then(|| view! { <q>{comment}</q> })}
        </p>
    }
}
