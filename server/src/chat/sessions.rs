//! Who a connection belongs to. Established once per connection (the visitor's
//! `hello`, the agent's session cookie) and never taken from a client message.

use crate::store::AgentRecord;
use app::ids::{AgentId, Participant, VisitorId};
use app::protocol::Author;

#[derive(Clone, Debug)]
pub enum Session {
    Visitor { id: VisitorId, name: String },
    Agent(AgentRecord),
}

impl Session {
    pub fn participant(&self) -> Participant {
        match self {
            Session::Visitor { id, .. } => Participant::Visitor(*id),
            Session::Agent(agent) => Participant::Agent(agent.id),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Session::Visitor { name, .. } => name,
            Session::Agent(agent) => &agent.name,
        }
    }

    pub fn author(&self) -> Author {
        Author {
            participant: self.participant(),
            name: self.name().to_owned(),
        }
    }

    pub fn agent_id(&self) -> Option<AgentId> {
        match self {
            Session::Agent(agent) => Some(agent.id),
            Session::Visitor { .. } => None,
        }
    }

    pub fn visitor_id(&self) -> Option<VisitorId> {
        match self {
            Session::Visitor { id, .. } => Some(*id),
            Session::Agent(_) => None,
        }
    }
}
