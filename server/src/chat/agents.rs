//! Agent accounts, as admins in the console and the command line manage them, and
//! the demo agents made on first run.
//!
//! The functions over a store are the rules (the command line uses them on the
//! database directly); the [`ChatService`] methods apply them and announce the
//! change to every console, cutting the consoles of an agent whose sessions ended.

use super::{hash_password, on_hashing_thread, ChatService};
use crate::store::{AgentRecord, Avatar, NewAgent, Store, StoreError};
use app::ids::AgentId;
use app::protocol::{char_len, AgentRole, DisplayName, MAX_NAME_CHARS};
use rand::distributions::Alphanumeric;
use rand::Rng;
use std::path::Path;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("username '{0}' is not valid; use 1 to 64 letters, digits, '.', '-' or '_'")]
    BadUsername(String),
    #[error(
        "display name '{0}' is not valid: 1 to {MAX_NAME_CHARS} characters, no control characters"
    )]
    BadName(String),
    #[error("password must be at least {MIN_PASSWORD_CHARS} characters")]
    ShortPassword,
    #[error("'{0}' is not an e-mail address")]
    BadEmail(String),
    #[error("agent '{0}' already exists; use `agent passwd` to change its password")]
    Exists(String),
    #[error("no agent '{0}'; `agent list` shows who exists")]
    Missing(String),
    #[error("{0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn check_username(username: &str) -> Result<(), AccountError> {
    let ok = (1..=64).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::BadUsername(username.to_owned()))
    }
}

fn check_password(password: &str) -> Result<(), AccountError> {
    if char_len(password) < MIN_PASSWORD_CHARS {
        return Err(AccountError::ShortPassword);
    }
    Ok(())
}

/// Hashes on the password-hashing thread (see [`on_hashing_thread`]).
async fn hash(password: &str) -> Result<String, AccountError> {
    let password = password.to_owned();
    on_hashing_thread(move || hash_password(&password))
        .await
        .unwrap_or_else(|| Err("the password-hashing thread is gone".into()))
        .map_err(AccountError::Hash)
}

pub async fn add(
    store: &dyn Store,
    username: &str,
    name: &str,
    role: AgentRole,
    password: &str,
) -> Result<AgentRecord, AccountError> {
    check_username(username)?;
    // What an admin typed: surrounding blanks go; then the one rule for names.
    let name = DisplayName::parse(name.trim())
        .map_err(|_| AccountError::BadName(name.to_owned()))?
        .into_string();
    check_password(password)?;
    let password_hash = hash(password).await?;
    let agent = store
        .create_agent(NewAgent {
            username: username.to_owned(),
            name,
            role,
            password_hash,
        })
        .await
        .map_err(|e| match e {
            StoreError::Duplicate(_) => AccountError::Exists(username.to_owned()),
            other => AccountError::Store(other),
        })?;
    Ok(agent)
}

pub async fn set_password(
    store: &dyn Store,
    username: &str,
    password: &str,
) -> Result<(), AccountError> {
    check_password(password)?;
    let hash = hash(password).await?;
    match store.set_password_hash(username, &hash).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(AccountError::Missing(username.to_owned())),
        Err(e) => Err(AccountError::Store(e)),
    }
}

/// Sets the address the agent is mailed offline messages at; an empty one clears it.
pub async fn set_email(store: &dyn Store, username: &str, email: &str) -> Result<(), AccountError> {
    let email = match email.trim() {
        "" => None,
        typed => Some(
            super::conversations::email_address(typed)
                .ok_or_else(|| AccountError::BadEmail(typed.to_owned()))?,
        ),
    };
    match store.set_agent_email(username, email.as_deref()).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(AccountError::Missing(username.to_owned())),
        Err(e) => Err(AccountError::Store(e)),
    }
}

pub async fn remove(store: &dyn Store, username: &str) -> Result<(), AccountError> {
    match store.remove_agent(username).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(AccountError::Missing(username.to_owned())),
        Err(e) => Err(AccountError::Store(e)),
    }
}

impl ChatService {
    /// Adds an agent account; every console hears of it.
    pub async fn add_agent(
        &self,
        username: &str,
        name: &str,
        role: AgentRole,
        password: &str,
    ) -> Result<AgentRecord, AccountError> {
        let agent = add(self.store.as_ref(), username, name, role, password).await?;
        tracing::info!(%username, "agent added");
        self.announce_accounts(None).await;
        Ok(agent)
    }

    /// Removes an agent account; its consoles close, every other console hears of it.
    pub async fn remove_agent(&self, username: &str) -> Result<(), AccountError> {
        let removed = self.store.agent_by_username(username).await?.map(|a| a.id);
        remove(self.store.as_ref(), username).await?;
        tracing::info!(%username, "agent removed");
        self.announce_accounts(removed).await;
        Ok(())
    }

    /// Sets an agent's password; its sessions end and its consoles close.
    pub async fn set_agent_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(), AccountError> {
        set_password(self.store.as_ref(), username, password).await?;
        tracing::info!(%username, "password set");
        let agent = self.store.agent_by_username(username).await?;
        self.announce_accounts(agent.map(|a| a.id)).await;
        Ok(())
    }

    /// Sets the address an agent is mailed offline messages at (empty: none).
    pub async fn set_agent_email(&self, username: &str, email: &str) -> Result<(), AccountError> {
        set_email(self.store.as_ref(), username, email).await?;
        tracing::info!(%username, "e-mail address set");
        Ok(())
    }

    /// Sets (or, with `None`, removes) an agent's picture. Returns when it was
    /// set, which versions its address.
    pub async fn set_avatar(
        &self,
        agent: AgentId,
        avatar: Option<Avatar>,
    ) -> Result<Option<i64>, AccountError> {
        let at_ms = crate::clock::now_ms();
        match self.store.set_avatar(agent, avatar.as_ref(), at_ms).await? {
            true => Ok(avatar.map(|_| at_ms)),
            false => Err(AccountError::Missing(agent.to_string())),
        }
    }

    /// An agent's picture and name, to show; `None` when there is no such agent.
    pub async fn avatar(
        &self,
        agent: AgentId,
    ) -> Result<Option<(String, Option<Avatar>)>, StoreError> {
        let Some(record) = self.store.agent(agent).await? else {
            return Ok(None);
        };
        let avatar = match record.avatar_ms {
            Some(_) => self.store.avatar(agent).await?,
            None => None,
        };
        Ok(Some((record.name, avatar)))
    }

    async fn announce_accounts(&self, signed_out: Option<app::ids::AgentId>) {
        if let Err(err) = self.accounts_changed(signed_out).await {
            tracing::warn!(%err, "could not announce the changed agent accounts");
        }
    }
}

/// Makes two demo agents if there are no agents at all, and writes their logins to
/// `logins_file` so that later runs can show them again. Returns the file's text.
pub async fn ensure_demo_agents(
    store: &dyn Store,
    logins_file: &Path,
) -> Result<Option<String>, AccountError> {
    let existing = store.agents().await.map_err(AccountError::Store)?;
    if existing.is_empty() {
        let mut text = String::new();
        for (username, name, role) in [
            ("alice", "Alice Chen", AgentRole::Admin),
            ("bob", "Bob Martin", AgentRole::Agent),
        ] {
            let password: String = rand::thread_rng()
                .sample_iter(&Alphanumeric)
                .take(12)
                .map(char::from)
                .collect();
            add(store, username, name, role, &password).await?;
            text.push_str(&format!(
                "  {username} / {password}   ({name}, {})\n",
                role.as_str()
            ));
        }
        if let Some(dir) = logins_file.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(err) = write_private(logins_file, &text) {
            tracing::warn!(%err, file = %logins_file.display(), "could not keep the demo logins");
        }
        return Ok(Some(text));
    }
    Ok(std::fs::read_to_string(logins_file).ok())
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_plain() {
        assert!(check_username("alice.chen-2").is_ok());
        assert!(check_username("").is_err());
        assert!(check_username("al ice").is_err());
        assert!(check_username("<script>").is_err());
    }
}
