//! The console's departments, for admins, under the team view: each with its
//! routing (manual queue, round robin, least busy), the most chats routing gives
//! an agent at once, how long an offer waits, its agents, its opening hours and
//! its away message. The server checks the role and every field on each call.

use crate::admin::{clear, number_of, value_of};
use crate::api::{
    list_agents, put_department, remove_department, AgentView, ApiError, BusinessHours, Department,
    Opening, Routing, MAX_AWAY_MESSAGE_CHARS, MAX_CHATS_PER_AGENT, MAX_DEPARTMENT_ID_CHARS,
    MAX_DEPARTMENT_NAME_CHARS, MAX_TIME_ZONE_CHARS, MINUTES_PER_DAY, OFFER_SECONDS,
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

/// The days of the week, Monday first, as business hours keep them.
const WEEKDAYS: [Word; 7] = [
    Word::Monday,
    Word::Tuesday,
    Word::Wednesday,
    Word::Thursday,
    Word::Friday,
    Word::Saturday,
    Word::Sunday,
];

/// Minutes after midnight as a time input shows them; the end of the day is
/// midnight, `00:00`.
fn clock(minutes: u16) -> String {
    let minutes = minutes % MINUTES_PER_DAY;
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A time input's `HH:MM` in minutes after midnight. As a closing time, `00:00`
/// is the end of the day.
fn minutes_of(text: &str, closing: bool) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.get(..2)?.parse().ok()?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    match hours * 60 + minutes {
        0 if closing => Some(MINUTES_PER_DAY),
        at => Some(at),
    }
}

/// Hours to start from: Monday to Friday, 9:00 to 17:00, here.
fn office_hours() -> BusinessHours {
    let day = Some(Opening {
        opens: 9 * 60,
        closes: 17 * 60,
    });
    BusinessHours {
        time_zone: crate::time::browser_time_zone(),
        days: [day, day, day, day, day, None, None],
    }
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
            hours: None,
            away_message: String::new(),
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
    let hours = RwSignal::new(department.hours.clone());
    let away_message = RwSignal::new(department.away_message.clone());
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
            hours: hours.get_untracked(),
            away_message: away_message.get_untracked().trim().to_owned(),
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
                <HoursEditor lang hours/>
                <label class="away-message">
                    {w(lang, Word::AwayMessage)}
                    <textarea data-testid="department-away-message" rows="3"
                        maxlength=MAX_AWAY_MESSAGE_CHARS.to_string()
                        prop:value=move || away_message.get()
                        on:input=move |ev| away_message.set(event_target_value(&ev))></textarea>
                </label>
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

/// A department's opening hours: off (always open), or a time zone and, for
/// each day, whether it opens and from when to when.
#[component]
fn HoursEditor(lang: Lang, hours: RwSignal<Option<BusinessHours>>) -> impl IntoView {
    let set_day = move |day: usize, change: &dyn Fn(Option<Opening>) -> Option<Opening>| {
        hours.update(|h| {
            if let Some(h) = h {
                h.days[day] = change(h.days[day]);
            }
        })
    };
    let days = move || {
        WEEKDAYS
            .into_iter()
            .enumerate()
            .map(|(day, word)| {
                let opening = move || hours.with(|h| h.as_ref().and_then(|h| h.days[day]));
                view! {
                    <div class="day" data-testid="department-day" data-day=day.to_string()>
                        <label class="check">
                            <input type="checkbox" data-testid="department-day-open"
                                prop:checked=move || opening().is_some()
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    set_day(day, &|_| on.then_some(Opening { opens: 9 * 60, closes: 17 * 60 }));
                                }/>
                            {w(lang, word)}
                        </label>
                        <Show when=move || opening().is_some()>
                            <span class="times">
                            <input type="time" data-testid="department-day-opens" aria-label=w(lang, Word::Opens)
                                prop:value=move || opening().map(|o| clock(o.opens)).unwrap_or_default()
                                on:change=move |ev| {
                                    if let Some(at) = minutes_of(&event_target_value(&ev), false) {
                                        set_day(day, &|o| o.map(|o| Opening { opens: at, ..o }));
                                    }
                                }/>
                            <span aria-hidden="true">"–"</span>
                            <input type="time" data-testid="department-day-closes" aria-label=w(lang, Word::Closes)
                                prop:value=move || opening().map(|o| clock(o.closes)).unwrap_or_default()
                                on:change=move |ev| {
                                    if let Some(at) = minutes_of(&event_target_value(&ev), true) {
                                        set_day(day, &|o| o.map(|o| Opening { closes: at, ..o }));
                                    }
                                }/>
                            </span>
                        </Show>
                    </div>
                }
            })
            .collect_view()
    };
    view! {
        <fieldset class="department-hours">
            <legend>
                <label class="check">
                    <input type="checkbox" data-testid="department-hours-on"
                        prop:checked=move || hours.with(Option::is_some)
                        on:change=move |ev| hours.set(event_target_checked(&ev).then(office_hours))/>
                    {w(lang, Word::HoursOn)}
                </label>
            </legend>
            <Show when=move || hours.with(Option::is_some)>
                <label>
                    {w(lang, Word::TimeZone)}
                    <input data-testid="department-time-zone" required autocomplete="off"
                        maxlength=MAX_TIME_ZONE_CHARS.to_string() placeholder="Europe/Berlin"
                        prop:value=move || hours.with(|h| h.as_ref().map(|h| h.time_zone.clone()).unwrap_or_default())
                        on:change=move |ev| {
                            let zone = event_target_value(&ev).trim().to_owned();
                            hours.update(|h| if let Some(h) = h { h.time_zone = zone; });
                        }/>
                </label>
                <div class="days">{days}</div>
            </Show>
        </fieldset>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_and_show_as_a_time_input_writes_them() {
        assert_eq!(clock(9 * 60 + 5), "09:05");
        assert_eq!(clock(MINUTES_PER_DAY), "00:00");
        assert_eq!(minutes_of("09:05", false), Some(545));
        assert_eq!(minutes_of("17:30:00", true), Some(1050));
        assert_eq!(minutes_of("00:00", false), Some(0));
        assert_eq!(minutes_of("00:00", true), Some(MINUTES_PER_DAY));
        assert_eq!(minutes_of("24:00", true), None);
        assert_eq!(minutes_of("9", false), None);
        assert_eq!(minutes_of("", false), None);
    }
}
