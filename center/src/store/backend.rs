//! What the server needs from storage, as a trait: the HTTP API and the
//! sweeper hold a `dyn CenterStore` and never see SQL. [`SqliteStore`] is the
//! one implementation today; a PostgreSQL store would be another.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use jiff::Timestamp;
use mimamori_protocol::{SyncRequest, SyncResponse};

use super::watch::{Applied, SweepReport};
use super::{Result, Writer};
use crate::config::Config;

/// A boxed future, for a trait that is used as `dyn`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The server's storage operations. Each completes only once its effects are
/// durable.
pub trait CenterStore: Send + Sync + 'static {
    /// Handles a box's sync request (see [`super::sync::sync`]).
    fn sync(
        &self,
        token_hash: [u8; 32],
        request: SyncRequest,
        now: Timestamp,
    ) -> BoxFuture<'_, Result<(SyncResponse, Vec<Applied>)>>;

    /// Runs the time rules for every resident due at `now`.
    fn sweep(&self, now: Timestamp) -> BoxFuture<'_, Result<SweepReport>>;

    /// Succeeds when the store can take a transaction.
    fn health(&self) -> BoxFuture<'_, Result<()>>;

    /// Hands the box with the token a fresh login challenge (see
    /// [`super::login::issue`]).
    fn login_challenge(
        &self,
        token_hash: [u8; 32],
        bytes: [u8; 32],
        now: Timestamp,
    ) -> BoxFuture<'_, Result<super::login::Challenge>>;

    /// Spends a challenge and verifies a card's signature over it (see
    /// [`super::login::verify`]).
    fn login(
        &self,
        token_hash: [u8; 32],
        answer: LoginAnswer,
        now: Timestamp,
    ) -> BoxFuture<'_, Result<super::login::LoggedIn>>;

    /// Looks up a family contact's unsubscribe token and, with `stop`,
    /// stops their mail (see [`super::people::unsubscribe`]).
    fn unsubscribe(
        &self,
        token: String,
        stop: bool,
        now: Timestamp,
    ) -> BoxFuture<'_, Result<Option<super::people::Subscription>>>;
}

/// A box's answer to a login challenge.
#[derive(Debug, Clone)]
pub struct LoginAnswer {
    /// The challenge's bytes.
    pub challenge: Vec<u8>,
    /// The card's certificate.
    pub fingerprint: mimamori_protocol::CertFingerprint,
    /// The card's signature over the challenge.
    pub signature: mimamori_protocol::Signature,
}

/// The SQLite store: one file, one writer thread with group commit.
#[derive(Clone)]
pub struct SqliteStore {
    writer: Writer,
    config: Arc<Config>,
}

impl SqliteStore {
    /// A store over a started writer.
    pub fn new(writer: Writer, config: Arc<Config>) -> Self {
        Self { writer, config }
    }
}

impl CenterStore for SqliteStore {
    fn sync(
        &self,
        token_hash: [u8; 32],
        request: SyncRequest,
        now: Timestamp,
    ) -> BoxFuture<'_, Result<(SyncResponse, Vec<Applied>)>> {
        let config = self.config.clone();
        Box::pin(self.writer.run_replayable(move |conn, cache| {
            super::sync::sync_cached(conn, cache, &config, &token_hash, &request, now)
        }))
    }

    fn sweep(&self, now: Timestamp) -> BoxFuture<'_, Result<SweepReport>> {
        let config = self.config.clone();
        Box::pin(
            self.writer
                .run(move |conn| super::watch::sweep(conn, &config, now)),
        )
    }

    fn health(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.writer.run(|conn| {
            conn.query_row("SELECT 1", [], |row| row.get::<_, i64>(0))?;
            Ok(())
        }))
    }

    fn login_challenge(
        &self,
        token_hash: [u8; 32],
        bytes: [u8; 32],
        now: Timestamp,
    ) -> BoxFuture<'_, Result<super::login::Challenge>> {
        Box::pin(
            self.writer
                .run(move |conn| super::login::issue(conn, &token_hash, bytes, now)),
        )
    }

    fn login(
        &self,
        token_hash: [u8; 32],
        answer: LoginAnswer,
        now: Timestamp,
    ) -> BoxFuture<'_, Result<super::login::LoggedIn>> {
        Box::pin(self.writer.run(move |conn| {
            super::login::verify(
                conn,
                &token_hash,
                &answer.challenge,
                &answer.fingerprint,
                &answer.signature,
                now,
            )
        }))
    }

    fn unsubscribe(
        &self,
        token: String,
        stop: bool,
        now: Timestamp,
    ) -> BoxFuture<'_, Result<Option<super::people::Subscription>>> {
        Box::pin(
            self.writer
                .run(move |conn| super::people::unsubscribe(conn, &token, stop, now)),
        )
    }
}
