//! The room sensor on a Pi: five readings, with the 暑さ指数 and its level.
//!
//! ```sh
//! cargo run -p mimamori-daemon --features pi --example pi-sensor -- /etc/mimamori/box.toml
//! ```

use std::time::{Duration, Instant};

use anyhow::Context as _;
use mimamori_daemon::hardware::{Board, HardwareEvent, pi};

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or("/etc/mimamori/box.toml".into());
    let config = mimamori_daemon::config::Config::load(path.as_ref())?;
    let mut hardware = config
        .hardware
        .context("box.toml has no [hardware] section")?;
    anyhow::ensure!(
        hardware.sensor.is_some(),
        "no room sensor in [hardware] (sensor)"
    );
    hardware.sensor_interval_s = 5;
    let mut board = pi::open(&hardware)?;
    let started = Instant::now();
    let now = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut events = Vec::new();
    let mut readings = 0;
    while readings < 5 {
        let next = match board.tick(now(), &mut events) {
            Ok(next) => next,
            Err(e) => {
                println!("sensor: {e}");
                now() + 5_000
            }
        };
        for event in events.drain(..) {
            match event {
                HardwareEvent::Room(m) => {
                    readings += 1;
                    let wbgt = m.wbgt();
                    println!(
                        "{:.1} °C  {:.1} %RH  暑さ指数 {:.1} ({})",
                        f64::from(m.temperature_millicelsius) / 1000.0,
                        f64::from(m.humidity_millipercent) / 1000.0,
                        f64::from(wbgt.millicelsius()) / 1000.0,
                        wbgt.risk().label_ja()
                    );
                }
                HardwareEvent::SensorFailed => println!("the sensor did not answer"),
                HardwareEvent::Button(_) => {}
            }
        }
        std::thread::sleep(Duration::from_millis(next.saturating_sub(now()).max(1)));
    }
    Ok(())
}
