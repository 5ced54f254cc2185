//! Canned replies: checked here (the shortcut's rule, the text's length, who
//! may keep shared ones), kept by the store.

use super::{ChatError, ChatService};
use crate::clock::now_ms;
use crate::store::{AgentRecord, StoreError};
use app::api::{
    check_shortcut, CannedReply, ShortcutProblem, MAX_CANNED_REPLIES, MAX_SHORTCUT_CHARS,
};
use app::ids::CannedReplyId;
use app::protocol::{char_len, AgentRole, MAX_MESSAGE_CHARS};

/// Why a canned reply was refused, as an agent reads it.
#[derive(Debug, thiserror::Error)]
pub enum CannedError {
    #[error("a shortcut is 1 to {MAX_SHORTCUT_CHARS} letters, digits, '-' or '_'")]
    BadShortcut,
    #[error("the text of a reply cannot be blank")]
    EmptyText,
    #[error("the text of a reply is at most {MAX_MESSAGE_CHARS} characters")]
    TooLong,
    #[error("the shortcut {0} is taken")]
    Taken(String),
    #[error("at most {MAX_CANNED_REPLIES} replies")]
    TooMany,
    #[error(transparent)]
    Chat(#[from] ChatError),
}

impl From<StoreError> for CannedError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Duplicate(shortcut) => CannedError::Taken(shortcut),
            other => CannedError::Chat(other.into()),
        }
    }
}

impl ChatService {
    pub async fn canned_replies(&self, agent: &AgentRecord) -> Result<Vec<CannedReply>, ChatError> {
        Ok(self.store.canned_replies(agent.id).await?)
    }

    /// Adds `agent`'s own reply, or with `shared` the team's (admins only).
    pub async fn add_canned_reply(
        &self,
        agent: &AgentRecord,
        shortcut: &str,
        text: &str,
        shared: bool,
    ) -> Result<CannedReply, CannedError> {
        if shared && agent.role != AgentRole::Admin {
            return Err(ChatError::Forbidden.into());
        }
        let shortcut = shortcut.trim().trim_start_matches('/');
        check_shortcut(shortcut).map_err(|_: ShortcutProblem| CannedError::BadShortcut)?;
        let text = text.trim();
        if text.is_empty() {
            return Err(CannedError::EmptyText);
        }
        if char_len(text) > MAX_MESSAGE_CHARS {
            return Err(CannedError::TooLong);
        }
        let existing = self.store.canned_replies(agent.id).await?;
        if existing.len() >= MAX_CANNED_REPLIES {
            return Err(CannedError::TooMany);
        }
        // The store's rule ignores ASCII case; this one every script's.
        let key = shortcut.to_lowercase();
        if existing
            .iter()
            .any(|r| r.shared == shared && r.shortcut.to_lowercase() == key)
        {
            return Err(CannedError::Taken(format!("/{shortcut}")));
        }
        let owner = (!shared).then_some(agent.id);
        Ok(self
            .store
            .add_canned_reply(owner, shortcut, text, now_ms())
            .await?)
    }

    /// Removes `agent`'s own reply, or (admins) a shared one.
    pub async fn remove_canned_reply(
        &self,
        agent: &AgentRecord,
        id: CannedReplyId,
    ) -> Result<(), ChatError> {
        if self.store.remove_canned_reply(id, Some(agent.id)).await? {
            return Ok(());
        }
        if agent.role == AgentRole::Admin && self.store.remove_canned_reply(id, None).await? {
            return Ok(());
        }
        Err(ChatError::NotFound)
    }
}
