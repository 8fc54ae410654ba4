//! The box's clock: the one place the daemon reads the wall clock.
//!
//! The UI and the outbox want the resident's local time. A demonstration
//! moves it forward with the same offset file as the center (`[clock]
//! offset_file`, written by `cargo xtask demo --advance`), so that the TV's
//! "today" and the center's agree; a real box never has the key.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::SignedDuration;
use serde::Deserialize;

use crate::config::ConfigError;

/// `[clock]` in `box.toml`: only for demonstrations.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClockFile {
    offset_file: Option<PathBuf>,
}

impl ClockFile {
    /// The offset file, relative to `base`; an empty name is an error that
    /// names `clock.offset_file`.
    pub(crate) fn check(self, base: &Path) -> Result<Option<PathBuf>, ConfigError> {
        match self.offset_file {
            Some(file) if file.as_os_str().is_empty() => Err(ConfigError::Invalid {
                key: "clock.offset_file",
                message: "must name a file (or leave the key out: the real clock)".into(),
            }),
            file => Ok(file.map(|f| base.join(f))),
        }
    }
}

/// How often the offset file is read again.
const RECHECK: Duration = Duration::from_secs(1);

/// The local time now, moved by the offset file when there is one.
#[derive(Debug, Clone)]
pub struct BoxClock {
    tz: jiff::tz::TimeZone,
    offset: Option<Arc<OffsetFile>>,
}

#[derive(Debug)]
struct OffsetFile {
    path: PathBuf,
    state: Mutex<(SignedDuration, Option<Instant>)>,
}

impl BoxClock {
    /// The clock in `tz`, moved by the seconds in `offset_file` if given.
    pub fn new(tz: jiff::tz::TimeZone, offset_file: Option<PathBuf>) -> Self {
        if let Some(path) = &offset_file {
            tracing::warn!(file = %path.display(), "DEMO CLOCK: the box's time follows an offset file (clock.offset_file); not for a real box");
        }
        Self {
            tz,
            offset: offset_file.map(|path| {
                Arc::new(OffsetFile {
                    path,
                    state: Mutex::new((SignedDuration::ZERO, None)),
                })
            }),
        }
    }

    /// The offset in force (zero without a file).
    pub fn offset(&self) -> SignedDuration {
        let Some(file) = &self.offset else {
            return SignedDuration::ZERO;
        };
        let mut state = file
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.1.is_none_or(|at| at.elapsed() >= RECHECK) {
            state.1 = Some(Instant::now());
            match std::fs::read_to_string(&file.path) {
                Ok(text) => match parse_offset(&text) {
                    Ok(offset) => {
                        if offset != state.0 {
                            tracing::warn!(seconds = offset.as_secs(), "DEMO CLOCK moved");
                        }
                        state.0 = offset;
                    }
                    Err(e) => {
                        tracing::error!(file = %file.path.display(), "clock.offset_file: {e}")
                    }
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    state.0 = SignedDuration::ZERO
                }
                Err(e) => tracing::error!(file = %file.path.display(), "clock.offset_file: {e}"),
            }
        }
        state.0
    }

    /// The local time now, as the UI and the outbox want it.
    pub fn now(&self) -> mimamori_protocol::Timestamp {
        #[allow(clippy::disallowed_methods)] // the box's one clock adapter
        let real = jiff::Timestamp::now();
        let now = real.checked_add(self.offset()).unwrap_or(real);
        mimamori_protocol::Timestamp::from_unix_nanos(
            now.as_nanosecond(),
            self.tz.to_offset(now).seconds(),
        )
        .unwrap_or_else(|| mimamori_protocol::Timestamp::new(time::OffsetDateTime::UNIX_EPOCH))
    }
}

/// `#` comments, blank lines and one signed number of seconds, as the
/// center reads the same file.
pub fn parse_offset(text: &str) -> Result<SignedDuration, String> {
    let mut values = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    let Some(value) = values.next() else {
        return Ok(SignedDuration::ZERO);
    };
    if values.next().is_some() {
        return Err("more than one value: write one number of seconds".into());
    }
    let seconds: i64 = value
        .trim_start_matches('+')
        .parse()
        .map_err(|_| format!("`{value}` is not a whole number of seconds such as 259200"))?;
    if seconds.unsigned_abs() > 3650 * 86_400 {
        return Err(format!("{seconds} s is more than ten years"));
    }
    Ok(SignedDuration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_file_is_configured_beside_the_configuration() {
        let base = Path::new("/etc/mimamori");
        let config = |text: &str| {
            crate::config::Config::parse(
                &format!(
                    "device_id = \"demo-0001\"\ncenter_url = \"http://127.0.0.1:8080\"\ntoken = \"t\"\n{text}"
                ),
                base,
            )
        };
        assert_eq!(config("").unwrap().clock_offset_file, None);
        assert_eq!(
            config("[clock]\noffset_file = \"clock-offset\"\n")
                .unwrap()
                .clock_offset_file,
            Some(base.join("clock-offset"))
        );
        let err = config("[clock]\noffset_file = \"\"\n").unwrap_err();
        assert!(err.to_string().contains("clock.offset_file"), "{err}");
        let err = config("[clock]\noffset = 3\n").unwrap_err();
        assert!(err.to_string().contains("offset"), "{err}");
    }

    #[test]
    fn the_box_follows_the_offset_file() {
        assert_eq!(
            parse_offset("# demo\n259200\n"),
            Ok(SignedDuration::from_hours(72))
        );
        assert!(parse_offset("3d").is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clock-offset");
        let tz = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
        let plain = BoxClock::new(tz.clone(), None);
        let moved = BoxClock::new(tz, Some(path.clone()));
        assert_eq!(moved.offset(), SignedDuration::ZERO, "no file yet");
        std::fs::write(&path, "86400\n").unwrap();
        std::thread::sleep(RECHECK + Duration::from_millis(50));
        let ahead = moved.now().unix_millis() - plain.now().unix_millis();
        assert!((86_399_000..86_401_000).contains(&ahead), "{ahead}");
        assert_eq!(moved.now().offset_seconds(), 9 * 3600, "local time");
    }
}
