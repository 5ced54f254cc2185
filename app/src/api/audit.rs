//! The audit log: every change an admin makes in the console (accounts,
//! departments, websites, invitation rules, API tokens, webhooks), who made it
//! and when, with what it was changed to. Only admins read it; nobody can
//! change or remove an entry through the product.

#[cfg(feature = "ssr")]
use super::backend;
use super::ApiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// How many entries one page of the log holds.
pub const AUDIT_PAGE: u32 = 100;

/// What an admin did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    AgentAdded,
    AgentRemoved,
    PasswordSet,
    AgentEmailSet,
    DepartmentSaved,
    DepartmentRemoved,
    WebsiteSaved,
    WebsiteRemoved,
    RuleSaved,
    RuleRemoved,
    ApiTokenAdded,
    ApiTokenRevoked,
    WebhookAdded,
    WebhookRemoved,
    WebhookRedelivered,
    VisitorExported,
    VisitorDeleted,
    RetentionSet,
}

impl AuditAction {
    pub const ALL: [AuditAction; 18] = [
        AuditAction::AgentAdded,
        AuditAction::AgentRemoved,
        AuditAction::PasswordSet,
        AuditAction::AgentEmailSet,
        AuditAction::DepartmentSaved,
        AuditAction::DepartmentRemoved,
        AuditAction::WebsiteSaved,
        AuditAction::WebsiteRemoved,
        AuditAction::RuleSaved,
        AuditAction::RuleRemoved,
        AuditAction::ApiTokenAdded,
        AuditAction::ApiTokenRevoked,
        AuditAction::WebhookAdded,
        AuditAction::WebhookRemoved,
        AuditAction::WebhookRedelivered,
        AuditAction::VisitorExported,
        AuditAction::VisitorDeleted,
        AuditAction::RetentionSet,
    ];

    /// The name it is stored and sent under.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::AgentAdded => "agent_added",
            AuditAction::AgentRemoved => "agent_removed",
            AuditAction::PasswordSet => "password_set",
            AuditAction::AgentEmailSet => "agent_email_set",
            AuditAction::DepartmentSaved => "department_saved",
            AuditAction::DepartmentRemoved => "department_removed",
            AuditAction::WebsiteSaved => "website_saved",
            AuditAction::WebsiteRemoved => "website_removed",
            AuditAction::RuleSaved => "rule_saved",
            AuditAction::RuleRemoved => "rule_removed",
            AuditAction::ApiTokenAdded => "api_token_added",
            AuditAction::ApiTokenRevoked => "api_token_revoked",
            AuditAction::WebhookAdded => "webhook_added",
            AuditAction::WebhookRemoved => "webhook_removed",
            AuditAction::WebhookRedelivered => "webhook_redelivered",
            AuditAction::VisitorExported => "visitor_exported",
            AuditAction::VisitorDeleted => "visitor_deleted",
            AuditAction::RetentionSet => "retention_set",
        }
    }

    pub fn parse(text: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Grows with every entry: the next page starts before the last one's.
    pub id: i64,
    pub at_ms: i64,
    /// The admin's username.
    pub admin: String,
    pub action: AuditAction,
    /// What it was done to: a username, a department's or website's id, a
    /// token's name, an endpoint's address.
    pub subject: String,
    /// What it was changed to, as JSON (never a password or a secret); empty
    /// for a removal.
    pub detail: String,
}

/// The newest entries of the audit log, before the entry `before` when given
/// (admins).
#[server(endpoint = "admin/audit_log", input = leptos::server_fn::codec::Json)]
pub async fn audit_log(before: Option<i64>) -> Result<Vec<AuditEntry>, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.audit_log(&token, before).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_back_under_their_names() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.as_str()));
        }
        assert_eq!(AuditAction::parse("deleted_everything"), None);
    }
}
