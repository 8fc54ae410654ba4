//! `box_offline`: the box has not called for `offline_after`.

use jiff::Timestamp;

use jiff::civil::Date;
use mimamori_protocol::TimeOfDay;

use super::actions::Actions;
use super::calendar::{add_days, after, day_ja, duration_ja, instant_on, local_date, moment_ja};
use super::{Thresholds, WatchState};
use crate::domain::AlertKind;

/// Opens `box_offline` when due; returns when it will be, if later.
///
/// Silence is counted from the box's last contact, or from its assignment
/// to the resident if that is later (a box handed on from another resident
/// starts afresh) or the box never called, or from a nurse's last resolution
/// of `box_offline` if that is later still, or from the end of a pause (the
/// midnight after its last day): a box left off during a hospital stay or a
/// trip is expected, and only its silence after the return is news.
pub(super) fn evaluate(
    state: &WatchState,
    t: &Thresholds,
    now: Timestamp,
    actions: &mut Actions<'_>,
) -> Option<Timestamp> {
    let contact = state.box_contact?;
    if state.open_alert(AlertKind::BoxOffline).is_some() {
        return None;
    }
    let mut base = (contact.assigned_at, Since::Assigned);
    if let Some(last) = contact.last_contact.filter(|last| *last >= base.0) {
        base = (last, Since::Contact);
    }
    if let Some(resolved) = state
        .resolved_at(AlertKind::BoxOffline)
        .filter(|resolved| *resolved > base.0)
    {
        base = (resolved, Since::Resolved);
    }
    if let Some(through) = state.paused_through {
        if let Some(end) = add_days(through, 1)
            .zip(TimeOfDay::new(0, 0))
            .and_then(|(day, midnight)| instant_on(day, midnight, &state.tz))
            .filter(|end| *end > base.0)
        {
            base = (end, Since::PauseEnd(through));
        }
    }
    let (base, since) = base;
    let due = after(base, t.offline_after)?;
    if now < due {
        return Some(due);
    }
    actions.open(AlertKind::BoxOffline, || {
        let year = local_date(now, &state.tz).year();
        let silent = duration_ja(now.duration_since(base));
        let when = moment_ja(base, &state.tz, year);
        let last = contact.last_contact.map_or_else(
            || "通信なし".to_owned(),
            |last| format!("最終通信 {}", moment_ja(last, &state.tz, year)),
        );
        match since {
            Since::Contact => format!("端末から{silent}通信がありません（{last}）"),
            Since::Assigned => format!("端末の設置から{silent}通信がありません（設置 {when}）"),
            Since::Resolved => {
                format!("前回の対応（{when}）の後、端末から{silent}通信がありません（{last}）")
            }
            Since::PauseEnd(through) => format!(
                "見守りの休止（{}まで）の後、端末から{silent}通信がありません（{last}）",
                day_ja(through, year)
            ),
        }
    });
    None
}

/// What silence is counted from.
enum Since {
    Assigned,
    Contact,
    Resolved,
    /// The pause through this day.
    PauseEnd(Date),
}

/// Closes the open `box_offline` alert: the box called at `at`.
pub(super) fn on_contact(state: &WatchState, at: Timestamp, actions: &mut Actions<'_>) {
    if let Some(alert) = state.open_alert(AlertKind::BoxOffline) {
        let year = local_date(at, &state.tz).year();
        actions.close(
            alert,
            format!(
                "端末との通信が再開されました（{}）",
                moment_ja(at, &state.tz, year)
            ),
        );
    }
}
