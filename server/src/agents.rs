//! Agent accounts, as the command line and admins in the console manage them, and
//! the demo agents made on first run.

use crate::chat::{hash_password, on_hashing_thread};
use crate::store::{AgentRecord, NewAgent, Store, StoreError};
use app::protocol::{char_len, AgentRole, MAX_NAME_CHARS};
use rand::distributions::Alphanumeric;
use rand::Rng;
use std::path::Path;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum AgentCliError {
    #[error("username '{0}' is not valid; use 1 to 64 letters, digits, '.', '-' or '_'")]
    BadUsername(String),
    #[error("display name must be 1 to {MAX_NAME_CHARS} characters")]
    BadName,
    #[error("password must be at least {MIN_PASSWORD_CHARS} characters")]
    ShortPassword,
    #[error("agent '{0}' already exists; use `agent passwd` to change its password")]
    Exists(String),
    #[error("no agent '{0}'; `agent list` shows who exists")]
    Missing(String),
    #[error("{0}")]
    Hash(String),
    #[error(transparent)]
    Store(StoreError),
}

fn check_username(username: &str) -> Result<(), AgentCliError> {
    let ok = (1..=64).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(AgentCliError::BadUsername(username.to_owned()))
    }
}

fn check_password(password: &str) -> Result<(), AgentCliError> {
    if char_len(password) < MIN_PASSWORD_CHARS {
        return Err(AgentCliError::ShortPassword);
    }
    Ok(())
}

/// Hashes on the password-hashing thread (see [`on_hashing_thread`]).
async fn hash(password: &str) -> Result<String, AgentCliError> {
    let password = password.to_owned();
    on_hashing_thread(move || hash_password(&password))
        .await
        .unwrap_or_else(|| Err("the password-hashing thread is gone".into()))
        .map_err(AgentCliError::Hash)
}

pub async fn add(
    store: &dyn Store,
    username: &str,
    name: &str,
    role: AgentRole,
    password: &str,
) -> Result<AgentRecord, AgentCliError> {
    check_username(username)?;
    let name = name.trim();
    if name.is_empty() || char_len(name) > MAX_NAME_CHARS {
        return Err(AgentCliError::BadName);
    }
    check_password(password)?;
    let password_hash = hash(password).await?;
    let agent = store
        .create_agent(NewAgent {
            username: username.to_owned(),
            name: name.to_owned(),
            role,
            password_hash,
        })
        .await
        .map_err(|e| match e {
            StoreError::Duplicate(_) => AgentCliError::Exists(username.to_owned()),
            other => AgentCliError::Store(other),
        })?;
    Ok(agent)
}

pub async fn set_password(
    store: &dyn Store,
    username: &str,
    password: &str,
) -> Result<(), AgentCliError> {
    check_password(password)?;
    let hash = hash(password).await?;
    match store.set_password_hash(username, &hash).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(AgentCliError::Missing(username.to_owned())),
        Err(e) => Err(AgentCliError::Store(e)),
    }
}

pub async fn remove(store: &dyn Store, username: &str) -> Result<(), AgentCliError> {
    match store.remove_agent(username).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(AgentCliError::Missing(username.to_owned())),
        Err(e) => Err(AgentCliError::Store(e)),
    }
}

/// Makes two demo agents if there are no agents at all, and writes their logins to
/// `logins_file` so that later runs can show them again. Returns the file's text.
pub async fn ensure_demo_agents(
    store: &dyn Store,
    logins_file: &Path,
) -> Result<Option<String>, AgentCliError> {
    let existing = store.agents().await.map_err(AgentCliError::Store)?;
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
