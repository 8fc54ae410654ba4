//! Storage for the nurses' dashboard: staff sign-in and sessions, the alert
//! queue, residents by risk, the audit log and exports.
//!
//! Every function takes the [`Viewer`] — who is asking, from where — and
//! shows a nurse only her districts. Looks at a resident's record, exports
//! and changes write an [`audit`] row in the same transaction; a look
//! outside the viewer's districts is answered as "not found" and audited
//! as `denied`.

pub mod audit;
pub mod auth;
pub mod export;
pub mod queue;
pub mod residents;

use std::sync::Arc;

use jiff::Timestamp;
use rusqlite::Connection;

use super::{Result, Writer};
use crate::config::Config;
use crate::domain::PauseReason;

/// Who is asking.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Staff id.
    pub staff_id: i64,
    /// Login name.
    pub login: String,
    /// Full name (recorded on acknowledgements and visits).
    pub name: String,
    /// The districts she sees; `None`: every district (an administrator).
    pub districts: Option<Vec<String>>,
    /// The address the request came from.
    pub ip: String,
}

impl Viewer {
    /// Whether the viewer sees residents of `district`.
    pub fn may_see(&self, district: &str) -> bool {
        self.districts
            .as_ref()
            .is_none_or(|ds| ds.iter().any(|d| d == district))
    }

    /// The districts as a JSON array for `json_each`, `None` for all.
    pub(crate) fn districts_json(&self) -> Option<String> {
        self.districts
            .as_ref()
            .map(|ds| serde_json::to_string(ds).unwrap_or_else(|_| "[]".into()))
    }
}

/// The dashboard's handle on the database: work runs on the writer thread,
/// so that audit rows are committed with what they record.
#[derive(Clone)]
pub struct Dashboard {
    writer: Writer,
    config: Arc<Config>,
}

impl Dashboard {
    /// A handle over a started writer.
    pub fn new(writer: Writer, config: Arc<Config>) -> Self {
        Self { writer, config }
    }

    /// Runs `f` (one of this module's functions) in the next transaction;
    /// answers once it is committed.
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &Config) -> Result<T> + Send + 'static,
    {
        let config = self.config.clone();
        self.writer.run(move |conn| f(conn, &config)).await
    }
}

/// Pauses a resident through a day, or ends the pause (`None`), if the
/// viewer may see them; audited. `false`: not found for this viewer.
pub fn pause(
    conn: &Connection,
    config: &Config,
    viewer: &Viewer,
    resident: i64,
    through: Option<(jiff::civil::Date, PauseReason)>,
    now: Timestamp,
) -> Result<bool> {
    let district: Option<String> = rusqlite::OptionalExtension::optional(conn.query_row(
        "SELECT district FROM residents WHERE id = ?1",
        [resident],
        |row| row.get(0),
    ))?;
    let Some(district) = district else {
        return Ok(false);
    };
    if !viewer.may_see(&district) {
        audit::record(
            conn,
            viewer,
            "denied",
            Some(resident),
            "pause: outside the viewer's districts",
            now,
        )?;
        return Ok(false);
    }
    super::admin::pause(conn, config, resident, through, now)?;
    let detail = match through {
        Some((day, reason)) => format!("through {day} ({})", reason.label_ja()),
        None => "ended".into(),
    };
    audit::record(conn, viewer, "resident.pause", Some(resident), &detail, now)?;
    Ok(true)
}
