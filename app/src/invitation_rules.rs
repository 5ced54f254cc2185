//! The console's proactive invitation rules, for admins, under the team view:
//! which visitors are invited to chat by themselves (the page, the time on it,
//! the pages seen, returning visitors, a department with an agent online) and
//! the greeting the invitation carries. The server checks the role and every
//! field on each call.

use crate::admin::{clear, number_of, value_of};
use crate::api::{
    invitation_rules, put_invitation_rule, remove_invitation_rule, ApiError, Department,
    InvitationRule, MAX_PAGES_VIEWED, MAX_RULE_GREETING_CHARS, MAX_RULE_ID_CHARS,
    MAX_RULE_NAME_CHARS, MAX_SECONDS_ON_PAGE, MAX_URL_PATTERN_CHARS,
};
use crate::components::ErrorToast;
use crate::console::words::{w, Word};
use crate::i18n::{t, Key, Lang};
use leptos::prelude::*;

#[component]
pub fn InvitationRulesPanel(lang: Lang, departments: RwSignal<Vec<Department>>) -> impl IntoView {
    let list = RwSignal::new(Vec::<InvitationRule>::new());
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<&'static str>);
    let reload = move || {
        leptos::task::spawn_local(async move {
            match invitation_rules().await {
                Ok(found) => list.set(found),
                Err(err) => error.set(Some(err)),
            }
        });
    };
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

    let id: NodeRef<leptos::html::Input> = NodeRef::new();
    let name: NodeRef<leptos::html::Input> = NodeRef::new();
    let pattern: NodeRef<leptos::html::Input> = NodeRef::new();
    let seconds: NodeRef<leptos::html::Input> = NodeRef::new();
    let greeting = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new_id = value_of(id).trim().to_owned();
        // Adding is not changing: a taken id would replace that rule.
        if list.with_untracked(|all| all.iter().any(|r| r.id == new_id)) {
            notice.set(None);
            error.set(Some(ApiError {
                code: crate::error::ErrorCode::InvalidField,
                detail: Some(w(lang, Word::RuleIdTaken).to_owned()),
            }));
            return;
        }
        let rule = InvitationRule {
            id: new_id,
            name: value_of(name).trim().to_owned(),
            url_pattern: value_of(pattern).trim().to_owned(),
            seconds_on_page: number_of(seconds, 30),
            greeting: greeting.get_untracked().trim().to_owned(),
            ..InvitationRule::default()
        };
        leptos::task::spawn_local(async move {
            let result = put_invitation_rule(rule).await;
            if result.is_ok() {
                clear(&[id, name, pattern, seconds]);
                greeting.set(String::new());
            }
            done(result, w(lang, Word::RuleSaved));
        });
    };

    view! {
        <section class="invitation-rules view-panel" data-testid="rules-panel">
            <h2>{w(lang, Word::InvitationRules)}</h2>
            <p class="hint">{w(lang, Word::InvitationRulesHint)}</p>
            <div class="team-grid">
                <div class="team-list">
                    <ErrorToast lang error/>
                    {move || notice.get().map(|text| view! { <p class="notice" data-testid="rule-notice">{text}</p> })}
                    <ul class="rule-list">
                        <For each=move || list.get() key=|rule| rule.clone() let:rule>
                            <RuleRow lang rule departments done/>
                        </For>
                    </ul>
                    <Show when=move || list.with(Vec::is_empty)>
                        <p class="empty">{w(lang, Word::NoInvitationRules)}</p>
                    </Show>
                </div>
                <form class="add-rule" data-testid="rule-add-form" on:submit=add>
                    <h3>{w(lang, Word::AddInvitationRule)}</h3>
                    <label>
                        {w(lang, Word::RuleId)}
                        <input data-testid="rule-add-id" required maxlength=MAX_RULE_ID_CHARS.to_string()
                            pattern="[a-z0-9-]+" autocomplete="off" placeholder="pricing" node_ref=id/>
                    </label>
                    <label>
                        {w(lang, Word::RuleName)}
                        <input data-testid="rule-add-name" required maxlength=MAX_RULE_NAME_CHARS.to_string()
                            autocomplete="off" node_ref=name/>
                    </label>
                    <label>
                        {w(lang, Word::RulePattern)}
                        <input data-testid="rule-add-pattern" maxlength=MAX_URL_PATTERN_CHARS.to_string()
                            autocomplete="off" spellcheck="false" placeholder="*/pricing*" node_ref=pattern/>
                    </label>
                    <label>
                        {w(lang, Word::RuleSeconds)}
                        <input type="number" data-testid="rule-add-seconds" min="0"
                            max=MAX_SECONDS_ON_PAGE.to_string() placeholder="30" node_ref=seconds/>
                    </label>
                    <label>
                        {w(lang, Word::RuleGreeting)}
                        <textarea data-testid="rule-add-greeting" rows="2" required
                            maxlength=MAX_RULE_GREETING_CHARS.to_string()
                            prop:value=move || greeting.get()
                            on:input=move |ev| greeting.set(event_target_value(&ev))></textarea>
                    </label>
                    <button type="submit" data-testid="rule-add-submit">{w(lang, Word::AddInvitationRule)}</button>
                </form>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn RuleRow(
    lang: Lang,
    rule: InvitationRule,
    departments: RwSignal<Vec<Department>>,
    done: impl Fn(Result<(), ApiError>, &'static str) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let name: NodeRef<leptos::html::Input> = NodeRef::new();
    let pattern: NodeRef<leptos::html::Input> = NodeRef::new();
    let seconds: NodeRef<leptos::html::Input> = NodeRef::new();
    let pages: NodeRef<leptos::html::Input> = NodeRef::new();
    let enabled = RwSignal::new(rule.enabled);
    let returning = RwSignal::new(rule.returning_only);
    let department = RwSignal::new(rule.department.clone());
    let greeting = RwSignal::new(rule.greeting.clone());
    let confirming = RwSignal::new(false);
    let saved = rule.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let changed = InvitationRule {
            id: saved.id.clone(),
            name: value_of(name).trim().to_owned(),
            enabled: enabled.get_untracked(),
            url_pattern: value_of(pattern).trim().to_owned(),
            seconds_on_page: number_of(seconds, saved.seconds_on_page),
            min_pages_viewed: number_of(pages, saved.min_pages_viewed),
            returning_only: returning.get_untracked(),
            department: department.get_untracked(),
            greeting: greeting.get_untracked().trim().to_owned(),
        };
        leptos::task::spawn_local(async move {
            done(put_invitation_rule(changed).await, w(lang, Word::RuleSaved));
        });
    };
    let id = rule.id.clone();
    let remove = move |_| {
        if !confirming.get_untracked() {
            confirming.set(true);
            return;
        }
        let id = id.clone();
        leptos::task::spawn_local(async move {
            done(remove_invitation_rule(id).await, w(lang, Word::RuleRemoved));
        });
    };
    view! {
        <li class="rule" data-testid="rule-row" data-rule=rule.id.clone()>
            <form on:submit=save>
                <div class="row-head">
                    <input class="rule-name" data-testid="rule-name" required
                        maxlength=MAX_RULE_NAME_CHARS.to_string() aria-label=w(lang, Word::RuleName)
                        prop:value=rule.name.clone() node_ref=name/>
                    <code class="rule-id">{rule.id.clone()}</code>
                    <label class="check">
                        <input type="checkbox" data-testid="rule-enabled"
                            prop:checked=move || enabled.get()
                            on:change=move |ev| enabled.set(event_target_checked(&ev))/>
                        {w(lang, Word::RuleEnabled)}
                    </label>
                </div>
                <div class="rule-settings">
                    <label class="pattern">
                        {w(lang, Word::RulePattern)}
                        <input data-testid="rule-pattern" maxlength=MAX_URL_PATTERN_CHARS.to_string()
                            autocomplete="off" spellcheck="false" placeholder="*/pricing*"
                            prop:value=rule.url_pattern.clone() node_ref=pattern/>
                    </label>
                    <label>
                        {w(lang, Word::RuleSeconds)}
                        <input type="number" data-testid="rule-seconds" min="0" max=MAX_SECONDS_ON_PAGE.to_string()
                            prop:value=rule.seconds_on_page.to_string() node_ref=seconds/>
                    </label>
                    <label>
                        {w(lang, Word::RulePages)}
                        <input type="number" data-testid="rule-pages" min="0" max=MAX_PAGES_VIEWED.to_string()
                            prop:value=rule.min_pages_viewed.to_string() node_ref=pages/>
                    </label>
                    <label>
                        {w(lang, Word::RuleDepartment)}
                        <select data-testid="rule-department" on:change=move |ev| department.set(event_target_value(&ev))>
                            <option value="" selected=move || department.with(String::is_empty)>
                                {w(lang, Word::AnyOnlineAgent)}
                            </option>
                            <For each=move || departments.get() key=|d| d.id.clone() let:d>
                                <option value=d.id.clone() selected={
                                    let id = d.id.clone();
                                    move || department.get() == id
                                }>{d.name.clone()}</option>
                            </For>
                        </select>
                    </label>
                </div>
                <label class="check">
                    <input type="checkbox" data-testid="rule-returning"
                        prop:checked=move || returning.get()
                        on:change=move |ev| returning.set(event_target_checked(&ev))/>
                    {w(lang, Word::RuleReturning)}
                </label>
                <label class="greeting">
                    {w(lang, Word::RuleGreeting)}
                    <textarea data-testid="rule-greeting" rows="2" required
                        maxlength=MAX_RULE_GREETING_CHARS.to_string()
                        prop:value=move || greeting.get()
                        on:input=move |ev| greeting.set(event_target_value(&ev))></textarea>
                </label>
                <div class="actions">
                    <button type="submit" data-testid="rule-save">{t(lang, Key::Save)}</button>
                    <button type="button" class="danger" data-testid="rule-remove" on:click=remove>
                        {move || t(lang, if confirming.get() { Key::ConfirmRemove } else { Key::Remove })}
                    </button>
                </div>
            </form>
        </li>
    }
    .into_any()
}
