//! Shared by the browser and the server: the wire protocol, ids, error codes and the
//! translation table, plus the two browser apps built from one Leptos codebase: the
//! visitor widget ([`widget`], the visitor chat access component) and the agent
//! console ([`console`], the agent access component). The server functions in
//! [`api`] are thin: they call the chat service through a trait the server provides.

mod admin;
pub mod api;
mod audit;
mod browser;
mod chat_session;
mod chat_store;
mod client;
mod components;
mod console;
mod conversations;
mod departments;
pub mod error;
pub mod files;
pub mod i18n;
pub mod ids;
mod integrations;
mod invitation_rules;
pub mod links;
mod privacy;
pub mod protocol;
pub mod time;
pub mod transcript;
mod websites;
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
                // A widget's website may choose one for when its tag does not.
                let site_lang = use_context::<widget::SiteSettings>()
                    .and_then(|site| site.0)
                    .and_then(|settings| settings.lang());
                match (query_lang.as_deref().and_then(Lang::from_tag), site_lang) {
                    (None, Some(lang)) => lang,
                    _ => Lang::choose(query_lang.as_deref(), accept),
                }
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

/// What the console's page loads besides the shared style: its own style sheet
/// and its own WebAssembly bundle (`frontend/console`), each under `/pkg` by a
/// name with its content hash. The server finds them and provides this to
/// rendering; the widget's page loads neither.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleAssets {
    pub style: String,
    /// `None` when the bundle was not built: the page then says so.
    pub bundle: Option<ConsoleBundle>,
}

/// The console bundle's script and module, as `/pkg/...` paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleBundle {
    pub js: String,
    pub wasm: String,
}

/// Loads the console's bundle and hydrates the page with it, as cargo-leptos's
/// `HydrationScripts` does for the widget's.
#[component]
fn ConsoleScripts(bundle: Option<ConsoleBundle>) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    bundle.map(|ConsoleBundle { js, wasm }| {
        // Both are paths the server made from file names of its own (a stem, a
        // hex hash and an extension): nothing in them needs escaping.
        let start = format!(
            "import('{js}').then(m => m.default({{ module_or_path: '{wasm}' }}).then(() => m.hydrate()));"
        );
        view! {
            <link rel="modulepreload" href=js.clone() nonce=nonce.clone()/>
            <link rel="preload" href=wasm.clone() r#as="fetch" r#type="application/wasm" crossorigin="anonymous"/>
            <script type="module" nonce=nonce>{start}</script>
        }
    })
}

/// A query parameter of the page being rendered (on the server), decoded.
#[cfg(feature = "ssr")]
fn query_param(name: &str) -> Option<String> {
    use_context::<http::request::Parts>().and_then(|parts| {
        parts.uri.query().and_then(|q| {
            q.split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(k, _)| *k == name)
                .map(|(_, v)| form_decoded(v))
        })
    })
}

/// A query value as a form encodes it: `+` for a space, `%XX` for a byte.
/// Bytes that are not UTF-8 become U+FFFD; a `%` not followed by two hex
/// digits stays as it is.
#[cfg(feature = "ssr")]
fn form_decoded(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = |i: usize| {
            bytes
                .get(i)
                .and_then(|b| (*b as char).to_digit(16))
                .map(|d| d as u8)
        };
        match bytes[at] {
            b'+' => out.push(b' '),
            b'%' => match (hex(at + 1), hex(at + 2)) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    at += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        at += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The settings of the website the widget page being rendered is on: the one
/// its tag names (`site`), else the one that holds the page's origin.
#[cfg(feature = "ssr")]
fn site_settings() -> widget::SiteSettings {
    let backend = use_context::<std::sync::Arc<dyn api::ConsoleBackend>>();
    let page_url = query_param("page_url").unwrap_or_default();
    let site = query_param("site");
    let Some(backend) = backend else {
        return widget::SiteSettings::default();
    };
    let settings = backend
        .website_of_page(site.as_deref(), &page_url)
        .map(|website| website.settings);
    let departments = match &settings {
        Some(s) if s.pre_chat.department => backend.department_names(),
        _ => Vec::new(),
    };
    widget::SiteSettings(settings, departments)
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
    site_settings: Option<&widget::SiteSettings>,
    head: impl IntoView + 'static,
    scripts: impl IntoView + 'static,
    body: impl IntoView + 'static,
) -> impl IntoView {
    let lang = page_lang();
    let site = site_settings.and_then(|s| s.0.as_ref());
    let pre_chat = site_settings.and_then(widget::SiteSettings::pre_chat);
    let pre_chat_fields = pre_chat.as_ref().map(widget::PreChatLook::fields);
    let consent = pre_chat
        .as_ref()
        .map(|p| p.consent.clone())
        .filter(|c| !c.is_empty());
    let departments = pre_chat
        .as_ref()
        .filter(|p| !p.departments.is_empty())
        .and_then(|p| serde_json::to_string(&p.departments).ok());
    // A website's settings, for the widget's code (`widget::Look`) and its
    // early script; the colour is a style of this page's nonce.
    let position = site
        .filter(|s| s.position == api::Position::Left)
        .map(|s| s.position.as_str());
    let text = |pick: fn(&api::WidgetSettings) -> &String| {
        site.map(pick).filter(|t| !t.is_empty()).cloned()
    };
    let launcher_text = text(|s| &s.launcher_text);
    let greeting = text(|s| &s.greeting);
    let agents = site.filter(|s| !s.show_agents).map(|_| "hidden");
    let colour = site
        .and_then(|s| widget::colour_style(&s.colour))
        .map(|css| view! { <style nonce=leptos::nonce::use_nonce()>{css}</style> });
    view! {
        <!DOCTYPE html>
        <html lang=lang.tag() data-theme=theme data-position=position
            data-launcher-text=launcher_text data-greeting=greeting data-agents=agents
            data-pre-chat=pre_chat_fields data-consent=consent data-departments=departments>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover"/>
                <AutoReload options=options.clone()/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                {colour}
                {head}
                {scripts}
                <MetaTags/>
            </head>
            <body>{body}</body>
        </html>
    }
}

/// The console's document (`/console`).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let assets = use_context::<ConsoleAssets>();
    let style = assets
        .as_ref()
        .map(|a| view! { <link rel="stylesheet" href=a.style.clone()/> });
    let bundle = assets.and_then(|a| a.bundle);
    // The body is exactly the app when it will be hydrated: the bundle hydrates
    // the body's content from its first node.
    let body = match bundle {
        Some(_) => view! { <App/> }.into_any(),
        None => view! {
            <p class="build-missing" role="alert">
                "The console's code is not built: run ./setup.sh build (or ./setup.sh run)."
            </p>
            <App/>
        }
        .into_any(),
    };
    document(
        options,
        None,
        None,
        style,
        view! { <ConsoleScripts bundle/> },
        body,
    )
}

/// The widget frame's document (`/widget`).
pub fn widget_shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let site = site_settings();
    #[cfg(not(feature = "ssr"))]
    let site = widget::SiteSettings::default();
    provide_context(site.clone());
    let scripts = view! { <HydrationScripts options=options.clone()/> };
    document(
        options,
        widget_theme(),
        Some(&site),
        (),
        scripts,
        view! { <WidgetApp/> },
    )
}

/// The agent console, with its routes. In the browser it is a bundle of its own
/// (`frontend/console`): the visitor's pages never load it.
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

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::form_decoded;

    #[test]
    fn query_values_decode_as_a_form_encodes_them() {
        assert_eq!(
            form_decoded("https%3A%2F%2Fshop.example.com%2Fa%3Fb%3D1"),
            "https://shop.example.com/a?b=1"
        );
        assert_eq!(form_decoded("Hello+world%21"), "Hello world!");
        assert_eq!(form_decoded("%E4%BD%A0%E5%A5%BD"), "你好");
        assert_eq!(form_decoded("100%"), "100%", "a lone % stays");
        assert_eq!(form_decoded("%zz%4"), "%zz%4");
        assert_eq!(form_decoded("%FF"), "\u{fffd}", "not UTF-8");
    }
}
