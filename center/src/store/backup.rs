//! Online backup: a consistent copy of the database, taken while the
//! server keeps committing.
//!
//! SQLite's backup API copies every page in one step under one read
//! transaction; in WAL mode that transaction does not stop the writer, and
//! the copy is the database as of one commit. The copy is written next to
//! its destination, checked (`PRAGMA integrity_check`), made a single
//! self-contained file (rollback journal, no `-wal`), flushed to disk and
//! only then renamed into place: a failed backup leaves no file behind that
//! looks like a good one.
//!
//! The source is opened as it is: no migration runs, so a backup taken with
//! a newer program before an upgrade is the old database unchanged.
//!
//! ```no_run
//! # use std::path::Path;
//! let report = mimamori_center::store::backup::backup(
//!     Path::new("/var/lib/mimamori-center/center.sqlite3"),
//!     Path::new("/var/backups/mimamori-center/2026-11-29.sqlite3"),
//! )?;
//! println!("{} residents, {} events", report.residents, report.events);
//! # Ok::<(), mimamori_center::store::StoreError>(())
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use super::{Result, StoreError};

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupReport {
    /// The file written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The schema version (number of migrations applied) of the copy.
    pub schema_version: i64,
    /// Residents in the copy.
    pub residents: i64,
    /// Events (check-ins, heartbeats, SOS) in the copy.
    pub events: i64,
}

/// How long a backup waits, in total, while another connection holds a
/// lock that stops it from starting its read.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// Copies the database at `source` to the new file `out`.
///
/// Fails without touching `out` when it exists already, when `source` is not
/// there (the data directory of the configuration is wrong), or when the
/// copy does not pass the integrity check.
pub fn backup(source: &Path, out: &Path) -> Result<BackupReport> {
    if out.exists() {
        return Err(StoreError::Conflict(format!(
            "{} exists already; choose a new file name (nothing was written)",
            out.display()
        )));
    }
    if !source.is_file() {
        return Err(StoreError::NotFound(format!(
            "no database at {} (check data_dir in the configuration)",
            source.display()
        )));
    }
    let partial = partial_path(out);
    let result = copy_checked(source, &partial).and_then(|report| {
        std::fs::rename(&partial, out).map_err(|e| io("renaming the backup into place", out, e))?;
        sync_dir(out)?;
        Ok(BackupReport {
            path: out.to_owned(),
            ..report
        })
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
        let _ = std::fs::remove_file(journal_path(&partial));
    }
    result
}

/// `FILE` → `FILE.partial`, in the same directory (so that the rename is
/// atomic).
fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

fn journal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-journal");
    PathBuf::from(name)
}

fn io(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Invalid(format!("{what} {}: {e}", path.display()))
}

fn copy_checked(source: &Path, partial: &Path) -> Result<BackupReport> {
    let src = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    src.busy_timeout(Duration::from_secs(5))?;
    // Health data: the copy is the service user's alone, from its first byte.
    std::fs::File::create(partial).map_err(|e| io("creating", partial, e))?;
    set_private(partial)?;
    let mut dst = Connection::open(partial)?;
    {
        let backup = Backup::new(&src, &mut dst)?;
        let mut waited = Duration::ZERO;
        loop {
            // -1: every page in one step, so the copy is one snapshot even
            // while the server commits (a step-wise copy would restart).
            match backup.step(-1)? {
                StepResult::Done => break,
                StepResult::More => {}
                StepResult::Busy | StepResult::Locked => {
                    if waited >= LOCK_WAIT {
                        return Err(StoreError::Commit(format!(
                            "the database stayed locked for {} s; try again",
                            LOCK_WAIT.as_secs()
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(100));
                    waited += Duration::from_millis(100);
                }
                _ => {}
            }
        }
    }
    drop(src);
    // One self-contained file: no -wal beside it when it is copied away.
    let mode: String = dst.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(StoreError::Invalid(format!(
            "the backup kept journal mode {mode}"
        )));
    }
    let check: String = dst.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(StoreError::Invalid(format!(
            "the copy failed SQLite's integrity check ({check}); nothing was written"
        )));
    }
    let schema_version: i64 = dst.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let count = |table: &str| -> Result<i64> {
        Ok(dst.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
    };
    let residents = count("residents")?;
    let events = count("events")?;
    dst.close().map_err(|(_, e)| StoreError::Sqlite(e))?;
    let file = std::fs::File::open(partial).map_err(|e| io("opening", partial, e))?;
    file.sync_all().map_err(|e| io("flushing", partial, e))?;
    let bytes = file
        .metadata()
        .map_err(|e| io("reading the size of", partial, e))?
        .len();
    Ok(BackupReport {
        path: partial.to_owned(),
        bytes,
        schema_version,
        residents,
        events,
    })
}

fn set_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| io("restricting the permissions of", path, e))
}

/// Makes the rename durable: fsync the directory that holds `path`.
fn sync_dir(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("flushing the directory", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_is_a_checked_private_single_file_and_never_overwrites() {
        let tmp = tempfile::tempdir().unwrap();
        let source = tmp.path().join("center.sqlite3");
        drop(super::super::open(&source).unwrap());
        let out = tmp.path().join("backup.sqlite3");
        let report = backup(&source, &out).unwrap();
        assert_eq!(report.path, out);
        assert!(report.schema_version > 0);
        assert!(report.bytes > 0);
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(!tmp.path().join("backup.sqlite3-wal").exists());
        assert!(!partial_path(&out).exists());
        let mode: String = Connection::open(&out)
            .unwrap()
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete");

        let before = std::fs::read(&out).unwrap();
        let err = backup(&source, &out).unwrap_err().to_string();
        assert!(err.contains("exists already"), "{err}");
        assert_eq!(
            std::fs::read(&out).unwrap(),
            before,
            "the old backup is untouched"
        );

        let err = backup(&tmp.path().join("nowhere.sqlite3"), &tmp.path().join("b2"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no database"), "{err}");
        assert!(!tmp.path().join("b2").exists());
    }
}
