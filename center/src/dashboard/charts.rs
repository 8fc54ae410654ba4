//! A resident's days as SVG made on the server: condition per day as
//! coloured cells, blood pressure and weight as lines, medication taken as
//! bars. Pure functions of the records and the days shown; no script.

use std::fmt::Write as _;

use jiff::civil::Date;

use crate::store::dashboard::residents::DayRecord;

const WIDTH: f64 = 760.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;

/// The days from `first` to `last`, inclusive.
pub fn days_between(first: Date, last: Date) -> Vec<Date> {
    let mut days = Vec::new();
    let mut day = first;
    while day <= last {
        days.push(day);
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    days
}

/// One value per day: the day's last check-in's.
fn per_day<T: Clone>(
    days: &[Date],
    records: &[DayRecord],
    f: impl Fn(&DayRecord) -> Option<T>,
) -> Vec<Option<T>> {
    days.iter()
        .map(|day| records.iter().rev().filter(|r| r.date == *day).find_map(&f))
        .collect()
}

fn x_of(index: usize, count: usize) -> f64 {
    let span = WIDTH - LEFT - RIGHT;
    LEFT + span * (index as f64 + 0.5) / count.max(1) as f64
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn date_axis(out: &mut String, days: &[Date], y: f64) {
    // Labels on the first day and the first of each month, and (for a
    // month) on Mondays not within three days of those.
    let strong = |i: usize, day: &Date| i == 0 || day.day() == 1;
    let strong_days: Vec<usize> = days
        .iter()
        .enumerate()
        .filter(|(i, d)| strong(*i, d))
        .map(|(i, _)| i)
        .collect();
    for (i, day) in days.iter().enumerate() {
        let monday = days.len() <= 31
            && day.weekday() == jiff::civil::Weekday::Monday
            && strong_days.iter().all(|s| s.abs_diff(i) > 3);
        if strong(i, day) || monday {
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{y:.1}" font-size="13" text-anchor="middle" fill="#333">{}/{}</text>"##,
                x_of(i, days.len()),
                day.month(),
                day.day()
            );
        }
    }
}

/// Condition per day: よい green, ふつう yellow, わるい red, no answer grey.
pub fn condition_cells(days: &[Date], records: &[DayRecord]) -> String {
    let height = 64.0;
    let values = per_day(days, records, |r| Some(r.condition.clone()));
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-label="毎日の体調"><title>毎日の体調</title>"#
    );
    let cell = (WIDTH - LEFT - RIGHT) / days.len().max(1) as f64;
    for (i, (day, value)) in days.iter().zip(&values).enumerate() {
        let (fill, label) = match value.as_deref() {
            Some("good") => ("#2e7d32", "よい"),
            Some("fair") => ("#f2b705", "ふつう"),
            Some("poor") => ("#c62828", "わるい"),
            _ => ("#d9d9d9", "記録なし"),
        };
        let _ = write!(
            out,
            r##"<rect x="{:.1}" y="4" width="{:.1}" height="36" fill="{fill}" stroke="#fff" stroke-width="1"><title>{day} {label}</title></rect>"##,
            LEFT + cell * i as f64,
            cell
        );
    }
    date_axis(&mut out, days, 58.0);
    out.push_str("</svg>");
    out
}

/// Lines of values per day, with a labelled y axis.
fn lines(
    title: &str,
    days: &[Date],
    series: &[(&str, &str, Vec<Option<f64>>)],
    unit: &str,
) -> String {
    let height = 200.0;
    let (top, bottom) = (10.0, 170.0);
    let all: Vec<f64> = series
        .iter()
        .flat_map(|(_, _, v)| v.iter().flatten().copied())
        .collect();
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-label="{0}"><title>{0}</title>"#,
        escape(title)
    );
    if all.is_empty() {
        let _ = write!(
            out,
            r##"<text x="{}" y="90" font-size="16" text-anchor="middle" fill="#555">この期間の記録はありません</text></svg>"##,
            WIDTH / 2.0
        );
        return out;
    }
    let min = all.iter().copied().fold(f64::INFINITY, f64::min);
    let max = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let pad = ((max - min) * 0.1).max(1.0);
    let (low, high) = (min - pad, max + pad);
    let y_of = |v: f64| bottom - (v - low) / (high - low) * (bottom - top);
    // Whole numbers on a wide axis; tenths when the lines sit close.
    let decimals = if high - low > 10.0 { 0 } else { 1 };
    for k in 0..=4 {
        let v = low + (high - low) * f64::from(k) / 4.0;
        let y = y_of(v);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#ccc"/><text x="{:.1}" y="{:.1}" font-size="13" text-anchor="end" fill="#333">{v:.decimals$}</text>"##,
            WIDTH - RIGHT,
            LEFT - 4.0,
            y + 4.0
        );
    }
    for (name, colour, values) in series {
        let mut path = String::new();
        let mut pen_down = false;
        for (i, v) in values.iter().enumerate() {
            match v {
                Some(v) => {
                    let _ = write!(
                        path,
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        x_of(i, days.len()),
                        y_of(*v)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        let _ = write!(
            out,
            r#"<path d="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>"#
        );
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                let _ = write!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{colour}"><title>{} {name} {v}{unit}</title></circle>"#,
                    x_of(i, days.len()),
                    y_of(*v),
                    days[i]
                );
            }
        }
    }
    date_axis(&mut out, days, 192.0);
    out.push_str("</svg>");
    out
}

/// Systolic and diastolic blood pressure, mmHg.
pub fn blood_pressure(days: &[Date], records: &[DayRecord]) -> String {
    let to_f = |v: Option<i64>| v.map(|v| v as f64);
    lines(
        "血圧",
        days,
        &[
            (
                "最高血圧",
                "#c62828",
                per_day(days, records, |r| to_f(r.systolic)),
            ),
            (
                "最低血圧",
                "#1565c0",
                per_day(days, records, |r| to_f(r.diastolic)),
            ),
        ],
        " mmHg",
    )
}

/// Weight, kg.
pub fn weight(days: &[Date], records: &[DayRecord]) -> String {
    lines(
        "体重",
        days,
        &[(
            "体重",
            "#6a1b9a",
            per_day(days, records, |r| r.weight.map(|w| w as f64 / 10.0)),
        )],
        " kg",
    )
}

/// Medication taken per day: a bar of the share of slots answered "taken"
/// (full height: every slot of the care plan).
pub fn medication(days: &[Date], records: &[DayRecord], slots: u32) -> String {
    let height = 110.0;
    let (top, bottom) = (8.0, 80.0);
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-label="服薬"><title>服薬</title>"#
    );
    let cell = (WIDTH - LEFT - RIGHT) / days.len().max(1) as f64;
    let _ = write!(
        out,
        r##"<line x1="{LEFT}" x2="{:.1}" y1="{bottom}" y2="{bottom}" stroke="#999"/>"##,
        WIDTH - RIGHT
    );
    let values = per_day(days, records, |r| {
        Some((r.medication_taken, r.medication_asked))
    });
    for (i, value) in values.iter().enumerate() {
        let Some((taken, asked)) = value else {
            continue;
        };
        let of = slots.max(*asked).max(1);
        let share = f64::from(*taken) / f64::from(of);
        // A day with nothing taken still shows: a short bar.
        let h = ((bottom - top) * share).max(6.0);
        let fill = if *taken >= of { "#2e7d32" } else { "#ef6c00" };
        let _ = write!(
            out,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"><title>{} {taken}/{of}</title></rect>"##,
            LEFT + cell * i as f64 + cell * 0.15,
            bottom - h,
            cell * 0.7,
            h,
            days[i]
        );
    }
    date_axis(&mut out, days, 100.0);
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn record(day: Date, condition: &str, systolic: Option<i64>) -> DayRecord {
        DayRecord {
            at: day.to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp(),
            date: day,
            condition: condition.into(),
            systolic,
            diastolic: systolic.map(|s| s - 50),
            weight: Some(512),
            temperature: None,
            call_requested: false,
            medication_taken: 1,
            medication_asked: 2,
        }
    }

    #[test]
    fn a_cell_per_day_in_the_condition_colour() {
        let days = days_between(date(2026, 11, 1), date(2026, 11, 30));
        assert_eq!(days.len(), 30);
        let records = [
            record(date(2026, 11, 3), "poor", None),
            record(date(2026, 11, 4), "good", None),
        ];
        let svg = condition_cells(&days, &records);
        assert_eq!(svg.matches("<rect").count(), 30);
        assert!(svg.contains("2026-11-03 わるい"));
        assert!(svg.contains("2026-11-04 よい"));
        assert_eq!(svg.matches("記録なし").count(), 28);
    }

    #[test]
    fn lines_break_at_missing_days_and_say_when_empty() {
        let days = days_between(date(2026, 11, 1), date(2026, 11, 5));
        let records = [
            record(date(2026, 11, 1), "good", Some(130)),
            record(date(2026, 11, 2), "good", Some(140)),
            record(date(2026, 11, 4), "good", Some(150)),
        ];
        let svg = blood_pressure(&days, &records);
        // Two runs per series: 1–2 and 4.
        assert_eq!(svg.matches(r#"<path d="M"#).count(), 2);
        assert_eq!(svg.matches(" M").count(), 2);
        assert!(svg.contains("最高血圧 150 mmHg"));
        assert!(blood_pressure(&days, &[]).contains("記録はありません"));
        assert!(weight(&days, &records).contains("51.2 kg"));
    }

    #[test]
    fn date_labels_do_not_crowd() {
        // 2026-11-30 is a Monday, the day before the first of December.
        let days = days_between(date(2026, 11, 3), date(2026, 12, 2));
        let svg = condition_cells(&days, &[]);
        assert!(svg.contains(">12/1<") && svg.contains(">11/3<") && svg.contains(">11/9<"));
        assert!(!svg.contains(">11/30<"), "too close to 12/1");
    }

    #[test]
    fn medication_bars_are_the_share_taken() {
        let days = days_between(date(2026, 11, 1), date(2026, 11, 2));
        let svg = medication(&days, &[record(date(2026, 11, 1), "good", None)], 2);
        assert!(svg.contains("2026-11-01 1/2"));
        assert_eq!(svg.matches("<rect").count(), 1);
    }
}
