//! Storage rules on a real SQLite file.

use super::SqliteStore;
use crate::store::{
    AcceptOutcome, Answered, Appended, Departure, LeaveOutcome, NewAgent, NewMessage, Store,
    VisitorRecord,
};
use app::ids::{ConversationId, MessageId, Participant};
use app::protocol::{AgentRole, Author, Body, ConversationState, Notice};
use std::sync::Arc;
use uuid::Uuid;

async fn store() -> (Arc<SqliteStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/chat.db", dir.path().display());
    (Arc::new(SqliteStore::open(&url).await.unwrap()), dir)
}

fn text(author: Participant, name: &str, body: &str) -> NewMessage {
    NewMessage {
        id: MessageId(Uuid::new_v4()),
        author: Some(Author {
            participant: author,
            name: name.into(),
        }),
        body: Body::Text { text: body.into() },
        at_ms: 1,
    }
}

async fn agent(store: &SqliteStore, username: &str) -> crate::store::AgentRecord {
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

async fn queued(store: &SqliteStore) -> (ConversationId, VisitorRecord) {
    let visitor = store
        .visitor_for_token(&[9; 32], "Visitor 1")
        .await
        .unwrap();
    let id = ConversationId(Uuid::new_v4());
    let first = text(Participant::Visitor(visitor.id), &visitor.name, "hello");
    store.create_direct(id, &visitor, first).await.unwrap();
    (id, visitor)
}

#[tokio::test]
async fn the_same_token_is_the_same_visitor() {
    let (store, _dir) = store().await;
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

#[tokio::test]
async fn exactly_one_of_concurrent_accepts_wins() {
    let (store, _dir) = store().await;
    let (id, _) = queued(&store).await;
    let ann = agent(&store, "ann").await;
    let bob = agent(&store, "bob").await;
    let (a, b) = tokio::join!(
        store.accept_queued(id, &ann, 2),
        store.accept_queued(id, &bob, 2)
    );
    let outcomes = [a.unwrap(), b.unwrap()];
    let wins = outcomes
        .iter()
        .filter(|o| matches!(o, AcceptOutcome::Accepted { .. }))
        .count();
    let taken = outcomes
        .iter()
        .filter(|o| matches!(o, AcceptOutcome::AlreadyTaken))
        .count();
    assert_eq!((wins, taken), (1, 1));
    assert!(store.queue().await.unwrap().is_empty());
    assert_eq!(
        store
            .accept_queued(ConversationId(Uuid::new_v4()), &ann, 3)
            .await
            .unwrap(),
        AcceptOutcome::NotFound
    );
}

#[tokio::test]
async fn appends_are_numbered_idempotent_and_members_only() {
    let (store, _dir) = store().await;
    let (id, visitor) = queued(&store).await;
    let me = Participant::Visitor(visitor.id);
    let msg = text(me, &visitor.name, "second");
    let Appended::Stored {
        message,
        recipients,
    } = store.append(id, me, msg.clone()).await.unwrap()
    else {
        panic!("stored")
    };
    assert_eq!(message.seq, 2);
    assert_eq!(recipients, vec![me]);
    assert_eq!(
        store.append(id, me, msg.clone()).await.unwrap(),
        Appended::Duplicate { seq: 2 }
    );
    let mut changed = msg.clone();
    changed.body = Body::Text {
        text: "edited".into(),
    };
    assert_eq!(
        store.append(id, me, changed).await.unwrap(),
        Appended::Conflict
    );

    let stranger = Participant::Visitor(store.visitor_for_token(&[3; 32], "S").await.unwrap().id);
    assert_eq!(
        store
            .append(id, stranger, text(stranger, "S", "x"))
            .await
            .unwrap(),
        Appended::NotFound
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

#[tokio::test]
async fn the_visitor_leaving_closes_a_direct_conversation() {
    let (store, _dir) = store().await;
    let (id, visitor) = queued(&store).await;
    let ann = agent(&store, "ann").await;
    store.accept_queued(id, &ann, 2).await.unwrap();
    let me = Participant::Visitor(visitor.id);
    let LeaveOutcome::Left {
        conversation,
        notices,
        recipients,
    } = store.leave(id, me, Departure::Left, 3).await.unwrap()
    else {
        panic!("left")
    };
    assert_eq!(conversation.state, ConversationState::Closed);
    assert_eq!(recipients.len(), 2);
    assert_eq!(
        notices.iter().map(|n| n.body.clone()).collect::<Vec<_>>(),
        vec![
            Body::Notice(Notice::Left {
                name: "Visitor 1".into()
            }),
            Body::Notice(Notice::Closed)
        ]
    );
    assert!(store.conversations_of(me).await.unwrap().is_empty());
    assert_eq!(
        store.leave(id, me, Departure::Left, 4).await.unwrap(),
        LeaveOutcome::NotFound
    );
    let Appended::Closed = store
        .append(
            id,
            Participant::Agent(ann.id),
            text(Participant::Agent(ann.id), "A", "x"),
        )
        .await
        .unwrap()
    else {
        panic!("closed conversations take no messages")
    };
    // The visitor still reads the history up to its leaving.
    let seen = store.messages_after(id, me, 0, 10).await.unwrap().unwrap();
    assert_eq!(
        seen.last_seq, 3,
        "a visitor who left sees up to its leaving"
    );
    let seen = seen.messages;
    assert_eq!(seen.last().unwrap().seq, 3);
}

#[tokio::test]
async fn removing_an_agent_or_changing_its_password_ends_its_sessions() {
    let (store, _dir) = store().await;
    let ann = agent(&store, "ann").await;
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

async fn group_with_invitation(
    store: &SqliteStore,
) -> (
    crate::store::AgentRecord,
    Participant,
    app::ids::InvitationId,
) {
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
            1,
        )
        .await
        .unwrap();
    assert_eq!(
        invited.conversation.participants.len(),
        1,
        "the owner is the first participant"
    );
    assert_eq!(invited.conversation.owner, Some(ann.id));
    (ann, invitee, invited.invitations[0].id)
}

#[tokio::test]
async fn two_concurrent_accepts_of_one_invitation_join_once() {
    let (store, _dir) = store().await;
    let (_ann, invitee, id) = group_with_invitation(&store).await;
    let (a, b) = tokio::join!(
        store.answer_invitation(id, invitee, true, 2),
        store.answer_invitation(id, invitee, true, 2)
    );
    let outcomes = [a.unwrap(), b.unwrap()];
    let done = outcomes
        .iter()
        .filter(|o| matches!(o, Answered::Done { .. }))
        .count();
    let closed = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o,
                Answered::Closed(app::protocol::InvitationState::Accepted)
            )
        })
        .count();
    assert_eq!((done, closed), (1, 1));
}

#[tokio::test]
async fn an_accept_racing_the_invitees_departure_has_one_winner() {
    let (store, _dir) = store().await;
    let (_ann, invitee, id) = group_with_invitation(&store).await;
    let (accepted, expired) = tokio::join!(
        store.answer_invitation(id, invitee, true, 2),
        store.expire_invitation(id, 2)
    );
    match (accepted.unwrap(), expired.unwrap().is_some()) {
        (Answered::Done { .. }, false) => {}
        (Answered::Closed(app::protocol::InvitationState::Expired), true) => {}
        other => panic!("both or neither won: {other:?}"),
    }
    assert!(store.pending_invitations(invitee).await.unwrap().is_empty());
}

#[tokio::test]
async fn only_the_invitee_may_answer_and_only_once() {
    let (store, _dir) = store().await;
    let (ann, invitee, id) = group_with_invitation(&store).await;
    let stranger = Participant::Agent(ann.id);
    assert_eq!(
        store
            .answer_invitation(id, stranger, true, 2)
            .await
            .unwrap(),
        Answered::NotFound
    );
    assert!(matches!(
        store
            .answer_invitation(id, invitee, false, 2)
            .await
            .unwrap(),
        Answered::Done { .. }
    ));
    assert_eq!(
        store.answer_invitation(id, invitee, true, 3).await.unwrap(),
        Answered::Closed(app::protocol::InvitationState::Declined)
    );
}
