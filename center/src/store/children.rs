//! Children watched over by their taps at stations, their cards, and
//! their guardians who hear of the taps by mail.
//!
//! A card identifies one person: a card bound to a resident (`cards`) is
//! refused here, and [`card_holder`] lets the resident side refuse a
//! child's card. Every change to children and their cards moves the
//! roster's revision (`people_rev`); every change is audited.

use jiff::Timestamp;
use jiff::civil::Date;
use mimamori_protocol::CardUid;
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::Serialize;

use super::people::{Subscription, check_email};
use super::{Result, StoreError, ms, record_admin, touch_people};
use crate::mail::GuardianPolicy;

/// Most cards one child may have (a station's roster carries at most 4).
const MAX_CARDS: i64 = 4;

/// A child to register.
#[derive(Debug, Clone)]
pub struct NewChild {
    /// 氏名.
    pub name: String,
    /// ふりがな.
    pub kana: String,
    /// 地区.
    pub district: String,
    /// 学校 (may be empty).
    pub school: String,
    /// 生年月日.
    pub birth_date: Option<Date>,
}

/// Registers a child; returns their id. Audited as `child.add`.
pub fn add_child(conn: &Connection, new: &NewChild, who: &str, now: Timestamp) -> Result<i64> {
    for (field, value) in [
        ("name", &new.name),
        ("kana", &new.kana),
        ("district", &new.district),
    ] {
        if value.trim().is_empty() {
            return Err(StoreError::Invalid(format!("`{field}` must not be empty")));
        }
    }
    conn.execute(
        "INSERT INTO children (name, kana, district, school, birth_date, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            new.name.trim(),
            new.kana.trim(),
            new.district.trim(),
            new.school.trim(),
            new.birth_date.map(|d| d.to_string()),
            ms(now)
        ],
    )?;
    let id = conn.last_insert_rowid();
    touch_people(conn)?;
    record_admin(conn, who, "child.add", &format!("child {id}"), now)?;
    Ok(id)
}

fn ensure_child(conn: &Connection, child: i64) -> Result<()> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM children WHERE id = ?1 AND removed_at IS NULL")?
        .exists([child])?;
    if exists {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!(
            "child {child} does not exist"
        )))
    }
}

/// A child as listed.
#[derive(Debug, Serialize)]
pub struct ChildSummary {
    /// Their id.
    pub id: i64,
    /// 氏名.
    pub name: String,
    /// ふりがな.
    pub kana: String,
    /// 地区.
    pub district: String,
    /// 学校.
    pub school: String,
    /// Cards bound.
    pub cards: i64,
    /// Guardians who are not removed.
    pub guardians: i64,
}

/// The children not removed, by kana.
pub fn list_children(conn: &Connection) -> Result<Vec<ChildSummary>> {
    conn.prepare(
        "SELECT c.id, c.name, c.kana, c.district, c.school,
                (SELECT COUNT(*) FROM child_cards k WHERE k.child_id = c.id),
                (SELECT COUNT(*) FROM guardians g WHERE g.child_id = c.id AND g.removed_at IS NULL)
           FROM children c WHERE c.removed_at IS NULL ORDER BY c.kana, c.id",
    )?
    .query_map([], |row| {
        Ok(ChildSummary {
            id: row.get(0)?,
            name: row.get(1)?,
            kana: row.get(2)?,
            district: row.get(3)?,
            school: row.get(4)?,
            cards: row.get(5)?,
            guardians: row.get(6)?,
        })
    })?
    .collect::<std::result::Result<_, _>>()
    .map_err(StoreError::from)
}

/// A child's particulars.
#[derive(Debug, Serialize)]
pub struct ChildDetails {
    /// 氏名.
    pub name: String,
    /// ふりがな.
    pub kana: String,
    /// 地区.
    pub district: String,
    /// 学校.
    pub school: String,
    /// 生年月日.
    pub birth_date: Option<String>,
}

/// A child not removed, or `None`.
pub fn child(conn: &Connection, child: i64) -> Result<Option<ChildDetails>> {
    Ok(conn
        .query_row(
            "SELECT name, kana, district, school, birth_date FROM children
              WHERE id = ?1 AND removed_at IS NULL",
            [child],
            |row| {
                Ok(ChildDetails {
                    name: row.get(0)?,
                    kana: row.get(1)?,
                    district: row.get(2)?,
                    school: row.get(3)?,
                    birth_date: row.get(4)?,
                })
            },
        )
        .optional()?)
}

/// A child's card as listed.
#[derive(Debug, Serialize)]
pub struct ChildCardSummary {
    /// Its id.
    pub id: i64,
    /// card_uid or jpki.
    pub kind: String,
    /// The UID in hex, or the certificate's fingerprint in hex.
    pub key: String,
    /// When it was bound.
    pub created_at: Timestamp,
}

/// A child's cards, oldest first.
pub fn list_child_cards(conn: &Connection, child: i64) -> Result<Vec<ChildCardSummary>> {
    ensure_child(conn, child)?;
    conn.prepare(
        "SELECT kind, uid, fingerprint, created_at, id FROM child_cards WHERE child_id = ?1 ORDER BY id",
    )?
    .query_map([child], |row| {
        let uid: Option<Vec<u8>> = row.get(1)?;
        let fingerprint: Option<Vec<u8>> = row.get(2)?;
        let key = uid
            .or(fingerprint)
            .unwrap_or_default()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        Ok(ChildCardSummary {
            id: row.get(4)?,
            kind: row.get(0)?,
            key,
            created_at: super::from_ms(row.get(3)?),
        })
    })?
    .collect::<std::result::Result<_, _>>()
    .map_err(StoreError::from)
}

/// Unbinds one of a child's cards (a mistyped UID, a lost card): stations
/// stop recognising it, and it may be bound to someone else. Audited as
/// `child.card.unbind`.
pub fn unbind_child_card(
    conn: &Connection,
    child: i64,
    card: i64,
    who: &str,
    now: Timestamp,
) -> Result<()> {
    let removed = conn.execute(
        "DELETE FROM child_cards WHERE id = ?1 AND child_id = ?2",
        params![card, child],
    )?;
    if removed == 0 {
        return Err(StoreError::NotFound(format!(
            "child {child} has no card {card}"
        )));
    }
    touch_people(conn)?;
    record_admin(
        conn,
        who,
        "child.card.unbind",
        &format!("child {child}: card {card}"),
        now,
    )
}

/// Who holds a card's UID, in Japanese for the pages and import messages:
/// 「利用者（利用者ID 3）」, 「児童（児童ID 5）」.
pub fn card_holder_ja(conn: &Connection, uid: &CardUid) -> Result<Option<String>> {
    Ok(
        card_holder(conn, Some(uid.as_bytes()), None)?.map(|holder| match holder.split_once(' ') {
            Some(("resident", id)) => format!("利用者（利用者ID {id}）"),
            Some((_, id)) => format!("児童（児童ID {id}）"),
            None => holder,
        }),
    )
}

/// Removes a child: their cards are unbound (stations stop recognising
/// them, the cards may be given to someone else), their guardians get no
/// more mail. Their past taps stay until the retention purge. Audited as
/// `child.remove`.
pub fn remove_child(conn: &Connection, child: i64, who: &str, now: Timestamp) -> Result<()> {
    ensure_child(conn, child)?;
    conn.execute(
        "UPDATE children SET removed_at = ?1 WHERE id = ?2",
        params![ms(now), child],
    )?;
    conn.execute("DELETE FROM child_cards WHERE child_id = ?1", [child])?;
    let guardians: Vec<i64> = conn
        .prepare("SELECT id FROM guardians WHERE child_id = ?1 AND removed_at IS NULL")?
        .query_map([child], |row| row.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    for guardian in guardians {
        stop_guardian(conn, guardian, "removed_at", now)?;
    }
    touch_people(conn)?;
    record_admin(conn, who, "child.remove", &format!("child {child}"), now)
}

/// Who holds a card, if anyone: `Some("resident 3")`, `Some("child 5")`.
pub(crate) fn card_holder(
    conn: &Connection,
    uid: Option<&[u8]>,
    fingerprint: Option<&[u8]>,
) -> Result<Option<String>> {
    let resident: Option<i64> = conn
        .prepare_cached(
            "SELECT resident_id FROM cards WHERE (?1 IS NOT NULL AND uid = ?1) OR (?2 IS NOT NULL AND fingerprint = ?2)",
        )?
        .query_row(params![uid, fingerprint], |row| row.get(0))
        .optional()?;
    if let Some(resident) = resident {
        return Ok(Some(format!("resident {resident}")));
    }
    let child: Option<i64> = conn
        .prepare_cached(
            "SELECT child_id FROM child_cards WHERE (?1 IS NOT NULL AND uid = ?1) OR (?2 IS NOT NULL AND fingerprint = ?2)",
        )?
        .query_row(params![uid, fingerprint], |row| row.get(0))
        .optional()?;
    Ok(child.map(|c| format!("child {c}")))
}

/// Refuses a card that is already a child's (a card identifies one person).
pub(crate) fn refuse_child_card(
    conn: &Connection,
    uid: Option<&[u8]>,
    fingerprint: Option<&[u8]>,
    name: &str,
) -> Result<()> {
    match card_holder(conn, uid, fingerprint)? {
        Some(holder) if holder.starts_with("child") => Err(StoreError::Conflict(format!(
            "{name} is already bound to {holder}"
        ))),
        _ => Ok(()),
    }
}

/// A card to bind to a child.
#[derive(Debug, Clone, Copy)]
pub enum ChildCard<'a> {
    /// A card's UID (a school or library card).
    Uid(&'a CardUid),
    /// A My Number card, named by its user-authentication certificate.
    Certificate(&'a crate::jpki::BoundCertificate),
}

/// Binds a card to a child, refusing one that is already anyone's (a
/// resident's or a child's). Returns the card as named in messages.
/// Audited as `child.card`.
pub fn bind_child_card(
    conn: &Connection,
    child: i64,
    card: ChildCard<'_>,
    who: &str,
    now: Timestamp,
) -> Result<String> {
    ensure_child(conn, child)?;
    let (kind, uid, fingerprint, name) = match card {
        ChildCard::Uid(uid) => (
            "card_uid",
            Some(uid.as_bytes().to_vec()),
            None,
            format!("card {uid}"),
        ),
        ChildCard::Certificate(cert) => (
            "jpki",
            None,
            Some(cert.fingerprint.0.to_vec()),
            format!("certificate {}", cert.fingerprint),
        ),
    };
    if let Some(holder) = card_holder(conn, uid.as_deref(), fingerprint.as_deref())? {
        return Err(StoreError::Conflict(format!(
            "{name} is already bound to {holder}"
        )));
    }
    let cards: i64 = conn.query_row(
        "SELECT COUNT(*) FROM child_cards WHERE child_id = ?1",
        [child],
        |row| row.get(0),
    )?;
    if cards >= MAX_CARDS {
        return Err(StoreError::Conflict(format!(
            "child {child} already has {MAX_CARDS} cards"
        )));
    }
    conn.execute(
        "INSERT INTO child_cards (child_id, kind, fingerprint, uid, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![child, kind, fingerprint, uid, ms(now)],
    )?;
    touch_people(conn)?;
    record_admin(
        conn,
        who,
        "child.card",
        &format!("child {child}: {name}"),
        now,
    )?;
    Ok(name)
}

/// A guardian to register.
#[derive(Debug, Clone)]
pub struct NewGuardian {
    /// The child.
    pub child: i64,
    /// 氏名.
    pub name: String,
    /// Where mail goes.
    pub email: String,
    /// 続柄: 母, 父, 祖母, ….
    pub relation: String,
    /// What they want to hear.
    pub policy: GuardianPolicy,
    /// The day their consent was given (none: no mail until it is).
    pub consent_on: Option<Date>,
}

/// Adds a guardian to a child; returns their id. Audited as
/// `guardian.add`.
pub fn add_guardian(
    conn: &Connection,
    new: &NewGuardian,
    who: &str,
    now: Timestamp,
) -> Result<i64> {
    check_email(&new.email)?;
    if new.name.trim().is_empty() {
        return Err(StoreError::Invalid(
            "the guardian's name must not be empty".into(),
        ));
    }
    ensure_child(conn, new.child)?;
    conn.execute(
        "INSERT INTO guardians (child_id, name, email, relation, policy, consent_on, consent_by,
                                unsubscribe_token, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, lower(hex(randomblob(16))), ?8)",
        params![
            new.child,
            new.name.trim(),
            new.email.trim(),
            new.relation.trim(),
            new.policy.as_str(),
            new.consent_on.map(|d| d.to_string()),
            new.consent_on.map(|_| who),
            ms(now)
        ],
    )?;
    let id = conn.last_insert_rowid();
    record_admin(
        conn,
        who,
        "guardian.add",
        &format!(
            "guardian {id} of child {} ({})",
            new.child,
            new.policy.as_str()
        ),
        now,
    )?;
    Ok(id)
}

/// A guardian as listed.
#[derive(Debug, Serialize)]
pub struct GuardianSummary {
    /// Their id.
    pub id: i64,
    /// 氏名.
    pub name: String,
    /// Where mail goes.
    pub email: String,
    /// 続柄.
    pub relation: String,
    /// every_tap, first_of_day or none.
    pub policy: String,
    /// The day consent was given.
    pub consent_on: Option<String>,
    /// Whether they stopped their mail.
    pub unsubscribed: bool,
}

/// A child's guardians who are not removed.
pub fn list_guardians(conn: &Connection, child: i64) -> Result<Vec<GuardianSummary>> {
    ensure_child(conn, child)?;
    conn.prepare(
        "SELECT id, name, email, relation, policy, consent_on, unsubscribed_at IS NOT NULL
           FROM guardians WHERE child_id = ?1 AND removed_at IS NULL ORDER BY id",
    )?
    .query_map([child], |row| {
        Ok(GuardianSummary {
            id: row.get(0)?,
            name: row.get(1)?,
            email: row.get(2)?,
            relation: row.get(3)?,
            policy: row.get(4)?,
            consent_on: row.get(5)?,
            unsubscribed: row.get(6)?,
        })
    })?
    .collect::<std::result::Result<_, _>>()
    .map_err(StoreError::from)
}

/// The child of a guardian not removed, or `None`.
pub fn guardian_child(conn: &Connection, guardian: i64) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT child_id FROM guardians WHERE id = ?1 AND removed_at IS NULL",
            [guardian],
            |row| row.get(0),
        )
        .optional()?)
}

/// Records the day a guardian consented (given on paper after they were
/// registered): their mail starts with the next tap. Audited as
/// `guardian.consent`.
pub fn record_guardian_consent(
    conn: &Connection,
    guardian: i64,
    consent_on: Date,
    who: &str,
    now: Timestamp,
) -> Result<()> {
    let changed = conn.execute(
        "UPDATE guardians SET consent_on = ?1, consent_by = ?2 WHERE id = ?3 AND removed_at IS NULL",
        params![consent_on.to_string(), who, guardian],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound(format!(
            "guardian {guardian} does not exist"
        )));
    }
    record_admin(
        conn,
        who,
        "guardian.consent",
        &format!("guardian {guardian}: {consent_on}"),
        now,
    )
}

/// Removes a guardian: no more mail, and mail not yet sent is not sent.
/// Audited as `guardian.remove`.
pub fn remove_guardian(conn: &Connection, guardian: i64, who: &str, now: Timestamp) -> Result<()> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM guardians WHERE id = ?1 AND removed_at IS NULL")?
        .exists([guardian])?;
    if !exists {
        return Err(StoreError::NotFound(format!(
            "guardian {guardian} does not exist"
        )));
    }
    stop_guardian(conn, guardian, "removed_at", now)?;
    record_admin(
        conn,
        who,
        "guardian.remove",
        &format!("guardian {guardian}"),
        now,
    )
}

/// Sets `column` (removed_at or unsubscribed_at) of a guardian and drops
/// their mail not yet sent.
fn stop_guardian(conn: &Connection, guardian: i64, column: &str, now: Timestamp) -> Result<()> {
    conn.execute(
        &format!("UPDATE guardians SET {column} = ?1 WHERE id = ?2 AND {column} IS NULL"),
        params![ms(now), guardian],
    )?;
    conn.execute(
        "UPDATE outbox SET state = 'failed', last_error = 'unsubscribed' WHERE guardian_id = ?1 AND state = 'pending'",
        [guardian],
    )?;
    Ok(())
}

/// Looks up a guardian's unsubscribe token; with `stop`, stops their mail.
/// `None`: no such token. The same link as the family mails
/// ([`super::people::unsubscribe`] falls back to this).
pub(crate) fn unsubscribe_guardian(
    conn: &Connection,
    token: &str,
    stop: bool,
    now: Timestamp,
) -> Result<Option<Subscription>> {
    let found: Option<(i64, String, String, Option<i64>)> = conn
        .query_row(
            "SELECT g.id, g.name, c.name, g.unsubscribed_at FROM guardians g
               JOIN children c ON c.id = g.child_id
              WHERE g.unsubscribe_token = ?1",
            [token],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .optional()?;
    let Some((id, guardian, child, stopped_at)) = found else {
        return Ok(None);
    };
    if stop && stopped_at.is_none() {
        stop_guardian(conn, id, "unsubscribed_at", now)?;
    }
    Ok(Some(Subscription {
        contact: guardian,
        resident: child,
        stopped: stop || stopped_at.is_some(),
    }))
}
