//! Storage: one SQLite file, WAL, and a single writer that commits many
//! requests in one transaction (group commit).
//!
//! Operations are plain functions over a [`rusqlite::Connection`] inside a
//! transaction — [`sync::sync`], [`watch::sweep`], the [`admin`] functions —
//! so the same code runs in the server, through the [`Writer`], and in the
//! command line, through [`Store::transaction`]. Every acked write is on
//! disk: the command line commits with `synchronous = FULL`; the writer
//! commits with `NORMAL` and answers only after its syncer thread has synced
//! the WAL (the same guarantee; see `store/writer.rs`).

pub mod admin;
mod backend;
pub mod backup;
mod cache;
pub mod children;
pub mod consent;
pub mod dashboard;
pub mod import;
pub mod incidents;
pub mod login;
pub mod manage;
pub mod outbox;
pub mod people;
pub mod purge;
mod respond;
mod schema;
pub mod stations;
pub mod sync;
pub mod taps;
mod wal_vfs;
pub mod watch;
mod writer;

use std::path::Path;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension as _};

pub use backend::{BoxFuture, CenterStore, LoginAnswer, SqliteStore};
pub use watch::SweepReport;
pub use writer::Writer;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (disk full, I/O error, corruption, busy too long).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The change contradicts what is stored (a duplicate, a wrong state).
    #[error("{0}")]
    Conflict(String),
    /// The request's values are not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The box token is unknown or revoked.
    #[error("{0}")]
    Unauthorized(String),
    /// The box may not do this (write for another box's resident).
    #[error("{message}")]
    Forbidden {
        /// The offending field, e.g. `events[2].body.resident`.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The writer thread has stopped (the server is shutting down).
    #[error("the database writer has stopped")]
    WriterGone,
    /// The transaction could not be committed; nothing of it was stored.
    #[error("the transaction was not committed: {0}")]
    Commit(String),
}

impl StoreError {
    /// Whether trying again later may succeed (storage trouble rather than
    /// a bad request).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite(_) | StoreError::WriterGone | StoreError::Commit(_)
        )
    }
}

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Opens (creating if needed) and migrates the database at `path`.
pub fn open(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Invalid(format!(
                    "cannot create the data directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
    }
    let mut conn = connect(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 32 MiB of page cache (the default is 2 MiB): the hot parts of the
    // indexes stay in memory under load. (A commit that split a B-tree page
    // scans the cache's whole hash table — SQLite parks a page under the
    // lock page's number while it rebalances — so a smaller cache makes
    // ingest a little cheaper, but the dashboard's pages twice as slow.)
    conn.pragma_update(None, "cache_size", -32_768)?;
    // Every hot statement stays prepared: a sync alone runs about two dozen
    // distinct statements, more than rusqlite's default cache of 16 holds,
    // and a statement evicted from it is parsed and planned again.
    conn.set_prepared_statement_cache_capacity(256);
    // Checkpoint after 4,000 pages (16 MB) of WAL rather than 1,000: a page
    // written by many commits in between is copied to the database once.
    // The server's writer turns these off and checkpoints on a thread of
    // its own, at 16,000 pages (see `writer`).
    conn.pragma_update(None, "wal_autocheckpoint", 4_000)?;
    // Statement journals (a savepoint's copy of the pages it changes) stay
    // in memory. On disk, past 64 KiB each one became a temporary file,
    // created, written and deleted within the transaction.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Opens a connection to the database at `path` through [`wal_vfs`],
/// which writes each commit's WAL frames in one system call.
pub(crate) fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let vfs = wal_vfs::register().map_err(|e| {
        rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(e),
        )
    })?;
    Connection::open_with_flags_and_vfs(path, rusqlite::OpenFlags::default(), vfs)
}

/// Applies the migrations the database has not seen yet.
fn migrate(conn: &mut Connection) -> Result<()> {
    let applied: usize = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if applied > schema::MIGRATIONS.len() {
        return Err(StoreError::Invalid(format!(
            "the database has schema version {applied}, newer than this program's {}; use a newer mimamori-center",
            schema::MIGRATIONS.len()
        )));
    }
    for (index, sql) in schema::MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
    }
    conn.execute(
        "INSERT OR IGNORE INTO counters (name, value) VALUES ('rev', 0), ('notices_rev', 0)",
        [],
    )?;
    Ok(())
}

/// A store for command-line use: one connection, one transaction per call.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens the database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        Ok(Self { conn: open(path)? })
    }

    /// Runs `f` in a transaction, committing only if it succeeds.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `f` in a transaction and rolls it back: for dry runs.
    pub fn dry_run<T>(&mut self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.rollback()?;
        Ok(value)
    }

    /// The connection, for reads.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// An instant as stored: Unix milliseconds.
pub(crate) fn ms(at: Timestamp) -> i64 {
    at.as_millisecond()
}

/// An instant from its stored form.
pub(crate) fn from_ms(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The next value of the global revision counter.
pub(crate) fn next_rev(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "UPDATE counters SET value = value + 1 WHERE name = 'rev' RETURNING value",
        [],
        |row| row.get(0),
    )?)
}

/// Marks the residents section of `box_id` as changed.
pub(crate) fn touch_box(conn: &Connection, box_id: Option<i64>) -> Result<()> {
    if let Some(box_id) = box_id {
        let rev = next_rev(conn)?;
        conn.execute(
            "UPDATE boxes SET residents_rev = ?1 WHERE id = ?2",
            (rev, box_id),
        )?;
    }
    Ok(())
}

/// Marks the roster stations get (`people_rev`) as changed: children,
/// their cards, residents' cards and names.
pub(crate) fn touch_people(conn: &Connection) -> Result<()> {
    conn.prepare_cached("UPDATE counters SET value = value + 1 WHERE name = 'people_rev'")?
        .execute([])?;
    Ok(())
}

/// Appends an audit row for an administrative change made by `who` (the
/// operator's login, or `cli`), as the purge does.
pub(crate) fn record_admin(
    conn: &Connection,
    who: &str,
    action: &str,
    detail: &str,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, staff_id, login, action, detail, ip)
         VALUES (?1, (SELECT id FROM staff WHERE login = ?2), ?2, ?3, ?4, 'local')",
    )?
    .execute(rusqlite::params![ms(now), who, action, detail])?;
    Ok(())
}

/// The box a resident is assigned to.
pub(crate) fn box_of(conn: &Connection, resident: i64) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT box_id FROM residents WHERE id = ?1",
            [resident],
            |row| row.get(0),
        )
        .optional()?
        .flatten())
}
