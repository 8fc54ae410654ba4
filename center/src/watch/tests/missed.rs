//! `missed`: the deadline, the base day, pauses, and closing on a check-in.

use super::*;

fn missed_at(state: &WatchState, now: Timestamp) -> Evaluation {
    evaluate(state, &Thresholds::default(), now)
}

/// The instant `missed` opens for `state` under `t`, checked from both
/// sides: nothing a nanosecond before, an open at it.
fn due(state: &WatchState, t: &Thresholds) -> Timestamp {
    let early = evaluate(state, t, state.watched_since);
    let due = early.next_due.expect("a due instant");
    let before = evaluate(state, t, due - SignedDuration::from_nanos(1));
    assert_eq!(before.actions, [], "nothing before {due}");
    assert_eq!(before.next_due, Some(due));
    let at = evaluate(state, t, due);
    assert_eq!(opened(&at.actions), [AlertKind::Missed], "at {due}");
    due
}

#[test]
fn monday_morning_then_silence_opens_on_wednesday_at_the_deadline() {
    let state = resident_checked_in("2026-11-02 09:05"); // Monday
    let e = missed_at(&state, jst("2026-11-04 11:59:59"));
    assert_eq!(e.actions, []);
    assert_eq!(e.next_due, Some(jst("2026-11-04 12:00")));
    let e = missed_at(&state, jst("2026-11-04 12:00"));
    assert_eq!(
        e.actions,
        [open(
            AlertKind::Missed,
            "2日間記録がありません（最終記録 11月2日 9:05）"
        )]
    );
    assert_eq!(e.next_due, None);
    // A sweep that runs late says how long it has really been.
    let e = missed_at(&state, jst("2026-11-05 18:00"));
    assert_eq!(
        e.actions,
        [open(
            AlertKind::Missed,
            "3日間記録がありません（最終記録 11月2日 9:05）"
        )]
    );
}

#[test]
fn a_check_in_at_2359_counts_for_its_day_and_one_at_0001_for_the_next() {
    let t = Thresholds::default();
    assert_eq!(
        due(&resident_checked_in("2026-11-02 23:59"), &t),
        jst("2026-11-04 12:00")
    );
    assert_eq!(
        due(&resident_checked_in("2026-11-03 00:01"), &t),
        jst("2026-11-05 12:00")
    );
}

#[test]
fn the_deadline_can_sit_at_midnight() {
    let t = Thresholds::default();
    let mut state = resident_checked_in("2026-11-02 23:30");
    state.deadline = TimeOfDay::new(0, 0).unwrap();
    assert_eq!(due(&state, &t), jst("2026-11-04 00:00"));
    state.deadline = TimeOfDay::new(23, 59).unwrap();
    assert_eq!(due(&state, &t), jst("2026-11-04 23:59"));
}

#[test]
fn month_ends_leap_days_and_year_ends() {
    let t = Thresholds::default();
    let cases = [
        ("2027-01-31 09:00", "2027-02-02 12:00"),
        ("2027-02-27 09:00", "2027-03-01 12:00"),
        ("2028-02-27 09:00", "2028-02-29 12:00"),
        ("2028-02-28 09:00", "2028-03-01 12:00"),
        ("2028-02-29 09:00", "2028-03-02 12:00"),
        ("2026-04-30 09:00", "2026-05-02 12:00"),
        ("2026-12-30 09:00", "2027-01-01 12:00"),
        ("2026-12-31 23:59", "2027-01-02 12:00"),
    ];
    for (last, expected) in cases {
        let state = WatchState {
            watched_since: jst("2026-01-01 00:00"),
            last_check_in: Some(jst(last)),
            ..resident()
        };
        assert_eq!(due(&state, &t), jst(expected), "last check-in {last}");
    }
}

#[test]
fn the_year_is_written_when_the_last_record_is_from_last_year() {
    let state = WatchState {
        watched_since: jst("2026-01-01 00:00"),
        last_check_in: Some(jst("2026-12-31 18:30")),
        ..resident()
    };
    let e = missed_at(&state, jst("2027-01-02 12:00"));
    assert_eq!(
        e.actions,
        [open(
            AlertKind::Missed,
            "2日間記録がありません（最終記録 2026年12月31日 18:30）"
        )]
    );
}

#[test]
fn without_check_ins_days_count_from_registration() {
    let state = resident(); // registered 11-01 08:00
    let e = missed_at(&state, jst("2026-11-03 12:00"));
    assert_eq!(
        e.actions,
        [open(
            AlertKind::Missed,
            "登録から2日間記録がありません（登録 11月1日）"
        )]
    );
}

#[test]
fn a_pause_restarts_counting_after_its_last_day() {
    let mut state = resident_checked_in("2026-11-02 09:00");
    state.paused_through = Some(date(2026, 11, 10));
    let e = missed_at(&state, jst("2026-11-10 23:00"));
    assert_eq!(e.actions, []);
    assert_eq!(e.next_due, Some(jst("2026-11-12 12:00")));
    let e = missed_at(&state, jst("2026-11-12 12:00"));
    assert_eq!(
        e.actions,
        [open(
            AlertKind::Missed,
            "見守りの休止（11月10日まで）の後、2日間記録がありません（最終記録 11月2日 9:00）"
        )]
    );
    // A pause that ended before the last check-in changes nothing.
    state.paused_through = Some(date(2026, 11, 1));
    assert_eq!(due(&state, &Thresholds::default()), jst("2026-11-04 12:00"));
}

#[test]
fn missed_days_is_per_resident_and_at_least_one() {
    let state = resident_checked_in("2026-11-02 09:00");
    let three = Thresholds::default().with(&Overrides {
        missed_days: Some(3),
        ..Overrides::default()
    });
    assert_eq!(due(&state, &three), jst("2026-11-05 12:00"));
    let zero = Thresholds {
        missed_days: 0,
        ..Thresholds::default()
    };
    assert_eq!(due(&state, &zero), jst("2026-11-03 12:00"));
}

#[test]
fn another_time_zone_moves_the_day_and_the_deadline() {
    let utc = TimeZone::UTC;
    let state = WatchState {
        tz: utc.clone(),
        watched_since: at_in(&utc, "2026-11-01 00:00"),
        // 23:30 UTC on Monday is 08:30 on Tuesday in Tokyo.
        last_check_in: Some(at_in(&utc, "2026-11-02 23:30")),
        ..resident()
    };
    assert_eq!(
        due(&state, &Thresholds::default()),
        at_in(&utc, "2026-11-04 12:00")
    );
    let tokyo_state = WatchState {
        tz: tokyo(),
        ..state.clone()
    };
    assert_eq!(
        due(&tokyo_state, &Thresholds::default()),
        jst("2026-11-05 12:00")
    );
}

#[test]
fn an_open_missed_alert_is_not_opened_again() {
    let mut state = resident_checked_in("2026-11-02 09:00");
    state.open_alerts = vec![alert(1, AlertKind::Missed, jst("2026-11-04 12:00"))];
    let e = missed_at(&state, jst("2026-11-06 12:00"));
    // Only its escalation is left to do.
    assert_eq!(
        e.actions,
        [Action::Escalate {
            alert: AlertId(1),
            reason: "「記録が途絶えています」が2日確認されていません（発生 11月4日 12:00）".into(),
        }]
    );
    assert_eq!(e.next_due, None);
}

#[test]
fn a_check_in_closes_the_open_missed_alert() {
    let mut state = resident_checked_in("2026-11-02 09:00");
    state.open_alerts = vec![alert(4, AlertKind::Missed, jst("2026-11-04 12:00"))];
    let t = Thresholds::default();
    let actions = on_check_in(
        &check_in(Condition::Fair),
        jst("2026-11-05 08:00"),
        &[],
        &state,
        &t,
    );
    assert_eq!(
        actions,
        [Action::Close {
            alert: AlertId(4),
            reason: "記録が再開されました（11月5日 8:00 の記録）".into(),
        }]
    );
}

#[test]
fn a_late_check_in_closes_only_an_alert_it_proves_premature() {
    let mut state = resident_checked_in("2026-11-02 09:00");
    state.open_alerts = vec![alert(4, AlertKind::Missed, jst("2026-11-04 12:00"))];
    let t = Thresholds::default();
    // Made on Tuesday, delivered after the alert: with it, nothing was due
    // before Thursday noon.
    let tuesday = on_check_in(
        &check_in(Condition::Good),
        jst("2026-11-03 09:00"),
        &[],
        &state,
        &t,
    );
    assert_eq!(
        tuesday,
        [Action::Close {
            alert: AlertId(4),
            reason: "記録が再開されました（11月3日 9:00 の記録）".into(),
        }]
    );
    // Older than the last one known: it changes nothing.
    let sunday = on_check_in(
        &check_in(Condition::Good),
        jst("2026-11-01 09:00"),
        &[],
        &state,
        &t,
    );
    assert_eq!(sunday, []);
    // Already counted by the store as the last check-in: the same answer.
    state.last_check_in = Some(jst("2026-11-03 09:00"));
    let again = on_check_in(
        &check_in(Condition::Good),
        jst("2026-11-03 09:00"),
        &[],
        &state,
        &t,
    );
    assert_eq!(again.len(), 1);
}

#[test]
fn a_nurse_resolving_missed_restarts_the_count() {
    let mut state = resident_checked_in("2026-11-02 09:00");
    state.last_resolved = vec![
        (AlertKind::Sos, jst("2026-11-09 10:00")),
        (AlertKind::Missed, jst("2026-11-03 16:00")),
        (AlertKind::Missed, jst("2026-11-04 16:00")),
    ];
    let e = missed_at(&state, jst("2026-11-04 17:00"));
    assert_eq!(e.actions, []);
    assert_eq!(e.next_due, Some(jst("2026-11-06 12:00")));
    let e = missed_at(&state, jst("2026-11-06 12:00"));
    assert_eq!(
        e.actions,
        [open(
            AlertKind::Missed,
            "前回の対応（11月4日 16:00）の後、2日間記録がありません（最終記録 11月2日 9:00）"
        )]
    );
    // A resolution before the last check-in changes nothing.
    state.last_resolved = vec![(AlertKind::Missed, jst("2026-11-01 16:00"))];
    assert_eq!(due(&state, &Thresholds::default()), jst("2026-11-04 12:00"));
}
