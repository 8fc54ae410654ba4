//! How long the center keeps what it stores (`[retention]` in the
//! configuration), and the cutoffs a purge deletes before. The purge itself
//! is [`crate::store::purge`]; `mimamori-center admin purge` runs it.
//!
//! ```toml
//! [retention]            # defaults shown, in days
//! check_ins_days = 1825  # check-ins and the other events boxes send
//! heartbeats_days = 90   # box heartbeats (room temperature, uptime)
//! alerts_days = 1825     # resolved alerts with their visit records
//! mail_days = 180        # mail sent or given up (open mail is never purged)
//! audit_days = 1825      # the audit log
//! taps_days = 30         # children's and residents' taps at stations
//! ```

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use crate::config::ConfigError;

/// Days each kind of record is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Check-ins and the other events boxes send.
    pub check_ins_days: u32,
    /// Box heartbeats.
    pub heartbeats_days: u32,
    /// Resolved alerts, their history and visit records.
    pub alerts_days: u32,
    /// Mail sent or given up.
    pub mail_days: u32,
    /// The audit log.
    pub audit_days: u32,
    /// Taps at stations (where a child was, and when) and their events.
    pub taps_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        RetentionFile::default().check().unwrap_or(Retention {
            check_ins_days: 1825,
            heartbeats_days: 90,
            alerts_days: 1825,
            mail_days: 180,
            audit_days: 1825,
            taps_days: 30,
        })
    }
}

/// `[retention]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RetentionFile {
    check_ins_days: u32,
    heartbeats_days: u32,
    alerts_days: u32,
    mail_days: u32,
    audit_days: u32,
    taps_days: u32,
}

impl Default for RetentionFile {
    fn default() -> Self {
        Self {
            check_ins_days: 1825,
            heartbeats_days: 90,
            alerts_days: 1825,
            mail_days: 180,
            audit_days: 1825,
            taps_days: 30,
        }
    }
}

/// The shortest retention each key allows, and why.
const MINIMA: [(&str, u32, &str); 6] = [
    (
        "retention.check_ins_days",
        90,
        "the resident page and the watch rules read 90 days back",
    ),
    (
        "retention.heartbeats_days",
        7,
        "the room-heat rule and the box page read the last days",
    ),
    (
        "retention.alerts_days",
        30,
        "a resolved alert restarts the count of silence",
    ),
    (
        "retention.mail_days",
        30,
        "repeated concerns are held back by the mail sent before",
    ),
    (
        "retention.audit_days",
        365,
        "looks at health records must stay traceable for at least a year",
    ),
    (
        "retention.taps_days",
        2,
        "a late tap is mailed as the first of its day only if that day's taps are kept",
    ),
];

/// The longest retention accepted (100 years).
const MAX_DAYS: u32 = 36_500;

impl RetentionFile {
    pub(crate) fn check(self) -> Result<Retention, ConfigError> {
        let values = [
            self.check_ins_days,
            self.heartbeats_days,
            self.alerts_days,
            self.mail_days,
            self.audit_days,
            self.taps_days,
        ];
        for ((key, min, why), value) in MINIMA.iter().zip(values) {
            if value < *min || value > MAX_DAYS {
                return Err(ConfigError::Invalid {
                    key,
                    message: format!(
                        "{value} days is not between {min} and {MAX_DAYS} ({min} at least: {why})"
                    ),
                });
            }
        }
        Ok(Retention {
            check_ins_days: self.check_ins_days,
            heartbeats_days: self.heartbeats_days,
            alerts_days: self.alerts_days,
            mail_days: self.mail_days,
            audit_days: self.audit_days,
            taps_days: self.taps_days,
        })
    }
}

/// The instants before which each kind of record is purged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// Check-ins and events.
    pub check_ins: Timestamp,
    /// Heartbeats.
    pub heartbeats: Timestamp,
    /// Resolved alerts.
    pub alerts: Timestamp,
    /// Mail.
    pub mail: Timestamp,
    /// Audit rows.
    pub audit: Timestamp,
    /// Taps and their events.
    pub taps: Timestamp,
}

impl Retention {
    /// The cutoffs as of `now`: everything older than its retention.
    pub fn cutoffs(&self, now: Timestamp) -> Cutoffs {
        let before = |days: u32| {
            now.checked_sub(SignedDuration::from_hours(24 * i64::from(days)))
                .unwrap_or(Timestamp::MIN)
        };
        Cutoffs {
            check_ins: before(self.check_ins_days),
            heartbeats: before(self.heartbeats_days),
            alerts: before(self.alerts_days),
            mail: before(self.mail_days),
            audit: before(self.audit_days),
            taps: before(self.taps_days),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Retention, ConfigError> {
        toml::from_str::<RetentionFile>(text)
            .map_err(|e| ConfigError::Syntax(e.to_string()))?
            .check()
    }

    #[test]
    fn defaults_and_values() {
        let r = parse("").unwrap();
        assert_eq!(r, Retention::default());
        assert_eq!(r.heartbeats_days, 90);
        let r = parse("heartbeats_days = 30\naudit_days = 3650\n").unwrap();
        assert_eq!((r.heartbeats_days, r.audit_days), (30, 3650));
        assert_eq!(parse("").unwrap().taps_days, 30);
    }

    #[test]
    fn errors_name_the_key() {
        for (text, key) in [
            ("check_ins_days = 10", "retention.check_ins_days"),
            ("audit_days = 0", "retention.audit_days"),
            ("mail_days = 40000", "retention.mail_days"),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(key), "`{err}` should name {key}");
        }
        let err = parse("heartbeat_days = 10").unwrap_err().to_string();
        assert!(err.contains("heartbeat_days"), "{err}");
    }

    #[test]
    fn cutoffs_are_days_before_now() {
        let now: Timestamp = "2026-11-30T00:00:00Z".parse().unwrap();
        let c = parse("heartbeats_days = 7").unwrap().cutoffs(now);
        assert_eq!(c.heartbeats.to_string(), "2026-11-23T00:00:00Z");
    }
}
