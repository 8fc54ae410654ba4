//! `declining`: わるい in a row, the step down, pauses and the window.

use super::*;
use Condition::{Fair, Good, Poor};

/// The reason of the `declining` alert that a check-in with `condition` at
/// `at` opens after `history`, if any.
fn declining(
    condition: Condition,
    at: &str,
    history: &[PastCheckIn],
    state: &WatchState,
    t: &Thresholds,
) -> Option<String> {
    let actions = on_check_in(&check_in(condition), jst(at), history, state, t);
    match actions.as_slice() {
        [] => None,
        [
            Action::Open {
                kind: AlertKind::Declining,
                reason,
            },
        ] => Some(reason.clone()),
        other => panic!("{other:?}"),
    }
}

fn simple(condition: Condition, at: &str, history: &[PastCheckIn]) -> Option<String> {
    declining(condition, at, history, &resident(), &Thresholds::default())
}

/// One check-in a day at 09:00 from `first` on, with these conditions.
fn daily(first: Date, conditions: &[Condition]) -> Vec<PastCheckIn> {
    conditions
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let day = first
                .checked_add(jiff::Span::new().days(i64::try_from(i).unwrap()))
                .unwrap();
            PastCheckIn {
                at: day.at(9, 0, 0, 0).to_zoned(tokyo()).unwrap().timestamp(),
                condition: *c,
                weight_kg: None,
            }
        })
        .collect()
}

#[test]
fn two_poor_days_in_a_row() {
    let history = [past("2026-11-09 09:00", Poor)];
    assert_eq!(
        simple(Poor, "2026-11-10 09:00", &history).as_deref(),
        Some("2日続けて「わるい」と回答しています（11月9日〜11月10日）")
    );
    // One poor day is not yet a decline.
    assert_eq!(simple(Poor, "2026-11-10 09:00", &[]), None);
    let history = [past("2026-11-09 09:00", Fair)];
    assert_eq!(simple(Poor, "2026-11-10 09:00", &history), None);
    // Two on one day are one day.
    let history = [past("2026-11-10 07:00", Poor)];
    assert_eq!(simple(Poor, "2026-11-10 09:00", &history), None);
}

#[test]
fn a_day_counts_as_its_worst_check_in() {
    let history = [
        past("2026-11-09 08:00", Good),
        past("2026-11-09 20:00", Poor),
    ];
    assert_eq!(
        simple(Poor, "2026-11-10 09:00", &history).as_deref(),
        Some("2日続けて「わるい」と回答しています（11月9日〜11月10日）")
    );
    // A better answer later the same day brings no news.
    let history = [
        past("2026-11-09 09:00", Poor),
        past("2026-11-10 07:00", Poor),
    ];
    assert_eq!(simple(Good, "2026-11-10 09:00", &history), None);
}

#[test]
fn check_in_days_need_not_be_calendar_days_in_a_row() {
    let history = [
        past("2026-11-07 09:00", Poor),
        past("2026-11-05 09:00", Good),
    ];
    assert_eq!(
        simple(Poor, "2026-11-10 09:00", &history).as_deref(),
        Some("記録のあった直近2日すべて「わるい」と回答しています（11月7日、11月10日）")
    );
}

#[test]
fn across_a_month_end_and_a_year_end() {
    let history = [past("2027-01-31 21:00", Poor)];
    assert_eq!(
        simple(Poor, "2027-02-01 06:00", &history).as_deref(),
        Some("2日続けて「わるい」と回答しています（1月31日〜2月1日）")
    );
    let history = [past("2026-12-31 23:59", Poor)];
    assert_eq!(
        simple(Poor, "2027-01-01 00:01", &history).as_deref(),
        Some("2日続けて「わるい」と回答しています（2026年12月31日〜1月1日）")
    );
}

#[test]
fn declining_days_is_per_resident() {
    let three = Thresholds::default().with(&Overrides {
        declining_days: Some(3),
        ..Overrides::default()
    });
    let history = daily(date(2026, 11, 8), &[Poor, Poor]);
    assert_eq!(
        declining(Poor, "2026-11-10 09:00", &history, &resident(), &three).as_deref(),
        Some("3日続けて「わるい」と回答しています（11月8日〜11月10日）")
    );
    assert_eq!(
        declining(Poor, "2026-11-10 09:00", &history[1..], &resident(), &three),
        None
    );
    let one = Thresholds {
        declining_days: 1,
        ..Thresholds::default()
    };
    assert_eq!(
        declining(Poor, "2026-11-10 09:00", &[], &resident(), &one).as_deref(),
        Some("「わるい」と回答しています（11月10日）")
    );
}

#[test]
fn a_step_down_held_over_three_days() {
    // Two weeks mostly good, then fair, fair ...
    let mut history = daily(
        date(2026, 11, 1),
        &[
            Good, Good, Fair, Good, Good, Good, Good, Good, Good, Fair, Good, Good, Good, Good,
        ],
    );
    history.extend(daily(date(2026, 11, 15), &[Fair, Fair]));
    assert_eq!(
        simple(Fair, "2026-11-17 09:00", &history).as_deref(),
        Some(
            "体調がふだんより悪い日が続いています（直近3日: ふつう、ふつう、ふつう／ふだん: よい）"
        )
    );
    // ... two days are not enough.
    assert_eq!(simple(Fair, "2026-11-16 09:00", &history[..15]), None);
    // ... and a good day among them breaks it.
    assert_eq!(simple(Good, "2026-11-17 09:00", &history), None);
}

#[test]
fn no_step_down_from_a_fair_usual() {
    let mut history = daily(date(2026, 11, 1), &[Fair, Good, Fair, Fair, Good, Fair]);
    history.extend(daily(date(2026, 11, 7), &[Fair, Fair]));
    assert_eq!(simple(Fair, "2026-11-09 09:00", &history), None);
}

#[test]
fn an_even_baseline_takes_the_worse_middle_day() {
    // Baseline good, good, fair, fair: usual is ふつう, so fair is no step down.
    let mut history = daily(date(2026, 11, 1), &[Good, Fair, Good, Fair]);
    history.extend(daily(date(2026, 11, 5), &[Fair, Fair]));
    assert_eq!(simple(Fair, "2026-11-07 09:00", &history), None);
    // Good, good, good, fair: usual is よい.
    let mut history = daily(date(2026, 11, 1), &[Good, Fair, Good, Good]);
    history.extend(daily(date(2026, 11, 5), &[Fair, Fair]));
    assert_eq!(
        simple(Fair, "2026-11-07 09:00", &history).as_deref(),
        Some(
            "体調がふだんより悪い日が続いています（直近3日: ふつう、ふつう、ふつう／ふだん: よい）"
        )
    );
}

#[test]
fn the_step_down_needs_a_baseline_of_three_days() {
    let mut history = daily(date(2026, 11, 3), &[Good, Good]);
    history.extend(daily(date(2026, 11, 5), &[Fair, Fair]));
    assert_eq!(simple(Fair, "2026-11-07 09:00", &history), None);
    history.extend(daily(date(2026, 11, 2), &[Good]));
    assert!(simple(Fair, "2026-11-07 09:00", &history).is_some());
}

#[test]
fn the_baseline_is_the_14_days_before_the_recent_days() {
    // Good days on 10-31 .. 11-02 are 15..17 days before the first recent
    // day (11-17) and lie outside the baseline; 11-03 is inside.
    let mut history = daily(date(2026, 10, 31), &[Good, Good, Good]);
    history.extend(daily(date(2026, 11, 17), &[Fair, Fair]));
    assert_eq!(simple(Fair, "2026-11-19 09:00", &history), None);
    history.extend(daily(date(2026, 11, 3), &[Good, Good, Good]));
    assert!(simple(Fair, "2026-11-19 09:00", &history).is_some());
    // Either rule can be switched off for a resident.
    let off = Thresholds::default().with(&Overrides {
        decline_recent_days: Some(0),
        ..Overrides::default()
    });
    assert_eq!(
        declining(Fair, "2026-11-19 09:00", &history, &resident(), &off),
        None
    );
}

#[test]
fn nothing_while_paused_and_paused_days_do_not_count() {
    let mut state = resident();
    state.paused_through = Some(date(2026, 11, 10));
    let t = Thresholds::default();
    let history = [past("2026-11-09 09:00", Poor)];
    assert_eq!(
        declining(Poor, "2026-11-10 09:00", &history, &state, &t),
        None
    );
    let history = [
        past("2026-11-09 09:00", Poor),
        past("2026-11-10 09:00", Poor),
    ];
    assert_eq!(
        declining(Poor, "2026-11-11 09:00", &history, &state, &t),
        None
    );
    let history = [
        past("2026-11-10 09:00", Poor),
        past("2026-11-11 09:00", Poor),
    ];
    assert!(declining(Poor, "2026-11-12 09:00", &history, &state, &t).is_some());
}

#[test]
fn one_open_declining_alert_at_a_time() {
    let mut state = resident();
    state.open_alerts = vec![alert(3, AlertKind::Declining, jst("2026-11-09 09:00"))];
    let history = [past("2026-11-09 09:00", Poor)];
    let t = Thresholds::default();
    assert_eq!(
        declining(Poor, "2026-11-10 09:00", &history, &state, &t),
        None
    );
}

#[test]
fn only_the_history_window_counts() {
    // 11-10 is 18 days before 11-28: outside the 17-day window.
    let history = [past("2026-11-10 09:00", Poor)];
    assert_eq!(simple(Poor, "2026-11-28 09:00", &history), None);
    let history = [past("2026-11-11 09:00", Poor)];
    assert!(simple(Poor, "2026-11-28 09:00", &history).is_some());
    // Check-ins after the new one (delivered earlier) are not looked at.
    let history = [past("2026-11-29 09:00", Poor)];
    assert_eq!(simple(Poor, "2026-11-28 09:00", &history), None);
}
