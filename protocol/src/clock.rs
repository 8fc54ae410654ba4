//! Time on the wire: instants with the sender's UTC offset, calendar dates and
//! times of day.
//!
//! Every instant carries an explicit offset (RFC 3339). A timestamp without one
//! is ambiguous — a box in Japan and a center in UTC would read it nine hours
//! apart — so it is refused with a message that says how to write it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// An instant as a clock showed it, with that clock's UTC offset.
///
/// On the wire an RFC 3339 string: `"2026-11-29T08:15:00+09:00"`. Two
/// timestamps are equal only if both the instant and the offset are.
#[derive(Clone, Copy)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Wraps a `time` value. Offsets are kept to whole minutes, as RFC 3339
    /// writes them; seconds in the offset are dropped.
    pub fn new(at: OffsetDateTime) -> Self {
        let offset = at.offset();
        let minutes = offset.whole_minutes();
        if offset.whole_seconds() == i32::from(minutes) * 60 {
            return Self(at);
        }
        let whole =
            UtcOffset::from_whole_seconds(i32::from(minutes) * 60).unwrap_or(UtcOffset::UTC);
        Self(at.to_offset(whole))
    }

    /// An instant given as nanoseconds since the Unix epoch, shown with a
    /// UTC offset of `offset_seconds` (whole minutes are kept). `None` when
    /// either is out of range.
    pub fn from_unix_nanos(nanos: i128, offset_seconds: i32) -> Option<Self> {
        let offset = UtcOffset::from_whole_seconds(offset_seconds).ok()?;
        let at = OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
        Some(Self::new(at.to_offset(offset)))
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(&self) -> i64 {
        self.0.unix_timestamp() * 1000 + i64::from(self.0.millisecond())
    }

    /// The `time` value.
    pub fn as_offset_date_time(&self) -> OffsetDateTime {
        self.0
    }

    /// Seconds since the Unix epoch (negative before 1970).
    pub fn unix_seconds(&self) -> i64 {
        self.0.unix_timestamp()
    }

    /// The sub-second part, in nanoseconds.
    pub fn nanosecond(&self) -> u32 {
        self.0.nanosecond()
    }

    /// The sender's UTC offset, in seconds east of UTC.
    pub fn offset_seconds(&self) -> i32 {
        self.0.offset().whole_seconds()
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0 && self.0.offset() == other.0.offset()
    }
}

impl Eq for Timestamp {}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(&Rfc3339) {
            Ok(text) => f.write_str(&text),
            // Only years outside 0..=9999 cannot be written as RFC 3339.
            Err(_) => write!(f, "{:?}", self.0),
        }
    }
}

/// A timestamp that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// Date and time are there, but not the UTC offset.
    #[error(
        "`{0}` has no UTC offset; write RFC 3339 with an offset, e.g. 2026-11-29T08:15:00+09:00"
    )]
    MissingOffset(String),
    /// Not RFC 3339 at all.
    #[error("`{0}` is not an RFC 3339 timestamp (e.g. 2026-11-29T08:15:00+09:00): {1}")]
    Invalid(String, String),
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match OffsetDateTime::parse(text, &Rfc3339) {
            Ok(at) => Ok(Self(at)),
            Err(error) => {
                // `YYYY-MM-DDThh:mm:ss[.frac]` and nothing after it.
                let time_part = text.get(11..).unwrap_or("");
                let has_offset = time_part.contains(['Z', 'z', '+', '-']);
                if text.len() >= 19 && !has_offset {
                    Err(TimestampError::MissingOffset(text.to_owned()))
                } else {
                    Err(TimestampError::Invalid(text.to_owned(), error.to_string()))
                }
            }
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.0.format(&Rfc3339).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(de::Error::custom)
    }
}

/// A day on the calendar, `"2026-11-29"`, in the resident's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CalendarDate(pub time::Date);

impl fmt::Display for CalendarDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        )
    }
}

impl FromStr for CalendarDate {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{text}` is not a date written as YYYY-MM-DD");
        let parts: Vec<&str> = text.split('-').collect();
        let [y, m, d] = parts.as_slice() else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        let day: u8 = d.parse().map_err(|_| bad())?;
        let month = time::Month::try_from(month).map_err(|_| bad())?;
        time::Date::from_calendar_date(year, month, day)
            .map(CalendarDate)
            .map_err(|_| format!("`{text}` is not a day of the calendar"))
    }
}

/// A time of day on the resident's clock, `"09:30"`, minutes precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay {
    hour: u8,
    minute: u8,
}

impl TimeOfDay {
    /// `hour` 0..=23 and `minute` 0..=59, or `None`.
    pub const fn new(hour: u8, minute: u8) -> Option<Self> {
        if hour < 24 && minute < 60 {
            Some(Self { hour, minute })
        } else {
            None
        }
    }

    /// The hour, 0..=23.
    pub fn hour(&self) -> u8 {
        self.hour
    }

    /// The minute, 0..=59.
    pub fn minute(&self) -> u8 {
        self.minute
    }

    /// Minutes since midnight.
    pub fn minutes_of_day(&self) -> u16 {
        u16::from(self.hour) * 60 + u16::from(self.minute)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl FromStr for TimeOfDay {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{text}` is not a time of day written as HH:MM (00:00 to 23:59)");
        let (h, m) = text.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let hour = h.parse().map_err(|_| bad())?;
        let minute = m.parse().map_err(|_| bad())?;
        Self::new(hour, minute).ok_or_else(bad)
    }
}

/// Serde through `Display` and `FromStr` for the small text types here.
macro_rules! serde_via_str {
    ($($ty:ty),*) => {$(
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                text.parse().map_err(<D::Error as serde::de::Error>::custom)
            }
        }
    )*};
}

pub(crate) use serde_via_str;

serde_via_str!(CalendarDate, TimeOfDay);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_their_offset() {
        let t: Timestamp = "2026-11-29T08:15:00+09:00".parse().unwrap();
        assert_eq!(t.to_string(), "2026-11-29T08:15:00+09:00");
        assert_eq!(t.offset_seconds(), 9 * 3600);
        let utc: Timestamp = "2026-11-28T23:15:00Z".parse().unwrap();
        assert_eq!(t.unix_seconds(), utc.unix_seconds());
        assert_ne!(t, utc, "same instant, different offset");
    }

    #[test]
    fn a_timestamp_without_offset_says_how_to_write_it() {
        let err = "2026-11-29T08:15:00".parse::<Timestamp>().unwrap_err();
        assert!(matches!(err, TimestampError::MissingOffset(_)));
        assert!(err.to_string().contains("+09:00"), "{err}");
        let err = "2026-11-29T08:15:00.250".parse::<Timestamp>().unwrap_err();
        assert!(matches!(err, TimestampError::MissingOffset(_)));
        let err = "yesterday".parse::<Timestamp>().unwrap_err();
        assert!(matches!(err, TimestampError::Invalid(..)));
        let err = "2026-13-29T08:15:00+09:00"
            .parse::<Timestamp>()
            .unwrap_err();
        assert!(matches!(err, TimestampError::Invalid(..)));
    }

    #[test]
    fn from_and_to_unix_time() {
        let t = Timestamp::from_unix_nanos(1_795_907_700_500_000_000, 9 * 3600).unwrap();
        assert_eq!(t.to_string(), "2026-11-29T08:15:00.5+09:00");
        assert_eq!(t.unix_millis(), 1_795_907_700_500);
        let before_1970: Timestamp = "1969-12-31T23:59:59.250Z".parse().unwrap();
        assert_eq!(before_1970.unix_millis(), -750);
        assert!(
            Timestamp::from_unix_nanos(0, 26 * 3600).is_none(),
            "offsets stop at ±25:59"
        );
    }

    #[test]
    fn fractional_seconds_survive() {
        let t: Timestamp = "2026-11-29T08:15:00.125+09:00".parse().unwrap();
        assert_eq!(t.nanosecond(), 125_000_000);
        assert_eq!(t.to_string().parse::<Timestamp>().unwrap(), t);
    }

    #[test]
    fn dates_and_times_of_day() {
        let d: CalendarDate = "2028-02-29".parse().unwrap();
        assert_eq!(d.to_string(), "2028-02-29");
        assert!("2027-02-29".parse::<CalendarDate>().is_err());
        assert!("2027-2-28".parse::<CalendarDate>().is_err());
        let t: TimeOfDay = "09:05".parse().unwrap();
        assert_eq!((t.hour(), t.minute(), t.minutes_of_day()), (9, 5, 545));
        assert_eq!(t.to_string(), "09:05");
        assert!("24:00".parse::<TimeOfDay>().is_err());
        assert!("9:05".parse::<TimeOfDay>().is_err());
    }
}
