//! The console's departments, for admins, under the team view: each with its
//! routing (manual queue, round robin, least busy), the most chats routing gives
//! an agent at once, how long an offer waits, and its agents. The server checks
//! the role and every field on each call.

use crate::admin::{clear, value_of};
use crate::api::{
    list_agents, put_department, remove_department, AgentView, ApiError, Department, Routing,
    MAX_CHATS_PER_AGENT, MAX_DEPARTMENT_ID_CHARS, MAX_DEPARTMENT_NAME_CHARS, OFFER_SECONDS,
};
use crate::components::ErrorToast;
use crate::console::words::{w, Word};
use crate::i18n::{t, Key, Lang};
use crate::ids::AgentId;
use leptos::prelude::*;

/// How routing is called in the console.
pub fn routing_word(routing: Routing) -> Word {
    match routing {
        Routing::Manual => Word::RoutingManual,
        Routing::RoundRobin => Word::RoutingRoundRobin,
        Routing::LeastBusy => Word::RoutingLeastBusy,
    }
}

/// A number typed into an input, or `fallback` when it is not one (the server
/// says what is out of range).
fn number_of(input: NodeRef<leptos::html::Input>, fallback: u32) -> u32 {
    value_of(input).trim().parse().unwrap_or(fallback)
}

#[component]
pub fn DepartmentsPanel(lang: Lang, departments: RwSignal<Vec<Department>>) -> impl IntoView {
    let agents = RwSignal::new(Vec::<AgentView>::new());
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<&'static str>);
    let reload = move || {
        leptos::task::spawn_local(async move {
            match crate::api::departments().await {
                Ok(list) => departments.set(list),
                Err(err) => error.set(Some(err)),
            }
        });
    };
    Effect::new(move |_| {
        reload();
        leptos::task::spawn_local(async move {
            match list_agents().await {
                Ok(list) => agents.set(list),
                Err(err) => error.set(Some(err)),
            }
        });
    });
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

    let id: NodeRef<leptos::html::Input> = NodeRef::new();
    let name: NodeRef<leptos::html::Input> = NodeRef::new();
    let routing = RwSignal::new(Routing::RoundRobin);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let department = Department {
            id: value_of(id).trim().to_owned(),
            name: value_of(name).trim().to_owned(),
            routing: routing.get_untracked(),
            max_chats: 3,
            offer_seconds: 30,
            agents: Vec::new(),
        };
        leptos::task::spawn_local(async move {
            let result = put_department(department).await;
            if result.is_ok() {
                clear(&[id, name]);
            }
            done(result, w(lang, Word::DepartmentSaved));
        });
    };

    let list = view! {
        <ErrorToast lang error/>
        {move || notice.get().map(|text| view! { <p class="notice" data-testid="department-notice">{text}</p> })}
        <ul class="department-list">
            <For each=move || departments.get() key=|d| d.clone() let:department>
                <DepartmentRow lang department agents done/>
            </For>
        </ul>
        <Show when=move || departments.with(Vec::is_empty)>
            <p class="empty">{w(lang, Word::NoDepartments)}</p>
        </Show>
    }
    .into_any();
    let form = view! {
        <form class="add-department" data-testid="department-add-form" on:submit=add>
            <h3>{w(lang, Word::AddDepartment)}</h3>
            <label>
                {w(lang, Word::DepartmentId)}
                <input data-testid="department-add-id" required maxlength=MAX_DEPARTMENT_ID_CHARS.to_string()
                    pattern="[a-z0-9-]+" autocomplete="off" placeholder="sales" node_ref=id/>
            </label>
            <label>
                {w(lang, Word::DepartmentName)}
                <input data-testid="department-add-name" required maxlength=MAX_DEPARTMENT_NAME_CHARS.to_string()
                    autocomplete="off" node_ref=name/>
            </label>
            <RoutingSelect lang routing testid="department-add-routing"/>
            <button type="submit" data-testid="department-add-submit">{w(lang, Word::AddDepartment)}</button>
        </form>
    }
    .into_any();
    view! {
        <section class="departments view-panel" data-testid="departments-panel">
            <h2>{w(lang, Word::Departments)}</h2>
            <p class="hint">{w(lang, Word::DepartmentsHint)}</p>
            <div class="team-grid">
                <div class="team-list">{list}</div>
                {form}
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn RoutingSelect(lang: Lang, routing: RwSignal<Routing>, testid: &'static str) -> impl IntoView {
    view! {
        <label>
            {w(lang, Word::Routing)}
            <select data-testid=testid
                on:change=move |ev| routing.set(Routing::parse(&event_target_value(&ev)).unwrap_or_default())>
                {Routing::ALL.into_iter().map(|r| view! {
                    <option value=r.as_str() selected=move || routing.get() == r>{w(lang, routing_word(r))}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

#[component]
fn DepartmentRow(
    lang: Lang,
    department: Department,
    agents: RwSignal<Vec<AgentView>>,
    done: impl Fn(Result<(), ApiError>, &'static str) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let routing = RwSignal::new(department.routing);
    let members = RwSignal::new(department.agents.clone());
    let name: NodeRef<leptos::html::Input> = NodeRef::new();
    let max_chats: NodeRef<leptos::html::Input> = NodeRef::new();
    let offer_seconds: NodeRef<leptos::html::Input> = NodeRef::new();
    let confirming = RwSignal::new(false);
    let saved = department.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let changed = Department {
            id: saved.id.clone(),
            name: value_of(name).trim().to_owned(),
            routing: routing.get_untracked(),
            max_chats: number_of(max_chats, saved.max_chats),
            offer_seconds: number_of(offer_seconds, saved.offer_seconds),
            agents: members.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            done(
                put_department(changed).await,
                w(lang, Word::DepartmentSaved),
            );
        });
    };
    let id = department.id.clone();
    let remove = move |_| {
        if !confirming.get_untracked() {
            confirming.set(true);
            return;
        }
        let id = id.clone();
        leptos::task::spawn_local(async move {
            done(
                remove_department(id).await,
                w(lang, Word::DepartmentRemoved),
            );
        });
    };
    let toggle = move |agent: AgentId, on: bool| {
        members.update(|list| {
            list.retain(|a| *a != agent);
            if on {
                list.push(agent);
            }
        })
    };
    view! {
        <li class="department" data-testid="department-row" data-department=department.id.clone()>
            <form on:submit=save>
                <div class="row-head">
                    <input class="department-name" data-testid="department-name" required
                        maxlength=MAX_DEPARTMENT_NAME_CHARS.to_string() aria-label=w(lang, Word::DepartmentName)
                        prop:value=department.name.clone() node_ref=name/>
                    <code class="department-id">{department.id.clone()}</code>
                </div>
                <div class="department-settings">
                    <RoutingSelect lang routing testid="department-routing"/>
                    <label>
                        {w(lang, Word::MaxChats)}
                        <input type="number" data-testid="department-max-chats" min="1"
                            max=MAX_CHATS_PER_AGENT.to_string() prop:value=department.max_chats.to_string()
                            node_ref=max_chats/>
                    </label>
                    <label>
                        {w(lang, Word::OfferSeconds)}
                        <input type="number" data-testid="department-offer-seconds"
                            min=OFFER_SECONDS.start().to_string() max=OFFER_SECONDS.end().to_string()
                            prop:value=department.offer_seconds.to_string() node_ref=offer_seconds/>
                    </label>
                </div>
                <fieldset class="department-agents">
                    <legend>{w(lang, Word::DepartmentAgents)}</legend>
                    <For each=move || agents.get() key=|a| a.id let:agent>
                        <label class="check">
                            <input type="checkbox" data-testid="department-agent" data-username=agent.username.clone()
                                prop:checked=move || members.with(|m| m.contains(&agent.id))
                                on:change=move |ev| toggle(agent.id, event_target_checked(&ev))/>
                            {agent.name.clone()}
                        </label>
                    </For>
                </fieldset>
                <div class="actions">
                    <button type="submit" data-testid="department-save">{t(lang, Key::Save)}</button>
                    <button type="button" class="danger" data-testid="department-remove" on:click=remove>
                        {move || t(lang, if confirming.get() { Key::ConfirmRemove } else { Key::Remove })}
                    </button>
                </div>
            </form>
        </li>
    }
    .into_any()
}
