//! `declining`: わるい several check-in days in a row, or a step down from
//! the resident's usual condition held over several days.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use mimamori_protocol::Condition;

use super::calendar::{add_days, day_ja, local_date, sub_days};
use super::{PastCheckIn, Thresholds, WatchState};

/// The fewest check-in days the step-down rule needs in its baseline (fewer
/// if the baseline window itself is shorter).
const MIN_BASELINE_DAYS: u32 = 3;

/// Why the check-in at `at` (with `condition`) shows a decline, written for
/// the nurses; `None` if it does not.
pub(super) fn check(
    condition: Condition,
    at: Timestamp,
    history: &[PastCheckIn],
    state: &WatchState,
    t: &Thresholds,
) -> Option<String> {
    let tz = &state.tz;
    let today = local_date(at, tz);
    if state.is_paused_on(today) {
        return None;
    }
    let baseline_days = t.decline_baseline_days;
    let recent_days = t.decline_recent_days;
    let in_a_row = t.effective_declining_days();
    let earliest = sub_days(
        today,
        baseline_days.saturating_add(recent_days).max(in_a_row),
    );

    // Each check-in day's worst condition, within the window, after any pause.
    let mut days: BTreeMap<Date, Condition> = BTreeMap::new();
    days.insert(today, condition);
    for past in history.iter().filter(|p| p.at <= at) {
        let day = local_date(past.at, tz);
        if day < earliest || state.is_paused_on(day) {
            continue;
        }
        let worst = days.entry(day).or_insert(past.condition);
        *worst = (*worst).max(past.condition);
    }
    if days.get(&today) != Some(&condition) {
        // Better than an earlier check-in today: no news.
        return None;
    }
    // Newest first.
    let days: Vec<(Date, Condition)> = days.into_iter().rev().collect();
    let year = today.year();

    let in_a_row = usize::try_from(in_a_row).unwrap_or(usize::MAX);
    if let Some(run) = days.get(..in_a_row) {
        if run.iter().all(|(_, c)| *c == Condition::Poor) {
            return Some(all_poor(run, year));
        }
    }

    if baseline_days == 0 || recent_days == 0 {
        return None;
    }
    let recent_len = usize::try_from(recent_days).unwrap_or(usize::MAX);
    let recent = days.get(..recent_len)?;
    let first_recent = recent.last()?.0;
    let baseline_from = sub_days(first_recent, baseline_days);
    let mut baseline: Vec<Condition> = days[recent_len..]
        .iter()
        .filter(|(day, _)| *day >= baseline_from)
        .map(|(_, c)| *c)
        .collect();
    let needed = MIN_BASELINE_DAYS.min(baseline_days);
    if baseline.len() < usize::try_from(needed).unwrap_or(usize::MAX) {
        return None;
    }
    baseline.sort_unstable();
    // The upper median: with an even count, the worse of the middle two, so
    // that only a clear step down counts.
    let usual = baseline[baseline.len() / 2];
    if !recent.iter().all(|(_, c)| *c > usual) {
        return None;
    }
    let recent_labels: Vec<&str> = recent.iter().rev().map(|(_, c)| c.label_ja()).collect();
    Some(format!(
        "体調がふだんより悪い日が続いています（直近{}日: {}／ふだん: {}）",
        recent.len(),
        recent_labels.join("、"),
        usual.label_ja()
    ))
}

/// `2日続けて「わるい」と回答しています（11月26日〜11月27日）` for days in a
/// row on the calendar; otherwise the check-in days are named.
fn all_poor(run: &[(Date, Condition)], year: i16) -> String {
    let (Some((last, _)), Some((first, _))) = (run.first(), run.last()) else {
        return String::new();
    };
    let count = run.len();
    if count == 1 {
        return format!("「わるい」と回答しています（{}）", day_ja(*last, year));
    }
    let consecutive = run
        .windows(2)
        .all(|pair| add_days(pair[1].0, 1) == Some(pair[0].0));
    if consecutive {
        format!(
            "{count}日続けて「わるい」と回答しています（{}〜{}）",
            day_ja(*first, year),
            day_ja(*last, year)
        )
    } else {
        let named: Vec<String> = run.iter().rev().map(|(d, _)| day_ja(*d, year)).collect();
        format!(
            "記録のあった直近{count}日すべて「わるい」と回答しています（{}）",
            named.join("、")
        )
    }
}
