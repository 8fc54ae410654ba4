//! Consent records: what a resident agreed to share, with whom (a family
//! contact or the nurses), from which day, recorded by whom — and its
//! withdrawal. The table is append-only (triggers refuse changes); a
//! withdrawal is a new record.
//!
//! For a family contact, the latest record is the source of truth:
//! `family_contacts.consent`, which the mail reads, is written only here,
//! from the record just appended, together with the mail still queued for
//! that contact.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::Serialize;

use super::outbox::StoredConsent;
use super::{Result, StoreError, from_ms, ms};

/// Who a record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// One family contact (by id).
    Family(i64),
    /// The public health nurses (the dashboard).
    Nurses,
}

/// What a record does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentAction {
    /// The items are shared from now on (in addition to what was).
    Grant,
    /// The items are no longer shared.
    Withdraw,
    /// Exactly the items are shared (the command line's `--consent`).
    Set,
}

impl ConsentAction {
    fn as_str(self) -> &'static str {
        match self {
            ConsentAction::Grant => "grant",
            ConsentAction::Withdraw => "withdraw",
            ConsentAction::Set => "set",
        }
    }
}

/// The items one can share, as stored, with their Japanese labels.
pub const ITEMS: [(&str, &str); 5] = [
    ("condition", "体調"),
    ("symptoms", "症状とメモ"),
    ("medication", "服薬"),
    ("vitals", "測定値（血圧・体温・体重）"),
    ("call_request", "連絡希望"),
];

/// The Japanese label of an item.
pub fn item_label(item: &str) -> &str {
    ITEMS
        .iter()
        .find(|(key, _)| *key == item)
        .map_or(item, |(_, label)| label)
}

fn items_of(consent: &StoredConsent) -> Vec<&'static str> {
    [
        consent.condition,
        consent.symptoms,
        consent.medication,
        consent.vitals,
        consent.call_request,
    ]
    .iter()
    .zip(ITEMS)
    .filter(|(on, _)| **on)
    .map(|(_, (key, _))| key)
    .collect()
}

/// A consent to record.
#[derive(Debug, Clone)]
pub struct NewConsent {
    /// The resident who agreed.
    pub resident: i64,
    /// With whom.
    pub audience: Audience,
    /// Grant, withdraw or set.
    pub action: ConsentAction,
    /// The items the record names (as a [`StoredConsent`] of flags).
    pub items: StoredConsent,
    /// The day the resident said so.
    pub agreed_on: jiff::civil::Date,
    /// Free text (e.g. 「訪問時に口頭で」).
    pub note: String,
    /// Who recorded it: a staff login, or `cli`.
    pub recorded_by: String,
    /// The staff member's id, when recorded from the dashboard.
    pub staff_id: Option<i64>,
}

/// What is shared with an audience now (`None`: nothing was ever recorded).
pub fn current(
    conn: &Connection,
    resident: i64,
    audience: Audience,
) -> Result<Option<StoredConsent>> {
    let shared: Option<String> = match audience {
        Audience::Family(contact) => conn
            .query_row(
                "SELECT shared FROM consent_records WHERE contact_id = ?1 ORDER BY id DESC LIMIT 1",
                [contact],
                |row| row.get(0),
            )
            .optional()?,
        Audience::Nurses => conn
            .query_row(
                "SELECT shared FROM consent_records WHERE resident_id = ?1 AND contact_id IS NULL
                  ORDER BY id DESC LIMIT 1",
                [resident],
                |row| row.get(0),
            )
            .optional()?,
    };
    shared
        .map(|s| {
            serde_json::from_str(&s)
                .map_err(|e| StoreError::Invalid(format!("stored consent record: {e}")))
        })
        .transpose()
}

/// Appends a consent record; for a family contact, what their mail shows
/// follows at once (queued mail included). Returns the record's id.
pub fn record(
    conn: &Connection,
    tz: &jiff::tz::TimeZone,
    new: &NewConsent,
    now: Timestamp,
) -> Result<i64> {
    let named = items_of(&new.items);
    if named.is_empty() && new.action != ConsentAction::Set {
        return Err(StoreError::Invalid(
            "choose at least one item the consent is about".into(),
        ));
    }
    if new.agreed_on > now.to_zoned(tz.clone()).date() {
        return Err(StoreError::Invalid(format!(
            "the day of the agreement {} is in the future",
            new.agreed_on
        )));
    }
    let contact = match new.audience {
        Audience::Family(contact) => {
            let owner: Option<(i64, Option<i64>)> = conn
                .query_row(
                    "SELECT resident_id, removed_at FROM family_contacts WHERE id = ?1",
                    [contact],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            match owner {
                Some((resident, None)) if resident == new.resident => Some(contact),
                _ => {
                    return Err(StoreError::NotFound(format!(
                        "resident {} has no family contact {contact}",
                        new.resident
                    )));
                }
            }
        }
        Audience::Nurses => {
            let exists = conn
                .prepare_cached("SELECT 1 FROM residents WHERE id = ?1")?
                .exists([new.resident])?;
            if !exists {
                return Err(StoreError::NotFound(format!(
                    "resident {} does not exist",
                    new.resident
                )));
            }
            None
        }
    };
    let before = current(conn, new.resident, new.audience)?.unwrap_or(NOTHING);
    let flag = |was: bool, named: bool| match new.action {
        ConsentAction::Grant => was || named,
        ConsentAction::Withdraw => was && !named,
        ConsentAction::Set => named,
    };
    let shared = StoredConsent {
        condition: flag(before.condition, new.items.condition),
        symptoms: flag(before.symptoms, new.items.symptoms),
        medication: flag(before.medication, new.items.medication),
        vitals: flag(before.vitals, new.items.vitals),
        call_request: flag(before.call_request, new.items.call_request),
    };
    let shared_json =
        serde_json::to_string(&shared).map_err(|e| StoreError::Invalid(format!("consent: {e}")))?;
    let items_json =
        serde_json::to_string(&named).map_err(|e| StoreError::Invalid(format!("consent: {e}")))?;
    conn.execute(
        "INSERT INTO consent_records (resident_id, contact_id, action, items, shared, agreed_on, note,
                                      recorded_at, recorded_by, staff_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            new.resident,
            contact,
            new.action.as_str(),
            items_json,
            shared_json,
            new.agreed_on.to_string(),
            new.note.trim(),
            ms(now),
            new.recorded_by,
            new.staff_id
        ],
    )?;
    let id = conn.last_insert_rowid();
    if let Some(contact) = contact {
        conn.execute(
            "UPDATE family_contacts SET consent = ?1 WHERE id = ?2",
            params![shared_json, contact],
        )?;
        conn.execute(
            "UPDATE outbox SET payload = json_set(payload, '$.contact.consent', json(?1))
              WHERE contact_id = ?2 AND state = 'pending'",
            params![shared_json, contact],
        )?;
    }
    Ok(id)
}

const NOTHING: StoredConsent = StoredConsent {
    condition: false,
    symptoms: false,
    medication: false,
    vitals: false,
    call_request: false,
};

/// One consent record as shown.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentRecord {
    /// Its id.
    pub id: i64,
    /// The family contact (`None`: the nurses).
    pub contact: Option<i64>,
    /// The contact's name (or 「保健師」).
    pub audience: String,
    /// grant, withdraw or set.
    pub action: String,
    /// The items the record names.
    pub items: Vec<String>,
    /// What is shared with the audience after it.
    pub shared: Vec<String>,
    /// The day the resident said so.
    pub agreed_on: String,
    /// Free text.
    pub note: String,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: String,
}

/// A resident's consent records, newest first.
pub fn history(conn: &Connection, resident: i64) -> Result<Vec<ConsentRecord>> {
    let rows: Vec<(ConsentRecord, String, String)> = conn
        .prepare(
            "SELECT c.id, c.contact_id, coalesce(f.name, '保健師'), c.action, c.items, c.shared,
                    c.agreed_on, c.note, c.recorded_at, c.recorded_by
               FROM consent_records c LEFT JOIN family_contacts f ON f.id = c.contact_id
              WHERE c.resident_id = ?1 ORDER BY c.id DESC",
        )?
        .query_map([resident], |row| {
            Ok((
                ConsentRecord {
                    id: row.get(0)?,
                    contact: row.get(1)?,
                    audience: row.get(2)?,
                    action: row.get(3)?,
                    items: Vec::new(),
                    shared: Vec::new(),
                    agreed_on: row.get(6)?,
                    note: row.get(7)?,
                    recorded_at: from_ms(row.get(8)?),
                    recorded_by: row.get(9)?,
                },
                row.get(4)?,
                row.get(5)?,
            ))
        })?
        .collect::<std::result::Result<_, _>>()?;
    rows.into_iter()
        .map(|(mut record, items, shared)| {
            let bad = |e: serde_json::Error| {
                StoreError::Invalid(format!("consent record {}: {e}", record.id))
            };
            record.items = serde_json::from_str(&items).map_err(bad)?;
            let shared: StoredConsent = serde_json::from_str(&shared).map_err(bad)?;
            record.shared = items_of(&shared).into_iter().map(str::to_owned).collect();
            Ok(record)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_from_before_the_records_get_a_first_record_of_what_they_saw() {
        let migrations = super::super::schema::MIGRATIONS;
        let at = migrations
            .iter()
            .position(|m| m.contains("CREATE TABLE consent_records"))
            .unwrap();
        let conn = Connection::open_in_memory().unwrap();
        for sql in &migrations[..at] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO residents (id, name, kana, district, care_plan, watched_since, created_at)
             VALUES (1, '山田 花子', 'やまだ はなこ', '東町', '{}', 0, 0);
             INSERT INTO family_contacts (id, resident_id, name, email, relation, policy, created_at, consent)
             VALUES (1, 1, '山田 一郎', 'i@example.jp', '長男', 'daily_digest', 1764374400000, '{}'),
                    (2, 1, '山田 次郎', 'j@example.jp', '次男', 'daily_digest', 1764374400000,
                     '{\"vitals\":false,\"symptoms\":false}');",
        )
        .unwrap();
        for sql in &migrations[at..] {
            conn.execute_batch(sql).unwrap();
        }
        let all = current(&conn, 1, Audience::Family(1)).unwrap().unwrap();
        assert_eq!(all, StoredConsent::default());
        let some = current(&conn, 1, Audience::Family(2)).unwrap().unwrap();
        assert_eq!(some.describe(), "condition,medication,call_request");
        let history = history(&conn, 1).unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].agreed_on, "2025-11-29");
        assert_eq!(history[0].recorded_by, "migration");
        assert_eq!(current(&conn, 1, Audience::Nurses).unwrap(), None);
    }

    fn store_with_a_contact() -> (tempfile::TempDir, Connection, i64, i64) {
        let dir = tempfile::tempdir().unwrap();
        let conn = super::super::open(&dir.path().join("c.sqlite3")).unwrap();
        let now: Timestamp = "2026-11-29T00:00:00Z".parse().unwrap();
        conn.execute_batch(
            "INSERT INTO residents (id, name, kana, district, care_plan, watched_since, created_at)
             VALUES (1, '山田 花子', 'やまだ はなこ', '東町', '{}', 0, 0);",
        )
        .unwrap();
        let contact = super::super::people::add_family(
            &conn,
            1,
            "山田 一郎",
            "i@example.jp",
            "長男",
            super::super::people::FamilyPolicy::DailyDigest,
            now,
        )
        .unwrap();
        (dir, conn, 1, contact)
    }

    fn only(item: &str) -> StoredConsent {
        StoredConsent::parse(item).unwrap()
    }

    #[test]
    fn withdrawals_and_grants_change_only_the_named_items_of_one_audience() {
        let (_dir, conn, resident, contact) = store_with_a_contact();
        let tz = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
        let now: Timestamp = "2026-11-29T03:00:00Z".parse().unwrap();
        let new = |audience, action, items| NewConsent {
            resident,
            audience,
            action,
            items,
            agreed_on: "2026-11-29".parse().unwrap(),
            note: String::new(),
            recorded_by: "sato".into(),
            staff_id: None,
        };
        let family = Audience::Family(contact);
        record(
            &conn,
            &tz,
            &new(family, ConsentAction::Withdraw, only("vitals,symptoms")),
            now,
        )
        .unwrap();
        let stored: String = conn
            .query_row("SELECT consent FROM family_contacts", [], |r| r.get(0))
            .unwrap();
        let stored: StoredConsent = serde_json::from_str(&stored).unwrap();
        assert_eq!(stored.describe(), "condition,medication,call_request");
        record(
            &conn,
            &tz,
            &new(family, ConsentAction::Grant, only("vitals")),
            now,
        )
        .unwrap();
        assert_eq!(
            current(&conn, resident, family)
                .unwrap()
                .unwrap()
                .describe(),
            "condition,medication,vitals,call_request"
        );
        // The nurses' records are their own.
        record(
            &conn,
            &tz,
            &new(Audience::Nurses, ConsentAction::Grant, only("condition")),
            now,
        )
        .unwrap();
        assert_eq!(
            current(&conn, resident, Audience::Nurses)
                .unwrap()
                .unwrap()
                .describe(),
            "condition"
        );
        assert_eq!(history(&conn, resident).unwrap().len(), 4);

        // Refused: nothing named, a day in the future, someone else's contact.
        let mut nothing = new(family, ConsentAction::Withdraw, only("none"));
        assert!(record(&conn, &tz, &nothing, now).is_err());
        nothing.items = only("vitals");
        nothing.agreed_on = "2026-11-30".parse().unwrap();
        assert!(record(&conn, &tz, &nothing, now).is_err());
        let mut stranger = new(family, ConsentAction::Grant, only("vitals"));
        stranger.resident = 2;
        assert!(matches!(
            record(&conn, &tz, &stranger, now),
            Err(StoreError::NotFound(_))
        ));
        // The records cannot be changed afterwards.
        let error = conn
            .execute("UPDATE consent_records SET shared = '{}'", [])
            .unwrap_err()
            .to_string();
        assert!(error.contains("append-only"), "{error}");
        assert!(conn.execute("DELETE FROM consent_records", []).is_err());
        assert_eq!(history(&conn, resident).unwrap().len(), 4);
    }

    #[test]
    fn items_follow_the_flags_in_order() {
        let c = StoredConsent {
            condition: true,
            symptoms: false,
            medication: true,
            vitals: false,
            call_request: true,
        };
        assert_eq!(items_of(&c), ["condition", "medication", "call_request"]);
        assert_eq!(item_label("vitals"), "測定値（血圧・体温・体重）");
        assert_eq!(item_label("unknown"), "unknown");
    }
}
