//! The event rules of a check-in: vitals, a call requested, their order.

use super::*;

fn with_vitals(vitals: Vitals) -> CheckIn {
    CheckIn {
        vitals,
        ..check_in(Condition::Fair)
    }
}

fn bp(systolic_mmhg: u16, diastolic_mmhg: u16) -> Vitals {
    Vitals {
        blood_pressure: Some(BloodPressure {
            systolic_mmhg,
            diastolic_mmhg,
        }),
        ..Vitals::default()
    }
}

fn weight(kg: Tenths) -> Vitals {
    Vitals {
        weight_kg: Some(kg),
        ..Vitals::default()
    }
}

fn weighed(at: &str, kg: Tenths) -> PastCheckIn {
    PastCheckIn {
        weight_kg: Some(kg),
        ..past(at, Condition::Fair)
    }
}

/// The reason of the `vitals` alert the check-in opens, if any.
fn vitals_reason(check_in: &CheckIn, history: &[PastCheckIn], t: &Thresholds) -> Option<String> {
    let state = resident_checked_in("2026-11-09 09:00");
    let actions = on_check_in(check_in, jst("2026-11-10 09:00"), history, &state, t);
    match actions.as_slice() {
        [] => None,
        [
            Action::Open {
                kind: AlertKind::Vitals,
                reason,
            },
        ] => Some(reason.clone()),
        other => panic!("{other:?}"),
    }
}

fn reason_for(vitals: Vitals) -> Option<String> {
    vitals_reason(&with_vitals(vitals), &[], &Thresholds::default())
}

#[test]
fn blood_pressure_at_its_edges() {
    assert_eq!(reason_for(bp(179, 95)), None);
    assert_eq!(
        reason_for(bp(180, 95)).as_deref(),
        Some("血圧 180/95 mmHg（上 180 以上）")
    );
    assert_eq!(reason_for(bp(91, 60)), None);
    assert_eq!(
        reason_for(bp(90, 60)).as_deref(),
        Some("血圧 90/60 mmHg（上 90 以下）")
    );
    assert_eq!(reason_for(bp(150, 109)), None);
    assert_eq!(
        reason_for(bp(150, 110)).as_deref(),
        Some("血圧 150/110 mmHg（下 110 以上）")
    );
    assert_eq!(
        reason_for(bp(186, 115)).as_deref(),
        Some("血圧 186/115 mmHg（上 180 以上・下 110 以上）")
    );
}

#[test]
fn temperature_at_its_edge() {
    let temp = |t: Tenths| Vitals {
        temperature_c: Some(t),
        ..Vitals::default()
    };
    assert_eq!(reason_for(temp(Tenths::new(37, 9))), None);
    assert_eq!(
        reason_for(temp(Tenths::new(38, 0))).as_deref(),
        Some("体温 38.0 ℃（38.0 ℃ 以上）")
    );
}

#[test]
fn several_findings_make_one_alert() {
    let vitals = Vitals {
        temperature_c: Some(Tenths::new(38, 4)),
        pulse_bpm: Some(120),
        ..bp(186, 95)
    };
    assert_eq!(
        reason_for(vitals).as_deref(),
        Some("血圧 186/95 mmHg（上 180 以上）、体温 38.4 ℃（38.0 ℃ 以上）")
    );
}

#[test]
fn weight_gain_against_the_lowest_of_the_window() {
    let t = Thresholds::default();
    // Check-in on 11-10 09:00; the window reaches back to 11-07 00:00.
    let history = [
        weighed("2026-11-06 23:59", Tenths::new(50, 0)), // outside
        weighed("2026-11-07 00:00", Tenths::new(52, 0)),
        weighed("2026-11-08 09:00", Tenths::new(52, 5)),
        weighed("2026-11-10 08:00", Tenths::new(53, 0)),
        weighed("2026-11-10 10:00", Tenths::new(40, 0)), // after the check-in
        past("2026-11-09 09:00", Condition::Fair),       // no weight
    ];
    let gained = |kg| vitals_reason(&with_vitals(weight(kg)), &history, &t);
    assert_eq!(gained(Tenths::new(53, 9)), None);
    assert_eq!(
        gained(Tenths::new(54, 0)).as_deref(),
        Some("体重 54.0 kg（3日間で 2.0 kg 増加、最低 52.0 kg）")
    );
    // Nothing to compare with.
    assert_eq!(
        vitals_reason(&with_vitals(weight(Tenths::new(90, 0))), &[], &t),
        None
    );
    // A wider window, for one resident.
    let wide = t.with(&Overrides {
        weight_window_days: Some(4),
        weight_gain: Some(Tenths::new(3, 5)),
        ..Overrides::default()
    });
    assert_eq!(
        vitals_reason(&with_vitals(weight(Tenths::new(53, 5))), &history, &wide).as_deref(),
        Some("体重 53.5 kg（4日間で 3.5 kg 増加、最低 50.0 kg）")
    );
}

#[test]
fn thresholds_are_per_resident() {
    let t = Thresholds::default().with(&Overrides {
        systolic_high: Some(160),
        temperature_high: Some(Tenths::new(37, 5)),
        ..Overrides::default()
    });
    let vitals = Vitals {
        temperature_c: Some(Tenths::new(37, 5)),
        ..bp(165, 90)
    };
    assert_eq!(
        vitals_reason(&with_vitals(vitals), &[], &t).as_deref(),
        Some("血圧 165/90 mmHg（上 160 以上）、体温 37.5 ℃（37.5 ℃ 以上）")
    );
}

#[test]
fn a_call_request_opens_at_once() {
    let state = resident_checked_in("2026-11-09 09:00");
    let call = CheckIn {
        call_requested: true,
        ..check_in(Condition::Fair)
    };
    let actions = on_check_in(
        &call,
        jst("2026-11-10 09:05"),
        &[],
        &state,
        &Thresholds::default(),
    );
    assert_eq!(
        actions,
        [open(
            AlertKind::CallRequested,
            "連絡を希望しています（11月10日 9:05 の記録、体調「ふつう」）"
        )]
    );
}

#[test]
fn vitals_and_calls_are_not_held_back_by_a_pause_but_not_repeated() {
    let mut state = resident_checked_in("2026-11-09 09:00");
    state.paused_through = Some(date(2026, 11, 20));
    let t = Thresholds::default();
    let both = CheckIn {
        call_requested: true,
        vitals: bp(200, 100),
        ..check_in(Condition::Poor)
    };
    let history = [past("2026-11-09 09:00", Condition::Poor)];
    let actions = on_check_in(&both, jst("2026-11-10 09:05"), &history, &state, &t);
    assert_eq!(
        opened(&actions),
        [AlertKind::CallRequested, AlertKind::Vitals]
    );
    state.open_alerts = vec![
        alert(1, AlertKind::CallRequested, jst("2026-11-10 09:05")),
        alert(2, AlertKind::Vitals, jst("2026-11-10 09:05")),
    ];
    let actions = on_check_in(&both, jst("2026-11-10 19:05"), &history, &state, &t);
    assert_eq!(actions, []);
}

#[test]
fn every_rule_at_once_in_a_fixed_order() {
    let mut state = resident_checked_in("2026-11-07 09:00");
    state.open_alerts = vec![alert(1, AlertKind::Missed, jst("2026-11-09 12:00"))];
    let everything = CheckIn {
        call_requested: true,
        vitals: bp(200, 100),
        ..check_in(Condition::Poor)
    };
    let history = [past("2026-11-07 09:00", Condition::Poor)];
    let actions = on_check_in(
        &everything,
        jst("2026-11-10 09:05"),
        &history,
        &state,
        &Thresholds::default(),
    );
    assert_eq!(
        actions,
        [
            Action::Close {
                alert: AlertId(1),
                reason: "記録が再開されました（11月10日 9:05 の記録）".into(),
            },
            open(
                AlertKind::CallRequested,
                "連絡を希望しています（11月10日 9:05 の記録、体調「わるい」）"
            ),
            open(AlertKind::Vitals, "血圧 200/100 mmHg（上 180 以上）"),
            open(
                AlertKind::Declining,
                "記録のあった直近2日すべて「わるい」と回答しています（11月7日、11月10日）"
            ),
        ]
    );
}
