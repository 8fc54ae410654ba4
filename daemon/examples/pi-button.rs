//! The call button on a Pi: prints each press (short, long = SOS, stuck)
//! for a minute.
//!
//! ```sh
//! cargo run -p mimamori-daemon --features pi --example pi-button -- /etc/mimamori/box.toml
//! ```

use std::time::{Duration, Instant};

use anyhow::Context as _;
use mimamori_daemon::hardware::{Board, pi};

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or("/etc/mimamori/box.toml".into());
    let config = mimamori_daemon::config::Config::load(path.as_ref())?;
    let hardware = config
        .hardware
        .context("box.toml has no [hardware] section")?;
    anyhow::ensure!(
        hardware.button.is_some(),
        "no call button in [hardware] (button_pin)"
    );
    let mut board = pi::open(&hardware)?;
    println!("press the call button (briefly, then hold it for 3 s); stops after 60 s");
    let started = Instant::now();
    let now = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut events = Vec::new();
    while now() < 60_000 {
        let next = board.tick(now(), &mut events)?;
        for event in events.drain(..) {
            println!("{:>6} ms  {event:?}", now());
        }
        std::thread::sleep(Duration::from_millis(next.saturating_sub(now()).max(1)));
    }
    Ok(())
}
