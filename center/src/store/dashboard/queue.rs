//! The alert queue and what nurses do with an alert: acknowledge, assign,
//! resolve with a visit record. A nurse sees and touches only alerts of her
//! districts; anything else is "not found", and the attempt is audited.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension as _, params};

use super::super::admin::{self, Visit};
use super::super::watch::history;
use super::super::{Result, StoreError, from_ms};
use super::{Viewer, audit};
use crate::config::Config;
use crate::domain::AlertKind;

/// One alert in the queue.
#[derive(Debug, Clone)]
pub struct QueueRow {
    /// The alert.
    pub id: i64,
    /// The resident.
    pub resident: i64,
    /// 氏名.
    pub name: String,
    /// 地区.
    pub district: String,
    /// 住所.
    pub address: String,
    /// 電話番号.
    pub phone: String,
    /// The kind.
    pub kind: AlertKind,
    /// `open` or `acknowledged`.
    pub state: String,
    /// What changed, in Japanese.
    pub reason: String,
    /// Since when.
    pub opened_at: Timestamp,
    /// Whether it escalated (unacknowledged too long).
    pub escalated: bool,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
    /// Who it is assigned to (name).
    pub assigned_to: Option<String>,
    /// The resident's latest check-in.
    pub last_check_in_at: Option<Timestamp>,
    /// Its condition (`good`, `fair`, `poor`).
    pub last_condition: Option<String>,
}

/// The districts filter bound into queries: `None` for an administrator.
pub(crate) fn districts_param(viewer: &Viewer) -> Option<String> {
    viewer.districts_json()
}

/// Open and acknowledged alerts the viewer may see: escalated first, then
/// by severity, then oldest first.
pub fn queue(conn: &Connection, viewer: &Viewer) -> Result<Vec<QueueRow>> {
    let mut rows = conn
        .prepare_cached(
            "SELECT a.id, a.resident_id, r.name, r.district, r.address, r.phone, a.kind, a.state,
                    a.reason, a.opened_at, a.escalated_at IS NOT NULL, a.acknowledged_by, s.name,
                    r.last_check_in_at,
                    (SELECT c.condition FROM check_ins c WHERE c.resident_id = r.id ORDER BY c.at DESC LIMIT 1)
               FROM alerts a JOIN residents r ON r.id = a.resident_id
               LEFT JOIN staff s ON s.id = a.assigned_to
              WHERE a.state != 'resolved'
                AND (?1 IS NULL OR r.district IN (SELECT value FROM json_each(?1)))",
        )?
        .query_map([districts_param(viewer)], |row| {
            Ok((
                row.get::<_, String>(6)?,
                QueueRow {
                    id: row.get(0)?,
                    resident: row.get(1)?,
                    name: row.get(2)?,
                    district: row.get(3)?,
                    address: row.get(4)?,
                    phone: row.get(5)?,
                    kind: AlertKind::Missed,
                    state: row.get(7)?,
                    reason: row.get(8)?,
                    opened_at: from_ms(row.get(9)?),
                    escalated: row.get(10)?,
                    acknowledged_by: row.get(11)?,
                    assigned_to: row.get(12)?,
                    last_check_in_at: row.get::<_, Option<i64>>(13)?.map(from_ms),
                    last_condition: row.get(14)?,
                },
            ))
        })?
        .map(|row| {
            let (kind, mut row) = row?;
            row.kind = kind.parse().map_err(StoreError::Invalid)?;
            Ok(row)
        })
        .collect::<Result<Vec<_>>>()?;
    rows.sort_by_key(|r| {
        (
            std::cmp::Reverse(r.escalated && r.state == "open"),
            std::cmp::Reverse(r.kind.severity()),
            r.opened_at,
        )
    });
    Ok(rows)
}

/// The resident and district of an alert the viewer may see; `None` (and an
/// audit row) when it does not exist or lies outside her districts.
fn visible_alert(
    conn: &Connection,
    viewer: &Viewer,
    alert: i64,
    action: &str,
    now: Timestamp,
) -> Result<Option<i64>> {
    let found: Option<(i64, String)> = conn
        .query_row(
            "SELECT a.resident_id, r.district FROM alerts a JOIN residents r ON r.id = a.resident_id
              WHERE a.id = ?1",
            [alert],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    match found {
        Some((resident, district)) if viewer.may_see(&district) => Ok(Some(resident)),
        Some((resident, _)) => {
            audit::record(
                conn,
                viewer,
                "denied",
                Some(resident),
                &format!("{action} alert {alert}: outside the viewer's districts"),
                now,
            )?;
            Ok(None)
        }
        None => Ok(None),
    }
}

/// What became of an action on an alert.
#[derive(Debug)]
pub enum Outcome {
    /// Done.
    Done,
    /// No such alert for this viewer.
    NotFound,
    /// The alert's state or the input does not allow it (message in Japanese).
    Refused(String),
}

fn refused(error: StoreError) -> Result<Outcome> {
    match error {
        StoreError::Conflict(_) => Ok(Outcome::Refused(
            "この通知は、すでに他の方が対応を変更しています。一覧を開き直してください。".into(),
        )),
        StoreError::NotFound(_) => Ok(Outcome::NotFound),
        StoreError::Invalid(message) => Ok(Outcome::Refused(message)),
        other => Err(other),
    }
}

/// The viewer acknowledges an open alert.
pub fn acknowledge(
    conn: &Connection,
    viewer: &Viewer,
    alert: i64,
    now: Timestamp,
) -> Result<Outcome> {
    let Some(resident) = visible_alert(conn, viewer, alert, "acknowledge", now)? else {
        return Ok(Outcome::NotFound);
    };
    match admin::acknowledge(conn, alert, &viewer.name, now) {
        Ok(()) => {
            audit::record(
                conn,
                viewer,
                "alert.acknowledge",
                Some(resident),
                &format!("alert {alert}"),
                now,
            )?;
            Ok(Outcome::Done)
        }
        Err(e) => refused(e),
    }
}

/// Staff an alert can be assigned to: those who see its district.
pub fn assignable(conn: &Connection, district: &str) -> Result<Vec<(i64, String)>> {
    let mut out = Vec::new();
    let mut statement = conn.prepare_cached(
        "SELECT id, name, role, districts FROM staff WHERE disabled_at IS NULL ORDER BY name",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (id, name, role, districts) = row?;
        let districts: Vec<String> = serde_json::from_str(&districts).unwrap_or_default();
        if role == "admin" || districts.iter().any(|d| d == district) {
            out.push((id, name));
        }
    }
    Ok(out)
}

/// Assigns an unresolved alert to a staff member who sees its district.
pub fn assign(
    conn: &Connection,
    viewer: &Viewer,
    alert: i64,
    to: i64,
    now: Timestamp,
) -> Result<Outcome> {
    let Some(resident) = visible_alert(conn, viewer, alert, "assign", now)? else {
        return Ok(Outcome::NotFound);
    };
    let district: String = conn.query_row(
        "SELECT district FROM residents WHERE id = ?1",
        [resident],
        |row| row.get(0),
    )?;
    let Some((_, name)) = assignable(conn, &district)?
        .into_iter()
        .find(|(id, _)| *id == to)
    else {
        return Ok(Outcome::Refused(
            "この方の地区を担当していない職員には割り当てられません。".into(),
        ));
    };
    let changed = conn.execute(
        "UPDATE alerts SET assigned_to = ?1 WHERE id = ?2 AND state != 'resolved'",
        params![to, alert],
    )?;
    if changed == 0 {
        return refused(StoreError::Conflict(String::new()));
    }
    history(conn, alert, now, &viewer.name, "assigned", &name)?;
    audit::record(
        conn,
        viewer,
        "alert.assign",
        Some(resident),
        &format!("alert {alert} → {name}"),
        now,
    )?;
    Ok(Outcome::Done)
}

/// Resolves an alert with a visit record.
pub fn resolve(
    conn: &Connection,
    config: &Config,
    viewer: &Viewer,
    alert: i64,
    visit: &Visit,
    now: Timestamp,
) -> Result<Outcome> {
    let Some(resident) = visible_alert(conn, viewer, alert, "resolve", now)? else {
        return Ok(Outcome::NotFound);
    };
    if visit.at > now {
        return Ok(Outcome::Refused("訪問日時が未来になっています。".into()));
    }
    match admin::resolve(conn, config, alert, visit, now) {
        Ok(()) => {
            audit::record(
                conn,
                viewer,
                "alert.resolve",
                Some(resident),
                &format!("alert {alert}: {}", visit.outcome.label_ja()),
                now,
            )?;
            Ok(Outcome::Done)
        }
        Err(e) => refused(e),
    }
}

/// An alert as its resolve form shows it.
#[derive(Debug, Clone)]
pub struct AlertDetail {
    /// The queue's view of it.
    pub row: QueueRow,
    /// Staff it can be assigned to.
    pub assignable: Vec<(i64, String)>,
}

/// One unresolved alert, if the viewer may see it (else audited, `None`).
pub fn detail(
    conn: &Connection,
    viewer: &Viewer,
    alert: i64,
    now: Timestamp,
) -> Result<Option<AlertDetail>> {
    if visible_alert(conn, viewer, alert, "view", now)?.is_none() {
        return Ok(None);
    }
    let Some(row) = queue(conn, viewer)?.into_iter().find(|r| r.id == alert) else {
        return Ok(None);
    };
    let assignable = assignable(conn, &row.district)?;
    Ok(Some(AlertDetail { row, assignable }))
}
