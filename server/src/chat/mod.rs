//! The chat service module: presence, conversations, accounts and the rules that
//! decide who may do what. It owns no sockets and no database types: it talks to
//! storage through [`Store`] and announces what happened through a [`Broker`],
//! naming the audience of every announcement.
//!
//! A transport adapter opens a [`Connection`] with [`ChatService::open`], drains
//! the outbox it comes with into its socket, passes every client frame to
//! [`ChatService::handle`], and drops the connection when the socket closes.

mod accounts;
pub mod agents;
mod announce;
pub mod api_tokens;
pub mod availability;
mod canned;
pub mod cluster;
mod connections;
mod conversations;
mod departments;
mod error;
pub mod events;
mod files;
mod history;
pub mod identity;
mod integrations;
mod invitations;
mod mail;
#[cfg(test)]
mod order_tests;
mod presence;
pub mod privacy;
mod proactive;
pub mod reports;
pub mod rules;
mod sessions;
#[cfg(test)]
mod tests;
mod transcripts;
mod transfer;
mod visitor_lists;
mod websites;

pub use accounts::{
    hash_password, new_token, on_hashing_thread, LoginError, MAX_USERNAME_CHARS, SESSION_TTL,
};
pub use agents::AccountError;
pub use canned::CannedError;
pub use connections::Connection;
pub use error::ChatError;
pub use files::FileSent;
pub use presence::{AgentProfile, Presence, VisitorList};
pub use sessions::Session;
pub use websites::{SiteOrigins, WebsiteError};

use crate::broker::Broker;
use crate::limits::Limits;
use crate::routing::{Audience, ConnId, Envelope, Router};
use crate::store::{AgentRecord, Departure, Store};
use app::ids::ConversationId;
use app::protocol::{ClientMsg, ServerMsg};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How long someone whose last connection closed still counts as present.
pub const DEFAULT_PRESENCE_GRACE: Duration = Duration::from_secs(30);

/// Stripes of the per-conversation write order (see [`ChatService::sequencer`]).
const SEQUENCER_STRIPES: usize = 64;

#[derive(Clone, Debug)]
pub struct ChatConfig {
    pub presence_grace: Duration,
    pub limits: Limits,
    /// How long a connection waits for a missing entry before it is read from the
    /// store.
    pub repair_after: Duration,
    /// How often, with a broker that may lose envelopes, every connection's
    /// conversations are compared with the store (besides after each loss).
    pub head_check: Duration,
    /// Sends transcripts and offline messages by e-mail; none: no mail.
    pub mailer: Option<crate::mail::Mailer>,
    /// The language of mails to agents.
    pub mail_lang: app::i18n::Lang,
    /// Signs visitors' file links; none: a key of this service's own.
    pub link_key: Option<[u8; 32]>,
    /// In a cluster: this node's part in the cluster's presence.
    pub cluster: Option<Arc<cluster::ClusterBoard>>,
    /// How long changes to presence gather before consoles' visitor lists are
    /// worked out again (`chat::visitor_lists`).
    pub visitor_lists_every: Duration,
    /// How the embedding site's identities are checked (`chat::identity`).
    pub identity: identity::IdentityPolicy,
}

/// How long changes to presence gather before the visitor lists are refreshed.
pub const DEFAULT_VISITOR_LISTS_EVERY: Duration = Duration::from_millis(250);

/// How long a missing entry may be late before it is read from the store.
pub const DEFAULT_REPAIR_AFTER: Duration = Duration::from_millis(100);

/// How often streams are compared with the store when the broker may lose.
pub const DEFAULT_HEAD_CHECK: Duration = Duration::from_secs(5);

impl Default for ChatConfig {
    fn default() -> Self {
        Self {
            presence_grace: DEFAULT_PRESENCE_GRACE,
            limits: Limits::default(),
            repair_after: DEFAULT_REPAIR_AFTER,
            head_check: DEFAULT_HEAD_CHECK,
            mailer: None,
            mail_lang: app::i18n::Lang::default(),
            link_key: None,
            cluster: None,
            visitor_lists_every: DEFAULT_VISITOR_LISTS_EVERY,
            identity: identity::IdentityPolicy::default(),
        }
    }
}

pub struct ChatService {
    store: Arc<dyn Store>,
    broker: Arc<dyn Broker>,
    /// This node's connections: answers to one connection, and sync bookkeeping.
    router: Arc<Router>,
    presence: Mutex<Presence>,
    logins: accounts::LoginThrottle,
    config: ChatConfig,
    /// Changes to one conversation other than messages (joins, leaves, invitations,
    /// transfers) are stored and published under the same stripe lock, so this node's
    /// announcements of one conversation mostly leave in sequence order and routers
    /// seldom hold an entry back. Messages take no stripe: the store batches them,
    /// and a lock held across that wait would keep the next one out of the batch.
    /// Only an optimisation: order is the router's to keep (see [`crate::routing`]).
    sequencer: Vec<tokio::sync::Mutex<()>>,
    /// The place in the queue each waiting chat was last told; announcements go
    /// out one change at a time, and only to those whose place changed.
    queue_places: tokio::sync::Mutex<std::collections::HashMap<ConversationId, u32>>,
    /// Signs the links visitors fetch files with.
    links: crate::files::Links,
    /// E-mail, when a mailer is configured.
    mail: Option<mail::MailDesk>,
    /// Cancelled when the node begins to shut down ([`ChatService::drain`]).
    draining: tokio_util::sync::CancellationToken,
    /// Cancelled when the server stops at once ([`ChatService::halt`]): the
    /// service's own tasks (routing, mailing) end with it.
    halted: tokio_util::sync::CancellationToken,
    /// In a cluster: presence shared with the other nodes.
    cluster: Option<Arc<cluster::ClusterBoard>>,
    /// What each console lists of the visitors on the site.
    visitor_lists: Arc<visitor_lists::VisitorLists>,
    /// Notified after every change announced while some webhook endpoint is
    /// registered: the webhook worker looks for new deliveries at once.
    committed: Arc<tokio::sync::Notify>,
    /// Whether some webhook endpoint is registered (the worker keeps it up to
    /// date): without one, changes wake nobody.
    webhooks_wanted: Arc<std::sync::atomic::AtomicBool>,
    /// Wakes this node's router task (`chat::departments`).
    routing_wake: Arc<tokio::sync::Notify>,
    /// The departments as last read (`chat::availability`), and the turn of
    /// whoever reads them.
    departments_known: Mutex<Arc<Vec<app::api::Department>>>,
    departments_reading: tokio::sync::Mutex<()>,
    /// What this node's widgets were last told of availability.
    availability_told: Mutex<Option<availability::Availability>>,
    /// The websites as last read (`chat::websites`), their origins, and the
    /// turn of whoever reads them.
    websites_known: Mutex<Arc<Vec<app::api::Website>>>,
    site_origins: websites::SiteOrigins,
    websites_reading: tokio::sync::Mutex<()>,
    /// The invitation rules as last read (`chat::proactive`), and when each
    /// agent last sent a rule's invitation from this node (they take turns).
    rules_known: Mutex<Arc<Vec<app::api::InvitationRule>>>,
    rule_invitations_sent: Mutex<std::collections::HashMap<app::ids::AgentId, i64>>,
}

impl ChatService {
    pub fn new(
        store: Arc<dyn Store>,
        broker: Arc<dyn Broker>,
        router: Arc<Router>,
        config: ChatConfig,
    ) -> Arc<Self> {
        let link_key = config.link_key;
        let cluster = config.cluster.clone();
        let service = Arc::new(Self {
            store,
            broker,
            router,
            presence: Mutex::new(Presence::default()),
            logins: accounts::LoginThrottle::new(&config.limits),
            mail: config
                .mailer
                .clone()
                .map(|mailer| mail::MailDesk::new(mailer, config.mail_lang, &config.limits)),
            config,
            sequencer: (0..SEQUENCER_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
            queue_places: tokio::sync::Mutex::new(std::collections::HashMap::new()),
            links: link_key.map_or_else(crate::files::Links::random, crate::files::Links::new),
            draining: tokio_util::sync::CancellationToken::new(),
            halted: tokio_util::sync::CancellationToken::new(),
            cluster,
            visitor_lists: Arc::default(),
            committed: Arc::default(),
            webhooks_wanted: Arc::default(),
            routing_wake: Arc::default(),
            departments_known: Mutex::default(),
            departments_reading: tokio::sync::Mutex::new(()),
            availability_told: Mutex::default(),
            websites_known: Mutex::default(),
            site_origins: websites::SiteOrigins::default(),
            websites_reading: tokio::sync::Mutex::new(()),
            rules_known: Mutex::default(),
            rule_invitations_sent: Mutex::default(),
        });
        tokio::spawn(departments::keep_routing(Arc::downgrade(&service)));
        tokio::spawn(repair_gaps(Arc::downgrade(&service)));
        tokio::spawn(visitor_lists::keep_visitor_lists(
            Arc::downgrade(&service),
            service.config.visitor_lists_every,
        ));
        if service.mail.is_some() {
            tokio::spawn(mail::offline_mailer(Arc::downgrade(&service)));
        }
        if service.cluster.is_some() {
            tokio::spawn(cluster::keep_presence(Arc::downgrade(&service)));
        }
        if let Some(losses) = service.broker.losses() {
            tokio::spawn(repair_tails(Arc::downgrade(&service), losses));
        }
        service
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Begins shutting down: new connections are refused and every open one is
    /// closed with "server restarting", so that its client reconnects to another
    /// node. Presence keeps its grace period: a visitor who is back within it
    /// never looks as if they left.
    pub fn drain(&self) {
        tracing::info!("draining: closing every connection");
        self.draining.cancel();
    }

    /// Stops the service's own tasks (the router's, the offline mailer's) as a
    /// process that stops would: nothing more is routed, mailed or invited
    /// from here. The tests' crash of a server calls it.
    pub fn halt(&self) {
        self.halted.cancel();
    }

    /// Cancelled once [`ChatService::drain`] was called.
    pub fn draining(&self) -> &tokio_util::sync::CancellationToken {
        &self.draining
    }

    /// Notified after each change while webhooks are wanted (see
    /// `crate::webhooks::delivery`).
    pub fn committed(&self) -> Arc<tokio::sync::Notify> {
        self.committed.clone()
    }

    /// Set by the webhook worker: whether changes should wake it.
    pub fn webhooks_wanted(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.webhooks_wanted.clone()
    }

    /// Connections open on this node, of visitors and of agents.
    pub fn connections_by_kind(&self) -> (usize, usize) {
        self.router.connections_by_kind()
    }

    /// Connections open on this node.
    pub fn open_connections(&self) -> usize {
        self.router.open_connections()
    }

    /// Whether this node should get traffic: not draining, and its store
    /// answers a read. The reason when not.
    pub async fn readiness(&self) -> Result<(), String> {
        if self.draining.is_cancelled() {
            return Err("draining".into());
        }
        if self.cluster.as_ref().is_some_and(|board| !board.leased()) {
            return Err("this node does not hold its lease in the cluster".into());
        }
        self.store
            .conversation_heads(&[ConversationId(uuid::Uuid::nil())])
            .await
            .map(drop)
            .map_err(|e| format!("the store does not answer: {e}"))
    }

    /// Handles one client frame of `conn`: its answers go to `conn`'s outbox, and
    /// what others must hear is announced. The session changes only when a visitor
    /// chooses a name.
    pub async fn handle(self: &Arc<Self>, conn: &mut Connection, msg: ClientMsg) {
        let id = conn.id();
        let answers = self.answer(conn.session_mut(), id, msg).await;
        for answer in &answers {
            conn.reply(answer);
        }
    }

    async fn answer(
        self: &Arc<Self>,
        session: &mut Session,
        conn: ConnId,
        msg: ClientMsg,
    ) -> Vec<ServerMsg> {
        let client_msg_id = msg.client_msg_id();
        let conversation_id = msg.conversation_id();
        let result = match msg {
            ClientMsg::Hello { .. } => Err(ChatError::BadRequest("hello sent twice")),
            ClientMsg::PageView { page } => self.page_view(session, page).map(|()| vec![]),
            ClientMsg::StartChat {
                client_msg_id,
                text,
            } => self.start_chat(session, client_msg_id, text).await,
            ClientMsg::Send {
                conversation_id,
                client_msg_id,
                text,
            } => {
                self.send(session, conversation_id, client_msg_id, text)
                    .await
            }
            ClientMsg::SendNote {
                conversation_id,
                client_msg_id,
                text,
            } => {
                self.send_note(session, conversation_id, client_msg_id, text)
                    .await
            }
            ClientMsg::Typing {
                conversation_id,
                typing,
            } => self.typing(session, conversation_id, typing).await,
            ClientMsg::Sync {
                conversation_id,
                after_seq,
            } => self.sync(session, conn, conversation_id, after_seq).await,
            ClientMsg::AcceptChat { conversation_id } => {
                self.accept_chat(session, conversation_id).await
            }
            ClientMsg::DeclineChat { conversation_id } => {
                self.decline_chat(session, conversation_id).await
            }
            ClientMsg::SetStatus { status } => self.set_status(session, status).await,
            ClientMsg::Leave { conversation_id } => {
                self.leave(session, conversation_id, Departure::Left).await
            }
            ClientMsg::SetName { name } => self.set_visitor_name(session, name).await,
            ClientMsg::PreChat {
                name,
                email,
                department,
                consent,
            } => {
                self.pre_chat(session, name, email, department, consent)
                    .await
            }
            ClientMsg::AcceptInvitation { invitation_id } => {
                self.answer_invitation(session, invitation_id, true).await
            }
            ClientMsg::DeclineInvitation { invitation_id } => {
                self.answer_invitation(session, invitation_id, false).await
            }
            ClientMsg::LeaveMessage { name, email, text } => {
                self.leave_message(session, name, email, text).await
            }
            ClientMsg::Rate {
                conversation_id,
                good,
                comment,
            } => self.rate(session, conversation_id, good, comment).await,
            ClientMsg::Seen {
                conversation_id,
                seq,
            } => self.seen(session, conversation_id, seq).await,
            ClientMsg::Transcript {
                conversation_id,
                lang,
            } => self.transcript_frame(session, conversation_id, lang).await,
            ClientMsg::EmailTranscript {
                conversation_id,
                email,
                lang,
            } => {
                self.email_transcript(session, conn, conversation_id, email, lang)
                    .await
            }
            ClientMsg::FileLink { file_id } => self.file_link(session, file_id).await,
            ClientMsg::ViewVisitors { filter, watch } => match session {
                Session::Agent(_) => self.view_visitors(conn, filter, watch),
                Session::Visitor { .. } => Err(ChatError::Forbidden),
            },
        };
        match result {
            Ok(replies) => replies,
            Err(err) => vec![err.into_server_msg(client_msg_id, conversation_id)],
        }
    }

    fn presence(&self) -> MutexGuard<'_, Presence> {
        // Presence is plain maps; a panic elsewhere leaves them consistent enough.
        self.presence.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a frame for one connection of this node: every answer, `history` and
    /// `reset` included, goes out this way.
    fn reply(&self, conn: ConnId, msg: &ServerMsg) {
        self.reply_encoded(conn, encode(msg));
    }

    fn reply_encoded(&self, conn: ConnId, frame: bytes::Bytes) {
        self.router
            .deliver(&Envelope::frame(Audience::Connection(conn), frame));
    }

    fn stripe(&self, id: ConversationId) -> &tokio::sync::Mutex<()> {
        let index = (id.0.as_u128() % SEQUENCER_STRIPES as u128) as usize;
        &self.sequencer[index]
    }

    async fn agent_record(&self, session: &Session) -> Result<AgentRecord, ChatError> {
        let id = session.agent_id().ok_or(ChatError::Forbidden)?;
        self.store
            .agent(id)
            .await?
            .ok_or(ChatError::Unauthenticated)
    }
}

/// Repairs the streams whose last entries a lossy broker dropped, as long as the
/// service lives: after every loss it reports, and every head-check interval.
async fn repair_tails(service: std::sync::Weak<ChatService>, losses: Arc<tokio::sync::Notify>) {
    loop {
        let Some(every) = service.upgrade().map(|s| s.config.head_check) else {
            return;
        };
        let _ = tokio::time::timeout(every, losses.notified()).await;
        let Some(service) = service.upgrade() else {
            return;
        };
        if let Err(err) = service.repair_tails().await {
            tracing::warn!(%err, "the head check failed; trying again later");
        }
    }
}

/// Repairs the gaps connections wait on, as long as the service lives: woken when
/// a gap opens, it gives the missing entry the repair delay to arrive by itself.
async fn repair_gaps(service: std::sync::Weak<ChatService>) {
    loop {
        let Some(router) = service.upgrade().map(|s| Arc::clone(&s.router)) else {
            return;
        };
        let woken = tokio::time::timeout(Duration::from_secs(1), router.gap_opened())
            .await
            .is_ok();
        // Also look now and then without a wake-up, in case one was missed.
        if !woken && router.holes(Duration::ZERO).is_empty() {
            continue;
        }
        loop {
            let Some(service) = service.upgrade() else {
                return;
            };
            tokio::time::sleep(service.config.repair_after).await;
            service.repair_gaps().await;
            if service.router.holes(Duration::ZERO).is_empty() {
                break;
            }
        }
    }
}

/// Serialises a server message once, for every connection that will get it.
pub fn encode(msg: &ServerMsg) -> bytes::Bytes {
    // ServerMsg holds only strings, numbers and ids: serialising cannot fail.
    bytes::Bytes::from(serde_json::to_vec(msg).expect("server messages serialise"))
}
