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

mod bounce;
mod payload;
mod scheduled;

use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::Serialize;

pub use bounce::{Bounce, FailingContact, contact_bounce, failing_contacts};
pub use payload::{
    ContactFacts, GroupedAlert, GuardianFacts, NurseFacts, Payload, Pending, StoredCheckIn,
    StoredConsent, SummaryEntry, SummaryFacts,
};
pub(crate) use scheduled::{enqueue_digests, enqueue_nurse_summaries, reschedule_digest};

use super::watch::Applied;
use super::{Result, StoreError, from_ms, ms};
use crate::config::Config;

/// Inserts a row due at `due` (its `created_at`, and so its `Date`, is
/// `now`).
fn insert(
    conn: &Connection,
    payload: &Payload,
    contact: Option<i64>,
    staff: Option<i64>,
    resident: Option<i64>,
    now: Timestamp,
    due: Timestamp,
) -> Result<i64> {
    let json = serde_json::to_string(payload)
        .map_err(|e| StoreError::Invalid(format!("outbox payload: {e}")))?;
    let topic = match payload {
        Payload::FamilyConcern { kind, .. } => Some(kind.as_str()),
        _ => None,
    };
    conn.prepare_cached(
        "INSERT INTO outbox (kind, recipient, contact_id, staff_id, resident_id, payload, created_at, next_attempt_at, topic)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        payload.kind(),
        payload.recipient(),
        contact,
        staff,
        resident,
        json,
        ms(now),
        ms(due),
        topic
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The row of `kind` to `column` = `who` that is still gathering: pending,
/// never attempted, and not due before `now`. The sender reads a row only
/// once it is due, so a gathering row's payload can still grow.
fn gathering(
    conn: &Connection,
    kind: &str,
    column: &str,
    who: i64,
    now: Timestamp,
) -> Result<Option<(i64, Payload)>> {
    let sql = format!(
        "SELECT id, payload FROM outbox
          WHERE {column} = ?1 AND kind = ?2 AND state = 'pending' AND attempts = 0 AND next_attempt_at > ?3
          ORDER BY id DESC LIMIT 1"
    );
    let found: Option<(i64, String)> = conn
        .prepare_cached(&sql)?
        .query_row(params![who, kind, ms(now)], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    found
        .map(|(id, json)| {
            let payload = serde_json::from_str(&json).map_err(|e| {
                StoreError::Invalid(format!("outbox row {id}: stored payload: {e}"))
            })?;
            Ok((id, payload))
        })
        .transpose()
}

/// Stores the grown payload of a gathering row.
fn regather(conn: &Connection, id: i64, payload: &Payload) -> Result<()> {
    let json = serde_json::to_string(payload)
        .map_err(|e| StoreError::Invalid(format!("outbox payload: {e}")))?;
    conn.prepare_cached("UPDATE outbox SET payload = ?1 WHERE id = ?2")?
        .execute(params![json, id])?;
    Ok(())
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
              WHERE resident_id = ?1 AND unsubscribed_at IS NULL AND removed_at IS NULL ORDER BY id",
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

/// Enqueues the family mail of a check-in just stored: to each subscribed
/// contact with policy `every_check_in`, a message that goes out after the
/// group window (`mail.group_window_s`). Check-ins arriving within that
/// window — a box's backlog after it was offline — join the same message.
/// Nothing while mail is off. Returns the rows written.
pub(crate) fn enqueue_check_in(
    conn: &Connection,
    config: &Config,
    resident: i64,
    check_in: &StoredCheckIn,
    now: Timestamp,
) -> Result<Vec<i64>> {
    let Some(mail) = &config.mail else {
        return Ok(Vec::new());
    };
    let recipients = contacts(conn, resident, &["every_check_in"])?;
    if recipients.is_empty() {
        return Ok(Vec::new());
    }
    let name = resident_name(conn, resident)?;
    let mut rows = Vec::with_capacity(recipients.len());
    for (id, contact) in recipients {
        if let Some((row, mut payload)) = gathering(conn, "family_checkin", "contact_id", id, now)?
        {
            if let Payload::FamilyCheckin { more, .. } = &mut payload {
                more.push(check_in.clone());
                regather(conn, row, &payload)?;
                rows.push(row);
                continue;
            }
        }
        let payload = Payload::FamilyCheckin {
            contact,
            resident_name: name.clone(),
            check_in: check_in.clone(),
            more: Vec::new(),
        };
        rows.push(insert(
            conn,
            &payload,
            Some(id),
            None,
            Some(resident),
            now,
            now + mail.group_window,
        )?);
    }
    Ok(rows)
}

/// Enqueues the mail of an alert just opened (a concern to the family with
/// policy `every_check_in` or `concerns_only`, the alert to the nurses of
/// the resident's district) or escalated (to the nurses). Nothing for a
/// close, nor while mail is off.
///
/// A family contact who heard of the same kind of concern about the
/// resident within `mail.concern_repeat_hours` is not told again. A nurse's
/// alert mail waits the group window; alerts of her districts opened (or
/// escalated) within it join the same message, so a district's boxes going
/// silent together make one mail, not twenty.
pub(crate) fn enqueue_alert(
    conn: &Connection,
    config: &Config,
    applied: &Applied,
    now: Timestamp,
) -> Result<Vec<i64>> {
    let Some(mail) = &config.mail else {
        return Ok(Vec::new());
    };
    if !matches!(applied.action, "opened" | "escalated") {
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
        let repeat_since = ms(now - mail.concern_repeat);
        for (id, contact) in contacts(conn, resident, &["every_check_in", "concerns_only"])? {
            let told = conn
                .prepare_cached(
                    "SELECT 1 FROM outbox WHERE contact_id = ?1 AND topic = ?2 AND created_at > ?3
                       AND (last_error IS NULL OR last_error != 'unsubscribed')",
                )?
                .exists(params![id, applied.kind.as_str(), repeat_since])?;
            if told {
                continue;
            }
            let payload = Payload::FamilyConcern {
                contact,
                resident_name: name.clone(),
                kind: applied.kind,
                since: from_ms(opened_at),
                last_check_in: last_check_in.map(from_ms),
            };
            ids.push(insert(
                conn,
                &payload,
                Some(id),
                None,
                Some(resident),
                now,
                now,
            )?);
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
    let kind = if opened {
        "nurse_alert"
    } else {
        "nurse_escalation"
    };
    let this = GroupedAlert {
        alert: applied.alert,
        resident_name: name.clone(),
        kind: applied.kind,
        since: from_ms(opened_at),
    };
    for (staff, nurse_name, email) in nurses {
        if let Some((row, mut payload)) = gathering(conn, kind, "staff_id", staff, now)? {
            if let Payload::NurseAlert(facts) | Payload::NurseEscalation(facts) = &mut payload {
                facts.more.push(this.clone());
                regather(conn, row, &payload)?;
                ids.push(row);
                continue;
            }
        }
        let facts = NurseFacts {
            nurse_name,
            email,
            alert: applied.alert,
            resident_name: name.clone(),
            kind: applied.kind,
            since: from_ms(opened_at),
            more: Vec::new(),
        };
        let payload = if opened {
            Payload::NurseAlert(facts)
        } else {
            Payload::NurseEscalation(facts)
        };
        ids.push(insert(
            conn,
            &payload,
            None,
            Some(staff),
            Some(resident),
            now,
            now + mail.group_window,
        )?);
    }
    Ok(ids)
}

/// Enqueues a guardian's mail about a child's tap, due at once (a tap is
/// news now, not gathered). In the transaction that stores the tap.
pub(crate) fn enqueue_guardian(
    conn: &Connection,
    guardian: i64,
    payload: &Payload,
    now: Timestamp,
) -> Result<i64> {
    enqueue_for(conn, (None, Some(guardian)), None, payload, now)
}

/// Enqueues `payload` to a (family contact, guardian), due at once.
fn enqueue_for(
    conn: &Connection,
    (contact, guardian): (Option<i64>, Option<i64>),
    resident: Option<i64>,
    payload: &Payload,
    now: Timestamp,
) -> Result<i64> {
    let json = serde_json::to_string(payload)
        .map_err(|e| StoreError::Invalid(format!("outbox payload: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO outbox (kind, recipient, contact_id, guardian_id, resident_id, payload, created_at, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?
    .execute(params![
        payload.kind(),
        payload.recipient(),
        contact,
        guardian,
        resident,
        json,
        ms(now)
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Enqueues a message about `resident` to family contact `contact`.
pub(crate) fn enqueue_contact(
    conn: &Connection,
    contact: i64,
    resident: i64,
    payload: &Payload,
    now: Timestamp,
) -> Result<i64> {
    enqueue_for(conn, (Some(contact), None), Some(resident), payload, now)
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

/// Queues failed messages again — these rows, or every failed one when
/// `ids` is empty — due at `now`: for after the cause of a permanent
/// failure (TLS, AUTH, a wrong address) has been fixed. Mail dropped
/// because its contact unsubscribed stays dropped. A row already older than
/// `max_age_days` gets one more attempt. Returns how many were queued.
pub fn retry_failed(conn: &Connection, ids: &[i64], now: Timestamp) -> Result<usize> {
    let mut statement = conn.prepare_cached(
        "UPDATE outbox SET state = 'pending', next_attempt_at = ?1
          WHERE state = 'failed' AND (last_error IS NULL OR last_error != 'unsubscribed')
            AND (?2 IS NULL OR id = ?2)",
    )?;
    if ids.is_empty() {
        return Ok(statement.execute(params![ms(now), None::<i64>])?);
    }
    let mut queued = 0;
    for id in ids {
        let changed = statement.execute(params![ms(now), id])?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!(
                "outbox row {id} does not exist or has not failed"
            )));
        }
        queued += changed;
    }
    Ok(queued)
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
