//! Static answers: the widget loader, the demo company website, the icon.

use axum::extract::RawQuery;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect};

const WIDGET_JS: &str = include_str!("../../assets/widget.js");
const DEMO_PAGE: &str = include_str!("../../assets/demo.html");
const DEMO_CSS: &str = include_str!("../../assets/demo.css");
const FAVICON: &str = include_str!("../../assets/favicon.svg");

pub async fn widget_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        WIDGET_JS,
    )
}

pub async fn demo_css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        DEMO_CSS,
    )
}

pub async fn favicon() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/svg+xml")], FAVICON)
}

pub async fn index() -> Redirect {
    Redirect::to("/demo")
}

/// Keeps only `lang` from the query, so that links between demo pages keep the
/// language without echoing anything else back into the page.
fn lang_query(query: Option<String>) -> String {
    query
        .and_then(|q| {
            q.split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(k, _)| *k == "lang")
                .map(|(_, v)| v.to_owned())
        })
        .filter(|v| v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(|v| format!("?lang={v}"))
        .unwrap_or_default()
}

fn demo_page(which: &str, title: &str, body: &str, query: Option<String>) -> Html<String> {
    let current = |name: &str| {
        if name == which {
            "aria-current=\"page\""
        } else {
            ""
        }
    };
    Html(
        DEMO_PAGE
            .replace("{{title}}", title)
            .replace("{{body}}", body)
            .replace("{{query}}", &lang_query(query))
            .replace("{{current-home}}", current("home"))
            .replace("{{current-pricing}}", current("pricing"))
            .replace("{{current-contact}}", current("contact")),
    )
}

pub async fn demo_home(RawQuery(query): RawQuery) -> Html<String> {
    demo_page(
        "home",
        "Cloud hosting that just works",
        "<p>Acme Cloud runs your applications on fast, reliable servers in twelve regions.</p>\
         <p>Questions? Click the chat button in the corner: our team is here to help.</p>",
        query,
    )
}

pub async fn demo_pricing(RawQuery(query): RawQuery) -> Html<String> {
    demo_page(
        "pricing",
        "Pricing",
        "<ul><li>Starter: $9 a month</li><li>Team: $49 a month</li>\
         <li>Enterprise: talk to us</li></ul>",
        query,
    )
}

pub async fn demo_contact(RawQuery(query): RawQuery) -> Html<String> {
    demo_page(
        "contact",
        "Contact us",
        "<p>Acme Cloud Ltd., 1 Harbour Street, Example City.</p>\
         <p>Or chat with us now, using the button in the corner.</p>",
        query,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_lang_survives_into_links() {
        assert_eq!(lang_query(Some("lang=zh-Hant&x=1".into())), "?lang=zh-Hant");
        assert_eq!(lang_query(Some("lang=%22%3E%3Cscript".into())), "");
        assert_eq!(lang_query(None), "");
    }
}
