//! Mail the sweep queues at set times: each family contact's daily digest
//! and the nurses' morning summary.

use jiff::{SignedDuration, Timestamp};
use mimamori_protocol::TimeOfDay;
use rusqlite::{Connection, OptionalExtension as _, params};

use super::{Payload, StoredCheckIn, SummaryEntry, SummaryFacts, contacts, insert, resident_name};
use crate::config::Config;
use crate::store::{Result, StoreError, from_ms, ms};

/// The next instant, after `after`, at which the local time is `time`.
pub(crate) fn next_local(
    after: Timestamp,
    time: TimeOfDay,
    tz: &jiff::tz::TimeZone,
) -> Result<Timestamp> {
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
    Err(StoreError::Invalid(format!("no next {time} after {after}")))
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
              WHERE policy = 'daily_digest' AND unsubscribed_at IS NULL AND removed_at IS NULL
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
                insert(
                    conn,
                    &payload,
                    Some(contact_id),
                    None,
                    Some(resident),
                    now,
                    now,
                )?;
                queued += 1;
            }
        }
        let time: TimeOfDay = digest_at.parse().map_err(|e: String| {
            StoreError::Invalid(format!("family contact {contact_id}: digest time: {e}"))
        })?;
        let next = next_local(now, time, tz)?;
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

/// A morning summary due this long ago is skipped (the center was down
/// over the morning): an evening mail called 朝のまとめ helps nobody.
const SUMMARY_STALE_AFTER: SignedDuration = SignedDuration::from_hours(6);

/// Enqueues the nurses' morning summaries if they are due at `now`: one
/// message to each nurse with an email for each of her districts, listing
/// the district's unresolved alerts (or saying there are none), and
/// schedules the next morning. The first sweep only schedules. Returns
/// how many were queued.
pub(crate) fn enqueue_nurse_summaries(
    conn: &Connection,
    config: &Config,
    now: Timestamp,
) -> Result<usize> {
    let Some(mail) = &config.mail else {
        return Ok(0);
    };
    let due: Option<i64> = conn
        .prepare_cached("SELECT next_at FROM mail_schedule WHERE name = 'nurse_summary'")?
        .query_row([], |row| row.get(0))
        .optional()?;
    if due.is_some_and(|at| from_ms(at) > now) {
        return Ok(0);
    }
    let mut queued = 0;
    if let Some(at) = due {
        if now.duration_since(from_ms(at)) <= SUMMARY_STALE_AFTER {
            queued = summaries(conn, now)?;
        } else {
            tracing::warn!(due = %from_ms(at), "the nurses' morning summary was not sent in time and is skipped");
        }
    }
    let next = next_local(now, mail.nurse_summary_at, &config.time_zone)?;
    conn.prepare_cached(
        "INSERT INTO mail_schedule (name, next_at) VALUES ('nurse_summary', ?1)
         ON CONFLICT (name) DO UPDATE SET next_at = excluded.next_at",
    )?
    .execute([ms(next)])?;
    Ok(queued)
}

fn summaries(conn: &Connection, now: Timestamp) -> Result<usize> {
    let nurses: Vec<(i64, String, String, String)> = conn
        .prepare_cached(
            "SELECT s.id, s.name, s.email, d.value FROM staff s, json_each(s.districts) d
              WHERE s.email != '' ORDER BY s.id, d.value",
        )?
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<std::result::Result<_, _>>()?;
    let mut queued = 0;
    for (staff, nurse_name, email, district) in nurses {
        let alerts = unresolved(conn, &district)?;
        let payload = Payload::NurseSummary(SummaryFacts {
            nurse_name,
            email,
            district,
            alerts,
        });
        insert(conn, &payload, None, Some(staff), None, now, now)?;
        queued += 1;
    }
    Ok(queued)
}

/// A district's open and acknowledged alerts.
fn unresolved(conn: &Connection, district: &str) -> Result<Vec<SummaryEntry>> {
    let rows: Vec<(i64, String, String, i64, String)> = conn
        .prepare_cached(
            "SELECT a.id, r.name, a.kind, a.opened_at, a.state
               FROM alerts a JOIN residents r ON r.id = a.resident_id
              WHERE a.state IN ('open', 'acknowledged') AND r.district = ?1
              ORDER BY a.opened_at, a.id",
        )?
        .query_map([district], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })?
        .collect::<std::result::Result<_, _>>()?;
    rows.into_iter()
        .map(|(alert, resident_name, kind, since, state)| {
            Ok(SummaryEntry {
                alert,
                resident_name,
                kind: kind.parse().map_err(StoreError::Invalid)?,
                since: from_ms(since),
                state: state.parse().map_err(StoreError::Invalid)?,
            })
        })
        .collect()
}

/// The next digest of a contact whose digest time changes to `time` at
/// `now`, when the old schedule's next one was `old_next`: the next `time`,
/// but never a second digest on a day that already had one.
pub(crate) fn reschedule_digest(
    old_next: Option<Timestamp>,
    time: TimeOfDay,
    now: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> Result<Option<Timestamp>> {
    let Some(old_next) = old_next else {
        return Ok(None); // the next sweep schedules it
    };
    let candidate = next_local(now, time, tz)?;
    let previous = old_next - SignedDuration::from_hours(24);
    let day = |t: Timestamp| t.to_zoned(tz.clone()).date();
    if previous <= now && day(previous) == day(candidate) {
        return Ok(Some(next_local(candidate, time, tz)?));
    }
    Ok(Some(candidate))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_new_digest_time_never_makes_two_digests_a_day() {
        let tz = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
        let t = |s: &str| s.parse::<TimeOfDay>().unwrap();
        // Today's 19:00 digest went out; at 19:30 the time moves to 20:00:
        // the next is tomorrow's 20:00, not tonight's.
        let old_next = at("2026-11-30T19:00:00+09:00");
        let now = at("2026-11-29T19:30:00+09:00");
        assert_eq!(
            reschedule_digest(Some(old_next), t("20:00"), now, &tz).unwrap(),
            Some(at("2026-11-30T20:00:00+09:00"))
        );
        // Moved to the morning: tomorrow 07:00.
        assert_eq!(
            reschedule_digest(Some(old_next), t("07:00"), now, &tz).unwrap(),
            Some(at("2026-11-30T07:00:00+09:00"))
        );
        // Before today's digest (at 12:00, due 19:00): 18:00 today is fine.
        let old_next = at("2026-11-29T19:00:00+09:00");
        let now = at("2026-11-29T12:00:00+09:00");
        assert_eq!(
            reschedule_digest(Some(old_next), t("18:00"), now, &tz).unwrap(),
            Some(at("2026-11-29T18:00:00+09:00"))
        );
        assert_eq!(reschedule_digest(None, t("18:00"), now, &tz).unwrap(), None);
    }
}
