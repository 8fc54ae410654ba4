//! The watch engine's bridge to the database: load a resident's facts, apply
//! the engine's actions as alert rows, keep `next_due` in its index, sweep.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::Serialize;

use super::{Result, StoreError, from_ms, ms};
use crate::config::Config;
use crate::domain::{AlertId, AlertKind};
use crate::watch::{self, Action, BoxContact, OpenAlert, Overrides, Thresholds, WatchState};

/// One thing the center did about a resident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The resident.
    pub resident: i64,
    /// The alert opened, escalated or closed.
    pub alert: i64,
    /// Its kind.
    pub kind: AlertKind,
    /// `opened`, `escalated` or `closed`.
    pub action: &'static str,
    /// Why, in Japanese.
    pub reason: String,
}

/// Loads what the engine needs about `resident`, with its thresholds.
pub(crate) fn load_state(
    conn: &Connection,
    config: &Config,
    resident: i64,
) -> Result<(WatchState, Thresholds)> {
    let row = conn
        .prepare_cached("SELECT r.care_plan, r.overrides, r.paused_through, r.watched_since, r.last_check_in_at,
                    r.box_id, r.box_assigned_at, b.last_contact_at, b.revoked_at
               FROM residents r LEFT JOIN boxes b ON b.id = r.box_id
              WHERE r.id = ?1")?
.query_row(
            [resident],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, Option<i64>>(4)?,
                    row.get::<_, Option<i64>>(5)?,
                    row.get::<_, Option<i64>>(6)?,
                    row.get::<_, Option<i64>>(7)?,
                    row.get::<_, Option<i64>>(8)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("resident {resident} does not exist")))?;
    let (care_plan, overrides, paused, since, last_check_in, box_id, assigned, contact, revoked) =
        row;
    let care_plan: mimamori_protocol::CarePlan = serde_json::from_str(&care_plan)
        .map_err(|e| StoreError::Invalid(format!("resident {resident}: stored care plan: {e}")))?;
    let overrides: Overrides = serde_json::from_str(&overrides)
        .map_err(|e| StoreError::Invalid(format!("resident {resident}: stored overrides: {e}")))?;
    let paused_through = paused
        .map(|d| d.parse::<jiff::civil::Date>())
        .transpose()
        .map_err(|e| StoreError::Invalid(format!("resident {resident}: stored pause: {e}")))?;
    let box_contact = match (box_id, revoked) {
        (Some(_), None) => Some(BoxContact {
            assigned_at: from_ms(assigned.unwrap_or(since)),
            last_contact: contact.map(from_ms),
        }),
        _ => None,
    };
    let mut statement = conn.prepare_cached(
        "SELECT id, kind, opened_at, acknowledged_at, escalated_at
           FROM alerts WHERE resident_id = ?1 AND state != 'resolved'",
    )?;
    let open_alerts = statement
        .query_map([resident], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, Option<i64>>(3)?,
                row.get::<_, Option<i64>>(4)?,
            ))
        })?
        .map(|row| {
            let (id, kind, opened, acked, escalated) = row?;
            Ok(OpenAlert {
                id: AlertId(id),
                kind: kind.parse().map_err(StoreError::Invalid)?,
                opened_at: from_ms(opened),
                acknowledged: acked.is_some(),
                escalated: escalated.is_some(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let state = WatchState {
        tz: config.time_zone.clone(),
        deadline: care_plan.deadline,
        watched_since: from_ms(since),
        paused_through,
        last_check_in: last_check_in.map(from_ms),
        box_contact,
        open_alerts,
        last_resolved: last_resolved(conn, resident)?,
    };
    Ok((state, config.thresholds.with(&overrides)))
}

/// When a nurse last resolved an alert of each kind: counting of silence
/// starts again from there. Automatic closes do not count.
fn last_resolved(conn: &Connection, resident: i64) -> Result<Vec<(AlertKind, Timestamp)>> {
    conn.prepare_cached(
        "SELECT kind, MAX(resolved_at) FROM alerts
          WHERE resident_id = ?1 AND state = 'resolved' AND resolved_by != 'system'
          GROUP BY kind",
    )?
    .query_map([resident], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
    })?
    .map(|row| {
        let (kind, at) = row?;
        Ok((kind.parse().map_err(StoreError::Invalid)?, from_ms(at)))
    })
    .collect()
}

/// The room readings of a box's heartbeats before `until`, back to an hour
/// more than `span` before it (so that a run of 危険 can be traced to its
/// start), for [`watch::on_room_reading`].
pub(crate) fn room_readings(
    conn: &Connection,
    box_id: i64,
    until: Timestamp,
    span: jiff::SignedDuration,
) -> Result<Vec<watch::RoomReading>> {
    let from = until
        .checked_sub(span)
        .and_then(|t| t.checked_sub(jiff::SignedDuration::from_hours(1)))
        .unwrap_or(Timestamp::UNIX_EPOCH);
    Ok(conn
        .prepare_cached(
            "SELECT at, room_temperature, room_humidity FROM heartbeats
              WHERE box_id = ?1 AND at >= ?2 AND at < ?3
                AND room_temperature IS NOT NULL AND room_humidity IS NOT NULL
              ORDER BY at",
        )?
        .query_map(params![box_id, ms(from), ms(until)], |row| {
            Ok(watch::RoomReading {
                at: from_ms(row.get(0)?),
                temperature_c: mimamori_protocol::Tenths(row.get(1)?),
                humidity_pct: mimamori_protocol::Tenths(row.get(2)?),
            })
        })?
        .collect::<std::result::Result<_, _>>()?)
}

/// Writes the engine's actions for `resident` as alert rows and history.
///
/// Each alert opened or escalated enqueues its mail in the same
/// transaction ([`super::outbox::enqueue_alert`]).
pub(crate) fn apply(
    conn: &Connection,
    config: &Config,
    resident: i64,
    actions: &[Action],
    now: Timestamp,
) -> Result<Vec<Applied>> {
    let mut applied = Vec::with_capacity(actions.len());
    for action in actions {
        match action {
            Action::Open { kind, reason } => {
                let inserted = conn
                    .prepare_cached(
                        "INSERT INTO alerts (resident_id, kind, state, reason, opened_at)
                     VALUES (?1, ?2, 'open', ?3, ?4)
                     ON CONFLICT DO NOTHING",
                    )?
                    .execute(params![resident, kind.as_str(), reason, ms(now)])?;
                if inserted == 0 {
                    continue; // one open alert per resident and kind
                }
                let alert = conn.last_insert_rowid();
                history(conn, alert, now, "system", "opened", reason)?;
                applied.push(Applied {
                    resident,
                    alert,
                    kind: *kind,
                    action: "opened",
                    reason: reason.clone(),
                });
            }
            Action::Escalate { alert, reason } => {
                let kind = alert_kind(conn, *alert)?;
                let changed = conn.prepare_cached("UPDATE alerts SET escalated_at = ?1 WHERE id = ?2 AND escalated_at IS NULL AND state = 'open'")?
.execute(
                    params![ms(now), alert.0],
                )?;
                if changed > 0 {
                    history(conn, alert.0, now, "system", "escalated", reason)?;
                    applied.push(Applied {
                        resident,
                        alert: alert.0,
                        kind,
                        action: "escalated",
                        reason: reason.clone(),
                    });
                }
            }
            Action::Close { alert, reason } => {
                let kind = alert_kind(conn, *alert)?;
                let changed = conn.prepare_cached("UPDATE alerts SET state = 'resolved', resolved_at = ?1, resolved_by = 'system'
                      WHERE id = ?2 AND state != 'resolved'")?
.execute(
                    params![ms(now), alert.0],
                )?;
                if changed > 0 {
                    history(conn, alert.0, now, "system", "closed", reason)?;
                    applied.push(Applied {
                        resident,
                        alert: alert.0,
                        kind,
                        action: "closed",
                        reason: reason.clone(),
                    });
                }
            }
        }
    }
    for done in &applied {
        super::outbox::enqueue_alert(conn, config, done, now)?;
    }
    Ok(applied)
}

fn alert_kind(conn: &Connection, alert: AlertId) -> Result<AlertKind> {
    let kind: String = conn
        .prepare_cached("SELECT kind FROM alerts WHERE id = ?1")?
        .query_row([alert.0], |row| row.get(0))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("alert {alert} does not exist")))?;
    kind.parse().map_err(StoreError::Invalid)
}

/// Appends to an alert's history.
pub(crate) fn history(
    conn: &Connection,
    alert: i64,
    at: Timestamp,
    actor: &str,
    action: &str,
    note: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO alert_events (alert_id, at, actor, action, note) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![alert, ms(at), actor, action, note])?;
    Ok(())
}

/// Evaluates `resident`'s time rules as of `now`, applies what is due, and
/// stores the next due instant in the index.
pub(crate) fn refresh(
    conn: &Connection,
    config: &Config,
    resident: i64,
    now: Timestamp,
) -> Result<Vec<Applied>> {
    let mut applied = Vec::new();
    // Applying an action changes the facts (an alert is now open), so
    // evaluate again until nothing more is due. Each round handles at least
    // one kind, so this ends within a few rounds.
    for _ in 0..AlertKind::ALL.len() + 2 {
        let (state, thresholds) = load_state(conn, config, resident)?;
        let evaluation = watch::evaluate(&state, &thresholds, now);
        let done = apply(conn, config, resident, &evaluation.actions, now)?;
        if done.is_empty() {
            conn.prepare_cached("UPDATE residents SET next_due = ?1 WHERE id = ?2")?
                .execute(params![evaluation.next_due.map(ms), resident])?;
            return Ok(applied);
        }
        applied.extend(done);
    }
    Err(StoreError::Invalid(format!(
        "resident {resident}: the watch engine kept finding actions as of {now}"
    )))
}

/// What a sweep did.
#[derive(Debug, Default, Serialize)]
pub struct SweepReport {
    /// The instant the sweep ran as of.
    pub at: String,
    /// Residents that were due.
    pub due: usize,
    /// Alerts opened, escalated or closed.
    pub applied: Vec<Applied>,
    /// Daily digests queued for families.
    pub digests: usize,
    /// Morning summaries queued for nurses (one per nurse and district).
    pub nurse_summaries: usize,
}

/// Runs the time rules for every resident due at `now`. Reads only the due
/// residents, through the `next_due` index.
pub fn sweep(conn: &Connection, config: &Config, now: Timestamp) -> Result<SweepReport> {
    let due: Vec<i64> = conn
        .prepare_cached("SELECT id FROM residents WHERE next_due <= ?1 ORDER BY next_due")?
        .query_map([ms(now)], |row| row.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    let mut report = SweepReport {
        at: now.to_string(),
        due: due.len(),
        applied: Vec::new(),
        digests: 0,
        nurse_summaries: 0,
    };
    for resident in due {
        report.applied.extend(refresh(conn, config, resident, now)?);
    }
    report.digests = super::outbox::enqueue_digests(conn, config, now)?;
    report.nurse_summaries = super::outbox::enqueue_nurse_summaries(conn, config, now)?;
    Ok(report)
}
