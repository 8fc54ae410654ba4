//! The single writer: one thread owns the write connection and commits the
//! work of many concurrent requests in one transaction.
//!
//! A request hands its work to the thread and waits. The thread takes all
//! the work waiting, up to [`MAX_BATCH`], runs it, commits once — one fsync
//! for the whole batch — and only then answers every waiting request. An
//! answer therefore always means "on disk", and under load the cost of the
//! fsync is shared by everyone in the batch.
//!
//! A piece of work that fails leaves nothing behind. General work
//! ([`Writer::run`]) runs in a savepoint of its own. Syncs
//! ([`Writer::run_replayable`]) can be run again, so they run first in the
//! batch's transaction with no savepoint at all (a savepoint copies every
//! page it changes first, which cost more than the sync's own statements):
//! when one of them fails after it wrote, the transaction is rolled back and
//! begun again, and the others run again, each in a savepoint of its own.
//!
//! The thread also owns the [`SyncCache`] of box and resident facts, and
//! empties it whenever something else may have changed them (see
//! [`super::cache`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::mpsc;

use super::cache::{SyncCache, WATCHED_TABLES};
use super::{Result, StoreError};

/// Most pieces of work in one transaction.
pub(crate) const MAX_BATCH: usize = 512;

type Reply = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;
/// A piece of work: given the connection (or why there is none), it runs and
/// returns how to answer once the commit is decided.
type Work = Box<dyn FnOnce(std::result::Result<&Connection, &str>) -> Reply + Send>;

/// Work that may run more than once in the same batch.
trait Replayable: Send {
    /// Runs the work; `true` when it succeeded. May be called again after
    /// what it did was rolled back.
    fn attempt(&mut self, conn: &Connection, cache: &mut SyncCache) -> bool;
    /// Answers the caller once the commit is decided.
    fn finish(self: Box<Self>, committed: std::result::Result<(), String>);
}

struct Replay<T, F> {
    f: F,
    result: Option<Result<T>>,
    reply: tokio::sync::oneshot::Sender<Result<T>>,
}

impl<T, F> Replayable for Replay<T, F>
where
    T: Send,
    F: FnMut(&Connection, &mut SyncCache) -> Result<T> + Send,
{
    fn attempt(&mut self, conn: &Connection, cache: &mut SyncCache) -> bool {
        let result = (self.f)(conn, cache);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, committed: std::result::Result<(), String>) {
        let result = match committed {
            Ok(()) => self
                .result
                .unwrap_or_else(|| Err(StoreError::Commit("the work did not run".into()))),
            Err(e) => Err(StoreError::Commit(e)),
        };
        let _ = self.reply.send(result);
    }
}

enum Job {
    Once(Work),
    Replayable(Box<dyn Replayable>),
}

/// A handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread on `conn`. The thread ends when every
    /// `Writer` handle is dropped; join the returned handle to wait for the
    /// last commit.
    pub fn start(conn: Connection) -> (Writer, JoinHandle<()>) {
        Writer::start_checkpointing_at(conn, CHECKPOINT_PAGES)
    }

    /// [`Writer::start`], checkpointing when the WAL reaches
    /// `checkpoint_pages` (tests use a short WAL).
    fn start_checkpointing_at(conn: Connection, checkpoint_pages: i32) -> (Writer, JoinHandle<()>) {
        let (queue, jobs) = mpsc::channel::<Job>(MAX_BATCH * 4);
        let thread = std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || {
                let syncer = Syncer::start(&conn);
                let checkpointer = Checkpointer::start(&conn, checkpoint_pages);
                run(&conn, jobs, syncer.as_ref(), checkpointer.as_ref());
                if let Some(syncer) = syncer {
                    syncer.stop();
                }
                if let Some(checkpointer) = checkpointer {
                    checkpointer.stop();
                }
            })
            .unwrap_or_else(|e| panic!("cannot start the database writer thread: {e}"));
        (Writer { queue }, thread)
    }

    /// Runs `f` in the next transaction and returns its result once that
    /// transaction is committed. If the commit fails, nothing `f` did is
    /// stored and the result is an error.
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel::<Result<T>>();
        let work: Work = Box::new(move |conn: std::result::Result<&Connection, &str>| {
            let result = match conn {
                Ok(conn) => in_savepoint(conn, f),
                Err(why) => Err(StoreError::Commit(why.to_owned())),
            };
            Box::new(move |committed: std::result::Result<(), String>| {
                let _ = tx.send(match committed {
                    Ok(()) => result,
                    Err(e) => Err(StoreError::Commit(e)),
                });
            })
        });
        self.queue
            .send(Job::Once(work))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        rx.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Like [`Writer::run`], for work that can be run again in the same
    /// transaction after what it did was rolled back, and that reads through
    /// the writer's [`SyncCache`]. `f` must keep the cache true to what it
    /// wrote (the writer empties it after a rollback).
    pub(crate) async fn run_replayable<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection, &mut SyncCache) -> Result<T> + Send + 'static,
    {
        let (reply, rx) = tokio::sync::oneshot::channel::<Result<T>>();
        let job = Replay {
            f,
            result: None,
            reply,
        };
        self.queue
            .send(Job::Replayable(Box::new(job)))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        rx.await.map_err(|_| StoreError::WriterGone)?
    }
}

fn in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    conn.prepare_cached("SAVEPOINT work")?.execute([])?;
    match f(conn) {
        Ok(value) => {
            conn.prepare_cached("RELEASE work")?.execute([])?;
            Ok(value)
        }
        Err(error) => {
            conn.prepare_cached("ROLLBACK TO work")?.execute([])?;
            conn.prepare_cached("RELEASE work")?.execute([])?;
            Err(error)
        }
    }
}

fn statement(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

enum Finished {
    Reply(Reply),
    Replayable(Box<dyn Replayable>),
}

/// Begins the batch's transaction, and empties the cache when another
/// connection (the admin command line) committed since the last one.
fn begin(
    conn: &Connection,
    cache: &mut SyncCache,
    seen_version: &mut Option<i64>,
) -> std::result::Result<(), String> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| {
        let message = format!("cannot begin a transaction: {e}");
        tracing::error!("{message}");
        message
    })?;
    let version = data_version(conn).ok();
    if version.is_none() || version != *seen_version {
        cache.clear();
        *seen_version = version;
    }
    Ok(())
}

/// Runs the syncs of a batch, first in its transaction and without a
/// savepoint: a savepoint copies every page it changes first, which costs
/// more than a sync's own statements. When one fails after it wrote, the
/// transaction — which holds nothing but these syncs — is rolled back and
/// begun again, and the others run again, each in a savepoint of its own.
/// Every job ends up in `finished`; an error means the transaction could
/// not be begun again and none of them is stored.
fn run_syncs(
    conn: &Connection,
    cache: &mut SyncCache,
    seen_version: &mut Option<i64>,
    jobs: Vec<Box<dyn Replayable>>,
    finished: &mut Vec<Finished>,
) -> std::result::Result<(), String> {
    let mut done = Vec::with_capacity(jobs.len());
    let mut jobs = jobs.into_iter();
    while let Some(mut job) = jobs.next() {
        let before = conn.total_changes();
        if job.attempt(conn, cache) || conn.total_changes() == before {
            done.push(job); // done, or failed without writing anything
            continue;
        }
        // Undo it all; what the cache learned may be undone too.
        cache.clear();
        let _ = conn.execute_batch("ROLLBACK");
        finished.push(Finished::Replayable(job)); // its error stands; nothing of it is stored
        let others = done.into_iter().chain(jobs);
        if let Err(message) = begin(conn, cache, seen_version) {
            finished.extend(others.map(Finished::Replayable));
            return Err(message);
        }
        for other in others {
            finished.push(Finished::Replayable(job_alone(conn, cache, other)));
        }
        return Ok(());
    }
    finished.extend(done.into_iter().map(Finished::Replayable));
    Ok(())
}

/// Runs `job` in a savepoint of its own.
fn job_alone(
    conn: &Connection,
    cache: &mut SyncCache,
    mut job: Box<dyn Replayable>,
) -> Box<dyn Replayable> {
    if statement(conn, "SAVEPOINT alone").is_err() {
        cache.clear();
        return job; // it keeps its last result; the commit decides
    }
    if !job.attempt(conn, cache) {
        let _ = statement(conn, "ROLLBACK TO alone");
        cache.clear();
    }
    let _ = statement(conn, "RELEASE alone");
    job
}

fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("PRAGMA data_version")?
        .query_row([], |row| row.get(0))
}

fn run(
    conn: &Connection,
    mut jobs: mpsc::Receiver<Job>,
    syncer: Option<&Syncer>,
    checkpointer: Option<&Checkpointer>,
) {
    let mut cache = SyncCache::new();
    let mut seen_version = None;
    // Set when a write touches a table the cache reads.
    let touched = Arc::new(AtomicBool::new(false));
    {
        let touched = touched.clone();
        conn.update_hook(Some(
            move |_: rusqlite::hooks::Action, _: &str, table: &str, _: i64| {
                if WATCHED_TABLES.contains(&table) {
                    touched.store(true, Ordering::Relaxed);
                }
            },
        ));
    }
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = jobs.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(more) => batch.push(more),
                Err(_) => break,
            }
        }
        if let Some(checkpointer) = checkpointer {
            checkpointer.before_transaction(conn);
        }
        if let Err(message) = begin(conn, &mut cache, &mut seen_version) {
            for job in batch.drain(..) {
                match job {
                    Job::Once(work) => work(Err(&message))(Err(message.clone())),
                    Job::Replayable(job) => job.finish(Err(message.clone())),
                }
            }
            continue;
        }

        let mut finished = Vec::with_capacity(batch.len());
        let mut syncs = Vec::with_capacity(batch.len());
        let mut others = Vec::new();
        for job in batch.drain(..) {
            match job {
                Job::Replayable(job) => syncs.push(job),
                Job::Once(work) => others.push(work),
            }
        }
        if let Err(message) = run_syncs(conn, &mut cache, &mut seen_version, syncs, &mut finished) {
            for work in others {
                finished.push(Finished::Reply(work(Err(&message))));
            }
            answer(finished, &Err(message));
            continue;
        }
        for work in others {
            touched.store(false, Ordering::Relaxed);
            finished.push(Finished::Reply(work(Ok(conn))));
            if touched.load(Ordering::Relaxed) {
                cache.clear();
            }
        }

        let committed = conn.execute_batch("COMMIT").map_err(|e| {
            let message = e.to_string();
            tracing::error!(
                "commit failed, {} requests get an error: {message}",
                finished.len()
            );
            let _ = conn.execute_batch("ROLLBACK");
            cache.clear();
            message
        });
        if let (Some(checkpointer), Ok(())) = (checkpointer, &committed) {
            checkpointer.after_commit();
        }
        match (syncer, committed) {
            // Answered once the WAL is on disk, while this thread goes on.
            (Some(syncer), Ok(())) => syncer.after_sync(finished),
            (_, committed) => answer(finished, &committed),
        }
    }
}

fn answer(finished: Vec<Finished>, committed: &std::result::Result<(), String>) {
    for done in finished {
        match done {
            Finished::Reply(reply) => reply(committed.clone()),
            Finished::Replayable(job) => job.finish(committed.clone()),
        }
    }
}

/// Makes commits durable on a thread of its own, so that the writer
/// prepares the next batch while the disk works.
///
/// The writer's connection runs with `synchronous = NORMAL`: a commit
/// writes its frames to the WAL without waiting for the disk. That is the
/// only difference SQLite makes between NORMAL and FULL in WAL mode (FULL
/// adds a sync of the WAL after each commit; checkpoints sync the WAL before
/// and the database after either way). The syncer adds that sync back
/// before anyone hears of the commit: it syncs the WAL file — which holds
/// every frame written before the sync started, whichever descriptor wrote
/// it — and only then answers the batches committed before. One sync covers
/// all the batches committed while the previous one ran.
struct Syncer {
    batches: std::sync::mpsc::Sender<Vec<Finished>>,
    thread: JoinHandle<()>,
}

impl Syncer {
    /// Starts the syncer for `conn` and relaxes its commits to `NORMAL`, or
    /// leaves them `FULL` (answering in place) when the database is not a
    /// WAL file.
    fn start(conn: &Connection) -> Option<Syncer> {
        let wal: String = conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .ok()?;
        let path = conn.path().filter(|p| !p.is_empty())?;
        if !wal.eq_ignore_ascii_case("wal") {
            return None;
        }
        let wal_path = std::path::PathBuf::from(format!("{path}-wal"));
        let (batches, pending) = std::sync::mpsc::channel::<Vec<Finished>>();
        let thread = std::thread::Builder::new()
            .name("db-sync".into())
            .spawn(move || sync_loop(&wal_path, &pending))
            .ok()?;
        if conn.pragma_update(None, "synchronous", "NORMAL").is_err() {
            drop(batches);
            let _ = thread.join();
            return None;
        }
        Some(Syncer { batches, thread })
    }

    /// Answers `finished` once the WAL is synced.
    fn after_sync(&self, finished: Vec<Finished>) {
        if let Err(std::sync::mpsc::SendError(finished)) = self.batches.send(finished) {
            answer(finished, &Err("the database syncer has stopped".into()));
        }
    }

    /// Syncs what is left and answers it.
    fn stop(self) {
        drop(self.batches);
        let _ = self.thread.join();
    }
}

fn sync_loop(wal_path: &std::path::Path, pending: &std::sync::mpsc::Receiver<Vec<Finished>>) {
    let mut wal: Option<std::fs::File> = None;
    while let Ok(first) = pending.recv() {
        let mut batches = vec![first];
        batches.extend(pending.try_iter());
        let synced = match &wal {
            Some(file) => file.sync_data(),
            None => std::fs::File::open(wal_path).and_then(|file| {
                file.sync_data()?;
                wal = Some(file);
                Ok(())
            }),
        }
        .map_err(|e| {
            let message = format!("cannot sync the WAL {}: {e}", wal_path.display());
            tracing::error!("{message}");
            message
        });
        for finished in batches {
            answer(finished, &synced);
        }
    }
}

/// Pages in the WAL at which it is checkpointed (64 MB of 4 KiB pages). A
/// long WAL lets a page that many commits change be copied once; with the
/// copying off the writer's thread, its length costs nothing but disk.
const CHECKPOINT_PAGES: i32 = 16_000;
/// Pages not yet copied below which the writer finishes a checkpoint itself.
const CATCH_UP_PAGES: i32 = 500;
/// Pages at which the writer checkpoints itself whatever the checkpointer
/// does, so that the WAL stays bounded (256 MB).
const MAX_WAL_PAGES: i32 = 64_000;

std::thread_local! {
    /// Pages in the WAL after the writer's last commit, from the WAL hook.
    static WAL_PAGES: std::cell::Cell<i32> = const { std::cell::Cell::new(0) };
}

fn wal_hook(_: &rusqlite::hooks::Wal, pages: std::ffi::c_int) -> rusqlite::Result<()> {
    WAL_PAGES.with(|p| p.set(pages));
    Ok(())
}

/// Copies the WAL back into the database on a thread of its own, so that
/// the writer does not stop for it.
///
/// SQLite checkpoints at the end of the commit that fills the WAL, on the
/// committing thread: the writer stopped for the copy and two `fsync`s, and
/// every request waiting behind it saw that as latency. Here the writer only
/// reports the WAL's size after each commit (a WAL hook, which also turns
/// SQLite's own checkpoints off), and a thread with its own connection runs
/// passive checkpoints, which never block the writer. A passive checkpoint
/// copies what was committed before it started; the log starts over only
/// when everything has been copied by the time a write transaction begins,
/// which under steady load the checkpointer alone never sees. So once it is
/// within [`CATCH_UP_PAGES`] of the end it hands over, and the writer copies
/// that last stretch itself between two transactions — a short stop — after
/// which its next transaction writes the WAL from the start again.
struct Checkpointer {
    checkpoint_pages: i32,
    wake: std::sync::mpsc::SyncSender<()>,
    shared: Arc<CheckpointState>,
    thread: JoinHandle<()>,
}

#[derive(Default)]
struct CheckpointState {
    /// A pass is running.
    running: AtomicBool,
    /// The last pass ended within [`CATCH_UP_PAGES`] of the end of the WAL.
    caught_up: AtomicBool,
}

impl Checkpointer {
    /// Starts the checkpointer for `conn`'s database, or leaves SQLite's
    /// own checkpoints on when it cannot (not a WAL file, no second
    /// connection).
    fn start(conn: &Connection, checkpoint_pages: i32) -> Option<Checkpointer> {
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .ok()?;
        let path = conn.path().filter(|p| !p.is_empty())?.to_owned();
        if !mode.eq_ignore_ascii_case("wal") {
            return None;
        }
        let own = super::connect(std::path::Path::new(&path))
            .and_then(|own| {
                own.busy_timeout(std::time::Duration::from_secs(5))?;
                Ok(own)
            })
            .map_err(|e| tracing::warn!("checkpoints stay on the writer: {e}"))
            .ok()?;
        let shared = Arc::new(CheckpointState::default());
        let (wake, woken) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("db-checkpoint".into())
                .spawn(move || checkpoint_loop(&own, &woken, &shared))
                .ok()?
        };
        conn.wal_hook(Some(wal_hook));
        Some(Checkpointer {
            checkpoint_pages,
            wake,
            shared,
            thread,
        })
    }

    /// After each commit of the writer: wakes the checkpointer when the WAL
    /// has grown past its checkpoint length.
    fn after_commit(&self) {
        let pages = WAL_PAGES.with(|p| p.get());
        if pages >= self.checkpoint_pages
            && !self.shared.running.load(Ordering::Acquire)
            && !self.shared.caught_up.load(Ordering::Acquire)
        {
            let _ = self.wake.try_send(());
        }
    }

    /// Before each transaction of the writer: copies the last stretch of
    /// the WAL when the checkpointer is within reach of its end (or the WAL
    /// is too long), so that this transaction starts the log over.
    fn before_transaction(&self, conn: &Connection) {
        let pages = WAL_PAGES.with(|p| p.get());
        let caught_up = self.shared.caught_up.swap(false, Ordering::AcqRel);
        if caught_up || pages >= MAX_WAL_PAGES {
            if let Err(e) = checkpoint(conn) {
                tracing::warn!("checkpoint on the writer: {e}");
            }
            WAL_PAGES.with(|p| p.set(0));
        }
    }

    fn stop(self) {
        drop(self.wake);
        let _ = self.thread.join();
    }
}

/// A passive checkpoint: returns the WAL's length in frames and how many of
/// them are now in the database.
fn checkpoint(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get(1)?, row.get(2)?))
    })
}

fn checkpoint_loop(
    conn: &Connection,
    woken: &std::sync::mpsc::Receiver<()>,
    shared: &CheckpointState,
) {
    while woken.recv().is_ok() {
        shared.running.store(true, Ordering::Release);
        let mut before = -1;
        loop {
            match checkpoint(conn) {
                // Progress, not there yet: again, with what came meanwhile.
                Ok((log, copied))
                    if log - copied > i64::from(CATCH_UP_PAGES) && copied > before =>
                {
                    before = copied;
                    continue;
                }
                // Within reach: the writer finishes.
                Ok((log, copied)) if log - copied <= i64::from(CATCH_UP_PAGES) => {
                    shared.caught_up.store(true, Ordering::Release);
                }
                // A reader holds an older snapshot (or another checkpoint
                // runs): try again after a later commit.
                Ok(_) => {}
                Err(e) => tracing::warn!("checkpoint: {e}"),
            }
            break;
        }
        shared.running.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wal_database() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("test.db")).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch("CREATE TABLE t (job INTEGER PRIMARY KEY, data BLOB)")
            .unwrap();
        (dir, conn)
    }

    fn rows(dir: &tempfile::TempDir) -> Vec<i64> {
        let conn = Connection::open(dir.path().join("test.db")).unwrap();
        let mut statement = conn.prepare("SELECT job FROM t ORDER BY job").unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    /// Twenty syncs wait behind a slow piece of work, so that they share the
    /// next batch; the seventh writes, then fails. The others are stored and
    /// answered, the seventh leaves nothing behind, and the work queued
    /// after them runs too.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sync_that_fails_after_writing_leaves_the_others_of_its_batch_stored() {
        let (dir, conn) = wal_database();
        let (writer, thread) = Writer::start(conn);
        let slow = {
            let writer = writer.clone();
            tokio::spawn(async move {
                writer
                    .run(|_| {
                        std::thread::sleep(std::time::Duration::from_millis(300));
                        Ok(())
                    })
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let mut syncs = Vec::new();
        for job in 0..20_i64 {
            let writer = writer.clone();
            syncs.push(tokio::spawn(async move {
                writer
                    .run_replayable(move |conn, _| {
                        conn.execute("INSERT INTO t (job) VALUES (?1)", [job])?;
                        if job == 7 {
                            return Err(StoreError::Invalid("job 7 fails after writing".into()));
                        }
                        Ok(job)
                    })
                    .await
            }));
        }
        let after = {
            let writer = writer.clone();
            tokio::spawn(async move {
                writer
                    .run(|conn| Ok(conn.execute("INSERT INTO t (job) VALUES (100)", [])?))
                    .await
            })
        };
        slow.await.unwrap().unwrap();
        for (job, sync) in syncs.into_iter().enumerate() {
            let result = sync.await.unwrap();
            if job == 7 {
                assert!(
                    matches!(&result, Err(StoreError::Invalid(m)) if m.contains("job 7")),
                    "{result:?}"
                );
            } else {
                assert_eq!(result.unwrap(), job as i64);
            }
        }
        assert_eq!(after.await.unwrap().unwrap(), 1);
        drop(writer);
        thread.join().unwrap();
        let expected: Vec<i64> = (0..20).filter(|&j| j != 7).chain([100]).collect();
        assert_eq!(rows(&dir), expected);
    }

    /// 60 MB written in small transactions, as fast as the writer takes
    /// them: the checkpointer copies the WAL back while the writer goes on,
    /// the log starts over again and again, and its file stays far shorter
    /// than what was written. Everything is in the database afterwards.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_stays_short_under_steady_writes() {
        let (dir, conn) = wal_database();
        let (writer, thread) = Writer::start_checkpointing_at(conn, 4_000);
        let wal = dir.path().join("test.db-wal");
        let mut longest = 0;
        let mut tasks = Vec::new();
        for job in 0..15_000_i64 {
            let writer = writer.clone();
            tasks.push(tokio::spawn(async move {
                writer
                    .run(move |conn| {
                        conn.execute(
                            "INSERT INTO t (job, data) VALUES (?1, zeroblob(4000))",
                            [job],
                        )?;
                        Ok(())
                    })
                    .await
            }));
            if tasks.len() == 64 {
                for task in tasks.drain(..) {
                    task.await.unwrap().unwrap();
                }
                longest = longest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
            }
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        drop(writer);
        thread.join().unwrap();
        assert_eq!(rows(&dir).len(), 15_000);
        let bound = 3 * 4_000 * 4096;
        assert!(
            longest < bound,
            "the WAL grew to {longest} bytes for 60 MB written (bound {bound})"
        );
        let database = std::fs::metadata(dir.path().join("test.db")).unwrap().len();
        assert!(
            database > 40_000_000,
            "checkpoints copied only {database} bytes into the database"
        );
    }
}
