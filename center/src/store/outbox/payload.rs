//! What an outbox row's message is composed from, and composing it.

use jiff::Timestamp;
use lettre::Message;
use mimamori_protocol::{Condition, MedicationEntry, Symptom, Vitals};
use serde::{Deserialize, Serialize};

use crate::domain::{AlertId, AlertKind, AlertState};
use crate::mail::{self, MailError, MailSettings, MessageStamp, NamedAddress};

/// What a family contact may see, as stored in `family_contacts.consent`
/// (JSON). A key left out is allowed: by default a contact sees everything
/// the resident shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoredConsent {
    /// よい / ふつう / わるい.
    pub condition: bool,
    /// Symptoms and the note.
    pub symptoms: bool,
    /// Medication.
    pub medication: bool,
    /// Measurements.
    pub vitals: bool,
    /// That a call was requested.
    pub call_request: bool,
}

impl Default for StoredConsent {
    fn default() -> Self {
        Self {
            condition: true,
            symptoms: true,
            medication: true,
            vitals: true,
            call_request: true,
        }
    }
}

impl StoredConsent {
    /// Parses what a contact may see, as the operator writes it: `all`,
    /// `none`, or a comma-separated list of condition (体調), symptoms
    /// (症状), medication (服薬), vitals (測定) and call_request (連絡希望).
    pub fn parse(text: &str) -> Result<Self, String> {
        let none = StoredConsent {
            condition: false,
            symptoms: false,
            medication: false,
            vitals: false,
            call_request: false,
        };
        match text.trim() {
            "all" | "すべて" => return Ok(StoredConsent::default()),
            "none" | "なし" => return Ok(none),
            _ => {}
        }
        let mut consent = none;
        for item in text
            .split([',', '、'])
            .map(str::trim)
            .filter(|i| !i.is_empty())
        {
            match item {
                "condition" | "体調" => consent.condition = true,
                "symptoms" | "症状" => consent.symptoms = true,
                "medication" | "服薬" | "お薬" => consent.medication = true,
                "vitals" | "測定" => consent.vitals = true,
                "call_request" | "連絡希望" => consent.call_request = true,
                other => {
                    return Err(format!(
                        "`{other}` is not something a family may see; use all, none, or some of condition (体調), symptoms (症状), medication (服薬), vitals (測定), call_request (連絡希望)"
                    ));
                }
            }
        }
        Ok(consent)
    }

    /// The items allowed, as [`StoredConsent::parse`] reads them
    /// (`all`, `none`, or a list).
    pub fn describe(&self) -> String {
        let items = [
            (self.condition, "condition"),
            (self.symptoms, "symptoms"),
            (self.medication, "medication"),
            (self.vitals, "vitals"),
            (self.call_request, "call_request"),
        ];
        let on: Vec<&str> = items
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect();
        match on.len() {
            0 => "none".to_owned(),
            5 => "all".to_owned(),
            _ => on.join(","),
        }
    }
}

impl From<StoredConsent> for mail::FamilyConsent {
    fn from(c: StoredConsent) -> Self {
        mail::FamilyConsent {
            condition: c.condition,
            symptoms: c.symptoms,
            medication: c.medication,
            vitals: c.vitals,
            call_request: c.call_request,
        }
    }
}

/// A family contact as a message needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactFacts {
    /// 「山田 一郎」.
    pub name: String,
    /// Where the mail goes.
    pub email: String,
    /// What they may see.
    pub consent: StoredConsent,
    /// Their unsubscribe token.
    pub unsubscribe_token: String,
}

/// A check-in as a family message needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCheckIn {
    /// When the resident answered (corrected for the box's clock).
    pub recorded_at: Timestamp,
    /// よい / ふつう / わるい.
    pub condition: Condition,
    /// Symptoms.
    pub symptoms: Vec<Symptom>,
    /// The note for その他.
    pub symptom_note: Option<String>,
    /// Medication.
    pub medication: Vec<MedicationEntry>,
    /// Measurements.
    pub vitals: Vitals,
    /// 「保健師さんに連絡してほしい」.
    pub call_requested: bool,
}

/// What a row's message is composed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Payload {
    /// A check-in, to a contact with policy `every_check_in`.
    FamilyCheckin {
        /// Who gets it.
        contact: ContactFacts,
        /// The resident's name.
        resident_name: String,
        /// The check-in.
        check_in: StoredCheckIn,
        /// Check-ins that arrived within the group window after it (a
        /// box's backlog): one mail carries them all.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        more: Vec<StoredCheckIn>,
    },
    /// The week's check-ins, to a contact with policy `daily_digest`.
    FamilyDigest {
        /// Who gets it.
        contact: ContactFacts,
        /// The resident's name.
        resident_name: String,
        /// The last day of the week shown.
        last_day: jiff::civil::Date,
        /// The check-ins of the week, oldest first.
        check_ins: Vec<StoredCheckIn>,
    },
    /// An alert opened, to a contact (every_check_in or concerns_only).
    FamilyConcern {
        /// Who gets it.
        contact: ContactFacts,
        /// The resident's name.
        resident_name: String,
        /// The alert's kind.
        kind: AlertKind,
        /// When it opened.
        since: Timestamp,
        /// The resident's last check-in.
        last_check_in: Option<Timestamp>,
    },
    /// An alert opened, to a nurse of the resident's district.
    NurseAlert(NurseFacts),
    /// An alert left unacknowledged, to a nurse of the district.
    NurseEscalation(NurseFacts),
    /// The morning summary of a district's unresolved alerts, to a nurse.
    NurseSummary(SummaryFacts),
    /// A child's tap at a station, to a guardian.
    GuardianTap {
        /// Who gets it.
        guardian: GuardianFacts,
        /// The child's name.
        child_name: String,
        /// The station's place.
        place: String,
        /// When the card was tapped.
        at: Timestamp,
    },
    /// A person confirmed at a shelter during an incident, to a guardian
    /// or a family contact.
    ShelterArrival {
        /// Who gets it (a guardian, or a family contact: the same facts).
        to: GuardianFacts,
        /// Who arrived.
        person_name: String,
        /// The shelter.
        place: String,
        /// The incident's name.
        incident: String,
        /// When the card was tapped.
        at: Timestamp,
    },
}

/// A child's guardian as a message needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardianFacts {
    /// 「山田 良子」.
    pub name: String,
    /// Where the mail goes.
    pub email: String,
    /// Their unsubscribe token.
    pub unsubscribe_token: String,
}

/// A district's unresolved alerts as a nurse's morning summary needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryFacts {
    /// The nurse's name.
    pub nurse_name: String,
    /// The nurse's address.
    pub email: String,
    /// The district.
    pub district: String,
    /// Its unresolved alerts.
    pub alerts: Vec<SummaryEntry>,
}

/// One unresolved alert of a morning summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryEntry {
    /// The alert.
    pub alert: i64,
    /// The resident's name.
    pub resident_name: String,
    /// The alert's kind.
    pub kind: AlertKind,
    /// When it opened.
    pub since: Timestamp,
    /// Open or acknowledged.
    pub state: AlertState,
}

/// An alert as a nurse's message needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NurseFacts {
    /// The nurse's name.
    pub nurse_name: String,
    /// The nurse's address.
    pub email: String,
    /// The alert.
    pub alert: i64,
    /// The resident's name.
    pub resident_name: String,
    /// The alert's kind.
    pub kind: AlertKind,
    /// When it opened.
    pub since: Timestamp,
    /// Alerts for the same nurse that opened (or escalated) within the
    /// group window after it: one mail carries them all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more: Vec<GroupedAlert>,
}

/// Another alert gathered into a nurse's alert mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupedAlert {
    /// The alert.
    pub alert: i64,
    /// The resident's name.
    pub resident_name: String,
    /// The alert's kind.
    pub kind: AlertKind,
    /// When it opened.
    pub since: Timestamp,
}

impl Payload {
    /// The `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::FamilyCheckin { .. } => "family_checkin",
            Payload::FamilyDigest { .. } => "family_digest",
            Payload::FamilyConcern { .. } => "family_concern",
            Payload::NurseAlert(_) => "nurse_alert",
            Payload::NurseEscalation(_) => "nurse_escalation",
            Payload::NurseSummary(_) => "nurse_summary",
            Payload::GuardianTap { .. } => "guardian_tap",
            Payload::ShelterArrival { .. } => "shelter_arrival",
        }
    }

    /// The recipient's address.
    pub fn recipient(&self) -> &str {
        match self {
            Payload::FamilyCheckin { contact, .. }
            | Payload::FamilyDigest { contact, .. }
            | Payload::FamilyConcern { contact, .. } => &contact.email,
            Payload::NurseAlert(n) | Payload::NurseEscalation(n) => &n.email,
            Payload::NurseSummary(s) => &s.email,
            Payload::GuardianTap { guardian, .. } => &guardian.email,
            Payload::ShelterArrival { to, .. } => &to.email,
        }
    }
}

/// A row due to be sent.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The row id: the `Message-ID` is `<outbox-{id}@domain>`.
    pub id: i64,
    /// When it was enqueued: the message's `Date`.
    pub created_at: Timestamp,
    /// Attempts made so far.
    pub attempts: u32,
    /// What it says.
    pub payload: Payload,
}

impl Pending {
    /// Composes the row's message. The same row always gives the same
    /// bytes (same `Message-ID`, `Date` and boundaries).
    pub fn compose(&self, settings: &MailSettings) -> Result<Message, MailError> {
        let stamp = MessageStamp {
            outbox_id: self.id,
            date: self.created_at,
        };
        let contact = |c: &ContactFacts| mail::FamilyContact {
            address: NamedAddress::new(&c.name, &c.email),
            consent: c.consent.into(),
            unsubscribe_token: c.unsubscribe_token.clone(),
        };
        let nurse = |n: &NurseFacts| mail::NurseAlert {
            nurse: NamedAddress::new(&n.nurse_name, &n.email),
            alert: mail::AlertFacts {
                id: AlertId(n.alert),
                resident_name: n.resident_name.clone(),
                kind: n.kind,
                since: n.since,
            },
        };
        let facts = |c: &StoredCheckIn| mail::CheckInFacts {
            recorded_at: c.recorded_at,
            condition: c.condition,
            symptoms: c.symptoms.clone(),
            symptom_note: c.symptom_note.clone(),
            medication: c.medication.clone(),
            vitals: c.vitals,
            call_requested: c.call_requested,
        };
        match &self.payload {
            Payload::ShelterArrival {
                to,
                person_name,
                place,
                incident,
                at,
            } => mail::compose_shelter_arrival(
                settings,
                &stamp,
                &mail::ShelterArrival {
                    to: NamedAddress::new(&to.name, &to.email),
                    unsubscribe_token: to.unsubscribe_token.clone(),
                    person_name: person_name.clone(),
                    place: place.clone(),
                    incident: incident.clone(),
                    at: *at,
                },
            ),
            Payload::GuardianTap {
                guardian,
                child_name,
                place,
                at,
            } => mail::compose_guardian_tap(
                settings,
                &stamp,
                &mail::GuardianTap {
                    guardian: NamedAddress::new(&guardian.name, &guardian.email),
                    unsubscribe_token: guardian.unsubscribe_token.clone(),
                    child_name: child_name.clone(),
                    place: place.clone(),
                    at: *at,
                },
            ),
            Payload::FamilyDigest {
                contact: c,
                resident_name,
                last_day,
                check_ins,
            } => mail::compose_family_digest(
                settings,
                &stamp,
                &mail::FamilyDigest {
                    contact: contact(c),
                    resident_name: resident_name.clone(),
                    last_day: *last_day,
                    check_ins: check_ins.iter().map(facts).collect(),
                },
            ),
            Payload::FamilyCheckin {
                contact: c,
                resident_name,
                check_in,
                more,
            } if !more.is_empty() => mail::compose_family_checkins(
                settings,
                &stamp,
                &mail::FamilyCheckIns {
                    contact: contact(c),
                    resident_name: resident_name.clone(),
                    check_ins: std::iter::once(check_in).chain(more).map(facts).collect(),
                },
            ),
            Payload::FamilyCheckin {
                contact: c,
                resident_name,
                check_in,
                more: _,
            } => mail::compose_family_checkin(
                settings,
                &stamp,
                &mail::FamilyCheckIn {
                    contact: contact(c),
                    resident_name: resident_name.clone(),
                    check_in: mail::CheckInFacts {
                        recorded_at: check_in.recorded_at,
                        condition: check_in.condition,
                        symptoms: check_in.symptoms.clone(),
                        symptom_note: check_in.symptom_note.clone(),
                        medication: check_in.medication.clone(),
                        vitals: check_in.vitals,
                        call_requested: check_in.call_requested,
                    },
                },
            ),
            Payload::FamilyConcern {
                contact: c,
                resident_name,
                kind,
                since,
                last_check_in,
            } => mail::compose_family_concern(
                settings,
                &stamp,
                &mail::FamilyConcern {
                    contact: contact(c),
                    resident_name: resident_name.clone(),
                    kind: *kind,
                    since: *since,
                    last_check_in: *last_check_in,
                },
            ),
            Payload::NurseAlert(n) | Payload::NurseEscalation(n) if !n.more.is_empty() => {
                let first = nurse(n);
                mail::compose_nurse_alerts(
                    settings,
                    &stamp,
                    &mail::NurseAlerts {
                        nurse: first.nurse,
                        alerts: std::iter::once(first.alert)
                            .chain(n.more.iter().map(|a| mail::AlertFacts {
                                id: AlertId(a.alert),
                                resident_name: a.resident_name.clone(),
                                kind: a.kind,
                                since: a.since,
                            }))
                            .collect(),
                        escalation: matches!(self.payload, Payload::NurseEscalation(_)),
                    },
                )
            }
            Payload::NurseAlert(n) => mail::compose_nurse_alert(settings, &stamp, &nurse(n)),
            Payload::NurseEscalation(n) => {
                mail::compose_nurse_escalation(settings, &stamp, &nurse(n))
            }
            Payload::NurseSummary(s) => mail::compose_nurse_summary(
                settings,
                &stamp,
                &mail::NurseSummary {
                    nurse: NamedAddress::new(&s.nurse_name, &s.email),
                    district: s.district.clone(),
                    alerts: s
                        .alerts
                        .iter()
                        .map(|a| mail::SummaryAlert {
                            alert: mail::AlertFacts {
                                id: AlertId(a.alert),
                                resident_name: a.resident_name.clone(),
                                kind: a.kind,
                                since: a.since,
                            },
                            state: a.state,
                        })
                        .collect(),
                },
            ),
        }
    }
}
