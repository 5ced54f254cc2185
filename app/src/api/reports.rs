//! Reports for admins: how many chats the team had and when, how many nobody
//! answered, how long visitors waited for a first answer, how long chats lasted
//! and how visitors rated them, over a chosen period, for everyone, a
//! department or an agent. The server works them out (`server::chat::reports`);
//! the console draws them and links to the same tables as CSV
//! (`GET /reports.csv`).

#[cfg(feature = "ssr")]
use super::backend;
use super::ApiError;
use crate::ids::AgentId;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The longest period one report covers.
pub const REPORT_MAX_DAYS: i64 = 366;

/// What a report covers: whole days from `from` to `to`, both included
/// (`YYYY-MM-DD`), in `time_zone` (an IANA name, e.g. `Europe/Paris`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportQuery {
    pub from: String,
    pub to: String,
    pub time_zone: String,
    /// Only the chats of this department (`""`: of none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Only the chats this agent handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentId>,
}

impl ReportQuery {
    /// The query as the CSV link's query string (without `table`).
    pub fn to_query_string(&self) -> String {
        let mut pairs = vec![
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("time_zone", self.time_zone.clone()),
        ];
        if let Some(department) = &self.department {
            pairs.push(("department", department.clone()));
        }
        if let Some(agent) = self.agent {
            pairs.push(("agent", agent.to_string()));
        }
        pairs
            .into_iter()
            .map(|(name, value)| format!("{name}={}", encode_component(&value)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// `text` as one component of a URL's query: every byte but the unreserved
/// ones (RFC 3986) percent-encoded.
fn encode_component(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                encoded.push(char::from(byte))
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// The figures of a set of chats.
///
/// A chat is a visitor's conversation that started in the period. It is
/// answered once an agent wrote to the visitor after the visitor's first
/// message (internal notes do not count); missed when it closed unanswered.
/// Its first response time runs from the visitor's first message to that
/// answer; its handling time from its start to its close (answered chats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub chats: u32,
    pub missed: u32,
    pub answered: u32,
    pub first_response_total_ms: u64,
    /// Answered chats that closed: those with a handling time.
    pub handled: u32,
    pub handling_total_ms: u64,
    pub rated_good: u32,
    pub rated_bad: u32,
}

impl Figures {
    /// The average first response time, when some chat was answered.
    pub fn first_response_avg_ms(&self) -> Option<u64> {
        average(self.first_response_total_ms, self.answered)
    }

    /// The average handling time, when some answered chat closed.
    pub fn handling_avg_ms(&self) -> Option<u64> {
        average(self.handling_total_ms, self.handled)
    }

    /// The share of good ratings among the ratings, in percent.
    pub fn good_percent(&self) -> Option<u32> {
        let rated = self.rated_good + self.rated_bad;
        (rated > 0).then(|| (self.rated_good * 100 + rated / 2) / rated)
    }
}

fn average(total: u64, count: u32) -> Option<u64> {
    (count > 0).then(|| total / u64::from(count))
}

/// One day's figures; `day` is `YYYY-MM-DD` in the report's time zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayFigures {
    pub day: String,
    pub figures: Figures,
}

/// An agent's or a department's figures. An empty `id` is nobody (chats of
/// no department); an empty `name`, an agent or department removed since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedFigures {
    pub id: String,
    pub name: String,
    pub figures: Figures,
}

/// A report: the totals, every day of the period, the 24 hours of the day
/// (by when chats started, in the report's time zone), and each agent and
/// department that had chats in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub query: ReportQuery,
    pub totals: Figures,
    pub days: Vec<DayFigures>,
    pub hours: Vec<Figures>,
    pub agents: Vec<NamedFigures>,
    pub departments: Vec<NamedFigures>,
}

/// The tables of a report that download as CSV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportTable {
    Days,
    Hours,
    Agents,
    Departments,
}

impl ReportTable {
    pub const ALL: [ReportTable; 4] = [
        ReportTable::Days,
        ReportTable::Hours,
        ReportTable::Agents,
        ReportTable::Departments,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportTable::Days => "days",
            ReportTable::Hours => "hours",
            ReportTable::Agents => "agents",
            ReportTable::Departments => "departments",
        }
    }

    pub fn parse(text: &str) -> Option<ReportTable> {
        ReportTable::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// A report over `query`'s period (admins).
#[server(endpoint = "admin/report", input = leptos::server_fn::codec::Json)]
pub async fn team_report(query: ReportQuery) -> Result<Report, ApiError> {
    backend::answer(async move {
        let (backend, token) = backend::with_session()?;
        backend.report(&token, query).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_and_shares_need_something_to_count() {
        let none = Figures::default();
        assert_eq!(none.first_response_avg_ms(), None);
        assert_eq!(none.handling_avg_ms(), None);
        assert_eq!(none.good_percent(), None);
        let some = Figures {
            chats: 4,
            answered: 3,
            first_response_total_ms: 9_000,
            handled: 2,
            handling_total_ms: 600_000,
            rated_good: 2,
            rated_bad: 1,
            ..Figures::default()
        };
        assert_eq!(some.first_response_avg_ms(), Some(3_000));
        assert_eq!(some.handling_avg_ms(), Some(300_000));
        assert_eq!(some.good_percent(), Some(67));
    }

    #[test]
    fn tables_read_back_under_their_names() {
        for table in ReportTable::ALL {
            assert_eq!(ReportTable::parse(table.as_str()), Some(table));
        }
        assert_eq!(ReportTable::parse("everything"), None);
    }

    #[test]
    fn a_query_makes_its_link() {
        let query = ReportQuery {
            from: "2026-11-30".into(),
            to: "2026-12-06".into(),
            time_zone: "Europe/Paris".into(),
            department: Some("sales & more".into()),
            agent: None,
        };
        assert_eq!(
            query.to_query_string(),
            "from=2026-11-30&to=2026-12-06&time_zone=Europe%2FParis&department=sales%20%26%20more"
        );
    }
}
