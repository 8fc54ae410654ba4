//! What a sync reads about boxes and residents, kept in memory by the writer
//! thread between requests.
//!
//! A sync needs the box behind a token, the residents it serves, their
//! cards, care plans, thresholds, open alerts and standing. Loading all that
//! from SQLite took most of a sync's statements; the facts change rarely
//! (the admin commands, a sweep, an alert opening) while the box calls every
//! few minutes. The [`SyncCache`] keeps them:
//!
//! * a sync reads through it and, after each write of its own (a check-in's
//!   points and streak, the box's contact, the resident's next due instant),
//!   updates it the same way, or forgets the resident when alerts changed;
//! * the writer thread empties it whenever anything else may have changed
//!   those facts: another connection committed (`PRAGMA data_version`
//!   moved: the admin command line is another process), other work on the
//!   writer's own connection wrote to a table the cache reads (an update
//!   hook watches [`WATCHED_TABLES`]), or a transaction was rolled back.
//!
//! It is only ever used inside the writer's transaction, so what it holds is
//! what that transaction would read. In debug builds every hit is checked
//! against a fresh load from the database.

use std::collections::HashMap;

use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension as _};

use super::{Result, StoreError, from_ms, ms, watch};
use crate::config::Config;
use crate::watch::{PastCheckIn, Thresholds, WatchState};
use mimamori_protocol::{Condition, Tenths};

/// Residents kept at most; past this the cache starts over (each entry is a
/// few hundred bytes, so this bounds it to tens of megabytes).
const MAX_RESIDENTS: usize = 100_000;
/// Boxes kept at most.
const MAX_BOXES: usize = 100_000;

/// Tables whose rows the cache holds facts from: a write to any of them by
/// other work on the writer's connection empties the cache.
pub(crate) const WATCHED_TABLES: &[&str] = &[
    "boxes",
    "stations",
    "residents",
    "cards",
    "alerts",
    "notices",
];

/// The box and resident facts a sync reads; see the module documentation.
#[derive(Debug, Default)]
pub(crate) struct SyncCache {
    boxes: HashMap<[u8; 32], BoxEntry>,
    residents: HashMap<i64, ResidentEntry>,
    /// Residents' recent check-ins, for the event rules' look-back.
    recent: HashMap<i64, Recent>,
    notices_rev: Option<i64>,
}

/// A resident's check-ins from `since` (Unix ms) on, in the order of the
/// `check_ins_resident_at` index: by instant, then condition (as stored),
/// then weight.
#[derive(Debug)]
struct Recent {
    since: i64,
    rows: Vec<PastCheckIn>,
}

/// The order of `check_ins_resident_at` for one resident.
fn index_order(c: &PastCheckIn) -> (i64, &'static str, Option<i32>) {
    (ms(c.at), c.condition.as_str(), c.weight_kg.map(|w| w.0))
}

/// A box as the sync sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BoxEntry {
    pub(crate) id: i64,
    pub(crate) device_id: String,
    pub(crate) revoked: bool,
    pub(crate) residents_rev: i64,
    pub(crate) checkups_rev: i64,
    /// The residents it serves, by id (none for a station).
    pub(crate) residents: Vec<i64>,
    /// Its place, if it is a tap station.
    pub(crate) station: Option<StationEntry>,
}

/// A tap station's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StationEntry {
    /// The place's name.
    pub(crate) place: String,
    /// What kind of place.
    pub(crate) kind: mimamori_protocol::StationKind,
}

/// A resident as the sync sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ResidentEntry {
    /// What the watch engine needs.
    pub(crate) state: WatchState,
    /// Her thresholds (the configuration's, with her own overrides).
    pub(crate) thresholds: Thresholds,
    /// Health points.
    pub(crate) points: i64,
    /// Days in a row with a check-in, as of `last_check_in_on`.
    pub(crate) streak_days: u32,
    /// The latest day with a check-in.
    pub(crate) last_check_in_on: Option<Date>,
    /// The next instant anything becomes due (Unix ms), as stored.
    pub(crate) next_due: Option<i64>,
    /// Her cards.
    pub(crate) cards: Vec<Card>,
}

/// A card bound to a resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Card {
    /// A trial card's UID.
    Uid(Vec<u8>),
    /// A My Number card's certificate.
    Jpki {
        fingerprint: Vec<u8>,
        not_before: Option<i64>,
        not_after: Option<i64>,
        public_key: Option<Vec<u8>>,
    },
}

impl SyncCache {
    /// An empty cache.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Forgets everything.
    pub(crate) fn clear(&mut self) {
        self.boxes.clear();
        self.residents.clear();
        self.recent.clear();
        self.notices_rev = None;
    }

    /// The box whose token hashes to `token_hash`, if there is one.
    pub(crate) fn the_box(
        &mut self,
        conn: &Connection,
        token_hash: &[u8; 32],
    ) -> Result<Option<&BoxEntry>> {
        if let Some(hit) = self.boxes.get(token_hash) {
            debug_assert_eq!(Some(hit), load_box(conn, token_hash)?.as_ref());
            return Ok(self.boxes.get(token_hash));
        }
        let Some(entry) = load_box(conn, token_hash)? else {
            return Ok(None); // unknown tokens are not remembered
        };
        if self.boxes.len() >= MAX_BOXES {
            self.boxes.clear();
        }
        Ok(Some(self.boxes.entry(*token_hash).or_insert(entry)))
    }

    /// The facts about `resident`.
    pub(crate) fn resident(
        &mut self,
        conn: &Connection,
        config: &Config,
        resident: i64,
    ) -> Result<&mut ResidentEntry> {
        if self.residents.contains_key(&resident) {
            debug_assert_eq!(
                self.residents.get(&resident),
                Some(&load_resident(conn, config, resident)?)
            );
        } else {
            let entry = load_resident(conn, config, resident)?;
            if self.residents.len() >= MAX_RESIDENTS {
                self.residents.clear();
                self.recent.clear();
            }
            self.residents.insert(resident, entry);
        }
        self.residents
            .get_mut(&resident)
            .ok_or_else(|| StoreError::NotFound(format!("resident {resident} does not exist")))
    }

    /// Forgets `resident`: her facts changed in ways the sync does not
    /// follow (an alert opened or closed).
    pub(crate) fn forget_resident(&mut self, resident: i64) {
        self.residents.remove(&resident);
        self.recent.remove(&resident);
    }

    /// `resident`'s check-ins from `since` (Unix ms) on, oldest first.
    ///
    /// Check-ins arrive in time order, so the window only moves forward:
    /// what is held is cut at `since` and answered from memory. A window
    /// that starts earlier than the one held (a late check-in from days ago)
    /// is read from the database.
    pub(crate) fn check_ins_since(
        &mut self,
        conn: &Connection,
        resident: i64,
        since: i64,
    ) -> Result<&[PastCheckIn]> {
        let held = self
            .recent
            .get(&resident)
            .is_some_and(|recent| recent.since <= since);
        if held {
            let recent = self
                .recent
                .get_mut(&resident)
                .ok_or_else(|| StoreError::NotFound(format!("resident {resident}")))?;
            let old = recent.rows.partition_point(|row| ms(row.at) < since);
            recent.rows.drain(..old);
            recent.since = since;
            debug_assert_eq!(recent.rows, load_check_ins(conn, resident, since)?);
        } else {
            if self.recent.len() >= MAX_RESIDENTS {
                self.recent.clear();
            }
            let rows = load_check_ins(conn, resident, since)?;
            self.recent.insert(resident, Recent { since, rows });
        }
        Ok(self
            .recent
            .get(&resident)
            .map(|recent| recent.rows.as_slice())
            .unwrap_or_default())
    }

    /// Records a check-in of `resident` just inserted into `check_ins`.
    pub(crate) fn check_in_stored(&mut self, resident: i64, row: PastCheckIn) {
        if let Some(recent) = self.recent.get_mut(&resident) {
            if ms(row.at) >= recent.since {
                let at = recent
                    .rows
                    .partition_point(|held| index_order(held) <= index_order(&row));
                recent.rows.insert(at, row);
            }
        }
    }

    /// Records a contact of the box serving `residents` at `at`, as
    /// `UPDATE boxes SET last_contact_at` just did (to the millisecond, as
    /// stored).
    pub(crate) fn box_contacted(&mut self, residents: &[i64], at: jiff::Timestamp) {
        let at = from_ms(ms(at));
        for resident in residents {
            if let Some(contact) = self
                .residents
                .get_mut(resident)
                .and_then(|r| r.state.box_contact.as_mut())
            {
                contact.last_contact = Some(at);
            }
        }
    }

    /// The revision of the notices.
    pub(crate) fn notices_rev(&mut self, conn: &Connection) -> Result<i64> {
        if let Some(rev) = self.notices_rev {
            debug_assert_eq!(rev, load_notices_rev(conn)?);
            return Ok(rev);
        }
        let rev = load_notices_rev(conn)?;
        self.notices_rev = Some(rev);
        Ok(rev)
    }
}

fn load_box(conn: &Connection, token_hash: &[u8; 32]) -> Result<Option<BoxEntry>> {
    let row = conn
        .prepare_cached(
            "SELECT b.id, b.device_id, b.revoked_at, b.residents_rev, b.checkups_rev, s.place, s.kind
               FROM boxes b LEFT JOIN stations s ON s.box_id = b.id WHERE b.token_hash = ?1",
        )?
        .query_row([&token_hash[..]], |row| {
            let place: Option<String> = row.get(5)?;
            let kind: Option<String> = row.get(6)?;
            Ok(BoxEntry {
                id: row.get(0)?,
                device_id: row.get(1)?,
                revoked: row.get::<_, Option<i64>>(2)?.is_some(),
                residents_rev: row.get(3)?,
                checkups_rev: row.get(4)?,
                residents: Vec::new(),
                station: place.map(|place| StationEntry {
                    place,
                    kind: kind
                        .as_deref()
                        .and_then(mimamori_protocol::StationKind::parse)
                        .unwrap_or(mimamori_protocol::StationKind::Unknown),
                }),
            })
        })
        .optional()?;
    let Some(mut entry) = row else {
        return Ok(None);
    };
    entry.residents = conn
        .prepare_cached("SELECT id FROM residents WHERE box_id = ?1 ORDER BY id")?
        .query_map([entry.id], |row| row.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    Ok(Some(entry))
}

fn load_resident(conn: &Connection, config: &Config, resident: i64) -> Result<ResidentEntry> {
    let (state, thresholds) = watch::load_state(conn, config, resident)?;
    let (points, streak_days, last_on, next_due): (i64, u32, Option<String>, Option<i64>) = conn
        .prepare_cached(
            "SELECT points, streak_days, last_check_in_on, next_due FROM residents WHERE id = ?1",
        )?
        .query_row([resident], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?;
    let cards = conn
        .prepare_cached(
            "SELECT kind, fingerprint, not_before, not_after, public_key, uid
               FROM cards WHERE resident_id = ?1 ORDER BY id",
        )?
        .query_map([resident], |row| {
            Ok(match row.get::<_, Option<Vec<u8>>>(5)? {
                Some(uid) if row.get::<_, String>(0)? == "card_uid" => Card::Uid(uid),
                _ => Card::Jpki {
                    fingerprint: row.get::<_, Option<Vec<u8>>>(1)?.unwrap_or_default(),
                    not_before: row.get(2)?,
                    not_after: row.get(3)?,
                    public_key: row.get(4)?,
                },
            })
        })?
        .collect::<std::result::Result<_, _>>()?;
    Ok(ResidentEntry {
        state,
        thresholds,
        points,
        streak_days,
        last_check_in_on: last_on.and_then(|d| d.parse().ok()),
        next_due,
        cards,
    })
}

fn load_check_ins(conn: &Connection, resident: i64, since: i64) -> Result<Vec<PastCheckIn>> {
    let mut statement = conn.prepare_cached(
        "SELECT at, condition, weight FROM check_ins WHERE resident_id = ?1 AND at >= ?2
          ORDER BY at, condition, weight",
    )?;
    let mut rows = statement.query(rusqlite::params![resident, since])?;
    let mut check_ins = Vec::new();
    while let Some(row) = rows.next()? {
        let condition: String = row.get(1)?;
        check_ins.push(PastCheckIn {
            at: from_ms(row.get(0)?),
            condition: Condition::ALL
                .iter()
                .copied()
                .find(|c| c.as_str() == condition)
                .ok_or_else(|| {
                    StoreError::Invalid(format!(
                        "resident {resident}: stored condition {condition:?} is unknown"
                    ))
                })?,
            weight_kg: row.get::<_, Option<i32>>(2)?.map(Tenths),
        });
    }
    Ok(check_ins)
}

fn load_notices_rev(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT value FROM counters WHERE name = 'notices_rev'")?
        .query_row([], |row| row.get(0))?)
}
