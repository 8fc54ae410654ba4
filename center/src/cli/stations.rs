//! `admin station …` (tap stations) and `admin child …` (children, their
//! cards and guardians). Every change is audited as done by `cli`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;
use jiff::Timestamp;
use mimamori_protocol::StationKind;

use super::{parse_date, print_json};
use crate::mail::GuardianPolicy;
use crate::store::{Store, children, stations};

/// Who the audit log names for the command line.
const WHO: &str = "cli";

#[derive(Debug, Subcommand)]
pub(super) enum StationCommand {
    /// Registers a tap station and prints its token (shown only this once).
    Add {
        /// The station's device id, e.g. nanbu-st-0001.
        device_id: String,
        /// The place, shown on its screen and in guardians' mail: 南部小学校.
        #[arg(long)]
        place: String,
        /// school, library, community_center or shelter.
        #[arg(long)]
        kind: String,
        /// 地区.
        #[arg(long)]
        district: String,
    },
    /// Lists the stations.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Gives a station a new token (shown only this once): the old one
    /// stops working, a revoked station is active again.
    Token {
        /// The station's device id.
        device_id: String,
    },
    /// Revokes a station's token.
    Revoke {
        /// The station's device id.
        device_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum ChildCommand {
    /// Registers a child.
    Add {
        /// 氏名.
        #[arg(long)]
        name: String,
        /// ふりがな.
        #[arg(long)]
        kana: String,
        /// 地区.
        #[arg(long)]
        district: String,
        /// 学校.
        #[arg(long, default_value = "")]
        school: String,
        /// 生年月日, YYYY-MM-DD.
        #[arg(long)]
        birth_date: Option<String>,
    },
    /// Lists the children.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Removes a child: their cards are unbound, their guardians get no
    /// more mail.
    Remove {
        /// The child's id.
        id: i64,
    },
    /// Binds a card to a child: a card's UID or a My Number card's
    /// certificate. A card already bound to anyone is refused.
    Card {
        /// The child's id.
        id: i64,
        /// The card's UID in hex.
        #[arg(long, conflicts_with = "cert", required_unless_present = "cert")]
        uid: Option<String>,
        /// A JPKI user-authentication certificate file, DER or PEM.
        #[arg(long)]
        cert: Option<PathBuf>,
    },
    /// Registers the children of a CSV file (児童名簿: one row per child,
    /// with their card and up to two guardians), all or none. UTF-8 (with
    /// or without BOM) or Shift_JIS; see docs/center.md for the columns.
    Import {
        /// The CSV file.
        file: PathBuf,
    },
    /// A child's guardians, who hear of the taps by mail.
    #[command(subcommand)]
    Guardian(GuardianCommand),
}

#[derive(Debug, Subcommand)]
pub(super) enum GuardianCommand {
    /// Adds a guardian to a child.
    Add {
        /// The child's id.
        child: i64,
        /// 氏名.
        #[arg(long)]
        name: String,
        /// Where mail goes.
        #[arg(long)]
        email: String,
        /// 続柄: 母, 父, 祖母, ….
        #[arg(long)]
        relation: String,
        /// every_tap (毎回), first_of_day (その日最初), none (なし).
        #[arg(long)]
        policy: String,
        /// The day the guardian consented, YYYY-MM-DD (no mail without it).
        #[arg(long)]
        consent_on: Option<String>,
    },
    /// Lists a child's guardians.
    List {
        /// The child's id.
        child: i64,
    },
    /// Removes a guardian: no more mail.
    Remove {
        /// The guardian's id.
        id: i64,
    },
    /// Records the day a guardian consented: their mail starts.
    Consent {
        /// The guardian's id.
        id: i64,
        /// The day, YYYY-MM-DD.
        #[arg(long)]
        on: String,
    },
}

pub(super) fn station(
    store: &mut Store,
    command: StationCommand,
    now: Timestamp,
) -> anyhow::Result<()> {
    match command {
        StationCommand::Add {
            device_id,
            place,
            kind,
            district,
        } => {
            let kind = StationKind::parse(&kind)
                .filter(|k| *k != StationKind::Unknown)
                .with_context(|| {
                    format!(
                        "--kind: `{kind}` is not one of school, library, community_center, shelter"
                    )
                })?;
            let new = stations::NewStation {
                device_id: device_id.clone(),
                place,
                kind,
                district,
            };
            let token = store.transaction(|c| stations::add_station(c, &new, WHO, now))?;
            println!(
                "station {device_id} registered. Its token (shown only now; put it in the station's configuration):"
            );
            println!("{token}");
        }
        StationCommand::List { json } => {
            let list = stations::list_stations(store.connection())?;
            if json {
                print_json(&list)?;
            } else {
                for s in list {
                    println!(
                        "{:<20} {:<8} {:<16} {:<12} {:<10} taps {:<5} last contact {}",
                        s.device_id,
                        if s.revoked { "revoked" } else { "active" },
                        s.kind,
                        s.place,
                        s.district,
                        s.taps,
                        s.last_contact_at.as_deref().unwrap_or("never"),
                    );
                }
            }
        }
        StationCommand::Token { device_id } => {
            let token =
                store.transaction(|c| stations::new_station_token(c, &device_id, WHO, now))?;
            println!(
                "station {device_id}: new token (shown only now; the old one no longer works):"
            );
            println!("{token}");
        }
        StationCommand::Revoke { device_id } => {
            store.transaction(|c| stations::revoke_station(c, &device_id, WHO, now))?;
            println!("station {device_id}: token revoked");
        }
    }
    Ok(())
}

pub(super) fn child(
    store: &mut Store,
    command: ChildCommand,
    now: Timestamp,
) -> anyhow::Result<()> {
    match command {
        ChildCommand::Add {
            name,
            kana,
            district,
            school,
            birth_date,
        } => {
            let new = children::NewChild {
                name,
                kana,
                district,
                school,
                birth_date: birth_date
                    .map(|d| parse_date(&d, "--birth-date"))
                    .transpose()?,
            };
            let id = store.transaction(|c| children::add_child(c, &new, WHO, now))?;
            println!("child {id} registered");
        }
        ChildCommand::List { json } => {
            let list = children::list_children(store.connection())?;
            if json {
                print_json(&list)?;
            } else {
                for c in list {
                    println!(
                        "{:>6}  {:<12} {:<16} {:<10} {:<12} cards {} guardians {}",
                        c.id, c.name, c.kana, c.district, c.school, c.cards, c.guardians
                    );
                }
            }
        }
        ChildCommand::Remove { id } => {
            store.transaction(|c| children::remove_child(c, id, WHO, now))?;
            println!("child {id} removed: cards unbound, guardians' mail stopped");
        }
        ChildCommand::Card { id, uid, cert } => {
            let name = if let Some(uid) = uid {
                let uid = uid.parse().map_err(anyhow::Error::msg).context("--uid")?;
                store.transaction(|c| {
                    children::bind_child_card(c, id, children::ChildCard::Uid(&uid), WHO, now)
                })?
            } else if let Some(path) = cert {
                let bytes =
                    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                let cert = crate::jpki::parse_certificate(&bytes)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                store.transaction(|c| {
                    children::bind_child_card(
                        c,
                        id,
                        children::ChildCard::Certificate(&cert),
                        WHO,
                        now,
                    )
                })?
            } else {
                anyhow::bail!("give --uid or --cert");
            };
            println!("{name} bound to child {id}");
        }
        ChildCommand::Guardian(command) => guardian(store, command, now)?,
        ChildCommand::Import { file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let rows = crate::import::parse_children(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: nothing was imported\n{e}", file.display()))?;
            let ids = store
                .transaction(|c| crate::store::import::import_children(c, &rows, WHO, now))
                .map_err(|e| anyhow::anyhow!("{}: nothing was imported\n{e}", file.display()))?;
            let guardians: usize = rows.iter().map(|r| r.guardians.len()).sum();
            println!(
                "{} children and {guardians} guardians imported from {} (ids {}..={})",
                ids.len(),
                file.display(),
                ids.first().copied().unwrap_or(0),
                ids.last().copied().unwrap_or(0)
            );
        }
    }
    Ok(())
}

fn guardian(store: &mut Store, command: GuardianCommand, now: Timestamp) -> anyhow::Result<()> {
    match command {
        GuardianCommand::Add {
            child,
            name,
            email,
            relation,
            policy,
            consent_on,
        } => {
            let policy: GuardianPolicy = policy
                .parse()
                .map_err(anyhow::Error::msg)
                .context("--policy")?;
            let new = children::NewGuardian {
                child,
                name,
                email,
                relation,
                policy,
                consent_on: consent_on
                    .map(|d| parse_date(&d, "--consent-on"))
                    .transpose()?,
            };
            let id = store.transaction(|c| children::add_guardian(c, &new, WHO, now))?;
            println!("guardian {id} added to child {child}");
            if new.consent_on.is_none() {
                println!("no consent recorded: no mail until it is");
            }
        }
        GuardianCommand::List { child } => {
            for g in children::list_guardians(store.connection(), child)? {
                println!(
                    "{:>5}  {:<12} {:<28} {:<6} {:<13} consent {}{}",
                    g.id,
                    g.name,
                    g.email,
                    g.relation,
                    g.policy,
                    g.consent_on.as_deref().unwrap_or("-"),
                    if g.unsubscribed {
                        "  [unsubscribed]"
                    } else {
                        ""
                    }
                );
            }
        }
        GuardianCommand::Remove { id } => {
            store.transaction(|c| children::remove_guardian(c, id, WHO, now))?;
            println!("guardian {id} removed");
        }
        GuardianCommand::Consent { id, on } => {
            let day = parse_date(&on, "--on")?;
            store.transaction(|c| children::record_guardian_consent(c, id, day, WHO, now))?;
            println!("guardian {id}: consent given on {day} recorded");
        }
    }
    Ok(())
}
