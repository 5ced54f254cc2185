//! The console's audit log, for admins, under the team view: who changed what
//! and when, newest first, a page at a time. Read only.

use crate::api::{audit_log, ApiError, AuditAction, AuditEntry, AUDIT_PAGE};
use crate::components::ErrorToast;
use crate::console::words::{w, Word};
use crate::i18n::Lang;
use leptos::prelude::*;

/// How an action is called in the console.
fn action_word(action: AuditAction) -> Word {
    match action {
        AuditAction::AgentAdded => Word::AuditAgentAdded,
        AuditAction::AgentRemoved => Word::AuditAgentRemoved,
        AuditAction::PasswordSet => Word::AuditPasswordSet,
        AuditAction::AgentEmailSet => Word::AuditAgentEmailSet,
        AuditAction::DepartmentSaved => Word::AuditDepartmentSaved,
        AuditAction::DepartmentRemoved => Word::AuditDepartmentRemoved,
        AuditAction::WebsiteSaved => Word::AuditWebsiteSaved,
        AuditAction::WebsiteRemoved => Word::AuditWebsiteRemoved,
        AuditAction::RuleSaved => Word::AuditRuleSaved,
        AuditAction::RuleRemoved => Word::AuditRuleRemoved,
        AuditAction::ApiTokenAdded => Word::AuditApiTokenAdded,
        AuditAction::ApiTokenRevoked => Word::AuditApiTokenRevoked,
        AuditAction::WebhookAdded => Word::AuditWebhookAdded,
        AuditAction::WebhookRemoved => Word::AuditWebhookRemoved,
        AuditAction::WebhookRedelivered => Word::AuditWebhookRedelivered,
        AuditAction::VisitorExported => Word::AuditVisitorExported,
        AuditAction::VisitorDeleted => Word::AuditVisitorDeleted,
        AuditAction::RetentionSet => Word::AuditRetentionSet,
    }
}

/// An entry's detail as people read JSON: indented, one field a line.
fn readable(detail: &str) -> String {
    serde_json::from_str::<serde_json::Value>(detail)
        .and_then(|value| serde_json::to_string_pretty(&value))
        .unwrap_or_else(|_| detail.to_owned())
}

#[component]
pub fn AuditPanel(lang: Lang) -> impl IntoView {
    let entries = RwSignal::new(Vec::<AuditEntry>::new());
    let more = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    // Loads the newest page, or the page before the oldest shown.
    let load = move |older: bool| {
        let before = older
            .then(|| entries.with_untracked(|e| e.last().map(|e| e.id)))
            .flatten();
        leptos::task::spawn_local(async move {
            match audit_log(before).await {
                Ok(page) => {
                    more.set(page.len() as u32 == AUDIT_PAGE);
                    if older {
                        entries.update(|e| e.extend(page));
                    } else {
                        entries.set(page);
                    }
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    Effect::new(move |_| load(false));
    view! {
        <section class="audit view-panel" data-testid="audit-panel">
            <h2>{w(lang, Word::AuditLog)}</h2>
            <p class="hint">{w(lang, Word::AuditHint)}</p>
            <ErrorToast lang error/>
            <div class="audit-actions">
                <button type="button" data-testid="audit-refresh" on:click=move |_| load(false)>
                    {w(lang, Word::Refresh)}
                </button>
            </div>
            <ol class="audit-list">
                <For each=move || entries.get() key=|e| e.id let:entry>
                    <li class="audit-entry" data-testid="audit-entry" data-action=entry.action.as_str()>
                        <span class="when">{crate::time::full(lang, entry.at_ms)}</span>
                        <strong class="who">{entry.admin.clone()}</strong>
                        <span class="what">{w(lang, action_word(entry.action))}</span>
                        <code class="subject" data-testid="audit-subject">{entry.subject.clone()}</code>
                        {(!entry.detail.is_empty()).then(|| view! {
                            <details class="detail">
                                <summary>{w(lang, Word::AuditDetail)}</summary>
                                <pre>{readable(&entry.detail)}</pre>
                            </details>
                        })}
                    </li>
                </For>
            </ol>
            <Show when=move || entries.with(Vec::is_empty)>
                <p class="empty">{w(lang, Word::NoAudit)}</p>
            </Show>
            <Show when=move || more.get()>
                <button type="button" class="more" data-testid="audit-more" on:click=move |_| load(true)>
                    {w(lang, Word::ShowMore)}
                </button>
            </Show>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_read_indented_and_anything_else_as_it_is() {
        assert_eq!(readable(r#"{"id":"sales"}"#), "{\n  \"id\": \"sales\"\n}");
        assert_eq!(readable("not json"), "not json");
        assert_eq!(readable(""), "");
    }
}
