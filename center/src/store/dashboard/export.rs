//! Rows for the municipal CSV exports: check-ins and alerts of a date
//! range and district. Each export is audited.

use jiff::civil::Date;
use jiff::{Timestamp, tz::TimeZone};
use rusqlite::{Connection, params};

use super::super::{Result, StoreError, from_ms, ms};
use super::{Viewer, audit};

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportRange {
    /// First day (inclusive).
    pub from: Date,
    /// Last day (inclusive).
    pub to: Date,
    /// Only this district (`None`: every district the viewer sees).
    pub district: Option<String>,
}

/// A check-in row.
#[derive(Debug, Clone)]
pub struct CheckInRow {
    /// Resident id.
    pub resident: i64,
    /// 氏名.
    pub name: String,
    /// 地区.
    pub district: String,
    /// When.
    pub at: Timestamp,
    /// good / fair / poor.
    pub condition: String,
    /// mmHg.
    pub systolic: Option<i64>,
    /// mmHg.
    pub diastolic: Option<i64>,
    /// bpm.
    pub pulse: Option<i64>,
    /// Tenths of °C.
    pub temperature: Option<i64>,
    /// Tenths of kg.
    pub weight: Option<i64>,
    /// Steps.
    pub steps: Option<i64>,
    /// Asked for a call.
    pub call_requested: bool,
    /// Answered with a trial card (weak).
    pub weak_auth: bool,
}

/// Check-ins of the range, audited as `export.check_ins`.
pub fn check_ins(
    conn: &Connection,
    viewer: &Viewer,
    range: &ExportRange,
    now: Timestamp,
) -> Result<Vec<CheckInRow>> {
    let rows = conn
        .prepare(
            "SELECT c.resident_id, r.name, r.district, c.at, c.condition, c.systolic, c.diastolic,
                    c.pulse, c.temperature, c.weight, c.steps, c.call_requested, c.weak_auth
               FROM check_ins c JOIN residents r ON r.id = c.resident_id
              WHERE c.local_date >= ?1 AND c.local_date <= ?2
                AND (?3 IS NULL OR r.district = ?3)
                AND (?4 IS NULL OR r.district IN (SELECT value FROM json_each(?4)))
              ORDER BY r.district, c.resident_id, c.at",
        )?
        .query_map(
            params![
                range.from.to_string(),
                range.to.to_string(),
                range.district,
                viewer.districts_json()
            ],
            |row| {
                Ok(CheckInRow {
                    resident: row.get(0)?,
                    name: row.get(1)?,
                    district: row.get(2)?,
                    at: from_ms(row.get(3)?),
                    condition: row.get(4)?,
                    systolic: row.get(5)?,
                    diastolic: row.get(6)?,
                    pulse: row.get(7)?,
                    temperature: row.get(8)?,
                    weight: row.get(9)?,
                    steps: row.get(10)?,
                    call_requested: row.get(11)?,
                    weak_auth: row.get(12)?,
                })
            },
        )?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    audit::record(
        conn,
        viewer,
        "export.check_ins",
        None,
        &describe(range, rows.len()),
        now,
    )?;
    Ok(rows)
}

fn describe(range: &ExportRange, rows: usize) -> String {
    format!(
        "{}..{} {} ({rows} rows)",
        range.from,
        range.to,
        range.district.as_deref().unwrap_or("all districts")
    )
}

/// An alert row.
#[derive(Debug, Clone)]
pub struct AlertRow {
    /// Alert id.
    pub id: i64,
    /// Resident id.
    pub resident: i64,
    /// 氏名.
    pub name: String,
    /// 地区.
    pub district: String,
    /// Kind.
    pub kind: String,
    /// State.
    pub state: String,
    /// Why.
    pub reason: String,
    /// Opened.
    pub opened_at: Timestamp,
    /// Escalated.
    pub escalated_at: Option<Timestamp>,
    /// Acknowledged.
    pub acknowledged_at: Option<Timestamp>,
    /// By whom.
    pub acknowledged_by: Option<String>,
    /// Resolved.
    pub resolved_at: Option<Timestamp>,
    /// By whom.
    pub resolved_by: Option<String>,
    /// Visit.
    pub visit_at: Option<Timestamp>,
    /// Outcome.
    pub visit_outcome: Option<String>,
    /// Note.
    pub visit_note: Option<String>,
}

/// Alerts opened in the range, audited as `export.alerts`.
pub fn alerts(
    conn: &Connection,
    tz: &TimeZone,
    viewer: &Viewer,
    range: &ExportRange,
    now: Timestamp,
) -> Result<Vec<AlertRow>> {
    let start = range
        .from
        .to_zoned(tz.clone())
        .map_err(|e| StoreError::Invalid(e.to_string()))?
        .timestamp();
    let end = range
        .to
        .tomorrow()
        .and_then(|d| d.to_zoned(tz.clone()))
        .map_err(|e| StoreError::Invalid(e.to_string()))?
        .timestamp();
    let opt = |v: Option<i64>| v.map(from_ms);
    let rows = conn
        .prepare(
            "SELECT a.id, a.resident_id, r.name, r.district, a.kind, a.state, a.reason, a.opened_at,
                    a.escalated_at, a.acknowledged_at, a.acknowledged_by, a.resolved_at, a.resolved_by,
                    a.visit_at, a.visit_outcome, a.visit_note
               FROM alerts a JOIN residents r ON r.id = a.resident_id
              WHERE a.opened_at >= ?1 AND a.opened_at < ?2
                AND (?3 IS NULL OR r.district = ?3)
                AND (?4 IS NULL OR r.district IN (SELECT value FROM json_each(?4)))
              ORDER BY a.opened_at, a.id",
        )?
        .query_map(
            params![ms(start), ms(end), range.district, viewer.districts_json()],
            |row| {
                Ok(AlertRow {
                    id: row.get(0)?,
                    resident: row.get(1)?,
                    name: row.get(2)?,
                    district: row.get(3)?,
                    kind: row.get(4)?,
                    state: row.get(5)?,
                    reason: row.get(6)?,
                    opened_at: from_ms(row.get(7)?),
                    escalated_at: opt(row.get(8)?),
                    acknowledged_at: opt(row.get(9)?),
                    acknowledged_by: row.get(10)?,
                    resolved_at: opt(row.get(11)?),
                    resolved_by: row.get(12)?,
                    visit_at: opt(row.get(13)?),
                    visit_outcome: row.get(14)?,
                    visit_note: row.get(15)?,
                })
            },
        )?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    audit::record(
        conn,
        viewer,
        "export.alerts",
        None,
        &describe(range, rows.len()),
        now,
    )?;
    Ok(rows)
}
