//! The watch engine: the rules that open, escalate and close alerts.
//!
//! Everything here is a pure function of what the store knows about one
//! resident ([`WatchState`]), the resident's [`Thresholds`] and an instant
//! passed in by the caller; nothing reads the clock or does I/O. The store
//! applies the [`Action`]s it gets back.
//!
//! * [`evaluate`] — the time-driven rules: `missed` (no check-in by the
//!   daily deadline for `missed_days` days), `box_offline` (no contact from
//!   the box for `offline_after`) and escalation of alerts left
//!   unacknowledged for `escalate_after`. It also says when to look again:
//!   [`Evaluation::next_due`], which the store keeps in an index so that a
//!   sweep reads only the residents that are due.
//! * [`on_check_in`] — the event rules of a new check-in: `call_requested`,
//!   `vitals`, `declining`, and closing an open `missed` alert.
//! * [`on_sos`] and [`on_box_contact`] — an SOS opens `sos`; any contact
//!   from the box closes `box_offline`.
//! * [`on_room_reading`] — `room_heat` when the room's 暑さ指数 has stayed
//!   at 危険 for `room_heat_after`; closed once it is below 厳重警戒.
//!
//! A resident never has two open alerts of one kind, and one call never
//! returns two actions for one kind. A pause (入院中, 旅行中) holds back the
//! kinds that [`AlertKind::suppressed_by_pause`] names.
//!
//! ```
//! use jiff::Timestamp;
//! use mimamori_center::domain::AlertKind;
//! use mimamori_center::watch::{Action, Thresholds, WatchState, evaluate};
//!
//! let registered: Timestamp = "2026-11-01T09:00:00+09:00".parse()?;
//! let mut state = WatchState::new(registered);
//! state.last_check_in = Some("2026-11-02T09:00:00+09:00".parse()?); // a Monday
//! let t = Thresholds::default();
//!
//! // Tuesday evening: nothing yet; look again on Wednesday at the deadline.
//! let tuesday: Timestamp = "2026-11-03T20:00:00+09:00".parse()?;
//! let e = evaluate(&state, &t, tuesday);
//! assert!(e.actions.is_empty());
//! assert_eq!(e.next_due, Some("2026-11-04T12:00:00+09:00".parse()?));
//!
//! // Wednesday noon: two days without a record.
//! let e = evaluate(&state, &t, e.next_due.unwrap());
//! assert_eq!(
//!     e.actions,
//!     [Action::Open {
//!         kind: AlertKind::Missed,
//!         reason: "2日間記録がありません（最終記録 11月2日 9:00）".into(),
//!     }]
//! );
//! # Ok::<(), jiff::Error>(())
//! ```

mod actions;
mod calendar;
mod declining;
mod escalation;
mod missed;
mod offline;
mod room;
mod thresholds;
mod vitals;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use mimamori_protocol::{CheckIn, Condition, Tenths, TimeOfDay};

use crate::domain::{AlertId, AlertKind};
use actions::Actions;

pub use room::{RoomReading, on_room_reading};
pub use thresholds::{Overrides, Thresholds};

/// The daily deadline for a check-in unless the resident has another: 12:00.
pub const DEFAULT_DEADLINE: TimeOfDay = match TimeOfDay::new(12, 0) {
    Some(t) => t,
    None => unreachable!(),
};

/// The time zone of the calendar rules unless the resident has another.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Tokyo";

/// What the engine needs to know about one resident; the store loads it.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchState {
    /// The resident's time zone: calendar days and the deadline are on this
    /// clock. [`DEFAULT_TIME_ZONE`] unless set otherwise.
    pub tz: TimeZone,
    /// The daily deadline for the day's check-in ([`DEFAULT_DEADLINE`]).
    pub deadline: TimeOfDay,
    /// When the resident was registered; days are counted from here until
    /// the first check-in.
    pub watched_since: Timestamp,
    /// The watch is paused (入院中, 旅行中) through this day, inclusive.
    pub paused_through: Option<Date>,
    /// The latest check-in the center has stored.
    pub last_check_in: Option<Timestamp>,
    /// The resident's box; `None` when no box is assigned (then there is no
    /// `box_offline` rule).
    pub box_contact: Option<BoxContact>,
    /// The resident's alerts that are open or acknowledged (not resolved).
    pub open_alerts: Vec<OpenAlert>,
    /// When a nurse last resolved an alert of a kind, for the kinds that
    /// have been (automatic closes do not count). A resolved `missed` or
    /// `box_offline` alert restarts its counting from then, so that it does
    /// not open again at once while the silence goes on.
    pub last_resolved: Vec<(AlertKind, Timestamp)>,
}

impl WatchState {
    /// A resident registered at `watched_since`, with the default time zone
    /// and deadline, no pause, no check-in, no box and no alerts.
    pub fn new(watched_since: Timestamp) -> Self {
        Self {
            tz: default_time_zone(),
            deadline: DEFAULT_DEADLINE,
            watched_since,
            paused_through: None,
            last_check_in: None,
            box_contact: None,
            open_alerts: Vec::new(),
            last_resolved: Vec::new(),
        }
    }

    /// The open (or acknowledged) alert of `kind`, the oldest if the store
    /// somehow holds more than one.
    pub fn open_alert(&self, kind: AlertKind) -> Option<&OpenAlert> {
        self.open_alerts
            .iter()
            .filter(|a| a.kind == kind)
            .min_by_key(|a| (a.opened_at, a.id))
    }

    /// When a nurse last resolved an alert of `kind`.
    pub fn resolved_at(&self, kind: AlertKind) -> Option<Timestamp> {
        self.last_resolved
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, at)| *at)
            .max()
    }

    /// Whether the watch is paused on `day` (a day of the resident's
    /// calendar).
    pub fn is_paused_on(&self, day: Date) -> bool {
        self.paused_through.is_some_and(|through| day <= through)
    }
}

/// [`DEFAULT_TIME_ZONE`]; the bundled database always has it, and a fixed
/// +09:00 stands in should it ever not.
fn default_time_zone() -> TimeZone {
    TimeZone::get(DEFAULT_TIME_ZONE).unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(9)))
}

/// What the center knows of the resident's box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxContact {
    /// When the box was assigned to the resident.
    pub assigned_at: Timestamp,
    /// The box's latest contact (any sync), if it has ever called.
    pub last_contact: Option<Timestamp>,
}

/// An alert that is open or acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenAlert {
    /// The alert's number.
    pub id: AlertId,
    /// Why it was opened.
    pub kind: AlertKind,
    /// When it was opened.
    pub opened_at: Timestamp,
    /// Whether a nurse has taken it.
    pub acknowledged: bool,
    /// Whether it has been escalated already.
    pub escalated: bool,
}

/// What the store should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open an alert of `kind`; `reason` is Japanese for the nurses, e.g.
    /// `2日間記録がありません（最終記録 11月26日 9:05）`.
    Open {
        /// The kind of alert.
        kind: AlertKind,
        /// Why, for the nurses.
        reason: String,
    },
    /// Escalate an alert that nobody has acknowledged in time.
    Escalate {
        /// The alert.
        alert: AlertId,
        /// Why, for the nurses.
        reason: String,
    },
    /// Close an alert because its cause went away (an automatic resolve).
    Close {
        /// The alert.
        alert: AlertId,
        /// Why, for the nurses.
        reason: String,
    },
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// What is due now.
    pub actions: Vec<Action>,
    /// The earliest instant after `now` at which a rule that is not acting
    /// now becomes due, if nothing else happens; `None` if never. Before it
    /// [`evaluate`] returns the same actions as now; at it, more. Alerts
    /// opened by `actions` are not counted (their escalation): the store
    /// applies the actions and calls [`evaluate`] again.
    pub next_due: Option<Timestamp>,
}

/// One earlier check-in, as the event rules need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PastCheckIn {
    /// When it was made.
    pub at: Timestamp,
    /// よい / ふつう / わるい.
    pub condition: Condition,
    /// The weight entered, if any.
    pub weight_kg: Option<Tenths>,
}

/// The time-driven rules — `missed`, `box_offline` and escalation — as of
/// `now`.
///
/// The store calls it when `now >= next_due` (a sweep) and after every
/// change to the resident, and keeps [`Evaluation::next_due`] in its index.
/// Actions come in a fixed order: opens (`missed`, then `box_offline`), then
/// escalations (by kind).
///
/// * `missed`: the base day is the latest of the day of the last check-in
///   (of registration, if none), the last day of the pause and the day a
///   nurse last resolved a `missed` alert. At the
///   deadline on the `missed_days`-th day after it, `missed` opens. Because
///   counting restarts after a pause, that instant never falls within one.
/// * `box_offline`: `offline_after` after the box's last contact, its
///   assignment or a nurse's last resolution of `box_offline`, whichever is
///   latest.
/// * escalation: `escalate_after` after an alert opened, if it is neither
///   acknowledged nor escalated. Once.
pub fn evaluate(state: &WatchState, t: &Thresholds, now: Timestamp) -> Evaluation {
    let mut actions = Actions::new(state);
    let next_due = [
        missed::evaluate(state, t, now, &mut actions),
        offline::evaluate(state, t, now, &mut actions),
        escalation::evaluate(state, t, now, &mut actions),
    ]
    .into_iter()
    .flatten()
    .min();
    Evaluation {
        actions: actions.into_vec(),
        next_due,
    }
}

/// The event rules for a check-in just stored, made at `at`.
///
/// * closes an open `missed` alert when the check-in shows that it was not
///   (or is no longer) due: any check-in made after the alert opened, or an
///   older one delivered late that moves the deadline past the opening;
/// * `call_requested` when the resident asked for a call;
/// * `vitals` when a measurement is out of range: systolic at or above
///   `systolic_high` or at or below `systolic_low`, diastolic at or above
///   `diastolic_high`, temperature at or above `temperature_high`, or a
///   weight `weight_gain` or more above the lowest of the `weight_window_days`
///   days before;
/// * `declining` when the last `declining_days` check-in days were all わるい,
///   or when each of the last `decline_recent_days` check-in days was worse
///   than the median day of the `decline_baseline_days` days before them
///   (with at least 3 check-in days in that baseline). A day counts as its
///   worst check-in. Days within a pause do not count, and nothing opens
///   while paused. A check-in better than an earlier one of its day brings
///   no news and opens nothing.
///
/// `history` holds earlier check-ins in any order, at least those of the
/// [`Thresholds::history_days`] days before the day of `at`; older ones and
/// ones after `at` are ignored, and so is the check-in itself should it be
/// there already. `state.last_check_in` may or may not count this check-in.
///
/// Actions come in a fixed order: close `missed`, then opens of
/// `call_requested`, `vitals`, `declining`.
pub fn on_check_in(
    check_in: &CheckIn,
    at: Timestamp,
    history: &[PastCheckIn],
    state: &WatchState,
    t: &Thresholds,
) -> Vec<Action> {
    let mut actions = Actions::new(state);
    missed::on_check_in(at, state, t, &mut actions);
    if check_in.call_requested {
        let reason = format!(
            "連絡を希望しています（{} の記録、体調「{}」）",
            calendar::moment_ja(at, &state.tz, calendar::local_date(at, &state.tz).year()),
            check_in.condition.label_ja()
        );
        actions.open(AlertKind::CallRequested, || reason);
    }
    if let Some(reason) = vitals::check(&check_in.vitals, at, history, state, t) {
        actions.open(AlertKind::Vitals, || reason);
    }
    if let Some(reason) = declining::check(check_in.condition, at, history, state, t) {
        actions.open(AlertKind::Declining, || reason);
    }
    actions.into_vec()
}

/// An SOS from the box: opens `sos` at once, unless one is open.
pub fn on_sos(state: &WatchState) -> Vec<Action> {
    let mut actions = Actions::new(state);
    actions.open(AlertKind::Sos, || "緊急通報がありました".to_owned());
    actions.into_vec()
}

/// Any contact from the box at `at` (any sync): closes an open `box_offline`
/// alert.
pub fn on_box_contact(state: &WatchState, at: Timestamp) -> Vec<Action> {
    let mut actions = Actions::new(state);
    offline::on_contact(state, at, &mut actions);
    actions.into_vec()
}

#[cfg(test)]
mod tests;
