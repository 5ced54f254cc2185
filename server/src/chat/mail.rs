//! What the chat service sends by e-mail (with a [`Mailer`] configured): the
//! transcript a visitor asks for, and, for each offline message, a mail to every
//! agent with an address.
//!
//! Offline messages are mailed from the store, not from memory: each waits in the
//! store until it is mailed, so a mail server that is down, or a crash between
//! storing and mailing, delays the mail but loses none. A mail may be sent twice
//! (a crash after sending, before marking it sent); never not at all while the
//! mail server takes mail within a day. Each mailer (one per node, and whoever
//! calls [`ChatService::mail_offline_messages`]) claims a message in the store
//! before it mails it, so that two mailers at once do not both mail it.

use super::{ChatError, ChatService, Session};
use crate::clock::now_ms;
use crate::limits::KeyedLimiter;
use crate::mail::{mailbox, Mail, Mailer};
use crate::routing::ConnId;
use app::i18n::{shown_name, Lang};
use app::ids::{ConversationId, Participant};
use app::protocol::{OfflineMessage, ServerMsg};
use lettre::message::Mailbox;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Offline messages older than this when first seen are not mailed any more.
const MAIL_WITHIN_MS: i64 = 24 * 3600 * 1000;
/// How long a mailer's claim on the offline message it is mailing lasts; past
/// it (the mailer's node died), another mailer takes it again. Room for each of
/// many agents' mails to take the mail server's whole timeout.
const MAIL_CLAIM_MS: i64 = 10 * 60 * 1000;
/// How often the store is looked at without a wake-up (a message left while the
/// mail server was down, or on another node).
const MAIL_POLL: Duration = Duration::from_secs(60);
/// The longest wait between tries while the mail server refuses.
const MAIL_BACKOFF_MAX: Duration = Duration::from_secs(600);

/// Mail and what limits it.
pub(super) struct MailDesk {
    pub mailer: Mailer,
    /// The language of mails to agents (`CHAT_MAIL_LANG`).
    pub agent_lang: Lang,
    /// Transcripts one visitor may have mailed.
    per_visitor: KeyedLimiter<Participant>,
    /// Transcripts one address may be sent, whoever asks (so that nobody can
    /// flood someone else's mailbox from many visitor tokens).
    per_address: KeyedLimiter<String>,
    /// Woken when an offline message is stored.
    offline_left: Arc<tokio::sync::Notify>,
}

impl MailDesk {
    pub fn new(mailer: Mailer, agent_lang: Lang, limits: &crate::limits::Limits) -> MailDesk {
        MailDesk {
            mailer,
            agent_lang,
            per_visitor: KeyedLimiter::new(limits.transcript_mails_per_visitor),
            per_address: KeyedLimiter::new(limits.transcript_mails_per_address),
            offline_left: Arc::default(),
        }
    }
}

/// The subject and first lines of a transcript mail.
fn transcript_mail_text(lang: Lang) -> (&'static str, &'static str) {
    match lang {
        Lang::En => (
            "Your chat transcript",
            "Here is the transcript of your chat, as you asked.",
        ),
        Lang::ZhHans => ("您的聊天记录", "这是您要求发送的聊天记录。"),
        Lang::ZhHant => ("您的聊天紀錄", "這是您要求傳送的聊天紀錄。"),
    }
}

/// The mail agents get for an offline message.
fn offline_mail_text(lang: Lang, message: &OfflineMessage) -> (String, String) {
    let name = shown_name(lang, &message.name);
    let when = app::transcript::utc(message.at_ms);
    let (subject, intro, page, reply) = match lang {
        Lang::En => (
            format!("Offline message from {name}"),
            format!("{name} <{}> left a message at {when}:", message.email),
            "Page",
            "Reply to this mail to answer them; mark the message handled in the console.",
        ),
        Lang::ZhHans => (
            format!("来自 {name} 的离线留言"),
            format!("{name} <{}> 于 {when} 留言：", message.email),
            "页面",
            "直接回复此邮件即可答复对方；请在控制台中将留言标记为已处理。",
        ),
        Lang::ZhHant => (
            format!("來自 {name} 的離線留言"),
            format!("{name} <{}> 於 {when} 留言：", message.email),
            "頁面",
            "直接回覆此郵件即可答覆對方；請在控制台中將留言標記為已處理。",
        ),
    };
    let mut body = format!("{intro}\n\n{}\n\n", message.body);
    if !message.page_url.is_empty() {
        body.push_str(&format!("{page}: {}\n\n", message.page_url));
    }
    body.push_str(reply);
    body.push('\n');
    (subject, body)
}

impl ChatService {
    /// Whether visitors may ask for their transcript by e-mail.
    pub fn mails_transcripts(&self) -> bool {
        self.mail.is_some()
    }

    /// The `email_transcript` request: checked and limited now, mailed in the
    /// background; the visitor hears `transcript_emailed` once the mail server
    /// took it, or an `unavailable` error.
    pub(super) async fn email_transcript(
        self: &Arc<Self>,
        session: &Session,
        conn: ConnId,
        conversation_id: ConversationId,
        email: String,
        lang: Option<String>,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let Session::Visitor { name, .. } = session else {
            return Err(ChatError::Forbidden);
        };
        let desk = self.mail.as_ref().ok_or(ChatError::BadRequest(
            "transcripts by e-mail are not set up",
        ))?;
        let email =
            super::conversations::email_address(&email).ok_or(ChatError::InvalidField("email"))?;
        let lang = lang.as_deref().and_then(Lang::from_tag).unwrap_or_default();
        // Read before counting against the limits: asking for a conversation one
        // is not in costs nothing and sends nothing.
        let transcript = self.transcript(session, conversation_id, lang).await?;
        if !desk.per_visitor.take(&session.participant())
            || !desk.per_address.take(&email.to_lowercase())
        {
            return Err(ChatError::RateLimited);
        }
        let to = mailbox(Some(&shown_name(lang, name)), &email)
            .map_err(|_| ChatError::InvalidField("email"))?;
        let (subject, intro) = transcript_mail_text(lang);
        let mail = Mail {
            to,
            reply_to: None,
            subject: subject.to_owned(),
            body: format!("{intro}\n\n{transcript}"),
        };
        let service = Arc::clone(self);
        let mailer = desk.mailer.clone();
        tokio::spawn(async move {
            let answer = match mailer.send(mail).await {
                Ok(()) => ServerMsg::TranscriptEmailed {
                    conversation_id,
                    email,
                },
                Err(err) => ChatError::MailFailed(err.to_string())
                    .into_server_msg(None, Some(conversation_id)),
            };
            service.reply(conn, &answer);
        });
        Ok(vec![])
    }

    /// Tells the offline mailer that a message waits.
    pub(super) fn offline_message_left(&self) {
        if let Some(desk) = &self.mail {
            desk.offline_left.notify_one();
        }
    }

    /// Mails every offline message waiting to every agent with an address; each
    /// is marked mailed once all its mails are sent. Returns how many were mailed.
    /// Mailers running at once (the background one, a caller, other nodes) each
    /// mail only the message they claimed, so none is mailed twice; a message is
    /// claimed just before it is mailed, so that a mailer that dies holds up one
    /// message, for [`MAIL_CLAIM_MS`].
    pub async fn mail_offline_messages(&self) -> Result<usize, ChatError> {
        let Some(desk) = &self.mail else {
            return Ok(0);
        };
        let mut mailed = 0;
        loop {
            let now = now_ms();
            let claim_until = now + MAIL_CLAIM_MS;
            let Some(message) = self
                .store
                .claim_unmailed_offline_messages(now, now - MAIL_WITHIN_MS, claim_until, 1)
                .await?
                .pop()
            else {
                return Ok(mailed);
            };
            let sent = match self.agents_with_mail().await {
                Ok(agents) => self.mail_to_agents(desk, &agents, &message).await,
                Err(err) => Err(err),
            };
            if let Err(err) = sent {
                // Given back, for the next try.
                if let Err(release) = self
                    .store
                    .release_offline_mail_claim(message.id, claim_until)
                    .await
                {
                    tracing::warn!(%release, "an offline message's mail claim stays until it lapses");
                }
                return Err(err);
            }
            self.store.mark_offline_mailed(message.id, now_ms()).await?;
            mailed += 1;
        }
    }

    /// Every agent with an address, as a mailbox.
    async fn agents_with_mail(&self) -> Result<Vec<Mailbox>, ChatError> {
        Ok(self
            .store
            .agents()
            .await?
            .into_iter()
            .filter_map(|agent| {
                let email = agent.email.as_deref()?;
                mailbox(Some(&agent.name), email).ok()
            })
            .collect())
    }

    /// Mails one offline message to each of `agents`.
    async fn mail_to_agents(
        &self,
        desk: &MailDesk,
        agents: &[Mailbox],
        message: &OfflineMessage,
    ) -> Result<(), ChatError> {
        let (subject, body) = offline_mail_text(desk.agent_lang, message);
        let reply_to = mailbox(Some(&message.name), &message.email).ok();
        for agent in agents {
            desk.mailer
                .send(Mail {
                    to: agent.clone(),
                    reply_to: reply_to.clone(),
                    subject: subject.clone(),
                    body: body.clone(),
                })
                .await
                .map_err(|e| ChatError::MailFailed(e.to_string()))?;
        }
        Ok(())
    }
}

/// Mails offline messages as long as the service lives: woken when one is left,
/// and every minute in case one was left elsewhere or the mail server was down.
pub(super) async fn offline_mailer(service: Weak<ChatService>) {
    let mut backoff = Duration::from_secs(5);
    loop {
        let Some(strong) = service.upgrade() else {
            return;
        };
        let halted = strong.halted.clone();
        if halted.is_cancelled() {
            return;
        }
        match strong.mail_offline_messages().await {
            Ok(_) => backoff = Duration::from_secs(5),
            Err(err) => {
                tracing::warn!(%err, retry_in = ?backoff, "offline messages not mailed yet");
                drop(strong);
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = halted.cancelled() => return,
                }
                backoff = (backoff * 2).min(MAIL_BACKOFF_MAX);
                continue;
            }
        }
        let Some(left) = strong
            .mail
            .as_ref()
            .map(|desk| Arc::clone(&desk.offline_left))
        else {
            return;
        };
        // Wait without keeping the service alive: for a wake-up, or the poll.
        drop(strong);
        tokio::select! {
            _ = tokio::time::timeout(MAIL_POLL, left.notified()) => {}
            _ = halted.cancelled() => return,
        }
    }
}
