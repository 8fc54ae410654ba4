//! `box_offline` and escalation.

use super::*;

fn with_box(assigned_at: &str, last_contact: Option<&str>) -> WatchState {
    WatchState {
        box_contact: Some(BoxContact {
            assigned_at: jst(assigned_at),
            last_contact: last_contact.map(jst),
        }),
        // Checked in far ahead, so that `missed` stays out of the way.
        last_check_in: Some(jst("2026-12-31 09:00")),
        ..resident()
    }
}

#[test]
fn a_box_silent_for_24_hours_is_offline() {
    let state = with_box("2026-11-01 08:00", Some("2026-11-03 07:10"));
    let t = Thresholds::default();
    let e = evaluate(&state, &t, jst("2026-11-04 07:09:59"));
    assert_eq!(e.actions, []);
    assert_eq!(e.next_due, Some(jst("2026-11-04 07:10")));
    let e = evaluate(&state, &t, jst("2026-11-04 07:10"));
    assert_eq!(
        e.actions,
        [open(
            AlertKind::BoxOffline,
            "端末から24時間通信がありません（最終通信 11月3日 7:10）"
        )]
    );
    let e = evaluate(&state, &t, jst("2026-11-06 07:10"));
    assert_eq!(
        e.actions,
        [open(
            AlertKind::BoxOffline,
            "端末から3日通信がありません（最終通信 11月3日 7:10）"
        )]
    );
}

#[test]
fn a_box_that_never_called_counts_from_its_assignment() {
    let state = with_box("2026-11-01 08:00", None);
    let e = evaluate(&state, &Thresholds::default(), jst("2026-11-02 09:30"));
    assert_eq!(
        e.actions,
        [open(
            AlertKind::BoxOffline,
            "端末の設置から25時間通信がありません（設置 11月1日 8:00）"
        )]
    );
    // A box handed on: its calls for the previous resident do not count.
    let state = with_box("2026-11-01 08:00", Some("2026-10-20 08:00"));
    let e = evaluate(&state, &Thresholds::default(), jst("2026-11-01 09:00"));
    assert_eq!(e.actions, []);
    assert_eq!(e.next_due, Some(jst("2026-11-02 08:00")));
}

#[test]
fn a_nurse_resolving_box_offline_restarts_the_count() {
    let mut state = with_box("2026-11-01 08:00", Some("2026-11-02 09:00"));
    state.last_resolved = vec![(AlertKind::BoxOffline, jst("2026-11-03 10:00"))];
    let t = Thresholds::default();
    let e = evaluate(&state, &t, jst("2026-11-03 10:00"));
    assert_eq!(e.actions, []);
    assert_eq!(e.next_due, Some(jst("2026-11-04 10:00")));
    let e = evaluate(&state, &t, jst("2026-11-04 10:00"));
    assert_eq!(
        e.actions,
        [open(
            AlertKind::BoxOffline,
            "前回の対応（11月3日 10:00）の後、端末から24時間通信がありません（最終通信 11月2日 9:00）"
        )]
    );
    // A later contact counts from the contact again.
    state.box_contact = Some(BoxContact {
        assigned_at: jst("2026-11-01 08:00"),
        last_contact: Some(jst("2026-11-05 07:00")),
    });
    let e = evaluate(&state, &t, jst("2026-11-05 08:00"));
    assert_eq!(e.next_due, Some(jst("2026-11-06 07:00")));
}

#[test]
fn no_box_no_offline_rule() {
    let state = WatchState {
        last_check_in: Some(jst("2026-12-31 09:00")),
        ..resident()
    };
    let e = evaluate(&state, &Thresholds::default(), jst("2026-12-01 00:00"));
    assert_eq!(e.actions, []);
    assert_eq!(
        e.next_due,
        Some(jst("2027-01-02 12:00")),
        "only missed is due"
    );
}

#[test]
fn offline_is_not_repeated_and_honours_overrides() {
    let mut state = with_box("2026-11-01 08:00", Some("2026-11-03 07:10"));
    let t = Thresholds::default().with(&Overrides {
        offline_after: Some(SignedDuration::from_hours(6)),
        ..Overrides::default()
    });
    let e = evaluate(&state, &t, jst("2026-11-03 12:00"));
    assert_eq!(e.next_due, Some(jst("2026-11-03 13:10")));
    state.open_alerts = vec![OpenAlert {
        acknowledged: true,
        ..alert(2, AlertKind::BoxOffline, jst("2026-11-03 13:10"))
    }];
    let e = evaluate(&state, &t, jst("2026-11-09 12:00"));
    assert_eq!(e.actions, []);
}

#[test]
fn an_unacknowledged_alert_escalates_after_four_hours_once() {
    let mut state = with_box("2026-11-01 08:00", Some("2026-12-31 07:00"));
    state.open_alerts = vec![alert(9, AlertKind::Vitals, jst("2026-11-04 09:15"))];
    let t = Thresholds::default();
    let e = evaluate(&state, &t, jst("2026-11-04 13:14:59"));
    assert_eq!(e.actions, []);
    assert_eq!(e.next_due, Some(jst("2026-11-04 13:15")));
    let e = evaluate(&state, &t, jst("2026-11-04 13:15"));
    assert_eq!(
        e.actions,
        [Action::Escalate {
            alert: AlertId(9),
            reason: "「測定値の異常」が4時間確認されていません（発生 11月4日 9:15）".into(),
        }]
    );
    state.open_alerts[0].escalated = true;
    let e = evaluate(&state, &t, jst("2026-11-05 13:15"));
    assert_eq!(e.actions, []);
    assert_eq!(e.next_due, Some(jst("2027-01-01 07:00")), "the box is next");
}

#[test]
fn an_acknowledged_alert_does_not_escalate() {
    let mut state = with_box("2026-11-01 08:00", Some("2026-12-31 07:00"));
    state.open_alerts = vec![OpenAlert {
        acknowledged: true,
        ..alert(9, AlertKind::Sos, jst("2026-11-04 09:15"))
    }];
    let e = evaluate(&state, &Thresholds::default(), jst("2026-11-05 09:15"));
    assert_eq!(e.actions, []);
}

#[test]
fn several_alerts_escalate_in_kind_order_each_once() {
    let mut state = with_box("2026-11-01 08:00", Some("2026-12-31 07:00"));
    let t = Thresholds {
        escalate_after: SignedDuration::from_mins(30),
        ..Thresholds::default()
    };
    state.open_alerts = vec![
        alert(3, AlertKind::Sos, jst("2026-11-04 09:00")),
        alert(2, AlertKind::Missed, jst("2026-11-04 08:00")),
        alert(4, AlertKind::CallRequested, jst("2026-11-04 09:20")),
        // A second open alert of a kind should not exist; it is ignored.
        alert(5, AlertKind::Missed, jst("2026-11-04 08:10")),
    ];
    let e = evaluate(&state, &t, jst("2026-11-04 09:40"));
    let escalated: Vec<AlertId> = e
        .actions
        .iter()
        .map(|a| match a {
            Action::Escalate { alert, .. } => *alert,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(escalated, [AlertId(2), AlertId(3)]);
    assert_eq!(e.next_due, Some(jst("2026-11-04 09:50")));
    let Action::Escalate { reason, .. } = &e.actions[1] else {
        unreachable!()
    };
    assert_eq!(
        reason,
        "「緊急通報」が40分確認されていません（発生 11月4日 9:00）"
    );
}
