//! Calendar arithmetic in the resident's time zone, and the way dates,
//! times and durations are written in the reasons nurses read.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp};
use mimamori_protocol::TimeOfDay;

/// The calendar day of `at` on the resident's clock.
pub(super) fn local_date(at: Timestamp, tz: &TimeZone) -> Date {
    at.to_zoned(tz.clone()).date()
}

/// `days` after `date`; `None` past the end of the calendar.
pub(super) fn add_days(date: Date, days: u32) -> Option<Date> {
    let span = Span::new().try_days(i64::from(days)).ok()?;
    date.checked_add(span).ok()
}

/// `days` before `date`, or the calendar's first day.
pub(super) fn sub_days(date: Date, days: u32) -> Date {
    Span::new()
        .try_days(i64::from(days))
        .ok()
        .and_then(|span| date.checked_sub(span).ok())
        .unwrap_or(Date::MIN)
}

/// Whole days from `from` to `to` (negative if `to` is earlier).
pub(super) fn days_between(from: Date, to: Date) -> i64 {
    to.duration_since(from).as_hours() / 24
}

/// The instant at which the resident's clock shows `time` on `date`. A time
/// skipped by a clock change is taken after the change, a repeated one at
/// its first occurrence; `None` past the end of the calendar.
pub(super) fn instant_on(date: Date, time: TimeOfDay, tz: &TimeZone) -> Option<Timestamp> {
    let hour = i8::try_from(time.hour()).ok()?;
    let minute = i8::try_from(time.minute()).ok()?;
    date.at(hour, minute, 0, 0)
        .to_zoned(tz.clone())
        .ok()
        .map(|z| z.timestamp())
}

/// `at + duration`; `None` past the end of time.
pub(super) fn after(at: Timestamp, duration: SignedDuration) -> Option<Timestamp> {
    at.checked_add(duration).ok()
}

/// `11月26日`, or `2026年12月31日` when the year is not `this_year`.
pub(super) fn day_ja(date: Date, this_year: i16) -> String {
    if date.year() == this_year {
        format!("{}月{}日", date.month(), date.day())
    } else {
        format!("{}年{}月{}日", date.year(), date.month(), date.day())
    }
}

/// `11月26日 9:05` on the resident's clock; the year is written when it is
/// not `this_year`.
pub(super) fn moment_ja(at: Timestamp, tz: &TimeZone, this_year: i16) -> String {
    let zoned = at.to_zoned(tz.clone());
    format!(
        "{} {}:{:02}",
        day_ja(zoned.date(), this_year),
        zoned.hour(),
        zoned.minute()
    )
}

/// `45分`, `4時間`, `3日`: the whole minutes under an hour, whole hours under
/// two days, whole days beyond.
pub(super) fn duration_ja(duration: SignedDuration) -> String {
    let minutes = duration.as_mins().max(0);
    if minutes < 60 {
        format!("{minutes}分")
    } else if minutes < 48 * 60 {
        format!("{}時間", minutes / 60)
    } else {
        format!("{}日", minutes / (24 * 60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn tokyo() -> TimeZone {
        TimeZone::get("Asia/Tokyo").unwrap()
    }

    #[test]
    fn the_local_date_turns_at_local_midnight() {
        let tz = tokyo();
        let before: Timestamp = "2026-11-30T14:59:59Z".parse().unwrap();
        let after: Timestamp = "2026-11-30T15:00:00Z".parse().unwrap();
        assert_eq!(local_date(before, &tz), date(2026, 11, 30));
        assert_eq!(local_date(after, &tz), date(2026, 12, 1));
        assert_eq!(local_date(after, &TimeZone::UTC), date(2026, 11, 30));
    }

    #[test]
    fn days_cross_month_and_year_ends() {
        assert_eq!(add_days(date(2027, 1, 31), 2), Some(date(2027, 2, 2)));
        assert_eq!(add_days(date(2028, 2, 28), 1), Some(date(2028, 2, 29)));
        assert_eq!(add_days(date(2027, 2, 28), 1), Some(date(2027, 3, 1)));
        assert_eq!(add_days(date(2026, 12, 31), 1), Some(date(2027, 1, 1)));
        assert_eq!(add_days(Date::MAX, 1), None);
        assert_eq!(add_days(date(2026, 1, 1), u32::MAX), None);
        assert_eq!(sub_days(date(2027, 3, 1), 1), date(2027, 2, 28));
        assert_eq!(sub_days(date(2026, 1, 1), u32::MAX), Date::MIN);
        assert_eq!(days_between(date(2026, 12, 30), date(2027, 1, 2)), 3);
        assert_eq!(days_between(date(2027, 1, 2), date(2026, 12, 30)), -3);
    }

    #[test]
    fn instants_on_the_residents_clock() {
        let noon = TimeOfDay::new(12, 0).unwrap();
        let at = instant_on(date(2026, 11, 4), noon, &tokyo()).unwrap();
        assert_eq!(at, "2026-11-04T03:00:00Z".parse::<Timestamp>().unwrap());
        // 02:30 does not exist in New York on 2026-03-08: taken after the change.
        let ny = TimeZone::get("America/New_York").unwrap();
        let skipped = TimeOfDay::new(2, 30).unwrap();
        let at = instant_on(date(2026, 3, 8), skipped, &ny).unwrap();
        assert_eq!(at, "2026-03-08T07:30:00Z".parse::<Timestamp>().unwrap());
    }

    #[test]
    fn written_for_nurses() {
        let at: Timestamp = "2026-11-26T00:05:00Z".parse().unwrap();
        assert_eq!(moment_ja(at, &tokyo(), 2026), "11月26日 9:05");
        assert_eq!(moment_ja(at, &tokyo(), 2027), "2026年11月26日 9:05");
        assert_eq!(duration_ja(SignedDuration::from_mins(45)), "45分");
        assert_eq!(duration_ja(SignedDuration::from_hours(4)), "4時間");
        assert_eq!(
            duration_ja(SignedDuration::from_mins(47 * 60 + 59)),
            "47時間"
        );
        assert_eq!(duration_ja(SignedDuration::from_hours(73)), "3日");
    }
}
