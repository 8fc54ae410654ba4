//! The mail outbox: one row per message that should go out.
//!
//! Rows are enqueued in the same transaction that records their cause — a
//! check-in ([`enqueue_check_in`]), an alert opened or escalated
//! ([`enqueue_alert`]) — so a stored check-in without its mail, or mail
//! about a check-in that was rolled back, cannot happen. A row keeps the
//! facts it is composed from ([`Payload`], JSON), not the bytes: composing
//! it with its id and `created_at` ([`Pending::compose`]) gives the same
//! message, with the same `Message-ID`, at every attempt.
//!
//! The sender ([`crate::mail::sender`]) reads the due rows ([`due`]), sends
//! them and records the outcome ([`record_sent`], [`record_failure`]).
//! Transient failures are retried with exponential backoff and jitter
//! ([`retry_delay`]) until the row is `max_age` old; permanent ones fail at
//! once. Nothing is enqueued while mail is off (no `[mail]` section).

use jiff::{SignedDuration, Timestamp};
use lettre::Message;
use mimamori_protocol::{Condition, MedicationEntry, Symptom, Vitals};
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use super::watch::Applied;
use super::{Result, StoreError, from_ms, ms};
use crate::config::Config;
use crate::domain::{AlertId, AlertKind};
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
        }
    }

    /// The recipient's address.
    pub fn recipient(&self) -> &str {
        match self {
            Payload::FamilyCheckin { contact, .. }
            | Payload::FamilyDigest { contact, .. }
            | Payload::FamilyConcern { contact, .. } => &contact.email,
            Payload::NurseAlert(n) | Payload::NurseEscalation(n) => &n.email,
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
            Payload::NurseAlert(n) => mail::compose_nurse_alert(settings, &stamp, &nurse(n)),
            Payload::NurseEscalation(n) => {
                mail::compose_nurse_escalation(settings, &stamp, &nurse(n))
            }
        }
    }
}

fn insert(
    conn: &Connection,
    payload: &Payload,
    contact: Option<i64>,
    staff: Option<i64>,
    resident: i64,
    now: Timestamp,
) -> Result<i64> {
    let json = serde_json::to_string(payload)
        .map_err(|e| StoreError::Invalid(format!("outbox payload: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO outbox (kind, recipient, contact_id, staff_id, resident_id, payload, created_at, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?
    .execute(params![
        payload.kind(),
        payload.recipient(),
        contact,
        staff,
        resident,
        json,
        ms(now)
    ])?;
    Ok(conn.last_insert_rowid())
}

fn resident_name(conn: &Connection, resident: i64) -> Result<String> {
    conn.prepare_cached("SELECT name FROM residents WHERE id = ?1")?
        .query_row([resident], |row| row.get(0))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("resident {resident} does not exist")))
}

/// The subscribed contacts of `resident` whose policy is one of `policies`.
fn contacts(
    conn: &Connection,
    resident: i64,
    policies: &[&str],
) -> Result<Vec<(i64, ContactFacts)>> {
    let rows = conn
        .prepare_cached(
            "SELECT id, name, email, consent, unsubscribe_token, policy FROM family_contacts
              WHERE resident_id = ?1 AND unsubscribed_at IS NULL ORDER BY id",
        )?
        .query_map([resident], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, String>(5)?,
            ))
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let mut out = Vec::new();
    for (id, name, email, consent, token, policy) in rows {
        if !policies.contains(&policy.as_str()) {
            continue;
        }
        let consent: StoredConsent = serde_json::from_str(&consent).map_err(|e| {
            StoreError::Invalid(format!("family contact {id}: stored consent: {e}"))
        })?;
        let unsubscribe_token = token.ok_or_else(|| {
            StoreError::Invalid(format!("family contact {id} has no unsubscribe token"))
        })?;
        out.push((
            id,
            ContactFacts {
                name,
                email,
                consent,
                unsubscribe_token,
            },
        ));
    }
    Ok(out)
}

/// Enqueues the family mail of a check-in just stored: one message to each
/// subscribed contact with policy `every_check_in`. Nothing while mail is off.
pub(crate) fn enqueue_check_in(
    conn: &Connection,
    config: &Config,
    resident: i64,
    check_in: &StoredCheckIn,
    now: Timestamp,
) -> Result<Vec<i64>> {
    if config.mail.is_none() {
        return Ok(Vec::new());
    }
    let recipients = contacts(conn, resident, &["every_check_in"])?;
    if recipients.is_empty() {
        return Ok(Vec::new());
    }
    let name = resident_name(conn, resident)?;
    recipients
        .into_iter()
        .map(|(id, contact)| {
            let payload = Payload::FamilyCheckin {
                contact,
                resident_name: name.clone(),
                check_in: check_in.clone(),
            };
            insert(conn, &payload, Some(id), None, resident, now)
        })
        .collect()
}

/// Enqueues the mail of an alert just opened (a concern to the family with
/// policy `every_check_in` or `concerns_only`, the alert to the nurses of
/// the resident's district) or escalated (to the nurses). Nothing for a
/// close, nor while mail is off.
pub(crate) fn enqueue_alert(
    conn: &Connection,
    config: &Config,
    applied: &Applied,
    now: Timestamp,
) -> Result<Vec<i64>> {
    if config.mail.is_none() || !matches!(applied.action, "opened" | "escalated") {
        return Ok(Vec::new());
    }
    let resident = applied.resident;
    let (name, district, last_check_in, opened_at): (String, String, Option<i64>, i64) = conn
        .prepare_cached(
            "SELECT r.name, r.district, r.last_check_in_at, a.opened_at
               FROM alerts a JOIN residents r ON r.id = a.resident_id WHERE a.id = ?1",
        )?
        .query_row([applied.alert], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?;
    let mut ids = Vec::new();
    let opened = applied.action == "opened";
    if opened {
        for (id, contact) in contacts(conn, resident, &["every_check_in", "concerns_only"])? {
            let payload = Payload::FamilyConcern {
                contact,
                resident_name: name.clone(),
                kind: applied.kind,
                since: from_ms(opened_at),
                last_check_in: last_check_in.map(from_ms),
            };
            ids.push(insert(conn, &payload, Some(id), None, resident, now)?);
        }
    }
    let nurses = conn
        .prepare_cached(
            "SELECT DISTINCT s.id, s.name, s.email FROM staff s, json_each(s.districts) d
              WHERE d.value = ?1 AND s.email != '' ORDER BY s.id",
        )?
        .query_map([&district], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    for (staff, nurse_name, email) in nurses {
        let facts = NurseFacts {
            nurse_name,
            email,
            alert: applied.alert,
            resident_name: name.clone(),
            kind: applied.kind,
            since: from_ms(opened_at),
        };
        let payload = if opened {
            Payload::NurseAlert(facts)
        } else {
            Payload::NurseEscalation(facts)
        };
        ids.push(insert(conn, &payload, None, Some(staff), resident, now)?);
    }
    Ok(ids)
}

/// The rows due at `now` (pending, next attempt reached), oldest due first.
pub fn due(conn: &Connection, now: Timestamp, limit: usize) -> Result<Vec<Pending>> {
    let rows = conn
        .prepare_cached(
            "SELECT id, created_at, attempts, payload FROM outbox
              WHERE state = 'pending' AND next_attempt_at <= ?1
              ORDER BY next_attempt_at, id LIMIT ?2",
        )?
        .query_map(
            params![ms(now), i64::try_from(limit).unwrap_or(i64::MAX)],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, u32>(2)?,
                    row.get::<_, String>(3)?,
                ))
            },
        )?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, created_at, attempts, payload)| {
            Ok(Pending {
                id,
                created_at: from_ms(created_at),
                attempts,
                payload: serde_json::from_str(&payload).map_err(|e| {
                    StoreError::Invalid(format!("outbox row {id}: stored payload: {e}"))
                })?,
            })
        })
        .collect()
}

/// Records that row `id` was accepted by the relay at `now`.
pub fn record_sent(conn: &Connection, id: i64, now: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET state = 'sent', sent_at = ?1, attempts = attempts + 1, last_error = NULL
          WHERE id = ?2 AND state = 'pending'",
    )?
    .execute(params![ms(now), id])?;
    Ok(())
}

/// What became of a row after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Tried again at this instant.
    RetryAt(Timestamp),
    /// Given up: a permanent failure, or too old to retry.
    Failed,
}

/// The wait before attempt `attempts + 1`, after `attempts` failed ones:
/// 30 s doubling each time up to an hour, stretched by `jitter` (a fraction
/// in `[0, 1)`, up to +50 %) so that many rows failing together do not come
/// back together.
pub fn retry_delay(attempts: u32, jitter: f64) -> SignedDuration {
    let base = 30.0 * 2f64.powi(i32::try_from(attempts.saturating_sub(1).min(16)).unwrap_or(16));
    let capped = base.min(3600.0);
    SignedDuration::from_secs_f64(capped * (1.0 + 0.5 * jitter.clamp(0.0, 1.0)))
}

/// Records a failed attempt of row `id` at `now`: a permanent failure, or a
/// transient one whose next attempt would come after the row is `max_age`
/// old, marks it failed; otherwise it is retried after [`retry_delay`].
pub fn record_failure(
    conn: &Connection,
    id: i64,
    now: Timestamp,
    error: &str,
    permanent: bool,
    max_age: SignedDuration,
    jitter: f64,
) -> Result<AfterFailure> {
    let (created_at, attempts): (i64, u32) = conn
        .prepare_cached("SELECT created_at, attempts FROM outbox WHERE id = ?1")?
        .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("outbox row {id} does not exist")))?;
    let attempts = attempts + 1;
    let next = now + retry_delay(attempts, jitter);
    let outcome = if permanent || next > from_ms(created_at) + max_age {
        AfterFailure::Failed
    } else {
        AfterFailure::RetryAt(next)
    };
    let (state, next_ms) = match outcome {
        AfterFailure::Failed => ("failed", ms(now)),
        AfterFailure::RetryAt(at) => ("pending", ms(at)),
    };
    conn.prepare_cached(
        "UPDATE outbox SET state = ?1, next_attempt_at = ?2, attempts = ?3, last_error = ?4
          WHERE id = ?5 AND state = 'pending'",
    )?
    .execute(params![state, next_ms, attempts, error, id])?;
    Ok(outcome)
}

/// An outbox row as listed.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxRow {
    /// Its id.
    pub id: i64,
    /// `family_checkin`, `family_concern`, `nurse_alert`, `nurse_escalation`.
    pub kind: String,
    /// The address.
    pub recipient: String,
    /// The family contact, if a family message.
    pub contact: Option<i64>,
    /// The resident it is about.
    pub resident: Option<i64>,
    /// `pending`, `sent` or `failed`.
    pub state: String,
    /// Attempts made.
    pub attempts: u32,
    /// The last error.
    pub last_error: Option<String>,
    /// When enqueued (RFC 3339).
    pub created_at: String,
    /// When the next attempt is due (pending rows).
    pub next_attempt_at: Option<String>,
    /// When accepted by the relay.
    pub sent_at: Option<String>,
}

/// The outbox, newest first: every row, or only the failed ones.
pub fn list(conn: &Connection, failed_only: bool, limit: usize) -> Result<Vec<OutboxRow>> {
    conn.prepare(
        "SELECT id, kind, recipient, contact_id, resident_id, state, attempts, last_error,
                created_at, next_attempt_at, sent_at
           FROM outbox WHERE (?1 = 0 OR state = 'failed') ORDER BY id DESC LIMIT ?2",
    )?
    .query_map(
        params![failed_only, i64::try_from(limit).unwrap_or(i64::MAX)],
        |row| {
            let state: String = row.get(5)?;
            Ok(OutboxRow {
                id: row.get(0)?,
                kind: row.get(1)?,
                recipient: row.get(2)?,
                contact: row.get(3)?,
                resident: row.get(4)?,
                attempts: row.get(6)?,
                last_error: row.get(7)?,
                created_at: from_ms(row.get(8)?).to_string(),
                next_attempt_at: (state == "pending")
                    .then(|| row.get::<_, i64>(9).map(|t| from_ms(t).to_string()))
                    .transpose()?,
                sent_at: row
                    .get::<_, Option<i64>>(10)?
                    .map(|t| from_ms(t).to_string()),
                state,
            })
        },
    )?
    .collect::<std::result::Result<_, _>>()
    .map_err(StoreError::from)
}

/// A family contact whose mail fails: "this family address bounces".
#[derive(Debug, Clone, Serialize)]
pub struct FailingContact {
    /// The contact.
    pub contact: i64,
    /// The resident.
    pub resident: i64,
    /// The contact's name.
    pub name: String,
    /// The address that fails.
    pub email: String,
    /// How many messages to it failed.
    pub failed: u32,
    /// The most recent failure's error.
    pub last_error: String,
}

/// Family contacts with failed messages, most failures first.
pub fn failing_contacts(conn: &Connection) -> Result<Vec<FailingContact>> {
    conn.prepare(
        "SELECT c.id, c.resident_id, c.name, c.email, COUNT(*),
                (SELECT o2.last_error FROM outbox o2 WHERE o2.contact_id = c.id AND o2.state = 'failed'
                  ORDER BY o2.id DESC LIMIT 1)
           FROM outbox o JOIN family_contacts c ON c.id = o.contact_id
          WHERE o.state = 'failed'
          GROUP BY c.id ORDER BY COUNT(*) DESC, c.id",
    )?
    .query_map([], |row| {
        Ok(FailingContact {
            contact: row.get(0)?,
            resident: row.get(1)?,
            name: row.get(2)?,
            email: row.get(3)?,
            failed: row.get(4)?,
            last_error: row.get::<_, Option<String>>(5)?.unwrap_or_default(),
        })
    })?
    .collect::<std::result::Result<_, _>>()
    .map_err(StoreError::from)
}

/// The next instant, after `after`, at which the local time is `at` (HH:MM).
fn next_local(after: Timestamp, at: &str, tz: &jiff::tz::TimeZone) -> Result<Timestamp> {
    let time: mimamori_protocol::TimeOfDay = at
        .parse()
        .map_err(|e: String| StoreError::Invalid(format!("digest time: {e}")))?;
    let today = after.to_zoned(tz.clone()).date();
    for day in [Some(today), today.tomorrow().ok()].into_iter().flatten() {
        let candidate = day
            .at(
                i8::try_from(time.hour()).unwrap_or(0),
                i8::try_from(time.minute()).unwrap_or(0),
                0,
                0,
            )
            .to_zoned(tz.clone())
            .map_err(|e| StoreError::Invalid(e.to_string()))?
            .timestamp();
        if candidate > after {
            return Ok(candidate);
        }
    }
    Err(StoreError::Invalid(format!("no next {at} after {after}")))
}

/// Enqueues the daily digests that are due at `now`, and schedules each
/// contact's next one. A contact added since the last sweep is scheduled
/// without a mail. Returns how many digests were queued. Reads only the due
/// contacts, through an index.
pub(crate) fn enqueue_digests(conn: &Connection, config: &Config, now: Timestamp) -> Result<usize> {
    let tz = &config.time_zone;
    let due: Vec<(i64, i64, String, Option<i64>)> = conn
        .prepare_cached(
            "SELECT id, resident_id, digest_at, next_digest_at FROM family_contacts
              WHERE policy = 'daily_digest' AND unsubscribed_at IS NULL
                AND (next_digest_at IS NULL OR next_digest_at <= ?1)",
        )?
        .query_map([ms(now)], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<std::result::Result<_, _>>()?;
    let mut queued = 0;
    for (contact_id, resident, digest_at, next) in due {
        if next.is_some() && config.mail.is_some() {
            let digest_time = from_ms(next.unwrap_or_default());
            let last_day = digest_time.to_zoned(tz.clone()).date();
            let first_day = last_day
                .checked_sub(jiff::Span::new().days(6))
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let from = first_day
                .to_zoned(tz.clone())
                .map_err(|e| StoreError::Invalid(e.to_string()))?
                .timestamp();
            let check_ins = week_of_check_ins(conn, resident, from, digest_time)?;
            if let Some((_, contact)) = contacts(conn, resident, &["daily_digest"])?
                .into_iter()
                .find(|(id, _)| *id == contact_id)
            {
                let payload = Payload::FamilyDigest {
                    contact,
                    resident_name: resident_name(conn, resident)?,
                    last_day,
                    check_ins,
                };
                insert(conn, &payload, Some(contact_id), None, resident, now)?;
                queued += 1;
            }
        }
        let next = next_local(now, &digest_at, tz)?;
        conn.prepare_cached("UPDATE family_contacts SET next_digest_at = ?1 WHERE id = ?2")?
            .execute(params![ms(next), contact_id])?;
    }
    Ok(queued)
}

/// A resident's check-ins from `from` up to `until`, oldest first, as the
/// box sent them.
fn week_of_check_ins(
    conn: &Connection,
    resident: i64,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<StoredCheckIn>> {
    let rows: Vec<(i64, String)> = conn
        .prepare_cached(
            "SELECT c.at, e.body FROM check_ins c JOIN events e ON e.id = c.event_id
              WHERE c.resident_id = ?1 AND c.at >= ?2 AND c.at <= ?3 ORDER BY c.at",
        )?
        .query_map(params![resident, ms(from), ms(until)], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<std::result::Result<_, _>>()?;
    rows.into_iter()
        .map(|(at, body)| {
            let body: mimamori_protocol::EventBody = serde_json::from_str(&body)
                .map_err(|e| StoreError::Invalid(format!("stored check-in: {e}")))?;
            let mimamori_protocol::EventBody::CheckIn(c) = body else {
                return Err(StoreError::Invalid(
                    "a stored check-in is not a check-in".into(),
                ));
            };
            Ok(StoredCheckIn {
                recorded_at: from_ms(at),
                condition: c.condition,
                symptoms: c.symptoms,
                symptom_note: c.symptom_note,
                medication: c.medication,
                vitals: c.vitals,
                call_requested: c.call_requested,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour_with_jitter() {
        assert_eq!(retry_delay(1, 0.0), SignedDuration::from_secs(30));
        assert_eq!(retry_delay(2, 0.0), SignedDuration::from_secs(60));
        assert_eq!(retry_delay(3, 0.0), SignedDuration::from_secs(120));
        assert_eq!(retry_delay(30, 0.0), SignedDuration::from_secs(3600));
        assert_eq!(retry_delay(1, 1.0), SignedDuration::from_secs(45));
        assert!(retry_delay(5, 0.3) > retry_delay(5, 0.0));
    }
}
