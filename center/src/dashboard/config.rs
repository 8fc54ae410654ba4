//! The `[dashboard]` section of the configuration.
//!
//! ```toml
//! [dashboard]                 # defaults shown
//! secure_cookie = false       # true when served over HTTPS (the session cookie gets `Secure`)
//! session_hours = 10          # a session ends this long after signing in...
//! idle_minutes = 60           # ...or after this long without a request
//! max_failures = 5            # wrong passwords or codes for one login...
//! max_failures_per_address = 20   # ...or from one address...
//! lockout_minutes = 15        # ...within this long lock it for this long
//! totp_for_nurses = true      # nurses need a TOTP code too (administrators always do)
//! totp_issuer = "Mimamori"    # the name authenticator apps show
//! ```

use jiff::SignedDuration;
use serde::Deserialize;

use crate::config::ConfigError;
use crate::store::dashboard::auth::{LockoutPolicy, SessionPolicy};

/// The dashboard's settings.
#[derive(Debug, Clone)]
pub struct DashboardConfig {
    /// Mark the session cookie `Secure` (served over TLS).
    pub secure_cookie: bool,
    /// Session lifetime and idle limit.
    pub sessions: SessionPolicy,
    /// Throttling and lockout of failed sign-ins.
    pub lockout: LockoutPolicy,
    /// Whether nurses need a second factor (administrators always do).
    pub totp_for_nurses: bool,
    /// The issuer named in the TOTP enrolment.
    pub totp_issuer: String,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        DashboardFile::default()
            .check()
            .unwrap_or_else(|e| unreachable!("the defaults are valid: {e}"))
    }
}

/// `[dashboard]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct DashboardFile {
    secure_cookie: bool,
    session_hours: u32,
    idle_minutes: u32,
    max_failures: u32,
    max_failures_per_address: u32,
    lockout_minutes: u32,
    totp_for_nurses: bool,
    totp_issuer: String,
}

impl Default for DashboardFile {
    fn default() -> Self {
        Self {
            secure_cookie: false,
            session_hours: 10,
            idle_minutes: 60,
            max_failures: 5,
            max_failures_per_address: 20,
            lockout_minutes: 15,
            totp_for_nurses: true,
            totp_issuer: "Mimamori".into(),
        }
    }
}

impl DashboardFile {
    pub(crate) fn check(self) -> Result<DashboardConfig, ConfigError> {
        let positive = |key: &'static str, value: u32| {
            if value == 0 {
                Err(ConfigError::Invalid {
                    key,
                    message: "must be at least 1".into(),
                })
            } else {
                Ok(i64::from(value))
            }
        };
        if self.totp_issuer.trim().is_empty() || self.totp_issuer.contains(':') {
            return Err(ConfigError::Invalid {
                key: "dashboard.totp_issuer",
                message: "must be a name without `:`".into(),
            });
        }
        Ok(DashboardConfig {
            secure_cookie: self.secure_cookie,
            sessions: SessionPolicy {
                lifetime: SignedDuration::from_hours(positive(
                    "dashboard.session_hours",
                    self.session_hours,
                )?),
                idle: SignedDuration::from_mins(positive(
                    "dashboard.idle_minutes",
                    self.idle_minutes,
                )?),
            },
            lockout: LockoutPolicy {
                max_failures: u32::try_from(positive("dashboard.max_failures", self.max_failures)?)
                    .unwrap_or(u32::MAX),
                max_failures_per_address: u32::try_from(positive(
                    "dashboard.max_failures_per_address",
                    self.max_failures_per_address,
                )?)
                .unwrap_or(u32::MAX),
                window: SignedDuration::from_mins(positive(
                    "dashboard.lockout_minutes",
                    self.lockout_minutes,
                )?),
            },
            totp_for_nurses: self.totp_for_nurses,
            totp_issuer: self.totp_issuer,
        })
    }
}
