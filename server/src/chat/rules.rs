//! The decisions of the multi-party method, as pure functions. Every storage
//! backend calls these inside its transaction, on what it has just read, so that
//! SQLite and PostgreSQL cannot disagree on a rule (`docs/multi-party.md`).

use app::ids::{AgentId, Participant};
use app::protocol::{Body, ConversationKind, ParticipantInfo, SeenBy, Visibility};

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

/// How long a new offer stands even where its agent does not look online: in a
/// cluster, a node learns of another node's agents through the presence lease
/// (renewed every second), and must not take an offer from an agent it has not
/// heard of yet.
pub const OFFER_SETTLES_MS: i64 = 3_000;

/// Whether a chat's offer stands: it has not run out, and its agent is online
/// (as the caller sees it) or the offer is too new for the caller to know.
pub fn offer_is_live(
    offered_to: Option<AgentId>,
    offered_until_ms: Option<i64>,
    offer_ms: i64,
    available: &[AgentId],
    now_ms: i64,
) -> bool {
    let (Some(agent), Some(until)) = (offered_to, offered_until_ms) else {
        return false;
    };
    let made = until - offer_ms;
    until > now_ms && (available.contains(&agent) || now_ms - made < OFFER_SETTLES_MS)
}

/// An agent of a department as routing weighs it for one chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub agent: AgentId,
    /// Open conversations the agent is in now, and other chats offered to the
    /// agent now.
    pub busy: u32,
    /// How often this chat was offered to the agent already.
    pub times_offered: u32,
    /// When the agent was last offered a chat of the department (0: never).
    pub last_offered_ms: i64,
    /// The agent passed on this chat: never offered it again.
    pub declined: bool,
}

/// The agent a routed chat is offered to next: one of `available` (online now)
/// with room for another chat (fewer than `max_chats`) who did not decline it,
/// asked about this chat
/// fewer times than the others; then, by round robin, the one offered a chat of
/// the department longest ago, or, least busy, the one in fewest conversations.
/// Ties go to the lower id, so every node decides alike. Nobody for the manual
/// queue.
pub fn next_agent(
    routing: app::api::Routing,
    max_chats: u32,
    available: &[AgentId],
    candidates: &[Candidate],
) -> Option<AgentId> {
    use app::api::Routing;
    let weight = |c: &Candidate| match routing {
        Routing::RoundRobin => (c.last_offered_ms, 0),
        Routing::LeastBusy => (i64::from(c.busy), c.last_offered_ms),
        Routing::Manual => (0, 0),
    };
    if routing == Routing::Manual {
        return None;
    }
    candidates
        .iter()
        .filter(|c| available.contains(&c.agent) && c.busy < max_chats && !c.declined)
        .min_by_key(|c| (c.times_offered, weight(c), c.agent))
        .map(|c| c.agent)
}

/// A conversation's current members as its summary lists them, from each one's
/// participant, name and read position, in joining order: everyone, and how far
/// those who have read anything have read.
pub fn members_and_seen(
    members: Vec<(Participant, String, u64)>,
) -> (Vec<ParticipantInfo>, Vec<SeenBy>) {
    let seen = members
        .iter()
        .filter(|(_, _, seq)| *seq > 0)
        .map(|&(participant, _, seq)| SeenBy { participant, seq })
        .collect();
    let participants = members
        .into_iter()
        .map(|(participant, name, _)| ParticipantInfo { participant, name })
        .collect();
    (participants, seen)
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
    fn a_summary_lists_every_member_and_the_read_positions_of_those_who_read() {
        let (v, a) = (visitor(), agent());
        let (participants, seen) =
            members_and_seen(vec![(v, "Vera".into(), 0), (a, "Ann".into(), 3)]);
        let names: Vec<_> = participants
            .iter()
            .map(|p| (p.participant, &*p.name))
            .collect();
        assert_eq!(names, [(v, "Vera"), (a, "Ann")]);
        assert_eq!(
            seen,
            [SeenBy {
                participant: a,
                seq: 3
            }]
        );
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

    fn candidate(n: u8, busy: u32, times_offered: u32, last_offered_ms: i64) -> Candidate {
        Candidate {
            agent: AgentId(uuid::Uuid::from_bytes([n; 16])),
            busy,
            times_offered,
            last_offered_ms,
            declined: false,
        }
    }

    #[test]
    fn round_robin_takes_turns_and_skips_the_full_and_the_absent() {
        use app::api::Routing;
        let (a, b, c) = (
            candidate(1, 0, 0, 300),
            candidate(2, 2, 0, 100),
            candidate(3, 0, 0, 200),
        );
        let all = [a.agent, b.agent, c.agent];
        let next = |candidates: &[Candidate], available: &[AgentId]| {
            next_agent(Routing::RoundRobin, 2, available, candidates)
        };
        // b was offered one longest ago but has two chats, the most: c is next.
        assert_eq!(next(&[a, b, c], &all), Some(c.agent));
        // With room, b is next; away, it is skipped.
        let b_free = candidate(2, 1, 0, 100);
        assert_eq!(next(&[a, b_free, c], &all), Some(b_free.agent));
        assert_eq!(next(&[a, b_free, c], &[a.agent, c.agent]), Some(c.agent));
        // Whoever was asked about this chat already comes after those who were not.
        let c_asked = candidate(3, 0, 1, 200);
        assert_eq!(next(&[a, b, c_asked], &all), Some(a.agent));
        // Whoever declined it is not asked again.
        let a_declined = Candidate {
            declined: true,
            ..a
        };
        assert_eq!(next(&[a_declined, c_asked], &all), Some(c_asked.agent));
        // Nobody online with room: nobody.
        assert_eq!(next(&[b], &all), None);
        assert_eq!(next(&[a, c], &[]), None);
    }

    #[test]
    fn least_busy_prefers_the_fewest_chats_and_manual_offers_nothing() {
        use app::api::Routing;
        let (a, b) = (candidate(1, 2, 0, 0), candidate(2, 1, 0, 500));
        let all = [a.agent, b.agent];
        assert_eq!(
            next_agent(Routing::LeastBusy, 3, &all, &[a, b]),
            Some(b.agent)
        );
        assert_eq!(next_agent(Routing::Manual, 3, &all, &[a, b]), None);
        // Equal: the lower id, on every node.
        let (x, y) = (candidate(9, 1, 0, 0), candidate(8, 1, 0, 0));
        assert_eq!(
            next_agent(Routing::LeastBusy, 3, &[x.agent, y.agent], &[x, y]),
            Some(y.agent)
        );
    }

    #[test]
    fn an_offer_stands_until_it_runs_out_or_its_agent_is_known_to_be_gone() {
        let ann = AgentId(uuid::Uuid::from_bytes([1; 16]));
        let live = |available: &[AgentId], now| {
            offer_is_live(Some(ann), Some(10_000), 10_000, available, now)
        };
        assert!(live(&[ann], 9_999));
        assert!(!live(&[ann], 10_000), "ran out");
        assert!(live(&[], 2_999), "too new to know");
        assert!(!live(&[], 3_000), "its agent is not online");
        assert!(!offer_is_live(None, None, 10_000, &[ann], 0));
    }
}
