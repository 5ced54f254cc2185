//! Reports (`app::api::reports`): the chats of a period read as one row each
//! ([`ChatFact`]), counted by day and hour in the report's time zone, by agent
//! and by department; and the same tables as CSV.

use super::{ChatError, ChatService};
use crate::store::ChatFact;
use app::api::{
    DayFigures, Figures, NamedFigures, Report, ReportQuery, ReportTable, REPORT_MAX_DAYS,
};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::collections::HashMap;
use std::fmt::Write;

impl ChatService {
    /// The report over `query` (the caller checked the admin role).
    pub async fn report(&self, query: ReportQuery) -> Result<Report, ChatError> {
        let period = Period::of(&query)?;
        let facts = self.store.chat_facts(period.from_ms, period.to_ms).await?;
        let agents = self.store.agents().await?;
        let departments = self.store.departments().await?;
        let names = Names {
            agents: agents
                .into_iter()
                .map(|a| (a.id.to_string(), a.name))
                .collect(),
            departments: departments.into_iter().map(|d| (d.id, d.name)).collect(),
        };
        Ok(build(query, &period, &facts, &names))
    }
}

/// The whole days a report covers, as instants.
#[derive(Debug)]
pub struct Period {
    zone: TimeZone,
    first_day: Date,
    days: usize,
    pub from_ms: i64,
    pub to_ms: i64,
}

impl Period {
    pub fn of(query: &ReportQuery) -> Result<Period, ChatError> {
        let zone =
            TimeZone::get(&query.time_zone).map_err(|_| ChatError::InvalidField("time_zone"))?;
        let from: Date = query
            .from
            .parse()
            .map_err(|_| ChatError::InvalidField("from"))?;
        let to: Date = query
            .to
            .parse()
            .map_err(|_| ChatError::InvalidField("to"))?;
        let days = from
            .until(to)
            .map_err(|_| ChatError::InvalidField("to"))?
            .get_days() as i64
            + 1;
        if !(1..=REPORT_MAX_DAYS).contains(&days) {
            return Err(ChatError::InvalidField("to"));
        }
        let start_of = |day: Date| {
            day.to_zoned(zone.clone())
                .map(|start| start.timestamp().as_millisecond())
                .map_err(|_| ChatError::InvalidField("to"))
        };
        let after = to.tomorrow().map_err(|_| ChatError::InvalidField("to"))?;
        Ok(Period {
            from_ms: start_of(from)?,
            to_ms: start_of(after)?,
            first_day: from,
            days: days as usize,
            zone,
        })
    }

    /// The day (counted from the first) and hour a chat started, here.
    fn day_and_hour(&self, at_ms: i64) -> Option<(usize, usize)> {
        let local = Timestamp::from_millisecond(at_ms)
            .ok()?
            .to_zoned(self.zone.clone());
        let day = self.first_day.until(local.date()).ok()?.get_days();
        let day = usize::try_from(day).ok().filter(|day| *day < self.days)?;
        Some((day, local.hour() as usize))
    }
}

/// Who the agents and departments are, by id, now.
#[derive(Debug, Default)]
pub struct Names {
    pub agents: HashMap<String, String>,
    pub departments: HashMap<String, String>,
}

/// Counts one chat into `figures`.
fn count(figures: &mut Figures, chat: &ChatFact) {
    figures.chats += 1;
    match chat.first_response_at {
        Some(answered_at) => {
            let asked_at = chat.first_visitor_at.unwrap_or(chat.started_at);
            figures.answered += 1;
            figures.first_response_total_ms += (answered_at - asked_at).max(0) as u64;
            if let Some(closed_at) = chat.closed_at {
                figures.handled += 1;
                figures.handling_total_ms += (closed_at - chat.started_at).max(0) as u64;
            }
        }
        None if chat.closed_at.is_some() && chat.first_visitor_at.is_some() => {
            figures.missed += 1;
        }
        None => {}
    }
    match chat.rating {
        Some(true) => figures.rated_good += 1,
        Some(false) => figures.rated_bad += 1,
        None => {}
    }
}

/// Whether a chat is one the query asks about.
fn wanted(query: &ReportQuery, chat: &ChatFact) -> bool {
    let department = match query.department.as_deref() {
        None => true,
        Some("") => chat.department_id.is_none(),
        Some(id) => chat.department_id.as_deref() == Some(id),
    };
    department && query.agent.is_none_or(|agent| chat.agent_id == Some(agent))
}

/// The figures of each id, most chats first (then by name), with their names.
fn named(counted: HashMap<String, Figures>, names: &HashMap<String, String>) -> Vec<NamedFigures> {
    let mut rows: Vec<NamedFigures> = counted
        .into_iter()
        .map(|(id, figures)| NamedFigures {
            name: names.get(&id).cloned().unwrap_or_default(),
            id,
            figures,
        })
        .collect();
    rows.sort_by(|a, b| (b.figures.chats, &a.name, &a.id).cmp(&(a.figures.chats, &b.name, &b.id)));
    rows
}

/// The report of `chats` (those of the period) over `period`.
pub fn build(query: ReportQuery, period: &Period, chats: &[ChatFact], names: &Names) -> Report {
    let mut totals = Figures::default();
    let mut days = vec![Figures::default(); period.days];
    let mut hours = vec![Figures::default(); 24];
    let mut agents = HashMap::<String, Figures>::new();
    let mut departments = HashMap::<String, Figures>::new();
    for chat in chats.iter().filter(|chat| wanted(&query, chat)) {
        let Some((day, hour)) = period.day_and_hour(chat.started_at) else {
            continue;
        };
        count(&mut totals, chat);
        count(&mut days[day], chat);
        count(&mut hours[hour], chat);
        if let Some(agent) = chat.agent_id {
            count(agents.entry(agent.to_string()).or_default(), chat);
        }
        let department = chat.department_id.clone().unwrap_or_default();
        count(departments.entry(department).or_default(), chat);
    }
    let days = period
        .first_day
        .series(jiff::ToSpan::day(1))
        .zip(days)
        .map(|(day, figures)| DayFigures {
            day: day.to_string(),
            figures,
        })
        .collect();
    Report {
        query,
        totals,
        days,
        hours,
        agents: named(agents, &names.agents),
        departments: named(departments, &names.departments),
    }
}

/// A field of a CSV line: quoted when it must be, and never read as a formula
/// by a spreadsheet (a leading `=`, `+`, `-` or `@` gets a `'` before it).
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

const FIGURE_COLUMNS: &str =
    "chats,missed,answered,avg_first_response_s,avg_handling_s,rated_good,rated_bad";

fn seconds(ms: Option<u64>) -> String {
    ms.map(|ms| format!("{:.1}", ms as f64 / 1000.0))
        .unwrap_or_default()
}

fn figure_fields(line: &mut String, figures: &Figures) {
    let _ = write!(
        line,
        "{},{},{},{},{},{},{}\r\n",
        figures.chats,
        figures.missed,
        figures.answered,
        seconds(figures.first_response_avg_ms()),
        seconds(figures.handling_avg_ms()),
        figures.rated_good,
        figures.rated_bad,
    );
}

/// One table of a report as CSV (RFC 4180: a header line, CRLF line ends).
pub fn csv(report: &Report, table: ReportTable) -> String {
    let mut out = String::new();
    match table {
        ReportTable::Days => {
            let _ = write!(out, "day,{FIGURE_COLUMNS}\r\n");
            for day in &report.days {
                let _ = write!(out, "{},", day.day);
                figure_fields(&mut out, &day.figures);
            }
        }
        ReportTable::Hours => {
            let _ = write!(out, "hour,{FIGURE_COLUMNS}\r\n");
            for (hour, figures) in report.hours.iter().enumerate() {
                let _ = write!(out, "{hour:02}:00,");
                figure_fields(&mut out, figures);
            }
        }
        ReportTable::Agents | ReportTable::Departments => {
            let (rows, columns) = if table == ReportTable::Agents {
                (&report.agents, "agent_id,agent")
            } else {
                (&report.departments, "department_id,department")
            };
            let _ = write!(out, "{columns},{FIGURE_COLUMNS}\r\n");
            for row in rows {
                let _ = write!(out, "{},{},", csv_field(&row.id), csv_field(&row.name));
                figure_fields(&mut out, &row.figures);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::ids::AgentId;
    use uuid::Uuid;

    fn query(from: &str, to: &str, zone: &str) -> ReportQuery {
        ReportQuery {
            from: from.into(),
            to: to.into(),
            time_zone: zone.into(),
            ..ReportQuery::default()
        }
    }

    fn at(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn chat(started: &str) -> ChatFact {
        ChatFact {
            started_at: at(started),
            closed_at: None,
            department_id: None,
            agent_id: None,
            first_visitor_at: Some(at(started)),
            first_response_at: None,
            rating: None,
        }
    }

    #[test]
    fn a_period_is_whole_days_in_its_time_zone() {
        let period = Period::of(&query("2026-11-30", "2026-12-06", "Europe/Paris")).unwrap();
        assert_eq!(period.from_ms, at("2026-11-29T23:00:00Z"));
        assert_eq!(period.to_ms, at("2026-12-06T23:00:00Z"));
        assert_eq!(period.days, 7);
        // A day of 23 hours: summer time starts.
        let spring = Period::of(&query("2026-03-29", "2026-03-29", "Europe/Paris")).unwrap();
        assert_eq!(spring.to_ms - spring.from_ms, 23 * 3_600_000);
    }

    #[test]
    fn bad_periods_name_what_is_wrong() {
        let field = |q: ReportQuery| match Period::of(&q) {
            Err(ChatError::InvalidField(field)) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(query("2026-12-06", "2026-11-30", "UTC")), "to");
        assert_eq!(field(query("2025-01-01", "2026-12-06", "UTC")), "to");
        assert_eq!(field(query("yesterday", "2026-12-06", "UTC")), "from");
        assert_eq!(field(query("2026-12-01", "2026-13-01", "UTC")), "to");
        assert_eq!(
            field(query("2026-12-01", "2026-12-06", "Mars/Olympus")),
            "time_zone"
        );
        assert!(Period::of(&query("2025-12-07", "2026-12-06", "UTC")).is_ok());
    }

    #[test]
    fn chats_count_by_day_hour_agent_and_department() {
        let ann = AgentId(Uuid::from_u128(1));
        let bob = AgentId(Uuid::from_u128(2));
        let mut answered = chat("2026-12-01T08:30:00Z");
        answered.agent_id = Some(ann);
        answered.first_visitor_at = Some(at("2026-12-01T08:30:10Z"));
        answered.first_response_at = Some(at("2026-12-01T08:30:40Z"));
        answered.closed_at = Some(at("2026-12-01T08:40:00Z"));
        answered.department_id = Some("sales".into());
        answered.rating = Some(true);
        let mut missed = chat("2026-12-01T23:30:00Z");
        missed.closed_at = Some(at("2026-12-01T23:45:00Z"));
        let mut open = chat("2026-12-03T12:00:00Z");
        open.agent_id = Some(bob);
        open.first_response_at = Some(at("2026-12-03T12:00:20Z"));
        open.rating = Some(false);
        let waiting = chat("2026-12-03T12:05:00Z");
        let names = Names {
            agents: [(ann.to_string(), "Ann".to_owned())].into(),
            departments: [("sales".to_owned(), "Sales".to_owned())].into(),
        };
        let q = query("2026-12-01", "2026-12-03", "Asia/Shanghai");
        let period = Period::of(&q).unwrap();
        let report = build(q, &period, &[answered, missed, open, waiting], &names);

        assert_eq!(report.totals.chats, 4);
        assert_eq!(report.totals.missed, 1);
        assert_eq!(report.totals.answered, 2);
        assert_eq!(report.totals.first_response_avg_ms(), Some(25_000));
        assert_eq!(report.totals.handled, 1);
        assert_eq!(report.totals.handling_avg_ms(), Some(600_000));
        assert_eq!((report.totals.rated_good, report.totals.rated_bad), (1, 1));
        // Shanghai is 8 hours ahead: 23:30 UTC on the 1st is 07:30 on the 2nd.
        let chats: Vec<_> = report
            .days
            .iter()
            .map(|d| (d.day.as_str(), d.figures.chats))
            .collect();
        assert_eq!(
            chats,
            [("2026-12-01", 1), ("2026-12-02", 1), ("2026-12-03", 2)]
        );
        assert_eq!(report.hours[16].chats, 1);
        assert_eq!(report.hours[7].missed, 1);
        assert_eq!(report.hours[20].chats, 2);
        let agents: Vec<_> = report
            .agents
            .iter()
            .map(|a| (a.name.as_str(), a.figures.chats))
            .collect();
        assert_eq!(
            agents,
            [("", 1), ("Ann", 1)],
            "Bob's account is gone: no name"
        );
        let departments: Vec<_> = report
            .departments
            .iter()
            .map(|d| (d.id.as_str(), d.name.as_str(), d.figures.chats))
            .collect();
        assert_eq!(departments, [("", "", 3), ("sales", "Sales", 1)]);

        let mut only_sales = report.query.clone();
        only_sales.department = Some("sales".into());
        let sales = build(only_sales, &period, &[chat("2026-12-02T01:00:00Z")], &names);
        assert_eq!(sales.totals.chats, 0);
        let mut only_ann = report.query.clone();
        only_ann.agent = Some(ann);
        let mut ann_chat = chat("2026-12-02T01:00:00Z");
        ann_chat.agent_id = Some(ann);
        let anns = build(
            only_ann,
            &period,
            &[ann_chat, chat("2026-12-02T02:00:00Z")],
            &names,
        );
        assert_eq!(anns.totals.chats, 1);
    }

    #[test]
    fn chats_outside_the_period_are_not_counted() {
        let q = query("2026-12-01", "2026-12-01", "UTC");
        let period = Period::of(&q).unwrap();
        let report = build(
            q,
            &period,
            &[chat("2026-12-02T00:00:00Z")],
            &Names::default(),
        );
        assert_eq!(report.totals.chats, 0);
        assert_eq!(report.days.len(), 1);
    }

    #[test]
    fn tables_read_as_csv() {
        let mut rated = chat("2026-12-01T09:00:00Z");
        rated.agent_id = Some(AgentId(Uuid::from_u128(7)));
        rated.first_response_at = Some(at("2026-12-01T09:00:01.500Z"));
        let names = Names {
            agents: [(Uuid::from_u128(7).to_string(), "=Smith, \"Jo\"".to_owned())].into(),
            ..Names::default()
        };
        let q = query("2026-12-01", "2026-12-02", "UTC");
        let period = Period::of(&q).unwrap();
        let report = build(q, &period, &[rated], &names);
        assert_eq!(
            csv(&report, ReportTable::Days),
            "day,chats,missed,answered,avg_first_response_s,avg_handling_s,rated_good,rated_bad\r\n\
             2026-12-01,1,0,1,1.5,,0,0\r\n\
             2026-12-02,0,0,0,,,0,0\r\n"
        );
        let agents = csv(&report, ReportTable::Agents);
        assert!(
            agents.ends_with(",\"'=Smith, \"\"Jo\"\"\",1,0,1,1.5,,0,0\r\n"),
            "{agents}"
        );
        let hours = csv(&report, ReportTable::Hours);
        assert_eq!(hours.lines().count(), 25);
        assert!(hours.contains("\r\n09:00,1,"));
        assert!(csv(&report, ReportTable::Departments).contains("\r\n,,1,"));
    }
}
