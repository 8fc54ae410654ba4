//! Syncing the outbox with the center: send the oldest events in batches,
//! take in the answer, and back off with jitter while the center cannot be
//! reached.
//!
//! An event kind goes only to a center that has declared, in an answer, a
//! protocol version at least the kind's ([`EventBody::since`]): the version
//! the center last declared is kept in the outbox. Until a 1.1 center has
//! answered, taps wait in the outbox, in order, while the other events
//! (heartbeats) go and let the box learn the center's version.
//!
//! [`EventBody::since`]: mimamori_protocol::EventBody::since

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mimamori_protocol::{
    DecodeError, DeviceId, MAX_EVENTS_PER_SYNC, PROTOCOL_VERSION, ProtocolVersion, SyncRequest,
    SyncResponse, Timestamp, decode, encode,
};

use crate::outbox::{Outbox, OutboxError};

/// Why a sync did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The center could not be reached or answered "later" (network down,
    /// 5xx): try again after a back-off. Nothing is lost.
    #[error("the center cannot be reached now: {0}")]
    Unreachable(String),
    /// The center refused the box (401 token, 403 forbidden, 4xx request):
    /// retrying will not help until someone fixes the box's configuration.
    #[error("the center refused this box ({status}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The center's explanation.
        message: String,
    },
    /// The center's answer could not be read.
    #[error("the center's answer is not understood: {0}")]
    BadAnswer(#[from] DecodeError),
    /// The box's own storage failed.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
}

impl SyncError {
    /// Whether trying again later may succeed on its own.
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Unreachable(_))
    }
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOutcome {
    /// Events the center stored.
    pub acked: usize,
    /// Events the center refused for good.
    pub rejected: usize,
    /// The box clock's error: center time minus box time, milliseconds.
    pub skew_ms: i64,
}

/// The box's connection to its center.
pub struct SyncClient {
    http: reqwest::Client,
    url: String,
    token: String,
    device: DeviceId,
    /// The warning that the center is too old for some events was given.
    warned_old_center: AtomicBool,
}

impl SyncClient {
    /// A client for the center at `base_url` (e.g. `https://center.example.jp`),
    /// trusting the public web roots for its certificate.
    pub fn new(base_url: &str, token: &str, device: DeviceId) -> Self {
        let http = Self::builder()
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self::with_client(http, base_url, token, device)
    }

    /// A client for the center at `base_url` whose HTTPS certificate must
    /// chain to one of `ca` (a municipality's own CA); the public roots are
    /// not trusted then. Empty `ca`: the public web roots. Fails when the
    /// TLS client cannot be set up with them.
    pub fn with_ca(
        base_url: &str,
        token: &str,
        device: DeviceId,
        ca: &[reqwest::Certificate],
    ) -> Result<Self, reqwest::Error> {
        let mut builder = Self::builder();
        if !ca.is_empty() {
            builder = builder.tls_built_in_root_certs(false);
            for certificate in ca {
                builder = builder.add_root_certificate(certificate.clone());
            }
        }
        Ok(Self::with_client(builder.build()?, base_url, token, device))
    }

    fn builder() -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
    }

    fn with_client(http: reqwest::Client, base_url: &str, token: &str, device: DeviceId) -> Self {
        Self {
            http,
            url: format!("{}/api/v1/sync", base_url.trim_end_matches('/')),
            token: token.to_owned(),
            device,
            warned_old_center: AtomicBool::new(false),
        }
    }

    /// Sends the outbox, oldest first, until it is empty (at least one
    /// request, so that the box is heard and gets the center's news).
    /// `now` gives the box's clock at each send.
    pub async fn sync(
        &self,
        outbox: &mut Outbox,
        now: impl Fn() -> Timestamp,
    ) -> Result<SyncOutcome, SyncError> {
        let mut total = SyncOutcome {
            acked: 0,
            rejected: 0,
            skew_ms: 0,
        };
        loop {
            let center = outbox.center_protocol()?;
            let events = outbox.pending_for(center, MAX_EVENTS_PER_SYNC)?;
            let full_batch = events.len() == MAX_EVENTS_PER_SYNC;
            let sent_at = now();
            let request = SyncRequest {
                protocol: PROTOCOL_VERSION,
                device_id: self.device.clone(),
                sent_at,
                events,
                known: outbox.known()?,
            };
            let response = self.send(&request).await?;
            let received_at = now();
            outbox.apply(&response)?;
            total.acked += response.acked.len();
            total.rejected += response.rejected.len();
            total.skew_ms = skew_ms(&sent_at, &received_at, &response.server_time);
            let progressed = !response.acked.is_empty() || !response.rejected.is_empty();
            // A newer center than the box knew: what waited for it goes now.
            let learned = response.protocol > center && outbox.held_back(center)? > 0;
            self.warn_if_held_back(outbox, response.protocol)?;
            let more = full_batch && progressed;
            if !(more || learned) {
                return Ok(total);
            }
        }
    }

    /// Says once (per client) that events wait because the center speaks
    /// too old a protocol.
    fn warn_if_held_back(&self, outbox: &Outbox, center: ProtocolVersion) -> Result<(), SyncError> {
        if center >= PROTOCOL_VERSION || self.warned_old_center.load(Ordering::Relaxed) {
            return Ok(());
        }
        let held = outbox.held_back(center)?;
        if held > 0 {
            self.warned_old_center.store(true, Ordering::Relaxed);
            tracing::warn!(
                center_protocol = %center,
                held,
                "the center speaks protocol {center} only: {held} events (taps) wait in the outbox until it speaks {}",
                PROTOCOL_VERSION
            );
        }
        Ok(())
    }

    async fn send(&self, request: &SyncRequest) -> Result<SyncResponse, SyncError> {
        let response = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(encode(request))
            .send()
            .await
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(SyncError::Unreachable(format!("{status}")));
        }
        if !status.is_success() {
            let message = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_owned))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
            return Err(SyncError::Refused {
                status: status.as_u16(),
                message,
            });
        }
        Ok(decode(&body)?)
    }
}

/// The box clock's error, from one round trip: the center's time against
/// the middle of the request, in milliseconds (positive: the box is behind).
pub fn skew_ms(sent_at: &Timestamp, received_at: &Timestamp, server_time: &Timestamp) -> i64 {
    let middle = (sent_at.unix_millis() + received_at.unix_millis()) / 2;
    server_time.unix_millis() - middle
}

/// The window of the sync retries: the first window and the largest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    /// The window after the first failure (5 s by default).
    pub first: Duration,
    /// The window never grows past this (15 minutes by default).
    pub max: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(5),
            max: Duration::from_secs(15 * 60),
        }
    }
}

/// How long to wait before the next try after `failures` failures in a
/// row: doubling from `retry.first` up to `retry.max`, with "full jitter" (a
/// random point in the window, from `random` in 0..1) so that a town's boxes
/// do not all come back at the same second after an outage. Never less than
/// a second (or the first window, when that is shorter): no busy loop.
pub fn backoff(failures: u32, random: f64, retry: Retry) -> Duration {
    let base = retry.first.as_secs_f64();
    let cap = retry.max.as_secs_f64().max(base);
    let window = (base * 2f64.powi(i32::try_from(failures.min(20)).unwrap_or(20))).min(cap);
    Duration::from_secs_f64((window * random.clamp(0.0, 1.0)).max(base.min(1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_fifteen_minutes_with_jitter() {
        let retry = Retry::default();
        assert_eq!(backoff(0, 1.0, retry), Duration::from_secs(5));
        assert_eq!(backoff(3, 1.0, retry), Duration::from_secs(40));
        assert_eq!(backoff(30, 1.0, retry), Duration::from_secs(900));
        assert_eq!(backoff(30, 0.5, retry), Duration::from_secs(450));
        assert_eq!(
            backoff(2, 0.0, retry),
            Duration::from_secs(1),
            "never a busy loop"
        );
    }

    #[test]
    fn a_short_retry_window_doubles_to_its_own_cap() {
        let retry = Retry {
            first: Duration::from_millis(200),
            max: Duration::from_secs(1),
        };
        assert_eq!(backoff(0, 1.0, retry), Duration::from_millis(200));
        assert_eq!(backoff(2, 1.0, retry), Duration::from_millis(800));
        assert_eq!(backoff(9, 1.0, retry), Duration::from_secs(1));
        assert_eq!(backoff(9, 0.0, retry), Duration::from_millis(200));
    }

    #[test]
    fn skew_is_the_center_against_the_middle_of_the_round_trip() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        // The box's clock is an hour behind (it booted without NTP).
        let skew = skew_ms(
            &t("2026-11-29T08:00:00+09:00"),
            &t("2026-11-29T08:00:00.2+09:00"),
            &t("2026-11-29T00:00:00.1Z"),
        );
        assert_eq!(skew, 3_600_000);
    }
}
