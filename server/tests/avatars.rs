//! Agents' pictures through the real server: an agent with none is drawn as
//! their initial; a logged-in agent sets a picture (checked by its content),
//! anyone sees it, and it can be removed; what is not a picture, too big, sent
//! without a session or from another site is refused and changes nothing.

mod support;

use std::time::Duration;
use support::{TestServer, PASSWORD};

/// The smallest PNG: one transparent pixel.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

#[tokio::test]
async fn an_agent_sets_a_picture_visitors_see_and_removes_it() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "ann Lee").await;
    let id = ts.agent_id("ann").await;
    let addr = ts.server.addr;
    let client = reqwest::Client::new();
    let shown = || async {
        let response = client
            .get(ts.url(&format!("/avatars/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let h = response.headers();
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox"));
        let kind = h["content-type"].to_str().unwrap().to_owned();
        (kind, response.bytes().await.unwrap().to_vec())
    };
    let set_at = || async {
        ts.server
            .chat
            .store()
            .agent(id)
            .await
            .unwrap()
            .unwrap()
            .avatar_ms
    };

    // None yet: the initial, drawn.
    let (kind, svg) = shown().await;
    assert_eq!(kind, "image/svg+xml");
    assert!(String::from_utf8(svg).unwrap().contains(">A</text>"));
    let unknown = client
        .get(ts.url(&format!("/avatars/{}", uuid::Uuid::new_v4())))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    let cookie = ts.login("ann", PASSWORD).await.unwrap();
    // As the console's own page sends it: with this server's origin.
    let put = |body: Vec<u8>, cookie: &str| {
        client
            .put(ts.url("/avatar"))
            .header("origin", format!("http://{addr}"))
            .header("cookie", cookie.to_owned())
            .body(body)
            .send()
    };

    // Refused: not a picture (an SVG could carry script), too big, no session.
    let refused = put(
        b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
        &cookie,
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), 415);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("PNG, JPEG, GIF or WebP"));
    let mut huge = PNG.to_vec();
    huge.resize(app::files::MAX_AVATAR_BYTES + 1, 0);
    assert_eq!(put(huge, &cookie).await.unwrap().status(), 413);
    assert_eq!(put(Vec::new(), &cookie).await.unwrap().status(), 422);
    assert_eq!(put(PNG.to_vec(), "").await.unwrap().status(), 401);
    let cross_site = client
        .put(ts.url("/avatar"))
        .header("cookie", cookie.clone())
        .header("origin", "https://elsewhere.example")
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert_eq!(set_at().await, None);
    assert_eq!(shown().await.0, "image/svg+xml");

    // Set: shown as it was sent, and the console learns its version.
    let answer = put(PNG.to_vec(), &cookie).await.unwrap();
    assert_eq!(answer.status(), 200);
    let answer: serde_json::Value = answer.json().await.unwrap();
    let version = set_at().await.expect("the picture is set");
    assert_eq!(answer["avatar_ms"], version);
    assert_eq!(shown().await, ("image/png".to_owned(), PNG.to_vec()));

    // Removed: the initial again.
    let removed = client
        .delete(ts.url("/avatar"))
        .header("cookie", cookie.clone())
        .header("origin", format!("http://{addr}"))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 200);
    assert_eq!(set_at().await, None);
    assert_eq!(shown().await.0, "image/svg+xml");
}
