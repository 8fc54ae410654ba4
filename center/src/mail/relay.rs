//! The connections to the SMTP relay: opened here, with `TCP_NODELAY`, and
//! reused for the next message; lettre speaks SMTP on each.
//!
//! lettre's own pooled transport opens its sockets without `TCP_NODELAY`
//! and offers no way to set it. It writes a message's body and the
//! terminating `.` in two writes, so Nagle's algorithm holds the `.` back
//! until the relay has acknowledged the body — and a relay delays that
//! acknowledgement (Linux by ~40 ms, Postfix the same), since it has
//! nothing to answer before the `.`. Each connection then carried about 21
//! messages a second however fast everything else was. With `TCP_NODELAY`
//! the `.` leaves at once (`docs/performance.md`).
//!
//! Plain SMTP and STARTTLS (lettre upgrades the connection) go over these
//! sockets. Implicit TLS connects through lettre, which gives no hook for
//! the socket option: its connections still carry the 40 ms.

use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::sender::{Failure, classify};
use super::{Security, Smtp};

/// How long connecting (TCP, greeting, EHLO, STARTTLS, AUTH) may take.
const CONNECT_LIMIT: Duration = Duration::from_secs(30);
/// How long handing over one message may take.
const SEND_LIMIT: Duration = Duration::from_secs(60);
/// A connection idle longer than this is asked (NOOP) whether it is still
/// open before it carries a message; relays close idle connections.
const CHECK_AFTER: Duration = Duration::from_secs(5);
/// A connection idle longer than this is closed rather than reused.
const IDLE_LIMIT: Duration = Duration::from_secs(60);

/// Why a message was not handed over.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The relay could not be reached: no TCP connection.
    #[error("cannot connect to the SMTP relay: {0}")]
    Connect(#[source] std::io::Error),
    /// The relay did not finish in time.
    #[error("the SMTP relay did not answer within {0:?}")]
    Timeout(Duration),
    /// What SMTP (or TLS on it) said.
    #[error(transparent)]
    Smtp(#[from] lettre::transport::smtp::Error),
}

impl RelayError {
    /// Transient or permanent, by kind ([`classify`] for SMTP's errors).
    pub fn failure(&self) -> Failure {
        match self {
            RelayError::Connect(_) | RelayError::Timeout(_) => Failure::Transient,
            RelayError::Smtp(e) => classify(e),
        }
    }
}

/// The relay and its idle connections.
pub struct Relay {
    smtp: Smtp,
    tls: Option<TlsParameters>,
    hello: ClientId,
    /// Idle connections, the most recently used last.
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    /// Most idle connections kept.
    keep: usize,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("host", &self.smtp.host)
            .field("port", &self.smtp.port)
            .field("security", &self.smtp.security)
            .finish_non_exhaustive()
    }
}

impl Relay {
    /// The relay of `smtp`, keeping up to `keep` connections open between
    /// messages. Fails when TLS cannot be set up for its host name.
    pub fn new(smtp: &Smtp, keep: usize) -> Result<Self, lettre::transport::smtp::Error> {
        let tls = match smtp.security {
            Security::Plain => None,
            Security::Starttls | Security::Tls => Some(TlsParameters::new(smtp.host.clone())?),
        };
        Ok(Self {
            smtp: smtp.clone(),
            tls,
            hello: ClientId::default(),
            idle: Mutex::new(Vec::new()),
            keep: keep.max(1),
        })
    }

    /// Hands `message` to the relay, on an idle connection or a new one.
    pub async fn send(&self, message: &lettre::Message) -> Result<(), RelayError> {
        let envelope = message.envelope().clone();
        let bytes = message.formatted();
        let mut conn = match self.take_idle().await {
            Some(conn) => conn,
            None => self.connect().await?,
        };
        match tokio::time::timeout(SEND_LIMIT, conn.send(&envelope, &bytes)).await {
            Ok(Ok(_)) => {
                self.put_back(conn).await;
                Ok(())
            }
            Ok(Err(e)) => {
                // An answer such as 550 leaves the session usable; lettre
                // marks it broken otherwise.
                self.put_back(conn).await;
                Err(e.into())
            }
            Err(_) => Err(RelayError::Timeout(SEND_LIMIT)),
        }
    }

    /// Closes the idle connections (QUIT).
    pub async fn close(&self) {
        let idle = std::mem::take(&mut *self.idle.lock().await);
        for (mut conn, _) in idle {
            let _ = tokio::time::timeout(Duration::from_secs(5), conn.quit()).await;
        }
    }

    async fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut conn, since) = self.idle.lock().await.pop()?;
            let idle = since.elapsed();
            if idle > IDLE_LIMIT {
                conn.abort().await;
                continue;
            }
            if idle <= CHECK_AFTER || conn.test_connected().await {
                return Some(conn);
            }
            conn.abort().await;
        }
    }

    async fn put_back(&self, mut conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            conn.abort().await;
            return;
        }
        let mut idle = self.idle.lock().await;
        if idle.len() < self.keep {
            idle.push((conn, Instant::now()));
        } else {
            drop(idle);
            conn.abort().await;
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, RelayError> {
        match tokio::time::timeout(CONNECT_LIMIT, self.open()).await {
            Ok(result) => result,
            Err(_) => Err(RelayError::Timeout(CONNECT_LIMIT)),
        }
    }

    async fn open(&self) -> Result<AsyncSmtpConnection, RelayError> {
        let address = (self.smtp.host.as_str(), self.smtp.port);
        let mut conn = match (&self.smtp.security, &self.tls) {
            (Security::Tls, Some(tls)) => {
                AsyncSmtpConnection::connect_tokio1(
                    address,
                    Some(CONNECT_LIMIT),
                    &self.hello,
                    Some(tls.clone()),
                    None,
                )
                .await?
            }
            (security, tls) => {
                let tcp = tokio::net::TcpStream::connect(address)
                    .await
                    .map_err(RelayError::Connect)?;
                tcp.set_nodelay(true).map_err(RelayError::Connect)?;
                let mut conn =
                    AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await?;
                if let (Security::Starttls, Some(tls)) = (security, tls) {
                    // Refused with a client error when the relay does not
                    // offer STARTTLS: never sent in the clear.
                    conn.starttls(tls.clone(), &self.hello).await?;
                }
                conn
            }
        };
        if let Some((user, password)) = &self.smtp.credentials {
            conn.auth(
                DEFAULT_MECHANISMS,
                &Credentials::new(user.clone(), password.0.clone()),
            )
            .await?;
        }
        Ok(conn)
    }
}
