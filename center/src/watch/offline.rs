//! `box_offline`: the box has not called for `offline_after`.

use jiff::Timestamp;

use super::actions::Actions;
use super::calendar::{after, duration_ja, local_date, moment_ja};
use super::{Thresholds, WatchState};
use crate::domain::AlertKind;

/// Opens `box_offline` when due; returns when it will be, if later.
///
/// Silence is counted from the box's last contact, or from its assignment
/// to the resident if that is later (a box handed on from another resident
/// starts afresh) or the box never called.
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
    let (base, heard) = match contact.last_contact {
        Some(last) if last >= contact.assigned_at => (last, true),
        _ => (contact.assigned_at, false),
    };
    let due = after(base, t.offline_after)?;
    if now < due {
        return Some(due);
    }
    actions.open(AlertKind::BoxOffline, || {
        let year = local_date(now, &state.tz).year();
        let silent = duration_ja(now.duration_since(base));
        let when = moment_ja(base, &state.tz, year);
        if heard {
            format!("端末から{silent}通信がありません（最終通信 {when}）")
        } else {
            format!("端末の設置から{silent}通信がありません（設置 {when}）")
        }
    });
    None
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
