//! Times as people read them: relative for today ("just now", "5 min ago",
//! "2 h ago"), the date otherwise, in the reader's language and time zone.
//!
//! The choice between the two is a pure function ([`label`]) so it can be tested;
//! the date itself is formatted by the browser (`Intl.DateTimeFormat`), which knows
//! the reader's time zone and how their language writes dates.

use crate::i18n::{t, tf, Key, Lang};
use leptos::prelude::*;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;

/// How a moment is shown, decided from the moment, now, and whether both fall on
/// the same calendar day where the reader is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Label {
    JustNow,
    MinutesAgo(i64),
    HoursAgo(i64),
    /// Another day: the date and time, formatted by the browser.
    Date,
}

pub fn label(at_ms: i64, now_ms: i64, same_day: bool) -> Label {
    let age = (now_ms - at_ms).max(0);
    match age {
        a if a < MINUTE_MS => Label::JustNow,
        a if a < HOUR_MS => Label::MinutesAgo(a / MINUTE_MS),
        a if same_day => Label::HoursAgo(a / HOUR_MS),
        _ => Label::Date,
    }
}

/// `at_ms` as the reader should see it, `now_ms` being the reader's clock.
pub fn show(lang: Lang, at_ms: i64, now_ms: i64) -> String {
    match label(at_ms, now_ms, same_local_day(at_ms, now_ms)) {
        Label::JustNow => t(lang, Key::JustNow).to_owned(),
        Label::MinutesAgo(n) => tf(lang, Key::MinutesAgo, &[&n.to_string()]),
        Label::HoursAgo(n) => tf(lang, Key::HoursAgo, &[&n.to_string()]),
        Label::Date => date_time(lang, at_ms, now_ms),
    }
}

/// The full date and time, for a tooltip.
pub fn full(lang: Lang, at_ms: i64) -> String {
    format_with(lang, at_ms, true, true)
}

/// `YYYY-MM-DDTHH:MM:SS.sssZ`, for `<time datetime>`.
pub fn iso(at_ms: i64) -> String {
    let secs = at_ms.div_euclid(1000);
    let millis = at_ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn date_time(lang: Lang, at_ms: i64, now_ms: i64) -> String {
    let with_year = !same_local_year(at_ms, now_ms);
    format_with(lang, at_ms, with_year, false)
}

/// The reader's date `days_ago` days before today, as a date input shows it
/// (`YYYY-MM-DD`).
pub fn local_date(days_ago: u32) -> String {
    #[cfg(feature = "hydrate")]
    {
        let today = js_sys::Date::new_0();
        let day = js_sys::Date::new_with_year_month_day(
            today.get_full_year(),
            today.get_month() as i32,
            today.get_date() as i32 - days_ago as i32,
        );
        format!(
            "{:04}-{:02}-{:02}",
            day.get_full_year(),
            day.get_month() + 1,
            day.get_date()
        )
    }
    #[cfg(not(feature = "hydrate"))]
    {
        // The server renders no report; UTC stands in for the reader's zone.
        let days = crate::browser::now_ms().div_euclid(86_400_000) - i64::from(days_ago);
        let (y, m, d) = civil_from_days(days);
        format!("{y:04}-{m:02}-{d:02}")
    }
}

/// The time zone this browser is in (`UTC` when it does not say).
pub fn browser_time_zone() -> String {
    #[cfg(feature = "hydrate")]
    {
        let format =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
        let zone = js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
            .ok()
            .and_then(|zone| zone.as_string());
        if let Some(zone) = zone {
            return zone;
        }
    }
    "UTC".to_owned()
}

/// Local midnight at the start of `date` (`YYYY-MM-DD`, as a date input gives
/// it) plus `days_after` days, in Unix milliseconds, where the reader is; `None`
/// for an empty or unreadable date.
pub fn local_midnight_ms(date: &str, days_after: u32) -> Option<i64> {
    let mut parts = date.trim().splitn(3, '-').map(|p| p.parse::<u32>().ok());
    let (year, month, day) = (parts.next()??, parts.next()??, parts.next()??);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    #[cfg(feature = "hydrate")]
    {
        let at = js_sys::Date::new_with_year_month_day(
            year,
            month as i32 - 1,
            (day + days_after) as i32,
        );
        let ms = at.get_time();
        ms.is_finite().then_some(ms as i64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        // The server renders no filters; UTC stands in for the reader's zone.
        let days = days_from_civil(i64::from(year), month, day) + i64::from(days_after);
        Some(days * 86_400_000)
    }
}

/// A proleptic Gregorian date to days since 1970-01-01 (the inverse of
/// [`civil_from_days`]).
#[cfg(not(feature = "hydrate"))]
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(feature = "hydrate")]
fn local_parts(at_ms: i64) -> (u32, u32, u32) {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at_ms as f64));
    (date.get_full_year(), date.get_month(), date.get_date())
}

fn same_local_day(a_ms: i64, b_ms: i64) -> bool {
    #[cfg(feature = "hydrate")]
    {
        local_parts(a_ms) == local_parts(b_ms)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        a_ms.div_euclid(86_400_000) == b_ms.div_euclid(86_400_000)
    }
}

fn same_local_year(a_ms: i64, b_ms: i64) -> bool {
    #[cfg(feature = "hydrate")]
    {
        local_parts(a_ms).0 == local_parts(b_ms).0
    }
    #[cfg(not(feature = "hydrate"))]
    {
        civil_from_days(a_ms.div_euclid(86_400_000)).0
            == civil_from_days(b_ms.div_euclid(86_400_000)).0
    }
}

/// The date (with the year if asked) and the time of day, as the reader's
/// language writes them, in the reader's time zone.
fn format_with(lang: Lang, at_ms: i64, with_year: bool, seconds: bool) -> String {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsValue;
        let options = js_sys::Object::new();
        let set = |key: &str, value: &str| {
            let _ =
                js_sys::Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_str(value));
        };
        if with_year {
            set("year", "numeric");
        }
        set("month", "short");
        set("day", "numeric");
        set("hour", "2-digit");
        set("minute", "2-digit");
        if seconds {
            set("second", "2-digit");
        }
        let locales = js_sys::Array::of1(&JsValue::from_str(lang.tag()));
        let format = js_sys::Intl::DateTimeFormat::new(&locales, &options);
        let date = js_sys::Date::new(&JsValue::from_f64(at_ms as f64));
        format
            .format()
            .call1(&format, &date)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_else(|| iso(at_ms))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (lang, with_year, seconds);
        iso(at_ms)
    }
}

/// The reader's clock, ticking every 20 seconds so that "just now" moves on.
/// One per app, shared through context.
#[derive(Clone, Copy)]
pub struct Clock(pub RwSignal<i64>);

impl Clock {
    pub fn start() -> Clock {
        let now = RwSignal::new(crate::browser::now_ms());
        Effect::new(move |_| {
            now.set(crate::browser::now_ms());
            set_interval(
                move || now.set(crate::browser::now_ms()),
                std::time::Duration::from_secs(20),
            );
        });
        Clock(now)
    }
}

/// A `<time>` element showing `at_ms`. Its text is drawn from `data-label` by the
/// style sheet, so that it adds nothing to the text of the message it sits in
/// (screen readers read it all the same).
#[component]
pub fn TimeStamp(lang: Lang, at_ms: i64) -> impl IntoView {
    let clock = use_context::<Clock>();
    let shown = move || {
        let now = clock.map_or_else(crate::browser::now_ms, |c| c.0.get());
        show(lang, at_ms, now)
    };
    view! {
        <time
            class="stamp"
            data-testid="message-time"
            datetime=iso(at_ms)
            title=move || full(lang, at_ms)
            data-label=shown
        ></time>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_590_400_000; // 2025-12-01T12:00:00Z

    #[test]
    fn today_is_relative_other_days_are_dates() {
        assert_eq!(label(NOW - 5_000, NOW, true), Label::JustNow);
        assert_eq!(label(NOW - 5 * MINUTE_MS, NOW, true), Label::MinutesAgo(5));
        assert_eq!(
            label(NOW - 59 * MINUTE_MS, NOW, true),
            Label::MinutesAgo(59)
        );
        assert_eq!(label(NOW - 3 * HOUR_MS, NOW, true), Label::HoursAgo(3));
        assert_eq!(label(NOW - 3 * HOUR_MS, NOW, false), Label::Date);
        assert_eq!(label(NOW - 30 * HOUR_MS, NOW, false), Label::Date);
    }

    #[test]
    fn a_clock_behind_the_server_still_says_just_now() {
        assert_eq!(label(NOW + 4_000, NOW, true), Label::JustNow);
    }

    #[test]
    fn relative_times_are_translated() {
        assert_eq!(show(Lang::En, NOW - 5 * MINUTE_MS, NOW), "5 min ago");
        assert_eq!(show(Lang::ZhHans, NOW - 5 * MINUTE_MS, NOW), "5 分钟前");
        assert_eq!(show(Lang::ZhHant, NOW - 2 * HOUR_MS, NOW), "2 小時前");
        assert_eq!(show(Lang::ZhHans, NOW, NOW), "刚刚");
    }

    #[test]
    fn date_inputs_become_midnights() {
        assert_eq!(local_midnight_ms("1970-01-02", 0), Some(86_400_000));
        assert_eq!(
            local_midnight_ms("2026-12-01", 1).unwrap()
                - local_midnight_ms("2026-12-01", 0).unwrap(),
            86_400_000
        );
        assert_eq!(
            local_midnight_ms("2026-02-28", 1),
            local_midnight_ms("2026-03-01", 0)
        );
        assert_eq!(local_midnight_ms("", 0), None);
        assert_eq!(local_midnight_ms("2026-13-01", 0), None);
        assert_eq!(local_midnight_ms("soon", 0), None);
    }

    #[test]
    fn iso_times_are_utc_with_milliseconds() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(NOW + 7), "2025-12-01T12:00:00.007Z");
        assert_eq!(iso(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
