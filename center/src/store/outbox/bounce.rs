//! "This family address bounces": whether mail to a contact's current
//! address fails, for the dashboard and the `admin` commands.

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::store::{Result, from_ms};

/// Mail to a contact's current address that failed, since the last that
/// went through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bounce {
    /// Failed messages in a row (newest first, back to the last sent one).
    pub failed: u32,
    /// The error of the newest failure.
    pub last_error: String,
    /// When the first of those failed messages was queued (RFC 3339).
    pub since: String,
}

/// Whether `contact`'s address bounces: the newest message to its current
/// address that was sent or given up failed. Mail dropped because the
/// contact unsubscribed does not count, nor failures to an address since
/// corrected. `None`: it does not bounce (or nothing was sent yet).
pub fn contact_bounce(conn: &Connection, contact: i64) -> Result<Option<Bounce>> {
    let rows: Vec<(String, Option<String>, i64)> = conn
        .prepare_cached(
            "SELECT o.state, o.last_error, o.created_at
               FROM outbox o JOIN family_contacts c ON c.id = o.contact_id
              WHERE o.contact_id = ?1 AND o.recipient = c.email AND o.state IN ('sent', 'failed')
                AND (o.last_error IS NULL OR o.last_error != 'unsubscribed')
              ORDER BY o.id DESC LIMIT 1000",
        )?
        .query_map(params![contact], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?
        .collect::<std::result::Result<_, _>>()?;
    let mut bounce: Option<Bounce> = None;
    for (state, error, created_at) in rows {
        if state == "sent" {
            break;
        }
        let b = bounce.get_or_insert_with(|| Bounce {
            failed: 0,
            last_error: error.unwrap_or_default(),
            since: String::new(),
        });
        b.failed += 1;
        b.since = from_ms(created_at).to_string();
    }
    Ok(bounce)
}

/// A family contact whose address bounces.
#[derive(Debug, Clone, Serialize)]
pub struct FailingContact {
    /// The contact.
    pub contact: i64,
    /// The resident.
    pub resident: i64,
    /// The contact's name.
    pub name: String,
    /// The address that fails.
    pub email: String,
    /// How many messages to it failed in a row.
    pub failed: u32,
    /// The most recent failure's error.
    pub last_error: String,
}

/// Family contacts whose address bounces ([`contact_bounce`]), most
/// failures first. Reads only contacts with failed mail, through an index.
pub fn failing_contacts(conn: &Connection) -> Result<Vec<FailingContact>> {
    let candidates: Vec<(i64, i64, String, String)> = conn
        .prepare(
            "SELECT c.id, c.resident_id, c.name, c.email FROM family_contacts c
              WHERE c.removed_at IS NULL
                AND EXISTS (SELECT 1 FROM outbox o WHERE o.contact_id = c.id AND o.state = 'failed')
              ORDER BY c.id",
        )?
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<std::result::Result<_, _>>()?;
    let mut out = Vec::new();
    for (contact, resident, name, email) in candidates {
        if let Some(b) = contact_bounce(conn, contact)? {
            out.push(FailingContact {
                contact,
                resident,
                name,
                email,
                failed: b.failed,
                last_error: b.last_error,
            });
        }
    }
    out.sort_by(|a, b| b.failed.cmp(&a.failed).then(a.contact.cmp(&b.contact)));
    Ok(out)
}
