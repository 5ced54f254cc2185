//! Identifiers shared by the browser and the server.
//!
//! Every id is a newtype over a UUID so that a visitor id can never be passed where a
//! conversation id is expected. Conversation, visitor and agent ids are made by the
//! server; only [`MessageId`] is made by clients (it makes sends idempotent).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn from_random_bytes(bytes: [u8; 16]) -> Self {
                Self(uuid::Builder::from_random_bytes(bytes).into_uuid())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A conversation, direct (one visitor, agents) or group (the multi-party kind).
    ConversationId
);
uuid_id!(
    /// A visitor: the server's name for the holder of a visitor token.
    VisitorId
);
uuid_id!(
    /// An agent account.
    AgentId
);
uuid_id!(
    /// An invitation to a multi-party conversation.
    InvitationId
);
uuid_id!(
    /// A message, named by the client that sends it so that a resend is recognised.
    MessageId
);
uuid_id!(
    /// A canned reply, shared by the team or an agent's own.
    CannedReplyId
);
uuid_id!(
    /// A file sent in a conversation.
    FileId
);

/// Who takes part in a conversation: `{"role": "visitor"|"agent", "id": "…"}`.
/// Read by hand as a flat record: serde's derived reader for a tag beside its
/// content buffers the object in a generic tree first (see `protocol::decode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "role", content = "id", rename_all = "snake_case")]
pub enum Participant {
    Visitor(VisitorId),
    Agent(AgentId),
}

impl<'de> Deserialize<'de> for Participant {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Role {
            Visitor,
            Agent,
        }
        #[derive(Deserialize)]
        struct Flat {
            role: Role,
            id: Uuid,
        }
        let flat = Flat::deserialize(d)?;
        Ok(match flat.role {
            Role::Visitor => Participant::Visitor(VisitorId(flat.id)),
            Role::Agent => Participant::Agent(AgentId(flat.id)),
        })
    }
}

impl Participant {
    pub fn is_agent(self) -> bool {
        matches!(self, Participant::Agent(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialize_as_plain_strings() {
        let id = ConversationId(Uuid::nil());
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"00000000-0000-0000-0000-000000000000\""
        );
    }

    #[test]
    fn participant_is_tagged_by_role() {
        let p = Participant::Agent(AgentId(Uuid::nil()));
        let json = serde_json::to_value(p).unwrap();
        assert_eq!(json["role"], "agent");
        assert_eq!(json["id"], "00000000-0000-0000-0000-000000000000");
        assert_eq!(serde_json::from_value::<Participant>(json).unwrap(), p);
        let visitor: Participant = serde_json::from_str(
            r#"{"id":"00000000-0000-0000-0000-000000000000","role":"visitor"}"#,
        )
        .unwrap();
        assert_eq!(visitor, Participant::Visitor(VisitorId(Uuid::nil())));
    }

    #[test]
    fn random_bytes_make_a_version_4_uuid() {
        let id = MessageId::from_random_bytes([7; 16]);
        assert_eq!(id.0.get_version_num(), 4);
    }
}
