//! Administration beyond what [`super::admin`] and [`super::people`] do
//! for the command line: a box's new token, cards listed and unbound,
//! notices listed and retired, staff changed, disabled and enabled, family
//! contacts removed. The dashboard's admin pages and the command line call
//! these same functions.

use jiff::Timestamp;
use rand::RngCore as _;
use rusqlite::{Connection, OptionalExtension as _, params};

use super::people::Role;
use super::sync::token_hash;
use super::{Result, StoreError, box_of, from_ms, ms, touch_box};

/// Gives a registered box a new token (a lost or leaked one, or after a
/// revocation): the old token stops working, the box is active again.
/// Returns the token, which is shown once and stored only as a hash.
pub fn new_box_token(conn: &Connection, device_id: &str) -> Result<String> {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("mmb_{}", hex::encode(secret));
    let changed = conn.execute(
        "UPDATE boxes SET token_hash = ?1, revoked_at = NULL WHERE device_id = ?2",
        params![&token_hash(&token)[..], device_id],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound(format!("no box {device_id}")));
    }
    Ok(token)
}

/// A card bound to a resident.
#[derive(Debug, Clone)]
pub struct Card {
    /// Its id.
    pub id: i64,
    /// `jpki` or `card_uid`.
    pub kind: String,
    /// The certificate's fingerprint or the UID, in hex.
    pub key: String,
    /// The certificate's last valid day (JPKI).
    pub not_after: Option<Timestamp>,
    /// When it was bound.
    pub created_at: Timestamp,
}

/// A resident's cards.
pub fn cards(conn: &Connection, resident: i64) -> Result<Vec<Card>> {
    conn.prepare_cached(
        "SELECT id, kind, coalesce(fingerprint, uid), not_after, created_at FROM cards
          WHERE resident_id = ?1 ORDER BY id",
    )?
    .query_map([resident], |row| {
        Ok(Card {
            id: row.get(0)?,
            kind: row.get(1)?,
            key: hex::encode_upper(row.get::<_, Vec<u8>>(2)?),
            not_after: row.get::<_, Option<i64>>(3)?.map(from_ms),
            created_at: from_ms(row.get(4)?),
        })
    })?
    .collect::<std::result::Result<_, _>>()
    .map_err(StoreError::from)
}

/// Unbinds a card (lost, replaced): the resident's box forgets it at its
/// next sync. Returns the resident it was bound to.
pub fn unbind_card(conn: &Connection, card: i64) -> Result<i64> {
    let resident: i64 = conn
        .query_row(
            "SELECT resident_id FROM cards WHERE id = ?1",
            [card],
            |row| row.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("card {card} does not exist")))?;
    conn.execute("DELETE FROM cards WHERE id = ?1", [card])?;
    super::touch_people(conn)?;
    touch_box(conn, box_of(conn, resident)?)?;
    Ok(resident)
}

/// A notice as listed.
#[derive(Debug, Clone)]
pub struct NoticeRow {
    /// Its id.
    pub id: i64,
    /// One line.
    pub title: String,
    /// The text.
    pub body: String,
    /// First day shown.
    pub published_on: String,
    /// Last day shown.
    pub expires_on: Option<String>,
    /// Also on the standby screen.
    pub important: bool,
    /// When it was retired.
    pub withdrawn_at: Option<Timestamp>,
}

/// Every notice, newest first.
pub fn notices(conn: &Connection) -> Result<Vec<NoticeRow>> {
    conn.prepare(
        "SELECT id, title, body, published_on, expires_on, important, withdrawn_at FROM notices
          ORDER BY id DESC",
    )?
    .query_map([], |row| {
        Ok(NoticeRow {
            id: row.get(0)?,
            title: row.get(1)?,
            body: row.get(2)?,
            published_on: row.get(3)?,
            expires_on: row.get(4)?,
            important: row.get(5)?,
            withdrawn_at: row.get::<_, Option<i64>>(6)?.map(from_ms),
        })
    })?
    .collect::<std::result::Result<_, _>>()
    .map_err(StoreError::from)
}

/// Retires a notice: boxes stop showing it at their next sync.
pub fn retire_notice(conn: &Connection, notice: i64, now: Timestamp) -> Result<()> {
    let changed = conn.execute(
        "UPDATE notices SET withdrawn_at = ?1 WHERE id = ?2 AND withdrawn_at IS NULL",
        params![ms(now), notice],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound(format!("no current notice {notice}")));
    }
    conn.execute(
        "UPDATE counters SET value = value + 1 WHERE name = 'notices_rev'",
        [],
    )?;
    Ok(())
}

/// A staff member as the admin page lists them.
#[derive(Debug, Clone)]
pub struct StaffRow {
    /// Their id.
    pub id: i64,
    /// Login name.
    pub login: String,
    /// Full name.
    pub name: String,
    /// nurse or admin.
    pub role: String,
    /// Districts.
    pub districts: Vec<String>,
    /// Where alert mail goes.
    pub email: String,
    /// Whether a password is set.
    pub has_password: bool,
    /// Whether a TOTP secret is enrolled.
    pub has_totp: bool,
    /// When the account was disabled.
    pub disabled_at: Option<Timestamp>,
}

/// Every staff member, disabled ones included.
pub fn staff(conn: &Connection) -> Result<Vec<StaffRow>> {
    conn.prepare(
        "SELECT id, login, name, role, districts, email, password_hash IS NOT NULL,
                totp_secret IS NOT NULL, disabled_at
           FROM staff ORDER BY disabled_at IS NOT NULL, login",
    )?
    .query_map([], |row| {
        Ok(StaffRow {
            id: row.get(0)?,
            login: row.get(1)?,
            name: row.get(2)?,
            role: row.get(3)?,
            districts: serde_json::from_str(&row.get::<_, String>(4)?).unwrap_or_default(),
            email: row.get(5)?,
            has_password: row.get(6)?,
            has_totp: row.get(7)?,
            disabled_at: row.get::<_, Option<i64>>(8)?.map(from_ms),
        })
    })?
    .collect::<std::result::Result<_, _>>()
    .map_err(StoreError::from)
}

/// Changes a staff member's role and districts; their sessions end, so
/// that what they may see changes at once.
pub fn set_role(conn: &Connection, login: &str, role: Role, districts: &[String]) -> Result<()> {
    if role == Role::Nurse && districts.is_empty() {
        return Err(StoreError::Invalid(
            "a nurse needs at least one district".into(),
        ));
    }
    let districts =
        serde_json::to_string(districts).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let changed = conn.execute(
        "UPDATE staff SET role = ?1, districts = ?2 WHERE login = ?3",
        params![
            if role == Role::Admin {
                "admin"
            } else {
                "nurse"
            },
            districts,
            login
        ],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound(format!("no staff login {login}")));
    }
    end_sessions(conn, login)
}

fn end_sessions(conn: &Connection, login: &str) -> Result<()> {
    conn.execute(
        "DELETE FROM sessions WHERE staff_id = (SELECT id FROM staff WHERE login = ?1)",
        [login],
    )?;
    Ok(())
}

/// Disables an account: it can no longer sign in, its sessions end; its
/// history (audit rows, visits) stays. `false` enables it again.
pub fn set_disabled(conn: &Connection, login: &str, disabled: bool, now: Timestamp) -> Result<()> {
    let changed = conn.execute(
        "UPDATE staff SET disabled_at = CASE WHEN ?1 THEN coalesce(disabled_at, ?2) END
          WHERE login = ?3",
        params![disabled, ms(now), login],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound(format!("no staff login {login}")));
    }
    // Alerts assigned to someone who left go back to the queue.
    if disabled {
        conn.execute(
            "UPDATE alerts SET assigned_to = NULL
              WHERE state != 'resolved' AND assigned_to = (SELECT id FROM staff WHERE login = ?1)",
            [login],
        )?;
    }
    end_sessions(conn, login)
}

/// Removes a family contact: no more mail (queued mail is dropped), gone
/// from the lists; what was sent and their consent records stay on file.
/// Returns the resident.
pub fn remove_family(conn: &Connection, contact: i64, now: Timestamp) -> Result<i64> {
    let resident: i64 = conn
        .query_row(
            "SELECT resident_id FROM family_contacts WHERE id = ?1 AND removed_at IS NULL",
            [contact],
            |row| row.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("no family contact {contact}")))?;
    conn.execute(
        "UPDATE family_contacts SET removed_at = ?1 WHERE id = ?2",
        params![ms(now), contact],
    )?;
    conn.execute(
        "UPDATE outbox SET state = 'failed', last_error = 'removed'
          WHERE contact_id = ?1 AND state = 'pending'",
        [contact],
    )?;
    Ok(resident)
}

/// The resident a family contact belongs to (`None`: no such contact).
pub fn family_owner(conn: &Connection, contact: i64) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT resident_id FROM family_contacts WHERE id = ?1 AND removed_at IS NULL",
            [contact],
            |row| row.get(0),
        )
        .optional()?)
}

/// Each box's last heartbeat (or last sync, when later or without one),
/// by device id.
pub fn last_heard(conn: &Connection) -> Result<std::collections::HashMap<String, Timestamp>> {
    conn.prepare(
        "SELECT b.device_id,
                max(coalesce((SELECT max(h.at) FROM heartbeats h WHERE h.box_id = b.id), 0),
                    coalesce(b.last_contact_at, 0))
           FROM boxes b",
    )?
    .query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
    })?
    .filter_map(|r| match r {
        Ok((_, 0)) => None,
        Ok((device, at)) => Some(Ok((device, from_ms(at)))),
        Err(e) => Some(Err(StoreError::from(e))),
    })
    .collect()
}

/// A resident's particulars as the admin page edits them.
#[derive(Debug, Clone)]
pub struct Particulars {
    /// 氏名.
    pub name: String,
    /// ふりがな.
    pub kana: String,
    /// 地区.
    pub district: String,
    /// 住所.
    pub address: String,
    /// 電話番号.
    pub phone: String,
    /// 生年月日.
    pub birth_date: Option<String>,
    /// Their box.
    pub box_device: Option<String>,
    /// Paused through this day.
    pub paused_through: Option<String>,
    /// Why paused.
    pub pause_reason: Option<String>,
    /// What the TV asks and when.
    pub care_plan: mimamori_protocol::CarePlan,
}

/// A resident's particulars (`None`: no such resident).
pub fn particulars(conn: &Connection, resident: i64) -> Result<Option<Particulars>> {
    Ok(conn
        .query_row(
            "SELECT r.name, r.kana, r.district, r.address, r.phone, r.birth_date, b.device_id,
                    r.paused_through, r.pause_reason, r.care_plan
               FROM residents r LEFT JOIN boxes b ON b.id = r.box_id WHERE r.id = ?1",
            [resident],
            |row| {
                Ok(Particulars {
                    name: row.get(0)?,
                    kana: row.get(1)?,
                    district: row.get(2)?,
                    address: row.get(3)?,
                    phone: row.get(4)?,
                    birth_date: row.get(5)?,
                    box_device: row.get(6)?,
                    paused_through: row.get(7)?,
                    pause_reason: row.get(8)?,
                    care_plan: serde_json::from_str(&row.get::<_, String>(9)?).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(
                            9,
                            rusqlite::types::Type::Text,
                            Box::new(e),
                        )
                    })?,
                })
            },
        )
        .optional()?)
}
