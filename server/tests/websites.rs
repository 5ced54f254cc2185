//! Websites, through the real server: an admin keeps a company site with the
//! console's server functions; its origins may then open sockets and frame the
//! widget, and the widget page of any of its pages carries its settings, with
//! no change to the site and no restart.

mod support;

use serde_json::json;
use support::{socket_request, TestServer, PASSWORD};

async fn admin(ts: &TestServer) -> String {
    ts.add_account("boss", "Boss", app::protocol::AgentRole::Admin)
        .await;
    ts.login("boss", PASSWORD).await.unwrap()
}

/// Whether a visitor socket from a page of `origin` is let in.
async fn socket_from(ts: &TestServer, origin: &str) -> bool {
    let mut request = socket_request(ts.server.addr, "/ws/visitor", None);
    request
        .headers_mut()
        .insert("origin", origin.parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => true,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403);
            false
        }
        Err(other) => panic!("handshake failed: {other}"),
    }
}

/// The widget page for `query`: its policy's nonce and frame ancestors, and its HTML.
async fn widget_page(ts: &TestServer, query: &str) -> (String, String, String) {
    let response = reqwest::get(ts.url(&format!("/widget?{query}")))
        .await
        .unwrap();
    assert!(response.status().is_success());
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap()
        .to_owned();
    let ancestors = csp
        .split("frame-ancestors ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_owned();
    (nonce, ancestors, response.text().await.unwrap())
}

/// The `<html …>` tag of a page.
fn html_tag(page: &str) -> &str {
    let start = page.find("<html").unwrap();
    &page[start..start + page[start..].find('>').unwrap()]
}

fn shop() -> serde_json::Value {
    json!({
        "id": "shop",
        "name": "  Acme shop ",
        "origins": ["https://Shop.Example.com/", "http://127.0.0.1:9"],
        "settings": {
            "colour": "#0A7C55",
            "position": "left",
            "launcher_text": "Questions? Ask us",
            "greeting": "Hello!\nWe answer within minutes.",
            "show_agents": false,
            "language": "zh-Hant"
        }
    })
}

#[tokio::test]
async fn a_website_saved_in_the_console_embeds_the_widget_with_its_settings() {
    let ts = TestServer::start(std::time::Duration::from_secs(30)).await;
    let cookie = admin(&ts).await;
    let cart = "page_url=https%3A%2F%2Fshop.example.com%2Fcart%3Fitem%3D1";

    // Before: the site may not use the widget, which has its own look.
    assert!(!socket_from(&ts, "https://shop.example.com").await);
    let (_, ancestors, page) = widget_page(&ts, cart).await;
    assert_eq!(ancestors, "'self'");
    assert!(!html_tag(&page).contains("data-position"));

    let (ok, body) = ts
        .call(&cookie, "admin/put_website", json!({ "website": shop() }))
        .await;
    assert!(ok, "{body}");
    let (ok, body) = ts.call(&cookie, "websites", json!({})).await;
    assert!(ok, "{body}");
    let listed: Vec<app::api::Website> = serde_json::from_str(&body).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "Acme shop");
    assert_eq!(
        listed[0].origins,
        ["http://127.0.0.1:9", "https://shop.example.com"],
        "origins kept in their normal form"
    );
    assert_eq!(listed[0].settings.colour, "#0a7c55");

    // Its pages may now open sockets and frame the widget.
    assert!(socket_from(&ts, "https://shop.example.com").await);
    assert!(!socket_from(&ts, "https://blog.example.com").await);
    let (nonce, ancestors, page) = widget_page(&ts, cart).await;
    assert_eq!(
        ancestors,
        "'self' http://127.0.0.1:9 https://shop.example.com"
    );
    let html = html_tag(&page);
    for attribute in [
        "lang=\"zh-Hant\"",
        "data-position=\"left\"",
        "data-launcher-text=\"Questions? Ask us\"",
        "data-greeting=\"Hello!\nWe answer within minutes.\"",
        "data-agents=\"hidden\"",
    ] {
        assert!(html.contains(attribute), "{attribute} in {html}");
    }
    let style = format!(
        "<style nonce=\"{nonce}\">:root{{--brand:#0a7c55;--brand-ink:#ffffff;--mine:#0a7c55;--mine-ink:#ffffff}}</style>"
    );
    assert!(page.contains(&style), "the colour, under this page's nonce");
    // The tag's language wins over the website's; `data-site` names the
    // website whatever the page's address.
    let (_, _, page) = widget_page(&ts, &format!("{cart}&lang=en")).await;
    assert!(html_tag(&page).contains("lang=\"en\""));
    let (_, _, page) =
        widget_page(&ts, "site=shop&page_url=https%3A%2F%2Felsewhere.example%2F").await;
    assert!(html_tag(&page).contains("data-position=\"left\""));
    let (_, _, page) = widget_page(&ts, "page_url=https%3A%2F%2Fblog.example.com%2F").await;
    assert!(!html_tag(&page).contains("data-position"));
    assert!(!page.contains("--brand:"));
}

#[tokio::test]
async fn bad_websites_are_refused_with_the_field_and_change_nothing() {
    let ts = TestServer::start(std::time::Duration::from_secs(30)).await;
    let cookie = admin(&ts).await;
    let put = |website: serde_json::Value| {
        let cookie = cookie.clone();
        let ts = &ts;
        async move {
            ts.call(&cookie, "admin/put_website", json!({ "website": website }))
                .await
        }
    };
    let (ok, body) = put(shop()).await;
    assert!(ok, "{body}");
    let with = |change: fn(&mut serde_json::Value)| {
        let mut website = shop();
        change(&mut website);
        website
    };
    for (website, field) in [
        (
            with(|w| w["origins"] = json!(["https://shop.example.com/cart"])),
            "origins",
        ),
        (with(|w| w["origins"] = json!(["*.example.com"])), "origins"),
        (with(|w| w["origins"] = json!([])), "origins"),
        (with(|w| w["settings"]["colour"] = json!("red")), "colour"),
        (
            with(|w| w["settings"]["language"] = json!("fr")),
            "language",
        ),
        (
            with(|w| w["settings"]["launcher_text"] = json!("x".repeat(31))),
            "launcher_text",
        ),
        (with(|w| w["id"] = json!("Shop!")), "id"),
    ] {
        let (ok, body) = put(website).await;
        assert!(!ok, "{field} accepted");
        let error: app::api::ApiError = serde_json::from_str(&body).unwrap();
        assert_eq!(error.code, app::error::ErrorCode::InvalidField, "{body}");
        let detail = error.detail.unwrap_or_default();
        assert!(
            detail == field || detail.starts_with(&format!("{field}: ")),
            "{field}: {detail}"
        );
    }
    // An origin another website holds: refused, naming it.
    let blog = json!({ "id": "blog", "name": "Blog",
        "origins": ["https://blog.example.com", "https://shop.example.com"] });
    let (ok, body) = put(blog).await;
    assert!(!ok);
    assert!(
        body.contains("https://shop.example.com belongs to another website"),
        "{body}"
    );
    let (_, body) = ts.call(&cookie, "websites", json!({})).await;
    let listed: Vec<app::api::Website> = serde_json::from_str(&body).unwrap();
    assert_eq!(listed.len(), 1, "nothing of the refused changes was kept");
    assert_eq!(listed[0].settings.launcher_text, "Questions? Ask us");

    // Any agent reads them (the visitor list names visitors' websites); only
    // admins change them.
    ts.add_agent("ann", "Ann").await;
    let agent = ts.login("ann", PASSWORD).await.unwrap();
    let (ok, body) = ts.call(&agent, "websites", json!({})).await;
    assert!(ok && body.contains("Acme shop"), "{body}");
    for (endpoint, body) in [
        ("admin/put_website", json!({ "website": shop() })),
        ("admin/remove_website", json!({ "id": "shop" })),
    ] {
        let (ok, answer) = ts.call(&agent, endpoint, body).await;
        assert!(!ok && answer.contains("forbidden"), "{endpoint}: {answer}");
    }

    // Removed: its pages may no longer use the widget.
    assert!(socket_from(&ts, "https://shop.example.com").await);
    let (ok, body) = ts
        .call(&cookie, "admin/remove_website", json!({ "id": "shop" }))
        .await;
    assert!(ok, "{body}");
    assert!(!socket_from(&ts, "https://shop.example.com").await);
    let (ok, body) = ts
        .call(&cookie, "admin/remove_website", json!({ "id": "shop" }))
        .await;
    assert!(!ok && body.contains("not_found"), "{body}");
}

#[tokio::test]
async fn a_pre_chat_form_names_the_visitor_picks_the_department_and_asks_consent_first() {
    use app::protocol::{ClientMsg, ServerMsg};
    let ts = TestServer::start(std::time::Duration::from_secs(30)).await;
    let cookie = admin(&ts).await;
    let (ok, body) = ts
        .call(
            &cookie,
            "admin/put_department",
            json!({ "department": { "id": "billing", "name": "Billing", "routing": "manual",
                "max_chats": 3, "offer_seconds": 30, "agents": [] } }),
        )
        .await;
    assert!(ok, "{body}");
    let mut website = shop();
    website["settings"]["pre_chat"] = json!({
        "name": true, "email": true, "department": true,
        "consent": "I agree that Acme keeps this chat for a year."
    });
    let (ok, body) = ts
        .call(&cookie, "admin/put_website", json!({ "website": website }))
        .await;
    assert!(ok, "{body}");

    // The widget page of the shop carries the form and the departments to pick.
    let (_, _, page) = widget_page(&ts, "page_url=https%3A%2F%2Fshop.example.com%2F").await;
    let html = html_tag(&page);
    assert!(
        html.contains("data-pre-chat=\"name email consent department\""),
        "{html}"
    );
    assert!(html.contains("data-consent=\"I agree that Acme keeps this chat for a year.\""));
    assert!(
        html.contains("data-departments=\"[[&quot;billing&quot;,&quot;Billing&quot;]]\""),
        "{html}"
    );

    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let mut visitor = ts
        .visitor(&support::token(5), "https://shop.example.com/cart")
        .await;
    // No consent yet: no chat, and nothing is stored.
    visitor
        .send(&ClientMsg::StartChat {
            client_msg_id: support::msg_id(),
            text: "Hello?".into(),
        })
        .await;
    assert_eq!(
        visitor.expect_error().await,
        app::error::ErrorCode::InvalidField
    );
    let pre_chat = |email: &str, department: &str| ClientMsg::PreChat {
        name: "Mia Wong".into(),
        email: email.into(),
        department: department.into(),
        consent: true,
    };
    visitor.send(&pre_chat("not an address", "billing")).await;
    assert_eq!(
        visitor.expect_error().await,
        app::error::ErrorCode::InvalidField
    );
    visitor
        .send(&pre_chat("mia@example.com", "no-such-team"))
        .await;
    assert_eq!(
        visitor.expect_error().await,
        app::error::ErrorCode::InvalidField
    );
    visitor.send(&pre_chat("mia@example.com", "billing")).await;
    visitor
        .expect(|m| matches!(m, ServerMsg::NameChanged { name } if name == "Mia Wong"))
        .await;
    let id = support::start_chat(&mut visitor, "My invoice is wrong.").await;
    let ServerMsg::QueueAdded { item } = ann
        .expect(|m| matches!(m, ServerMsg::QueueAdded { item } if item.conversation_id == id))
        .await
    else {
        unreachable!()
    };
    assert_eq!(
        item.department, "billing",
        "the department the visitor picked"
    );
    assert_eq!(item.visitor_name, "Mia Wong");
    // Agents see the address the visitor gave, and the department.
    let ServerMsg::VisitorUpdated { visitor: info } = ann
        .expect(|m| matches!(m, ServerMsg::VisitorUpdated { visitor } if visitor.email == "mia@example.com"))
        .await
    else {
        unreachable!()
    };
    assert!(!info.verified, "the visitor's say-so");
    assert_eq!(info.page.department, "billing");
}
