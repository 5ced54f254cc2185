//! E-mail over SMTP, when `CHAT_SMTP_URL` is set: the transcripts visitors ask
//! for, and a mail to every agent with an address for each offline message (see
//! [`crate::chat`]'s `offline_mail`). Without it the server sends no mail and the
//! widget offers no e-mailed transcript.

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How long one SMTP exchange may take before it fails.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// One mail to send: plain text, UTF-8.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: Mailbox,
    /// Where answers go (the visitor who left an offline message).
    pub reply_to: Option<Mailbox>,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail could not be built: {0}")]
    Build(String),
    #[error("the SMTP server did not take the mail: {0}")]
    Smtp(String),
}

/// Sends mail through one SMTP server, from one sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the SMTP password, if any: never printed.
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    /// A mailer for an SMTP URL (`smtp://host:25` plain, `smtp://host:587?tls=required`
    /// with STARTTLS, `smtps://user:password@host:465` with TLS) sending as `from`
    /// (`Support <support@example.com>`).
    pub fn new(smtp_url: &str, from: &str) -> Result<Mailer, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("'{from}' is not a sender address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| format!("'{}' is not an SMTP URL: {e}", redact(smtp_url)))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Mailer { transport, from })
    }

    pub async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(mail.to)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN);
        if let Some(reply_to) = mail.reply_to {
            builder = builder.reply_to(reply_to);
        }
        let message = builder
            .body(mail.body)
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(drop)
            .map_err(|e| MailError::Smtp(e.to_string()))
    }
}

/// A mailbox for an address someone typed, with a name to show beside it.
pub fn mailbox(name: Option<&str>, address: &str) -> Result<Mailbox, MailError> {
    let address = address
        .trim()
        .parse()
        .map_err(|e| MailError::Build(format!("'{address}' is not an address: {e}")))?;
    Ok(Mailbox::new(name.map(str::to_owned), address))
}

/// An SMTP URL with its password hidden, for error messages and logs.
pub fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_credentials, host)) => format!("{scheme}://***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A mailer keeps a pool of connections, tended by a task: it needs a runtime.
    #[tokio::test]
    async fn passwords_never_show_in_messages() {
        assert_eq!(
            redact("smtps://ann:s3cret@mail.example.com:465"),
            "smtps://***@mail.example.com:465"
        );
        assert_eq!(redact("smtp://127.0.0.1:2525"), "smtp://127.0.0.1:2525");
        let err = Mailer::new("smtps://ann:s3cret@", "Support <support@example.com>")
            .map(drop)
            .unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[tokio::test]
    async fn a_bad_sender_or_url_is_refused_clearly() {
        let err = Mailer::new("smtp://127.0.0.1:2525", "not an address").unwrap_err();
        assert!(err.contains("not a sender address"), "{err}");
        let err = Mailer::new("ftp://127.0.0.1", "support@example.com").unwrap_err();
        assert!(err.contains("not an SMTP URL"), "{err}");
        assert!(Mailer::new("smtp://127.0.0.1:2525", "Support <support@example.com>").is_ok());
    }
}
