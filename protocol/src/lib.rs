//! The wire format between a Mimamori set-top box and its center, version 1
//! (minor 1: tap stations).
//!
//! A box keeps an outbox of [`Event`]s — check-ins, heartbeats, SOS, and at
//! a tap station card [`Tap`]s — each
//! with an id chosen on the box, its wall clock, its boot id and a sequence
//! number. It posts them in a [`SyncRequest`] together with what center data
//! it already has ([`Known`]); the center answers with a [`SyncResponse`]:
//! which events it stored, and whatever changed of the residents served by
//! the box (card bindings, care plan), notices, health-checkup records,
//! points and streaks, and the server's time.
//!
//! Everything is JSON. Bytes from the network go through [`decode`], which
//! refuses unknown enum values, impossible vitals, oversize text and
//! timestamps without a UTC offset, naming the field; unknown *fields* are
//! ignored so that a newer minor version can add them. A check-in's
//! [`canonical`] bytes are what a My Number card signs.
//!
//! No I/O happens here; both the box and the center depend on this crate.
//!
//! ```
//! use mimamori_protocol::*;
//!
//! let body = br#"{
//!   "protocol": "1.0",
//!   "device_id": "nanbu-0042",
//!   "sent_at": "2026-11-29T08:15:03+09:00",
//!   "events": [{
//!     "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
//!     "recorded_at": "2026-11-29T08:15:00+09:00",
//!     "boot_id": "6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22",
//!     "seq": 412,
//!     "body": {"type": "check_in", "resident": 1042, "condition": "poor",
//!              "vitals": {"blood_pressure": {"systolic_mmhg": 500, "diastolic_mmhg": 80}},
//!              "auth": {"method": "card_uid", "uid": "04A1B2C3D4E5F6"}}
//!   }]
//! }"#;
//! let err = decode::<SyncRequest>(body).unwrap_err();
//! assert_eq!(err.field(), Some("events[0].body.vitals.blood_pressure.systolic_mmhg"));
//! ```

mod checkin;
mod clock;
mod codec;
mod event;
mod ids;
mod station;
mod sync;
mod tagged;
mod validate;
mod version;

pub mod canonical;

pub use checkin::{
    Authentication, BloodPressure, CheckIn, Condition, JpkiProof, MAX_SYMPTOM_NOTE_CHARS,
    MedicationEntry, MedicationSlot, MedicationStatus, Symptom, Tenths, UidProof, Vitals, ranges,
};
pub use clock::{CalendarDate, TimeOfDay, Timestamp, TimestampError};
pub use codec::{DecodeError, MAX_SYNC_REQUEST_BYTES, Versioned, decode, encode};
pub use event::{
    Event, EventBody, Heartbeat, MAX_SOFTWARE_VERSION_CHARS, RoomClimate, Sos, SosSource, TvPower,
};
pub use ids::{
    BootId, CardUid, CertFingerprint, DeviceId, EventId, ResidentId, Revision, Signature,
};
pub use station::{MAX_PEOPLE_PER_STATION, Person, StationInfo, StationKind, Tap};
pub use sync::{
    CardBinding, CarePlan, CheckupItem, CheckupRecord, JpkiBinding, Judgement, Known,
    MAX_EVENTS_PER_SYNC, MAX_NAME_CHARS, MAX_NOTICE_BODY_CHARS, MAX_NOTICE_TITLE_CHARS,
    MAX_RESIDENTS_PER_BOX, Notice, RejectReason, RejectedEvent, ResidentInfo, Section, Standing,
    SyncRequest, SyncResponse, UidBinding, VitalKind,
};
pub use validate::{Path, Problem, Validate, ValidationError};
pub use version::{PROTOCOL_VERSION, ProtocolVersion};
