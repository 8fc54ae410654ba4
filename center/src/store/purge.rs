//! The retention purge: deletes what is older than its retention
//! ([`crate::retention`]) — never an alert that is not resolved, never mail
//! still waiting — and writes one audit row with the counts, in the same
//! transaction.

use rusqlite::{Connection, params};
use serde::Serialize;

use super::{Result, ms};
use crate::retention::Cutoffs;

/// How many rows a purge deleted (or would delete), per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    /// Check-ins.
    pub check_ins: usize,
    /// Heartbeats.
    pub heartbeats: usize,
    /// Stored events (the raw records of check-ins, heartbeats and the rest).
    pub events: usize,
    /// Events the center refused.
    pub rejected_events: usize,
    /// Resolved alerts.
    pub alerts: usize,
    /// Their history rows.
    pub alert_events: usize,
    /// Mail sent or given up.
    pub mail: usize,
    /// Audit rows.
    pub audit: usize,
    /// Taps at stations.
    pub taps: usize,
    /// The events of those taps.
    pub tap_events: usize,
}

impl Purged {
    /// One line, e.g. `check_ins=3 heartbeats=10 …`.
    pub fn describe(&self) -> String {
        format!(
            "check_ins={} heartbeats={} events={} rejected_events={} alerts={} alert_events={} mail={} audit={} taps={} tap_events={}",
            self.check_ins,
            self.heartbeats,
            self.events,
            self.rejected_events,
            self.alerts,
            self.alert_events,
            self.mail,
            self.audit,
            self.taps,
            self.tap_events
        )
    }
}

/// Deletes every row past its cutoff, then records the purge in the audit
/// log as `purge` by `who` (the operator's login or `cli`). Run it in a
/// transaction; roll back for a dry run.
pub fn purge(
    conn: &Connection,
    cutoffs: &Cutoffs,
    who: &str,
    now: jiff::Timestamp,
) -> Result<Purged> {
    let c = cutoffs;
    let mut purged = Purged {
        check_ins: conn.execute("DELETE FROM check_ins WHERE at < ?1", [ms(c.check_ins)])?,
        heartbeats: conn.execute("DELETE FROM heartbeats WHERE at < ?1", [ms(c.heartbeats)])?,
        ..Purged::default()
    };
    // Taps first (they point at their events), then the tap events, by id.
    let tap_events: Vec<Vec<u8>> = conn
        .prepare("DELETE FROM taps WHERE at < ?1 RETURNING event_id")?
        .query_map([ms(c.taps)], |row| row.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    purged.taps = tap_events.len();
    {
        let mut delete = conn.prepare("DELETE FROM events WHERE id = ?1 AND kind = 'tap'")?;
        for id in &tap_events {
            purged.tap_events += delete.execute([id])?;
        }
    }
    // The raw events: a heartbeat's after the heartbeat retention, the
    // rest (check-ins, SOS, …) after the check-in retention; never one a
    // kept check-in or heartbeat still points at. Tap events go only with
    // their taps, above.
    purged.events = conn.execute(
        "DELETE FROM events
          WHERE received_at < CASE kind WHEN 'heartbeat' THEN ?2 ELSE ?1 END AND kind != 'tap'
            AND NOT EXISTS (SELECT 1 FROM check_ins c WHERE c.event_id = events.id)
            AND NOT EXISTS (SELECT 1 FROM heartbeats h WHERE h.event_id = events.id)",
        params![ms(c.check_ins), ms(c.heartbeats)],
    )?;
    // A refused tap names a card and a place: kept no longer than taps.
    purged.rejected_events = conn.execute(
        "DELETE FROM rejected_events
          WHERE received_at < CASE json_extract(body, '$.type') WHEN 'tap' THEN max(?1, ?2) ELSE ?1 END",
        params![ms(c.check_ins), ms(c.taps)],
    )?;
    purged.alert_events = conn.execute(
        "DELETE FROM alert_events WHERE alert_id IN
           (SELECT id FROM alerts WHERE state = 'resolved' AND resolved_at < ?1)",
        [ms(c.alerts)],
    )?;
    purged.alerts = conn.execute(
        "DELETE FROM alerts WHERE state = 'resolved' AND resolved_at < ?1",
        [ms(c.alerts)],
    )?;
    // A guardian's mail says where the child was: kept no longer than taps.
    purged.mail = conn.execute(
        "DELETE FROM outbox WHERE state != 'pending'
            AND coalesce(sent_at, created_at) < CASE kind WHEN 'guardian_tap' THEN max(?1, ?2) ELSE ?1 END",
        params![ms(c.mail), ms(c.taps)],
    )?;
    // The audit log's delete trigger lets through only rows older than the
    // cutoff set here, and only inside this transaction.
    conn.execute(
        "INSERT INTO audit_purge (cutoff) VALUES (?1)",
        [ms(c.audit)],
    )?;
    purged.audit = conn.execute("DELETE FROM audit_log WHERE at < ?1", [ms(c.audit)])?;
    conn.execute("DELETE FROM audit_purge", [])?;
    conn.execute(
        "INSERT INTO audit_log (at, staff_id, login, action, detail, ip)
         VALUES (?1, (SELECT id FROM staff WHERE login = ?2), ?2, 'purge', ?3, 'local')",
        params![ms(now), who, purged.describe()],
    )?;
    Ok(purged)
}
