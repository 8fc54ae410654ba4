//! The audit log: every look at a resident's record, every export, every
//! change, with who, when and from where. Append-only: triggers in the
//! schema refuse updates and deletes.

use jiff::Timestamp;
use rusqlite::{Connection, params};

use super::super::{Result, StoreError, from_ms, ms};
use super::Viewer;

/// Appends a row for `viewer` doing `action` (e.g. `resident.view`).
pub fn record(
    conn: &Connection,
    viewer: &Viewer,
    action: &str,
    resident: Option<i64>,
    detail: &str,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, staff_id, login, action, resident_id, detail, ip)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        ms(now),
        viewer.staff_id,
        viewer.login,
        action,
        resident,
        detail,
        viewer.ip
    ])?;
    Ok(())
}

/// Appends a row for the operator's command line (`admin …`), which acts
/// as no staff member: login `cli`.
pub fn record_cli(
    conn: &Connection,
    action: &str,
    resident: Option<i64>,
    detail: &str,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, login, action, resident_id, detail, ip)
         VALUES (?1, 'cli', ?2, ?3, ?4, 'localhost')",
    )?
    .execute(params![ms(now), action, resident, detail])?;
    Ok(())
}

/// Appends a row for a sign-in event, before anyone is signed in.
pub fn record_sign_in(
    conn: &Connection,
    login: &str,
    action: &str,
    ip: &str,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, staff_id, login, action, ip)
         VALUES (?1, (SELECT id FROM staff WHERE login = ?2), ?2, ?3, ?4)",
    )?
    .execute(params![ms(now), login, action, ip])?;
    Ok(())
}

/// One row of the audit log.
#[derive(Debug, Clone)]
pub struct AuditRow {
    /// Its number.
    pub id: i64,
    /// When.
    pub at: Timestamp,
    /// Who (login name).
    pub login: String,
    /// What, e.g. `resident.view`.
    pub action: String,
    /// About which resident.
    pub resident: Option<i64>,
    /// Details.
    pub detail: String,
    /// From which address.
    pub ip: String,
}

/// Which rows to show.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this login.
    pub login: Option<String>,
    /// Only actions starting with this.
    pub action: Option<String>,
    /// Only about this resident.
    pub resident: Option<i64>,
    /// From this instant.
    pub from: Option<Timestamp>,
    /// Before this instant.
    pub to: Option<Timestamp>,
    /// Only rows older than this one (the next page).
    pub before_id: Option<i64>,
    /// At most this many rows, newest first.
    pub limit: u32,
}

/// Audit rows matching `filter`, newest first.
pub fn list(conn: &Connection, filter: &AuditFilter) -> Result<Vec<AuditRow>> {
    conn.prepare(
        "SELECT id, at, login, action, resident_id, detail, ip FROM audit_log
          WHERE (?1 IS NULL OR login = ?1)
            AND (?2 IS NULL OR substr(action, 1, length(?2)) = ?2)
            AND (?3 IS NULL OR resident_id = ?3)
            AND (?4 IS NULL OR at >= ?4)
            AND (?5 IS NULL OR at < ?5)
            AND (?7 IS NULL OR id < ?7)
          ORDER BY id DESC LIMIT ?6",
    )?
    .query_map(
        params![
            filter.login,
            filter.action,
            filter.resident,
            filter.from.map(ms),
            filter.to.map(ms),
            filter.limit,
            filter.before_id
        ],
        |row| {
            Ok(AuditRow {
                id: row.get(0)?,
                at: from_ms(row.get(1)?),
                login: row.get(2)?,
                action: row.get(3)?,
                resident: row.get(4)?,
                detail: row.get(5)?,
                ip: row.get(6)?,
            })
        },
    )?
    .collect::<std::result::Result<_, _>>()
    .map_err(StoreError::from)
}
