//! The demo's mailbox: a local SMTP server whose messages are kept as
//! `.eml` files in a directory and can be read in a browser.
//!
//! [`Mailbox`] owns the directory: every message the SMTP side accepts is
//! written to `NNNNNN.eml` (a temporary file renamed into place, so a
//! message is either whole or absent), numbered on from the highest file
//! already there, so nothing is lost when the program restarts. [`smtp`]
//! is the SMTP side (`mailin-embedded`, plain SMTP on a loopback port);
//! [`web`] the pages: the messages newest first, each with its sender,
//! recipients, subject, date and decoded body (`mail-parser`).
//!
//! ```text
//! mailbox --dir demo-data/mail --smtp 127.0.0.1:8083 --http 127.0.0.1:8082
//! ```

pub mod smtp;
pub mod web;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context as _;
use mail_parser::MessageParser;
use serde::Serialize;

/// The directory of messages.
#[derive(Debug)]
pub struct Mailbox {
    dir: PathBuf,
    next: Mutex<u64>,
}

/// What the list shows of one message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// The message's number (its file is `{id:06}.eml`).
    pub id: u64,
    /// `From:`, decoded (`南部町 健康福祉課 <kenko@…>`).
    pub from: String,
    /// `To:` recipients, decoded, and the envelope's recipients when they
    /// differ (a Bcc).
    pub to: Vec<String>,
    /// `Subject:`, decoded.
    pub subject: String,
    /// `Date:` as RFC 3339, as the sender wrote it.
    pub date: String,
}

/// One message, decoded for reading.
#[derive(Debug, Clone, Serialize)]
pub struct Decoded {
    /// The list's fields.
    #[serde(flatten)]
    pub summary: Summary,
    /// The text part, decoded to UTF-8.
    pub text: String,
    /// The HTML part, if any.
    pub html: Option<String>,
}

impl Mailbox {
    /// Opens (and creates) the directory, numbering on from what is there.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let last = ids(dir)?.into_iter().max().unwrap_or(0);
        Ok(Self {
            dir: dir.to_owned(),
            next: Mutex::new(last + 1),
        })
    }

    /// Keeps a message received for `envelope_to`; returns its number.
    pub fn save(&self, envelope_to: &[String], data: &[u8]) -> anyhow::Result<u64> {
        let mut next = self
            .next
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let id = *next;
        let mut text = Vec::with_capacity(data.len() + 64);
        for to in envelope_to {
            text.extend_from_slice(b"Delivered-To: ");
            text.extend_from_slice(to.trim_matches(['<', '>']).as_bytes());
            text.extend_from_slice(b"\r\n");
        }
        text.extend_from_slice(data);
        let tmp = self.dir.join(format!(".{id:06}.eml.tmp"));
        std::fs::write(&tmp, &text).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, self.path(id))
            .with_context(|| format!("keeping message {id} in {}", self.dir.display()))?;
        *next = id + 1;
        Ok(id)
    }

    /// The file of message `id`.
    pub fn path(&self, id: u64) -> PathBuf {
        self.dir.join(format!("{id:06}.eml"))
    }

    /// Message `id` as received, or `None` if there is none.
    pub fn raw(&self, id: u64) -> anyhow::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(id)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading message {id}")),
        }
    }

    /// Every message, newest first.
    pub fn list(&self) -> anyhow::Result<Vec<Summary>> {
        let mut ids = ids(&self.dir)?;
        ids.sort_unstable_by(|a, b| b.cmp(a));
        let mut list = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(raw) = self.raw(id)? {
                list.push(decode(id, &raw).summary);
            }
        }
        Ok(list)
    }

    /// Message `id`, decoded.
    pub fn read(&self, id: u64) -> anyhow::Result<Option<Decoded>> {
        Ok(self.raw(id)?.map(|raw| decode(id, &raw)))
    }
}

/// The numbers of the `.eml` files in `dir`.
fn ids(dir: &Path) -> anyhow::Result<Vec<u64>> {
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let name = entry?.file_name();
        if let Some(id) = name
            .to_str()
            .and_then(|n| n.strip_suffix(".eml"))
            .and_then(|n| n.parse().ok())
        {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Decodes a message; what cannot be parsed is shown as such, not dropped.
pub fn decode(id: u64, raw: &[u8]) -> Decoded {
    let Some(message) = MessageParser::default().parse(raw) else {
        return Decoded {
            summary: Summary {
                id,
                from: String::new(),
                to: Vec::new(),
                subject: "(not a readable message)".into(),
                date: String::new(),
            },
            text: String::from_utf8_lossy(raw).into_owned(),
            html: None,
        };
    };
    let addresses = |address: Option<&mail_parser::Address<'_>>| -> Vec<String> {
        address
            .map(|a| {
                a.iter()
                    .map(|addr| match (addr.name(), addr.address()) {
                        (Some(name), Some(at)) => format!("{name} <{at}>"),
                        (None, Some(at)) => at.to_owned(),
                        (Some(name), None) => name.to_owned(),
                        (None, None) => String::new(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut to = addresses(message.to());
    for delivered in message
        .header_values("Delivered-To")
        .filter_map(|v| v.as_text())
    {
        let delivered = delivered.trim();
        if !to.iter().any(|t| t.contains(delivered)) {
            to.push(format!("{delivered} (Bcc)"));
        }
    }
    Decoded {
        summary: Summary {
            id,
            from: addresses(message.from()).join(", "),
            to,
            subject: message.subject().unwrap_or("(no subject)").to_owned(),
            date: message.date().map(|d| d.to_rfc3339()).unwrap_or_default(),
        },
        text: message
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default(),
        html: message.body_html(0).map(|h| h.into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &str = "From: =?UTF-8?B?5Y2X6YOo55S6?= <kenko@town.example.jp>\r\nTo: =?UTF-8?B?5bGx55SwIOS4gOmDjg==?= <ichiro@example.jp>\r\nSubject: =?UTF-8?B?6KaL5a6I44KK?=\r\nDate: Mon, 30 Nov 2026 10:00:00 +0900\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n44GK5YWD5rCX44Gn44GZ\r\n";

    #[test]
    fn messages_are_kept_numbered_and_read_back_decoded() {
        let dir = tempfile::tempdir().unwrap();
        let mailbox = Mailbox::open(dir.path()).unwrap();
        let first = mailbox
            .save(&["<ichiro@example.jp>".into()], MESSAGE.as_bytes())
            .unwrap();
        let second = mailbox
            .save(&["nurse@town.example.jp".into()], MESSAGE.as_bytes())
            .unwrap();
        assert_eq!((first, second), (1, 2));
        let list = mailbox.list().unwrap();
        assert_eq!(list.iter().map(|s| s.id).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(list[1].subject, "見守り");
        assert_eq!(list[1].from, "南部町 <kenko@town.example.jp>");
        assert_eq!(list[1].to, ["山田 一郎 <ichiro@example.jp>"]);
        assert_eq!(
            list[0].to,
            [
                "山田 一郎 <ichiro@example.jp>",
                "nurse@town.example.jp (Bcc)"
            ]
        );
        assert_eq!(list[1].date, "2026-11-30T10:00:00+09:00");
        assert_eq!(mailbox.read(1).unwrap().unwrap().text.trim(), "お元気です");
        assert!(mailbox.read(3).unwrap().is_none());

        // A restart numbers on; nothing is lost.
        drop(mailbox);
        let mailbox = Mailbox::open(dir.path()).unwrap();
        assert_eq!(mailbox.save(&[], MESSAGE.as_bytes()).unwrap(), 3);
        assert_eq!(mailbox.list().unwrap().len(), 3);
    }
}
