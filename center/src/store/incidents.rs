//! Incidents (台風10号 and the like) and what the safety list reads: while
//! an incident is open, taps at shelter stations are arrivals, and every
//! watch-over resident's latest sign of life since it began is looked for.
//! Storage only: [`crate::safety`] judges and orders the list.

use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension as _, params};

use super::{Result, StoreError, from_ms, ms};
use crate::safety::{Facts, NurseCheck, NurseOutcome, Risk};

/// Longest incident name, in characters.
pub const MAX_NAME_CHARS: usize = 60;
/// Longest note on a nurse's record, in characters.
pub const MAX_NOTE_CHARS: usize = 200;

/// An incident.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Incident {
    /// Its number.
    pub id: i64,
    /// Its name, e.g. 台風10号.
    pub name: String,
    /// When it was opened.
    pub opened_at: Timestamp,
    /// Who opened it.
    pub opened_by: String,
    /// When it was closed, if it was.
    pub closed_at: Option<Timestamp>,
    /// Who closed it.
    pub closed_by: Option<String>,
}

impl Incident {
    /// Whether it is still open.
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }

    /// The end of the time it covers: its closing, or `now`.
    pub fn until(&self, now: Timestamp) -> Timestamp {
        self.closed_at.unwrap_or(now)
    }
}

const COLUMNS: &str = "id, name, opened_at, opened_by, closed_at, closed_by";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Incident> {
    Ok(Incident {
        id: row.get(0)?,
        name: row.get(1)?,
        opened_at: from_ms(row.get(2)?),
        opened_by: row.get(3)?,
        closed_at: row.get::<_, Option<i64>>(4)?.map(from_ms),
        closed_by: row.get(5)?,
    })
}

/// Opens an incident named `name`; refused while another is open.
pub fn open(conn: &Connection, name: &str, by: &str, now: Timestamp) -> Result<Incident> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(StoreError::Invalid(format!(
            "an incident needs a name of 1 to {MAX_NAME_CHARS} characters, e.g. 台風10号"
        )));
    }
    if let Some(open) = current(conn)? {
        return Err(StoreError::Conflict(format!(
            "incident {} ({}) is still open; close it first",
            open.id, open.name
        )));
    }
    conn.execute(
        "INSERT INTO incidents (name, opened_at, opened_by) VALUES (?1, ?2, ?3)",
        params![name, ms(now), by],
    )?;
    get(conn, conn.last_insert_rowid())?
        .ok_or_else(|| StoreError::NotFound("the new incident".into()))
}

/// Closes incident `id`.
pub fn close(conn: &Connection, id: i64, by: &str, now: Timestamp) -> Result<Incident> {
    let Some(incident) = get(conn, id)? else {
        return Err(StoreError::NotFound(format!("no incident {id}")));
    };
    if !incident.is_open() {
        return Err(StoreError::Conflict(format!(
            "incident {id} ({}) is already closed",
            incident.name
        )));
    }
    conn.execute(
        "UPDATE incidents SET closed_at = ?1, closed_by = ?2 WHERE id = ?3",
        params![ms(now), by, id],
    )?;
    get(conn, id)?.ok_or_else(|| StoreError::NotFound(format!("no incident {id}")))
}

/// Incident `id`.
pub fn get(conn: &Connection, id: i64) -> Result<Option<Incident>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM incidents WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

/// The open incident, if any.
pub fn current(conn: &Connection) -> Result<Option<Incident>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM incidents WHERE closed_at IS NULL ORDER BY id DESC LIMIT 1"
        ))?
        .query_row([], from_row)
        .optional()?)
}

/// Every incident, the newest first.
pub fn list(conn: &Connection) -> Result<Vec<Incident>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM incidents ORDER BY id DESC"))?
        .query_map([], from_row)?
        .collect::<rusqlite::Result<_>>()?)
}

/// Records what a nurse found about `resident` during `incident`; the
/// caller checks she may see the resident and audits.
#[allow(clippy::too_many_arguments)]
pub fn record_check(
    conn: &Connection,
    incident: &Incident,
    resident: i64,
    outcome: NurseOutcome,
    note: &str,
    staff_id: Option<i64>,
    by: &str,
    now: Timestamp,
) -> Result<()> {
    if !incident.is_open() {
        return Err(StoreError::Conflict(format!(
            "incident {} ({}) is closed",
            incident.id, incident.name
        )));
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(StoreError::Invalid(format!(
            "the note is longer than {MAX_NOTE_CHARS} characters"
        )));
    }
    conn.execute(
        "INSERT INTO safety_checks (incident_id, resident_id, outcome, note, at, staff_id, login)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            incident.id,
            resident,
            outcome.as_str(),
            note.trim(),
            ms(now),
            staff_id,
            by
        ],
    )?;
    Ok(())
}

/// One watch-over resident on the safety list, before judgement.
#[derive(Debug, Clone)]
pub struct SafetyRow {
    /// The resident.
    pub id: i64,
    /// What is known since the incident began.
    pub facts: Facts,
    /// What orders her among the others.
    pub risk: Risk,
}

/// Who a resident on the list is and how to reach her: read only for the
/// rows shown (or exported), not for the whole town.
#[derive(Debug, Clone, Default)]
pub struct Contact {
    /// Name.
    pub name: String,
    /// District.
    pub district: String,
    /// Address, for a visit.
    pub address: String,
    /// Phone, for a call.
    pub phone: String,
}

/// Name, district, address and phone of each of `residents`.
pub fn contacts(conn: &Connection, residents: &[i64]) -> Result<HashMap<i64, Contact>> {
    let ids = serde_json::to_string(residents).unwrap_or_else(|_| "[]".into());
    let mut contacts = HashMap::with_capacity(residents.len());
    for row in conn
        .prepare_cached(
            "SELECT id, name, district, address, phone FROM residents
              WHERE id IN (SELECT value FROM json_each(?1))",
        )?
        .query_map([ids], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                Contact {
                    name: row.get(1)?,
                    district: row.get(2)?,
                    address: row.get(3)?,
                    phone: row.get(4)?,
                },
            ))
        })?
    {
        let (id, contact) = row?;
        contacts.insert(id, contact);
    }
    Ok(contacts)
}

/// Every watch-over resident of `districts` (`None`: all) with what is
/// known of them during `incident` up to `now`. Cost: one pass over the
/// residents, and the incident's few taps, checks and open alerts by key.
pub fn safety_rows(
    conn: &Connection,
    incident: &Incident,
    districts: Option<&[String]>,
    now: Timestamp,
) -> Result<Vec<SafetyRow>> {
    let (from, until) = (ms(incident.opened_at), ms(incident.until(now)));
    let mut shelter: HashMap<i64, (Timestamp, String)> = HashMap::new();
    for row in conn
        .prepare_cached(
            "SELECT t.resident_id, t.at, s.place FROM taps t JOIN stations s ON s.box_id = t.station_id
              WHERE s.kind = 'shelter' AND t.resident_id IS NOT NULL AND t.at >= ?1 AND t.at <= ?2
              ORDER BY t.at",
        )?
        .query_map(params![from, until], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, String>(2)?))
        })?
    {
        let (resident, at, place) = row?;
        shelter.insert(resident, (from_ms(at), place)); // the latest wins
    }
    let mut nurse: HashMap<i64, NurseCheck> = HashMap::new();
    for row in conn
        .prepare_cached(
            "SELECT c.resident_id, c.outcome, c.at, coalesce(st.name, c.login)
               FROM safety_checks c LEFT JOIN staff st ON st.id = c.staff_id
              WHERE c.incident_id = ?1 ORDER BY c.at, c.id",
        )?
        .query_map([incident.id], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?
    {
        let (resident, outcome, at, by) = row?;
        let outcome = NurseOutcome::parse(&outcome).ok_or_else(|| {
            StoreError::Invalid(format!("a safety check with outcome {outcome:?}"))
        })?;
        nurse.insert(
            resident,
            NurseCheck {
                outcome,
                at: from_ms(at),
                by,
            },
        );
    }
    let mut alerts: HashMap<i64, (i64, bool)> = HashMap::new();
    for row in conn
        .prepare_cached(
            "SELECT resident_id, count(*), max(escalated_at IS NOT NULL) FROM alerts
              WHERE state != 'resolved' GROUP BY resident_id",
        )?
        .query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, bool>(2)?,
            ))
        })?
    {
        let (resident, open, escalated) = row?;
        alerts.insert(resident, (open, escalated));
    }

    let districts = districts.map(|ds| serde_json::to_string(ds).unwrap_or_else(|_| "[]".into()));
    let mut rows = Vec::new();
    for row in conn
        .prepare_cached(
            "SELECT r.id, r.kana, r.birth_date, r.last_check_in_at, b.last_key_at
               FROM residents r LEFT JOIN boxes b ON b.id = r.box_id
              WHERE ?1 IS NULL OR r.district IN (SELECT value FROM json_each(?1))",
        )?
        .query_map([districts], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, Option<i64>>(3)?,
                row.get::<_, Option<i64>>(4)?,
            ))
        })?
    {
        let (id, kana, birth, check_in, key) = row?;
        let (open_alerts, escalated) = alerts.get(&id).copied().unwrap_or((0, false));
        rows.push(SafetyRow {
            id,
            facts: Facts {
                shelter: shelter.remove(&id),
                last_check_in_at: check_in.map(from_ms),
                last_key_at: key.map(from_ms),
                nurse: nurse.remove(&id),
            },
            risk: Risk {
                escalated,
                open_alerts,
                birth_date: birth.and_then(|b| b.parse().ok()),
                kana,
            },
        });
    }
    Ok(rows)
}

/// Who is at a shelter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    /// Name.
    pub name: String,
    /// District.
    pub district: String,
    /// A watch-over resident (her id), or a child (`None`).
    pub resident: Option<i64>,
    /// Since when: the first tap at this shelter during the incident.
    pub since: Timestamp,
}

/// A shelter and who is there: everyone whose latest tap at a shelter
/// during the incident was at this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shelter {
    /// The station's place name.
    pub place: String,
    /// Its district.
    pub district: String,
    /// Who, in order of arrival.
    pub people: Vec<Arrival>,
}

/// Every shelter station with its people during `incident` up to `now`.
pub fn shelters(conn: &Connection, incident: &Incident, now: Timestamp) -> Result<Vec<Shelter>> {
    let mut shelters: Vec<(i64, Shelter)> = conn
        .prepare_cached(
            "SELECT box_id, place, district FROM stations WHERE kind = 'shelter' ORDER BY district, place",
        )?
        .query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                Shelter {
                    place: row.get(1)?,
                    district: row.get(2)?,
                    people: Vec::new(),
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    // Per person (child, resident): the latest shelter, the first tap
    // there, name and district.
    type Person = (Option<i64>, Option<i64>);
    type Whereabouts = (i64, i64, String, String);
    let mut whereabouts: HashMap<Person, Whereabouts> = HashMap::new();
    for row in conn
        .prepare_cached(
            "SELECT t.station_id, t.child_id, t.resident_id, t.at,
                    coalesce(c.name, r.name), coalesce(c.district, r.district)
               FROM taps t JOIN stations s ON s.box_id = t.station_id
               LEFT JOIN children c ON c.id = t.child_id
               LEFT JOIN residents r ON r.id = t.resident_id
              WHERE s.kind = 'shelter' AND t.at >= ?1 AND t.at <= ?2
              ORDER BY t.at",
        )?
        .query_map(
            params![ms(incident.opened_at), ms(incident.until(now))],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, Option<i64>>(1)?,
                    row.get::<_, Option<i64>>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                ))
            },
        )?
    {
        let (station, child, resident, at, name, district) = row?;
        let entry = whereabouts.entry((child, resident)).or_insert((
            station,
            at,
            name.clone(),
            district.clone(),
        ));
        if entry.0 != station {
            *entry = (station, at, name, district); // moved on: since now
        }
    }
    let mut arrivals: Vec<_> = whereabouts.into_iter().collect();
    arrivals.sort_by_key(|(_, (_, at, ..))| *at);
    for ((_, resident), (station, at, name, district)) in arrivals {
        if let Some((_, shelter)) = shelters.iter_mut().find(|(id, _)| *id == station) {
            shelter.people.push(Arrival {
                name,
                district,
                resident,
                since: from_ms(at),
            });
        }
    }
    Ok(shelters.into_iter().map(|(_, s)| s).collect())
}
