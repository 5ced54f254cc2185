//! The chat service as the console's server functions see it.

use crate::chat::{ChatService, LoginError, SESSION_TTL};
use crate::store::{AgentRecord, StoreError};
use app::api::{AgentView, ConsoleBackend, SESSION_COOKIE};
use app::error::ErrorCode;
use app::protocol::OfflineMessage;
use std::sync::Arc;

pub struct ConsoleApi {
    chat: Arc<ChatService>,
}

impl ConsoleApi {
    pub fn new(chat: Arc<ChatService>) -> Self {
        Self { chat }
    }
}

fn view(agent: AgentRecord) -> AgentView {
    AgentView {
        id: agent.id,
        username: agent.username,
        name: agent.name,
        role: agent.role,
    }
}

fn store_code(err: StoreError) -> ErrorCode {
    match err {
        StoreError::Unavailable(detail) => {
            tracing::warn!(%detail, "storage unavailable");
            ErrorCode::Unavailable
        }
        StoreError::Duplicate(detail) | StoreError::Internal(detail) => {
            tracing::error!(%detail, "storage failed");
            ErrorCode::Internal
        }
    }
}

#[async_trait::async_trait]
impl ConsoleBackend for ConsoleApi {
    async fn login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(AgentView, String), ErrorCode> {
        match self.chat.login(username, password).await {
            Ok((agent, token)) => Ok((view(agent), token)),
            Err(LoginError::Invalid) => Err(ErrorCode::InvalidLogin),
            Err(LoginError::Store(err)) => Err(store_code(err)),
        }
    }

    async fn logout(&self, token: &str) -> Result<(), ErrorCode> {
        self.chat.logout(token).await.map_err(store_code)
    }

    async fn agent_for_session(&self, token: &str) -> Result<Option<AgentView>, ErrorCode> {
        Ok(self
            .chat
            .agent_for_session(token)
            .await
            .map_err(store_code)?
            .map(view))
    }

    async fn offline_messages(&self, limit: u32) -> Result<Vec<OfflineMessage>, ErrorCode> {
        self.chat
            .store()
            .offline_messages(limit)
            .await
            .map_err(store_code)
    }

    fn session_cookie(&self, token: Option<&str>) -> String {
        match token {
            Some(token) => format!(
                "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
                SESSION_TTL.as_secs()
            ),
            None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
        }
    }
}
