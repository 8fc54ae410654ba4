//! The sender: a task that hands the outbox's due messages to the SMTP relay
//! over a pooled lettre transport and records what became of each.
//!
//! Every `poll_interval` it reads the due rows ([`outbox::due`]), composes
//! each (the same bytes at every attempt: [`outbox::Pending::compose`]),
//! sends up to `concurrency` at once, and records the outcome through the
//! database writer, one commit per answer:
//!
//! * accepted (2xx) → `sent`;
//! * a transient failure — the relay unreachable, a timeout, a 4xx
//!   answer — → retried after an exponential backoff with jitter
//!   ([`outbox::retry_delay`]) until the row is `max_age` old, then `failed`;
//! * a permanent failure — a 5xx answer (a mailbox that does not exist, a
//!   refused AUTH), TLS that cannot be established, a relay that does not
//!   offer what the configuration requires (STARTTLS, an AUTH mechanism),
//!   an address that does not parse — → `failed` at once, with the error
//!   stored for the dashboard and `admin mail list --failed`; once the
//!   cause is fixed, `admin mail retry` queues them again.
//!
//! Which is which follows lettre's own classification of the error
//! ([`classify`]), never the error's text.
//!
//! **Delivery is at least once.** A row is marked `sent` only after the
//! relay has accepted it. If the center dies between the relay's answer and
//! the commit of `sent`, the row is still `pending` after the restart and
//! is sent again: at most the messages in flight at the crash (up to
//! `concurrency`) can arrive twice. They carry the same `Message-ID`, so a
//! mail client or a relay can recognise the duplicate. Nothing else is sent
//! twice, and nothing enqueued is lost: rows are committed with their cause.

use std::sync::Arc;

use super::MailConfig;
use super::relay::{Relay, RelayError};
use crate::clock::Clock;
use crate::store::outbox::{self, AfterFailure, Pending};
use crate::store::{StoreError, Writer};

/// Most rows read at once.
const BATCH: usize = 256;

/// What one pass over the due rows did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Rows accepted by the relay.
    pub sent: usize,
    /// Rows to be tried again later.
    pub retried: usize,
    /// Rows given up.
    pub failed: usize,
}

/// The sender: the outbox, the transport and the clock.
#[derive(Clone)]
pub struct Sender {
    writer: Writer,
    mail: Arc<MailConfig>,
    relay: Arc<Relay>,
    clock: Arc<dyn Clock>,
}

impl Sender {
    /// A sender over `writer`'s database to the relay of `mail`.
    pub fn new(
        writer: Writer,
        mail: Arc<MailConfig>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, lettre::transport::smtp::Error> {
        let relay = Arc::new(Relay::new(&mail.smtp, mail.concurrency)?);
        Ok(Self {
            writer,
            mail,
            relay,
            clock,
        })
    }

    /// Sends what is due until `stop` turns true; the messages in flight
    /// then finish (or time out) and are recorded.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut interval = tokio::time::interval(self.mail.poll_interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = stop.changed() => {
                    self.relay.close().await;
                    return;
                }
            }
            loop {
                match self.send_due().await {
                    // A full batch: more may be due right now.
                    Ok((pass, read)) if read == BATCH && pass.sent + pass.failed > 0 => {}
                    Ok(_) => break,
                    Err(e) => {
                        tracing::error!("mail outbox: {e}");
                        break;
                    }
                }
            }
        }
    }

    /// One pass: sends every row due now, at most `concurrency` at once,
    /// and records each outcome. Returns the tally and the rows read.
    pub async fn send_due(&self) -> Result<(Pass, usize), StoreError> {
        let now = self.clock.now();
        let due = self
            .writer
            .run(move |conn| outbox::due(conn, now, BATCH))
            .await?;
        let read = due.len();
        let permits = Arc::new(tokio::sync::Semaphore::new(self.mail.concurrency));
        let mut tasks = tokio::task::JoinSet::new();
        for row in due {
            let sender = self.clone();
            let permits = permits.clone();
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                sender.send_one(row).await
            });
        }
        let mut pass = Pass::default();
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Ok(Outcome::Sent)) => pass.sent += 1,
                Ok(Ok(Outcome::Retry)) => pass.retried += 1,
                Ok(Ok(Outcome::Failed)) => pass.failed += 1,
                Ok(Err(e)) => tracing::error!("mail outbox: recording a result: {e}"),
                Err(e) => tracing::error!("mail outbox: a send task ended abnormally: {e}"),
            }
        }
        Ok((pass, read))
    }

    async fn send_one(&self, row: Pending) -> Result<Outcome, StoreError> {
        let id = row.id;
        let attempt = match row.compose(&self.mail.settings) {
            Ok(message) => self
                .relay
                .send(&message)
                .await
                .map_err(|e| (e.failure() == Failure::Permanent, relay_error_text(&e))),
            // Composition is deterministic: its errors never go away.
            Err(e) => Err((true, error_chain(&e))),
        };
        let now = self.clock.now();
        match attempt {
            Ok(()) => {
                self.writer
                    .run(move |conn| outbox::record_sent(conn, id, now))
                    .await?;
                tracing::info!(
                    outbox = id,
                    recipient = row.payload.recipient(),
                    kind = row.payload.kind(),
                    "mail sent"
                );
                Ok(Outcome::Sent)
            }
            Err((permanent, error)) => {
                let max_age = self.mail.max_age;
                let jitter: f64 = rand::random();
                let message = error.clone();
                let after = self
                    .writer
                    .run(move |conn| {
                        outbox::record_failure(conn, id, now, &message, permanent, max_age, jitter)
                    })
                    .await?;
                match after {
                    AfterFailure::RetryAt(at) => {
                        tracing::warn!(outbox = id, recipient = row.payload.recipient(), attempt = row.attempts + 1, retry_at = %at, "mail not sent, will retry: {error}");
                        Ok(Outcome::Retry)
                    }
                    AfterFailure::Failed => {
                        tracing::error!(
                            outbox = id,
                            recipient = row.payload.recipient(),
                            kind = row.payload.kind(),
                            "mail failed, not retried: {error}"
                        );
                        Ok(Outcome::Failed)
                    }
                }
            }
        }
    }
}

/// What a failed SMTP attempt means for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// It may go through later: try again after a backoff.
    Transient,
    /// It will not go through as things are: give up at once.
    Permanent,
}

/// Classifies a lettre SMTP error by lettre's own kinds:
///
/// * a 5xx reply ([`is_permanent`](lettre::transport::smtp::Error::is_permanent))
///   — the mailbox does not exist, the message or the AUTH was refused —
///   is permanent;
/// * a 4xx reply ([`is_transient`](lettre::transport::smtp::Error::is_transient))
///   and a timeout are transient;
/// * a TLS failure (a certificate that does not verify, a handshake that
///   fails) and a client-side refusal (the relay does not offer STARTTLS
///   or any AUTH mechanism the configuration needs) are permanent: they
///   need the operator, not time. lettre reports a failed TLS handshake
///   as a connection error whose I/O error has kind `InvalidData` (how
///   tokio-rustls reports every TLS error: a certificate that does not
///   verify, a server that does not speak TLS); that is permanent too;
/// * everything else — connection refused or reset, network trouble, an
///   unreadable answer — is transient.
pub fn classify(error: &lettre::transport::smtp::Error) -> Failure {
    if error.is_permanent() {
        Failure::Permanent
    } else if error.is_transient() || error.is_timeout() {
        Failure::Transient
    } else if error.is_tls() || error.is_client() || tls_handshake_failed(error) {
        Failure::Permanent
    } else {
        Failure::Transient
    }
}

/// Whether an I/O error of kind `InvalidData` is in the chain: what
/// tokio-rustls makes of a TLS error.
fn tls_handshake_failed(error: &lettre::transport::smtp::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::InvalidData;
        }
        source = e.source();
    }
    false
}

enum Outcome {
    Sent,
    Retry,
    Failed,
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

fn relay_error_text(error: &RelayError) -> String {
    match error {
        RelayError::Smtp(e) => match e.status() {
            Some(code) => format!("SMTP {code}: {}", error_chain(e)),
            None => error_chain(e),
        },
        other => error_chain(other),
    }
}
