//! The sync exchange: a box posts its outbox and what it already has; the
//! center acks events and sends what changed.

use serde::{Deserialize, Serialize};

use crate::checkin::MedicationSlot;
use crate::clock::{CalendarDate, TimeOfDay, Timestamp};
use crate::event::Event;
use crate::ids::{CardUid, CertFingerprint, DeviceId, EventId, ResidentId, Revision};
use crate::station::{MAX_PEOPLE_PER_STATION, Person, StationInfo};
use crate::tagged::tagged_enum;
use crate::validate::{self, Path, Problem, TextRule, Validate, ValidationError};
use crate::version::ProtocolVersion;

/// Most events in one sync request; a box with more sends several.
pub const MAX_EVENTS_PER_SYNC: usize = 500;
/// Most residents one box serves (a household).
pub const MAX_RESIDENTS_PER_BOX: usize = 8;
/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 60;
/// Longest notice title, in characters.
pub const MAX_NOTICE_TITLE_CHARS: usize = 60;
/// Longest notice body, in characters.
pub const MAX_NOTICE_BODY_CHARS: usize = 2000;

/// `POST /api/v1/sync` from a box.
///
/// ```json
/// {
///   "protocol": "1.0",
///   "device_id": "nanbu-0042",
///   "sent_at": "2026-11-29T08:15:03+09:00",
///   "events": [
///     {
///       "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
///       "recorded_at": "2026-11-29T08:15:00+09:00",
///       "boot_id": "6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22",
///       "seq": 412,
///       "body": {"type": "sos", "source": "call_button"}
///     }
///   ],
///   "known": {"residents": 17, "notices": 4}
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// The protocol version the box speaks.
    pub protocol: ProtocolVersion,
    /// The box, as provisioned at the center (the token proves it).
    pub device_id: DeviceId,
    /// The box's clock when it sent the request, for skew correction.
    pub sent_at: Timestamp,
    /// Outbox events, oldest first, at most [`MAX_EVENTS_PER_SYNC`].
    #[serde(default)]
    pub events: Vec<Event>,
    /// What the box already has.
    #[serde(default)]
    pub known: Known,
}

impl Validate for SyncRequest {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError> {
        let events = path.field("events");
        validate::list(&events, &self.events, MAX_EVENTS_PER_SYNC)?;
        // A box uses what its declared version has, and nothing newer.
        for (i, event) in self.events.iter().enumerate() {
            let needs = event.body.since();
            if needs > self.protocol {
                return Err(ValidationError::new(
                    &events.index(i).field("body").field("type"),
                    Problem::TooNew {
                        value: event.body.kind(),
                        needs: needs.to_string(),
                        declared: self.protocol.to_string(),
                    },
                ));
            }
        }
        Ok(())
    }
}

/// The revisions of center data a box holds; absent means none yet.
///
/// ```json
/// {"residents": 17, "notices": 4, "checkups": 9}
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Known {
    /// Revision of the residents section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residents: Option<Revision>,
    /// Revision of the notices section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notices: Option<Revision>,
    /// Revision of the checkups section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkups: Option<Revision>,
    /// Revision of the people section (stations, since 1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people: Option<Revision>,
}

/// The center's answer to a sync.
///
/// ```json
/// {
///   "protocol": "1.0",
///   "server_time": "2026-11-28T23:15:03.120Z",
///   "acked": ["0f8fad5b-d9cb-469f-a165-70867728950e"],
///   "rejected": [],
///   "residents": {"revision": 18, "items": [ ... ]},
///   "standings": [{"resident": 1042, "points": 320, "streak_days": 12,
///                  "last_check_in_on": "2026-11-29"}],
///   "next_sync_in_s": 900
/// }
/// ```
///
/// A section (`residents`, `notices`, `checkups`) is present only when its
/// revision differs from what the box said it [`Known`]s; it then holds the
/// whole current set, which replaces the box's copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// The protocol version the center speaks.
    pub protocol: ProtocolVersion,
    /// The center's clock when it answered.
    pub server_time: Timestamp,
    /// Events now stored at the center (or stored before): drop them from
    /// the outbox.
    #[serde(default)]
    pub acked: Vec<EventId>,
    /// Events the center will never accept: drop them too, and log why.
    #[serde(default)]
    pub rejected: Vec<RejectedEvent>,
    /// The residents this box serves, when changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residents: Option<Section<ResidentInfo>>,
    /// Notices from the town, when changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notices: Option<Section<Notice>>,
    /// Health-checkup records of this box's residents, when changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkups: Option<Section<CheckupRecord>>,
    /// Points and streaks of this box's residents, always current.
    #[serde(default)]
    pub standings: Vec<Standing>,
    /// When the center would like the next sync, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_sync_in_s: Option<u32>,
    /// For a station: the people it recognises, when changed (since 1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people: Option<Section<Person>>,
    /// For a station: its place, on every answer (since 1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station: Option<StationInfo>,
}

impl SyncResponse {
    /// This answer as a peer that declared `peer` may receive it: the
    /// version is the one both speak, and nothing newer than that version
    /// is in it. A center answers every request through this, so a 1.0 box
    /// gets exactly what a 1.0 center would have sent it.
    pub fn for_peer(mut self, peer: ProtocolVersion) -> Self {
        self.protocol = self.protocol.common(peer);
        if self.protocol < ProtocolVersion::V1_1 {
            self.people = None;
            self.station = None;
        }
        self
    }
}

impl Validate for SyncResponse {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError> {
        if let Some(residents) = &self.residents {
            validate::list(
                &path.field("residents").field("items"),
                &residents.items,
                MAX_RESIDENTS_PER_BOX,
            )?;
        }
        if let Some(notices) = &self.notices {
            validate::list(&path.field("notices").field("items"), &notices.items, 200)?;
        }
        if let Some(checkups) = &self.checkups {
            validate::list(
                &path.field("checkups").field("items"),
                &checkups.items,
                2000,
            )?;
        }
        if let Some(people) = &self.people {
            validate::list(
                &path.field("people").field("items"),
                &people.items,
                MAX_PEOPLE_PER_STATION,
            )?;
        }
        self.station.validate_at(&path.field("station"))
    }
}

/// A whole set of center data at one revision.
/// `{"revision": 18, "items": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section<T> {
    /// The revision to report back in [`Known`].
    pub revision: Revision,
    /// Every item at that revision.
    pub items: Vec<T>,
}

/// An event the center refused for good.
///
/// ```json
/// {"id": "0f8fad5b-d9cb-469f-a165-70867728950e", "reason": "bad_signature",
///  "message": "the signature does not verify with the bound certificate"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedEvent {
    /// The event.
    pub id: EventId,
    /// Why, for programs.
    pub reason: RejectReason,
    /// Why, for the log.
    pub message: String,
}

/// Why the center refused an event. Newer centers may add reasons; a box
/// reads those as [`RejectReason::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The resident is not served by this box.
    ForeignResident,
    /// The card is not bound to the resident.
    UnknownCard,
    /// The JPKI signature does not verify.
    BadSignature,
    /// The bound certificate has expired or is not yet valid.
    CertificateExpired,
    /// A reason this version does not know.
    #[serde(other)]
    Unknown,
}

/// A resident served by the box: how to recognise them and what to ask.
///
/// ```json
/// {
///   "id": 1042,
///   "name": "山田 花子",
///   "name_kana": "やまだ はなこ",
///   "cards": [{"method": "jpki", "cert_fingerprint": "<64 hex digits>"}],
///   "care_plan": {
///     "medication_slots": ["morning", "evening"],
///     "vitals": ["blood_pressure", "temperature"],
///     "reminder_at": "09:00",
///     "deadline": "12:00"
///   }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentInfo {
    /// The resident.
    pub id: ResidentId,
    /// Name for the greeting, e.g. 山田 花子.
    pub name: String,
    /// Reading in hiragana.
    pub name_kana: String,
    /// Cards that identify this resident.
    pub cards: Vec<CardBinding>,
    /// What to ask and when.
    pub care_plan: CarePlan,
}

impl Validate for ResidentInfo {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError> {
        TextRule::line(MAX_NAME_CHARS).check(&path.field("name"), &self.name)?;
        TextRule::line(MAX_NAME_CHARS).check(&path.field("name_kana"), &self.name_kana)?;
        let cards = path.field("cards");
        if self.cards.len() > 4 {
            return Err(ValidationError::new(
                &cards,
                Problem::TooMany {
                    len: self.cards.len(),
                    max: 4,
                },
            ));
        }
        self.care_plan.validate_at(&path.field("care_plan"))
    }
}

/// A card bound to a resident.
///
/// `{"method": "jpki", "cert_fingerprint": "<64 hex digits>"}` or
/// `{"method": "card_uid", "uid": "04A1B2C3D4E5F6"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum CardBinding {
    /// A My Number card's user-authentication certificate.
    Jpki(JpkiBinding),
    /// A trial card's UID (weak).
    CardUid(UidBinding),
}

tagged_enum!(CardBinding, tag = "method", {
    "jpki" => CardBinding::Jpki, JpkiBinding;
    "card_uid" => CardBinding::CardUid, UidBinding;
});

/// A bound JPKI certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JpkiBinding {
    /// SHA-256 of the certificate's DER.
    pub cert_fingerprint: CertFingerprint,
}

/// A bound trial card.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UidBinding {
    /// The card's UID.
    pub uid: CardUid,
}

/// What the TV asks a resident, and when it reminds them.
///
/// ```json
/// {
///   "medication_slots": ["morning", "evening"],
///   "vitals": ["blood_pressure"],
///   "reminder_at": "09:00",
///   "deadline": "12:00"
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarePlan {
    /// Medication slots to ask about, in the order of the day.
    #[serde(default)]
    pub medication_slots: Vec<MedicationSlot>,
    /// Measurements to ask for.
    #[serde(default)]
    pub vitals: Vec<VitalKind>,
    /// When the box reminds (LED, chime, TV) if today's check-in is missing.
    pub reminder_at: TimeOfDay,
    /// When the center counts today's check-in as missed.
    pub deadline: TimeOfDay,
}

impl Validate for CarePlan {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError> {
        validate::unique(
            &path.field("medication_slots"),
            &self.medication_slots,
            |s| s.as_str().to_owned(),
        )?;
        validate::unique(&path.field("vitals"), &self.vitals, |v| {
            v.as_str().to_owned()
        })?;
        if self.reminder_at > self.deadline {
            return Err(ValidationError::new(
                &path.field("reminder_at"),
                Problem::Inconsistent("the reminder must come before the deadline"),
            ));
        }
        Ok(())
    }
}

/// A measurement the care plan asks for.
/// `"blood_pressure"` (with pulse), `"temperature"`, `"weight"`, `"steps"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VitalKind {
    /// Blood pressure and pulse, from the home monitor.
    BloodPressure,
    /// Body temperature.
    Temperature,
    /// Body weight.
    Weight,
    /// Steps walked today.
    Steps,
}

impl VitalKind {
    /// The name on the wire.
    pub fn as_str(&self) -> &'static str {
        match self {
            VitalKind::BloodPressure => "blood_pressure",
            VitalKind::Temperature => "temperature",
            VitalKind::Weight => "weight",
            VitalKind::Steps => "steps",
        }
    }

    /// The label on the TV.
    pub fn label_ja(&self) -> &'static str {
        match self {
            VitalKind::BloodPressure => "血圧",
            VitalKind::Temperature => "体温",
            VitalKind::Weight => "体重",
            VitalKind::Steps => "歩数",
        }
    }
}

/// A resident's health points and streak, for the done screen, and what
/// the box's reminder needs to know every sync: whether today is done and
/// whether the watch is paused.
///
/// ```json
/// {"resident": 1042, "points": 320, "streak_days": 12, "last_check_in_on": "2026-11-29",
///  "paused_through": "2026-12-05"}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    /// The resident.
    pub resident: ResidentId,
    /// Health-points balance.
    pub points: i64,
    /// Consecutive days with a check-in, up to the last one.
    pub streak_days: u32,
    /// The last day with a check-in, on the resident's calendar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_check_in_on: Option<CalendarDate>,
    /// The watch is paused (入院中, 旅行中) through this day, inclusive:
    /// the box does not remind. Absent when not paused (and from centers
    /// before this field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_through: Option<CalendarDate>,
}

/// A notice from the town, shown on the TV.
///
/// ```json
/// {
///   "id": 7,
///   "title": "インフルエンザ予防接種のお知らせ",
///   "body": "11月30日まで、役場で受け付けています。",
///   "published_on": "2026-11-01",
///   "expires_on": "2026-11-30",
///   "important": false
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The notice's number at the center.
    pub id: u64,
    /// One line.
    pub title: String,
    /// The text; line breaks allowed.
    pub body: String,
    /// From when it is shown.
    pub published_on: CalendarDate,
    /// After which day it is no longer shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<CalendarDate>,
    /// Shown on the standby screen, not only in the menu.
    #[serde(default)]
    pub important: bool,
}

impl Validate for Notice {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError> {
        TextRule::line(MAX_NOTICE_TITLE_CHARS).check(&path.field("title"), &self.title)?;
        TextRule::paragraph(MAX_NOTICE_BODY_CHARS).check(&path.field("body"), &self.body)
    }
}

/// One health checkup (特定健診 and the like) of a resident, for their own
/// eyes on the TV after a JPKI login.
///
/// ```json
/// {
///   "id": 3,
///   "resident": 1042,
///   "examined_on": "2026-06-12",
///   "title": "特定健康診査",
///   "items": [
///     {"name": "HbA1c", "value": "6.1", "unit": "%", "judgement": "caution"},
///     {"name": "収縮期血圧", "value": "132", "unit": "mmHg", "judgement": "normal"}
///   ]
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckupRecord {
    /// The record's number at the center.
    pub id: u64,
    /// Whose record.
    pub resident: ResidentId,
    /// Day of the examination.
    pub examined_on: CalendarDate,
    /// What kind of checkup.
    pub title: String,
    /// The results, in the order of the report.
    pub items: Vec<CheckupItem>,
}

impl Validate for CheckupRecord {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError> {
        TextRule::line(MAX_NAME_CHARS).check(&path.field("title"), &self.title)?;
        validate::list(&path.field("items"), &self.items, 100)
    }
}

/// One result of a checkup. Values are text as printed on the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckupItem {
    /// Test name, e.g. HbA1c.
    pub name: String,
    /// Result as printed, e.g. `6.1`.
    pub value: String,
    /// Unit, e.g. `%`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The examiner's judgement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judgement: Option<Judgement>,
}

impl Validate for CheckupItem {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError> {
        TextRule::line(MAX_NAME_CHARS).check(&path.field("name"), &self.name)?;
        TextRule::line(MAX_NAME_CHARS).check(&path.field("value"), &self.value)?;
        if let Some(unit) = &self.unit {
            TextRule::line(20).check(&path.field("unit"), unit)?;
        }
        Ok(())
    }
}

/// The examiner's judgement of a checkup result. Newer centers may add
/// judgements; a box reads those as [`Judgement::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
    /// 異常なし
    Normal,
    /// 要注意 (watch)
    Caution,
    /// 要受診 (see a doctor)
    Abnormal,
    /// A judgement this version does not know.
    #[serde(other)]
    Unknown,
}
