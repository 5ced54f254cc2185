//! The console's header: the views (chats, offline messages, the team for
//! admins), the connection, alert settings, the agent's picture and status, and
//! logging out.

use super::words::{w, Word};
use super::{alerts, status_key, Desk, View};
use crate::api::{logout, AgentView};
use crate::files::{avatar_url, remove_my_avatar, set_my_avatar};
use crate::i18n::{t, Key};
use crate::protocol::{AgentRole, AgentStatus, ClientMsg};
use leptos::prelude::*;

#[component]
pub fn Header(
    desk: Desk,
    agent: AgentView,
    changed: RwSignal<Option<Option<AgentView>>>,
) -> impl IntoView {
    let lang = desk.lang;
    let set_status = move |ev: leptos::ev::Event| {
        if let Some(s) = AgentStatus::parse(&event_target_value(&ev)) {
            desk.status.set(s);
            desk.send(ClientMsg::SetStatus { status: s });
        }
    };
    let do_logout = move |_| {
        leptos::task::spawn_local(async move {
            let _ = logout().await;
            changed.set(Some(None));
            // A fresh page closes the socket and forgets everything of this agent.
            let _ = window().location().reload();
        });
    };

    let unhandled = move || {
        desk.offline
            .with(|list| list.iter().filter(|m| m.handled.is_none()).count())
    };
    let is_admin = agent.role == AgentRole::Admin;

    // The picture visitors see beside this agent's name: picked from the
    // computer by a click on it, removed by the button beside it.
    let avatar = RwSignal::new(agent.avatar_ms);
    let agent_id = agent.id;
    let pick_avatar = move |ev: leptos::ev::Event| {
        leptos::task::spawn_local(async move {
            match set_my_avatar(ev).await {
                Ok(Some(version)) => avatar.set(Some(version)),
                Ok(None) => {}
                Err(code) => desk.error.set(Some(code.into())),
            }
        });
    };
    let remove_avatar = move |_| {
        leptos::task::spawn_local(async move {
            match remove_my_avatar().await {
                Ok(()) => avatar.set(None),
                Err(code) => desk.error.set(Some(code.into())),
            }
        });
    };
    let nav_button = move |which: View, testid: &'static str, label: &'static str| {
        view! {
            <button type="button" class="nav-item" data-testid=testid
                class:active=move || desk.view.get() == which
                aria-pressed=move || (desk.view.get() == which).to_string()
                on:click=move |_| desk.view.set(which)>
                {label}
                {(which == View::Offline).then(|| view! {
                    <span class="badge" data-testid="offline-unhandled" hidden=move || unhandled() == 0>{unhandled}</span>
                })}
            </button>
        }
    };

    view! {
        <header class="console-header">
            <h1>{t(lang, Key::ConsoleTitle)}</h1>
            <nav class="views" aria-label=t(lang, Key::ConsoleTitle)>
                {nav_button(View::Chats, "view-chats", t(lang, Key::Chats))}
                {nav_button(View::History, "history-open", w(lang, Word::History))}
                {nav_button(View::Offline, "view-offline", t(lang, Key::OfflineMessages))}
                {is_admin.then(|| nav_button(View::Reports, "reports-open", w(lang, Word::Reports)))}
                {is_admin.then(|| nav_button(View::Team, "admin-toggle", t(lang, Key::Team)))}
            </nav>
            <span class="connection" data-testid="connection-status" data-connected=move || desk.connected.get().to_string()
                class:up=move || desk.connected.get()>
                {move || t(lang, if desk.connected.get() { Key::Connected } else { Key::Reconnecting })}
            </span>
            <alerts::AlertControls lang alerts=desk.alerts/>
            <span class="me">
                <label class="my-avatar" title=w(lang, Word::ChangePicture)>
                    <img data-testid="my-avatar" alt="" data-set=move || avatar.get().is_some().to_string()
                        src=move || avatar_url(agent_id, Some(avatar.get().unwrap_or(0)))/>
                    <input type="file" class="my-avatar-input" data-testid="my-avatar-input"
                        aria-label=w(lang, Word::ChangePicture)
                        accept="image/png,image/jpeg,image/gif,image/webp" on:change=pick_avatar/>
                </label>
                {agent.name.clone()}
                <button type="button" class="remove-avatar" data-testid="my-avatar-remove"
                    title=w(lang, Word::RemovePicture) aria-label=w(lang, Word::RemovePicture)
                    hidden=move || avatar.get().is_none() on:click=remove_avatar>"×"</button>
            </span>
            <select data-testid="status-select" aria-label=t(lang, Key::StatusOnline)
                prop:value=move || desk.status.get().as_str() on:change=set_status>
                {[AgentStatus::Online, AgentStatus::Away, AgentStatus::Offline]
                    .into_iter()
                    .map(|s| view! { <option value=s.as_str()>{t(lang, status_key(s))}</option> })
                    .collect_view()}
            </select>
            <button type="button" class="logout" data-testid="logout-button" on:click=do_logout>{t(lang, Key::LogOut)}</button>
        </header>
    }
    .into_any()
}
