//! `mimamorid card …`: the card reader for installers and tests, each
//! command printing one JSON object on standard output.
//!
//! * `probe` — waits for a card; reader, kind and identity;
//! * `login --pin-stdin` — the whole JPKI login: certificate, tries left,
//!   PIN, a signature over a challenge, verified here with the certificate;
//! * `enroll --out FILE` — the certificate, for binding at the center
//!   (`mimamori-center admin card bind --cert FILE`).

use std::io::Read as _;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};
use sha2::Digest as _;

use super::{CardError, CardReport, CardService, Identity, Pin, PinCheck, PinStatus};

/// `mimamorid card …`.
#[derive(Debug, clap::Subcommand)]
pub enum CardCommand {
    /// Waits for a card and prints what it is (JSON).
    Probe {
        /// Only this reader (default: any).
        #[arg(long)]
        reader: Option<String>,
        /// Seconds to wait for a card.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
    },
    /// The full My Number card login with local verification (JSON).
    /// Exits 0 when logged in, 2 when the card refused (wrong PIN, last
    /// try, locked, removed), 1 on errors.
    Login {
        /// Read the 4-digit PIN from standard input.
        #[arg(long, required = true)]
        pin_stdin: bool,
        /// A challenge to sign (hex, e.g. from the center); default: 32
        /// random bytes.
        #[arg(long)]
        challenge: Option<String>,
        /// Only this reader (default: any).
        #[arg(long)]
        reader: Option<String>,
        /// Seconds to wait for a card.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
    },
    /// Reads a My Number card's user-authentication certificate for
    /// registration (DER; PEM when FILE ends in `.pem`).
    Enroll {
        /// Where to write the certificate.
        #[arg(long)]
        out: PathBuf,
        /// Only this reader (default: any).
        #[arg(long)]
        reader: Option<String>,
        /// Seconds to wait for a card.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
    },
}

/// What a command ended with: print `output`, exit with `code`.
#[derive(Debug)]
pub struct Outcome {
    /// The JSON object to print.
    pub output: Value,
    /// 0 success, 2 the card refused.
    pub code: u8,
}

/// Runs a card command.
pub fn run(command: CardCommand) -> anyhow::Result<Outcome> {
    match command {
        CardCommand::Probe { reader, timeout } => {
            let (_service, found) = wait_for_card(reader.as_deref(), timeout)?;
            Ok(Outcome {
                output: found.to_json(),
                code: 0,
            })
        }
        CardCommand::Enroll {
            out,
            reader,
            timeout,
        } => {
            let (_service, found) = wait_for_card(reader.as_deref(), timeout)?;
            let Found::Card {
                identity:
                    Identity::Jpki {
                        certificate,
                        fingerprint,
                        ..
                    },
                ..
            } = &found
            else {
                bail!("not a My Number card: {}", found.to_json());
            };
            let bytes = if out.extension().is_some_and(|e| e == "pem") {
                pem(certificate).into_bytes()
            } else {
                certificate.clone()
            };
            std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
            let mut output = found.to_json();
            output["certificate_file"] = json!(out.display().to_string());
            output["fingerprint"] = json!(fingerprint.to_string());
            Ok(Outcome { output, code: 0 })
        }
        CardCommand::Login {
            pin_stdin: _,
            challenge,
            reader,
            timeout,
        } => {
            let challenge = match challenge {
                Some(text) => hex::decode(text.trim()).context("--challenge: hex digits")?,
                None => rand::random::<[u8; 32]>().to_vec(),
            };
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading the PIN from standard input")?;
            let pin = Pin::new(text.trim()).context("the PIN on standard input is not 4 digits")?;
            login(reader.as_deref(), timeout, pin, &challenge)
        }
    }
}

/// What `wait_for_card` found.
enum Found {
    Card {
        reader: String,
        identity: Identity,
        took: Duration,
    },
    Unusable {
        reader: String,
        why: String,
    },
}

impl Found {
    fn to_json(&self) -> Value {
        match self {
            Found::Card {
                reader,
                identity,
                took,
            } => {
                let mut out = identity_json(identity);
                out["reader"] = json!(reader);
                out["identify_ms"] = json!(took.as_secs_f64() * 1000.0);
                out
            }
            Found::Unusable { reader, why } => json!({
                "reader": reader,
                "kind": "unusable",
                "why": why,
            }),
        }
    }
}

/// The identity as JSON; a UID card is marked weak.
pub fn identity_json(identity: &Identity) -> Value {
    match identity {
        Identity::Jpki {
            card_type,
            fingerprint,
            pin,
            ..
        } => {
            let (tries, locked) = match pin {
                PinStatus::TriesLeft(n) => (Some(*n), false),
                PinStatus::Locked => (Some(0), true),
                PinStatus::Verified => (None, false),
            };
            json!({
                "kind": "jpki",
                "weak": false,
                "card_type": card_type,
                "fingerprint": fingerprint.to_string(),
                "pin_tries_left": tries,
                "locked": locked,
            })
        }
        Identity::Uid { uid } => json!({
            "kind": "card_uid",
            "weak": true,
            "uid": hex::encode_upper(uid),
            "note": "trial card: weak authentication (a UID can be copied)",
        }),
    }
}

fn wait_for_card(reader: Option<&str>, timeout: u64) -> anyhow::Result<(CardService, Found)> {
    let (tx, rx) = mpsc::channel();
    let service = CardService::start(move |report| {
        let _ = tx.send(report);
    });
    let until = Instant::now() + Duration::from_secs(timeout);
    let mut service_down = false;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let report = match rx.recv_timeout(left) {
            Ok(report) => report,
            Err(_) if service_down => bail!("pcscd is not running (no card reader service)"),
            Err(_) => bail!("no card within {timeout} s"),
        };
        let wanted = |name: &str| reader.is_none_or(|r| r == name);
        match report {
            CardReport::ServiceDown => service_down = true,
            CardReport::ServiceUp => service_down = false,
            CardReport::Identified {
                reader,
                identity,
                took,
            } if wanted(&reader) => {
                return Ok((
                    service,
                    Found::Card {
                        reader,
                        identity,
                        took,
                    },
                ));
            }
            CardReport::Unusable { reader, why } if wanted(&reader) => {
                return Ok((service, Found::Unusable { reader, why }));
            }
            _ => {}
        }
    }
}

fn login(
    reader: Option<&str>,
    timeout: u64,
    pin: Pin,
    challenge: &[u8],
) -> anyhow::Result<Outcome> {
    let (service, found) = wait_for_card(reader, timeout)?;
    let started = Instant::now();
    let Found::Card {
        reader,
        identity:
            Identity::Jpki {
                certificate,
                fingerprint,
                pin: status,
                ..
            },
        took,
    } = found
    else {
        bail!("not a My Number card: {}", found.to_json());
    };
    let refused = |result: &str, tries: Option<u8>| Outcome {
        output: json!({
            "result": result,
            "reader": reader,
            "fingerprint": fingerprint.to_string(),
            "pin_tries_left": tries,
        }),
        code: 2,
    };
    match status {
        PinStatus::Locked => return Ok(refused("locked", Some(0))),
        PinStatus::TriesLeft(n) if n <= 1 => return Ok(refused("refused_last_try", Some(n))),
        _ => {}
    }
    let check = service
        .verify_pin(&reader, pin)
        .blocking_recv()
        .map_err(|_| CardError::Stopped);
    match check.and_then(|r| r) {
        Ok(PinCheck::Ok) => {}
        Ok(PinCheck::Wrong { tries_left }) => return Ok(refused("wrong_pin", Some(tries_left))),
        Ok(PinCheck::Locked) => return Ok(refused("locked", Some(0))),
        Err(CardError::LastTry(n)) => return Ok(refused("refused_last_try", Some(n))),
        Err(CardError::Removed | CardError::NoCard(_)) => return Ok(refused("removed", None)),
        Err(e) => return Err(e).context("verifying the PIN"),
    }
    let digest: [u8; 32] = sha2::Sha256::digest(challenge).into();
    let signed = service
        .sign(&reader, digest)
        .blocking_recv()
        .map_err(|_| CardError::Stopped)
        .and_then(|r| r);
    let signature = match signed {
        Ok(signature) => signature,
        Err(CardError::Removed | CardError::NoCard(_)) => return Ok(refused("removed", None)),
        Err(e) => return Err(e).context("signing the challenge"),
    };
    let login_ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Err(why) = super::verify_signature(&certificate, challenge, &signature) {
        bail!("the card's signature does not verify with its certificate: {why}");
    }
    Ok(Outcome {
        output: json!({
            "result": "ok",
            "reader": reader,
            "fingerprint": fingerprint.to_string(),
            "challenge": hex::encode(challenge),
            "signature": hex::encode(&signature),
            "signature_verified": true,
            "identify_ms": took.as_secs_f64() * 1000.0,
            "login_ms": login_ms,
        }),
        code: 0,
    })
}

fn pem(der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}
