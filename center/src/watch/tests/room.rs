//! `room_heat` over simulated afternoons: heartbeats every 15 minutes, each
//! reading handed to the rule as the store does, the actions applied.

use super::*;

/// 35 °C, 70 %: 暑さ指数 33.6, 危険.
const DANGER: (i32, i32) = (350, 700);
/// 31 °C, 60 %: 28.2, 厳重警戒.
const SEVERE: (i32, i32) = (310, 600);
/// 28 °C, 50 %: 24.0, 注意.
const COOL: (i32, i32) = (280, 500);

fn reading(at: Timestamp, (t, h): (i32, i32)) -> RoomReading {
    RoomReading {
        at,
        temperature_c: Tenths(t),
        humidity_pct: Tenths(h),
    }
}

/// Feeds heartbeats every 15 minutes from `start`, the room as `room` says
/// for the minutes since `start`; returns what happened, as
/// `(minute, opened or closed, reason)`.
fn afternoon(
    t: &Thresholds,
    start: &str,
    until_minutes: i64,
    room: impl Fn(i64) -> (i32, i32),
) -> Vec<(i64, &'static str, String)> {
    let start = jst(start);
    let mut state = resident();
    let mut seen: Vec<RoomReading> = Vec::new();
    let mut log = Vec::new();
    let mut next_id = 1;
    for minute in (0..=until_minutes).step_by(15) {
        let r = reading(start + SignedDuration::from_mins(minute), room(minute));
        for action in on_room_reading(&r, &seen, &state, t) {
            match action {
                Action::Open { kind, reason } => {
                    assert_eq!(kind, AlertKind::RoomHeat);
                    state.open_alerts.push(alert(next_id, kind, r.at));
                    next_id += 1;
                    log.push((minute, "opened", reason));
                }
                Action::Close { alert, reason } => {
                    state.open_alerts.retain(|a| a.id != alert);
                    log.push((minute, "closed", reason));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        seen.push(r);
    }
    log
}

#[test]
fn an_hour_at_danger_opens_room_heat_once_and_cooling_down_closes_it() {
    // 13:00 to 16:00 at 危険, then 厳重警戒 until 17:30, then cool.
    let log = afternoon(
        &Thresholds::default(),
        "2026-08-10 12:00",
        8 * 60,
        |m| match m {
            60..=240 => DANGER,
            241..=330 => SEVERE,
            0..=59 => COOL,
            _ => COOL,
        },
    );
    assert_eq!(
        log,
        [
            (
                120,
                "opened",
                "室内の暑さ指数が1時間「危険」のままです（8月10日 13:00から。8月10日 14:00に 33.6、室温 35.0℃・湿度 70.0%）"
                    .to_owned()
            ),
            (
                345,
                "closed",
                "室内の暑さ指数が下がりました（8月10日 17:45 24.0「注意」）".to_owned()
            ),
        ]
    );
}

#[test]
fn a_dip_below_danger_starts_the_hour_again() {
    // 危険 from 13:00, one reading at 厳重警戒 at 13:30, 危険 again from 13:45.
    let log = afternoon(
        &Thresholds::default(),
        "2026-08-10 12:00",
        4 * 60,
        |m| match m {
            90 => SEVERE,
            60.. => DANGER,
            _ => COOL,
        },
    );
    let opened: Vec<i64> = log.iter().map(|(m, _, _)| *m).collect();
    assert_eq!(opened, [165], "{log:?}"); // 14:45, an hour after 13:45
}

#[test]
fn the_hour_is_configurable() {
    let t = Thresholds {
        room_heat_after: SignedDuration::from_mins(30),
        ..Thresholds::default()
    };
    let log = afternoon(&t, "2026-08-10 12:00", 3 * 60, |m| {
        if m >= 60 { DANGER } else { COOL }
    });
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].0, 90);
    assert!(
        log[0]
            .2
            .starts_with("室内の暑さ指数が30分「危険」のままです"),
        "{}",
        log[0].2
    );
}

#[test]
fn a_room_that_is_never_dangerous_opens_nothing() {
    let log = afternoon(&Thresholds::default(), "2026-08-10 06:00", 16 * 60, |m| {
        if m % 30 == 0 { SEVERE } else { COOL }
    });
    assert_eq!(log, []);
}

#[test]
fn one_dangerous_reading_or_a_late_one_is_judged_on_what_came_before_it() {
    let t = Thresholds::default();
    let state = resident();
    // The first reading ever: no history, nothing to say yet.
    let first = reading(jst("2026-08-10 14:00"), DANGER);
    assert_eq!(on_room_reading(&first, &[], &state, &t), []);
    // A heartbeat delivered late (the box was offline): readings taken
    // after it do not count towards its hour.
    let later = [
        reading(jst("2026-08-10 14:15"), DANGER),
        reading(jst("2026-08-10 15:30"), DANGER),
    ];
    assert_eq!(on_room_reading(&first, &later, &state, &t), []);
    // With the hour before it at 危険, it opens.
    let before = [
        reading(jst("2026-08-10 12:45"), COOL),
        reading(jst("2026-08-10 13:00"), DANGER),
        reading(jst("2026-08-10 13:30"), DANGER),
    ];
    assert_eq!(
        opened(&on_room_reading(&first, &before, &state, &t)),
        [AlertKind::RoomHeat]
    );
    // Already open: nothing more.
    let open = WatchState {
        open_alerts: vec![alert(1, AlertKind::RoomHeat, jst("2026-08-10 14:00"))],
        ..resident()
    };
    assert_eq!(on_room_reading(&first, &before, &open, &t), []);
}
