//! The decisions of the multi-party method, as pure functions. Every storage
//! backend calls these inside its transaction, on what it has just read, so that
//! SQLite and PostgreSQL cannot disagree on a rule (`docs/multi-party.md`).

use app::ids::{AgentId, Participant};
use app::protocol::{Body, ConversationKind, Visibility};

/// Whether a conversation closes once someone has left it, given who remains:
/// a direct chat needs its visitor and an agent, a group needs an agent.
pub fn closes_after_leave(kind: ConversationKind, remaining: &[Participant]) -> bool {
    let agents = remaining.iter().filter(|p| p.is_agent()).count();
    let visitors = remaining.len() - agents;
    match kind {
        ConversationKind::Direct => visitors == 0 || agents == 0,
        ConversationKind::Group => agents == 0,
    }
}

/// Who owns the conversation after `leaver` left: the agent present longest when
/// the owner left (`remaining` is in joining order), nobody new otherwise.
pub fn heir(
    owner: Option<AgentId>,
    leaver: Participant,
    remaining: &[Participant],
) -> Option<AgentId> {
    if owner.map(Participant::Agent) != Some(leaver) {
        return None;
    }
    remaining.iter().find_map(|p| match p {
        Participant::Agent(id) => Some(*id),
        Participant::Visitor(_) => None,
    })
}

/// The people of `requested` who get an invitation: not those taking part now, not
/// those with an invitation pending, and each one once.
pub fn invitees_to_add<'a>(
    present: &[Participant],
    pending: &[Participant],
    requested: &'a [(Participant, String)],
) -> Vec<&'a (Participant, String)> {
    let mut chosen: Vec<&(Participant, String)> = Vec::new();
    for invitee in requested {
        let who = invitee.0;
        if present.contains(&who) || pending.contains(&who) || chosen.iter().any(|c| c.0 == who) {
            continue;
        }
        chosen.push(invitee);
    }
    chosen
}

/// What a message whose client id was stored before is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resend {
    /// The same sender and body: the earlier entry stands, acknowledged again.
    Duplicate,
    /// Another sender or body under the same id: refused.
    Conflict,
}

/// One side of [`resend`]: who wrote it, what, and for whom.
pub type Written<'a> = (Option<Participant>, &'a Body, Visibility);

pub fn resend(stored: Written<'_>, new: Written<'_>) -> Resend {
    if stored == new {
        Resend::Duplicate
    } else {
        Resend::Conflict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::ids::VisitorId;
    use uuid::Uuid;

    fn agent() -> Participant {
        Participant::Agent(AgentId(Uuid::new_v4()))
    }

    fn visitor() -> Participant {
        Participant::Visitor(VisitorId(Uuid::new_v4()))
    }

    #[test]
    fn a_direct_chat_closes_without_its_visitor_or_without_an_agent() {
        let (v, a) = (visitor(), agent());
        assert!(!closes_after_leave(ConversationKind::Direct, &[v, a]));
        assert!(closes_after_leave(ConversationKind::Direct, &[a]));
        assert!(closes_after_leave(ConversationKind::Direct, &[v]));
    }

    #[test]
    fn a_group_closes_only_when_no_agent_is_left() {
        let (v, w, a) = (visitor(), visitor(), agent());
        assert!(!closes_after_leave(ConversationKind::Group, &[a]));
        assert!(closes_after_leave(ConversationKind::Group, &[v, w]));
    }

    #[test]
    fn the_agent_present_longest_inherits_from_the_owner_only() {
        let (owner, second, third) = (AgentId(Uuid::new_v4()), agent(), agent());
        let v = visitor();
        let Participant::Agent(second_id) = second else {
            unreachable!()
        };
        assert_eq!(
            heir(Some(owner), Participant::Agent(owner), &[v, second, third]),
            Some(second_id)
        );
        assert_eq!(
            heir(Some(owner), third, &[v, second]),
            None,
            "not the owner"
        );
        assert_eq!(heir(Some(owner), Participant::Agent(owner), &[v]), None);
    }

    #[test]
    fn present_pending_and_repeated_invitees_are_skipped() {
        let (here, invited, new) = (visitor(), agent(), visitor());
        let requested = vec![
            (here, "Here".to_owned()),
            (invited, "Invited".to_owned()),
            (new, "New".to_owned()),
            (new, "New again".to_owned()),
        ];
        let chosen = invitees_to_add(&[here], &[invited], &requested);
        assert_eq!(chosen, vec![&(new, "New".to_owned())]);
    }

    #[test]
    fn a_resend_is_a_duplicate_only_from_the_same_sender_with_the_same_body() {
        let (v, w) = (visitor(), visitor());
        let hi = Body::Text { text: "hi".into() };
        let ho = Body::Text { text: "ho".into() };
        let all = Visibility::Everyone;
        assert_eq!(
            resend((Some(v), &hi, all), (Some(v), &hi, all)),
            Resend::Duplicate
        );
        assert_eq!(
            resend((Some(v), &hi, all), (Some(v), &ho, all)),
            Resend::Conflict
        );
        assert_eq!(
            resend((Some(v), &hi, all), (Some(w), &hi, all)),
            Resend::Conflict
        );
        assert_eq!(
            resend((None, &hi, all), (Some(v), &hi, all)),
            Resend::Conflict
        );
        assert_eq!(
            resend((Some(v), &hi, all), (Some(v), &hi, Visibility::Agents)),
            Resend::Conflict,
            "a message sent again as a note is another message"
        );
    }
}
