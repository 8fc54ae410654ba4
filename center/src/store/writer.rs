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
//! ([`Writer::run_replayable`]) can be run again, so consecutive ones share
//! one savepoint (a savepoint copies every page it changes first, which cost
//! more than the sync's own statements): when one of them fails after it
//! wrote, the shared savepoint is rolled back and the others run again, each
//! in its own.
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
        let (queue, jobs) = mpsc::channel::<Job>(MAX_BATCH * 4);
        let thread = std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || {
                let syncer = Syncer::start(&conn);
                run(&conn, jobs, syncer.as_ref());
                if let Some(syncer) = syncer {
                    syncer.stop();
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

/// Replayable work of one batch that shares a savepoint.
#[derive(Default)]
struct Group {
    open: bool,
    members: Vec<Box<dyn Replayable>>,
}

enum Finished {
    Reply(Reply),
    Replayable(Box<dyn Replayable>),
}

impl Group {
    /// Runs `job` in the group's savepoint. If it fails after writing, the
    /// group is rolled back and its other members run again one by one.
    fn run(
        &mut self,
        conn: &Connection,
        cache: &mut SyncCache,
        mut job: Box<dyn Replayable>,
        finished: &mut Vec<Finished>,
    ) {
        if !self.open {
            self.open = statement(conn, "SAVEPOINT batch").is_ok();
            if !self.open {
                // Without the savepoint the work runs alone in its own.
                finished.push(Finished::Replayable(job_alone(conn, cache, job)));
                return;
            }
        }
        let before = conn.total_changes();
        if job.attempt(conn, cache) || conn.total_changes() == before {
            self.members.push(job); // done, or failed without writing anything
            return;
        }
        // Undo the group; what the cache learned may be undone too.
        let _ = statement(conn, "ROLLBACK TO batch");
        let _ = statement(conn, "RELEASE batch");
        self.open = false;
        cache.clear();
        for other in self.members.drain(..) {
            finished.push(Finished::Replayable(job_alone(conn, cache, other)));
        }
        finished.push(Finished::Replayable(job)); // its error stands; nothing of it is stored
    }

    /// Ends the group's savepoint, keeping what it did.
    fn close(&mut self, conn: &Connection, cache: &mut SyncCache, finished: &mut Vec<Finished>) {
        if self.open {
            if statement(conn, "RELEASE batch").is_err() {
                // Cannot happen short of a broken connection; the commit
                // will tell.
                cache.clear();
            }
            self.open = false;
        }
        finished.extend(self.members.drain(..).map(Finished::Replayable));
    }
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

fn run(conn: &Connection, mut jobs: mpsc::Receiver<Job>, syncer: Option<&Syncer>) {
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
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            let message = format!("cannot begin a transaction: {e}");
            tracing::error!("{message}");
            for job in batch.drain(..) {
                match job {
                    Job::Once(work) => work(Err(&message))(Err(message.clone())),
                    Job::Replayable(job) => job.finish(Err(message.clone())),
                }
            }
            continue;
        }
        // Another connection (the admin command line) committed since our
        // last transaction: what the cache holds may be stale.
        let version = data_version(conn).ok();
        if version.is_none() || version != seen_version {
            cache.clear();
            seen_version = version;
        }

        let mut finished = Vec::with_capacity(batch.len());
        let mut group = Group::default();
        for job in batch.drain(..) {
            match job {
                Job::Once(work) => {
                    group.close(conn, &mut cache, &mut finished);
                    touched.store(false, Ordering::Relaxed);
                    finished.push(Finished::Reply(work(Ok(conn))));
                    if touched.load(Ordering::Relaxed) {
                        cache.clear();
                    }
                }
                Job::Replayable(job) => group.run(conn, &mut cache, job, &mut finished),
            }
        }
        group.close(conn, &mut cache, &mut finished);

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
            Some(file) => file.sync_all(),
            None => std::fs::File::open(wal_path).and_then(|file| {
                file.sync_all()?;
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
