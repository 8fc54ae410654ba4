//! Sweep benchmark: the watch engine over 1,000,000 residents, of whom
//! 10,000 are due, then again with none due; and the memory of a center
//! process serving that database.
//!
//! Run: `cargo bench -p mimamori-center --bench sweep`
//! (`-- --residents N --due N` to change the sizes).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mimamori_center::config::Config;
use mimamori_center::store::{Store, watch};
use rusqlite::params;

const BIN: &str = env!("CARGO_BIN_EXE_mimamori-center");

fn arg(name: &str, default: i64) -> i64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

fn main() {
    let residents = arg("--residents", 1_000_000);
    let due = arg("--due", 10_000);
    let tmp = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config_path = tmp.path().join("center.toml");
    std::fs::write(
        &config_path,
        format!("data_dir = \"data\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n[watch]\nsweep_interval_s = 3600\n"),
    )
    .unwrap();
    let config = Config::load(&config_path).unwrap();

    // Now: Friday 4 December 2026, 12:30 in Tokyo. The due residents last
    // checked in on Monday; everyone else this morning.
    let now: jiff::Timestamp = "2026-12-04T03:30:00Z".parse().unwrap();
    let monday = "2026-11-30T00:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    let this_morning = "2026-12-04T00:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    let due_at = "2026-12-02T03:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    let not_due = "2026-12-06T03:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    let plan =
        r#"{"medication_slots":["morning"],"vitals":[],"reminder_at":"09:00","deadline":"12:00"}"#;

    let started = Instant::now();
    let mut store = Store::open(&config.database_path()).unwrap();
    store
        .transaction(|c| {
            let mut insert = c.prepare(
                "INSERT INTO residents (name, kana, district, care_plan, watched_since, last_check_in_at, next_due, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5)",
            )?;
            for i in 0..residents {
                // Spread the due residents through the table.
                let is_due = i % (residents / due.max(1)).max(1) == 0 && i / (residents / due.max(1)).max(1) < due;
                insert.execute(params![
                    format!("利用者 {i}"),
                    format!("りようしゃ {i}"),
                    format!("地区{}", i % 40),
                    plan,
                    monday - 86_400_000 * 30,
                    if is_due { monday } else { this_morning },
                    if is_due { due_at } else { not_due },
                ])?;
            }
            Ok(())
        })
        .unwrap();
    let setup = started.elapsed();
    let file_size = std::fs::metadata(config.database_path()).unwrap().len();

    let started = Instant::now();
    let report = store
        .transaction(|c| watch::sweep(c, &config, now))
        .unwrap();
    let with_due = started.elapsed();
    let opened = report
        .applied
        .iter()
        .filter(|a| a.action == "opened")
        .count();

    let mut none_due = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let report = store
            .transaction(|c| watch::sweep(c, &config, now))
            .unwrap();
        none_due.push(started.elapsed());
        assert_eq!(report.due, 0);
    }
    none_due.sort();
    drop(store);

    println!(
        "sweep: {residents} residents ({:.0} MB database, built in {:.1} s)",
        file_size as f64 / 1e6,
        setup.as_secs_f64()
    );
    println!(
        "  {} due: {:.1} ms, {opened} alerts opened (committed)",
        report.due,
        with_due.as_secs_f64() * 1e3
    );
    println!(
        "  none due: median {:.2} ms, max {:.2} ms (20 sweeps)",
        none_due[none_due.len() / 2].as_secs_f64() * 1e3,
        none_due[none_due.len() - 1].as_secs_f64() * 1e3
    );
    assert_eq!(report.due as i64, due);
    assert_eq!(opened as i64, due);

    // Memory of a center serving this database.
    let mut server = Command::new(BIN)
        .arg("--config")
        .arg(&config_path)
        .arg("serve")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline && std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", server.id())).unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .unwrap_or("VmRSS: ?")
        .to_owned();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .unwrap_or("VmHWM: ?")
        .to_owned();
    let _ = server.kill();
    let _ = server.wait();
    println!(
        "  center process serving it: {} ({})",
        rss.split_whitespace().skip(1).collect::<Vec<_>>().join(" "),
        hwm.replace("VmHWM:", "peak")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    );
}
