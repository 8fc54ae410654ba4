//! `admin incident open|close|list`: incidents (台風10号) during which
//! taps at shelters are arrivals and the safety list counts signs of life.
//! Each change is audited.

use clap::Subcommand;
use jiff::Timestamp;

use super::print_json;
use crate::store::dashboard::audit;
use crate::store::{Store, incidents};

#[derive(Debug, Subcommand)]
pub(super) enum IncidentCommand {
    /// Opens an incident (one at a time).
    Open {
        /// Its name, e.g. 台風10号.
        #[arg(long)]
        name: String,
    },
    /// Closes an incident.
    Close {
        /// The incident's number (`admin incident list`).
        id: i64,
    },
    /// Lists incidents, the newest first.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(super) fn run(
    store: &mut Store,
    command: IncidentCommand,
    now: Timestamp,
) -> anyhow::Result<()> {
    match command {
        IncidentCommand::Open { name } => {
            let incident = store.transaction(|conn| {
                let incident = incidents::open(conn, &name, "cli", now)?;
                audit::record_cli(
                    conn,
                    "incident.open",
                    None,
                    &format!("{} {}", incident.id, incident.name),
                    now,
                )?;
                Ok(incident)
            })?;
            println!("opened incident {} ({})", incident.id, incident.name);
        }
        IncidentCommand::Close { id } => {
            let incident = store.transaction(|conn| {
                let incident = incidents::close(conn, id, "cli", now)?;
                audit::record_cli(
                    conn,
                    "incident.close",
                    None,
                    &format!("{} {}", incident.id, incident.name),
                    now,
                )?;
                Ok(incident)
            })?;
            println!("closed incident {} ({})", incident.id, incident.name);
        }
        IncidentCommand::List { json } => {
            let list = store.transaction(incidents::list)?;
            if json {
                return print_json(&list);
            }
            if list.is_empty() {
                println!("no incidents");
            }
            for i in list {
                let state = match i.closed_at {
                    Some(at) => format!("closed {at}"),
                    None => "open".into(),
                };
                println!("{:>4}  {}  opened {}  {state}", i.id, i.name, i.opened_at);
            }
        }
    }
    Ok(())
}
