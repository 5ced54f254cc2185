//! The console's privacy panel, for admins, under the team view: how long
//! closed conversations are kept, and a visitor's data on request: found by
//! name, e-mail address, the site's user id or id, exported as JSON (a
//! download of `/visitors/{id}/export.json`) or deleted after a confirmation.

use crate::admin::value_of;
use crate::api::{
    delete_visitor, find_visitors, retention_days, set_retention_days, ApiError, VisitorDeleted,
    VisitorFound, MAX_RETENTION_DAYS,
};
use crate::components::ErrorToast;
use crate::console::words::{w, wf, Word};
use crate::error::ErrorCode;
use crate::i18n::{shown_name, Lang};
use crate::ids::VisitorId;
use leptos::prelude::*;

/// The retention period typed: empty is `None` (kept), a whole number of days
/// in range is `Some`; anything else is refused before it is sent.
fn typed_days(text: &str) -> Result<Option<u32>, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(days) if (1..=MAX_RETENTION_DAYS).contains(&days) => Ok(Some(days)),
        _ => Err(ApiError {
            code: ErrorCode::InvalidField,
            detail: Some("days".to_owned()),
        }),
    }
}

#[component]
pub fn PrivacyPanel(lang: Lang) -> impl IntoView {
    let error = RwSignal::new(None::<ApiError>);
    view! {
        <section class="privacy view-panel" data-testid="privacy-panel">
            <h2>{w(lang, Word::Privacy)}</h2>
            <p class="hint">{w(lang, Word::PrivacyHint)}</p>
            <ErrorToast lang error/>
            <Retention lang error/>
            <FindVisitor lang error/>
        </section>
    }
    .into_any()
}

#[component]
fn Retention(lang: Lang, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let days: NodeRef<leptos::html::Input> = NodeRef::new();
    let kept = RwSignal::new(None::<u32>);
    let saved = RwSignal::new(None::<Option<u32>>);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            match retention_days().await {
                Ok(value) => kept.set(value),
                Err(err) => error.set(Some(err)),
            }
        });
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(None);
        let value = match typed_days(&value_of(days)) {
            Ok(value) => value,
            Err(err) => {
                error.set(Some(err));
                return;
            }
        };
        leptos::task::spawn_local(async move {
            match set_retention_days(value).await {
                Ok(()) => {
                    error.set(None);
                    kept.set(value);
                    saved.set(Some(value));
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    view! {
        <form class="retention" on:submit=save>
            <label>
                {w(lang, Word::RetentionLabel)}
                <input type="number" min="1" max=MAX_RETENTION_DAYS.to_string() inputmode="numeric"
                    data-testid="retention-days" node_ref=days
                    placeholder=w(lang, Word::RetentionKeep)
                    prop:value=move || kept.get().map(|d| d.to_string()).unwrap_or_default()/>
                {w(lang, Word::RetentionDays)}
            </label>
            <button type="submit" data-testid="retention-save">{crate::i18n::t(lang, crate::i18n::Key::Save)}</button>
            <p class="hint">{w(lang, Word::RetentionHint)}</p>
            {move || saved.get().map(|value| view! {
                <p class="notice" data-testid="retention-notice">{match value {
                    Some(days) => wf(lang, Word::RetentionSaved, &[&days.to_string()]),
                    None => w(lang, Word::RetentionOff).to_owned(),
                }}</p>
            })}
        </form>
    }
}

#[component]
fn FindVisitor(lang: Lang, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let query: NodeRef<leptos::html::Input> = NodeRef::new();
    // `None` until a search was made.
    let found = RwSignal::new(None::<Vec<VisitorFound>>);
    let confirming = RwSignal::new(None::<VisitorId>);
    let deleted = RwSignal::new(None::<VisitorDeleted>);
    let search = move || {
        let text = value_of(query);
        leptos::task::spawn_local(async move {
            match find_visitors(text).await {
                Ok(list) => {
                    error.set(None);
                    found.set(Some(list));
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        deleted.set(None);
        confirming.set(None);
        search();
    };
    let erase = move |id: VisitorId| {
        leptos::task::spawn_local(async move {
            match delete_visitor(id).await {
                Ok(counts) => {
                    error.set(None);
                    confirming.set(None);
                    deleted.set(Some(counts));
                    found.update(|list| {
                        if let Some(list) = list {
                            list.retain(|v| v.id != id);
                        }
                    });
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let row = move |visitor: VisitorFound| {
        let id = visitor.id;
        let name = shown_name(lang, &visitor.name);
        let confirm_name = name.clone();
        let details = [
            Some(wf(
                lang,
                Word::FirstSeen,
                &[&crate::time::full(lang, visitor.first_seen_ms)],
            )),
            Some(wf(
                lang,
                Word::ConversationsCount,
                &[&visitor.conversations.to_string()],
            )),
            visitor.user_id.clone(),
        ]
        .into_iter()
        .flatten()
        .chain(visitor.emails.iter().cloned())
        .map(|detail| view! { <span>{detail}</span> })
        .collect_view();
        view! {
            <li class="privacy-visitor" data-testid="privacy-visitor" data-visitor=id.to_string()>
                <div class="who">
                    <strong data-testid="privacy-visitor-name">{name}</strong>
                    <code class="id">{id.to_string()}</code>
                </div>
                <div class="details">{details}</div>
                <div class="actions">
                    <a href=format!("/visitors/{id}/export.json") download data-testid="privacy-export">
                        {w(lang, Word::ExportJson)}
                    </a>
                    <button type="button" class="danger" data-testid="privacy-delete"
                        on:click=move |_| confirming.set(Some(id))>
                        {w(lang, Word::DeleteData)}
                    </button>
                </div>
                <Show when=move || confirming.get() == Some(id)>
                    <div class="confirm" role="alertdialog" data-testid="privacy-confirm">
                        <p>{wf(lang, Word::ConfirmDeleteData, &[&confirm_name])}</p>
                        <button type="button" class="danger" data-testid="privacy-delete-confirm"
                            on:click=move |_| erase(id)>{w(lang, Word::DeleteForGood)}</button>
                        <button type="button" data-testid="privacy-delete-cancel"
                            on:click=move |_| confirming.set(None)>{w(lang, Word::Cancel)}</button>
                    </div>
                </Show>
            </li>
        }
    };
    view! {
        <form class="find-visitor" on:submit=on_submit>
            <input type="search" required data-testid="privacy-query" node_ref=query
                aria-label=w(lang, Word::FindVisitor) placeholder=w(lang, Word::FindVisitor)/>
            <button type="submit" data-testid="privacy-find">{w(lang, Word::Find)}</button>
        </form>
        {move || deleted.get().map(|d| view! {
            <p class="notice" data-testid="privacy-deleted">{wf(lang, Word::VisitorDataDeleted, &[
                &d.messages.to_string(),
                &d.conversations.to_string(),
                &d.files.to_string(),
                &d.offline_messages.to_string(),
            ])}</p>
        })}
        {move || match found.get() {
            None => ().into_any(),
            Some(list) if list.is_empty() => view! {
                <p class="empty" data-testid="privacy-none">{w(lang, Word::NoVisitorFound)}</p>
            }
            .into_any(),
            Some(list) => view! {
                <ul class="privacy-visitors">{list.into_iter().map(row).collect_view()}</ul>
            }
            .into_any(),
        }}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retention_period_is_empty_or_whole_days_in_range() {
        assert_eq!(typed_days(" ").unwrap(), None);
        assert_eq!(typed_days("30").unwrap(), Some(30));
        assert_eq!(typed_days("3650").unwrap(), Some(3650));
        for bad in ["0", "3651", "-1", "1.5", "a month"] {
            assert_eq!(
                typed_days(bad).unwrap_err().code,
                ErrorCode::InvalidField,
                "{bad}"
            );
        }
    }
}
