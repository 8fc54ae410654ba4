//! The front LED on a Pi: shows each pattern for five seconds.
//!
//! ```sh
//! cargo run -p mimamori-daemon --features pi --example pi-led -- /etc/mimamori/box.toml
//! ```

use std::time::{Duration, Instant};

use anyhow::Context as _;
use mimamori_daemon::hardware::{Board, pi};
use mimamori_firmware::LedPattern;

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or("/etc/mimamori/box.toml".into());
    let config = mimamori_daemon::config::Config::load(path.as_ref())?;
    let hardware = config
        .hardware
        .context("box.toml has no [hardware] section")?;
    anyhow::ensure!(hardware.led.is_some(), "no LED in [hardware] (led_pin)");
    let mut board = pi::open(&hardware)?;
    let started = Instant::now();
    let now = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    for (pattern, what) in [
        (LedPattern::On, "on (today is done)"),
        (LedPattern::SlowBlink, "slow blink (check-in due)"),
        (LedPattern::FastBlink, "fast blink (SOS sent)"),
        (LedPattern::Heartbeat, "heartbeat (offline)"),
        (LedPattern::Off, "off"),
    ] {
        println!("LED: {what}");
        board.set_led(pattern, now())?;
        let until = now() + 5_000;
        while now() < until {
            let next = board.tick(now(), &mut Vec::new())?;
            std::thread::sleep(Duration::from_millis(
                next.min(until).saturating_sub(now()).max(1),
            ));
        }
    }
    Ok(())
}
