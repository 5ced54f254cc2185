//! The console's team view, for admins: every agent account, with adding,
//! removing and setting passwords (the same rules as the command line). The server
//! checks the role on every call; this view is only offered to admins.

use crate::api::{
    add_agent, list_agents, remove_agent, set_agent_email, set_agent_password, AgentView, ApiError,
    NewAgentAccount,
};
use crate::components::ErrorToast;
use crate::i18n::{t, Key, Lang};
use crate::ids::AgentId;
use crate::protocol::AgentRole;
use leptos::prelude::*;

fn role_key(role: AgentRole) -> Key {
    match role {
        AgentRole::Admin => Key::RoleAdmin,
        AgentRole::Agent => Key::RoleAgent,
    }
}

/// The value of an input, or empty.
/// What an input holds now.
pub(crate) fn value_of(input: NodeRef<leptos::html::Input>) -> String {
    input.get_untracked().map(|i| i.value()).unwrap_or_default()
}

/// A number typed into an input, or `fallback` when it is not one (the server
/// says what is out of range).
pub(crate) fn number_of(input: NodeRef<leptos::html::Input>, fallback: u32) -> u32 {
    value_of(input).trim().parse().unwrap_or(fallback)
}

/// Empties inputs (after what they held was taken).
pub(crate) fn clear(inputs: &[NodeRef<leptos::html::Input>]) {
    for input in inputs {
        if let Some(input) = input.get_untracked() {
            input.set_value("");
        }
    }
}

#[component]
pub fn TeamPanel(lang: Lang, me: AgentId) -> impl IntoView {
    let accounts = RwSignal::new(Vec::<AgentView>::new());
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<&'static str>);
    let reload = move || {
        leptos::task::spawn_local(async move {
            match list_agents().await {
                Ok(list) => accounts.set(list),
                Err(err) => error.set(Some(err)),
            }
        });
    };
    // Loaded whenever the view is opened.
    Effect::new(move |_| reload());
    let done = move |result: Result<(), ApiError>, success: &'static str| match result {
        Ok(()) => {
            error.set(None);
            notice.set(Some(success));
            reload();
        }
        Err(err) => {
            notice.set(None);
            error.set(Some(err));
        }
    };

    let username: NodeRef<leptos::html::Input> = NodeRef::new();
    let name: NodeRef<leptos::html::Input> = NodeRef::new();
    let password: NodeRef<leptos::html::Input> = NodeRef::new();
    let role = RwSignal::new(AgentRole::Agent);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let account = NewAgentAccount {
            username: value_of(username).trim().to_owned(),
            name: value_of(name).trim().to_owned(),
            role: role.get_untracked(),
            password: value_of(password),
        };
        leptos::task::spawn_local(async move {
            let result = add_agent(account).await.map(|_| ());
            if result.is_ok() {
                clear(&[username, name, password]);
            }
            done(result, t(lang, Key::AgentAdded));
        });
    };

    // Type-erased parts: one nested view type for the whole panel is too deep for
    // the compiler.
    let list = view! {
        <ErrorToast lang error/>
        {move || notice.get().map(|text| view! { <p class="notice" data-testid="admin-notice">{text}</p> })}
        <ul>
            <For each=move || accounts.get() key=|a| (a.id, a.role, a.name.clone()) let:account>
                <AccountRow lang account me done/>
            </For>
        </ul>
    }
    .into_any();
    let form = view! {
        <form class="add-agent" data-testid="admin-add-form" on:submit=add>
            <h3>{t(lang, Key::AddAgent)}</h3>
            <label>
                {t(lang, Key::Username)}
                <input data-testid="admin-add-username" required maxlength="64" autocomplete="off" node_ref=username/>
            </label>
            <label>
                {t(lang, Key::DisplayName)}
                <input data-testid="admin-add-name" required maxlength="80" autocomplete="off" node_ref=name/>
            </label>
            <label>
                {t(lang, Key::Password)}
                <input data-testid="admin-add-password" type="password" required minlength="8"
                    autocomplete="new-password" node_ref=password/>
            </label>
            <label>
                {t(lang, Key::Role)}
                <select data-testid="admin-add-role"
                    on:change=move |ev| role.set(AgentRole::parse(&event_target_value(&ev)).unwrap_or(AgentRole::Agent))>
                    <option value="agent" selected>{t(lang, Key::RoleAgent)}</option>
                    <option value="admin">{t(lang, Key::RoleAdmin)}</option>
                </select>
            </label>
            <button type="submit" data-testid="admin-add-submit">{t(lang, Key::AddAgent)}</button>
        </form>
    }
    .into_any();
    view! {
        <section class="team view-panel" data-testid="admin-panel">
            <h2>{t(lang, Key::ManageAgents)}</h2>
            <div class="team-grid">
                <div class="team-list">{list}</div>
                {form}
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn AccountRow(
    lang: Lang,
    account: AgentView,
    me: AgentId,
    done: impl Fn(Result<(), ApiError>, &'static str) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let new_password: NodeRef<leptos::html::Input> = NodeRef::new();
    let username = account.username.clone();
    let remove = {
        let username = username.clone();
        move |_| {
            if !confirming.get_untracked() {
                confirming.set(true);
                return;
            }
            let username = username.clone();
            leptos::task::spawn_local(async move {
                done(remove_agent(username).await, t(lang, Key::AgentRemoved));
            });
        }
    };
    let set_password = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let username = username.clone();
        let password = value_of(new_password);
        leptos::task::spawn_local(async move {
            let result = set_agent_password(username, password).await;
            if result.is_ok() {
                clear(&[new_password]);
            }
            done(result, t(lang, Key::PasswordChanged));
        });
    };
    let new_email: NodeRef<leptos::html::Input> = NodeRef::new();
    let set_email = {
        let username = account.username.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let username = username.clone();
            let email = value_of(new_email).trim().to_owned();
            leptos::task::spawn_local(async move {
                done(
                    set_agent_email(username, email).await,
                    t(lang, Key::EmailSaved),
                );
            });
        }
    };
    let is_me = account.id == me;
    view! {
        <li class="account" data-testid="admin-agent-row" data-username=account.username.clone()>
            <strong class="name">{account.name.clone()}</strong>
            <span class="username">{account.username.clone()}</span>
            <span class="role" data-role=account.role.as_str()>{t(lang, role_key(account.role))}</span>
            <form class="set-password" on:submit=set_password>
                <input data-testid="admin-new-password" type="password" required minlength="8"
                    autocomplete="new-password" aria-label=t(lang, Key::NewPassword)
                    placeholder=t(lang, Key::NewPassword) node_ref=new_password/>
                <button type="submit" data-testid="admin-set-password">{t(lang, Key::SetPassword)}</button>
            </form>
            <form class="set-email" on:submit=set_email>
                <label>
                    <span>{t(lang, Key::OfflineMailTo)}</span>
                    <input data-testid="admin-email" type="email" maxlength="254" autocomplete="off"
                        placeholder="name@example.com"
                        prop:value=account.email.clone().unwrap_or_default() node_ref=new_email/>
                </label>
                <button type="submit" data-testid="admin-set-email">{t(lang, Key::Save)}</button>
            </form>
            {(!is_me).then(|| view! {
                <button type="button" class="danger" data-testid="admin-remove" on:click=remove>
                    {move || t(lang, if confirming.get() { Key::ConfirmRemove } else { Key::Remove })}
                </button>
            })}
        </li>
    }
    .into_any()
}
