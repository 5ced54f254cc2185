//! The console's websites, for admins, under the team view: each company site
//! the widget is on, with the addresses allowed to show it and the widget's
//! colour, corner, launcher text, greeting, whether the header names the agents,
//! and its language there. Saved settings reach visitors on their next page.
//! The server checks the role and every field on each call.

use crate::admin::{clear, value_of};
use crate::api::{
    put_website, remove_website, websites, ApiError, Position, PreChat, Website, WidgetSettings,
    MAX_CONSENT_CHARS, MAX_GREETING_CHARS, MAX_LAUNCHER_TEXT_CHARS, MAX_WEBSITE_ID_CHARS,
    MAX_WEBSITE_NAME_CHARS,
};
use crate::components::ErrorToast;
use crate::console::words::{w, Word};
use crate::i18n::{t, Key, Lang};
use leptos::prelude::*;

/// The colour a website starts with when an admin turns its own colour on.
const FIRST_COLOUR: &str = "#1d3557";

/// The widget's languages as a website may choose them, each in its own words.
const LANGUAGES: [(&str, &str); 3] = [
    ("en", "English"),
    ("zh-Hans", "简体中文"),
    ("zh-Hant", "繁體中文"),
];

/// Origins typed one per line (or separated by commas or spaces).
fn origins_of(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The websites, for admins; `list` is the console's own copy (the visitor
/// list names visitors' websites from it), kept up to date here.
#[component]
pub fn WebsitesPanel(lang: Lang, list: RwSignal<Vec<Website>>) -> impl IntoView {
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<&'static str>);
    let reload = move || {
        leptos::task::spawn_local(async move {
            match websites().await {
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
    let origins = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new_id = value_of(id).trim().to_owned();
        // Adding is not changing: a taken id would replace that website.
        if list.with_untracked(|all| all.iter().any(|w| w.id == new_id)) {
            notice.set(None);
            error.set(Some(ApiError {
                code: crate::error::ErrorCode::InvalidField,
                detail: Some(w(lang, Word::WebsiteIdTaken).to_owned()),
            }));
            return;
        }
        let website = Website {
            id: new_id,
            name: value_of(name).trim().to_owned(),
            origins: origins_of(&origins.get_untracked()),
            settings: WidgetSettings::default(),
        };
        leptos::task::spawn_local(async move {
            let result = put_website(website).await;
            if result.is_ok() {
                clear(&[id, name]);
                origins.set(String::new());
            }
            done(result, w(lang, Word::WebsiteSaved));
        });
    };

    view! {
        <section class="websites view-panel" data-testid="websites-panel">
            <h2>{w(lang, Word::Websites)}</h2>
            <p class="hint">{w(lang, Word::WebsitesHint)}</p>
            <div class="team-grid">
                <div class="team-list">
                    <ErrorToast lang error/>
                    {move || notice.get().map(|text| view! { <p class="notice" data-testid="website-notice">{text}</p> })}
                    <ul class="website-list">
                        <For each=move || list.get() key=|site| site.clone() let:website>
                            <WebsiteRow lang website done/>
                        </For>
                    </ul>
                    <Show when=move || list.with(Vec::is_empty)>
                        <p class="empty">{w(lang, Word::NoWebsites)}</p>
                    </Show>
                </div>
                <form class="add-website" data-testid="website-add-form" on:submit=add>
                    <h3>{w(lang, Word::AddWebsite)}</h3>
                    <label>
                        {w(lang, Word::WebsiteId)}
                        <input data-testid="website-add-id" required maxlength=MAX_WEBSITE_ID_CHARS.to_string()
                            pattern="[a-z0-9-]+" autocomplete="off" placeholder="shop" node_ref=id/>
                    </label>
                    <label>
                        {w(lang, Word::WebsiteName)}
                        <input data-testid="website-add-name" required maxlength=MAX_WEBSITE_NAME_CHARS.to_string()
                            autocomplete="off" node_ref=name/>
                    </label>
                    <OriginsField lang origins testid="website-add-origins"/>
                    <button type="submit" data-testid="website-add-submit">{w(lang, Word::AddWebsite)}</button>
                </form>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn OriginsField(lang: Lang, origins: RwSignal<String>, testid: &'static str) -> impl IntoView {
    view! {
        <label>
            {w(lang, Word::WebsiteOrigins)}
            <textarea data-testid=testid rows="2" required autocomplete="off" spellcheck="false"
                placeholder="https://www.example.com"
                prop:value=move || origins.get()
                on:input=move |ev| origins.set(event_target_value(&ev))></textarea>
        </label>
    }
}

#[component]
fn WebsiteRow(
    lang: Lang,
    website: Website,
    done: impl Fn(Result<(), ApiError>, &'static str) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let settings = website.settings.clone();
    let name: NodeRef<leptos::html::Input> = NodeRef::new();
    let launcher_text: NodeRef<leptos::html::Input> = NodeRef::new();
    let origins = RwSignal::new(website.origins.join("\n"));
    let colour = RwSignal::new(settings.colour.clone());
    let position = RwSignal::new(settings.position);
    let greeting = RwSignal::new(settings.greeting.clone());
    let show_agents = RwSignal::new(settings.show_agents);
    let language = RwSignal::new(settings.language.clone());
    let pre_chat = RwSignal::new(settings.pre_chat.clone());
    let confirming = RwSignal::new(false);
    let id = website.id.clone();
    let save = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let changed = Website {
                id: id.clone(),
                name: value_of(name).trim().to_owned(),
                origins: origins_of(&origins.get_untracked()),
                settings: WidgetSettings {
                    colour: colour.get_untracked(),
                    position: position.get_untracked(),
                    launcher_text: value_of(launcher_text).trim().to_owned(),
                    greeting: greeting.get_untracked().trim().to_owned(),
                    show_agents: show_agents.get_untracked(),
                    language: language.get_untracked(),
                    pre_chat: PreChat {
                        consent: pre_chat.with_untracked(|p| p.consent.trim().to_owned()),
                        ..pre_chat.get_untracked()
                    },
                },
            };
            leptos::task::spawn_local(async move {
                done(put_website(changed).await, w(lang, Word::WebsiteSaved));
            });
        }
    };
    let remove = {
        let id = id.clone();
        move |_| {
            if !confirming.get_untracked() {
                confirming.set(true);
                return;
            }
            let id = id.clone();
            leptos::task::spawn_local(async move {
                done(remove_website(id).await, w(lang, Word::WebsiteRemoved));
            });
        }
    };
    let tag = format!(
        "<script src=\"{}/widget.js\" data-site=\"{id}\" async></script>",
        crate::browser::page_origin().unwrap_or_else(|| "…".to_owned())
    );
    view! {
        <li class="website" data-testid="website-row" data-website=id.clone()>
            <form on:submit=save>
                <div class="row-head">
                    <input class="website-name" data-testid="website-name" required
                        maxlength=MAX_WEBSITE_NAME_CHARS.to_string() aria-label=w(lang, Word::WebsiteName)
                        prop:value=website.name.clone() node_ref=name/>
                    <code class="website-id">{id.clone()}</code>
                </div>
                <OriginsField lang origins testid="website-origins"/>
                <div class="website-settings">
                    <fieldset class="website-colour">
                        <legend>
                            <label class="check">
                                <input type="checkbox" data-testid="website-colour-on"
                                    prop:checked=move || colour.with(|c| !c.is_empty())
                                    on:change=move |ev| colour.set(if event_target_checked(&ev) {
                                        FIRST_COLOUR.to_owned()
                                    } else {
                                        String::new()
                                    })/>
                                {w(lang, Word::WidgetColour)}
                            </label>
                        </legend>
                        <Show when=move || colour.with(|c| !c.is_empty())>
                            <input type="color" data-testid="website-colour" aria-label=w(lang, Word::WidgetColour)
                                prop:value=move || colour.get()
                                on:input=move |ev| colour.set(event_target_value(&ev))/>
                        </Show>
                    </fieldset>
                    <label>
                        {w(lang, Word::WidgetPosition)}
                        <select data-testid="website-position"
                            on:change=move |ev| position.set(if event_target_value(&ev) == "left" {
                                Position::Left
                            } else {
                                Position::Right
                            })>
                            <option value="right" selected=move || position.get() == Position::Right>
                                {w(lang, Word::PositionRight)}
                            </option>
                            <option value="left" selected=move || position.get() == Position::Left>
                                {w(lang, Word::PositionLeft)}
                            </option>
                        </select>
                    </label>
                    <label>
                        {w(lang, Word::WidgetLanguage)}
                        <select data-testid="website-language"
                            on:change=move |ev| language.set(event_target_value(&ev))>
                            <option value="" selected=move || language.with(String::is_empty)>
                                {w(lang, Word::VisitorsLanguage)}
                            </option>
                            {LANGUAGES.into_iter().map(|(tag, shown)| view! {
                                <option value=tag selected=move || language.get() == tag>{shown}</option>
                            }).collect_view()}
                        </select>
                    </label>
                </div>
                <label>
                    {w(lang, Word::LauncherText)}
                    <input data-testid="website-launcher-text" maxlength=MAX_LAUNCHER_TEXT_CHARS.to_string()
                        autocomplete="off" prop:value=settings.launcher_text.clone() node_ref=launcher_text/>
                </label>
                <label class="greeting">
                    {w(lang, Word::Greeting)}
                    <textarea data-testid="website-greeting" rows="2"
                        maxlength=MAX_GREETING_CHARS.to_string()
                        prop:value=move || greeting.get()
                        on:input=move |ev| greeting.set(event_target_value(&ev))></textarea>
                </label>
                <label class="check">
                    <input type="checkbox" data-testid="website-show-agents"
                        prop:checked=move || show_agents.get()
                        on:change=move |ev| show_agents.set(event_target_checked(&ev))/>
                    {w(lang, Word::ShowAgents)}
                </label>
                <fieldset class="pre-chat">
                    <legend>{w(lang, Word::PreChatForm)}</legend>
                    <label class="check">
                        <input type="checkbox" data-testid="website-ask-name"
                            prop:checked=move || pre_chat.with(|p| p.name)
                            on:change=move |ev| pre_chat.update(|p| p.name = event_target_checked(&ev))/>
                        {w(lang, Word::AskName)}
                    </label>
                    <label class="check">
                        <input type="checkbox" data-testid="website-ask-email"
                            prop:checked=move || pre_chat.with(|p| p.email)
                            on:change=move |ev| pre_chat.update(|p| p.email = event_target_checked(&ev))/>
                        {w(lang, Word::AskEmail)}
                    </label>
                    <label class="check">
                        <input type="checkbox" data-testid="website-ask-department"
                            prop:checked=move || pre_chat.with(|p| p.department)
                            on:change=move |ev| pre_chat.update(|p| p.department = event_target_checked(&ev))/>
                        {w(lang, Word::AskDepartment)}
                    </label>
                    <label class="consent">
                        {w(lang, Word::ConsentText)}
                        <input data-testid="website-consent" maxlength=MAX_CONSENT_CHARS.to_string()
                            autocomplete="off" prop:value=move || pre_chat.with(|p| p.consent.clone())
                            on:input=move |ev| pre_chat.update(|p| p.consent = event_target_value(&ev))/>
                    </label>
                </fieldset>
                <p class="website-tag">{w(lang, Word::WebsiteTag)}<code>{tag}</code></p>
                <div class="actions">
                    <button type="submit" data-testid="website-save">{t(lang, Key::Save)}</button>
                    <button type="button" class="danger" data-testid="website-remove" on:click=remove>
                        {move || t(lang, if confirming.get() { Key::ConfirmRemove } else { Key::Remove })}
                    </button>
                </div>
            </form>
        </li>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_read_one_per_line_or_between_commas() {
        assert_eq!(
            origins_of("https://a.example\n https://b.example, https://c.example\n\n"),
            vec![
                "https://a.example",
                "https://b.example",
                "https://c.example"
            ]
        );
        assert!(origins_of("  \n").is_empty());
    }
}
