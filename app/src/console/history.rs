//! Past conversations, in a view of their own: on the left the search box, the
//! filters (agent, visitor, dates, rating) and what matches, newest first; on
//! the right the conversation picked, read back in full with its notes and
//! ratings, scrolled to the message a search found. [`EarlierChats`] lists a
//! visitor's earlier conversations in the details panel.

use super::words::{w, wf, Word};
use super::{rating_line, Desk, View};
use crate::api::{
    history, read_past_conversation, read_past_entries, search_messages, HistoryCursor,
    HistoryFilter, PastConversation, RatingFilter, SearchHit,
};
use crate::components::entry;
use crate::i18n::{shown_name, t, Key, Lang};
use crate::ids::{ConversationId, Participant, VisitorId};
use crate::protocol::{ChatMessage, ConversationState, ParticipantInfo, Visibility};
use crate::time::{local_midnight_ms, TimeStamp};
use leptos::prelude::*;

/// A past conversation to read, and the entry a search found in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PastPick {
    pub id: ConversationId,
    pub seq: Option<u64>,
}

/// Opens the history view on one conversation.
pub fn open_past(desk: Desk, id: ConversationId, seq: Option<u64>) {
    desk.past.set(Some(PastPick { id, seq }));
    desk.view.set(View::History);
}

fn state_word(state: ConversationState) -> Word {
    match state {
        ConversationState::Queued => Word::Missed,
        ConversationState::Active => Word::Ongoing,
        ConversationState::Closed => Word::Closed,
    }
}

/// Who took part, visitors first.
fn people_names(lang: Lang, people: &[ParticipantInfo]) -> String {
    let mut sorted: Vec<&ParticipantInfo> = people.iter().collect();
    sorted.sort_by_key(|p| p.participant.is_agent());
    sorted
        .iter()
        .map(|p| shown_name(lang, &p.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The filters as the agent set them, read into what the server takes.
#[derive(Clone, Copy)]
struct Filters {
    agent: RwSignal<String>,
    visitor_name: RwSignal<String>,
    from: RwSignal<String>,
    to: RwSignal<String>,
    rating: RwSignal<String>,
}

impl Filters {
    fn new() -> Self {
        Filters {
            agent: RwSignal::new(String::new()),
            visitor_name: RwSignal::new(String::new()),
            from: RwSignal::new(String::new()),
            to: RwSignal::new(String::new()),
            rating: RwSignal::new(String::new()),
        }
    }

    fn read(&self) -> HistoryFilter {
        let name = self.visitor_name.get();
        HistoryFilter {
            agent: self.agent.get().parse().ok(),
            visitor: None,
            visitor_name: (!name.trim().is_empty()).then(|| name.trim().to_owned()),
            from_ms: local_midnight_ms(&self.from.get(), 0),
            // Until the end of that day.
            to_ms: local_midnight_ms(&self.to.get(), 1),
            rating: RatingFilter::parse(&self.rating.get()),
        }
    }
}

/// What the list shows: conversations, or the messages a search found.
#[derive(Clone, Debug, PartialEq)]
enum Found {
    Loading,
    Conversations(Vec<PastConversation>, Option<HistoryCursor>),
    Hits(Vec<SearchHit>),
}

#[component]
pub fn HistoryPanel(desk: Desk) -> impl IntoView {
    let lang = desk.lang;
    let filters = Filters::new();
    let query = RwSignal::new(String::new());
    let found = RwSignal::new(Found::Loading);
    // Answers to an older request than the newest are dropped.
    let asked = StoredValue::new(0u64);
    let shown = move || desk.view.get() == View::History;
    Effect::new(move |_| {
        if !shown() {
            return;
        }
        let filter = filters.read();
        let text = query.get();
        let ticket = asked.get_value() + 1;
        asked.set_value(ticket);
        leptos::task::spawn_local(async move {
            let result = if text.trim().is_empty() {
                history(filter, None)
                    .await
                    .map(|page| Found::Conversations(page.conversations, page.next))
            } else {
                search_messages(text, filter).await.map(Found::Hits)
            };
            if asked.get_value() != ticket {
                return;
            }
            match result {
                Ok(list) => found.set(list),
                Err(err) => desk.error.set(Some(err)),
            }
        });
    });
    let show_more = move |after: HistoryCursor| {
        let filter = filters.read_untracked();
        let ticket = asked.get_value();
        leptos::task::spawn_local(async move {
            match history(filter, Some(after)).await {
                Ok(page) if asked.get_value() == ticket => found.update(|found| {
                    if let Found::Conversations(list, next) = found {
                        list.extend(page.conversations);
                        *next = page.next;
                    }
                }),
                Ok(_) => {}
                Err(err) => desk.error.set(Some(err)),
            }
        });
    };

    let agent_options = move || {
        desk.agents
            .get()
            .into_iter()
            .map(|a| view! { <option value=a.id.to_string()>{a.name}</option> })
            .collect_view()
    };
    let bind =
        |signal: RwSignal<String>| move |ev: leptos::ev::Event| signal.set(event_target_value(&ev));
    let picked = move || desk.past.get().map(|p| p.id);

    let list = move || {
        match found.get() {
        Found::Loading => view! { <p class="loading">"…"</p> }.into_any(),
        Found::Conversations(list, _) if list.is_empty() => {
            view! { <p class="empty">{w(lang, Word::NoHistory)}</p> }.into_any()
        }
        Found::Conversations(list, next) => view! {
            <ul class="history-items">
                {list.into_iter().map(|c| {
                    let id = c.id;
                    let bad = c.ratings.iter().any(|r| !r.good);
                    let good = c.ratings.iter().any(|r| r.good);
                    view! {
                        <li>
                            <button type="button" class="history-item" data-testid="history-item"
                                data-conversation-id=id.to_string()
                                class:active=move || picked() == Some(id)
                                on:click=move |_| open_past(desk, id, None)>
                                <span class="who">{people_names(lang, &c.people)}</span>
                                <span class="when"><TimeStamp lang at_ms=c.started_ms/></span>
                                <span class="tags">
                                    <span class="tag" data-state=format!("{:?}", c.state).to_lowercase()>{w(lang, state_word(c.state))}</span>
                                    {good.then(|| view! { <span class="tag good">{w(lang, Word::RatedGoodFilter)}</span> })}
                                    {bad.then(|| view! { <span class="tag bad">{w(lang, Word::RatedBadFilter)}</span> })}
                                </span>
                                <span class="preview">{c.first_message}</span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {next.map(|after| view! {
                <button type="button" class="more" data-testid="history-more"
                    on:click=move |_| show_more(after)>{w(lang, Word::ShowMore)}</button>
            })}
        }
        .into_any(),
        Found::Hits(hits) if hits.is_empty() => {
            view! { <p class="empty">{w(lang, Word::NoResults)}</p> }.into_any()
        }
        Found::Hits(hits) => view! {
            <ul class="history-items">
                {hits.into_iter().map(|hit| {
                    let (id, seq) = (hit.conversation_id, hit.seq);
                    let note = hit.visibility == Visibility::Agents;
                    let author = hit.author.map(|a| shown_name(lang, &a.name)).unwrap_or_default();
                    view! {
                        <li>
                            <button type="button" class="history-item hit" data-testid="search-result"
                                data-conversation-id=id.to_string() data-seq=seq
                                class:note=note
                                on:click=move |_| open_past(desk, id, Some(seq))>
                                <span class="who">{people_names(lang, &hit.people)}</span>
                                <span class="when"><TimeStamp lang at_ms=hit.at_ms/></span>
                                <span class="preview">
                                    <b>{author}</b>
                                    {note.then(|| view! { <span class="note-badge">{w(lang, Word::NoteHit)}</span> })}
                                    ": " {hit.text}
                                </span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any(),
    }
    };

    view! {
        <section class="history view-panel" data-testid="history-view">
            <div class="history-list">
                <h2>{w(lang, Word::History)}</h2>
                <form class="history-filters" role="search" on:submit=|ev| ev.prevent_default()>
                    <label class="search">
                        <span class="sr-only">{w(lang, Word::SearchMessages)}</span>
                        <input type="search" data-testid="search-input"
                            placeholder=w(lang, Word::SearchPlaceholder)
                            aria-label=w(lang, Word::SearchMessages)
                            prop:value=move || query.get()
                            on:input=move |ev| query.set(event_target_value(&ev))/>
                    </label>
                    <fieldset>
                        <legend class="sr-only">{w(lang, Word::Filters)}</legend>
                        <select data-testid="history-agent" aria-label=t(lang, Key::RoleAgent)
                            on:change=bind(filters.agent)>
                            <option value="">{w(lang, Word::AnyAgent)}</option>
                            {agent_options}
                        </select>
                        <input data-testid="history-visitor" placeholder=w(lang, Word::VisitorName)
                            aria-label=w(lang, Word::VisitorName) maxlength="80"
                            on:input=bind(filters.visitor_name)/>
                        <label>{w(lang, Word::FromDate)}
                            <input type="date" data-testid="history-from" on:change=bind(filters.from)/></label>
                        <label>{w(lang, Word::ToDate)}
                            <input type="date" data-testid="history-to" on:change=bind(filters.to)/></label>
                        <select data-testid="history-rating" aria-label=w(lang, Word::AnyRating)
                            on:change=bind(filters.rating)>
                            <option value="">{w(lang, Word::AnyRating)}</option>
                            <option value="good">{w(lang, Word::RatedGoodFilter)}</option>
                            <option value="bad">{w(lang, Word::RatedBadFilter)}</option>
                            <option value="unrated">{w(lang, Word::NotRated)}</option>
                        </select>
                    </fieldset>
                </form>
                {list}
            </div>
            <PastReader desk/>
        </section>
    }
    .into_any()
}

impl Filters {
    fn read_untracked(&self) -> HistoryFilter {
        untrack(|| self.read())
    }
}

/// The conversation picked in the history, read back in full.
#[component]
fn PastReader(desk: Desk) -> impl IntoView {
    let lang = desk.lang;
    let me = Some(Participant::Agent(desk.me));
    let conversation = RwSignal::new(None::<PastConversation>);
    let entries = RwSignal::new(Vec::<ChatMessage>::new());
    let list: NodeRef<leptos::html::Ol> = NodeRef::new();
    Effect::new(move |_| {
        let Some(pick) = desk.past.get() else {
            return;
        };
        conversation.set(None);
        entries.set(Vec::new());
        leptos::task::spawn_local(async move {
            let loaded = async {
                let past = read_past_conversation(pick.id).await?;
                let mut all = Vec::new();
                loop {
                    let after = all.last().map_or(0, |m: &ChatMessage| m.seq);
                    let page = read_past_entries(pick.id, after).await?;
                    all.extend(page.messages);
                    if !page.more {
                        break;
                    }
                }
                Ok::<_, crate::api::ApiError>((past, all))
            };
            match loaded.await {
                // Another pick while this one loaded: that one shows.
                _ if desk.past.get_untracked() != Some(pick) => {}
                Ok((past, all)) => {
                    conversation.set(Some(past));
                    entries.set(all);
                    reveal(list, pick.seq);
                }
                Err(err) => desk.error.set(Some(err)),
            }
        });
    });
    move || {
        match conversation.get() {
        None => view! { <div class="history-reader"><p class="empty">{w(lang, Word::PickFromHistory)}</p></div> }.into_any(),
        Some(c) => view! {
            <article class="history-reader" data-testid="past-conversation" data-conversation-id=c.id.to_string()>
                <header>
                    <h3>{people_names(lang, &c.people)} {super::transcript_link(lang, c.id)}</h3>
                    <p class="when">
                        <TimeStamp lang at_ms=c.started_ms/>
                        " · " {w(lang, state_word(c.state))}
                        " · " {wf(lang, Word::Entries, &[&c.last_seq.to_string()])}
                    </p>
                </header>
                {c.ratings.iter().map(|r| rating_line(lang, r)).collect_view()}
                <ol class="messages" node_ref=list>
                    {move || entries.get().into_iter().map(|m| entry(lang, m, me)).collect_view()}
                </ol>
            </article>
        }
        .into_any(),
    }
    }
}

/// Scrolls the entry `seq` into view and marks it, once it is in the page.
fn reveal(list: NodeRef<leptos::html::Ol>, seq: Option<u64>) {
    let Some(seq) = seq else {
        return;
    };
    request_animation_frame(move || {
        let Some(ol) = list.try_get_untracked().flatten() else {
            return;
        };
        if let Ok(Some(found)) = ol.query_selector(&format!("[data-seq=\"{seq}\"]")) {
            found.scroll_into_view();
            if let Ok(Some(item)) = found.closest("li") {
                let _ = item.set_attribute("data-found", "true");
            }
        }
    });
}

/// A visitor's earlier conversations, for the details panel; each opens in the
/// history view.
#[component]
pub fn EarlierChats(
    desk: Desk,
    visitor: VisitorId,
    /// The visitor's name as shown.
    name: String,
    /// The conversation open now, left out of the list.
    current: Option<ConversationId>,
) -> impl IntoView {
    let lang = desk.lang;
    let earlier = RwSignal::new(None::<Vec<PastConversation>>);
    Effect::new(move |_| {
        let filter = HistoryFilter {
            visitor: Some(visitor),
            ..Default::default()
        };
        leptos::task::spawn_local(async move {
            if let Ok(page) = history(filter, None).await {
                earlier.set(Some(
                    page.conversations
                        .into_iter()
                        .filter(|c| Some(c.id) != current)
                        .collect(),
                ));
            }
        });
    });
    view! {
        <section class="earlier-chats" data-testid="earlier-chats">
            <h4>{w(lang, Word::EarlierChats)}<span class="whose">{name}</span></h4>
            {move || earlier.get().map(|list| if list.is_empty() {
                view! { <p class="empty">{w(lang, Word::NoEarlierChats)}</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {list.into_iter().map(|c| {
                            let id = c.id;
                            view! {
                                <li>
                                    <button type="button" class="link" data-testid="earlier-chat"
                                        data-conversation-id=id.to_string()
                                        on:click=move |_| open_past(desk, id, None)>
                                        <TimeStamp lang at_ms=c.started_ms/>
                                        <span class="preview">{c.first_message}</span>
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            })}
        </section>
    }
    .into_any()
}
