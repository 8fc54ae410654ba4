//! Storing what [`crate::import`] read from a municipal CSV file: all rows or
//! none, with every problem reported against its line.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension as _, params};

use super::admin::{self, NewResident as AdminResident};
use super::children::{self, ChildCard, NewChild, NewGuardian};
use super::{Result, StoreError, ms};
use crate::config::Config;
use crate::import::{ImportedChild, NewCheckup, NewResident, ResidentRef};

/// Kana compared without spaces: ヤマダ　ハナコ and やまだはなこ are one person.
fn kana_key(kana: &str) -> String {
    kana.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Registers every resident of an import, or none: on any problem the error
/// lists them all, one line each, and the caller's transaction rolls back.
pub fn import_residents(
    conn: &Connection,
    config: &Config,
    rows: &[NewResident],
    now: Timestamp,
) -> Result<Vec<i64>> {
    let mut problems = Vec::new();
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        let line = row.line;
        if let Some(existing) = find_by_kana(conn, &row.name_kana, row.birth_date)? {
            problems.push(format!(
                "{line}行目: {}（{}）は既に登録されています（利用者ID {existing}）",
                row.name, row.name_kana
            ));
            continue;
        }
        if let Some(device) = &row.device_id {
            let known = conn
                .prepare_cached("SELECT 1 FROM boxes WHERE device_id = ?1 AND revoked_at IS NULL")?
                .exists([device.as_str()])?;
            if !known {
                problems.push(format!(
                    "{line}行目「端末」: 端末 {device} は登録されていません"
                ));
                continue;
            }
        }
        if let Some(uid) = &row.card_uid {
            let bound = conn
                .prepare_cached("SELECT 1 FROM cards WHERE uid = ?1")?
                .exists([uid.as_bytes()])?;
            if bound {
                problems.push(format!(
                    "{line}行目「カードUID」: カード {uid} は既に別の利用者に登録されています"
                ));
                continue;
            }
        }
        let new = AdminResident {
            name: row.name.clone(),
            kana: row.name_kana.clone(),
            district: row.district.clone(),
            address: row.address.clone().unwrap_or_default(),
            phone: row.phone.clone().unwrap_or_default(),
            birth_date: row.birth_date,
            care_plan: row.care_plan.clone(),
            box_device: row.device_id.as_ref().map(ToString::to_string),
        };
        match admin::add_resident(conn, config, &new, now) {
            Ok(id) => {
                if let Some(uid) = &row.card_uid {
                    admin::bind_uid(conn, id, uid, now)?;
                }
                ids.push(id);
            }
            Err(StoreError::Invalid(message)) => problems.push(format!("{line}行目: {message}")),
            Err(other) => return Err(other),
        }
    }
    if problems.is_empty() {
        Ok(ids)
    } else {
        Err(StoreError::Invalid(problems.join("\n")))
    }
}

fn find_by_kana(
    conn: &Connection,
    kana: &str,
    birth_date: Option<jiff::civil::Date>,
) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM residents
              WHERE replace(replace(kana, ' ', ''), '　', '') = ?1 AND birth_date IS ?2",
        )?
        .query_row(
            params![kana_key(kana), birth_date.map(|d| d.to_string())],
            |row| row.get(0),
        )
        .optional()?)
}

/// Stores every checkup of an import, or none. A checkup of the same
/// resident, day and title replaces the one stored before (a corrected
/// file can be imported again).
pub fn import_checkups(conn: &Connection, rows: &[NewCheckup], now: Timestamp) -> Result<usize> {
    let mut problems = Vec::new();
    let mut boxes = Vec::new();
    for row in rows {
        let line = row.line;
        let resident = match &row.resident {
            ResidentRef::Id(id) => {
                let id = i64::try_from(*id).unwrap_or(-1);
                let exists = conn
                    .prepare_cached("SELECT 1 FROM residents WHERE id = ?1")?
                    .exists([id])?;
                if !exists {
                    problems.push(format!(
                        "{line}行目「利用者ID」: 利用者ID {id} は登録されていません"
                    ));
                    continue;
                }
                id
            }
            ResidentRef::Kana { kana, birth_date } => {
                match find_by_kana(conn, kana, Some(*birth_date))? {
                    Some(id) => id,
                    None => {
                        problems.push(format!(
                        "{line}行目: {kana}（{birth_date}生まれ）に当たる利用者が登録されていません"
                    ));
                        continue;
                    }
                }
            }
        };
        let items =
            serde_json::to_string(&row.items).map_err(|e| StoreError::Invalid(e.to_string()))?;
        conn.execute(
            "INSERT INTO checkups (resident_id, examined_on, title, items, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (resident_id, examined_on, title) DO UPDATE SET items = excluded.items",
            params![
                resident,
                row.examined_on.to_string(),
                row.title,
                items,
                ms(now)
            ],
        )?;
        if let Some(b) = super::box_of(conn, resident)? {
            boxes.push(b);
        }
    }
    if !problems.is_empty() {
        return Err(StoreError::Invalid(problems.join("\n")));
    }
    boxes.sort_unstable();
    boxes.dedup();
    for b in boxes {
        let rev = super::next_rev(conn)?;
        conn.execute(
            "UPDATE boxes SET checkups_rev = ?1 WHERE id = ?2",
            params![rev, b],
        )?;
    }
    Ok(rows.len())
}

/// Registers every child of an import with their card and guardians, or
/// none: on any problem the error lists them all, one line each, and the
/// caller's transaction rolls back. Each row goes through the same store
/// functions as `admin child add|card` and `admin child guardian add`
/// (audited by `who`, the roster's revision moved).
pub fn import_children(
    conn: &Connection,
    rows: &[ImportedChild],
    who: &str,
    now: Timestamp,
) -> Result<Vec<i64>> {
    let mut problems = Vec::new();
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        let line = row.line;
        let existing: Option<i64> = conn
            .prepare_cached(
                "SELECT id FROM children
                  WHERE replace(replace(kana, ' ', ''), '　', '') = ?1 AND birth_date IS ?2
                    AND removed_at IS NULL",
            )?
            .query_row(
                params![kana_key(&row.kana), row.birth_date.map(|d| d.to_string())],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(existing) = existing {
            problems.push(format!(
                "{line}行目: {}（{}）は既に登録されています（児童ID {existing}）",
                row.name, row.kana
            ));
            continue;
        }
        let mut held = false;
        for uid in &row.cards {
            if let Some(whom) = children::card_holder_ja(conn, uid)? {
                problems.push(format!(
                    "{line}行目「カードUID」: カード {uid} は既に{whom}に登録されています"
                ));
                held = true;
            }
        }
        if held {
            continue;
        }
        let new = NewChild {
            name: row.name.clone(),
            kana: row.kana.clone(),
            district: row.district.clone(),
            school: row.school.clone(),
            birth_date: row.birth_date,
        };
        let stored = (|| {
            let id = children::add_child(conn, &new, who, now)?;
            for uid in &row.cards {
                children::bind_child_card(conn, id, ChildCard::Uid(uid), who, now)?;
            }
            for g in &row.guardians {
                let guardian = NewGuardian {
                    child: id,
                    name: g.name.clone(),
                    email: g.email.clone(),
                    relation: g.relation.clone(),
                    policy: g.policy,
                    consent_on: g.consent_on,
                };
                children::add_guardian(conn, &guardian, who, now)?;
            }
            Ok(id)
        })();
        match stored {
            Ok(id) => ids.push(id),
            Err(StoreError::Invalid(message) | StoreError::Conflict(message)) => {
                problems.push(format!("{line}行目: {message}"));
            }
            Err(other) => return Err(other),
        }
    }
    if problems.is_empty() {
        Ok(ids)
    } else {
        Err(StoreError::Invalid(problems.join("\n")))
    }
}
