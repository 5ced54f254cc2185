//! What the server mails, sent to a real SMTP server on loopback (aiosmtpd): the
//! transcript a visitor asks for (their part only, never a note), and one mail to
//! every agent with an address for each offline message, which waits in the store
//! while the mail server is down, across a restart too, and is sent once.

mod support;

use app::error::ErrorCode;
use app::protocol::{ClientMsg, ServerMsg};
use server::config::Config;
use server::mail::Mailer;
use std::time::Duration;
use support::smtp::SmtpServer;
use support::{chatting, msg_id, token, TestServer};

const FROM: &str = "Example Support <support@example.com>";
const NOTE: &str = "refund approved, not to be told yet";

fn with_mail(smtp: &SmtpServer) -> impl FnOnce(&mut Config) {
    let mailer = Mailer::new(&smtp.url(), FROM).unwrap();
    move |config| config.mailer = Some(mailer)
}

async fn leave_message(ts: &TestServer, n: u8, text: &str) {
    let mut visitor = ts.visitor(&token(n), "/pricing").await;
    visitor
        .send(&ClientMsg::LeaveMessage {
            name: "Mia Wong".into(),
            email: "mia@example.org".into(),
            text: text.into(),
        })
        .await;
    visitor
        .expect(|m| matches!(m, ServerMsg::OfflineMessageStored))
        .await;
}

#[tokio::test]
async fn a_visitor_has_their_part_of_the_transcript_mailed_and_nothing_more() {
    let smtp = SmtpServer::start();
    let ts = TestServer::start_configured(with_mail(&smtp)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let (mut visitor, id) = chatting(&ts, &mut ann, 1, "我要退款").await;
    ann.send(&ClientMsg::SendNote {
        conversation_id: id,
        client_msg_id: msg_id(),
        text: NOTE.into(),
    })
    .await;
    ann.expect(|m| matches!(m, ServerMsg::Ack { .. })).await;

    let ask = |email: &str| ClientMsg::EmailTranscript {
        conversation_id: id,
        email: email.into(),
        lang: Some("zh-Hans".into()),
    };
    visitor.send(&ask("  lin@example.org ")).await;
    let answer = visitor
        .expect(|m| matches!(m, ServerMsg::TranscriptEmailed { .. }))
        .await;
    assert_eq!(
        answer,
        ServerMsg::TranscriptEmailed {
            conversation_id: id,
            email: "lin@example.org".into()
        }
    );
    let mails = smtp.wait_for(1).await;
    let mail = &mails[0];
    assert_eq!(mail.rcpt_to, ["lin@example.org"]);
    assert!(mail.from.contains("support@example.com"), "{mail:?}");
    assert_eq!(mail.subject, "您的聊天记录");
    assert!(mail.body.contains(": 我要退款"), "{}", mail.body);
    assert!(mail.body.contains("Ann 加入了会话"), "{}", mail.body);
    assert!(!mail.body.contains(NOTE), "no note in a visitor's mail");

    // A mistyped address, someone else's conversation, an agent: refused, no mail.
    visitor.send(&ask("lin@example")).await;
    assert_eq!(visitor.expect_error().await, ErrorCode::InvalidField);
    let mut stranger = ts.visitor(&token(2), "/demo").await;
    stranger.send(&ask("eve@example.org")).await;
    assert_eq!(stranger.expect_error().await, ErrorCode::NotFound);
    ann.send(&ask("ann@example.org")).await;
    assert_eq!(ann.expect_error().await, ErrorCode::Forbidden);

    // A few more, then the visitor must wait.
    for _ in 0..2 {
        visitor.send(&ask("lin@example.org")).await;
        visitor
            .expect(|m| matches!(m, ServerMsg::TranscriptEmailed { .. }))
            .await;
    }
    visitor.send(&ask("lin@example.org")).await;
    assert_eq!(visitor.expect_error().await, ErrorCode::RateLimited);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.mails().len(), 3, "exactly the mails answered as sent");
}

#[tokio::test]
async fn without_smtp_the_widget_offers_no_mail_and_a_request_is_refused() {
    let ts = TestServer::start(Duration::from_secs(30)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let (mut visitor, conversation_id) = chatting(&ts, &mut ann, 1, "hello").await;
    let (_, welcome) = ts.visitor_manual(&token(1), "/demo").await;
    assert!(
        matches!(
            welcome,
            ServerMsg::Welcome {
                email_transcripts: false,
                ..
            }
        ),
        "{welcome:?}"
    );
    visitor
        .send(&ClientMsg::EmailTranscript {
            conversation_id,
            email: "vic@example.org".into(),
            lang: None,
        })
        .await;
    assert_eq!(visitor.expect_error().await, ErrorCode::BadRequest);
}

#[tokio::test]
async fn a_mail_server_that_is_down_is_an_error_the_visitor_can_retry() {
    let mut smtp = SmtpServer::start();
    let ts = TestServer::start_configured(with_mail(&smtp)).await;
    ts.add_agent("ann", "Ann").await;
    let mut ann = ts.agent("ann").await;
    let (mut visitor, conversation_id) = chatting(&ts, &mut ann, 1, "hello").await;
    let ask = ClientMsg::EmailTranscript {
        conversation_id,
        email: "vic@example.org".into(),
        lang: None,
    };
    smtp.stop();
    visitor.send(&ask).await;
    assert_eq!(visitor.expect_error().await, ErrorCode::Unavailable);
    smtp.resume();
    visitor.send(&ask).await;
    visitor
        .expect(|m| matches!(m, ServerMsg::TranscriptEmailed { .. }))
        .await;
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails[0].subject, "Your chat transcript");
}

#[tokio::test]
async fn each_offline_message_is_mailed_once_to_every_agent_with_an_address() {
    let smtp = SmtpServer::start();
    let ts = TestServer::start_configured(with_mail(&smtp)).await;
    for (username, name) in [("ann", "Ann"), ("bob", "Bob"), ("cat", "Cat")] {
        ts.add_agent(username, name).await;
    }
    let store = ts.server.chat.store().as_ref();
    server::chat::agents::set_email(store, "ann", "ann@example.com")
        .await
        .unwrap();
    server::chat::agents::set_email(store, "bob", " bob@example.com ")
        .await
        .unwrap();
    assert!(matches!(
        server::chat::agents::set_email(store, "cat", "not an address").await,
        Err(server::chat::agents::AccountError::BadEmail(_))
    ));

    leave_message(&ts, 1, "Do you ship to Taipei?\nThanks").await;
    let mails = smtp.wait_for(2).await;
    let mut recipients: Vec<String> = mails.iter().flat_map(|m| m.rcpt_to.clone()).collect();
    recipients.sort();
    assert_eq!(recipients, ["ann@example.com", "bob@example.com"]);
    for mail in &mails {
        assert_eq!(mail.subject, "Offline message from Mia Wong");
        let reply_to = mail.reply_to.as_deref().unwrap_or_default();
        assert!(reply_to.contains("mia@example.org"), "{mail:?}");
        assert!(
            mail.body.contains("Do you ship to Taipei?\nThanks"),
            "{}",
            mail.body
        );
        assert!(mail.body.contains("Page: /pricing"), "{}", mail.body);
    }
    // Once: nothing more comes, and nothing waits.
    assert_eq!(ts.server.chat.mail_offline_messages().await.unwrap(), 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.mails().len(), 2);
}

#[tokio::test]
async fn an_offline_message_waits_while_the_mail_server_is_down_even_across_a_restart() {
    let mut smtp = SmtpServer::start();
    smtp.stop();
    let first = TestServer::start_configured(with_mail(&smtp)).await;
    first.add_agent("ann", "Ann").await;
    let store = first.server.chat.store().as_ref();
    server::chat::agents::set_email(store, "ann", "ann@example.com")
        .await
        .unwrap();
    leave_message(&first, 1, "Call me back, please").await;
    // The background mailer tries first and gives the message back when the
    // mail server refuses; then this try takes it, and fails the same way.
    let refused = async {
        while first.server.chat.mail_offline_messages().await.is_ok() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), refused)
        .await
        .expect("the mail server is down, and the claim was given back");
    assert!(smtp.mails().is_empty());
    // The server stops before the mail server is back (its files stay).
    let TestServer { server, dir } = first;
    server.abort();
    drop(server);
    let database_url = format!("sqlite://{}/chat.db", dir.path().display());

    smtp.resume();
    let mailer = Mailer::new(&smtp.url(), FROM).unwrap();
    let _second = TestServer::start_configured(move |config| {
        config.database_url = database_url;
        config.mailer = Some(mailer);
        config.mail_lang = app::i18n::Lang::ZhHant;
    })
    .await;
    // Mailed at start, in the agents' language.
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails[0].rcpt_to, ["ann@example.com"]);
    assert_eq!(mails[0].subject, "來自 Mia Wong 的離線留言", "{mails:#?}");
    assert!(mails[0].body.contains("Call me back, please"));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(smtp.mails().len(), 1, "mailed once");
}
