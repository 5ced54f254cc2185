//! What can go wrong in the chat service, and the stable code each error shows
//! clients. Details stay in the log.

use crate::store::{Refusal, StoreError};
use app::error::ErrorCode;
use app::ids::{ConversationId, MessageId};
use app::protocol::ServerMsg;

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("not logged in")]
    Unauthenticated,
    #[error("not allowed for this role")]
    Forbidden,
    #[error("no such conversation, or not a member")]
    NotFound,
    #[error("another agent accepted the chat first")]
    AlreadyTaken,
    #[error("the conversation is closed")]
    Closed,
    #[error("empty message")]
    EmptyMessage,
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("invalid {0}")]
    InvalidField(&'static str),
    #[error("client message id reused with another body")]
    IdConflict,
    #[error("not here now: {}; they can be invited once they are back", .0.join(", "))]
    InviteeUnavailable(Vec<String>),
    #[error("the invitation is no longer pending")]
    InvitationClosed,
    #[error("too many requests of this kind; try again later")]
    RateLimited,
    #[error("the mail could not be sent: {0}")]
    MailFailed(String),
    #[error(transparent)]
    Store(StoreError),
}

/// The store's refusals are the service's answers; its failures stay failures.
impl From<StoreError> for ChatError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Refused(refusal) => match refusal {
                Refusal::NotFound => ChatError::NotFound,
                Refusal::Closed => ChatError::Closed,
                Refusal::AlreadyTaken => ChatError::AlreadyTaken,
                Refusal::IdConflict(_) => ChatError::IdConflict,
                Refusal::InvitationClosed(_) => ChatError::InvitationClosed,
                Refusal::NotADirectChat => {
                    ChatError::BadRequest("only a chat with a visitor can go back to the queue")
                }
                Refusal::VisitorChatting => {
                    ChatError::BadRequest("the visitor is in an open conversation: end it first")
                }
                Refusal::NotAlone => {
                    ChatError::BadRequest("another agent is in the chat: hand it to them instead")
                }
                // The service handles this one itself; as an answer it is a bug.
                Refusal::DirectChatOpen(_) => ChatError::Store(StoreError::Refused(refusal)),
            },
            other => ChatError::Store(other),
        }
    }
}

impl ChatError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ChatError::BadRequest(_) => ErrorCode::BadRequest,
            ChatError::Unauthenticated => ErrorCode::Unauthenticated,
            ChatError::Forbidden => ErrorCode::Forbidden,
            ChatError::NotFound => ErrorCode::NotFound,
            ChatError::AlreadyTaken => ErrorCode::AlreadyTaken,
            ChatError::Closed => ErrorCode::ConversationClosed,
            ChatError::EmptyMessage => ErrorCode::EmptyMessage,
            ChatError::TooLong { .. } => ErrorCode::TooLong,
            ChatError::InvalidField(_) => ErrorCode::InvalidField,
            ChatError::IdConflict => ErrorCode::IdConflict,
            ChatError::InviteeUnavailable(_) => ErrorCode::InviteeUnavailable,
            ChatError::InvitationClosed => ErrorCode::InvitationClosed,
            ChatError::RateLimited => ErrorCode::RateLimited,
            // Like storage: nothing was sent, and the same request may work later.
            ChatError::MailFailed(_) => ErrorCode::Unavailable,
            ChatError::Store(StoreError::Unavailable(_)) => ErrorCode::Unavailable,
            ChatError::Store(
                StoreError::Duplicate(_) | StoreError::Internal(_) | StoreError::Refused(_),
            ) => ErrorCode::Internal,
        }
    }

    /// The error frame for the client; internal causes are logged here, not sent.
    pub fn into_server_msg(
        self,
        client_msg_id: Option<MessageId>,
        conversation_id: Option<ConversationId>,
    ) -> ServerMsg {
        if matches!(self, ChatError::Store(_)) {
            crate::metrics::Metrics::count(&crate::metrics::METRICS.store_errors, 1);
        }
        match &self {
            ChatError::Store(StoreError::Unavailable(detail)) => {
                tracing::warn!(%detail, "storage unavailable; the client will retry")
            }
            ChatError::Store(err) => tracing::error!(%err, "storage failed"),
            ChatError::MailFailed(detail) => tracing::warn!(%detail, "a mail was not sent"),
            _ => tracing::debug!(
                err = %self,
                conversation = ?conversation_id,
                client_msg = ?client_msg_id,
                "request refused"
            ),
        }
        ServerMsg::Error {
            code: self.code(),
            client_msg_id,
            conversation_id,
        }
    }
}
