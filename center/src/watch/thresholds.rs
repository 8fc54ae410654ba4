//! The numbers the rules compare against: global defaults from the center's
//! config, each overridable per resident.

use jiff::SignedDuration;
use mimamori_protocol::Tenths;
use serde::{Deserialize, Serialize};

/// Global thresholds, from the center's config; every one overridable per
/// resident with [`Overrides`].
///
/// In a config file every key is optional (a missing key keeps its default)
/// and an unknown key is an error; durations are written `"24h"` or
/// `"PT24H"`:
///
/// ```json
/// {"missed_days": 3, "offline_after": "36h", "temperature_high": 37.5}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Days without a check-in before a `missed` alert, counted from the day
    /// of the last check-in to the daily deadline (default 2, as 葛巻町
    /// does). 0 is read as 1.
    pub missed_days: u32,
    /// わるい on this many check-in days in a row opens `declining`
    /// (default 2). 0 is read as 1.
    pub declining_days: u32,
    /// The step-down rule's baseline: the check-in days in this many calendar
    /// days before the recent days (default 14). 0 turns the rule off.
    pub decline_baseline_days: u32,
    /// The step-down rule's recent days: this many check-in days, each worse
    /// than the baseline's median day (default 3). 0 turns the rule off.
    pub decline_recent_days: u32,
    /// Systolic pressure at or above this is out of range (default 180 mmHg).
    pub systolic_high: u16,
    /// Systolic pressure at or below this is out of range (default 90 mmHg).
    pub systolic_low: u16,
    /// Diastolic pressure at or above this is out of range (default 110 mmHg).
    pub diastolic_high: u16,
    /// Body temperature at or above this is out of range (default 38.0 °C).
    pub temperature_high: Tenths,
    /// A weight gain of at least this much … (default 2.0 kg) …
    pub weight_gain: Tenths,
    /// … over the lowest weight of this many days before is out of range
    /// (default 3).
    pub weight_window_days: u32,
    /// A box silent this long opens `box_offline` (default 24 h).
    pub offline_after: SignedDuration,
    /// An alert open and unacknowledged this long escalates (default 4 h).
    pub escalate_after: SignedDuration,
    /// The room's 暑さ指数 at 危険 this long opens `room_heat` (default 1 h).
    pub room_heat_after: SignedDuration,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            missed_days: 2,
            declining_days: 2,
            decline_baseline_days: 14,
            decline_recent_days: 3,
            systolic_high: 180,
            systolic_low: 90,
            diastolic_high: 110,
            temperature_high: Tenths::new(38, 0),
            weight_gain: Tenths::new(2, 0),
            weight_window_days: 3,
            offline_after: SignedDuration::from_hours(24),
            escalate_after: SignedDuration::from_hours(4),
            room_heat_after: SignedDuration::from_hours(1),
        }
    }
}

/// One resident's exceptions to the global [`Thresholds`]; `None` keeps the
/// global value. Same keys as [`Thresholds`], all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Overrides {
    /// Replaces [`Thresholds::missed_days`].
    pub missed_days: Option<u32>,
    /// Replaces [`Thresholds::declining_days`].
    pub declining_days: Option<u32>,
    /// Replaces [`Thresholds::decline_baseline_days`].
    pub decline_baseline_days: Option<u32>,
    /// Replaces [`Thresholds::decline_recent_days`].
    pub decline_recent_days: Option<u32>,
    /// Replaces [`Thresholds::systolic_high`].
    pub systolic_high: Option<u16>,
    /// Replaces [`Thresholds::systolic_low`].
    pub systolic_low: Option<u16>,
    /// Replaces [`Thresholds::diastolic_high`].
    pub diastolic_high: Option<u16>,
    /// Replaces [`Thresholds::temperature_high`].
    pub temperature_high: Option<Tenths>,
    /// Replaces [`Thresholds::weight_gain`].
    pub weight_gain: Option<Tenths>,
    /// Replaces [`Thresholds::weight_window_days`].
    pub weight_window_days: Option<u32>,
    /// Replaces [`Thresholds::offline_after`].
    pub offline_after: Option<SignedDuration>,
    /// Replaces [`Thresholds::escalate_after`].
    pub escalate_after: Option<SignedDuration>,
    /// Replaces [`Thresholds::room_heat_after`].
    pub room_heat_after: Option<SignedDuration>,
}

impl Thresholds {
    /// These thresholds with one resident's overrides applied.
    pub fn with(&self, o: &Overrides) -> Thresholds {
        Thresholds {
            missed_days: o.missed_days.unwrap_or(self.missed_days),
            declining_days: o.declining_days.unwrap_or(self.declining_days),
            decline_baseline_days: o
                .decline_baseline_days
                .unwrap_or(self.decline_baseline_days),
            decline_recent_days: o.decline_recent_days.unwrap_or(self.decline_recent_days),
            systolic_high: o.systolic_high.unwrap_or(self.systolic_high),
            systolic_low: o.systolic_low.unwrap_or(self.systolic_low),
            diastolic_high: o.diastolic_high.unwrap_or(self.diastolic_high),
            temperature_high: o.temperature_high.unwrap_or(self.temperature_high),
            weight_gain: o.weight_gain.unwrap_or(self.weight_gain),
            weight_window_days: o.weight_window_days.unwrap_or(self.weight_window_days),
            offline_after: o.offline_after.unwrap_or(self.offline_after),
            escalate_after: o.escalate_after.unwrap_or(self.escalate_after),
            room_heat_after: o.room_heat_after.unwrap_or(self.room_heat_after),
        }
    }

    /// How many calendar days of earlier check-ins
    /// [`on_check_in`](super::on_check_in) looks at, counted back from the
    /// new check-in's day: the store loads at least these. Older ones are
    /// ignored, so that the result does not depend on how much more the
    /// store happens to pass.
    pub fn history_days(&self) -> u32 {
        (self
            .decline_baseline_days
            .saturating_add(self.decline_recent_days))
        .max(self.weight_window_days)
        .max(self.declining_days)
    }

    /// `missed_days`, at least 1.
    pub(super) fn effective_missed_days(&self) -> u32 {
        self.missed_days.max(1)
    }

    /// `declining_days`, at least 1.
    pub(super) fn effective_declining_days(&self) -> u32 {
        self.declining_days.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_only_what_they_name() {
        let global = Thresholds::default();
        let o = Overrides {
            missed_days: Some(3),
            escalate_after: Some(SignedDuration::from_hours(1)),
            ..Overrides::default()
        };
        let t = global.with(&o);
        assert_eq!(t.missed_days, 3);
        assert_eq!(t.escalate_after, SignedDuration::from_hours(1));
        assert_eq!(
            Thresholds {
                missed_days: 2,
                escalate_after: SignedDuration::from_hours(4),
                ..t
            },
            global
        );
        assert_eq!(global.with(&Overrides::default()), global);
    }

    #[test]
    fn history_covers_every_rule_that_looks_back() {
        let t = Thresholds::default();
        assert_eq!(t.history_days(), 17);
        let t = Thresholds {
            weight_window_days: 30,
            ..t
        };
        assert_eq!(t.history_days(), 30);
        let t = Thresholds {
            declining_days: 40,
            ..t
        };
        assert_eq!(t.history_days(), 40);
    }

    #[test]
    fn config_keys_are_optional_and_unknown_keys_refused() {
        let t: Thresholds = serde_json::from_str(
            r#"{"missed_days": 3, "offline_after": "36h", "temperature_high": 37.5}"#,
        )
        .unwrap();
        assert_eq!(t.missed_days, 3);
        assert_eq!(t.offline_after, SignedDuration::from_hours(36));
        assert_eq!(t.temperature_high, Tenths::new(37, 5));
        assert_eq!(t.declining_days, 2);
        let err = serde_json::from_str::<Thresholds>(r#"{"missed_day": 3}"#).unwrap_err();
        assert!(err.to_string().contains("missed_day"), "{err}");
        let o: Overrides = serde_json::from_str(r#"{"escalate_after": "PT2H"}"#).unwrap();
        assert_eq!(o.escalate_after, Some(SignedDuration::from_hours(2)));
        let back: Thresholds =
            serde_json::from_str(&serde_json::to_string(&Thresholds::default()).unwrap()).unwrap();
        assert_eq!(back, Thresholds::default());
    }
}
