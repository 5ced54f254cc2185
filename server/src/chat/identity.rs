//! Verified visitors. The embedding site may say who a visitor is
//! (`LiveChat.identify({ user_id, name, email, user_hash })`), where
//! `user_hash` is the hex HMAC-SHA256 of `user_id` under the site's identity
//! secret (`CHAT_IDENTITY_SECRET`), made by the site's server, never in the
//! browser. A valid hash makes the visitor that user on every device: the same
//! visitor, with their conversations, shown to agents as verified. The user's
//! visitor is not the device's anonymous one: what was said before logging in
//! stays with the device, and what the user says stays with the user. Without a
//! valid hash the name and address are taken as the visitor's own say-so
//! (shown, never verified, never merged with anyone), or, when the site
//! requires verification (`CHAT_IDENTITY_REQUIRED`), ignored.

use super::{ChatError, ChatService, Session};
use app::protocol::{char_len, DisplayName, Identity};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Longest user id a site may give.
pub const MAX_USER_ID_CHARS: usize = 200;
/// Longest address.
pub const MAX_EMAIL_CHARS: usize = 254;

/// How a site's identities are checked.
#[derive(Clone, Debug, Default)]
pub struct IdentityPolicy {
    /// The secret `user_hash` is made with; none: nobody is verified.
    pub secret: Option<String>,
    /// Whether an identity without a valid hash is ignored (rather than taken
    /// as the visitor's unverified say-so).
    pub required: bool,
}

/// The hash a site's server makes for `user_id`.
pub fn user_hash(secret: &str, user_id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(user_id.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `hash` is `user_id`'s under `secret` (compared in constant time).
fn is_user_hash(secret: &str, user_id: &str, hash: &str) -> bool {
    let Ok(given) = hex::decode(hash.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(user_id.as_bytes());
    mac.verify_slice(&given).is_ok()
}

/// What agents are told of a visitor's identity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vouched {
    pub verified: bool,
    pub email: String,
}

impl ChatService {
    /// The session of a visitor's `hello`: the token's visitor, or the
    /// verified user the identity proves, with what agents are told of it.
    pub async fn visitor_hello(
        &self,
        token: &str,
        identity: Option<Identity>,
    ) -> Result<(Session, Vouched), ChatError> {
        let session = self.visitor_session(token).await?;
        let Some(identity) = identity.filter(|i| !i.user_id.trim().is_empty()) else {
            return Ok((session, Vouched::default()));
        };
        let user_id = identity.user_id.trim();
        let email = identity.email.trim();
        if char_len(user_id) > MAX_USER_ID_CHARS
            || char_len(email) > MAX_EMAIL_CHARS
            || email.chars().any(char::is_control)
        {
            tracing::info!("an identity too long or malformed was ignored");
            return Ok((session, Vouched::default()));
        }
        let name = DisplayName::parse(identity.name.trim())
            .ok()
            .map(|n| n.as_str().to_owned());
        let policy = &self.config.identity;
        let verified = policy
            .secret
            .as_deref()
            .is_some_and(|secret| is_user_hash(secret, user_id, &identity.user_hash));
        if !verified && policy.required {
            tracing::info!("an identity without a valid user_hash was refused");
            return Ok((session, Vouched::default()));
        }
        let Session::Visitor { id, name: current } = session else {
            return Err(ChatError::Forbidden);
        };
        let (id, current) = if verified {
            let fallback_name = name.clone().unwrap_or_else(|| current.clone());
            let user = self.store.visitor_for_user(user_id, &fallback_name).await?;
            (user.id, user.name)
        } else {
            (id, current)
        };
        let name = match name {
            Some(name) if name != current => {
                self.store.set_visitor_name(id, &name).await?;
                name
            }
            _ => current,
        };
        Ok((
            Session::Visitor { id, name },
            Vouched {
                verified,
                email: email.to_owned(),
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_hash_is_the_hmac_of_the_user_id() {
        // HMAC-SHA256("site secret", "user-42"), computed with Python's hmac.
        let hash = user_hash("site secret", "user-42");
        assert_eq!(
            hash,
            "f4549143f59d42a1f03503bd875759cc08f0c7ddd006a018e8b149e4b921c410"
        );
        assert!(is_user_hash("site secret", "user-42", &hash));
        assert!(is_user_hash("site secret", "user-42", &hash.to_uppercase()));
        assert!(!is_user_hash("site secret", "user-43", &hash));
        assert!(!is_user_hash("other secret", "user-42", &hash));
        assert!(!is_user_hash("site secret", "user-42", ""));
        assert!(!is_user_hash("site secret", "user-42", "not hex"));
    }
}
