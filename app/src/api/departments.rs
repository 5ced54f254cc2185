//! Departments: who answers which chats, and how chats reach them. Every agent
//! reads the list (the queue is filtered by it); only admins change it.

#[cfg(feature = "ssr")]
use super::backend;
use super::ApiError;
use crate::ids::AgentId;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The longest department id (`data-department="sales"` on the widget's tag).
pub const MAX_DEPARTMENT_ID_CHARS: usize = 32;
/// The longest department name.
pub const MAX_DEPARTMENT_NAME_CHARS: usize = 80;
/// The most chats an agent can be given at once by routing.
pub const MAX_CHATS_PER_AGENT: u32 = 50;
/// The shortest and longest time an offer waits for its agent, in seconds.
pub const OFFER_SECONDS: std::ops::RangeInclusive<u32> = 5..=600;

/// How a department's chats reach its agents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// The chat waits in the queue until an agent takes it.
    #[default]
    Manual,
    /// Offered to the department's online agents in turn.
    RoundRobin,
    /// Offered to the online agent with the fewest chats.
    LeastBusy,
}

impl Routing {
    pub const ALL: [Routing; 3] = [Routing::Manual, Routing::RoundRobin, Routing::LeastBusy];

    pub fn as_str(self) -> &'static str {
        match self {
            Routing::Manual => "manual",
            Routing::RoundRobin => "round_robin",
            Routing::LeastBusy => "least_busy",
        }
    }

    pub fn parse(text: &str) -> Option<Routing> {
        Routing::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// A department with its routing settings and its agents.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Department {
    /// Lower-case letters, digits and `-`: what the widget's tag names.
    pub id: String,
    pub name: String,
    pub routing: Routing,
    /// Routing gives an agent no more chats than this at once.
    pub max_chats: u32,
    /// How long an offered chat waits for its agent before it goes to the next.
    pub offer_seconds: u32,
    /// Its agents, by id.
    #[serde(default)]
    pub agents: Vec<AgentId>,
}

/// What is wrong with a department an admin filled in, if anything.
pub fn department_problem(department: &Department) -> Option<&'static str> {
    let id = &department.id;
    if id.is_empty()
        || id.chars().count() > MAX_DEPARTMENT_ID_CHARS
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Some("id");
    }
    let name = department.name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_DEPARTMENT_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Some("name");
    }
    if !(1..=MAX_CHATS_PER_AGENT).contains(&department.max_chats) {
        return Some("max_chats");
    }
    if !OFFER_SECONDS.contains(&department.offer_seconds) {
        return Some("offer_seconds");
    }
    None
}

/// Every department, with its agents (any agent may read them).
#[server(endpoint = "departments", input = leptos::server_fn::codec::Json)]
pub async fn departments() -> Result<Vec<Department>, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.departments(&token).await
    })
    .await
}

/// Adds a department or changes one's settings and agents (admins).
#[server(endpoint = "admin/put_department", input = leptos::server_fn::codec::Json)]
pub async fn put_department(department: Department) -> Result<(), ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.put_department(&token, department).await
    })
    .await
}

/// Removes a department; its waiting chats stay in the queue, for anyone.
#[server(endpoint = "admin/remove_department", input = leptos::server_fn::codec::Json)]
pub async fn remove_department(id: String) -> Result<(), ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.remove_department(&token, &id).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sales() -> Department {
        Department {
            id: "sales".into(),
            name: "Sales".into(),
            routing: Routing::RoundRobin,
            max_chats: 3,
            offer_seconds: 30,
            agents: vec![],
        }
    }

    #[test]
    fn a_department_needs_a_plain_id_a_name_and_sane_limits() {
        assert_eq!(department_problem(&sales()), None);
        let with = |change: fn(&mut Department)| {
            let mut d = sales();
            change(&mut d);
            department_problem(&d)
        };
        assert_eq!(with(|d| d.id = "Sales".into()), Some("id"));
        assert_eq!(with(|d| d.id = "sales team".into()), Some("id"));
        assert_eq!(with(|d| d.id = String::new()), Some("id"));
        assert_eq!(with(|d| d.id = "a".repeat(33)), Some("id"));
        assert_eq!(with(|d| d.name = "  ".into()), Some("name"));
        assert_eq!(with(|d| d.max_chats = 0), Some("max_chats"));
        assert_eq!(with(|d| d.offer_seconds = 1), Some("offer_seconds"));
        assert_eq!(with(|d| d.id = "after-sales-2".into()), None);
    }

    #[test]
    fn routing_names_read_back() {
        for routing in Routing::ALL {
            assert_eq!(Routing::parse(routing.as_str()), Some(routing));
        }
        assert_eq!(Routing::parse("random"), None);
    }
}
