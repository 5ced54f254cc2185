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
/// The longest away message.
pub const MAX_AWAY_MESSAGE_CHARS: usize = 500;
/// The longest time zone name (`America/Argentina/ComodRivadavia` is 32).
pub const MAX_TIME_ZONE_CHARS: usize = 64;
/// Minutes in a day: a day's hours end at most at midnight.
pub const MINUTES_PER_DAY: u16 = 24 * 60;

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
    /// When it answers chats; always, when `None`.
    #[serde(default)]
    pub hours: Option<BusinessHours>,
    /// What visitors read above the leave-a-message form while the department
    /// cannot answer (outside its hours, or none of its agents online); the
    /// widget's own words when empty.
    #[serde(default)]
    pub away_message: String,
}

/// A department's opening hours: for each day of the week, in its time zone.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BusinessHours {
    /// An IANA time zone name (`Europe/Berlin`), so that summer time moves the
    /// hours with the clocks.
    pub time_zone: String,
    /// Monday first; `None` for a day it is closed.
    pub days: [Option<Opening>; 7],
}

/// The part of a day a department is open: from `opens` to `closes`, in minutes
/// after midnight (`closes` may be [`MINUTES_PER_DAY`], the end of the day).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Opening {
    pub opens: u16,
    pub closes: u16,
}

impl BusinessHours {
    /// Whether it is open on `weekday` (0 is Monday) at `minute` after midnight,
    /// both as the department's time zone tells them.
    pub fn open_at(&self, weekday: usize, minute: u16) -> bool {
        self.days
            .get(weekday)
            .copied()
            .flatten()
            .is_some_and(|o| (o.opens..o.closes).contains(&minute))
    }
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
    if let Some(hours) = &department.hours {
        let zone = &hours.time_zone;
        if zone.is_empty() || zone.chars().count() > MAX_TIME_ZONE_CHARS {
            return Some("time_zone");
        }
        let sane = |o: &Opening| o.opens < o.closes && o.closes <= MINUTES_PER_DAY;
        if !hours.days.iter().flatten().all(sane) {
            return Some("hours");
        }
    }
    let away = &department.away_message;
    if away.chars().count() > MAX_AWAY_MESSAGE_CHARS
        || away.chars().any(|c| c.is_control() && c != '\n')
    {
        return Some("away_message");
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
            hours: None,
            away_message: String::new(),
        }
    }

    fn weekdays(opens: u16, closes: u16) -> BusinessHours {
        let day = Some(Opening { opens, closes });
        BusinessHours {
            time_zone: "Europe/Berlin".into(),
            days: [day, day, day, day, day, None, None],
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
        assert_eq!(with(|d| d.hours = Some(weekdays(9 * 60, 17 * 60))), None);
        assert_eq!(with(|d| d.hours = Some(weekdays(0, MINUTES_PER_DAY))), None);
        assert_eq!(with(|d| d.hours = Some(weekdays(600, 600))), Some("hours"));
        assert_eq!(with(|d| d.hours = Some(weekdays(600, 1441))), Some("hours"));
        let no_zone = |d: &mut Department| {
            d.hours = Some(BusinessHours {
                time_zone: String::new(),
                ..weekdays(540, 1020)
            })
        };
        assert_eq!(with(no_zone), Some("time_zone"));
        assert_eq!(
            with(|d| d.away_message = "Back at 9.\nLeave us a note.".into()),
            None
        );
        assert_eq!(
            with(|d| d.away_message = "x".repeat(501)),
            Some("away_message")
        );
        assert_eq!(
            with(|d| d.away_message = "a\u{7}".into()),
            Some("away_message")
        );
    }

    #[test]
    fn hours_are_open_from_the_opening_minute_to_before_the_closing_one() {
        let hours = weekdays(9 * 60, 17 * 60);
        assert!(!hours.open_at(0, 9 * 60 - 1));
        assert!(hours.open_at(0, 9 * 60));
        assert!(hours.open_at(4, 17 * 60 - 1));
        assert!(!hours.open_at(4, 17 * 60));
        assert!(!hours.open_at(5, 12 * 60), "closed on Saturdays");
        assert!(!hours.open_at(7, 12 * 60), "no eighth day");
        let all_day = weekdays(0, MINUTES_PER_DAY);
        assert!(all_day.open_at(2, 0) && all_day.open_at(2, MINUTES_PER_DAY - 1));
    }

    #[test]
    fn routing_names_read_back() {
        for routing in Routing::ALL {
            assert_eq!(Routing::parse(routing.as_str()), Some(routing));
        }
        assert_eq!(Routing::parse("random"), None);
    }
}
