//! Server functions of the agent console: log in and out, who am I, and the
//! messages left while nobody was online. They are thin: each asks the
//! [`ConsoleBackend`] that the server provides as context.

use crate::error::ErrorCode;
use crate::ids::{AgentId, ConversationId, MessageId, VisitorId};
use crate::protocol::{AgentRole, OfflineMessage};
use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

mod audit;
mod canned;
mod departments;
mod history;
mod integrations;
mod privacy;
mod proactive;
mod reports;
mod websites;
pub use audit::*;
pub use canned::*;
pub use departments::*;
pub use history::*;
pub use integrations::*;
pub use privacy::*;
pub use proactive::*;
pub use reports::*;
pub use websites::*;

/// Name of the agent session cookie (HttpOnly, SameSite=Strict, Secure over TLS).
pub const SESSION_COOKIE: &str = "livechat_session";

/// How many offline messages the console lists.
pub const OFFLINE_MESSAGES_SHOWN: u32 = 100;

/// The error of every server function: one stable code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}")]
pub struct ApiError {
    pub code: ErrorCode,
    /// Safe to show: e.g. who could not be invited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        ApiError { code, detail: None }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let code = match value {
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => ErrorCode::Unavailable,
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::Serialization(_) => ErrorCode::BadRequest,
            ServerFnErrorErr::Registration(_)
            | ServerFnErrorErr::UnsupportedRequestMethod(_)
            | ServerFnErrorErr::ServerError(_)
            | ServerFnErrorErr::MiddlewareError(_) => ErrorCode::Internal,
        };
        ApiError { code, detail: None }
    }
}

/// A new agent account, as an admin fills it in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAgentAccount {
    pub username: String,
    pub name: String,
    pub role: AgentRole,
    pub password: String,
}

/// The logged-in agent, as the console shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentView {
    pub id: AgentId,
    pub username: String,
    pub name: String,
    pub role: AgentRole,
    /// Where offline messages are mailed to the agent; none: not mailed.
    #[serde(default)]
    pub email: Option<String>,
    /// When the agent's picture was set (its address's version); none: no picture.
    #[serde(default)]
    pub avatar_ms: Option<i64>,
}

#[cfg(feature = "ssr")]
pub use backend::{session_token, ClientAddr, ConsoleBackend};

#[cfg(feature = "ssr")]
mod backend {
    use super::*;

    /// The address a request came from; the server puts it in every request's
    /// extensions (it throttles logins by it).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct ClientAddr(pub std::net::IpAddr);

    /// What the server functions need from the chat service.
    #[async_trait::async_trait]
    pub trait ConsoleBackend: Send + Sync + 'static {
        /// Checks the password and opens a session; returns the agent and the token.
        async fn login(
            &self,
            username: &str,
            password: &str,
            client: Option<std::net::IpAddr>,
        ) -> Result<(AgentView, String), ErrorCode>;
        async fn logout(&self, token: &str) -> Result<(), ErrorCode>;
        async fn agent_for_session(&self, token: &str) -> Result<Option<AgentView>, ErrorCode>;
        async fn offline_messages(&self, limit: u32) -> Result<Vec<OfflineMessage>, ErrorCode>;
        /// The logged-in agent marks an offline message handled or not.
        async fn set_offline_handled(
            &self,
            token: &str,
            id: MessageId,
            handled: bool,
        ) -> Result<OfflineMessage, ApiError>;
        /// Steps c–e: the logged-in agent asks for a multi-party conversation with
        /// the visitors and agents picked; returns the id the server made for it.
        async fn request_conversation(
            &self,
            token: &str,
            visitors: Vec<VisitorId>,
            agents: Vec<AgentId>,
        ) -> Result<ConversationId, ApiError>;
        /// Invites more people into a conversation the agent takes part in.
        async fn invite(
            &self,
            token: &str,
            conversation_id: ConversationId,
            visitors: Vec<VisitorId>,
            agents: Vec<AgentId>,
        ) -> Result<(), ApiError>;
        /// The team's canned replies and the agent's own.
        async fn canned_replies(&self, token: &str) -> Result<Vec<CannedReply>, ApiError>;
        async fn add_canned_reply(
            &self,
            token: &str,
            shortcut: &str,
            text: &str,
            shared: bool,
        ) -> Result<CannedReply, ApiError>;
        async fn remove_canned_reply(
            &self,
            token: &str,
            id: crate::ids::CannedReplyId,
        ) -> Result<(), ApiError>;
        /// Hands a conversation the agent takes part in to another agent or the queue.
        async fn transfer(
            &self,
            token: &str,
            conversation_id: ConversationId,
            to: TransferTarget,
            reason: &str,
            stay: bool,
        ) -> Result<(), ApiError>;
        /// Every agent account, for an admin.
        async fn list_agents(&self, token: &str) -> Result<Vec<AgentView>, ApiError>;
        /// An admin adds an agent account.
        async fn add_agent(
            &self,
            token: &str,
            account: NewAgentAccount,
        ) -> Result<AgentView, ApiError>;
        /// An admin removes an account (not their own); its sessions end at once.
        async fn remove_agent(&self, token: &str, username: &str) -> Result<(), ApiError>;
        /// An admin sets an account's password; its sessions end at once.
        async fn set_agent_password(
            &self,
            token: &str,
            username: &str,
            password: &str,
        ) -> Result<(), ApiError>;
        /// An admin sets (or, empty, clears) the address an account is mailed
        /// offline messages at.
        async fn set_agent_email(
            &self,
            token: &str,
            username: &str,
            email: &str,
        ) -> Result<(), ApiError>;
        /// A page of past conversations (any agent).
        async fn history(
            &self,
            token: &str,
            filter: HistoryFilter,
            after: Option<HistoryCursor>,
        ) -> Result<HistoryPage, ApiError>;
        /// Messages and notes matching a full-text query (any agent).
        async fn search(
            &self,
            token: &str,
            query: &str,
            filter: HistoryFilter,
        ) -> Result<Vec<SearchHit>, ApiError>;
        async fn past_conversation(
            &self,
            token: &str,
            id: ConversationId,
        ) -> Result<PastConversation, ApiError>;
        async fn past_entries(
            &self,
            token: &str,
            id: ConversationId,
            after_seq: u64,
        ) -> Result<PastEntries, ApiError>;
        /// The REST API's tokens (admins).
        async fn api_tokens(&self, token: &str) -> Result<Vec<ApiTokenInfo>, ApiError>;
        /// Makes a token named `name` (`write` or read only); answers the token.
        async fn add_api_token(
            &self,
            token: &str,
            name: &str,
            write: bool,
        ) -> Result<String, ApiError>;
        async fn revoke_api_token(&self, token: &str, name: &str) -> Result<(), ApiError>;
        /// Webhook endpoints (admins).
        async fn webhooks(&self, token: &str) -> Result<Vec<WebhookInfo>, ApiError>;
        async fn add_webhook(
            &self,
            token: &str,
            endpoint: NewWebhook,
        ) -> Result<WebhookInfo, ApiError>;
        async fn remove_webhook(&self, token: &str, id: uuid::Uuid) -> Result<(), ApiError>;
        async fn webhook_deliveries(
            &self,
            token: &str,
            id: uuid::Uuid,
        ) -> Result<Vec<WebhookDeliveryInfo>, ApiError>;
        async fn redeliver(
            &self,
            token: &str,
            id: uuid::Uuid,
            event_id: uuid::Uuid,
        ) -> Result<(), ApiError>;
        /// Every department (any agent).
        async fn departments(&self, token: &str) -> Result<Vec<Department>, ApiError>;
        /// Adds or changes a department (admins).
        async fn put_department(&self, token: &str, department: Department)
            -> Result<(), ApiError>;
        async fn remove_department(&self, token: &str, id: &str) -> Result<(), ApiError>;
        /// Every website (any agent).
        async fn websites(&self, token: &str) -> Result<Vec<Website>, ApiError>;
        /// Adds or changes a website (admins).
        async fn put_website(&self, token: &str, website: Website) -> Result<(), ApiError>;
        async fn remove_website(&self, token: &str, id: &str) -> Result<(), ApiError>;
        /// A page of the audit log, newest first (admins).
        async fn audit_log(
            &self,
            token: &str,
            before: Option<i64>,
        ) -> Result<Vec<AuditEntry>, ApiError>;
        /// A report over a period (admins).
        async fn report(&self, token: &str, query: ReportQuery) -> Result<Report, ApiError>;
        /// Visitors a privacy request may be about (admins).
        async fn find_visitors(
            &self,
            token: &str,
            query: String,
        ) -> Result<Vec<VisitorFound>, ApiError>;
        /// Deletes a visitor's data (admins).
        async fn delete_visitor(
            &self,
            token: &str,
            id: VisitorId,
        ) -> Result<VisitorDeleted, ApiError>;
        /// The retention period of closed conversations (admins).
        async fn retention_days(&self, token: &str) -> Result<Option<u32>, ApiError>;
        async fn set_retention_days(&self, token: &str, days: Option<u32>) -> Result<(), ApiError>;
        /// Proactive invitation rules (admins).
        async fn invitation_rules(&self, token: &str) -> Result<Vec<InvitationRule>, ApiError>;
        async fn put_invitation_rule(
            &self,
            token: &str,
            rule: InvitationRule,
        ) -> Result<(), ApiError>;
        async fn remove_invitation_rule(&self, token: &str, id: &str) -> Result<(), ApiError>;
        /// The website a widget page belongs to: the one its tag names
        /// (`site`), else the one whose origins hold the page's (`page_url`).
        /// Read from memory, so that rendering the page waits for nothing.
        fn website_of_page(&self, site: Option<&str>, page_url: &str) -> Option<Website>;
        /// The company's departments (id, name), from memory: a pre-chat form
        /// offers them.
        fn department_names(&self) -> Vec<(String, String)>;
        /// The `Set-Cookie` value that stores (or, for `None`, clears) a session;
        /// `secure` when the console is served over TLS.
        fn session_cookie(&self, token: Option<&str>, secure: bool) -> String;
    }

    /// The session token from a `Cookie` header, if any.
    pub fn session_token(headers: &http::HeaderMap) -> Option<String> {
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.to_owned())
            .filter(|v| !v.is_empty())
    }

    pub(super) fn backend() -> Result<std::sync::Arc<dyn ConsoleBackend>, ApiError> {
        use_context::<std::sync::Arc<dyn ConsoleBackend>>().ok_or(ErrorCode::Internal.into())
    }

    pub(super) fn client_addr() -> Option<std::net::IpAddr> {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<ClientAddr>().map(|a| a.0))
    }

    /// Whether the page asking is served over TLS (directly or by a proxy that
    /// says so), so that cookies get `Secure`.
    pub(super) fn request_is_https() -> bool {
        use_context::<http::request::Parts>().is_some_and(|parts| {
            parts.uri.scheme_str() == Some("https")
                || parts
                    .headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.split(',').next().map(str::trim) == Some("https"))
        })
    }

    /// The backend and the session token of the request; refused without a session.
    pub(super) fn with_session() -> Result<(std::sync::Arc<dyn ConsoleBackend>, String), ApiError> {
        let backend = backend()?;
        let token = request_token().ok_or(ErrorCode::Unauthenticated)?;
        Ok((backend, token))
    }

    /// What a server function answers: a refusal gets the HTTP status of its code
    /// (4xx for what the client can fix, 5xx only for the server's own faults);
    /// the body carries the code either way.
    pub(super) async fn answer<T>(
        work: impl std::future::Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        let result = work.await;
        if let Err(err) = &result {
            let status = http::StatusCode::from_u16(err.code.http_status())
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(status);
            }
        }
        result
    }

    pub(super) fn request_token() -> Option<String> {
        use_context::<http::request::Parts>().and_then(|parts| session_token(&parts.headers))
    }

    pub(super) fn set_cookie(value: &str) {
        if let (Some(response), Ok(value)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::HeaderValue::from_str(value),
        ) {
            response.append_header(http::header::SET_COOKIE, value);
        }
    }
}

#[server(endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<AgentView, ApiError> {
    backend::answer(async move {
        let backend = backend::backend()?;
        let (agent, token) = backend
            .login(&username, &password, backend::client_addr())
            .await?;
        backend::set_cookie(&backend.session_cookie(Some(&token), backend::request_is_https()));
        Ok(agent)
    })
    .await
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), ApiError> {
    backend::answer(async move {
        let backend = backend::backend()?;
        if let Some(token) = backend::request_token() {
            backend.logout(&token).await?;
        }
        backend::set_cookie(&backend.session_cookie(None, backend::request_is_https()));
        Ok(())
    })
    .await
}

/// The agent logged in with this browser, if any.
#[server(endpoint = "me")]
pub async fn current_agent() -> Result<Option<AgentView>, ApiError> {
    backend::answer(async move {
        let backend = backend::backend()?;
        match backend::request_token() {
            Some(token) => Ok(backend.agent_for_session(&token).await?),
            None => Ok(None),
        }
    })
    .await
}

/// The most recent messages left with the offline form, newest first.
#[server(endpoint = "offline_messages")]
pub async fn offline_messages() -> Result<Vec<OfflineMessage>, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        if backend.agent_for_session(&token).await?.is_none() {
            return Err(ErrorCode::Unauthenticated.into());
        }
        Ok(backend.offline_messages(OFFLINE_MESSAGES_SHOWN).await?)
    })
    .await
}

/// Marks an offline message handled (or, with `false`, not handled again).
#[server(endpoint = "offline_handled", input = leptos::server_fn::codec::Json)]
pub async fn set_offline_handled(id: MessageId, handled: bool) -> Result<OfflineMessage, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.set_offline_handled(&token, id, handled).await
    })
    .await
}

/// Steps c–e of the method: a multi-party conversation request to the visitors and
/// agents picked. The server checks that each is here now, makes the conversation id,
/// stores the conversation with the requesting agent as its first participant and
/// pushes an invitation to each invitee over the WebSocket channel.
#[server(endpoint = "request_conversation", input = leptos::server_fn::codec::Json)]
pub async fn request_conversation(
    visitors: Vec<VisitorId>,
    agents: Vec<AgentId>,
) -> Result<ConversationId, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.request_conversation(&token, visitors, agents).await
    })
    .await
}

/// More invitations into an open multi-party conversation.
#[server(endpoint = "invite_to_conversation", input = leptos::server_fn::codec::Json)]
pub async fn invite_to_conversation(
    conversation_id: ConversationId,
    visitors: Vec<VisitorId>,
    agents: Vec<AgentId>,
) -> Result<(), ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend
            .invite(&token, conversation_id, visitors, agents)
            .await
    })
    .await
}

/// Where a conversation is handed: to an online agent, or back to the queue (a
/// chat with a visitor only; the next agent to accept it takes it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferTarget {
    Agent(AgentId),
    Queue,
}

/// Hands a conversation the agent takes part in to `to`, with a note of why for
/// the agents (may be empty). The receiving agent joins and owns it; everyone in
/// it is told who answers now. With `stay` the agent who hands it over stays in
/// it, otherwise leaves (always, for the queue). Refused with
/// `invitee_unavailable` when the agent is not online.
#[server(endpoint = "transfer", input = leptos::server_fn::codec::Json)]
pub async fn transfer_conversation(
    conversation_id: ConversationId,
    to: TransferTarget,
    reason: String,
    stay: bool,
) -> Result<(), ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend
            .transfer(&token, conversation_id, to, &reason, stay)
            .await
    })
    .await
}

/// Every agent account (admins only).
#[server(endpoint = "admin/agents", input = leptos::server_fn::codec::Json)]
pub async fn list_agents() -> Result<Vec<AgentView>, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.list_agents(&token).await
    })
    .await
}

/// Adds an agent account (admins only).
#[server(endpoint = "admin/add_agent", input = leptos::server_fn::codec::Json)]
pub async fn add_agent(account: NewAgentAccount) -> Result<AgentView, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.add_agent(&token, account).await
    })
    .await
}

/// Removes an agent account (admins only; not their own).
#[server(endpoint = "admin/remove_agent", input = leptos::server_fn::codec::Json)]
pub async fn remove_agent(username: String) -> Result<(), ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.remove_agent(&token, &username).await
    })
    .await
}

/// Sets the address an agent is mailed offline messages at; empty clears it
/// (admins only).
#[server(endpoint = "admin/set_email", input = leptos::server_fn::codec::Json)]
pub async fn set_agent_email(username: String, email: String) -> Result<(), ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.set_agent_email(&token, &username, &email).await
    })
    .await
}

/// Sets an agent's password (admins only).
#[server(endpoint = "admin/set_password", input = leptos::server_fn::codec::Json)]
pub async fn set_agent_password(username: String, password: String) -> Result<(), ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend
            .set_agent_password(&token, &username, &password)
            .await
    })
    .await
}
