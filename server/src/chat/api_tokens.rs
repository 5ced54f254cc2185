//! The REST API's tokens: made by admins (the console's team panel, or
//! `server api-token add`), shown once, kept only as their SHA-256, and revoked
//! by name. A token is the key of one integration (a CRM, a bot, a data
//! warehouse), not of an agent: requests that act in a conversation name the
//! agent they act as (see `crate::http::api`).

use super::accounts::token_hash;
use super::ChatService;
use crate::clock::now_ms;
use crate::store::{ApiScope, ApiTokenRecord, Store, StoreError};
use app::protocol::char_len;
use rand::rngs::OsRng;
use rand::RngCore;

/// What every token starts with, so that secret scanners and people recognise it.
pub const API_TOKEN_PREFIX: &str = "lcapi_";

/// Longest token name.
pub const MAX_TOKEN_NAME_CHARS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum ApiTokenError {
    #[error(
        "token name '{0}' is not valid: 1 to {MAX_TOKEN_NAME_CHARS} characters, \
         no control characters"
    )]
    BadName(String),
    #[error("a token named '{0}' exists; revoke it first or choose another name")]
    Exists(String),
    #[error("no token named '{0}' that is not revoked; `api-token list` shows them")]
    Missing(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ApiTokenError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Duplicate(name) => ApiTokenError::Exists(name),
            other => ApiTokenError::Store(other),
        }
    }
}

/// A new token: 32 random bytes in hex, after the prefix.
fn new_api_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{API_TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// Whether `token` has a token's form: the prefix and 64 hex digits.
pub fn is_well_formed_api_token(token: &str) -> bool {
    token
        .strip_prefix(API_TOKEN_PREFIX)
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Makes a token named `name`; returns it with the token itself, which is
/// never kept and cannot be shown again.
pub async fn add_api_token(
    store: &dyn Store,
    name: &str,
    scope: ApiScope,
) -> Result<(ApiTokenRecord, String), ApiTokenError> {
    let name = name.trim();
    if name.is_empty()
        || char_len(name) > MAX_TOKEN_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ApiTokenError::BadName(name.to_owned()));
    }
    let token = new_api_token();
    let record = store
        .add_api_token(name, scope, &token_hash(&token), now_ms())
        .await?;
    tracing::info!(name, scope = scope.as_str(), "API token added");
    Ok((record, token))
}

/// Revokes the live token named `name`: requests with it get 401 from now on.
pub async fn revoke_api_token(store: &dyn Store, name: &str) -> Result<(), ApiTokenError> {
    if store.revoke_api_token(name.trim(), now_ms()).await? {
        tracing::info!(name, "API token revoked");
        Ok(())
    } else {
        Err(ApiTokenError::Missing(name.trim().to_owned()))
    }
}

impl ChatService {
    /// The live token a request presents, if it is one.
    pub async fn api_token(&self, token: &str) -> Result<Option<ApiTokenRecord>, StoreError> {
        if !is_well_formed_api_token(token) {
            return Ok(None);
        }
        self.store.live_api_token(&token_hash(token)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_the_prefix_and_64_hex_digits() {
        let token = new_api_token();
        assert!(is_well_formed_api_token(&token), "{token}");
        assert_ne!(token, new_api_token());
        assert!(!is_well_formed_api_token(&token[1..]));
        assert!(!is_well_formed_api_token(&format!("{token}0")));
        assert!(!is_well_formed_api_token(
            &token.replace(API_TOKEN_PREFIX, "lcapx_")
        ));
        assert!(!is_well_formed_api_token(""));
    }
}
