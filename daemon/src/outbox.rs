//! The box's outbox: every event is committed to SQLite on the box (WAL,
//! `synchronous = FULL`) before anyone is told it was recorded, and stays
//! there until the center acks it.
//!
//! The outbox also numbers events (a sequence that survives reboots), makes
//! their ids (time-ordered UUIDs, the center's idempotency key), and keeps
//! what the center last sent (residents, notices, checkups, standings) so
//! that the box works offline.

use std::path::Path;

use mimamori_protocol::{
    BootId, CardBinding, Event, EventBody, EventId, Known, ProtocolVersion, RejectedEvent,
    Revision, SyncResponse, Tap, Timestamp,
};
use rusqlite::{Connection, OptionalExtension as _, params};

/// Why the outbox failed.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// SQLite failed: a full disk, an I/O error.
    #[error("the box's storage failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored event could not be read back.
    #[error("a stored event is unreadable: {0}")]
    Corrupt(String),
}

const SCHEMA: &str = r"
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
    seq   INTEGER PRIMARY KEY,
    id    BLOB NOT NULL UNIQUE,
    event TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected (
    id      BLOB PRIMARY KEY,
    reason  TEXT NOT NULL,
    message TEXT NOT NULL,
    event   TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS station_taps (
    card TEXT PRIMARY KEY,
    at   TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS center_data (
    section  TEXT PRIMARY KEY,
    revision INTEGER,
    json     TEXT NOT NULL
) WITHOUT ROWID;
";

/// The outbox, over one SQLite file.
pub struct Outbox {
    conn: Connection,
    boot: BootId,
}

impl Outbox {
    /// Opens (creating if needed) the outbox at `path`, for this boot.
    pub fn open(path: &Path) -> Result<Self, OutboxError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn,
            boot: BootId(uuid::Uuid::new_v4()),
        })
    }

    /// Records an event and returns it once it is on disk.
    pub fn record(
        &mut self,
        body: EventBody,
        recorded_at: Timestamp,
    ) -> Result<Event, OutboxError> {
        self.record_as(EventId::generate(), body, recorded_at)
    }

    /// Records an event under an id chosen before (a signed check-in's
    /// signature covers its id and time).
    pub fn record_as(
        &mut self,
        id: EventId,
        body: EventBody,
        recorded_at: Timestamp,
    ) -> Result<Event, OutboxError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let event = insert_event(&tx, self.boot, id, body, recorded_at)?;
        tx.commit()?;
        Ok(event)
    }

    /// Records a tap of `card` at a station, and in the same transaction
    /// remembers it as the card's last tap ([`Self::last_taps`]), so that
    /// the repeat window holds across restarts.
    pub fn record_tap(&mut self, card: CardBinding, at: Timestamp) -> Result<Event, OutboxError> {
        let key = to_json(&card);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO station_taps (card, at) VALUES (?1, ?2)
             ON CONFLICT (card) DO UPDATE SET at = excluded.at",
            params![key, at.to_string()],
        )?;
        let event = insert_event(
            &tx,
            self.boot,
            EventId::generate(),
            EventBody::Tap(Tap { card }),
            at,
        )?;
        tx.commit()?;
        Ok(event)
    }

    /// Each card's last recorded tap at this station, not older than
    /// `since` (older ones are forgotten).
    pub fn last_taps(
        &mut self,
        since: &Timestamp,
    ) -> Result<Vec<(CardBinding, Timestamp)>, OutboxError> {
        let mut out = Vec::new();
        let mut forget = Vec::new();
        {
            let mut statement = self.conn.prepare("SELECT card, at FROM station_taps")?;
            let rows = statement.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })?;
            for row in rows {
                let (card, at) = row?;
                let parsed = serde_json::from_str::<CardBinding>(&card)
                    .ok()
                    .zip(at.parse::<Timestamp>().ok());
                match parsed {
                    Some((binding, at)) if at.unix_millis() >= since.unix_millis() => {
                        out.push((binding, at));
                    }
                    _ => forget.push(card),
                }
            }
        }
        for card in forget {
            self.conn
                .execute("DELETE FROM station_taps WHERE card = ?1", [card])?;
        }
        Ok(out)
    }

    /// The protocol version the center last declared in an answer;
    /// 1.0 until it has answered.
    pub fn center_protocol(&self) -> Result<ProtocolVersion, OutboxError> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'center_protocol'",
                [],
                |row| row.get(0),
            )
            .optional()?;
        Ok(text
            .and_then(|t| t.parse().ok())
            .unwrap_or(ProtocolVersion::V1_0))
    }

    /// The oldest events not yet acked that a center speaking `version`
    /// understands, at most `limit`, in order; newer kinds wait, in their
    /// order, for a center that speaks their version.
    pub fn pending_for(
        &self,
        version: ProtocolVersion,
        limit: usize,
    ) -> Result<Vec<Event>, OutboxError> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT event FROM outbox ORDER BY seq")?;
        let mut rows = statement.query([])?;
        let mut out = Vec::new();
        while out.len() < limit {
            let Some(row) = rows.next()? else { break };
            let json: String = row.get(0)?;
            let event: Event =
                serde_json::from_str(&json).map_err(|e| OutboxError::Corrupt(e.to_string()))?;
            if event.body.since() <= version {
                out.push(event);
            }
        }
        Ok(out)
    }

    /// How many events wait for a center newer than `version`.
    pub fn held_back(&self, version: ProtocolVersion) -> Result<u64, OutboxError> {
        let mut statement = self.conn.prepare_cached("SELECT event FROM outbox")?;
        let mut rows = statement.query([])?;
        let mut held = 0;
        while let Some(row) = rows.next()? {
            let json: String = row.get(0)?;
            let event: Event =
                serde_json::from_str(&json).map_err(|e| OutboxError::Corrupt(e.to_string()))?;
            if event.body.since() > version {
                held += 1;
            }
        }
        Ok(held)
    }
    /// The oldest events not yet acked, at most `limit`.
    pub fn pending(&self, limit: usize) -> Result<Vec<Event>, OutboxError> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT event FROM outbox ORDER BY seq LIMIT ?1")?;
        let rows = statement.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
            row.get::<_, String>(0)
        })?;
        rows.map(|row| {
            let json = row?;
            serde_json::from_str(&json).map_err(|e| OutboxError::Corrupt(e.to_string()))
        })
        .collect()
    }

    /// How many events wait for the center.
    pub fn pending_count(&self) -> Result<u64, OutboxError> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM outbox", [], |row| row.get(0))?)
    }

    /// What center data the box holds, for the next request.
    pub fn known(&self) -> Result<Known, OutboxError> {
        let revision = |section: &str| -> Result<Option<Revision>, OutboxError> {
            Ok(self
                .conn
                .query_row(
                    "SELECT revision FROM center_data WHERE section = ?1",
                    [section],
                    |row| row.get::<_, Option<i64>>(0),
                )
                .optional()?
                .flatten()
                .and_then(|r| u64::try_from(r).ok())
                .map(Revision))
        };
        Ok(Known {
            residents: revision("residents")?,
            notices: revision("notices")?,
            checkups: revision("checkups")?,
            people: revision("people")?,
        })
    }

    /// Takes in the center's answer: drops acked and rejected events (the
    /// rejected ones are kept in a log), stores changed center data.
    pub fn apply(&mut self, response: &SyncResponse) -> Result<(), OutboxError> {
        let tx = self.conn.transaction()?;
        for id in &response.acked {
            tx.execute(
                "DELETE FROM outbox WHERE id = ?1",
                [id.0.as_bytes().as_slice()],
            )?;
        }
        for RejectedEvent {
            id,
            reason,
            message,
        } in &response.rejected
        {
            let event: Option<String> = tx
                .query_row(
                    "SELECT event FROM outbox WHERE id = ?1",
                    [id.0.as_bytes().as_slice()],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(event) = event {
                tx.execute(
                    "INSERT OR REPLACE INTO rejected (id, reason, message, event) VALUES (?1, ?2, ?3, ?4)",
                    params![id.0.as_bytes().as_slice(), format!("{reason:?}"), message, event],
                )?;
                tx.execute(
                    "DELETE FROM outbox WHERE id = ?1",
                    [id.0.as_bytes().as_slice()],
                )?;
            }
        }
        let store = |section: &str,
                     revision: Option<Revision>,
                     json: String|
         -> rusqlite::Result<()> {
            tx.execute(
                "INSERT INTO center_data (section, revision, json) VALUES (?1, ?2, ?3)
                 ON CONFLICT (section) DO UPDATE SET revision = excluded.revision, json = excluded.json",
                params![section, revision.map(|r| i64::try_from(r.0).unwrap_or(i64::MAX)), json],
            )?;
            Ok(())
        };
        if let Some(s) = &response.residents {
            store("residents", Some(s.revision), to_json(&s.items))?;
        }
        if let Some(s) = &response.notices {
            store("notices", Some(s.revision), to_json(&s.items))?;
        }
        if let Some(s) = &response.checkups {
            store("checkups", Some(s.revision), to_json(&s.items))?;
        }
        if let Some(s) = &response.people {
            store("people", Some(s.revision), to_json(&s.items))?;
        }
        if let Some(station) = &response.station {
            store("station", None, to_json(station))?;
        }
        store("standings", None, to_json(&response.standings))?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('center_protocol', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [response.protocol.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Events the center refused, for the installer's eyes.
    pub fn rejected_count(&self) -> Result<u64, OutboxError> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM rejected", [], |row| row.get(0))?)
    }

    /// A section of center data as last received, as JSON.
    pub fn center_data(&self, section: &str) -> Result<Option<String>, OutboxError> {
        Ok(self
            .conn
            .query_row(
                "SELECT json FROM center_data WHERE section = ?1",
                [section],
                |row| row.get(0),
            )
            .optional()?)
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// Numbers and inserts one event in `tx`.
fn insert_event(
    tx: &rusqlite::Transaction<'_>,
    boot: BootId,
    id: EventId,
    body: EventBody,
    recorded_at: Timestamp,
) -> Result<Event, OutboxError> {
    let last: Option<String> = tx
        .query_row("SELECT value FROM meta WHERE key = 'seq'", [], |row| {
            row.get(0)
        })
        .optional()?;
    let seq = last.and_then(|s| s.parse::<u64>().ok()).unwrap_or(0) + 1;
    let event = Event {
        id,
        recorded_at,
        boot_id: boot,
        seq,
        body,
    };
    let json = serde_json::to_string(&event).map_err(|e| OutboxError::Corrupt(e.to_string()))?;
    tx.execute(
            "INSERT INTO meta (key, value) VALUES ('seq', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [seq.to_string()],
        )?;
    tx.execute(
        "INSERT INTO outbox (seq, id, event) VALUES (?1, ?2, ?3)",
        params![
            i64::try_from(seq).unwrap_or(i64::MAX),
            event.id.0.as_bytes().as_slice(),
            json
        ],
    )?;
    Ok(event)
}
