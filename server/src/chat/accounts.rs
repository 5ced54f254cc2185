//! Agent passwords (argon2id), agent sessions and visitor tokens.
//!
//! Session and visitor tokens are 256-bit random values. The store keeps only their
//! SHA-256 hashes, so a copy of the database does not let anyone in.

use super::{ChatError, ChatService, Session};
use crate::clock::now_ms;
use crate::limits::{Limits, Rate};
use crate::store::{AgentRecord, Store, StoreError};
use app::ids::{AgentId, Participant};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Duration;

/// How long an agent stays logged in without logging in again.
pub const SESSION_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Longest username an agent account can have.
pub const MAX_USERNAME_CHARS: usize = 64;

/// Length of a token in hex digits (256 bits).
const TOKEN_HEX_LEN: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown username or wrong password: deliberately one answer.
    #[error("wrong username or password")]
    Invalid,
    /// Too many attempts for this username or from this address, whether or not
    /// the username exists.
    #[error("too many login attempts; try again later")]
    Throttled,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Hashes a password with argon2id and a random salt, in PHC string form.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing the password failed: {e}"))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Runs `job` on the one thread that does all password hashing. Argon2 takes tens of
/// milliseconds of CPU and 19 MiB of memory per hash: on one thread of its own it
/// keeps the async workers free, and its memory is reused instead of being left
/// behind in the allocator arena of every blocking thread that ever hashed (which
/// showed as hundreds of MiB after a few dozen logins). `None` if the thread is gone.
pub async fn on_hashing_thread<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    type Job = Box<dyn FnOnce() + Send>;
    static HASHER: OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> = OnceLock::new();
    let hasher = HASHER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("password-hashing".into())
            .spawn(move || rx.into_iter().for_each(|job| job()))
            .expect("spawning the password-hashing thread");
        std::sync::Mutex::new(tx)
    });
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(job());
    });
    hasher
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .send(job)
        .ok()?;
    result.await.ok()
}

/// A hash to verify against when the username is unknown, so that the answer takes
/// as long as for a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password never matches").unwrap_or_default())
}

/// A new random token in hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Checks the form of a visitor token: 64 lowercase or uppercase hex digits.
pub fn is_well_formed_token(token: &str) -> bool {
    token.len() == TOKEN_HEX_LEN && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A friendly default name that tells nothing about the visitor.
fn visitor_name() -> String {
    format!("Visitor {:04}", OsRng.next_u32() % 10_000)
}

/// Login attempts per username and per client address.
/// How many logins may be tried, per username and per address. The buckets are
/// kept in the store, so that every node of a cluster counts the same attempts
/// and a restart forgets none.
pub(super) struct LoginThrottle {
    per_account: Rate,
    per_ip: Rate,
}

impl LoginThrottle {
    pub(super) fn new(limits: &Limits) -> Self {
        LoginThrottle {
            per_account: limits.failed_logins_per_account,
            per_ip: limits.failed_logins_per_ip,
        }
    }

    /// Counts an attempt; false when the username or the address has used up its
    /// attempts. Unknown usernames are counted like known ones, so the answer
    /// tells nothing about which exist.
    async fn attempt(
        &self,
        store: &dyn Store,
        username: &str,
        client: Option<IpAddr>,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let ip_ok = match client {
            Some(ip) if !self.per_ip.is_unlimited() => {
                store
                    .take_login_token(&format!("ip:{ip}"), self.per_ip, now)
                    .await?
            }
            _ => true,
        };
        let account_ok = self.per_account.is_unlimited()
            || store
                .take_login_token(
                    &format!("a:{}", username.to_lowercase()),
                    self.per_account,
                    now,
                )
                .await?;
        Ok(ip_ok && account_ok)
    }
}

impl ChatService {
    /// Checks a password; on success opens a session and returns its token.
    /// `client` is the address the attempt comes from, for throttling.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<(AgentRecord, String), LoginError> {
        if username.chars().count() > MAX_USERNAME_CHARS {
            return Err(LoginError::Invalid);
        }
        if !self
            .logins
            .attempt(self.store.as_ref(), username, client)
            .await?
        {
            tracing::info!(?client, "login throttled");
            return Err(LoginError::Throttled);
        }
        let agent = self.store.agent_by_username(username).await?;
        let hash = agent.as_ref().map(|a| a.password_hash.clone());
        let password = password.to_owned();
        // An unknown username is checked against the decoy, so it takes as long.
        let matches = on_hashing_thread(move || {
            verify_password(&password, hash.as_deref().unwrap_or_else(|| decoy_hash()))
        })
        .await
        .unwrap_or(false);
        let agent = match agent {
            Some(agent) if matches => agent,
            _ => return Err(LoginError::Invalid),
        };
        let token = new_token();
        let expires = now_ms() + SESSION_TTL.as_millis() as i64;
        self.store
            .create_session(&token_hash(&token), agent.id, expires)
            .await?;
        Ok((agent, token))
    }

    /// Agent accounts were added, removed or had their password set: every console
    /// gets the new list, and the connections of `signed_out` (whose sessions the
    /// store has ended) are closed.
    pub(super) async fn accounts_changed(
        &self,
        signed_out: Option<AgentId>,
    ) -> Result<(), ChatError> {
        if let Some(id) = signed_out {
            // Through the broker, so that its consoles on every node close.
            self.broker
                .publish(crate::routing::Envelope::cut(Participant::Agent(id)));
        }
        let agents = self.agent_infos().await?;
        self.announce_one(super::events::Event::Agents(agents));
        Ok(())
    }

    pub async fn logout(&self, session_token: &str) -> Result<(), StoreError> {
        self.store.delete_session(&token_hash(session_token)).await
    }

    /// The agent a session token belongs to, if it is valid.
    pub async fn agent_for_session(
        &self,
        session_token: &str,
    ) -> Result<Option<AgentRecord>, StoreError> {
        self.store
            .session_agent(&token_hash(session_token), now_ms())
            .await
    }

    /// The visitor holding `token`, made on first sight.
    pub async fn visitor_session(&self, token: &str) -> Result<Session, ChatError> {
        if !is_well_formed_token(token) {
            return Err(ChatError::InvalidField("visitor token"));
        }
        let visitor = self
            .store
            .visitor_for_token(&token_hash(&token.to_ascii_lowercase()), &visitor_name())
            .await?;
        Ok(Session::Visitor {
            id: visitor.id,
            name: visitor.name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn tokens_are_256_bit_hex() {
        let token = new_token();
        assert!(is_well_formed_token(&token));
        assert_ne!(token, new_token());
        assert!(!is_well_formed_token("abc"));
        assert!(!is_well_formed_token(&"g".repeat(64)));
    }
}
