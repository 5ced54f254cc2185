//! Verified visitors: a site's `user_hash` makes a visitor the same person on
//! every device, with their conversations, shown to agents as verified; a
//! wrong or missing hash verifies nobody, and is refused outright when the site
//! requires verification.

mod support;

use app::ids::VisitorId;
use app::protocol::{ClientMsg, Identity, Me, ServerMsg, VisitorInfo};
use server::chat::identity::{user_hash, IdentityPolicy};
use support::{page, start_chat, token, Client, TestServer};

const SECRET: &str = "the site's identity secret";

async fn server(required: bool) -> TestServer {
    TestServer::start_configured(|config| {
        config.identity = IdentityPolicy {
            secret: Some(SECRET.into()),
            required,
        };
    })
    .await
}

fn identity(user_id: &str, hash: &str) -> Identity {
    Identity {
        user_id: user_id.into(),
        name: "Alice Smith".into(),
        email: "alice@example.com".into(),
        user_hash: hash.into(),
    }
}

/// A visitor's hello with `identity`: the connection, who it is, and the ids of
/// the conversations its welcome lists.
async fn hello(
    ts: &TestServer,
    n: u8,
    identity: Option<Identity>,
) -> (Client, VisitorId, String, Vec<String>) {
    let (ws, _) = tokio_tungstenite::connect_async(support::socket_request(
        ts.server.addr,
        "/ws/visitor",
        None,
    ))
    .await
    .unwrap();
    let mut client = Client::new(ws);
    client
        .send(&ClientMsg::Hello {
            token: Some(token(n)),
            page: Some(page("/account")),
            identity,
        })
        .await;
    let ServerMsg::Welcome {
        me: Me::Visitor { id, name },
        conversations,
        ..
    } = client
        .expect(|m| matches!(m, ServerMsg::Welcome { .. }))
        .await
    else {
        unreachable!()
    };
    let conversations = conversations.iter().map(|c| c.id.to_string()).collect();
    (client, id, name, conversations)
}

/// What the console lists of `id`, once it lists it.
async fn listed(console: &mut Client, id: VisitorId) -> VisitorInfo {
    let frame = console
        .expect(|m| match m {
            ServerMsg::VisitorUpdated { visitor } => visitor.id == id,
            ServerMsg::Visitors { visitors, .. } => visitors.iter().any(|v| v.id == id),
            _ => false,
        })
        .await;
    match frame {
        ServerMsg::VisitorUpdated { visitor } => visitor,
        ServerMsg::Visitors { visitors, .. } => visitors.into_iter().find(|v| v.id == id).unwrap(),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_verified_visitor_is_one_person_on_every_device_and_shown_as_verified() {
    let ts = server(false).await;
    ts.add_agent("ann", "Ann").await;
    let mut console = ts.agent("ann").await;
    let hash = user_hash(SECRET, "user-42");

    let (mut laptop, alice, name, _) = hello(&ts, 1, Some(identity("user-42", &hash))).await;
    assert_eq!(name, "Alice Smith");
    let shown = listed(&mut console, alice).await;
    assert!(shown.verified, "{shown:?}");
    assert_eq!(shown.email, "alice@example.com");
    let chat = start_chat(&mut laptop, "My order is late").await;

    // Her phone, another token: the same visitor, with her conversation.
    let (_phone, on_phone, _, conversations) =
        hello(&ts, 2, Some(identity("user-42", &hash.to_uppercase()))).await;
    assert_eq!(on_phone, alice);
    assert_eq!(conversations, [chat.to_string()]);

    // The laptop without the identity (she logged out of the site): the
    // device's own anonymous visitor, who sees none of it.
    drop(laptop);
    let (_, anonymous, name, conversations) = hello(&ts, 1, None).await;
    assert_ne!(anonymous, alice);
    assert_ne!(name, "Alice Smith");
    assert!(conversations.is_empty());

    // A wrong or missing hash verifies nobody and reaches nobody's
    // conversations; the name and address are shown as the visitor's say-so.
    for bad in [
        "",
        "00",
        &user_hash("another secret", "user-42"),
        &user_hash(SECRET, "user-43"),
    ] {
        let (_client, who, name, conversations) =
            hello(&ts, 3, Some(identity("user-42", bad))).await;
        assert_ne!(who, alice, "{bad}");
        assert!(conversations.is_empty());
        assert_eq!(name, "Alice Smith");
        let shown = listed(&mut console, who).await;
        assert!(!shown.verified, "{bad}: {shown:?}");
        assert_eq!(shown.email, "alice@example.com");
    }
}

#[tokio::test]
async fn a_site_that_requires_verification_ignores_an_identity_without_a_valid_hash() {
    let ts = server(true).await;
    ts.add_agent("ann", "Ann").await;
    let mut console = ts.agent("ann").await;
    for bad in ["", "not hex", &user_hash("another secret", "user-7")] {
        let (_client, who, name, _) = hello(&ts, 5, Some(identity("user-7", bad))).await;
        assert_ne!(name, "Alice Smith", "{bad}: the claimed name is not taken");
        let shown = listed(&mut console, who).await;
        assert!(!shown.verified && shown.email.is_empty(), "{shown:?}");
    }
    let (_client, who, name, _) = hello(
        &ts,
        5,
        Some(identity("user-7", &user_hash(SECRET, "user-7"))),
    )
    .await;
    assert_eq!(name, "Alice Smith");
    let shown = listed(&mut console, who).await;
    assert!(shown.verified);
    // Too long a user id is no identity at all.
    let (_, _, name, _) = hello(&ts, 6, Some(identity(&"x".repeat(201), "00"))).await;
    assert_ne!(name, "Alice Smith");
}
