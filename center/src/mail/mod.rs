//! The center's email, composed: pure functions from plain facts to complete
//! [`lettre::Message`]s, ready for the outbox to send.
//!
//! Nothing here reads the clock, the database or the network: the caller
//! passes the facts, the center's [`MailSettings`] and a [`MessageStamp`]
//! (the outbox row and the instant the message is dated), so the same row
//! always composes to the same bytes — the same `Message-ID` and MIME
//! boundaries — and a resend can be recognised.
//!
//! Every message is `multipart/alternative` with a plain-text and an HTML
//! body (UTF-8, base64), an RFC 2047 encoded Japanese subject and display
//! names, `Date`, `Message-ID` (`<outbox-42@center.example.jp>`), `Reply-To`
//! the municipality's desk and `Auto-Submitted: auto-generated`.
//!
//! Family mail ([`compose_family_checkin`], [`compose_family_digest`],
//! [`compose_family_concern`]) shows only what the contact's
//! [`FamilyConsent`] allows and carries a one-click unsubscribe (RFC 8058
//! `List-Unsubscribe` + `List-Unsubscribe-Post`, and the link in the footer).
//! Nurse mail ([`compose_nurse_alert`], [`compose_nurse_escalation`],
//! [`compose_nurse_summary`]) carries only the resident's name, the alert's
//! kind and since when, and a link to the dashboard: email is not a safe
//! place for health details.
//!
//! The bodies are askama templates under `center/templates/mail/`, compiled
//! into the binary.
//!
//! ```
//! use jiff::Timestamp;
//! use mimamori_center::domain::{AlertId, AlertKind};
//! use mimamori_center::mail::{
//!     AlertFacts, Desk, MailSettings, MessageStamp, NamedAddress, NurseAlert,
//!     compose_nurse_alert,
//! };
//!
//! let settings = MailSettings {
//!     from: NamedAddress::new("南部町 見守りセンター", "mimamori@center.example.jp"),
//!     desk: Desk {
//!         name: "南部町 健康福祉課".into(),
//!         phone: "0859-00-0000".into(),
//!         email: "kenko@town.example.jp".into(),
//!         hours: None,
//!     },
//!     message_id_domain: "center.example.jp".into(),
//!     public_url: "https://center.example.jp".into(),
//!     dashboard_url: "https://center.example.jp/dashboard".into(),
//!     time_zone: jiff::tz::TimeZone::get("Asia/Tokyo")?,
//! };
//! let now: Timestamp = "2026-11-29T09:10:00+09:00".parse()?;
//! let mail = NurseAlert {
//!     nurse: NamedAddress::new("保健師 佐藤", "sato@town.example.jp"),
//!     alert: AlertFacts {
//!         id: AlertId(7),
//!         resident_name: "山田 花子".into(),
//!         kind: AlertKind::Missed,
//!         since: "2026-11-29T09:00:00+09:00".parse()?,
//!     },
//! };
//! let message = compose_nurse_alert(&settings, &MessageStamp { outbox_id: 42, date: now }, &mail)?;
//! let raw = String::from_utf8(message.formatted())?;
//! assert!(raw.contains("Message-ID: <outbox-42@center.example.jp>"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod build;
mod config;
mod family;
mod format;
mod grouped;
mod guardian;
mod nurse;
pub mod relay;
pub mod sender;

use std::fmt;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::domain::AlertId;

pub(crate) use config::MailFile;
pub use config::{MailConfig, Secret, Security, Smtp};
pub use family::{
    CheckInFacts, FamilyCheckIn, FamilyConcern, FamilyConsent, FamilyContact, FamilyDigest,
    compose_family_checkin, compose_family_concern, compose_family_digest,
};
pub use grouped::{FamilyCheckIns, NurseAlerts, compose_family_checkins, compose_nurse_alerts};
pub use guardian::{
    ArrivalRecipient, GuardianPolicy, GuardianState, GuardianTap, ShelterArrival,
    arrival_recipients, compose_guardian_tap, compose_shelter_arrival, guardians_to_mail,
};
pub use nurse::{
    AlertFacts, NurseAlert, NurseSummary, SummaryAlert, compose_nurse_alert,
    compose_nurse_escalation, compose_nurse_summary,
};

/// What the center says about itself in every message.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `From`: the center's sending address, e.g.
    /// 「南部町 見守りセンター」 `<mimamori@center.example.jp>`.
    pub from: NamedAddress,
    /// The municipality's desk: `Reply-To`, and the signature of every body.
    pub desk: Desk,
    /// The domain of `Message-ID`s: `<outbox-42@DOMAIN>`.
    pub message_id_domain: String,
    /// The center's public base URL, where families unsubscribe
    /// (`{public_url}/unsubscribe/{token}`).
    pub public_url: String,
    /// The nurses' dashboard base URL (`{dashboard_url}/alerts/{id}`).
    pub dashboard_url: String,
    /// The residents' time zone: every time in a body is local to it.
    pub time_zone: TimeZone,
}

/// The municipality's desk (窓口) that families and nurses can call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desk {
    /// 「南部町 健康福祉課」.
    pub name: String,
    /// 「0859-00-0000」.
    pub phone: String,
    /// Where replies go (`Reply-To`).
    pub email: String,
    /// Opening hours, if worth saying: 「平日 8:30〜17:15」.
    pub hours: Option<String>,
}

/// A display name and an email address, both as configured or stored; the
/// address is checked when a message is composed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedAddress {
    /// The display name, Japanese allowed: 「山田 一郎」.
    pub name: String,
    /// `someone@example.jp`.
    pub email: String,
}

impl NamedAddress {
    /// A name and an address.
    pub fn new(name: impl Into<String>, email: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            email: email.into(),
        }
    }
}

/// Which outbox row a message is, and the instant it is dated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageStamp {
    /// The outbox row's id: the `Message-ID` is `<outbox-{id}@{domain}>`.
    pub outbox_id: i64,
    /// The `Date` header (sent in UTC, `+0000`, whole seconds).
    pub date: Timestamp,
}

/// The `Message-ID` of an outbox row, angle brackets included.
pub fn message_id(settings: &MailSettings, outbox_id: i64) -> String {
    format!("<outbox-{outbox_id}@{}>", settings.message_id_domain)
}

/// The one-click unsubscribe URL of a contact's token.
pub fn unsubscribe_url(settings: &MailSettings, token: &str) -> String {
    format!("{}/unsubscribe/{token}", trim_base(&settings.public_url))
}

/// The dashboard page of one alert.
pub fn alert_url(settings: &MailSettings, alert: AlertId) -> String {
    format!("{}/alerts/{alert}", trim_base(&settings.dashboard_url))
}

/// The dashboard's list of unresolved alerts of one district.
pub fn district_url(settings: &MailSettings, district: &str) -> String {
    format!(
        "{}/alerts?district={}",
        trim_base(&settings.dashboard_url),
        format::percent_encode(district)
    )
}

fn trim_base(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// Which address of a message was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressRole {
    /// The center's `From` address (settings).
    From,
    /// The desk's address used as `Reply-To` (settings).
    ReplyTo,
    /// The recipient: a family contact or a nurse.
    To,
}

impl fmt::Display for AddressRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressRole::From => "From",
            AddressRole::ReplyTo => "Reply-To",
            AddressRole::To => "To",
        })
    }
}

/// Why a message could not be composed. Composition is deterministic, so
/// every error is permanent: retrying the same row gives the same error.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// An address does not parse.
    #[error("the {role} address `{address}` is not a valid email address")]
    InvalidAddress {
        /// Which header it was meant for.
        role: AddressRole,
        /// The address as given.
        address: String,
        /// What lettre found wrong.
        #[source]
        source: lettre::address::AddressError,
    },
    /// A setting or token cannot be put into a header or a link.
    #[error("{what} `{value}` cannot be used: {problem}")]
    InvalidValue {
        /// Which value: `public_url`, `unsubscribe token`, …
        what: &'static str,
        /// The value as given.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A body template failed to render.
    #[error("rendering the mail template `{template}`")]
    Render {
        /// The template's path under `templates/`.
        template: &'static str,
        /// The template engine's error.
        #[source]
        source: askama::Error,
    },
    /// lettre refused the message.
    #[error("building the message")]
    Build(#[from] lettre::error::Error),
}

impl MailError {
    /// Whether the recipient's address is at fault: the outbox marks the
    /// contact's address as bad instead of blaming the center's settings.
    pub fn is_bad_recipient(&self) -> bool {
        matches!(
            self,
            MailError::InvalidAddress {
                role: AddressRole::To,
                ..
            }
        )
    }
}
