//! The answer to a sync: acks, and the sections of what changed for the box
//! since the revisions it knows.

use jiff::Timestamp;
use mimamori_protocol::{
    CardBinding, CarePlan, CheckupRecord, JpkiBinding, Notice, PROTOCOL_VERSION, RejectedEvent,
    ResidentId, ResidentInfo, Revision, Section, Standing, StationInfo, SyncRequest, SyncResponse,
    UidBinding,
};
use rusqlite::Connection;

use super::cache::{BoxEntry, SyncCache};
use super::{Result, StoreError, taps};
use crate::config::Config;

/// The answer to `request` from `the_box`, after its events were stored.
/// The sections the box already knows (same revision) are left out.
#[allow(clippy::too_many_arguments)]
pub(crate) fn respond(
    conn: &Connection,
    cache: &mut SyncCache,
    config: &Config,
    the_box: &BoxEntry,
    request: &SyncRequest,
    acked: Vec<mimamori_protocol::EventId>,
    rejected: Vec<RejectedEvent>,
    now: Timestamp,
) -> Result<SyncResponse> {
    let residents = &the_box.residents[..];
    let known = &request.known;
    let residents_rev = Revision(u64::try_from(the_box.residents_rev).unwrap_or(0));
    let residents_section = if known.residents == Some(residents_rev) {
        None
    } else {
        Some(Section {
            revision: residents_rev,
            items: resident_infos(conn, residents)?,
        })
    };
    let notices_rev = Revision(u64::try_from(cache.notices_rev(conn)?).unwrap_or(0));
    let today = now.to_zoned(config.time_zone.clone()).date();
    let notices = if known.notices == Some(notices_rev) {
        None
    } else {
        Some(Section {
            revision: notices_rev,
            items: current_notices(conn, today)?,
        })
    };
    let checkups_rev = Revision(u64::try_from(the_box.checkups_rev).unwrap_or(0));
    let checkups = if known.checkups == Some(checkups_rev) {
        None
    } else {
        Some(Section {
            revision: checkups_rev,
            items: checkups_of(conn, residents)?,
        })
    };
    // A station: its place on every answer, its roster when it changed.
    let (station, people) = match &the_box.station {
        None => (None, None),
        Some(station) => {
            let people_rev = Revision(u64::try_from(taps::people_rev(conn)?).unwrap_or(0));
            let people = if known.people == Some(people_rev) {
                None
            } else {
                Some(Section {
                    revision: people_rev,
                    items: taps::roster(conn, station.kind)?,
                })
            };
            let info = StationInfo {
                place: station.place.clone(),
                kind: station.kind,
            };
            (Some(info), people)
        }
    };
    let standings = residents
        .iter()
        .map(|&r| standing(conn, cache, config, r, today))
        .collect::<Result<Vec<_>>>()?;
    Ok(SyncResponse {
        protocol: PROTOCOL_VERSION,
        server_time: to_wire(now),
        acked,
        rejected,
        residents: residents_section,
        notices,
        checkups,
        standings,
        next_sync_in_s: Some(config.sync.next_sync_in_s),
        people,
        station,
    }
    .for_peer(request.protocol))
}

/// An instant as a protocol timestamp, in UTC.
pub(crate) fn to_wire(at: Timestamp) -> mimamori_protocol::Timestamp {
    mimamori_protocol::Timestamp::from_unix_nanos(at.as_nanosecond(), 0)
        .unwrap_or_else(|| mimamori_protocol::Timestamp::new(time::OffsetDateTime::UNIX_EPOCH))
}

fn resident_infos(conn: &Connection, residents: &[i64]) -> Result<Vec<ResidentInfo>> {
    let mut infos = Vec::with_capacity(residents.len());
    for &id in residents {
        let (name, kana, care_plan): (String, String, String) = conn
            .prepare_cached("SELECT name, kana, care_plan FROM residents WHERE id = ?1")?
            .query_row([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        let care_plan: CarePlan = serde_json::from_str(&care_plan)
            .map_err(|e| StoreError::Invalid(format!("resident {id}: stored care plan: {e}")))?;
        let cards = conn
            .prepare_cached(
                "SELECT kind, fingerprint, uid FROM cards WHERE resident_id = ?1 ORDER BY id",
            )?
            .query_map([id], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<Vec<u8>>>(1)?,
                    row.get::<_, Option<Vec<u8>>>(2)?,
                ))
            })?
            .filter_map(|row| match row {
                Ok((kind, Some(fp), _)) if kind == "jpki" => {
                    <[u8; 32]>::try_from(fp.as_slice()).ok().map(|fp| {
                        Ok(CardBinding::Jpki(JpkiBinding {
                            cert_fingerprint: mimamori_protocol::CertFingerprint(fp),
                        }))
                    })
                }
                Ok((_, _, Some(uid))) => mimamori_protocol::CardUid::from_bytes(&uid)
                    .ok()
                    .map(|uid| Ok(CardBinding::CardUid(UidBinding { uid }))),
                Ok(_) => None,
                Err(e) => Some(Err(StoreError::from(e))),
            })
            .collect::<Result<Vec<_>>>()?;
        infos.push(ResidentInfo {
            id: ResidentId(u64::try_from(id).unwrap_or(0)),
            name,
            name_kana: kana,
            cards,
            care_plan,
        });
    }
    Ok(infos)
}

fn current_notices(conn: &Connection, today: jiff::civil::Date) -> Result<Vec<Notice>> {
    conn.prepare_cached(
        "SELECT id, title, body, published_on, expires_on, important FROM notices
          WHERE withdrawn_at IS NULL AND (expires_on IS NULL OR expires_on >= ?1)
          ORDER BY published_on DESC, id DESC",
    )?
    .query_map([today.to_string()], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, Option<String>>(4)?,
            row.get::<_, bool>(5)?,
        ))
    })?
    .map(|row| {
        let (id, title, body, published, expires, important) = row?;
        let date = |d: &str| {
            d.parse::<mimamori_protocol::CalendarDate>()
                .map_err(|e| StoreError::Invalid(format!("notice {id}: {e}")))
        };
        Ok(Notice {
            id: u64::try_from(id).unwrap_or(0),
            title,
            body,
            published_on: date(&published)?,
            expires_on: expires.as_deref().map(date).transpose()?,
            important,
        })
    })
    .collect()
}

fn checkups_of(conn: &Connection, residents: &[i64]) -> Result<Vec<CheckupRecord>> {
    let mut records = Vec::new();
    for &resident in residents {
        let rows = conn
            .prepare_cached(
                "SELECT id, examined_on, title, items FROM checkups WHERE resident_id = ?1 ORDER BY examined_on DESC",
            )?
            .query_map([resident], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?, row.get::<_, String>(3)?))
            })?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for (id, examined_on, title, items) in rows {
            records.push(CheckupRecord {
                id: u64::try_from(id).unwrap_or(0),
                resident: ResidentId(u64::try_from(resident).unwrap_or(0)),
                examined_on: examined_on
                    .parse()
                    .map_err(|e| StoreError::Invalid(format!("checkup {id}: {e}")))?,
                title,
                items: serde_json::from_str(&items)
                    .map_err(|e| StoreError::Invalid(format!("checkup {id}: {e}")))?,
            });
        }
    }
    Ok(records)
}

fn standing(
    conn: &Connection,
    cache: &mut SyncCache,
    config: &Config,
    resident: i64,
    today: jiff::civil::Date,
) -> Result<Standing> {
    let facts = cache.resident(conn, config, resident)?;
    let last_on = facts.last_check_in_on;
    // A streak whose last day is before yesterday is broken.
    let alive = last_on.is_some_and(|d| d >= today.yesterday().unwrap_or(today));
    Ok(Standing {
        resident: ResidentId(u64::try_from(resident).unwrap_or(0)),
        points: facts.points,
        streak_days: if alive { facts.streak_days } else { 0 },
        last_check_in_on: last_on.and_then(|d| d.to_string().parse().ok()),
        // A pause that ended before today no longer matters to the box.
        paused_through: facts
            .state
            .paused_through
            .filter(|&d| d >= today)
            .and_then(|d| d.to_string().parse().ok()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_time_is_utc() {
        let at: Timestamp = "2026-11-29T00:00:00.5Z".parse().unwrap();
        assert_eq!(to_wire(at).to_string(), "2026-11-29T00:00:00.5Z");
    }
}
