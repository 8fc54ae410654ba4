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

/// What an incident knows by resident beyond their own rows: the latest
/// shelter tap, the latest nurse's record, and open alerts.
struct Known {
    shelter: HashMap<i64, (Timestamp, String)>,
    nurse: HashMap<i64, NurseCheck>,
    alerts: HashMap<i64, (i64, bool)>,
}

fn known(conn: &Connection, incident: &Incident, now: Timestamp) -> Result<Known> {
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
    Ok(Known {
        shelter,
        nurse,
        alerts,
    })
}

impl Known {
    /// A resident's row from her own columns.
    fn row(
        &mut self,
        (id, kana, birth, check_in, key): (i64, String, Option<String>, Option<i64>, Option<i64>),
    ) -> SafetyRow {
        let (open_alerts, escalated) = self.alerts.get(&id).copied().unwrap_or((0, false));
        SafetyRow {
            id,
            facts: Facts {
                shelter: self.shelter.remove(&id),
                last_check_in_at: check_in.map(from_ms),
                last_key_at: key.map(from_ms),
                nurse: self.nurse.remove(&id),
            },
            risk: Risk {
                escalated,
                open_alerts,
                birth_date: birth.and_then(|b| b.parse().ok()),
                kana,
                id,
            },
        }
    }
}

type OwnColumns = (i64, String, Option<String>, Option<i64>, Option<i64>);

fn own_columns(row: &rusqlite::Row<'_>) -> rusqlite::Result<OwnColumns> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn json_ids<'a>(ids: impl Iterator<Item = &'a i64>) -> String {
    serde_json::to_string(&ids.collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
}

/// Every watch-over resident of `districts` (`None`: all) with what is
/// known of them during `incident` up to `now` (for the CSV). Cost: one
/// pass over the residents, and the incident's few taps, checks and open
/// alerts by key.
pub fn safety_rows(
    conn: &Connection,
    incident: &Incident,
    districts: Option<&[String]>,
    now: Timestamp,
) -> Result<Vec<SafetyRow>> {
    let mut known = known(conn, incident, now)?;
    let districts = districts.map(|ds| serde_json::to_string(ds).unwrap_or_else(|_| "[]".into()));
    let mut rows = Vec::new();
    for row in conn
        .prepare_cached(
            "SELECT r.id, r.kana, r.birth_date, r.last_check_in_at, b.last_key_at
               FROM residents r LEFT JOIN boxes b ON b.id = r.box_id
              WHERE ?1 IS NULL OR r.district IN (SELECT value FROM json_each(?1))",
        )?
        .query_map([districts], own_columns)?
    {
        rows.push(known.row(row?));
    }
    Ok(rows)
}

/// The head of a safety list and its counts.
#[derive(Debug, Clone)]
pub struct SafetyPage {
    /// At least the first `n` in [`crate::safety::rank`]'s order (a few
    /// more, unordered: [`crate::safety::first`] picks them).
    pub rows: Vec<SafetyRow>,
    /// Residents on the list.
    pub total: usize,
    /// Of them confirmed safe.
    pub confirmed: usize,
}

/// The first `n` residents of the safety list of `districts` during
/// `incident`, and its counts, without sorting the whole town.
///
/// While at least `n` residents have shown no sign at all (the common case
/// in the first hours), the head is those silent ones in age order, read
/// by walking the `residents_age` index until `n` are found, with the few
/// residents that have open alerts or a nurse's 不在 beside them; the
/// caller ranks these exactly ([`crate::safety::first`]). Otherwise SQLite
/// orders the whole list by the status [`crate::safety::assess`] gives,
/// and by age and reading, and keeps `n` plus those with open alerts. The
/// statuses here must stay the ones `assess` gives: a test compares the
/// two for every cut of a mixed list.
pub fn safety_page(
    conn: &Connection,
    incident: &Incident,
    districts: Option<&[String]>,
    now: Timestamp,
    n: usize,
) -> Result<SafetyPage> {
    let mut known = known(conn, incident, now)?;
    let since = ms(incident.opened_at);
    let confirming = json_ids(
        known.shelter.keys().chain(
            known
                .nurse
                .iter()
                .filter(|(_, c)| c.outcome.is_safe())
                .map(|(id, _)| id),
        ),
    );
    let absent = json_ids(
        known
            .nurse
            .iter()
            .filter(|(_, c)| !c.outcome.is_safe())
            .map(|(id, _)| id),
    );
    let alerted = json_ids(known.alerts.keys());
    let special = json_ids(
        known
            .shelter
            .keys()
            .chain(known.nurse.keys())
            .chain(known.alerts.keys()),
    );
    let districts = districts.map(|ds| serde_json::to_string(ds).unwrap_or_else(|_| "[]".into()));
    let (total, confirmed): (i64, i64) = conn
        .prepare_cached(
            "SELECT count(*), total(r.last_check_in_at >= ?2 OR r.id IN (SELECT value FROM json_each(?3)))
               FROM residents r
              WHERE ?1 IS NULL OR r.district IN (SELECT value FROM json_each(?1))",
        )?
        .query_row(params![districts, since, confirming], |row| {
            Ok((row.get(0)?, row.get::<_, f64>(1)? as i64))
        })?;
    let mut rows = Vec::new();
    // The silent without an alert or a nurse's record, oldest first: those
    // with a birth date in the index's order, then those without.
    let limit = i64::try_from(n).unwrap_or(i64::MAX);
    for (born, order) in [
        ("r.birth_date IS NOT NULL", "r.birth_date, r.kana, r.id"),
        ("r.birth_date IS NULL", "r.kana, r.id"),
    ] {
        let wanted = limit - i64::try_from(rows.len()).unwrap_or(i64::MAX);
        if wanted <= 0 {
            break;
        }
        let sql = format!(
            "SELECT r.id, r.kana, r.birth_date, r.last_check_in_at, b.last_key_at
               FROM residents r INDEXED BY residents_age LEFT JOIN boxes b ON b.id = r.box_id
              WHERE {born}
                AND (?1 IS NULL OR r.district IN (SELECT value FROM json_each(?1)))
                AND (r.last_check_in_at IS NULL OR r.last_check_in_at < ?2)
                AND (b.last_key_at IS NULL OR b.last_key_at < ?2)
                AND r.id NOT IN (SELECT value FROM json_each(?3))
              ORDER BY {order} LIMIT ?4"
        );
        for row in conn
            .prepare_cached(&sql)?
            .query_map(params![districts, since, special, wanted], own_columns)?
        {
            rows.push(row?);
        }
    }
    if rows.len() >= n {
        // Beside them: those with open alerts or a nurse's record (the
        // alerted silent come first; 不在 comes next when few are silent).
        for row in conn
            .prepare_cached(
                "SELECT r.id, r.kana, r.birth_date, r.last_check_in_at, b.last_key_at
                   FROM residents r LEFT JOIN boxes b ON b.id = r.box_id
                  WHERE r.id IN (SELECT value FROM json_each(?2))
                    AND (?1 IS NULL OR r.district IN (SELECT value FROM json_each(?1)))",
            )?
            .query_map(params![districts, special], own_columns)?
        {
            rows.push(row?);
        }
    } else {
        rows.clear();
        let limit = i64::try_from(n + known.alerts.len()).unwrap_or(i64::MAX);
        for row in conn
            .prepare_cached(
                "SELECT r.id, r.kana, r.birth_date, r.last_check_in_at, b.last_key_at
                   FROM residents r LEFT JOIN boxes b ON b.id = r.box_id
                  WHERE ?1 IS NULL OR r.district IN (SELECT value FROM json_each(?1))
                  ORDER BY CASE WHEN r.last_check_in_at >= ?2 OR r.id IN (SELECT value FROM json_each(?3)) THEN 3
                                WHEN r.id IN (SELECT value FROM json_each(?4)) THEN 1
                                WHEN b.last_key_at >= ?2 THEN 2
                                ELSE 0 END,
                           r.id IN (SELECT value FROM json_each(?5)) DESC,
                           r.birth_date IS NULL, r.birth_date, r.kana, r.id
                  LIMIT ?6",
            )?
            .query_map(
                params![districts, since, confirming, absent, alerted, limit],
                own_columns,
            )?
        {
            rows.push(row?);
        }
    }
    Ok(SafetyPage {
        rows: rows.into_iter().map(|r| known.row(r)).collect(),
        total: usize::try_from(total).unwrap_or(0),
        confirmed: usize::try_from(confirmed).unwrap_or(0),
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::safety;

    /// The page's SQL ordering and counts agree with the pure judgement
    /// of the whole list, over residents with every kind of fact.
    #[test]
    fn the_page_is_the_head_of_the_whole_list() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = super::super::Store::open(&dir.path().join("c.sqlite3")).unwrap();
        let t = |s: &str| -> Timestamp { s.parse().unwrap() };
        let opened = t("2026-12-07T00:00:00Z");
        let now = t("2026-12-07T06:00:00Z");
        store
            .transaction(|c| {
                c.execute_batch(
                    "INSERT INTO boxes (id, device_id, token_hash, created_at) VALUES (1, 'b1', x'01', 0), (2, 'b2', x'02', 0);
                     INSERT INTO stations (box_id, place, kind, district, created_at) VALUES (2, '体育館', 'shelter', '東町', 0);
                     INSERT INTO staff (id, login, name, role, created_at) VALUES (1, 'n', '保健師', 'nurse', 0);",
                )?;
                let incident = open(c, "台風10号", "test", opened)?;
                // A deterministic mix: 240 residents with every kind of
                // fact before and after the opening, in two districts.
                let mut x: u64 = 7;
                let mut next = || {
                    x = x
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    (x >> 33) % 100
                };
                for i in 0..240i64 {
                    let check_in = match next() {
                        0..=19 => Some(ms(opened) + 60_000 * (i + 1)),
                        20..=49 => Some(ms(opened) - 3_600_000),
                        _ => None,
                    };
                    let birth = (next() < 70).then(|| {
                        format!("19{:02}-0{}-1{}", 30 + next() % 40, 1 + next() % 9, next() % 10)
                    });
                    c.execute(
                        "INSERT INTO residents (id, name, kana, district, box_id, care_plan, watched_since, last_check_in_at, birth_date, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, '{}', 0, ?6, ?7, 0)",
                        params![
                            i + 1,
                            format!("利用者 {i}"),
                            format!("か{}", next() % 30),
                            if i % 3 == 0 { "西町" } else { "東町" },
                            (next() < 50).then_some(1),
                            check_in,
                            birth
                        ],
                    )?;
                    match next() {
                        0..=9 => {
                            let id = i.to_be_bytes().to_vec();
                            c.execute(
                                "INSERT INTO events (id, box_id, kind, recorded_at, boot_id, seq, received_at, corrected_at, body)
                                 VALUES (?1, 2, 'tap', '', x'00', ?2, 0, 0, '{}')",
                                params![id, i + 1],
                            )?;
                            c.execute(
                                "INSERT INTO taps (event_id, station_id, resident_id, at, local_date)
                                 VALUES (?1, 2, ?2, ?3, '2026-12-07')",
                                params![id, i + 1, ms(opened) + 1000 * i],
                            )?;
                        }
                        10..=14 => record_check(
                            c,
                            &incident,
                            i + 1,
                            NurseOutcome::Absent,
                            "",
                            Some(1),
                            "n",
                            now,
                        )?,
                        15..=19 => record_check(
                            c,
                            &incident,
                            i + 1,
                            NurseOutcome::PhoneSafe,
                            "",
                            Some(1),
                            "n",
                            now,
                        )?,
                        _ => {}
                    }
                    if next() < 12 {
                        c.execute(
                            "INSERT INTO alerts (resident_id, kind, state, reason, opened_at, escalated_at)
                             VALUES (?1, 'missed', 'open', '', 0, ?2)",
                            params![i + 1, (next() < 30).then_some(1)],
                        )?;
                    }
                }
                c.execute(
                    "UPDATE boxes SET last_key_at = ?1 WHERE id = 1",
                    [ms(opened) + 5_000],
                )?;
                let judge = |rows: Vec<SafetyRow>| -> Vec<(safety::Assessment, SafetyRow)> {
                    rows.into_iter()
                        .map(|r| (safety::assess(&r.facts, opened), r))
                        .collect()
                };
                for districts in [None, Some(vec!["東町".to_owned()])] {
                    let mut all = judge(safety_rows(c, &incident, districts.as_deref(), now)?);
                    let confirmed = all.iter().filter(|(a, _)| a.status.is_confirmed()).count();
                    assert!(confirmed > 10 && confirmed < all.len() - 10, "a mix");
                    safety::rank(&mut all, |(a, r)| (a.status, &r.risk));
                    // Cut inside each status, and across each boundary.
                    let before = |s: safety::Status| all.iter().filter(|(a, _)| a.status < s).count();
                    let mut cuts = vec![1, 7, all.len()];
                    for s in [safety::Status::Absent, safety::Status::ActivityOnly, safety::Status::Confirmed] {
                        let b = before(s);
                        cuts.extend([b, b + 1, b + 2]);
                    }
                    for n in cuts.into_iter().filter(|&n| n > 0) {
                        let page = safety_page(c, &incident, districts.as_deref(), now, n)?;
                        assert_eq!((page.total, page.confirmed), (all.len(), confirmed));
                        let mut head = judge(page.rows);
                        safety::first(&mut head, n, |(a, r)| (a.status, &r.risk));
                        let want: Vec<i64> = all.iter().take(n).map(|(_, r)| r.id).collect();
                        let got: Vec<i64> = head.iter().map(|(_, r)| r.id).collect();
                        assert_eq!(got, want, "the first {n} of {districts:?}");
                    }
                }
                Ok(())
            })
            .unwrap();
    }
}
