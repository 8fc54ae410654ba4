//! `vitals`: a measurement out of the safe range.

use jiff::Timestamp;
use mimamori_protocol::{Tenths, Vitals};

use super::calendar::{local_date, sub_days};
use super::{PastCheckIn, Thresholds, WatchState};

/// What is out of range in `vitals`, written for the nurses, e.g.
/// `血圧 186/95 mmHg（上 180 以上）、体温 38.2 ℃（38.0 ℃ 以上）`; `None` if
/// nothing is.
pub(super) fn check(
    vitals: &Vitals,
    at: Timestamp,
    history: &[PastCheckIn],
    state: &WatchState,
    t: &Thresholds,
) -> Option<String> {
    let mut findings = Vec::new();
    if let Some(bp) = vitals.blood_pressure {
        let mut why = Vec::new();
        if bp.systolic_mmhg >= t.systolic_high {
            why.push(format!("上 {} 以上", t.systolic_high));
        }
        if bp.systolic_mmhg <= t.systolic_low {
            why.push(format!("上 {} 以下", t.systolic_low));
        }
        if bp.diastolic_mmhg >= t.diastolic_high {
            why.push(format!("下 {} 以上", t.diastolic_high));
        }
        if !why.is_empty() {
            findings.push(format!(
                "血圧 {}/{} mmHg（{}）",
                bp.systolic_mmhg,
                bp.diastolic_mmhg,
                why.join("・")
            ));
        }
    }
    if let Some(temperature) = vitals.temperature_c {
        if temperature >= t.temperature_high {
            findings.push(format!(
                "体温 {temperature} ℃（{} ℃ 以上）",
                t.temperature_high
            ));
        }
    }
    if let Some(weight) = vitals.weight_kg {
        if let Some(finding) = weight_gain(weight, at, history, state, t) {
            findings.push(finding);
        }
    }
    (!findings.is_empty()).then(|| findings.join("、"))
}

/// A gain of `weight_gain` or more over the lowest weight of the
/// `weight_window_days` days before the day of `at` (and earlier that day).
fn weight_gain(
    weight: Tenths,
    at: Timestamp,
    history: &[PastCheckIn],
    state: &WatchState,
    t: &Thresholds,
) -> Option<String> {
    let from = sub_days(local_date(at, &state.tz), t.weight_window_days);
    let lowest = history
        .iter()
        .filter(|p| p.at <= at && local_date(p.at, &state.tz) >= from)
        .filter_map(|p| p.weight_kg)
        .min()?;
    let gain = Tenths(weight.0.saturating_sub(lowest.0));
    (gain >= t.weight_gain).then(|| {
        format!(
            "体重 {weight} kg（{}日間で {gain} kg 増加、最低 {lowest} kg）",
            t.weight_window_days
        )
    })
}
