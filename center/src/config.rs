//! The center's configuration file (TOML).
//!
//! Every key has a default, so an empty file is a valid configuration for a
//! trial on one machine. Unknown keys are errors — a misspelt threshold must
//! not silently fall back to its default — and every error names the key.
//!
//! ```toml
//! data_dir = "/var/lib/mimamori-center"
//! time_zone = "Asia/Tokyo"
//!
//! [http]
//! listen = "127.0.0.1:8080"
//!
//! [watch]
//! missed_days = 2
//! escalate_after_hours = 4
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use jiff::SignedDuration;
use serde::Deserialize;

use crate::watch::Thresholds;

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the database lives.
    pub data_dir: PathBuf,
    /// The time zone of the residents' calendar.
    pub time_zone: jiff::tz::TimeZone,
    /// The time zone's name, as configured.
    pub time_zone_name: String,
    /// HTTP listener.
    pub http: Http,
    /// Default thresholds of the watch engine.
    pub thresholds: Thresholds,
    /// How often the server sweeps for due residents.
    pub sweep_interval: std::time::Duration,
    /// Health-points rules.
    pub points: Points,
    /// What boxes are told about syncing.
    pub sync: Sync,
    /// Email: the SMTP relay and what the messages say about the center.
    /// `None` (no `[mail]` section): mail is off and nothing is enqueued.
    pub mail: Option<crate::mail::MailConfig>,
    /// The nurses' dashboard: sessions, lockout, TOTP.
    pub dashboard: crate::dashboard::DashboardConfig,
    /// How long records are kept (`admin purge`).
    pub retention: crate::retention::Retention,
    /// `[clock] offset_file`: a file holding an offset (seconds) by which
    /// the center's time runs ahead of the system's, for demonstrations
    /// only ([`crate::clock::OffsetFileClock`]). `None`: the system clock.
    pub clock_offset_file: Option<PathBuf>,
}

/// The HTTP listener.
#[derive(Debug, Clone)]
pub struct Http {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

/// Health points: what the municipality rewards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Points {
    /// For the first check-in of a day.
    pub check_in: i64,
    /// For a check-in with at least one measurement.
    pub vitals: i64,
    /// A streak bonus is given every this many consecutive days...
    pub streak_every_days: u32,
    /// ...of this many points.
    pub streak_bonus: i64,
}

impl Default for Points {
    fn default() -> Self {
        Self {
            check_in: 10,
            vitals: 5,
            streak_every_days: 7,
            streak_bonus: 20,
        }
    }
}

/// Sync hints for boxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sync {
    /// Seconds until the next regular sync.
    pub next_sync_in_s: u32,
}

impl Default for Sync {
    fn default() -> Self {
        Self {
            next_sync_in_s: 900,
        }
    }
}

/// A configuration that cannot be used, with the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// TOML syntax, an unknown key, or a value of the wrong type.
    #[error("{0}")]
    Syntax(String),
    /// A value of the right type that makes no sense.
    #[error("`{key}`: {message}")]
    Invalid {
        /// The key, e.g. `watch.missed_days`.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default = "default_data_dir")]
    data_dir: PathBuf,
    #[serde(default = "default_time_zone")]
    time_zone: String,
    #[serde(default)]
    http: HttpFile,
    #[serde(default)]
    watch: WatchFile,
    #[serde(default)]
    points: Points,
    #[serde(default)]
    sync: Sync,
    mail: Option<crate::mail::MailFile>,
    #[serde(default)]
    dashboard: crate::dashboard::config::DashboardFile,
    #[serde(default)]
    retention: crate::retention::RetentionFile,
    #[serde(default)]
    clock: ClockFile,
}

/// `[clock]`: only for demonstrations.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockFile {
    offset_file: Option<PathBuf>,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}

fn default_time_zone() -> String {
    "Asia/Tokyo".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct HttpFile {
    listen: String,
    max_body_bytes: usize,
}

impl Default for HttpFile {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: mimamori_protocol::MAX_SYNC_REQUEST_BYTES,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct WatchFile {
    missed_days: u32,
    declining_days: u32,
    decline_baseline_days: u32,
    decline_recent_days: u32,
    systolic_high: u16,
    systolic_low: u16,
    diastolic_high: u16,
    temperature_high: f64,
    weight_gain_kg: f64,
    weight_window_days: u32,
    offline_after_hours: f64,
    escalate_after_hours: f64,
    room_heat_after_hours: f64,
    sweep_interval_s: u64,
}

impl Default for WatchFile {
    fn default() -> Self {
        let t = Thresholds::default();
        Self {
            missed_days: t.missed_days,
            declining_days: t.declining_days,
            decline_baseline_days: t.decline_baseline_days,
            decline_recent_days: t.decline_recent_days,
            systolic_high: t.systolic_high,
            systolic_low: t.systolic_low,
            diastolic_high: t.diastolic_high,
            temperature_high: t.temperature_high.as_f64(),
            weight_gain_kg: t.weight_gain.as_f64(),
            weight_window_days: t.weight_window_days,
            offline_after_hours: t.offline_after.as_secs_f64() / 3600.0,
            escalate_after_hours: t.escalate_after.as_secs_f64() / 3600.0,
            room_heat_after_hours: t.room_heat_after.as_secs_f64() / 3600.0,
            sweep_interval_s: 60,
        }
    }
}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config = Self::parse(&text)?;
        if let Some(dir) = path.parent() {
            if config.data_dir.is_relative() {
                config.data_dir = dir.join(&config.data_dir);
            }
            if let Some(file) = config
                .clock_offset_file
                .as_mut()
                .filter(|f| f.is_relative())
            {
                *file = dir.join(&*file);
            }
        }
        Ok(config)
    }

    /// Checks a configuration given as TOML text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let file: File = toml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        let time_zone =
            jiff::tz::TimeZone::get(&file.time_zone).map_err(|e| ConfigError::Invalid {
                key: "time_zone",
                message: format!(
                    "`{}` is not a known time zone (e.g. Asia/Tokyo): {e}",
                    file.time_zone
                ),
            })?;
        let listen = file.http.listen.parse().map_err(|_| ConfigError::Invalid {
            key: "http.listen",
            message: format!(
                "`{}` is not an address:port such as 127.0.0.1:8080",
                file.http.listen
            ),
        })?;
        if file.http.max_body_bytes < 4096 {
            return Err(ConfigError::Invalid {
                key: "http.max_body_bytes",
                message: "must be at least 4096".into(),
            });
        }
        let w = &file.watch;
        let positive = |key: &'static str, value: u32| {
            if value == 0 {
                Err(ConfigError::Invalid {
                    key,
                    message: "must be at least 1".into(),
                })
            } else {
                Ok(value)
            }
        };
        let hours = |key: &'static str, value: f64| {
            if value.is_finite() && value > 0.0 && value <= 24.0 * 365.0 {
                Ok(SignedDuration::from_secs_f64(value * 3600.0))
            } else {
                Err(ConfigError::Invalid {
                    key,
                    message: format!("{value} is not a number of hours between 0 and 8760"),
                })
            }
        };
        let tenths = |key: &'static str, value: f64, min: f64, max: f64| {
            let scaled = (value * 10.0).round();
            if value.is_finite() && (min..=max).contains(&value) {
                // In range: checked above.
                #[allow(clippy::cast_possible_truncation)]
                Ok(mimamori_protocol::Tenths(scaled as i32))
            } else {
                Err(ConfigError::Invalid {
                    key,
                    message: format!("{value} is not between {min} and {max}"),
                })
            }
        };
        let thresholds = Thresholds {
            missed_days: positive("watch.missed_days", w.missed_days)?,
            declining_days: positive("watch.declining_days", w.declining_days)?,
            decline_baseline_days: positive(
                "watch.decline_baseline_days",
                w.decline_baseline_days,
            )?,
            decline_recent_days: positive("watch.decline_recent_days", w.decline_recent_days)?,
            systolic_high: w.systolic_high,
            systolic_low: w.systolic_low,
            diastolic_high: w.diastolic_high,
            temperature_high: tenths("watch.temperature_high", w.temperature_high, 35.0, 42.0)?,
            weight_gain: tenths("watch.weight_gain_kg", w.weight_gain_kg, 0.1, 50.0)?,
            weight_window_days: positive("watch.weight_window_days", w.weight_window_days)?,
            offline_after: hours("watch.offline_after_hours", w.offline_after_hours)?,
            escalate_after: hours("watch.escalate_after_hours", w.escalate_after_hours)?,
            room_heat_after: hours("watch.room_heat_after_hours", w.room_heat_after_hours)?,
        };
        if thresholds.systolic_low >= thresholds.systolic_high {
            return Err(ConfigError::Invalid {
                key: "watch.systolic_low",
                message: "must be below watch.systolic_high".into(),
            });
        }
        if w.sweep_interval_s == 0 {
            return Err(ConfigError::Invalid {
                key: "watch.sweep_interval_s",
                message: "must be at least 1".into(),
            });
        }
        if file
            .clock
            .offset_file
            .as_ref()
            .is_some_and(|f| f.as_os_str().is_empty())
        {
            return Err(ConfigError::Invalid {
                key: "clock.offset_file",
                message: "must name a file (or leave the key out: the system clock)".into(),
            });
        }
        let time_zone_for_mail = time_zone.clone();
        Ok(Config {
            data_dir: file.data_dir,
            time_zone,
            time_zone_name: file.time_zone,
            http: Http {
                listen,
                max_body_bytes: file.http.max_body_bytes,
            },
            thresholds,
            sweep_interval: std::time::Duration::from_secs(w.sweep_interval_s),
            points: file.points,
            sync: file.sync,
            mail: file
                .mail
                .map(|mail| mail.check(&time_zone_for_mail))
                .transpose()?,
            dashboard: file.dashboard.check()?,
            retention: file.retention.check()?,
            clock_offset_file: file.clock.offset_file,
        })
    }

    /// The SQLite database file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("center.sqlite3")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_a_trial_configuration() {
        let config = Config::parse("").unwrap();
        assert_eq!(config.time_zone_name, "Asia/Tokyo");
        assert_eq!(config.http.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.thresholds.missed_days, 2);
        assert_eq!(
            config.thresholds.escalate_after,
            SignedDuration::from_hours(4)
        );
    }

    #[test]
    fn values_are_read() {
        let config = Config::parse(
            "time_zone = \"UTC\"\n[watch]\nmissed_days = 3\ntemperature_high = 37.5\noffline_after_hours = 12\n[points]\ncheck_in = 1\n",
        )
        .unwrap();
        assert_eq!(config.thresholds.missed_days, 3);
        assert_eq!(
            config.thresholds.temperature_high,
            mimamori_protocol::Tenths(375)
        );
        assert_eq!(
            config.thresholds.offline_after,
            SignedDuration::from_hours(12)
        );
        assert_eq!(config.points.check_in, 1);
        assert_eq!(config.points.vitals, 5, "unset keys keep their default");
        assert_eq!(config.clock_offset_file, None, "the system clock");
    }

    #[test]
    fn a_relative_offset_file_is_beside_the_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("center.toml");
        std::fs::write(&path, "[clock]\noffset_file = \"clock-offset\"\n").unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(
            config.clock_offset_file,
            Some(dir.path().join("clock-offset"))
        );
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            ("[watch]\nmised_days = 3\n", "mised_days"),
            ("[watch]\nmissed_days = 0\n", "watch.missed_days"),
            ("[watch]\nmissed_days = \"two\"\n", "missed_days"),
            ("time_zone = \"Asia/Nowhere\"\n", "time_zone"),
            ("[http]\nlisten = \"localhost\"\n", "http.listen"),
            ("[watch]\nsystolic_low = 200\n", "watch.systolic_low"),
            (
                "[watch]\nescalate_after_hours = -1\n",
                "watch.escalate_after_hours",
            ),
            ("colour = \"blue\"\n", "colour"),
            (
                "[dashboard]\nlockout_minutes = 0\n",
                "dashboard.lockout_minutes",
            ),
            ("[dashboard]\ntotp = true\n", "totp"),
            ("[retention]\naudit_days = 30\n", "retention.audit_days"),
            ("[clock]\noffset_file = \"\"\n", "clock.offset_file"),
            ("[clock]\noffset = 3\n", "offset"),
        ];
        for (text, key) in cases {
            let err = Config::parse(text).unwrap_err().to_string();
            assert!(err.contains(key), "`{err}` should name `{key}`");
        }
    }
}
