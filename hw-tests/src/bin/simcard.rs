//! `simcard`: a simulated card in one of vpcd's virtual readers, for the
//! demo and for trying the box by hand.
//!
//! ```text
//! simcard jpki --pin 1234 --cert-out card.der   # a My Number card
//! simcard uid --uid 04A1B2C3                    # a trial card
//! simcard stranger                              # neither
//! ```
//!
//! The card is inserted at start. Lines on standard input control it:
//! `remove`, `insert`, `quit` (end of input quits too).

use std::io::BufRead as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use mimamori_hw_tests::simcard::{Card, Inserted, JpkiCard, SLOT_0, StrangerCard, UidCard};

/// A simulated card in a vpcd reader.
#[derive(Debug, Parser)]
#[command(name = "simcard", about)]
struct Cli {
    /// vpcd's port: 35963 (`Virtual PCD 00 00`) or 35964 (`00 01`).
    #[arg(long, default_value_t = SLOT_0)]
    port: u16,
    #[command(subcommand)]
    kind: Kind,
}

#[derive(Debug, Subcommand)]
enum Kind {
    /// A My Number card (JPKI): RSA-2048 key, self-signed certificate, PIN.
    Jpki {
        /// The PIN (4 digits).
        #[arg(long, default_value = "1234")]
        pin: String,
        /// An RSA key, PKCS#8 PEM (default: test key 1 of hw-tests/testdata).
        #[arg(long)]
        key: Option<PathBuf>,
        /// Tries left at start (0 is a locked card).
        #[arg(long, default_value_t = 3)]
        tries: u8,
        /// Writes the card's certificate (DER) here.
        #[arg(long)]
        cert_out: Option<PathBuf>,
    },
    /// A trial card with a UID.
    Uid {
        /// The UID, hex.
        #[arg(long, default_value = "04A1B2C3")]
        uid: String,
    },
    /// A card that is neither.
    Stranger,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let make: Box<dyn Fn() -> Box<dyn Card>> = match cli.kind {
        Kind::Jpki {
            pin,
            key,
            tries,
            cert_out,
        } => {
            let card = match key {
                Some(path) => {
                    let pem = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    JpkiCard::from_pem(&pem, &pin, (2024, 2031))?
                }
                None => JpkiCard::with_key(1, &pin),
            };
            card.set_tries_left(tries);
            if let Some(path) = cert_out {
                std::fs::write(&path, card.certificate())
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            Box::new(move || Box::new(card.clone()))
        }
        Kind::Uid { uid } => {
            let uid = hex_decode(&uid).context("--uid: hex digits")?;
            Box::new(move || Box::new(UidCard::new(&uid)))
        }
        Kind::Stranger => Box::new(|| Box::new(StrangerCard)),
    };
    let mut inserted = Some(Inserted::insert(cli.port, make())?);
    eprintln!("simcard: inserted on port {}", cli.port);
    for line in std::io::stdin().lock().lines() {
        match line?.trim() {
            "remove" => {
                if let Some(card) = inserted.take() {
                    card.remove();
                }
                eprintln!("simcard: removed");
            }
            "insert" => {
                if inserted.is_none() {
                    inserted = Some(Inserted::insert(cli.port, make())?);
                }
                eprintln!("simcard: inserted");
            }
            "quit" => break,
            "" => {}
            other => eprintln!("simcard: `{other}`? (remove, insert, quit)"),
        }
    }
    Ok(())
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || text.is_empty() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
