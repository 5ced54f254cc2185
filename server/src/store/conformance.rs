//! The cases every storage backend must pass, written once over `Arc<dyn Store>`.
//!
//! A backend's test module opens a fresh store and expands the suite with
//! [`store_conformance!`](crate::store_conformance), which makes one `#[tokio::test]`
//! per case, so a new backend joins by adding one line.

use crate::chat::events::Event;
use crate::store::{
    AgentRecord, ApiScope, Departure, NewAgent, NewMessage, Refusal, Store, StoreError,
    VisitorRecord,
};
use app::api::{HistoryCursor, HistoryFilter, RatingFilter};
use app::ids::{AgentId, ConversationId, InvitationId, MessageId, Participant};
use app::protocol::{
    AgentRole, Author, Body, ConversationState, Handled, InvitationState, Notice, Visibility,
};
use std::sync::Arc;
use uuid::Uuid;

/// Expands every case for one backend: `$open` is an async fn returning the store
/// and a guard that keeps it alive (a temporary directory, a throwaway server), or
/// an `Option` of them, `None` when the backend cannot run here (its server is not
/// installed): the case then passes without running (see [`Opened`]).
#[macro_export]
macro_rules! store_conformance {
    ($open:path) => {
        $crate::store_conformance!(@cases $open;
            the_same_token_is_the_same_visitor,
            exactly_one_of_concurrent_accepts_wins,
            appends_are_numbered_idempotent_and_members_only,
            the_visitor_leaving_closes_a_direct_conversation,
            removing_an_agent_or_changing_its_password_ends_its_sessions,
            two_concurrent_accepts_of_one_invitation_join_once,
            an_accept_racing_the_invitees_departure_has_one_winner,
            only_the_invitee_may_answer_and_only_once,
            a_visitor_has_one_open_direct_conversation_however_many_start_at_once,
            open_direct_conversations_are_the_direct_ones_still_open,
            agents_only_entries_never_reach_a_visitor_in_history,
            the_owner_leaving_passes_the_conversation_to_the_agent_present_longest,
            only_a_visitor_who_took_part_rates_and_rating_again_replaces,
            the_history_lists_newest_first_filters_and_continues,
            search_finds_chinese_by_characters_and_english_by_word_start,
            staff_read_every_entry_of_any_conversation,
            a_transfer_hands_over_ownership_and_a_requeued_chat_waits_again,
            canned_replies_are_shared_or_ones_own_with_one_shortcut_each,
            read_positions_only_move_forward_and_only_members_have_one,
            a_file_belongs_to_the_entry_that_carries_it,
            offline_messages_wait_to_be_mailed_once_and_agents_keep_an_address,
            concurrent_mail_claims_take_each_offline_message_once,
            the_file_link_key_is_made_once_and_kept,
            login_buckets_empty_and_refill_per_key,
            pending_invitees_are_those_with_an_open_invitation,
            conversation_heads_name_the_newest_seq_of_those_that_exist,
            concurrent_appends_to_one_conversation_are_numbered_without_gaps_or_repeats,
            random_appends_across_conversations_stay_gapless_and_truthful,
            one_message_sent_at_once_many_times_is_stored_once,
            api_tokens_are_found_by_hash_named_once_and_revoked_for_good,
            a_change_writes_its_webhook_events_in_its_transaction_and_deliveries_follow,
            a_verified_user_is_one_visitor_apart_from_every_token,
            routing_offers_a_chat_to_one_agent_at_a_time_and_moves_on,
            concurrent_routing_of_one_chat_makes_one_offer,
            a_website_claims_its_origins_alone_and_reads_back_whole,
            invitation_rules_read_back_and_a_rule_conversation_opens_with_its_note,
            the_audit_log_pages_newest_first_and_only_grows,
            a_chat_keeps_its_first_question_and_first_answer_for_reports,
            erasing_a_visitor_leaves_tombstones_and_every_sequence_whole,
            retention_deletes_closed_conversations_closed_before_the_cutoff,
            an_agent_s_picture_is_replaced_removed_and_goes_with_the_agent,
        );
    };
    (@cases $open:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let opened = $crate::store::conformance::Opened::opened($open().await);
                let Some((store, _guard)) = opened else {
                    return;
                };
                $crate::store::conformance::$case(store).await;
            }
        )*
    };
}

/// What a backend's `open` gives [`store_conformance!`](crate::store_conformance):
/// a store with its guard, or maybe one.
pub trait Opened {
    type Guard;
    fn opened(self) -> Option<(Arc<dyn Store>, Self::Guard)>;
}

impl<G> Opened for (Arc<dyn Store>, G) {
    type Guard = G;
    fn opened(self) -> Option<(Arc<dyn Store>, G)> {
        Some(self)
    }
}

impl<G> Opened for Option<(Arc<dyn Store>, G)> {
    type Guard = G;
    fn opened(self) -> Option<(Arc<dyn Store>, G)> {
        self
    }
}

pub(crate) fn text(author: Participant, name: &str, body: &str) -> NewMessage {
    NewMessage {
        id: MessageId(Uuid::new_v4()),
        author: Some(Author {
            participant: author,
            name: name.into(),
        }),
        body: Body::Text { text: body.into() },
        at_ms: 1,
        visibility: Visibility::Everyone,
        file: None,
    }
}

async fn agent(store: &dyn Store, username: &str) -> AgentRecord {
    store
        .create_agent(NewAgent {
            username: username.into(),
            name: username.to_uppercase(),
            role: AgentRole::Agent,
            password_hash: "x".into(),
        })
        .await
        .unwrap()
}

pub(crate) async fn queued(store: &dyn Store) -> (ConversationId, VisitorRecord) {
    let visitor = store
        .visitor_for_token(&[9; 32], "Visitor 1")
        .await
        .unwrap();
    let id = ConversationId(Uuid::new_v4());
    let first = text(Participant::Visitor(visitor.id), &visitor.name, "hello");
    store
        .create_direct(id, &visitor, None, first)
        .await
        .unwrap();
    (id, visitor)
}

fn refusal<T: std::fmt::Debug>(result: Result<T, StoreError>) -> Refusal {
    match result {
        Err(StoreError::Refused(refusal)) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

pub async fn the_same_token_is_the_same_visitor(store: Arc<dyn Store>) {
    let a = store
        .visitor_for_token(&[1; 32], "Visitor 1")
        .await
        .unwrap();
    let b = store
        .visitor_for_token(&[1; 32], "Visitor 2")
        .await
        .unwrap();
    let c = store
        .visitor_for_token(&[2; 32], "Visitor 3")
        .await
        .unwrap();
    assert_eq!(a, b);
    assert_ne!(a.id, c.id);
}

pub async fn exactly_one_of_concurrent_accepts_wins(store: Arc<dyn Store>) {
    let (id, _) = queued(&*store).await;
    let ann = agent(&*store, "ann").await;
    let bob = agent(&*store, "bob").await;
    let (a, b) = tokio::join!(
        store.accept_queued(id, &ann, 2),
        store.accept_queued(id, &bob, 2)
    );
    let outcomes = [a, b];
    let wins = outcomes.iter().filter(|o| o.is_ok()).count();
    let taken = outcomes
        .iter()
        .filter(|o| matches!(o, Err(StoreError::Refused(Refusal::AlreadyTaken))))
        .count();
    assert_eq!((wins, taken), (1, 1));
    assert!(store.queue().await.unwrap().is_empty());
    assert_eq!(
        refusal(
            store
                .accept_queued(ConversationId(Uuid::new_v4()), &ann, 3)
                .await
        ),
        Refusal::NotFound
    );
}

pub async fn appends_are_numbered_idempotent_and_members_only(store: Arc<dyn Store>) {
    let (id, visitor) = queued(&*store).await;
    let me = Participant::Visitor(visitor.id);
    let msg = text(me, &visitor.name, "second");
    let appended = store.append(id, me, msg.clone()).await.unwrap();
    assert_eq!(appended.seq, 2);
    assert_eq!(appended.changed.recipients, vec![me]);
    assert_eq!(
        appended
            .changed
            .entries()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        vec![2]
    );
    let again = store.append(id, me, msg.clone()).await.unwrap();
    assert_eq!(again.seq, 2, "a resend is acknowledged with the first seq");
    assert!(again.changed.is_empty(), "and changes nothing");
    let mut changed = msg.clone();
    changed.body = Body::Text {
        text: "edited".into(),
    };
    assert_eq!(
        refusal(store.append(id, me, changed).await),
        Refusal::IdConflict(msg.id)
    );

    let stranger = Participant::Visitor(store.visitor_for_token(&[3; 32], "S").await.unwrap().id);
    assert_eq!(
        refusal(store.append(id, stranger, text(stranger, "S", "x")).await),
        Refusal::NotFound
    );
    assert_eq!(
        store.messages_after(id, stranger, 0, 10).await.unwrap(),
        None
    );
    let all = store
        .messages_after(id, me, 0, 10)
        .await
        .unwrap()
        .unwrap()
        .messages;
    assert_eq!(all.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![1, 2]);
}

pub async fn the_visitor_leaving_closes_a_direct_conversation(store: Arc<dyn Store>) {
    let (id, visitor) = queued(&*store).await;
    let ann = agent(&*store, "ann").await;
    store.accept_queued(id, &ann, 2).await.unwrap();
    let me = Participant::Visitor(visitor.id);
    let left = store.leave(id, me, Departure::Left, 3).await.unwrap();
    assert_eq!(
        left.conversation().map(|c| c.state),
        Some(ConversationState::Closed)
    );
    assert_eq!(left.recipients.len(), 2);
    assert_eq!(
        left.entries().map(|n| n.body.clone()).collect::<Vec<_>>(),
        vec![
            Body::Notice(Notice::Left {
                name: "Visitor 1".into()
            }),
            Body::Notice(Notice::Closed)
        ]
    );
    assert!(store.conversations_of(me).await.unwrap().is_empty());
    assert_eq!(
        refusal(store.leave(id, me, Departure::Left, 4).await),
        Refusal::NotFound
    );
    let agent = Participant::Agent(ann.id);
    assert_eq!(
        refusal(store.append(id, agent, text(agent, "A", "x")).await),
        Refusal::Closed,
        "closed conversations take no messages"
    );
    // The visitor still reads the history up to its leaving.
    let seen = store.messages_after(id, me, 0, 10).await.unwrap().unwrap();
    assert_eq!(
        seen.last_seq, 3,
        "a visitor who left sees up to its leaving"
    );
    assert_eq!(seen.messages.last().unwrap().seq, 3);
}

pub async fn removing_an_agent_or_changing_its_password_ends_its_sessions(store: Arc<dyn Store>) {
    let ann = agent(&*store, "ann").await;
    store
        .create_session(&[5; 32], ann.id, i64::MAX)
        .await
        .unwrap();
    assert!(store.session_agent(&[5; 32], 0).await.unwrap().is_some());
    assert!(
        store
            .session_agent(&[5; 32], i64::MAX)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(store.set_password_hash("ann", "y").await.unwrap());
    assert!(store.session_agent(&[5; 32], 0).await.unwrap().is_none());
    assert!(store.remove_agent("ann").await.unwrap());
    assert!(!store.remove_agent("ann").await.unwrap());
}

async fn group_with_invitation(store: &dyn Store) -> (AgentRecord, Participant, InvitationId) {
    let ann = agent(store, "ann").await;
    let visitor = store
        .visitor_for_token(&[7; 32], "Visitor 7")
        .await
        .unwrap();
    let invitee = Participant::Visitor(visitor.id);
    let invited = store
        .create_group(
            ConversationId(Uuid::new_v4()),
            &ann,
            &[(invitee, visitor.name.clone())],
            Default::default(),
            1,
        )
        .await
        .unwrap();
    let conversation = invited.changed.conversation().unwrap();
    assert_eq!(
        conversation.participants.len(),
        1,
        "the owner is the first participant"
    );
    assert_eq!(conversation.owner, Some(ann.id));
    (ann, invitee, invited.invitations[0].id)
}

pub async fn two_concurrent_accepts_of_one_invitation_join_once(store: Arc<dyn Store>) {
    let (_ann, invitee, id) = group_with_invitation(&*store).await;
    let (a, b) = tokio::join!(
        store.answer_invitation(id, invitee, true, 2),
        store.answer_invitation(id, invitee, true, 2)
    );
    let outcomes = [a, b];
    let done = outcomes.iter().filter(|o| o.is_ok()).count();
    let closed = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o,
                Err(StoreError::Refused(Refusal::InvitationClosed(
                    InvitationState::Accepted
                )))
            )
        })
        .count();
    assert_eq!((done, closed), (1, 1));
}

pub async fn an_accept_racing_the_invitees_departure_has_one_winner(store: Arc<dyn Store>) {
    let (_ann, invitee, id) = group_with_invitation(&*store).await;
    let (accepted, expired) = tokio::join!(
        store.answer_invitation(id, invitee, true, 2),
        store.expire_invitation(id, 2)
    );
    let expired = !expired.unwrap().is_empty();
    match (accepted, expired) {
        (Ok(_), false) => {}
        (Err(StoreError::Refused(Refusal::InvitationClosed(InvitationState::Expired))), true) => {}
        other => panic!("both or neither won: {other:?}"),
    }
    assert!(store.pending_invitations(invitee).await.unwrap().is_empty());
}

pub async fn only_the_invitee_may_answer_and_only_once(store: Arc<dyn Store>) {
    let (ann, invitee, id) = group_with_invitation(&*store).await;
    let stranger = Participant::Agent(ann.id);
    assert_eq!(
        refusal(store.answer_invitation(id, stranger, true, 2).await),
        Refusal::NotFound
    );
    let declined = store
        .answer_invitation(id, invitee, false, 2)
        .await
        .unwrap();
    assert_eq!(
        declined.invitations().map(|i| i.state).collect::<Vec<_>>(),
        vec![InvitationState::Declined]
    );
    assert_eq!(
        refusal(store.answer_invitation(id, invitee, true, 3).await),
        Refusal::InvitationClosed(InvitationState::Declined)
    );
}

pub async fn a_visitor_has_one_open_direct_conversation_however_many_start_at_once(
    store: Arc<dyn Store>,
) {
    let visitor = store
        .visitor_for_token(&[4; 32], "Visitor 4")
        .await
        .unwrap();
    let me = Participant::Visitor(visitor.id);
    let starts = (0..8).map(|i| {
        let store = Arc::clone(&store);
        let visitor = visitor.clone();
        async move {
            let id = ConversationId(Uuid::new_v4());
            let first = text(me, &visitor.name, &format!("tab {i}"));
            (id, store.create_direct(id, &visitor, None, first).await)
        }
    });
    let results = futures::future::join_all(starts).await;
    let created: Vec<ConversationId> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(created.len(), 1, "exactly one start opens a conversation");
    for (_, result) in &results {
        if let Err(err) = result {
            assert!(
                matches!(err, StoreError::Refused(Refusal::DirectChatOpen(open)) if *open == created[0]),
                "the others are told which one is open: {err:?}"
            );
        }
    }
    let open = store.conversations_of(me).await.unwrap();
    assert_eq!(open.iter().map(|c| c.id).collect::<Vec<_>>(), created);
    assert_eq!(store.queue().await.unwrap().len(), 1);

    // Once it is closed, the visitor may start again.
    store
        .leave(created[0], me, Departure::Left, 2)
        .await
        .unwrap();
    let again = ConversationId(Uuid::new_v4());
    store
        .create_direct(again, &visitor, None, text(me, &visitor.name, "back"))
        .await
        .unwrap();
}

pub async fn open_direct_conversations_are_the_direct_ones_still_open(store: Arc<dyn Store>) {
    let (direct, visitor) = queued(&*store).await;
    let ann = agent(&*store, "ann").await;
    store.accept_queued(direct, &ann, 2).await.unwrap();
    let me = Participant::Visitor(visitor.id);
    let group = store
        .create_group(
            ConversationId(Uuid::new_v4()),
            &ann,
            &[(me, visitor.name.clone())],
            Default::default(),
            3,
        )
        .await
        .unwrap();
    store
        .answer_invitation(group.invitations[0].id, me, true, 4)
        .await
        .unwrap();
    assert_eq!(store.conversations_of(me).await.unwrap().len(), 2);
    assert_eq!(
        store.open_direct_conversations(me).await.unwrap(),
        vec![direct]
    );
    // The agent taking part sees it too; someone else has none.
    assert_eq!(
        store
            .open_direct_conversations(Participant::Agent(ann.id))
            .await
            .unwrap(),
        vec![direct]
    );
    let bob = agent(&*store, "bob").await;
    assert!(store
        .open_direct_conversations(Participant::Agent(bob.id))
        .await
        .unwrap()
        .is_empty());

    // An agent who handed the chat over (and did not stay) no longer takes part
    // in it; the chat stays open, with the agent it went to.
    store
        .transfer(direct, &ann, Some(&bob), "", false, 5)
        .await
        .unwrap();
    assert!(store
        .open_direct_conversations(Participant::Agent(ann.id))
        .await
        .unwrap()
        .is_empty());
    for who in [me, Participant::Agent(bob.id)] {
        assert_eq!(
            store.open_direct_conversations(who).await.unwrap(),
            vec![direct]
        );
    }

    // Closed (the visitor left): no longer open, for the visitor nor for the agent
    // still in it.
    store.leave(direct, me, Departure::Left, 7).await.unwrap();
    assert!(store
        .open_direct_conversations(me)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .open_direct_conversations(Participant::Agent(bob.id))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.conversations_of(me).await.unwrap().len(), 1);
}

pub async fn agents_only_entries_never_reach_a_visitor_in_history(store: Arc<dyn Store>) {
    let (id, visitor) = queued(&*store).await;
    let ann = agent(&*store, "ann").await;
    store.accept_queued(id, &ann, 2).await.unwrap();
    let (me, her) = (Participant::Visitor(visitor.id), Participant::Agent(ann.id));
    let mut note = text(her, "ANN", "refund approved, tell nobody");
    note.visibility = Visibility::Agents;
    let appended = store.append(id, her, note).await.unwrap();
    let stored: Vec<_> = appended.changed.entries().cloned().collect();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].visibility, Visibility::Agents);
    store
        .append(id, me, text(me, "Visitor 1", "still there?"))
        .await
        .unwrap();

    let mine = store.messages_after(id, me, 0, 10).await.unwrap().unwrap();
    assert_eq!(
        mine.messages.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![1, 2, 4],
        "the visitor's history skips the note"
    );
    assert_eq!(
        mine.last_seq, 4,
        "and still ends at the conversation's newest entry"
    );
    let after_note = store.messages_after(id, me, 2, 10).await.unwrap().unwrap();
    assert_eq!(after_note.messages.len(), 1);
    assert_eq!(after_note.messages[0].seq, 4);

    let agents = store.messages_after(id, her, 0, 10).await.unwrap().unwrap();
    let note = agents.messages.iter().find(|m| m.seq == 3).unwrap();
    assert_eq!(note.visibility, Visibility::Agents);
    assert!(matches!(&note.body, Body::Text { text } if text.contains("refund")));
}

pub async fn the_owner_leaving_passes_the_conversation_to_the_agent_present_longest(
    store: Arc<dyn Store>,
) {
    let ann = agent(&*store, "ann").await;
    let bob = agent(&*store, "bob").await;
    let visitor = store
        .visitor_for_token(&[8; 32], "Visitor 8")
        .await
        .unwrap();
    let id = ConversationId(Uuid::new_v4());
    let invited = store
        .create_group(
            id,
            &ann,
            &[
                (Participant::Agent(bob.id), bob.name.clone()),
                (Participant::Visitor(visitor.id), visitor.name.clone()),
            ],
            Default::default(),
            1,
        )
        .await
        .unwrap();
    for invitation in &invited.invitations {
        store
            .answer_invitation(invitation.id, invitation.invitee, true, 2)
            .await
            .unwrap();
    }
    let left = store
        .leave(id, Participant::Agent(ann.id), Departure::Left, 3)
        .await
        .unwrap();
    assert_eq!(left.conversation().unwrap().owner, Some(bob.id));
    assert!(left.events.iter().any(|e| matches!(
        e,
        Event::Entry { entry, .. } if entry.body == Body::Notice(Notice::OwnerChanged { name: "BOB".into() })
    )));
    let left = store
        .leave(id, Participant::Agent(bob.id), Departure::Left, 4)
        .await
        .unwrap();
    assert_eq!(
        left.conversation().unwrap().state,
        ConversationState::Closed,
        "no agent left: the group closes"
    );
}

pub async fn only_a_visitor_who_took_part_rates_and_rating_again_replaces(store: Arc<dyn Store>) {
    let (id, visitor) = queued(&*store).await;
    store
        .leave(id, Participant::Visitor(visitor.id), Departure::Left, 2)
        .await
        .unwrap();
    let rated = store
        .rate(id, &visitor, false, "too slow", 3)
        .await
        .unwrap();
    assert!(matches!(
        rated.events.as_slice(),
        [Event::Rated(r)] if !r.good && r.comment == "too slow" && r.visitor_id == visitor.id
    ));
    store.rate(id, &visitor, true, "", 4).await.unwrap();
    let ratings = store.ratings(id).await.unwrap();
    assert_eq!(ratings.len(), 1, "one rating per visitor");
    assert!(ratings[0].good && ratings[0].comment.is_empty());
    assert_eq!(ratings[0].at_ms, 4);

    let stranger = store.visitor_for_token(&[6; 32], "Someone").await.unwrap();
    assert_eq!(
        refusal(store.rate(id, &stranger, true, "x", 5).await),
        Refusal::NotFound
    );
    assert_eq!(store.ratings(id).await.unwrap().len(), 1);
}

/// A direct chat of a new visitor (token `[token; 32]`, called `name`) started
/// at `at_ms` with `first`, and taken by `agent` unless `None`.
async fn chat_at(
    store: &dyn Store,
    token: u8,
    name: &str,
    first: &str,
    agent: Option<&AgentRecord>,
    at_ms: i64,
) -> (ConversationId, VisitorRecord) {
    let visitor = store.visitor_for_token(&[token; 32], name).await.unwrap();
    let id = ConversationId(Uuid::new_v4());
    let mut message = text(Participant::Visitor(visitor.id), name, first);
    message.at_ms = at_ms;
    store
        .create_direct(id, &visitor, None, message)
        .await
        .unwrap();
    if let Some(agent) = agent {
        store.accept_queued(id, agent, at_ms + 1).await.unwrap();
    }
    (id, visitor)
}

pub async fn the_history_lists_newest_first_filters_and_continues(store: Arc<dyn Store>) {
    let ann = agent(&*store, "ann").await;
    let bob = agent(&*store, "bob").await;
    let (first, alice) = chat_at(
        &*store,
        1,
        "Alice Smith",
        "where is my order",
        Some(&ann),
        100,
    )
    .await;
    let (second, bert) = chat_at(&*store, 2, "Bert", "hello", Some(&bob), 200).await;
    let (missed, _) = chat_at(&*store, 3, "Carla", "anyone there?", None, 300).await;
    store
        .leave(first, Participant::Visitor(alice.id), Departure::Left, 150)
        .await
        .unwrap();
    store.rate(first, &alice, true, "quick", 160).await.unwrap();
    store
        .leave(second, Participant::Visitor(bert.id), Departure::Left, 250)
        .await
        .unwrap();
    store.rate(second, &bert, false, "", 260).await.unwrap();

    let all = store
        .history(&HistoryFilter::default(), None, 10)
        .await
        .unwrap();
    let ids: Vec<_> = all.iter().map(|c| c.id).collect();
    assert_eq!(ids, [missed, second, first], "newest first");
    let past = &all[2];
    assert_eq!(past.state, ConversationState::Closed);
    assert_eq!((past.started_ms, past.ended_ms), (100, Some(150)));
    assert_eq!(past.first_message, "where is my order");
    assert_eq!(past.people.len(), 2, "everyone who took part, gone or not");
    assert!(past.ratings[0].good && past.ratings[0].comment == "quick");
    assert_eq!(
        all[0].state,
        ConversationState::Queued,
        "a missed chat is listed too"
    );

    let only = |filter: HistoryFilter| {
        let store = Arc::clone(&store);
        async move {
            store
                .history(&filter, None, 10)
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        only(HistoryFilter {
            agent: Some(ann.id),
            ..Default::default()
        })
        .await,
        [first]
    );
    assert_eq!(
        only(HistoryFilter {
            visitor: Some(bert.id),
            ..Default::default()
        })
        .await,
        [second]
    );
    assert_eq!(
        only(HistoryFilter {
            visitor_name: Some("smith".into()),
            ..Default::default()
        })
        .await,
        [first],
        "part of the name, any case"
    );
    assert_eq!(
        only(HistoryFilter {
            from_ms: Some(150),
            to_ms: Some(300),
            ..Default::default()
        })
        .await,
        [second],
        "from is inclusive, to is not"
    );
    assert_eq!(
        only(HistoryFilter {
            rating: Some(RatingFilter::Good),
            ..Default::default()
        })
        .await,
        [first]
    );
    assert_eq!(
        only(HistoryFilter {
            rating: Some(RatingFilter::Bad),
            ..Default::default()
        })
        .await,
        [second]
    );
    assert_eq!(
        only(HistoryFilter {
            rating: Some(RatingFilter::Unrated),
            ..Default::default()
        })
        .await,
        [missed]
    );
    assert_eq!(
        only(HistoryFilter {
            agent: Some(bob.id),
            rating: Some(RatingFilter::Good),
            ..Default::default()
        })
        .await,
        Vec::<ConversationId>::new(),
        "filters combine"
    );

    // Pages continue after the last one listed, without repeats or holes.
    let page = store
        .history(&HistoryFilter::default(), None, 2)
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|c| c.id).collect::<Vec<_>>(),
        [missed, second]
    );
    let cursor = HistoryCursor {
        started_ms: page[1].started_ms,
        id: page[1].id,
    };
    let rest = store
        .history(&HistoryFilter::default(), Some(cursor), 2)
        .await
        .unwrap();
    assert_eq!(rest.iter().map(|c| c.id).collect::<Vec<_>>(), [first]);

    assert_eq!(
        store.past_conversation(second).await.unwrap().unwrap().id,
        second
    );
    assert!(store
        .past_conversation(ConversationId(Uuid::new_v4()))
        .await
        .unwrap()
        .is_none());
}

pub async fn search_finds_chinese_by_characters_and_english_by_word_start(store: Arc<dyn Store>) {
    let ann = agent(&*store, "ann").await;
    let (id, visitor) = chat_at(&*store, 1, "王小明", "我要退款", Some(&ann), 100).await;
    let me = Participant::Visitor(visitor.id);
    let staff = Participant::Agent(ann.id);
    store
        .append(id, me, text(me, "王小明", "Two refunds, please"))
        .await
        .unwrap();
    let mut note = text(staff, "ANN", "退款 already approved");
    note.visibility = Visibility::Agents;
    store.append(id, staff, note).await.unwrap();
    let (other, _) = chat_at(&*store, 2, "Bert", "nothing to see", Some(&ann), 200).await;

    let found = |query: &'static str, filter: HistoryFilter| {
        let store = Arc::clone(&store);
        async move {
            store
                .search(query, &filter, 10)
                .await
                .unwrap()
                .into_iter()
                .map(|hit| (hit.seq, hit.text))
                .collect::<Vec<_>>()
        }
    };
    let any = HistoryFilter::default;
    let hits = found("退款", any()).await;
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert!(hits.iter().any(|(_, t)| t == "我要退款"));
    assert!(
        hits.iter().any(|(_, t)| t == "退款 already approved"),
        "agents find notes"
    );
    assert_eq!(found("款", any()).await.len(), 2, "one character is enough");
    assert!(
        found("款退", any()).await.is_empty(),
        "characters in the order typed"
    );
    assert_eq!(
        found("REFUND", any()).await,
        [(3, "Two refunds, please".to_owned())]
    );
    assert_eq!(found("refund please", any()).await.len(), 1, "every word");
    assert!(found("refund nothing", any()).await.is_empty());
    assert!(
        found("joined", any()).await.is_empty(),
        "notices are not searched"
    );
    assert!(found("\"unbalanced OR", any()).await.is_empty());
    assert!(found("   ", any()).await.is_empty());

    let hit = store.search("refunds", &any(), 10).await.unwrap().remove(0);
    assert_eq!(hit.conversation_id, id);
    assert_eq!(hit.author.map(|a| a.participant), Some(me));
    assert_eq!(hit.people.len(), 2);
    let note = store
        .search("approved", &any(), 10)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(note.visibility, Visibility::Agents);

    let in_other = HistoryFilter {
        visitor: Some(visitor.id),
        ..Default::default()
    };
    assert_eq!(found("退款", in_other).await.len(), 2);
    let elsewhere = HistoryFilter {
        from_ms: Some(150),
        ..Default::default()
    };
    assert!(
        found("退款", elsewhere).await.is_empty(),
        "filters apply to search"
    );
    assert_eq!(
        store.search("nothing", &any(), 10).await.unwrap()[0].conversation_id,
        other
    );
}

pub async fn staff_read_every_entry_of_any_conversation(store: Arc<dyn Store>) {
    let ann = agent(&*store, "ann").await;
    let (id, visitor) = chat_at(&*store, 1, "Visitor 1", "hello", Some(&ann), 100).await;
    let staff = Participant::Agent(ann.id);
    let mut note = text(staff, "ANN", "a note");
    note.visibility = Visibility::Agents;
    store.append(id, staff, note).await.unwrap();
    store
        .leave(id, Participant::Visitor(visitor.id), Departure::Left, 300)
        .await
        .unwrap();
    let page = store.staff_entries(id, 0, 100).await.unwrap().unwrap();
    let seqs: Vec<u64> = page.messages.iter().map(|m| m.seq).collect();
    assert_eq!(
        seqs,
        (1..=page.last_seq).collect::<Vec<_>>(),
        "every entry, in order"
    );
    assert!(page
        .messages
        .iter()
        .any(|m| m.visibility == Visibility::Agents));
    let rest = store.staff_entries(id, 2, 1).await.unwrap().unwrap();
    assert_eq!(rest.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), [3]);
    assert!(store
        .staff_entries(ConversationId(Uuid::new_v4()), 0, 10)
        .await
        .unwrap()
        .is_none());
}

pub async fn a_transfer_hands_over_ownership_and_a_requeued_chat_waits_again(
    store: Arc<dyn Store>,
) {
    let ann = agent(&*store, "ann").await;
    let bob = agent(&*store, "bob").await;
    let (id, visitor) = chat_at(&*store, 1, "Visitor 1", "hello", Some(&ann), 100).await;
    let me = Participant::Visitor(visitor.id);

    let changed = store
        .transfer(id, &ann, Some(&bob), "needs billing", true, 200)
        .await
        .unwrap();
    let conversation = changed.conversation().unwrap();
    assert_eq!(conversation.owner, Some(bob.id));
    assert_eq!(conversation.participants.len(), 3, "Ann stayed, Bob joined");
    assert!(changed.recipients.contains(&Participant::Agent(bob.id)));
    let seen = store.messages_after(id, me, 0, 100).await.unwrap().unwrap();
    assert!(seen.messages.iter().any(|m| m.body
        == Body::Notice(Notice::Transferred {
            name: "ANN".into(),
            to: "BOB".into()
        })));
    assert!(
        seen.messages
            .iter()
            .all(|m| m.visibility == Visibility::Everyone),
        "the visitor never sees the note of why"
    );
    let staff = store.staff_entries(id, 0, 100).await.unwrap().unwrap();
    assert!(staff
        .messages
        .iter()
        .any(|m| m.visibility == Visibility::Agents
            && m.body
                == Body::Text {
                    text: "needs billing".into()
                }));

    // Back to the queue only from the one agent in it: Ann, who stayed, leaves
    // first; then Bob passes it back, and is out of it too.
    assert_eq!(
        refusal(store.transfer(id, &ann, None, "", false, 300).await),
        Refusal::NotAlone
    );
    store
        .leave(id, Participant::Agent(ann.id), Departure::Left, 305)
        .await
        .unwrap();
    let changed = store.transfer(id, &bob, None, "", true, 310).await.unwrap();
    let conversation = changed.conversation().unwrap();
    assert_eq!(conversation.state, ConversationState::Queued);
    assert_eq!(conversation.owner, None);
    assert_eq!(conversation.participants.len(), 1, "only the visitor waits");
    assert!(changed
        .events
        .iter()
        .any(|e| matches!(e, Event::QueueAdded(item) if item.conversation_id == id)));
    assert_eq!(store.queue().await.unwrap().len(), 1);
    // While it waits, nobody hands it on.
    assert_eq!(
        refusal(store.transfer(id, &bob, Some(&ann), "", false, 320).await),
        Refusal::NotFound
    );
    store.accept_queued(id, &ann, 400).await.unwrap();

    // Only members hand over, only open conversations, and a group never goes to
    // the queue.
    let stranger = agent(&*store, "cy").await;
    assert_eq!(
        refusal(
            store
                .transfer(id, &stranger, Some(&bob), "", false, 500)
                .await
        ),
        Refusal::NotFound
    );
    let group = ConversationId(Uuid::new_v4());
    store
        .create_group(group, &ann, &[], Default::default(), 500)
        .await
        .unwrap();
    assert_eq!(
        refusal(store.transfer(group, &ann, None, "", false, 510).await),
        Refusal::NotADirectChat
    );
    store.leave(id, me, Departure::Left, 600).await.unwrap();
    assert_eq!(
        refusal(store.transfer(id, &ann, Some(&bob), "", false, 610).await),
        Refusal::Closed
    );
}

pub async fn canned_replies_are_shared_or_ones_own_with_one_shortcut_each(store: Arc<dyn Store>) {
    let ann = agent(&*store, "ann").await;
    let bob = agent(&*store, "bob").await;
    let shared = store
        .add_canned_reply(None, "thanks", "Thank you, {visitor}!", 1)
        .await
        .unwrap();
    assert!(shared.shared);
    let own = store
        .add_canned_reply(Some(ann.id), "refund", "Refunds take 3 days.", 2)
        .await
        .unwrap();
    // The same shortcut for another owner is fine; for the same owner it is not,
    // whatever its case.
    store
        .add_canned_reply(Some(bob.id), "refund", "Bob's refund text", 3)
        .await
        .unwrap();
    store
        .add_canned_reply(Some(ann.id), "Thanks", "Ann's own thanks", 3)
        .await
        .unwrap();
    assert!(matches!(
        store
            .add_canned_reply(Some(ann.id), "REFUND", "again", 4)
            .await,
        Err(StoreError::Duplicate(_))
    ));
    assert!(matches!(
        store.add_canned_reply(None, "THANKS", "again", 4).await,
        Err(StoreError::Duplicate(_))
    ));

    let anns: Vec<(String, bool)> = store
        .canned_replies(ann.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.text, r.shared))
        .collect();
    assert_eq!(
        anns.len(),
        3,
        "the shared one and her own two, not Bob's: {anns:?}"
    );
    assert!(anns.contains(&("Thank you, {visitor}!".into(), true)));
    assert!(!anns.iter().any(|(t, _)| t.starts_with("Bob")));

    // Only its owner removes a reply; a shared one only as shared.
    assert!(!store
        .remove_canned_reply(own.id, Some(bob.id))
        .await
        .unwrap());
    assert!(!store.remove_canned_reply(own.id, None).await.unwrap());
    assert!(store
        .remove_canned_reply(own.id, Some(ann.id))
        .await
        .unwrap());
    assert!(!store
        .remove_canned_reply(shared.id, Some(ann.id))
        .await
        .unwrap());
    assert!(store.remove_canned_reply(shared.id, None).await.unwrap());
    assert_eq!(store.canned_replies(ann.id).await.unwrap().len(), 1);
}

pub async fn read_positions_only_move_forward_and_only_members_have_one(store: Arc<dyn Store>) {
    let ann = agent(&*store, "ann").await;
    let (id, visitor) = chat_at(&*store, 1, "Visitor 1", "hello", Some(&ann), 100).await;
    let me = Participant::Visitor(visitor.id);
    let staff = Participant::Agent(ann.id);
    let summary = |who| {
        let store = store.clone();
        async move {
            store
                .conversations_of(who)
                .await
                .unwrap()
                .into_iter()
                .find(|c| c.id == id)
                .unwrap()
        }
    };
    let unread = summary(staff).await;
    assert_eq!(unread.participants.len(), 2);
    assert!(unread.seen.is_empty(), "nobody has read: {:?}", unread.seen);

    let changed = store.mark_seen(id, staff, 1).await.unwrap();
    assert!(matches!(
        changed.events.as_slice(),
        [Event::Seen { seen, .. }] if seen.participant == staff && seen.seq == 1
    ));
    assert!(changed.recipients.contains(&me), "everyone in it hears");
    assert!(
        store.mark_seen(id, staff, 1).await.unwrap().is_empty(),
        "not again"
    );
    assert!(
        store.mark_seen(id, staff, 0).await.unwrap().is_empty(),
        "never back"
    );
    // Past the newest entry: cut to it.
    let changed = store.mark_seen(id, me, 99).await.unwrap();
    assert!(matches!(changed.events.as_slice(), [Event::Seen { seen, .. }] if seen.seq == 2));

    let mut seen: Vec<(Participant, u64)> = summary(staff)
        .await
        .seen
        .iter()
        .map(|s| (s.participant, s.seq))
        .collect();
    seen.sort_by_key(|(p, _)| p.is_agent());
    assert_eq!(seen, [(me, 2), (staff, 1)]);

    let stranger = Participant::Visitor(
        store
            .visitor_for_token(&[7; 32], "Someone")
            .await
            .unwrap()
            .id,
    );
    assert_eq!(
        refusal(store.mark_seen(id, stranger, 1).await),
        Refusal::NotFound
    );
}

pub async fn a_file_belongs_to_the_entry_that_carries_it(store: Arc<dyn Store>) {
    let ann = agent(&*store, "ann").await;
    let (id, visitor) = chat_at(&*store, 1, "Visitor 1", "hello", Some(&ann), 100).await;
    let me = Participant::Visitor(visitor.id);
    let info = app::protocol::FileInfo {
        id: app::ids::FileId(Uuid::new_v4()),
        name: "截图.png".into(),
        content_type: "image/png".into(),
        size: 42,
    };
    let mut message = text(me, "Visitor 1", "截图.png");
    message.file = Some(info.clone());
    let appended = store.append(id, me, message).await.unwrap();

    let record = store.file_record(info.id).await.unwrap().unwrap();
    assert_eq!(record.conversation_id, id);
    assert_eq!(record.seq, appended.seq);
    assert_eq!(record.info, info);
    // The entry carries it, for everyone who reads the conversation.
    let page = store
        .messages_after(id, me, appended.seq - 1, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.messages[0].file.as_ref(), Some(&info));
    assert!(store
        .file_record(app::ids::FileId(Uuid::new_v4()))
        .await
        .unwrap()
        .is_none());

    // Refused with its message: no record of a file nobody may see.
    let stranger = Participant::Visitor(store.visitor_for_token(&[8; 32], "S").await.unwrap().id);
    let mut other = text(stranger, "S", "x.png");
    let lost = app::protocol::FileInfo {
        id: app::ids::FileId(Uuid::new_v4()),
        ..info
    };
    other.file = Some(lost.clone());
    assert_eq!(
        refusal(store.append(id, stranger, other).await),
        Refusal::NotFound
    );
    assert!(store.file_record(lost.id).await.unwrap().is_none());
}

pub async fn offline_messages_wait_to_be_mailed_once_and_agents_keep_an_address(
    store: Arc<dyn Store>,
) {
    let ann = agent(store.as_ref(), "ann").await;
    assert_eq!(ann.email, None);
    assert!(store
        .set_agent_email("ann", Some("ann@example.com"))
        .await
        .unwrap());
    let read = store.agent(ann.id).await.unwrap().unwrap();
    assert_eq!(read.email.as_deref(), Some("ann@example.com"));
    assert!(store.set_agent_email("ann", None).await.unwrap());
    assert_eq!(store.agent(ann.id).await.unwrap().unwrap().email, None);
    assert!(!store.set_agent_email("nobody", None).await.unwrap());

    let leave = |body: &str, at_ms| crate::store::NewOfflineMessage {
        visitor_id: None,
        name: "Mia".into(),
        email: "mia@example.com".into(),
        body: body.into(),
        page_url: String::new(),
        at_ms,
    };
    let old = store.add_offline_message(leave("old", 100)).await.unwrap();
    let first = store
        .add_offline_message(leave("first", 2_000))
        .await
        .unwrap();
    let second = store
        .add_offline_message(leave("second", 3_000))
        .await
        .unwrap();
    // Each claim lasts 10 s from the time it is made.
    let claim = |now_ms: i64, since_ms: i64, limit: u32| {
        let store = store.clone();
        async move {
            store
                .claim_unmailed_offline_messages(now_ms, since_ms, now_ms + 10_000, limit)
                .await
                .unwrap()
                .into_iter()
                .map(|m| m.body)
                .collect::<Vec<_>>()
        }
    };
    // Oldest first, and only those since the given time.
    assert_eq!(claim(10_000, 1_000, 10).await, ["first", "second"]);
    // Claimed ones go to no other mailer until the claim lapses.
    assert!(claim(10_000, 1_000, 10).await.is_empty());
    assert_eq!(claim(10_000, 0, 1).await, ["old"]);
    // A claim given back is taken again at once; giving back a claim that is
    // not the one made (another mailer's, after this one's lapsed) does nothing.
    store
        .release_offline_mail_claim(second.id, 19_999)
        .await
        .unwrap();
    assert!(claim(11_000, 0, 10).await.is_empty());
    store
        .release_offline_mail_claim(second.id, 20_000)
        .await
        .unwrap();
    assert_eq!(claim(11_000, 0, 10).await, ["second"]);
    // Mailed is mailed for good, lapsed claim or not.
    store.mark_offline_mailed(first.id, 12_000).await.unwrap();
    assert_eq!(claim(20_000, 0, 10).await, ["old"]);
    // Handling a message does not count as mailing it.
    store
        .set_offline_handled(
            second.id,
            Some(Handled {
                by_name: "Ann".into(),
                at_ms: 13_000,
            }),
        )
        .await
        .unwrap();
    assert_eq!(claim(21_000, 1_000, 10).await, ["second"]);
    store.mark_offline_mailed(second.id, 22_000).await.unwrap();
    store.mark_offline_mailed(old.id, 22_000).await.unwrap();
    assert!(claim(99_000, 0, 10).await.is_empty());
    // Still listed for the console, mailed or not.
    assert_eq!(store.offline_messages(10).await.unwrap().len(), 3);
}

/// Mailers claiming at once, as the mailers of several nodes do: each offline
/// message goes to exactly one of them.
pub async fn concurrent_mail_claims_take_each_offline_message_once(store: Arc<dyn Store>) {
    const MESSAGES: usize = 40;
    const MAILERS: usize = 6;
    for n in 0..MESSAGES {
        store
            .add_offline_message(crate::store::NewOfflineMessage {
                visitor_id: None,
                name: "Mia".into(),
                email: "mia@example.com".into(),
                body: format!("message {n}"),
                page_url: String::new(),
                at_ms: 1_000 + n as i64,
            })
            .await
            .unwrap();
    }
    let mailers: Vec<_> = (0..MAILERS)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let claimed = store
                        .claim_unmailed_offline_messages(5_000, 0, 60_000, 3)
                        .await
                        .unwrap();
                    if claimed.is_empty() {
                        return mine;
                    }
                    mine.extend(claimed.into_iter().map(|m| m.body));
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for mailer in mailers {
        all.extend(mailer.await.unwrap());
    }
    all.sort();
    let mut expected: Vec<String> = (0..MESSAGES).map(|n| format!("message {n}")).collect();
    expected.sort();
    assert_eq!(all, expected, "every message claimed, none twice");
}

/// Writers racing for one conversation, as on several nodes: each task appends
/// with its own connection, and every entry gets its own number, with none
/// skipped and none used twice.
pub async fn concurrent_appends_to_one_conversation_are_numbered_without_gaps_or_repeats(
    store: Arc<dyn Store>,
) {
    const TASKS: usize = 8;
    const EACH: usize = 25;
    let ann = agent(&*store, "ann").await;
    let (id, visitor) = chat_at(&*store, 1, "Visitor 1", "hello", Some(&ann), 100).await;
    let before = store
        .staff_entries(id, 0, 10)
        .await
        .unwrap()
        .unwrap()
        .last_seq;
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let store = Arc::clone(&store);
            let (author, name) = if task % 2 == 0 {
                (Participant::Visitor(visitor.id), "Visitor 1")
            } else {
                (Participant::Agent(ann.id), "ANN")
            };
            tokio::spawn(async move {
                let mut seqs = Vec::with_capacity(EACH);
                for i in 0..EACH {
                    let message = text(author, name, &format!("task {task} message {i}"));
                    seqs.push(store.append(id, author, message).await.unwrap().seq);
                }
                seqs
            })
        })
        .collect();
    let mut seqs = Vec::with_capacity(TASKS * EACH);
    for task in tasks {
        let mine = task.await.unwrap();
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "one writer's entries keep its order: {mine:?}"
        );
        seqs.extend(mine);
    }
    seqs.sort_unstable();
    let expected: Vec<u64> = (before + 1..=before + (TASKS * EACH) as u64).collect();
    assert_eq!(seqs, expected, "every number once, none skipped");

    let page = store.staff_entries(id, 0, 1000).await.unwrap().unwrap();
    assert_eq!(page.last_seq, before + (TASKS * EACH) as u64);
    assert_eq!(
        page.messages.iter().map(|m| m.seq).collect::<Vec<_>>(),
        (1..=page.last_seq).collect::<Vec<_>>(),
        "the stored entries are 1..N"
    );
}

/// The same message sent at once over several connections (a client that
/// reconnected and resent before its first try was answered): stored once, and
/// every try answered with its one number, whichever batch each lands in.
pub async fn one_message_sent_at_once_many_times_is_stored_once(store: Arc<dyn Store>) {
    const TRIES: usize = 8;
    let ann = agent(&*store, "ann").await;
    let (id, visitor) = chat_at(&*store, 1, "Visitor 1", "hello", Some(&ann), 100).await;
    let author = Participant::Visitor(visitor.id);
    let message = text(author, "Visitor 1", "is anyone there?");
    let tries: Vec<_> = (0..TRIES)
        .map(|_| {
            let store = Arc::clone(&store);
            let message = message.clone();
            tokio::spawn(async move { store.append(id, author, message).await.unwrap() })
        })
        .collect();
    let mut answers = Vec::new();
    for attempt in tries {
        answers.push(attempt.await.unwrap());
    }
    let seq = answers[0].seq;
    assert!(answers.iter().all(|a| a.seq == seq), "{answers:?}");
    assert_eq!(
        answers.iter().filter(|a| !a.changed.is_empty()).count(),
        1,
        "one try stored it, the others were told it was there"
    );
    let page = store.staff_entries(id, 0, 100).await.unwrap().unwrap();
    let copies = page.messages.iter().filter(|m| m.id == message.id).count();
    assert_eq!(copies, 1);
    assert_eq!(page.last_seq, seq);
}

/// Seeded random appends from many senders to many conversations at once, as a busy
/// node's connections send (`CHAT_APPEND_SEED` replays a run): fresh messages, resends
/// of one already acknowledged (its number back, nothing changed), resends with
/// another body (a conflict) and sends by someone not in the conversation (refused),
/// all mixed, so that a backend that batches appends puts every kind in one batch.
/// Afterwards each conversation is numbered 1..N with no gap, and every acknowledged
/// message is stored exactly once, under the number its acknowledgement gave.
pub async fn random_appends_across_conversations_stay_gapless_and_truthful(store: Arc<dyn Store>) {
    use rand::{Rng, SeedableRng};
    use std::collections::HashMap;
    const CONVERSATIONS: usize = 10;
    const SENDERS: usize = 24;
    const SENDS: usize = 30;
    let seed: u64 = std::env::var("CHAT_APPEND_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("CHAT_APPEND_SEED={seed}");
    let ann = agent(&*store, "ann").await;
    let mut chats = Vec::new();
    for n in 0..CONVERSATIONS {
        let name = format!("Visitor {n}");
        chats.push(chat_at(&*store, n as u8 + 1, &name, "hello", Some(&ann), 100).await);
    }
    let chats = Arc::new(chats);
    let senders: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let store = Arc::clone(&store);
            let chats = Arc::clone(&chats);
            let ann = Participant::Agent(ann.id);
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ sender as u64);
            tokio::spawn(async move {
                // (conversation, message, acknowledged seq) of every fresh message.
                let mut acked: Vec<(ConversationId, NewMessage, u64)> = Vec::new();
                for i in 0..SENDS {
                    let n = rng.gen_range(0..chats.len());
                    let (id, visitor) = &chats[n];
                    let (author, name) = if rng.gen_bool(0.5) {
                        (Participant::Visitor(visitor.id), visitor.name.clone())
                    } else {
                        (ann, "ANN".to_string())
                    };
                    let roll: f64 = rng.gen();
                    if roll < 0.1 {
                        // The visitor of another chat: not a member here.
                        let (_, other) = &chats[(n + 1) % chats.len()];
                        let stranger = Participant::Visitor(other.id);
                        let message = text(stranger, &other.name, "not mine");
                        assert_eq!(
                            refusal(store.append(*id, stranger, message).await),
                            Refusal::NotFound
                        );
                    } else if roll < 0.25 && !acked.is_empty() {
                        let (id, message, seq) = &acked[rng.gen_range(0..acked.len())];
                        let author = message.author.as_ref().unwrap().participant;
                        let again = store.append(*id, author, message.clone()).await.unwrap();
                        assert_eq!(again.seq, *seq, "a resend gets its first number");
                        assert!(again.changed.is_empty(), "and changes nothing");
                    } else if roll < 0.3 && !acked.is_empty() {
                        let (id, message, _) = &acked[rng.gen_range(0..acked.len())];
                        let author = message.author.as_ref().unwrap().participant;
                        let mut edited = message.clone();
                        edited.body = Body::Text {
                            text: "edited".into(),
                        };
                        assert_eq!(
                            refusal(store.append(*id, author, edited).await),
                            Refusal::IdConflict(message.id)
                        );
                    } else {
                        let message = text(author, &name, &format!("sender {sender} send {i}"));
                        let appended = store.append(*id, author, message.clone()).await.unwrap();
                        let entries: Vec<_> = appended.changed.entries().collect();
                        assert_eq!(entries.len(), 1);
                        assert_eq!(entries[0].seq, appended.seq);
                        assert_eq!(entries[0].body, message.body);
                        let recipients = &appended.changed.recipients;
                        assert!(recipients.contains(&author) && recipients.len() == 2);
                        acked.push((*id, message, appended.seq));
                    }
                }
                acked
            })
        })
        .collect();
    let mut acked: HashMap<(ConversationId, u64), NewMessage> = HashMap::new();
    for sender in senders {
        for (id, message, seq) in sender.await.unwrap() {
            let earlier = acked.insert((id, seq), message);
            assert!(
                earlier.is_none(),
                "two acknowledgements of seq {seq} in {id:?}"
            );
        }
    }
    for (id, _) in chats.iter() {
        let mut stored = Vec::new();
        loop {
            let after = stored
                .last()
                .map_or(0, |m: &app::protocol::ChatMessage| m.seq);
            let page = store.staff_entries(*id, after, 100).await.unwrap().unwrap();
            if page.messages.is_empty() {
                assert_eq!(after, page.last_seq, "the pages reach the newest entry");
                break;
            }
            stored.extend(page.messages);
        }
        assert_eq!(
            stored.iter().map(|m| m.seq).collect::<Vec<_>>(),
            (1..=stored.len() as u64).collect::<Vec<_>>(),
            "seed {seed}: the entries of a conversation are 1..N"
        );
        let from_senders = stored
            .iter()
            .filter(|m| matches!(&m.body, Body::Text { text } if text.starts_with("sender ")))
            .count();
        let acked_here = acked.keys().filter(|(c, _)| c == id).count();
        assert_eq!(
            from_senders, acked_here,
            "seed {seed}: each acknowledged message once"
        );
        for m in &stored {
            if let Some(message) = acked.get(&(*id, m.seq)) {
                assert_eq!((m.id, &m.body), (message.id, &message.body), "seed {seed}");
            }
        }
    }
}

pub async fn the_file_link_key_is_made_once_and_kept(store: Arc<dyn Store>) {
    let first = store.link_key([1; 32]).await.unwrap();
    assert_eq!(first, [1; 32]);
    // Another node, or a restart, offering a key of its own gets the kept one.
    assert_eq!(store.link_key([2; 32]).await.unwrap(), [1; 32]);
}

pub async fn login_buckets_empty_and_refill_per_key(store: Arc<dyn Store>) {
    let rate = crate::limits::Rate::new(0.1, 3.0);
    let take = |key: &'static str, at_ms: i64| {
        let store = store.clone();
        async move { store.take_login_token(key, rate, at_ms).await.unwrap() }
    };
    for _ in 0..3 {
        assert!(take("a:ann", 1_000).await);
    }
    assert!(!take("a:ann", 1_000).await, "three, then none");
    assert!(take("ip:127.0.0.1", 1_000).await, "another key has its own");
    assert!(!take("a:ann", 5_000).await, "not a whole token back yet");
    // One token every ten seconds.
    assert!(take("a:ann", 11_500).await);
    assert!(!take("a:ann", 11_500).await);
    // Much later: full again (and the old rows are gone, which changes nothing).
    for _ in 0..3 {
        assert!(take("a:ann", 10_000_000).await);
    }
    assert!(!take("a:ann", 10_000_000).await);
}

pub async fn pending_invitees_are_those_with_an_open_invitation(store: Arc<dyn Store>) {
    assert!(store.pending_invitees().await.unwrap().is_empty());
    let (_ann, invitee, id) = group_with_invitation(&*store).await;
    assert_eq!(store.pending_invitees().await.unwrap(), [invitee]);
    store.expire_invitation(id, 5).await.unwrap();
    assert!(store.pending_invitees().await.unwrap().is_empty());
}

pub async fn conversation_heads_name_the_newest_seq_of_those_that_exist(store: Arc<dyn Store>) {
    let (id, visitor) = queued(store.as_ref()).await;
    let me = Participant::Visitor(visitor.id);
    store
        .append(id, me, text(me, &visitor.name, "second"))
        .await
        .unwrap();
    let missing = ConversationId(Uuid::new_v4());
    let heads = store.conversation_heads(&[id, missing]).await.unwrap();
    assert_eq!(heads, [(id, 2)]);
    assert!(store.conversation_heads(&[]).await.unwrap().is_empty());
}

pub async fn api_tokens_are_found_by_hash_named_once_and_revoked_for_good(store: Arc<dyn Store>) {
    let crm = store
        .add_api_token("crm", ApiScope::Read, &[1; 32], 10)
        .await
        .unwrap();
    assert_eq!(
        (crm.name.as_str(), crm.scope, crm.revoked_ms),
        ("crm", ApiScope::Read, None)
    );
    let bot = store
        .add_api_token("bot", ApiScope::Write, &[2; 32], 11)
        .await
        .unwrap();
    assert!(matches!(
        store.add_api_token("crm", ApiScope::Write, &[3; 32], 12).await,
        Err(StoreError::Duplicate(name)) if name == "crm"
    ));
    assert_eq!(
        store.live_api_token(&[1; 32]).await.unwrap(),
        Some(crm.clone())
    );
    assert_eq!(store.live_api_token(&[2; 32]).await.unwrap(), Some(bot));
    assert_eq!(store.live_api_token(&[3; 32]).await.unwrap(), None);

    assert!(store.revoke_api_token("crm", 20).await.unwrap());
    assert!(!store.revoke_api_token("crm", 21).await.unwrap());
    assert!(!store.revoke_api_token("nobody", 21).await.unwrap());
    assert_eq!(store.live_api_token(&[1; 32]).await.unwrap(), None);
    // The name is free again once its token is revoked; the old token stays dead.
    let again = store
        .add_api_token("crm", ApiScope::Write, &[4; 32], 30)
        .await
        .unwrap();
    assert_ne!(again.id, crm.id);
    assert_eq!(store.live_api_token(&[1; 32]).await.unwrap(), None);
    let listed = store.api_tokens().await.unwrap();
    let names: Vec<_> = listed
        .iter()
        .map(|t| (t.name.as_str(), t.revoked_ms))
        .collect();
    assert_eq!(names, [("crm", Some(20)), ("bot", None), ("crm", None)]);
}

pub async fn a_change_writes_its_webhook_events_in_its_transaction_and_deliveries_follow(
    store: Arc<dyn Store>,
) {
    use crate::store::{DeliveryOutcome, WebhookAttempt};
    let (id, visitor) = queued(store.as_ref()).await;
    let me = Participant::Visitor(visitor.id);
    // No endpoint: nothing goes to the outbox.
    store
        .append(id, me, text(me, &visitor.name, "before"))
        .await
        .unwrap();
    assert!(store
        .take_due_deliveries(i64::MAX / 2, 1000, 10)
        .await
        .unwrap()
        .is_empty());

    let secret = "0123456789abcdef";
    let messages = store
        .add_webhook(
            "https://crm.example/a",
            secret,
            &["message.created".into()],
            false,
            1,
        )
        .await
        .unwrap();
    let ratings = store
        .add_webhook(
            "https://crm.example/b",
            secret,
            &["rating.created".into()],
            true,
            2,
        )
        .await
        .unwrap();
    assert_eq!(
        store.webhooks().await.unwrap(),
        [messages.clone(), ratings.clone()]
    );
    let mut after = text(me, &visitor.name, "after");
    after.id = MessageId(Uuid::nil());
    store.append(id, me, after.clone()).await.unwrap();
    // A resend stores nothing new, and a refused append writes no event.
    store.append(id, me, after.clone()).await.unwrap();
    after.body = Body::Text {
        text: "other".into(),
    };
    assert!(store.append(id, me, after).await.is_err());
    store
        .append(id, me, text(me, &visitor.name, "third"))
        .await
        .unwrap();
    let far = i64::MAX / 2;
    let due = store.take_due_deliveries(far, 1000, 10).await.unwrap();
    let names: Vec<_> = due
        .iter()
        .map(|d| (d.name.as_str(), d.endpoint.id))
        .collect();
    assert_eq!(
        names,
        [
            ("message.created", messages.id),
            ("message.created", messages.id)
        ]
    );
    let body: serde_json::Value = serde_json::from_str(&due[0].body).unwrap();
    assert_eq!(body["data"]["message"]["text"], "after");
    // Taken: not due again until the lease ends.
    assert!(store
        .take_due_deliveries(far, 1000, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .take_due_deliveries(far + 1000, 1000, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(store.webhook_backlog().await.unwrap(), (2, 0));

    let failed = WebhookAttempt {
        at_ms: 10,
        status: Some(500),
        error: Some("500".into()),
        duration_ms: 3,
    };
    let delivered = WebhookAttempt {
        at_ms: 20,
        status: Some(204),
        error: None,
        duration_ms: 2,
    };
    let first = &due[0];
    store
        .record_attempt(
            first.event_id,
            messages.id,
            &failed,
            DeliveryOutcome::RetryAt(15),
        )
        .await
        .unwrap();
    store
        .record_attempt(
            first.event_id,
            messages.id,
            &delivered,
            DeliveryOutcome::Delivered,
        )
        .await
        .unwrap();
    store
        .record_attempt(
            due[1].event_id,
            messages.id,
            &failed,
            DeliveryOutcome::GaveUp,
        )
        .await
        .unwrap();
    assert_eq!(store.webhook_backlog().await.unwrap(), (0, 1));
    let listed = store.deliveries(messages.id, 10).await.unwrap();
    let first_listed = listed
        .iter()
        .find(|d| d.event_id == first.event_id)
        .unwrap();
    assert_eq!(first_listed.state, "delivered");
    assert_eq!(first_listed.attempts, [failed.clone(), delivered]);
    assert!(store
        .redeliver(messages.id, due[1].event_id, 30)
        .await
        .unwrap());
    assert!(!store
        .redeliver(ratings.id, due[1].event_id, 30)
        .await
        .unwrap());
    let again = store.take_due_deliveries(30, 1000, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].event_id, again[0].attempts), (due[1].event_id, 1));

    assert!(store.remove_webhook(messages.id).await.unwrap());
    assert!(!store.remove_webhook(messages.id).await.unwrap());
    assert!(store.deliveries(messages.id, 10).await.unwrap().is_empty());
    assert_eq!(store.webhook_backlog().await.unwrap(), (0, 0));
}

pub async fn a_verified_user_is_one_visitor_apart_from_every_token(store: Arc<dyn Store>) {
    let device = store
        .visitor_for_token(&[7; 32], "Visitor 7")
        .await
        .unwrap();
    let alice = store.visitor_for_user("user-42", "Alice").await.unwrap();
    assert_eq!(alice.name, "Alice");
    assert_ne!(alice.id, device.id);
    let again = store
        .visitor_for_user("user-42", "Someone else")
        .await
        .unwrap();
    assert_eq!(again, alice, "found again, name kept");
    let bob = store.visitor_for_user("user-43", "Bob").await.unwrap();
    assert_ne!(bob.id, alice.id);
    assert_eq!(store.visitor(alice.id).await.unwrap(), Some(alice));
    // The token still names the device's own visitor.
    assert_eq!(
        store.visitor_for_token(&[7; 32], "x").await.unwrap(),
        device
    );
}

fn department(
    id: &str,
    routing: app::api::Routing,
    agents: &[&AgentRecord],
) -> app::api::Department {
    app::api::Department {
        id: id.into(),
        name: id.to_uppercase(),
        routing,
        max_chats: 1,
        offer_seconds: 10,
        agents: agents.iter().map(|a| a.id).collect(),
        hours: None,
        away_message: String::new(),
    }
}

async fn queued_in(store: &dyn Store, token: u8, department: Option<&str>) -> ConversationId {
    let visitor = store
        .visitor_for_token(&[token; 32], &format!("Visitor {token}"))
        .await
        .unwrap();
    let id = ConversationId(Uuid::new_v4());
    let first = text(Participant::Visitor(visitor.id), &visitor.name, "hello");
    store
        .create_direct(id, &visitor, department, first)
        .await
        .unwrap();
    id
}

pub async fn routing_offers_a_chat_to_one_agent_at_a_time_and_moves_on(store: Arc<dyn Store>) {
    use app::api::Routing;
    let (ann, bob, cy) = (
        agent(&*store, "ann").await,
        agent(&*store, "bob").await,
        agent(&*store, "cy").await,
    );
    let sales = department("sales", Routing::RoundRobin, &[&ann, &bob]);
    assert!(store.put_department(&sales, 1).await.unwrap(), "new");
    let mut with_cy = department("support", Routing::Manual, &[&cy]);
    assert!(store.put_department(&with_cy, 1).await.unwrap());
    // Saving again changes it; an agent id that does not exist is skipped.
    with_cy.agents.push(AgentId(Uuid::new_v4()));
    with_cy.name = "Support".into();
    let weekdays = Some(app::api::Opening {
        opens: 8 * 60,
        closes: 18 * 60 + 30,
    });
    with_cy.hours = Some(app::api::BusinessHours {
        time_zone: "America/New_York".into(),
        days: [weekdays, weekdays, weekdays, weekdays, weekdays, None, None],
    });
    with_cy.away_message = "Back on Monday, 8:00.\nLeave us a message.".into();
    assert!(!store.put_department(&with_cy, 2).await.unwrap());
    let listed = store.departments().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        (listed[1].name.as_str(), listed[1].agents.clone()),
        ("Support", vec![cy.id])
    );
    assert_eq!(
        (&listed[1].hours, &listed[1].away_message),
        (&with_cy.hours, &with_cy.away_message),
        "hours and the away message read back"
    );
    assert_eq!(
        (&listed[0].hours, listed[0].away_message.as_str()),
        (&None, "")
    );
    let mut ann_and_bob = vec![ann.id, bob.id];
    ann_and_bob.sort();
    assert_eq!(listed[0].agents, ann_and_bob);
    assert_eq!(listed[0].offer_seconds, 10);

    // A chat names its department; an unknown one is none.
    let chat = queued_in(&*store, 1, Some("sales")).await;
    let elsewhere = queued_in(&*store, 2, Some("no-such-team")).await;
    let manual = queued_in(&*store, 3, Some("support")).await;
    let queue = store.queue().await.unwrap();
    let dept = |id| {
        queue
            .iter()
            .find(|i| i.conversation_id == id)
            .unwrap()
            .department
            .clone()
    };
    assert_eq!(
        (dept(chat), dept(elsewhere), dept(manual)),
        ("sales".into(), String::new(), "support".into())
    );
    let everyone = [ann.id, bob.id, cy.id];
    assert_eq!(
        store.route_chat(elsewhere, &everyone, 100).await.unwrap(),
        None
    );
    assert_eq!(
        store.route_chat(manual, &everyone, 100).await.unwrap(),
        None
    );

    // Offered to one of the department's agents, until the offer time is up.
    let first = store
        .route_chat(chat, &everyone, 100)
        .await
        .unwrap()
        .unwrap();
    let first_agent = first.offered_to.unwrap();
    assert!(first_agent == ann.id || first_agent == bob.id);
    assert_eq!(first.offered_until_ms, Some(100 + 10_000));
    assert_eq!(
        store.route_chat(chat, &everyone, 5_000).await.unwrap(),
        None,
        "still live"
    );
    // Not taken in time: the other one.
    let second = store
        .route_chat(chat, &everyone, 10_100)
        .await
        .unwrap()
        .unwrap();
    let second_agent = second.offered_to.unwrap();
    assert_ne!(second_agent, first_agent);
    // Declined: back to the first (everyone was asked once).
    assert!(
        !store.decline_chat(chat, first_agent, 10_200).await.unwrap(),
        "not theirs"
    );
    assert!(store
        .decline_chat(chat, second_agent, 10_200)
        .await
        .unwrap());
    let third = store
        .route_chat(chat, &everyone, 10_200)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(third.offered_to, Some(first_agent));
    // The agent offered goes away, and the other declined it: nobody can take
    // it now, so the offer is withdrawn, once.
    // (A new offer stands a moment even so: a node may not know its agent yet.)
    assert_eq!(
        store
            .route_chat(chat, &[second_agent], 10_300)
            .await
            .unwrap(),
        None
    );
    let none = store
        .route_chat(chat, &[second_agent], 13_300)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(none.offered_to, None);
    assert_eq!(
        store
            .route_chat(chat, &[second_agent], 13_400)
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.route_chat(chat, &[], 13_500).await.unwrap(), None);
    // Back: offered again, to the one who did not decline.
    let back = store
        .route_chat(chat, &everyone, 13_600)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.offered_to, Some(first_agent));

    // An agent with as many chats as the department allows gets no more.
    let taker = if first_agent == ann.id { &ann } else { &bob };
    store.accept_queued(chat, taker, 14_000).await.unwrap();
    let next = queued_in(&*store, 4, Some("sales")).await;
    let offered = store
        .route_chat(next, &everyone, 14_100)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(offered.offered_to, Some(second_agent), "the other has room");
    // A chat offered counts too: with one each, nobody has room for a third.
    let third_chat = queued_in(&*store, 5, Some("sales")).await;
    assert_eq!(
        store
            .route_chat(third_chat, &everyone, 14_200)
            .await
            .unwrap(),
        None
    );
    // A taken chat is not routed.
    assert_eq!(
        store.route_chat(chat, &everyone, 14_300).await.unwrap(),
        None
    );

    // A department that stops routing ends its offers; an agent taken out of
    // it loses theirs.
    let mut manual = department("sales", Routing::Manual, &[&ann, &bob]);
    manual.max_chats = 5;
    store.put_department(&manual, 14_400).await.unwrap();
    let ended = store
        .route_chat(next, &everyone, 14_500)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ended.offered_to, None);
    let mut routing_again = manual.clone();
    routing_again.routing = Routing::LeastBusy;
    store.put_department(&routing_again, 14_600).await.unwrap();
    let offered = store
        .route_chat(next, &everyone, 14_700)
        .await
        .unwrap()
        .unwrap();
    let holder = offered.offered_to.unwrap();
    routing_again.agents.retain(|a| *a != holder);
    store.put_department(&routing_again, 14_800).await.unwrap();
    let moved = store
        .route_chat(next, &everyone, 14_900)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(moved.offered_to, Some(holder));

    // Handed back to the queue, a chat starts afresh: whoever declined it
    // before may be offered it now.
    store
        .transfer(chat, taker, None, "", false, 15_000)
        .await
        .unwrap();
    let again = store
        .route_chat(chat, &everyone, 15_100)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        again.offered_to,
        Some(second_agent),
        "declined before the requeue"
    );

    // Removing the department leaves its waiting chat in the queue, in none.
    assert!(store.remove_department("sales").await.unwrap());
    assert!(!store.remove_department("sales").await.unwrap());
    let left = store.queue().await.unwrap();
    let item = left.iter().find(|i| i.conversation_id == next).unwrap();
    assert_eq!((item.department.as_str(), item.offered_to), ("", None));
}

pub async fn concurrent_routing_of_one_chat_makes_one_offer(store: Arc<dyn Store>) {
    use app::api::Routing;
    let mut agents = Vec::new();
    for name in ["ann", "bob", "cy", "dee"] {
        agents.push(agent(&*store, name).await);
    }
    let refs: Vec<&AgentRecord> = agents.iter().collect();
    store
        .put_department(&department("sales", Routing::LeastBusy, &refs), 1)
        .await
        .unwrap();
    let chat = queued_in(&*store, 1, Some("sales")).await;
    let everyone: Vec<AgentId> = agents.iter().map(|a| a.id).collect();
    let routes = (0..8).map(|_| store.route_chat(chat, &everyone, 100));
    let offers: Vec<_> = futures::future::join_all(routes)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        offers.iter().filter(|o| o.is_some()).count(),
        1,
        "{offers:?}"
    );
    let queue = store.queue().await.unwrap();
    let offered = queue[0].offered_to.unwrap();
    assert_eq!(
        offers.into_iter().flatten().next().unwrap().offered_to,
        Some(offered)
    );
}

pub async fn a_website_claims_its_origins_alone_and_reads_back_whole(store: Arc<dyn Store>) {
    use app::api::{Position, Website, WidgetSettings};
    let mut shop = Website {
        id: "shop".into(),
        name: "Acme shop".into(),
        origins: vec![
            "https://shop.example.com".into(),
            "https://www.example.com".into(),
        ],
        settings: WidgetSettings {
            colour: "#0a7c55".into(),
            position: Position::Left,
            launcher_text: "Questions?".into(),
            greeting: "Hello!\nAsk us anything.".into(),
            show_agents: false,
            language: "zh-Hant".into(),
            pre_chat: app::api::PreChat {
                name: true,
                email: true,
                department: false,
                consent: "I agree that Acme keeps this chat.".into(),
            },
        },
    };
    assert!(store.put_website(&shop, 1).await.unwrap(), "new");
    let blog = Website {
        id: "blog".into(),
        name: "Blog".into(),
        origins: vec!["https://blog.example.com".into()],
        settings: WidgetSettings::default(),
    };
    assert!(store.put_website(&blog, 2).await.unwrap());
    assert_eq!(
        store.websites().await.unwrap(),
        vec![blog.clone(), shop.clone()]
    );

    // Saving again replaces the name, the settings and the origins.
    shop.name = "Shop".into();
    shop.origins = vec!["https://shop.example.com".into()];
    shop.settings.launcher_text = String::new();
    assert!(
        !store.put_website(&shop, 3).await.unwrap(),
        "changed, not new"
    );
    // The origin it gave up is free for another website.
    let mut www = Website {
        id: "www".into(),
        name: "Home".into(),
        origins: vec!["https://www.example.com".into()],
        settings: WidgetSettings::default(),
    };
    assert!(store.put_website(&www, 4).await.unwrap());

    // An origin another website holds: refused, naming it, and nothing changes.
    www.name = "Renamed".into();
    www.origins.push("https://blog.example.com".into());
    match store.put_website(&www, 5).await {
        Err(StoreError::Duplicate(origin)) => assert_eq!(origin, "https://blog.example.com"),
        other => panic!("expected the origin refused, got {other:?}"),
    }
    let listed = store.websites().await.unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[1], shop);
    assert_eq!(
        (listed[2].name.as_str(), listed[2].origins.clone()),
        ("Home", vec!["https://www.example.com".to_owned()]),
        "the refused change kept nothing"
    );

    assert!(store.remove_website("blog").await.unwrap());
    assert!(!store.remove_website("blog").await.unwrap(), "gone already");
    www.origins = vec!["https://blog.example.com".into()];
    assert!(
        !store.put_website(&www, 6).await.unwrap(),
        "a removed website's origins are free"
    );
}

pub async fn invitation_rules_read_back_and_a_rule_conversation_opens_with_its_note(
    store: Arc<dyn Store>,
) {
    use app::api::InvitationRule;
    let pricing = InvitationRule {
        id: "pricing".into(),
        name: "Pricing, 20 s".into(),
        url_pattern: "*/pricing*".into(),
        seconds_on_page: 20,
        min_pages_viewed: 2,
        returning_only: true,
        department: "sales".into(),
        greeting: "Questions about plans?\nAsk me.".into(),
        ..InvitationRule::default()
    };
    assert!(store.put_invitation_rule(&pricing, 1).await.unwrap(), "new");
    let mut changed = pricing.clone();
    changed.enabled = false;
    assert!(
        !store.put_invitation_rule(&changed, 2).await.unwrap(),
        "changed"
    );
    let any = InvitationRule {
        id: "any".into(),
        name: "Anywhere".into(),
        greeting: "Hi!".into(),
        ..InvitationRule::default()
    };
    assert!(store.put_invitation_rule(&any, 3).await.unwrap());
    assert_eq!(
        store.invitation_rules().await.unwrap(),
        vec![any.clone(), changed]
    );
    assert!(store.remove_invitation_rule("pricing").await.unwrap());
    assert!(!store.remove_invitation_rule("pricing").await.unwrap());
    assert_eq!(store.invitation_rules().await.unwrap(), vec![any]);

    // A conversation a rule opens: the owner's note for agents, then the
    // invitation, which carries the greeting.
    let ann = agent(&*store, "ann").await;
    let visitor = store
        .visitor_for_token(&[7; 32], "Visitor 7")
        .await
        .unwrap();
    let first_seen = store.visitor_first_seen(visitor.id).await.unwrap();
    assert!(first_seen.is_some_and(|at| at > 0));
    assert_eq!(
        store
            .visitor_first_seen(app::ids::VisitorId(Uuid::new_v4()))
            .await
            .unwrap(),
        None
    );
    let mut note = text(
        Participant::Agent(ann.id),
        &ann.name,
        "The rule Anywhere invited.",
    );
    note.visibility = Visibility::Agents;
    let id = ConversationId(Uuid::new_v4());
    let invitee = Participant::Visitor(visitor.id);
    let opening = crate::store::GroupOpening {
        entries: vec![note],
        greeting: "Hi!".into(),
    };
    store
        .create_group(id, &ann, &[(invitee, visitor.name.clone())], opening, 10)
        .await
        .unwrap();
    let pending = store.pending_invitations(invitee).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].greeting, "Hi!");
    let agents_read = store
        .messages_after(id, Participant::Agent(ann.id), 0, 10)
        .await
        .unwrap()
        .unwrap();
    let kinds: Vec<(u64, Visibility)> = agents_read
        .messages
        .iter()
        .map(|m| (m.seq, m.visibility))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (1, Visibility::Everyone),
            (2, Visibility::Agents),
            (3, Visibility::Everyone)
        ],
        "joined, the note, invited"
    );
    // Invitations sent otherwise carry none.
    let other = ConversationId(Uuid::new_v4());
    let bob_visitor = store
        .visitor_for_token(&[8; 32], "Visitor 8")
        .await
        .unwrap();
    let bob_invitee = Participant::Visitor(bob_visitor.id);
    store
        .create_group(
            other,
            &ann,
            &[(bob_invitee, bob_visitor.name)],
            Default::default(),
            11,
        )
        .await
        .unwrap();
    assert_eq!(
        store.pending_invitations(bob_invitee).await.unwrap()[0].greeting,
        ""
    );
}

pub async fn the_audit_log_pages_newest_first_and_only_grows(store: Arc<dyn Store>) {
    use app::api::AuditAction;
    assert!(store.audit_log(None, 10).await.unwrap().is_empty());
    for (n, action) in [
        AuditAction::AgentAdded,
        AuditAction::DepartmentSaved,
        AuditAction::WebsiteRemoved,
    ]
    .into_iter()
    .enumerate()
    {
        store
            .record_audit(
                100 + n as i64,
                "root",
                action,
                &format!("s{n}"),
                "{\"x\":1}",
            )
            .await
            .unwrap();
    }
    let all = store.audit_log(None, 10).await.unwrap();
    let seen: Vec<(&str, AuditAction, i64)> = all
        .iter()
        .map(|e| (e.subject.as_str(), e.action, e.at_ms))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("s2", AuditAction::WebsiteRemoved, 102),
            ("s1", AuditAction::DepartmentSaved, 101),
            ("s0", AuditAction::AgentAdded, 100)
        ]
    );
    assert!(all[0].id > all[1].id && all[1].id > all[2].id);
    assert_eq!(
        (all[0].admin.as_str(), all[0].detail.as_str()),
        ("root", "{\"x\":1}")
    );
    let first = store.audit_log(None, 2).await.unwrap();
    assert_eq!(first.len(), 2);
    let rest = store.audit_log(Some(first[1].id), 2).await.unwrap();
    assert_eq!(
        rest.iter().map(|e| e.subject.as_str()).collect::<Vec<_>>(),
        ["s0"]
    );
}

pub async fn a_chat_keeps_its_first_question_and_first_answer_for_reports(store: Arc<dyn Store>) {
    let ann = agent(&*store, "ann").await;
    let me = Participant::Agent(ann.id);
    let say = |who: Participant, name: &str, body: &str, at_ms: i64, visibility: Visibility| {
        let mut message = text(who, name, body);
        message.at_ms = at_ms;
        message.visibility = visibility;
        message
    };

    // Answered: a note and the agent's greeting before the visitor wrote do
    // not count; the first answer after it does, and only that one.
    let (answered, visitor) = chat_at(&*store, 41, "Vi", "hello", Some(&ann), 1_000).await;
    let vi = Participant::Visitor(visitor.id);
    for message in [
        say(me, "ANN", "internal", 5_000, Visibility::Agents),
        say(
            me,
            "ANN",
            "hi, how can I help?",
            7_000,
            Visibility::Everyone,
        ),
        say(vi, "Vi", "another question", 8_000, Visibility::Everyone),
        say(me, "ANN", "sure", 9_000, Visibility::Everyone),
    ] {
        store
            .append(
                answered,
                message.author.as_ref().unwrap().participant,
                message,
            )
            .await
            .unwrap();
    }
    store
        .rate(answered, &visitor, true, "", 9_500)
        .await
        .unwrap();
    store
        .leave(answered, vi, Departure::Left, 10_000)
        .await
        .unwrap();

    // Missed: closed with nobody answering.
    let (missed, lonely) = chat_at(&*store, 42, "Lo", "anyone?", None, 2_000).await;
    store
        .leave(
            missed,
            Participant::Visitor(lonely.id),
            Departure::Left,
            3_000,
        )
        .await
        .unwrap();
    // Outside the period.
    chat_at(&*store, 43, "Late", "hi", None, 50_000).await;

    let mut facts = store.chat_facts(1_000, 50_000).await.unwrap();
    facts.sort_by_key(|f| f.started_at);
    assert_eq!(facts.len(), 2, "{facts:?}");
    let first = &facts[0];
    assert_eq!(first.started_at, 1_000);
    assert_eq!(first.first_visitor_at, Some(1_000));
    assert_eq!(first.first_response_at, Some(7_000));
    assert_eq!(first.agent_id, Some(ann.id));
    assert_eq!(first.closed_at, Some(10_000));
    assert_eq!(first.rating, Some(true));
    let second = &facts[1];
    assert_eq!(second.first_visitor_at, Some(2_000));
    assert_eq!((second.first_response_at, second.agent_id), (None, None));
    assert_eq!(second.closed_at, Some(3_000));
    assert_eq!(second.rating, None);
}

pub async fn erasing_a_visitor_leaves_tombstones_and_every_sequence_whole(store: Arc<dyn Store>) {
    let ann = agent(&*store, "ann").await;
    let me = Participant::Agent(ann.id);
    let (id, vera) = chat_at(
        &*store,
        51,
        "Vera Private",
        "I live at 1 Elm Street",
        Some(&ann),
        1_000,
    )
    .await;
    let vi = Participant::Visitor(vera.id);
    store
        .append(id, me, text(me, "ANN", "Thanks, Vera Private"))
        .await
        .unwrap();
    store
        .append(id, vi, text(vi, "Vera Private", "my phone is 555 0100"))
        .await
        .unwrap();
    store
        .add_offline_message(crate::store::NewOfflineMessage {
            visitor_id: Some(vera.id),
            name: "Vera Private".into(),
            email: "vera@example.com".into(),
            body: "call me back".into(),
            page_url: "https://shop.example/".into(),
            at_ms: 3_000,
        })
        .await
        .unwrap();
    // Someone else's chat, which nothing here touches.
    let (other, olaf) = chat_at(&*store, 52, "Olaf", "Elm trees?", Some(&ann), 1_500).await;

    // Found by a part of the name, the e-mail address and the id.
    for query in ["vera pri", "VERA@example.com", &vera.id.to_string()] {
        let found = store.find_visitors(query, 10).await.unwrap();
        assert_eq!(found.len(), 1, "{query}");
        assert_eq!(found[0].id, vera.id);
        assert_eq!(found[0].conversations, 1);
        assert_eq!(found[0].emails, ["vera@example.com"]);
    }
    assert!(store.find_visitors("50%", 10).await.unwrap().is_empty());
    assert_eq!(store.offline_messages_of(vera.id).await.unwrap().len(), 1);

    // Not while the conversation is open.
    assert!(matches!(
        store.erase_visitor(vera.id).await,
        Err(StoreError::Refused(Refusal::VisitorChatting))
    ));
    store
        .rate(id, &vera, false, "Vera says: slow", 4_000)
        .await
        .unwrap();
    store.leave(id, vi, Departure::Left, 5_000).await.unwrap();
    let before = store.staff_entries(id, 0, 100).await.unwrap().unwrap();
    assert_eq!(
        store
            .search("Elm", &HistoryFilter::default(), 10)
            .await
            .unwrap()
            .len(),
        2
    );

    let erased = store.erase_visitor(vera.id).await.unwrap();
    assert_eq!(erased.counts.messages, 2);
    assert_eq!(erased.counts.conversations, 1);
    assert_eq!(erased.counts.offline_messages, 1);
    assert_eq!(erased.counts.files, 0);

    // Every number is still there, the visitor's entries as tombstones, the
    // agent's as they were; nothing names the visitor.
    let after = store.staff_entries(id, 0, 100).await.unwrap().unwrap();
    assert_eq!(after.last_seq, before.last_seq);
    let seqs: Vec<u64> = after.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=after.last_seq).collect::<Vec<_>>());
    for (old, new) in before.messages.iter().zip(&after.messages) {
        assert_eq!(old.id, new.id, "entry {} keeps its id", old.seq);
        let by_vera = old.author.as_ref().map(|a| a.participant) == Some(vi);
        if by_vera {
            assert_eq!(new.body, Body::Notice(Notice::Deleted));
            assert_eq!(new.author.as_ref().unwrap().name, "");
        } else if matches!(old.body, Body::Text { .. }) {
            // What others wrote is theirs, and stays as they wrote it.
            assert_eq!(old.body, new.body);
            continue;
        }
        let shown = format!("{:?}", new);
        assert!(
            !shown.contains("Vera") && !shown.contains("Elm") && !shown.contains("555 0100"),
            "{shown}"
        );
    }
    assert!(after.messages.iter().any(|m| m.body
        == Body::Notice(Notice::Left {
            name: String::new()
        })));
    let past = store.past_conversation(id).await.unwrap().unwrap();
    assert!(past.people.iter().all(|p| !p.name.contains("Vera")));
    assert_eq!(past.ratings.len(), 1);
    assert!(
        !past.ratings[0].good,
        "the rating counts on, without its words"
    );
    assert_eq!(
        (
            past.ratings[0].comment.as_str(),
            past.ratings[0].visitor_name.as_str()
        ),
        ("", "")
    );
    let hits = store
        .search("Elm", &HistoryFilter::default(), 10)
        .await
        .unwrap();
    assert_eq!(
        hits.iter().map(|h| h.conversation_id).collect::<Vec<_>>(),
        [other]
    );
    assert!(store.offline_messages_of(vera.id).await.unwrap().is_empty());
    assert!(store.offline_messages(10).await.unwrap().is_empty());
    assert!(store.find_visitors("vera", 10).await.unwrap().is_empty());
    assert_eq!(store.visitor(vera.id).await.unwrap(), None);
    assert!(matches!(
        store.erase_visitor(vera.id).await,
        Err(StoreError::Refused(Refusal::NotFound))
    ));

    // The other chat is as it was.
    let untouched = store.staff_entries(other, 0, 100).await.unwrap().unwrap();
    assert!(untouched.messages.iter().any(|m| m.body
        == Body::Text {
            text: "Elm trees?".into()
        }));
    assert_eq!(
        store.visitor(olaf.id).await.unwrap().map(|v| v.name),
        Some("Olaf".into())
    );
}

pub async fn retention_deletes_closed_conversations_closed_before_the_cutoff(
    store: Arc<dyn Store>,
) {
    let ann = agent(&*store, "ann").await;
    let close = |id: ConversationId, visitor: VisitorRecord, at_ms: i64| {
        let store = store.clone();
        async move {
            store
                .leave(id, Participant::Visitor(visitor.id), Departure::Left, at_ms)
                .await
                .unwrap();
        }
    };
    let (old, old_visitor) = chat_at(&*store, 61, "Old", "old question", Some(&ann), 1_000).await;
    store
        .rate(old, &old_visitor, true, "", 9_000)
        .await
        .unwrap();
    close(old, old_visitor.clone(), 10_000).await;
    let (newer, newer_visitor) =
        chat_at(&*store, 62, "New", "newer question", Some(&ann), 2_000).await;
    close(newer, newer_visitor, 50_000).await;
    let (open, _) = chat_at(&*store, 63, "Open", "still talking", Some(&ann), 3_000).await;

    let expired = store.expire_closed(20_000, 10).await.unwrap();
    assert_eq!(expired.conversations, 1);
    assert_eq!(store.past_conversation(old).await.unwrap(), None);
    assert_eq!(store.staff_entries(old, 0, 10).await.unwrap(), None);
    assert!(store.ratings(old).await.unwrap().is_empty());
    assert!(store
        .search("old", &HistoryFilter::default(), 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store.past_conversation(newer).await.unwrap().is_some());
    // The visitor stays: only the conversation went.
    assert!(store.visitor(old_visitor.id).await.unwrap().is_some());

    // A round takes at most its limit; an open conversation is never taken.
    assert_eq!(
        store
            .expire_closed(i64::MAX, 1)
            .await
            .unwrap()
            .conversations,
        1
    );
    assert_eq!(
        store
            .expire_closed(i64::MAX, 1)
            .await
            .unwrap()
            .conversations,
        0
    );
    assert!(store.past_conversation(open).await.unwrap().is_some());

    assert_eq!(store.setting("retention_days").await.unwrap(), None);
    store
        .put_setting("retention_days", Some("30"))
        .await
        .unwrap();
    store
        .put_setting("retention_days", Some("31"))
        .await
        .unwrap();
    assert_eq!(
        store.setting("retention_days").await.unwrap().as_deref(),
        Some("31")
    );
    store.put_setting("retention_days", None).await.unwrap();
    assert_eq!(store.setting("retention_days").await.unwrap(), None);
}

pub async fn an_agent_s_picture_is_replaced_removed_and_goes_with_the_agent(store: Arc<dyn Store>) {
    use crate::store::Avatar;
    let ann = agent(store.as_ref(), "ann").await;
    assert_eq!(ann.avatar_ms, None);
    assert_eq!(store.avatar(ann.id).await.unwrap(), None);
    let picture = |kind: &str, bytes: &[u8]| Avatar {
        content_type: kind.into(),
        bytes: bytes.to_vec(),
    };
    let first = picture("image/png", b"\x89PNG one");
    assert!(store.set_avatar(ann.id, Some(&first), 10).await.unwrap());
    let second = picture("image/jpeg", b"\xFF\xD8\xFF two");
    assert!(store.set_avatar(ann.id, Some(&second), 20).await.unwrap());
    assert_eq!(store.avatar(ann.id).await.unwrap(), Some(second.clone()));
    let read = store.agent(ann.id).await.unwrap().unwrap();
    assert_eq!(read.avatar_ms, Some(20));
    let by_name = store.agent_by_username("ann").await.unwrap().unwrap();
    assert_eq!(by_name.avatar_ms, Some(20));

    assert!(store.set_avatar(ann.id, None, 30).await.unwrap());
    assert_eq!(store.avatar(ann.id).await.unwrap(), None);
    assert_eq!(store.agent(ann.id).await.unwrap().unwrap().avatar_ms, None);
    let nobody = AgentId(Uuid::new_v4());
    assert!(!store.set_avatar(nobody, Some(&first), 40).await.unwrap());
    assert_eq!(store.avatar(nobody).await.unwrap(), None);

    assert!(store.set_avatar(ann.id, Some(&first), 50).await.unwrap());
    assert!(store.remove_agent("ann").await.unwrap());
    assert_eq!(store.avatar(ann.id).await.unwrap(), None);
}
