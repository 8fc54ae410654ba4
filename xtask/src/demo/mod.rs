//! `cargo xtask demo`: the whole system on one machine.
//!
//! The center with demo households, a month of check-ins sent by stand-in
//! boxes (`fakebox`), the watch engine's alerts and the nurses' dashboard;
//! family contacts and a nurse with email, their mail delivered to a local
//! SMTP server whose messages are read in the browser (`mailbox`); a real
//! box daemon with the virtual TV; two tap stations, a school and a
//! shelter, with their own virtual pages; the TV screens rendered to PNG
//! files. It runs until Ctrl-C and prints what to try.
//!
//! * `--advance 3d` (from another terminal) moves the running demo's clock
//!   forward: the center's `[clock] offset_file`, which it reads again when
//!   it changes, so that a missed check-in opens an alert and its mail.
//! * `--walk` starts the demo, walks through it as a newcomer would (a card
//!   on the virtual TV, a check-in, the family's mail, the dashboard, three
//!   days later the missed alert and its mail, a child's tap at the school
//!   and her guardian's mail, an incident and a tap at the shelter on the
//!   safety list and in the family's mail), stops it and fails loudly on
//!   any step that does not happen. `cargo xtask test` runs it on free ports.

mod cards;
mod clock;
mod http;
mod stations;
mod system;
mod walk;

use std::path::{Path, PathBuf};

use anyhow::bail;

use crate::workspace_root;

/// Options of `cargo xtask demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Port for the center's HTTP API and dashboard; the virtual TV, the
    /// mailbox's pages, its SMTP server, the card dock, the school's and
    /// the shelter's station pages and the shelter's card dock take the
    /// next seven. 0: any free ports.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Where the demo keeps its data (cleared at each start).
    #[arg(long, default_value = "demo-data")]
    data: PathBuf,
    /// Set everything up and exit instead of serving until Ctrl-C.
    #[arg(long)]
    no_wait: bool,
    /// Moves the running demo's clock forward, e.g. 3d, 12h, 1d6h, 30m (run
    /// from another terminal while the demo runs).
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["no_wait", "walk"])]
    advance: Option<String>,
    /// Starts the demo, walks through it over HTTP (card, check-in, family
    /// mail, dashboard, three days later a missed alert and its mail, taps
    /// at the school and, during an incident, at the shelter), then stops
    /// it; fails on any step that does not happen.
    #[arg(long, conflicts_with = "no_wait")]
    walk: bool,
}

/// The demo nurse's dashboard login and password (a demo on one machine only).
pub(crate) const NURSE_LOGIN: &str = "hokenshi";
pub(crate) const DEMO_PASSWORD: &str = "mimamori-demo";
/// Where the nurse's alert mail goes.
pub(crate) const NURSE_EMAIL: &str = "hokenshi@town.example.jp";

/// The demo's ports.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ports {
    pub(crate) center: u16,
    pub(crate) tv: u16,
    pub(crate) mailbox: u16,
    pub(crate) smtp: u16,
    /// The card dock (`simcard dock`) behind the virtual TV's card buttons.
    pub(crate) dock: u16,
    /// The school station's virtual page.
    pub(crate) school: u16,
    /// The shelter station's virtual page.
    pub(crate) shelter: u16,
    /// The shelter's card dock (vpcd's second reader).
    pub(crate) shelter_dock: u16,
}

/// How many ports the demo takes.
const PORTS: u16 = 8;

impl Ports {
    /// `base` and the seven after it, or eight free ports for `base` 0;
    /// fails naming a port in use.
    pub(crate) fn choose(base: u16) -> anyhow::Result<Self> {
        if base == 0 {
            // Held together so that the eight differ.
            let listeners = (0..PORTS)
                .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
                .collect::<Result<Vec<_>, _>>()?;
            let ports = listeners
                .iter()
                .map(|l| l.local_addr().map(|a| a.port()))
                .collect::<Result<Vec<_>, _>>()?;
            drop(listeners);
            return Ok(Self {
                center: ports[0],
                tv: ports[1],
                mailbox: ports[2],
                smtp: ports[3],
                dock: ports[4],
                school: ports[5],
                shelter: ports[6],
                shelter_dock: ports[7],
            });
        }
        if base.checked_add(PORTS - 1).is_none() {
            bail!("--port {base}: the demo needs {PORTS} ports in a row");
        }
        let ports = Self {
            center: base,
            tv: base + 1,
            mailbox: base + 2,
            smtp: base + 3,
            dock: base + 4,
            school: base + 5,
            shelter: base + 6,
            shelter_dock: base + 7,
        };
        for (port, what) in [
            (ports.center, "the center"),
            (ports.tv, "the virtual TV"),
            (ports.mailbox, "the mailbox's pages"),
            (ports.smtp, "the mailbox's SMTP server"),
            (ports.dock, "the card dock"),
            (ports.school, "the school station's page"),
            (ports.shelter, "the shelter station's page"),
            (ports.shelter_dock, "the shelter's card dock"),
        ] {
            if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
                bail!(
                    "port {port} ({what}) is in use; pass --port with {PORTS} free ports in a row (or --port 0)"
                );
            }
        }
        Ok(ports)
    }
}

/// Where cargo puts the debug programs (`CARGO_TARGET_DIR` when set).
pub(crate) fn bin_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        })
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("debug")
}

/// The data directory, relative to the workspace root unless absolute.
fn data_dir(args: &Args) -> PathBuf {
    if args.data.is_absolute() {
        args.data.clone()
    } else {
        workspace_root().join(&args.data)
    }
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    let data = data_dir(args);
    if let Some(duration) = &args.advance {
        return clock::advance(&data, duration);
    }
    let ports = Ports::choose(args.port)?;
    let options = system::Options {
        data,
        ports,
        sweep_interval_s: if args.walk { 2 } else { 5 },
    };
    let running = system::start(&options)?;
    if args.walk {
        let result = walk::run(&running);
        drop(running);
        return result;
    }
    print_guide(&running);
    if args.no_wait {
        return Ok(());
    }
    running.wait()
}

/// Runs the walk on free ports in `data` (for `cargo xtask test`).
pub(crate) fn walk_in(data: &Path) -> anyhow::Result<()> {
    let options = system::Options {
        data: data.to_owned(),
        ports: Ports::choose(0)?,
        sweep_interval_s: 2,
    };
    let running = system::start(&options)?;
    let result = walk::run(&running);
    drop(running);
    result
}

/// A path as typed from the workspace root, where `cargo xtask` runs.
fn short(path: &Path) -> String {
    path.strip_prefix(workspace_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn print_guide(running: &system::Running) {
    let p = running.ports;
    let url = format!("http://127.0.0.1:{}", p.center);
    let data = short(&running.data);
    let c = format!(
        "{}/mimamori-center --config {data}/center.toml",
        short(&running.bin)
    );
    let advance = if running.data == workspace_root().join("demo-data") {
        "cargo xtask demo --advance 3d".to_owned()
    } else {
        format!("cargo xtask demo --data {data} --advance 3d")
    };
    println!("\n== Try it");
    println!("  Virtual TV:   http://127.0.0.1:{}/", p.tv);
    println!(
        "                insert 山田 花子's card, answer with the remote (OK takes the focused choice)"
    );
    println!(
        "  Mailbox:      http://127.0.0.1:{}/  (the family's and the nurse's mail; SMTP on 127.0.0.1:{})",
        p.mailbox, p.smtp
    );
    println!(
        "                山田 恵子 hears of every check-in of 山田 花子, 山田 健一 gets a digest at 19:00,"
    );
    println!(
        "                佐藤 誠 hears only of concerns; the nurse gets alert mail at {NURSE_EMAIL}"
    );
    println!(
        "  School:       http://127.0.0.1:{}/  (tap station 南部小学校: 山田 ゆい's trial card; her mother's mail)",
        p.school
    );
    println!(
        "  Shelter:      http://127.0.0.1:{}/  (tap station 南部中学校体育館: 山田 花子's My Number card)",
        p.shelter
    );
    println!(
        "  Incident:     {c} admin incident open --name 台風10号   (then the dashboard's 安否確認)"
    );
    println!("  Dashboard:    {url}/dashboard/  (login {NURSE_LOGIN}, password {DEMO_PASSWORD})");
    println!("  Health:       curl {url}/healthz");
    println!("  Three days on: {advance}   (from another terminal: the center's clock moves,");
    println!(
        "                its sweep opens missed-check-in alerts within seconds, and their mail arrives)"
    );
    println!("  Alerts:       {c} admin alerts list");
    println!("  Mail outbox:  {c} admin mail list");
    println!("  Family:       {c} admin family list");
    println!("  Acknowledge:  {c} admin alerts ack ID --by 保健師A");
    println!(
        "  Logs:         {data}/center.log, {data}/mailbox.log, {data}/box/mimamorid.log, {data}/demo-*/mimamorid.log"
    );
    println!("  TV screens:   {data}/tv/*.png");
    println!("  Docs:         README.md, docs/center.md, docs/dashboard.md, docs/stations.md");
}
