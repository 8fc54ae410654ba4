//! Where the center's "now" comes from.
//!
//! Logic takes `now` as a parameter; only these adapters read the system
//! clock. The server and the command line hold a [`Clock`], and tests give
//! them a fixed one. A demonstration moves the center's time forward with
//! an [`OffsetFileClock`] (`[clock] offset_file`).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use jiff::{SignedDuration, Timestamp};

/// A source of the current instant.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place that reads the clock
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until moved: for tests.
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    /// A clock showing `at`.
    pub fn new(at: Timestamp) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: Timestamp) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The longest offset [`OffsetFileClock`] accepts: ten years either way.
pub const MAX_OFFSET: SignedDuration = SignedDuration::from_hours(24 * 3650);

/// How often [`OffsetFileClock`] looks at its file.
const RECHECK: Duration = Duration::from_millis(500);

/// Reads an offset file's text: `#` comment lines, blank lines, and one
/// line with a signed number of seconds (`259200` is three days ahead).
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
    let offset = SignedDuration::from_secs(seconds);
    if offset.abs() > MAX_OFFSET {
        return Err(format!("{seconds} s is more than ten years"));
    }
    Ok(offset)
}

/// The system's clock moved by an offset kept in a file, so that a
/// demonstration can watch days pass in minutes (`cargo xtask demo
/// --advance 3d`). **Not for production**: alerts, mail and records follow
/// the moved clock. The file is read again when it changes (looked at twice a
/// second); a missing file is no offset; a file that cannot be read keeps
/// the offset last read, with an error in the log.
#[derive(Debug)]
pub struct OffsetFileClock {
    path: PathBuf,
    state: Mutex<OffsetState>,
}

#[derive(Debug)]
struct OffsetState {
    offset: SignedDuration,
    modified: Option<SystemTime>,
    checked: Instant,
}

impl OffsetFileClock {
    /// A clock following the offset in `path`; fails when the file exists
    /// and cannot be read or holds no offset.
    pub fn open(path: &Path) -> Result<Self, String> {
        let (offset, modified) = read_offset(path)?;
        tracing::warn!(file = %path.display(), offset = %format_offset(offset), "DEMO CLOCK: this center's time follows an offset file (clock.offset_file); not for production");
        Ok(Self {
            path: path.to_owned(),
            state: Mutex::new(OffsetState {
                offset,
                modified,
                checked: Instant::now(),
            }),
        })
    }

    /// The offset in force.
    pub fn offset(&self) -> SignedDuration {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.checked.elapsed() >= RECHECK {
            state.checked = Instant::now();
            let modified = std::fs::metadata(&self.path)
                .and_then(|m| m.modified())
                .ok();
            if modified != state.modified {
                match read_offset(&self.path) {
                    Ok((offset, modified)) => {
                        state.modified = modified;
                        if offset != state.offset {
                            tracing::warn!(file = %self.path.display(), offset = %format_offset(offset), was = %format_offset(state.offset), "DEMO CLOCK moved: not for production");
                            state.offset = offset;
                        }
                    }
                    Err(e) => {
                        state.modified = modified;
                        tracing::error!(file = %self.path.display(), "clock.offset_file: {e}; keeping the offset {}", format_offset(state.offset));
                    }
                }
            }
        }
        state.offset
    }
}

impl Clock for OffsetFileClock {
    #[allow(clippy::disallowed_methods)] // a clock adapter
    fn now(&self) -> Timestamp {
        let offset = self.offset();
        Timestamp::now()
            .checked_add(offset)
            .unwrap_or_else(|_| Timestamp::now())
    }
}

fn read_offset(path: &Path) -> Result<(SignedDuration, Option<SystemTime>), String> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
            let offset = parse_offset(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok((offset, modified))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((SignedDuration::ZERO, None)),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// An offset as people read it: `+3d 0h 0m`, `-2h 30m`.
pub fn format_offset(offset: SignedDuration) -> String {
    let sign = if offset.is_negative() { '-' } else { '+' };
    let total = offset.as_secs().unsigned_abs();
    let (days, hours, minutes) = (total / 86_400, total % 86_400 / 3600, total % 3600 / 60);
    if days > 0 {
        format!("{sign}{days}d {hours}h {minutes}m")
    } else {
        format!("{sign}{hours}h {minutes}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_seconds_with_comments() {
        assert_eq!(parse_offset(""), Ok(SignedDuration::ZERO));
        assert_eq!(
            parse_offset("# demo\n259200\n"),
            Ok(SignedDuration::from_hours(72))
        );
        assert_eq!(parse_offset("+60"), Ok(SignedDuration::from_secs(60)));
        assert_eq!(parse_offset("-3600"), Ok(SignedDuration::from_secs(-3600)));
        assert!(parse_offset("3d").unwrap_err().contains("`3d`"));
        assert!(parse_offset("1\n2\n").unwrap_err().contains("one number"));
        assert!(
            parse_offset("999999999999")
                .unwrap_err()
                .contains("ten years")
        );
    }

    #[test]
    fn offsets_read_as_days_hours_minutes() {
        assert_eq!(format_offset(SignedDuration::from_hours(72)), "+3d 0h 0m");
        assert_eq!(format_offset(SignedDuration::from_secs(-9000)), "-2h 30m");
    }

    #[test]
    fn the_clock_follows_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("offset");
        let clock = OffsetFileClock::open(&path).unwrap();
        assert_eq!(clock.offset(), SignedDuration::ZERO, "no file, no offset");
        std::fs::write(&path, "86400\n").unwrap();
        std::thread::sleep(RECHECK + Duration::from_millis(50));
        assert_eq!(clock.offset(), SignedDuration::from_hours(24));
        let ahead = clock.now().duration_since(SystemClock.now());
        assert!(ahead > SignedDuration::from_hours(23), "{ahead:?}");
        // A broken file keeps the offset last read.
        std::fs::write(&path, "tomorrow\n").unwrap();
        std::thread::sleep(RECHECK + Duration::from_millis(50));
        assert_eq!(clock.offset(), SignedDuration::from_hours(24));
        std::fs::write(&path, "not a number").unwrap();
        assert!(
            OffsetFileClock::open(&path)
                .unwrap_err()
                .contains("not a whole number")
        );
    }
}
