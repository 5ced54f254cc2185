//! Proactive invitations: the rules admins keep that invite a visitor to chat by
//! themselves. Each node keeps the rules in memory (read again on every tick of
//! its router task, and at once after a change saved here) and, once a tick,
//! looks at the visitors connected to it: a visitor who is not chatting and has
//! no invitation open, on a page that matches a rule, long enough, having seen
//! enough pages (and returning, when the rule asks), gets an invitation from an
//! online agent (of the rule's department, when it names one), in turn, with
//! the rule's greeting. The conversation it opens holds a note, for agents
//! only, naming the rule. A rule fires at most once per visit.

use super::availability::lock;
use super::{ChatError, ChatService};
use crate::clock::now_ms;
use crate::store::{GroupOpening, NewMessage, StoreError};
use app::api::{matches_pattern, rule_problem, InvitationRule};
use app::i18n::Lang;
use app::ids::{AgentId, ConversationId, MessageId, Participant, VisitorId};
use app::protocol::{AgentStatus, Author, Body, Visibility};
use std::sync::Arc;
use uuid::Uuid;

/// A visitor connected to this node, as the rules weigh them.
#[derive(Clone, Debug, PartialEq)]
pub struct Prospect {
    pub id: VisitorId,
    pub name: String,
    pub page_url: String,
    /// How long they have been on this page.
    pub on_page_ms: i64,
    pub visit_started_ms: i64,
    pub pages_viewed: u32,
    /// Whether they were on the site in an earlier visit, once looked up.
    pub returning: Option<bool>,
    /// The rules that fired for them in this visit.
    pub fired: Vec<String>,
}

/// How long before this visit a visitor must have been first seen to count as
/// returning: their first hello starts their first visit, and half an hour is
/// what web analytics take as the gap between visits.
const RETURNING_AFTER_MS: i64 = 30 * 60_000;

/// Whether `rule` invites `visitor` now, leaving out whether they are
/// returning (looked up only when a rule asks) and the department's agents.
pub fn rule_matches(rule: &InvitationRule, visitor: &Prospect) -> bool {
    rule.enabled
        && !visitor.fired.contains(&rule.id)
        && matches_pattern(&rule.url_pattern, &visitor.page_url)
        && visitor.on_page_ms >= i64::from(rule.seconds_on_page) * 1000
        && visitor.pages_viewed >= rule.min_pages_viewed
}

/// Whether `rule` invites `visitor` now (the department's agents are weighed
/// apart).
pub fn rule_fires(rule: &InvitationRule, visitor: &Prospect) -> bool {
    rule_matches(rule, visitor) && (!rule.returning_only || visitor.returning == Some(true))
}

/// Whether a visitor first seen at `first_seen_ms` is returning in a visit
/// that began at `visit_started_ms`.
pub fn is_returning(first_seen_ms: i64, visit_started_ms: i64) -> bool {
    first_seen_ms + RETURNING_AFTER_MS < visit_started_ms
}

/// The note agents read in a conversation a rule started.
fn rule_note(lang: Lang, rule: &str) -> String {
    match lang {
        Lang::En => format!("Proactive invitation: the rule “{rule}” invited this visitor."),
        Lang::ZhHans => format!("主动邀请：规则“{rule}”邀请了这位访客。"),
        Lang::ZhHant => format!("主動邀請：規則「{rule}」邀請了這位訪客。"),
    }
}

impl ChatService {
    pub async fn invitation_rules(&self) -> Result<Vec<InvitationRule>, ChatError> {
        Ok(self.store.invitation_rules().await?)
    }

    /// Adds a rule or changes one (the caller checked the admin role).
    pub async fn put_invitation_rule(&self, mut rule: InvitationRule) -> Result<(), ChatError> {
        rule.name = rule.name.trim().to_owned();
        rule.greeting = rule.greeting.trim().to_owned();
        rule.url_pattern = rule.url_pattern.trim().to_owned();
        if let Some(field) = rule_problem(&rule) {
            return Err(ChatError::InvalidField(field));
        }
        if !rule.department.is_empty()
            && !self
                .store
                .departments()
                .await?
                .iter()
                .any(|d| d.id == rule.department)
        {
            return Err(ChatError::InvalidField("department"));
        }
        self.store.put_invitation_rule(&rule, now_ms()).await?;
        self.rules_changed().await;
        Ok(())
    }

    pub async fn remove_invitation_rule(&self, id: &str) -> Result<(), ChatError> {
        if !self.store.remove_invitation_rule(id).await? {
            return Err(ChatError::NotFound);
        }
        self.rules_changed().await;
        Ok(())
    }

    /// Reads the rules again.
    pub(super) async fn reread_rules(&self) -> Result<(), StoreError> {
        let rules = self.store.invitation_rules().await?;
        *lock(&self.rules_known) = Arc::new(rules);
        Ok(())
    }

    async fn rules_changed(&self) {
        if let Err(err) = self.reread_rules().await {
            tracing::warn!(%err, "invitation rules not read again after a change; the next tick will");
        }
    }

    /// Invites the visitors of this node whom a rule invites now.
    pub(super) async fn fire_invitation_rules(self: &Arc<Self>) -> Result<(), ChatError> {
        let rules = Arc::clone(&lock(&self.rules_known));
        if !rules.iter().any(|r| r.enabled) || self.presence().available_agents().is_empty() {
            return Ok(());
        }
        let now = now_ms();
        // Visitors still here (not in their grace period after closing the
        // page) whom some rule may invite.
        let prospects: Vec<Prospect> = self
            .presence()
            .prospects(now)
            .into_iter()
            .filter(|v| rules.iter().any(|r| rule_matches(r, v)))
            .filter(|v| self.router.connection_count(Participant::Visitor(v.id)) > 0)
            .collect();
        if prospects.is_empty() {
            return Ok(());
        }
        let invited: std::collections::HashSet<Participant> =
            self.store.pending_invitees().await?.into_iter().collect();
        for mut visitor in prospects {
            if invited.contains(&Participant::Visitor(visitor.id)) {
                continue;
            }
            let asks_returning = rules
                .iter()
                .any(|r| r.returning_only && rule_matches(r, &visitor));
            if asks_returning && visitor.returning.is_none() {
                match self.store.visitor_first_seen(visitor.id).await {
                    Ok(Some(first_seen)) => {
                        let returning = is_returning(first_seen, visitor.visit_started_ms);
                        self.presence().visitor_returning(visitor.id, returning);
                        visitor.returning = Some(returning);
                    }
                    Ok(None) => continue,
                    Err(err) => {
                        tracing::warn!(%err, "looking up a returning visitor failed");
                        continue;
                    }
                }
            }
            // The first rule (by id) that matches and has an agent to send it;
            // while none has, the next tick looks again.
            let Some((rule, agent)) = rules
                .iter()
                .filter(|r| rule_fires(r, &visitor))
                .find_map(|r| self.inviting_agent(&r.department).map(|a| (r, a)))
            else {
                continue;
            };
            // Sent: not again in this visit (nor when the agent went meanwhile).
            self.presence().rule_fired(visitor.id, &rule.id);
            match self.invite_by_rule(rule, agent, &visitor).await {
                Ok(_) => {
                    lock(&self.rule_invitations_sent).insert(agent, now);
                }
                Err(ChatError::NotFound) => {}
                Err(err) => tracing::warn!(%err, rule = %rule.id, "a rule's invitation failed"),
            }
        }
        Ok(())
    }

    /// The online agent who sends the next invitation of a rule: of its
    /// department (any, when it names none), in turn: the one who sent one
    /// longest ago (or never), ties to the lower id.
    fn inviting_agent(&self, department: &str) -> Option<AgentId> {
        let members: Option<Vec<AgentId>> = (!department.is_empty()).then(|| {
            lock(&self.departments_known)
                .iter()
                .find(|d| d.id == department)
                .map(|d| d.agents.clone())
                .unwrap_or_default()
        });
        let online = self.presence().available_agents();
        let sent = lock(&self.rule_invitations_sent);
        online
            .into_iter()
            .filter(|a| members.as_ref().is_none_or(|m| m.contains(a)))
            .min_by_key(|a| (sent.get(a).copied().unwrap_or(0), *a))
    }

    /// Opens a conversation of `agent` with the rule's note and invites the
    /// visitor with the rule's greeting.
    async fn invite_by_rule(
        self: &Arc<Self>,
        rule: &InvitationRule,
        agent: AgentId,
        visitor: &Prospect,
    ) -> Result<ConversationId, ChatError> {
        let agent = self.store.agent(agent).await?.ok_or(ChatError::NotFound)?;
        if self.presence().agent_status(agent.id) != AgentStatus::Online {
            return Err(ChatError::NotFound);
        }
        let now = now_ms();
        let note = NewMessage {
            id: MessageId(Uuid::new_v4()),
            author: Some(Author {
                participant: Participant::Agent(agent.id),
                name: agent.name.clone(),
            }),
            body: Body::Text {
                text: rule_note(self.config.mail_lang, &rule.name),
            },
            at_ms: now,
            visibility: Visibility::Agents,
            file: None,
        };
        let opening = GroupOpening {
            entries: vec![note],
            greeting: rule.greeting.clone(),
        };
        let invitees = [(Participant::Visitor(visitor.id), visitor.name.clone())];
        let id = ConversationId(Uuid::new_v4());
        let _order = self.stripe(id).lock().await;
        let invited = self
            .store
            .create_group(id, &agent, &invitees, opening, now)
            .await?;
        self.announce(invited.changed);
        tracing::info!(rule = %rule.id, visitor = %visitor.id, agent = %agent.username, "a rule invited a visitor");
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_pricing() -> Prospect {
        Prospect {
            id: VisitorId(Uuid::new_v4()),
            name: "Visitor 1234".into(),
            page_url: "https://shop.example.com/pricing".into(),
            on_page_ms: 25_000,
            visit_started_ms: 1_000_000,
            pages_viewed: 3,
            returning: Some(false),
            fired: Vec::new(),
        }
    }

    fn rule() -> InvitationRule {
        InvitationRule {
            id: "pricing".into(),
            name: "Pricing".into(),
            url_pattern: "*/pricing*".into(),
            seconds_on_page: 20,
            min_pages_viewed: 2,
            greeting: "Questions about plans?".into(),
            ..InvitationRule::default()
        }
    }

    #[test]
    fn a_rule_fires_on_its_page_after_its_time_and_pages_once_per_visit() {
        let visitor = on_pricing();
        assert!(rule_fires(&rule(), &visitor));
        let with = |change: fn(&mut Prospect)| {
            let mut v = on_pricing();
            change(&mut v);
            rule_fires(&rule(), &v)
        };
        assert!(!with(
            |v| v.page_url = "https://shop.example.com/contact".into()
        ));
        assert!(!with(|v| v.on_page_ms = 19_999));
        assert!(with(|v| v.on_page_ms = 20_000));
        assert!(!with(|v| v.pages_viewed = 1));
        assert!(
            !with(|v| v.fired = vec!["pricing".into()]),
            "once per visit"
        );
        let mut off = rule();
        off.enabled = false;
        assert!(!rule_fires(&off, &visitor));
        let mut returning = rule();
        returning.returning_only = true;
        assert!(!rule_fires(&returning, &visitor));
        assert!(rule_fires(
            &returning,
            &Prospect {
                returning: Some(true),
                ..on_pricing()
            }
        ));
        assert!(
            !rule_fires(
                &returning,
                &Prospect {
                    returning: None,
                    ..on_pricing()
                }
            ),
            "not before it is looked up"
        );
    }

    #[test]
    fn a_visitor_returns_when_first_seen_well_before_this_visit() {
        assert!(!is_returning(1_000, 1_000), "this visit is their first");
        assert!(!is_returning(1_000, 1_801_000));
        assert!(is_returning(1_000, 1_801_001));
    }
}
