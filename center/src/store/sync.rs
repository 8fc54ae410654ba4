//! `POST /api/v1/sync`: store a box's events once each, run the event rules,
//! and answer with acks and whatever changed for the box.

use jiff::Timestamp;
use mimamori_protocol::{
    Authentication, CardBinding, CarePlan, CheckIn, CheckupRecord, Event, EventBody, Heartbeat,
    JpkiBinding, Notice, PROTOCOL_VERSION, RejectReason, RejectedEvent, ResidentId, ResidentInfo,
    Revision, Section, Standing, SyncRequest, SyncResponse, UidBinding,
};
use rusqlite::{Connection, OptionalExtension as _, params};
use sha2::{Digest as _, Sha256};

use super::watch::{self, Applied};
use super::{Result, StoreError, from_ms, ms};
use crate::config::Config;
use crate::watch::{self as rules, PastCheckIn};

/// SHA-256 of a box token: what the database keeps instead of the token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A box as the sync sees it.
struct BoxRow {
    id: i64,
    device_id: String,
    residents_rev: i64,
    checkups_rev: i64,
}

/// Handles one sync request from the box holding the token with `token_hash`,
/// received at `now`. Returns the response and what the event rules did.
pub fn sync(
    conn: &Connection,
    config: &Config,
    token_hash: &[u8; 32],
    request: &SyncRequest,
    now: Timestamp,
) -> Result<(SyncResponse, Vec<Applied>)> {
    let the_box = authenticate(conn, token_hash, request)?;
    let residents = residents_of(conn, the_box.id)?;
    for (i, event) in request.events.iter().enumerate() {
        if let Some(resident) = event.body.resident() {
            if !residents.contains(&db_id(resident)) {
                return Err(StoreError::Forbidden {
                    field: Some(format!("events[{i}].body.resident")),
                    message: format!(
                        "resident {resident} is not served by box {}; events[{i}] was not stored",
                        the_box.device_id
                    ),
                });
            }
        }
    }

    // The box's clock may be off (no battery clock): correct its instants by
    // the difference between its send time and our receive time.
    let skew_ms = ms(now) - request.sent_at.unix_millis();
    conn.prepare_cached("UPDATE boxes SET last_contact_at = ?1, clock_skew_ms = ?2 WHERE id = ?3")?
        .execute(params![ms(now), skew_ms, the_box.id])?;

    let mut acked = Vec::with_capacity(request.events.len());
    let mut rejected = Vec::new();
    let mut applied = Vec::new();
    for event in &request.events {
        match store_event(conn, config, &the_box, event, skew_ms, now, &mut applied)? {
            Stored::Acked => acked.push(event.id),
            Stored::Rejected(r) => rejected.push(r),
        }
    }

    // Any sync is a sign of life: box_offline closes, offline deadlines move.
    for &resident in &residents {
        applied.extend(watch::refresh_after_contact(conn, config, resident, now)?);
    }

    let response = respond(
        conn, config, &the_box, &residents, request, acked, rejected, now,
    )?;
    Ok((response, applied))
}

fn authenticate(conn: &Connection, token_hash: &[u8; 32], request: &SyncRequest) -> Result<BoxRow> {
    let row = conn
        .prepare_cached(
            "SELECT id, device_id, revoked_at, residents_rev, checkups_rev FROM boxes WHERE token_hash = ?1",
        )?
        .query_row([&token_hash[..]], |row| {
            Ok((
                BoxRow {
                    id: row.get(0)?,
                    device_id: row.get(1)?,
                    residents_rev: row.get(3)?,
                    checkups_rev: row.get(4)?,
                },
                row.get::<_, Option<i64>>(2)?,
            ))
        })
        .optional()?;
    let Some((the_box, revoked)) = row else {
        return Err(StoreError::Unauthorized("unknown box token".into()));
    };
    if revoked.is_some() {
        return Err(StoreError::Unauthorized(format!(
            "the token of box {} has been revoked",
            the_box.device_id
        )));
    }
    if the_box.device_id != request.device_id.as_str() {
        return Err(StoreError::Forbidden {
            field: Some("device_id".into()),
            message: format!(
                "this token belongs to box {}, not {}",
                the_box.device_id, request.device_id
            ),
        });
    }
    Ok(the_box)
}

fn residents_of(conn: &Connection, box_id: i64) -> Result<Vec<i64>> {
    Ok(conn
        .prepare_cached("SELECT id FROM residents WHERE box_id = ?1 ORDER BY id")?
        .query_map([box_id], |row| row.get(0))?
        .collect::<std::result::Result<_, _>>()?)
}

/// A resident id from the wire as stored; ids beyond the database's range
/// match no row.
fn db_id(resident: ResidentId) -> i64 {
    i64::try_from(resident.0).unwrap_or(-1)
}

enum Stored {
    Acked,
    Rejected(RejectedEvent),
}

fn store_event(
    conn: &Connection,
    config: &Config,
    the_box: &BoxRow,
    event: &Event,
    skew_ms: i64,
    now: Timestamp,
    applied: &mut Vec<Applied>,
) -> Result<Stored> {
    let id = event.id.0.as_bytes().as_slice();
    // Seen before: answer as before.
    if let Some((reason, message)) = conn
        .prepare_cached("SELECT reason, message FROM rejected_events WHERE event_id = ?1")?
        .query_row([id], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .optional()?
    {
        let reason = serde_json::from_value(serde_json::Value::String(reason))
            .unwrap_or(RejectReason::Unknown);
        return Ok(Stored::Rejected(RejectedEvent {
            id: event.id,
            reason,
            message,
        }));
    }
    let exists = conn
        .prepare_cached("SELECT 1 FROM events WHERE id = ?1")?
        .exists([id])?;
    if exists {
        return Ok(Stored::Acked);
    }

    let recorded_ms = event.recorded_at.unix_millis();
    // Corrected by the skew, and never later than its arrival.
    let corrected = from_ms((recorded_ms + skew_ms).min(ms(now)));
    let body = serde_json::to_string(&event.body)
        .map_err(|e| StoreError::Invalid(format!("event {}: {e}", event.id)))?;

    if let EventBody::CheckIn(check_in) = &event.body {
        if let Some(rejection) = check_card(conn, event, check_in, corrected)? {
            conn.prepare_cached(
                "INSERT INTO rejected_events (event_id, box_id, received_at, reason, message, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                id,
                the_box.id,
                ms(now),
                reason_name(rejection.0),
                rejection.1,
                body
            ])?;
            tracing::warn!(event = %event.id, box_id = %the_box.device_id, "check-in rejected: {}", rejection.1);
            return Ok(Stored::Rejected(RejectedEvent {
                id: event.id,
                reason: rejection.0,
                message: rejection.1,
            }));
        }
    }

    conn.prepare_cached(
        "INSERT INTO events (id, box_id, resident_id, kind, recorded_at, boot_id, seq, received_at, corrected_at, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        id,
        the_box.id,
        event.body.resident().map(|r| r.0),
        event.body.kind(),
        event.recorded_at.to_string(),
        event.boot_id.0.as_bytes().as_slice(),
        i64::try_from(event.seq).unwrap_or(i64::MAX),
        ms(now),
        ms(corrected),
        body,
    ])?;

    match &event.body {
        EventBody::CheckIn(check_in) => {
            store_check_in(conn, config, event, check_in, corrected, now, applied)?;
        }
        EventBody::Heartbeat(heartbeat) => {
            store_heartbeat(conn, the_box.id, event, heartbeat, corrected)?;
            if let Some(room) = heartbeat.room {
                let latest = rules::RoomReading {
                    at: corrected,
                    temperature_c: room.temperature_c,
                    humidity_pct: room.humidity_pct,
                };
                for resident in residents_of(conn, the_box.id)? {
                    let (state, thresholds) = watch::load_state(conn, config, resident)?;
                    let earlier = watch::room_readings(
                        conn,
                        the_box.id,
                        corrected,
                        thresholds.room_heat_after,
                    )?;
                    let actions = rules::on_room_reading(&latest, &earlier, &state, &thresholds);
                    applied.extend(watch::apply(conn, config, resident, &actions, now)?);
                }
            }
        }
        EventBody::Sos(sos) => {
            // The call button works without a card: then everyone at the box
            // gets the alert.
            let targets = match sos.resident {
                Some(r) => vec![db_id(r)],
                None => residents_of(conn, the_box.id)?,
            };
            for resident in targets {
                let (state, _) = watch::load_state(conn, config, resident)?;
                applied.extend(watch::apply(
                    conn,
                    config,
                    resident,
                    &rules::on_sos(&state),
                    now,
                )?);
            }
        }
    }
    Ok(Stored::Acked)
}

fn reason_name(reason: RejectReason) -> String {
    match serde_json::to_value(reason) {
        Ok(serde_json::Value::String(name)) => name,
        _ => "unknown".into(),
    }
}

/// Whether the card that authenticated a check-in is bound to its resident
/// and valid then. `None`: accepted.
fn check_card(
    conn: &Connection,
    event: &Event,
    check_in: &CheckIn,
    at: Timestamp,
) -> Result<Option<(RejectReason, String)>> {
    let resident = db_id(check_in.resident);
    match &check_in.auth {
        Authentication::CardUid(proof) => {
            let owner: Option<i64> = conn
                .prepare_cached("SELECT resident_id FROM cards WHERE uid = ?1")?
                .query_row([proof.uid.as_bytes()], |row| row.get(0))
                .optional()?;
            if owner != Some(resident) {
                return Ok(Some((
                    RejectReason::UnknownCard,
                    format!("card {} is not bound to resident {resident}", proof.uid),
                )));
            }
        }
        Authentication::Jpki(proof) => {
            type Row = (i64, Option<i64>, Option<i64>, Option<Vec<u8>>);
            let row: Option<Row> = conn
                .prepare_cached(
                    "SELECT resident_id, not_before, not_after, public_key FROM cards WHERE fingerprint = ?1",
                )?
                .query_row([&proof.cert_fingerprint.0[..]], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })
                .optional()?;
            let Some((_, not_before, not_after, public_key)) = row.filter(|r| r.0 == resident)
            else {
                return Ok(Some((
                    RejectReason::UnknownCard,
                    format!(
                        "certificate {} is not bound to resident {resident}",
                        proof.cert_fingerprint
                    ),
                )));
            };
            let verified = public_key.is_some_and(|key| {
                crate::jpki::verify_check_in(
                    &key,
                    event.id,
                    &event.recorded_at,
                    check_in,
                    &proof.signature,
                )
            });
            if !verified {
                return Ok(Some((
                    RejectReason::BadSignature,
                    format!(
                        "the signature does not verify with certificate {}: the check-in was altered or not signed by that card",
                        proof.cert_fingerprint
                    ),
                )));
            }
            let at = ms(at);
            if not_before.is_some_and(|t| at < t) || not_after.is_some_and(|t| at > t) {
                return Ok(Some((
                    RejectReason::CertificateExpired,
                    format!(
                        "certificate {} was not valid at the check-in's time",
                        proof.cert_fingerprint
                    ),
                )));
            }
        }
    }
    Ok(None)
}

fn store_check_in(
    conn: &Connection,
    config: &Config,
    event: &Event,
    check_in: &CheckIn,
    at: Timestamp,
    now: Timestamp,
    applied: &mut Vec<Applied>,
) -> Result<()> {
    let resident = db_id(check_in.resident);
    let (state, thresholds) = watch::load_state(conn, config, resident)?;
    // Whole days back from the check-in's day, and one more for time zones.
    let look_back_days = i64::from(thresholds.history_days()) + 1;
    let since = at - jiff::SignedDuration::from_hours(24 * look_back_days);
    let history: Vec<PastCheckIn> = conn
        .prepare_cached(
            "SELECT at, condition, weight FROM check_ins WHERE resident_id = ?1 AND at >= ?2 ORDER BY at",
        )?
        .query_map(params![resident, ms(since)], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, Option<i32>>(2)?))
        })?
        .map(|row| {
            let (at, condition, weight) = row?;
            Ok(PastCheckIn {
                at: from_ms(at),
                condition: serde_json::from_value(serde_json::Value::String(condition))
                    .map_err(|e| StoreError::Invalid(format!("stored condition: {e}")))?,
                weight_kg: weight.map(mimamori_protocol::Tenths),
            })
        })
        .collect::<Result<_>>()?;

    let day = at.to_zoned(config.time_zone.clone()).date();
    let first_of_day = !conn
        .prepare_cached("SELECT 1 FROM check_ins WHERE resident_id = ?1 AND local_date = ?2")?
        .exists(params![resident, day.to_string()])?;

    let v = &check_in.vitals;
    conn.prepare_cached(
        "INSERT INTO check_ins (event_id, resident_id, at, local_date, condition, call_requested,
                                systolic, diastolic, pulse, temperature, weight, steps, weak_auth)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        event.id.0.as_bytes().as_slice(),
        resident,
        ms(at),
        day.to_string(),
        check_in.condition.as_str(),
        check_in.call_requested,
        v.blood_pressure.map(|b| b.systolic_mmhg),
        v.blood_pressure.map(|b| b.diastolic_mmhg),
        v.pulse_bpm,
        v.temperature_c.map(|t| t.0),
        v.weight_kg.map(|w| w.0),
        v.steps,
        check_in.auth.is_weak(),
    ])?;

    let (points, streak) = award_points(
        conn,
        config,
        resident,
        event,
        check_in,
        day,
        first_of_day,
        at,
    )?;
    conn.prepare_cached(
        "UPDATE residents
            SET last_check_in_at = MAX(COALESCE(last_check_in_at, 0), ?1),
                points = points + ?2,
                streak_days = COALESCE(?3, streak_days),
                last_check_in_on = CASE WHEN ?3 IS NULL THEN last_check_in_on ELSE ?4 END
          WHERE id = ?5",
    )?
    .execute(params![ms(at), points, streak, day.to_string(), resident])?;

    super::outbox::enqueue_check_in(
        conn,
        config,
        resident,
        &super::outbox::StoredCheckIn {
            recorded_at: at,
            condition: check_in.condition,
            symptoms: check_in.symptoms.clone(),
            symptom_note: check_in.symptom_note.clone(),
            medication: check_in.medication.clone(),
            vitals: check_in.vitals,
            call_requested: check_in.call_requested,
        },
        now,
    )?;

    let actions = rules::on_check_in(check_in, at, &history, &state, &thresholds);
    applied.extend(watch::apply(conn, config, resident, &actions, now)?);
    Ok(())
}

/// Health points and the streak for the first check-in of a day, written to
/// the ledger. Returns the points and the new streak (`None`: unchanged) for
/// the caller to store with the rest of the resident's row.
#[allow(clippy::too_many_arguments)]
fn award_points(
    conn: &Connection,
    config: &Config,
    resident: i64,
    event: &Event,
    check_in: &CheckIn,
    day: jiff::civil::Date,
    first_of_day: bool,
    at: Timestamp,
) -> Result<(i64, Option<u32>)> {
    if !first_of_day {
        return Ok((0, None));
    }
    let (last_on, streak): (Option<String>, u32) = conn
        .prepare_cached("SELECT last_check_in_on, streak_days FROM residents WHERE id = ?1")?
        .query_row([resident], |row| Ok((row.get(0)?, row.get(1)?)))?;
    let last_on = last_on.and_then(|d| d.parse::<jiff::civil::Date>().ok());
    let streak = match last_on {
        Some(last) if last >= day => None, // a late, older check-in: the streak stands
        Some(last) if last.tomorrow().ok() == Some(day) => Some(streak + 1),
        _ => Some(1),
    };
    let p = &config.points;
    let mut awards = vec![(p.check_in, "毎日の記録")];
    if !check_in.vitals.is_empty() {
        awards.push((p.vitals, "測定値の記録"));
    }
    if streak.is_some_and(|s| p.streak_every_days > 0 && s % p.streak_every_days == 0) {
        awards.push((p.streak_bonus, "連続記録ボーナス"));
    }
    let mut total = 0;
    for (points, reason) in awards.into_iter().filter(|(p, _)| *p != 0) {
        conn.prepare_cached(
            "INSERT INTO points_ledger (resident_id, at, points, reason, event_id) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![resident, ms(at), points, reason, event.id.0.as_bytes().as_slice()])?;
        total += points;
    }
    Ok((total, streak))
}

fn store_heartbeat(
    conn: &Connection,
    box_id: i64,
    event: &Event,
    heartbeat: &Heartbeat,
    at: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO heartbeats (event_id, box_id, at, uptime_s, room_temperature, room_humidity, tv_power, software_version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        event.id.0.as_bytes().as_slice(),
        box_id,
        ms(at),
        i64::try_from(heartbeat.uptime_s).unwrap_or(i64::MAX),
        heartbeat.room.map(|r| r.temperature_c.0),
        heartbeat.room.map(|r| r.humidity_pct.0),
        heartbeat.tv_power.map(|p| match p {
            mimamori_protocol::TvPower::On => "on",
            mimamori_protocol::TvPower::Standby => "standby",
        }),
        heartbeat.software_version,
    ])?;
    conn.prepare_cached("UPDATE boxes SET software_version = ?1 WHERE id = ?2")?
        .execute(params![heartbeat.software_version, box_id])?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn respond(
    conn: &Connection,
    config: &Config,
    the_box: &BoxRow,
    residents: &[i64],
    request: &SyncRequest,
    acked: Vec<mimamori_protocol::EventId>,
    rejected: Vec<RejectedEvent>,
    now: Timestamp,
) -> Result<SyncResponse> {
    let known = &request.known;
    let residents_rev = Revision(u64::try_from(the_box.residents_rev).unwrap_or(0));
    let residents_section = if known.residents == Some(residents_rev) {
        None
    } else {
        Some(Section {
            revision: residents_rev,
            items: resident_infos(conn, residents)?,
        })
    };
    let notices_rev: i64 = conn
        .prepare_cached("SELECT value FROM counters WHERE name = 'notices_rev'")?
        .query_row([], |row| row.get(0))?;
    let notices_rev = Revision(u64::try_from(notices_rev).unwrap_or(0));
    let today = now.to_zoned(config.time_zone.clone()).date();
    let notices = if known.notices == Some(notices_rev) {
        None
    } else {
        Some(Section {
            revision: notices_rev,
            items: current_notices(conn, today)?,
        })
    };
    let checkups_rev = Revision(u64::try_from(the_box.checkups_rev).unwrap_or(0));
    let checkups = if known.checkups == Some(checkups_rev) {
        None
    } else {
        Some(Section {
            revision: checkups_rev,
            items: checkups_of(conn, residents)?,
        })
    };
    let standings = residents
        .iter()
        .map(|&r| standing(conn, r, today))
        .collect::<Result<Vec<_>>>()?;
    Ok(SyncResponse {
        protocol: PROTOCOL_VERSION,
        server_time: to_wire(now),
        acked,
        rejected,
        residents: residents_section,
        notices,
        checkups,
        standings,
        next_sync_in_s: Some(config.sync.next_sync_in_s),
    })
}

/// An instant as a protocol timestamp, in UTC.
pub(crate) fn to_wire(at: Timestamp) -> mimamori_protocol::Timestamp {
    mimamori_protocol::Timestamp::from_unix_nanos(at.as_nanosecond(), 0)
        .unwrap_or_else(|| mimamori_protocol::Timestamp::new(time::OffsetDateTime::UNIX_EPOCH))
}

fn resident_infos(conn: &Connection, residents: &[i64]) -> Result<Vec<ResidentInfo>> {
    let mut infos = Vec::with_capacity(residents.len());
    for &id in residents {
        let (name, kana, care_plan): (String, String, String) = conn
            .prepare_cached("SELECT name, kana, care_plan FROM residents WHERE id = ?1")?
            .query_row([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        let care_plan: CarePlan = serde_json::from_str(&care_plan)
            .map_err(|e| StoreError::Invalid(format!("resident {id}: stored care plan: {e}")))?;
        let cards = conn
            .prepare_cached(
                "SELECT kind, fingerprint, uid FROM cards WHERE resident_id = ?1 ORDER BY id",
            )?
            .query_map([id], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<Vec<u8>>>(1)?,
                    row.get::<_, Option<Vec<u8>>>(2)?,
                ))
            })?
            .filter_map(|row| match row {
                Ok((kind, Some(fp), _)) if kind == "jpki" => {
                    <[u8; 32]>::try_from(fp.as_slice()).ok().map(|fp| {
                        Ok(CardBinding::Jpki(JpkiBinding {
                            cert_fingerprint: mimamori_protocol::CertFingerprint(fp),
                        }))
                    })
                }
                Ok((_, _, Some(uid))) => mimamori_protocol::CardUid::from_bytes(&uid)
                    .ok()
                    .map(|uid| Ok(CardBinding::CardUid(UidBinding { uid }))),
                Ok(_) => None,
                Err(e) => Some(Err(StoreError::from(e))),
            })
            .collect::<Result<Vec<_>>>()?;
        infos.push(ResidentInfo {
            id: ResidentId(u64::try_from(id).unwrap_or(0)),
            name,
            name_kana: kana,
            cards,
            care_plan,
        });
    }
    Ok(infos)
}

fn current_notices(conn: &Connection, today: jiff::civil::Date) -> Result<Vec<Notice>> {
    conn.prepare_cached(
        "SELECT id, title, body, published_on, expires_on, important FROM notices
          WHERE withdrawn_at IS NULL AND (expires_on IS NULL OR expires_on >= ?1)
          ORDER BY published_on DESC, id DESC",
    )?
    .query_map([today.to_string()], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, Option<String>>(4)?,
            row.get::<_, bool>(5)?,
        ))
    })?
    .map(|row| {
        let (id, title, body, published, expires, important) = row?;
        let date = |d: &str| {
            d.parse::<mimamori_protocol::CalendarDate>()
                .map_err(|e| StoreError::Invalid(format!("notice {id}: {e}")))
        };
        Ok(Notice {
            id: u64::try_from(id).unwrap_or(0),
            title,
            body,
            published_on: date(&published)?,
            expires_on: expires.as_deref().map(date).transpose()?,
            important,
        })
    })
    .collect()
}

fn checkups_of(conn: &Connection, residents: &[i64]) -> Result<Vec<CheckupRecord>> {
    let mut records = Vec::new();
    for &resident in residents {
        let rows = conn
            .prepare_cached(
                "SELECT id, examined_on, title, items FROM checkups WHERE resident_id = ?1 ORDER BY examined_on DESC",
            )?
            .query_map([resident], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?, row.get::<_, String>(3)?))
            })?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for (id, examined_on, title, items) in rows {
            records.push(CheckupRecord {
                id: u64::try_from(id).unwrap_or(0),
                resident: ResidentId(u64::try_from(resident).unwrap_or(0)),
                examined_on: examined_on
                    .parse()
                    .map_err(|e| StoreError::Invalid(format!("checkup {id}: {e}")))?,
                title,
                items: serde_json::from_str(&items)
                    .map_err(|e| StoreError::Invalid(format!("checkup {id}: {e}")))?,
            });
        }
    }
    Ok(records)
}

fn standing(conn: &Connection, resident: i64, today: jiff::civil::Date) -> Result<Standing> {
    let (points, streak, last_on, paused): (i64, u32, Option<String>, Option<String>) = conn
        .prepare_cached(
            "SELECT points, streak_days, last_check_in_on, paused_through FROM residents WHERE id = ?1",
        )?
        .query_row([resident], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?;
    let last_on = last_on.and_then(|d| d.parse::<jiff::civil::Date>().ok());
    // A streak whose last day is before yesterday is broken.
    let alive = last_on.is_some_and(|d| d >= today.yesterday().unwrap_or(today));
    Ok(Standing {
        resident: ResidentId(u64::try_from(resident).unwrap_or(0)),
        points,
        streak_days: if alive { streak } else { 0 },
        last_check_in_on: last_on.and_then(|d| d.to_string().parse().ok()),
        // A pause that ended before today no longer matters to the box.
        paused_through: paused
            .and_then(|d| d.parse::<jiff::civil::Date>().ok())
            .filter(|&d| d >= today)
            .and_then(|d| d.to_string().parse().ok()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hashes_are_sha256() {
        assert_eq!(
            hex::encode(token_hash("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn wire_time_is_utc() {
        let at: Timestamp = "2026-11-29T00:00:00.5Z".parse().unwrap();
        assert_eq!(to_wire(at).to_string(), "2026-11-29T00:00:00.5Z");
    }
}
