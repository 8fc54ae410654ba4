//! The chime on a Pi: plays the reminder, confirm and error melodies.
//!
//! ```sh
//! cargo run -p mimamori-daemon --features pi --example pi-chime -- /etc/mimamori/box.toml
//! ```

use std::time::{Duration, Instant};

use anyhow::Context as _;
use mimamori_daemon::hardware::{Board, pi};
use mimamori_firmware::Melody;

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or("/etc/mimamori/box.toml".into());
    let config = mimamori_daemon::config::Config::load(path.as_ref())?;
    let hardware = config
        .hardware
        .context("box.toml has no [hardware] section")?;
    anyhow::ensure!(hardware.chime.is_some(), "no chime in [hardware] (chime)");
    let mut board = pi::open(&hardware)?;
    let started = Instant::now();
    let now = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    for melody in [Melody::Reminder, Melody::Confirm, Melody::Error] {
        println!("chime: {melody:?} ({} ms)", melody.duration_ms());
        board.play(melody, now())?;
        let until = now() + u64::from(melody.duration_ms()) + 1_000;
        while now() < until {
            let next = board.tick(now(), &mut Vec::new())?;
            std::thread::sleep(Duration::from_millis(
                next.min(until).saturating_sub(now()).max(1),
            ));
        }
    }
    board.rest();
    Ok(())
}
