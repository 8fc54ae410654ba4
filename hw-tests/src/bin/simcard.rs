//! `simcard`: a simulated card in one of vpcd's virtual readers, for the
//! demo and for trying the box by hand.
//!
//! ```text
//! simcard jpki --pin 1234 --cert-out card.der   # a My Number card
//! simcard uid --uid 04A1B2C3                    # a trial card
//! simcard stranger                              # neither
//! simcard dock --listen 127.0.0.1:8710 --card 'jpki:山田 花子:1234' \
//!     --card 'uid:鈴木 一郎:04D4E5F6' --card 'stranger:知らないカード'
//! ```
//!
//! A single card is inserted at start. Lines on standard input control it:
//! `remove`, `insert`, `quit` (end of input quits too).
//!
//! `dock` holds several cards for one reader and puts them in and takes
//! them out over HTTP on 127.0.0.1 (the box's virtual TV shows them as
//! buttons: `[display] card_dock` in box.toml); see
//! `mimamori_hw_tests::simcard::dock`. It runs until it is stopped.

use std::io::BufRead as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use mimamori_hw_tests::simcard::dock::{self, DockCard};
use mimamori_hw_tests::simcard::{
    Card, Inserted, JpkiCard, SLOT_0, StrangerCard, UidCard, reader_name,
};

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
    /// Several cards for the reader, put in and taken out over HTTP.
    Dock {
        /// Where the control API listens (127.0.0.1 only).
        #[arg(long, default_value = "127.0.0.1:8710")]
        listen: std::net::SocketAddr,
        /// A card: `jpki:LABEL:PIN[:KEYFILE]`, `uid:LABEL:HEX` or
        /// `stranger:LABEL` (repeat for more).
        #[arg(long = "card", required = true)]
        cards: Vec<String>,
        /// Writes each My Number card's certificate (DER) into this
        /// directory as `card-N.der` (N counts the `--card`s from 0).
        #[arg(long)]
        cert_dir: Option<PathBuf>,
    },
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
        Kind::Dock {
            listen,
            cards,
            cert_dir,
        } => return dock(cli.port, listen, &cards, cert_dir.as_deref()),
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

fn dock(
    port: u16,
    listen: std::net::SocketAddr,
    specs: &[String],
    cert_dir: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let base = std::env::current_dir().context("the current directory")?;
    let cards = specs
        .iter()
        .map(|spec| DockCard::parse(spec, &base))
        .collect::<anyhow::Result<Vec<_>>>()
        .context("--card")?;
    if let Some(dir) = cert_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (i, card) in cards.iter().enumerate() {
            if let Some(der) = card.certificate() {
                let path = dir.join(format!("card-{i}.der"));
                std::fs::write(&path, der)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("--listen {listen}"))?;
        eprintln!(
            "simcard: dock for {} on http://{listen}/ with {} cards",
            reader_name(port),
            cards.len()
        );
        dock::serve(listener, port, cards).await
    })
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
