//! `admin box …`, `admin card …`, `admin notice …` and `admin staff …`:
//! the same store functions the dashboard's admin pages call.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;
use jiff::Timestamp;

use super::{parse_date, print_json};
use crate::config::Config;
use crate::store::{Store, admin, manage, people};

#[derive(Debug, Subcommand)]
pub(super) enum BoxCommand {
    /// Registers a box and prints its token (shown only this once).
    Add {
        /// The box's device id, e.g. nanbu-0042.
        device_id: String,
        /// Where it is installed.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Revokes a box's token.
    Revoke {
        /// The box's device id.
        device_id: String,
    },
    /// Lists the boxes.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Gives a registered box a new token (shown only this once): the old
    /// one stops working, a revoked box is active again.
    NewToken {
        /// The box's device id.
        device_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum CardCommand {
    /// Binds a card to a resident: a trial card's UID or a JPKI certificate.
    Bind {
        /// The resident's id.
        resident: i64,
        /// A trial card's UID in hex.
        #[arg(long, conflicts_with = "cert", required_unless_present = "cert")]
        uid: Option<String>,
        /// A JPKI user-authentication certificate file, DER or PEM.
        #[arg(long)]
        cert: Option<PathBuf>,
    },
    /// Lists a resident's cards with their ids.
    List {
        /// The resident's id.
        resident: i64,
    },
    /// Unbinds a card (lost or replaced).
    Unbind {
        /// The card's id (`admin card list`).
        card: i64,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum NoticeCommand {
    /// Publishes a notice to every box.
    Add {
        /// One line.
        #[arg(long)]
        title: String,
        /// The text.
        #[arg(long)]
        body: String,
        /// First day shown (default today).
        #[arg(long)]
        published: Option<String>,
        /// Last day shown.
        #[arg(long)]
        expires: Option<String>,
        /// Also on the standby screen.
        #[arg(long)]
        important: bool,
    },
    /// Lists the notices, newest first.
    List,
    /// Retires a notice: boxes stop showing it.
    Retire {
        /// The notice's id.
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum StaffCommand {
    /// Adds a nurse or an administrator.
    Add {
        /// Login name.
        login: String,
        /// Full name.
        #[arg(long)]
        name: String,
        /// nurse (保健師) or admin (管理者).
        #[arg(long)]
        role: String,
        /// Districts, e.g. 東町,西町 (required for nurses).
        #[arg(long, default_value = "")]
        districts: String,
        /// Where alert mail goes.
        #[arg(long, default_value = "")]
        email: String,
    },
    /// Lists staff.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sets a staff member's dashboard password, read from the first line of
    /// standard input (at least 10 characters); their sessions end.
    Password {
        /// Login name.
        login: String,
    },
    /// Forgets a staff member's TOTP secret (a lost phone): they enrol a
    /// new one at their next sign-in.
    ResetTotp {
        /// Login name.
        login: String,
    },
    /// Disables an account: it can no longer sign in, its sessions end.
    Disable {
        /// Login name.
        login: String,
    },
    /// Enables a disabled account again.
    Enable {
        /// Login name.
        login: String,
    },
    /// Changes a staff member's role and districts (their sessions end).
    Role {
        /// Login name.
        login: String,
        /// nurse (保健師) or admin (管理者).
        #[arg(long)]
        role: String,
        /// Districts, e.g. 東町,西町 (required for nurses).
        #[arg(long, default_value = "")]
        districts: String,
    },
}

/// Districts as the operator writes them: 東町,西町 or 東町、西町.
fn district_list(text: &str) -> Vec<String> {
    text.split([',', '、'])
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(super) fn boxes(
    store: &mut Store,
    config: &Config,
    command: BoxCommand,
    now: Timestamp,
) -> anyhow::Result<()> {
    match command {
        BoxCommand::Add { device_id, label } => {
            let token = store.transaction(|c| admin::add_box(c, &device_id, &label, now))?;
            println!(
                "box {device_id} registered. Its token (shown only now; put it in the box's configuration):"
            );
            println!("{token}");
        }
        BoxCommand::Revoke { device_id } => {
            store.transaction(|c| admin::revoke_box(c, config, &device_id, now))?;
            println!("box {device_id}: token revoked");
        }
        BoxCommand::List { json } => {
            let boxes = admin::list_boxes(store.connection())?;
            if json {
                print_json(&boxes)?;
            } else {
                for b in boxes {
                    println!(
                        "{:<20} {:<8} residents {:<2} last contact {:<28} {}",
                        b.device_id,
                        if b.revoked { "revoked" } else { "active" },
                        b.residents,
                        b.last_contact_at.as_deref().unwrap_or("never"),
                        b.label
                    );
                }
            }
        }
        BoxCommand::NewToken { device_id } => {
            let token = store.transaction(|c| manage::new_box_token(c, &device_id))?;
            println!("box {device_id}: new token (shown only now; the old one no longer works):");
            println!("{token}");
        }
    }
    Ok(())
}

pub(super) fn cards(store: &mut Store, command: CardCommand, now: Timestamp) -> anyhow::Result<()> {
    match command {
        CardCommand::Bind {
            resident,
            uid,
            cert,
        } => {
            if let Some(uid) = uid {
                let uid = uid.parse().map_err(anyhow::Error::msg).context("--uid")?;
                store.transaction(|c| admin::bind_uid(c, resident, &uid, now))?;
                println!(
                    "card {uid} bound to resident {resident} (trial card: weak authentication)"
                );
            } else if let Some(path) = cert {
                let bytes =
                    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                let cert = crate::jpki::parse_certificate(&bytes)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                let fp = store.transaction(|c| admin::bind_certificate(c, resident, &cert, now))?;
                println!("certificate {fp} bound to resident {resident}");
            }
        }
        CardCommand::List { resident } => {
            for card in manage::cards(store.connection(), resident)? {
                println!(
                    "{:>5}  {:<8} {}  bound {}",
                    card.id, card.kind, card.key, card.created_at
                );
            }
        }
        CardCommand::Unbind { card } => {
            let resident = store.transaction(|c| manage::unbind_card(c, card))?;
            println!("card {card} unbound from resident {resident}");
        }
    }
    Ok(())
}

pub(super) fn notices(
    store: &mut Store,
    config: &Config,
    command: NoticeCommand,
    now: Timestamp,
) -> anyhow::Result<()> {
    match command {
        NoticeCommand::Add {
            title,
            body,
            published,
            expires,
            important,
        } => {
            let today = now.to_zoned(config.time_zone.clone()).date();
            let published = published
                .map(|d| parse_date(&d, "--published"))
                .transpose()?
                .unwrap_or(today);
            let expires = expires.map(|d| parse_date(&d, "--expires")).transpose()?;
            let id = store.transaction(|c| {
                admin::add_notice(c, &title, &body, published, expires, important, now)
            })?;
            println!("notice {id} published");
        }
        NoticeCommand::List => {
            for n in manage::notices(store.connection())? {
                println!(
                    "{:>5}  {} – {}  {}{}",
                    n.id,
                    n.published_on,
                    n.expires_on.as_deref().unwrap_or(""),
                    n.title,
                    if n.withdrawn_at.is_some() {
                        "  [retired]"
                    } else {
                        ""
                    }
                );
            }
        }
        NoticeCommand::Retire { id } => {
            store.transaction(|c| manage::retire_notice(c, id, now))?;
            println!("notice {id} retired");
        }
    }
    Ok(())
}

pub(super) fn staff(
    store: &mut Store,
    command: StaffCommand,
    now: Timestamp,
) -> anyhow::Result<()> {
    match command {
        StaffCommand::Add {
            login,
            name,
            role,
            districts,
            email,
        } => {
            let role: people::Role = role.parse().map_err(anyhow::Error::msg).context("--role")?;
            let districts: Vec<String> = districts
                .split([',', '、'])
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .collect();
            store.transaction(|c| {
                people::add_staff(c, &login, &name, role, &districts, &email, now)
            })?;
            println!("staff {login} added");
        }
        StaffCommand::List { json } => {
            let staff = people::list_staff(store.connection())?;
            if json {
                print_json(&staff)?;
            } else {
                for s in staff {
                    println!(
                        "{:<16} {:<8} {}  {}",
                        s.login,
                        s.role,
                        s.name,
                        s.districts.join(",")
                    );
                }
            }
        }
        StaffCommand::Password { login } => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']);
            let hash = crate::dashboard::password::hash(password)?;
            store.transaction(|c| crate::store::dashboard::auth::set_password(c, &login, &hash))?;
            println!("password of {login} set");
        }
        StaffCommand::ResetTotp { login } => {
            store.transaction(|c| crate::store::dashboard::auth::reset_totp(c, &login))?;
            println!("TOTP of {login} reset: they enrol again at their next sign-in");
        }
        StaffCommand::Disable { login } => {
            store.transaction(|c| manage::set_disabled(c, &login, true, now))?;
            println!("staff {login} disabled: they can no longer sign in");
        }
        StaffCommand::Enable { login } => {
            store.transaction(|c| manage::set_disabled(c, &login, false, now))?;
            println!("staff {login} enabled");
        }
        StaffCommand::Role {
            login,
            role,
            districts,
        } => {
            let role: people::Role = role.parse().map_err(anyhow::Error::msg).context("--role")?;
            let districts = district_list(&districts);
            store.transaction(|c| manage::set_role(c, &login, role, &districts))?;
            println!("staff {login}: role and districts changed");
        }
    }
    Ok(())
}
