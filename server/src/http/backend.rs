//! The chat service as the console's server functions see it.

use crate::chat::api_tokens::{self, ApiTokenError};
use crate::chat::{AccountError, CannedError, ChatError, WebsiteError};
use crate::chat::{ChatService, LoginError, SESSION_TTL};
use crate::store::{AgentRecord, ApiScope, StoreError};
use crate::webhooks::check_endpoint;
use app::api::{
    AgentView, ApiError, ApiTokenInfo, AuditAction, AuditEntry, CannedReply, ConsoleBackend,
    Department, HistoryCursor, HistoryFilter, HistoryPage, InvitationRule, NewAgentAccount,
    NewWebhook, PastConversation, PastEntries, Report, ReportQuery, SearchHit, TransferTarget,
    VisitorDeleted, VisitorFound, WebhookAttemptInfo, WebhookDeliveryInfo, WebhookInfo, Website,
    AUDIT_PAGE, SESSION_COOKIE,
};
use app::error::ErrorCode;
use app::ids::{AgentId, CannedReplyId, ConversationId, MessageId, VisitorId};
use app::protocol::AgentRole;
use app::protocol::OfflineMessage;
use std::net::IpAddr;
use std::sync::Arc;

pub struct ConsoleApi {
    chat: Arc<ChatService>,
    /// Where files' bytes are kept: a visitor's go when their data is deleted.
    files: Arc<dyn crate::files::FileBlobs>,
}

impl ConsoleApi {
    pub fn new(chat: Arc<ChatService>, files: Arc<dyn crate::files::FileBlobs>) -> Self {
        Self { chat, files }
    }
}

fn view(agent: AgentRecord) -> AgentView {
    AgentView {
        id: agent.id,
        username: agent.username,
        name: agent.name,
        role: agent.role,
        email: agent.email,
        avatar_ms: agent.avatar_ms,
    }
}

/// The client's view of a chat error: its code, and who could not be invited.
fn api_error(err: ChatError) -> ApiError {
    let detail = match &err {
        ChatError::InviteeUnavailable(names) if !names.is_empty() => Some(names.join(", ")),
        // Which field: the form can say so.
        ChatError::InvalidField(field) => Some((*field).to_owned()),
        ChatError::BadRequest(why) => Some((*why).to_owned()),
        _ => None,
    };
    let code = err.code();
    if let ChatError::Store(store) = err {
        return store_code(store).into();
    }
    ApiError { code, detail }
}

impl ConsoleApi {
    async fn session_agent(&self, token: &str) -> Result<AgentRecord, ApiError> {
        self.chat
            .agent_for_session(token)
            .await
            .map_err(store_code)?
            .ok_or_else(|| ErrorCode::Unauthenticated.into())
    }
}

impl ConsoleApi {
    /// Writes an admin's change into the audit log. The change is made: a log
    /// that cannot be written is logged, not answered as the change's failure.
    async fn audit(&self, admin: &AgentRecord, action: AuditAction, subject: &str, detail: String) {
        let recorded = self
            .chat
            .store()
            .record_audit(
                crate::clock::now_ms(),
                &admin.username,
                action,
                subject,
                &detail,
            )
            .await;
        if let Err(err) = recorded {
            tracing::error!(%err, admin = %admin.username, action = action.as_str(), %subject, "the audit log was not written");
        }
    }

    /// The session's agent, if it is an admin.
    async fn admin(&self, token: &str) -> Result<AgentRecord, ApiError> {
        let agent = self.session_agent(token).await?;
        if agent.role != AgentRole::Admin {
            return Err(ErrorCode::Forbidden.into());
        }
        Ok(agent)
    }
}

/// How many deliveries of an endpoint the console lists.
const WEBHOOK_DELIVERIES_SHOWN: u32 = 30;

fn webhook_info(endpoint: crate::store::WebhookEndpoint) -> WebhookInfo {
    WebhookInfo {
        id: endpoint.id,
        url: endpoint.url,
        events: endpoint.events,
        allow_private: endpoint.allow_private,
        created_ms: endpoint.created_ms,
    }
}

/// What an admin sees when a token change is refused: the code, and the
/// sentence the command line prints.
fn token_error(err: ApiTokenError) -> ApiError {
    let code = match err {
        ApiTokenError::Store(store) => return store_code(store).into(),
        ApiTokenError::BadName(_) | ApiTokenError::Exists(_) => ErrorCode::InvalidField,
        ApiTokenError::Missing(_) => ErrorCode::NotFound,
    };
    ApiError {
        code,
        detail: Some(err.to_string()),
    }
}

/// What an admin sees when an account change is refused: the code, and the same
/// sentence the command line prints.
fn account_error(err: AccountError) -> ApiError {
    let code = match &err {
        AccountError::BadUsername(_)
        | AccountError::BadName(_)
        | AccountError::ShortPassword
        | AccountError::BadEmail(_)
        | AccountError::Exists(_) => ErrorCode::InvalidField,
        AccountError::Missing(_) => ErrorCode::NotFound,
        AccountError::Hash(_) => ErrorCode::Internal,
        AccountError::Store(_) => {
            let AccountError::Store(err) = err else {
                unreachable!()
            };
            return store_code(err).into();
        }
    };
    ApiError {
        code,
        detail: Some(err.to_string()),
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
        refused @ StoreError::Refused(_) => crate::chat::ChatError::from(refused).code(),
    }
}

#[async_trait::async_trait]
impl ConsoleBackend for ConsoleApi {
    async fn login(
        &self,
        username: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<(AgentView, String), ErrorCode> {
        match self.chat.login(username, password, client).await {
            Ok((agent, token)) => Ok((view(agent), token)),
            Err(LoginError::Invalid) => Err(ErrorCode::InvalidLogin),
            Err(LoginError::Throttled) => Err(ErrorCode::RateLimited),
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

    async fn set_offline_handled(
        &self,
        token: &str,
        id: MessageId,
        handled: bool,
    ) -> Result<OfflineMessage, ApiError> {
        let agent = self.session_agent(token).await?;
        self.chat
            .set_offline_handled(&agent, id, handled)
            .await
            .map_err(api_error)
    }

    async fn request_conversation(
        &self,
        token: &str,
        visitors: Vec<VisitorId>,
        agents: Vec<AgentId>,
    ) -> Result<ConversationId, ApiError> {
        let agent = self.session_agent(token).await?;
        self.chat
            .request_conversation(&agent, &visitors, &agents)
            .await
            .map_err(api_error)
    }

    async fn invite(
        &self,
        token: &str,
        conversation_id: ConversationId,
        visitors: Vec<VisitorId>,
        agents: Vec<AgentId>,
    ) -> Result<(), ApiError> {
        let agent = self.session_agent(token).await?;
        self.chat
            .invite(&agent, conversation_id, &visitors, &agents)
            .await
            .map_err(api_error)
    }

    async fn list_agents(&self, token: &str) -> Result<Vec<AgentView>, ApiError> {
        self.admin(token).await?;
        let agents = self.chat.store().agents().await.map_err(store_code)?;
        Ok(agents.into_iter().map(view).collect())
    }

    async fn add_agent(
        &self,
        token: &str,
        account: NewAgentAccount,
    ) -> Result<AgentView, ApiError> {
        let admin = self.admin(token).await?;
        tracing::info!(admin = %admin.username, username = %account.username, "adding an agent");
        let agent = self
            .chat
            .add_agent(
                &account.username,
                &account.name,
                account.role,
                &account.password,
            )
            .await
            .map_err(account_error)?;
        let detail = serde_json::json!({ "name": agent.name, "role": agent.role }).to_string();
        self.audit(&admin, AuditAction::AgentAdded, &agent.username, detail)
            .await;
        Ok(view(agent))
    }

    async fn remove_agent(&self, token: &str, username: &str) -> Result<(), ApiError> {
        let admin = self.admin(token).await?;
        if admin.username == username {
            return Err(ApiError {
                code: ErrorCode::Forbidden,
                detail: Some("you cannot remove your own account".into()),
            });
        }
        tracing::info!(admin = %admin.username, %username, "removing an agent");
        self.chat
            .remove_agent(username)
            .await
            .map_err(account_error)?;
        self.audit(&admin, AuditAction::AgentRemoved, username, String::new())
            .await;
        Ok(())
    }

    async fn set_agent_password(
        &self,
        token: &str,
        username: &str,
        password: &str,
    ) -> Result<(), ApiError> {
        let admin = self.admin(token).await?;
        tracing::info!(admin = %admin.username, %username, "setting a password");
        // Its sessions end (the admin's own too, when it was theirs).
        self.chat
            .set_agent_password(username, password)
            .await
            .map_err(account_error)?;
        self.audit(&admin, AuditAction::PasswordSet, username, String::new())
            .await;
        Ok(())
    }

    async fn set_agent_email(
        &self,
        token: &str,
        username: &str,
        email: &str,
    ) -> Result<(), ApiError> {
        let admin = self.admin(token).await?;
        tracing::info!(admin = %admin.username, %username, "setting an e-mail address");
        self.chat
            .set_agent_email(username, email)
            .await
            .map_err(account_error)?;
        let detail = serde_json::json!({ "email": email.trim() }).to_string();
        self.audit(&admin, AuditAction::AgentEmailSet, username, detail)
            .await;
        Ok(())
    }

    async fn canned_replies(&self, token: &str) -> Result<Vec<CannedReply>, ApiError> {
        let agent = self.session_agent(token).await?;
        self.chat.canned_replies(&agent).await.map_err(api_error)
    }

    async fn add_canned_reply(
        &self,
        token: &str,
        shortcut: &str,
        text: &str,
        shared: bool,
    ) -> Result<CannedReply, ApiError> {
        let agent = self.session_agent(token).await?;
        self.chat
            .add_canned_reply(&agent, shortcut, text, shared)
            .await
            .map_err(|err| match err {
                CannedError::Chat(err) => api_error(err),
                refused => ApiError {
                    code: match refused {
                        CannedError::TooLong => ErrorCode::TooLong,
                        _ => ErrorCode::InvalidField,
                    },
                    detail: Some(refused.to_string()),
                },
            })
    }

    async fn remove_canned_reply(&self, token: &str, id: CannedReplyId) -> Result<(), ApiError> {
        let agent = self.session_agent(token).await?;
        self.chat
            .remove_canned_reply(&agent, id)
            .await
            .map_err(api_error)
    }

    async fn transfer(
        &self,
        token: &str,
        conversation_id: ConversationId,
        to: TransferTarget,
        reason: &str,
        stay: bool,
    ) -> Result<(), ApiError> {
        let agent = self.session_agent(token).await?;
        self.chat
            .transfer(&agent, conversation_id, to, reason, stay)
            .await
            .map_err(api_error)
    }

    async fn history(
        &self,
        token: &str,
        filter: HistoryFilter,
        after: Option<HistoryCursor>,
    ) -> Result<HistoryPage, ApiError> {
        let agent = self.session_agent(token).await?;
        self.chat
            .history(&agent, &filter, after)
            .await
            .map_err(api_error)
    }

    async fn search(
        &self,
        token: &str,
        query: &str,
        filter: HistoryFilter,
    ) -> Result<Vec<SearchHit>, ApiError> {
        let agent = self.session_agent(token).await?;
        self.chat
            .search(&agent, query, &filter)
            .await
            .map_err(api_error)
    }

    async fn past_conversation(
        &self,
        token: &str,
        id: ConversationId,
    ) -> Result<PastConversation, ApiError> {
        let agent = self.session_agent(token).await?;
        self.chat
            .past_conversation(&agent, id)
            .await
            .map_err(api_error)
    }

    async fn past_entries(
        &self,
        token: &str,
        id: ConversationId,
        after_seq: u64,
    ) -> Result<PastEntries, ApiError> {
        let agent = self.session_agent(token).await?;
        self.chat
            .past_entries(&agent, id, after_seq)
            .await
            .map_err(api_error)
    }

    async fn api_tokens(&self, token: &str) -> Result<Vec<ApiTokenInfo>, ApiError> {
        self.admin(token).await?;
        let tokens = self.chat.store().api_tokens().await.map_err(store_code)?;
        Ok(tokens
            .into_iter()
            .map(|t| ApiTokenInfo {
                name: t.name,
                scope: t.scope.as_str().to_owned(),
                created_ms: t.created_ms,
                revoked_ms: t.revoked_ms,
            })
            .collect())
    }

    async fn add_api_token(
        &self,
        token: &str,
        name: &str,
        write: bool,
    ) -> Result<String, ApiError> {
        let admin = self.admin(token).await?;
        let scope = if write {
            ApiScope::Write
        } else {
            ApiScope::Read
        };
        let (record, made) = api_tokens::add_api_token(self.chat.store().as_ref(), name, scope)
            .await
            .map_err(token_error)?;
        tracing::info!(admin = %admin.username, name = %record.name, "API token made in the console");
        let detail = serde_json::json!({ "scope": scope.as_str() }).to_string();
        self.audit(&admin, AuditAction::ApiTokenAdded, &record.name, detail)
            .await;
        Ok(made)
    }

    async fn revoke_api_token(&self, token: &str, name: &str) -> Result<(), ApiError> {
        let admin = self.admin(token).await?;
        api_tokens::revoke_api_token(self.chat.store().as_ref(), name)
            .await
            .map_err(token_error)?;
        tracing::info!(admin = %admin.username, name, "API token revoked in the console");
        self.audit(&admin, AuditAction::ApiTokenRevoked, name, String::new())
            .await;
        Ok(())
    }

    async fn webhooks(&self, token: &str) -> Result<Vec<WebhookInfo>, ApiError> {
        self.admin(token).await?;
        let endpoints = self.chat.store().webhooks().await.map_err(store_code)?;
        Ok(endpoints.into_iter().map(webhook_info).collect())
    }

    async fn add_webhook(
        &self,
        token: &str,
        endpoint: NewWebhook,
    ) -> Result<WebhookInfo, ApiError> {
        let admin = self.admin(token).await?;
        let events = check_endpoint(endpoint.url.trim(), &endpoint.secret, &endpoint.events)
            .map_err(|e| ApiError {
                code: ErrorCode::InvalidField,
                detail: Some(e.to_string()),
            })?;
        let added = self
            .chat
            .store()
            .add_webhook(
                endpoint.url.trim(),
                &endpoint.secret,
                &events,
                endpoint.allow_private,
                crate::clock::now_ms(),
            )
            .await
            .map_err(store_code)?;
        self.chat
            .webhooks_wanted()
            .store(true, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(admin = %admin.username, url = %added.url, "webhook endpoint registered in the console");
        // The secret stays out of the log.
        let detail = serde_json::json!({
            "id": added.id, "events": added.events, "allow_private": added.allow_private,
        })
        .to_string();
        self.audit(&admin, AuditAction::WebhookAdded, &added.url, detail)
            .await;
        Ok(webhook_info(added))
    }

    async fn remove_webhook(&self, token: &str, id: uuid::Uuid) -> Result<(), ApiError> {
        let admin = self.admin(token).await?;
        match self
            .chat
            .store()
            .remove_webhook(id)
            .await
            .map_err(store_code)?
        {
            true => {
                self.audit(
                    &admin,
                    AuditAction::WebhookRemoved,
                    &id.to_string(),
                    String::new(),
                )
                .await;
                Ok(())
            }
            false => Err(ErrorCode::NotFound.into()),
        }
    }

    async fn webhook_deliveries(
        &self,
        token: &str,
        id: uuid::Uuid,
    ) -> Result<Vec<WebhookDeliveryInfo>, ApiError> {
        self.admin(token).await?;
        let deliveries = self
            .chat
            .store()
            .deliveries(id, WEBHOOK_DELIVERIES_SHOWN)
            .await
            .map_err(store_code)?;
        Ok(deliveries
            .into_iter()
            .map(|d| WebhookDeliveryInfo {
                event_id: d.event_id,
                event: d.name,
                state: d.state,
                event_ms: d.event_ms,
                attempts: d
                    .attempts
                    .into_iter()
                    .map(|a| WebhookAttemptInfo {
                        at_ms: a.at_ms,
                        status: a.status,
                        error: a.error,
                        duration_ms: a.duration_ms,
                    })
                    .collect(),
            })
            .collect())
    }

    async fn redeliver(
        &self,
        token: &str,
        id: uuid::Uuid,
        event_id: uuid::Uuid,
    ) -> Result<(), ApiError> {
        let admin = self.admin(token).await?;
        let now = crate::clock::now_ms();
        match self
            .chat
            .store()
            .redeliver(id, event_id, now)
            .await
            .map_err(store_code)?
        {
            true => {
                self.chat.committed().notify_one();
                let detail = serde_json::json!({ "event_id": event_id }).to_string();
                self.audit(
                    &admin,
                    AuditAction::WebhookRedelivered,
                    &id.to_string(),
                    detail,
                )
                .await;
                Ok(())
            }
            false => Err(ErrorCode::NotFound.into()),
        }
    }

    async fn departments(&self, token: &str) -> Result<Vec<Department>, ApiError> {
        self.session_agent(token).await?;
        self.chat.departments().await.map_err(api_error)
    }

    async fn put_department(&self, token: &str, department: Department) -> Result<(), ApiError> {
        let admin = self.admin(token).await?;
        let id = department.id.clone();
        let detail = serde_json::to_string(&department).unwrap_or_default();
        self.chat
            .put_department(department)
            .await
            .map_err(api_error)?;
        self.audit(&admin, AuditAction::DepartmentSaved, &id, detail)
            .await;
        tracing::info!(admin = %admin.username, department = %id, "department saved in the console");
        Ok(())
    }

    async fn remove_department(&self, token: &str, id: &str) -> Result<(), ApiError> {
        let admin = self.admin(token).await?;
        self.chat.remove_department(id).await.map_err(api_error)?;
        self.audit(&admin, AuditAction::DepartmentRemoved, id, String::new())
            .await;
        tracing::info!(admin = %admin.username, department = %id, "department removed in the console");
        Ok(())
    }

    async fn websites(&self, token: &str) -> Result<Vec<Website>, ApiError> {
        self.session_agent(token).await?;
        self.chat.websites().await.map_err(api_error)
    }

    async fn put_website(&self, token: &str, mut website: Website) -> Result<(), ApiError> {
        let admin = self.admin(token).await?;
        let invalid = |detail: String| ApiError {
            code: ErrorCode::InvalidField,
            detail: Some(detail),
        };
        website.origins = website
            .origins
            .iter()
            .filter(|o| !o.trim().is_empty())
            .map(|o| super::parse_origin(o))
            .collect::<Result<_, _>>()
            .map_err(|why| invalid(format!("origins: {why}")))?;
        let id = website.id.clone();
        let detail = serde_json::to_string(&website).unwrap_or_default();
        self.chat
            .put_website(website)
            .await
            .map_err(|err| match err {
                WebsiteError::Invalid(field) => invalid(field.to_owned()),
                WebsiteError::OriginTaken(origin) => {
                    invalid(format!("origins: {origin} belongs to another website"))
                }
                WebsiteError::Chat(err) => api_error(err),
            })?;
        self.audit(&admin, AuditAction::WebsiteSaved, &id, detail)
            .await;
        tracing::info!(admin = %admin.username, website = %id, "website saved in the console");
        Ok(())
    }

    async fn remove_website(&self, token: &str, id: &str) -> Result<(), ApiError> {
        let admin = self.admin(token).await?;
        self.chat.remove_website(id).await.map_err(api_error)?;
        self.audit(&admin, AuditAction::WebsiteRemoved, id, String::new())
            .await;
        tracing::info!(admin = %admin.username, website = %id, "website removed in the console");
        Ok(())
    }

    async fn report(&self, token: &str, query: ReportQuery) -> Result<Report, ApiError> {
        self.admin(token).await?;
        self.chat.report(query).await.map_err(api_error)
    }

    async fn find_visitors(
        &self,
        token: &str,
        query: String,
    ) -> Result<Vec<VisitorFound>, ApiError> {
        self.admin(token).await?;
        self.chat.find_visitors(&query).await.map_err(api_error)
    }

    async fn delete_visitor(&self, token: &str, id: VisitorId) -> Result<VisitorDeleted, ApiError> {
        let admin = self.admin(token).await?;
        let deleted = self
            .chat
            .erase_visitor(id, &*self.files)
            .await
            .map_err(api_error)?;
        let detail = serde_json::to_string(&deleted).unwrap_or_default();
        self.audit(&admin, AuditAction::VisitorDeleted, &id.to_string(), detail)
            .await;
        Ok(deleted)
    }

    async fn retention_days(&self, token: &str) -> Result<Option<u32>, ApiError> {
        self.admin(token).await?;
        self.chat.retention_days().await.map_err(api_error)
    }

    async fn set_retention_days(&self, token: &str, days: Option<u32>) -> Result<(), ApiError> {
        let admin = self.admin(token).await?;
        self.chat
            .set_retention_days(days)
            .await
            .map_err(api_error)?;
        let detail = serde_json::json!({ "days": days }).to_string();
        self.audit(&admin, AuditAction::RetentionSet, "retention_days", detail)
            .await;
        tracing::info!(admin = %admin.username, ?days, "retention period set in the console");
        Ok(())
    }

    async fn audit_log(
        &self,
        token: &str,
        before: Option<i64>,
    ) -> Result<Vec<AuditEntry>, ApiError> {
        self.admin(token).await?;
        self.chat
            .store()
            .audit_log(before, AUDIT_PAGE)
            .await
            .map_err(|err| store_code(err).into())
    }

    async fn invitation_rules(&self, token: &str) -> Result<Vec<InvitationRule>, ApiError> {
        self.admin(token).await?;
        self.chat.invitation_rules().await.map_err(api_error)
    }

    async fn put_invitation_rule(&self, token: &str, rule: InvitationRule) -> Result<(), ApiError> {
        let admin = self.admin(token).await?;
        let id = rule.id.clone();
        let detail = serde_json::to_string(&rule).unwrap_or_default();
        self.chat
            .put_invitation_rule(rule)
            .await
            .map_err(api_error)?;
        self.audit(&admin, AuditAction::RuleSaved, &id, detail)
            .await;
        tracing::info!(admin = %admin.username, rule = %id, "invitation rule saved in the console");
        Ok(())
    }

    async fn remove_invitation_rule(&self, token: &str, id: &str) -> Result<(), ApiError> {
        let admin = self.admin(token).await?;
        self.chat
            .remove_invitation_rule(id)
            .await
            .map_err(api_error)?;
        self.audit(&admin, AuditAction::RuleRemoved, id, String::new())
            .await;
        tracing::info!(admin = %admin.username, rule = %id, "invitation rule removed in the console");
        Ok(())
    }

    fn website_of_page(&self, site: Option<&str>, page_url: &str) -> Option<Website> {
        self.chat.website_of_page(site, page_url)
    }

    fn department_names(&self) -> Vec<(String, String)> {
        self.chat.department_names()
    }

    fn session_cookie(&self, token: Option<&str>, secure: bool) -> String {
        let secure = if secure { "; Secure" } else { "" };
        match token {
            Some(token) => format!(
                "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
                SESSION_TTL.as_secs()
            ),
            None => {
                format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
            }
        }
    }
}
