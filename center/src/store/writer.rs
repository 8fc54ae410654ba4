//! The single writer: one thread owns the write connection and commits the
//! work of many concurrent requests in one transaction.
//!
//! A request hands its work to the thread and waits. The thread takes all
//! the work waiting, up to [`MAX_BATCH`], runs each piece in its own
//! savepoint (a failing piece rolls back alone), commits once — one fsync for
//! the whole batch — and only then answers every waiting request. An answer
//! therefore always means "on disk", and under load the cost of the fsync is
//! shared by everyone in the batch.

use std::sync::mpsc;
use std::thread::JoinHandle;

use rusqlite::Connection;

use super::{Result, StoreError};

/// Most pieces of work in one transaction.
pub(crate) const MAX_BATCH: usize = 512;

type Reply = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;
/// A piece of work: given the connection (or why there is none), it runs and
/// returns how to answer once the commit is decided.
type Work = Box<dyn FnOnce(std::result::Result<&Connection, &str>) -> Reply + Send>;

/// A handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::SyncSender<Work>,
}

impl Writer {
    /// Starts the writer thread on `conn`. The thread ends when every
    /// `Writer` handle is dropped; join the returned handle to wait for the
    /// last commit.
    pub fn start(conn: Connection) -> (Writer, JoinHandle<()>) {
        let (queue, work) = mpsc::sync_channel::<Work>(MAX_BATCH * 4);
        let thread = std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || run(&conn, &work))
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
        let queue = self.queue.clone();
        // The queue is bounded: waiting for room must not block the runtime.
        tokio::task::spawn_blocking(move || queue.send(work))
            .await
            .map_err(|_| StoreError::WriterGone)?
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

fn run(conn: &Connection, work: &mpsc::Receiver<Work>) {
    while let Ok(first) = work.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match work.try_recv() {
                Ok(more) => batch.push(more),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            let message = format!("cannot begin a transaction: {e}");
            tracing::error!("{message}");
            for piece in batch {
                piece(Err(&message))(Err(message.clone()));
            }
            continue;
        }
        let replies: Vec<Reply> = batch.into_iter().map(|piece| piece(Ok(conn))).collect();
        let committed = conn.execute_batch("COMMIT").map_err(|e| {
            let message = e.to_string();
            tracing::error!(
                "commit failed, {} requests get an error: {message}",
                replies.len()
            );
            let _ = conn.execute_batch("ROLLBACK");
            message
        });
        for reply in replies {
            reply(committed.clone());
        }
    }
}
