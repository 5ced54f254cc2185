//! Static answers: the widget loader, the demo company website, the icon.

use super::static_files::{Asset, SHORT};
use axum::extract::RawQuery;
use axum::http::HeaderMap;
use axum::response::{Html, Redirect, Response};
use std::sync::LazyLock;

const DEMO_PAGE: &str = include_str!("../../assets/demo.html");

// Compressed once, the first time they are asked for.
static WIDGET_JS: LazyLock<Asset> =
    LazyLock::new(|| Asset::embedded("widget.js", include_bytes!("../../assets/widget.js"), SHORT));
static DEMO_CSS: LazyLock<Asset> =
    LazyLock::new(|| Asset::embedded("site.css", include_bytes!("../../assets/demo.css"), SHORT));
static FAVICON: LazyLock<Asset> = LazyLock::new(|| {
    Asset::embedded(
        "favicon.svg",
        include_bytes!("../../assets/favicon.svg"),
        SHORT,
    )
});

/// The loader that company sites embed: short-cached, so that a deploy reaches
/// every site within minutes (and then costs a 304).
pub async fn widget_js(headers: HeaderMap) -> Response {
    WIDGET_JS.respond(&headers)
}

pub async fn demo_css(headers: HeaderMap) -> Response {
    DEMO_CSS.respond(&headers)
}

pub async fn favicon(headers: HeaderMap) -> Response {
    FAVICON.respond(&headers)
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

/// The department each demo page's widget tag names: pricing questions go to
/// `sales`, the contact page to `support` (used once an admin adds departments
/// of those ids; until then every chat waits in the one queue).
fn demo_department(which: &str) -> &'static str {
    match which {
        "pricing" => " data-department=\"sales\"",
        "contact" => " data-department=\"support\"",
        _ => "",
    }
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
            .replace("{{department}}", demo_department(which))
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
