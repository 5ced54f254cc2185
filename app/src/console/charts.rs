//! The report's charts, drawn by Plotters as SVG: bars of chats (with the
//! missed ones in a colour of their own) over the days of the period or the
//! hours of the day, and a line of the average first response per day.
//! Every text in them is ours (dates, hours, numbers, units), never something
//! a visitor or an admin typed.
//!
//! The legend is the page's, not Plotters': in the browser Plotters measures a
//! legend's text by giving a `<span>` an inline `style`, which the console's
//! Content-Security-Policy refuses. Nothing else drawn here measures text (the
//! SVG anchors it), and the colours have classes of the same names in
//! `style/console.css` (`.swatch.chats`, `.swatch.missed`).

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

/// The size charts are drawn at; the page scales them to its width.
const WIDTH: u32 = 720;
const HEIGHT: u32 = 240;
const FONT: &str = "sans-serif";
/// Plotters writes font sizes in points: this is 12 pixels.
const FONT_SIZE: f64 = 15.0;
const CHATS: RGBColor = RGBColor(0x25, 0x63, 0xeb);
const MISSED: RGBColor = RGBColor(0xdc, 0x26, 0x26);
const RESPONSE: RGBColor = RGBColor(0x05, 0x96, 0x69);
const INK: RGBColor = RGBColor(0x47, 0x55, 0x69);

/// One bar: what it is labelled and its two counts (missed is part of chats).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub chats: u32,
    pub missed: u32,
}

/// At most this many labels under the bars, evenly spread, so that a month's
/// dates do not run into each other.
const MAX_LABELS: usize = 12;

/// Whether the bar at `index` of `count` gets its label shown.
fn labelled(index: usize, count: usize) -> bool {
    let every = count.div_ceil(MAX_LABELS).max(1);
    index.is_multiple_of(every)
}

/// The SVG document, drawn at [`WIDTH`] × [`HEIGHT`], without that fixed
/// size: its view box scales it to the width the page gives it.
fn scalable(svg: String) -> String {
    svg.replacen(
        &format!("<svg width=\"{WIDTH}\" height=\"{HEIGHT}\" "),
        "<svg ",
        1,
    )
}

/// Bars of chats with their missed part.
pub fn bars(bars: &[Bar]) -> String {
    let mut svg = String::new();
    if let Err(err) = draw_bars(&mut svg, bars) {
        leptos::logging::warn!("drawing a chart failed: {err}");
        return String::new();
    }
    scalable(svg)
}

type Drawn = Result<(), Box<dyn std::error::Error>>;

fn draw_bars(svg: &mut String, bars: &[Bar]) -> Drawn {
    let count = bars.len().max(1);
    let top = bars.iter().map(|b| b.chats).max().unwrap_or(0).max(4);
    let top = top + top / 10 + 1;
    {
        let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(36)
            .build_cartesian_2d((0..count).into_segmented(), 0u32..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(0xe2, 0xe8, 0xf0))
            .axis_style(INK)
            .y_labels(5)
            .x_labels(count)
            .x_label_formatter(&|value| match value {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if labelled(*i, count) => {
                    bars.get(*i).map(|b| b.label.clone()).unwrap_or_default()
                }
                _ => String::new(),
            })
            .y_label_formatter(&|value| value.to_string())
            .label_style((FONT, FONT_SIZE).into_font().color(&INK))
            .draw()?;
        chart.draw_series(
            Histogram::vertical(&chart)
                .style(CHATS.filled())
                .margin(2)
                .data(bars.iter().enumerate().map(|(i, b)| (i, b.chats))),
        )?;
        chart.draw_series(
            Histogram::vertical(&chart)
                .style(MISSED.filled())
                .margin(2)
                .data(bars.iter().enumerate().map(|(i, b)| (i, b.missed))),
        )?;
        root.present()?;
    }
    Ok(())
}

/// A line of the average first response per day (`None`: nobody answered
/// that day, and the line has a gap), the axis in seconds or minutes as
/// `unit` says and `unit_ms` counts.
pub fn response_line(days: &[(String, Option<u64>)], unit: &str, unit_ms: u64) -> String {
    let mut svg = String::new();
    if let Err(err) = draw_line(&mut svg, days, unit, unit_ms) {
        leptos::logging::warn!("drawing a chart failed: {err}");
        return String::new();
    }
    scalable(svg)
}

fn draw_line(svg: &mut String, days: &[(String, Option<u64>)], unit: &str, unit_ms: u64) -> Drawn {
    let count = days.len().max(1);
    let values: Vec<Option<f64>> = days
        .iter()
        .map(|(_, ms)| ms.map(|ms| ms as f64 / unit_ms as f64))
        .collect();
    let top = values.iter().flatten().fold(1.0f64, |top, v| top.max(*v)) * 1.15;
    {
        let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(44)
            .build_cartesian_2d(0..count, 0f64..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(0xe2, 0xe8, 0xf0))
            .axis_style(INK)
            .y_labels(5)
            .x_labels(count.min(MAX_LABELS))
            .x_label_formatter(&|i| {
                days.get(*i)
                    .filter(|_| labelled(*i, count))
                    .map(|(label, _)| label.clone())
                    .unwrap_or_default()
            })
            .y_label_formatter(&|v| {
                // Under ten units, tenths: otherwise the labels would repeat.
                if top < 10.0 {
                    format!("{v:.1} {unit}")
                } else {
                    format!("{v:.0} {unit}")
                }
            })
            .label_style((FONT, FONT_SIZE).into_font().color(&INK))
            .draw()?;
        // One line per run of days that were answered.
        let mut run = Vec::new();
        for (i, value) in values.iter().enumerate() {
            match value {
                Some(v) => run.push((i, *v)),
                None if !run.is_empty() => {
                    chart.draw_series(LineSeries::new(
                        std::mem::take(&mut run),
                        RESPONSE.stroke_width(2),
                    ))?;
                }
                None => {}
            }
        }
        if !run.is_empty() {
            chart.draw_series(LineSeries::new(run, RESPONSE.stroke_width(2)))?;
        }
        chart.draw_series(
            values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| Circle::new((i, v), 3, RESPONSE.filled()))),
        )?;
        root.present()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, chats: u32, missed: u32) -> Bar {
        Bar {
            label: label.into(),
            chats,
            missed,
        }
    }

    #[test]
    fn bars_are_an_svg_that_scales_with_the_page() {
        let svg = bars(&[bar("12-01", 5, 1), bar("12-02", 0, 0), bar("12-03", 9, 3)]);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("viewBox=\"0 0 720 240\""), "{svg}");
        assert!(!svg.starts_with("<svg width"), "{svg}");
        assert!(svg.contains("12-03"));
        assert!(!svg.contains("style="), "nothing the page's policy refuses");
        assert!(
            svg.contains("#2563EB") || svg.contains("#2563eb"),
            "the chats' colour"
        );
    }

    #[test]
    fn a_month_of_days_shows_a_dozen_labels_at_most() {
        let days: Vec<Bar> = (1..=31).map(|d| bar(&format!("12-{d:02}"), d, 0)).collect();
        let shown = (0..31).filter(|i| labelled(*i, 31)).count();
        assert!((8..=MAX_LABELS).contains(&shown), "{shown}");
        let svg = bars(&days);
        assert!(
            svg.contains("\n12-01\n") && !svg.contains("\n12-02\n"),
            "{svg}"
        );
    }

    #[test]
    fn a_line_has_gaps_where_nobody_answered() {
        let days = vec![
            ("12-01".to_owned(), Some(30_000)),
            ("12-02".to_owned(), None),
            ("12-03".to_owned(), Some(90_000)),
            ("12-04".to_owned(), Some(60_000)),
        ];
        let svg = response_line(&days, "s", 1000);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3);
        let lines = svg
            .split("<polyline")
            .skip(1)
            .filter(|rest| {
                rest.split('>')
                    .next()
                    .is_some_and(|tag| tag.contains("#059669"))
            })
            .count();
        assert_eq!(lines, 2, "{svg}");
    }
}
