//! The command line: `serve`, `sweep`, and `admin …` for the operator's staff.

use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use jiff::Timestamp;
use mimamori_protocol::{CarePlan, MedicationSlot, SyncRequest, TimeOfDay, VitalKind, decode};
use serde::Serialize;

mod consent;
mod family;
mod incident;
mod purge;
mod setup;
mod stations;

use family::{FamilyCommand, MailCommand};
use setup::{BoxCommand, CardCommand, NoticeCommand, StaffCommand};

use crate::clock::{Clock, OffsetFileClock, SystemClock};
use crate::config::Config;
use crate::domain::{AlertState, PauseReason, VisitOutcome};
use crate::store::{Store, admin, watch};

/// The Mimamori center.
#[derive(Debug, Parser)]
#[command(name = "mimamori-center", version, about)]
pub struct Cli {
    /// Configuration file (TOML). Without it, defaults: data in ./data.
    #[arg(long, global = true, env = "MIMAMORI_CENTER_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run
enum Command {
    /// Serves the box API and sweeps for due residents.
    Serve,
    /// Runs one sweep of the watch engine as of an instant.
    Sweep {
        /// The instant, RFC 3339 (default: now).
        #[arg(long)]
        at: Option<String>,
        /// Show what would happen without storing it.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Checks a box's sync request (JSON on stdin), naming the field when
    /// something is wrong.
    CheckRequest,
    /// Administration: boxes, residents, cards, notices, alerts.
    #[command(subcommand)]
    Admin(Admin),
}

#[derive(Debug, Subcommand)]
enum Admin {
    /// Set-top boxes.
    #[command(subcommand)]
    Box(BoxCommand),
    /// Residents.
    #[command(subcommand)]
    Resident(ResidentCommand),
    /// Cards that identify residents.
    #[command(subcommand)]
    Card(CardCommand),
    /// Tap stations at schools, libraries, community centers, shelters.
    #[command(subcommand)]
    Station(stations::StationCommand),
    /// Children who tap cards at stations, and their guardians.
    #[command(subcommand)]
    Child(stations::ChildCommand),
    /// Notices shown on every TV.
    #[command(subcommand)]
    Notice(NoticeCommand),
    /// Alerts for the nurses.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// Health-checkup records.
    #[command(subcommand)]
    Checkup(CheckupCommand),
    /// Family contacts who get mail.
    #[command(subcommand)]
    Family(FamilyCommand),
    /// Nurses and administrators.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// What residents agreed to share, with whom; withdrawals.
    #[command(subcommand)]
    Consent(consent::ConsentCommand),
    /// The mail outbox: what was sent, what waits, what failed.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Incidents (台風10号): shelter arrivals and the safety list.
    #[command(subcommand)]
    Incident(incident::IncidentCommand),
    /// Deletes what is past its retention (`[retention]` in the
    /// configuration); never open alerts or waiting mail. Audited.
    Purge {
        /// Count what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Copies the database to a new file while the server keeps running
    /// (SQLite's online backup); the copy is checked before it is kept.
    Backup {
        /// The new file, e.g. /var/backups/mimamori-center/2026-11-29.sqlite3.
        #[arg(long)]
        out: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum CheckupCommand {
    /// Stores every checkup of a CSV file (one row per result), or none.
    Import {
        /// The file, with a header row (受診日, 健診名, 項目, 結果, …).
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum ResidentCommand {
    /// Registers a resident.
    Add(ResidentArgs),
    /// Lists residents.
    List {
        /// Only this district.
        #[arg(long)]
        district: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Pauses the watch (hospital stay, trip) through a day.
    Pause {
        /// The resident's id.
        id: i64,
        /// Last day of the pause, YYYY-MM-DD.
        #[arg(long)]
        through: String,
        /// hospital (入院中), travel (旅行中) or other (その他).
        #[arg(long)]
        reason: String,
    },
    /// Ends a pause.
    Unpause {
        /// The resident's id.
        id: i64,
    },
    /// Moves a resident to a box.
    Assign {
        /// The resident's id.
        id: i64,
        /// The box's device id.
        #[arg(long = "box")]
        box_device: String,
    },
    /// Changes a resident's particulars.
    Edit {
        /// The resident's id.
        id: i64,
        /// 氏名.
        #[arg(long)]
        name: Option<String>,
        /// ふりがな.
        #[arg(long)]
        kana: Option<String>,
        /// 地区.
        #[arg(long)]
        district: Option<String>,
        /// 住所.
        #[arg(long)]
        address: Option<String>,
        /// 電話番号.
        #[arg(long)]
        phone: Option<String>,
        /// 生年月日, YYYY-MM-DD.
        #[arg(long)]
        birth_date: Option<String>,
    },
    /// Shows or sets a resident's own thresholds, e.g. --set missed_days=3
    /// --set offline_after=12h; --clear returns to the global ones.
    Thresholds {
        /// The resident's id.
        id: i64,
        /// KEY=VALUE, keys as in the [watch] section of the configuration.
        #[arg(long = "set")]
        set: Vec<String>,
        /// Forget every override first.
        #[arg(long)]
        clear: bool,
    },
    /// Registers every resident of a CSV file (UTF-8 or Shift_JIS), or none.
    Import {
        /// The file, with a header row (氏名, ふりがな, 地区, …).
        file: PathBuf,
    },
    /// Replaces a resident's care plan.
    Plan {
        /// The resident's id.
        id: i64,
        #[command(flatten)]
        plan: PlanArgs,
    },
}

#[derive(Debug, Args)]
struct ResidentArgs {
    /// 氏名.
    #[arg(long)]
    name: String,
    /// ふりがな.
    #[arg(long)]
    kana: String,
    /// 地区.
    #[arg(long)]
    district: String,
    /// 住所.
    #[arg(long, default_value = "")]
    address: String,
    /// 電話番号.
    #[arg(long, default_value = "")]
    phone: String,
    /// 生年月日, YYYY-MM-DD.
    #[arg(long)]
    birth_date: Option<String>,
    /// The box that serves them.
    #[arg(long = "box")]
    box_device: Option<String>,
    #[command(flatten)]
    plan: PlanArgs,
}

#[derive(Debug, Args)]
struct PlanArgs {
    /// Medication slots, e.g. 朝,夕 or morning,evening.
    #[arg(long, default_value = "")]
    medication: String,
    /// Measurements to ask for, e.g. 血圧,体温 or blood_pressure,temperature.
    #[arg(long, default_value = "")]
    vitals: String,
    /// Reminder time, HH:MM.
    #[arg(long, default_value = "09:00")]
    reminder: String,
    /// Deadline for the day's check-in, HH:MM.
    #[arg(long, default_value = "12:00")]
    deadline: String,
}

#[derive(Debug, Subcommand)]
enum AlertsCommand {
    /// Lists alerts, most urgent first.
    List {
        /// open, acknowledged or resolved (default: not resolved).
        #[arg(long)]
        state: Option<String>,
        /// Every state.
        #[arg(long, conflicts_with = "state")]
        all: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Acknowledges an alert.
    Ack {
        /// The alert's id.
        id: i64,
        /// Who.
        #[arg(long)]
        by: String,
    },
    /// Resolves an alert with a visit record.
    Resolve {
        /// The alert's id.
        id: i64,
        /// Who visited.
        #[arg(long)]
        by: String,
        /// seen_well (本人確認), not_home (不在), ambulance (救急搬送), other (その他).
        #[arg(long)]
        outcome: String,
        /// Note.
        #[arg(long, default_value = "")]
        note: String,
        /// When the visit took place, RFC 3339 (default now).
        #[arg(long)]
        visited_at: Option<String>,
    },
}

/// Runs the command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let config = match &cli.config {
        Some(path) => {
            Config::load(path).with_context(|| format!("configuration {}", path.display()))?
        }
        None => Config::parse("")?,
    };
    let clock: Arc<dyn Clock> = match &config.clock_offset_file {
        Some(file) => Arc::new(OffsetFileClock::open(file).map_err(|e| {
            anyhow::anyhow!("clock.offset_file: {e} (the file holds one number of seconds)")
        })?),
        None => Arc::new(SystemClock),
    };
    match cli.command {
        Command::Serve => serve(config, clock),
        Command::Sweep { at, dry_run, json } => {
            sweep(&config, at.as_deref(), dry_run, json, clock.now())
        }
        Command::CheckRequest => check_request(),
        // Before `run_admin`, which migrates: a backup copies the database
        // as it is.
        Command::Admin(Admin::Backup { out, json }) => backup(&config, &out, json),
        Command::Admin(admin) => run_admin(&config, admin, clock.now()),
    }
}

fn serve(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.http.listen)
            .await
            .with_context(|| format!("cannot listen on {} (http.listen)", config.http.listen))?;
        crate::server::serve(config, clock, listener, crate::server::shutdown_signal()).await
    })
}

fn open(config: &Config) -> anyhow::Result<Store> {
    let path = config.database_path();
    Store::open(&path).with_context(|| format!("opening the database {}", path.display()))
}

fn parse_instant(text: &str, what: &str) -> anyhow::Result<Timestamp> {
    text.parse::<Timestamp>().with_context(|| {
        format!("{what}: `{text}` is not an RFC 3339 instant such as 2026-12-01T12:00:00+09:00")
    })
}

fn parse_date(text: &str, what: &str) -> anyhow::Result<jiff::civil::Date> {
    text.parse::<jiff::civil::Date>()
        .with_context(|| format!("{what}: `{text}` is not a date written as YYYY-MM-DD"))
}

fn sweep(
    config: &Config,
    at: Option<&str>,
    dry_run: bool,
    json: bool,
    now: Timestamp,
) -> anyhow::Result<()> {
    let at = at
        .map(|a| parse_instant(a, "--at"))
        .transpose()?
        .unwrap_or(now);
    let mut store = open(config)?;
    let report = if dry_run {
        store.dry_run(|conn| watch::sweep(conn, config, at))?
    } else {
        store.transaction(|conn| watch::sweep(conn, config, at))?
    };
    if json {
        print_json(&report)?;
    } else {
        let zoned = at.to_zoned(config.time_zone.clone());
        println!(
            "sweep as of {}{}: {} due, {} actions, {} family digests and {} nurse summaries queued",
            zoned.strftime("%Y-%m-%d %H:%M %Z"),
            if dry_run {
                " (dry run, nothing stored)"
            } else {
                ""
            },
            report.due,
            report.applied.len(),
            report.digests,
            report.nurse_summaries
        );
        for a in &report.applied {
            println!(
                "  {:<9} alert {:>5}  resident {:>6}  {:<14} {}",
                a.action, a.alert, a.resident, a.kind, a.reason
            );
        }
    }
    Ok(())
}

fn backup(config: &Config, out: &std::path::Path, json: bool) -> anyhow::Result<()> {
    let report = crate::store::backup::backup(&config.database_path(), out)
        .with_context(|| format!("backing up to {}", out.display()))?;
    if json {
        print_json(&report)?;
    } else {
        println!(
            "backup written to {} ({} bytes, schema {}, {} residents, {} events)",
            report.path.display(),
            report.bytes,
            report.schema_version,
            report.residents,
            report.events
        );
    }
    Ok(())
}

fn check_request() -> anyhow::Result<()> {
    let mut body = Vec::new();
    std::io::stdin().read_to_end(&mut body)?;
    let request: SyncRequest = decode(&body)?;
    println!(
        "valid sync request from {}: {} events",
        request.device_id,
        request.events.len()
    );
    Ok(())
}

fn run_admin(config: &Config, command: Admin, now: Timestamp) -> anyhow::Result<()> {
    let mut store = open(config)?;
    match command {
        Admin::Box(command) => setup::boxes(&mut store, config, command, now)?,
        Admin::Resident(command) => resident(config, &mut store, command, now)?,
        Admin::Card(command) => setup::cards(&mut store, command, now)?,
        Admin::Station(command) => stations::station(&mut store, command, now)?,
        Admin::Child(command) => stations::child(&mut store, command, now)?,
        Admin::Notice(command) => setup::notices(&mut store, config, command, now)?,
        Admin::Alerts(command) => alerts(config, &mut store, command, now)?,
        // Runs from `run`, without opening (and migrating) the store first.
        Admin::Backup { out, json } => backup(config, &out, json)?,
        Admin::Mail(command) => family::mail(&mut store, command, now)?,
        Admin::Purge { dry_run, json } => purge::run(config, &mut store, dry_run, json, now)?,
        Admin::Family(command) => family::family(config, &mut store, command, now)?,
        Admin::Staff(command) => setup::staff(&mut store, command, now)?,
        Admin::Incident(command) => incident::run(&mut store, command, now)?,
        Admin::Consent(command) => consent::run(config, &mut store, command, now)?,
        Admin::Checkup(CheckupCommand::Import { file }) => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let rows = crate::import::parse_checkups(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: nothing was imported\n{e}", file.display()))?;
            let n = store
                .transaction(|c| crate::store::import::import_checkups(c, &rows, now))
                .map_err(|e| anyhow::anyhow!("{}: nothing was imported\n{e}", file.display()))?;
            println!("{n} checkups imported from {}", file.display());
        }
    }
    Ok(())
}

fn resident(
    config: &Config,
    store: &mut Store,
    command: ResidentCommand,
    now: Timestamp,
) -> anyhow::Result<()> {
    match command {
        ResidentCommand::Add(args) => {
            let new = admin::NewResident {
                name: args.name,
                kana: args.kana,
                district: args.district,
                address: args.address,
                phone: args.phone,
                birth_date: args
                    .birth_date
                    .map(|d| parse_date(&d, "--birth-date"))
                    .transpose()?,
                care_plan: care_plan(&args.plan)?,
                box_device: args.box_device,
            };
            let id = store.transaction(|c| admin::add_resident(c, config, &new, now))?;
            println!("resident {id} registered");
        }
        ResidentCommand::List { district, json } => {
            let residents = admin::list_residents(store.connection(), district.as_deref())?;
            if json {
                print_json(&residents)?;
            } else {
                for r in residents {
                    println!(
                        "{:>6}  {:<12} {:<16} {:<10} box {:<16} alerts {} {}",
                        r.id,
                        r.name,
                        r.kana,
                        r.district,
                        r.box_device.as_deref().unwrap_or("-"),
                        r.open_alerts,
                        r.paused_through
                            .map(|d| format!("(paused through {d})"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        ResidentCommand::Pause {
            id,
            through,
            reason,
        } => {
            let through = parse_date(&through, "--through")?;
            let reason: PauseReason = reason
                .parse()
                .map_err(anyhow::Error::msg)
                .context("--reason")?;
            store.transaction(|c| admin::pause(c, config, id, Some((through, reason)), now))?;
            println!(
                "resident {id}: paused through {through} ({})",
                reason.label_ja()
            );
        }
        ResidentCommand::Unpause { id } => {
            store.transaction(|c| admin::pause(c, config, id, None, now))?;
            println!("resident {id}: watched again");
        }
        ResidentCommand::Assign { id, box_device } => {
            store.transaction(|c| admin::assign_box(c, config, id, Some(&box_device), now))?;
            println!("resident {id}: served by box {box_device}");
        }
        ResidentCommand::Edit {
            id,
            name,
            kana,
            district,
            address,
            phone,
            birth_date,
        } => {
            let edit = admin::ResidentEdit {
                name,
                kana,
                district,
                address,
                phone,
                birth_date: birth_date
                    .map(|d| parse_date(&d, "--birth-date"))
                    .transpose()?,
            };
            store.transaction(|c| admin::edit_resident(c, id, &edit))?;
            println!("resident {id}: updated");
        }
        ResidentCommand::Thresholds { id, set, clear } => {
            let current = admin::overrides(store.connection(), id)?;
            let mut value = if clear {
                serde_json::json!({})
            } else {
                serde_json::to_value(&current)?
            };
            for item in &set {
                let (key, raw) = item
                    .split_once('=')
                    .with_context(|| format!("--set {item}: expected KEY=VALUE"))?;
                let parsed: toml::Value = toml::from_str(&format!("v = {raw}"))
                    .or_else(|_| toml::from_str(&format!("v = {:?}", raw)))
                    .with_context(|| format!("--set {item}"))?;
                let parsed = parsed.get("v").cloned().context("value")?;
                value[key.trim()] = serde_json::to_value(parsed)?;
            }
            let overrides: crate::watch::Overrides =
                serde_json::from_value(value).context("--set: unknown key or wrong value")?;
            if set.is_empty() && !clear {
                print_json(&overrides)?;
            } else {
                store.transaction(|c| admin::set_overrides(c, config, id, &overrides, now))?;
                println!(
                    "resident {id}: own thresholds {}",
                    serde_json::to_string(&overrides)?
                );
            }
        }
        ResidentCommand::Import { file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let rows = crate::import::parse_residents(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: nothing was imported\n{e}", file.display()))?;
            let ids = store
                .transaction(|c| crate::store::import::import_residents(c, config, &rows, now))
                .map_err(|e| anyhow::anyhow!("{}: nothing was imported\n{e}", file.display()))?;
            println!(
                "{} residents imported from {} (ids {}..={})",
                ids.len(),
                file.display(),
                ids.first().copied().unwrap_or(0),
                ids.last().copied().unwrap_or(0)
            );
        }
        ResidentCommand::Plan { id, plan } => {
            let plan = care_plan(&plan)?;
            store.transaction(|c| admin::set_care_plan(c, config, id, &plan, now))?;
            println!("resident {id}: care plan replaced");
        }
    }
    Ok(())
}

fn alerts(
    config: &Config,
    store: &mut Store,
    command: AlertsCommand,
    now: Timestamp,
) -> anyhow::Result<()> {
    match command {
        AlertsCommand::List { state, all, json } => {
            let state: Option<AlertState> = state
                .map(|s| s.parse().map_err(anyhow::Error::msg))
                .transpose()?;
            let mut alerts = admin::list_alerts(store.connection(), state)?;
            if state.is_none() && !all {
                alerts.retain(|a| a.state != "resolved");
            }
            if json {
                print_json(&alerts)?;
            } else {
                for a in alerts {
                    println!(
                        "{:>5}  {:<12} {:<14} {:<12} {}{}  {} ({})",
                        a.id,
                        a.state,
                        a.kind,
                        a.name,
                        if a.escalated { "[escalated] " } else { "" },
                        a.reason,
                        a.opened_at
                            .to_zoned(config.time_zone.clone())
                            .strftime("%Y-%m-%d %H:%M"),
                        a.district
                    );
                }
            }
        }
        AlertsCommand::Ack { id, by } => {
            store.transaction(|c| admin::acknowledge(c, id, &by, now))?;
            println!("alert {id} acknowledged by {by}");
        }
        AlertsCommand::Resolve {
            id,
            by,
            outcome,
            note,
            visited_at,
        } => {
            let outcome: VisitOutcome = outcome
                .parse()
                .map_err(anyhow::Error::msg)
                .context("--outcome")?;
            let at = visited_at
                .map(|t| parse_instant(&t, "--visited-at"))
                .transpose()?
                .unwrap_or(now);
            let visit = admin::Visit {
                at,
                by: by.clone(),
                outcome,
                note,
            };
            store.transaction(|c| admin::resolve(c, config, id, &visit, now))?;
            println!("alert {id} resolved by {by}: {}", outcome.label_ja());
        }
    }
    Ok(())
}

fn care_plan(args: &PlanArgs) -> anyhow::Result<CarePlan> {
    let items = |text: &str| -> Vec<String> {
        text.split([',', '、', '・', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let medication_slots = items(&args.medication)
        .iter()
        .map(|s| {
            MedicationSlot::ALL
                .iter()
                .copied()
                .find(|slot| slot.as_str() == s || slot.label_ja() == s)
                .with_context(|| format!("--medication: `{s}` is not one of 朝, 昼, 夕, 寝る前"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let all_vitals = [
        VitalKind::BloodPressure,
        VitalKind::Temperature,
        VitalKind::Weight,
        VitalKind::Steps,
    ];
    let vitals = items(&args.vitals)
        .iter()
        .map(|s| {
            all_vitals
                .iter()
                .copied()
                .find(|v| v.as_str() == s || v.label_ja() == s)
                .with_context(|| format!("--vitals: `{s}` is not one of 血圧, 体温, 体重, 歩数"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let time = |text: &str, what: &str| -> anyhow::Result<TimeOfDay> {
        text.parse()
            .map_err(anyhow::Error::msg)
            .with_context(|| what.to_owned())
    };
    let plan = CarePlan {
        medication_slots,
        vitals,
        reminder_at: time(&args.reminder, "--reminder")?,
        deadline: time(&args.deadline, "--deadline")?,
    };
    mimamori_protocol::Validate::validate(&plan)?;
    Ok(plan)
}

fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
