//! Shared by the browser and the server: the wire protocol, ids, error codes and the
//! translation table, plus the two browser apps built from one Leptos codebase: the
//! visitor widget ([`widget`], the visitor chat access component) and the agent
//! console ([`console`], the agent access component). The server functions in
//! [`api`] are thin: they call the chat service through a trait the server provides.

mod admin;
pub mod api;
mod browser;
mod chat_session;
mod chat_store;
mod client;
mod components;
mod console;
mod conversations;
pub mod error;
pub mod i18n;
pub mod ids;
pub mod links;
pub mod protocol;
pub mod time;
mod widget;

use i18n::Lang;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The language of the page being rendered: `?lang=`, then the browser's languages.
fn page_lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .map(|parts| {
                let query_lang = query_param("lang");
                let accept = parts
                    .headers
                    .get(http::header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok());
                Lang::choose(query_lang.as_deref(), accept)
            })
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        // The server wrote its choice into <html lang>; hydration must agree with it.
        browser::document_lang()
            .as_deref()
            .and_then(Lang::from_tag)
            .unwrap_or_default()
    }
}

/// Where the console's own style sheet is served: the server gives it a name with
/// its content hash and provides it to rendering. (The widget's page does without.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleStyle(pub String);

/// A query parameter of the page being rendered (on the server).
#[cfg(feature = "ssr")]
fn query_param(name: &str) -> Option<String> {
    use_context::<http::request::Parts>().and_then(|parts| {
        parts.uri.query().and_then(|q| {
            q.split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_owned())
        })
    })
}

/// The widget's colours as the embedding site chose them (the loader's `theme`):
/// `light`, `dark`, or following the visitor's system (no attribute).
fn widget_theme() -> Option<&'static str> {
    #[cfg(feature = "ssr")]
    {
        match query_param("theme").as_deref() {
            Some("dark") => Some("dark"),
            Some("auto") => None,
            _ => Some("light"),
        }
    }
    #[cfg(not(feature = "ssr"))]
    None
}

/// The HTML document around a page's app, rendered on the server. `theme` fixes
/// its colours; without, they follow the system.
fn document(
    options: LeptosOptions,
    theme: Option<&'static str>,
    head: impl IntoView + 'static,
    body: impl IntoView + 'static,
) -> impl IntoView {
    let lang = page_lang();
    view! {
        <!DOCTYPE html>
        <html lang=lang.tag() data-theme=theme>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover"/>
                <AutoReload options=options.clone()/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                {head}
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>{body}</body>
        </html>
    }
}

/// The console's document (`/console`).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let style = use_context::<ConsoleStyle>()
        .map(|ConsoleStyle(href)| view! { <link rel="stylesheet" href=href/> });
    document(options, None, style, view! { <App/> })
}

/// The widget frame's document (`/widget`).
pub fn widget_shell(options: LeptosOptions) -> impl IntoView {
    document(options, widget_theme(), (), view! { <WidgetApp/> })
}

/// The agent console, with its routes. In the browser it is a chunk of code of
/// its own (see `frontend`): the visitor's pages never load it.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(page_lang());
    view! {
        <Title text="Live chat"/>
        <Router>
            <Routes fallback=|| "Not found.">
                <Route path=path!("/console") view=console::Console/>
            </Routes>
        </Router>
    }
}

/// The widget frame: one page, no routes.
#[component]
pub fn WidgetApp() -> impl IntoView {
    provide_meta_context();
    provide_context(page_lang());
    view! {
        <Title text="Live chat"/>
        <widget::Widget/>
    }
}
