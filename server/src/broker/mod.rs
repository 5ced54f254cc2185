//! Fan-out between nodes. A [`Broker`] takes each envelope the chat service
//! publishes and hands it to the router of every node that may hold one of its
//! connections. [`InProcessBroker`] is the one-node case: it hands the envelope
//! straight to the local router. The broker only notifies; the store stays the
//! truth, and a client that sees a gap catches up from it.

use crate::routing::{Envelope, Router};
use std::sync::Arc;

pub trait Broker: Send + Sync + 'static {
    /// Publishes without waiting; ordering is kept per publisher.
    fn publish(&self, envelope: Envelope);
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
