//! Canned replies in the composer: the button beside "Send" opens the list (with
//! the form that adds one); typing `/` and a shortcut in the message box offers
//! the replies it starts, and Enter on an exact shortcut puts that reply in the
//! box. A reply's placeholders become the visitor's and the agent's names
//! ([`crate::api::expand`]) before the agent sends it.

use super::words::{w, Word};
use super::Desk;
use crate::api::{add_canned_reply, expand, offered, remove_canned_reply, CannedReply};
use crate::ids::CannedReplyId;
use leptos::prelude::*;

/// The picker's state for one conversation's compose box.
#[derive(Clone, Copy)]
pub struct Canned {
    pub draft: RwSignal<String>,
    /// Opened with the button (the whole list and the form), not by a `/`.
    pub open: RwSignal<bool>,
}

impl Default for Canned {
    fn default() -> Self {
        Self::new()
    }
}

impl Canned {
    pub fn new() -> Self {
        Canned {
            draft: RwSignal::new(String::new()),
            open: RwSignal::new(false),
        }
    }

    /// Puts a reply in the compose box, its names filled in.
    pub fn insert(&self, reply: &CannedReply, visitor: &str, agent: &str) {
        self.draft.set(expand(&reply.text, visitor, agent));
        self.open.set(false);
    }
}

/// The list of replies (above the compose box) and the form for a new one.
#[component]
pub fn CannedPanel(
    desk: Desk,
    canned: Canned,
    /// The names of the visitors in the conversation, for `{visitor}`.
    #[prop(into)]
    visitor: Signal<String>,
) -> impl IntoView {
    let lang = desk.lang;
    let agent_name = desk.me_name;
    // What the list shows: `None` hides it.
    let shown = move || -> Option<Vec<CannedReply>> {
        let all = desk.canned.get();
        if canned.open.get() {
            return Some(all);
        }
        canned
            .draft
            .with(|draft| offered(&all, draft).map(|list| list.into_iter().cloned().collect()))
    };
    let pick = move |reply: CannedReply| {
        canned.insert(&reply, &visitor.get_untracked(), &agent_name.get_value());
    };
    let remove = move |id: CannedReplyId| {
        leptos::task::spawn_local(async move {
            match remove_canned_reply(id).await {
                Ok(()) => desk.canned.update(|list| list.retain(|r| r.id != id)),
                Err(err) => desk.error.set(Some(err)),
            }
        });
    };
    move || {
        shown().map(|list| {
            let empty = list.is_empty();
            let typed = !canned.open.get();
            view! {
                <div class="canned-panel" data-testid="canned-panel" role="region"
                    aria-label=w(lang, Word::CannedReplies)>
                    <ul>
                        {list.into_iter().map(|reply| {
                            let removable = !reply.shared || desk.admin;
                            let id = reply.id;
                            let picked = reply.clone();
                            view! {
                                <li>
                                    <button type="button" class="canned-item" data-testid="canned-item"
                                        data-shortcut=reply.shortcut.clone()
                                        on:mousedown=|ev| ev.prevent_default()
                                        on:click=move |_| pick(picked.clone())>
                                        <span class="shortcut">"/" {reply.shortcut.clone()}</span>
                                        {reply.shared.then(|| view! { <span class="tag">{w(lang, Word::SharedTag)}</span> })}
                                        <span class="text">{reply.text.clone()}</span>
                                    </button>
                                    {(removable && !typed).then(|| view! {
                                        <button type="button" class="canned-remove" data-testid="canned-remove"
                                            aria-label=format!("{} /{}", w(lang, Word::RemoveReply), reply.shortcut)
                                            on:click=move |_| remove(id)>"×"</button>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    {empty.then(|| view! {
                        <p class="empty">{w(lang, if typed { Word::NoCannedMatch } else { Word::NoCannedReplies })}</p>
                    })}
                    {(!typed).then(|| view! { <NewReply desk/> })}
                </div>
            }
        })
    }
}

/// The form that adds a reply: the agent's own, or (admins) the team's.
#[component]
fn NewReply(desk: Desk) -> impl IntoView {
    let lang = desk.lang;
    let shortcut = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let shared = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let (s, t, sh) = (
            shortcut.get_untracked(),
            text.get_untracked(),
            shared.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match add_canned_reply(s, t, sh).await {
                Ok(reply) => {
                    desk.canned.update(|list| list.push(reply));
                    shortcut.set(String::new());
                    text.set(String::new());
                }
                Err(err) => desk.error.set(Some(err)),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="canned-new" on:submit=save>
            <p class="canned-title">{w(lang, Word::AddCannedReply)}</p>
            <p class="hint">{w(lang, Word::CannedHint)}</p>
            <label>{w(lang, Word::Shortcut)}
                <input data-testid="canned-new-shortcut" required maxlength="32"
                    prop:value=move || shortcut.get()
                    on:input=move |ev| shortcut.set(event_target_value(&ev))/>
            </label>
            <label>{w(lang, Word::ReplyText)}
                <textarea data-testid="canned-new-text" required rows="2" maxlength="4000"
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            </label>
            {desk.admin.then(|| view! {
                <label class="shared">
                    <input type="checkbox" data-testid="canned-new-shared"
                        prop:checked=move || shared.get()
                        on:change=move |ev| shared.set(event_target_checked(&ev))/>
                    {w(lang, Word::SharedWithTeam)}
                </label>
            })}
            <button type="submit" data-testid="canned-new-save" disabled=move || busy.get()>
                {crate::i18n::t(lang, crate::i18n::Key::Save)}
            </button>
        </form>
    }
}

/// The button beside "Send" that opens the list.
#[component]
pub fn CannedButton(desk: Desk, canned: Canned) -> impl IntoView {
    let lang = desk.lang;
    view! {
        <button type="button" class="canned-open" data-testid="canned-button"
            aria-expanded=move || canned.open.get().to_string()
            title=w(lang, Word::CannedReplies)
            on:click=move |_| canned.open.update(|o| *o = !*o)>
            "/"
        </button>
    }
}
