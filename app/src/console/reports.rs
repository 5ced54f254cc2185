//! The reports view, for admins: a period (the last 7 or 30 days, or any
//! dates), for everyone, a department or an agent; the totals, charts of chats
//! per day and by hour and of the first response per day, tables by agent and
//! by department, and each table as CSV (`GET /reports.csv`).

use super::charts::{self, Bar};
use super::desk::Desk;
use super::words::{w, wf, Word};
use super::{duration_text, View};
use crate::api::{
    list_agents, team_report, AgentView, Figures, NamedFigures, Report, ReportQuery, ReportTable,
};
use crate::components::ErrorToast;
use crate::i18n::Lang;
use crate::time::{browser_time_zone, local_date};
use leptos::prelude::*;

/// A date as a chart labels it: without the year (`12-06`).
fn short_day(day: &str) -> String {
    day.get(5..).unwrap_or(day).to_owned()
}

/// The chart of chats per day.
fn day_chart(report: &Report) -> String {
    let bars: Vec<Bar> = report
        .days
        .iter()
        .map(|d| Bar {
            label: short_day(&d.day),
            chats: d.figures.chats,
            missed: d.figures.missed,
        })
        .collect();
    charts::bars(&bars)
}

/// The chart of chats by hour of the day.
fn hour_chart(report: &Report) -> String {
    let bars: Vec<Bar> = report
        .hours
        .iter()
        .enumerate()
        .map(|(hour, figures)| Bar {
            label: hour.to_string(),
            chats: figures.chats,
            missed: figures.missed,
        })
        .collect();
    charts::bars(&bars)
}

/// The chart of the average first response per day, in seconds, or in minutes
/// when some day's average is over two minutes.
fn response_chart(lang: Lang, report: &Report) -> String {
    let days: Vec<(String, Option<u64>)> = report
        .days
        .iter()
        .map(|d| (short_day(&d.day), d.figures.first_response_avg_ms()))
        .collect();
    let slow = days.iter().filter_map(|(_, ms)| *ms).any(|ms| ms > 120_000);
    let (unit, unit_ms) = match (slow, lang) {
        (false, Lang::En) => ("s", 1_000),
        (false, _) => ("秒", 1_000),
        (true, Lang::En) => ("min", 60_000),
        (true, _) => ("分", 60_000),
    };
    charts::response_line(&days, unit, unit_ms)
}

fn average(lang: Lang, ms: Option<u64>) -> String {
    ms.map(|ms| duration_text(lang, ms as i64))
        .unwrap_or_else(|| "–".to_owned())
}

fn good_share(figures: &Figures) -> String {
    figures
        .good_percent()
        .map(|p| format!("{p}%"))
        .unwrap_or_else(|| "–".to_owned())
}

/// The totals, one tile each.
fn totals(lang: Lang, figures: Figures) -> impl IntoView {
    let tile = |label: Word, value: String, test: &'static str| {
        view! {
            <div class="tile" data-testid=test>
                <span class="label">{w(lang, label)}</span>
                <strong class="value">{value}</strong>
            </div>
        }
    };
    view! {
        <div class="report-totals" data-testid="report-totals">
            {tile(Word::ChatsCount, figures.chats.to_string(), "report-chats")}
            {tile(Word::MissedChats, figures.missed.to_string(), "report-missed")}
            {tile(Word::FirstResponse, average(lang, figures.first_response_avg_ms()), "report-first-response")}
            {tile(Word::HandlingTime, average(lang, figures.handling_avg_ms()), "report-handling")}
            <div class="tile" data-testid="report-rating">
                <span class="label">{w(lang, Word::RatingsShare)}</span>
                <strong class="value">{good_share(&figures)}</strong>
                <span class="detail">
                    {wf(lang, Word::RatingsCount, &[&figures.rated_good.to_string(), &figures.rated_bad.to_string()])}
                </span>
            </div>
        </div>
    }
}

/// A table of agents' or departments' figures.
fn named_table(lang: Lang, rows: Vec<NamedFigures>, agents: bool) -> impl IntoView {
    let name_of = move |row: &NamedFigures| {
        if !row.name.is_empty() {
            row.name.clone()
        } else if row.id.is_empty() {
            w(lang, Word::NoDepartment).to_owned()
        } else {
            w(lang, Word::RemovedAccount).to_owned()
        }
    };
    let rows = rows
        .into_iter()
        .map(|row| {
            let f = row.figures;
            view! {
                <tr data-testid="report-row" data-id=row.id.clone()>
                    <th scope="row">{name_of(&row)}</th>
                    <td>{f.chats}</td>
                    <td>{f.missed}</td>
                    <td>{average(lang, f.first_response_avg_ms())}</td>
                    <td>{average(lang, f.handling_avg_ms())}</td>
                    <td>{good_share(&f)}</td>
                </tr>
            }
        })
        .collect_view();
    let heading = if agents {
        Word::DepartmentAgents
    } else {
        Word::AskDepartment
    };
    view! {
        <div class="table-scroll">
            <table class="report-table">
                <thead>
                    <tr>
                        <th scope="col">{w(lang, heading)}</th>
                        <th scope="col">{w(lang, Word::ChatsCount)}</th>
                        <th scope="col">{w(lang, Word::MissedChats)}</th>
                        <th scope="col">{w(lang, Word::FirstResponse)}</th>
                        <th scope="col">{w(lang, Word::HandlingTime)}</th>
                        <th scope="col">{w(lang, Word::RatingsShare)}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The CSV links of a report's tables.
fn csv_links(lang: Lang, query: &ReportQuery) -> impl IntoView {
    let base = query.to_query_string();
    let links = ReportTable::ALL
        .into_iter()
        .map(|table| {
            let word = match table {
                ReportTable::Days => Word::CsvDays,
                ReportTable::Hours => Word::CsvHours,
                ReportTable::Agents => Word::CsvAgents,
                ReportTable::Departments => Word::CsvDepartments,
            };
            view! {
                <a href=format!("/reports.csv?table={}&{base}", table.as_str()) download
                    data-testid=format!("report-csv-{}", table.as_str())>{w(lang, word)}</a>
            }
        })
        .collect_view();
    view! {
        <p class="report-csv">
            <span>{w(lang, Word::DownloadCsv)}</span>
            {links}
        </p>
    }
}

/// A chart under its caption; bars of chats have a legend of their two colours.
fn chart(caption: Word, lang: Lang, svg: String, bars: bool, test: &'static str) -> impl IntoView {
    view! {
        <figure class="chart" data-testid=test>
            <figcaption>{w(lang, caption)}</figcaption>
            {bars.then(|| view! {
                <ul class="chart-legend" data-testid="chart-legend">
                    <li><span class="swatch chats"></span>{w(lang, Word::ChatsCount)}</li>
                    <li><span class="swatch missed"></span>{w(lang, Word::MissedChats)}</li>
                </ul>
            })}
            <div class="chart-svg" inner_html=svg></div>
        </figure>
    }
}

/// What the view shows under its form.
#[derive(Clone, Debug, PartialEq)]
enum Shown {
    Loading,
    Ready(Box<Report>),
    Failed,
}

#[component]
pub fn ReportsPanel(desk: Desk) -> impl IntoView {
    let lang = desk.lang;
    let departments = desk.departments;
    let zone = browser_time_zone();
    let from = RwSignal::new(local_date(6));
    let to = RwSignal::new(local_date(0));
    let department = RwSignal::new(String::new());
    let agent = RwSignal::new(String::new());
    let agents = RwSignal::new(Vec::<AgentView>::new());
    let shown = RwSignal::new(Shown::Loading);
    let error = RwSignal::new(None);
    // Answers to an older request than the newest are dropped.
    let asked = StoredValue::new(0u64);
    let query_zone = zone.clone();
    let ask = move || {
        let query = ReportQuery {
            from: from.get_untracked(),
            to: to.get_untracked(),
            time_zone: query_zone.clone(),
            department: Some(department.get_untracked()).filter(|d| !d.is_empty()),
            agent: agent.get_untracked().parse().ok(),
        };
        let ticket = asked.get_value() + 1;
        asked.set_value(ticket);
        shown.set(Shown::Loading);
        leptos::task::spawn_local(async move {
            let answer = team_report(query).await;
            if asked.get_value() != ticket {
                return;
            }
            match answer {
                Ok(report) => {
                    error.set(None);
                    shown.set(Shown::Ready(Box::new(report)));
                }
                Err(err) => {
                    error.set(Some(err));
                    shown.set(Shown::Failed);
                }
            }
        });
    };
    let ask_again = ask.clone();
    Effect::new(move |_| {
        if desk.view.get() != View::Reports {
            return;
        }
        ask_again();
        leptos::task::spawn_local(async move {
            if let Ok(list) = list_agents().await {
                agents.set(list);
            }
        });
    });
    let last = {
        let ask = ask.clone();
        move |days: u32| {
            from.set(local_date(days - 1));
            to.set(local_date(0));
            ask();
        }
    };
    let last_week = last.clone();
    let on_submit = {
        let ask = ask.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            ask();
        }
    };
    let body = move || match shown.get() {
        Shown::Loading => view! { <p class="hint">{w(lang, Word::ReportLoading)}</p> }.into_any(),
        Shown::Failed => ().into_any(),
        Shown::Ready(report) => {
            let report = *report;
            let empty = report.totals.chats == 0;
            view! {
                <div class="report" data-testid="report">
                    {totals(lang, report.totals)}
                    {empty.then(|| view! { <p class="empty" data-testid="report-empty">{w(lang, Word::NoChatsInPeriod)}</p> })}
                    <div class="charts">
                        {chart(Word::ChatsPerDay, lang, day_chart(&report), true, "chart-days")}
                        {chart(Word::ChatsByHour, lang, hour_chart(&report), true, "chart-hours")}
                        {chart(Word::ResponsePerDay, lang, response_chart(lang, &report), false, "chart-response")}
                    </div>
                    <h3>{w(lang, Word::ByAgent)}</h3>
                    <div data-testid="report-agents">{named_table(lang, report.agents.clone(), true)}</div>
                    <h3>{w(lang, Word::ByDepartment)}</h3>
                    <div data-testid="report-departments">{named_table(lang, report.departments.clone(), false)}</div>
                    {csv_links(lang, &report.query)}
                </div>
            }
            .into_any()
        }
    };
    let bind = |signal: RwSignal<String>| move |ev| signal.set(event_target_value(&ev));
    view! {
        <section class="reports view-panel" data-testid="reports-panel">
            <h2>{w(lang, Word::Reports)}</h2>
            <p class="hint">{wf(lang, Word::ReportsHint, &[&zone])}</p>
            <ErrorToast lang error/>
            <form class="report-query" on:submit=on_submit>
                <div class="quick">
                    <button type="button" data-testid="report-last-7" on:click=move |_| last_week(7)>
                        {w(lang, Word::Last7Days)}
                    </button>
                    <button type="button" data-testid="report-last-30" on:click=move |_| last(30)>
                        {w(lang, Word::Last30Days)}
                    </button>
                </div>
                <label>{w(lang, Word::FromDate)}
                    <input type="date" data-testid="report-from" required
                        prop:value=move || from.get() on:change=bind(from)/></label>
                <label>{w(lang, Word::ToDate)}
                    <input type="date" data-testid="report-to" required
                        prop:value=move || to.get() on:change=bind(to)/></label>
                <select data-testid="report-department" aria-label=w(lang, Word::AskDepartment)
                    on:change=bind(department)>
                    <option value="">{w(lang, Word::AllDepartments)}</option>
                    {move || departments.get().into_iter().map(|d| view! {
                        <option value=d.id.clone()>{d.name.clone()}</option>
                    }).collect_view()}
                </select>
                <select data-testid="report-agent" aria-label=w(lang, Word::DepartmentAgents)
                    on:change=bind(agent)>
                    <option value="">{w(lang, Word::AnyAgent)}</option>
                    {move || agents.get().into_iter().map(|a| view! {
                        <option value=a.id.to_string()>{a.name.clone()}</option>
                    }).collect_view()}
                </select>
                <button type="submit" class="primary" data-testid="report-show">{w(lang, Word::ShowReport)}</button>
            </form>
            {body}
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_labelled_without_their_year() {
        assert_eq!(short_day("2026-12-06"), "12-06");
        assert_eq!(short_day("odd"), "odd");
    }
}
