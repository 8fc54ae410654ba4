//! `admin family …` and `admin mail …`: who hears about a resident, what
//! they may see and when, and what became of the mail.

use anyhow::Context as _;
use clap::Subcommand;
use jiff::Timestamp;
use mimamori_protocol::TimeOfDay;

use super::print_json;
use crate::config::Config;
use crate::store::outbox::StoredConsent;
use crate::store::{Store, outbox, people};

#[derive(Debug, Subcommand)]
pub(super) enum MailCommand {
    /// Lists the outbox, newest first, and the family addresses that bounce.
    List {
        /// Only failed messages.
        #[arg(long)]
        failed: bool,
        /// At most this many messages.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Queues failed messages again, once their cause (TLS, AUTH, a wrong
    /// address) is fixed: the given ones, or with --all every failed one.
    Retry {
        /// Outbox row ids (`admin mail list --failed`).
        ids: Vec<i64>,
        /// Every failed message (not those dropped by an unsubscribe).
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum FamilyCommand {
    /// Adds a family contact to a resident.
    Add {
        /// The resident's id.
        resident: i64,
        /// The contact's name.
        #[arg(long)]
        name: String,
        /// Their email address.
        #[arg(long)]
        email: String,
        /// 続柄, e.g. 長女.
        #[arg(long, default_value = "")]
        relation: String,
        /// every_check_in (毎回), daily_digest (毎日まとめて) or concerns_only (気になる時だけ).
        #[arg(long, default_value = "daily_digest")]
        policy: String,
        /// When the daily digest goes out, local time (default 19:00).
        #[arg(long)]
        digest_at: Option<String>,
        /// What they may see, as the resident agreed: all (default), none, or
        /// some of condition,symptoms,medication,vitals,call_request.
        #[arg(long)]
        consent: Option<String>,
    },
    /// Changes a family contact: what they receive, when, what they may see.
    Edit {
        /// The contact's id (`admin family list`).
        contact: i64,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        /// A new address (mail still queued follows it).
        #[arg(long)]
        email: Option<String>,
        /// A new 続柄.
        #[arg(long)]
        relation: Option<String>,
        /// every_check_in, daily_digest or concerns_only.
        #[arg(long)]
        policy: Option<String>,
        /// When the daily digest goes out, local time (HH:MM).
        #[arg(long)]
        digest_at: Option<String>,
        /// What they may see: all, none, or a list (condition,symptoms,…).
        #[arg(long)]
        consent: Option<String>,
        /// Start their mail again after they unsubscribed, at their request.
        #[arg(long)]
        resubscribe: bool,
    },
    /// Removes a family contact: their mail stops (queued mail is dropped);
    /// what was sent and their consent records stay.
    Remove {
        /// The contact's id.
        contact: i64,
    },
    /// Lists family contacts, with the addresses that bounce.
    List {
        /// Only this resident's.
        resident: Option<i64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn policy(text: &str) -> anyhow::Result<people::FamilyPolicy> {
    text.parse().map_err(anyhow::Error::msg).context("--policy")
}

fn digest_time(text: &str) -> anyhow::Result<TimeOfDay> {
    text.parse().map_err(|e: String| {
        anyhow::anyhow!("--digest-at: `{text}` is not a time such as 19:00: {e}")
    })
}

fn consent(text: &str) -> anyhow::Result<StoredConsent> {
    StoredConsent::parse(text)
        .map_err(anyhow::Error::msg)
        .context("--consent")
}

pub(super) fn family(
    config: &Config,
    store: &mut Store,
    command: FamilyCommand,
    now: Timestamp,
) -> anyhow::Result<()> {
    match command {
        FamilyCommand::Add {
            resident,
            name,
            email,
            relation,
            policy: p,
            digest_at,
            consent: c,
        } => {
            let changes = people::FamilyChanges {
                digest_at: digest_at.as_deref().map(digest_time).transpose()?,
                consent: c.as_deref().map(consent).transpose()?,
                recorded_by: "cli".into(),
                ..people::FamilyChanges::default()
            };
            let p = policy(&p)?;
            let id = store.transaction(|c| {
                let id = people::add_family(c, resident, &name, &email, &relation, p, now)?;
                people::edit_family(c, config, id, &changes, now)?;
                Ok(id)
            })?;
            println!("family contact {id} added to resident {resident}");
        }
        FamilyCommand::Edit {
            contact,
            name,
            email,
            relation,
            policy: p,
            digest_at,
            consent: c,
            resubscribe,
        } => {
            let changes = people::FamilyChanges {
                name,
                email,
                relation,
                policy: p.as_deref().map(policy).transpose()?,
                digest_at: digest_at.as_deref().map(digest_time).transpose()?,
                consent: c.as_deref().map(consent).transpose()?,
                resubscribe,
                recorded_by: "cli".into(),
            };
            store.transaction(|c| people::edit_family(c, config, contact, &changes, now))?;
            println!("family contact {contact} changed");
        }
        FamilyCommand::Remove { contact } => {
            let resident =
                store.transaction(|c| crate::store::manage::remove_family(c, contact, now))?;
            println!("family contact {contact} of resident {resident} removed");
        }
        FamilyCommand::List { resident, json } => {
            let contacts = people::list_family(store.connection(), resident)?;
            if json {
                return print_json(&contacts);
            }
            for c in contacts {
                let when = if c.policy == "daily_digest" {
                    format!(" at {}", c.digest_at)
                } else {
                    String::new()
                };
                println!(
                    "{:>5}  resident {:>6}  {} ({}) <{}>  {}{}  sees {}{}",
                    c.id,
                    c.resident,
                    c.name,
                    c.relation,
                    c.email,
                    c.policy,
                    when,
                    c.consent,
                    if c.unsubscribed {
                        "  [unsubscribed]"
                    } else {
                        ""
                    }
                );
                if let Some(b) = &c.bounce {
                    println!(
                        "       this address bounces: {} failed since {}: {}",
                        b.failed, b.since, b.last_error
                    );
                }
            }
        }
    }
    Ok(())
}

pub(super) fn mail(store: &mut Store, command: MailCommand, now: Timestamp) -> anyhow::Result<()> {
    match command {
        MailCommand::List {
            failed,
            limit,
            json,
        } => mail_list(store, failed, limit, json),
        MailCommand::Retry { ids, all } => {
            if ids.is_empty() && !all {
                anyhow::bail!(
                    "name the messages to retry (ids from `admin mail list --failed`), or --all"
                );
            }
            let queued = store.transaction(|c| outbox::retry_failed(c, &ids, now))?;
            println!("{queued} messages queued again");
            Ok(())
        }
    }
}

fn mail_list(store: &Store, failed: bool, limit: usize, json: bool) -> anyhow::Result<()> {
    let messages = outbox::list(store.connection(), failed, limit)?;
    let bouncing = outbox::failing_contacts(store.connection())?;
    if json {
        return print_json(&serde_json::json!({
            "messages": messages,
            "failing_contacts": bouncing,
        }));
    }
    for m in &messages {
        let when = match m.state.as_str() {
            "sent" => format!("sent {}", m.sent_at.as_deref().unwrap_or("?")),
            "pending" => format!("next {}", m.next_attempt_at.as_deref().unwrap_or("?")),
            _ => format!("after {} attempts", m.attempts),
        };
        println!(
            "{:>7}  {:<7}  {:<16}  {:<32}  {}",
            m.id, m.state, m.kind, m.recipient, when
        );
        if m.state != "sent" {
            if let Some(error) = &m.last_error {
                println!("         {error}");
            }
        }
    }
    if messages.is_empty() {
        println!(
            "{}",
            if failed {
                "no failed mail"
            } else {
                "the outbox is empty"
            }
        );
    }
    if !bouncing.is_empty() {
        println!();
        println!("family addresses that bounce:");
        for c in &bouncing {
            println!(
                "  contact {:>5} of resident {:>6}  {} <{}>  {} failed: {}",
                c.contact, c.resident, c.name, c.email, c.failed, c.last_error
            );
        }
    }
    Ok(())
}
