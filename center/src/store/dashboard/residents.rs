//! Residents as the dashboard shows them: a list sorted by risk, and one
//! resident's record (every look at it audited).

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension as _, params};

use super::super::{Result, StoreError, from_ms};
use super::{Viewer, audit};

/// Which residents to list.
#[derive(Debug, Clone, Default)]
pub struct ResidentFilter {
    /// Part of the name or the kana (katakana is matched as hiragana too).
    pub query: String,
    /// Only this district.
    pub district: Option<String>,
    /// `alert` (has an open alert), `paused`, `quiet` (no alert, not paused).
    pub status: Option<String>,
    /// Only this resident.
    pub only: Option<i64>,
    /// At most this many.
    pub limit: u32,
    /// Rows skipped first (paging).
    pub offset: u32,
}

/// A resident in the list.
#[derive(Debug, Clone)]
pub struct ResidentRow {
    /// Id.
    pub id: i64,
    /// 氏名.
    pub name: String,
    /// ふりがな.
    pub kana: String,
    /// 地区.
    pub district: String,
    /// Paused through this day.
    pub paused_through: Option<String>,
    /// The latest check-in.
    pub last_check_in_at: Option<Timestamp>,
    /// Unresolved alerts.
    pub open_alerts: u32,
    /// Highest severity among them (0: none).
    pub severity: u8,
    /// Whether one of them escalated.
    pub escalated: bool,
}

/// Katakana turned into hiragana, so that either finds the stored kana.
pub fn to_hiragana(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Residents the viewer may see, riskiest first: escalated alerts, then
/// the most severe open alert, then the longest silence.
pub fn list(
    conn: &Connection,
    viewer: &Viewer,
    filter: &ResidentFilter,
) -> Result<Vec<ResidentRow>> {
    let query = filter.query.trim();
    let like = format!("%{}%", query.replace(['%', '_'], ""));
    let kana_like = format!("%{}%", to_hiragana(query).replace(['%', '_'], ""));
    // The few residents with unresolved alerts are summed up first; the
    // residents are then read once, sorted and cut by SQLite.
    // Severity as in domain::AlertKind::severity.
    conn.prepare_cached(
        "WITH open AS (
             SELECT resident_id, COUNT(*) AS n,
                    MAX(CASE kind WHEN 'sos' THEN 5 WHEN 'room_heat' THEN 4
                             WHEN 'call_requested' THEN 3 WHEN 'vitals' THEN 3
                             WHEN 'missed' THEN 2 WHEN 'declining' THEN 2 ELSE 1 END) AS severity,
                    MAX(state = 'open' AND escalated_at IS NOT NULL) AS escalated
               FROM alerts WHERE state != 'resolved' GROUP BY resident_id)
         SELECT r.id, r.name, r.kana, r.district, r.paused_through, r.last_check_in_at,
                COALESCE(o.n, 0), COALESCE(o.severity, 0), COALESCE(o.escalated, 0)
           FROM residents r LEFT JOIN open o ON o.resident_id = r.id
          WHERE (?1 IS NULL OR r.district IN (SELECT value FROM json_each(?1)))
            AND (?2 IS NULL OR r.district = ?2)
            AND (?3 = '%%' OR r.name LIKE ?3 OR r.kana LIKE ?3 OR r.kana LIKE ?4)
            AND (?5 IS NULL
                 OR (?5 = 'alert' AND o.n > 0)
                 OR (?5 = 'paused' AND r.paused_through IS NOT NULL)
                 OR (?5 = 'quiet' AND o.n IS NULL AND r.paused_through IS NULL))
            AND (?6 IS NULL OR r.id = ?6)
          ORDER BY COALESCE(o.escalated, 0) DESC, COALESCE(o.severity, 0) DESC,
                   r.last_check_in_at IS NOT NULL, r.last_check_in_at, r.kana, r.id
          LIMIT ?7 OFFSET ?8",
    )?
    .query_map(
        params![
            viewer.districts_json(),
            filter.district,
            like,
            kana_like,
            filter.status,
            filter.only,
            filter.limit,
            filter.offset
        ],
        |row| {
            Ok(ResidentRow {
                id: row.get(0)?,
                name: row.get(1)?,
                kana: row.get(2)?,
                district: row.get(3)?,
                paused_through: row.get(4)?,
                last_check_in_at: row.get::<_, Option<i64>>(5)?.map(from_ms),
                open_alerts: row.get(6)?,
                severity: row.get(7)?,
                escalated: row.get(8)?,
            })
        },
    )?
    .collect::<std::result::Result<Vec<_>, _>>()
    .map_err(StoreError::from)
}

/// Districts the viewer may filter by.
pub fn districts(conn: &Connection, viewer: &Viewer) -> Result<Vec<String>> {
    conn.prepare_cached("SELECT DISTINCT district FROM residents ORDER BY district")?
        .query_map([], |row| row.get::<_, String>(0))?
        .filter(|d| d.as_ref().map_or(true, |d| viewer.may_see(d)))
        .collect::<std::result::Result<_, _>>()
        .map_err(StoreError::from)
}

/// One day's check-in, as charts and tables need it.
#[derive(Debug, Clone)]
pub struct DayRecord {
    /// When.
    pub at: Timestamp,
    /// The resident's calendar day.
    pub date: Date,
    /// `good`, `fair` or `poor`.
    pub condition: String,
    /// mmHg.
    pub systolic: Option<i64>,
    /// mmHg.
    pub diastolic: Option<i64>,
    /// Tenths of a kilogram.
    pub weight: Option<i64>,
    /// Tenths of a degree.
    pub temperature: Option<i64>,
    /// Asked for a call.
    pub call_requested: bool,
    /// Medication slots answered "taken".
    pub medication_taken: u32,
    /// Medication slots answered at all.
    pub medication_asked: u32,
}

/// An alert of the resident, with its visit.
#[derive(Debug, Clone)]
pub struct AlertRecord {
    /// Id.
    pub id: i64,
    /// Kind.
    pub kind: String,
    /// State.
    pub state: String,
    /// Why.
    pub reason: String,
    /// Opened.
    pub opened_at: Timestamp,
    /// Resolved.
    pub resolved_at: Option<Timestamp>,
    /// Who resolved it (`system` when it closed by itself).
    pub resolved_by: Option<String>,
    /// The visit.
    pub visit_at: Option<Timestamp>,
    /// Its outcome (`seen_well`, …).
    pub visit_outcome: Option<String>,
    /// Its note.
    pub visit_note: Option<String>,
}

/// A family contact and whether mail reaches them.
#[derive(Debug, Clone)]
pub struct ContactRecord {
    /// Name.
    pub name: String,
    /// 続柄.
    pub relation: String,
    /// Address.
    pub email: String,
    /// Policy.
    pub policy: String,
    /// They stopped their mail.
    pub unsubscribed: bool,
    /// Messages delivered.
    pub sent: u32,
    /// Messages that failed.
    pub failed: u32,
    /// Messages waiting.
    pub pending: u32,
    /// The last failure's error.
    pub last_error: Option<String>,
}

/// The resident's box.
#[derive(Debug, Clone)]
pub struct BoxRecord {
    /// Device id.
    pub device_id: String,
    /// Label.
    pub label: String,
    /// Revoked.
    pub revoked: bool,
    /// Last sync.
    pub last_contact_at: Option<Timestamp>,
    /// Last heartbeat.
    pub last_heartbeat_at: Option<Timestamp>,
    /// Room temperature at it, tenths of a degree.
    pub room_temperature: Option<i64>,
}

/// Everything the resident page shows.
#[derive(Debug, Clone)]
pub struct ResidentRecord {
    /// The list row (name, district, alerts, …).
    pub row: ResidentRow,
    /// 住所.
    pub address: String,
    /// 電話番号.
    pub phone: String,
    /// 生年月日.
    pub birth_date: Option<String>,
    /// Why paused.
    pub pause_reason: Option<String>,
    /// Medication slots of the care plan.
    pub medication_slots: u32,
    /// Consecutive days.
    pub streak_days: u32,
    /// Cards: (kind, weak).
    pub cards: Vec<String>,
    /// Check-ins since the first day shown, oldest first.
    pub days: Vec<DayRecord>,
    /// Alerts, newest first.
    pub alerts: Vec<AlertRecord>,
    /// Family contacts.
    pub contacts: Vec<ContactRecord>,
    /// The box.
    pub the_box: Option<BoxRecord>,
    /// Consent records, newest first.
    pub consent: Vec<crate::store::consent::ConsentRecord>,
}

/// A resident's record from `since` on, if the viewer may see it; the look
/// is audited (a look outside her districts too, answered `None`).
pub fn record(
    conn: &Connection,
    viewer: &Viewer,
    resident: i64,
    since: Date,
    now: Timestamp,
) -> Result<Option<ResidentRecord>> {
    let district: Option<String> = conn
        .query_row(
            "SELECT district FROM residents WHERE id = ?1",
            [resident],
            |row| row.get(0),
        )
        .optional()?;
    let Some(district) = district else {
        return Ok(None);
    };
    if !viewer.may_see(&district) {
        audit::record(
            conn,
            viewer,
            "denied",
            Some(resident),
            "resident page: outside the viewer's districts",
            now,
        )?;
        return Ok(None);
    }
    audit::record(
        conn,
        viewer,
        "resident.view",
        Some(resident),
        &format!("since {since}"),
        now,
    )?;
    let everyone = Viewer {
        districts: None,
        ..viewer.clone()
    };
    let row = list(
        conn,
        &everyone,
        &ResidentFilter {
            limit: 1,
            only: Some(resident),
            ..ResidentFilter::default()
        },
    )?
    .into_iter()
    .find(|r| r.id == resident)
    .ok_or_else(|| StoreError::NotFound(format!("resident {resident}")))?;
    let (address, phone, birth_date, pause_reason, care_plan, streak_days, box_id): (
        String,
        String,
        Option<String>,
        Option<String>,
        String,
        u32,
        Option<i64>,
    ) = conn.query_row(
        "SELECT address, phone, birth_date, pause_reason, care_plan, streak_days, box_id
           FROM residents WHERE id = ?1",
        [resident],
        |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
            ))
        },
    )?;
    let medication_slots = serde_json::from_str::<mimamori_protocol::CarePlan>(&care_plan)
        .map(|p| u32::try_from(p.medication_slots.len()).unwrap_or(0))
        .unwrap_or(0);
    let cards = conn
        .prepare_cached("SELECT kind FROM cards WHERE resident_id = ?1 ORDER BY id")?
        .query_map([resident], |row| row.get::<_, String>(0))?
        .collect::<std::result::Result<_, _>>()?;
    Ok(Some(ResidentRecord {
        row,
        address,
        phone,
        birth_date,
        pause_reason,
        medication_slots,
        streak_days,
        cards,
        days: days(conn, resident, since)?,
        alerts: alerts(conn, resident)?,
        contacts: contacts(conn, resident)?,
        the_box: box_id.map(|b| the_box(conn, b)).transpose()?.flatten(),
        consent: crate::store::consent::history(conn, resident)?,
    }))
}

fn days(conn: &Connection, resident: i64, since: Date) -> Result<Vec<DayRecord>> {
    conn.prepare_cached(
        "SELECT c.at, c.local_date, c.condition, c.systolic, c.diastolic, c.weight, c.temperature,
                c.call_requested, e.body
           FROM check_ins c JOIN events e ON e.id = c.event_id
          WHERE c.resident_id = ?1 AND c.local_date >= ?2 ORDER BY c.at",
    )?
    .query_map(params![resident, since.to_string()], |row| {
        let body: String = row.get(8)?;
        let (taken, asked) = medication(&body);
        Ok(DayRecord {
            at: from_ms(row.get(0)?),
            date: row
                .get::<_, String>(1)?
                .parse()
                .unwrap_or(Date::constant(1970, 1, 1)),
            condition: row.get(2)?,
            systolic: row.get(3)?,
            diastolic: row.get(4)?,
            weight: row.get(5)?,
            temperature: row.get(6)?,
            call_requested: row.get(7)?,
            medication_taken: taken,
            medication_asked: asked,
        })
    })?
    .collect::<std::result::Result<_, _>>()
    .map_err(StoreError::from)
}

/// (taken, answered) medication slots of a stored check-in body.
fn medication(body: &str) -> (u32, u32) {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let slots = value
        .get("medication")
        .and_then(|m| m.as_array())
        .cloned()
        .unwrap_or_default();
    let taken = slots
        .iter()
        .filter(|s| s.get("status").and_then(|v| v.as_str()) == Some("taken"))
        .count();
    (
        u32::try_from(taken).unwrap_or(0),
        u32::try_from(slots.len()).unwrap_or(0),
    )
}

fn alerts(conn: &Connection, resident: i64) -> Result<Vec<AlertRecord>> {
    conn.prepare_cached(
        "SELECT id, kind, state, reason, opened_at, resolved_at, resolved_by, visit_at,
                visit_outcome, visit_note
           FROM alerts WHERE resident_id = ?1 ORDER BY opened_at DESC LIMIT 100",
    )?
    .query_map([resident], |row| {
        Ok(AlertRecord {
            id: row.get(0)?,
            kind: row.get(1)?,
            state: row.get(2)?,
            reason: row.get(3)?,
            opened_at: from_ms(row.get(4)?),
            resolved_at: row.get::<_, Option<i64>>(5)?.map(from_ms),
            resolved_by: row.get(6)?,
            visit_at: row.get::<_, Option<i64>>(7)?.map(from_ms),
            visit_outcome: row.get(8)?,
            visit_note: row.get(9)?,
        })
    })?
    .collect::<std::result::Result<_, _>>()
    .map_err(StoreError::from)
}

fn contacts(conn: &Connection, resident: i64) -> Result<Vec<ContactRecord>> {
    conn.prepare_cached(
        "SELECT f.name, f.relation, f.email, f.policy, f.unsubscribed_at IS NOT NULL,
                (SELECT COUNT(*) FROM outbox o WHERE o.contact_id = f.id AND o.state = 'sent'),
                (SELECT COUNT(*) FROM outbox o WHERE o.contact_id = f.id AND o.state = 'failed'
                    AND o.last_error IS NOT 'unsubscribed'),
                (SELECT COUNT(*) FROM outbox o WHERE o.contact_id = f.id AND o.state = 'pending'),
                (SELECT o.last_error FROM outbox o WHERE o.contact_id = f.id AND o.state = 'failed'
                    AND o.last_error IS NOT 'unsubscribed' ORDER BY o.id DESC LIMIT 1)
           FROM family_contacts f WHERE f.resident_id = ?1 AND f.removed_at IS NULL ORDER BY f.id",
    )?
    .query_map([resident], |row| {
        Ok(ContactRecord {
            name: row.get(0)?,
            relation: row.get(1)?,
            email: row.get(2)?,
            policy: row.get(3)?,
            unsubscribed: row.get(4)?,
            sent: row.get(5)?,
            failed: row.get(6)?,
            pending: row.get(7)?,
            last_error: row.get(8)?,
        })
    })?
    .collect::<std::result::Result<_, _>>()
    .map_err(StoreError::from)
}

fn the_box(conn: &Connection, box_id: i64) -> Result<Option<BoxRecord>> {
    conn.query_row(
        "SELECT b.device_id, b.label, b.revoked_at IS NOT NULL, b.last_contact_at,
                h.at, h.room_temperature
           FROM boxes b
           LEFT JOIN (SELECT box_id, at, room_temperature FROM heartbeats WHERE box_id = ?1
                       ORDER BY at DESC LIMIT 1) h ON h.box_id = b.id
          WHERE b.id = ?1",
        [box_id],
        |row| {
            Ok(BoxRecord {
                device_id: row.get(0)?,
                label: row.get(1)?,
                revoked: row.get(2)?,
                last_contact_at: row.get::<_, Option<i64>>(3)?.map(from_ms),
                last_heartbeat_at: row.get::<_, Option<i64>>(4)?.map(from_ms),
                room_temperature: row.get(5)?,
            })
        },
    )
    .optional()
    .map_err(StoreError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn katakana_matches_hiragana() {
        assert_eq!(to_hiragana("ヤマダ ハナコ"), "やまだ はなこ");
        assert_eq!(to_hiragana("山田 abc"), "山田 abc");
        assert_eq!(to_hiragana("ヴ"), "ゔ");
    }

    #[test]
    fn medication_counts() {
        let body = r#"{"type":"check_in","medication":[{"slot":"morning","status":"taken"},{"slot":"evening","status":"not_taken"}]}"#;
        assert_eq!(medication(body), (1, 2));
        assert_eq!(medication("{}"), (0, 0));
    }
}
