//! The demo's two tap stations, each a `mimamorid run` with `[station]` and
//! a virtual page of its own: a school (南部小学校) where 山田 ゆい taps her
//! trial card, and a shelter (南部中学校体育館) where 山田 花子 taps her My
//! Number card during an incident. The center registers both, the child,
//! her card and her mother as guardian (consent, every tap mailed).
//!
//! The machine's pcscd has two vpcd readers: `Virtual PCD 00 00` is the
//! TV's (its card dock), `Virtual PCD 00 01` the shelter's (a second dock),
//! each daemon keeping to its own (`[card] readers`). The school station
//! has no reader: its page's trial-card buttons hand the card straight to
//! the daemon, as a box's virtual TV does without a dock.

use std::process::Command;

use anyhow::Context as _;

use super::Ports;
use super::http::wait_ok;
use super::system::{Running, spawn, token};

/// The reader the TV's card dock fills (vpcd's first, port 35963).
pub(crate) const TV_READER: &str = "Virtual PCD 00 00";
/// The reader the shelter's card dock fills (vpcd's second, port 35964).
pub(crate) const SHELTER_READER: &str = "Virtual PCD 00 01";
/// vpcd's port of [`SHELTER_READER`].
pub(crate) const SHELTER_VPCD_PORT: u16 = 35964;

/// The school: device, place.
pub(crate) const SCHOOL: (&str, &str) = ("demo-school", "南部小学校");
/// The shelter: device, place.
pub(crate) const SHELTER: (&str, &str) = ("demo-shelter", "南部中学校体育館");

/// The child: name, kana, trial card UID.
pub(crate) const CHILD: (&str, &str, &str) = ("山田 ゆい", "やまだ ゆい", "04C0FFEE0A0B0C");
/// Her guardian: name, email, 続柄.
pub(crate) const GUARDIAN: (&str, &str, &str) = ("山田 良子", "yoshiko@example.jp", "母");

/// Registers the stations, the child with her card and her guardian, and
/// starts both stations; the shelter's dock (with 山田 花子's My Number
/// card) must run.
pub(crate) fn start(running: &mut Running) -> anyhow::Result<()> {
    println!("\n== Two tap stations: a school and a shelter (the operator's admin commands)");
    let mut tokens = Vec::new();
    for ((device, place), kind) in [(SCHOOL, "school"), (SHELTER, "shelter")] {
        tokens.push(token(&running.center(&[
            "admin",
            "station",
            "add",
            device,
            "--place",
            place,
            "--kind",
            kind,
            "--district",
            "東町",
        ])?)?);
    }
    let (name, kana, uid) = CHILD;
    running.center(&[
        "admin",
        "child",
        "add",
        "--name",
        name,
        "--kana",
        kana,
        "--district",
        "東町",
        "--school",
        SCHOOL.1,
    ])?;
    running.center(&["admin", "child", "card", "1", "--uid", uid])?;
    let (guardian, email, relation) = GUARDIAN;
    running.center(&[
        "admin",
        "child",
        "guardian",
        "add",
        "1",
        "--name",
        guardian,
        "--email",
        email,
        "--relation",
        relation,
        "--policy",
        "every_tap",
        "--consent-on",
        "2026-04-01",
    ])?;
    print!("{}", running.center(&["admin", "station", "list"])?);
    println!("  child {name} (trial card {uid}); guardian {guardian} <{email}>, every tap mailed");

    let ports = running.ports;
    for (i, ((device, place), token)) in [SCHOOL, SHELTER].into_iter().zip(tokens).enumerate() {
        let (port, card) = if i == 0 {
            (ports.school, "[card]\nreader = \"none\"\n".to_owned())
        } else {
            (
                ports.shelter,
                format!("[card]\nreader = \"pcsc\"\nreaders = [\"{SHELTER_READER}\"]\n"),
            )
        };
        let dir = running.data.join(device);
        std::fs::create_dir_all(&dir)?;
        let config = dir.join("station.toml");
        std::fs::write(
            &config,
            station_config(device, &token, ports, port, i == 1, &card),
        )?;
        let mut command = Command::new(running.bin.join("mimamorid"));
        command.args(["run", "--config"]).arg(&config);
        spawn(
            running,
            if i == 0 {
                "the school station"
            } else {
                "the shelter station"
            },
            &mut command,
            &format!("{device}/mimamorid.log"),
        )?;
        wait_ok(port, "/state").with_context(|| format!("{device}'s page"))?;
        println!("  {place}: http://127.0.0.1:{port}/");
    }
    Ok(())
}

/// A station's configuration: its virtual page on `port` (with the
/// shelter's card dock when `dock`), `card`, quick syncs, and the demo
/// clock's offset file.
fn station_config(
    device: &str,
    token: &str,
    ports: Ports,
    port: u16,
    dock: bool,
    card: &str,
) -> String {
    let center = ports.center;
    let dock = if dock {
        format!("card_dock = \"http://127.0.0.1:{}\"\n", ports.shelter_dock)
    } else {
        String::new()
    };
    format!(
        "device_id = \"{device}\"\ncenter_url = \"http://127.0.0.1:{center}\"\ntoken = \"{token}\"\ndata_dir = \".\"\n\n[display]\nbackend = \"virtual\"\nlisten = \"127.0.0.1:{port}\"\nsize = \"1280x720\"\n{dock}\n[sync]\ninterval_s = 2\n\n{card}\n[station]\nrepeat_window_s = 300\nshow_s = 5\n\n# Demo only: the station's time moves with `cargo xtask demo --advance`.\n[clock]\noffset_file = \"../clock-offset\"\n"
    )
}
