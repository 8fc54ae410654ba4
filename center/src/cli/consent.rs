//! `admin consent …`: a resident's consent to share, recorded and
//! withdrawn from the command line, as on the dashboard's admin page.

use anyhow::Context as _;
use clap::Subcommand;
use jiff::Timestamp;

use super::{parse_date, print_json};
use crate::config::Config;
use crate::store::Store;
use crate::store::consent::{self, Audience, ConsentAction, NewConsent};
use crate::store::outbox::StoredConsent;

#[derive(Debug, Subcommand)]
pub(super) enum ConsentCommand {
    /// Records that the resident agreed to share these items.
    Grant(ConsentArgs),
    /// Records that the resident withdrew these items.
    Withdraw(ConsentArgs),
    /// A resident's consent records, newest first.
    List {
        /// The resident's id.
        resident: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
pub(super) struct ConsentArgs {
    /// The resident's id.
    resident: i64,
    /// With whom: a family contact's id (`admin family list`) or `nurses`.
    #[arg(long)]
    with: String,
    /// Which items: some of condition,symptoms,medication,vitals,call_request
    /// (体調,症状,服薬,測定,連絡希望), or all.
    #[arg(long)]
    items: String,
    /// The day the resident said so, YYYY-MM-DD (default today).
    #[arg(long)]
    on: Option<String>,
    /// A note, e.g. 訪問時に書面で.
    #[arg(long, default_value = "")]
    note: String,
}

pub(super) fn run(
    config: &Config,
    store: &mut Store,
    command: ConsentCommand,
    now: Timestamp,
) -> anyhow::Result<()> {
    let (action, args) = match command {
        ConsentCommand::Grant(args) => (ConsentAction::Grant, args),
        ConsentCommand::Withdraw(args) => (ConsentAction::Withdraw, args),
        ConsentCommand::List { resident, json } => {
            let records = consent::history(store.connection(), resident)?;
            if json {
                return print_json(&records);
            }
            for r in records {
                println!(
                    "{:>5}  {}  {:<8} {:<10} {}  → shares {}  (by {}{}{})",
                    r.id,
                    r.agreed_on,
                    r.action,
                    r.audience,
                    r.items.join(","),
                    r.shared.join(","),
                    r.recorded_by,
                    if r.note.is_empty() { "" } else { ": " },
                    r.note
                );
            }
            return Ok(());
        }
    };
    let audience = match args.with.as_str() {
        "nurses" | "保健師" => Audience::Nurses,
        text => Audience::Family(text.parse().with_context(|| {
            format!("--with: `{text}` is neither a family contact's id nor `nurses`")
        })?),
    };
    let items = StoredConsent::parse(&args.items)
        .map_err(anyhow::Error::msg)
        .context("--items")?;
    let agreed_on = match &args.on {
        Some(day) => parse_date(day, "--on")?,
        None => now.to_zoned(config.time_zone.clone()).date(),
    };
    let new = NewConsent {
        resident: args.resident,
        audience,
        action,
        items,
        agreed_on,
        note: args.note,
        recorded_by: "cli".into(),
        staff_id: None,
    };
    let id = store.transaction(|c| consent::record(c, &config.time_zone, &new, now))?;
    println!("consent record {id} stored for resident {}", args.resident);
    Ok(())
}
