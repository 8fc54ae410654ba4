//! A thin SQLite VFS over the platform's own that writes each commit's WAL
//! frames to the file in a few large writes instead of two per page.
//!
//! SQLite writes a WAL frame as two `pwrite`s — its 24-byte header, then
//! the page — so a commit of 80 pages costs 160 system calls, and each
//! frame straddles two page-cache folios. Under the ingest load that was a
//! third of the writer thread's time, most of it in the kernel. This VFS
//! gathers consecutive writes to a WAL file in memory and hands them to the
//! platform VFS in chunks of up to 120 KiB when the commit's last frame
//! arrives — or earlier, before anything else touches the file.
//!
//! Why that is safe:
//! - A frame becomes visible to other connections only when the writer
//!   publishes the new end of the log in the shared WAL index, which SQLite
//!   does after it has written every frame of the commit (`sqlite3WalFrames`
//!   writes all frames, then indexes them, then publishes). The commit
//!   frame is the one whose header carries the database's size (bytes 4..8
//!   of the header, non-zero only in a commit frame, per the WAL format).
//!   Everything gathered is written when that header arrives, and its page
//!   right after — the commit's last write. So every frame another
//!   connection can see is in the file, and so is every byte of a commit
//!   when `COMMIT` returns (also the headers SQLite rewrites with new
//!   checksums after the commit frame, when a transaction wrote a page
//!   twice: the commit frame's comes last, and is written at once).
//! - Frames of a transaction that is rolled back instead (pages spilled
//!   from a full cache, then an error) are written before the connection
//!   releases the WAL's write lock, as SQLite itself would have written
//!   them: this VFS also wraps the database file and writes what its WAL
//!   gathered when the write lock is released. Nothing of one connection
//!   can land in the log after another connection took the lock.
//! - The connection's own reads of the WAL, syncs (SQLite's, with
//!   `synchronous = FULL`), truncations, size queries and closing write what
//!   was gathered first. Writes that are not contiguous with what was
//!   gathered (SQLite rewriting a frame of the same transaction) write it
//!   first, so the file sees every write in SQLite's order.
//! - The syncer's `fdatasync` of the WAL runs after the commit returned, so
//!   after its frames were written.
//! - An error writing what was gathered is returned from the write (or
//!   read, sync…) that caused it, so the commit fails as it would have with
//!   the platform VFS.
//!
//! Files other than the main database and its WAL are the platform VFS's
//! own objects, untouched.

// SAFETY (module): this is a VFS for SQLite's C API. Every function here is
// called by SQLite with the pointers its VFS contract guarantees: `file`
// points to `szOsFile` bytes SQLite allocated for the file and keeps until
// after `xClose`; for a file this VFS wraps, those bytes hold a `File` that
// `x_open` wrote, followed by the platform VFS's file object. SQLite
// serialises the calls on one connection's files (they run under the
// connection's mutex, or on the one thread using it), and the WAL a
// database file's `xShmLock` flushes belongs to the same connection.
#![allow(unsafe_code)]

use std::collections::BTreeMap;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;
use std::sync::{Mutex, OnceLock};

use rusqlite::ffi;

/// The name connections open the database with.
const NAME: &CStr = c"mimamori-wal";

/// The most a WAL file gathers before it writes even without a commit
/// (a bulk import's commit may be hundreds of megabytes).
const MAX_GATHERED: usize = 1 << 20;

/// The most handed to the platform's write at once: the unix VFS writes
/// at most 128 KiB − 1 bytes a call (it never needs more for one page).
const MAX_WRITE: usize = 120 * 1024;

/// The size of a WAL frame's header.
const FRAME_HEADER: c_int = 24;
/// The size of the WAL file's own header, before the first frame.
const WAL_HEADER: i64 = 32;
/// The WAL's write lock, the first of the shared-memory locks.
const WAL_WRITE_LOCK: c_int = 0;

/// Registers the VFS (once; later calls return at once) and returns its
/// name, or why it could not be registered.
pub(crate) fn register() -> Result<&'static CStr, String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            // SAFETY: `sqlite3_vfs_find(NULL)` returns the default VFS,
            // which SQLite keeps for the life of the process; the VFS
            // registered is leaked, so it lives as long.
            unsafe {
                if ffi::sqlite3_initialize() != ffi::SQLITE_OK {
                    return Err("SQLite did not initialise".into());
                }
                let platform = ffi::sqlite3_vfs_find(ptr::null());
                if platform.is_null() {
                    return Err("SQLite has no default VFS".into());
                }
                let vfs = Box::leak(Box::new(ffi::sqlite3_vfs {
                    iVersion: (*platform).iVersion.min(2),
                    szOsFile: PLATFORM_OFFSET as c_int + (*platform).szOsFile,
                    mxPathname: (*platform).mxPathname,
                    pNext: ptr::null_mut(),
                    zName: NAME.as_ptr(),
                    pAppData: platform.cast(),
                    xOpen: Some(x_open),
                    xDelete: Some(x_delete),
                    xAccess: Some(x_access),
                    xFullPathname: Some(x_full_pathname),
                    xDlOpen: Some(x_dl_open),
                    xDlError: Some(x_dl_error),
                    xDlSym: Some(x_dl_sym),
                    xDlClose: Some(x_dl_close),
                    xRandomness: Some(x_randomness),
                    xSleep: Some(x_sleep),
                    xCurrentTime: Some(x_current_time),
                    xGetLastError: Some(x_get_last_error),
                    xCurrentTimeInt64: Some(x_current_time_int64),
                    xSetSystemCall: None,
                    xGetSystemCall: None,
                    xNextSystemCall: None,
                }));
                match ffi::sqlite3_vfs_register(vfs, 0) {
                    ffi::SQLITE_OK => Ok(()),
                    rc => Err(format!("SQLite refused the VFS (code {rc})")),
                }
            }
        })
        .clone()
        .map(|()| NAME)
}

/// Counters of one WAL file, for tests.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WalCounters {
    /// Writes SQLite made to the file.
    pub(crate) writes_in: u64,
    /// Writes this VFS passed on to the platform.
    pub(crate) writes_out: u64,
    /// Bytes gathered and not yet written.
    pub(crate) gathered: usize,
}

/// The counters of `conn`'s WAL file, or `None` when it has none open or
/// it does not gather.
#[cfg(test)]
pub(crate) fn counters(conn: &rusqlite::Connection) -> Option<WalCounters> {
    let mut file: *mut ffi::sqlite3_file = ptr::null_mut();
    // SAFETY: JOURNAL_POINTER stores the journal's (here the WAL's) file
    // pointer or NULL; the connection is not used concurrently.
    unsafe {
        let rc = ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            ffi::SQLITE_FCNTL_JOURNAL_POINTER,
            (&raw mut file).cast(),
        );
        if rc != ffi::SQLITE_OK
            || file.is_null()
            || !ptr::eq((*file).pMethods, &raw const WAL_METHODS)
        {
            return None;
        }
        let wal = &*file.cast::<File>();
        Some(WalCounters {
            writes_in: wal.writes_in,
            writes_out: wal.writes_out,
            gathered: wal.gathered.len(),
        })
    }
}

/// Open main database files this VFS wraps, by the address of their name,
/// with the address of their WAL's `File` while it gathers (0 when none).
fn databases() -> std::sync::MutexGuard<'static, BTreeMap<usize, usize>> {
    static DATABASES: Mutex<BTreeMap<usize, usize>> = Mutex::new(BTreeMap::new());
    DATABASES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A file this VFS wraps (a main database or its WAL): what SQLite sees,
/// then the platform's file object in the same allocation.
#[repr(C)]
struct File {
    /// SQLite's view: points at [`DB_METHODS`] or [`WAL_METHODS`]. Must
    /// come first.
    base: ffi::sqlite3_file,
    /// The platform VFS's file object, `PLATFORM_OFFSET` bytes after this.
    platform: *mut ffi::sqlite3_file,
    /// The address of the main database's name (the key in [`databases`]).
    database: usize,
    /// A WAL's consecutive writes not yet passed on, starting at `offset`.
    gathered: Vec<u8>,
    offset: i64,
    /// The last frame header was a commit's: write through until the next
    /// frame begins.
    committing: bool,
    #[cfg(test)]
    writes_in: u64,
    #[cfg(test)]
    writes_out: u64,
}

/// Where the platform's file object starts in a wrapped file's bytes.
const PLATFORM_OFFSET: usize = size_of::<File>().next_multiple_of(16);

impl File {
    /// Passes what was gathered on to the platform.
    unsafe fn flush(&mut self) -> c_int {
        if self.gathered.is_empty() {
            return ffi::SQLITE_OK;
        }
        // SAFETY: `platform` is the open file object `x_open` made.
        let write = unsafe { self.platform_methods().xWrite.expect("xWrite") };
        let mut rc = ffi::SQLITE_OK;
        let mut offset = self.offset;
        for chunk in self.gathered.chunks(MAX_WRITE) {
            #[cfg(test)]
            {
                self.writes_out += 1;
            }
            // SAFETY: as above; a chunk is at most MAX_WRITE bytes.
            rc = unsafe {
                write(
                    self.platform,
                    chunk.as_ptr().cast(),
                    chunk.len() as c_int,
                    offset,
                )
            };
            if rc != ffi::SQLITE_OK {
                break;
            }
            offset += chunk.len() as i64;
        }
        self.gathered.clear();
        rc
    }

    unsafe fn platform_methods(&self) -> &ffi::sqlite3_io_methods {
        // SAFETY: `platform` is the open file object `x_open` made.
        unsafe { &*(*self.platform).pMethods }
    }
}

/// The platform VFS, which this one passes everything on to.
unsafe fn platform(vfs: *mut ffi::sqlite3_vfs) -> *mut ffi::sqlite3_vfs {
    // SAFETY: `register` stored the platform VFS in `pAppData`.
    unsafe { (*vfs).pAppData.cast() }
}

unsafe extern "C" fn x_open(
    vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    unsafe {
        let platform = platform(vfs);
        let open = (*platform).xOpen.expect("xOpen");
        let main = flags & ffi::SQLITE_OPEN_MAIN_DB != 0 && !name.is_null();
        let wal = flags & ffi::SQLITE_OPEN_WAL != 0 && !name.is_null();
        let database = if main {
            name as usize
        } else if wal {
            ffi::sqlite3_filename_database(name) as usize
        } else {
            0
        };
        // A WAL gathers only when its database's lock releases flush it.
        if !(main || wal && databases().contains_key(&database)) {
            // The platform's object, in the bytes SQLite gave.
            return open(platform, name, file, flags, out_flags);
        }
        let inner = file
            .cast::<u8>()
            .add(PLATFORM_OFFSET)
            .cast::<ffi::sqlite3_file>();
        let rc = open(platform, name, inner, flags, out_flags);
        if rc != ffi::SQLITE_OK {
            if !(*inner).pMethods.is_null() {
                if let Some(close) = (*(*inner).pMethods).xClose {
                    close(inner);
                }
            }
            (*file).pMethods = ptr::null();
            return rc;
        }
        if main && (*(*inner).pMethods).iVersion < 3 {
            // No shared memory to hook: the platform's object after all.
            (*file).pMethods = ptr::null();
            (*(*inner).pMethods).xClose.expect("xClose")(inner);
            return open(platform, name, file, flags, out_flags);
        }
        let methods = if main {
            &raw const DB_METHODS
        } else {
            &raw const WAL_METHODS
        };
        file.cast::<File>().write(File {
            base: ffi::sqlite3_file { pMethods: methods },
            platform: inner,
            database,
            gathered: Vec::new(),
            offset: 0,
            committing: false,
            #[cfg(test)]
            writes_in: 0,
            #[cfg(test)]
            writes_out: 0,
        });
        databases().insert(database, if main { 0 } else { file as usize });
        ffi::SQLITE_OK
    }
}

unsafe fn wrapped<'a>(file: *mut ffi::sqlite3_file) -> &'a mut File {
    // SAFETY: SQLite calls DB_METHODS and WAL_METHODS only on files
    // `x_open` wrote a `File` into.
    unsafe { &mut *file.cast::<File>() }
}

/// Writes what `file` gathered, then passes the call on. (A database
/// file never gathers: for it this only passes the call on.)
macro_rules! flush_then {
    ($file:expr, $method:ident ( $($arg:expr),* )) => {{
        let f = wrapped($file);
        let rc = f.flush();
        if rc != ffi::SQLITE_OK {
            return rc;
        }
        f.platform_methods().$method.expect(stringify!($method))(f.platform $(, $arg)*)
    }};
}

/// Passes the call on.
macro_rules! pass {
    ($file:expr, $method:ident ( $($arg:expr),* )) => {{
        let f = wrapped($file);
        f.platform_methods().$method.expect(stringify!($method))(f.platform $(, $arg)*)
    }};
}

/// SQLite's methods for a WAL file (version 1: shared memory and memory
/// mapping are the database file's).
static WAL_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 1,
    xClose: Some(wal_close),
    xRead: Some(any_read),
    xWrite: Some(wal_write),
    xTruncate: Some(any_truncate),
    xSync: Some(any_sync),
    xFileSize: Some(any_file_size),
    xLock: Some(any_lock),
    xUnlock: Some(any_unlock),
    xCheckReservedLock: Some(any_check_reserved_lock),
    xFileControl: Some(any_file_control),
    xSectorSize: Some(any_sector_size),
    xDeviceCharacteristics: Some(any_device_characteristics),
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: None,
    xUnfetch: None,
};

/// SQLite's methods for a main database file: the platform's, and the
/// release of the WAL's write lock writes what the WAL gathered first.
static DB_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(db_close),
    xRead: Some(any_read),
    xWrite: Some(db_write),
    xTruncate: Some(any_truncate),
    xSync: Some(any_sync),
    xFileSize: Some(any_file_size),
    xLock: Some(any_lock),
    xUnlock: Some(any_unlock),
    xCheckReservedLock: Some(any_check_reserved_lock),
    xFileControl: Some(any_file_control),
    xSectorSize: Some(any_sector_size),
    xDeviceCharacteristics: Some(any_device_characteristics),
    xShmMap: Some(db_shm_map),
    xShmLock: Some(db_shm_lock),
    xShmBarrier: Some(db_shm_barrier),
    xShmUnmap: Some(db_shm_unmap),
    xFetch: Some(db_fetch),
    xUnfetch: Some(db_unfetch),
};

unsafe extern "C" fn wal_close(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe {
        let f = wrapped(file);
        let flushed = f.flush();
        {
            let mut databases = databases();
            if let Some(wal) = databases.get_mut(&f.database) {
                if *wal == file as usize {
                    *wal = 0;
                }
            }
        }
        let closed = f.platform_methods().xClose.expect("xClose")(f.platform);
        ptr::drop_in_place(file.cast::<File>());
        if flushed != ffi::SQLITE_OK {
            flushed
        } else {
            closed
        }
    }
}

unsafe extern "C" fn any_read(
    file: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    unsafe { flush_then!(file, xRead(buf, amount, offset)) }
}

unsafe extern "C" fn wal_write(
    file: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    unsafe {
        let wal = wrapped(file);
        #[cfg(test)]
        {
            wal.writes_in += 1;
        }
        let Ok(len) = usize::try_from(amount) else {
            return ffi::SQLITE_IOERR_WRITE;
        };
        let data = std::slice::from_raw_parts(buf.cast::<u8>(), len);
        let header = amount == FRAME_HEADER && offset >= WAL_HEADER;
        if header {
            // Bytes 4..8 of a frame header: the database's size in pages
            // after a commit, zero in every other frame.
            wal.committing = data[4..8] != [0; 4];
        }
        let end = wal.offset + wal.gathered.len() as i64;
        if !wal.gathered.is_empty() && (offset != end || wal.gathered.len() + len > MAX_GATHERED) {
            let rc = wal.flush();
            if rc != ffi::SQLITE_OK {
                return rc;
            }
        }
        if wal.gathered.is_empty() {
            wal.offset = offset;
        }
        wal.gathered.extend_from_slice(data);
        if wal.committing {
            // A commit frame's header, then its page (or a padding frame
            // after it), each written at once: the page is the last write
            // before SQLite publishes the commit, and a header SQLite
            // rewrites with a new checksum after the commit frame (when
            // the transaction wrote a page twice) is followed by nothing.
            return wal.flush();
        }
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn any_truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    unsafe { flush_then!(file, xTruncate(size)) }
}

unsafe extern "C" fn any_sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    unsafe { flush_then!(file, xSync(flags)) }
}

unsafe extern "C" fn any_file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    unsafe { flush_then!(file, xFileSize(size)) }
}

unsafe extern "C" fn any_file_control(
    file: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    unsafe { flush_then!(file, xFileControl(op, arg)) }
}

unsafe extern "C" fn any_lock(file: *mut ffi::sqlite3_file, lock: c_int) -> c_int {
    unsafe { pass!(file, xLock(lock)) }
}

unsafe extern "C" fn any_unlock(file: *mut ffi::sqlite3_file, lock: c_int) -> c_int {
    unsafe { pass!(file, xUnlock(lock)) }
}

unsafe extern "C" fn any_check_reserved_lock(
    file: *mut ffi::sqlite3_file,
    out: *mut c_int,
) -> c_int {
    unsafe { pass!(file, xCheckReservedLock(out)) }
}

unsafe extern "C" fn any_sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe { pass!(file, xSectorSize()) }
}

unsafe extern "C" fn any_device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe { pass!(file, xDeviceCharacteristics()) }
}

unsafe extern "C" fn db_close(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe {
        let f = wrapped(file);
        databases().remove(&f.database);
        let closed = f.platform_methods().xClose.expect("xClose")(f.platform);
        ptr::drop_in_place(file.cast::<File>());
        closed
    }
}

unsafe extern "C" fn db_write(
    file: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    unsafe { pass!(file, xWrite(buf, amount, offset)) }
}

unsafe extern "C" fn db_shm_map(
    file: *mut ffi::sqlite3_file,
    page: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    unsafe { pass!(file, xShmMap(page, size, extend, out)) }
}

unsafe extern "C" fn db_shm_lock(
    file: *mut ffi::sqlite3_file,
    offset: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    unsafe {
        let releases_write_lock = flags & ffi::SQLITE_SHM_UNLOCK != 0
            && flags & ffi::SQLITE_SHM_EXCLUSIVE != 0
            && offset <= WAL_WRITE_LOCK
            && WAL_WRITE_LOCK < offset + n;
        if releases_write_lock {
            let f = wrapped(file);
            let wal = databases().get(&f.database).copied().unwrap_or(0);
            if wal != 0 {
                // What a transaction that did not commit left gathered:
                // written while this connection still holds the lock, as
                // SQLite would have. It is past the log's committed end,
                // so an error writing it changes nothing anyone reads.
                let rc = (*(wal as *mut File)).flush();
                if rc != ffi::SQLITE_OK {
                    tracing::debug!(rc, "writing an uncommitted WAL tail");
                }
            }
        }
        pass!(file, xShmLock(offset, n, flags))
    }
}

unsafe extern "C" fn db_shm_barrier(file: *mut ffi::sqlite3_file) {
    unsafe { pass!(file, xShmBarrier()) }
}

unsafe extern "C" fn db_shm_unmap(file: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    unsafe { pass!(file, xShmUnmap(delete)) }
}

unsafe extern "C" fn db_fetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    amount: c_int,
    out: *mut *mut c_void,
) -> c_int {
    unsafe { pass!(file, xFetch(offset, amount, out)) }
}

unsafe extern "C" fn db_unfetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    page: *mut c_void,
) -> c_int {
    unsafe { pass!(file, xUnfetch(offset, page)) }
}

// The rest of the VFS is the platform's, called with the platform's VFS.

/// Calls the platform VFS's `$method`.
macro_rules! on_platform {
    ($vfs:expr, $method:ident ( $($arg:expr),* )) => {{
        let p = platform($vfs);
        (*p).$method.expect(stringify!($method))(p $(, $arg)*)
    }};
}

unsafe extern "C" fn x_delete(
    vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    sync_dir: c_int,
) -> c_int {
    unsafe { on_platform!(vfs, xDelete(name, sync_dir)) }
}

unsafe extern "C" fn x_access(
    vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    flags: c_int,
    out: *mut c_int,
) -> c_int {
    unsafe { on_platform!(vfs, xAccess(name, flags, out)) }
}

unsafe extern "C" fn x_full_pathname(
    vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    n: c_int,
    out: *mut c_char,
) -> c_int {
    unsafe { on_platform!(vfs, xFullPathname(name, n, out)) }
}

unsafe extern "C" fn x_dl_open(vfs: *mut ffi::sqlite3_vfs, name: *const c_char) -> *mut c_void {
    unsafe {
        let p = platform(vfs);
        match (*p).xDlOpen {
            Some(f) => f(p, name),
            None => ptr::null_mut(),
        }
    }
}

unsafe extern "C" fn x_dl_error(vfs: *mut ffi::sqlite3_vfs, n: c_int, out: *mut c_char) {
    unsafe {
        let p = platform(vfs);
        if let Some(f) = (*p).xDlError {
            f(p, n, out);
        }
    }
}

type DlSym = unsafe extern "C" fn(*mut ffi::sqlite3_vfs, *mut c_void, *const c_char);

unsafe extern "C" fn x_dl_sym(
    vfs: *mut ffi::sqlite3_vfs,
    handle: *mut c_void,
    symbol: *const c_char,
) -> Option<DlSym> {
    unsafe {
        let p = platform(vfs);
        (*p).xDlSym.and_then(|f| f(p, handle, symbol))
    }
}

unsafe extern "C" fn x_dl_close(vfs: *mut ffi::sqlite3_vfs, handle: *mut c_void) {
    unsafe {
        let p = platform(vfs);
        if let Some(f) = (*p).xDlClose {
            f(p, handle);
        }
    }
}

unsafe extern "C" fn x_randomness(vfs: *mut ffi::sqlite3_vfs, n: c_int, out: *mut c_char) -> c_int {
    unsafe { on_platform!(vfs, xRandomness(n, out)) }
}

unsafe extern "C" fn x_sleep(vfs: *mut ffi::sqlite3_vfs, micros: c_int) -> c_int {
    unsafe { on_platform!(vfs, xSleep(micros)) }
}

unsafe extern "C" fn x_current_time(vfs: *mut ffi::sqlite3_vfs, out: *mut f64) -> c_int {
    unsafe { on_platform!(vfs, xCurrentTime(out)) }
}

unsafe extern "C" fn x_get_last_error(
    vfs: *mut ffi::sqlite3_vfs,
    n: c_int,
    out: *mut c_char,
) -> c_int {
    unsafe {
        let p = platform(vfs);
        match (*p).xGetLastError {
            Some(f) => f(p, n, out),
            None => 0,
        }
    }
}

unsafe extern "C" fn x_current_time_int64(vfs: *mut ffi::sqlite3_vfs, out: *mut i64) -> c_int {
    unsafe {
        let p = platform(vfs);
        match (*p).xCurrentTimeInt64 {
            Some(f) => f(p, out),
            None => ffi::SQLITE_ERROR,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use rusqlite::{Connection, OpenFlags};

    use super::*;

    /// A connection through this VFS, in WAL mode, syncing as the writer
    /// does (`NORMAL`), with a cache of `cache_pages`.
    fn gathering(path: &Path, cache_pages: i64) -> Connection {
        let conn =
            Connection::open_with_flags_and_vfs(path, OpenFlags::default(), register().unwrap())
                .unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
        conn.pragma_update(None, "cache_size", cache_pages).unwrap();
        conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        conn
    }

    /// A connection through SQLite's own unix VFS.
    fn plain(path: &Path) -> Connection {
        let conn =
            Connection::open_with_flags_and_vfs(path, OpenFlags::default(), c"unix").unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        conn
    }

    fn integrity(conn: &Connection) {
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }

    #[test]
    fn a_commit_reaches_the_file_in_a_few_large_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let conn = gathering(&path, 2000);
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)")
            .unwrap();
        let before = counters(&conn).unwrap();

        conn.execute_batch(
            "BEGIN;
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
             INSERT INTO t (data) SELECT randomblob(2000) FROM n;
             COMMIT;",
        )
        .unwrap();

        let after = counters(&conn).unwrap();
        let frames = (after.writes_in - before.writes_in) / 2;
        let written = after.writes_out - before.writes_out;
        assert!(frames >= 150, "a commit of {frames} frames");
        // 4,120 bytes a frame in writes of up to 120 KiB, the commit
        // frame's page on its own.
        let most = (frames * 4120).div_ceil(MAX_WRITE as u64) + 1;
        assert!(
            written <= most,
            "{frames} frames took {written} writes (at most {most} expected)"
        );
        assert_eq!(after.gathered, 0, "nothing is left gathered after a commit");

        // Another process's view: every row, and a sound database after a
        // checkpoint copied the frames.
        let reader = plain(&path);
        let rows: i64 = reader
            .query_row(
                "SELECT count(*) FROM t WHERE length(data) = 2000",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(rows, 300);
        reader
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        integrity(&reader);
    }

    #[test]
    fn a_rolled_back_transaction_leaves_nothing_behind_for_the_next_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        // A cache of 20 pages: the transaction spills frames to the WAL
        // before it rolls back (less than MAX_GATHERED, so they stay
        // gathered, from the log's start).
        let spiller = gathering(&path, 20);
        spiller
            .execute_batch(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB);
                 INSERT INTO t (data) VALUES (x'00');",
            )
            .unwrap();
        // The committed pages in the database file, so that the rollback
        // reloads them from there and does not read the WAL.
        spiller
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        let before = counters(&spiller).unwrap();
        spiller
            .execute_batch(
                "BEGIN;
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150)
                 INSERT INTO t (data) SELECT randomblob(3000) FROM n;",
            )
            .unwrap();
        let spilled = counters(&spiller).unwrap();
        assert!(
            spilled.writes_in > before.writes_in,
            "the transaction spilled frames to the WAL"
        );
        spiller.execute_batch("ROLLBACK").unwrap();
        assert_eq!(
            counters(&spiller).unwrap().gathered,
            0,
            "what the rolled-back transaction gathered is written before the write lock goes"
        );

        // Another connection commits where those frames were; then the
        // first reads the log again.
        let other = gathering(&path, 2000);
        other
            .execute_batch(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
                 INSERT INTO t (data) SELECT zeroblob(1000) FROM n;",
            )
            .unwrap();
        let seen: i64 = spiller
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(seen, 51);
        drop(spiller);
        drop(other);

        let reader = plain(&path);
        let zeros: i64 = reader
            .query_row(
                "SELECT count(*) FROM t WHERE data = zeroblob(1000)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(zeros, 50, "the second connection's rows are intact");
        integrity(&reader);
    }

    #[test]
    fn readers_and_a_checkpointer_see_only_whole_commits_while_the_writer_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let writer = gathering(&path, 2000);
        writer
            .execute_batch(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, batch INTEGER, data BLOB);
                 CREATE INDEX t_batch ON t (batch);",
            )
            .unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut others = Vec::new();
        for n in 0..2 {
            let path = path.clone();
            let stop = stop.clone();
            others.push(std::thread::spawn(move || {
                let conn = plain(&path);
                let mut checks = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if n == 1 {
                        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                            .unwrap();
                    }
                    // Every batch is whole: 20 rows, each with its data.
                    let torn: i64 = conn
                        .query_row(
                            "SELECT count(*) FROM (SELECT batch FROM t GROUP BY batch
                              HAVING count(*) != 20 OR sum(length(data)) != 20 * 700)",
                            [],
                            |r| r.get(0),
                        )
                        .unwrap();
                    assert_eq!(torn, 0);
                    checks += 1;
                }
                integrity(&conn);
                checks
            }));
        }
        for batch in 0..400 {
            writer
                .execute_batch(&format!(
                    "BEGIN;
                     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)
                     INSERT INTO t (batch, data) SELECT {batch}, randomblob(700) FROM n;
                     COMMIT;"
                ))
                .unwrap();
            assert_eq!(counters(&writer).unwrap().gathered, 0);
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for other in others {
            assert!(other.join().unwrap() > 0);
        }
        let rows: i64 = plain(&path)
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 400 * 20);
    }

    #[test]
    fn the_files_hold_every_commit_when_it_returns_even_one_that_wrote_pages_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        // A cache of 10 pages: the transaction spills pages, then changes
        // them again, so SQLite overwrites their frames and rewrites the
        // checksums after the commit frame.
        let conn = gathering(&path, 10);
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, data BLOB)")
            .unwrap();
        for round in 1..=3 {
            conn.execute_batch(&format!(
                "BEGIN;
                 WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 100)
                 INSERT INTO t (n, data) SELECT {round}, randomblob(1500) FROM k;
                 UPDATE t SET n = n + 1000 WHERE n = {round};
                 COMMIT;"
            ))
            .unwrap();
            // What a power cut would leave right now (what was written to
            // the files, whether or not it reached the disk yet), opened
            // as after a restart: SQLite recovers the WAL by its checksums.
            let copy = dir.path().join(format!("copy-{round}"));
            std::fs::create_dir(&copy).unwrap();
            std::fs::copy(&path, copy.join("t.db")).unwrap();
            std::fs::copy(dir.path().join("t.db-wal"), copy.join("t.db-wal")).unwrap();
            let after = plain(&copy.join("t.db"));
            let (rows, done): (i64, i64) = after
                .query_row(
                    "SELECT count(*), count(*) FILTER (WHERE n > 1000) FROM t",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            assert_eq!((rows, done), (round * 100, round * 100), "round {round}");
            integrity(&after);
        }
    }

    #[test]
    fn other_files_are_the_platforms_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let conn =
            Connection::open_with_flags_and_vfs(&path, OpenFlags::default(), register().unwrap())
                .unwrap();
        // A rollback journal is not gathered: nothing to count.
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        assert_eq!(counters(&conn), None);
        let x: i64 = conn.query_row("SELECT x FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(x, 1);
    }
}
