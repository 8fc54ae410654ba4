//! Escalation: an alert left open and unacknowledged for `escalate_after`.

use jiff::Timestamp;

use super::actions::Actions;
use super::calendar::{after, duration_ja, local_date, moment_ja};
use super::{Thresholds, WatchState};
use crate::domain::AlertKind;

/// Escalates the alerts that are due, once each; returns when the next one
/// will be. Only the oldest alert of a kind is looked at: there should never
/// be two.
pub(super) fn evaluate(
    state: &WatchState,
    t: &Thresholds,
    now: Timestamp,
    actions: &mut Actions<'_>,
) -> Option<Timestamp> {
    let mut next: Option<Timestamp> = None;
    for &kind in AlertKind::ALL {
        let Some(alert) = state.open_alert(kind) else {
            continue;
        };
        if alert.acknowledged || alert.escalated {
            continue;
        }
        let Some(due) = after(alert.opened_at, t.escalate_after) else {
            continue;
        };
        if now < due {
            next = Some(next.map_or(due, |n| n.min(due)));
            continue;
        }
        let year = local_date(now, &state.tz).year();
        let reason = format!(
            "「{}」が{}確認されていません（発生 {}）",
            kind.label_ja(),
            duration_ja(now.duration_since(alert.opened_at)),
            moment_ja(alert.opened_at, &state.tz, year)
        );
        actions.escalate(alert, reason);
    }
    next
}
