//! Fan-out between nodes. A [`Broker`] takes each envelope the chat service
//! publishes and hands it to the router of every node that may hold one of its
//! connections. [`InProcessBroker`] is the one-node case: it hands the envelope
//! straight to the local router. The broker only notifies; the store stays the
//! truth, and a client that sees a gap catches up from it.

mod nats;

pub use nats::NatsBroker;

use crate::routing::{Envelope, Router};
use std::sync::Arc;

pub trait Broker: Send + Sync + 'static {
    /// Publishes without waiting; ordering is kept per publisher.
    fn publish(&self, envelope: Envelope);

    /// For a broker that may lose envelopes on the way to other nodes: notified
    /// whenever it may have (a reconnect, a slow consumer); the chat service then
    /// repairs every connection's conversations from the store, and also checks
    /// now and then in case a loss went unnoticed. `None`: nothing is ever lost.
    fn losses(&self) -> Option<Arc<tokio::sync::Notify>> {
        None
    }
}

/// The single-node broker: delivery is a direct call into the local router.
pub struct InProcessBroker {
    router: Arc<Router>,
}

impl InProcessBroker {
    pub fn new(router: Arc<Router>) -> Self {
        Self { router }
    }
}

impl Broker for InProcessBroker {
    fn publish(&self, envelope: Envelope) {
        self.router.deliver(&envelope);
    }
}
