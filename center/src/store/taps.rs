//! Taps at stations: whose card it was, the tap stored with its local day,
//! the guardians' mail it causes, and the roster a station gets.

use std::collections::HashMap;

use jiff::Timestamp;
use mimamori_protocol::{
    CardBinding, CardUid, CertFingerprint, JpkiBinding, Person, StationKind, UidBinding,
};
use rusqlite::{Connection, OptionalExtension as _, params};

use super::outbox::{self, GuardianFacts, Payload};
use super::{Result, StoreError, ms};
use crate::config::Config;
use crate::mail::{
    ArrivalRecipient, GuardianPolicy, GuardianState, arrival_recipients, guardians_to_mail,
};

/// Who a tapped card belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tapper {
    /// A child (not removed), by id.
    Child(i64),
    /// A watch-over resident, by id.
    Resident(i64),
}

/// The person a card is bound to: a child's card first, else a resident's.
pub(crate) fn who_tapped(conn: &Connection, card: &CardBinding) -> Result<Option<Tapper>> {
    let (uid, fingerprint): (Option<&[u8]>, Option<&[u8]>) = match card {
        CardBinding::CardUid(b) => (Some(b.uid.as_bytes()), None),
        CardBinding::Jpki(b) => (None, Some(&b.cert_fingerprint.0[..])),
    };
    let child: Option<i64> = match (uid, fingerprint) {
        (Some(uid), _) => conn
            .prepare_cached("SELECT child_id FROM child_cards WHERE uid = ?1")?
            .query_row([uid], |row| row.get(0))
            .optional()?,
        (_, Some(fp)) => conn
            .prepare_cached("SELECT child_id FROM child_cards WHERE fingerprint = ?1")?
            .query_row([fp], |row| row.get(0))
            .optional()?,
        _ => None,
    };
    if let Some(child) = child {
        return Ok(Some(Tapper::Child(child)));
    }
    let resident: Option<i64> = match (uid, fingerprint) {
        (Some(uid), _) => conn
            .prepare_cached("SELECT resident_id FROM cards WHERE uid = ?1")?
            .query_row([uid], |row| row.get(0))
            .optional()?,
        (_, Some(fp)) => conn
            .prepare_cached("SELECT resident_id FROM cards WHERE fingerprint = ?1")?
            .query_row([fp], |row| row.get(0))
            .optional()?,
        _ => None,
    };
    Ok(resident.map(Tapper::Resident))
}

/// A tap just stored in `events`, to store in `taps`.
pub(crate) struct NewTap<'a> {
    /// The event's id.
    pub(crate) event_id: &'a [u8],
    /// The station's `boxes` id.
    pub(crate) station: i64,
    /// The station's place, for the mail.
    pub(crate) place: &'a str,
    /// What kind of place: at a shelter during an incident a tap is an
    /// arrival.
    pub(crate) kind: StationKind,
    /// Whose card.
    pub(crate) tapper: Tapper,
    /// When, corrected for the station's clock.
    pub(crate) at: Timestamp,
}

/// Stores a tap (its local day in the town's time zone) and, for a child,
/// enqueues the mail of the guardians who get one, in the same
/// transaction. Returns the outbox rows written.
pub(crate) fn store_tap(
    conn: &Connection,
    config: &Config,
    tap: &NewTap<'_>,
    now: Timestamp,
) -> Result<Vec<i64>> {
    let day = tap.at.to_zoned(config.time_zone.clone()).date().to_string();
    let (child, resident) = match tap.tapper {
        Tapper::Child(c) => (Some(c), None),
        Tapper::Resident(r) => (None, Some(r)),
    };
    // Before this tap is stored: did the child tap here earlier that day?
    let tapped_here_today = match child {
        Some(child) if config.mail.is_some() => conn
            .prepare_cached(
                "SELECT 1 FROM taps WHERE child_id = ?1 AND station_id = ?2 AND local_date = ?3",
            )?
            .exists(params![child, tap.station, day])?,
        _ => false,
    };
    conn.prepare_cached(
        "INSERT INTO taps (event_id, station_id, child_id, resident_id, at, local_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        tap.event_id,
        tap.station,
        child,
        resident,
        ms(tap.at),
        day
    ])?;
    if config.mail.is_none() {
        return Ok(Vec::new());
    }
    // At a shelter during an incident the arrival mail says it all.
    if tap.kind == StationKind::Shelter {
        if let Some(incident) = incident_at(conn, tap.at)? {
            return enqueue_arrival(conn, tap, &incident, now);
        }
    }
    match child {
        Some(child) => enqueue_guardians(conn, child, tap, tapped_here_today, now),
        None => Ok(Vec::new()),
    }
}

/// The incident open at `at`: its name and opening.
fn incident_at(conn: &Connection, at: Timestamp) -> Result<Option<(String, i64)>> {
    Ok(conn
        .prepare_cached(
            "SELECT name, opened_at FROM incidents
              WHERE opened_at <= ?1 AND (closed_at IS NULL OR closed_at >= ?1)
              ORDER BY id DESC LIMIT 1",
        )?
        .query_row([ms(at)], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?)
}

/// At a shelter during an incident, the first tap of a person there is an
/// arrival: their guardians or family hear 「…さんが …で確認されました」.
fn enqueue_arrival(
    conn: &Connection,
    tap: &NewTap<'_>,
    (incident, opened_at): &(String, i64),
    now: Timestamp,
) -> Result<Vec<i64>> {
    let opened_at = *opened_at;
    let (column, person) = match tap.tapper {
        Tapper::Child(c) => ("child_id", c),
        Tapper::Resident(r) => ("resident_id", r),
    };
    // This tap is stored already: an earlier one here during the incident?
    let earlier: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM taps WHERE {column} = ?1 AND station_id = ?2 AND at >= ?3 AND at < ?4"
        ))?
        .query_row(params![person, tap.station, opened_at, ms(tap.at)], |row| {
            row.get(0)
        })?;
    if earlier > 0 {
        return Ok(Vec::new());
    }
    let (person_name, sql) = match tap.tapper {
        Tapper::Child(c) => (
            conn.prepare_cached("SELECT name FROM children WHERE id = ?1")?
                .query_row([c], |row| row.get::<_, String>(0))?,
            "SELECT id, policy, consent_on IS NOT NULL, unsubscribed_at IS NOT NULL, removed_at IS NOT NULL,
                    name, email, unsubscribe_token
               FROM guardians WHERE child_id = ?1 ORDER BY id",
        ),
        Tapper::Resident(r) => (
            conn.prepare_cached("SELECT name FROM residents WHERE id = ?1")?
                .query_row([r], |row| row.get::<_, String>(0))?,
            "SELECT id, NULL, 1, unsubscribed_at IS NOT NULL, removed_at IS NOT NULL,
                    name, email, unsubscribe_token
               FROM family_contacts WHERE resident_id = ?1 AND unsubscribe_token IS NOT NULL ORDER BY id",
        ),
    };
    let mut recipients = Vec::new();
    let mut facts = HashMap::new();
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query([person])?;
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let policy = row
            .get::<_, Option<String>>(1)?
            .map(|p| {
                p.parse::<GuardianPolicy>()
                    .map_err(|e| StoreError::Invalid(format!("guardian {id}: stored policy: {e}")))
            })
            .transpose()?;
        recipients.push(ArrivalRecipient {
            id,
            policy,
            consented: row.get(2)?,
            unsubscribed: row.get(3)?,
            removed: row.get(4)?,
        });
        facts.insert(
            id,
            GuardianFacts {
                name: row.get(5)?,
                email: row.get(6)?,
                unsubscribe_token: row.get(7)?,
            },
        );
    }
    let mut ids = Vec::new();
    for id in arrival_recipients(&recipients) {
        let Some(to) = facts.remove(&id) else {
            continue;
        };
        let payload = Payload::ShelterArrival {
            to,
            person_name: person_name.clone(),
            place: tap.place.to_owned(),
            incident: incident.to_owned(),
            at: tap.at,
        };
        ids.push(match tap.tapper {
            Tapper::Child(_) => outbox::enqueue_guardian(conn, id, &payload, now)?,
            Tapper::Resident(r) => outbox::enqueue_contact(conn, id, r, &payload, now)?,
        });
    }
    Ok(ids)
}

fn enqueue_guardians(
    conn: &Connection,
    child: i64,
    tap: &NewTap<'_>,
    tapped_here_today: bool,
    now: Timestamp,
) -> Result<Vec<i64>> {
    let mut states = Vec::new();
    let mut facts = HashMap::new();
    let mut statement = conn.prepare_cached(
        "SELECT id, policy, consent_on IS NOT NULL, unsubscribed_at IS NOT NULL, removed_at IS NOT NULL,
                name, email, unsubscribe_token
           FROM guardians WHERE child_id = ?1 ORDER BY id",
    )?;
    let mut rows = statement.query([child])?;
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let policy: String = row.get(1)?;
        states.push(GuardianState {
            id,
            policy: policy
                .parse::<GuardianPolicy>()
                .map_err(|e| StoreError::Invalid(format!("guardian {id}: stored policy: {e}")))?,
            consented: row.get(2)?,
            unsubscribed: row.get(3)?,
            removed: row.get(4)?,
        });
        facts.insert(
            id,
            GuardianFacts {
                name: row.get(5)?,
                email: row.get(6)?,
                unsubscribe_token: row.get(7)?,
            },
        );
    }
    let chosen = guardians_to_mail(&states, tapped_here_today);
    if chosen.is_empty() {
        return Ok(Vec::new());
    }
    let child_name: String = conn
        .prepare_cached("SELECT name FROM children WHERE id = ?1")?
        .query_row([child], |row| row.get(0))?;
    let mut ids = Vec::with_capacity(chosen.len());
    for id in chosen {
        let Some(guardian) = facts.remove(&id) else {
            continue;
        };
        let payload = Payload::GuardianTap {
            guardian,
            child_name: child_name.clone(),
            place: tap.place.to_owned(),
            at: tap.at,
        };
        ids.push(outbox::enqueue_guardian(conn, id, &payload, now)?);
    }
    Ok(ids)
}

/// The revision of the stations' roster.
pub(crate) fn people_rev(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT value FROM counters WHERE name = 'people_rev'")?
        .query_row([], |row| row.get(0))
        .optional()?
        .unwrap_or(0))
}

/// The people a station of `kind` recognises, by kana: the children (not
/// removed) with cards, and at a shelter the watch-over residents with
/// cards too. Only names and cards.
pub(crate) fn roster(conn: &Connection, kind: StationKind) -> Result<Vec<Person>> {
    let shelter = kind == StationKind::Shelter;
    let mut child_cards = cards_by_owner(
        conn,
        "SELECT k.child_id, k.kind, k.fingerprint, k.uid FROM child_cards k
           JOIN children c ON c.id = k.child_id WHERE c.removed_at IS NULL ORDER BY k.id",
    )?;
    let mut resident_cards = if shelter {
        cards_by_owner(
            conn,
            "SELECT resident_id, kind, fingerprint, uid FROM cards ORDER BY id",
        )?
    } else {
        HashMap::new()
    };
    let mut people: Vec<(String, i64, i64, Person)> = Vec::new();
    let mut statement = conn.prepare_cached(
        "SELECT 0, id, name, kana FROM children WHERE removed_at IS NULL
         UNION ALL
         SELECT 1, id, name, kana FROM residents WHERE ?1",
    )?;
    let mut rows = statement.query([shelter])?;
    while let Some(row) = rows.next()? {
        let (source, id, name, kana): (i64, i64, String, String) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        let cards = if source == 0 {
            child_cards.remove(&id)
        } else {
            resident_cards.remove(&id)
        };
        let Some(mut cards) = cards else {
            continue; // no card: a station cannot recognise them
        };
        cards.truncate(4);
        people.push((
            kana.clone(),
            source,
            id,
            Person {
                name,
                name_kana: kana,
                cards,
            },
        ));
    }
    people.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
    Ok(people.into_iter().map(|(.., p)| p).collect())
}

fn cards_by_owner(conn: &Connection, sql: &str) -> Result<HashMap<i64, Vec<CardBinding>>> {
    let mut out: HashMap<i64, Vec<CardBinding>> = HashMap::new();
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let owner: i64 = row.get(0)?;
        let kind: String = row.get(1)?;
        let binding = match (
            kind.as_str(),
            row.get::<_, Option<Vec<u8>>>(2)?,
            row.get::<_, Option<Vec<u8>>>(3)?,
        ) {
            ("jpki", Some(fp), _) => <[u8; 32]>::try_from(fp.as_slice()).ok().map(|fp| {
                CardBinding::Jpki(JpkiBinding {
                    cert_fingerprint: CertFingerprint(fp),
                })
            }),
            (_, _, Some(uid)) => CardUid::from_bytes(&uid)
                .ok()
                .map(|uid| CardBinding::CardUid(UidBinding { uid })),
            _ => None,
        };
        if let Some(binding) = binding {
            out.entry(owner).or_default().push(binding);
        }
    }
    Ok(out)
}
