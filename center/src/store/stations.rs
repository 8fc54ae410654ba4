//! Tap stations: a station is a device with a token like a home box (its
//! `boxes` row, token shown once, only its SHA-256 stored) and a place
//! (`stations` row). A station never serves residents; its syncs carry
//! taps and get the roster of people it recognises.

use jiff::Timestamp;
use mimamori_protocol::StationKind;
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::Serialize;

use super::{Result, StoreError, admin, from_ms, manage, ms, record_admin};

/// A station to register.
#[derive(Debug, Clone)]
pub struct NewStation {
    /// Its device id, e.g. nanbu-st-0001.
    pub device_id: String,
    /// The place's name, shown on its screen: 「南部小学校」.
    pub place: String,
    /// What kind of place.
    pub kind: StationKind,
    /// 地区.
    pub district: String,
}

/// Registers a station; returns its token, shown once and stored only as a
/// hash. Audited as `station.add` by `who`.
pub fn add_station(
    conn: &Connection,
    new: &NewStation,
    who: &str,
    now: Timestamp,
) -> Result<String> {
    if new.place.trim().is_empty() || new.district.trim().is_empty() {
        return Err(StoreError::Invalid(
            "a station needs a place and a district".into(),
        ));
    }
    if new.kind == StationKind::Unknown {
        return Err(StoreError::Invalid(
            "the kind is one of school, library, community_center, shelter".into(),
        ));
    }
    let token = admin::add_box(conn, &new.device_id, new.place.trim(), now)?;
    conn.execute(
        "INSERT INTO stations (box_id, place, kind, district, created_at)
         SELECT id, ?2, ?3, ?4, ?5 FROM boxes WHERE device_id = ?1",
        params![
            new.device_id,
            new.place.trim(),
            new.kind.as_str(),
            new.district.trim(),
            ms(now)
        ],
    )?;
    record_admin(
        conn,
        who,
        "station.add",
        &format!(
            "{} {} ({}, {})",
            new.device_id,
            new.place.trim(),
            new.kind.as_str(),
            new.district.trim()
        ),
        now,
    )?;
    Ok(token)
}

/// The `boxes` id of the station `device_id`.
fn station_box(conn: &Connection, device_id: &str) -> Result<i64> {
    conn.query_row(
        "SELECT b.id FROM boxes b JOIN stations s ON s.box_id = b.id WHERE b.device_id = ?1",
        [device_id],
        |row| row.get(0),
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("no station {device_id}")))
}

/// Whether the box `box_id` is a station.
pub(crate) fn is_station(conn: &Connection, box_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM stations WHERE box_id = ?1")?
        .exists([box_id])?)
}

/// Gives a station a new token (shown once): the old one stops working, a
/// revoked station is active again. Audited as `station.token`.
pub fn new_station_token(
    conn: &Connection,
    device_id: &str,
    who: &str,
    now: Timestamp,
) -> Result<String> {
    station_box(conn, device_id)?;
    let token = manage::new_box_token(conn, device_id)?;
    record_admin(conn, who, "station.token", device_id, now)?;
    Ok(token)
}

/// Revokes a station's token: its syncs are refused from now on. Audited
/// as `station.revoke`.
pub fn revoke_station(conn: &Connection, device_id: &str, who: &str, now: Timestamp) -> Result<()> {
    let id = station_box(conn, device_id)?;
    let changed = conn.execute(
        "UPDATE boxes SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
        params![ms(now), id],
    )?;
    if changed == 0 {
        return Err(StoreError::Conflict(format!(
            "station {device_id} is already revoked"
        )));
    }
    record_admin(conn, who, "station.revoke", device_id, now)
}

/// A station as listed.
#[derive(Debug, Serialize)]
pub struct StationSummary {
    /// Its device id.
    pub device_id: String,
    /// The place.
    pub place: String,
    /// school, library, community_center or shelter.
    pub kind: String,
    /// 地区.
    pub district: String,
    /// Whether its token was revoked.
    pub revoked: bool,
    /// When it last synced.
    pub last_contact_at: Option<String>,
    /// Taps stored from it (within the retention).
    pub taps: i64,
}

/// Every station, by device id.
pub fn list_stations(conn: &Connection) -> Result<Vec<StationSummary>> {
    conn.prepare(
        "SELECT b.device_id, s.place, s.kind, s.district, b.revoked_at IS NOT NULL, b.last_contact_at,
                (SELECT COUNT(*) FROM taps t WHERE t.station_id = b.id)
           FROM stations s JOIN boxes b ON b.id = s.box_id ORDER BY b.device_id",
    )?
    .query_map([], |row| {
        Ok(StationSummary {
            device_id: row.get(0)?,
            place: row.get(1)?,
            kind: row.get(2)?,
            district: row.get(3)?,
            revoked: row.get(4)?,
            last_contact_at: row
                .get::<_, Option<i64>>(5)?
                .map(|t| from_ms(t).to_string()),
            taps: row.get(6)?,
        })
    })?
    .collect::<std::result::Result<_, _>>()
    .map_err(StoreError::from)
}
