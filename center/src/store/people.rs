//! The people around a resident: family contacts who get mail, and the
//! center's staff (nurses and administrators) with their districts.

use jiff::Timestamp;
use mimamori_protocol::TimeOfDay;
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::Serialize;

use super::{Result, StoreError, from_ms, ms, outbox};
use crate::config::Config;

/// What a family contact wants to receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FamilyPolicy {
    /// A mail for every check-in.
    EveryCheckIn,
    /// One mail a day with the week as a table.
    DailyDigest,
    /// Only when an alert opens.
    ConcernsOnly,
}

impl FamilyPolicy {
    /// The name in the database and the CLI.
    pub fn as_str(&self) -> &'static str {
        match self {
            FamilyPolicy::EveryCheckIn => "every_check_in",
            FamilyPolicy::DailyDigest => "daily_digest",
            FamilyPolicy::ConcernsOnly => "concerns_only",
        }
    }
}

impl std::str::FromStr for FamilyPolicy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "every_check_in" | "毎回" => Ok(FamilyPolicy::EveryCheckIn),
            "daily_digest" | "毎日まとめて" => Ok(FamilyPolicy::DailyDigest),
            "concerns_only" | "気になる時だけ" => Ok(FamilyPolicy::ConcernsOnly),
            _ => Err(format!(
                "`{text}` is not a policy; one of every_check_in (毎回), daily_digest (毎日まとめて), concerns_only (気になる時だけ)"
            )),
        }
    }
}

/// A light check of an email address: one `@`, something before it, a dot
/// in the domain, no spaces. The mail server has the last word.
pub fn check_email(email: &str) -> Result<()> {
    let bad = || StoreError::Invalid(format!("`{email}` is not an email address"));
    let (local, domain) = email.split_once('@').ok_or_else(bad)?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok { Ok(()) } else { Err(bad()) }
}

/// Adds a family contact to a resident; returns its id.
pub fn add_family(
    conn: &Connection,
    resident: i64,
    name: &str,
    email: &str,
    relation: &str,
    policy: FamilyPolicy,
    now: Timestamp,
) -> Result<i64> {
    check_email(email)?;
    if name.trim().is_empty() {
        return Err(StoreError::Invalid(
            "the contact's name must not be empty".into(),
        ));
    }
    let exists = conn
        .prepare_cached("SELECT 1 FROM residents WHERE id = ?1")?
        .exists([resident])?;
    if !exists {
        return Err(StoreError::NotFound(format!(
            "resident {resident} does not exist"
        )));
    }
    conn.execute(
        "INSERT INTO family_contacts (resident_id, name, email, relation, policy, created_at, unsubscribe_token)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, lower(hex(randomblob(16))))",
        params![
            resident,
            name.trim(),
            email,
            relation,
            policy.as_str(),
            ms(now)
        ],
    )?;
    let id = conn.last_insert_rowid();
    // Until a consent is recorded, a contact sees everything the resident
    // shares (the long-standing default); the record says so.
    super::consent::record(
        conn,
        &jiff::tz::TimeZone::UTC,
        &super::consent::NewConsent {
            resident,
            audience: super::consent::Audience::Family(id),
            action: super::consent::ConsentAction::Set,
            items: outbox::StoredConsent::default(),
            agreed_on: now.to_zoned(jiff::tz::TimeZone::UTC).date(),
            note: "登録時の既定（すべて共有）".into(),
            recorded_by: "registration".into(),
            staff_id: None,
        },
        now,
    )?;
    Ok(id)
}

/// A family contact as listed (the admin CLI and the dashboard).
#[derive(Debug, Serialize)]
pub struct FamilyContact {
    /// Its id.
    pub id: i64,
    /// The resident.
    pub resident: i64,
    /// The contact's name.
    pub name: String,
    /// Where mail goes.
    pub email: String,
    /// 続柄, e.g. 長女.
    pub relation: String,
    /// What they receive.
    pub policy: String,
    /// When their daily digest goes out (local time, HH:MM).
    pub digest_at: String,
    /// What they may see: `all`, `none` or a list.
    pub consent: String,
    /// Whether they stopped their mail (the unsubscribe link).
    pub unsubscribed: bool,
    /// "This family address bounces": mail to it fails.
    pub bounce: Option<outbox::Bounce>,
}

/// Family contacts, of one resident or of all, each with whether its
/// address bounces.
pub fn list_family(conn: &Connection, resident: Option<i64>) -> Result<Vec<FamilyContact>> {
    let rows: Vec<(FamilyContact, String)> = conn
        .prepare(
            "SELECT id, resident_id, name, email, relation, policy, digest_at, consent, unsubscribed_at
               FROM family_contacts WHERE (?1 IS NULL OR resident_id = ?1) AND removed_at IS NULL
              ORDER BY resident_id, id",
        )?
        .query_map([resident], |row| {
            Ok((
                FamilyContact {
                    id: row.get(0)?,
                    resident: row.get(1)?,
                    name: row.get(2)?,
                    email: row.get(3)?,
                    relation: row.get(4)?,
                    policy: row.get(5)?,
                    digest_at: row.get(6)?,
                    consent: String::new(),
                    unsubscribed: row.get::<_, Option<i64>>(8)?.is_some(),
                    bounce: None,
                },
                row.get::<_, String>(7)?,
            ))
        })?
        .collect::<std::result::Result<_, _>>()?;
    rows.into_iter()
        .map(|(mut contact, consent)| {
            let consent: outbox::StoredConsent = serde_json::from_str(&consent).map_err(|e| {
                StoreError::Invalid(format!(
                    "family contact {}: stored consent: {e}",
                    contact.id
                ))
            })?;
            contact.consent = consent.describe();
            contact.bounce = outbox::contact_bounce(conn, contact.id)?;
            Ok(contact)
        })
        .collect()
}

/// Changes to a family contact; `None` leaves a setting as it is.
#[derive(Debug, Default, Clone)]
pub struct FamilyChanges {
    /// A new name.
    pub name: Option<String>,
    /// A new address.
    pub email: Option<String>,
    /// A new 続柄.
    pub relation: Option<String>,
    /// What they receive.
    pub policy: Option<FamilyPolicy>,
    /// When their daily digest goes out (local time).
    pub digest_at: Option<TimeOfDay>,
    /// What they may see.
    pub consent: Option<outbox::StoredConsent>,
    /// Start their mail again after they unsubscribed (on their request).
    pub resubscribe: bool,
    /// Who records a consent change (`cli` from the command line).
    pub recorded_by: String,
}

/// Changes a family contact. Mail still queued for them follows the new
/// address, name and consent; a new digest time never makes a second
/// digest on a day that already had one.
pub fn edit_family(
    conn: &Connection,
    config: &Config,
    contact: i64,
    changes: &FamilyChanges,
    now: Timestamp,
) -> Result<()> {
    let old_next: Option<Option<i64>> = conn
        .query_row(
            "SELECT next_digest_at FROM family_contacts WHERE id = ?1",
            [contact],
            |row| row.get(0),
        )
        .optional()?;
    let Some(old_next) = old_next else {
        return Err(StoreError::NotFound(format!(
            "family contact {contact} does not exist"
        )));
    };
    if let Some(name) = &changes.name {
        if name.trim().is_empty() {
            return Err(StoreError::Invalid(
                "the contact's name must not be empty".into(),
            ));
        }
        conn.execute(
            "UPDATE family_contacts SET name = ?1 WHERE id = ?2",
            params![name.trim(), contact],
        )?;
        pending_set(conn, contact, "$.contact.name", name.trim())?;
    }
    if let Some(email) = &changes.email {
        check_email(email)?;
        conn.execute(
            "UPDATE family_contacts SET email = ?1 WHERE id = ?2",
            params![email, contact],
        )?;
        pending_set(conn, contact, "$.contact.email", email)?;
        conn.execute(
            "UPDATE outbox SET recipient = ?1 WHERE contact_id = ?2 AND state = 'pending'",
            params![email, contact],
        )?;
    }
    if let Some(relation) = &changes.relation {
        conn.execute(
            "UPDATE family_contacts SET relation = ?1 WHERE id = ?2",
            params![relation, contact],
        )?;
    }
    if let Some(policy) = changes.policy {
        conn.execute(
            "UPDATE family_contacts SET policy = ?1 WHERE id = ?2",
            params![policy.as_str(), contact],
        )?;
    }
    if let Some(time) = changes.digest_at {
        let next = outbox::reschedule_digest(old_next.map(from_ms), time, now, &config.time_zone)?;
        conn.execute(
            "UPDATE family_contacts SET digest_at = ?1, next_digest_at = ?2 WHERE id = ?3",
            params![time.to_string(), next.map(ms), contact],
        )?;
    }
    if let Some(consent) = changes.consent {
        // The consent record is the source of truth; it updates the
        // contact and the mail still queued.
        let resident: i64 = conn.query_row(
            "SELECT resident_id FROM family_contacts WHERE id = ?1",
            [contact],
            |row| row.get(0),
        )?;
        super::consent::record(
            conn,
            &config.time_zone,
            &super::consent::NewConsent {
                resident,
                audience: super::consent::Audience::Family(contact),
                action: super::consent::ConsentAction::Set,
                items: consent,
                agreed_on: now.to_zoned(config.time_zone.clone()).date(),
                note: String::new(),
                recorded_by: changes.recorded_by.clone(),
                staff_id: None,
            },
            now,
        )?;
    }
    if changes.resubscribe {
        conn.execute(
            "UPDATE family_contacts SET unsubscribed_at = NULL WHERE id = ?1",
            [contact],
        )?;
    }
    Ok(())
}

/// Sets one text field in the payloads of mail still queued for `contact`.
fn pending_set(conn: &Connection, contact: i64, path: &str, value: &str) -> Result<()> {
    conn.execute(
        "UPDATE outbox SET payload = json_set(payload, ?1, ?2)
          WHERE contact_id = ?3 AND state = 'pending'",
        params![path, value, contact],
    )?;
    Ok(())
}

/// A staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A public health nurse: her districts only.
    Nurse,
    /// An administrator: everything.
    Admin,
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "nurse" | "保健師" => Ok(Role::Nurse),
            "admin" | "管理者" => Ok(Role::Admin),
            _ => Err(format!(
                "`{text}` is not a role; one of nurse (保健師), admin (管理者)"
            )),
        }
    }
}

/// Adds a staff member; returns their id.
pub fn add_staff(
    conn: &Connection,
    login: &str,
    name: &str,
    role: Role,
    districts: &[String],
    email: &str,
    now: Timestamp,
) -> Result<i64> {
    if login.is_empty()
        || !login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(StoreError::Invalid(format!(
            "`{login}` is not a login name: use letters, digits, . _ -"
        )));
    }
    if !email.is_empty() {
        check_email(email)?;
    }
    if role == Role::Nurse && districts.is_empty() {
        return Err(StoreError::Invalid(
            "a nurse needs at least one district (--districts)".into(),
        ));
    }
    let districts =
        serde_json::to_string(districts).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let inserted = conn.execute(
        "INSERT INTO staff (login, name, role, districts, email, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (login) DO NOTHING",
        params![login, name, if role == Role::Admin { "admin" } else { "nurse" }, districts, email, ms(now)],
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!(
            "staff login {login} already exists"
        )));
    }
    Ok(conn.last_insert_rowid())
}

/// A staff member as listed.
#[derive(Debug, Serialize)]
pub struct Staff {
    /// Login name.
    pub login: String,
    /// Full name.
    pub name: String,
    /// nurse or admin.
    pub role: String,
    /// Districts (a nurse sees only these).
    pub districts: Vec<String>,
    /// Where alert mail goes.
    pub email: String,
}

/// Every staff member.
pub fn list_staff(conn: &Connection) -> Result<Vec<Staff>> {
    conn.prepare("SELECT login, name, role, districts, email FROM staff ORDER BY login")?
        .query_map([], |row| {
            let districts: String = row.get(3)?;
            Ok(Staff {
                login: row.get(0)?,
                name: row.get(1)?,
                role: row.get(2)?,
                districts: serde_json::from_str(&districts).unwrap_or_default(),
                email: row.get(4)?,
            })
        })?
        .collect::<std::result::Result<_, _>>()
        .map_err(StoreError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses() {
        assert!(check_email("hanako@example.jp").is_ok());
        assert!(check_email("hanako.yamada+mimamori@mail.example.co.jp").is_ok());
        for bad in [
            "hanako",
            "@example.jp",
            "hanako@jp",
            "hanako@example.jp.",
            "han ako@example.jp",
            "a@b@c.jp",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }
}

/// Whose mail an unsubscribe token stops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscription {
    /// The family contact's name.
    pub contact: String,
    /// The resident they hear about.
    pub resident: String,
    /// Whether it has already been stopped.
    pub stopped: bool,
}

/// Looks up an unsubscribe token; with `stop`, stops the contact's mail
/// (again stopping a stopped one changes nothing). `None`: no such token.
pub fn unsubscribe(
    conn: &Connection,
    token: &str,
    stop: bool,
    now: Timestamp,
) -> Result<Option<Subscription>> {
    let found: Option<(i64, String, String, Option<i64>)> = conn
        .query_row(
            "SELECT f.id, f.name, r.name, f.unsubscribed_at FROM family_contacts f
               JOIN residents r ON r.id = f.resident_id
              WHERE f.unsubscribe_token = ?1",
            [token],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            other => Err(other),
        })?;
    let Some((id, contact, resident, stopped_at)) = found else {
        // Not a family contact's: perhaps a child's guardian's.
        return super::children::unsubscribe_guardian(conn, token, stop, now);
    };
    if stop && stopped_at.is_none() {
        conn.execute(
            "UPDATE family_contacts SET unsubscribed_at = ?1 WHERE id = ?2",
            params![ms(now), id],
        )?;
        // Mail not yet sent to them is not sent.
        conn.execute(
            "UPDATE outbox SET state = 'failed', last_error = 'unsubscribed' WHERE contact_id = ?1 AND state = 'pending'",
            [id],
        )?;
    }
    Ok(Some(Subscription {
        contact,
        resident,
        stopped: stop || stopped_at.is_some(),
    }))
}
