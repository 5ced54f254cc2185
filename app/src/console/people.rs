//! Who is here now: the visitors on the site and the other agents, each of whom
//! can be picked for a multi-party conversation (agents only while online). The
//! bar that sends the request shows only once someone is picked.

use super::{duration_text, status_key, Desk};
use crate::api::{invite_to_conversation, request_conversation};
use crate::i18n::{shown_name, t, tf, Key};
use crate::ids::ConversationId;
use crate::protocol::{AgentStatus, VisitorInfo, MAX_VISITOR_FILTER_CHARS, VISITOR_PAGE};
use leptos::prelude::*;

/// Sends the multi-party conversation request (server function) to everyone
/// picked, or with `into` invites them into that open group conversation.
pub fn invite(desk: Desk, into: Option<ConversationId>) {
    let visitors = desk.picked_visitors.get_untracked();
    let agents = desk.picked_agents.get_untracked();
    leptos::task::spawn_local(async move {
        let sent = match into {
            None => request_conversation(visitors, agents).await.map(Some),
            Some(id) => invite_to_conversation(id, visitors, agents)
                .await
                .map(|()| None),
        };
        match sent {
            Ok(created) => {
                desk.picked_visitors.set(Vec::new());
                desk.picked_agents.set(Vec::new());
                if let Some(id) = created {
                    desk.focus_next.set(Some(id));
                    desk.open(Some(id));
                }
            }
            Err(err) => desk.error.set(Some(err)),
        }
    });
}

fn toggle<T: PartialEq + Copy + Send + Sync + 'static>(list: RwSignal<Vec<T>>, item: T, on: bool) {
    list.update(|p| {
        p.retain(|x| *x != item);
        if on {
            p.push(item)
        }
    });
}

#[component]
pub fn People(desk: Desk) -> impl IntoView {
    let lang = desk.lang;
    let my_id = desk.me;
    let other_agents = move || {
        desk.agents.with(|list| {
            list.iter()
                .filter(|a| a.id != my_id)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let picked = move || desk.picked_visitors.with(Vec::len) + desk.picked_agents.with(Vec::len);

    let on_site = move || desk.visitor_counts.get().0;
    let matching = move || desk.visitor_counts.get().1;
    let filtering = move || desk.visitor_filter.with(|f| !f.trim().is_empty());
    // The page the server lists (those followed from elsewhere come beside it).
    let listed = move || matching().min(VISITOR_PAGE as u32);
    let searchable = move || filtering() || on_site() as usize > VISITOR_PAGE;
    let none_match = move || filtering() && matching() == 0 && on_site() != 0;
    let more = move || matching() > listed();
    let visitors = view! {
        <section class="visitors">
            <h2>{t(lang, Key::VisitorsNow)}
                <span class="count" data-testid="visitor-count" hidden=move || on_site() == 0>{on_site}</span>
            </h2>
            <Show when=move || on_site() == 0>
                <p class="empty">{t(lang, Key::NoVisitors)}</p>
            </Show>
            // Only worth having once the list no longer shows everyone.
            <Show when=searchable>
                <input type="search" class="visitor-filter" data-testid="visitor-filter"
                    maxlength=MAX_VISITOR_FILTER_CHARS.to_string()
                    placeholder=t(lang, Key::FindVisitors) aria-label=t(lang, Key::FindVisitors)
                    prop:value=move || desk.visitor_filter.get()
                    on:input=move |ev| desk.visitor_filter.set(event_target_value(&ev))/>
            </Show>
            <Show when=none_match>
                <p class="empty">{t(lang, Key::NoVisitorMatches)}</p>
            </Show>
            <Show when=more>
                <p class="more" data-testid="visitors-more">
                    {move || tf(lang, Key::VisitorsShown, &[&listed().to_string(), &matching().to_string()])}
                </p>
            </Show>
            <ul>
                <For each=move || desk.visitors.get() key=|v| (v.id, v.page.load_id, v.pages_viewed, v.in_chat, v.verified, v.name.clone()) let:v>
                    <VisitorRow desk visitor=v/>
                </For>
            </ul>
        </section>
    }
    .into_any();
    let agents = view! {
        <section class="agents">
            <h2>{t(lang, Key::Agents)}</h2>
            <ul>
                <For each=other_agents key=|a| (a.id, a.status, a.name.clone()) let:a>
                    <li class="agent-row" data-testid="agent-row" data-agent-id=a.id.to_string()
                        data-status=a.status.as_str()>
                        // Only agents online now may be picked.
                        {(a.status == AgentStatus::Online).then(|| view! {
                            <input type="checkbox" data-testid="select-checkbox" aria-label=t(lang, Key::Pick)
                                prop:checked=move || desk.picked_agents.with(|p| p.contains(&a.id))
                                on:change=move |ev| toggle(desk.picked_agents, a.id, event_target_checked(&ev))/>
                        })}
                        <span class=format!("dot {}", a.status.as_str()) aria-hidden="true"></span>
                        <span class="name">{a.name.clone()}</span>
                        <span class="status">{t(lang, status_key(a.status))}</span>
                    </li>
                </For>
            </ul>
            <Show when=move || desk.agents.with(|list| list.iter().all(|a| a.id == my_id))>
                <p class="empty">{t(lang, Key::NoOtherAgents)}</p>
            </Show>
        </section>
    }
    .into_any();
    let bar = view! {
        <div class="invite-bar" hidden=move || picked() == 0>
            <button type="button" data-testid="invite-button" on:click=move |_| invite(desk, None)>
                {move || tf(lang, Key::StartWithPicked, &[&picked().to_string()])}
            </button>
            <button type="button" class="clear" data-testid="clear-selection"
                on:click=move |_| { desk.picked_visitors.set(Vec::new()); desk.picked_agents.set(Vec::new()); }>
                {t(lang, Key::ClearSelection)}
            </button>
        </div>
    }
    .into_any();
    view! {
        <div class="people">
            {visitors}
            {agents}
            {bar}
        </div>
    }
    .into_any()
}

#[component]
fn VisitorRow(desk: Desk, visitor: VisitorInfo) -> impl IntoView {
    let lang = desk.lang;
    let id = visitor.id;
    let since = visitor.visit_started_ms;
    let page = visitor.page;
    // Only a department the company has: a page may name any.
    let department = desk.department_name(&page.department);
    let website = desk.website_name(&page.url);
    view! {
        <li class="visitor-row" data-testid="visitor-row" data-visitor-id=id.to_string()
            data-in-chat=visitor.in_chat.to_string()
            class:selected=move || desk.selected_visitor.get() == Some(id)>
            <input type="checkbox" data-testid="select-checkbox" aria-label=t(lang, Key::Pick)
                prop:checked=move || desk.picked_visitors.with(|p| p.contains(&id))
                on:change=move |ev| toggle(desk.picked_visitors, id, event_target_checked(&ev))/>
            <button type="button" class="visitor-open" on:click=move |_| desk.selected_visitor.set(Some(id))>
                <strong class="name">{shown_name(lang, &visitor.name)}</strong>
                {visitor.verified.then(|| view! {
                    <span class="tag verified" data-testid="visitor-verified"
                        title=t(lang, Key::VerifiedHint)>{t(lang, Key::Verified)}</span>
                })}
                {visitor.in_chat.then(|| view! { <span class="tag">{t(lang, Key::InChat)}</span> })}
                {department.map(|name| view! { <span class="tag department-tag" data-testid="visitor-department">{name}</span> })}
                {website.map(|name| view! { <span class="tag website-tag" data-testid="visitor-website">{name}</span> })}
                <span class="page-title">{page.title}</span>
                <span class="page-url">{page.url}</span>
                <span class="meta">
                    {tf(lang, Key::PagesViewed, &[&visitor.pages_viewed.to_string()])}
                    " · "
                    {move || tf(lang, Key::OnSiteFor, &[&duration_text(lang, desk.clock.0.get() - since)])}
                </span>
                {(!page.referrer.is_empty()).then(|| view! {
                    <span class="referrer">{tf(lang, Key::CameFrom, &[&page.referrer])}</span>
                })}
            </button>
        </li>
    }
}
