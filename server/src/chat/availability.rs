//! Whether visitors can chat now, or leave a message instead: any agent online,
//! and for each department its business hours and its agents.
//!
//! Every node works it out for its own widgets, from the cluster's presence and
//! the departments it read last: when presence changes, when settings change
//! here, and on every tick of the router (`chat::departments`), which is also
//! how hours opening and closing reach the widgets, within a second. A change is
//! told to this node's visitors; the widget of a department in
//! [`Availability::away`] offers the leave-a-message form with its away message.

use super::events::Event;
use super::ChatService;
use crate::clock::now_ms;
use crate::store::StoreError;
use app::api::{BusinessHours, Department};
use app::ids::AgentId;
use app::protocol::AwayDepartment;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// A lock whose holder panicked is still good: what it guards is replaced whole.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Warns of an unknown time zone once per zone, not on every tick.
fn warn_unknown_zone(zone: &str) {
    static WARNED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    if lock(WARNED.get_or_init(Mutex::default)).insert(zone.to_owned()) {
        tracing::warn!(time_zone = %zone, "unknown time zone; the department counts as open");
    }
}

/// What the widgets are told: whether any agent is online, and the departments
/// that cannot answer now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Availability {
    pub available: bool,
    pub away: Vec<AwayDepartment>,
}

/// Whether `hours` are open at `at_ms`, in their time zone. A time zone unknown
/// here (the database of this machine is older than the one that accepted it)
/// counts as open: better a chat nobody expected than a department shut for good.
pub fn open_now(hours: &BusinessHours, at_ms: i64) -> bool {
    let Ok(zone) = jiff::tz::TimeZone::get(&hours.time_zone) else {
        warn_unknown_zone(&hours.time_zone);
        return true;
    };
    let Ok(at) = jiff::Timestamp::from_millisecond(at_ms) else {
        return true;
    };
    let local = at.to_zoned(zone);
    let weekday = local.weekday().to_monday_zero_offset() as usize;
    let minute = local.hour() as u16 * 60 + local.minute() as u16;
    hours.open_at(weekday, minute)
}

/// Whether a time zone name is one this server knows.
pub fn known_time_zone(name: &str) -> bool {
    jiff::tz::TimeZone::get(name).is_ok()
}

/// Availability at `at_ms` with the agents `online` (in the cluster). A
/// department cannot answer outside its hours, nor when it has agents and none
/// of them is online; one without agents is answered by anyone online.
pub fn work_out(departments: &[Department], online: &[AgentId], at_ms: i64) -> Availability {
    let available = !online.is_empty();
    let away = departments
        .iter()
        .filter(|d| {
            let staffed = if d.agents.is_empty() {
                available
            } else {
                d.agents.iter().any(|a| online.contains(a))
            };
            !staffed || d.hours.as_ref().is_some_and(|h| !open_now(h, at_ms))
        })
        .map(|d| AwayDepartment {
            department: d.id.clone(),
            message: d.away_message.clone(),
        })
        .collect();
    Availability { available, away }
}

impl ChatService {
    /// Availability now, as this node knows the cluster and the departments.
    pub(super) fn availability(&self) -> Availability {
        let online = self.presence().available_agents();
        let departments = Arc::clone(&lock(&self.departments_known));
        work_out(&departments, &online, now_ms())
    }

    /// Reads the departments, keeps them, and tells widgets what that changes.
    /// Reads are one at a time, so a slow read never replaces a newer one.
    pub(super) async fn reread_departments(&self) -> Result<Arc<Vec<Department>>, StoreError> {
        let _one_at_a_time = self.departments_reading.lock().await;
        let departments = Arc::new(self.store.departments().await?);
        *lock(&self.departments_known) = Arc::clone(&departments);
        self.refresh_availability();
        Ok(departments)
    }

    /// After a change an admin saved: read again now, and if that fails, on
    /// the router's next tick (the change itself is stored).
    pub(super) async fn departments_changed(&self) {
        if let Err(err) = self.reread_departments().await {
            tracing::warn!(%err, "departments not read again after a change; the router's tick will");
        }
    }

    /// Tells this node's widgets when availability changed since it last told
    /// them. Worked out and told under one lock, so the last word is the newest.
    pub(super) fn refresh_availability(&self) {
        let mut told = lock(&self.availability_told);
        let now = self.availability();
        if told.as_ref() != Some(&now) {
            *told = Some(now.clone());
            self.announce_here(Event::AgentsAvailable(now));
        }
    }

    /// After someone came, went or changed status: offers may have to move, and
    /// widgets may have to be told.
    pub(super) fn announce_availability(&self) {
        self.reroute();
        self.refresh_availability();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::api::{Opening, Routing};
    use uuid::Uuid;

    /// Monday 2026-11-30, 12:00 UTC (13:00 in Berlin).
    const MONDAY_NOON_UTC: i64 = 1_796_040_000_000;
    const HOUR_MS: i64 = 3_600_000;

    fn department(id: &str, agents: Vec<AgentId>, hours: Option<BusinessHours>) -> Department {
        Department {
            id: id.into(),
            name: id.into(),
            routing: Routing::Manual,
            max_chats: 3,
            offer_seconds: 30,
            agents,
            hours,
            away_message: format!("{id} is away"),
        }
    }

    fn berlin_nine_to_five() -> BusinessHours {
        let day = Some(Opening {
            opens: 9 * 60,
            closes: 17 * 60,
        });
        BusinessHours {
            time_zone: "Europe/Berlin".into(),
            days: [day, day, day, day, day, None, None],
        }
    }

    #[test]
    fn the_sample_instant_is_a_monday_noon() {
        let at = jiff::Timestamp::from_millisecond(MONDAY_NOON_UTC).unwrap();
        assert_eq!(at.to_string(), "2026-11-30T12:00:00Z");
    }

    #[test]
    fn hours_are_read_in_the_department_s_time_zone() {
        let hours = berlin_nine_to_five();
        // 13:00 in Berlin on a Monday.
        assert!(open_now(&hours, MONDAY_NOON_UTC));
        // 16:59 and 17:00 in Berlin.
        assert!(open_now(&hours, MONDAY_NOON_UTC + 4 * HOUR_MS - 60_000));
        assert!(!open_now(&hours, MONDAY_NOON_UTC + 4 * HOUR_MS));
        // 08:00 UTC is 09:00 in Berlin in winter, 10:00 in summer.
        assert!(open_now(&hours, MONDAY_NOON_UTC - 4 * HOUR_MS));
        assert!(!open_now(&hours, MONDAY_NOON_UTC - 4 * HOUR_MS - 1));
        // Saturday.
        assert!(!open_now(&hours, MONDAY_NOON_UTC - 2 * 24 * HOUR_MS));
        let tokyo = BusinessHours {
            time_zone: "Asia/Tokyo".into(),
            ..hours
        };
        // 21:00 in Tokyo.
        assert!(!open_now(&tokyo, MONDAY_NOON_UTC));
    }

    #[test]
    fn summer_time_moves_the_hours_with_the_clocks() {
        // Monday 2026-06-01, 07:30 UTC: 09:30 in Berlin (UTC+2).
        let summer_morning = 1_780_299_000_000;
        assert_eq!(
            jiff::Timestamp::from_millisecond(summer_morning)
                .unwrap()
                .to_string(),
            "2026-06-01T07:30:00Z"
        );
        assert!(open_now(&berlin_nine_to_five(), summer_morning));
    }

    #[test]
    fn an_unknown_time_zone_counts_as_open() {
        let hours = BusinessHours {
            time_zone: "Mars/Olympus".into(),
            ..berlin_nine_to_five()
        };
        assert!(!known_time_zone("Mars/Olympus"));
        assert!(known_time_zone("Europe/Berlin") && known_time_zone("UTC"));
        assert!(open_now(&hours, MONDAY_NOON_UTC - 2 * 24 * HOUR_MS));
    }

    #[test]
    fn a_department_is_away_outside_its_hours_or_without_its_agents() {
        let ann = AgentId(Uuid::from_u128(1));
        let bob = AgentId(Uuid::from_u128(2));
        let departments = vec![
            department("sales", vec![ann], Some(berlin_nine_to_five())),
            department("support", vec![bob], None),
            department("general", vec![], None),
        ];
        let away = |online: &[AgentId], at: i64| -> Vec<String> {
            work_out(&departments, online, at)
                .away
                .into_iter()
                .map(|d| d.department)
                .collect()
        };
        assert_eq!(away(&[ann, bob], MONDAY_NOON_UTC), Vec::<String>::new());
        assert_eq!(away(&[ann], MONDAY_NOON_UTC), ["support"]);
        assert_eq!(away(&[bob], MONDAY_NOON_UTC), ["sales"]);
        assert_eq!(away(&[ann, bob], MONDAY_NOON_UTC + 6 * HOUR_MS), ["sales"]);
        assert_eq!(away(&[], MONDAY_NOON_UTC), ["sales", "support", "general"]);
        let evening = work_out(&departments, &[ann, bob], MONDAY_NOON_UTC + 6 * HOUR_MS);
        assert!(evening.available);
        assert_eq!(evening.away[0].message, "sales is away");
        assert!(!work_out(&departments, &[], MONDAY_NOON_UTC).available);
    }
}
