//! What a box sends: events in its outbox, each with an id chosen on the box.

use serde::{Deserialize, Serialize};

use crate::checkin::{CheckIn, Tenths};
use crate::clock::Timestamp;
use crate::ids::{BootId, EventId, ResidentId};
use crate::station::Tap;
use crate::tagged::tagged_enum;
use crate::validate::{self, Path, TextRule, Validate, ValidationError};
use crate::version::ProtocolVersion;

/// Longest software version string, in characters.
pub const MAX_SOFTWARE_VERSION_CHARS: usize = 64;

/// One event from a box's outbox.
///
/// ```json
/// {
///   "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
///   "recorded_at": "2026-11-29T08:15:00+09:00",
///   "boot_id": "6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22",
///   "seq": 412,
///   "body": {"type": "sos", "resident": 1042, "source": "call_button"}
/// }
/// ```
///
/// `recorded_at` is the box's wall clock, which may be wrong (no battery
/// clock); `boot_id` and `seq` order events regardless, and the center
/// corrects the clock from the sync round trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Idempotency key, chosen on the box.
    pub id: EventId,
    /// The box's clock when the event was made.
    pub recorded_at: Timestamp,
    /// The boot during which it was made.
    pub boot_id: BootId,
    /// The box's sequence number: increases by one per event, across boots.
    pub seq: u64,
    /// What happened.
    pub body: EventBody,
}

impl Validate for Event {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError> {
        if self.seq == 0 {
            return Err(ValidationError::new(
                &path.field("seq"),
                validate::Problem::OutOfRange {
                    value: "0".into(),
                    min: "1".into(),
                    max: u64::MAX.to_string(),
                },
            ));
        }
        self.body.validate_at(&path.field("body"))
    }
}

/// The kinds of event, tagged by `type`: `"check_in"`, `"heartbeat"`, `"sos"`,
/// and since 1.1 `"tap"` (from stations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    /// A resident's daily check-in.
    CheckIn(CheckIn),
    /// The box is alive.
    Heartbeat(Heartbeat),
    /// Someone asked for help now.
    Sos(Sos),
    /// A card tapped at a station (since 1.1).
    Tap(Tap),
}

tagged_enum!(EventBody, tag = "type", {
    "check_in" => EventBody::CheckIn, CheckIn;
    "heartbeat" => EventBody::Heartbeat, Heartbeat;
    "sos" => EventBody::Sos, Sos;
    "tap" => EventBody::Tap, Tap;
});

impl EventBody {
    /// The kind's name on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::CheckIn(_) => "check_in",
            EventBody::Heartbeat(_) => "heartbeat",
            EventBody::Sos(_) => "sos",
            EventBody::Tap(_) => "tap",
        }
    }

    /// The protocol version that introduced this kind: a box sends it only
    /// to a center that declared at least that version.
    pub fn since(&self) -> ProtocolVersion {
        match self {
            EventBody::Tap(_) => ProtocolVersion::V1_1,
            _ => ProtocolVersion::V1_0,
        }
    }

    /// The resident the event is about, if it names one.
    pub fn resident(&self) -> Option<ResidentId> {
        match self {
            EventBody::CheckIn(c) => Some(c.resident),
            EventBody::Heartbeat(_) | EventBody::Tap(_) => None,
            EventBody::Sos(s) => s.resident,
        }
    }
}

impl Validate for EventBody {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError> {
        match self {
            EventBody::CheckIn(c) => c.validate_at(path),
            EventBody::Heartbeat(h) => h.validate_at(path),
            EventBody::Sos(_) | EventBody::Tap(_) => Ok(()),
        }
    }
}

/// The box is alive, and what it knows of the room and the TV.
///
/// ```json
/// {
///   "type": "heartbeat",
///   "uptime_s": 86400,
///   "last_key_at": "2026-11-29T07:58:12+09:00",
///   "tv_power": "on",
///   "room": {"temperature_c": 31.5, "humidity_pct": 68.0},
///   "software_version": "0.1.0",
///   "pending_events": 0
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// Seconds since the box booted.
    pub uptime_s: u64,
    /// When a remote key was last pressed, if ever since boot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_key_at: Option<Timestamp>,
    /// The TV's power, where HDMI-CEC tells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tv_power: Option<TvPower>,
    /// The room sensor's reading, where the box has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomClimate>,
    /// The daemon's version.
    pub software_version: String,
    /// Events waiting in the box's outbox besides this one.
    #[serde(default)]
    pub pending_events: u32,
}

impl Validate for Heartbeat {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError> {
        TextRule::line(MAX_SOFTWARE_VERSION_CHARS)
            .check(&path.field("software_version"), &self.software_version)?;
        self.room.validate_at(&path.field("room"))
    }
}

/// The TV's power state as reported over HDMI-CEC. `"on"`, `"standby"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TvPower {
    /// The TV is on.
    On,
    /// The TV is in standby.
    Standby,
}

/// Temperature and relative humidity in the room.
/// `{"temperature_c": 31.5, "humidity_pct": 68.0}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RoomClimate {
    /// Air temperature, °C (-40.0 to 85.0, the sensors' range).
    pub temperature_c: Tenths,
    /// Relative humidity, % (0.0 to 100.0).
    pub humidity_pct: Tenths,
}

impl Validate for RoomClimate {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError> {
        validate::range(
            &path.field("temperature_c"),
            self.temperature_c,
            Tenths(-400),
            Tenths(850),
        )?;
        validate::range(
            &path.field("humidity_pct"),
            self.humidity_pct,
            Tenths(0),
            Tenths(1000),
        )
    }
}

/// Someone at the box asked for help now.
///
/// ```json
/// {"type": "sos", "resident": 1042, "source": "remote"}
/// ```
///
/// `resident` is absent when nobody was logged in (the call button works
/// without a card).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sos {
    /// Who, if a card was in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resident: Option<ResidentId>,
    /// What was pressed.
    pub source: SosSource,
}

/// What raised an SOS. `"remote"` (held red key), `"call_button"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SosSource {
    /// The red key held on the TV remote, then confirmed.
    Remote,
    /// The box's big call button, held.
    CallButton,
}
