//! Putting a message together: checked addresses, headers, the
//! `multipart/alternative` body.

use std::time::SystemTime;

use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};

use super::format::one_line;
use super::{AddressRole, MailError, MailSettings, MessageStamp, NamedAddress, message_id};

/// The parts of one message that differ between kinds.
pub(super) struct Draft<'a> {
    /// The recipient.
    pub(super) to: &'a NamedAddress,
    /// The subject, in Japanese.
    pub(super) subject: String,
    /// The plain-text body.
    pub(super) text: String,
    /// The HTML body.
    pub(super) html: String,
    /// The one-click unsubscribe URL (family mail only).
    pub(super) unsubscribe_url: Option<String>,
}

/// Builds the message of `draft` with the center's headers.
pub(super) fn assemble(
    settings: &MailSettings,
    stamp: &MessageStamp,
    draft: Draft<'_>,
) -> Result<Message, MailError> {
    check_domain(&settings.message_id_domain)?;
    let from = mailbox(AddressRole::From, &settings.from)?;
    let reply_to = mailbox(
        AddressRole::ReplyTo,
        &NamedAddress::new(settings.desk.name.clone(), settings.desk.email.clone()),
    )?;
    let to = mailbox(AddressRole::To, draft.to)?;

    let mut builder = Message::builder()
        .from(from)
        .reply_to(reply_to)
        .to(to)
        .subject(draft.subject)
        .date(SystemTime::from(stamp.date))
        .message_id(Some(message_id(settings, stamp.outbox_id)))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        ));
    if let Some(url) = draft.unsubscribe_url {
        check_url("unsubscribe URL", &url)?;
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }

    let body = MultiPart::alternative()
        // Deterministic, so that a row always composes to the same bytes;
        // `=_` cannot occur in base64 bodies.
        .boundary(format!("=_mimamori-outbox-{}", stamp.outbox_id))
        .singlepart(part(ContentType::TEXT_PLAIN, draft.text))
        .singlepart(part(ContentType::TEXT_HTML, draft.html));
    Ok(builder.multipart(body)?)
}

fn part(content_type: ContentType, body: String) -> SinglePart {
    SinglePart::builder()
        .content_type(content_type)
        .header(ContentTransferEncoding::Base64)
        .body(body)
}

/// A checked mailbox, or an error naming the address and its role.
fn mailbox(role: AddressRole, who: &NamedAddress) -> Result<Mailbox, MailError> {
    let address = who
        .email
        .trim()
        .parse()
        .map_err(|source| MailError::InvalidAddress {
            role,
            address: who.email.clone(),
            source,
        })?;
    let name = one_line(&who.name);
    Ok(Mailbox::new((!name.is_empty()).then_some(name), address))
}

/// A URL that can go into a header and a body as it is.
pub(super) fn check_url(what: &'static str, url: &str) -> Result<(), MailError> {
    let problem = if !(url.starts_with("https://") || url.starts_with("http://")) {
        Some("must start with https:// (or http://)")
    } else if !url
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'\\'))
    {
        Some("must be printable ASCII without spaces, quotes or angle brackets")
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(MailError::InvalidValue {
            what,
            value: url.to_owned(),
            problem,
        }),
    }
}

/// An unsubscribe token: URL-safe characters only.
pub(super) fn check_token(token: &str) -> Result<(), MailError> {
    let ok = !token.is_empty()
        && token.len() <= 256
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'));
    if ok {
        Ok(())
    } else {
        Err(MailError::InvalidValue {
            what: "unsubscribe token",
            value: token.to_owned(),
            problem: "must be 1 to 256 characters of A-Z a-z 0-9 - _ . ~",
        })
    }
}

fn check_domain(domain: &str) -> Result<(), MailError> {
    let ok = !domain.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(MailError::InvalidValue {
            what: "message_id_domain",
            value: domain.to_owned(),
            problem: "must be an ASCII domain name such as center.example.jp",
        })
    }
}

/// A label and its value: one line of a body.
#[derive(Debug, Clone)]
pub(super) struct Row {
    /// 「体調」.
    pub(super) label: &'static str,
    /// 「よい」.
    pub(super) value: String,
}

impl Row {
    pub(super) fn new(label: &'static str, value: impl Into<String>) -> Self {
        Self {
            label,
            value: value.into(),
        }
    }
}

/// The signature and, for families, the unsubscribe link.
#[derive(Debug, Clone)]
pub(super) struct Footer {
    /// The desk's name.
    pub(super) desk_name: String,
    /// The desk's phone number.
    pub(super) desk_phone: String,
    /// The desk's hours, if configured.
    pub(super) desk_hours: Option<String>,
    /// The unsubscribe link (family mail).
    pub(super) unsubscribe_url: Option<String>,
}

impl Footer {
    pub(super) fn new(settings: &MailSettings, unsubscribe_url: Option<String>) -> Self {
        Self {
            desk_name: one_line(&settings.desk.name),
            desk_phone: one_line(&settings.desk.phone),
            desk_hours: settings
                .desk
                .hours
                .as_deref()
                .map(one_line)
                .filter(|h| !h.is_empty()),
            unsubscribe_url,
        }
    }
}

/// Renders one body template, naming it in the error.
pub(super) fn render<T: askama::Template>(
    template: &'static str,
    body: &T,
) -> Result<String, MailError> {
    body.render()
        .map_err(|source| MailError::Render { template, source })
}
