//! The card dock: a set of simulated cards next to one vpcd reader, put in
//! and taken out over a small HTTP API on 127.0.0.1. The box's virtual TV
//! shows the dock's cards as buttons and forwards the clicks here, so the
//! box reads them through pcscd exactly as it reads a real card.
//!
//! ```text
//! simcard dock --listen 127.0.0.1:8710 \
//!     --card 'jpki:山田 花子:1234' --card 'uid:鈴木 一郎:04D4E5F6' --card 'stranger:知らないカード'
//! ```
//!
//! | request | answer |
//! |---|---|
//! | `GET /cards` | `{"reader":"Virtual PCD 00 00","inserted":0,"cards":[{"id":0,"kind":"jpki","label":"山田 花子","pin":"1234"},…]}` |
//! | `GET /cards/{id}/certificate` | a JPKI card's certificate, DER (404 for other kinds) |
//! | `POST /cards/{id}/insert` | takes out the card in the reader (waiting until pcscd has seen it go), puts this one in; `{"inserted":id}` |
//! | `POST /remove` | takes the card out and waits until pcscd has seen it go; `{"inserted":null}` |
//! | `GET /commands` | every command APDU the dock's cards received, hex, oldest first |
//!
//! A card's PIN state lives as long as the dock: a My Number card taken
//! out and put back in keeps its tries counter.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail};
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{Card, Inserted, JpkiCard, StrangerCard, UidCard, reader_name};

/// One card of the dock.
#[derive(Clone)]
pub struct DockCard {
    /// What is written on the button, e.g. the resident's name.
    pub label: String,
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Jpki(JpkiCard),
    Uid(Vec<u8>),
    Stranger,
}

impl DockCard {
    /// Reads a card given as `jpki:LABEL:PIN[:KEYFILE]` (an RSA key in
    /// PKCS#8 PEM; the default is test key 1 of `hw-tests/testdata/`),
    /// `uid:LABEL:HEX` or `stranger:LABEL`. Relative key files are relative
    /// to `base`.
    pub fn parse(spec: &str, base: &Path) -> anyhow::Result<Self> {
        let parts: Vec<&str> = spec.split(':').collect();
        let label = |s: &str| -> anyhow::Result<String> {
            if s.trim().is_empty() {
                bail!("`{spec}`: the label is empty");
            }
            Ok(s.to_owned())
        };
        let card = match parts.as_slice() {
            ["jpki", name, pin] | ["jpki", name, pin, ""] => DockCard {
                label: label(name)?,
                kind: Kind::Jpki(
                    JpkiCard::from_pem(
                        include_str!("../../testdata/simcard-key-1.pem"),
                        pin,
                        (2024, 2031),
                    )
                    .with_context(|| format!("`{spec}`"))?,
                ),
            },
            ["jpki", name, pin, key] => {
                let path = base.join(key);
                let pem = std::fs::read_to_string(&path)
                    .with_context(|| format!("`{spec}`: reading {}", path.display()))?;
                DockCard {
                    label: label(name)?,
                    kind: Kind::Jpki(
                        JpkiCard::from_pem(&pem, pin, (2024, 2031))
                            .with_context(|| format!("`{spec}`"))?,
                    ),
                }
            }
            ["uid", name, uid] => {
                let bytes = hex_bytes(uid)
                    .filter(|b| (4..=10).contains(&b.len()))
                    .with_context(|| format!("`{spec}`: the UID is 4 to 10 bytes in hex"))?;
                DockCard {
                    label: label(name)?,
                    kind: Kind::Uid(bytes),
                }
            }
            ["stranger", name] => DockCard {
                label: label(name)?,
                kind: Kind::Stranger,
            },
            _ => bail!("`{spec}` is not jpki:LABEL:PIN[:KEYFILE], uid:LABEL:HEX or stranger:LABEL"),
        };
        Ok(card)
    }

    /// The JPKI card's certificate (DER); `None` for other kinds.
    pub fn certificate(&self) -> Option<&[u8]> {
        match &self.kind {
            Kind::Jpki(card) => Some(card.certificate()),
            _ => None,
        }
    }

    fn make(&self) -> Box<dyn Card> {
        match &self.kind {
            Kind::Jpki(card) => Box::new(card.clone()),
            Kind::Uid(uid) => Box::new(UidCard::new(uid)),
            Kind::Stranger => Box::new(StrangerCard),
        }
    }

    fn describe(&self, id: usize) -> Value {
        match &self.kind {
            Kind::Jpki(card) => json!({
                "id": id, "kind": "jpki", "label": self.label,
                "pin": card.state().pin, "pin_tries_left": card.state().tries_left,
            }),
            Kind::Uid(uid) => json!({
                "id": id, "kind": "uid", "label": self.label,
                "uid": uid.iter().map(|b| format!("{b:02X}")).collect::<String>(),
            }),
            Kind::Stranger => json!({"id": id, "kind": "stranger", "label": self.label}),
        }
    }
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// How long the dock waits for pcscd to see a card go.
const GONE_WITHIN: Duration = Duration::from_secs(3);

struct Slot {
    port: u16,
    cards: Vec<DockCard>,
    inserted: Option<(usize, Inserted)>,
    /// Commands of the cards taken out so far.
    log: Vec<Vec<u8>>,
}

impl Slot {
    fn take_out(&mut self) -> anyhow::Result<()> {
        if let Some((_, card)) = self.inserted.take() {
            self.log.extend(card.remove());
            // pcscd sees a card leave at its next presence poll; a card put
            // in before that would look like the same card staying in.
            crate::pcscd::wait_empty_readers(&[self.port], GONE_WITHIN)?;
        }
        Ok(())
    }

    fn put_in(&mut self, id: usize) -> anyhow::Result<()> {
        if self
            .inserted
            .as_ref()
            .is_some_and(|(i, c)| *i == id && c.is_in())
        {
            return Ok(());
        }
        self.take_out()?;
        let card = self.cards[id].make();
        self.inserted = Some((id, Inserted::insert(self.port, card)?));
        Ok(())
    }

    fn inserted(&self) -> Option<usize> {
        self.inserted
            .as_ref()
            .filter(|(_, c)| c.is_in())
            .map(|(i, _)| *i)
    }
}

type Shared = Arc<Mutex<Slot>>;

/// Serves the dock for the vpcd reader on `port` until the process ends.
pub async fn serve(
    listener: tokio::net::TcpListener,
    port: u16,
    cards: Vec<DockCard>,
) -> anyhow::Result<()> {
    let address: SocketAddr = listener.local_addr()?;
    if !address.ip().is_loopback() {
        bail!("the card dock listens on 127.0.0.1 only, not {address}");
    }
    let shared: Shared = Arc::new(Mutex::new(Slot {
        port,
        cards,
        inserted: None,
        log: Vec::new(),
    }));
    let app = Router::new()
        .route("/cards", get(list))
        .route("/cards/{id}/certificate", get(certificate))
        .route("/cards/{id}/insert", post(insert))
        .route("/remove", post(remove))
        .route("/commands", get(commands))
        .with_state(shared);
    axum::serve(listener, app).await?;
    Ok(())
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Slot> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

async fn list(State(shared): State<Shared>) -> Response {
    let slot = lock(&shared);
    let cards: Vec<Value> = slot
        .cards
        .iter()
        .enumerate()
        .map(|(i, c)| c.describe(i))
        .collect();
    axum::Json(json!({
        "reader": reader_name(slot.port),
        "inserted": slot.inserted(),
        "cards": cards,
    }))
    .into_response()
}

async fn certificate(State(shared): State<Shared>, UrlPath(id): UrlPath<usize>) -> Response {
    let slot = lock(&shared);
    match slot.cards.get(id).and_then(DockCard::certificate) {
        Some(der) => (
            [(header::CONTENT_TYPE, "application/pkix-cert")],
            der.to_vec(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, format!("no My Number card {id}")).into_response(),
    }
}

/// Runs `change` on the slot off the async threads (it waits for pcscd);
/// the slot's state, or the error as 502.
async fn change(
    shared: Shared,
    change: impl FnOnce(&mut Slot) -> anyhow::Result<()> + Send + 'static,
) -> Response {
    let result = tokio::task::spawn_blocking(move || {
        let mut slot = lock(&shared);
        change(&mut slot).map(|()| slot.inserted())
    })
    .await;
    match result {
        Ok(Ok(inserted)) => axum::Json(json!({"inserted": inserted})).into_response(),
        Ok(Err(e)) => (StatusCode::BAD_GATEWAY, format!("{e:#}")).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn insert(State(shared): State<Shared>, UrlPath(id): UrlPath<usize>) -> Response {
    if id >= lock(&shared).cards.len() {
        return (StatusCode::NOT_FOUND, format!("no card {id}")).into_response();
    }
    change(shared, move |slot| slot.put_in(id)).await
}

async fn remove(State(shared): State<Shared>) -> Response {
    change(shared, Slot::take_out).await
}

async fn commands(State(shared): State<Shared>) -> Response {
    let slot = lock(&shared);
    let mut all = slot.log.clone();
    if let Some((_, card)) = &slot.inserted {
        all.extend(card.log());
    }
    let hex: Vec<String> = all
        .iter()
        .map(|c| c.iter().map(|b| format!("{b:02X}")).collect())
        .collect();
    axum::Json(hex).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_specs() {
        let base = Path::new("/nonexistent");
        let jpki = DockCard::parse("jpki:山田 花子:1234", base).unwrap();
        assert_eq!(jpki.label, "山田 花子");
        assert!(jpki.certificate().is_some());
        let uid = DockCard::parse("uid:鈴木:04d4e5f6", base).unwrap();
        assert_eq!(uid.describe(1)["uid"], "04D4E5F6");
        assert!(uid.certificate().is_none());
        assert_eq!(
            DockCard::parse("stranger:誰か", base).unwrap().describe(2)["kind"],
            "stranger"
        );
        for (bad, why) in [
            ("jpki:a:12", "4 digits"),
            (
                "jpki:a:1234:missing.pem",
                "reading /nonexistent/missing.pem",
            ),
            ("uid:a:XYZ", "hex"),
            ("uid:a:0102", "4 to 10 bytes"),
            ("uid::04A1B2C3", "label is empty"),
            ("felica:a", "is not jpki"),
        ] {
            let err = format!("{:#}", DockCard::parse(bad, base).err().unwrap());
            assert!(err.contains(why), "`{bad}`: {err}");
        }
    }
}
