//! Unit tests of the rules at their edges. Times are written on the
//! resident's clock (Asia/Tokyo unless a test says otherwise).

use jiff::civil::{DateTime, date};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use mimamori_protocol::{
    Authentication, BloodPressure, CheckIn, Condition, ResidentId, Tenths, TimeOfDay, UidProof,
    Vitals,
};

use super::*;
use crate::domain::{AlertId, AlertKind};

mod check_in;
mod declining;
mod missed;
mod room;
mod timed;

fn tokyo() -> TimeZone {
    TimeZone::get("Asia/Tokyo").unwrap()
}

/// `"2026-11-02 09:00"` on the clock of `tz`.
fn at_in(tz: &TimeZone, text: &str) -> Timestamp {
    text.parse::<DateTime>()
        .unwrap()
        .to_zoned(tz.clone())
        .unwrap()
        .timestamp()
}

/// `"2026-11-02 09:00"` in Tokyo.
fn jst(text: &str) -> Timestamp {
    at_in(&tokyo(), text)
}

/// A resident registered on 2026-11-01 08:00, Tokyo, deadline 12:00.
fn resident() -> WatchState {
    WatchState::new(jst("2026-11-01 08:00"))
}

fn resident_checked_in(at: &str) -> WatchState {
    WatchState {
        last_check_in: Some(jst(at)),
        ..resident()
    }
}

fn alert(id: i64, kind: AlertKind, opened_at: Timestamp) -> OpenAlert {
    OpenAlert {
        id: AlertId(id),
        kind,
        opened_at,
        acknowledged: false,
        escalated: false,
    }
}

fn check_in(condition: Condition) -> CheckIn {
    CheckIn {
        resident: ResidentId(1042),
        condition,
        symptoms: Vec::new(),
        symptom_note: None,
        medication: Vec::new(),
        vitals: Vitals::default(),
        call_requested: false,
        auth: Authentication::CardUid(UidProof {
            uid: "04A1B2C3D4E5F6".parse().unwrap(),
        }),
    }
}

fn past(at: &str, condition: Condition) -> PastCheckIn {
    PastCheckIn {
        at: jst(at),
        condition,
        weight_kg: None,
    }
}

fn open(kind: AlertKind, reason: &str) -> Action {
    Action::Open {
        kind,
        reason: reason.to_owned(),
    }
}

/// The kinds opened by `actions`, failing on anything but opens.
fn opened(actions: &[Action]) -> Vec<AlertKind> {
    actions
        .iter()
        .map(|a| match a {
            Action::Open { kind, .. } => *kind,
            other => panic!("expected only opens, got {other:?}"),
        })
        .collect()
}

#[test]
fn defaults_are_tokyo_and_noon() {
    let state = resident();
    assert_eq!(state.tz, tokyo());
    assert_eq!(state.deadline, TimeOfDay::new(12, 0).unwrap());
    assert_eq!(state.paused_through, None);
    assert!(!state.is_paused_on(date(2026, 11, 1)));
    let paused = WatchState {
        paused_through: Some(date(2026, 11, 10)),
        ..resident()
    };
    assert!(paused.is_paused_on(date(2026, 11, 10)));
    assert!(!paused.is_paused_on(date(2026, 11, 11)));
}

#[test]
fn the_oldest_alert_of_a_kind_is_the_open_one() {
    let mut state = resident();
    state.open_alerts = vec![
        alert(7, AlertKind::Missed, jst("2026-11-05 12:00")),
        alert(3, AlertKind::Missed, jst("2026-11-04 12:00")),
        alert(4, AlertKind::Sos, jst("2026-11-01 12:00")),
    ];
    assert_eq!(state.open_alert(AlertKind::Missed).unwrap().id, AlertId(3));
    assert_eq!(state.open_alert(AlertKind::Vitals), None);
}

#[test]
fn next_due_is_the_earliest_of_all_rules() {
    let mut state = resident_checked_in("2026-11-02 09:00");
    state.box_contact = Some(BoxContact {
        assigned_at: jst("2026-11-01 08:00"),
        last_contact: Some(jst("2026-11-03 07:00")),
    });
    let t = Thresholds::default();
    let now = jst("2026-11-03 06:00");
    // missed Wed 11-04 12:00, offline Wed 11-04 07:00.
    let e = evaluate(&state, &t, now);
    assert_eq!(e.actions, []);
    assert_eq!(e.next_due, Some(jst("2026-11-04 07:00")));
    // An unacknowledged SOS escalates before either.
    state.open_alerts = vec![alert(1, AlertKind::Sos, jst("2026-11-03 05:00"))];
    let e = evaluate(&state, &t, now);
    assert_eq!(e.next_due, Some(jst("2026-11-03 09:00")));
}

#[test]
fn nothing_to_watch_means_never_due() {
    let mut state = resident_checked_in("2026-11-02 09:00");
    state.open_alerts = vec![OpenAlert {
        acknowledged: true,
        ..alert(1, AlertKind::Missed, jst("2026-11-04 12:00"))
    }];
    let e = evaluate(&state, &Thresholds::default(), jst("2026-11-30 12:00"));
    assert_eq!(
        e,
        Evaluation {
            actions: vec![],
            next_due: None
        }
    );
}

#[test]
fn sos_opens_at_once_but_only_once() {
    let state = resident();
    assert_eq!(
        on_sos(&state),
        [open(AlertKind::Sos, "緊急通報がありました")]
    );
    let state = WatchState {
        open_alerts: vec![alert(1, AlertKind::Sos, jst("2026-11-02 09:00"))],
        ..resident()
    };
    assert_eq!(on_sos(&state), []);
    // A pause does not hold it back.
    let state = WatchState {
        paused_through: Some(date(2026, 12, 31)),
        ..resident()
    };
    assert_eq!(opened(&on_sos(&state)), [AlertKind::Sos]);
}

#[test]
fn box_contact_closes_box_offline_only() {
    let mut state = resident();
    state.box_contact = Some(BoxContact {
        assigned_at: jst("2026-11-01 08:00"),
        last_contact: None,
    });
    assert_eq!(on_box_contact(&state, jst("2026-11-03 08:15")), []);
    state.open_alerts = vec![
        alert(5, AlertKind::Missed, jst("2026-11-03 12:00")),
        alert(6, AlertKind::BoxOffline, jst("2026-11-02 08:00")),
    ];
    assert_eq!(
        on_box_contact(&state, jst("2026-11-03 08:15")),
        [Action::Close {
            alert: AlertId(6),
            reason: "端末との通信が再開されました（11月3日 8:15）".into(),
        }]
    );
}

#[test]
fn dates_outside_the_calendar_never_panic() {
    let t = Thresholds {
        missed_days: u32::MAX,
        declining_days: u32::MAX,
        decline_baseline_days: u32::MAX,
        decline_recent_days: u32::MAX,
        weight_window_days: u32::MAX,
        offline_after: SignedDuration::MAX,
        escalate_after: SignedDuration::MAX,
        ..Thresholds::default()
    };
    let mut state = resident_checked_in("2026-11-02 09:00");
    state.box_contact = Some(BoxContact {
        assigned_at: jst("2026-11-01 08:00"),
        last_contact: None,
    });
    state.open_alerts = vec![alert(1, AlertKind::Sos, jst("2026-11-02 09:00"))];
    let e = evaluate(&state, &t, jst("2026-11-30 12:00"));
    assert_eq!(
        e,
        Evaluation {
            actions: vec![],
            next_due: None
        }
    );
    let history = [past("2026-11-01 09:00", Condition::Poor)];
    let actions = on_check_in(
        &check_in(Condition::Poor),
        jst("2026-11-02 09:00"),
        &history,
        &state,
        &t,
    );
    assert_eq!(actions, []);
}
