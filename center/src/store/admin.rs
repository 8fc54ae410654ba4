//! What the operator's staff do from the command line: boxes, residents,
//! cards, notices, alerts.

use jiff::Timestamp;
use mimamori_protocol::{CardUid, CarePlan, CertFingerprint};
use rand::RngCore as _;
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::Serialize;

use super::sync::token_hash;
use super::watch::{self, history};
use super::{Result, StoreError, box_of, from_ms, ms, touch_box, touch_people};
use crate::config::Config;
use crate::domain::{AlertState, PauseReason, VisitOutcome};

/// Registers a box; returns its token, which is shown once and stored only
/// as a hash.
pub fn add_box(conn: &Connection, device_id: &str, label: &str, now: Timestamp) -> Result<String> {
    let device: mimamori_protocol::DeviceId = device_id.parse().map_err(StoreError::Invalid)?;
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("mmb_{}", hex::encode(secret));
    let inserted = conn.execute(
        "INSERT INTO boxes (device_id, token_hash, label, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (device_id) DO NOTHING",
        params![device.as_str(), &token_hash(&token)[..], label, ms(now)],
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!(
            "box {device_id} is already registered"
        )));
    }
    Ok(token)
}

/// Revokes a box's token: its syncs are refused from now on, and its
/// residents are no longer watched for box silence.
pub fn revoke_box(
    conn: &Connection,
    config: &Config,
    device_id: &str,
    now: Timestamp,
) -> Result<()> {
    let changed = conn.execute(
        "UPDATE boxes SET revoked_at = ?1 WHERE device_id = ?2 AND revoked_at IS NULL",
        params![ms(now), device_id],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound(format!("no active box {device_id}")));
    }
    let residents: Vec<i64> = conn
        .prepare(
            "SELECT r.id FROM residents r JOIN boxes b ON b.id = r.box_id WHERE b.device_id = ?1",
        )?
        .query_map([device_id], |row| row.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    for resident in residents {
        watch::refresh(conn, config, resident, now)?;
    }
    Ok(())
}

/// A box as listed.
#[derive(Debug, Serialize)]
pub struct BoxSummary {
    /// Its name.
    pub device_id: String,
    /// Free text, e.g. where it is installed.
    pub label: String,
    /// Whether its token was revoked.
    pub revoked: bool,
    /// When it last synced.
    pub last_contact_at: Option<String>,
    /// Its clock's error at the last sync, in milliseconds.
    pub clock_skew_ms: Option<i64>,
    /// Its software version, from the last heartbeat.
    pub software_version: Option<String>,
    /// How many residents it serves.
    pub residents: i64,
}

/// Every home box (stations are listed by [`super::stations::list_stations`]).
pub fn list_boxes(conn: &Connection) -> Result<Vec<BoxSummary>> {
    conn.prepare(
        "SELECT b.device_id, b.label, b.revoked_at IS NOT NULL, b.last_contact_at, b.clock_skew_ms,
                b.software_version, (SELECT COUNT(*) FROM residents r WHERE r.box_id = b.id)
           FROM boxes b WHERE NOT EXISTS (SELECT 1 FROM stations s WHERE s.box_id = b.id)
          ORDER BY b.device_id",
    )?
    .query_map([], |row| {
        Ok(BoxSummary {
            device_id: row.get(0)?,
            label: row.get(1)?,
            revoked: row.get(2)?,
            last_contact_at: row
                .get::<_, Option<i64>>(3)?
                .map(|t| from_ms(t).to_string()),
            clock_skew_ms: row.get(4)?,
            software_version: row.get(5)?,
            residents: row.get(6)?,
        })
    })?
    .collect::<std::result::Result<_, _>>()
    .map_err(StoreError::from)
}

/// A resident to register.
#[derive(Debug, Clone)]
pub struct NewResident {
    /// 氏名.
    pub name: String,
    /// ふりがな.
    pub kana: String,
    /// 地区.
    pub district: String,
    /// 住所.
    pub address: String,
    /// 電話番号.
    pub phone: String,
    /// 生年月日.
    pub birth_date: Option<jiff::civil::Date>,
    /// What the TV asks and when.
    pub care_plan: CarePlan,
    /// The box that serves them, by device id.
    pub box_device: Option<String>,
}

/// Registers a resident; returns their id.
pub fn add_resident(
    conn: &Connection,
    config: &Config,
    new: &NewResident,
    now: Timestamp,
) -> Result<i64> {
    for (field, value) in [
        ("name", &new.name),
        ("kana", &new.kana),
        ("district", &new.district),
    ] {
        if value.trim().is_empty() {
            return Err(StoreError::Invalid(format!("`{field}` must not be empty")));
        }
    }
    let box_id = new
        .box_device
        .as_deref()
        .map(|d| box_id(conn, d))
        .transpose()?;
    let care_plan = serde_json::to_string(&new.care_plan)
        .map_err(|e| StoreError::Invalid(format!("care plan: {e}")))?;
    conn.execute(
        "INSERT INTO residents (name, kana, district, address, phone, birth_date, box_id, box_assigned_at,
                                care_plan, watched_since, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![
            new.name.trim(),
            new.kana.trim(),
            new.district.trim(),
            new.address,
            new.phone,
            new.birth_date.map(|d| d.to_string()),
            box_id,
            box_id.map(|_| ms(now)),
            care_plan,
            ms(now),
        ],
    )?;
    let id = conn.last_insert_rowid();
    touch_box(conn, box_id)?;
    watch::refresh(conn, config, id, now)?;
    Ok(id)
}

/// The id of the home box `device_id`; a station never serves residents.
fn box_id(conn: &Connection, device_id: &str) -> Result<i64> {
    let id = conn
        .query_row(
            "SELECT id FROM boxes WHERE device_id = ?1",
            [device_id],
            |row| row.get(0),
        )
        .optional()?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "no box {device_id}; add it with `admin box add {device_id}`"
            ))
        })?;
    if super::stations::is_station(conn, id)? {
        return Err(StoreError::Invalid(format!(
            "{device_id} is a tap station, not a home box: it serves no residents"
        )));
    }
    Ok(id)
}

fn ensure_resident(conn: &Connection, resident: i64) -> Result<()> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM residents WHERE id = ?1")?
        .exists([resident])?;
    if exists {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!(
            "resident {resident} does not exist"
        )))
    }
}

/// Moves a resident to another box (or to none).
pub fn assign_box(
    conn: &Connection,
    config: &Config,
    resident: i64,
    device_id: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    ensure_resident(conn, resident)?;
    let old = box_of(conn, resident)?;
    let new = device_id.map(|d| box_id(conn, d)).transpose()?;
    conn.execute(
        "UPDATE residents SET box_id = ?1, box_assigned_at = ?2 WHERE id = ?3",
        params![new, new.map(|_| ms(now)), resident],
    )?;
    touch_box(conn, old)?;
    touch_box(conn, new)?;
    watch::refresh(conn, config, resident, now)?;
    Ok(())
}

/// Replaces a resident's care plan.
pub fn set_care_plan(
    conn: &Connection,
    config: &Config,
    resident: i64,
    care_plan: &CarePlan,
    now: Timestamp,
) -> Result<()> {
    ensure_resident(conn, resident)?;
    let text = serde_json::to_string(care_plan).map_err(|e| StoreError::Invalid(e.to_string()))?;
    conn.execute(
        "UPDATE residents SET care_plan = ?1 WHERE id = ?2",
        params![text, resident],
    )?;
    touch_box(conn, box_of(conn, resident)?)?;
    watch::refresh(conn, config, resident, now)?;
    Ok(())
}

/// Pauses a resident's watch through `through` (inclusive), or ends the
/// pause with `None`.
///
/// A pause ended early ends yesterday rather than vanishing: the count of
/// silent days restarts from the end of the pause, not from the last
/// check-in before it.
pub fn pause(
    conn: &Connection,
    config: &Config,
    resident: i64,
    through: Option<(jiff::civil::Date, PauseReason)>,
    now: Timestamp,
) -> Result<()> {
    ensure_resident(conn, resident)?;
    let through = match through {
        Some(pause) => Some(pause),
        None => {
            let yesterday = now
                .to_zoned(config.time_zone.clone())
                .date()
                .yesterday()
                .ok();
            let current: Option<(String, String)> = conn.query_row(
                "SELECT paused_through, pause_reason FROM residents WHERE id = ?1",
                [resident],
                |row| {
                    Ok(row
                        .get::<_, Option<String>>(0)?
                        .zip(row.get::<_, Option<String>>(1)?))
                },
            )?;
            match (current, yesterday) {
                (Some((day, reason)), Some(yesterday))
                    if day
                        .parse::<jiff::civil::Date>()
                        .is_ok_and(|d| d >= yesterday) =>
                {
                    Some((
                        yesterday,
                        reason.parse::<PauseReason>().map_err(StoreError::Invalid)?,
                    ))
                }
                _ => None,
            }
        }
    };
    conn.execute(
        "UPDATE residents SET paused_through = ?1, pause_reason = ?2 WHERE id = ?3",
        params![
            through.map(|(d, _)| d.to_string()),
            through.map(|(_, r)| r.as_str()),
            resident
        ],
    )?;
    watch::refresh(conn, config, resident, now)?;
    Ok(())
}

/// A resident as listed.
#[derive(Debug, Serialize)]
pub struct ResidentSummary {
    /// Their id.
    pub id: i64,
    /// 氏名.
    pub name: String,
    /// ふりがな.
    pub kana: String,
    /// 地区.
    pub district: String,
    /// Their box's device id.
    pub box_device: Option<String>,
    /// Paused through this day.
    pub paused_through: Option<String>,
    /// Why paused.
    pub pause_reason: Option<String>,
    /// Last check-in, if any.
    pub last_check_in_at: Option<String>,
    /// Consecutive days with a check-in.
    pub streak_days: u32,
    /// Health points.
    pub points: i64,
    /// Alerts not yet resolved.
    pub open_alerts: i64,
    /// When the watch engine next looks at them.
    pub next_due: Option<String>,
}

/// Residents, optionally of one district.
pub fn list_residents(conn: &Connection, district: Option<&str>) -> Result<Vec<ResidentSummary>> {
    conn.prepare(
        "SELECT r.id, r.name, r.kana, r.district, b.device_id, r.paused_through, r.pause_reason,
                r.last_check_in_at, r.streak_days, r.points,
                (SELECT COUNT(*) FROM alerts a WHERE a.resident_id = r.id AND a.state != 'resolved'),
                r.next_due
           FROM residents r LEFT JOIN boxes b ON b.id = r.box_id
          WHERE ?1 IS NULL OR r.district = ?1
          ORDER BY r.kana, r.id",
    )?
    .query_map([district], |row| {
        Ok(ResidentSummary {
            id: row.get(0)?,
            name: row.get(1)?,
            kana: row.get(2)?,
            district: row.get(3)?,
            box_device: row.get(4)?,
            paused_through: row.get(5)?,
            pause_reason: row.get(6)?,
            last_check_in_at: row.get::<_, Option<i64>>(7)?.map(|t| from_ms(t).to_string()),
            streak_days: row.get(8)?,
            points: row.get(9)?,
            open_alerts: row.get(10)?,
            next_due: row.get::<_, Option<i64>>(11)?.map(|t| from_ms(t).to_string()),
        })
    })?
    .collect::<std::result::Result<_, _>>()
    .map_err(StoreError::from)
}

/// Binds a trial card's UID to a resident.
pub fn bind_uid(conn: &Connection, resident: i64, uid: &CardUid, now: Timestamp) -> Result<()> {
    ensure_resident(conn, resident)?;
    super::children::refuse_child_card(conn, Some(uid.as_bytes()), None, &format!("card {uid}"))?;
    let inserted = conn.execute(
        "INSERT INTO cards (resident_id, kind, uid, created_at) VALUES (?1, 'card_uid', ?2, ?3)
         ON CONFLICT DO NOTHING",
        params![resident, uid.as_bytes(), ms(now)],
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!("card {uid} is already bound")));
    }
    touch_people(conn)?;
    touch_box(conn, box_of(conn, resident)?)
}

/// Binds a JPKI user-authentication certificate to a resident.
pub fn bind_certificate(
    conn: &Connection,
    resident: i64,
    cert: &crate::jpki::BoundCertificate,
    now: Timestamp,
) -> Result<CertFingerprint> {
    ensure_resident(conn, resident)?;
    let fingerprint = cert.fingerprint;
    super::children::refuse_child_card(
        conn,
        None,
        Some(&fingerprint.0[..]),
        &format!("certificate {fingerprint}"),
    )?;
    let inserted = conn.execute(
        "INSERT INTO cards (resident_id, kind, fingerprint, certificate, public_key, not_before, not_after, created_at)
         VALUES (?1, 'jpki', ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
        params![
            resident,
            &fingerprint.0[..],
            cert.der,
            cert.public_key,
            cert.not_before_ms,
            cert.not_after_ms,
            ms(now)
        ],
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!(
            "certificate {fingerprint} is already bound"
        )));
    }
    touch_people(conn)?;
    touch_box(conn, box_of(conn, resident)?)?;
    Ok(fingerprint)
}

/// Publishes a notice to every box; returns its id.
pub fn add_notice(
    conn: &Connection,
    title: &str,
    body: &str,
    published_on: jiff::civil::Date,
    expires_on: Option<jiff::civil::Date>,
    important: bool,
    now: Timestamp,
) -> Result<i64> {
    let notice = mimamori_protocol::Notice {
        id: 0,
        title: title.into(),
        body: body.into(),
        published_on: published_on
            .to_string()
            .parse()
            .map_err(StoreError::Invalid)?,
        expires_on: expires_on
            .map(|d| d.to_string().parse())
            .transpose()
            .map_err(StoreError::Invalid)?,
        important,
    };
    mimamori_protocol::Validate::validate(&notice)
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    conn.execute(
        "INSERT INTO notices (title, body, published_on, expires_on, important, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            title,
            body,
            published_on.to_string(),
            expires_on.map(|d| d.to_string()),
            important,
            ms(now)
        ],
    )?;
    let id = conn.last_insert_rowid();
    conn.execute(
        "UPDATE counters SET value = value + 1 WHERE name = 'notices_rev'",
        [],
    )?;
    Ok(id)
}

/// An alert as listed.
#[derive(Debug, Serialize)]
pub struct AlertSummary {
    /// Its id.
    pub id: i64,
    /// The resident.
    pub resident: i64,
    /// Their name.
    pub name: String,
    /// Their district.
    pub district: String,
    /// The kind.
    pub kind: String,
    /// open, acknowledged or resolved.
    pub state: String,
    /// Why it opened.
    pub reason: String,
    /// When it opened.
    pub opened_at: Timestamp,
    /// Whether it escalated.
    pub escalated: bool,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
}

/// Alerts in a state (all states with `None`), most urgent first.
pub fn list_alerts(conn: &Connection, state: Option<AlertState>) -> Result<Vec<AlertSummary>> {
    let mut rows: Vec<AlertSummary> = conn
        .prepare(
            "SELECT a.id, a.resident_id, r.name, r.district, a.kind, a.state, a.reason, a.opened_at,
                    a.escalated_at IS NOT NULL, a.acknowledged_by
               FROM alerts a JOIN residents r ON r.id = a.resident_id
              WHERE ?1 IS NULL OR a.state = ?1
              ORDER BY a.opened_at",
        )?
        .query_map([state.map(|s| s.as_str())], |row| {
            Ok(AlertSummary {
                id: row.get(0)?,
                resident: row.get(1)?,
                name: row.get(2)?,
                district: row.get(3)?,
                kind: row.get(4)?,
                state: row.get(5)?,
                reason: row.get(6)?,
                opened_at: from_ms(row.get(7)?),
                escalated: row.get(8)?,
                acknowledged_by: row.get(9)?,
            })
        })?
        .collect::<std::result::Result<_, _>>()?;
    let severity = |a: &AlertSummary| {
        a.kind
            .parse::<crate::domain::AlertKind>()
            .map(|k| k.severity())
            .unwrap_or(0)
    };
    rows.sort_by_key(|a| {
        (
            std::cmp::Reverse(a.escalated),
            std::cmp::Reverse(severity(a)),
        )
    });
    Ok(rows)
}

/// A nurse takes an open alert.
pub fn acknowledge(conn: &Connection, alert: i64, by: &str, now: Timestamp) -> Result<()> {
    let changed = conn.execute(
        "UPDATE alerts SET state = 'acknowledged', acknowledged_at = ?1, acknowledged_by = ?2
          WHERE id = ?3 AND state = 'open'",
        params![ms(now), by, alert],
    )?;
    if changed == 0 {
        return Err(alert_state_error(conn, alert, "acknowledged")?);
    }
    history(conn, alert, now, by, "acknowledged", "")
}

/// A visit record (訪問記録) that resolves an alert.
#[derive(Debug, Clone)]
pub struct Visit {
    /// When the visit took place.
    pub at: Timestamp,
    /// Who visited.
    pub by: String,
    /// What was found.
    pub outcome: VisitOutcome,
    /// Free text.
    pub note: String,
}

/// Resolves an alert with a visit record.
pub fn resolve(
    conn: &Connection,
    config: &Config,
    alert: i64,
    visit: &Visit,
    now: Timestamp,
) -> Result<()> {
    let resident: Option<i64> = conn
        .query_row(
            "SELECT resident_id FROM alerts WHERE id = ?1 AND state != 'resolved'",
            [alert],
            |row| row.get(0),
        )
        .optional()?;
    let Some(resident) = resident else {
        return Err(alert_state_error(conn, alert, "resolved")?);
    };
    conn.execute(
        "UPDATE alerts SET state = 'resolved', resolved_at = ?1, resolved_by = ?2,
                visit_at = ?3, visit_outcome = ?4, visit_note = ?5
          WHERE id = ?6",
        params![
            ms(now),
            visit.by,
            ms(visit.at),
            visit.outcome.as_str(),
            visit.note,
            alert
        ],
    )?;
    let note = format!("{}: {}", visit.outcome.label_ja(), visit.note);
    history(
        conn,
        alert,
        now,
        &visit.by,
        "resolved",
        note.trim_end_matches([':', ' ']),
    )?;
    // With the alert gone, the rules may find the cause still there; a
    // nurse's resolution restarts the count of silence (WatchState::last_resolved).
    watch::refresh(conn, config, resident, now)?;
    Ok(())
}

fn alert_state_error(conn: &Connection, alert: i64, wanted: &str) -> Result<StoreError> {
    let state: Option<String> = conn
        .query_row("SELECT state FROM alerts WHERE id = ?1", [alert], |row| {
            row.get(0)
        })
        .optional()?;
    Ok(match state {
        None => StoreError::NotFound(format!("alert {alert} does not exist")),
        Some(state) => {
            StoreError::Conflict(format!("alert {alert} is {state}; it cannot be {wanted}"))
        }
    })
}

/// Changes of a resident's particulars; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct ResidentEdit {
    /// 氏名.
    pub name: Option<String>,
    /// ふりがな.
    pub kana: Option<String>,
    /// 地区.
    pub district: Option<String>,
    /// 住所.
    pub address: Option<String>,
    /// 電話番号.
    pub phone: Option<String>,
    /// 生年月日.
    pub birth_date: Option<jiff::civil::Date>,
}

/// Changes a resident's particulars.
pub fn edit_resident(conn: &Connection, resident: i64, edit: &ResidentEdit) -> Result<()> {
    ensure_resident(conn, resident)?;
    for (field, value) in [
        ("name", &edit.name),
        ("kana", &edit.kana),
        ("district", &edit.district),
    ] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(StoreError::Invalid(format!("`{field}` must not be empty")));
        }
    }
    conn.execute(
        "UPDATE residents SET name = COALESCE(?1, name), kana = COALESCE(?2, kana),
                district = COALESCE(?3, district), address = COALESCE(?4, address),
                phone = COALESCE(?5, phone), birth_date = COALESCE(?6, birth_date)
          WHERE id = ?7",
        params![
            edit.name.as_deref().map(str::trim),
            edit.kana.as_deref().map(str::trim),
            edit.district.as_deref().map(str::trim),
            edit.address,
            edit.phone,
            edit.birth_date.map(|d| d.to_string()),
            resident
        ],
    )?;
    if edit.name.is_some() || edit.kana.is_some() {
        touch_people(conn)?; // shelters show residents' names
    }
    touch_box(conn, box_of(conn, resident)?)
}

/// Sets a resident's own thresholds (see [`crate::watch::Overrides`]), and
/// re-evaluates them at once.
pub fn set_overrides(
    conn: &Connection,
    config: &Config,
    resident: i64,
    overrides: &crate::watch::Overrides,
    now: Timestamp,
) -> Result<()> {
    ensure_resident(conn, resident)?;
    let text = serde_json::to_string(overrides).map_err(|e| StoreError::Invalid(e.to_string()))?;
    conn.execute(
        "UPDATE residents SET overrides = ?1 WHERE id = ?2",
        params![text, resident],
    )?;
    watch::refresh(conn, config, resident, now)?;
    Ok(())
}

/// A resident's own thresholds.
pub fn overrides(conn: &Connection, resident: i64) -> Result<crate::watch::Overrides> {
    ensure_resident(conn, resident)?;
    let text: String = conn.query_row(
        "SELECT overrides FROM residents WHERE id = ?1",
        [resident],
        |row| row.get(0),
    )?;
    serde_json::from_str(&text).map_err(|e| StoreError::Invalid(format!("stored overrides: {e}")))
}
