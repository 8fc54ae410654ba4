//! `POST /api/v1/sync`: store a box's events once each, run the event rules,
//! and answer with acks and whatever changed for the box.
//!
//! The server runs [`sync_cached`] on the writer thread, reading what it
//! knows of boxes and residents through the writer's [`SyncCache`]; the
//! command line and tests run [`sync`], which starts from an empty cache.

use jiff::Timestamp;
use mimamori_protocol::{
    CheckIn, Event, EventBody, Heartbeat, RejectReason, RejectedEvent, ResidentId, SyncRequest,
    SyncResponse,
};
use rusqlite::{Connection, OptionalExtension as _, params};
use sha2::{Digest as _, Sha256};

use super::cache::{BoxEntry, SyncCache};
use super::respond::respond;
use super::taps;
use super::watch::{self, Applied};
use super::{Result, StoreError, from_ms, ms};
use crate::config::Config;
use crate::domain::AlertKind;
use crate::watch::{self as rules, PastCheckIn};

mod rejects;

use rejects::{card_name, check_card, reject};

/// SHA-256 of a box token: what the database keeps instead of the token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
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
    sync_cached(
        conn,
        &mut SyncCache::new(),
        config,
        token_hash,
        request,
        now,
    )
}

/// [`sync`], reading box and resident facts through `cache` and keeping it
/// true to everything it writes. Nothing is written before the request has
/// been authenticated and authorized.
pub(crate) fn sync_cached(
    conn: &Connection,
    cache: &mut SyncCache,
    config: &Config,
    token_hash: &[u8; 32],
    request: &SyncRequest,
    now: Timestamp,
) -> Result<(SyncResponse, Vec<Applied>)> {
    let the_box = authenticate(conn, cache, token_hash, request)?;
    for (i, event) in request.events.iter().enumerate() {
        // Taps come from stations, check-ins from home boxes.
        let wrong_device = match (&event.body, &the_box.station) {
            (EventBody::Tap(_), None) => Some("is not a station: it cannot report taps"),
            (EventBody::CheckIn(_), Some(_)) => Some("is a station: it cannot report check-ins"),
            _ => None,
        };
        if let Some(why) = wrong_device {
            return Err(StoreError::Forbidden {
                field: Some(format!("events[{i}].body.type")),
                message: format!(
                    "box {} {why}; events[{i}] was not stored, nor any other event of this request",
                    the_box.device_id
                ),
            });
        }
        if let Some(resident) = event.body.resident() {
            if !the_box.residents.contains(&db_id(resident)) {
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
    cache.box_contacted(&the_box.residents, now);

    let mut acked = Vec::with_capacity(request.events.len());
    let mut rejected = Vec::new();
    let mut applied = Vec::new();
    for event in &request.events {
        match store_event(
            conn,
            cache,
            config,
            &the_box,
            event,
            skew_ms,
            now,
            &mut applied,
        )? {
            Stored::Acked => acked.push(event.id),
            Stored::Rejected(r) => rejected.push(r),
        }
    }

    // Any sync is a sign of life: box_offline closes, offline deadlines move.
    for &resident in &the_box.residents {
        applied.extend(refresh_after_contact(conn, cache, config, resident, now)?);
    }

    let response = respond(conn, cache, config, &the_box, request, acked, rejected, now)?;
    Ok((response, applied))
}

fn authenticate(
    conn: &Connection,
    cache: &mut SyncCache,
    token_hash: &[u8; 32],
    request: &SyncRequest,
) -> Result<BoxEntry> {
    let Some(the_box) = cache.the_box(conn, token_hash)? else {
        return Err(StoreError::Unauthorized("unknown box token".into()));
    };
    if the_box.revoked {
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
    Ok(the_box.clone())
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

#[allow(clippy::too_many_arguments)]
fn store_event(
    conn: &Connection,
    cache: &mut SyncCache,
    config: &Config,
    the_box: &BoxEntry,
    event: &Event,
    skew_ms: i64,
    now: Timestamp,
    applied: &mut Vec<Applied>,
) -> Result<Stored> {
    let id = event.id.0.as_bytes().as_slice();
    // Rejected before: answer as before.
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

    let recorded_ms = event.recorded_at.unix_millis();
    // Corrected by the skew, and never later than its arrival.
    let corrected = from_ms((recorded_ms + skew_ms).min(ms(now)));
    let body = serde_json::to_string(&event.body)
        .map_err(|e| StoreError::Invalid(format!("event {}: {e}", event.id)))?;

    let mut tapper = None;
    if let EventBody::Tap(tap) = &event.body {
        tapper = taps::who_tapped(conn, &tap.card)?;
        if tapper.is_none() {
            let message = format!("card {} is bound to nobody", card_name(&tap.card));
            return reject(
                conn,
                the_box,
                event,
                RejectReason::UnknownCard,
                message,
                &body,
                now,
            );
        }
    }

    if let EventBody::CheckIn(check_in) = &event.body {
        let resident = db_id(check_in.resident);
        let facts = cache.resident(conn, config, resident)?;
        if let Some((reason, message)) =
            check_card(&facts.cards, resident, event, check_in, corrected)
        {
            // Stored before, when the card was still bound: acked as then.
            return reject(conn, the_box, event, reason, message, &body, now);
        }
    }

    let inserted = conn
        .prepare_cached(
            "INSERT INTO events (id, box_id, resident_id, kind, recorded_at, boot_id, seq, received_at, corrected_at, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (id) DO NOTHING",
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
    if inserted == 0 {
        return Ok(Stored::Acked); // stored before: acked again, stored once
    }

    match &event.body {
        EventBody::CheckIn(check_in) => {
            store_check_in(
                conn, cache, config, event, check_in, corrected, now, applied,
            )?;
        }
        EventBody::Heartbeat(heartbeat) => {
            store_heartbeat(conn, the_box.id, event, heartbeat, corrected, skew_ms, now)?;
            if let Some(room) = heartbeat.room {
                let latest = rules::RoomReading {
                    at: corrected,
                    temperature_c: room.temperature_c,
                    humidity_pct: room.humidity_pct,
                };
                for &resident in &the_box.residents {
                    let (state, thresholds) = {
                        let facts = cache.resident(conn, config, resident)?;
                        (facts.state.clone(), facts.thresholds.clone())
                    };
                    // Most readings are below 危険: no history to read.
                    let earlier = if latest.needs_history() {
                        watch::room_readings(
                            conn,
                            the_box.id,
                            corrected,
                            thresholds.room_heat_after,
                        )?
                    } else {
                        Vec::new()
                    };
                    let actions = rules::on_room_reading(&latest, &earlier, &state, &thresholds);
                    let done = watch::apply(conn, config, resident, &actions, now)?;
                    if !done.is_empty() {
                        cache.forget_resident(resident);
                    }
                    applied.extend(done);
                }
            }
        }
        EventBody::Sos(sos) => {
            // The call button works without a card: then everyone at the box
            // gets the alert.
            let targets = match sos.resident {
                Some(r) => vec![db_id(r)],
                None => the_box.residents.clone(),
            };
            for resident in targets {
                let facts = cache.resident(conn, config, resident)?;
                let done = watch::apply(conn, config, resident, &rules::on_sos(&facts.state), now)?;
                if !done.is_empty() {
                    cache.forget_resident(resident);
                }
                applied.extend(done);
            }
        }
        EventBody::Tap(_) => {
            // Authorized before anything was written: the box is a station,
            // and the card's holder was found above.
            if let (Some(station), Some(tapper)) = (&the_box.station, tapper) {
                taps::store_tap(
                    conn,
                    config,
                    &taps::NewTap {
                        event_id: id,
                        station: the_box.id,
                        place: &station.place,
                        kind: station.kind,
                        tapper,
                        at: corrected,
                    },
                    now,
                )?;
            }
        }
    }
    Ok(Stored::Acked)
}

#[allow(clippy::too_many_arguments)]
fn store_check_in(
    conn: &Connection,
    cache: &mut SyncCache,
    config: &Config,
    event: &Event,
    check_in: &CheckIn,
    at: Timestamp,
    now: Timestamp,
    applied: &mut Vec<Applied>,
) -> Result<()> {
    let resident = db_id(check_in.resident);
    let facts = cache.resident(conn, config, resident)?;
    let tz = &config.time_zone;
    let day = at.to_zoned(tz.clone()).date();
    // The rules look back whole days from the check-in's day, and one more
    // for time zones; the day test needs the whole local day (at most 26
    // hours long) before the check-in.
    let look_back_days = i64::from(facts.thresholds.history_days()) + 1;
    let since = at - jiff::SignedDuration::from_hours(24 * look_back_days);
    let from = since.min(at - jiff::SignedDuration::from_hours(48));
    // The local day of the check-in, as instants: [day_start, day_end).
    let day_bound = |d: jiff::civil::Date| {
        d.to_zoned(tz.clone())
            .map(|z| ms(z.timestamp()))
            .map_err(|e| StoreError::Invalid(format!("the day of check-in {}: {e}", event.id)))
    };
    let day_start = day_bound(day)?;
    let day_end = day_bound(
        day.tomorrow()
            .map_err(|e| StoreError::Invalid(e.to_string()))?,
    )?;
    let rows = cache.check_ins_since(conn, resident, ms(from))?;
    let first_of_day = !rows
        .iter()
        .any(|c| (day_start..day_end).contains(&ms(c.at)));
    // Those of the rules' look-back: the rows are in time order.
    let history = rows[rows.partition_point(|c| c.at < since)..].to_vec();
    let facts = cache.resident(conn, config, resident)?;
    // The rules see the resident as she was before this check-in.
    let actions = rules::on_check_in(check_in, at, &history, &facts.state, &facts.thresholds);

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
    cache.check_in_stored(
        resident,
        PastCheckIn {
            at: from_ms(ms(at)),
            condition: check_in.condition,
            weight_kg: v.weight_kg,
        },
    );
    let facts = cache.resident(conn, config, resident)?;

    let (points, streak) = if first_of_day {
        award_points(conn, config, resident, event, check_in, day, at, facts)?
    } else {
        (0, None)
    };
    conn.prepare_cached(
        "UPDATE residents
            SET last_check_in_at = MAX(COALESCE(last_check_in_at, 0), ?1),
                points = points + ?2,
                streak_days = COALESCE(?3, streak_days),
                last_check_in_on = CASE WHEN ?3 IS NULL THEN last_check_in_on ELSE ?4 END
          WHERE id = ?5",
    )?
    .execute(params![ms(at), points, streak, day.to_string(), resident])?;
    // The same, in the cache.
    let latest = facts.state.last_check_in.map_or(0, ms).max(ms(at));
    facts.state.last_check_in = Some(from_ms(latest));
    facts.points += points;
    if let Some(streak) = streak {
        facts.streak_days = streak;
        facts.last_check_in_on = Some(day);
    }

    if config.mail.is_some() {
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
    }

    let done = watch::apply(conn, config, resident, &actions, now)?;
    if !done.is_empty() {
        cache.forget_resident(resident); // her open alerts changed
    }
    applied.extend(done);
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
    at: Timestamp,
    facts: &super::cache::ResidentEntry,
) -> Result<(i64, Option<u32>)> {
    let streak = match facts.last_check_in_on {
        Some(last) if last >= day => None, // a late, older check-in: the streak stands
        Some(last) if last.tomorrow().ok() == Some(day) => Some(facts.streak_days + 1),
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

/// Evaluates `resident`'s time rules after a contact from her box at `now`
/// (which closes `box_offline`), applies what is due, and stores the next
/// due instant in the index when it moved.
fn refresh_after_contact(
    conn: &Connection,
    cache: &mut SyncCache,
    config: &Config,
    resident: i64,
    now: Timestamp,
) -> Result<Vec<Applied>> {
    let mut applied = Vec::new();
    let mut contact = Some(now);
    // Applying an action changes the facts (an alert is now open), so
    // evaluate again until nothing more is due. Each round handles at least
    // one kind, so this ends within a few rounds.
    for _ in 0..AlertKind::ALL.len() + 2 {
        let facts = cache.resident(conn, config, resident)?;
        if let Some(at) = contact.take() {
            let actions = rules::on_box_contact(&facts.state, at);
            let done = watch::apply(conn, config, resident, &actions, now)?;
            if !done.is_empty() {
                cache.forget_resident(resident);
                applied.extend(done);
                continue; // the facts changed: load them again
            }
        }
        let evaluation = rules::evaluate(&facts.state, &facts.thresholds, now);
        let done = watch::apply(conn, config, resident, &evaluation.actions, now)?;
        if done.is_empty() {
            let next_due = evaluation.next_due.map(ms);
            if facts.next_due != next_due {
                conn.prepare_cached("UPDATE residents SET next_due = ?1 WHERE id = ?2")?
                    .execute(params![next_due, resident])?;
                facts.next_due = next_due;
            }
            return Ok(applied);
        }
        cache.forget_resident(resident);
        applied.extend(done);
    }
    Err(StoreError::Invalid(format!(
        "resident {resident}: the watch engine kept finding actions as of {now}"
    )))
}

fn store_heartbeat(
    conn: &Connection,
    box_id: i64,
    event: &Event,
    heartbeat: &Heartbeat,
    at: Timestamp,
    skew_ms: i64,
    now: Timestamp,
) -> Result<()> {
    // The key press in the center's time, never later than the heartbeat's
    // arrival.
    let last_key_at = heartbeat
        .last_key_at
        .map(|t| (t.unix_millis() + skew_ms).min(ms(now)));
    conn.prepare_cached(
        "INSERT INTO heartbeats (event_id, box_id, at, uptime_s, room_temperature, room_humidity, tv_power, software_version, last_key_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
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
        last_key_at,
    ])?;
    conn.prepare_cached(
        "UPDATE boxes SET software_version = ?1,
                          last_key_at = CASE WHEN ?2 IS NULL THEN last_key_at
                                             ELSE MAX(COALESCE(last_key_at, 0), ?2) END
          WHERE id = ?3",
    )?
    .execute(params![heartbeat.software_version, last_key_at, box_id])?;
    Ok(())
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
}
