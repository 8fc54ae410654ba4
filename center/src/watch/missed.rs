//! `missed`: no check-in by the daily deadline, `missed_days` days after the
//! last one.

use jiff::Timestamp;
use jiff::civil::Date;

use super::actions::Actions;
use super::calendar::{add_days, day_ja, days_between, instant_on, local_date, moment_ja};
use super::{Thresholds, WatchState};
use crate::domain::AlertKind;

/// The day that counting starts from, and what it is.
struct Base {
    day: Date,
    origin: Origin,
}

enum Origin {
    /// The day of the last check-in.
    CheckIn,
    /// No check-in yet: the day of registration.
    Registration,
    /// The day a nurse last resolved a `missed` alert, later than either.
    Resolved(Timestamp),
    /// The last day of a pause, later than any of these.
    Pause,
}

/// Counting starts from the day of `last_check_in` (of registration if none),
/// or from the last day of the pause or the day a nurse last resolved a
/// `missed` alert, if later.
fn base(state: &WatchState, last_check_in: Option<Timestamp>) -> Base {
    let (day, origin) = match last_check_in {
        Some(at) => (local_date(at, &state.tz), Origin::CheckIn),
        None => (
            local_date(state.watched_since, &state.tz),
            Origin::Registration,
        ),
    };
    let mut base = Base { day, origin };
    if let Some(resolved) = state.resolved_at(AlertKind::Missed) {
        let day = local_date(resolved, &state.tz);
        if day > base.day {
            base = Base {
                day,
                origin: Origin::Resolved(resolved),
            };
        }
    }
    if let Some(through) = state.paused_through {
        if through > base.day {
            base = Base {
                day: through,
                origin: Origin::Pause,
            };
        }
    }
    base
}

/// The deadline on the `missed_days`-th day after the base day.
fn due(base: &Base, state: &WatchState, t: &Thresholds) -> Option<Timestamp> {
    let day = add_days(base.day, t.effective_missed_days())?;
    instant_on(day, state.deadline, &state.tz)
}

/// Opens `missed` when due; returns when it will be, if later.
pub(super) fn evaluate(
    state: &WatchState,
    t: &Thresholds,
    now: Timestamp,
    actions: &mut Actions<'_>,
) -> Option<Timestamp> {
    if state.open_alert(AlertKind::Missed).is_some() {
        return None;
    }
    let base = base(state, state.last_check_in);
    let due = due(&base, state, t)?;
    if now < due {
        return Some(due);
    }
    actions.open(AlertKind::Missed, || reason(state, &base, now));
    None
}

fn reason(state: &WatchState, base: &Base, now: Timestamp) -> String {
    let today = local_date(now, &state.tz);
    let year = today.year();
    let days = days_between(base.day, today);
    let last = match state.last_check_in {
        Some(at) => format!("最終記録 {}", moment_ja(at, &state.tz, year)),
        None => "記録なし".to_owned(),
    };
    match base.origin {
        Origin::CheckIn => format!("{days}日間記録がありません（{last}）"),
        Origin::Registration => format!(
            "登録から{days}日間記録がありません（登録 {}）",
            day_ja(base.day, year)
        ),
        Origin::Resolved(at) => format!(
            "前回の対応（{}）の後、{days}日間記録がありません（{last}）",
            moment_ja(at, &state.tz, year)
        ),
        Origin::Pause => format!(
            "見守りの休止（{}まで）の後、{days}日間記録がありません（{last}）",
            day_ja(base.day, year)
        ),
    }
}

/// Closes the open `missed` alert when the check-in at `at` shows it was not
/// due when it opened — always so for a check-in made after the opening.
pub(super) fn on_check_in(
    at: Timestamp,
    state: &WatchState,
    t: &Thresholds,
    actions: &mut Actions<'_>,
) {
    let Some(alert) = state.open_alert(AlertKind::Missed) else {
        return;
    };
    let latest = state.last_check_in.map_or(at, |last| last.max(at));
    let still_due =
        due(&base(state, Some(latest)), state, t).is_some_and(|due| due <= alert.opened_at);
    if !still_due {
        let year = local_date(at, &state.tz).year();
        actions.close(
            alert,
            format!(
                "記録が再開されました（{} の記録）",
                moment_ja(at, &state.tz, year)
            ),
        );
    }
}
