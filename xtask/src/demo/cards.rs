//! The demo box's card reader: pcscd with vsmartcard's virtual readers, and
//! a `simcard dock` with 山田 花子's My Number card, 山田 太郎's trial card
//! and a card the box does not know. The virtual TV's card buttons forward
//! to the dock, so the box reads the cards through pcscd as it would real
//! ones. The shelter station has a dock of its own in vpcd's second
//! reader, with the same My Number card of 山田 花子.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::Context as _;

use super::http::wait_ok;
use super::system::{RESIDENTS, Running, spawn};

/// What the demo's card reader needs.
const PACKAGES: &[&str] = &["pcscd", "vsmartcard-vpcd"];

/// 山田 花子's simulated My Number card's PIN.
pub(crate) const DEMO_PIN: &str = "1234";

/// The dock's number of 山田 花子's My Number card (its first card).
pub(crate) const MY_NUMBER_CARD: usize = 0;

/// Installs and starts pcscd when needed, starts the dock, and returns the
/// file holding 山田 花子's certificate (DER), to bind at the center.
pub(crate) fn start_dock(running: &mut Running) -> anyhow::Result<PathBuf> {
    crate::debian::ensure(PACKAGES)?;
    crate::test::ensure_pcscd()?;
    let dir = running.data.join("cards");
    std::fs::create_dir_all(&dir)?;
    let port = running.ports.dock;
    println!("\n== Starting the card dock (simulated cards for pcscd, on 127.0.0.1:{port})");
    let mut command = Command::new(running.bin.join("simcard"));
    command
        .args(["dock", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--card", &format!("jpki:{}:{DEMO_PIN}", RESIDENTS[0].0)])
        .args([
            "--card",
            &format!("uid:{}:{}", RESIDENTS[1].0, RESIDENTS[1].4),
        ])
        .args(["--card", "stranger:登録されていないカード"])
        .arg("--cert-dir")
        .arg(&dir)
        .stdin(Stdio::null());
    spawn(running, "the card dock", &mut command, "cards/dock.log")?;
    wait_ok(port, "/cards").context("the card dock (its log: cards/dock.log)")?;
    Ok(dir.join(format!("card-{MY_NUMBER_CARD}.der")))
}

/// Starts the shelter's dock in vpcd's second reader, with 山田 花子's My
/// Number card (the same key, so the same certificate, as the TV dock's)
/// and a card nobody registered.
pub(crate) fn start_shelter_dock(running: &mut Running) -> anyhow::Result<()> {
    let port = running.ports.shelter_dock;
    println!("\n== Starting the shelter's card dock (vpcd's second reader, on 127.0.0.1:{port})");
    let mut command = Command::new(running.bin.join("simcard"));
    command
        .args([
            "--port",
            &super::stations::SHELTER_VPCD_PORT.to_string(),
            "dock",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args(["--card", &format!("jpki:{}:{DEMO_PIN}", RESIDENTS[0].0)])
        .args(["--card", "stranger:登録されていないカード"])
        .stdin(Stdio::null());
    spawn(
        running,
        "the shelter's card dock",
        &mut command,
        "cards/shelter-dock.log",
    )?;
    wait_ok(port, "/cards").context("the shelter's card dock (its log: cards/shelter-dock.log)")
}
