//! Stable error codes that clients receive and translate.
//!
//! The server logs the details of what went wrong; a client only ever gets one of
//! these codes, plus an optional detail that is safe to show (for instance which
//! field was too long). The codes are part of the documented protocol: never rename one.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame was not a valid client message.
    BadRequest,
    /// The connection has not said `hello` yet, or the agent session is missing.
    Unauthenticated,
    /// Wrong username or password (the same answer for an unknown username).
    InvalidLogin,
    /// The role of the connection may not do this.
    Forbidden,
    /// No such conversation, or not a member of it: deliberately the same answer.
    NotFound,
    /// Another agent accepted this chat first.
    AlreadyTaken,
    /// The conversation is closed.
    ConversationClosed,
    /// An empty message (or only whitespace).
    EmptyMessage,
    /// A message or field longer than the documented maximum.
    TooLong,
    /// A malformed field (email address, visitor token, ...).
    InvalidField,
    /// The same client message id was sent before with a different body.
    IdConflict,
    /// An invitee is not on the site or not online (the detail names who).
    InviteeUnavailable,
    /// The invitation is no longer pending: accepted, declined or expired.
    InvitationClosed,
    /// Too many messages too fast; the connection may be closed.
    RateLimited,
    /// Storage is unavailable for now; nothing was stored; retry later.
    Unavailable,
    /// Something unexpected went wrong on the server; it was logged.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::InvalidLogin => "invalid_login",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::AlreadyTaken => "already_taken",
            ErrorCode::ConversationClosed => "conversation_closed",
            ErrorCode::EmptyMessage => "empty_message",
            ErrorCode::TooLong => "too_long",
            ErrorCode::InvalidField => "invalid_field",
            ErrorCode::IdConflict => "id_conflict",
            ErrorCode::InviteeUnavailable => "invitee_unavailable",
            ErrorCode::InvitationClosed => "invitation_closed",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status a request refused with this code answers with (server
    /// functions; the body still carries the code).
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest | ErrorCode::EmptyMessage => 400,
            ErrorCode::Unauthenticated | ErrorCode::InvalidLogin => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::AlreadyTaken
            | ErrorCode::ConversationClosed
            | ErrorCode::IdConflict
            | ErrorCode::InviteeUnavailable
            | ErrorCode::InvitationClosed => 409,
            ErrorCode::TooLong | ErrorCode::InvalidField => 422,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
        }
    }

    /// Whether the same request may succeed if sent again later, unchanged.
    pub fn is_retryable(self) -> bool {
        match self {
            ErrorCode::Unavailable | ErrorCode::RateLimited | ErrorCode::Internal => true,
            ErrorCode::BadRequest
            | ErrorCode::Unauthenticated
            | ErrorCode::InvalidLogin
            | ErrorCode::Forbidden
            | ErrorCode::NotFound
            | ErrorCode::AlreadyTaken
            | ErrorCode::ConversationClosed
            | ErrorCode::EmptyMessage
            | ErrorCode::TooLong
            | ErrorCode::InvalidField
            | ErrorCode::IdConflict
            | ErrorCode::InviteeUnavailable
            | ErrorCode::InvitationClosed => false,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_their_wire_names() {
        for code in [
            ErrorCode::NotFound,
            ErrorCode::AlreadyTaken,
            ErrorCode::Unavailable,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
        }
    }

    #[test]
    fn only_server_faults_answer_5xx() {
        assert_eq!(ErrorCode::InviteeUnavailable.http_status(), 409);
        assert_eq!(ErrorCode::Unauthenticated.http_status(), 401);
        assert_eq!(ErrorCode::Internal.http_status(), 500);
        assert_eq!(ErrorCode::Unavailable.http_status(), 503);
        for code in [
            ErrorCode::BadRequest,
            ErrorCode::NotFound,
            ErrorCode::TooLong,
        ] {
            assert!((400..500).contains(&code.http_status()), "{code}");
        }
    }
}
