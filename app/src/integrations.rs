//! The console's integrations, for admins, under the team view: the REST API's
//! tokens (made, shown once, revoked) and webhook endpoints, each with its
//! latest deliveries, every attempt, and a button to send one again. The same
//! rules as `server api-token` and `/api/v1/webhooks`; the server checks the
//! role on every call.

use crate::admin::{clear, value_of};
use crate::api::{
    add_api_token, add_webhook, api_tokens, redeliver, remove_webhook, revoke_api_token,
    webhook_deliveries, webhooks, ApiError, ApiTokenInfo, NewWebhook, WebhookDeliveryInfo,
    WebhookInfo, WEBHOOK_EVENTS,
};
use crate::components::ErrorToast;
use crate::i18n::{t, Key, Lang};
use leptos::prelude::*;

#[component]
pub fn IntegrationsPanel(lang: Lang) -> impl IntoView {
    let error = RwSignal::new(None::<ApiError>);
    view! {
        <section class="integrations view-panel" data-testid="integrations-panel">
            <h2>{t(lang, Key::Integrations)}</h2>
            <p class="hint">{t(lang, Key::IntegrationsHint)}
                " " <a href="/api/v1/reference" target="_blank" rel="noopener">"/api/v1/reference"</a></p>
            <ErrorToast lang error/>
            <div class="team-grid">
                <Tokens lang error/>
                <Webhooks lang error/>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn Tokens(lang: Lang, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let tokens = RwSignal::new(Vec::<ApiTokenInfo>::new());
    let made = RwSignal::new(None::<String>);
    let reload = move || {
        leptos::task::spawn_local(async move {
            match api_tokens().await {
                Ok(list) => tokens.set(list),
                Err(err) => error.set(Some(err)),
            }
        });
    };
    Effect::new(move |_| reload());
    let name: NodeRef<leptos::html::Input> = NodeRef::new();
    let write = RwSignal::new(false);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let token_name = value_of(name).trim().to_owned();
        leptos::task::spawn_local(async move {
            match add_api_token(token_name, write.get_untracked()).await {
                Ok(token) => {
                    error.set(None);
                    made.set(Some(token));
                    clear(&[name]);
                    reload();
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let revoke = move |token_name: String| {
        leptos::task::spawn_local(async move {
            match revoke_api_token(token_name).await {
                Ok(()) => {
                    made.set(None);
                    reload();
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    view! {
        <div class="tokens" data-testid="api-tokens">
            <h3>{t(lang, Key::ApiTokens)}</h3>
            {move || made.get().map(|token| view! {
                <p class="notice made-token" data-testid="api-token-made">
                    {t(lang, Key::TokenShownOnce)} <code>{token}</code>
                </p>
            })}
            <ul>
                <For each=move || tokens.get() key=|t| (t.name.clone(), t.created_ms, t.revoked_ms) let:token>
                    <li class="api-token" data-testid="api-token-row" data-name=token.name.clone()
                        data-revoked=token.revoked_ms.is_some().to_string()>
                        <strong>{token.name.clone()}</strong>
                        <span class="tag">{t(lang, if token.scope == "write" { Key::ScopeWrite } else { Key::ScopeRead })}</span>
                        <span class="meta">{crate::time::full(lang, token.created_ms)}</span>
                        {match token.revoked_ms {
                            Some(_) => view! { <span class="tag revoked">{t(lang, Key::Revoked)}</span> }.into_any(),
                            None => {
                                let token_name = token.name.clone();
                                view! {
                                    <button type="button" class="danger" data-testid="api-token-revoke"
                                        on:click=move |_| revoke(token_name.clone())>{t(lang, Key::Revoke)}</button>
                                }.into_any()
                            }
                        }}
                    </li>
                </For>
            </ul>
            <Show when=move || tokens.with(Vec::is_empty)>
                <p class="empty">{t(lang, Key::NoTokens)}</p>
            </Show>
            <form class="add-token" data-testid="api-token-form" on:submit=add>
                <label>
                    {t(lang, Key::TokenName)}
                    <input data-testid="api-token-name" required maxlength="64" autocomplete="off" node_ref=name/>
                </label>
                <label class="check">
                    <input type="checkbox" data-testid="api-token-write"
                        on:change=move |ev| write.set(event_target_checked(&ev))/>
                    {t(lang, Key::TokenMayWrite)}
                </label>
                <button type="submit" data-testid="api-token-add">{t(lang, Key::MakeToken)}</button>
            </form>
        </div>
    }
    .into_any()
}

#[component]
fn Webhooks(lang: Lang, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let endpoints = RwSignal::new(Vec::<WebhookInfo>::new());
    let reload = move || {
        leptos::task::spawn_local(async move {
            match webhooks().await {
                Ok(list) => endpoints.set(list),
                Err(err) => error.set(Some(err)),
            }
        });
    };
    Effect::new(move |_| reload());
    let url: NodeRef<leptos::html::Input> = NodeRef::new();
    let secret: NodeRef<leptos::html::Input> = NodeRef::new();
    let events = RwSignal::new(Vec::<String>::new());
    let allow_private = RwSignal::new(false);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let endpoint = NewWebhook {
            url: value_of(url).trim().to_owned(),
            secret: value_of(secret),
            events: events.get_untracked(),
            allow_private: allow_private.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match add_webhook(endpoint).await {
                Ok(_) => {
                    error.set(None);
                    clear(&[url, secret]);
                    reload();
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let list = view! {
        <ul>
            <For each=move || endpoints.get() key=|e| e.id let:endpoint>
                <Endpoint lang endpoint error removed=move || reload()/>
            </For>
        </ul>
        <Show when=move || endpoints.with(Vec::is_empty)>
            <p class="empty">{t(lang, Key::NoWebhooks)}</p>
        </Show>
    }
    .into_any();
    let form = view! {
        <form class="add-webhook" data-testid="webhook-form" on:submit=add>
            <label>
                {t(lang, Key::WebhookUrl)}
                <input data-testid="webhook-url" type="url" required maxlength="2000"
                    placeholder="https://crm.example.com/hooks/chat" autocomplete="off" node_ref=url/>
            </label>
            <label>
                {t(lang, Key::WebhookSecret)}
                <input data-testid="webhook-secret" type="password" required minlength="16" maxlength="256"
                    autocomplete="new-password" node_ref=secret/>
            </label>
            <fieldset>
                <legend>{t(lang, Key::WebhookEvents)}</legend>
                {WEBHOOK_EVENTS.iter().map(|name| {
                    let name = (*name).to_owned();
                    let toggled = name.clone();
                    view! {
                        <label class="check">
                            <input type="checkbox" data-testid="webhook-event" value=name.clone()
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    let name = toggled.clone();
                                    events.update(|list| {
                                        list.retain(|n| *n != name);
                                        if on {
                                            list.push(name);
                                        }
                                    });
                                }/>
                            <code>{name}</code>
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <label class="check">
                <input type="checkbox" data-testid="webhook-allow-private"
                    on:change=move |ev| allow_private.set(event_target_checked(&ev))/>
                {t(lang, Key::AllowPrivate)}
            </label>
            <button type="submit" data-testid="webhook-add">{t(lang, Key::AddWebhook)}</button>
        </form>
    }
    .into_any();
    view! {
        <div class="webhooks" data-testid="webhooks">
            <h3>{t(lang, Key::Webhooks)}</h3>
            {list}
            {form}
        </div>
    }
    .into_any()
}

#[component]
fn Endpoint(
    lang: Lang,
    endpoint: WebhookInfo,
    error: RwSignal<Option<ApiError>>,
    removed: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = endpoint.id;
    let deliveries = RwSignal::new(None::<Vec<WebhookDeliveryInfo>>);
    let load = move || {
        leptos::task::spawn_local(async move {
            match webhook_deliveries(id).await {
                Ok(list) => deliveries.set(Some(list)),
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let remove = move |_| {
        leptos::task::spawn_local(async move {
            match remove_webhook(id).await {
                Ok(()) => removed(),
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let again = move |event_id: uuid::Uuid| {
        leptos::task::spawn_local(async move {
            match redeliver(id, event_id).await {
                Ok(()) => load(),
                Err(err) => error.set(Some(err)),
            }
        });
    };
    view! {
        <li class="webhook" data-testid="webhook-row" data-url=endpoint.url.clone()>
            <strong class="url">{endpoint.url.clone()}</strong>
            <span class="meta">{endpoint.events.join(", ")}</span>
            <div class="actions">
                <button type="button" data-testid="webhook-deliveries" on:click=move |_| load()>
                    {t(lang, Key::Deliveries)}
                </button>
                <button type="button" class="danger" data-testid="webhook-remove" on:click=remove>
                    {t(lang, Key::Remove)}
                </button>
            </div>
            {move || deliveries.get().map(|list| {
                if list.is_empty() {
                    return view! { <p class="empty">{t(lang, Key::NoDeliveries)}</p> }.into_any();
                }
                view! {
                    <ol class="deliveries">
                        {list.into_iter().map(|d| {
                            let event_id = d.event_id;
                            let state_key = match d.state.as_str() {
                                "delivered" => Key::Delivered,
                                "failed" => Key::DeliveryFailed,
                                _ => Key::DeliveryPending,
                            };
                            view! {
                                <li class="delivery" data-testid="webhook-delivery" data-state=d.state.clone()
                                    data-event=d.event.clone()>
                                    <code>{d.event.clone()}</code>
                                    <span class=format!("tag {}", d.state)>{t(lang, state_key)}</span>
                                    <span class="meta">{crate::time::full(lang, d.event_ms)}</span>
                                    <button type="button" data-testid="webhook-redeliver"
                                        on:click=move |_| again(event_id)>{t(lang, Key::Redeliver)}</button>
                                    <ul class="attempts">
                                        {d.attempts.into_iter().map(|a| view! {
                                            <li data-testid="webhook-attempt">
                                                {crate::time::full(lang, a.at_ms)} " · "
                                                {a.status.map_or_else(|| t(lang, Key::NoAnswer).to_owned(), |s| s.to_string())}
                                                {a.error.map(|e| format!(" · {e}"))}
                                                {format!(" · {} ms", a.duration_ms)}
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }
                .into_any()
            })}
        </li>
    }
    .into_any()
}
