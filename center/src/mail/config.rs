//! The `[mail]` section of the center's configuration: the SMTP relay, and
//! what every message says about the center.
//!
//! ```toml
//! [mail]
//! host = "smtp.town.example.jp"
//! security = "starttls"        # starttls (port 587) | tls (465) | plain (25)
//! port = 587                   # optional: the security's usual port
//! username = "mimamori"        # optional: AUTH only when both are given
//! password = "..."
//! from = "mimamori@center.example.jp"
//! from_name = "南部町 見守りセンター"
//! desk_name = "南部町 健康福祉課"
//! desk_phone = "0859-00-0000"
//! desk_email = "kenko@town.example.jp"
//! desk_hours = "平日 8:30〜17:15"   # optional
//! public_url = "https://center.example.jp"
//! dashboard_url = "https://center.example.jp/dashboard"
//! message_id_domain = "center.example.jp"
//! max_age_days = 3             # transient failures are retried this long
//! poll_interval_ms = 1000      # how often the sender looks for due mail
//! concurrency = 4              # messages sent at once over the pool
//! group_window_s = 30          # check-ins and alerts this close go in one mail
//! concern_repeat_hours = 24    # the same concern to a family at most this often
//! nurse_summary_at = "08:30"   # the nurses' morning summary (local time)
//! ```

use std::fmt;
use std::time::Duration;

use jiff::SignedDuration;
use jiff::tz::TimeZone;
use serde::Deserialize;

use mimamori_protocol::TimeOfDay;

use super::{Desk, MailSettings, NamedAddress};
use crate::config::ConfigError;

/// How the connection to the SMTP relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (required); port 587.
    Starttls,
    /// TLS from the first byte (SMTPS); port 465.
    Tls,
    /// No TLS at all: only for a relay on the same machine; port 25.
    Plain,
}

impl Security {
    /// The usual port of this kind of connection.
    pub fn default_port(self) -> u16 {
        match self {
            Security::Starttls => 587,
            Security::Tls => 465,
            Security::Plain => 25,
        }
    }
}

/// A password, never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

/// The SMTP relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Smtp {
    /// Host name (checked against the certificate with TLS) or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// STARTTLS, implicit TLS or plain.
    pub security: Security,
    /// User name and password for AUTH, if the relay wants them.
    pub credentials: Option<(String, Secret)>,
}

/// The checked `[mail]` section.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// Where mail is handed over.
    pub smtp: Smtp,
    /// What the messages say about the center.
    pub settings: MailSettings,
    /// A message failing transiently is retried until it is this old, then
    /// marked failed.
    pub max_age: SignedDuration,
    /// How often the sender looks for due messages.
    pub poll_interval: Duration,
    /// How many messages are sent at once (connections in the pool).
    pub concurrency: usize,
    /// A family check-in mail, and a nurse's alert mail, waits this long
    /// for more of its kind to the same person (a backlog of check-ins, a
    /// district's boxes going offline together) and carries them all.
    pub group_window: SignedDuration,
    /// A family contact hears of the same kind of concern about the same
    /// resident at most once within this interval.
    pub concern_repeat: SignedDuration,
    /// When the nurses' morning summary goes out (local time).
    pub nurse_summary_at: TimeOfDay,
}

/// The `[mail]` section as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MailFile {
    host: String,
    port: Option<u16>,
    #[serde(default = "default_security")]
    security: Security,
    username: Option<String>,
    password: Option<String>,
    from: String,
    #[serde(default)]
    from_name: String,
    desk_name: String,
    desk_phone: String,
    desk_email: String,
    desk_hours: Option<String>,
    public_url: String,
    dashboard_url: String,
    message_id_domain: String,
    #[serde(default = "default_max_age_days")]
    max_age_days: f64,
    #[serde(default = "default_poll_interval_ms")]
    poll_interval_ms: u64,
    #[serde(default = "default_concurrency")]
    concurrency: usize,
    #[serde(default = "default_group_window_s")]
    group_window_s: u64,
    #[serde(default = "default_concern_repeat_hours")]
    concern_repeat_hours: u64,
    #[serde(default = "default_nurse_summary_at")]
    nurse_summary_at: String,
}

fn default_security() -> Security {
    Security::Starttls
}

fn default_max_age_days() -> f64 {
    3.0
}

fn default_poll_interval_ms() -> u64 {
    1000
}

fn default_concurrency() -> usize {
    4
}

fn default_group_window_s() -> u64 {
    30
}

fn default_concern_repeat_hours() -> u64 {
    24
}

fn default_nurse_summary_at() -> String {
    "08:30".to_owned()
}

fn invalid(key: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        message: message.into(),
    }
}

fn address(key: &'static str, value: &str) -> Result<(), ConfigError> {
    value
        .parse::<lettre::Address>()
        .map(|_| ())
        .map_err(|e| invalid(key, format!("`{value}` is not an email address: {e}")))
}

fn url(key: &'static str, value: &str) -> Result<(), ConfigError> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !value.chars().any(char::is_whitespace) => Ok(()),
        _ => Err(invalid(
            key,
            format!("`{value}` is not an http(s) URL such as https://center.example.jp"),
        )),
    }
}

/// Catches a security that cannot work with its port, and a password that
/// would cross the network in clear.
fn check_security(
    host: &str,
    port: u16,
    security: Security,
    auth: bool,
) -> Result<(), ConfigError> {
    match (security, port) {
        (Security::Starttls | Security::Plain, 465) => {
            return Err(invalid(
                "mail.security",
                "port 465 speaks TLS from the first byte: use security = \"tls\" (or another port)",
            ));
        }
        (Security::Tls, 25 | 587) => {
            return Err(invalid(
                "mail.security",
                format!(
                    "port {port} starts in clear text: use security = \"starttls\" (or port 465 for \"tls\")"
                ),
            ));
        }
        _ => {}
    }
    let local = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if security == Security::Plain && auth && !local {
        return Err(invalid(
            "mail.security",
            format!(
                "\"plain\" would send the password to {host} in clear text: use \"starttls\" or \"tls\" (plain is for a relay on this machine)"
            ),
        ));
    }
    Ok(())
}

impl MailFile {
    /// Checks the section; errors name the key (`mail.host`, …).
    pub(crate) fn check(self, time_zone: &TimeZone) -> Result<MailConfig, ConfigError> {
        if self.host.trim().is_empty() {
            return Err(invalid("mail.host", "must not be empty"));
        }
        if self.port == Some(0) {
            return Err(invalid("mail.port", "must be between 1 and 65535"));
        }
        let credentials = match (self.username, self.password) {
            (Some(user), Some(password)) if !user.is_empty() => Some((user, Secret(password))),
            (None, None) => None,
            (Some(_), _) => {
                return Err(invalid(
                    "mail.password",
                    "is needed with mail.username (or remove both)",
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "mail.username",
                    "is needed with mail.password (or remove both)",
                ));
            }
        };
        address("mail.from", &self.from)?;
        address("mail.desk_email", &self.desk_email)?;
        if self.desk_name.trim().is_empty() {
            return Err(invalid("mail.desk_name", "must not be empty"));
        }
        if self.desk_phone.trim().is_empty() {
            return Err(invalid("mail.desk_phone", "must not be empty"));
        }
        url("mail.public_url", &self.public_url)?;
        url("mail.dashboard_url", &self.dashboard_url)?;
        let domain = &self.message_id_domain;
        if domain.is_empty()
            || !domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return Err(invalid(
                "mail.message_id_domain",
                format!("`{domain}` is not a domain name such as center.example.jp"),
            ));
        }
        if !(self.max_age_days.is_finite() && self.max_age_days > 0.0 && self.max_age_days <= 30.0)
        {
            return Err(invalid(
                "mail.max_age_days",
                format!(
                    "{} is not a number of days between 0 and 30",
                    self.max_age_days
                ),
            ));
        }
        if self.poll_interval_ms == 0 || self.poll_interval_ms > 60_000 {
            return Err(invalid(
                "mail.poll_interval_ms",
                "must be between 1 and 60000",
            ));
        }
        if self.concurrency == 0 || self.concurrency > 64 {
            return Err(invalid("mail.concurrency", "must be between 1 and 64"));
        }
        if self.group_window_s == 0 || self.group_window_s > 60 {
            return Err(invalid(
                "mail.group_window_s",
                "must be between 1 and 60 (check-in mail goes out within a minute)",
            ));
        }
        if self.concern_repeat_hours > 24 * 14 {
            return Err(invalid(
                "mail.concern_repeat_hours",
                "must be between 0 and 336 (two weeks)",
            ));
        }
        let nurse_summary_at: TimeOfDay = self.nurse_summary_at.parse().map_err(|e: String| {
            invalid(
                "mail.nurse_summary_at",
                format!(
                    "`{}` is not a time such as \"08:30\": {e}",
                    self.nurse_summary_at
                ),
            )
        })?;
        let port = self.port.unwrap_or(self.security.default_port());
        check_security(&self.host, port, self.security, credentials.is_some())?;
        let from_name = if self.from_name.is_empty() {
            self.desk_name.clone()
        } else {
            self.from_name
        };
        Ok(MailConfig {
            smtp: Smtp {
                port,
                host: self.host,
                security: self.security,
                credentials,
            },
            settings: MailSettings {
                from: NamedAddress::new(from_name, self.from),
                desk: Desk {
                    name: self.desk_name,
                    phone: self.desk_phone,
                    email: self.desk_email,
                    hours: self.desk_hours,
                },
                message_id_domain: self.message_id_domain,
                public_url: self.public_url,
                dashboard_url: self.dashboard_url,
                time_zone: time_zone.clone(),
            },
            max_age: SignedDuration::from_secs_f64(self.max_age_days * 86_400.0),
            poll_interval: Duration::from_millis(self.poll_interval_ms),
            concurrency: self.concurrency,
            group_window: SignedDuration::from_secs(
                i64::try_from(self.group_window_s).unwrap_or(60),
            ),
            concern_repeat: SignedDuration::from_hours(
                i64::try_from(self.concern_repeat_hours).unwrap_or(24),
            ),
            nurse_summary_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    const MAIL: &str = "[mail]\nhost = \"127.0.0.1\"\nsecurity = \"plain\"\nport = 2525\nfrom = \"mimamori@center.example.jp\"\ndesk_name = \"南部町 健康福祉課\"\ndesk_phone = \"0859-00-0000\"\ndesk_email = \"kenko@town.example.jp\"\npublic_url = \"https://center.example.jp\"\ndashboard_url = \"https://center.example.jp/dashboard\"\nmessage_id_domain = \"center.example.jp\"\n";

    #[test]
    fn mail_is_off_without_the_section_and_read_with_it() {
        assert!(Config::parse("").unwrap().mail.is_none());
        let mail = Config::parse(MAIL).unwrap().mail.unwrap();
        assert_eq!(mail.smtp.port, 2525);
        assert_eq!(mail.max_age, jiff::SignedDuration::from_hours(72));
        assert_eq!(mail.settings.from.name, "南部町 健康福祉課");
        assert!(mail.smtp.credentials.is_none());
        assert_eq!(mail.group_window, jiff::SignedDuration::from_secs(30));
        assert_eq!(mail.concern_repeat, jiff::SignedDuration::from_hours(24));
        assert_eq!(mail.nurse_summary_at.to_string(), "08:30");
    }

    #[test]
    fn mail_errors_name_the_key() {
        let cases = [
            ("security = \"ssl\"\n", "security"),
            ("username = \"u\"\n", "mail.password"),
            ("max_age_days = 0\n", "mail.max_age_days"),
            ("colour = 1\n", "colour"),
        ];
        for (extra, key) in cases {
            let err = Config::parse(&format!("{MAIL}{extra}"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "`{err}` should name `{key}`");
        }
        let with = |replace: &str, by: &str| {
            Config::parse(&MAIL.replace(replace, by))
                .unwrap_err()
                .to_string()
        };
        // A security that cannot work with its port, named with the fix.
        let err = with("port = 2525", "port = 465");
        assert!(
            err.contains("mail.security") && err.contains("\"tls\""),
            "{err}"
        );
        let err = with(
            "security = \"plain\"\nport = 2525",
            "security = \"tls\"\nport = 587",
        );
        assert!(
            err.contains("mail.security") && err.contains("starttls"),
            "{err}"
        );
        // A password never goes in clear to another machine.
        let err = with(
            "host = \"127.0.0.1\"",
            "host = \"smtp.town.example.jp\"\nusername = \"u\"\npassword = \"p\"",
        );
        assert!(
            err.contains("mail.security") && err.contains("clear"),
            "{err}"
        );
        let local = Config::parse(&MAIL.replace(
            "host = \"127.0.0.1\"",
            "host = \"127.0.0.1\"\nusername = \"u\"\npassword = \"p\"",
        ))
        .unwrap();
        assert!(local.mail.unwrap().smtp.credentials.is_some());
        for (extra, key) in [
            ("group_window_s = 0\n", "mail.group_window_s"),
            ("group_window_s = 120\n", "mail.group_window_s"),
            ("nurse_summary_at = \"25:00\"\n", "mail.nurse_summary_at"),
            ("concern_repeat_hours = 1000\n", "mail.concern_repeat_hours"),
        ] {
            let err = Config::parse(&format!("{MAIL}{extra}"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "`{err}` should name `{key}`");
        }
        let bad_from = MAIL.replace("mimamori@center.example.jp", "not an address");
        let err = Config::parse(&bad_from).unwrap_err().to_string();
        assert!(err.contains("mail.from"), "{err}");
        let bad_url = MAIL.replace("https://center.example.jp\"", "center.example.jp\"");
        let err = Config::parse(&bad_url).unwrap_err().to_string();
        assert!(err.contains("mail.public_url"), "{err}");
        let err = Config::parse(&MAIL.replace("host = \"127.0.0.1\"\n", ""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("host"), "{err}");
    }
}
