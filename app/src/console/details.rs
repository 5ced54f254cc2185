//! The panel beside the open conversation: the details of each visitor in it (the
//! page they are on, pages viewed, time on site, the first page of the visit and
//! where they came from to it), and the conversation's participants and pending
//! invitations. With no conversation open, the visitor clicked in the list.

use super::history::EarlierChats;
use super::{duration_text, Desk};
use crate::i18n::{t, Key};
use crate::ids::{Participant, VisitorId};
use crate::protocol::{ConversationSummary, VisitorInfo};
use leptos::prelude::*;

/// Only web addresses become links; anything else a visitor's browser reported
/// stays text.
fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

fn page_link(url: String, label: String) -> AnyView {
    if is_web_url(&url) {
        view! { <a href=url target="_blank" rel="noopener noreferrer nofollow">{label}</a> }
            .into_any()
    } else {
        view! { <span>{label}</span> }.into_any()
    }
}

#[component]
pub fn Details(desk: Desk) -> impl IntoView {
    let lang = desk.lang;
    let summary = move || -> Option<ConversationSummary> {
        let id = desk.active.get()?;
        desk.session
            .store
            .with(|state| state.get(id).map(|c| c.summary.clone()))
    };
    // The visitors whose details to show: those in the open conversation, else
    // the one clicked in the list.
    let shown_visitors = move || -> Vec<(VisitorId, String)> {
        match summary() {
            Some(s) => {
                let current = s.participants.iter().filter_map(|p| match p.participant {
                    Participant::Visitor(id) => Some((id, p.name.clone())),
                    Participant::Agent(_) => None,
                });
                let mut list: Vec<_> = current.collect();
                if list.is_empty() {
                    // Everyone left: still show whom it was with.
                    let known = desk.active.get().and_then(|id| {
                        desk.session
                            .store
                            .with(|state| state.get(id).map(|c| c.known.clone()))
                    });
                    list = known
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|p| match p.participant {
                            Participant::Visitor(id) => Some((id, p.name)),
                            Participant::Agent(_) => None,
                        })
                        .collect();
                }
                list
            }
            None => desk
                .selected_visitor
                .get()
                .map(|id| (id, String::new()))
                .into_iter()
                .collect(),
        }
    };
    let live = move |id: VisitorId| -> Option<VisitorInfo> { desk.live_visitor(id) };

    let visitor_cards = move || {
        shown_visitors()
            .into_iter()
            .map(|(id, stored_name)| {
                let name = desk.name_of(Participant::Visitor(id), &stored_name);
                match live(id) {
                    Some(v) => {
                        let since = v.visit_started_ms;
                        let title = if v.page.title.is_empty() { v.page.url.clone() } else { v.page.title.clone() };
                        view! {
                            <article class="visitor-card" data-visitor-id=id.to_string()>
                                <h3>{name}
                                    {v.verified.then(|| view! {
                                        <span class="tag verified" data-testid="detail-verified"
                                            title=t(lang, Key::VerifiedHint)>{t(lang, Key::Verified)}</span>
                                    })}
                                </h3>
                                <dl>
                                    {(!v.email.is_empty()).then(|| view! {
                                        <dt>{t(lang, Key::VisitorEmail)}</dt>
                                        <dd data-testid="detail-email">{v.email.clone()}
                                            {(!v.verified).then(|| view! {
                                                <span class="unverified">{t(lang, Key::Unverified)}</span>
                                            })}
                                        </dd>
                                    })}
                                    <dt>{t(lang, Key::CurrentPage)}</dt>
                                    <dd data-testid="detail-page">{page_link(v.page.url.clone(), title)}
                                        <span class="url">{v.page.url.clone()}</span></dd>
                                    <dt>{t(lang, Key::PagesViewedLabel)}</dt>
                                    <dd data-testid="detail-pages-viewed">{v.pages_viewed}</dd>
                                    <dt>{t(lang, Key::TimeOnSite)}</dt>
                                    <dd data-testid="detail-time-on-site">{move || duration_text(lang, desk.clock.0.get() - since)}</dd>
                                    <dt>{t(lang, Key::LandingPage)}</dt>
                                    <dd data-testid="detail-landing">{page_link(v.landing.url.clone(), v.landing.url.clone())}</dd>
                                    <dt>{t(lang, Key::Referrer)}</dt>
                                    <dd data-testid="detail-referrer">{if v.landing.referrer.is_empty() {
                                        t(lang, Key::NoReferrer).to_owned().into_any()
                                    } else {
                                        page_link(v.landing.referrer.clone(), v.landing.referrer.clone())
                                    }}</dd>
                                </dl>
                            </article>
                        }
                        .into_any()
                    }
                    None => view! {
                        <article class="visitor-card gone" data-visitor-id=id.to_string()>
                            <h3>{name}</h3>
                            <p class="empty">{t(lang, Key::LeftSite)}</p>
                        </article>
                    }
                    .into_any(),
                }
            })
            .collect_view()
    };

    // Each visitor's earlier conversations, read again only when who is shown
    // (or the open conversation) changes.
    let shown_ids = Memo::new(move |_| {
        shown_visitors()
            .into_iter()
            .map(|(id, name)| (id, desk.name_of(Participant::Visitor(id), &name)))
            .collect::<Vec<_>>()
    });
    let earlier = move || {
        let current = desk.active.get();
        shown_ids
            .get()
            .into_iter()
            .map(|(visitor, name)| view! { <EarlierChats desk visitor name current/> })
            .collect_view()
    };

    let participants = move || {
        summary().map(|s| {
            let owner = s.owner;
            view! {
                <section class="participants-list">
                    <h3>{t(lang, Key::Participants)}</h3>
                    <ul>
                        {s.participants.into_iter().map(|p| {
                            let staff = p.participant.is_agent();
                            let is_owner = matches!(p.participant, Participant::Agent(a) if Some(a) == owner);
                            view! {
                                <li data-testid="detail-participant" data-role=if staff { "agent" } else { "visitor" }>
                                    <span class="name">{desk.name_of(p.participant, &p.name)}</span>
                                    <span class="tag" class:staff-badge=staff>{t(lang, if staff { Key::Staff } else { Key::VisitorRole })}</span>
                                    {is_owner.then(|| view! { <span class="tag owner">{t(lang, Key::Owner)}</span> })}
                                </li>
                            }
                        }).collect_view()}
                        {s.invitations.into_iter().map(|i| view! {
                            <li data-testid="detail-invitation" data-state=i.state.as_str() class="invited">
                                <span class="name">{desk.name_of(i.invitee, &i.invitee_name)}</span>
                                <span class="tag">{t(lang, Key::InvitedPending)}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
            }
        })
    };

    view! {
        <section class="details" data-testid="visitor-details" aria-label=t(lang, Key::Details)>
            <h2>{t(lang, Key::Details)}</h2>
            {visitor_cards}
            {earlier}
            {participants}
            <Show when=move || summary().is_none() && desk.selected_visitor.get().is_none()>
                <p class="empty">{t(lang, Key::PickForDetails)}</p>
            </Show>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_addresses_become_links() {
        assert!(is_web_url("https://shop.example.com/cart"));
        assert!(is_web_url("HTTP://example.com"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("data:text/html,hi"));
    }
}
